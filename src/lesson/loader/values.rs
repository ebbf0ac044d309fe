//! Where a matcher's value is written, and booleans where text or a number was meant.

use crate::lesson::diagnostic::Diagnostic;
use crate::lesson::model::{Expected, Matcher};
use serde_saphyr::Location;

/// The first boolean among a matcher's expected values, with the matcher's name.
pub fn boolean_in(matcher: &Matcher) -> Option<(&'static str, bool)> {
    fn find(value: &Expected) -> Option<bool> {
        match value {
            Expected::Bool(b) => Some(*b),
            Expected::List(items) => items.iter().find_map(find),
            _ => None,
        }
    }
    let (key, values): (&'static str, &[Expected]) = match matcher {
        Matcher::Equals(v) => ("equals", std::slice::from_ref(v)),
        Matcher::Contains(v) => ("contains", std::slice::from_ref(v)),
        Matcher::OneOf(v) => ("one_of", v),
        Matcher::Unordered(v) => ("unordered", v),
        Matcher::Members(v) => ("members", v),
        Matcher::Not(inner) => return boolean_in(&inner.value),
        Matcher::AllOf(all) | Matcher::AnyOf(all) => {
            return all.iter().find_map(|m| boolean_in(&m.value));
        }
        _ => return None,
    };
    values.iter().find_map(find).map(|b| (key, b))
}

/// A boolean where a string or a number was meant: YAML reads unquoted `yes`, `no`, `on`, `off`,
/// `y`, `n`, `true` and `false` as booleans, and a boolean matches only a RESP3 boolean reply.
/// A probe (redis-lab's observer speaks RESP2) or a `received` list never holds one: an error.
/// A reply the learner got, or a probe of a named client, may be RESP3 (after `HELLO 3`): a
/// warning.
pub fn boolean_problem(
    file: &str,
    source: &str,
    check: &crate::lesson::model::Check,
    key: &str,
    value: bool,
) -> Diagnostic {
    let (line, column) = value_position(source, &check.expect.referenced, key);
    let never = check.received.is_some() || (check.probe.is_some() && check.client.is_none());
    let message = if never {
        format!(
            "`{key}` is given the boolean {value}, which this check's reply can never be: a \
             boolean matches only a RESP3 boolean reply (not the integer 1, not a string)"
        )
    } else {
        format!(
            "`{key}` is given the boolean {value}: it matches only a RESP3 boolean reply (after \
             `HELLO 3`), not the integer 1 or 0, nor a string"
        )
    };
    let diagnostic = Diagnostic::new(file, source, line, column, message).with_help(
        "YAML reads unquoted true, false, yes, no, on, off, y and n as booleans: quote the word \
         for text (`\"yes\"`), or write 1 or 0 for an integer reply (SISMEMBER, EXISTS)",
    );
    if never {
        diagnostic
    } else {
        diagnostic.as_warning()
    }
}

/// Where the value of a matcher's `key:` is written, from the matcher's own position (`{` of
/// `{matches: ...}`, or the first line of a block mapping): the caret goes under the value.
pub fn value_position(source: &str, start: &Location, key: &str) -> (u64, u64) {
    let fallback = (start.line(), start.column());
    let Some(first) = usize::try_from(start.line())
        .ok()
        .and_then(|l| l.checked_sub(1))
    else {
        return fallback;
    };
    let needle = format!("{key}:");
    for (index, text) in source.lines().enumerate().skip(first).take(8) {
        let from = if index == first {
            usize::try_from(start.column().saturating_sub(1)).unwrap_or(0)
        } else {
            0
        };
        let Some(found) = text.get(from..).and_then(|rest| rest.find(&needle)) else {
            continue;
        };
        let after = from + found + needle.len();
        let value = after + text[after..].len() - text[after..].trim_start().len();
        return (index as u64 + 1, text[..value].chars().count() as u64 + 1);
    }
    fallback
}
