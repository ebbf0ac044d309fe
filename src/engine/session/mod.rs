//! The step state machine. The guided REPL, `--auto` and the tests all drive this same type.
//!
//! A session is the lesson's progress (step, hints, commands used, replies, explanations) over a
//! [`Backend`], which owns the servers and clients: [`LiveBackend`] on real servers, a fake in
//! the unit tests. `steps.rs` moves between steps, `commands.rs` runs commands, `checks.rs`
//! judges a step.

mod checks;
mod commands;
#[cfg(test)]
mod fake;
mod limits;
mod steps;
#[cfg(test)]
mod tests;

use crate::engine::explain::{self, Docs, Explanation, OBSERVER};
use crate::engine::requirements::{self, ServerFacts};
use crate::lesson::catalog::Entry;
use crate::lesson::model::{Lesson, Step};
use crate::server::backend::{Backend, BackendError, LiveBackend};
use crate::server::connection::{BLOCK_GRACE, ConnError, Outcome, SLOW_COMMAND, ServerChoice};
use crate::server::reply::Reply;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("fixture problem: {0}")]
    Fixture(crate::engine::fixtures::FixtureProblem),
    /// A command of the lesson cannot be sent (the loader reports these first; a lesson built
    /// in code can still have one).
    #[error("the lesson's command cannot be sent: {0}")]
    BadCommand(#[from] crate::lesson::loader::ArgsError),
    #[error(transparent)]
    Database(#[from] crate::server::backend::DatabaseError),
    /// The lesson asks for something these servers are not (`on:`, a fault, no topology).
    #[error(transparent)]
    Unfit(#[from] crate::server::backend::Unfit),
    #[error(transparent)]
    Topology(#[from] crate::server::topology::TopologyError),
    /// The server cannot run this lesson (version, module, topology): skip, do not fail.
    #[error("{0}")]
    Unmet(String),
    /// A setup command of the lesson may not run here (see `server::safety`).
    #[error("the lesson's setup cannot run here: {0}")]
    SetupRefused(String),
}

/// The backend's errors are the session's, under the names they always had.
impl From<BackendError> for SessionError {
    fn from(error: BackendError) -> SessionError {
        match error {
            BackendError::Conn(e) => SessionError::Conn(e),
            BackendError::Topology(e) => SessionError::Topology(e),
            BackendError::Database(e) => SessionError::Database(e),
            BackendError::Lesson(e) => SessionError::Unfit(e),
        }
    }
}

impl SessionError {
    pub fn is_connection_loss(&self) -> bool {
        matches!(self, SessionError::Conn(e) if e.is_connection_loss())
    }
}

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub server: ServerChoice,
    /// On a server given with `--url`: run even in a non-empty database, and allow
    /// server-wide commands other than FLUSHALL/FLUSHDB.
    pub force: bool,
    /// On a server given with --url: leave what the lesson created when it ends.
    pub keep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Learner,
    Lesson,
}

/// One check that did not pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub label: String,
    pub expected: String,
    pub found: String,
}

/// The result of every check of a step, in order (plus must_use/must_not_use rules).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    pub checks: Vec<Result<(), Failure>>,
    pub rules: Vec<Failure>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(Result::is_ok) && self.rules.is_empty()
    }

    pub fn failures(&self) -> Vec<Failure> {
        self.checks
            .iter()
            .filter_map(|c| c.as_ref().err().cloned())
            .chain(self.rules.iter().cloned())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Notice(String),
    StepStarted {
        index: usize,
    },
    Command {
        who: Who,
        client: String,
        line: String,
        outcome: Outcome,
    },
    /// A blocked command got its reply because another client acted.
    Released {
        client: String,
        line: String,
        reply: Reply,
    },
    Paused {
        ms: u64,
    },
    Refused(String),
    NotYet {
        failures: Vec<Failure>,
    },
    StepPassed {
        index: usize,
        /// What the step's commands did (one or two explanations, see `explanations_to_show`).
        explanations: Vec<Explanation>,
    },
    StepSkipped {
        index: usize,
    },
    /// The engine timed a repeated command (pipelining, round trips).
    Measured {
        line: String,
        count: u32,
        pipelined: bool,
        elapsed: Duration,
        /// The previous measurement of this step, and how many times slower it was than this one.
        compared: Option<(String, f64)>,
    },
    /// A subscribed or MONITOR client received a message.
    Received {
        client: String,
        message: Reply,
    },
    /// The server lacks what this step needs; the lesson moves on without it.
    StepUnavailable {
        index: usize,
        reason: String,
    },
    LessonFinished,
}

