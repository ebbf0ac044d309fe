//! What a command did: the keys it touched, before and after, and what it costs.
//!
//! Snapshots use read-only commands on the lesson's observer client, never the learner's, so
//! they do not disturb a MULTI or a WATCH in progress.

use crate::server::backend::Commands;
use crate::server::reply::Reply;
use std::collections::HashMap;

pub use crate::server::backend::keys_of;

/// How the engine asks its read-only questions: commands sent in one pipeline on redis-lab's own
/// observer connection, every reply in order.
pub type Observe<'a, E> = &'a mut dyn FnMut(Commands) -> Result<Vec<Reply>, E>;

/// The client redis-lab itself uses to look at the server.
pub const OBSERVER: &str = crate::server::connection::HIDDEN_CLIENT;

#[derive(Debug, Clone, PartialEq)]
pub struct KeyState {
    /// `none` when the key does not exist.
    pub kind: String,
    /// Milliseconds to live; -1 without expiry, -2 when missing.
    pub ttl_ms: i64,
    pub encoding: Option<String>,
    /// A short description of the value: `"3"`, `1000 members`.
    pub summary: String,
    /// A fingerprint of the value (a hash of its `DUMP`), for values small enough to read
    /// whole: it tells a value changed in place (same type and size) from one left alone.
    pub digest: Option<u64>,
}

/// Values up to this many elements (or bytes, for a string) and [`DIGEST_MAX_BYTES`] of memory
/// get a [`KeyState::digest`].
pub const DIGEST_MAX: i64 = 10_000;
pub const DIGEST_MAX_BYTES: i64 = 256 * 1024;

