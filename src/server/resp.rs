//! Reading replies ourselves: a RESP2 and RESP3 reader with a bound on everything a server
//! declares, that can also hand a reply over piece by piece.
//!
//! redis-rs's parser trusts the lengths it is sent: `$999999999999` followed by endless bytes
//! makes it buffer until the allocator aborts (issue 15 item 3). Here no declared length is
//! allocated up front, memory grows only as data arrives, and every length, count and depth is
//! checked against [`Limits`] before anything is read. The core ([`read_events`]) reports a
//! reply as events, and bulk payloads in chunks of at most [`CHUNK`] bytes, so a caller that
//! writes them out as they come never holds a whole reply (issue 19); [`read_reply`] builds a
//! [`Reply`] from the same events.
//!
//! The `Reply` built is the one `Reply::from(redis::Value)` gives for the same bytes, with two
//! deliberate differences: a push message whose kind is the simple string `+OK` is read (redis-rs
//! turns `+OK` into `Value::Okay` first and then refuses it as a kind), and replies may nest 128
//! levels deep by default where redis-rs stops at 100.

use crate::server::reply::Reply;
use std::io::{self, BufRead};
use thiserror::Error;

mod build;
mod fast;
use build::Builder;

/// The most bytes of a bulk payload handed to a visitor at once.
pub const CHUNK: usize = 64 * 1024;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// What one reply may declare, and what [`read_reply`] may keep of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest string (bulk, blob error, verbatim) and the longest line (simple string,
    /// error line, number): Redis's own `proto-max-bulk-len` default is 512 MiB.
    pub max_bulk: usize,
    /// The most elements one array, set or push message declares (pairs for a map).
    pub max_elements: usize,
    /// How deeply aggregates may nest; the reader keeps one small frame per level.
    pub max_depth: usize,
    /// The most memory [`read_reply`] keeps for one reply: payloads plus one `Reply` per value.
    pub max_total: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_bulk: 512 * MIB,
        // Redis itself refuses a request of more than INT_MAX arguments.
        max_elements: i32::MAX as usize,
        max_depth: 128,
        max_total: GIB,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

#[derive(Debug, Error)]
pub enum RespError {
    /// The reply declares (or adds up to) more than a limit allows.
    #[error("the server sent {what}; redis-lab reads at most {limit}")]
    TooBig { what: String, limit: String },
    /// The bytes are not RESP: what was expected and what came instead.
    #[error("the server's answer is not in the Redis protocol: {0}")]
    Malformed(String),
    /// Reading failed; timeouts keep their kind (`WouldBlock` or `TimedOut`), a closed
    /// connection is `UnexpectedEof`.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl RespError {
    /// A read timeout fired (a socket read timeout gives `WouldBlock` or `TimedOut`).
    pub fn is_timeout(&self) -> bool {
        matches!(self, RespError::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
    }

    /// The server closed the connection (before or in the middle of a reply).
    pub fn is_closed(&self) -> bool {
        matches!(self, RespError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof)
    }
}

/// Aggregates, as reported to a [`Visitor`]. Attributes (`|`) are read and dropped, as redis-rs
/// drops them, so they never show up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateKind {
    Array,
    Set,
    /// `len` counts pairs: twice as many values follow, key then value.
    Map,
    /// Its first element is the push's kind (`message`, `subscribe`, ...).
    Push,
}

/// Payloads read in chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    /// `$`: a bulk string.
    String,
    /// `!`: a blob error, the text of an error reply.
    Error,
    /// `=`: a verbatim string; its payload starts with the format and a colon (`txt:`).
    Verbatim,
}

