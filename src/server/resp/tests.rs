use super::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufReader, Read};

/// Records the largest single allocation made on each thread, so a test can prove that a
/// declared length was never allocated up front.
struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// What `f` returns, and the largest single allocation it made on this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(0));
    let result = f();
    (result, LARGEST.with(Cell::get))
}

fn parse(bytes: &[u8]) -> Result<Reply, RespError> {
    read_reply(&mut &bytes[..], &Limits::DEFAULT)
}

fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Reply, RespError> {
    read_reply(&mut &bytes[..], limits)
}

/// What the program gets today for these bytes: redis-rs's parser, then `Reply::from`.
fn redis_rs(bytes: &[u8]) -> Option<Reply> {
    redis::parse_redis_value(bytes).ok().map(Reply::from)
}

/// Compared as text, so that a NaN equals a NaN.
fn same(a: &Reply, b: &Reply) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// A reader that hands over one byte per read.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&byte, rest)), Some(slot)) => {
                *slot = byte;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn parse_slowly(bytes: &[u8], limits: &Limits) -> Result<Reply, RespError> {
    read_reply(&mut BufReader::with_capacity(1, OneByte(bytes)), limits)
}

/// `prefix` then a payload with its length, as `$`, `!` and `=` carry one.
fn blob(prefix: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{}{}\r\n", prefix as char, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

fn bulk(text: &str) -> Reply {
    Reply::Bulk(text.as_bytes().to_vec())
}

fn status(text: &str) -> Reply {
    Reply::Status(text.into())
}

fn every_type() -> Vec<(Vec<u8>, Reply)> {
    let attribute = [
        &b"|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n:90\r\n"[..],
        &blob(b'$', b"reply"),
    ]
    .concat();
    vec![
        (b"+OK\r\n".to_vec(), status("OK")),
        (b"+hello world\r\n".to_vec(), status("hello world")),
        (b"+\r\n".to_vec(), status("")),
        (
            b"-ERR unknown command 'x'\r\n".to_vec(),
            Reply::Error("ERR unknown command 'x'".into()),
        ),
        (
            b"-WRONGTYPE Operation against a key\r\n".to_vec(),
            Reply::Error("WRONGTYPE Operation against a key".into()),
        ),
        (b"-ERR\r\n".to_vec(), Reply::Error("ERR".into())),
        (
            b"-LOADING  two spaces\r\n".to_vec(),
            Reply::Error("LOADING  two spaces".into()),
        ),
        (b":42\r\n".to_vec(), Reply::Int(42)),
        (b":-7\r\n".to_vec(), Reply::Int(-7)),
        (b":+5\r\n".to_vec(), Reply::Int(5)),
        (b": 9 \r\n".to_vec(), Reply::Int(9)),
        (b":-9223372036854775808\r\n".to_vec(), Reply::Int(i64::MIN)),
        (blob(b'$', b"hello"), bulk("hello")),
        (blob(b'$', b""), bulk("")),
        (blob(b'$', b"a\r\nb"), bulk("a\r\nb")),
        (
            blob(b'$', b"\xff\x00\xfe"),
            Reply::Bulk(vec![0xff, 0, 0xfe]),
        ),
        (b"$-1\r\n".to_vec(), Reply::Nil),
        (b"*-1\r\n".to_vec(), Reply::Nil),
        (b"~-1\r\n".to_vec(), Reply::Nil),
        (b"_\r\n".to_vec(), Reply::Nil),
        (
            b"*2\r\n$1\r\na\r\n:1\r\n".to_vec(),
            Reply::Array(vec![bulk("a"), Reply::Int(1)]),
        ),
        (b"*0\r\n".to_vec(), Reply::Array(vec![])),
        (b",2.5\r\n".to_vec(), Reply::Double(2.5)),
        (b",1e3\r\n".to_vec(), Reply::Double(1000.0)),
        (b",-0\r\n".to_vec(), Reply::Double(-0.0)),
        (b",inf\r\n".to_vec(), Reply::Double(f64::INFINITY)),
        (b",-inf\r\n".to_vec(), Reply::Double(f64::NEG_INFINITY)),
        (b",nan\r\n".to_vec(), Reply::Double(f64::NAN)),
        (b"#t\r\n".to_vec(), Reply::Bool(true)),
        (b"#f\r\n".to_vec(), Reply::Bool(false)),
        (
            blob(b'!', b"SYNTAX invalid syntax"),
            Reply::Error("SYNTAX invalid syntax".into()),
        ),
        (
            blob(b'!', b"bad \xff byte"),
            Reply::Error("bad \u{fffd} byte".into()),
        ),
        (
            blob(b'=', b"txt:Some string"),
            Reply::Verbatim {
                format: "txt".into(),
                text: "Some string".into(),
            },
        ),
        (
            blob(b'=', b"mkd:a:b"),
            Reply::Verbatim {
                format: "mkd".into(),
                text: "a:b".into(),
            },
        ),
        (
            blob(b'=', b"txt:"),
            Reply::Verbatim {
                format: "txt".into(),
                text: "".into(),
            },
        ),
        (
            b"(3492890328409238509324850943850943825024385\r\n".to_vec(),
            Reply::BigNumber("3492890328409238509324850943850943825024385".into()),
        ),
        (
            b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n".to_vec(),
            Reply::Map(vec![
                (status("first"), Reply::Int(1)),
                (status("second"), Reply::Int(2)),
            ]),
        ),
        (b"%0\r\n".to_vec(), Reply::Map(vec![])),
        (
            b"~3\r\n+a\r\n+b\r\n#t\r\n".to_vec(),
            Reply::Set(vec![status("a"), status("b"), Reply::Bool(true)]),
        ),
        (b"~0\r\n".to_vec(), Reply::Set(vec![])),
        (
            b">3\r\n+message\r\n+ch\r\n+hi\r\n".to_vec(),
            Reply::Push {
                kind: "message".into(),
                data: vec![status("ch"), status("hi")],
            },
        ),
        (
            [
                &b">3\r\n"[..],
                &blob(b'$', b"message"),
                &blob(b'$', b"ch"),
                &blob(b'$', b"hi"),
            ]
            .concat(),
            Reply::Push {
                kind: "message".into(),
                data: vec![bulk("ch"), bulk("hi")],
            },
        ),
        (
            [&b">1\r\n"[..], &blob(b'$', b"invalidate")].concat(),
            Reply::Push {
                kind: "invalidate".into(),
                data: vec![],
            },
        ),
        (
            [&b">2\r\n"[..], &blob(b'$', "kïnd €".as_bytes()), b":1\r\n"].concat(),
            Reply::Push {
                kind: "kïnd €".into(),
                data: vec![Reply::Int(1)],
            },
        ),
        (
            b">0\r\n".to_vec(),
            Reply::Push {
                kind: "".into(),
                data: vec![],
            },
        ),
        (
            b">-1\r\n".to_vec(),
            Reply::Push {
                kind: "".into(),
                data: vec![],
            },
        ),
        (attribute.clone(), bulk("reply")),
        (b"|0\r\n:5\r\n".to_vec(), Reply::Int(5)),
        (
            [&b"*2\r\n"[..], &attribute, b":6\r\n"].concat(),
            Reply::Array(vec![bulk("reply"), Reply::Int(6)]),
        ),
        (
            b"*2\r\n*1\r\n%1\r\n~1\r\n:1\r\n>2\r\n+pmessage\r\n_\r\n*0\r\n".to_vec(),
            Reply::Array(vec![
                Reply::Array(vec![Reply::Map(vec![(
                    Reply::Set(vec![Reply::Int(1)]),
                    Reply::Push {
                        kind: "pmessage".into(),
                        data: vec![Reply::Nil],
                    },
                )])]),
                Reply::Array(vec![]),
            ]),
        ),
    ]
}

#[test]
fn every_type_reads_as_redis_rs_reads_it() {
    for (bytes, expected) in every_type() {
        let shown = bytes.escape_ascii().to_string();
        let ours = parse(&bytes).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert!(same(&ours, &expected), "{shown}: {ours:?}");
        let theirs = redis_rs(&bytes).unwrap_or_else(|| panic!("redis-rs refused {shown}"));
        assert!(
            same(&theirs, &expected),
            "{shown}: redis-rs gives {theirs:?}"
        );
    }
}

#[test]
fn every_type_reads_the_same_one_byte_at_a_time() {
    for (bytes, expected) in every_type() {
        let slowly = parse_slowly(&bytes, &Limits::DEFAULT).unwrap();
        assert!(same(&slowly, &expected), "{}", bytes.escape_ascii());
    }
}

#[test]
fn replies_in_a_row_are_read_one_at_a_time() {
    let bytes = b"+OK\r\n:1\r\n$1\r\na\r\n*1\r\n_\r\n";
    let mut reader = &bytes[..];
    for expected in [
        status("OK"),
        Reply::Int(1),
        bulk("a"),
        Reply::Array(vec![Reply::Nil]),
    ] {
        assert_eq!(read_reply(&mut reader, &Limits::DEFAULT).unwrap(), expected);
    }
    assert!(
        read_reply(&mut reader, &Limits::DEFAULT)
            .unwrap_err()
            .is_closed()
    );
}

/// redis-rs turns `+OK` into `Value::Okay` and then refuses it as a push's kind; we read it.
#[test]
fn a_push_of_kind_ok_is_read() {
    let bytes = b">2\r\n+OK\r\n:1\r\n";
    assert!(redis_rs(bytes).is_none());
    assert_eq!(
        parse(bytes).unwrap(),
        Reply::Push {
            kind: "OK".into(),
            data: vec![Reply::Int(1)]
        }
    );
}

#[test]
fn malformed_input_says_what_was_wrong() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"HTTP/1.1 400 Bad Request\r\n".to_vec(),
            "expected a reply type, got 'H' (is this an HTTP server?)",
        ),
        (
            b"\x16\x03\x01\x02\x00".to_vec(),
            "expected a reply type, got byte 0x16 (is this a TLS port? use a rediss:// URL)",
        ),
        (b"\r\n".to_vec(), "expected a reply type, got byte 0x0d"),
        (
            b":abc\r\n".to_vec(),
            "expected a number after ':', got \"abc\"",
        ),
        (
            b":1.5\r\n".to_vec(),
            "expected a number after ':', got \"1.5\"",
        ),
        (
            b":99999999999999999999\r\n".to_vec(),
            "expected a number after ':'",
        ),
        (
            b"$abc\r\n".to_vec(),
            "expected a number after '$', got \"abc\"",
        ),
        (b"*\r\n".to_vec(), "expected a number after '*', got \"\""),
        (b",x\r\n".to_vec(), "expected a double after ',', got \"x\""),
        (b"#x\r\n".to_vec(), "expected t or f after '#', got \"x\""),
        (b"#\r\n".to_vec(), "expected t or f after '#', got \"\""),
        (
            b"$3\r\nabcd\r\n".to_vec(),
            "expected \\r\\n after a string of 3 bytes, got 'd'",
        ),
        (
            b"+\xff\r\n".to_vec(),
            "a simple string that is not UTF-8: \"\\xff\"",
        ),
        (b"-\xc3\r\n".to_vec(), "an error that is not UTF-8"),
        (
            b">2\r\n:1\r\n:2\r\n".to_vec(),
            "a push message must start with its kind (a string), not an integer",
        ),
        (
            [&b">1\r\n"[..], &blob(b'$', b"\xff")].concat(),
            "a push message whose kind is not UTF-8",
        ),
        (
            blob(b'=', b"abc"),
            "a verbatim string without a format (expected txt: or mkd:)",
        ),
        (b"%-1\r\n".to_vec(), "a map of negative length (-1)"),
        (b"|-1\r\n".to_vec(), "an attribute of negative length (-1)"),
        (b"!-1\r\n".to_vec(), "a blob error of negative length (-1)"),
        (
            b"=-1\r\n".to_vec(),
            "a verbatim string of negative length (-1)",
        ),
    ];
    for (bytes, expected) in cases {
        let shown = bytes.escape_ascii().to_string();
        let error = parse(&bytes).unwrap_err();
        assert!(
            matches!(error, RespError::Malformed(_)),
            "{shown}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with("the server's answer is not in the Redis protocol: "),
            "{message}"
        );
        assert!(message.contains(expected), "{shown}: {message}");
        assert!(redis_rs(&bytes).is_none(), "redis-rs reads {shown}");
    }
}

