//! rustyline integration: completion of commands, subcommands, tokens and keys; argument hints;
//! highlighting.

use crate::command::tokenize::{quote_arg, split_args};
use crate::render::{Shape, escape_controls};
use crate::repl::docs::{Docs, hint};
use crate::server::connection::{Opener, ask_on};
use crate::server::reply::Reply;
use crate::server::wire::Wire;
use colored::Colorize;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// REPL commands that are not Redis commands.
pub const META: &[&str] = &[
    ":explain", ":table", ":help", "help", "quit", "exit", "clear",
];

/// Key completion never takes longer than this, however large the keyspace.
const KEY_SCAN_BUDGET: Duration = Duration::from_millis(30);
const KEY_SCAN_MAX: usize = 200;

pub struct ReplHelper {
    pub docs: Arc<OnceLock<Docs>>,
    client: Option<Opener>,
    connection: Mutex<Option<Wire>>,
    pub color: bool,
}

impl ReplHelper {
    pub fn new(docs: Arc<OnceLock<Docs>>, client: Option<Opener>, color: bool) -> ReplHelper {
        ReplHelper {
            docs,
            client,
            connection: Mutex::new(None),
            color,
        }
    }

    /// After SELECT: complete keys of the new database.
    pub fn set_client(&mut self, client: Option<Opener>) {
        self.client = client;
        if let Ok(mut connection) = self.connection.lock() {
            *connection = None;
        }
    }

    /// Keys starting with `prefix`, by SCAN: bounded in count and time, read-only. As bytes: a
    /// key need not be UTF-8.
    fn keys(&self, prefix: &str) -> Vec<Vec<u8>> {
        let Ok(mut guard) = self.connection.lock() else {
            return Vec::new();
        };
        if guard.is_none() {
            *guard = self
                .client
                .as_ref()
                .and_then(|c| c.open(Duration::from_millis(200)));
            if let Some(connection) = guard.as_mut() {
                let _ = connection.set_read_timeout(Some(Duration::from_millis(200)));
            }
        }
        let Some(connection) = guard.as_mut() else {
            return Vec::new();
        };
        let pattern = format!("{}*", glob_escape(prefix));
        let started = Instant::now();
        let mut cursor = 0u64;
        let mut found = Vec::new();
        loop {
            let cursor_text = cursor.to_string();
            let reply = ask_on(
                connection,
                &["SCAN", &cursor_text, "MATCH", &pattern, "COUNT", "1000"],
            );
            match scan_page(reply) {
                Some((next, keys)) => {
                    found.extend(keys);
                    cursor = next;
                }
                None => {
                    *guard = None; // a timed-out or confused connection is not reused
                    break;
                }
            }
            if cursor == 0 || found.len() >= KEY_SCAN_MAX || started.elapsed() > KEY_SCAN_BUDGET {
                break;
            }
        }
        found.sort();
        found.dedup();
        found.truncate(KEY_SCAN_MAX);
        found
    }
}

