//! Matching a probe's reply against what a check expects.
//!
//! Matching is about the state, so it is lenient where Redis itself is: a number matches an
//! integer reply or a string holding that number (GET returns "3" after three INCRs).

use crate::lesson::model::{Expected, LengthSpec, Matcher, ReplyType};
use crate::server::reply::Reply;

/// Ok if the reply matches; otherwise what was wrong, for the learner.
pub fn evaluate(matcher: &Matcher, reply: &Reply) -> Result<(), String> {
    // Numeric matchers read a one-element array as its element (`BF.INFO k ITEMS` -> [9995],
    // `HTTL` -> [60]).
    if let (Matcher::Approx(_) | Matcher::Range(_), Reply::Array(items)) = (matcher, reply)
        && let [single] = &items[..]
    {
        return evaluate(matcher, single);
    }
    let ok = match matcher {
        Matcher::Not(inner) => evaluate(&inner.value, reply).is_err(),
        // The first matcher that fails says what was wrong.
        Matcher::AllOf(all) => return all.iter().try_for_each(|m| evaluate(&m.value, reply)),
        Matcher::AnyOf(any) => any.iter().any(|m| evaluate(&m.value, reply).is_ok()),
        Matcher::Pairs(pairs) => pairs_match(&pairs.0, reply),
        Matcher::Equals(expected) => equals(expected, reply),
        Matcher::OneOf(options) => options.iter().any(|e| equals(e, reply)),
        Matcher::Contains(expected) => contains(expected, reply),
        Matcher::Unordered(items) => unordered(items, reply),
        Matcher::Members(items) => members(items, reply),
        Matcher::Approx(approx) => match reply.as_f64() {
            Some(found) => {
                let tolerance = approx
                    .tolerance
                    .unwrap_or(0.0)
                    .max(approx.percent.unwrap_or(0.0) / 100.0 * approx.value.abs());
                (found - approx.value).abs() <= tolerance
            }
            None => return Err(format!("found {}, which is not a number", short(reply))),
        },
        Matcher::Range(bounds) => match reply.as_f64() {
            Some(found) => {
                bounds.min.is_none_or(|min| found >= min)
                    && bounds.max.is_none_or(|max| found <= max)
            }
            None => return Err(format!("found {}, which is not a number", short(reply))),
        },
        Matcher::Matches(pattern) => {
            let regex = regex::Regex::new(pattern).map_err(|e| format!("invalid pattern: {e}"))?;
            // In a nested reply (a stream entry, XINFO), any string may match.
            scalars(reply).iter().any(|text| regex.is_match(text))
        }
        Matcher::Nil(want_nil) => (*reply == Reply::Nil) == *want_nil,
        Matcher::Error(prefix) => {
            matches!(reply, Reply::Error(e) if e.starts_with(prefix.as_str()))
        }
        Matcher::Type(kind) => type_matches(*kind, reply),
        Matcher::Length(spec) => {
            let Some(length) = length_of(reply) else {
                return Err(format!("found {}, which has no length", short(reply)));
            };
            match spec {
                LengthSpec::Exactly(n) => length == *n,
                LengthSpec::Within(bounds) => {
                    let length = length as f64;
                    bounds.min.is_none_or(|min| length >= min)
                        && bounds.max.is_none_or(|max| length <= max)
                }
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(match matcher {
            Matcher::Length(_) => format!(
                "found length {} ({})",
                length_of(reply).unwrap_or(0),
                short(reply)
            ),
            _ => format!("found {}", short(reply)),
        })
    }
}

/// What a matcher wants, in words.
pub fn describe(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Not(inner) => format!("anything but {}", describe(&inner.value)),
        Matcher::AllOf(all) => join_described(all, " and "),
        Matcher::AnyOf(any) => join_described(any, " or "),
        Matcher::Pairs(pairs) => {
            let shown: Vec<String> = pairs
                .0
                .iter()
                .take(6)
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let more = if pairs.0.len() > 6 { ", …" } else { "" };
            format!(
                "exactly the {} pairs {{{}{more}}} in any order",
                pairs.0.len(),
                shown.join(", ")
            )
        }
        Matcher::Equals(e) => summarize(e),
        Matcher::OneOf(options) => {
            let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            format!("one of {}", list.join(", "))
        }
        Matcher::Contains(e) => format!("something containing {}", summarize(e)),
        Matcher::Unordered(items) => {
            format!(
                "exactly {} in any order",
                summarize(&Expected::List(items.clone()))
            )
        }
        Matcher::Members(items) => format!(
            "the members {} in this order (alone or with what was asked, WITHDIST ...)",
            summarize(&Expected::List(items.clone()))
        ),
        Matcher::Approx(a) => match (a.tolerance, a.percent) {
            (_, Some(p)) => format!("{} ± {p}%", a.value),
            (Some(t), None) => format!("{} ± {t}", a.value),
            (None, None) => format!("{}", a.value),
        },
        Matcher::Range(b) => bounds_text("a number", b.min, b.max),
        Matcher::Matches(p) => format!("text matching /{p}/"),
        Matcher::Nil(true) => "nil (no such key or field)".into(),
        Matcher::Nil(false) => "a value (not nil)".into(),
        Matcher::Error(prefix) => format!("an error starting with {prefix:?}"),
        Matcher::Type(t) => format!("a reply of type {}", t.as_str()),
        Matcher::Length(LengthSpec::Exactly(n)) => format!("length {n}"),
        Matcher::Length(LengthSpec::Within(b)) => bounds_text("a length", b.min, b.max),
    }
}

fn join_described(matchers: &[serde_saphyr::Spanned<Matcher>], with: &str) -> String {
    let parts: Vec<String> = matchers.iter().map(|m| describe(&m.value)).collect();
    format!("({})", parts.join(with))
}

/// A reply as (field, value) pairs: a RESP3 map, an array of two-element entries (RESP3
/// `WITHSCORES`), or a flat array of scalars taken two by two (RESP2 `HGETALL`, `WITHSCORES`).
fn as_pairs(reply: &Reply) -> Option<Vec<(&Reply, &Reply)>> {
    if let Reply::Map(pairs) = reply {
        return Some(pairs.iter().map(|(k, v)| (k, v)).collect());
    }
    let elements = reply.elements()?;
    if elements
        .iter()
        .all(|e| matches!(e, Reply::Array(entry) if entry.len() == 2))
    {
        return Some(
            elements
                .iter()
                .filter_map(|e| match e {
                    Reply::Array(entry) => Some((&entry[0], &entry[1])),
                    _ => None,
                })
                .collect(),
        );
    }
    if elements.len() % 2 == 0 && elements.iter().all(|e| e.elements().is_none()) {
        return Some(elements.chunks(2).map(|c| (c[0], c[1])).collect());
    }
    None
}

/// Exactly these pairs, in any order: each expected pair claims a distinct pair of the reply.
fn pairs_match(expected: &[(String, Expected)], reply: &Reply) -> bool {
    let Some(found) = as_pairs(reply) else {
        return false;
    };
    if found.len() != expected.len() {
        return false;
    }
    let mut used = vec![false; found.len()];
    expected.iter().all(|(key, value)| {
        let key = Expected::Str(key.clone());
        match found
            .iter()
            .enumerate()
            .position(|(i, (k, v))| !used[i] && equals(&key, k) && equals(value, v))
        {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

/// A value for a message; a long list is summarised so a failure does not print the answer.
fn summarize(expected: &Expected) -> String {
    match expected {
        Expected::List(items) if items.len() > 6 => {
            let first: Vec<String> = items.iter().take(2).map(|i| i.to_string()).collect();
            format!(
                "a list of {} items starting {}, …",
                items.len(),
                first.join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn bounds_text(what: &str, min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{what} between {lo} and {hi}"),
        (Some(lo), None) => format!("{what} of at least {lo}"),
        (None, Some(hi)) => format!("{what} of at most {hi}"),
        (None, None) => what.to_string(),
    }
}

pub fn equals(expected: &Expected, reply: &Reply) -> bool {
    match expected {
        Expected::Null => *reply == Reply::Nil,
        // A boolean is a RESP3 boolean only: `equals: true` against SCARD's 2 must not pass
        // (an integer reply is matched by a number, `equals: 1`).
        Expected::Bool(b) => matches!(reply, Reply::Bool(found) if found == b),
        Expected::Int(n) => match reply {
            Reply::Int(i) => i == n,
            Reply::Double(d) => *d == *n as f64,
            Reply::Bulk(_) | Reply::Status(_) | Reply::BigNumber(_) => {
                reply.as_text().is_some_and(|t| t.trim() == n.to_string())
            }
            _ => false,
        },
        Expected::Float(x) => match reply {
            Reply::Int(_) | Reply::Double(_) | Reply::Bulk(_) | Reply::Status(_) => {
                reply.as_f64().is_some_and(|f| f == *x)
            }
            _ => false,
        },
        Expected::Str(s) => match reply {
            Reply::Bulk(b) => b == s.as_bytes(),
            Reply::Status(t) => t == s,
            Reply::Verbatim { text, .. } => text == s,
            Reply::Int(i) => i.to_string() == *s,
            Reply::Double(_) => reply
                .as_f64()
                .is_some_and(|f| s.parse::<f64>().ok() == Some(f)),
            _ => false,
        },
        Expected::List(items) => match reply.elements() {
            Some(elements) => {
                elements.len() == items.len()
                    && items.iter().zip(elements).all(|(e, r)| equals(e, r))
            }
            None => false,
        },
    }
}

/// Every scalar of a reply as text, at any depth.
fn scalars(reply: &Reply) -> Vec<String> {
    match reply.elements() {
        Some(elements) => elements.into_iter().flat_map(scalars).collect(),
        None => reply.as_text().into_iter().collect(),
    }
}

/// Whether `expected` equals this reply or any element nested in it.
fn found_anywhere(expected: &Expected, reply: &Reply) -> bool {
    equals(expected, reply)
        || reply
            .elements()
            .is_some_and(|elements| elements.iter().any(|e| found_anywhere(expected, e)))
}

fn contains(expected: &Expected, reply: &Reply) -> bool {
    match reply.elements() {
        Some(elements) => {
            // A list expected as a whole element (a stream entry's field list) counts too.
            if matches!(expected, Expected::List(_)) && found_anywhere(expected, reply) {
                return true;
            }
            let wanted: Vec<&Expected> = match expected {
                Expected::List(items) => items.iter().collect(),
                single => vec![single],
            };
            wanted
                .iter()
                .all(|w| elements.iter().any(|r| found_anywhere(w, r)))
        }
        None => match (expected, reply.as_text()) {
            (Expected::Str(s), Some(text)) => text.contains(s.as_str()),
            (other, Some(text)) => text.contains(&other.to_string()),
            _ => false,
        },
    }
}

fn members(items: &[Expected], reply: &Reply) -> bool {
    let Some(elements) = reply.elements() else {
        return false;
    };
    elements.len() == items.len()
        && elements.iter().zip(items).all(|(element, item)| {
            let member = match element {
                Reply::Array(entry) => entry.first(),
                other => Some(*other),
            };
            member.is_some_and(|m| equals(item, m))
        })
}

fn unordered(items: &[Expected], reply: &Reply) -> bool {
    let Some(elements) = reply.elements() else {
        return false;
    };
    if elements.len() != items.len() {
        return false;
    }
    // Each expected item claims a distinct element, so duplicates are counted properly.
    let mut used = vec![false; elements.len()];
    items.iter().all(|item| {
        match elements
            .iter()
            .enumerate()
            .position(|(i, r)| !used[i] && equals(item, r))
        {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn type_matches(kind: ReplyType, reply: &Reply) -> bool {
    match kind {
        ReplyType::Nil => *reply == Reply::Nil,
        ReplyType::Integer => matches!(reply, Reply::Int(_)),
        ReplyType::String => matches!(reply, Reply::Bulk(_) | Reply::Verbatim { .. }),
        ReplyType::Status => matches!(reply, Reply::Status(_)),
        ReplyType::Error => reply.is_error(),
        ReplyType::Array => matches!(reply, Reply::Array(_)),
        ReplyType::Map => matches!(reply, Reply::Map(_)),
        ReplyType::Set => matches!(reply, Reply::Set(_)),
        ReplyType::Double => matches!(reply, Reply::Double(_)),
        ReplyType::Boolean => matches!(reply, Reply::Bool(_)),
    }
}

fn length_of(reply: &Reply) -> Option<u64> {
    match reply {
        Reply::Bulk(b) => Some(b.len() as u64),
        Reply::Status(s) => Some(s.len() as u64),
        Reply::Map(pairs) => Some(pairs.len() as u64),
        _ => reply.elements().map(|e| e.len() as u64),
    }
}

/// A one-line summary of a reply for messages (see [`Reply::short`]).
pub fn short(reply: &Reply) -> String {
    reply.short()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::model::{Approx, Bounds};

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn members_are_matched_in_order_alone_or_first_in_their_entries() {
        let m = Matcher::Members(vec![Expected::Str("a".into()), Expected::Str("b".into())]);
        let plain = Reply::Array(vec![bulk("a"), bulk("b")]);
        let with_dist = Reply::Array(vec![
            Reply::Array(vec![bulk("a"), bulk("515.3880")]),
            Reply::Array(vec![bulk("b"), bulk("526.3801")]),
        ]);
        assert!(evaluate(&m, &plain).is_ok());
        assert!(evaluate(&m, &with_dist).is_ok());
        assert!(evaluate(&m, &Reply::Array(vec![bulk("b"), bulk("a")])).is_err());
        assert!(evaluate(&m, &Reply::Array(vec![bulk("a")])).is_err());
        assert!(evaluate(&m, &Reply::Array(vec![bulk("a"), bulk("b"), bulk("c")])).is_err());
        assert!(evaluate(&m, &bulk("a")).is_err());
    }

    fn matcher(yaml: &str) -> Matcher {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    #[test]
    fn pairs_match_hgetall_and_withscores_in_any_order_in_resp2_and_resp3() {
        let m = matcher("{pairs: {name: Ann, visits: 3}}");
        let flat = Reply::Array(vec![bulk("visits"), bulk("3"), bulk("name"), bulk("Ann")]);
        let map = Reply::Map(vec![
            (bulk("name"), bulk("Ann")),
            (bulk("visits"), bulk("3")),
        ]);
        assert!(evaluate(&m, &flat).is_ok());
        assert!(evaluate(&m, &map).is_ok());
        let more = Reply::Map(vec![
            (bulk("name"), bulk("Ann")),
            (bulk("visits"), bulk("3")),
            (bulk("plan"), bulk("pro")),
        ]);
        assert!(evaluate(&m, &more).is_err(), "exactly these pairs");
        let swapped = Reply::Array(vec![bulk("name"), bulk("3"), bulk("visits"), bulk("Ann")]);
        assert!(
            evaluate(&m, &swapped).is_err(),
            "values stay with their fields"
        );
        // ZRANGE ... WITHSCORES: a flat array in RESP2, [member, double] entries in RESP3.
        let scores = matcher("{pairs: {alice: 10, bob: 2.5}}");
        let resp2 = Reply::Array(vec![bulk("bob"), bulk("2.5"), bulk("alice"), bulk("10")]);
        let resp3 = Reply::Array(vec![
            Reply::Array(vec![bulk("alice"), Reply::Double(10.0)]),
            Reply::Array(vec![bulk("bob"), Reply::Double(2.5)]),
        ]);
        assert!(evaluate(&scores, &resp2).is_ok());
        assert!(evaluate(&scores, &resp3).is_ok());
        assert!(evaluate(&scores, &Reply::Array(vec![bulk("alice")])).is_err());
        assert!(evaluate(&matcher("{pairs: {}}"), &Reply::Array(vec![])).is_ok());
        assert_eq!(
            describe(&scores),
            "exactly the 2 pairs {alice: 10, bob: 2.5} in any order"
        );
    }

    #[test]
    fn not_all_of_and_any_of_combine_matchers() {
        let list = Reply::Array(vec![bulk("a"), bulk("b")]);
        let no_c = matcher("{not: {contains: c}}");
        assert!(evaluate(&no_c, &list).is_ok());
        assert_eq!(
            evaluate(&matcher("{not: {contains: a}}"), &list),
            Err(format!("found {}", list.short()))
        );
        let both = matcher("{all_of: [{contains: a}, {length: 2}, {not: {contains: c}}]}");
        assert!(evaluate(&both, &list).is_ok());
        // The first matcher that fails says what was wrong.
        let three = matcher("{all_of: [{contains: a}, {length: 3}]}");
        assert_eq!(
            evaluate(&three, &list),
            Err(format!("found length 2 ({})", list.short()))
        );
        let either = matcher("{any_of: [{nil: true}, {equals: 0}]}");
        assert!(evaluate(&either, &Reply::Nil).is_ok());
        assert!(evaluate(&either, &Reply::Int(0)).is_ok());
        assert!(evaluate(&either, &Reply::Int(1)).is_err());
        assert_eq!(
            describe(&matcher(
                "{all_of: [{contains: a}, {not: {any_of: [{nil: true}, {equals: 0}]}}]}"
            )),
            "(something containing \"a\" and anything but (nil (no such key or field) or 0))"
        );
    }

    #[test]
    fn numbers_match_integer_and_numeric_string_replies() {
        let three = Matcher::Equals(Expected::Int(3));
        assert!(evaluate(&three, &Reply::Int(3)).is_ok());
        assert!(evaluate(&three, &bulk("3")).is_ok());
        assert!(evaluate(&three, &bulk("4")).is_err());
        assert!(evaluate(&three, &Reply::Nil).is_err());
    }

    /// `equals: true` (or unquoted `yes`) once passed against SCARD = 2 and LLEN = 5.
    #[test]
    fn booleans_match_only_booleans() {
        let yes = Matcher::Equals(Expected::Bool(true));
        assert!(evaluate(&yes, &Reply::Bool(true)).is_ok());
        assert!(evaluate(&yes, &Reply::Bool(false)).is_err());
        for not_a_boolean in [Reply::Int(2), Reply::Int(1), Reply::Int(5), bulk("true")] {
            assert!(evaluate(&yes, &not_a_boolean).is_err(), "{not_a_boolean:?}");
        }
        let no = Matcher::Equals(Expected::Bool(false));
        assert!(evaluate(&no, &Reply::Int(0)).is_err());
        assert!(evaluate(&no, &Reply::Bool(false)).is_ok());
    }

    #[test]
    fn unordered_counts_duplicates() {
        let m = Matcher::Unordered(vec![Expected::Str("a".into()), Expected::Str("a".into())]);
        assert!(evaluate(&m, &Reply::Array(vec![bulk("a"), bulk("a")])).is_ok());
        assert!(evaluate(&m, &Reply::Array(vec![bulk("a"), bulk("b")])).is_err());
    }

    #[test]
    fn range_and_approx_and_length() {
        let ttl = Matcher::Range(Bounds {
            min: Some(1.0),
            max: Some(60.0),
        });
        assert!(evaluate(&ttl, &Reply::Int(60)).is_ok());
        assert!(evaluate(&ttl, &Reply::Int(-1)).is_err());
        let approx = Matcher::Approx(Approx {
            value: 100_000.0,
            tolerance: None,
            percent: Some(2.0),
        });
        assert!(evaluate(&approx, &Reply::Int(99_725)).is_ok());
        assert!(evaluate(&approx, &Reply::Int(97_000)).is_err());
        let len = Matcher::Length(LengthSpec::Exactly(2));
        assert!(evaluate(&len, &Reply::Array(vec![bulk("a"), bulk("b")])).is_ok());
        assert!(evaluate(&len, &Reply::Array(vec![])).is_err());
    }

    #[test]
    fn errors_nil_contains_and_regex() {
        let wrongtype = Matcher::Error("WRONGTYPE".into());
        assert!(evaluate(&wrongtype, &Reply::Error("WRONGTYPE Operation".into())).is_ok());
        assert!(evaluate(&wrongtype, &bulk("WRONGTYPE")).is_err());
        assert!(evaluate(&Matcher::Nil(true), &Reply::Nil).is_ok());
        assert!(evaluate(&Matcher::Nil(false), &Reply::Nil).is_err());
        let has = Matcher::Contains(Expected::Str("alice".into()));
        assert!(evaluate(&has, &Reply::Array(vec![bulk("bob"), bulk("alice")])).is_ok());
        assert!(evaluate(&has, &Reply::Array(vec![bulk("bob")])).is_err());
        let re = Matcher::Matches("^[0-9]+-[0-9]+$".into());
        assert!(evaluate(&re, &bulk("1700000000000-0")).is_ok());
        assert!(evaluate(&re, &bulk("abc")).is_err());
    }

    #[test]
    fn contains_and_matches_look_into_nested_replies() {
        // XRANGE: [[id, [field, value]]]
        let entry = Reply::Array(vec![Reply::Array(vec![
            bulk("5-1"),
            Reply::Array(vec![bulk("c"), bulk("1")]),
        ])]);
        let pair = Matcher::Contains(Expected::List(vec![
            Expected::Str("c".into()),
            Expected::Str("1".into()),
        ]));
        assert!(evaluate(&pair, &entry).is_ok());
        assert!(evaluate(&Matcher::Contains(Expected::Str("5-1".into())), &entry).is_ok());
        assert!(evaluate(&Matcher::Contains(Expected::Str("9-9".into())), &entry).is_err());
        assert!(evaluate(&Matcher::Matches("^5-".into()), &entry).is_ok());
    }
}