/// What proving one step found.
#[derive(Debug, Clone, PartialEq)]
pub struct StepProof {
    pub index: usize,
    /// Indexes of checks that already passed before the solution ran (they prove nothing).
    pub passing_before: Vec<usize>,
    /// What still failed after the solution ran.
    pub failing_after: Vec<Failure>,
    /// The step's wrong ways that did not prove what they should (one passed the step, or was
    /// refused or answered an error, so it proves nothing).
    pub wrong_ways: Vec<WrongWayProblem>,
}

impl StepProof {
    pub fn ok(&self) -> bool {
        self.passing_before.is_empty()
            && self.failing_after.is_empty()
            && self.wrong_ways.is_empty()
    }
}

/// A wrong way of a step that `check --run` cannot accept as proven.
#[derive(Debug, Clone, PartialEq)]
pub struct WrongWayProblem {
    /// Where the wrong way is written: (line, column) in the lesson file.
    pub line: usize,
    pub column: usize,
    /// Its lines, as the learner would type them, joined with `; `.
    pub typed: String,
    pub kind: WrongWayKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WrongWayKind {
    /// The step passed: its checks cannot tell this way from the right one.
    Passed,
    /// A line was refused (redis-lab's safety rules), so the way was never tried.
    Refused { line: String, reason: String },
    /// A line answered an error, so the way never did what it stands for.
    Errored { line: String, error: String },
}

impl std::fmt::Display for WrongWayProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            WrongWayKind::Passed => write!(
                f,
                "the wrong way `{}` passes the step: add a check or rule it fails \
                 (must_use, must_not_use, max_writes, reply_of, a stricter probe)",
                self.typed
            ),
            WrongWayKind::Refused { line, reason } => write!(
                f,
                "the wrong way `{}` proves nothing: `{line}` was refused ({reason})",
                self.typed
            ),
            WrongWayKind::Errored { line, error } => write!(
                f,
                "the wrong way `{}` proves nothing: `{line}` answered {error} (a wrong way must \
                 run and do the wrong thing)",
                self.typed
            ),
        }
    }
}

/// A lesson in progress, over the servers of backend `B`.
pub struct Session<B: Backend = LiveBackend> {
    entry: Entry,
    facts: ServerFacts,
    lesson: Arc<Lesson>,
    backend: B,
    force: bool,
    step: usize,
    finished: bool,
    hints_shown: usize,
    /// Command names used in this step (`ZADD`, and `OBJECT ENCODING` for containers).
    used: BTreeSet<String>,
    /// How many commands were sent in this step, for `max_commands` and `max_writes`.
    counted: limits::Counted,
    /// Replies the learner got in this step, for checks that look at a reply instead of a probe.
    /// (client, command name, reply) for every reply in this step, released ones included.
    replies: Vec<(String, String, Reply)>,
    docs: Docs,
    /// What each command of this step did, in order.
    explanations: Vec<Explanation>,
    /// The client the learner switched to with `:client`, for this step.
    client_override: Option<String>,
    /// Steps skipped because the server lacks what they need: (index, reason).
    unavailable: Vec<(usize, String)>,
    /// Error replies to the lesson's own commands (setup, run, solution) with the step they
    /// belong to, for `check --run`.
    lesson_errors: Vec<(usize, String)>,
    /// Whether commands run now are explained (not the lesson's own `run` demonstrations).
    recording: bool,
    /// Where the learner types in a cluster after a MOVED redirection (as redis-cli -c does).
    learner_node: Option<String>,
    /// The last timed repeat in this step (its label, seconds per command), to compare with.
    last_measure: Option<(String, String, f64)>,
}

