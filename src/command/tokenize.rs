//! Splitting a command line into arguments exactly as redis-cli does (its `sdssplitargs`).
//!
//! The rules are redis-cli's, not a shell's: a backslash is literal outside quotes, a quote inside a
//! token opens a quoted part of the same token, and a closing quote must be followed by white space.

use thiserror::Error;

#[derive(Debug, Clone, Copy, Error, PartialEq, Eq)]
pub enum TokenizeError {
    #[error("Invalid argument(s): unbalanced quotes")]
    Unbalanced,
    #[error("Invalid argument(s): a closing quote must be followed by a space")]
    QuoteFollowedByChar,
}

/// C's `isspace` in the "C" locale: what redis-cli skips between arguments.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits `line` into arguments. Arguments are bytes: `"\xff"` is one byte, not a character.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, TokenizeError> {
    split_args_bytes(line.as_bytes())
}

pub fn split_args_bytes(line: &[u8]) -> Result<Vec<Vec<u8>>, TokenizeError> {
    let mut args = Vec::new();
    let n = split_args_into(line, &mut args)?;
    args.truncate(n);
    Ok(args)
}

/// [`split_args_bytes`] into `args`, reusing its vectors (pipe mode splits every line into the
/// same ones): the arguments are `args[..n]` for the `n` returned; what follows is spare room.
pub fn split_args_into(line: &[u8], args: &mut Vec<Vec<u8>>) -> Result<usize, TokenizeError> {
    // redis-cli works on a C string: a NUL byte ends the line.
    let line = match memchr::memchr(0, line) {
        Some(end) => &line[..end],
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut n = 0;
    let mut p = 0;
    loop {
        while at(p).is_some_and(is_c_space) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(n);
        }
        if n == args.len() {
            args.push(Vec::new());
        }
        let current = &mut args[n];
        current.clear();
        // The common case, a plain word: copied whole, up to what the loop below acts on.
        let plain = line[p..]
            .iter()
            .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
            .map_or(line.len(), |i| p + i);
        current.extend_from_slice(&line[p..plain]);
        p = plain;
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                match c {
                    None => return Err(TokenizeError::Unbalanced),
                    Some(b'\\') => {
                        let hex = at(p + 2)
                            .and_then(hex_value)
                            .zip(at(p + 3).and_then(hex_value));
                        match (at(p + 1), hex) {
                            (Some(b'x'), Some((hi, lo))) => {
                                current.push(hi * 16 + lo);
                                p += 3;
                            }
                            (Some(next), _) => {
                                current.push(match next {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 0x08,
                                    b'a' => 0x07,
                                    other => other,
                                });
                                p += 1;
                            }
                            (None, _) => current.push(b'\\'),
                        }
                    }
                    Some(b'"') => {
                        if at(p + 1).is_some_and(|n| !is_c_space(n)) {
                            return Err(TokenizeError::QuoteFollowedByChar);
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match c {
                    None => return Err(TokenizeError::Unbalanced),
                    Some(b'\\') if at(p + 1) == Some(b'\'') => {
                        current.push(b'\'');
                        p += 1;
                    }
                    Some(b'\'') => {
                        if at(p + 1).is_some_and(|n| !is_c_space(n)) {
                            return Err(TokenizeError::QuoteFollowedByChar);
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => {
                        if c.is_some() {
                            p += 1;
                        }
                        break;
                    }
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            p += 1;
        }
        n += 1;
    }
}

/// Quotes one argument so that `split_args` gives it back unchanged (used to echo commands).
/// The most times redis-lab repeats one command line (`1000000 INCR n`), in the REPL. A lesson
/// allows far fewer (`engine::session`).
pub const MAX_REPEAT: u64 = 1_000_000;

/// redis-cli's repeat prefix: `5 INCR counter` is INCR five times. The count comes first and a
/// command must follow it; anything else is a count of one. The one parser for it: the REPL, the
/// lesson engine and the history filter all ask here.
pub fn repeat_prefix(mut args: Vec<Vec<u8>>) -> (u64, Vec<Vec<u8>>) {
    if args.len() > 1
        && let Ok(n) = std::str::from_utf8(&args[0])
            .unwrap_or_default()
            .parse::<u64>()
    {
        args.remove(0);
        return (n, args);
    }
    (1, args)
}

pub fn quote_arg(arg: &[u8]) -> String {
    let plain = !arg.is_empty()
        && arg
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        return String::from_utf8_lossy(arg).into_owned();
    }
    let mut out = String::from("\"");
    for &b in arg {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// The arguments joined back into one line that `split_args` reads as the same arguments.
pub fn join_args(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| quote_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_repeat_prefix_needs_a_command_after_it() {
        let args = |line: &str| split_args(line).unwrap();
        assert_eq!(repeat_prefix(args("5 INCR n")), (5, args("INCR n")));
        assert_eq!(repeat_prefix(args("5")), (1, args("5")));
        assert_eq!(repeat_prefix(args("-1 PING")), (1, args("-1 PING")));
        assert_eq!(repeat_prefix(args("GET 5")), (1, args("GET 5")));
    }

    use super::*;

    fn ok(line: &str) -> Vec<String> {
        split_args(line)
            .unwrap_or_else(|e| panic!("{line:?}: {e}"))
            .into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    }

    #[test]
    fn redis_cli_quoting_rules() {
        let cases: &[(&str, &[&str])] = &[
            ("SET k v", &["SET", "k", "v"]),
            ("  SET   k\tv  ", &["SET", "k", "v"]),
            (r#"SET k "hello world""#, &["SET", "k", "hello world"]),
            (r#"a"b c""#, &["ab c"]),
            (r#"SET k """#, &["SET", "k", ""]),
            ("SET k ''", &["SET", "k", ""]),
            (r#""\x41\x4a""#, &["AJ"]),
            (r#""\x4""#, &["x4"]),
            (r#""a\nb""#, &["a\nb"]),
            (r#""\q""#, &["q"]),
            (r"'it\'s'", &["it's"]),
            (r"'a\nb'", &["a\\nb"]),
            (r"a\nb", &["a\\nb"]),
            ("", &[]),
            ("   ", &[]),
            ("a\x0bb", &["a\x0bb"]),
        ];
        for (line, want) in cases {
            assert_eq!(ok(line), *want, "line {line:?}");
        }
    }

    #[test]
    fn quote_errors_reject_the_whole_line() {
        assert_eq!(split_args(r#"SET k "abc"#), Err(TokenizeError::Unbalanced));
        assert_eq!(split_args("SET k 'abc"), Err(TokenizeError::Unbalanced));
        assert_eq!(
            split_args(r#"SET k "a"b"#),
            Err(TokenizeError::QuoteFollowedByChar)
        );
    }

    #[test]
    fn hex_escape_yields_raw_bytes() {
        assert_eq!(split_args(r#""\xff\x00""#).unwrap(), vec![vec![0xff, 0x00]]);
    }

    #[test]
    fn quote_arg_round_trips() {
        for arg in [
            &b"plain"[..],
            b"two words",
            b"",
            b"q\"uote",
            b"\xff\x01",
            b"back\\slash",
            b"it's",
        ] {
            let line = quote_arg(arg);
            assert_eq!(split_args(&line).unwrap(), vec![arg.to_vec()], "{line}");
        }
    }
}
