//! Running commands: what the learner types, the lesson's own commands, timed repeats, and the
//! replies and messages that arrive on their own.

use super::{Event, LESSON_MAX_REPEAT, Session, SessionError, Who, is_queued, wait_for};
use crate::command::tokenize::{join_args, split_args};
use crate::engine::explain::{self, Explanation, OBSERVER};
use crate::server::backend::{Backend, BackendError, Pushed};
use crate::server::connection::{ConnError, Outcome, SLOW_COMMAND};
use crate::server::reply::Reply;
use crate::server::safety::{External, Sender};
use std::time::{Duration, Instant};

impl<B: Backend> Session<B> {
    /// A line the learner typed. Empty lines continue past a step that has nothing to do.
    pub fn submit(&mut self, line: &str) -> Result<Vec<Event>, SessionError> {
        if self.finished {
            return Ok(vec![Event::Notice(
                "This lesson is complete. Type `:reset` to do it again, or `:quit`.".into(),
            )]);
        }
        let args = match split_args(line) {
            Ok(args) => args,
            Err(e) => return Ok(vec![Event::Refused(e.to_string())]),
        };
        // `:pipe 1000 SET k:{i} v` and `:time 1000 ...`: a real batch the learner sends.
        if let Some(batch) = Batch::parse(&args) {
            return self.submit_batch(batch);
        }
        if args.is_empty() {
            return if self.step().checks.is_empty() {
                self.pass_step()
            } else {
                Ok(Vec::new())
            };
        }
        // redis-cli's repeat prefix: `15 INCR counter` runs INCR fifteen times.
        let (times, args) = crate::command::tokenize::repeat_prefix(args);
        let times = times.min(LESSON_MAX_REPEAT);
        let client = self.learner_client().to_string();
        let mut events = Vec::new();
        for _ in 0..times {
            let node = self.learner_node();
            let mut ran = self.execute(
                node.as_deref(),
                &client,
                &args,
                Who::Learner,
                wait_for(&args),
            )?;
            // In a cluster, follow MOVED to the node that owns the slot, as redis-cli -c does.
            if let Some((slot, address, name)) = self.moved_to(&ran) {
                ran.push(Event::Notice(format!(
                    "-> Redirected to slot [{slot}] located at {address} ({name})"
                )));
                self.learner_node = Some(name.clone());
                ran.extend(self.execute(
                    Some(&name),
                    &client,
                    &args,
                    Who::Learner,
                    wait_for(&args),
                )?);
            }
            events.extend(ran);
        }
        // Inside MULTI nothing has happened yet: judge the state after EXEC, not after each QUEUED.
        let queued = events
            .iter()
            .any(|e| matches!(e, Event::Command { outcome: Outcome::Done(reply), .. } if is_queued(reply)));
        if queued
            || events.iter().any(|e| matches!(e, Event::Refused(_)))
            || self.step().checks.is_empty()
        {
            return Ok(events);
        }
        self.judge(events)
    }

    /// A batch the learner sends: N commands (`{i}` is 0, 1, 2 ...) in one pipeline, or one
    /// round trip each, timed like the lesson's own `repeat`, then the step is judged.
    fn submit_batch(&mut self, batch: Batch) -> Result<Vec<Event>, SessionError> {
        let ValidBatch {
            count,
            pipelined,
            args,
        } = match batch {
            Batch::Valid(batch) => batch,
            Batch::Invalid(problem) => return Ok(vec![Event::Refused(problem)]),
        };
        let client = self.learner_client().to_string();
        let node = self.learner_node();
        let event = self.measure(
            node.as_deref(),
            &client,
            &args,
            count,
            pipelined,
            Who::Learner,
        )?;
        let refused = matches!(event, Event::Refused(_));
        let events = vec![event];
        if refused || self.step().checks.is_empty() {
            return Ok(events);
        }
        self.judge(events)
    }

    /// After the learner's commands: the checks, then passed or not yet.
    fn judge(&mut self, mut events: Vec<Event>) -> Result<Vec<Event>, SessionError> {
        let verdict = self.evaluate(true)?;
        // Messages and releases that arrived while the checks ran belong before the verdict.
        events.extend(self.released(None, Duration::ZERO));
        if verdict.passed() {
            events.extend(self.pass_step()?);
        } else {
            events.push(Event::NotYet {
                failures: verdict.failures(),
            });
        }
        Ok(events)
    }

