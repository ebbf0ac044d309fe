//! Judging a step: its checks (a probe's reply, the messages a client received, or the replies
//! the learner got) and its must_use / must_not_use rules.

use super::{Failure, Session, SessionError, Verdict, message_payload};
use crate::command::tokenize::join_args;
use crate::engine::check::{describe, evaluate};
use crate::engine::explain::OBSERVER;
use crate::lesson::loader::args_of;
use crate::lesson::model::Check;
use crate::server::backend::{Backend, BackendError};
use crate::server::connection::Outcome;
use crate::server::reply::Reply;
use crate::server::safety::{self, Sender};
use std::time::{Duration, Instant};

impl<B: Backend> Session<B> {
    /// Runs the step's checks against the server now. With `poll`, a check that has `poll_ms`
    /// is retried until it passes or its time is up.
    pub fn evaluate(&mut self, poll: bool) -> Result<Verdict, SessionError> {
        let step = self.step().clone();
        let mut verdict = Verdict::default();
        for check in &step.checks {
            verdict.checks.push(self.run_check(check, poll)?);
        }
        for required in &step.must_use {
            // `EVAL|EVALSHA`: any one of them will do (a script loaded first is still a script).
            let options = crate::command::alternatives(&required.value);
            if !options.iter().any(|name| self.used.contains(name)) {
                if options.iter().any(|o| o == super::commands::PIPE_USED) {
                    verdict.rules.push(Failure {
                        label: "this step asks you to send the commands in one pipeline: `:pipe N COMMAND`".into(),
                        expected: "a batch sent with :pipe".into(),
                        found: "no pipeline sent yet".into(),
                    });
                    continue;
                }
                let name = options.join(" or ");
                verdict.rules.push(Failure {
                    label: format!("this step asks you to use {name}"),
                    expected: format!("a command using {name}"),
                    found: "not used yet".into(),
                });
            }
        }
        for forbidden in &step.must_not_use {
            let Some(name) = crate::command::alternatives(&forbidden.value)
                .into_iter()
                .find(|name| self.used.contains(name))
            else {
                continue;
            };
            // `EXPIRE WITHOUT GT`: every EXPIRE of the step needs GT.
            if let Some((command, option)) = name.split_once(" WITHOUT ") {
                verdict.rules.push(Failure {
                    label: format!("every {command} in this step needs {option} (type :retry to start the step again)"),
                    expected: format!("{command} ... {option} each time"),
                    found: format!("{command} without {option} was used"),
                });
                continue;
            }
            {
                verdict.rules.push(Failure {
                    label: format!("this step must be done without {name} (type :retry to start the step again)"),
                    expected: format!("no {name}"),
                    found: format!("{name} was used"),
                });
            }
        }
        verdict.rules.extend(self.limit_failures());
        Ok(verdict)
    }

    fn run_check(
        &mut self,
        check: &Check,
        poll: bool,
    ) -> Result<Result<(), Failure>, SessionError> {
        let label = check.label.clone().unwrap_or_else(|| match &check.probe {
            Some(probe) => args_of(&probe.value)
                .map(|a| join_args(&a))
                .unwrap_or_default(),
            None => "the reply to your command".into(),
        });
        let expected = describe(&check.expect.value);
        if check.received.is_none() && check.probe.is_none() {
            // No probe: the step is about reading, so one of the learner's replies must match
            // (only replies to `reply_of` commands, when the check names one).
            let wanted = check.reply_of.as_deref().map(crate::command::alternatives);
            let candidates: Vec<&Reply> = self
                .replies
                .iter()
                .filter(|(client, name, _)| {
                    wanted.as_ref().is_none_or(|w| w.contains(name))
                        && check.client.as_ref().is_none_or(|c| c == client)
                })
                .map(|(_, _, reply)| reply)
                .collect();
            if candidates
                .iter()
                .any(|r| evaluate(&check.expect.value, r).is_ok())
            {
                return Ok(Ok(()));
            }
            let found = match (candidates.last(), &wanted) {
                (Some(reply), _) => format!("found {}", crate::engine::check::short(reply)),
                (None, Some(names)) => format!("found no reply to {} yet", names.join(" or ")),
                (None, None) => "found no reply yet".into(),
            };
            return Ok(Err(Failure {
                label,
                expected,
                found,
            }));
        }
        // Messages may still be in flight, so a `received` check always polls a little.
        let minimum = if check.received.is_some() { 100 } else { 0 };
        let wait = if poll {
            check.poll_ms.unwrap_or(0).max(minimum)
        } else {
            0
        };
        let deadline = Instant::now() + Duration::from_millis(wait);
        loop {
            let reply = self.observe(check)?;
            match evaluate(&check.expect.value, &reply) {
                Ok(()) => return Ok(Ok(())),
                Err(found) if Instant::now() >= deadline => {
                    return Ok(Err(Failure {
                        label,
                        expected,
                        found,
                    }));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    /// What a check looks at now: the messages a client received, or the reply to its probe.
    fn observe(&mut self, check: &Check) -> Result<Reply, SessionError> {
        let at = check.on.as_deref();
        if let Some(receiver) = &check.received {
            let messages = self.backend.received(at, receiver)?;
            return Ok(Reply::Array(messages.iter().map(message_payload).collect()));
        }
        let Some(probe) = &check.probe else {
            return Ok(Reply::Nil); // reply checks are handled by run_check
        };
        let args = args_of(&probe.value)?;
        let multi_node = self.backend.home_node().is_some();
        // A probe only looks: whatever the lesson file says, one that could change the state (or
        // reach beyond the lesson's database) is never sent.
        let mut refused = safety::probe_refusal(&args, false);
        if refused.is_some() {
            // Not an introspection command: the probe's own node says whether it only reads.
            match self.backend.says_readonly(at, &args) {
                Ok(readonly) => refused = safety::probe_refusal(&args, readonly),
                Err(e) if multi_node && e.is_connection_loss() => {
                    self.backend.forget(at);
                    return Ok(Reply::Error(format!("no answer: {e}")));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if refused.is_none() {
            refused = self
                .backend
                .refusal(None, &args, Sender::Lesson, self.external())?;
        }
        if let Some(problem) = refused {
            return Ok(Reply::Error(format!("refused: {problem}")));
        }
        // Probes run on the observer unless the check is about one client's own view.
        let client = check.client.clone().unwrap_or_else(|| OBSERVER.to_string());
        if client != OBSERVER {
            self.backend.back_to_lesson_db(None, &client)?;
        }
        Ok(
            match self.backend.run(at, &client, &args, Duration::from_secs(5)) {
                Ok(Outcome::Done(reply)) => reply,
                Ok(Outcome::Waiting) => {
                    Reply::Error("probe did not answer (a probe must not block)".into())
                }
                // A node that is down (a failover lesson) answers nothing: the check fails for now
                // and the next poll reconnects.
                Err(BackendError::Conn(e)) if multi_node => {
                    self.backend.forget(at);
                    Reply::Error(format!("no answer: {e}"))
                }
                Err(e) => return Err(e.into()),
            },
        )
    }
}
