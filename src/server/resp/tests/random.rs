//! Random bytes and random well-formed replies: never a panic, and the same reading as
//! redis-rs's.

use super::limits::Counter;
use super::*;

/// A tiny xorshift generator: reproducible, no dependency (the streamed-format tests use it too).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
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