/// Values that fit on one line. `Nil` also stands for `$-1`, `*-1` and `~-1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Nil,
    Int(i64),
    Double(f64),
    Bool(bool),
    Status(&'a str),
    Error(&'a str),
    BigNumber(&'a str),
}

/// Receives one reply as it is read. An error from any method stops the reading and is
/// returned by [`read_events`] (the rest of the reply is then left unread).
pub trait Visitor {
    fn scalar(&mut self, value: Scalar<'_>) -> Result<(), RespError>;
    /// `len` elements follow (pairs for a map), then [`Visitor::end_aggregate`].
    fn begin_aggregate(&mut self, kind: AggregateKind, len: usize) -> Result<(), RespError>;
    fn end_aggregate(&mut self, kind: AggregateKind) -> Result<(), RespError>;
    /// `len` bytes follow in chunks of at most [`CHUNK`] bytes, then [`Visitor::end_bulk`].
    fn begin_bulk(&mut self, kind: BulkKind, len: usize) -> Result<(), RespError>;
    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError>;
    fn end_bulk(&mut self, kind: BulkKind) -> Result<(), RespError>;
}

/// Reads exactly one reply from `reader` and reports it to `visitor`.
///
/// The reading is iterative (one small frame per nesting level, at most `max_depth`), so
/// hostile nesting cannot overflow the stack.
pub fn read_events<R, V>(reader: &mut R, limits: &Limits, visitor: &mut V) -> Result<(), RespError>
where
    R: BufRead + ?Sized,
    V: Visitor + ?Sized,
{
    let mut core = Core {
        reader,
        limits,
        line: Vec::new(),
    };
    let mut open: Vec<Frame> = Vec::new();
    loop {
        if open.len() >= limits.max_depth {
            return Err(too_deep(limits));
        }
        let place = Place {
            shown: open.last().is_none_or(Frame::shows_next),
            started: !open.is_empty(),
            push_kind: open.last_mut().is_some_and(Frame::take_kind_next),
        };
        if let Some(frame) = core.value(visitor, place)? {
            open.push(frame);
            continue;
        }
        if close_finished(&mut open, visitor)? {
            return Ok(());
        }
    }
}

/// Reads exactly one reply and builds it, keeping at most `limits.max_total` bytes of it.
pub fn read_reply<R: BufRead + ?Sized>(
    reader: &mut R,
    limits: &Limits,
) -> Result<Reply, RespError> {
    let mut builder = Builder::new(limits);
    read_events(reader, limits, &mut builder)?;
    builder.finish()
}

/// An aggregate being read: how many values it still waits for.
struct Frame {
    /// None for an attribute, which is never reported.
    kind: Option<AggregateKind>,
    left: usize,
    /// Whether the visitor sees this aggregate (not when it sits inside an attribute).
    shown: bool,
    /// A push message whose first element, its kind, is still to come.
    kind_next: bool,
}

/// Where the value about to be read sits.
#[derive(Clone, Copy)]
struct Place {
    shown: bool,
    /// Inside an aggregate, so a close now is in the middle of a reply.
    started: bool,
    /// The first element of a push: it must be a string.
    push_kind: bool,
}

impl Frame {
    fn new(kind: Option<AggregateKind>, left: usize, shown: bool) -> Frame {
        Frame {
            kind,
            left,
            shown,
            kind_next: kind == Some(AggregateKind::Push),
        }
    }

    fn take_kind_next(&mut self) -> bool {
        std::mem::take(&mut self.kind_next)
    }

    /// An attribute's key-value pairs are dropped; the value after them is the reply.
    fn shows_next(&self) -> bool {
        self.shown && !(self.kind.is_none() && self.left > 1)
    }
}

/// One value has been read: counts it against the aggregates it completes, reports their ends,
/// and says whether the whole reply is done.
fn close_finished<V: Visitor + ?Sized>(
    open: &mut Vec<Frame>,
    visitor: &mut V,
) -> Result<bool, RespError> {
    while let Some(top) = open.last_mut() {
        top.left -= 1;
        if top.left > 0 {
            return Ok(false);
        }
        if let Some(Frame {
            kind: Some(kind),
            shown: true,
            ..
        }) = open.pop()
        {
            visitor.end_aggregate(kind)?;
        }
    }
    Ok(true)
}

struct Core<'a, R: ?Sized> {
    reader: &'a mut R,
    limits: &'a Limits,
    /// The current line, without its CRLF; reused from value to value.
    line: Vec<u8>,
}

impl<R: BufRead + ?Sized> Core<'_, R> {
    /// Reads one value's type and line; scalars and bulks are reported whole, an aggregate
    /// with elements comes back as a frame to fill.
    fn value<V: Visitor + ?Sized>(
        &mut self,
        visitor: &mut V,
        value: Place,
    ) -> Result<Option<Frame>, RespError> {
        if let fast::Fast::Read(frame) = self.fast_value(visitor, value)? {
            return Ok(frame);
        }
        let kind = self.type_byte(value.started)?;
        if !b"+-:$*_,#!=(%~>|".contains(&kind) {
            return Err(unexpected_type(kind));
        }
        // redis-rs refuses a push whose first element is not a string (its kind), even inside
        // an attribute it drops: so do we, wherever it is.
        if value.push_kind && kind != b'+' && kind != b'$' {
            return Err(RespError::Malformed(not_a_push_kind(value_name(kind))));
        }
        let shown = value.shown;
        self.read_line(kind)?;
        match kind {
            b'+' | b'-' | b'(' | b'_' => {
                let text = self.text(kind)?;
                let value = match kind {
                    b'+' => Scalar::Status(text),
                    b'-' => Scalar::Error(text),
                    b'(' => Scalar::BigNumber(text),
                    _ => Scalar::Nil,
                };
                report(visitor, shown, value)?;
            }
            b':' => {
                let n = self.integer(kind)?;
                report(visitor, shown, Scalar::Int(n))?;
            }
            b',' => {
                let d = self.double()?;
                report(visitor, shown, Scalar::Double(d))?;
            }
            b'#' => {
                let b = self.boolean()?;
                report(visitor, shown, Scalar::Bool(b))?;
            }
            b'$' | b'!' | b'=' => {
                let len = self.integer(kind)?;
                self.bulk(kind, len, visitor, value)?;
            }
            _ => {
                let len = self.integer(kind)?;
                return self.aggregate(kind, len, visitor, shown);
            }
        }
        Ok(None)
    }

    fn type_byte(&mut self, started: bool) -> Result<u8, RespError> {
        let byte = if started {
            self.next_byte()?
        } else {
            // Nothing of this reply read yet: a close now is between replies.
            match read_byte(self.reader)? {
                Some(byte) => byte,
                None => return Err(closed("the server closed the connection")),
            }
        };
        Ok(byte)
    }

    fn next_byte(&mut self) -> Result<u8, RespError> {
        read_byte(self.reader)?.ok_or_else(closed_mid_reply)
    }

    /// Reads up to the next CRLF into `self.line`, never keeping more than `max_bulk` bytes.
    fn read_line(&mut self, kind: u8) -> Result<(), RespError> {
        self.line.clear();
        let max = self.limits.max_bulk;
        loop {
            let available = fill(self.reader)?;
            let buf = self.reader.fill_buf()?;
            let (take, ends) = match buf[..available].iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available, false),
            };
            // Two more bytes for the CRLF that is not content.
            if self.line.len() + take > max.saturating_add(2) {
                return Err(RespError::TooBig {
                    what: format!("{} longer than {}", line_name(kind), size(max as u64)),
                    limit: size(max as u64),
                });
            }
            self.line.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            if ends && self.line.ends_with(b"\r\n") {
                self.line.truncate(self.line.len() - 2);
                return Ok(());
            }
        }
    }

    /// The line as text: redis-rs refuses lines that are not UTF-8, and so do we.
    fn text(&self, kind: u8) -> Result<&str, RespError> {
        std::str::from_utf8(&self.line).map_err(|_| {
            RespError::Malformed(format!(
                "{} that is not UTF-8: {}",
                line_name(kind),
                quoted(&self.line)
            ))
        })
    }

    /// A number as redis-rs reads one: surrounding white space allowed, a sign allowed.
    fn integer(&self, kind: u8) -> Result<i64, RespError> {
        let expected = || {
            RespError::Malformed(format!(
                "expected a number after '{}', got {}",
                kind as char,
                quoted(&self.line)
            ))
        };
        let text = self.text(kind).map_err(|_| expected())?;
        text.trim().parse().map_err(|_| expected())
    }

    fn double(&self) -> Result<f64, RespError> {
        let expected = || {
            RespError::Malformed(format!(
                "expected a double after ',', got {}",
                quoted(&self.line)
            ))
        };
        let text = self.text(b',').map_err(|_| expected())?;
        text.trim().parse().map_err(|_| expected())
    }

    fn boolean(&self) -> Result<bool, RespError> {
        match self.line.as_slice() {
            b"t" => Ok(true),
            b"f" => Ok(false),
            other => Err(RespError::Malformed(format!(
                "expected t or f after '#', got {}",
                quoted(other)
            ))),
        }
    }

    /// Streams a payload of `len` bytes to the visitor in chunks, then its CRLF.
    fn bulk<V: Visitor + ?Sized>(
        &mut self,
        kind: u8,
        len: i64,
        visitor: &mut V,
        value: Place,
    ) -> Result<(), RespError> {
        let bulk = match kind {
            b'$' => BulkKind::String,
            b'!' => BulkKind::Error,
            _ => BulkKind::Verbatim,
        };
        if len < 0 {
            if bulk == BulkKind::String && !value.push_kind {
                return report(visitor, value.shown, Scalar::Nil);
            }
            return Err(RespError::Malformed(if value.push_kind {
                not_a_push_kind("a null")
            } else {
                format!("{} of negative length ({len})", bulk_name(bulk))
            }));
        }
        let max = self.limits.max_bulk;
        if len as u64 > max as u64 {
            return Err(RespError::TooBig {
                what: format!("{} of {}", bulk_name(bulk), size(len as u64)),
                limit: size(max as u64),
            });
        }
        let len = len as usize;
        if value.shown {
            visitor.begin_bulk(bulk, len)?;
        }
        let mut check = PayloadCheck::new(bulk, value.push_kind);
        let mut left = len;
        while left > 0 {
            let available = fill(self.reader)?;
            let n = available.min(left).min(CHUNK);
            let chunk = &self.reader.fill_buf()?[..n];
            check.feed(chunk);
            if value.shown {
                visitor.bulk_chunk(chunk)?;
            }
            self.reader.consume(n);
            left -= n;
        }
        self.crlf_after(bulk, len)?;
        check.finish()?;
        if value.shown {
            visitor.end_bulk(bulk)?;
        }
        Ok(())
    }

    fn crlf_after(&mut self, bulk: BulkKind, len: usize) -> Result<(), RespError> {
        for expected in [b'\r', b'\n'] {
            let byte = self.next_byte()?;
            if byte != expected {
                return Err(RespError::Malformed(format!(
                    "expected \\r\\n after {} of {len} bytes, got {}",
                    bulk_name(bulk),
                    show_byte(byte)
                )));
            }
        }
        Ok(())
    }

    /// Checks an aggregate's declared length and opens a frame for its values (none when it
    /// is empty or nil, which are complete already).
    fn aggregate<V: Visitor + ?Sized>(
        &mut self,
        kind: u8,
        len: i64,
        visitor: &mut V,
        shown: bool,
    ) -> Result<Option<Frame>, RespError> {
        let aggregate = match kind {
            b'*' => Some(AggregateKind::Array),
            b'~' => Some(AggregateKind::Set),
            b'%' => Some(AggregateKind::Map),
            b'>' => Some(AggregateKind::Push),
            _ => None,
        };
        if len < 0 {
            return match aggregate {
                Some(AggregateKind::Array | AggregateKind::Set) => {
                    report(visitor, shown, Scalar::Nil).map(|()| None)
                }
                // redis-rs reads a push of no length as an empty push with an empty kind.
                Some(AggregateKind::Push) => empty(visitor, shown, AggregateKind::Push),
                _ => Err(RespError::Malformed(format!(
                    "{} of negative length ({len})",
                    aggregate_name(kind)
                ))),
            };
        }
        let max = self.limits.max_elements;
        if len as u64 > max as u64 {
            let unit = if matches!(kind, b'%' | b'|') {
                "pairs"
            } else {
                "elements"
            };
            return Err(RespError::TooBig {
                what: format!("{} of {len} {unit}", aggregate_name(kind)),
                limit: format!("{max} {unit}"),
            });
        }
        let len = len as usize;
        // At most 2^31 pairs on a 64-bit usize: the doubling cannot overflow there, and a
        // 32-bit target that overflows has no room for such a reply anyway.
        let values = match kind {
            b'%' => len.checked_mul(2),
            b'|' => len.checked_mul(2).and_then(|n| n.checked_add(1)),
            _ => Some(len),
        }
        .ok_or_else(|| RespError::TooBig {
            what: format!("{} of {len} pairs", aggregate_name(kind)),
            limit: format!("{} pairs", usize::MAX / 2 - 1),
        })?;
        let Some(aggregate) = aggregate else {
            return Ok(Some(Frame::new(None, values, shown)));
        };
        if values == 0 {
            return empty(visitor, shown, aggregate);
        }
        if shown {
            visitor.begin_aggregate(aggregate, len)?;
        }
        Ok(Some(Frame::new(Some(aggregate), values, shown)))
    }
}

