//! Replies printed the way redis-cli prints them on a terminal (its `cliFormatReplyTTY`).

use crate::escape::{Shape, escape_byte, escape_controls};
use crate::server::reply::{Reply, format_double};

use std::io::{self, Write};

/// How much of a reply a terminal is shown.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Output lines (one per string, number or empty aggregate, nested ones included).
    pub lines: usize,
    /// Output bytes: a long string is cut inside its quotes when they run out.
    pub bytes: usize,
    /// Polled between elements: true stops the output there (Ctrl-C).
    pub stop: fn() -> bool,
}

impl Limits {
    /// About 20 screens of an 80x50 terminal, printed in well under a second even over ssh, and
    /// still inside the scrollback of terminals that keep the least (xterm keeps 1,024 lines), so
    /// the top of what was shown can still be scrolled back to. Past that a reply is no longer
    /// read on a screen anyway: the footer says how to get a part of it, or all of it in a file.
    pub const TERMINAL: Limits = Limits {
        lines: 1_000,
        bytes: 64 * 1024,
        stop: never,
    };

    /// Everything (a file or a pipe asked for terminal formatting).
    pub const NONE: Limits = Limits {
        lines: usize::MAX,
        bytes: usize::MAX,
        stop: never,
    };

    pub fn stopping_on(self, stop: fn() -> bool) -> Limits {
        Limits { stop, ..self }
    }
}

/// A `stop` that never stops.
pub fn never() -> bool {
    false
}

/// Lets `limits.lines` lines and `limits.bytes` bytes through to `out`, then only counts: for
/// text printed as is (INFO, CLIENT LIST), which has no elements to stop between.
pub struct Capped<'w, W: Write> {
    out: &'w mut W,
    lines_left: usize,
    bytes_left: usize,
    omitted: u64,
    last: u8,
}

impl<'w, W: Write> Capped<'w, W> {
    pub fn new(out: &'w mut W, limits: Limits) -> Self {
        Capped {
            out,
            lines_left: limits.lines,
            bytes_left: limits.bytes,
            omitted: 0,
            last: b'\n',
        }
    }

    /// What was held back; ends a cut line so that what follows starts on its own.
    pub fn finish(self) -> io::Result<Omitted> {
        if self.omitted > 0 && self.last != b'\n' {
            self.out.write_all(b"\n")?;
        }
        Ok(Omitted {
            bytes: self.omitted,
            ..Omitted::default()
        })
    }
}

impl<W: Write> Write for Capped<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut take = buf.len().min(self.bytes_left);
        if self.lines_left == 0 {
            take = 0;
        } else if let Some((end, _)) = buf[..take]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(self.lines_left - 1)
        {
            take = end + 1;
        }
        self.out.write_all(&buf[..take])?;
        self.lines_left -= buf[..take].iter().filter(|b| **b == b'\n').count();
        self.bytes_left -= take;
        self.omitted += (buf.len() - take) as u64;
        if let Some(&b) = buf[..take].last() {
            self.last = b;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// What a bounded rendering left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omitted {
    /// Values not shown at all (strings, numbers, empty aggregates, at any depth).
    pub elements: u64,
    /// Bytes of a string that was cut short.
    pub bytes: u64,
    /// The output stopped because `Limits::stop` said so.
    pub stopped: bool,
}

impl Omitted {
    pub fn is_empty(&self) -> bool {
        self.elements == 0 && self.bytes == 0 && !self.stopped
    }
}

