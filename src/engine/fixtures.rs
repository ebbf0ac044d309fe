//! Fixture files: data a lesson loads before its first step.
//!
//! Format: a Redis command file, one command per line in redis-cli syntax; blank lines and lines
//! starting with `#` are ignored. (This is what `redis-cli < file` would read, so a fixture can
//! be tried by hand.)

use crate::command::tokenize::{TokenizeError, split_args_bytes};
use crate::lesson::catalog::FixtureError;
use thiserror::Error;

/// Why the fixtures of a lesson could not be loaded.
#[derive(Debug, Error)]
pub enum FixtureProblem {
    /// The file: its path, reading it.
    #[error(transparent)]
    File(#[from] FixtureError),
    #[error("{file}:{line}: {problem}")]
    Syntax {
        file: String,
        line: usize,
        problem: TokenizeError,
    },
    /// A line the safety policy does not allow here (see `server::safety`).
    #[error("{reason}")]
    Refused { reason: String },
    /// The server answered a line with an error.
    #[error("`{command}` failed: {reply}")]
    Failed { command: String, reply: String },
}

/// Commands in a fixture file, or `file:line: problem`.
pub fn parse_commands(name: &str, bytes: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, FixtureProblem> {
    let mut commands = Vec::new();
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        let args = split_args_bytes(trimmed).map_err(|problem| FixtureProblem::Syntax {
            file: name.to_string(),
            line: number + 1,
            problem,
        })?;
        if !args.is_empty() {
            commands.push(args);
        }
    }
    Ok(commands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let commands = parse_commands(
            "f.redis",
            b"# players\n\nZADD board 10 \"ann lee\"\n  \nSET k v\n",
        )
        .unwrap();
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0][3], b"ann lee");
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let err = parse_commands("f.redis", b"SET a 1\nSET b \"oops\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.redis:2:"), "{err}");
    }
}
