//! Fixture files linted as statically as a lesson's commands: each line tokenised as redis-cli
//! reads it, then its command, arity and arguments checked, each problem at `file:line`.

use super::Linter;
use crate::command::tokenize::split_args_bytes;
use crate::lesson::catalog::Origin;
use crate::lesson::diagnostic::Diagnostic;
use crate::lesson::loader::MAX_PROBLEMS;

impl Linter<'_> {
    /// The lines of one fixture file (already read: `bytes`), named by `path` in the lesson.
    pub(super) fn fixture_lines(&mut self, path: &str, bytes: &[u8]) {
        let file = match &self.entry.origin {
            Origin::Builtin => format!("fixtures/{path}"),
            Origin::Folder(dir) => crate::lesson::catalog::fixture_root(dir)
                .join(path)
                .display()
                .to_string(),
        };
        let text = String::from_utf8_lossy(bytes);
        let mut found = 0usize;
        let mut dropped = 0usize;
        for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() || trimmed.starts_with(b"#") {
                continue;
            }
            let column = (line.len() - line.trim_ascii_start().len()) as u64 + 1;
            let problem = match split_args_bytes(trimmed) {
                Err(e) => Some((e.to_string(), None)),
                Ok(args) if args.is_empty() => None,
                Ok(args) => self.line_problem(&args),
            };
            let Some((message, help)) = problem else {
                continue;
            };
            if found >= MAX_PROBLEMS {
                dropped += 1;
                continue;
            }
            found += 1;
            let mut d = Diagnostic::new(&file, &text, number as u64 + 1, column, message);
            if let Some(help) = help {
                d = d.with_help(help);
            }
            self.push(d);
        }
        if dropped > 0 {
            self.push(Diagnostic::new(
                &file,
                "",
                0,
                0,
                format!("stopped after {MAX_PROBLEMS} problems in this fixture ({dropped} more not shown)"),
            ));
        }
    }

    /// What is wrong with one fixture command: unknown, or arguments that do not fit.
    fn line_problem(&self, args: &[Vec<u8>]) -> Option<(String, Option<String>)> {
        let (name, sub) = self.table.key_for(args);
        if !self.table.knows(&name) {
            if self.module_command(&name) {
                return None;
            }
            let help = self
                .table
                .suggest(&name)
                .map(|s| format!("did you mean {s}?"));
            return Some((
                format!(
                    "unknown Redis command {} (checked against {})",
                    name.to_ascii_uppercase(),
                    self.table.source
                ),
                help,
            ));
        }
        let key = match sub {
            Some(sub) if !self.table.knows(&sub) => {
                return Some((
                    format!(
                        "unknown subcommand {}",
                        sub.replace('|', " ").to_ascii_uppercase()
                    ),
                    None,
                ));
            }
            Some(sub) => sub,
            None => name,
        };
        self.table
            .arguments_problem(&key, args)
            .map(|(problem, usage)| (problem, (!usage.is_empty()).then_some(usage)))
    }
}
