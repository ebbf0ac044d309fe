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

#[cfg(test)]
mod tests {
    use super::super::fake::Fake;
    use super::super::tests::{not_yet, passed, start};

    /// `max_commands: 1`: the same state in two commands fails until a :retry; an error reply and a
    /// read are not what the limit is about for `max_writes`.
    #[test]
    fn max_commands_and_max_writes_count_the_commands_of_the_step() {
        let steps = "steps:
  - id: one
    title: In one command
    task: Make counter 2 in one command.
    max_commands: 1
    solution:
      - INCRBY counter 2
    checks:
      - probe: GET counter
        expect: {equals: 2}
  - id: one-write
    title: One write
    task: Make other 3 with one write.
    max_writes: 1
    solution:
      - INCRBY other 3
    checks:
      - probe: GET other
        expect: {equals: 3}
";
        let (mut session, _) = start(Fake::sandbox(), steps);
        session.submit("INCR counter").unwrap();
        let events = session.submit("INCR counter").unwrap();
        assert_eq!(
            not_yet(&events),
            ["this step asks for at most 1 command (type :retry to start the step again)"]
        );
        session.retry(&mut |_, _| {}).unwrap();
        // A MULTI/EXEC is three commands.
        session.submit("MULTI").unwrap();
        session.submit("INCRBY counter 2").unwrap();
        let events = session.submit("EXEC").unwrap();
        assert_eq!(not_yet(&events).len(), 1, "{events:?}");
        session.retry(&mut |_, _| {}).unwrap();
        // A command the server refuses with an error changed nothing: it does not count.
        session.submit("INCRBYY counter 2").unwrap();
        let events = session.submit("INCRBY counter 2").unwrap();
        assert!(passed(&events), "{events:?}");
        // max_writes: reads are free, a second write is not.
        session.submit("GET other").unwrap();
        session.submit("INCRBY other 1").unwrap();
        let events = session.submit("INCRBY other 2").unwrap();
        assert_eq!(
            not_yet(&events),
            [
                "this step asks for at most 1 command that writes (type :retry to start the step again)"
            ]
        );
        session.retry(&mut |_, _| {}).unwrap();
        session.submit("GET other").unwrap();
        let events = session.submit("INCRBY other 3").unwrap();
        assert!(passed(&events), "{events:?}");
    }
}