fn report<V: Visitor + ?Sized>(
    visitor: &mut V,
    shown: bool,
    value: Scalar<'_>,
) -> Result<(), RespError> {
    if shown { visitor.scalar(value) } else { Ok(()) }
}

fn empty<V: Visitor + ?Sized>(
    visitor: &mut V,
    shown: bool,
    kind: AggregateKind,
) -> Result<Option<Frame>, RespError> {
    if shown {
        visitor.begin_aggregate(kind, 0)?;
        visitor.end_aggregate(kind)?;
    }
    Ok(None)
}

/// Waits for at least one byte in the reader's buffer and says how many there are.
fn fill<R: BufRead + ?Sized>(reader: &mut R) -> Result<usize, RespError> {
    loop {
        match reader.fill_buf() {
            Ok([]) => return Err(closed_mid_reply()),
            Ok(buf) => return Ok(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The next byte, or None at the end of the stream.
fn read_byte<R: BufRead + ?Sized>(reader: &mut R) -> io::Result<Option<u8>> {
    loop {
        match reader.fill_buf() {
            Ok([]) => return Ok(None),
            Ok([byte, ..]) => {
                let byte = *byte;
                reader.consume(1);
                return Ok(Some(byte));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn closed(message: &str) -> RespError {
    RespError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, message))
}

fn closed_mid_reply() -> RespError {
    closed("the server closed the connection in the middle of a reply")
}

fn too_deep(limits: &Limits) -> RespError {
    RespError::TooBig {
        what: format!("a reply nested more than {} levels deep", limits.max_depth),
        limit: format!("{} levels", limits.max_depth),
    }
}

fn unexpected_type(byte: u8) -> RespError {
    let hint = match byte {
        b'H' => " (is this an HTTP server?)",
        // A TLS record: a handshake or an alert.
        0x15 | 0x16 => " (is this a TLS port? use a rediss:// URL)",
        _ => "",
    };
    RespError::Malformed(format!(
        "expected a reply type, got {}{hint}",
        show_byte(byte)
    ))
}

fn show_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() || byte == b' ' {
        format!("'{}'", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}

/// A line as it can be shown in a message: escaped, and cut short.
fn quoted(line: &[u8]) -> String {
    const SHOWN: usize = 40;
    let cut = line.len() > SHOWN;
    let shown = &line[..line.len().min(SHOWN)];
    format!(
        "\"{}\"{}",
        shown.escape_ascii(),
        if cut { "..." } else { "" }
    )
}

fn line_name(kind: u8) -> &'static str {
    match kind {
        b'+' => "a simple string",
        b'-' => "an error",
        b':' => "an integer",
        b',' => "a double",
        b'#' => "a boolean",
        b'(' => "a big number",
        b'_' => "a null",
        _ => "a length line",
    }
}

fn bulk_name(kind: BulkKind) -> &'static str {
    match kind {
        BulkKind::String => "a string",
        BulkKind::Error => "a blob error",
        BulkKind::Verbatim => "a verbatim string",
    }
}

fn aggregate_name(kind: u8) -> &'static str {
    match kind {
        b'*' => "an array",
        b'~' => "a set",
        b'%' => "a map",
        b'>' => "a push message",
        _ => "an attribute",
    }
}

/// Any value by its type byte, for messages.
fn value_name(kind: u8) -> &'static str {
    match kind {
        b'$' => bulk_name(BulkKind::String),
        b'!' => bulk_name(BulkKind::Error),
        b'=' => bulk_name(BulkKind::Verbatim),
        b'*' | b'~' | b'%' | b'>' | b'|' => aggregate_name(kind),
        _ => line_name(kind),
    }
}

fn not_a_push_kind(what: &str) -> String {
    format!("a push message must start with its kind (a string), not {what}")
}

/// What redis-rs checks in a payload once it has it whole, checked here chunk by chunk: a
/// verbatim string has a format before a colon, a push's kind is UTF-8.
struct PayloadCheck {
    needs_colon: bool,
    utf8: Option<Utf8Check>,
}

impl PayloadCheck {
    fn new(kind: BulkKind, push_kind: bool) -> PayloadCheck {
        PayloadCheck {
            needs_colon: kind == BulkKind::Verbatim,
            utf8: push_kind.then(Utf8Check::default),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.needs_colon && chunk.contains(&b':') {
            self.needs_colon = false;
        }
        if let Some(utf8) = &mut self.utf8 {
            utf8.feed(chunk);
        }
    }

    fn finish(&self) -> Result<(), RespError> {
        if self.needs_colon {
            return Err(RespError::Malformed(
                "a verbatim string without a format (expected txt: or mkd:)".into(),
            ));
        }
        if self.utf8.as_ref().is_some_and(|u| !u.is_valid()) {
            return Err(RespError::Malformed(
                "a push message whose kind is not UTF-8".into(),
            ));
        }
        Ok(())
    }
}

/// UTF-8 validation over chunks, which may split a character.
#[derive(Default)]
struct Utf8Check {
    /// The start of a character cut by the end of the last chunk.
    pending: [u8; 4],
    pending_len: usize,
    invalid: bool,
}

impl Utf8Check {
    fn feed(&mut self, mut chunk: &[u8]) {
        while self.pending_len > 0 && !self.invalid {
            let Some((&byte, rest)) = chunk.split_first() else {
                return;
            };
            chunk = rest;
            self.pending[self.pending_len] = byte;
            self.pending_len += 1;
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_some() || self.pending_len == 4 => self.invalid = true,
                Err(_) => {}
            }
        }
        if self.invalid {
            return;
        }
        if let Err(e) = std::str::from_utf8(chunk) {
            match e.error_len() {
                Some(_) => self.invalid = true,
                None => {
                    let tail = &chunk[e.valid_up_to()..];
                    self.pending[..tail.len()].copy_from_slice(tail);
                    self.pending_len = tail.len();
                }
            }
        }
    }

    fn is_valid(&self) -> bool {
        !self.invalid && self.pending_len == 0
    }
}

/// Sizes as people read them: `512 MiB`, `931 GiB`, `17 bytes`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 && value.fract() != 0.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
pub(crate) mod tests;
