#![no_main]
//! Any Reply (built from the fuzz bytes by a small deterministic decoder) renders in every mode
//! without panicking.

use libfuzzer_sys::fuzz_target;
use redis_lab::engine::check::short;
use redis_lab::render::reply::{Limits, format_as_is, format_raw, format_tty, write_tty};
use redis_lab::server::reply::Reply;

/// Aggregates nest at most this deep (the top-level reply is depth 0).
const MAX_DEPTH: usize = 8;
/// At most this many elements (or pairs) in one aggregate.
const MAX_ITEMS: usize = 64;
/// At most this many replies in the whole tree, so a small input cannot describe a huge tree.
const MAX_NODES: usize = 2048;

/// Reads the fuzz bytes front to back; running out of bytes yields zeros / empty values.
struct Decoder<'a> {
    data: &'a [u8],
    nodes: usize,
}

impl<'a> Decoder<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// A length byte, then that many bytes (fewer if the input ends).
    fn bytes(&mut self) -> Vec<u8> {
        let len = (self.byte() as usize).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head.to_vec()
    }

    /// Strings in Reply are Rust Strings: arbitrary bytes made valid UTF-8.
    fn string(&mut self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    fn count(&mut self) -> usize {
        self.byte() as usize % (MAX_ITEMS + 1)
    }

    fn reply(&mut self, depth: usize) -> Reply {
        self.nodes += 1;
        let tag = self.byte();
        // Past the depth or node budget, or with no input left, only scalars are built.
        let aggregates_allowed =
            depth < MAX_DEPTH && self.nodes < MAX_NODES && !self.data.is_empty();
        match tag % 13 {
            0 => Reply::Nil,
            1 => Reply::Int(i64::from_le_bytes(self.array())),
            2 => Reply::Bulk(self.bytes()),
            3 => Reply::Status(self.string()),
            4 => Reply::Error(self.string()),
            5 => Reply::Double(f64::from_le_bytes(self.array())),
            6 => Reply::Bool(self.byte() & 1 == 1),
            7 => Reply::BigNumber(self.string()),
            8 => Reply::Verbatim {
                format: self.string(),
                text: self.string(),
            },
            9 if aggregates_allowed => Reply::Array(self.items(depth)),
            10 if aggregates_allowed => Reply::Set(self.items(depth)),
            11 if aggregates_allowed => Reply::Push {
                kind: self.string(),
                data: self.items(depth),
            },
            12 if aggregates_allowed => {
                let n = self.count();
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    if self.nodes >= MAX_NODES {
                        break;
                    }
                    let key = self.reply(depth + 1);
                    let value = self.reply(depth + 1);
                    pairs.push((key, value));
                }
                Reply::Map(pairs)
            }
            _ => Reply::Bulk(self.bytes()),
        }
    }

    fn items(&mut self, depth: usize) -> Vec<Reply> {
        let n = self.count();
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            if self.nodes >= MAX_NODES {
                break;
            }
            items.push(self.reply(depth + 1));
        }
        items
    }
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose a small terminal budget; the rest is the reply.
    let (budget, data) = data.split_at(data.len().min(2));
    let lines = 1 + budget.first().copied().unwrap_or(0) as usize % 16;
    let bytes = 1 + budget.get(1).copied().unwrap_or(0) as usize * 8;
    let reply = Decoder { data, nodes: 0 }.reply(0);

    let tty = format_tty(&reply);
    assert!(tty.ends_with('\n'), "format_tty output must end with a newline: {tty:?}");

    let mut bounded = Vec::new();
    let omitted = write_tty(&reply, Limits { lines, bytes, ..Limits::NONE }, &mut bounded)
        .expect("writing to a Vec cannot fail");
    if omitted.is_empty() {
        assert_eq!(bounded, tty.as_bytes(), "nothing omitted, yet the output differs");
    } else {
        assert!(
            bounded.len() <= tty.len() + 1,
            "the bounded output is longer than the whole: {} > {}",
            bounded.len(),
            tty.len()
        );
    }
    assert!(
        bounded.ends_with(b"\n"),
        "bounded output must end with a newline: {reply:?} within {lines} lines, {bytes} bytes: {:?}",
        String::from_utf8_lossy(&bounded)
    );

    let raw = format_raw(&reply);
    let as_is = format_as_is(&reply);
    assert_eq!(raw.len(), as_is.len() + 1);
    assert!(raw.starts_with(&as_is) && raw.ends_with(b"\n"));

    let summary = short(&reply);
    assert!(
        summary.chars().count() <= 201,
        "short() is longer than 200 characters plus the ellipsis: {summary:?}"
    );
});
