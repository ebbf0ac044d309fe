//! Replies formatted while they are read: a [`Visitor`] of the RESP reader that writes redis-cli's
//! raw format (`write_raw`) or its terminal format (`write_tty`, within its [`Limits`]) straight
//! into the output, byte for byte what those write for the built [`Reply`], without building it
//! (issue 19). Only text that is printed whole after a transformation is held while it arrives:
//! a verbatim string or a blob error (both at most `max_bulk`), and a top-level error, which the
//! caller prints itself (in red, on a terminal) from [`Streamed::error`].
//!
//! [`Reply`]: crate::server::reply::Reply

use super::reply::{Limits, Omitted, Tty};
use crate::escape::{Shape, escape_byte};
use crate::server::reply::format_double;
use crate::server::resp::{AggregateKind, BulkKind, RespError, Scalar, Visitor};
use std::io::{self, Write};

/// Which of redis-cli's formats.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// `cliFormatReplyRaw`, without the newline printed after every reply.
    Raw,
    /// `cliFormatReplyTTY`, within the limits, ending with a newline.
    Tty(Limits),
}

/// What became of one reply once it has been read.
#[derive(Debug, Default)]
pub struct Streamed {
    /// The reply was an error: nothing was written, the caller prints it.
    pub error: Option<String>,
    /// The reply was a push message (client tracking): nothing was written, it is not a reply.
    pub push: bool,
    /// What the terminal format left out (always empty in the raw format).
    pub omitted: Omitted,
}

/// An aggregate being written.
struct Frame {
    kind: AggregateKind,
    /// The next element's index (for a map, the next pair's).
    next: usize,
    /// A map's next value is a key.
    key_next: bool,
    /// A push's first element, its kind, is still to come (it is never shown).
    kind_next: bool,
    width: usize,
    /// The indentation of this aggregate's second and later lines, and of its children's.
    prefix: String,
    child_prefix: String,
}

/// A payload being written.
enum Bulk {
    /// A bulk string, quoted (terminal) or as it is (raw); `left` bytes still to come.
    Direct { left: usize, cut: bool },
    /// Verbatim strings and blob errors, shown once whole.
    Held(BulkKind, Vec<u8>),
    /// A push's kind, or what is not shown.
    Dropped,
}

/// Writes one reply as its events arrive. Make a new one for each reply.
pub struct StreamWriter<'w, W: Write> {
    /// The output and the terminal format's budget, kept as `render::reply` keeps them.
    tty: Tty<'w, W>,
    format: Format,
    frames: Vec<Frame>,
    bulk: Option<Bulk>,
    /// Output failed: the error, kept for the caller (the reader only sees that it stopped).
    failed: Option<io::Error>,
    result: Streamed,
    /// Inside a top-level push message, which is read and dropped.
    in_push: usize,
    /// The raw format stopped on request (`Limits::stop`).
    stopped: bool,
}

impl<'w, W: Write> StreamWriter<'w, W> {
    pub fn new(out: &'w mut W, format: Format) -> Self {
        let limits = match format {
            Format::Tty(limits) => limits,
            Format::Raw => Limits::NONE,
        };
        StreamWriter {
            tty: Tty::new(out, limits),
            format,
            frames: Vec::new(),
            bulk: None,
            failed: None,
            result: Streamed::default(),
            in_push: 0,
            stopped: false,
        }
    }

    /// Like [`Self::new`], polling `stop` between elements (Ctrl-C).
    pub fn stopping_on(mut self, stop: fn() -> bool) -> Self {
        self.tty.stop = stop;
        self
    }

    /// The output error that stopped the reading, if one did.
    pub fn take_output_error(&mut self) -> Option<io::Error> {
        self.failed.take()
    }

