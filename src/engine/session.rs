//! The step state machine. The guided REPL, `--auto` and the tests all drive this same type.

use crate::command::tokenize::{join_args, split_args};
use crate::engine::check::{describe, evaluate};
use crate::engine::explain::{self, Docs, Explanation, OBSERVER};
use crate::engine::fixtures::parse_commands;
use crate::engine::requirements::{self, ServerFacts};
use crate::lesson::catalog::Entry;
use crate::lesson::loader::args_of;
use crate::lesson::model::{Check, CommandSpec, Lesson, Step};
use crate::server::connection::{
    BLOCK_GRACE, CONNECT_TIMEOUT, Clients, ConnError, Outcome, SLOW_COMMAND, Server, ServerChoice,
};
use crate::server::reply::Reply;
use crate::server::safety::{self, External, Sender};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("fixture problem: {0}")]
    Fixture(String),
    #[error("{0}")]
    Database(String),
    #[error(transparent)]
    Topology(#[from] crate::server::topology::TopologyError),
    /// The server cannot run this lesson (version, module, topology): skip, do not fail.
    #[error("{0}")]
    Unmet(String),
    /// A setup command of the lesson may not run here (see `server::safety`).
    #[error("the lesson's setup cannot run here: {0}")]
    SetupRefused(String),
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
}

impl StepProof {
    pub fn ok(&self) -> bool {
        self.passing_before.is_empty() && self.failing_after.is_empty()
    }
}

pub struct Session {
    entry: Entry,
    facts: ServerFacts,
    lesson: Arc<Lesson>,
    server: Server,
    clients: Clients,
    db: i64,
    force: bool,
    step: usize,
    finished: bool,
    hints_shown: usize,
    /// Command names used in this step (`ZADD`, and `OBJECT ENCODING` for containers).
    used: BTreeSet<String>,
    /// Replies the learner got in this step, for checks that look at a reply instead of a probe.
    /// (client, command name, reply) for every reply in this step, released ones included.
    replies: Vec<(String, String, Reply)>,
    /// On a server we do not own: keys this session created (absent when first touched), the
    /// only ones `reset` and the clean-up at the end may delete.
    created: BTreeSet<Vec<u8>>,
    /// On a server we do not own: keys that were there before this session touched them. Never
    /// deleted, whatever the lesson did to them.
    preexisting: BTreeSet<Vec<u8>>,
    /// Function libraries this session loaded (FUNCTION LOAD), removed at the clean-up, and those
    /// the server had before it started, which are never removed.
    functions_loaded: BTreeSet<String>,
    functions_before: BTreeSet<String>,
    /// Clients the learner moved to another database with SELECT (`client@node` -> database).
    outside_db: std::collections::HashMap<String, i64>,
    /// Whether the server says a command is read-only (COMMAND INFO), by `name` or `name|sub`.
    readonly: std::collections::HashMap<String, bool>,
    /// The sandbox holds state from this session (so a rebuild restarts it first).
    dirty: bool,
    docs: Docs,
    /// What each command of this step did, in order.
    explanations: Vec<Explanation>,
    /// How many messages of each receiving client have been shown.
    shown_received: std::collections::HashMap<String, usize>,
    /// The client the learner switched to with `:client`, for this step.
    client_override: Option<String>,
    /// Steps skipped because the server lacks what they need: (index, reason).
    unavailable: Vec<(usize, String)>,
    /// Error replies to the lesson's own commands (setup, run, solution) with the step they
    /// belong to, for `check --run`.
    lesson_errors: Vec<(usize, String)>,
    /// Whether commands run now are explained (not the lesson's own `run` demonstrations).
    recording: bool,
    /// The servers of a multi-node lesson; `server` then points at `current_node`.
    topology: Option<crate::server::topology::Topology>,
    /// Connections to the other nodes, by node name.
    nodes: std::collections::HashMap<String, (Server, Clients)>,
    /// The node `server`/`clients` point at (`master`, `node-1`); empty on a single server.
    current_node: String,
    /// Where the learner types in a cluster after a MOVED redirection (as redis-cli -c does).
    learner_node: Option<String>,
    /// How to start servers again (topology restarts).
    sandbox_options: crate::server::sandbox::SandboxOptions,
    /// Whether the command being run writes one of its keys (COMMAND GETKEYSANDFLAGS).
    last_writes: Option<bool>,
    /// The last timed repeat in this step (its label, seconds per command), to compare with.
    last_measure: Option<(String, String, f64)>,
}

/// Called while fixtures load: (commands loaded, total).
pub type LoadProgress<'a> = &'a mut dyn FnMut(usize, usize);

const FIXTURE_BATCH: usize = 1000;
/// The most times a lesson repeats a line the learner typed (`15 INCR counter`).
const LESSON_MAX_REPEAT: u64 = 10_000;

