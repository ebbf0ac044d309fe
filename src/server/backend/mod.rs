//! What a lesson needs from Redis, behind one trait, so that the lesson's step logic
//! (`engine::session`) runs the same on real servers and on a fake in its unit tests.
//!
//! A [`Backend`] owns the servers (a sandbox, a server given with `--url`, or a topology's
//! nodes), the named clients on each, where a command goes (`at`: a node name, or None for the
//! node a lesson talks to by default), the bookkeeping that keeps someone else's data safe
//! (keys this session created, databases clients wandered to), and putting the server back in
//! a known state for a step. [`LiveBackend`] is the real one.

mod book;
mod live;

pub use live::LiveBackend;

use crate::server::connection::{ConnError, Outcome};
use crate::server::reply::Reply;
use crate::server::safety::{self, External, Sender};
use crate::server::topology::TopologyError;
use std::time::Duration;
use thiserror::Error;

/// Commands as arguments: one `Vec<Vec<u8>>` per command.
pub type Commands = Vec<Vec<Vec<u8>>>;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Lesson(#[from] Unfit),
}

/// The lesson's database on a server redis-lab did not start: none is empty, or a client could
/// not be brought back to it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DatabaseError {
    #[error(
        "database {db} of {server} holds {keys} keys. redis-lab runs lessons only in an empty database, \
         so it never destroys data it did not create: pick an empty one (redis://host:port/<db>) or pass --force."
    )]
    NotEmpty { db: i64, server: String, keys: i64 },
    #[error(
        "no empty database on {server}: redis-lab runs lessons only in an empty database so it never destroys \
         data it did not create. Free one, pass --force, or run without --url to use a private sandbox."
    )]
    NoneEmpty { server: String },
    /// SELECT did not answer OK: `answered` says what came instead.
    #[error(
        "could not bring client {client} back to database {db}: {answered}, not OK \
         (its replies may be out of step with its commands); start the step again"
    )]
    NotBack {
        client: String,
        db: i64,
        answered: String,
    },
}

/// The lesson asks for something these servers are not.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Unfit {
    #[error("`on: {node}` needs a multi-node lesson (requires.topology)")]
    OnWithoutTopology { node: String },
    #[error("faults need a multi-node lesson (requires.topology)")]
    FaultWithoutTopology,
    #[error("the topology has no nodes")]
    NoNodes,
    #[error("no connection to {node}")]
    NoConnection { node: String },
}

impl BackendError {
    pub fn is_connection_loss(&self) -> bool {
        matches!(self, BackendError::Conn(e) if e.is_connection_loss())
    }
}

/// Something a client got without sending a command for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// The reply of a command that was blocked until another client acted.
    Released {
        /// The client's name; `client@node` for a client of another node than the one asked.
        client: String,
        line: String,
        reply: Reply,
        /// A client of the node asked about: its reply counts as one the step got.
        here: bool,
    },
    /// A message a subscribed (or MONITOR) client received, each given once.
    Received { client: String, message: Reply },
}

/// The keys a command names, as the server computes them, and whether it writes any of them
/// (None: the server cannot say, before Redis 7).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Touched {
    pub keys: Vec<Vec<u8>>,
    pub writes: Option<bool>,
}

/// A fault a lesson injects on a node of its topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeFault {
    /// Killed, as in a crash.
    Stop,
    /// Started again on the same port and data.
    Start,
    /// Frozen (SIGSTOP).
    Pause,
    /// Thawed (SIGCONT).
    Resume,
}

/// The servers a lesson runs on. `at` names a node of a multi-node lesson; None (or the
/// default node's own name) is the node the lesson talks to by default, the only one there is
/// on a single server.
pub trait Backend {
    // What the server is.

    /// How the server is shown to the user (never with a password).
    fn display(&self) -> &str;
    /// Started by redis-lab (a sandbox or a topology): ours to change and restart.
    fn is_owned(&self) -> bool;
    /// One private redis-server (not a server given with --url, not a topology).
    fn is_sandbox(&self) -> bool;
    /// After a lost connection: how the sandbox server ended, if that is why.
    fn sandbox_stopped(&mut self) -> Option<String>;
    /// The database the lesson runs in.
    fn db(&self) -> i64;
    /// The node a multi-node lesson talks to by default (`master`, `node-1`); None on a single
    /// server.
    fn home_node(&self) -> Option<&str>;
    /// The node of the topology listening on this port (where a MOVED points).
    fn node_at_port(&self, port: u16) -> Option<String>;
    /// The ports of the servers redis-lab started for this lesson (the sandbox or every node).
    fn started_ports(&mut self) -> Vec<String>;