#[test]
fn utf8_is_checked_across_chunks() {
    let text = "aé€😀".as_bytes();
    for split in 0..=text.len() {
        let mut check = Utf8Check::default();
        check.feed(&text[..split]);
        check.feed(&text[split..]);
        assert!(check.is_valid(), "split at {split}");
    }
    for bad in [&b"\xc3("[..], b"\xe2\x82", b"\xff", b"a\xf0\x9f\x98"] {
        for split in 0..=bad.len() {
            let mut check = Utf8Check::default();
            check.feed(&bad[..split]);
            check.feed(&bad[split..]);
            assert!(!check.is_valid(), "{} split at {split}", bad.escape_ascii());
        }
    }
}

#[test]
fn a_long_bad_line_is_cut_short_in_the_message() {
    let line = format!(":{}\r\n", "x".repeat(10_000));
    let message = parse(line.as_bytes()).unwrap_err().to_string();
    assert!(message.len() < 200, "{message}");
    assert!(message.ends_with("..."), "{message}");
}

#[test]
fn a_closed_connection_is_an_unexpected_eof_that_says_when() {
    let error = parse(b"").unwrap_err();
    assert!(error.is_closed(), "{error:?}");
    assert_eq!(error.to_string(), "the server closed the connection");
    for cut in [
        &b"*2\r\n:1\r\n"[..],
        b"$5\r\nhel",
        b"$5\r\nhello",
        b"$5\r\nhello\r",
        b"+OK",
        b"+OK\r",
        b"%1\r\n+k\r\n",
        b"|1\r\n+k\r\n+v\r\n",
        b"*",
    ] {
        let error = parse(cut).unwrap_err();
        assert!(error.is_closed(), "{}: {error:?}", cut.escape_ascii());
        assert_eq!(
            error.to_string(),
            "the server closed the connection in the middle of a reply"
        );
    }
}

