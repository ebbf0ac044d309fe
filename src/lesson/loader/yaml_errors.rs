//! The YAML parser's errors in an author's words: where it stopped, what shape was expected,
//! and what was probably meant (a tab in the indentation, an unclosed quote, a misspelt key).

use super::*;

pub(crate) fn yaml_diagnostic(file: &str, source: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let message = clean_message(&e.without_snippet().to_string());
    // The parser notices a tab or an open quote later than where it is: point at the cause.
    // These come from the YAML scanner (saphyr-parser), which gives serde-saphyr only a text
    // (`Error::ExternalMessage`, no kind or code): its words are all there is to tell them by.
    // Errors of the lesson's shape (unknown or missing fields and variants, a number or a list
    // where something else is written) have kinds, below (`explain_shape`, `shape_error`).
    if message.contains("tab")
        && let Some((tab_line, tab_column)) = first_indent_tab(source)
    {
        return Diagnostic::new(
            file,
            source,
            tab_line,
            tab_column,
            "a tab in the indentation",
        )
        .with_help("YAML indents with spaces only: replace the tab with spaces");
    }
    if message.contains("quoted scalar")
        && let Some(open_line) = unclosed_quote_line(source, line)
    {
        let column = source
            .lines()
            .nth(open_line as usize - 1)
            .and_then(|l| l.find('"'))
            .map_or(1, |c| c as u64 + 1);
        return Diagnostic::new(
            file,
            source,
            open_line,
            column,
            "this quoted string is never closed",
        )
        .with_help("add the closing `\"` at the end of the value");
    }
    let key = key_on_line(source, line);
    // A value of the wrong shape in a flow map (`expect: {pairs: [a, 1]}`) is the value of the
    // key just before it, not of the line's first key.
    let value_key = flow_key_before(source, line, column).or(key);
    if let Some((shown, help)) = explain_shape(e, &message, value_key) {
        return Diagnostic::new(file, source, line, column, shown).with_help(help);
    }
    let (shown, help) = match shape_error(e) {
        Some(ShapeError::Unknown {
            word,
            expected,
            variant,
        }) => {
            // The help names (or replaces) the list of valid names: the message stays short.
            let what = match (variant, key) {
                // Under `expect:` serde's "variant" is a matcher.
                (true, Some("expect")) => "matcher",
                (true, _) => "variant",
                (false, _) => "field",
            };
            (
                format!("unknown {what} `{word}`"),
                Some(unknown_help(word, expected, key)),
            )
        }
        Some(ShapeError::Missing { field: "format" }) => (
            message.clone(),
            Some(format!("add `format: {FORMAT_VERSION}` as the first line")),
        ),
        Some(ShapeError::Missing { field }) => (
            message.clone(),
            Some(format!("add the required field `{field}:`")),
        ),
        None => (message.clone(), None),
    };
    let diagnostic = Diagnostic::new(file, source, line, column, shown);
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// serde-saphyr prefixes "line L column C: " and may suffix " at line L, column C": we show
/// the position ourselves.
fn clean_message(raw: &str) -> String {
    let mut text = raw.trim().trim_start_matches("error: ").to_string();
    if let Some(rest) = text.strip_prefix("line ")
        && let Some(colon) = rest.find(": ")
        && rest[..colon].contains("column")
    {
        text = rest[colon + 2..].to_string();
    }
    if let Some(at) = text.rfind(" at line ") {
        text.truncate(at);
    }
    let text = text.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    in_authors_words(&text).unwrap_or(text)
}

/// The YAML reader's own words for a few errors (its limits, serde's enum terms), put in a
/// lesson author's: what is wrong in the file and what to write instead.
fn in_authors_words(text: &str) -> Option<String> {
    // The number in `Depth { depth: 65 }`: the first run of digits after `prefix`.
    let number_after = |prefix: &str| -> Option<String> {
        let rest = text.strip_prefix(prefix)?;
        let digits: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    };
    if let Some(depth) = number_after("budget breached: Depth") {
        return Some(format!(
            "nested {depth} levels deep (maps and lists inside each other), more than a lesson file \
             may be; a matcher needs a few levels, not dozens"
        ));
    }
    if let Some(bytes) = number_after("budget breached: ScalarBytes") {
        return Some(format!(
            "the text values add up to {bytes} bytes once every `*alias` is expanded, more than a \
             lesson file may hold (aliases of aliases multiply the text)"
        ));
    }
    if text.starts_with("budget breached:") {
        return Some(format!(
            "the file is larger than a lesson may be once its aliases are expanded ({})",
            text.trim_start_matches("budget breached: ")
        ));
    }
    if text.starts_with("expected string key for externally tagged enum") {
        return Some(
            "an empty matcher: write one matcher and its value, like `{equals: 1}` or `{not: {equals: 1}}`"
                .into(),
        );
    }
    None
}

/// The field a line sets (`  - title: One` sets `title`), to name it in a message.
fn key_on_line(source: &str, line: u64) -> Option<&str> {
    let text = source
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let text = text.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = text.split_once(':')?;
    let is_field = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    is_field.then_some(key)
}

/// The key whose value starts at `column` inside a flow map: `pairs` for the `[` of
/// `{pairs: [a, 1]}`. None where the text before the column does not end with `key:`.
fn flow_key_before(source: &str, line: u64, column: u64) -> Option<&str> {
    let text = source
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let before = text.get(..usize::try_from(column).ok()?.checked_sub(1)?)?;
    let before = before.trim_end().strip_suffix(':')?;
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + 1);
    let key = &before[start..];
    // Only inside a flow map: the line's own first key is what key_on_line names.
    (!key.is_empty() && before[..start].contains('{')).then_some(key)
}

