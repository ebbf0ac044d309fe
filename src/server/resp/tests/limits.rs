//! Hostile and broken input: failing readers, endless senders, declared lengths too big to
//! allocate, every limit, deep nesting, and what a visitor sees.

use super::*;

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
pub(super) struct Counter {
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