    /// A MOVED reply among these events: (slot, address, node name).
    fn moved_to(&self, events: &[Event]) -> Option<(String, String, String)> {
        self.backend.home_node()?;
        events.iter().find_map(|e| match e {
            Event::Command {
                outcome: Outcome::Done(Reply::Error(error)),
                ..
            } => {
                let to = crate::command::redirect(error).filter(|r| r.kind == "MOVED")?;
                let node = self.backend.node_at_port(to.port()?)?;
                Some((to.slot.to_string(), to.address.to_string(), node))
            }
            _ => None,
        })
    }

    /// What the user allowed on a server redis-lab did not start.
    pub(super) fn external(&self) -> External {
        External {
            force: self.force,
            lesson_runs_scripts: self.lesson.requires.scripts,
        }
    }

    /// Runs a command `count` times, one round trip each or in one pipeline, and times it.
    pub(super) fn measure(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        count: u32,
        pipelined: bool,
        who: Who,
    ) -> Result<Event, SessionError> {
        let commands: Vec<Vec<Vec<u8>>> = (0..count)
            .map(|i| {
                let n = i.to_string();
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).replace("{i}", &n).into_bytes())
                    .collect()
            })
            .collect();
        if let Some(first) = commands.first() {
            // As in `execute`: a repeated command of the lesson's own `run` is the scene, not
            // the learner's work (it could break a learner's `EVAL without KEY` rule).
            if self.recording {
                self.note_used(first);
                if pipelined {
                    self.used.insert(PIPE_USED.into());
                }
            }
            let sender = match who {
                Who::Learner => Sender::Learner,
                Who::Lesson => Sender::Lesson,
            };
            if let Some(reason) = self.backend.refusal(at, first, sender, self.external())? {
                return Ok(Event::Refused(reason));
            }
            self.backend.back_to_lesson_db(at, client)?;
            self.backend.track_all(at, &commands, true)?;
        }
        let started = Instant::now();
        let replies: Vec<Reply> = if pipelined {
            self.backend.pipeline(at, client, commands.clone())?
        } else {
            let mut replies = Vec::with_capacity(commands.len());
            for command in &commands {
                if let Outcome::Done(reply) = self.backend.run(at, client, command, SLOW_COMMAND)? {
                    replies.push(reply);
                }
            }
            replies
        };
        let elapsed = started.elapsed();
        // The replies count for reply checks like any other command's.
        if self.recording {
            let name = crate::command::name(args).unwrap_or_default();
            for (command, reply) in commands.iter().zip(&replies) {
                self.counted.note_reply(command, reply.is_error(), false);
            }
            for reply in replies {
                self.replies.push((client.to_string(), name.clone(), reply));
            }
        }
        let line = join_args(args);
        let label = format!(
            "{count} × {line}{}",
            if pipelined {
                " (pipelined)"
            } else {
                " (one round trip each)"
            }
        );
        // Compare time per command, so runs of different sizes compare fairly.
        let per_command = elapsed.as_secs_f64() / f64::from(count.max(1));
        // Only runs of the same command compare (one by one against pipelined, say).
        let compared = self
            .last_measure
            .as_ref()
            .filter(|(_, previous_line, _)| *previous_line == line)
            .map(|(previous, _, before)| (previous.clone(), before / per_command.max(1e-12)));
        self.last_measure = Some((label, line.clone(), per_command));
        Ok(Event::Measured {
            line,
            count,
            pipelined,
            elapsed,
            compared,
        })
    }

    /// Sends a command as `client` on node `at`, notes what it used and touched, and explains
    /// it.
    pub(super) fn execute(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        who: Who,
        wait: Duration,
    ) -> Result<Vec<Event>, SessionError> {
        let line = join_args(args);
        if client == OBSERVER {
            // redis-lab's own connection: probes and the clean-up rely on its database.
            return Ok(vec![Event::Refused(format!(
                "`{OBSERVER}` is redis-lab's own connection; a lesson cannot type as it"
            ))]);
        }
        let sender = match who {
            Who::Learner => Sender::Learner,
            Who::Lesson => Sender::Lesson,
        };
        if let Some(reason) = self.backend.refusal(at, args, sender, self.external())? {
            return Ok(vec![Event::Refused(reason)]);
        }
        let mut events = Vec::new();
        if who == Who::Lesson {
            events.extend(
                self.backend
                    .back_to_lesson_db(at, client)?
                    .map(Event::Notice),
            );
        }
        // The lesson's own `run` commands are the scene, not the learner's work: they count for
        // neither must_use nor reply checks nor explanations.
        if self.recording {
            self.note_used(args);
        }
        // Multi-node lessons name the node too: `checkout-a@node-3`.
        let client_shown = match self.backend.home_node() {
            Some(home) => format!("{client}@{}", at.unwrap_or(home)),
            None => client.to_string(),
        };
        let multi_node = self.backend.home_node().is_some();
        let touched = match self.backend.track(at, client, args) {
            Ok(touched) => touched,
            // A stopped node cannot even be inspected: the command fails like a client's would.
            Err(e) if multi_node && e.is_connection_loss() => {
                self.backend.forget(at);
                return Ok(vec![Event::Command {
                    who,
                    client: client_shown,
                    line,
                    outcome: Outcome::Done(Reply::Error(format!("connection failed: {e}"))),
                }]);
            }
            Err(e) => return Err(e.into()),
        };
        // Only a write can change its keys. Looking at them for a read would itself touch them
        // (LRU clock, LFU counter, keyspace hits) and falsify OBJECT IDLETIME, OBJECT FREQ, INFO.
        let key_writes = touched.writes == Some(true);
        let inspected: Vec<Vec<u8>> = if touched.writes == Some(false) {
            Vec::new()
        } else {
            touched.keys
        };
        let before = self.snapshot(at, &inspected)?;
        let outcome = match self.backend.run(at, client, args, wait) {
            Err(BackendError::Conn(busy @ ConnError::Busy { .. })) => {
                return Ok(vec![Event::Refused(busy.to_string())]);
            }
            // A stopped node of a multi-node lesson answers like a dead server does to a client:
            // the connection fails. That is part of the lesson, not the end of it.
            Err(e) if multi_node && e.is_connection_loss() => {
                // Sentinel and failovers close connections (CLIENT KILL): reconnect once, as
                // redis-cli does; a node that is really down still answers "connection failed".
                self.backend.forget(at);
                match self.backend.run(at, client, args, wait) {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        self.backend.forget(at);
                        Outcome::Done(Reply::Error(format!("connection failed: {e}")))
                    }
                }
            }
            other => other?,
        };
        // A lesson's own command that is not meant to block and got no answer in all that time:
        // the server is frozen or busy (--auto, check --run, :skip). Say so now, instead of
        // queueing the next command behind it ("client app is still waiting ...").
        if who == Who::Lesson && outcome == Outcome::Waiting && wait >= SLOW_COMMAND {
            self.backend.forget(at);
            return Err(SessionError::Conn(ConnError::NoAnswer {
                target: self.backend.display().to_string(),
                secs: SLOW_COMMAND.as_secs(),
            }));
        }
        if self.recording {
            self.counted.note(args, &outcome, key_writes);
        }
        events.push(Event::Command {
            who,
            client: client_shown,
            line: line.clone(),
            outcome: outcome.clone(),
        });
        if let Outcome::Done(reply) = &outcome {
            events.extend(
                self.backend
                    .follow(at, client, args, reply)
                    .map(Event::Notice),
            );
        }
        events.extend(self.released(at, Duration::from_millis(30)));
        if let (Who::Lesson, Outcome::Done(Reply::Error(e))) = (who, &outcome) {
            self.lesson_errors
                .push((self.step, format!("`{line}` answered {e}")));
        }
        if let Outcome::Done(reply) = &outcome {
            let name = crate::command::name(args).unwrap_or_default();
            if self.recording {
                self.replies.push((client.to_string(), name, reply.clone()));
            }
            let after = self.snapshot(at, &inspected)?;
            let backend = &mut self.backend;
            let doc = self.docs.get(
                &mut |commands| backend.pipeline(at, OBSERVER, commands),
                args,
            )?;
            let explanation = Explanation {
                command: line,
                summary: doc.as_ref().and_then(|d| d.summary.clone()),
                complexity: doc.and_then(|d| d.complexity),
                changes: explain::changes(&inspected, before, after),
                // A nil (SET NX that lost) or QUEUED (inside MULTI) reply changed nothing yet.
                wrote: explain::is_write(args)
                    && !reply.is_error()
                    && *reply != Reply::Nil
                    && !is_queued(reply),
            };
            if self.recording {
                self.explanations.push(explanation);
            }
        }
        Ok(events)
    }

    /// The state of these keys on node `at`, looked at by redis-lab's own connection.
    fn snapshot(
        &mut self,
        at: Option<&str>,
        keys: &[Vec<u8>],
    ) -> Result<Vec<explain::KeyState>, BackendError> {
        let backend = &mut self.backend;
        explain::snapshot(
            &mut |commands| backend.pipeline(at, OBSERVER, commands),
            keys,
        )
    }

    /// Replies of blocked commands that arrived, and messages that subscribed clients received.
    pub(super) fn released(&mut self, at: Option<&str>, wait: Duration) -> Vec<Event> {
        let mut events = Vec::new();
        for pushed in self.backend.collect(at, wait) {
            match pushed {
                Pushed::Released {
                    client,
                    line,
                    reply,
                    here,
                } => {
                    if here {
                        let name = line
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        self.replies.push((client.clone(), name, reply.clone()));
                    }
                    events.push(Event::Released {
                        client,
                        line,
                        reply,
                    });
                }
                Pushed::Received { client, message } => {
                    events.push(Event::Received { client, message });
                }
            }
        }
        events
    }

    fn note_used(&mut self, args: &[Vec<u8>]) {
        let name = crate::command::name(args).unwrap_or_default();
        // `OBJECT ENCODING` (a subcommand) and `EXPIRE GT` (an option): `must_use` can ask for
        // either. Only short words of the first few arguments: options, not data.
        let words: Vec<String> = args
            .iter()
            .skip(1)
            .take(32)
            .filter(|a| a.len() <= 16)
            .map(|word| String::from_utf8_lossy(word).to_ascii_uppercase())
            .collect();
        for word in &words {
            self.used.insert(format!("{name} {word}"));
        }
        // `must_not_use: [EXPIRE without GT]`: this command, once without that option, fails
        // the step (one EXPIRE GT does not excuse a plain EXPIRE after it).
        let rules: Vec<String> = self
            .step()
            .must_not_use
            .iter()
            .flat_map(|rule| crate::command::alternatives(&rule.value))
            .collect();
        for rule in rules {
            if let Some((command, option)) = rule.split_once(" WITHOUT ")
                && command.trim() == name
                && !words.iter().any(|w| w == option.trim())
            {
                self.used.insert(rule);
            }
        }
        self.used.insert(name);
    }
}