/// The line after a reply that was not shown whole: what is missing, how to see a part of it,
/// and how to get all of it (`url` reaches the same server and database from another process).
pub fn footer(args: &[Vec<u8>], omitted: &Omitted, url: &str) -> String {
    let mut missing = Vec::new();
    if omitted.elements > 0 {
        missing.push(format!(
            "{} more element{}",
            thousands(omitted.elements),
            if omitted.elements == 1 { "" } else { "s" }
        ));
    }
    if omitted.bytes > 0 {
        missing.push(format!(
            "{} more byte{}",
            thousands(omitted.bytes),
            if omitted.bytes == 1 { "" } else { "s" }
        ));
    }
    let missing = missing.join(" and ");
    if omitted.stopped {
        return if missing.is_empty() {
            "(interrupted)".to_string()
        } else {
            format!("(interrupted: {missing} not shown)")
        };
    }
    let command = crate::command::tokenize::join_args(args);
    // The command itself when it fits on a line with the rest; a placeholder otherwise.
    let command = if command.len() <= 60 {
        command
    } else {
        "CMD".to_string()
    };
    let everything = format!("redis-lab repl --url {url} --raw {command} > file");
    match part_hint(args, omitted.elements > 0) {
        Some(part) => {
            format!("(... {missing} not shown: use {part}, or {everything} for everything)")
        }
        None => format!("(... {missing} not shown: {everything} for everything)"),
    }
}

/// The command that reads a piece of what `args` read whole.
fn part_hint(args: &[Vec<u8>], elements: bool) -> Option<&'static str> {
    let name = crate::command::name(args)?;
    let hint = match name.as_str() {
        "GET" | "GETEX" | "GETDEL" | "GETSET" | "SUBSTR" | "GETRANGE" if !elements => {
            "GETRANGE key start end"
        }
        "LRANGE" => "LRANGE key start stop",
        "ZRANGE" | "ZREVRANGE" | "ZRANGEBYSCORE" | "ZREVRANGEBYSCORE" | "ZRANGEBYLEX"
        | "ZREVRANGEBYLEX" => "ZRANGE key start stop (or LIMIT offset count)",
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" => "SSCAN key cursor COUNT n",
        "HGETALL" | "HKEYS" | "HVALS" => "HSCAN key cursor COUNT n",
        "KEYS" => "SCAN cursor MATCH pattern COUNT n",
        "XRANGE" | "XREVRANGE" => "XRANGE key start end COUNT n",
        _ if elements => "a smaller range or a SCAN",
        _ => return None,
    };
    Some(hint)
}

/// 1234567 as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The human format redis-cli uses on a terminal, ending with a newline.
pub fn format_tty(reply: &Reply) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_tty(reply, Limits::NONE, &mut out);
    // Only our own ASCII escapes and the reply's Strings go in: always UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes a reply in the terminal format as it goes, within `limits`, and says what it left out.
/// The output always ends with a newline; nothing the size of the reply is built in memory.
pub fn write_tty(reply: &Reply, limits: Limits, out: &mut impl Write) -> io::Result<Omitted> {
    let mut tty = Tty::new(out, limits);
    tty.node(reply, "")?;
    tty.flush_newline()?;
    if tty.line_open {
        tty.out.write_all(b"\n")?;
    }
    Ok(tty.omitted)
}

/// The terminal format's budget of lines and bytes, and the writer that keeps it: shared by the
/// printer of whole replies (here) and the one that streams them (`render::stream`).
pub(super) struct Tty<'w, W: Write> {
    pub(super) out: &'w mut W,
    pub(super) lines_left: usize,
    pub(super) bytes_left: usize,
    pub(super) stop: fn() -> bool,
    /// A value's closing newline, held back because a map key's is replaced by ` => ` (redis-cli
    /// builds the key's text and then trims its newline).
    pub(super) newline_pending: bool,
    /// The budget ran out (or stop said so): from here on values are only counted.
    pub(super) cut: bool,
    /// Something is on the current line: a budget that runs out just after an element's index
    /// (`3) `) leaves it open, and the footer must still start on a line of its own.
    pub(super) line_open: bool,
    pub(super) omitted: Omitted,
}