impl Session {
    /// Connects (starting a sandbox unless a URL was given), loads fixtures and setup, and
    /// brings the server to the state at the start of step `start_at`.
    pub fn start(
        entry: Entry,
        options: &SessionOptions,
        start_at: usize,
        progress: LoadProgress,
    ) -> Result<(Session, Vec<Event>), SessionError> {
        let mut server_choice = options.server.clone();
        // Checked again where the server starts: a lesson's arguments are lab settings only.
        server_choice
            .sandbox
            .lesson_args
            .extend(entry.lesson.requires.server_args.iter().cloned());
        let kind = entry.lesson.requires.topology;
        let (server, topology, current_node) = if kind == crate::lesson::model::Topology::Single {
            (Server::open(&server_choice)?, None, String::new())
        } else {
            if server_choice.url.is_some() {
                return Err(SessionError::Unmet(format!(
                    "this lesson needs the `{}` topology: several servers that redis-lab starts and stops itself, \
                     so it cannot run on a server given with --url. Run it without --url",
                    crate::server::topology::kind_name(kind)
                )));
            }
            let topology = crate::server::topology::Topology::start(
                kind,
                &server_choice.sandbox,
                &mut |_| {},
            )?;
            let (name, server) = default_node(&topology)?;
            (server, Some(topology), name)
        };
        let lesson = entry.lesson.clone();
        let mut session = Session {
            entry,
            facts: ServerFacts::default(),
            lesson,
            db: server.url_db(),
            clients: Clients::new(server.url_db()),
            server,
            force: options.force,
            step: 0,
            finished: false,
            hints_shown: 0,
            used: BTreeSet::new(),
            replies: Vec::new(),
            created: BTreeSet::new(),
            preexisting: BTreeSet::new(),
            functions_loaded: BTreeSet::new(),
            functions_before: BTreeSet::new(),
            outside_db: Default::default(),
            readonly: Default::default(),
            dirty: false,
            docs: Docs::default(),
            explanations: Vec::new(),
            shown_received: Default::default(),
            client_override: None,
            last_measure: None,
            last_writes: None,
            unavailable: Vec::new(),
            lesson_errors: Vec::new(),
            recording: true,
            topology,
            nodes: Default::default(),
            current_node,
            learner_node: None,
            sandbox_options: server_choice.sandbox.clone(),
        };
        if session.lesson.requires.sandbox && !session.server.is_owned() {
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
        if !session.server.is_owned() {
            if session.lesson.requires.scripts && !session.force {
                return Err(SessionError::Unmet(
                    "this lesson runs Lua scripts or functions, and a script can reach every database of the \
                     server; on a server redis-lab did not start it runs only with --force (if the server is \
                     yours to change), or run it without --url on a private sandbox"
                        .into(),
                ));
            }
            events.push(Event::Notice(session.choose_database()?));
            session.functions_before = session.function_libraries()?;
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
        self.server.display()
    }

    pub fn is_sandbox(&self) -> bool {
        self.server.is_sandbox()
    }

    /// After a lost connection: how the sandbox server ended, if that is why.
    pub fn sandbox_stopped(&mut self) -> Option<String> {
        self.server.sandbox_mut()?.exit_reason()
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

    /// The server's version and modules.
    pub fn server_facts(&mut self) -> Result<ServerFacts, SessionError> {
        let replies = self.clients.pipeline(
            &self.server,
            OBSERVER,
            vec![
                vec![b"INFO".to_vec(), b"server".to_vec()],
                vec![b"MODULE".to_vec(), b"LIST".to_vec()],
            ],
        )?;
        Ok(ServerFacts::from_replies(&replies[0], &replies[1]))
    }

    /// The database the lesson runs in.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// How many keys database `db` holds (a refusal, NOAUTH or NOPERM, ends the session).
    fn dbsize(&self, db: i64) -> Result<i64, SessionError> {
        match self.server.ask(db, &["DBSIZE"], CONNECT_TIMEOUT)? {
            Reply::Int(size) => Ok(size),
            Reply::Error(reply) => Err(self.server.refused(reply).into()),
            other => Err(ConnError::Dropped {
                target: self.server.display().to_string(),
                reason: format!("DBSIZE answered {other:?}"),
            }
            .into()),
        }
    }

    /// On a server we did not start: use the URL's database if empty, or find an empty one.
    fn choose_database(&mut self) -> Result<String, SessionError> {
        let requested = self.server.url_db();
        let size = self.dbsize(requested)?;
        if size == 0 || self.force {
            self.set_db(requested);
            return Ok(if size == 0 {
                format!(
                    "Running in database {requested} of {}, which is empty.",
                    self.server.display()
                )
            } else {
                format!(
                    "Running in database {requested} of {} ({size} keys already there; --force given). \
                     redis-lab will only delete keys this lesson touches.",
                    self.server.display()
                )
            });
        }
        if requested != 0 {
            return Err(SessionError::Database(format!(
                "database {requested} of {} holds {size} keys. redis-lab runs lessons only in an empty database, \
                 so it never destroys data it did not create: pick an empty one (redis://host:port/<db>) or pass --force.",
                self.server.display()
            )));
        }
        for db in 1..16 {
            let size = match self.dbsize(db) {
                Ok(size) => size,
                // Past the server's `databases` limit; any other failure is said as it is.
                Err(e) if e.to_string().contains("out of range") => break,
                Err(e) => return Err(e),
            };
            if size == 0 {
                self.set_db(db);
                return Ok(format!(
                    "Database 0 of {} is not empty, so this lesson runs in database {db}, which is.",
                    self.server.display()
                ));
            }
        }
        Err(SessionError::Database(format!(
            "no empty database on {}: redis-lab runs lessons only in an empty database so it never destroys \
             data it did not create. Free one, pass --force, or run without --url to use a private sandbox.",
            self.server.display()
        )))
    }

    fn set_db(&mut self, db: i64) {
        self.db = db;
        self.clients = Clients::new(db);
    }

    /// Clean state, fixtures, setup, then the solutions of the steps before `target`.
    fn rebuild(
        &mut self,
        target: usize,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        self.clean_state()?;
        self.load_fixtures(progress)?;
        let lesson = self.lesson.clone();
        for spec in &lesson.setup {
            let events = self.run_spec(
                &spec.value,
                crate::lesson::model::DEFAULT_CLIENT,
                None,
                Who::Lesson,
            )?;
            // The steps rely on their setup: a refused one ends the lesson instead of leaving it
            // half-built.
            if let Some(Event::Refused(reason)) =
                events.iter().find(|e| matches!(e, Event::Refused(_)))
            {
                return Err(SessionError::SetupRefused(reason.clone()));
            }
        }
        let target = target.min(lesson.steps.len() - 1);
        for index in 0..target {
            self.step = index;
            if self.step_unavailable(index).is_some() {
                continue;
            }
            for spec in lesson.steps[index]
                .run
                .iter()
                .chain(&lesson.steps[index].solution)
            {
                let step = &lesson.steps[index];
                self.run_spec(
                    &spec.value,
                    step.learner_client(),
                    step.on.as_deref(),
                    Who::Lesson,
                )?;
            }
        }
        self.finished = false;
        self.enter_step(target)
    }

    fn clean_state(&mut self) -> Result<(), SessionError> {
        self.clients.clear_on(&self.server);
        self.shown_received.clear();
        self.learner_node = None;
        if let Some(topology) = &self.topology {
            if self.dirty {
                // A fresh topology: faults, failovers and writes of the previous run are gone.
                let kind = topology.kind;
                self.nodes.clear();
                self.topology = None;
                let topology = crate::server::topology::Topology::start(
                    kind,
                    &self.sandbox_options,
                    &mut |_| {},
                )?;
                let (name, server) = default_node(&topology)?;
                self.server = server;
                self.current_node = name;
                self.clients = Clients::new(0);
                self.topology = Some(topology);
                self.dirty = false;
            }
        } else if self.server.is_sandbox() {
            if self.dirty {
                self.server.restart()?;
                self.dirty = false;
            }
        } else {
            // Not our server: delete only what this lesson created, never FLUSHDB.
            self.remove_created_keys()?;
        }
        self.outside_db.clear();
        // The observer is named so it is recognisable in CLIENT LIST and MONITOR lessons.
        self.clients.pipeline(
            &self.server,
            OBSERVER,
            vec![vec![
                b"CLIENT".to_vec(),
                b"SETNAME".to_vec(),
                b"redis-lab".to_vec(),
            ]],
        )?;
        Ok(())
    }

    fn load_fixtures(&mut self, progress: LoadProgress) -> Result<(), SessionError> {
        let mut all = Vec::new();
        for fixture in &self.lesson.fixtures {
            let bytes = self
                .entry
                .fixture(&fixture.value)
                .map_err(|e| SessionError::Fixture(e.to_string()))?;
            all.extend(parse_commands(&fixture.value, &bytes).map_err(SessionError::Fixture)?);
        }
        let total = all.len();
        let mut done = 0;
        // Every line is judged before the first is sent: a refused one sends nothing.
        for args in &all {
            if let Some(reason) = self.refusal(args, Who::Lesson)? {
                return Err(SessionError::Fixture(reason));
            }
        }
        for batch in all.chunks(FIXTURE_BATCH) {
            if !self.server.is_owned() {
                let mut keys = Vec::new();
                for args in batch {
                    keys.extend(explain::keys_of(&mut self.clients, &self.server, args)?.0);
                }
                self.note_new_keys(&keys)?;
            } else {
                self.dirty = true;
            }
            let replies = self.clients.pipeline(
                &self.server,
                crate::lesson::model::DEFAULT_CLIENT,
                batch.to_vec(),
            )?;
            if let Some((args, Reply::Error(e))) =
                batch.iter().zip(&replies).find(|(_, r)| r.is_error())
            {
                return Err(SessionError::Fixture(format!(
                    "`{}` failed: {e}",
                    join_args(args)
                )));
            }
            done += batch.len();
            progress(done, total);
        }
        Ok(())
    }

    fn track_keys(&mut self, args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, SessionError> {
        let (keys, writes) = explain::keys_of(&mut self.clients, &self.server, args)?;
        self.last_writes = writes;
        if self.server.is_owned() {
            self.dirty = true;
        } else if writes != Some(false) {
            // Only a write can create a key; asking about the keys of a read would count as a
            // keyspace hit or miss and falsify the lesson's INFO stats.
            self.note_new_keys(&keys)?;
        }
        Ok(keys)
    }

    /// On a server we do not own: sorts keys seen for the first time into those this session
    /// is about to create and those that were already there (asked before the command runs).
    fn note_new_keys(&mut self, keys: &[Vec<u8>]) -> Result<(), SessionError> {
        let unknown: Vec<Vec<u8>> = keys
            .iter()
            .filter(|k| !self.created.contains(*k) && !self.preexisting.contains(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let probes = unknown
            .iter()
            .map(|k| vec![b"EXISTS".to_vec(), k.clone()])
            .collect();
        let replies = self.clients.pipeline(&self.server, OBSERVER, probes)?;
        for (key, reply) in unknown.into_iter().zip(replies) {
            if reply == Reply::Int(0) {
                self.created.insert(key);
            } else {
                self.preexisting.insert(key);
            }
        }
        Ok(())
    }

    /// The ports of the servers redis-lab started for this lesson (the sandbox or every node).
    fn started_ports(&mut self) -> Vec<String> {
        let mut ports: Vec<String> = match &self.topology {
            Some(topology) => topology
                .nodes
                .iter()
                .map(|n| n.port().to_string())
                .collect(),
            None => Vec::new(),
        };
        if let Some(sandbox) = self.server.sandbox_mut() {
            ports.push(sandbox.port().to_string());
        }
        ports
    }

    /// What the user allowed on a server we did not start.
    fn external(&self) -> External {
        External {
            force: self.force,
            lesson_runs_scripts: self.lesson.requires.scripts,
        }
    }

    /// Why a command must not be sent, or None. Every command of a lesson session comes here:
    /// no CONFIG SET of files anywhere, and on a server we did not start only what
    /// [`safety::external_refusal`] allows.
    fn refusal(&mut self, args: &[Vec<u8>], who: Who) -> Result<Option<String>, SessionError> {
        if let Some(problem) = safety::config_set_problem(args) {
            return Ok(Some(problem));
        }
        if let Some((host, port)) = safety::network_target(args)
            && !(safety::is_loopback(&host) && self.started_ports().contains(&port))
        {
            return Ok(Some(format!(
                "{} {host} {port} is refused in lessons: a lesson may only connect its servers to the \
                 ones redis-lab started for it ({}), never to another server on this machine or elsewhere",
                crate::command::name(args).unwrap_or_default(),
                match self.started_ports() {
                    ports if ports.is_empty() => "none on this server".to_string(),
                    ports => ports.join(", "),
                }
            )));
        }
        if self.server.is_owned() {
            return Ok(None);
        }
        let sender = match who {
            Who::Learner => Sender::Learner,
            Who::Lesson => Sender::Lesson,
        };
        let has_keys = safety::reach(args) == safety::Reach::Unknown
            && !explain::keys_of(&mut self.clients, &self.server, args)?
                .0
                .is_empty();
        Ok(safety::external_refusal(
            args,
            sender,
            self.external(),
            has_keys,
        ))
    }

    /// One command of redis-lab's own, on its observer connection.
    fn ask(&mut self, args: &[&[u8]]) -> Result<Reply, SessionError> {
        let command = args.iter().map(|a| a.to_vec()).collect();
        let replies = self
            .clients
            .pipeline(&self.server, OBSERVER, vec![command])?;
        Ok(replies.into_iter().next().unwrap_or(Reply::Nil))
    }

    /// The function libraries the server has now (none before Redis 7).
    fn function_libraries(&mut self) -> Result<BTreeSet<String>, SessionError> {
        let reply = self.ask(&[b"FUNCTION", b"LIST"])?;
        let mut names = BTreeSet::new();
        for library in reply.elements().unwrap_or_default() {
            let fields = library.elements().unwrap_or_default();
            if let Some(pair) = fields.chunks(2).find(|pair| {
                pair.first().and_then(|f| f.as_text()).as_deref() == Some("library_name")
            }) && let Some(name) = pair.get(1).and_then(|n| n.as_text())
            {
                names.insert(name);
            }
        }
        Ok(names)
    }

    /// Deletes the keys this session created on a server we do not own; how many went.
    fn remove_created_keys(&mut self) -> Result<i64, SessionError> {
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.created).into_iter().collect();
        let mut removed = 0;
        for chunk in keys.chunks(500) {
            let mut command = vec![b"UNLINK".to_vec()];
            command.extend(chunk.iter().cloned());
            for reply in self
                .clients
                .pipeline(&self.server, OBSERVER, vec![command])?
            {
                if let Reply::Int(n) = reply {
                    removed += n;
                }
            }
        }
        Ok(removed)
    }

    /// On a server redis-lab did not start: removes what this lesson created there (its keys
    /// and function libraries) and says what went, and what stays. Nothing to do on a sandbox.
    pub fn clean_up(&mut self) -> Result<Option<String>, SessionError> {
        if self.server.is_owned() {
            return Ok(None);
        }
        self.clients.clear_on(&self.server);
        let keys = self.remove_created_keys()?;
        let libraries: Vec<String> = std::mem::take(&mut self.functions_loaded)
            .into_iter()
            .filter(|name| !self.functions_before.contains(name))
            .collect();
        for name in &libraries {
            self.ask(&[b"FUNCTION", b"DELETE", name.as_bytes()])?;
        }
        let left = match self.ask(&[b"DBSIZE"])? {
            Reply::Int(n) => n,
            _ => 0,
        };
        let mut text = format!(
            "Removed the {keys} key{} this lesson created in database {} of {}",
            if keys == 1 { "" } else { "s" },
            self.db,
            self.server.display()
        );
        if !libraries.is_empty() {
            text.push_str(&format!(
                " and its function librar{} {}",
                if libraries.len() == 1 { "y" } else { "ies" },
                libraries.join(", ")
            ));
        }
        text.push_str(" (pass --keep to keep them).");
        if left > 0 {
            text.push_str(&format!(
                " {left} key{} that redis-lab did not see this lesson create stay{} there.",
                if left == 1 { "" } else { "s" },
                if left == 1 { "s" } else { "" }
            ));
        }
        Ok(Some(text))
    }

    /// The key under which a client's database is remembered.
    fn client_key(&self, client: &str) -> String {
        format!("{client}@{}", self.current_node)
    }

    /// The lesson's own commands always run in the lesson's database: a client the learner moved
    /// elsewhere with SELECT is brought back first, and the learner is told.
    fn back_to_lesson_db(&mut self, client: &str) -> Result<Option<Event>, SessionError> {
        let key = self.client_key(client);
        let known = self.outside_db.remove(&key);
        if !self.clients.names().any(|n| n == client) {
            return Ok(None); // a new connection starts in the lesson's database
        }
        // On someone else's server the database is selected before every lesson command, even
        // with no SELECT seen: one inside MULTI (answered QUEUED), HELLO or RESET moves it too.
        if known.is_none() && (self.server.is_owned() || client == OBSERVER) {
            return Ok(None);
        }
        // A client that waits (BLPOP) or only receives (SUBSCRIBE) takes no command: the lesson's
        // command is refused as it is, below.
        if self.clients.pending(client).is_some()
            || self.clients.receivers().iter().any(|r| r == client)
        {
            return Ok(None);
        }
        let select = vec![b"SELECT".to_vec(), self.db.to_string().into_bytes()];
        match self
            .clients
            .run(&self.server, client, &select, SLOW_COMMAND)?
        {
            Outcome::Done(Reply::Status(_)) => Ok(known.map(|db| Event::Notice(format!(
                "Client {client} was in database {db}; the lesson's commands run in database {}, so it is back there now.",
                self.db
            )))),
            other => Err(SessionError::Database(format!(
                "could not bring client {client} back to database {} ({other:?}); type `:retry` to start the step again",
                self.db
            ))),
        }
    }

    /// Follows the learner's SELECT (and RESET, which goes back to database 0) and says when a
    /// client leaves the lesson's database.
    fn follow_database(&mut self, client: &str, args: &[Vec<u8>], reply: &Reply) -> Option<Event> {
        let name = crate::command::name(args)?;
        let db = match (name.as_str(), reply) {
            ("SELECT", Reply::Status(_)) => String::from_utf8_lossy(args.get(1)?).parse().ok()?,
            ("RESET", Reply::Status(_)) => 0,
            _ => return None,
        };
        let key = self.client_key(client);
        if db == self.db {
            return self
                .outside_db
                .remove(&key)
                .map(|_| Event::Notice(format!("Back in database {db}, the lesson's.")));
        }
        self.outside_db.insert(key, db);
        let whose = if self.server.is_owned() {
            String::new()
        } else {
            " Writes there change data that redis-lab did not create.".to_string()
        };
        Some(Event::Notice(format!(
            "Client {client} is now in database {db}, outside the lesson's database {}.{whose} The checks, :solution and :skip keep using database {}: type `SELECT {}` to come back.",
            self.db, self.db, self.db
        )))
    }

    /// Whether the server flags this command `readonly` (COMMAND INFO), asked once per name.
    fn server_says_readonly(&mut self, args: &[Vec<u8>]) -> Result<bool, SessionError> {
        let Some(first) = args.first() else {
            return Ok(false);
        };
        let name = String::from_utf8_lossy(first).to_ascii_lowercase();
        let mut names = vec![name.clone()];
        if let Some(sub) = args.get(1) {
            names.insert(
                0,
                format!(
                    "{name}|{}",
                    String::from_utf8_lossy(sub).to_ascii_lowercase()
                ),
            );
        }
        for candidate in names {
            if let Some(known) = self.readonly.get(&candidate) {
                if *known {
                    return Ok(true);
                }
                continue;
            }
            let reply = self.ask(&[b"COMMAND", b"INFO", candidate.as_bytes()])?;
            let readonly = reply
                .elements()
                .and_then(|infos| infos.first().cloned())
                .and_then(|info| info.elements().and_then(|f| f.get(2).cloned()))
                .and_then(|flags| flags.elements())
                .is_some_and(|flags| {
                    flags
                        .iter()
                        .any(|f| f.as_text().as_deref() == Some("readonly"))
                });
            self.readonly.insert(candidate, readonly);
            if readonly {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn enter_step(&mut self, index: usize) -> Result<Vec<Event>, SessionError> {
        self.step = index;
        self.client_override = None;
        self.learner_node = None; // a MOVED followed in an earlier step does not carry over
        self.hints_shown = 0;
        self.used.clear();
        self.replies.clear();
        self.explanations.clear();
        let step = self.lesson.steps[index].clone();
        if let Some(reason) = self.step_unavailable(index) {
            if !self.unavailable.iter().any(|(i, _)| *i == index) {
                self.unavailable.push((index, reason.clone()));
            }
            let mut events = vec![Event::StepUnavailable { index, reason }];
            events.extend(self.advance()?);
            return Ok(events);
        }
        let mut events = vec![Event::StepStarted { index }];
        self.recording = false;
        for spec in &step.run {
            let result = self.run_spec(
                &spec.value,
                step.learner_client(),
                step.on.as_deref(),
                Who::Lesson,
            );
            if result.is_err() {
                self.recording = true;
            }
            events.extend(result?);
        }
        self.recording = true;
        Ok(events)
    }

    /// Why step `index` cannot run on this server (a module or version it alone needs).
    fn step_unavailable(&self, index: usize) -> Option<String> {
        let requires = self.lesson.steps[index].requires.as_ref()?;
        requirements::unmet_step(requires, &self.facts)
    }

    /// Runs one command of a lesson (setup, run or solution) and reports what happened.
    /// `default_node` is the step's `on`, for commands that name no node themselves.
    fn run_spec(
        &mut self,
        spec: &CommandSpec,
        default_client: &str,
        default_node: Option<&str>,
        who: Who,
    ) -> Result<Vec<Event>, SessionError> {
        let node = spec.on.as_deref().or(default_node);
        let mut events = Vec::new();
        if let Some(extra_args) = &spec.restart {
            if !self.server.is_sandbox() {
                return Ok(vec![Event::Refused(
                    "redis-lab restarts only servers it started".into(),
                )]);
            }
            self.clients.clear();
            self.server.crash_and_restart(extra_args)?;
            self.dirty = true;
            let with = if extra_args.is_empty() {
                String::new()
            } else {
                format!(" with {}", extra_args.join(" "))
            };
            events.push(Event::Notice(format!(
                "The server was killed (as in a crash: nothing saved on the way out) and started again on the same data directory{with}."
            )));
        }
        if let Some(fault) = &spec.fault {
            events.push(self.inject(fault)?);
        }
        if let (Some(args), Some(count)) = (&spec.cmd, spec.repeat) {
            let args = args_of(args).map_err(SessionError::Fixture)?;
            let client = spec.client.as_deref().unwrap_or(default_client).to_string();
            let event =
                self.with_node(node, |s| s.measure(&client, &args, count, spec.pipeline))?;
            events.push(event);
        } else if let Some(args) = &spec.cmd {
            let args = args_of(args).map_err(SessionError::Fixture)?;
            let client = spec.client.as_deref().unwrap_or(default_client).to_string();
            let wait = if spec.background {
                Duration::from_millis(20)
            } else {
                wait_for(&args)
            };
            events.extend(self.with_node(node, |s| s.execute(&client, &args, who, wait))?);
        }
        if let Some(ms) = spec.wait_ms {
            std::thread::sleep(Duration::from_millis(ms));
            events.push(Event::Paused { ms });
            events.extend(self.released(Duration::ZERO));
        }
        Ok(events)
    }

    /// Runs `f` with `server`/`clients` pointing at node `node` of the topology (None: the
    /// current node), then puts them back.
    fn with_node<R>(
        &mut self,
        node: Option<&str>,
        f: impl FnOnce(&mut Self) -> Result<R, SessionError>,
    ) -> Result<R, SessionError> {
        let Some(name) = node.filter(|n| *n != self.current_node) else {
            return f(self);
        };
        let (server, clients) = match self.nodes.remove(name) {
            Some(pair) => pair,
            None => {
                let topology = self.topology.as_ref().ok_or_else(|| {
                    SessionError::Fixture(format!(
                        "`on: {name}` needs a multi-node lesson (requires.topology)"
                    ))
                })?;
                let url = topology.node(name)?.url();
                (Server::node(name, &url)?, Clients::new(0))
            }
        };
        let previous_server = std::mem::replace(&mut self.server, server);
        let previous_clients = std::mem::replace(&mut self.clients, clients);
        let previous_node = std::mem::replace(&mut self.current_node, name.to_string());
        self.note_frozen_nodes();
        let result = f(self);
        let server = std::mem::replace(&mut self.server, previous_server);
        let clients = std::mem::replace(&mut self.clients, previous_clients);
        self.current_node = previous_node;
        self.nodes.insert(name.to_string(), (server, clients));
        result
    }

    /// Stops, starts, freezes or thaws a node of the topology.
    fn inject(&mut self, fault: &crate::lesson::model::Fault) -> Result<Event, SessionError> {
        use crate::lesson::model::Fault;
        let topology = self.topology.as_mut().ok_or_else(|| {
            SessionError::Fixture("faults need a multi-node lesson (requires.topology)".into())
        })?;
        self.dirty = true;
        let text = match fault {
            Fault::Stop(name) => {
                topology.node_mut(name)?.sandbox.stop();
                self.nodes.remove(name); // its connections died with it
                format!("{name} was stopped (killed, as in a crash).")
            }
            Fault::Start(name) => {
                topology
                    .node_mut(name)?
                    .sandbox
                    .start_again()
                    .map_err(ConnError::from)?;
                self.nodes.remove(name);
                format!("{name} was started again, on the same port and data.")
            }
            Fault::Pause(name) => {
                topology.node_mut(name)?.sandbox.pause(true);
                format!("{name} is frozen (SIGSTOP): it hangs without dying.")
            }
            Fault::Resume(name) => {
                topology.node_mut(name)?.sandbox.pause(false);
                format!("{name} is running again (SIGCONT).")
            }
        };
        if let Fault::Stop(name) | Fault::Start(name) = fault
            && *name == self.current_node
        {
            self.clients.clear();
        }
        self.note_frozen_nodes();
        Ok(Event::Notice(text))
    }

    /// Tells each node's clients whether the lesson froze that node, so that a command left
    /// without an answer there is explained as the lesson's doing, not a mystery.
    fn note_frozen_nodes(&mut self) {
        let Some(topology) = &self.topology else {
            return;
        };
        let why = |name: &str| {
            topology
                .node(name)
                .ok()
                .filter(|node| node.sandbox.is_frozen())
                .map(|_| {
                    format!(
                        "{name} is frozen by this lesson (SIGSTOP) and answers nothing until the lesson thaws it"
                    )
                })
        };
        self.clients.set_frozen(why(&self.current_node));
        for (name, (_, clients)) in self.nodes.iter_mut() {
            clients.set_frozen(why(name));
        }
    }

    /// A MOVED reply among these events: (slot, address, node name).
    fn moved_to(&self, events: &[Event]) -> Option<(String, String, String)> {
        let topology = self.topology.as_ref()?;
        events.iter().find_map(|e| match e {
            Event::Command {
                outcome: Outcome::Done(Reply::Error(error)),
                ..
            } => {
                let to = crate::command::redirect(error).filter(|r| r.kind == "MOVED")?;
                let port = to.port()?;
                let node = topology.nodes.iter().find(|n| n.port() == port)?;
                Some((
                    to.slot.to_string(),
                    to.address.to_string(),
                    node.name.clone(),
                ))
            }
            _ => None,
        })
    }

    /// The node the learner types to now (multi-node lessons), for the prompt.
    pub fn learner_node(&self) -> Option<String> {
        self.topology.as_ref()?;
        Some(
            self.learner_node
                .clone()
                .or_else(|| self.step().on.clone())
                .unwrap_or_else(|| self.current_node.clone()),
        )
    }

    /// Runs a command `count` times, one round trip each or in one pipeline, and times it.
    fn measure(
        &mut self,
        client: &str,
        args: &[Vec<u8>],
        count: u32,
        pipelined: bool,
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
            self.note_used(first);
            if let Some(reason) = self.refusal(first, Who::Lesson)? {
                return Ok(Event::Refused(reason));
            }
            self.back_to_lesson_db(client)?;
            if !self.server.is_owned() {
                for command in &commands {
                    self.track_keys(command)?;
                }
            } else {
                self.dirty = true;
            }
        }
        let started = Instant::now();
        let replies: Vec<Reply> = if pipelined {
            self.clients
                .pipeline(&self.server, client, commands.clone())?
        } else {
            let mut replies = Vec::with_capacity(commands.len());
            for command in &commands {
                if let Outcome::Done(reply) =
                    self.clients
                        .run(&self.server, client, command, SLOW_COMMAND)?
                {
                    replies.push(reply);
                }
            }
            replies
        };
        let elapsed = started.elapsed();
        // The replies count for reply checks like any other command's.
        if self.recording {
            let name = crate::command::name(args).unwrap_or_default();
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

    /// Sends a command as `client`, notes what it used and touched, and explains it.
    fn execute(
        &mut self,
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
        if let Some(reason) = self.refusal(args, who)? {
            return Ok(vec![Event::Refused(reason)]);
        }
        let mut events = Vec::new();
        if who == Who::Lesson {
            events.extend(self.back_to_lesson_db(client)?);
        }
        // A learner outside the lesson's database works on data that is not the lesson's: its
        // keys are neither the lesson's to delete nor what the explanations describe.
        let outside = self.outside_db.contains_key(&self.client_key(client));
        // The lesson's own `run` commands are the scene, not the learner's work: they count for
        // neither must_use nor reply checks nor explanations.
        if self.recording {
            self.note_used(args);
        }
        let tracked = if outside {
            self.last_writes = Some(false);
            Ok(Vec::new())
        } else {
            self.track_keys(args)
        };
        let keys = match tracked {
            Ok(keys) => keys,
            // A stopped node cannot even be inspected: the command fails like a client's would.
            Err(e) if self.topology.is_some() && e.is_connection_loss() => {
                self.clients.clear();
                return Ok(vec![Event::Command {
                    who,
                    client: format!("{client}@{}", self.current_node),
                    line,
                    outcome: Outcome::Done(Reply::Error(format!("connection failed: {e}"))),
                }]);
            }
            Err(e) => return Err(e),
        };
        // Only a write can change its keys. Looking at them for a read would itself touch them
        // (LRU clock, LFU counter, keyspace hits) and falsify OBJECT IDLETIME, OBJECT FREQ, INFO.
        let inspected: Vec<Vec<u8>> = if self.last_writes == Some(false) {
            Vec::new()
        } else {
            keys.clone()
        };
        let before = explain::snapshot(&mut self.clients, &self.server, &inspected)?;
        let outcome = match self.clients.run(&self.server, client, args, wait) {
            Err(ConnError::Unsafe(message)) => return Ok(vec![Event::Refused(message)]),
            // A stopped node of a multi-node lesson answers like a dead server does to a client:
            // the connection fails. That is part of the lesson, not the end of it.
            Err(e) if self.topology.is_some() && e.is_connection_loss() => {
                // Sentinel and failovers close connections (CLIENT KILL): reconnect once, as
                // redis-cli does; a node that is really down still answers "connection failed".
                self.clients.clear();
                match self.clients.run(&self.server, client, args, wait) {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        self.clients.clear();
                        Outcome::Done(Reply::Error(format!("connection failed: {e}")))
                    }
                }
            }
            other => other?,
        };
        // Multi-node lessons name the node too: `checkout-a@node-3`.
        let client_shown = if self.topology.is_some() {
            format!("{client}@{}", self.current_node)
        } else {
            client.to_string()
        };
        events.push(Event::Command {
            who,
            client: client_shown,
            line: line.clone(),
            outcome: outcome.clone(),
        });
        if let Outcome::Done(reply) = &outcome {
            events.extend(self.follow_database(client, args, reply));
            self.note_function_load(args, reply);
        }
        events.extend(self.released(Duration::from_millis(30)));
        if let (Who::Lesson, Outcome::Done(Reply::Error(e))) = (who, &outcome) {
            self.lesson_errors
                .push((self.step, format!("`{line}` answered {e}")));
        }
        if let Outcome::Done(reply) = &outcome {
            let name = crate::command::name(args).unwrap_or_default();
            if self.recording {
                self.replies.push((client.to_string(), name, reply.clone()));
            }
            let after = explain::snapshot(&mut self.clients, &self.server, &inspected)?;
            let doc = self.docs.get(&mut self.clients, &self.server, args)?;
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

    /// Replies of blocked commands that arrived, and messages that subscribed clients received.
    fn released(&mut self, wait: Duration) -> Vec<Event> {
        let mut events: Vec<Event> = self
            .clients
            .collect_released(wait)
            .into_iter()
            .map(|(client, line, result)| Event::Released {
                client,
                line,
                reply: result.unwrap_or_else(Reply::Error),
            })
            .collect();
        for event in &events {
            if let Event::Released {
                client,
                line,
                reply,
            } = event
            {
                let name = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                self.replies.push((client.clone(), name, reply.clone()));
            }
        }
        // Clients on the other nodes of a multi-node lesson (a subscriber on a Sentinel).
        for (node, (_, clients)) in self.nodes.iter_mut() {
            for (client, line, result) in clients.collect_released(Duration::ZERO) {
                events.push(Event::Released {
                    client: format!("{client}@{node}"),
                    line,
                    reply: result.unwrap_or_else(Reply::Error),
                });
            }
            for client in clients.receivers() {
                let key = format!("{client}@{node}");
                let messages = clients.received(&client);
                let shown = self.shown_received.entry(key.clone()).or_insert(0);
                for message in messages.into_iter().skip(*shown) {
                    *shown += 1;
                    events.push(Event::Received {
                        client: key.clone(),
                        message,
                    });
                }
            }
        }
        for client in self.clients.receivers() {
            let messages = self.clients.received(&client);
            // The same key whichever node is current, so a message is shown once.
            let key = if self.topology.is_some() {
                format!("{client}@{}", self.current_node)
            } else {
                client.clone()
            };
            let shown = self.shown_received.entry(key.clone()).or_insert(0);
            for message in messages.into_iter().skip(*shown) {
                *shown += 1;
                events.push(Event::Received {
                    client: key.clone(),
                    message,
                });
            }
        }
        events
    }

    /// Remembers a function library this session loaded, so the clean-up can remove it.
    fn note_function_load(&mut self, args: &[Vec<u8>], reply: &Reply) {
        let is_load = args.len() > 1
            && args[0].eq_ignore_ascii_case(b"FUNCTION")
            && args[1].eq_ignore_ascii_case(b"LOAD");
        if let (true, Reply::Bulk(name)) = (is_load, reply) {
            self.functions_loaded
                .insert(String::from_utf8_lossy(name).into_owned());
        }
    }

    fn note_used(&mut self, args: &[Vec<u8>]) {
        let name = crate::command::name(args).unwrap_or_default();
        if let Some(sub) = args.get(1) {
            self.used.insert(format!(
                "{name} {}",
                String::from_utf8_lossy(sub).to_ascii_uppercase()
            ));
        }
        self.used.insert(name);
    }

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
            let mut ran = self.with_node(node.as_deref(), |s| {
                s.execute(&client, &args, Who::Learner, wait_for(&args))
            })?;
            // In a cluster, follow MOVED to the node that owns the slot, as redis-cli -c does.
            if let Some((slot, address, name)) = self.moved_to(&ran) {
                ran.push(Event::Notice(format!(
                    "-> Redirected to slot [{slot}] located at {address} ({name})"
                )));
                self.learner_node = Some(name.clone());
                ran.extend(self.with_node(Some(&name), |s| {
                    s.execute(&client, &args, Who::Learner, wait_for(&args))
                })?);
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
        let verdict = self.evaluate(true)?;
        // Messages and releases that arrived while the checks ran belong before the verdict.
        events.extend(self.released(Duration::ZERO));
        if verdict.passed() {
            events.extend(self.pass_step()?);
        } else {
            events.push(Event::NotYet {
                failures: verdict.failures(),
            });
        }
        Ok(events)
    }

    /// Runs the step's checks against the server now. With `poll`, a check that has `poll_ms`
    /// is retried until it passes or its time is up.
    pub fn evaluate(&mut self, poll: bool) -> Result<Verdict, SessionError> {
        let step = self.step().clone();
        let mut verdict = Verdict::default();
        for check in &step.checks {
            verdict.checks.push(self.run_check(check, poll)?);
        }
        for required in &step.must_use {
            let name = required.value.to_ascii_uppercase();
            if !self.used.contains(&name) {
                verdict.rules.push(Failure {
                    label: format!("this step asks you to use {name}"),
                    expected: format!("a command using {name}"),
                    found: "not used yet".into(),
                });
            }
        }
        for forbidden in &step.must_not_use {
            let name = forbidden.value.to_ascii_uppercase();
            if self.used.contains(&name) {
                verdict.rules.push(Failure {
                    label: format!("this step must be done without {name} (type :retry to start the step again)"),
                    expected: format!("no {name}"),
                    found: format!("{name} was used"),
                });
            }
        }
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
        let expected = describe(&check.expect);
        if check.received.is_none() && check.probe.is_none() {
            // No probe: the step is about reading, so one of the learner's replies must match
            // (only replies to `reply_of` commands, when the check names one).
            let wanted = check.reply_of.as_ref().map(|c| c.to_ascii_uppercase());
            let candidates: Vec<&Reply> = self
                .replies
                .iter()
                .filter(|(client, name, _)| {
                    wanted.as_ref().is_none_or(|w| w == name)
                        && check.client.as_ref().is_none_or(|c| c == client)
                })
                .map(|(_, _, reply)| reply)
                .collect();
            if candidates
                .iter()
                .any(|r| evaluate(&check.expect, r).is_ok())
            {
                return Ok(Ok(()));
            }
            let found = match (candidates.last(), &wanted) {
                (Some(reply), _) => format!("found {}", crate::engine::check::short(reply)),
                (None, Some(name)) => format!("found no reply to {name} yet"),
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
            match evaluate(&check.expect, &reply) {
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
        if let Some(receiver) = &check.received {
            let messages =
                self.with_node(check.on.as_deref(), |s| Ok(s.clients.received(receiver)))?;
            return Ok(Reply::Array(messages.iter().map(message_payload).collect()));
        }
        let Some(probe) = &check.probe else {
            return Ok(Reply::Nil); // reply checks are handled by run_check
        };
        let args = args_of(&probe.value).map_err(SessionError::Fixture)?;
        // A probe only looks: whatever the lesson file says, one that could change the state (or
        // reach beyond the lesson's database) is never sent.
        let mut refused = safety::probe_refusal(&args, false);
        if refused.is_some() {
            // Not an introspection command: the probe's own node says whether it only reads.
            match self.with_node(check.on.as_deref(), |s| s.server_says_readonly(&args)) {
                Ok(readonly) => refused = safety::probe_refusal(&args, readonly),
                Err(e) if self.topology.is_some() && e.is_connection_loss() => {
                    self.forget_connections_to(check.on.as_deref());
                    return Ok(Reply::Error(format!("no answer: {e}")));
                }
                Err(e) => return Err(e),
            }
        }
        if refused.is_none() {
            refused = self.refusal(&args, Who::Lesson)?;
        }
        if let Some(problem) = refused {
            return Ok(Reply::Error(format!("refused: {problem}")));
        }
        // Probes run on the observer unless the check is about one client's own view.
        let client = check.client.clone().unwrap_or_else(|| OBSERVER.to_string());
        if client != OBSERVER {
            self.back_to_lesson_db(&client)?;
        }
        let result = self.with_node(check.on.as_deref(), |s| {
            Ok(s.clients
                .run(&s.server, &client, &args, Duration::from_secs(5)))
        })?;
        Ok(match result {
            Ok(Outcome::Done(reply)) => reply,
            Ok(Outcome::Waiting) => {
                Reply::Error("probe did not answer (a probe must not block)".into())
            }
            // A node that is down (a failover lesson) answers nothing: the check fails for now
            // and the next poll reconnects.
            Err(e) if self.topology.is_some() => {
                self.forget_connections_to(check.on.as_deref());
                Reply::Error(format!("no answer: {e}"))
            }
            Err(e) => return Err(e.into()),
        })
    }

    /// Drops the connections to a node that did not answer, so the next use reconnects.
    fn forget_connections_to(&mut self, node: Option<&str>) {
        match node {
            Some(name) if name != self.current_node => {
                self.nodes.remove(name);
            }
            _ => self.clients.clear(),
        }
    }

    /// The last command's explanation; when it changed nothing, also the last one that did, so
    /// the learner sees both what they just ran and what changed the state.
    fn explanations_to_show(&mut self) -> Vec<Explanation> {
        let all = std::mem::take(&mut self.explanations);
        let wrote = |e: &Explanation| e.wrote || e.changes.iter().any(|c| c.changed());
        let Some(last) = all.last().cloned() else {
            return Vec::new();
        };
        if wrote(&last) {
            return vec![last];
        }
        match all[..all.len() - 1].iter().rev().find(|e| wrote(e)) {
            Some(earlier) => vec![earlier.clone(), last],
            None => vec![last],
        }
    }

    fn pass_step(&mut self) -> Result<Vec<Event>, SessionError> {
        let index = self.step;
        let mut events = vec![Event::StepPassed {
            index,
            explanations: self.explanations_to_show(),
        }];
        events.extend(self.advance()?);
        Ok(events)
    }

    fn advance(&mut self) -> Result<Vec<Event>, SessionError> {
        if self.step + 1 >= self.lesson.steps.len() {
            self.finished = true;
            return Ok(vec![Event::LessonFinished]);
        }
        self.enter_step(self.step + 1)
    }

    /// Runs the current step's solution as the lesson (used by `skip`, `--auto` and proofs).
    pub fn run_solution(&mut self) -> Result<Vec<Event>, SessionError> {
        let step = self.step().clone();
        let mut events = Vec::new();
        for spec in &step.solution {
            events.extend(self.run_spec(
                &spec.value,
                step.learner_client(),
                step.on.as_deref(),
                Who::Lesson,
            )?);
        }
        Ok(events)
    }

    /// Runs the solution so the next step starts from a consistent state, then moves on.
    pub fn skip(&mut self) -> Result<Vec<Event>, SessionError> {
        if self.finished {
            return Ok(vec![Event::Notice("This lesson is complete.".into())]);
        }
        let mut events = self.run_solution()?;
        events.push(Event::StepSkipped { index: self.step });
        events.extend(self.advance()?);
        Ok(events)
    }

    /// `--auto`: runs the step's solution, checks the result, and moves on either way.
    pub fn auto_step(&mut self) -> Result<(Vec<Event>, Verdict), SessionError> {
        let mut events = self.run_solution()?;
        let verdict = self.evaluate(true)?;
        if verdict.passed() {
            events.extend(self.pass_step()?);
        } else {
            events.push(Event::NotYet {
                failures: verdict.failures(),
            });
            events.extend(self.advance()?);
        }
        Ok((events, verdict))
    }

    /// Proves the current step: every check must fail before the solution and pass after it.
    pub fn prove_step(&mut self) -> Result<StepProof, SessionError> {
        let index = self.step;
        let before = self.evaluate(false)?;
        self.run_solution()?;
        let after = self.evaluate(true)?;
        let proof = StepProof {
            index,
            passing_before: before
                .checks
                .iter()
                .zip(&self.step().checks)
                .enumerate()
                .filter(|(_, (result, check))| result.is_ok() && !check.guard)
                .map(|(i, _)| i)
                .collect(),
            failing_after: after.failures(),
        };
        if after.passed() {
            self.pass_step()?;
        } else {
            self.advance()?;
        }
        Ok(proof)
    }

    /// Error replies the lesson's own commands got since the last call, with their step index.
    pub fn take_lesson_errors(&mut self) -> Vec<(usize, String)> {
        std::mem::take(&mut self.lesson_errors)
    }

    /// Steps skipped so far because the server lacks what they need: (index, reason).
    pub fn unavailable_steps(&self) -> &[(usize, String)] {
        &self.unavailable
    }

    /// The next hint: (number, of how many, text).
    pub fn next_hint(&mut self) -> Option<(usize, usize, String)> {
        let hints = self.step().hints.clone();
        if hints.is_empty() {
            return None;
        }
        let shown = self.hints_shown.min(hints.len() - 1);
        self.hints_shown = (self.hints_shown + 1).min(hints.len());
        Some((shown + 1, hints.len(), hints[shown].value.clone()))
    }

    /// The solution as lines a learner could type.
    pub fn solution_lines(&self) -> Vec<String> {
        self.step()
            .solution
            .iter()
            .filter_map(|spec| {
                let args = args_of(spec.value.cmd.as_ref()?).ok()?;
                let line = join_args(&args);
                Some(match &spec.value.client {
                    Some(client) if client != self.learner_client() => {
                        format!("{line}   (as client {client})")
                    }
                    _ => line,
                })
            })
            .collect()
    }

    /// Swaps in a new version of the lesson (watch mode) and rebuilds the server at the step with
    /// the same id, or the nearest one if it is gone.
    pub fn replace_lesson(
        &mut self,
        entry: Entry,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        let current = self.step().id().to_string();
        let index = entry
            .lesson
            .steps
            .iter()
            .position(|s| s.id() == current)
            .unwrap_or(self.step.min(entry.lesson.steps.len().saturating_sub(1)));
        self.lesson = entry.lesson.clone();
        self.entry = entry;
        self.dirty = true;
        self.rebuild(index, progress)
    }

    /// Goes to step `index` (0-based), rebuilding the server state for it.
    pub fn goto(
        &mut self,
        index: usize,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        self.rebuild(index, progress)
    }

    /// Starts the current step again from its initial state.
    pub fn retry(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        let step = self.step;
        self.rebuild(step, progress)
    }

    pub fn back(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        let target = if self.finished {
            self.step
        } else {
            self.step.saturating_sub(1)
        };
        self.rebuild(target, progress)
    }

    /// After a lost connection: restart the sandbox (or reconnect) and rebuild the current step.
    pub fn recover(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        self.clients.clear();
        if self.topology.is_some() {
            self.dirty = true; // the rebuild starts the whole topology again
        } else if self.server.is_sandbox() {
            self.server.restart()?;
            self.dirty = false;
        }
        let step = self.step;
        self.rebuild(step, progress)
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

/// The node a multi-node lesson talks to by default: the master, or node-1.
fn default_node(
    topology: &crate::server::topology::Topology,
) -> Result<(String, Server), SessionError> {
    let node = topology
        .nodes
        .iter()
        .find(|n| n.name == "master")
        .or_else(|| topology.nodes.first())
        .ok_or_else(|| SessionError::Fixture("the topology has no nodes".into()))?;
    Ok((node.name.clone(), Server::node(&node.name, &node.url())?))
}
