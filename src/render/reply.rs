//! Replies printed the way redis-cli prints them on a terminal (its `cliFormatReplyTTY`).

use crate::server::reply::{Reply, format_double};

/// redis-cli's `sdscatrepr`: a quoted string, non-printable bytes as `\xHH`.
pub fn repr_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// The human format redis-cli uses on a terminal, ending with a newline.
pub fn format_tty(reply: &Reply) -> String {
    let mut out = String::new();
    write_tty(reply, "", &mut out);
    out
}

fn write_tty(reply: &Reply, prefix: &str, out: &mut String) {
    match reply {
        Reply::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
            out.push('\n');
        }
        Reply::Status(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Reply::Int(i) => out.push_str(&format!("(integer) {i}\n")),
        Reply::Double(d) => out.push_str(&format!("(double) {}\n", format_double(*d))),
        Reply::Bulk(b) => {
            out.push_str(&repr_bytes(b));
            out.push('\n');
        }
        Reply::Verbatim { text, .. } => {
            out.push_str(text);
            out.push('\n');
        }
        Reply::Nil => out.push_str("(nil)\n"),
        Reply::Bool(b) => out.push_str(if *b { "(true)\n" } else { "(false)\n" }),
        Reply::BigNumber(n) => out.push_str(&format!("(big number) {n}\n")),
        Reply::Array(items) => write_aggregate(items.iter().collect(), ')', "array", prefix, out),
        Reply::Set(items) => write_aggregate(items.iter().collect(), '~', "set", prefix, out),
        Reply::Push { data, .. } => {
            write_aggregate(data.iter().collect(), ')', "push", prefix, out)
        }
        Reply::Map(pairs) => {
            if pairs.is_empty() {
                out.push_str("(empty hash)\n");
                return;
            }
            let width = digits(pairs.len());
            let child_prefix = format!("{prefix}{}", " ".repeat(width + 2));
            for (i, (key, value)) in pairs.iter().enumerate() {
                let lead = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{lead}{:>width$}# ", i + 1));
                write_tty(key, &child_prefix, out);
                out.pop();
                out.push_str(" => ");
                // redis-cli starts a non-empty aggregate value on its own line, indented.
                if value.elements().is_some_and(|e| !e.is_empty()) {
                    out.push('\n');
                    out.push_str(&child_prefix);
                }
                write_tty(value, &child_prefix, out);
            }
        }
    }
}

fn write_aggregate(items: Vec<&Reply>, sep: char, kind: &str, prefix: &str, out: &mut String) {
    if items.is_empty() {
        out.push_str(&format!("(empty {kind})\n"));
        return;
    }
    let width = digits(items.len());
    let child_prefix = format!("{prefix}{}", " ".repeat(width + 2));
    for (i, item) in items.iter().enumerate() {
        // The parent already printed this line's prefix before our first element.
        let lead = if i == 0 { "" } else { prefix };
        out.push_str(&format!("{lead}{:>width$}{sep} ", i + 1));
        write_tty(item, &child_prefix, out);
    }
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn scalars_look_like_redis_cli() {
        assert_eq!(format_tty(&Reply::Int(3)), "(integer) 3\n");
        assert_eq!(format_tty(&Reply::Nil), "(nil)\n");
        assert_eq!(format_tty(&Reply::Status("OK".into())), "OK\n");
        assert_eq!(
            format_tty(&Reply::Error(
                "ERR value is not an integer or out of range".into()
            )),
            "(error) ERR value is not an integer or out of range\n"
        );
        assert_eq!(
            format_tty(&Reply::Bulk(b"a\"b\n\xe4".to_vec())),
            "\"a\\\"b\\n\\xe4\"\n"
        );
    }

    #[test]
    fn nested_arrays_are_indented_under_their_index() {
        let reply = Reply::Array(vec![Reply::Array(vec![bulk("a"), bulk("b")]), bulk("c")]);
        assert_eq!(format_tty(&reply), "1) 1) \"a\"\n   2) \"b\"\n2) \"c\"\n");
    }

    #[test]
    fn indexes_are_right_aligned_past_nine() {
        let reply = Reply::Array((0..10).map(Reply::Int).collect());
        let text = format_tty(&reply);
        assert!(text.starts_with(" 1) (integer) 0\n"), "{text}");
        assert!(text.ends_with("10) (integer) 9\n"), "{text}");
    }

    #[test]
    fn empty_aggregates_and_maps() {
        assert_eq!(format_tty(&Reply::Array(vec![])), "(empty array)\n");
        let map = Reply::Map(vec![(bulk("f"), Reply::Int(1))]);
        assert_eq!(format_tty(&map), "1# \"f\" => (integer) 1\n");
    }
}