impl<'w, W: Write> Tty<'w, W> {
    pub(super) fn new(out: &'w mut W, limits: Limits) -> Self {
        Tty {
            out,
            lines_left: limits.lines,
            bytes_left: limits.bytes,
            stop: limits.stop,
            newline_pending: false,
            cut: false,
            line_open: false,
            omitted: Omitted::default(),
        }
    }

    /// Whether the next value still gets shown; if not, from now on nothing is.
    pub(super) fn room(&mut self) -> bool {
        if !self.cut && (self.stop)() {
            self.omitted.stopped = true;
            self.cut = true;
        }
        if self.lines_left == 0 || self.bytes_left == 0 {
            self.cut = true;
        }
        !self.cut
    }

    pub(super) fn flush_newline(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.newline_pending) {
            self.out.write_all(b"\n")?;
            self.line_open = false;
        }
        Ok(())
    }

    /// Ends a value's line.
    pub(super) fn end_line(&mut self) {
        self.newline_pending = true;
        self.lines_left = self.lines_left.saturating_sub(1);
    }

    /// Framing (indexes, prefixes, type words): always written whole, it is short.
    pub(super) fn frame(&mut self, text: &[u8]) -> io::Result<()> {
        self.flush_newline()?;
        self.out.write_all(text)?;
        self.line_open |= !text.is_empty();
        self.bytes_left = self.bytes_left.saturating_sub(text.len());
        Ok(())
    }

    /// A reply's own text, cut (at a character boundary) where the byte budget ends, its control
    /// characters escaped (redis-cli would print them raw, and the terminal would act on them).
    pub(super) fn text(&mut self, text: &str, shape: Shape) -> io::Result<()> {
        self.flush_newline()?;
        let shown = text.floor_char_boundary(text.len().min(self.bytes_left));
        self.out
            .write_all(escape_controls(&text[..shown], shape).as_bytes())?;
        self.line_open |= shown > 0;
        self.bytes_left -= shown;
        if shown < text.len() {
            self.omitted.bytes += (text.len() - shown) as u64;
            self.cut = true;
        }
        Ok(())
    }

    /// A bulk string quoted like `sdscatrepr`, written in chunks; without its closing quote when
    /// it is cut, so it does not look complete.
    fn repr(&mut self, bytes: &[u8]) -> io::Result<()> {
        const CHUNK: usize = 16 * 1024;
        self.frame(b"\"")?;
        let mut buf = Vec::with_capacity(CHUNK + 4);
        let mut room = self.bytes_left;
        let mut shown = 0;
        for &b in bytes {
            let (escaped, len) = escape_byte(b);
            if len > room {
                break;
            }
            room -= len;
            buf.extend_from_slice(&escaped[..len]);
            shown += 1;
            if buf.len() >= CHUNK {
                self.out.write_all(&buf)?;
                buf.clear();
            }
        }
        self.out.write_all(&buf)?;
        self.bytes_left = room;
        if shown < bytes.len() {
            self.omitted.bytes += (bytes.len() - shown) as u64;
            self.cut = true;
            Ok(())
        } else {
            self.frame(b"\"")
        }
    }

    fn node(&mut self, reply: &Reply, prefix: &str) -> io::Result<()> {
        if !self.room() {
            self.omitted.elements += leaves(reply);
            return Ok(());
        }
        match reply {
            Reply::Error(e) => {
                self.frame(b"(error) ")?;
                self.text(e, Shape::Line)?;
            }
            Reply::Status(s) => self.text(s, Shape::Line)?,
            Reply::Int(i) => self.frame(format!("(integer) {i}").as_bytes())?,
            Reply::Double(d) => self.frame(format!("(double) {}", format_double(*d)).as_bytes())?,
            Reply::Bulk(b) => self.repr(b)?,
            Reply::Verbatim { text, .. } => self.text(text, Shape::Lines)?,
            Reply::Nil => self.frame(b"(nil)")?,
            Reply::Bool(b) => self.frame(if *b { b"(true)" } else { b"(false)" })?,
            Reply::BigNumber(n) => {
                self.frame(b"(big number) ")?;
                self.text(n, Shape::Line)?;
            }
            Reply::Array(items) => return self.aggregate(items, ')', "array", prefix),
            Reply::Set(items) => return self.aggregate(items, '~', "set", prefix),
            Reply::Push { data, .. } => return self.aggregate(data, ')', "push", prefix),
            Reply::Map(pairs) => return self.map(pairs, prefix),
        }
        self.end_line();
        Ok(())
    }

    fn aggregate(
        &mut self,
        items: &[Reply],
        sep: char,
        kind: &str,
        prefix: &str,
    ) -> io::Result<()> {
        if items.is_empty() {
            self.frame(format!("(empty {kind})").as_bytes())?;
            self.end_line();
            return Ok(());
        }
        let width = digits(items.len());
        let child_prefix = format!("{prefix}{}", " ".repeat(width + 2));
        for (i, item) in items.iter().enumerate() {
            if !self.room() {
                self.omitted.elements += items[i..].iter().map(leaves).sum::<u64>();
                return Ok(());
            }
            // The parent already printed this line's prefix before our first element.
            let lead = if i == 0 { "" } else { prefix };
            self.frame(format!("{lead}{:>width$}{sep} ", i + 1).as_bytes())?;
            self.node(item, &child_prefix)?;
        }
        Ok(())
    }

    fn map(&mut self, pairs: &[(Reply, Reply)], prefix: &str) -> io::Result<()> {
        if pairs.is_empty() {
            self.frame(b"(empty hash)")?;
            self.end_line();
            return Ok(());
        }
        let width = digits(pairs.len());
        let child_prefix = format!("{prefix}{}", " ".repeat(width + 2));
        for (i, (key, value)) in pairs.iter().enumerate() {
            if !self.room() {
                self.omitted.elements += pairs[i..]
                    .iter()
                    .map(|(k, v)| leaves(k) + leaves(v))
                    .sum::<u64>();
                return Ok(());
            }
            let lead = if i == 0 { "" } else { prefix };
            self.frame(format!("{lead}{:>width$}# ", i + 1).as_bytes())?;
            self.node(key, &child_prefix)?;
            if self.cut {
                self.omitted.elements += leaves(value);
                continue;
            }
            // The key's line goes on with its value: its newline is dropped, its line given back.
            self.newline_pending = false;
            self.lines_left = self.lines_left.saturating_add(1);
            self.frame(b" => ")?;
            // redis-cli starts a non-empty aggregate value on its own line, indented.
            if is_non_empty_aggregate(value) {
                self.frame(b"\n")?;
                self.lines_left = self.lines_left.saturating_sub(1);
                self.frame(child_prefix.as_bytes())?;
            }
            self.node(value, &child_prefix)?;
        }
        Ok(())
    }
}