impl KeyState {
    pub fn exists(&self) -> bool {
        self.kind != "none"
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyChange {
    pub key: String,
    pub before: KeyState,
    pub after: KeyState,
}

impl KeyChange {
    /// Whether the command changed the key. A TTL that merely ticked down between the two
    /// snapshots is not a change; a TTL set, removed or extended is.
    pub fn changed(&self) -> bool {
        let (b, a) = (&self.before, &self.after);
        b.kind != a.kind
            || b.summary != a.summary
            || b.encoding != a.encoding
            || self.ttl_changed()
            || self.changed_in_place()
    }

    /// Same type, size and encoding, but a different value (a score, a field): known only for
    /// values small enough to have a digest.
    pub fn changed_in_place(&self) -> bool {
        matches!((self.before.digest, self.after.digest), (Some(b), Some(a)) if b != a)
    }

    /// Whether the value is known to be the same: both sides have a digest, and they agree.
    pub fn known_unchanged(&self) -> bool {
        matches!((self.before.digest, self.after.digest), (Some(b), Some(a)) if b == a)
    }

    pub fn ttl_changed(&self) -> bool {
        let (b, a) = (self.before.ttl_ms, self.after.ttl_ms);
        (b < 0) != (a < 0) || a > b + 50 || a + 1000 < b
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Explanation {
    pub command: String,
    pub summary: Option<String>,
    pub complexity: Option<String>,
    pub changes: Vec<KeyChange>,
    /// The command writes (COMMAND INFO flag) and succeeded: it may have changed a value even
    /// when type, size, encoding and TTL look the same (HSET over a field, ZINCRBY).
    pub wrote: bool,
}

fn builtin_table() -> &'static crate::lesson::validate::CommandTable {
    static TABLE: std::sync::OnceLock<crate::lesson::validate::CommandTable> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(crate::lesson::validate::CommandTable::builtin)
}

/// Whether a command writes, by its COMMAND INFO flags (from the built-in table).
pub fn is_write(args: &[Vec<u8>]) -> bool {
    builtin_table().writes_command(args)
}

/// Whether a command may block until another client acts.
pub fn may_block(args: &[Vec<u8>]) -> bool {
    builtin_table().may_block(args)
}

/// What COMMAND DOCS says about a command, fetched once per command name.
#[derive(Debug, Clone, Default)]
pub struct CommandDoc {
    pub summary: Option<String>,
    pub complexity: Option<String>,
    pub since: Option<String>,
    pub group: Option<String>,
}

#[derive(Default)]
pub struct Docs {
    cache: HashMap<String, Option<CommandDoc>>,
}

impl Docs {
    /// Docs for `name` (`ZADD`, or `OBJECT|ENCODING` for a subcommand).
    pub fn get<E>(
        &mut self,
        observe: Observe<'_, E>,
        args: &[Vec<u8>],
    ) -> Result<Option<CommandDoc>, E> {
        let Some(first) = args.first() else {
            return Ok(None);
        };
        let name = String::from_utf8_lossy(first).to_ascii_lowercase();
        let sub = args
            .get(1)
            .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase());
        let key = match &sub {
            Some(sub) => format!("{name}|{sub}"),
            None => name.clone(),
        };
        if let Some(cached) = self.cache.get(&key) {
            return Ok(cached.clone());
        }
        let reply = observe(vec![vec![
            b"COMMAND".to_vec(),
            b"DOCS".to_vec(),
            name.clone().into_bytes(),
        ]])?
        .pop()
        .unwrap_or(Reply::Nil);
        let doc = parse_docs(&reply, &name, sub.as_deref());
        self.cache.insert(key, doc.clone());
        Ok(doc)
    }
}

/// Field/value pairs of a reply that is a map (RESP3) or a flat array of pairs (RESP2).
fn pairs(reply: &Reply) -> Vec<(String, &Reply)> {
    let Some(elements) = reply.elements() else {
        return Vec::new();
    };
    elements
        .chunks(2)
        .filter_map(|pair| match pair {
            [k, v] => Some((k.as_text()?.to_ascii_lowercase(), *v)),
            _ => None,
        })
        .collect()
}

fn parse_docs(reply: &Reply, name: &str, sub: Option<&str>) -> Option<CommandDoc> {
    let entries = pairs(reply);
    let (_, fields) = entries.iter().find(|(n, _)| n == name)?;
    let fields = pairs(fields);
    // A container command (OBJECT, CONFIG, XINFO) documents its subcommands separately.
    if let Some(sub) = sub
        && let Some((_, subs)) = fields.iter().find(|(k, _)| k == "subcommands")
    {
        let wanted = format!("{name}|{sub}");
        if let Some(doc) = parse_docs(subs, &wanted, None) {
            return Some(doc);
        }
    }
    let text = |field: &str| {
        fields
            .iter()
            .find(|(k, _)| k == field)
            .and_then(|(_, v)| v.as_text())
    };
    Some(CommandDoc {
        summary: text("summary"),
        complexity: text("complexity"),
        since: text("since"),
        group: text("group"),
    })
}

/// The state of each key, in two round trips whatever the number of keys.
pub fn snapshot<E>(observe: Observe<'_, E>, keys: &[Vec<u8>]) -> Result<Vec<KeyState>, E> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut first = Vec::new();
    for key in keys {
        first.push(vec![b"TYPE".to_vec(), key.clone()]);
        first.push(vec![b"PTTL".to_vec(), key.clone()]);
        first.push(vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()]);
    }
    let replies = observe(first)?;
    let mut states: Vec<KeyState> = replies
        .chunks(3)
        .map(|r| KeyState {
            kind: r[0].as_text().unwrap_or_else(|| "none".into()),
            ttl_ms: r[1].as_i64().unwrap_or(-2),
            // Module types (TSDB-TYPE, ReJSON-RL) all answer `raw`: only core types say something.
            encoding: match (&r[2], r[0].as_text().as_deref()) {
                (
                    Reply::Bulk(_) | Reply::Status(_),
                    Some("string" | "list" | "set" | "zset" | "hash" | "stream"),
                ) => r[2].as_text(),
                _ => None,
            },
            summary: String::new(),
            digest: None,
        })
        .collect();
    let mut second = Vec::new();
    let mut owners = Vec::new();
    for (i, (key, state)) in keys.iter().zip(&states).enumerate() {
        let size_command: Option<&[u8]> = match state.kind.as_str() {
            "string" => Some(b"STRLEN"),
            "list" => Some(b"LLEN"),
            "set" => Some(b"SCARD"),
            "zset" => Some(b"ZCARD"),
            "hash" => Some(b"HLEN"),
            "stream" => Some(b"XLEN"),
            _ => None,
        };
        if let Some(command) = size_command {
            second.push(vec![command.to_vec(), key.clone()]);
            owners.push(i);
            if state.kind == "string" {
                second.push(vec![
                    b"GETRANGE".to_vec(),
                    key.clone(),
                    b"0".to_vec(),
                    b"40".to_vec(),
                ]);
                owners.push(i);
            }
        }
    }
    let replies = observe(second)?;
    let mut iter = owners.into_iter().zip(replies).peekable();
    let mut small = Vec::new();
    while let Some((i, size)) = iter.next() {
        let n = size.as_i64().unwrap_or(0);
        if n <= DIGEST_MAX && !small.contains(&i) {
            small.push(i);
        }
        let state = &mut states[i];
        state.summary = match state.kind.as_str() {
            "string" => {
                let preview = match iter.next_if(|(j, _)| *j == i) {
                    // A HyperLogLog is a string inside; its bytes mean nothing to a reader.
                    Some((_, Reply::Bulk(b))) if b.starts_with(b"HYLL") => {
                        state.summary = format!("HyperLogLog, {n} bytes");
                        continue;
                    }
                    Some((_, Reply::Bulk(b))) => crate::escape::repr_bytes(&b),
                    _ => String::new(),
                };
                if n > 40 {
                    format!("{}…\" ({n} bytes)", preview.trim_end_matches('"'))
                } else {
                    preview
                }
            }
            "list" | "stream" => plural(n, "entry", "entries"),
            "set" | "zset" => plural(n, "member", "members"),
            "hash" => plural(n, "field", "fields"),
            _ => String::new(),
        };
    }
    // The small values' contents: DUMP is read-only, and a server that refuses it (an ACL)
    // just leaves the digest unknown. Few elements can still be big ones, so their memory is
    // asked first (an estimate, O(1)), and only values under DIGEST_MAX_BYTES are read.
    if !small.is_empty() {
        let usage = observe(
            small
                .iter()
                .map(|i| vec![b"MEMORY".to_vec(), b"USAGE".to_vec(), keys[*i].clone()])
                .collect(),
        )?;
        small = small
            .into_iter()
            .zip(usage)
            .filter(|(_, bytes)| bytes.as_i64().is_some_and(|b| b <= DIGEST_MAX_BYTES))
            .map(|(i, _)| i)
            .collect();
    }
    if !small.is_empty() {
        let dumps = observe(
            small
                .iter()
                .map(|i| vec![b"DUMP".to_vec(), keys[*i].clone()])
                .collect(),
        )?;
        for (i, dump) in small.into_iter().zip(dumps) {
            if let Reply::Bulk(bytes) = dump {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut hasher);
                states[i].digest = Some(hasher.finish());
            }
        }
    }
    Ok(states)
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Pairs before/after states by key.
pub fn changes(keys: &[Vec<u8>], before: Vec<KeyState>, after: Vec<KeyState>) -> Vec<KeyChange> {
    keys.iter()
        .zip(before.into_iter().zip(after))
        .map(|(key, (before, after))| KeyChange {
            key: String::from_utf8_lossy(key).into_owned(),
            before,
            after,
        })
        .collect()
}