/// Gives `data`, then fails every read with `kind`.
struct ThenFail {
    data: &'static [u8],
    kind: io::ErrorKind,
}

impl Read for ThenFail {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::new(self.kind, "no data"));
        }
        let n = self.data.len().min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn timeouts_keep_their_kind() {
    for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
        for data in [&b""[..], b"*2\r\n:1\r\n", b"$10\r\nabc"] {
            let mut reader = BufReader::new(ThenFail { data, kind });
            let error = read_reply(&mut reader, &Limits::DEFAULT).unwrap_err();
            assert!(error.is_timeout(), "{error:?}");
            assert!(matches!(&error, RespError::Io(e) if e.kind() == kind));
        }
    }
    let mut refused = BufReader::new(ThenFail {
        data: b"",
        kind: io::ErrorKind::ConnectionReset,
    });
    let error = read_reply(&mut refused, &Limits::DEFAULT).unwrap_err();
    assert!(!error.is_timeout() && !error.is_closed(), "{error:?}");
}

/// `header`, then the same bytes for ever: a server that never stops sending.
struct Endless {
    header: Vec<u8>,
    filler: u8,
    sent: usize,
}

impl Endless {
    fn new(header: &[u8], filler: u8) -> BufReader<Endless> {
        BufReader::with_capacity(
            CHUNK,
            Endless {
                header: header.to_vec(),
                filler,
                sent: 0,
            },
        )
    }
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.sent < self.header.len() {
            let n = (self.header.len() - self.sent).min(buf.len());
            buf[..n].copy_from_slice(&self.header[self.sent..self.sent + n]);
            self.sent += n;
            return Ok(n);
        }
        buf.fill(self.filler);
        self.sent += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn huge_declared_lengths_are_refused_at_once_without_allocating_them() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"$999999999999\r\n",
            "the server sent a string of 931 GiB; redis-lab reads at most 512 MiB",
        ),
        (
            b"!999999999999\r\n",
            "the server sent a blob error of 931 GiB; redis-lab reads at most 512 MiB",
        ),
        (
            b"=999999999999\r\n",
            "the server sent a verbatim string of 931 GiB; redis-lab reads at most 512 MiB",
        ),
        (
            b"*999999999999\r\n",
            "the server sent an array of 999999999999 elements; redis-lab reads at most 2147483647 elements",
        ),
        (b"~999999999999\r\n", "a set of 999999999999 elements"),
        (
            b">999999999999\r\n",
            "a push message of 999999999999 elements",
        ),
        (
            b"%999999999999\r\n",
            "a map of 999999999999 pairs; redis-lab reads at most 2147483647 pairs",
        ),
        (b"|999999999999\r\n", "an attribute of 999999999999 pairs"),
        (b"$9223372036854775807\r\n", "a string of 8 EiB"),
        (
            b"*9223372036854775807\r\n",
            "an array of 9223372036854775807",
        ),
        (b"*1\r\n*1\r\n$999999999999\r\n", "a string of 931 GiB"),
        (b"|1\r\n$999999999999\r\n", "a string of 931 GiB"),
        // Within the count limit, but more than read_reply keeps: refused before any element.
        (
            b"*100000000\r\n",
            "the server sent a reply of more than 1 GiB; redis-lab reads at most 1 GiB of one reply",
        ),
        (b"%10000000\r\n", "a reply of more than 1 GiB"),
    ];
    for &(header, expected) in cases {
        let shown = header.escape_ascii().to_string();
        for filler in [b'x', b'\n'] {
            let mut reader = Endless::new(header, filler);
            let (result, largest) =
                largest_allocation(|| read_reply(&mut reader, &Limits::DEFAULT));
            let error = result.unwrap_err();
            assert!(
                matches!(error, RespError::TooBig { .. }),
                "{shown}: {error:?}"
            );
            assert!(error.to_string().contains(expected), "{shown}: {error}");
            assert!(
                largest < 64 * 1024,
                "{shown}: allocated {largest} bytes at once"
            );
        }
        // Nothing behind the header: refused before waiting for it.
        assert!(matches!(parse(header), Err(RespError::TooBig { .. })));
    }
}

