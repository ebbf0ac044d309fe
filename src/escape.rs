//! Text from outside redis-lab (lesson packs, server replies, key names) on its way to a
//! terminal: control characters are shown escaped, the way redis-cli quotes values (`\x1b`,
//! `\a`, `\r`), so that only redis-lab's own colours ever reach the terminal. A lesson title
//! with an OSC sequence cannot retitle the window, an error reply cannot clear the screen.

use std::borrow::Cow;
use std::io::{self, Write};

/// What a text may keep of its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line (a title, a label, an error reply, a key name): every control character is
    /// escaped, `\n` and `\t` included.
    Line,
    /// Prose and text meant to span lines (explanations, snippets, INFO): `\n`, `\t` and a `\r`
    /// that ends a line (`\r\n`) stay as they are; every other control character is escaped.
    Lines,
}

/// Control characters of `text` escaped as redis-cli escapes bytes: C0 (but `\n`, `\t` and
/// `\r\n` in [`Shape::Lines`]), DEL and C1 (U+0080..U+009F, shown as their UTF-8 bytes, as
/// redis-cli would show them). ESC always. Everything else, backslashes and quotes included, is
/// left alone: this is not quoting, it keeps terminals safe. Borrowed when nothing needed it.
pub fn escape_controls(text: &str, shape: Shape) -> Cow<'_, str> {
    let mut chars = text.char_indices().peekable();
    let mut out: Option<String> = None;
    while let Some((i, c)) = chars.next() {
        let keep = match c {
            '\n' | '\t' => shape == Shape::Lines,
            '\r' => shape == Shape::Lines && chars.peek().is_some_and(|&(_, next)| next == '\n'),
            c => !is_control(c),
        };
        if keep {
            if let Some(out) = &mut out {
                out.push(c);
            }
            continue;
        }
        let out = out.get_or_insert_with(|| {
            let mut s = String::with_capacity(text.len() + 8);
            s.push_str(&text[..i]);
            s
        });
        let mut utf8 = [0; 4];
        for &b in c.encode_utf8(&mut utf8).as_bytes() {
            let (escaped, len) = escape_byte(b);
            // Every escape is ASCII.
            out.extend(escaped[..len].iter().map(|&e| char::from(e)));
        }
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// A C0 control, DEL or a C1 control: what a terminal may act on instead of showing.
fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}')
}

/// [`escape_controls`] for bytes that may not be UTF-8: the text parts go through it, bytes that
/// are not UTF-8 are shown as `\xHH` (a terminal set to an 8-bit charset would read some of them
/// as C1 controls).
pub fn escape_control_bytes(bytes: &[u8], shape: Shape) -> Cow<'_, [u8]> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return match escape_controls(text, shape) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(escape_controls(chunk.valid(), shape).as_bytes());
        for &b in chunk.invalid() {
            let (escaped, len) = escape_byte(b);
            out.extend_from_slice(&escaped[..len]);
        }
    }
    Cow::Owned(out)
}

/// A writer that passes everything through [`escape_control_bytes`]: for text printed as it is
/// (INFO, `--raw`) when it goes to a terminal. Each write is escaped on its own: a character
/// split between two writes is shown as its bytes, never passed through raw.
pub struct Escaping<W: Write> {
    out: W,
    shape: Shape,
}

impl<W: Write> Escaping<W> {
    pub fn new(out: W, shape: Shape) -> Self {
        Escaping { out, shape }
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write_all(&escape_control_bytes(buf, self.shape))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// redis-cli's `sdscatrepr`: a quoted string, non-printable bytes as `\xHH`.
pub fn repr_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        let (escaped, len) = escape_byte(b);
        // Every escape is ASCII.
        out.extend(escaped[..len].iter().map(|&c| c as char));
    }
    out.push('"');
    out
}

/// One byte as redis-cli's `sdscatrepr` writes it inside quotes.
pub fn escape_byte(b: u8) -> ([u8; 4], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'\\' => (*b"\\\\\0\0", 2),
        b'"' => (*b"\\\"\0\0", 2),
        b'\n' => (*b"\\n\0\0", 2),
        b'\r' => (*b"\\r\0\0", 2),
        b'\t' => (*b"\\t\0\0", 2),
        0x07 => (*b"\\a\0\0", 2),
        0x08 => (*b"\\b\0\0", 2),
        0x20..=0x7e => ([b, 0, 0, 0], 1),
        _ => (
            [
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ],
            4,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Shape::{Line, Lines};

    #[test]
    fn osc_and_csi_sequences_are_shown_escaped() {
        assert_eq!(
            escape_controls("ERR \x1b]0;pwned\x07 x", Line),
            "ERR \\x1b]0;pwned\\a x"
        );
        assert_eq!(escape_controls("\x1b[2J\x1b[H", Lines), "\\x1b[2J\\x1b[H");
        assert_eq!(escape_controls("a\x08b\x7fc\0", Line), "a\\bb\\x7fc\\x00");
    }

    #[test]
    fn c1_controls_are_escaped_as_their_bytes_and_other_unicode_is_kept() {
        // U+009B is a one-character CSI on terminals that honour C1.
        assert_eq!(escape_controls("\u{9b}2J", Line), "\\xc2\\x9b2J");
        assert_eq!(escape_controls("\u{85}", Line), "\\xc2\\x85");
        assert_eq!(
            escape_controls("café ✔ 🎉 \u{a0}", Line),
            "café ✔ 🎉 \u{a0}"
        );
    }

    #[test]
    fn prose_keeps_its_lines_and_tabs_a_line_does_not() {
        assert_eq!(escape_controls("a\n\tb\r\nc", Lines), "a\n\tb\r\nc");
        assert_eq!(escape_controls("a\rb\r", Lines), "a\\rb\\r");
        assert_eq!(escape_controls("a\n\tb\r\n", Line), "a\\n\\tb\\r\\n");
    }

    #[test]
    fn clean_text_is_borrowed_and_backslashes_and_quotes_are_left_alone() {
        let text = r#"SET "k" \x1b 'v'"#;
        assert!(matches!(escape_controls(text, Line), Cow::Borrowed(t) if t == text));
        // Escaping twice changes nothing more: the result has no control characters.
        let once = escape_controls("\x1b]8;;http://x\x1b\\link", Line).into_owned();
        assert_eq!(once, "\\x1b]8;;http://x\\x1b\\link");
        assert_eq!(escape_controls(&once, Line), once);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(
            escape_control_bytes(b"ok\x9b2J\xff\x1b[0m\n", Lines).as_ref(),
            b"ok\\x9b2J\\xff\\x1b[0m\n"
        );
        assert!(matches!(
            escape_control_bytes(b"plain\r\n", Lines),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn the_writer_escapes_every_write() {
        let mut out = Vec::new();
        let mut w = Escaping::new(&mut out, Lines);
        w.write_all(b"# Server\r\nname:\x1b]0;x\x07\r\n").unwrap();
        w.write_all(b"\xe2\x9c").unwrap(); // half a character
        assert_eq!(out, b"# Server\r\nname:\\x1b]0;x\\a\r\n\\xe2\\x9c");
    }
}