    // Commands.

    /// Sends a command as `client` and waits at most `wait` for its reply.
    fn run(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        wait: Duration,
    ) -> Result<Outcome, BackendError>;
    /// Sends commands as `client` in one pipeline; every reply, in order.
    fn pipeline(
        &mut self,
        at: Option<&str>,
        client: &str,
        commands: Commands,
    ) -> Result<Vec<Reply>, BackendError>;
    /// Replies of blocked commands that arrived within `wait`, then messages received since the
    /// last call, on every node redis-lab has clients on.
    fn collect(&mut self, at: Option<&str>, wait: Duration) -> Vec<Pushed>;
    /// Every message a subscribed (or MONITOR) client has received so far.
    fn received(&mut self, at: Option<&str>, client: &str) -> Result<Vec<Reply>, BackendError>;
    /// Drops the clients of a node that did not answer, so that the next use reconnects.
    fn forget(&mut self, at: Option<&str>);
    /// Ends the wait of every client blocked in a command, on every node (Ctrl-C at a lesson's
    /// prompt); each one freed, with the command it was blocked in.
    fn unblock_waiting(&mut self) -> Vec<crate::server::connection::Unblocked>;
    /// The keys a command names (COMMAND GETKEYSANDFLAGS), asking without touching them.
    fn keys_of(&mut self, at: Option<&str>, args: &[Vec<u8>]) -> Result<Touched, BackendError>;
    /// Whether the server flags this command `readonly` (COMMAND INFO).
    fn says_readonly(&mut self, at: Option<&str>, args: &[Vec<u8>]) -> Result<bool, BackendError>;

    // Keeping data that is not the lesson's safe.

    /// On a server redis-lab did not start: runs in the URL's database if it is empty (or with
    /// `force`), else in an empty one, and remembers what was there before; says which.
    fn claim_database(&mut self, force: bool) -> Result<String, BackendError>;
    /// A command about to run as `client`: the keys it names in the lesson's database (none for
    /// a client that moved to another one), noting on --url which ones it may create.
    fn track(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
    ) -> Result<Touched, BackendError>;
    /// Commands about to run in bulk (fixture lines, a timed repeat), noted as [`Self::track`]
    /// does: with `only_writes`, only the keys of commands that may write.
    fn track_all(
        &mut self,
        at: Option<&str>,
        commands: &[Vec<Vec<u8>>],
        only_writes: bool,
    ) -> Result<(), BackendError>;
    /// Brings a client the learner moved to another database back to the lesson's before the
    /// lesson's own command; what to tell the learner, if anything.
    fn back_to_lesson_db(
        &mut self,
        at: Option<&str>,
        client: &str,
    ) -> Result<Option<String>, BackendError>;
    /// A reply `client` got: follows its SELECT (or RESET) and remembers a FUNCTION LOAD;
    /// what to tell the learner when the client leaves or comes back to the lesson's database.
    fn follow(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        reply: &Reply,
    ) -> Option<String>;
    /// On a server redis-lab did not start: removes what this lesson created there and says what
    /// went and what stays. None on a server redis-lab started.
    fn clean_up(&mut self) -> Result<Option<String>, BackendError>;

    // The state for a step.

    /// The server state matches no step any more (a new version of the lesson): the next
    /// [`Self::reset`] starts from fresh servers.
    fn mark_dirty(&mut self);
    /// Back to a clean state before fixtures and setup: fresh servers if this session changed
    /// them, on --url only the keys it created deleted. Clients are dropped.
    fn reset(&mut self) -> Result<(), BackendError>;
    /// After a lost connection: every client dropped, the sandbox restarted.
    fn recover(&mut self) -> Result<(), BackendError>;
    /// Kills the sandbox as a crash would and starts it again on its data, with these arguments.
    fn crash_and_restart(&mut self, extra_args: &[String]) -> Result<(), BackendError>;
    /// Stops, starts, freezes or thaws a node of the topology.
    fn fault(&mut self, node: &str, fault: NodeFault) -> Result<(), BackendError>;

