//! The streamed formats against the built ones: for random replies of every RESP type, read
//! from their bytes, [`StreamWriter`] writes what `write_raw` and `write_tty` write for the
//! [`Reply`] that `read_reply` builds, within any budget, and says it left out the same.

use super::*;
use crate::render::reply::{never, write_raw, write_tty};
use crate::server::reply::Reply;
use crate::server::resp::{self, read_events, read_reply};

use crate::server::resp::tests::random::Rng;

fn blob(out: &mut Vec<u8>, prefix: u8, payload: &[u8]) {
    out.push(prefix);
    out.extend_from_slice(format!("{}\r\n", payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// A random well-formed reply, as RESP bytes.
fn random_reply(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    const TEXT: &[&str] = &[
        "",
        "a",
        "OK",
        "two words",
        "é",
        "ü:x",
        "\x1b[2J",
        "tab\there",
    ];
    let text = TEXT[rng.below(TEXT.len())];
    let kinds = if depth == 0 { 12 } else { 17 };
    match rng.below(kinds) {
        0 => out.extend_from_slice(format!("+{text}\r\n").as_bytes()),
        1 => out.extend_from_slice(format!("-ERR {text}\r\n").as_bytes()),
        2 => {
            out.extend_from_slice(format!(":{}\r\n", rng.next() as i64 >> rng.below(64)).as_bytes())
        }
        3 | 4 => {
            let payload: Vec<u8> = (0..rng.below(40))
                .map(|_| b"ab \"\\\r\n\xff\x00\x07:z"[rng.below(12)])
                .collect();
            blob(out, b'$', &payload);
        }
        5 => out.extend_from_slice([&b"$-1\r\n"[..], b"*-1\r\n", b"_\r\n"][rng.below(3)]),
        6 => out.extend_from_slice(
            [&b",2.5\r\n"[..], b",inf\r\n", b",-0\r\n", b",1e10\r\n"][rng.below(4)],
        ),
        7 => out.extend_from_slice([&b"#t\r\n"[..], b"#f\r\n"][rng.below(2)]),
        8 => out.extend_from_slice(format!("({}\r\n", rng.next()).as_bytes()),
        9 => blob(out, b'=', format!("txt:{text}\r\nline").as_bytes()),
        10 => blob(out, b'!', format!("ERR {text}").as_bytes()),
        11 => out.extend_from_slice(b"$3\r\n\xe4\xbd\xa0\r\n"),
        kind => {
            let n = rng.below(if depth > 1 { 4 } else { 12 });
            let (prefix, values) = match kind {
                12 => ('~', n),
                13 => ('%', 2 * n),
                14 => ('>', n),
                15 => ('|', 2 * n),
                _ => ('*', n),
            };
            out.extend_from_slice(format!("{prefix}{n}\r\n").as_bytes());
            let first = usize::from(prefix == '>' && n > 0);
            if first == 1 {
                blob(out, b'$', b"message");
            }
            for _ in first..values {
                random_reply(rng, depth - 1, out);
            }
            if prefix == '|' {
                random_reply(rng, depth - 1, out);
            }
        }
    }
}

fn streamed(bytes: &[u8], format: Format) -> (Vec<u8>, Streamed) {
    let mut out = Vec::new();
    let mut writer = StreamWriter::new(&mut out, format);
    read_events(&mut &bytes[..], &resp::Limits::DEFAULT, &mut writer).unwrap();
    let result = writer.finish().unwrap();
    (out, result)
}

/// What the printing of a built reply writes, the top-level error as the shell prints it.
fn built(reply: &Reply, format: Format) -> (Vec<u8>, Omitted) {
    let mut out = Vec::new();
    let omitted = match format {
        Format::Raw => {
            write_raw(reply, &mut out, never).unwrap();
            Omitted::default()
        }
        Format::Tty(limits) => write_tty(reply, limits, &mut out).unwrap(),
    };
    (out, omitted)
}

fn check(bytes: &[u8], format: Format) {
    let reply = read_reply(&mut &bytes[..], &resp::Limits::DEFAULT).unwrap();
    let (ours, result) = streamed(bytes, format);
    let shown = String::from_utf8_lossy(bytes);
    if let Reply::Push { .. } = reply {
        assert!(result.push && ours.is_empty(), "{shown:?}");
        return;
    }
    if let Reply::Error(e) = &reply {
        assert_eq!(result.error.as_deref(), Some(e.as_str()), "{shown:?}");
        assert!(ours.is_empty(), "{shown:?}");
        return;
    }
    let (theirs, omitted) = built(&reply, format);
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs),
        "{shown:?} in {format:?}"
    );
    assert_eq!(ours, theirs, "{shown:?}");
    assert_eq!(result.omitted, omitted, "{shown:?} in {format:?}");
}

#[test]
fn random_replies_stream_as_they_print_when_built() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut bytes = Vec::new();
        random_reply(&mut rng, 3, &mut bytes);
        check(&bytes, Format::Raw);
        check(&bytes, Format::Tty(Limits::NONE));
        for _ in 0..4 {
            let limits = Limits {
                lines: rng.below(12),
                bytes: rng.below(80),
                stop: never,
            };
            check(&bytes, Format::Tty(limits));
        }
    }
}

#[test]
fn big_strings_are_written_in_chunks_and_cut_like_built_ones() {
    let payload: Vec<u8> = (0..3 * resp::CHUNK + 17).map(|i| (i % 251) as u8).collect();
    let mut bytes = Vec::new();
    blob(&mut bytes, b'$', &payload);
    check(&bytes, Format::Raw);
    check(&bytes, Format::Tty(Limits::NONE));
    check(&bytes, Format::Tty(Limits::TERMINAL));
    let (out, result) = streamed(&bytes, Format::Raw);
    assert_eq!(out, payload);
    assert!(result.error.is_none());
}

#[test]
fn a_stop_request_ends_the_output_between_elements() {
    fn now() -> bool {
        true
    }
    let bytes = b"*3\r\n:1\r\n:2\r\n:3\r\n";
    let mut out = Vec::new();
    let mut writer = StreamWriter::new(&mut out, Format::Tty(Limits::NONE.stopping_on(now)));
    read_events(&mut &bytes[..], &resp::Limits::DEFAULT, &mut writer).unwrap();
    let result = writer.finish().unwrap();
    assert!(out.is_empty());
    assert!(result.omitted.stopped);
    assert_eq!(result.omitted.elements, 3);
    let mut out = Vec::new();
    let mut writer = StreamWriter::new(&mut out, Format::Raw).stopping_on(now);
    read_events(&mut &bytes[..], &resp::Limits::DEFAULT, &mut writer).unwrap();
    writer.finish().unwrap();
    // write_raw asks before the first element too.
    assert!(out.is_empty());
}

#[test]
fn an_output_error_stops_the_reading_and_is_kept() {
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let bytes = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    let mut out = Closed;
    let mut writer = StreamWriter::new(&mut out, Format::Raw);
    assert!(read_events(&mut &bytes[..], &resp::Limits::DEFAULT, &mut writer).is_err());
    let error = writer
        .take_output_error()
        .expect("the output error is kept");
    assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
}
