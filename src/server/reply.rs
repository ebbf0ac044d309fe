//! Our own reply type, so the rest of the program never depends on redis-rs's `Value` shape.

use redis::Value;

/// A Redis reply, RESP2 and RESP3, errors included as values (a failed command is a reply too).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Nil,
    Int(i64),
    Bulk(Vec<u8>),
    Status(String),
    Error(String),
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Double(f64),
    Bool(bool),
    BigNumber(String),
    Verbatim { format: String, text: String },
    Push { kind: String, data: Vec<Reply> },
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        match value {
            Value::Nil => Reply::Nil,
            Value::Int(i) => Reply::Int(i),
            Value::BulkString(b) => Reply::Bulk(b),
            Value::Array(items) => Reply::Array(items.into_iter().map(Reply::from).collect()),
            Value::SimpleString(s) => Reply::Status(s),
            Value::Okay => Reply::Status("OK".into()),
            Value::Map(pairs) => Reply::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Reply::from(k), Reply::from(v)))
                    .collect(),
            ),
            Value::Attribute { data, .. } => Reply::from(*data),
            Value::Set(items) => Reply::Set(items.into_iter().map(Reply::from).collect()),
            Value::Double(d) => Reply::Double(d),
            Value::Boolean(b) => Reply::Bool(b),
            Value::VerbatimString { format, text } => Reply::Verbatim {
                format: format.to_string(),
                text,
            },
            Value::BigNumber(n) => Reply::BigNumber(String::from_utf8_lossy(&n).into_owned()),
            Value::Push { kind, data } => Reply::Push {
                kind: kind.to_string(),
                data: data.into_iter().map(Reply::from).collect(),
            },
            Value::ServerError(err) => {
                let text = match err.details() {
                    Some(details) => format!("{} {}", err.code(), details),
                    None => err.code().to_string(),
                };
                Reply::Error(text)
            }
            // redis-rs marks Value as non_exhaustive; anything new is shown, not dropped.
            other => Reply::Status(format!("{other:?}")),
        }
    }
}

impl Reply {
    /// A one-line summary for messages, never Rust's debug form: `integer 2`, `"foo"`,
    /// `[nil, "a", … (12 in all)]`, at most 200 characters.
    pub fn short(&self) -> String {
        let text = match self {
            Reply::Nil => "nil".to_string(),
            Reply::Error(e) => format!("error {e:?}"),
            Reply::Int(i) => format!("integer {i}"),
            Reply::Map(pairs) => {
                let flat = pairs.iter().flat_map(|(k, v)| [k, v]);
                short_list(flat, pairs.len() * 2)
            }
            Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. } => {
                short_list(items.iter(), items.len())
            }
            Reply::Bulk(bytes) => {
                // Only the start can be shown: quoting all of a 100 MB string to keep 200
                // characters would cost twice its size. 1,024 bytes are at least 256 characters
                // (no character, nor a replaced invalid sequence, is longer than four bytes).
                let head = &bytes[..bytes.len().min(1024)];
                format!("{:?}", String::from_utf8_lossy(head))
            }
            _ => format!("{:?}", self.as_text().unwrap_or_default()),
        };
        if text.chars().count() > 200 {
            format!("{}…", text.chars().take(200).collect::<String>())
        } else {
            text
        }
    }

    /// The reply as text when it is a scalar (bulk, status, integer, double), else None.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Reply::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Reply::Status(s) => Some(s.clone()),
            Reply::Int(i) => Some(i.to_string()),
            Reply::Double(d) => Some(format_double(*d)),
            Reply::BigNumber(n) => Some(n.clone()),
            Reply::Verbatim { text, .. } => Some(text.clone()),
            Reply::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
            _ => None,
        }
    }

    /// The reply as a number when it is an integer, a double, or a string that parses as one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Reply::Int(i) => Some(*i as f64),
            Reply::Double(d) => Some(*d),
            Reply::Bulk(_) | Reply::Status(_) | Reply::BigNumber(_) => {
                self.as_text()?.trim().parse::<f64>().ok()
            }
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            Reply::Bulk(_) | Reply::Status(_) => self.as_text()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// Elements of an aggregate reply; maps are flattened to key, value, key, value like RESP2.
    pub fn elements(&self) -> Option<Vec<&Reply>> {
        match self {
            Reply::Array(items) | Reply::Set(items) => Some(items.iter().collect()),
            Reply::Push { data, .. } => Some(data.iter().collect()),
            Reply::Map(pairs) => Some(pairs.iter().flat_map(|(k, v)| [k, v]).collect()),
            _ => None,
        }
    }

    /// A map reply (RESP3) or a flat key, value, ... array (RESP2) as named pairs; pairs whose
    /// key is not text are left out (COMMAND DOCS, CONFIG GET, HGETALL all name their keys).
    pub fn named_pairs(&self) -> Vec<(String, &Reply)> {
        self.elements()
            .unwrap_or_default()
            .chunks(2)
            .filter_map(|p| match p {
                [k, v] => Some((k.as_text()?, *v)),
                _ => None,
            })
            .collect()
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The name of the reply's type, as used by the `type` matcher and in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Nil => "nil",
            Reply::Int(_) => "integer",
            Reply::Bulk(_) | Reply::Verbatim { .. } => "string",
            Reply::Status(_) => "status",
            Reply::Error(_) => "error",
            Reply::Array(_) => "array",
            Reply::Map(_) => "map",
            Reply::Set(_) => "set",
            Reply::Double(_) => "double",
            Reply::Bool(_) => "boolean",
            Reply::BigNumber(_) => "bignumber",
            Reply::Push { .. } => "push",
        }
    }
}

/// Doubles as Redis writes them: integers without a fraction, `inf`/`-inf` for infinities.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        if d > 0.0 { "inf".into() } else { "-inf".into() }
    } else if d.is_nan() {
        "nan".into()
    } else {
        format!("{d}")
    }
}

fn short_list<'a>(elements: impl Iterator<Item = &'a Reply>, len: usize) -> String {
    let shown: Vec<String> = elements.take(8).map(Reply::short).collect();
    let more = if len > 8 {
        format!(", … ({len} in all)")
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

#[cfg(test)]
mod tests {

    use super::*;

    /// A 1,000,000-element reply must not exist twice while it is converted: with the same size
    /// and alignment, collecting the moved elements reuses the array redis-rs allocated.
    #[test]
    fn converting_a_big_array_reuses_its_memory_and_moves_its_strings() {
        assert_eq!(std::mem::size_of::<Reply>(), std::mem::size_of::<Value>());
        assert_eq!(std::mem::align_of::<Reply>(), std::mem::align_of::<Value>());
        let items: Vec<Value> = (0..1000)
            .map(|i| Value::BulkString(format!("element:{i}").into_bytes()))
            .collect();
        let (array, first) = match &items[..] {
            [Value::BulkString(b), ..] => (items.as_ptr() as usize, b.as_ptr() as usize),
            _ => unreachable!(),
        };
        let Reply::Array(replies) = Reply::from(Value::Array(items)) else {
            panic!("an array stays an array");
        };
        assert_eq!(replies.as_ptr() as usize, array);
        let Reply::Bulk(b) = &replies[0] else {
            panic!("a bulk string stays a bulk string");
        };
        assert_eq!(b.as_ptr() as usize, first);
    }
}
