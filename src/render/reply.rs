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
