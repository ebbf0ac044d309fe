//! `max_commands` and `max_writes`: how many commands the learner sent in this step, and the
//! rule that fails a step done in more of them than it allows ("in one command").
//!
//! What counts: every command sent to a server in this step by the learner (as any client) or by
//! the step's solution (`:skip`, `--auto`, `check --run`), one per repetition (`3 INCR k` is 3),
//! MULTI, EXEC and each QUEUED command included. What does not: a command the server answered
//! with an error (a typo changes nothing), a command redis-lab refused (never sent), meta
//! commands (`:hint`, `:client`...), empty lines, the lesson's own `run` commands. `:retry`,
//! `:back` and `:reset` start the count again with the step.

use super::{Failure, Session};
use crate::command::runs_a_script;
use crate::server::backend::Backend;
use crate::server::connection::Outcome;
use crate::server::reply::Reply;

/// Commands counted in the current step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub commands: u32,
    /// Of those, commands that write (COMMAND INFO flag `write`) or run a script.
    pub writes: u32,
}

impl Counted {
    /// Counts one command that got this outcome (a blocked command was sent: it counts).
    /// `key_writes`: the server said it writes one of its keys (COMMAND GETKEYSANDFLAGS), which
    /// covers module commands the built-in table does not know.
    pub fn note(&mut self, args: &[Vec<u8>], outcome: &Outcome, key_writes: bool) {
        self.note_reply(
            args,
            matches!(outcome, Outcome::Done(Reply::Error(_))),
            key_writes,
        );
    }

    /// Counts one command, unless the server answered it with an error.
    pub fn note_reply(&mut self, args: &[Vec<u8>], answered_error: bool, key_writes: bool) {
        if answered_error {
            return;
        }
        self.commands = self.commands.saturating_add(1);
        if key_writes || crate::engine::explain::is_write(args) || runs_a_script(args) {
            self.writes = self.writes.saturating_add(1);
        }
    }
}

fn commands(n: u32) -> String {
    format!("{n} command{}", if n == 1 { "" } else { "s" })
}

/// "1 command that writes", "2 commands that write".
fn writing(n: u32) -> String {
    format!(
        "{} that write{}",
        commands(n),
        if n == 1 { "s" } else { "" }
    )
}

impl<B: Backend> Session<B> {
    /// The step's `max_commands` and `max_writes` rules that the commands so far break.
    pub(super) fn limit_failures(&self) -> Vec<Failure> {
        let step = self.step();
        let mut failures = Vec::new();
        if let Some(max) = &step.max_commands
            && self.counted.commands > max.value
        {
            failures.push(Failure {
                label: format!(
                    "this step asks for at most {} (type :retry to start the step again)",
                    commands(max.value)
                ),
                expected: format!("at most {}", commands(max.value)),
                found: format!("found {}", commands(self.counted.commands)),
            });
        }
        if let Some(max) = &step.max_writes
            && self.counted.writes > max.value
        {
            failures.push(Failure {
                label: format!(
                    "this step asks for at most {} (type :retry to start the step again)",
                    writing(max.value)
                ),
                expected: format!("at most {}", writing(max.value)),
                found: format!("found {}", writing(self.counted.writes)),
            });
        }
        failures
    }
}