/// Counts events and stops after `stop_after` scalars.
#[derive(Default)]
struct Counter {
    scalars: usize,
    chunks: Vec<usize>,
    largest_len: usize,
    stop_after: usize,
}

impl Visitor for Counter {
    fn scalar(&mut self, _: Scalar<'_>) -> Result<(), RespError> {
        self.scalars += 1;
        if self.stop_after > 0 && self.scalars >= self.stop_after {
            return Err(RespError::Io(io::Error::other("enough")));
        }
        Ok(())
    }
    fn begin_aggregate(&mut self, _: AggregateKind, len: usize) -> Result<(), RespError> {
        self.largest_len = self.largest_len.max(len);
        Ok(())
    }
    fn end_aggregate(&mut self, _: AggregateKind) -> Result<(), RespError> {
        Ok(())
    }
    fn begin_bulk(&mut self, _: BulkKind, len: usize) -> Result<(), RespError> {
        self.largest_len = self.largest_len.max(len);
        Ok(())
    }
    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError> {
        self.chunks.push(chunk.len());
        Ok(())
    }
    fn end_bulk(&mut self, _: BulkKind) -> Result<(), RespError> {
        Ok(())
    }
}

#[test]
fn a_visitor_gets_a_huge_allowed_aggregate_without_it_being_allocated() {
    let element = b":1\r\n".repeat(1000);
    let mut bytes = b"*1000000000\r\n".to_vec();
    bytes.extend_from_slice(&element);
    let mut reader = Endless::new(&bytes, b'x');
    let mut counter = Counter {
        stop_after: 1000,
        ..Counter::default()
    };
    let (result, largest) =
        largest_allocation(|| read_events(&mut reader, &Limits::DEFAULT, &mut counter));
    assert_eq!(result.unwrap_err().to_string(), "enough");
    assert_eq!(counter.scalars, 1000);
    assert_eq!(counter.largest_len, 1_000_000_000);
    assert!(largest < 64 * 1024, "allocated {largest} bytes at once");
}