/// How many values a reply would print, one line each: what the footer counts.
fn leaves(reply: &Reply) -> u64 {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. }
            if !items.is_empty() =>
        {
            items.iter().map(leaves).sum()
        }
        Reply::Map(pairs) if !pairs.is_empty() => {
            pairs.iter().map(|(k, v)| leaves(k) + leaves(v)).sum()
        }
        _ => 1,
    }
}

fn is_non_empty_aggregate(reply: &Reply) -> bool {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. } => {
            !items.is_empty()
        }
        Reply::Map(pairs) => !pairs.is_empty(),
        _ => false,
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

    /// redis-cli prints error and status replies raw, and the terminal acts on them (a Lua
    /// `redis.error_reply("\27]0;pwned\7")` retitles the window); here they are shown escaped.
    #[test]
    fn error_and_status_replies_show_control_characters_escaped() {
        assert_eq!(
            format_tty(&Reply::Error("ERR \x1b]0;pwned\x07 x".into())),
            "(error) ERR \\x1b]0;pwned\\a x\n"
        );
        assert_eq!(
            format_tty(&Reply::Status("\x1b[2J\u{9b}".into())),
            "\\x1b[2J\\xc2\\x9b\n"
        );
        assert_eq!(
            format_tty(&Reply::BigNumber("1\x1b[2J".into())),
            "(big number) 1\\x1b[2J\n"
        );
        let verbatim = Reply::Verbatim {
            format: "txt".into(),
            text: "a\r\n\tb\x1b[2J".into(),
        };
        assert_eq!(format_tty(&verbatim), "a\r\n\tb\\x1b[2J\n");
        let nested = Reply::Array(vec![Reply::Error("ERR \x1b[2J".into())]);
        assert_eq!(format_tty(&nested), "1) (error) ERR \\x1b[2J\n");
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

    fn bounded(reply: &Reply, lines: usize, bytes: usize) -> (String, Omitted) {
        let mut out = Vec::new();
        let limits = Limits {
            lines,
            bytes,
            stop: never,
        };
        let omitted = write_tty(reply, limits, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), omitted)
    }

    /// Found by the reply_renderer fuzz target: a byte budget that ran out just after an
    /// element's index left the line open, and the footer was printed on the same line.
    #[test]
    fn a_budget_that_ends_after_an_index_still_ends_the_line() {
        let reply = Reply::Set(vec![Reply::Nil, Reply::Nil, Reply::Nil]);
        let (text, omitted) = bounded(&reply, 13, 17);
        assert_eq!(text, "1~ (nil)\n2~ (nil)\n3~ \n");
        assert_eq!(omitted.elements, 1);
    }

    #[test]
    fn a_long_list_stops_at_the_line_budget_and_counts_the_rest() {
        let reply = Reply::Array((0..5000).map(Reply::Int).collect());
        let (text, omitted) = bounded(&reply, 3, usize::MAX);
        assert_eq!(
            text,
            "   1) (integer) 0\n   2) (integer) 1\n   3) (integer) 2\n"
        );
        assert_eq!(omitted.elements, 4997);
        assert_eq!(omitted.bytes, 0);
    }

    #[test]
    fn nested_values_count_toward_the_same_budget() {
        let inner = || Reply::Array(vec![bulk("a"), bulk("b"), Reply::Array(vec![])]);
        let reply = Reply::Array(vec![inner(), inner(), inner()]);
        let (text, omitted) = bounded(&reply, 4, usize::MAX);
        assert_eq!(
            text,
            "1) 1) \"a\"\n   2) \"b\"\n   3) (empty array)\n2) 1) \"a\"\n"
        );
        assert_eq!(omitted.elements, 5);
    }

    #[test]
    fn a_long_string_is_cut_without_its_closing_quote() {
        let reply = Reply::Bulk(b"ab\ncdefgh".to_vec());
        // The quote, then a, b and the two bytes of \n; c would not fit.
        let (text, omitted) = bounded(&reply, 100, 5);
        assert_eq!(text, "\"ab\\n\n");
        assert_eq!(omitted.bytes, 6);
        assert_eq!(omitted.elements, 0);
    }

    #[test]
    fn map_keys_share_their_line_with_values_within_a_budget() {
        let map = Reply::Map(
            (0..10)
                .map(|i| (bulk(&format!("f{i}")), Reply::Int(i)))
                .collect(),
        );
        let (text, omitted) = bounded(&map, 2, usize::MAX);
        assert_eq!(
            text,
            " 1# \"f0\" => (integer) 0\n 2# \"f1\" => (integer) 1\n"
        );
        assert_eq!(omitted.elements, 16);
    }

    #[test]
    fn a_stop_request_ends_the_output_between_elements() {
        fn now() -> bool {
            true
        }
        let reply = Reply::Array((0..10).map(Reply::Int).collect());
        let mut out = Vec::new();
        let omitted = write_tty(&reply, Limits::NONE.stopping_on(now), &mut out).unwrap();
        assert!(out.is_empty());
        assert!(omitted.stopped);
        assert_eq!(omitted.elements, 10);
    }

    #[test]
    fn unbounded_output_is_the_whole_reply() {
        let reply = Reply::Array((0..2000).map(Reply::Int).collect());
        let (text, omitted) = bounded(&reply, usize::MAX, usize::MAX);
        assert!(omitted.is_empty());
        assert_eq!(text.lines().count(), 2000);
        assert_eq!(text, format_tty(&reply));
    }

    #[test]
    fn footers_say_what_is_missing_and_how_to_get_it() {
        let args: Vec<Vec<u8>> = ["LRANGE", "biglist", "0", "-1"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        let omitted = Omitted {
            elements: 999_000,
            ..Omitted::default()
        };
        assert_eq!(
            footer(&args, &omitted, "redis://127.0.0.1:6379"),
            "(... 999,000 more elements not shown: use LRANGE key start stop, or redis-lab repl \
             --url redis://127.0.0.1:6379 --raw LRANGE biglist 0 -1 > file for everything)"
        );
        let get = vec![b"GET".to_vec(), b"big".to_vec()];
        let cut = Omitted {
            bytes: 104_791_040,
            ..Omitted::default()
        };
        assert!(
            footer(&get, &cut, "redis://h:1")
                .starts_with("(... 104,791,040 more bytes not shown: use GETRANGE key start end")
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn capped_text_stops_at_a_line_or_byte_budget() {
        let limits = |lines, bytes| Limits {
            lines,
            bytes,
            stop: never,
        };
        let mut out = Vec::new();
        let mut capped = Capped::new(&mut out, limits(2, 1000));
        capped.write_all(b"a\nb\nc\nd").unwrap();
        assert_eq!(capped.finish().unwrap().bytes, 3);
        assert_eq!(out, b"a\nb\n");
        let mut out = Vec::new();
        let mut capped = Capped::new(&mut out, limits(10, 3));
        capped.write_all(b"abcdef").unwrap();
        assert_eq!(capped.finish().unwrap().bytes, 3);
        assert_eq!(out, b"abc\n");
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
    // Writing to a Vec cannot fail.
    let _ = write_raw(reply, &mut out, never);
    out
}

/// The format redis-cli uses when stdout is not a terminal (its `cliFormatReplyRaw`), followed by
/// the newline redis-cli adds after every reply.
pub fn format_raw(reply: &Reply) -> Vec<u8> {
    let mut out = format_as_is(reply);
    out.push(b'\n');
    out
}

/// Writes a reply in redis-cli's raw format as it goes (without the newline after the reply).
/// `stop` is polled between elements; false when it stopped the output.
pub fn write_raw(reply: &Reply, out: &mut impl Write, stop: fn() -> bool) -> io::Result<bool> {
    match reply {
        Reply::Nil => {}
        // redis-cli ends an error with its own newline, then the one after every reply.
        Reply::Error(e) => {
            out.write_all(e.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Reply::Status(s) => out.write_all(s.as_bytes())?,
        Reply::Bulk(b) => out.write_all(b)?,
        Reply::Verbatim { text, .. } => out.write_all(text.as_bytes())?,
        Reply::Bool(b) => out.write_all(if *b { b"(true)" } else { b"(false)" })?,
        Reply::Int(i) => write!(out, "{i}")?,
        Reply::Double(d) => out.write_all(format_double(*d).as_bytes())?,
        Reply::BigNumber(n) => out.write_all(n.as_bytes())?,
        Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. } => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b"\n")?;
                }
                if stop() || !write_raw(item, out, stop)? {
                    return Ok(false);
                }
            }
        }
        Reply::Map(pairs) => {
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.write_all(b"\n")?;
                }
                if stop() || !write_raw(key, out, stop)? {
                    return Ok(false);
                }
                out.write_all(b" ")?;
                if !write_raw(value, out, stop)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
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