/// Commands whose replies redis-cli prints as-is, without quoting or a trailing newline, in every
/// output mode (their text is meant for humans: INFO, CLIENT LIST, MEMORY DOCTOR...).
pub fn printed_as_is(args: &[Vec<u8>]) -> bool {
    let word = |i: usize| {
        args.get(i)
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .unwrap_or_default()
    };
    let (command, sub, argc) = (word(0), word(1), args.len());
    match command.as_str() {
        "info" | "lolwut" => true,
        "debug" => {
            argc >= 2 && matches!(sub.as_str(), "htstats" | "htstats-key" | "client-eviction")
        }
        "memory" => argc >= 2 && matches!(sub.as_str(), "malloc-stats" | "doctor"),
        "cluster" => argc == 2 && matches!(sub.as_str(), "nodes" | "info"),
        "client" => argc >= 2 && matches!(sub.as_str(), "list" | "info"),
        "latency" => (argc == 3 && sub == "graph") || (argc == 2 && sub == "doctor"),
        "proxy" => argc >= 2 && sub == "info",
        _ => false,
    }
}

/// A reply of a [`printed_as_is`] command.
pub fn format_as_is(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    write_raw(reply, &mut out);
    out
}

/// The format redis-cli uses when stdout is not a terminal (its `cliFormatReplyRaw`), followed by
/// the newline redis-cli adds after every reply.
pub fn format_raw(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    write_raw(reply, &mut out);
    out.push(b'\n');
    out
}

fn write_raw(reply: &Reply, out: &mut Vec<u8>) {
    match reply {
        Reply::Nil => {}
        // redis-cli ends an error with its own newline, then the one after every reply.
        Reply::Error(e) => {
            out.extend_from_slice(e.as_bytes());
            out.push(b'\n');
        }
        Reply::Status(s) => out.extend_from_slice(s.as_bytes()),
        Reply::Bulk(b) => out.extend_from_slice(b),
        Reply::Verbatim { text, .. } => out.extend_from_slice(text.as_bytes()),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Reply::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Reply::Double(d) => out.extend_from_slice(format_double(*d).as_bytes()),
        Reply::BigNumber(n) => out.extend_from_slice(n.as_bytes()),
        Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. } => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                write_raw(item, out);
            }
        }
        Reply::Map(pairs) => {
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                write_raw(key, out);
                out.push(b' ');
                write_raw(value, out);
            }
        }
    }
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    #[test]
    fn raw_output_matches_redis_cli() {
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        assert_eq!(format_raw(&Reply::Nil), b"\n");
        assert_eq!(format_raw(&Reply::Error("ERR x".into())), b"ERR x\n\n");
        assert_eq!(
            format_raw(&Reply::Array(vec![
                bulk("a"),
                Reply::Array(vec![bulk("b"), bulk("c")])
            ])),
            b"a\nb\nc\n"
        );
        assert_eq!(
            format_raw(&Reply::Map(vec![(bulk("k"), Reply::Int(0))])),
            b"k 0\n"
        );
        assert_eq!(format_raw(&Reply::Array(vec![])), b"\n");
    }
}