/// The parser's words for a value of the wrong shape or a misplaced line ("invalid u32",
/// "expected sequence start") say what it expected, not what the author should write.
fn explain_shape(
    e: &serde_saphyr::Error,
    message: &str,
    key: Option<&str>,
) -> Option<(String, String)> {
    use serde_saphyr::Error;
    let field = key.map_or_else(|| "this value".to_string(), |k| format!("`{k}`"));
    let mut e = e;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = e {
        e = error;
    }
    // A number of the wrong form, and a value of the wrong shape, have kinds.
    let number = match e {
        Error::InvalidScalar { ty, .. }
            if ty.len() > 1 && ty[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            Some(*ty)
        }
        _ => None,
    };
    if let Some(kind) = number {
        let (what, example) = match kind.as_bytes()[0] {
            b'f' => ("a number", "a number such as `1.5`"),
            // `max_commands: -1` is a whole number to its author: say the sign is the problem.
            b'u' => (
                "a whole number",
                "a whole number of 0 or more (no sign), such as `1`",
            ),
            _ => ("a whole number", "a number such as `1`"),
        };
        return Some((
            format!("{field} must be {what}"),
            format!("write {example}, without quotes"),
        ));
    }
    let shaped = |what: &str, help: &str| Some((format!("{field} must be {what}"), help.into()));
    let expected = match e {
        Error::Unexpected { expected, .. } => *expected,
        _ => "",
    };
    match expected {
        "sequence start" => shaped(
            "a list",
            "write `[a, b]`, or one `- item` per line below it, indented",
        ),
        "mapping start" => shaped(
            "a mapping of fields",
            "put its fields on the lines below it, indented, or write `{field: value}`",
        ),
        "string scalar" => shaped(
            "text, not a list or a mapping",
            "write the value on this line; put it in quotes if it starts with `[`, `{`, `-` or holds `: `",
        ),
        _ => scanner_shape(message),
    }
}

/// The YAML scanner's messages about a misplaced line: text only (see `yaml_diagnostic`).
fn scanner_shape(message: &str) -> Option<(String, String)> {
    match message {
        "mapping values are not allowed in this context" => Some((
            "a `field:` where none can start: this line is indented deeper than the one above it, or a value holds `: `".into(),
            "line the field up with its neighbours; if `: ` is part of the value, put the value in quotes".into(),
        )),
        "expected end of mapping after enum variant value" => Some((
            "a matcher is one field: this is a second one".into(),
            "give each matcher a check of its own (the step passes when all pass)".into(),
        )),
        m if m.contains("did not find expected key") => Some((
            "this line does not line up with the fields around it".into(),
            "indent it like the fields of the same mapping, or like the `- ` items of the same list".into(),
        )),
        _ => None,
    }
}

/// A lesson field or variant the format does not have, or a required one left out, as
/// serde-saphyr's error kinds say (never parsed from the message text).
enum ShapeError<'e> {
    Unknown {
        word: &'e str,
        expected: &'e [&'static str],
        /// An enum variant (a matcher, a track ...) rather than a field.
        variant: bool,
    },
    Missing {
        field: &'static str,
    },
}

fn shape_error(e: &serde_saphyr::Error) -> Option<ShapeError<'_>> {
    use serde_saphyr::Error;
    let mut e = e;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = e {
        e = error;
    }
    match e {
        Error::SerdeUnknownField {
            field, expected, ..
        } => Some(ShapeError::Unknown {
            word: field,
            expected,
            variant: false,
        }),
        Error::SerdeUnknownVariant {
            variant, expected, ..
        } => Some(ShapeError::Unknown {
            word: variant,
            expected,
            variant: true,
        }),
        Error::SerdeMissingField { field, .. } => Some(ShapeError::Missing { field }),
        _ => None,
    }
}

/// "did you mean" for an unknown field or variant, from the names serde expected. `key` is the
/// field on the error's line: under `expect:` the variants are matchers.
fn unknown_help(word: &str, expected: &[&'static str], key: Option<&str>) -> String {
    match did_you_mean(word, expected.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if key == Some("expect") => format!(
            "write a matcher and its value, like `{{equals: 1}}`; the matchers: {}",
            expected.join(", ")
        ),
        None => format!("expected one of: {}", expected.join(", ")),
    }
}

/// Line and column of the first tab in a line's leading white space.
fn first_indent_tab(source: &str) -> Option<(u64, u64)> {
    source.lines().enumerate().find_map(|(i, line)| {
        let indent_len = line.len() - line.trim_start_matches([' ', '\t']).len();
        line[..indent_len]
            .find('\t')
            .map(|col| (i as u64 + 1, col as u64 + 1))
    })
}

/// The last line at or before `error_line` with an odd number of unescaped double quotes.
fn unclosed_quote_line(source: &str, error_line: u64) -> Option<u64> {
    let lines: Vec<&str> = source.lines().collect();
    let last = (error_line as usize).min(lines.len());
    (0..last)
        .rev()
        .find(|&i| (lines[i].matches('"').count() - lines[i].matches("\\\"").count()) % 2 == 1)
        .map(|i| i as u64 + 1)
}