    /// Why a command must not be sent, or None. Every command of a lesson session is asked about
    /// here: no CONFIG SET of files anywhere, no connection to servers redis-lab did not start,
    /// and on a server redis-lab did not start only what [`safety::external_refusal`] allows.
    /// The one composition of `server::safety` for lessons: backends give the facts, not the
    /// verdict, so this is not meant to be overridden.
    fn refusal(
        &mut self,
        at: Option<&str>,
        args: &[Vec<u8>],
        sender: Sender,
        allowed: External,
    ) -> Result<Option<String>, BackendError> {
        if let Some(problem) = safety::config_set_problem(args) {
            return Ok(Some(problem));
        }
        if let Some((host, port)) = safety::network_target(args) {
            let ports = self.started_ports();
            if !(safety::is_loopback(&host) && ports.contains(&port)) {
                return Ok(Some(format!(
                    "{} {host} {port} is refused in lessons: a lesson may only connect its servers to the \
                     ones redis-lab started for it ({}), never to another server on this machine or elsewhere",
                    crate::command::name(args).unwrap_or_default(),
                    if ports.is_empty() {
                        "none on this server".to_string()
                    } else {
                        ports.join(", ")
                    }
                )));
            }
        }
        if self.is_owned() {
            return Ok(None);
        }
        let has_keys = safety::reach(args) == safety::Reach::Unknown
            && !self.keys_of(at, args)?.keys.is_empty();
        Ok(safety::external_refusal(args, sender, allowed, has_keys))
    }
}

/// The keys a command reads or writes, and whether it writes any of them, as the server computes
/// them: COMMAND GETKEYSANDFLAGS (7.0+) knows that SORT without STORE only reads; older servers
/// answer GETKEYS, and then `writes` is None. `observe` sends redis-lab's own look-ups.
pub fn keys_of<E>(
    observe: &mut dyn FnMut(Commands) -> Result<Vec<Reply>, E>,
    args: &[Vec<u8>],
) -> Result<Touched, E> {
    let mut ask = |command: Vec<Vec<u8>>| -> Result<Reply, E> {
        Ok(observe(vec![command])?.pop().unwrap_or(Reply::Nil))
    };
    let mut request = vec![b"COMMAND".to_vec(), b"GETKEYSANDFLAGS".to_vec()];
    request.extend(args.iter().cloned());
    let reply = ask(request)?;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut writes = false;
    let add = |key: Vec<u8>, keys: &mut Vec<Vec<u8>>| {
        // A key named twice (ZINTERSTORE dest 2 dest other) is one key.
        if !keys.contains(&key) {
            keys.push(key);
        }
    };
    match reply {
        Reply::Array(items) => {
            for item in items {
                let Some(parts) = item.elements() else {
                    continue;
                };
                if let (Some(Reply::Bulk(key)), Some(flags)) =
                    (parts.first(), parts.get(1).and_then(|f| f.elements()))
                {
                    writes |= flags.iter().any(|f| {
                        matches!(
                            f.as_text().as_deref(),
                            Some("RW" | "OW" | "RM" | "insert" | "delete" | "update")
                        )
                    });
                    add(key.clone(), &mut keys);
                }
            }
            Ok(Touched {
                keys,
                writes: Some(writes),
            })
        }
        Reply::Error(e) if e.contains("nknown subcommand") => {
            // Redis 6.2: keys only.
            let mut request = vec![b"COMMAND".to_vec(), b"GETKEYS".to_vec()];
            request.extend(args.iter().cloned());
            if let Reply::Array(items) = ask(request)? {
                for item in items {
                    if let Reply::Bulk(key) = item {
                        add(key, &mut keys);
                    }
                }
            }
            Ok(Touched { keys, writes: None })
        }
        // No keys (PING, INFO) or not a valid command: nothing to track.
        _ => Ok(Touched {
            keys,
            writes: Some(false),
        }),
    }
}