#[test]
fn bulk_payloads_reach_a_visitor_in_bounded_chunks() {
    let payload = vec![b'x'; 3 * CHUNK + 17];
    let bytes = blob(b'$', &payload);
    let mut reader = BufReader::with_capacity(4 * CHUNK, &bytes[..]);
    let mut counter = Counter::default();
    let (result, largest) =
        largest_allocation(|| read_events(&mut reader, &Limits::DEFAULT, &mut counter));
    result.unwrap();
    assert!(
        counter.chunks.iter().all(|&n| n <= CHUNK),
        "{:?}",
        counter.chunks
    );
    assert_eq!(counter.chunks.iter().sum::<usize>(), payload.len());
    assert!(largest < 8 * 1024, "allocated {largest} bytes at once");
}

#[test]
fn a_long_bulk_read_as_a_reply_takes_the_room_it_needs() {
    let payload = vec![b'y'; 10 * CHUNK + 3];
    let bytes = blob(b'$', &payload);
    let mut reader = BufReader::with_capacity(CHUNK, &bytes[..]);
    let (reply, largest) = largest_allocation(|| read_reply(&mut reader, &Limits::DEFAULT));
    let Reply::Bulk(read) = reply.unwrap() else {
        panic!("a bulk string stays a bulk string");
    };
    assert_eq!(read, payload);
    assert_eq!(read.capacity(), payload.len());
    assert_eq!(largest, payload.len());
}

#[derive(Default)]
struct Log(Vec<String>);

impl Visitor for Log {
    fn scalar(&mut self, value: Scalar<'_>) -> Result<(), RespError> {
        self.0.push(format!("{value:?}"));
        Ok(())
    }
    fn begin_aggregate(&mut self, kind: AggregateKind, len: usize) -> Result<(), RespError> {
        self.0.push(format!("begin {kind:?} {len}"));
        Ok(())
    }
    fn end_aggregate(&mut self, kind: AggregateKind) -> Result<(), RespError> {
        self.0.push(format!("end {kind:?}"));
        Ok(())
    }
    fn begin_bulk(&mut self, kind: BulkKind, len: usize) -> Result<(), RespError> {
        self.0.push(format!("bulk {kind:?} {len}"));
        Ok(())
    }
    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError> {
        self.0.push(format!("chunk {}", chunk.escape_ascii()));
        Ok(())
    }
    fn end_bulk(&mut self, kind: BulkKind) -> Result<(), RespError> {
        self.0.push(format!("end {kind:?}"));
        Ok(())
    }
}

#[test]
fn events_come_in_order_and_attributes_are_dropped() {
    let bytes = [
        &b"*4\r\n"[..],
        &blob(b'$', b"abc"),
        b"%1\r\n|1\r\n+meta\r\n*1\r\n$4\r\nskip\r\n+k\r\n,1.5\r\n",
        &blob(b'=', b"txt:hi"),
        b">0\r\n",
    ]
    .concat();
    let mut log = Log::default();
    read_events(&mut &bytes[..], &Limits::DEFAULT, &mut log).unwrap();
    assert_eq!(
        log.0,
        [
            "begin Array 4",
            "bulk String 3",
            "chunk abc",
            "end String",
            "begin Map 1",
            "Status(\"k\")",
            "Double(1.5)",
            "end Map",
            "bulk Verbatim 6",
            "chunk txt:hi",
            "end Verbatim",
            "begin Push 0",
            "end Push",
            "end Array",
        ]
    );
}

