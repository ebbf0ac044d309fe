//! Reading on after a format error: the spot is neutralised in a copy of the text and the
//! parse goes on, so `check` reports every problem of a file in one run.

use super::{MAX_PROBLEMS, yaml_diagnostic};
use crate::lesson::diagnostic::{Diagnostic, Diagnostics};
use crate::lesson::model::Lesson;

/// Parses the lesson; after an error the parser can step over (an unknown field, a misspelt
/// matcher or variant, a duplicate key, a value of the wrong shape), that spot is neutralised in
/// a copy of the text (line numbers kept) and the parse goes on, so one run reports them all.
/// Semantic checks run only on a file without format errors.
pub(super) fn parse_collecting(file: &str, source: &str) -> Result<Lesson, Diagnostics> {
    let mut text = source.to_string();
    let mut problems: Vec<Diagnostic> = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let e = match serde_saphyr::from_str::<Lesson>(&text) {
            Ok(lesson) if problems.is_empty() => return Ok(lesson),
            Ok(_) => break,
            Err(e) => e,
        };
        let mut d = yaml_diagnostic(file, &text, &e);
        // Shown with the author's own line, not the neutralised copy.
        d.source_line = (d.line > 0)
            .then(|| source.lines().nth(d.line as usize - 1))
            .flatten()
            .map(str::to_string);
        // A misspelt required field, once stepped over, is also missing: said once.
        let said = problems.iter().any(|p| {
            d.message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .is_some_and(|f| p.help.as_deref() == Some(&format!("did you mean `{f}`?")))
        });
        let repeated = problems
            .last()
            .is_some_and(|p| (p.line, p.column, &p.message) == (d.line, d.column, &d.message));
        if repeated {
            break;
        }
        let patched = step_over(&text, &d);
        if !said {
            problems.push(d);
        }
        match patched {
            Some(next) if next != text => text = next,
            _ => break,
        }
    }
    Err(Diagnostics(problems))
}

/// The text with the reported problem neutralised, or None when the parser cannot go on past it.
fn step_over(text: &str, d: &Diagnostic) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let index = usize::try_from(d.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(d.column).ok()?.checked_sub(1)?;
    let line = lines.get(index)?.clone();
    let start = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    let message = d.message.as_str();
    if message.starts_with("unknown field `")
        || message.starts_with("duplicate")
        || message.starts_with("a matcher is one field")
    {
        let in_flow = line[..start].matches('{').count() > line[..start].matches('}').count();
        if in_flow {
            // `{equals: 1, colour: red}`: drop `colour: red` and its comma.
            let rest = &line[start..];
            let mut depth = 0i32;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' | '[' => depth += 1,
                        '}' | ']' if depth > 0 => depth -= 1,
                        _ => {}
                    }
                    depth == 0 && matches!(c, ',' | '}')
                })
                .map_or(rest.len(), |(i, _)| i);
            let mut cut_start = start;
            let mut cut_end = start + end;
            if rest[end..].starts_with(',') {
                cut_end += 1;
            } else if let Some(comma) = line[..start].rfind(',') {
                cut_start = comma;
            }
            let blank = " ".repeat(cut_end - cut_start);
            lines[index] = format!("{}{blank}{}", &line[..cut_start], &line[cut_end..]);
        } else {
            // A block field: its line and the lines indented under it. A `- ` before the key
            // keeps the list item (its other fields follow at the key's column).
            let key_column = line[..start].chars().count();
            let keep = &line[..start];
            lines[index] = if keep.trim_start().starts_with('-') {
                format!("{keep}{{}}")
            } else {
                String::new()
            };
            for next in lines.iter_mut().skip(index + 1) {
                let indent = next.len() - next.trim_start().len();
                if !next.trim().is_empty() && indent <= key_column {
                    break;
                }
                next.clear();
            }
            if keep.trim_start().starts_with('-')
                && lines.get(index + 1).is_some_and(|l| !l.trim().is_empty())
            {
                // `- {}` followed by the item's other fields would not parse: keep the dash only.
                lines[index] = keep.to_string();
            }
        }
        return Some(lines.join("\n"));
    }
    if message.starts_with("unknown variant `") || message.starts_with("unknown matcher `") {
        let suggestion = d
            .help
            .as_deref()?
            .strip_prefix("did you mean `")?
            .split('`')
            .next()?;
        let word_len = line[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(line.len() - start);
        lines[index] = format!(
            "{}{suggestion}{}",
            &line[..start],
            &line[start + word_len..]
        );
        return Some(lines.join("\n"));
    }
    // A value of the wrong shape: a placeholder of the shape asked for, in its place.
    let placeholder = if message.ends_with("must be a whole number") {
        "1"
    } else if message.ends_with("must be a number") {
        "1.0"
    } else if message.ends_with("must be a list") {
        "[]"
    } else if message.ends_with("must be text, not a list or a mapping") {
        "x"
    } else {
        return None;
    };
    let value_end = if line[start..].starts_with(['[', '{']) {
        return None; // a nested value spanning lines: not safe to cut
    } else {
        line[start..]
            .find([',', '}', ']', '#'])
            .map_or(line.len(), |i| start + i)
    };
    lines[index] = format!("{}{placeholder}{}", &line[..start], &line[value_end..]);
    Some(lines.join("\n"))
}