/// A SCAN reply: the next cursor and the keys of this page.
fn scan_page(reply: Result<Reply, String>) -> Option<(u64, Vec<Vec<u8>>)> {
    let Ok(Reply::Array(parts)) = reply else {
        return None;
    };
    let [Reply::Bulk(cursor), Reply::Array(keys)] = parts.as_slice() else {
        return None;
    };
    let next = std::str::from_utf8(cursor).ok()?.parse().ok()?;
    let keys = keys
        .iter()
        .filter_map(|k| match k {
            Reply::Bulk(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .collect();
    Some((next, keys))
}

fn glob_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A completion candidate as it is shown and inserted: as it is when it is one plain word;
/// otherwise quoted the way redis-cli reads arguments (`"\x1b[2J"`, `"two words"`), so that
/// what lands on the line is the same key as a valid argument, and a key's control characters
/// never reach the terminal raw (neither in the list of candidates nor on the line).
fn candidate(word: &[u8]) -> Pair {
    let plain = std::str::from_utf8(word).ok().filter(|w| {
        !w.is_empty()
            && !w
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'))
    });
    let shown = match plain {
        Some(w) => w.to_string(),
        None => quote_arg(word),
    };
    Pair {
        display: shown.clone(),
        replacement: shown,
    }
}

/// The words before the cursor, and where the word under the cursor starts.
fn words_before(line: &str, pos: usize) -> (Vec<String>, usize, String) {
    let head = &line[..pos];
    let start = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let current = head[start..].to_string();
    let words = split_args(&head[..start])
        .unwrap_or_default()
        .into_iter()
        .map(|w| String::from_utf8_lossy(&w).into_owned())
        .collect();
    (words, start, current)
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (words, start, current) = words_before(line, pos);
        let upper = current.to_ascii_uppercase();
        let pair = |s: String| candidate(s.as_bytes());
        let mut candidates: Vec<Pair> = Vec::new();
        let docs = self.docs.get();
        if words.is_empty() {
            // A command name (in the case the user types in), or a REPL command.
            let lower = current
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase());
            if let Some(docs) = docs {
                for name in docs.names().filter(|n| n.starts_with(&upper)) {
                    candidates.push(pair(if lower {
                        name.to_ascii_lowercase()
                    } else {
                        name.to_string()
                    }));
                }
            }
            candidates.extend(
                META.iter()
                    .filter(|m| m.starts_with(&current))
                    .map(|m| pair(m.to_string())),
            );
            return Ok((start, candidates));
        }
        if let Some(docs) = docs
            && let Some(command) = docs.commands.get(&words[0].to_ascii_uppercase())
        {
            if words.len() == 1 && !command.subcommands.is_empty() {
                candidates.extend(
                    command
                        .subcommands
                        .keys()
                        .filter(|s| s.starts_with(&upper))
                        .map(|s| pair(s.clone())),
                );
                return Ok((start, candidates));
            }
            // Option tokens (NX, WITHSCORES, EX...) of the command.
            if !current.is_empty() {
                let (doc, _) = docs.lookup(&words).unwrap_or((command, 1));
                let mut tokens = Vec::new();
                collect_tokens(&doc.args, &mut tokens);
                tokens.sort();
                tokens.dedup();
                candidates.extend(
                    tokens
                        .into_iter()
                        .filter(|t| t.starts_with(&upper) && t != &upper)
                        .map(pair),
                );
            }
        }
        candidates.extend(self.keys(&current).iter().map(|key| candidate(key)));
        Ok((start, candidates))
    }
}

fn collect_tokens(args: &[crate::repl::docs::Arg], out: &mut Vec<String>) {
    for arg in args {
        if let Some(token) = &arg.token {
            out.push(token.clone());
        }
        collect_tokens(&arg.children, out);
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() || line.trim().is_empty() {
            return None;
        }
        let docs = self.docs.get()?;
        let words: Vec<String> = split_args(line)
            .ok()?
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect();
        let (doc, used) = docs.lookup(&words)?;
        let ends_with_space = line.ends_with(char::is_whitespace);
        if !ends_with_space && words.len() == used {
            return None; // still typing the command name
        }
        // The syntax comes from the server's COMMAND DOCS: shown, never obeyed. Escaped here, not
        // in highlight_hint, so the width rustyline lays the line out with is the one shown.
        let text =
            escape_controls(&hint(doc, &words[used..], ends_with_space)?, Shape::Line).into_owned();
        Some(if ends_with_space {
            text
        } else {
            format!(" {text}")
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        // A line can hold control characters rustyline did not take as keys (a paste, the
        // history file): shown escaped, never sent to the terminal. rustyline places the cursor
        // by the raw line's width, so it can sit a little left of where it is on such a line:
        // the price of not letting a pasted `\x1b[2J` clear the screen.
        if let Cow::Owned(escaped) = escape_controls(line, Shape::Line) {
            return Cow::Owned(escaped);
        }
        if !self.color || line.is_empty() {
            return Cow::Borrowed(line);
        }
        let known = |word: &str| {
            self.docs
                .get()
                .is_some_and(|d| d.commands.contains_key(&word.to_ascii_uppercase()))
        };
        let mut out = String::with_capacity(line.len() + 16);
        let mut first = true;
        // Colour word by word, keeping the user's spacing and quotes exactly as typed.
        for piece in line.split_inclusive(char::is_whitespace) {
            let word = piece.trim_end();
            let space = &piece[word.len()..];
            let styled = if word.is_empty() {
                String::new()
            } else if first {
                if known(word) || META.contains(&word) {
                    word.yellow().bold().to_string()
                } else {
                    word.to_string()
                }
            } else if word.starts_with('"') || word.starts_with('\'') {
                word.green().to_string()
            } else if word.parse::<f64>().is_ok() {
                word.cyan().to_string()
            } else {
                word.to_string()
            };
            if !word.is_empty() {
                first = false;
            }
            out.push_str(&styled);
            out.push_str(space);
        }
        Cow::Owned(out)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(hint.dimmed().to_string())
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for ReplHelper {}
impl Helper for ReplHelper {}

/// The line editor's helper where nothing is completed or hinted (the guided lesson REPL): it
/// only shows a line's control characters escaped, as [`ReplHelper`] does.
pub struct PlainHelper;

impl Completer for PlainHelper {
    type Candidate = String;
}

impl Hinter for PlainHelper {
    type Hint = String;
}

impl Highlighter for PlainHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        escape_controls(line, Shape::Line)
    }
}

impl Validator for PlainHelper {}
impl Helper for PlainHelper {}

/// A line editor for the guided REPL and its questions.
pub fn plain_editor()
-> rustyline::Result<rustyline::Editor<PlainHelper, rustyline::history::DefaultHistory>> {
    let mut editor = rustyline::Editor::new()?;
    editor.set_helper(Some(PlainHelper));
    Ok(editor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_that_are_not_plain_words_are_quoted_like_redis_cli_arguments() {
        assert_eq!(candidate(b"user:1").replacement, "user:1");
        assert_eq!(candidate("café".as_bytes()).replacement, "café");
        assert_eq!(candidate(b"\x1b[2J").replacement, r#""\x1b[2J""#);
        assert_eq!(candidate(b"\x1b[2J").display, r#""\x1b[2J""#);
        assert_eq!(
            candidate("c1\u{9b}".as_bytes()).replacement,
            r#""c1\xc2\x9b""#
        );
        assert_eq!(candidate(b"two words").replacement, r#""two words""#);
        assert_eq!(candidate(b"bin\xff").replacement, r#""bin\xff""#);
    }

    #[test]
    fn a_line_holding_control_characters_is_drawn_escaped() {
        let helper = ReplHelper::new(Arc::new(OnceLock::new()), None, true);
        assert_eq!(
            helper.highlight("SET k \x1b]0;pwned\x07", 0),
            r"SET k \x1b]0;pwned\a"
        );
        assert_eq!(PlainHelper.highlight("a\x1b[2J", 0), r"a\x1b[2J");
        assert!(matches!(
            PlainHelper.highlight("plain", 0),
            Cow::Borrowed(_)
        ));
    }
}
