//! The RESP reader against redis-rs's parser, byte by byte and reply by reply; hostile input in
//! `limits.rs`, random input in `random.rs`.

use super::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufReader, Read};

mod limits;
pub(crate) mod random;

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