#[test]
fn a_visitor_error_stops_the_reading() {
    let mut counter = Counter {
        stop_after: 2,
        ..Counter::default()
    };
    let bytes = b"*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n";
    let mut reader = &bytes[..];
    let error = read_events(&mut reader, &Limits::DEFAULT, &mut counter).unwrap_err();
    assert_eq!(error.to_string(), "enough");
    assert_eq!(reader, b":3\r\n:4\r\n:5\r\n");
}

#[test]
fn each_limit_is_enforced_and_named() {
    let small = Limits {
        max_bulk: 10,
        max_elements: 3,
        max_depth: 4,
        max_total: 1000,
    };
    let cases: &[(&[u8], &str)] = &[
        (
            b"$11\r\n",
            "the server sent a string of 11 bytes; redis-lab reads at most 10 bytes",
        ),
        (
            b"+this line is long\r\n",
            "the server sent a simple string longer than 10 bytes; redis-lab reads at most 10 bytes",
        ),
        (b":123456789012345\r\n", "an integer longer than 10 bytes"),
        (
            b"$000000000000005\r\n",
            "a length line longer than 10 bytes",
        ),
        (
            b"*4\r\n",
            "the server sent an array of 4 elements; redis-lab reads at most 3 elements",
        ),
        (
            b"%4\r\n",
            "a map of 4 pairs; redis-lab reads at most 3 pairs",
        ),
        (
            b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
            "the server sent a reply nested more than 4 levels deep; redis-lab reads at most 4 levels",
        ),
    ];
    for &(bytes, expected) in cases {
        let error = parse_with(bytes, &small).unwrap_err();
        assert!(matches!(error, RespError::TooBig { .. }), "{error:?}");
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Kept: payloads and one node per value, counted as they arrive.
    let tight = Limits {
        max_total: 200,
        ..Limits::DEFAULT
    };
    // Promised: 20 elements cannot fit in 200 bytes, refused before any arrives.
    assert!(
        parse_with(b"*20\r\n", &tight)
            .unwrap_err()
            .to_string()
            .contains("a reply of more than 200 bytes")
    );
    let over = [
        &b"*2\r\n"[..],
        &blob(b'$', b"0123456789"),
        &blob(b'$', &[b'x'; 90]),
    ]
    .concat();
    assert_eq!(
        parse_with(&over, &tight).unwrap_err().to_string(),
        "the server sent a reply of more than 200 bytes; redis-lab reads at most 200 bytes of one reply"
    );
    assert_eq!(
        parse_with(b"$10\r\n0123456789\r\n", &small).unwrap(),
        bulk("0123456789")
    );
    assert_eq!(
        parse_with(b"*1\r\n*1\r\n*1\r\n:1\r\n", &small).unwrap(),
        Reply::Array(vec![Reply::Array(vec![Reply::Array(vec![Reply::Int(1)])])])
    );
}

#[test]
fn an_endless_line_stops_at_the_limit() {
    let limits = Limits {
        max_bulk: 1024 * 1024,
        ..Limits::DEFAULT
    };
    for kind in [b'+', b'-', b':', b'(', b'*'] {
        let mut reader = Endless::new(&[kind], b'a');
        let (result, largest) = largest_allocation(|| read_reply(&mut reader, &limits));
        let error = result.unwrap_err();
        assert!(
            error.to_string().contains("longer than 1 MiB"),
            "{}: {error}",
            kind as char
        );
        assert!(
            largest <= 4 * 1024 * 1024,
            "allocated {largest} bytes at once"
        );
    }
}

#[test]
fn hostile_nesting_is_refused_without_recursion() {
    for opener in [
        &b"*1\r\n"[..],
        b"~1\r\n",
        b">2\r\n+m\r\n",
        b"%1\r\n+k\r\n",
        b"|1\r\n+k\r\n+v\r\n",
    ] {
        let bytes = opener.repeat(1_000_000);
        let error = parse(&bytes).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("a reply nested more than 128 levels deep"),
            "{error}"
        );
    }
    // The deepest reply allowed reads (and drops) fine.
    let mut deepest = b"*1\r\n".repeat(127);
    deepest.extend_from_slice(b":1\r\n");
    let mut reply = parse(&deepest).unwrap();
    for _ in 0..127 {
        let Reply::Array(mut items) = reply else {
            panic!("an array");
        };
        reply = items.remove(0);
    }
    assert_eq!(reply, Reply::Int(1));
    let mut too_deep = b"*1\r\n".repeat(128);
    too_deep.extend_from_slice(b":1\r\n");
    assert!(matches!(parse(&too_deep), Err(RespError::TooBig { .. })));
}