/// Called while fixtures load: (commands loaded, total).
pub type LoadProgress<'a> = &'a mut dyn FnMut(usize, usize);

const FIXTURE_BATCH: usize = 1000;
/// The most times a lesson repeats a line the learner typed (`15 INCR counter`).
const LESSON_MAX_REPEAT: u64 = 10_000;

impl Session<LiveBackend> {
    /// Connects (starting a sandbox unless a URL was given), loads fixtures and setup, and
    /// brings the server to the state at the start of step `start_at`.
    pub fn start(
        entry: Entry,
        options: &SessionOptions,
        start_at: usize,
        progress: LoadProgress,
    ) -> Result<(Session, Vec<Event>), SessionError> {
        let mut server_choice: ServerChoice = options.server.clone();
        // Checked again where the server starts: a lesson's arguments are lab settings only.
        server_choice
            .sandbox
            .lesson_args
            .extend(entry.lesson.requires.server_args.iter().cloned());
        let kind = entry.lesson.requires.topology;
        if kind != crate::lesson::model::Topology::Single && server_choice.url.is_some() {
            return Err(SessionError::Unmet(format!(
                "this lesson needs the `{}` topology: several servers that redis-lab starts and stops itself, \
                 so it cannot run on a server given with --url. Run it without --url",
                crate::server::topology::kind_name(kind)
            )));
        }
        let backend = LiveBackend::open(&server_choice, kind)?;
        Session::start_on(backend, entry, options.force, start_at, progress)
    }
}