    /// Ends the reply's output (the terminal format's last newline) and says what it was.
    pub fn finish(mut self) -> io::Result<Streamed> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.result.error.is_none() && !self.result.push && self.is_tty() {
            self.tty.flush_newline()?;
            if self.tty.line_open {
                self.tty.out.write_all(b"\n")?;
            }
        }
        self.result.omitted = std::mem::take(&mut self.tty.omitted);
        Ok(self.result)
    }

    fn is_tty(&self) -> bool {
        matches!(self.format, Format::Tty(_))
    }

    /// Turns an output error into a stop of the reading, keeping the error.
    fn guard<T>(&mut self, result: io::Result<T>) -> Result<T, RespError> {
        result.map_err(|e| {
            let shown = RespError::Io(io::Error::new(e.kind(), e.to_string()));
            self.failed = Some(e);
            shown
        })
    }

    // --- The terminal format, on `render::reply::Tty`'s budget ---

    /// What comes before a value in the terminal format (its index, ` => `), and whether the
    /// value itself is shown; a value not shown is counted (a leaf) or has its leaves counted.
    fn tty_start(&mut self, aggregate_with_values: bool) -> io::Result<bool> {
        let Some(parent) = self.frames.last_mut() else {
            return Ok(self.tty.room());
        };
        if parent.kind == AggregateKind::Map && !parent.key_next {
            parent.key_next = true;
            let child_prefix = parent.child_prefix.clone();
            if self.tty.cut {
                return Ok(false);
            }
            // The key's line goes on with its value: its newline is dropped, its line given back.
            self.tty.newline_pending = false;
            self.tty.lines_left = self.tty.lines_left.saturating_add(1);
            self.tty.frame(b" => ")?;
            if aggregate_with_values {
                self.tty.frame(b"\n")?;
                self.tty.lines_left = self.tty.lines_left.saturating_sub(1);
                self.tty.frame(child_prefix.as_bytes())?;
            }
            return Ok(self.tty.room());
        }
        let i = parent.next;
        parent.next += 1;
        let sep = match parent.kind {
            AggregateKind::Map => {
                parent.key_next = false;
                b'#'
            }
            AggregateKind::Set => b'~',
            AggregateKind::Array | AggregateKind::Push => b')',
        };
        let lead = if i == 0 { "" } else { parent.prefix.as_str() };
        let index = format!(
            "{lead}{:>width$}{} ",
            i + 1,
            sep as char,
            width = parent.width
        );
        if !self.tty.room() {
            return Ok(false);
        }
        self.tty.frame(index.as_bytes())?;
        Ok(self.tty.room())
    }

    fn tty_scalar(&mut self, value: Scalar<'_>) -> io::Result<()> {
        match value {
            Scalar::Error(e) => {
                self.tty.frame(b"(error) ")?;
                self.tty.text(e, Shape::Line)?;
            }
            Scalar::Status(s) => self.tty.text(s, Shape::Line)?,
            Scalar::Int(i) => self.tty.frame(format!("(integer) {i}").as_bytes())?,
            Scalar::Double(d) => self
                .tty
                .frame(format!("(double) {}", format_double(d)).as_bytes())?,
            Scalar::Nil => self.tty.frame(b"(nil)")?,
            Scalar::Bool(b) => self.tty.frame(if b { b"(true)" } else { b"(false)" })?,
            Scalar::BigNumber(n) => {
                self.tty.frame(b"(big number) ")?;
                self.tty.text(n, Shape::Line)?;
            }
        }
        self.tty.end_line();
        Ok(())
    }

    /// A chunk of a quoted string, cut where the byte budget ends (as `Tty::repr`).
    fn tty_repr_chunk(&mut self, chunk: &[u8], left: &mut usize, cut: &mut bool) -> io::Result<()> {
        if *cut {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(chunk.len() + chunk.len() / 4 + 4);
        let mut room = self.tty.bytes_left;
        let mut shown = 0;
        for &b in chunk {
            let (escaped, len) = escape_byte(b);
            if len > room {
                break;
            }
            room -= len;
            buf.extend_from_slice(&escaped[..len]);
            shown += 1;
        }
        self.tty.out.write_all(&buf)?;
        self.tty.bytes_left = room;
        *left -= shown;
        if shown < chunk.len() {
            *cut = true;
            self.tty.cut = true;
        }
        Ok(())
    }

    // --- The raw format, as `render::reply::write_raw` ---

    /// The separator before a value inside an aggregate; false once the output has stopped.
    fn raw_start(&mut self) -> io::Result<bool> {
        if self.stopped {
            return Ok(false);
        }
        let Some(parent) = self.frames.last_mut() else {
            return Ok(true);
        };
        if parent.kind == AggregateKind::Map && !parent.key_next {
            parent.key_next = true;
            self.tty.out.write_all(b" ")?;
            return Ok(true);
        }
        let i = parent.next;
        parent.next += 1;
        if parent.kind == AggregateKind::Map {
            parent.key_next = false;
        }
        if i > 0 {
            self.tty.out.write_all(b"\n")?;
        }
        // write_raw asks before each element, and before a map's key but not its value.
        if (self.tty.stop)() {
            self.stopped = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn raw_scalar(&mut self, value: Scalar<'_>) -> io::Result<()> {
        match value {
            Scalar::Nil => Ok(()),
            Scalar::Error(e) => {
                self.tty.out.write_all(e.as_bytes())?;
                self.tty.out.write_all(b"\n")
            }
            Scalar::Status(s) | Scalar::BigNumber(s) => self.tty.out.write_all(s.as_bytes()),
            Scalar::Bool(b) => self
                .tty
                .out
                .write_all(if b { b"(true)" } else { b"(false)" }),
            Scalar::Int(i) => write!(self.tty.out, "{i}"),
            Scalar::Double(d) => self.tty.out.write_all(format_double(d).as_bytes()),
        }
    }

    // --- Both ---

    /// Whether the value about to start is inside a push's kind (never shown).
    fn is_push_kind(&mut self) -> bool {
        match self.frames.last_mut() {
            Some(parent) if parent.kind_next => {
                parent.kind_next = false;
                true
            }
            _ => false,
        }
    }

    /// Before a value: true when it is to be written.
    fn start(&mut self, aggregate_with_values: bool) -> io::Result<bool> {
        if self.in_push > 0 || self.is_push_kind() {
            return Ok(false);
        }
        if self.is_tty() {
            let shown = self.tty_start(aggregate_with_values)?;
            if !shown && !aggregate_with_values {
                self.tty.omitted.elements += 1;
            }
            Ok(shown)
        } else {
            self.raw_start()
        }
    }

    fn held_text(&mut self, kind: BulkKind, bytes: Vec<u8>) -> io::Result<()> {
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        match kind {
            BulkKind::Verbatim => {
                // `txt:hello`: the format before the first colon is not shown.
                let shown = text.split_once(':').map_or("", |(_, rest)| rest);
                if self.is_tty() {
                    self.tty.text(shown, Shape::Lines)?;
                    self.tty.end_line();
                    Ok(())
                } else {
                    self.tty.out.write_all(shown.as_bytes())
                }
            }
            _ if self.frames.is_empty() => {
                self.result.error = Some(text);
                Ok(())
            }
            _ if self.is_tty() => self.tty_scalar(Scalar::Error(&text)),
            _ => self.raw_scalar(Scalar::Error(&text)),
        }
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

impl<W: Write> Visitor for StreamWriter<'_, W> {
    fn scalar(&mut self, value: Scalar<'_>) -> Result<(), RespError> {
        if let (Scalar::Error(e), true) = (value, self.frames.is_empty() && self.in_push == 0) {
            self.result.error = Some(e.to_string());
            return Ok(());
        }
        let started = self.start(false);
        let written = match started {
            Ok(true) if self.is_tty() => self.tty_scalar(value),
            Ok(true) => self.raw_scalar(value),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        };
        self.guard(written)
    }

    fn begin_aggregate(&mut self, kind: AggregateKind, len: usize) -> Result<(), RespError> {
        if self.in_push > 0 || (kind == AggregateKind::Push && self.frames.is_empty()) {
            // A top-level push is not a reply (client tracking): read, dropped.
            self.in_push += 1;
            self.result.push = true;
            return Ok(());
        }
        let shown_len = if kind == AggregateKind::Push {
            len.saturating_sub(1)
        } else {
            len
        };
        let started = self.start(shown_len > 0);
        let shown = self.guard(started)?;
        let prefix = match self.frames.last() {
            Some(parent) => parent.child_prefix.clone(),
            None => String::new(),
        };
        let width = digits(shown_len);
        if shown_len == 0 && shown && self.is_tty() {
            let empty: &[u8] = match kind {
                AggregateKind::Array => b"(empty array)",
                AggregateKind::Set => b"(empty set)",
                AggregateKind::Push => b"(empty push)",
                AggregateKind::Map => b"(empty hash)",
            };
            let written = self.tty.frame(empty).map(|()| self.tty.end_line());
            self.guard(written)?;
        }
        self.frames.push(Frame {
            kind,
            next: 0,
            key_next: true,
            kind_next: kind == AggregateKind::Push,
            width,
            child_prefix: format!("{prefix}{}", " ".repeat(width + 2)),
            prefix,
        });
        Ok(())
    }

    fn end_aggregate(&mut self, _kind: AggregateKind) -> Result<(), RespError> {
        if self.in_push > 0 {
            self.in_push -= 1;
            return Ok(());
        }
        self.frames.pop();
        Ok(())
    }

    fn begin_bulk(&mut self, kind: BulkKind, len: usize) -> Result<(), RespError> {
        if kind == BulkKind::Error && self.frames.is_empty() && self.in_push == 0 {
            self.bulk = Some(Bulk::Held(kind, Vec::new()));
            return Ok(());
        }
        let started = self.start(false);
        let shown = self.guard(started)?;
        self.bulk = Some(match kind {
            _ if !shown => Bulk::Dropped,
            BulkKind::String => {
                if self.is_tty() {
                    let opened = self.tty.frame(b"\"");
                    self.guard(opened)?;
                }
                Bulk::Direct {
                    left: len,
                    cut: false,
                }
            }
            _ => Bulk::Held(kind, Vec::new()),
        });
        Ok(())
    }

    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError> {
        let written = match self.bulk.take() {
            Some(Bulk::Direct { mut left, mut cut }) => {
                let written = if self.is_tty() {
                    self.tty_repr_chunk(chunk, &mut left, &mut cut)
                } else {
                    left -= chunk.len();
                    self.tty.out.write_all(chunk)
                };
                self.bulk = Some(Bulk::Direct { left, cut });
                written
            }
            Some(Bulk::Held(kind, mut bytes)) => {
                bytes.extend_from_slice(chunk);
                self.bulk = Some(Bulk::Held(kind, bytes));
                Ok(())
            }
            other => {
                self.bulk = other;
                Ok(())
            }
        };
        self.guard(written)
    }

    fn end_bulk(&mut self, _kind: BulkKind) -> Result<(), RespError> {
        let written = match self.bulk.take() {
            Some(Bulk::Direct { left, cut }) if self.is_tty() => {
                if cut {
                    self.tty.omitted.bytes += left as u64;
                    Ok(())
                } else {
                    self.tty.frame(b"\"").map(|()| self.tty.end_line())
                }
            }
            Some(Bulk::Held(kind, bytes)) => self.held_text(kind, bytes),
            _ => Ok(()),
        };
        self.guard(written)
    }
}

#[cfg(test)]
mod tests;