#[test]
fn sizes_read_as_people_read_them() {
    assert_eq!(size(0), "0 bytes");
    assert_eq!(size(1023), "1023 bytes");
    assert_eq!(size(1024), "1 KiB");
    assert_eq!(size(1536), "1.5 KiB");
    assert_eq!(size(512 * 1024 * 1024), "512 MiB");
    assert_eq!(size(999_999_999_999), "931 GiB");
    assert_eq!(size(u64::MAX), "16 EiB");
}

/// A tiny xorshift generator: reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self, bytes: &[u8]) -> u8 {
        bytes[self.below(bytes.len())]
    }

    fn token<'a>(&mut self, tokens: &[&'a [u8]]) -> &'a [u8] {
        tokens[self.below(tokens.len())]
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Random bytes, mostly RESP's own: type bytes, digits, CRLFs.
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    const TOKENS: &[&[u8]] = &[
        b"+",
        b"-",
        b":",
        b"$",
        b"*",
        b"_",
        b",",
        b"#",
        b"!",
        b"=",
        b"(",
        b"%",
        b"~",
        b">",
        b"|",
        b"\r\n",
        b"\r\n",
        b"\r\n",
        b"0",
        b"1",
        b"2",
        b"3",
        b"-1",
        b"t",
        b"f",
        b"txt:",
        b"inf",
        b"nan",
        b"OK",
        b"message",
        b"\xff",
        b"\x00",
        b" ",
        b"99999999999",
    ];
    let len = rng.below(40);
    let mut out: Vec<u8> = Vec::new();
    for _ in 0..len {
        out.extend_from_slice(rng.token(TOKENS));
    }
    out
}

#[test]
fn random_bytes_never_panic_and_read_the_same_one_byte_at_a_time() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let small = Limits {
        max_bulk: 64,
        max_elements: 8,
        max_depth: 6,
        max_total: 4096,
    };
    for _ in 0..50_000 {
        let bytes = random_bytes(&mut rng);
        for limits in [&Limits::DEFAULT, &small] {
            let fast = format!("{:?}", parse_with(&bytes, limits));
            let slow = format!("{:?}", parse_slowly(&bytes, limits));
            assert_eq!(fast, slow, "{}", bytes.escape_ascii());
        }
    }
}

/// A random well-formed reply of every RESP type, at most `depth` levels deep.
fn random_reply(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    const TEXT: &[&str] = &[
        "",
        "a",
        "OK",
        "hello world",
        "é",
        "ü:x",
        "1",
        "-",
        "message",
    ];
    const DOUBLES: &[&str] = &[
        "2.5", "inf", "-inf", "nan", "-0", "1e10", "0.1", "42", "-7.5",
    ];
    let kinds = if depth == 0 { 11 } else { 17 };
    let text = *rng.pick(TEXT);
    match rng.below(kinds) {
        0 => out.extend_from_slice(format!("+{text}\r\n").as_bytes()),
        1 => out.extend_from_slice(format!("-ERR {text}\r\n").as_bytes()),
        2 => {
            out.extend_from_slice(format!(":{}\r\n", rng.next() as i64 >> rng.below(64)).as_bytes())
        }
        3 => {
            let payload: Vec<u8> = (0..rng.below(12))
                .map(|_| rng.byte(b"ab\r\n\xff\x00:"))
                .collect();
            out.extend_from_slice(&blob(b'$', &payload));
        }
        4 => out.extend_from_slice(rng.token(&[&b"$-1\r\n"[..], b"*-1\r\n", b"_\r\n", b"~-1\r\n"])),
        5 => out.extend_from_slice(format!(",{}\r\n", rng.pick(DOUBLES)).as_bytes()),
        6 => out.extend_from_slice(rng.token(&[&b"#t\r\n"[..], b"#f\r\n"])),
        7 => out.extend_from_slice(format!("({}\r\n", rng.next()).as_bytes()),
        8 => {
            let format = rng.pick(&["txt", "mkd"]);
            out.extend_from_slice(&blob(b'=', format!("{format}:{text}").as_bytes()));
        }
        9 => out.extend_from_slice(&blob(b'!', format!("ERR {text}").as_bytes())),
        10 => out
            .extend_from_slice(format!(">1\r\n+{}\r\n", rng.pick(&["invalidate", "x"])).as_bytes()),
        kind => {
            let n = rng.below(4);
            let (prefix, values) = match kind {
                11 => ('*', n),
                12 => ('~', n),
                13 => ('%', 2 * n),
                14 => ('>', n),
                15 => ('|', 2 * n),
                _ => ('*', n),
            };
            out.extend_from_slice(format!("{prefix}{n}\r\n").as_bytes());
            if prefix == '>' && n > 0 {
                out.extend_from_slice(&blob(b'$', rng.token(&[&b"message"[..], b"pmessage"])));
            }
            let first = usize::from(prefix == '>' && n > 0);
            for _ in first..values {
                random_reply(rng, depth - 1, out);
            }
            if prefix == '|' {
                random_reply(rng, depth - 1, out);
            }
        }
    }
}