/// What `must_use: [":pipe"]` looks for: the learner sent a batch in one pipeline.
pub const PIPE_USED: &str = ":PIPE";

/// `:pipe N COMMAND...` (one pipeline) or `:time N COMMAND...` (one round trip each).
enum Batch {
    Valid(ValidBatch),
    Invalid(String),
}

struct ValidBatch {
    count: u32,
    pipelined: bool,
    args: Vec<Vec<u8>>,
}

impl Batch {
    fn parse(args: &[Vec<u8>]) -> Option<Batch> {
        let pipelined = match args.first().map(Vec::as_slice) {
            Some(b":pipe") => true,
            Some(b":time") => false,
            _ => return None,
        };
        let usage = "write `:pipe N COMMAND` (N commands in one pipeline) or `:time N COMMAND` \
                     (one round trip each); `{i}` in the command counts 0, 1, 2 ...";
        let count = args
            .get(1)
            .and_then(|n| std::str::from_utf8(n).ok()?.parse::<u32>().ok())
            .filter(|n| (1..=LESSON_MAX_REPEAT as u32).contains(n));
        Some(match (count, args.len() > 2) {
            (Some(count), true) => Batch::Valid(ValidBatch {
                count,
                pipelined,
                args: args[2..].to_vec(),
            }),
            _ => Batch::Invalid(format!("{usage}, with N from 1 to {LESSON_MAX_REPEAT}")),
        })
    }
}