impl<B: Backend> Session<B> {
    /// [`Session::start`] on servers that are already there: checks that they can run the
    /// lesson, claims a database on a server redis-lab did not start (`force`: even a non-empty
    /// one), loads fixtures and setup, and goes to step `start_at`.
    pub fn start_on(
        backend: B,
        entry: Entry,
        force: bool,
        start_at: usize,
        progress: LoadProgress,
    ) -> Result<(Session<B>, Vec<Event>), SessionError> {
        let lesson = entry.lesson.clone();
        let mut session = Session {
            entry,
            facts: ServerFacts::default(),
            lesson,
            backend,
            force,
            step: 0,
            finished: false,
            hints_shown: 0,
            used: BTreeSet::new(),
            counted: limits::Counted::default(),
            replies: Vec::new(),
            docs: Docs::default(),
            explanations: Vec::new(),
            client_override: None,
            last_measure: None,
            unavailable: Vec::new(),
            lesson_errors: Vec::new(),
            recording: true,
            learner_node: None,
        };
        if session.lesson.requires.sandbox && !session.backend.is_owned() {
            return Err(SessionError::Unmet(
                "this lesson changes the server's configuration or restarts it, so it runs only on a private \
                 sandbox that redis-lab starts, never on a server given with --url: run it without --url"
                    .into(),
            ));
        }
        session.facts = session.server_facts()?;
        if let Some(reason) = requirements::unmet(&session.lesson.requires, &session.facts) {
            return Err(SessionError::Unmet(reason));
        }
        let mut events = Vec::new();
        if !session.backend.is_owned() {
            if session.lesson.requires.scripts && !session.force {
                return Err(SessionError::Unmet(
                    "this lesson runs Lua scripts or functions, and a script can reach every database of the \
                     server; on a server redis-lab did not start it runs only with --force (if the server is \
                     yours to change), or run it without --url on a private sandbox"
                        .into(),
                ));
            }
            events.push(Event::Notice(
                session.backend.claim_database(session.force)?,
            ));
        }
        match session.rebuild(start_at, progress) {
            Ok(more) => events.extend(more),
            Err(e) => {
                // On someone else's server, what the lesson created before it failed goes too.
                let _ = session.clean_up();
                return Err(e);
            }
        }
        Ok((session, events))
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn step(&self) -> &Step {
        &self.lesson.steps[self.step.min(self.lesson.steps.len() - 1)]
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn server_display(&self) -> &str {
        self.backend.display()
    }

    pub fn is_sandbox(&self) -> bool {
        self.backend.is_sandbox()
    }

    /// Whether redis-lab started the server (a sandbox or a topology node): nothing to clean up.
    pub fn is_owned(&self) -> bool {
        self.backend.is_owned()
    }

    /// After a lost connection: how the sandbox server ended, if that is why.
    pub fn sandbox_stopped(&mut self) -> Option<String> {
        self.backend.sandbox_stopped()
    }

    pub fn learner_client(&self) -> &str {
        self.client_override
            .as_deref()
            .unwrap_or(self.step().learner_client())
    }

    /// `:client NAME`: type as another client until the step changes.
    pub fn switch_client(&mut self, name: &str) -> Result<(), String> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid || name == OBSERVER {
            return Err(format!(
                "`{name}` cannot be a client name; use letters, digits, - and _"
            ));
        }
        self.client_override = Some(name.to_string());
        Ok(())
    }

    /// The server's version and modules, and which of the commands the lesson asks about it has.
    pub fn server_facts(&mut self) -> Result<ServerFacts, SessionError> {
        let asked = requirements::required_commands(&self.lesson);
        let mut commands = vec![
            vec![b"INFO".to_vec(), b"server".to_vec()],
            vec![b"MODULE".to_vec(), b"LIST".to_vec()],
        ];
        if !asked.is_empty() {
            let mut info = vec![b"COMMAND".to_vec(), b"INFO".to_vec()];
            info.extend(asked.iter().map(|c| c.as_bytes().to_vec()));
            commands.push(info);
        }
        let replies = self.backend.pipeline(None, OBSERVER, commands)?;
        let none = Reply::Nil;
        let facts = ServerFacts::from_replies(
            replies.first().unwrap_or(&none),
            replies.get(1).unwrap_or(&none),
        );
        Ok(if asked.is_empty() {
            facts
        } else {
            facts.with_commands(&asked, replies.get(2).unwrap_or(&none))
        })
    }

    /// The database the lesson runs in.
    pub fn db(&self) -> i64 {
        self.backend.db()
    }

    /// The node the learner types to now (multi-node lessons), for the prompt.
    pub fn learner_node(&self) -> Option<String> {
        let home = self.backend.home_node()?;
        Some(
            self.learner_node
                .clone()
                .or_else(|| self.step().on.clone())
                .unwrap_or_else(|| home.to_string()),
        )
    }

    /// Ctrl-C at the prompt: every client blocked in a command (a BLPOP the learner typed, a
    /// `:client`'s XREAD BLOCK) stops waiting; each one freed, with what it was waiting for.
    pub fn interrupt_waits(&mut self) -> Vec<crate::server::connection::Unblocked> {
        self.backend.unblock_waiting()
    }

    /// On a server redis-lab did not start: removes what this lesson created there (its keys
    /// and function libraries) and says what went, and what stays. Nothing to do on a sandbox.
    pub fn clean_up(&mut self) -> Result<Option<String>, SessionError> {
        Ok(self.backend.clean_up()?)
    }
}

/// The useful part of a received message: the payload of a pub/sub message, or a MONITOR line.
pub fn message_payload(message: &Reply) -> Reply {
    match message.elements().as_deref() {
        Some([kind, _, payload])
            if matches!(kind.as_text().as_deref(), Some("message" | "smessage")) =>
        {
            (*payload).clone()
        }
        Some([kind, _, _, payload]) if kind.as_text().as_deref() == Some("pmessage") => {
            (*payload).clone()
        }
        _ => message.clone(),
    }
}

fn is_queued(reply: &Reply) -> bool {
    matches!(reply, Reply::Status(s) if s == "QUEUED")
}

/// Blocking commands are shown as waiting after a moment; others get all the time they need.
fn wait_for(args: &[Vec<u8>]) -> Duration {
    if explain::may_block(args) {
        BLOCK_GRACE
    } else {
        SLOW_COMMAND
    }
}