#[test]
fn random_replies_read_as_redis_rs_reads_them() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        random_reply(&mut rng, 4, &mut bytes);
        let shown = bytes.escape_ascii().to_string();
        let theirs = redis_rs(&bytes).unwrap_or_else(|| panic!("redis-rs refused {shown}"));
        let ours = parse(&bytes).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert!(
            same(&ours, &theirs),
            "{shown}:\n ours {ours:?}\n redis-rs {theirs:?}"
        );
    }
}

/// Damaged replies: wherever redis-rs reads a reply, we read the same one, and we read no
/// more than it does (the one leniency aside).
#[test]
fn damaged_replies_read_as_redis_rs_reads_them() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut both, mut neither) = (0, 0);
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        random_reply(&mut rng, 3, &mut bytes);
        let at = rng.below(bytes.len());
        match rng.below(3) {
            0 => bytes[at] = rng.byte(b"+-:$*_,#!=(%~>|\r\n0123456789-tfx"),
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, rng.byte(b"\r\n0123456789-:+")),
        }
        let shown = bytes.escape_ascii().to_string();
        let theirs = redis_rs(&bytes);
        let ours = parse(&bytes);
        match (&ours, &theirs) {
            (Ok(ours), Some(theirs)) => {
                both += 1;
                assert!(
                    same(ours, theirs),
                    "{shown}:\n ours {ours:?}\n redis-rs {theirs:?}"
                );
            }
            (Err(e), Some(theirs)) => panic!("{shown}: redis-rs reads {theirs:?}, we fail: {e}"),
            (Ok(ours), None) => assert!(
                format!("{ours:?}").contains("Push { kind: \"OK\""),
                "{shown}: we read {ours:?}, redis-rs does not"
            ),
            (Err(_), None) => neither += 1,
        }
    }
    eprintln!("{both} damaged replies read, {neither} refused by both");
    assert!(
        both > 1000 && neither > 1000,
        "{both} read, {neither} refused"
    );
}

/// Throughput against redis-rs's parser, on the same bytes from the same kind of reader (one
/// that hands over at most 64 KiB per read, as a socket does). Not a check: run it with
/// `cargo test --release --lib measure_ -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_read_reply_against_redis_rs() {
    struct Socketish<'a>(&'a [u8]);
    impl Read for Socketish<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(CHUNK);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let big = blob(b'$', &vec![b'x'; 100 * 1024 * 1024]);
    let mut many = b"*1000000\r\n".to_vec();
    for i in 0..1_000_000 {
        many.extend_from_slice(&blob(b'$', format!("element:{i:07}").as_bytes()));
    }
    for (name, bytes) in [
        ("100 MiB bulk", &big),
        ("1,000,000 bulks of 15 bytes", &many),
    ] {
        let rate = |seconds: f64| bytes.len() as f64 / seconds / (1024.0 * 1024.0);
        let mut best = [f64::MAX; 3];
        for _ in 0..5 {
            let started = std::time::Instant::now();
            let ours = read_reply(
                &mut BufReader::with_capacity(CHUNK, Socketish(bytes)),
                &Limits::DEFAULT,
            );
            best[0] = best[0].min(started.elapsed().as_secs_f64());
            assert!(ours.is_ok());
            drop(ours);
            let started = std::time::Instant::now();
            let mut discard = Counter::default();
            read_events(
                &mut BufReader::with_capacity(CHUNK, Socketish(bytes)),
                &Limits::DEFAULT,
                &mut discard,
            )
            .unwrap();
            best[1] = best[1].min(started.elapsed().as_secs_f64());
            let started = std::time::Instant::now();
            let theirs = redis::Parser::new().parse_value(Socketish(bytes));
            best[2] = best[2].min(started.elapsed().as_secs_f64());
            assert!(theirs.is_ok());
        }
        eprintln!(
            "{name} ({} bytes): read_reply {:.3} s ({:.0} MiB/s), read_events {:.3} s ({:.0} MiB/s), redis-rs Parser {:.3} s ({:.0} MiB/s)",
            bytes.len(),
            best[0],
            rate(best[0]),
            best[1],
            rate(best[1]),
            best[2],
            rate(best[2]),
        );
    }
}
