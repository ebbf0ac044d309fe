//! Building a [`Reply`] from the reader's events (`read_reply`), keeping at most
//! `Limits::max_total` bytes of it.

use super::{
    AggregateKind, BulkKind, Limits, RespError, Scalar, Visitor, not_a_push_kind, quoted, size,
};
use crate::server::reply::Reply;

/// What one finished value costs in a built reply, besides its payload.
const NODE: usize = std::mem::size_of::<Reply>();

/// An aggregate being built.
enum Partial {
    Array(Vec<Reply>, usize),
    Set(Vec<Reply>, usize),
    Map {
        pairs: Vec<(Reply, Reply)>,
        len: usize,
        key: Option<Reply>,
    },
    Push {
        kind: Option<String>,
        data: Vec<Reply>,
        len: usize,
    },
}

/// Builds a [`Reply`] from events, counting what it keeps against `max_total`.
pub(super) struct Builder<'a> {
    limits: &'a Limits,
    kept: usize,
    open: Vec<Partial>,
    bulk: Vec<u8>,
    bulk_len: usize,
    done: Option<Reply>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(limits: &'a Limits) -> Builder<'a> {
        Builder {
            limits,
            kept: 0,
            open: Vec::new(),
            bulk: Vec::new(),
            bulk_len: 0,
            done: None,
        }
    }

    pub(super) fn finish(self) -> Result<Reply, RespError> {
        self.done
            .ok_or_else(|| RespError::Malformed("the reply ended before it was complete".into()))
    }

    /// Fails as soon as what is kept, plus what is promised, goes over `max_total`.
    fn check(&self, more: usize) -> Result<(), RespError> {
        let max = self.limits.max_total;
        let total = self.kept.saturating_add(more);
        if total > max {
            return Err(RespError::TooBig {
                what: format!("a reply of more than {}", size(max as u64)),
                limit: format!("{} of one reply", size(max as u64)),
            });
        }
        Ok(())
    }

    fn keep(&mut self, bytes: usize) -> Result<(), RespError> {
        self.check(bytes)?;
        self.kept += bytes;
        Ok(())
    }

    /// A finished value goes into the aggregate being built, or is the reply.
    fn add(&mut self, reply: Reply) -> Result<(), RespError> {
        self.keep(NODE)?;
        let Some(partial) = self.open.last_mut() else {
            self.done = Some(reply);
            return Ok(());
        };
        match partial {
            Partial::Array(items, len) | Partial::Set(items, len) => {
                push_toward(items, reply, *len)
            }
            Partial::Map { pairs, len, key } => match key.take() {
                None => *key = Some(reply),
                Some(k) => push_toward(pairs, (k, reply), *len),
            },
            Partial::Push { kind, data, len } => match kind {
                Some(_) => push_toward(data, reply, len.saturating_sub(1)),
                None => *kind = Some(push_kind(reply)?),
            },
        }
        Ok(())
    }
}

/// The first element of a push names its kind (the core has checked it is a UTF-8 string).
fn push_kind(first: Reply) -> Result<String, RespError> {
    match first {
        Reply::Bulk(bytes) => Ok(lossy(bytes)),
        Reply::Status(kind) => Ok(kind),
        other => Err(RespError::Malformed(not_a_push_kind(other.kind()))),
    }
}

/// Pushes, growing the vector geometrically but never past the declared length, so that a
/// complete aggregate takes no more room than it needs.
fn push_toward<T>(items: &mut Vec<T>, item: T, len: usize) {
    if items.len() == items.capacity() {
        let extra = items
            .capacity()
            .max(4)
            .min(len.saturating_sub(items.len()).max(1));
        items.reserve_exact(extra);
    }
    items.push(item);
}

impl Visitor for Builder<'_> {
    fn scalar(&mut self, value: Scalar<'_>) -> Result<(), RespError> {
        let reply = match value {
            Scalar::Nil => Reply::Nil,
            Scalar::Int(i) => Reply::Int(i),
            Scalar::Double(d) => Reply::Double(d),
            Scalar::Bool(b) => Reply::Bool(b),
            Scalar::Status(s) | Scalar::Error(s) | Scalar::BigNumber(s) => {
                self.keep(s.len())?;
                match value {
                    Scalar::Status(_) => Reply::Status(s.to_string()),
                    Scalar::Error(_) => Reply::Error(s.to_string()),
                    _ => Reply::BigNumber(s.to_string()),
                }
            }
        };
        self.add(reply)
    }

    fn begin_aggregate(&mut self, kind: AggregateKind, len: usize) -> Result<(), RespError> {
        let values = if kind == AggregateKind::Map {
            len.saturating_mul(2)
        } else {
            len
        };
        // Every element will cost at least a node: refuse now what cannot fit.
        self.check(values.saturating_mul(NODE))?;
        self.open.push(match kind {
            AggregateKind::Array => Partial::Array(Vec::new(), len),
            AggregateKind::Set => Partial::Set(Vec::new(), len),
            AggregateKind::Map => Partial::Map {
                pairs: Vec::new(),
                len,
                key: None,
            },
            AggregateKind::Push => Partial::Push {
                kind: None,
                data: Vec::new(),
                len,
            },
        });
        Ok(())
    }

    fn end_aggregate(&mut self, _kind: AggregateKind) -> Result<(), RespError> {
        let reply = match self.open.pop() {
            Some(Partial::Array(items, _)) => Reply::Array(items),
            Some(Partial::Set(items, _)) => Reply::Set(items),
            Some(Partial::Map { pairs, .. }) => Reply::Map(pairs),
            Some(Partial::Push { kind, data, .. }) => Reply::Push {
                kind: kind.unwrap_or_default(),
                data,
            },
            None => return Err(RespError::Malformed("an aggregate ended twice".into())),
        };
        self.add(reply)
    }

    fn begin_bulk(&mut self, _kind: BulkKind, len: usize) -> Result<(), RespError> {
        self.check(len)?;
        self.bulk = Vec::new();
        self.bulk_len = len;
        Ok(())
    }

    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError> {
        self.keep(chunk.len())?;
        let needed = self.bulk.len() + chunk.len();
        if needed > self.bulk.capacity() {
            // Doubling, but never past the declared length: a 100 MiB string ends in a
            // 100 MiB buffer, with few copies on the way.
            let target = (self.bulk.capacity() * 2)
                .max(needed)
                .min(self.bulk_len.max(needed));
            self.bulk.reserve_exact(target - self.bulk.len());
        }
        self.bulk.extend_from_slice(chunk);
        Ok(())
    }

    fn end_bulk(&mut self, kind: BulkKind) -> Result<(), RespError> {
        let bytes = std::mem::take(&mut self.bulk);
        let reply = match kind {
            BulkKind::String => Reply::Bulk(bytes),
            BulkKind::Error => Reply::Error(lossy(bytes)),
            BulkKind::Verbatim => verbatim(lossy(bytes))?,
        };
        self.add(reply)
    }
}

/// Text as redis-rs makes it of a payload: invalid UTF-8 replaced, valid UTF-8 not copied.
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `txt:hello` is text `hello` in format `txt`; redis-rs splits at the first colon.
fn verbatim(mut text: String) -> Result<Reply, RespError> {
    let Some(colon) = text.find(':') else {
        return Err(RespError::Malformed(format!(
            "a verbatim string without a format (expected txt: or mkd:), got {}",
            quoted(text.as_bytes())
        )));
    };
    let rest = text.split_off(colon + 1);
    text.truncate(colon);
    Ok(Reply::Verbatim {
        format: text,
        text: rest,
    })
}
