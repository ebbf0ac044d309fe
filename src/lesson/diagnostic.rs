//! A problem in a lesson file, pointing at file, line and column, with the line shown.

use crate::escape::{Shape, escape_controls};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the problem has no position (an unreadable file).
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub help: Option<String>,
    /// The offending source line, for display.
    pub source_line: Option<String>,
    /// A warning is shown but is not fatal: the lesson still runs and `check` still passes.
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(
        file: &str,
        source: &str,
        line: u64,
        column: u64,
        message: impl Into<String>,
    ) -> Self {
        let source_line = (line > 0)
            .then(|| source.lines().nth((line - 1) as usize))
            .flatten()
            .map(|l| l.to_string());
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            help: None,
            source_line,
            warning: false,
        }
    }

    /// The same problem as a warning (shown, not fatal).
    pub fn as_warning(mut self) -> Self {
        self.warning = true;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col`, the form editors and terminals make clickable.
    pub fn position(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// The file's control characters (an ESC in a lesson line, or quoted in a message) are shown
/// escaped: a diagnostic goes to a terminal.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |text: &str| escape_controls(text, Shape::Line).into_owned();
        let kind = if self.warning { "warning" } else { "error" };
        writeln!(f, "{kind}: {}", shown(&self.message))?;
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad}--> {}", shown(&self.position()))?;
        if let Some(line) = &self.source_line {
            // Tabs would misplace the caret; show them as one space each, as the caret counts them.
            let chars: Vec<char> = line.replace('\t', " ").chars().collect();
            let caret_at = ((self.column.max(1) - 1) as usize).min(chars.len());
            // A very long line (minified, or an attack) is shown as a window around the column.
            const WIDTH: usize = 120;
            let start = caret_at
                .saturating_sub(WIDTH / 2)
                .min(chars.len().saturating_sub(WIDTH));
            let end = (start + WIDTH).min(chars.len());
            let lead = if start > 0 { "…" } else { "" };
            let tail = if end < chars.len() { "…" } else { "" };
            // Escaped character by character, so the caret still points at the right one.
            let escaped: Vec<String> = chars[start..end]
                .iter()
                .map(|c| shown(c.encode_utf8(&mut [0; 4])))
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {lead}{}{tail}", escaped.concat())?;
            let before: usize = escaped[..caret_at - start]
                .iter()
                .map(|e| e.chars().count())
                .sum();
            let offset = before + lead.chars().count();
            writeln!(f, "{pad} | {}^", " ".repeat(offset))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {}", shown(help))?;
        }
        Ok(())
    }
}

/// Several diagnostics, shown one after the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_of_the_file_are_escaped_and_the_caret_still_points_right() {
        let source = "title: \x1b]0;pwned\x07\x1b[2J: here\n";
        let d =
            Diagnostic::new("p.yaml", source, 1, 24, "bad \x1b[31mvalue").with_help("not \x1b[2J");
        let text = d.to_string();
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
        assert!(text.contains("error: bad \\x1b[31mvalue"), "{text}");
        assert!(
            text.contains("title: \\x1b]0;pwned\\a\\x1b[2J: here"),
            "{text}"
        );
        // Column 24 is the `h` of `here`: the caret sits under it in the escaped line.
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        assert_eq!(
            shown.chars().nth(caret.chars().count() - 1),
            Some('h'),
            "{text}"
        );
        assert!(text.contains("help: not \\x1b[2J"), "{text}");
    }
}
