//! The named clients of a session: each one a connection on its own thread, so that one can
//! block (BLPOP, XREAD BLOCK) or receive (SUBSCRIBE, MONITOR) while another keeps typing. Every
//! wait is bounded and Ctrl-C interruptible.

use super::{Busy, CONNECT_TIMEOUT, ConnError, Server};
use crate::server::reply::Reply;
use crate::server::resp::{Limits, RespError};
use crate::server::wire::Wire;
use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Commands sent by one client thread.
enum Request {
    One(Vec<Vec<u8>>),
    Many(Vec<Vec<Vec<u8>>>),
}

enum Response {
    One(Result<Reply, String>),
    Many(Result<Vec<Reply>, String>),
}

/// One named client: a connection on its own thread.
struct Client {
    requests: Sender<Request>,
    responses: Receiver<Response>,
    /// The command this client is still waiting on (a blocking command).
    pending: Option<String>,
    /// The server's id for this connection (CLIENT ID), to end it when the session resets; set
    /// by the client's thread once the server has answered.
    id: Arc<OnceLock<i64>>,
    /// Set once the client has subscribed or started MONITOR: what it has received since.
    received: Option<Arc<Mutex<Vec<Reply>>>>,
    /// Shuts the connection down, so that a thread still blocked on it (a blocking command, a
    /// subscription, a command interrupted by Ctrl-C) ends when the client is dropped.
    interrupter: Option<crate::server::wire::Interrupter>,
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(interrupter) = &self.interrupter {
            let _ = interrupter.interrupt();
        }
    }
}

/// Sends a subscribe/MONITOR command, returns its confirmations, then keeps every message that
/// arrives in `inbox` until the connection closes.
fn stream(
    connection: &mut Wire,
    args: &[Vec<u8>],
    confirmations: usize,
    inbox: &Mutex<Vec<Reply>>,
    reply: impl FnOnce(Result<Reply, String>),
) {
    if let Err(e) = connection.send(args) {
        reply(Err(wire_failure_text(&RespError::Io(e))));
        return;
    }
    let mut confirmed = Vec::new();
    for _ in 0..confirmations {
        // In RESP3 the confirmations are push messages themselves.
        match connection.recv(&Limits::DEFAULT) {
            Ok(value) => confirmed.push(value),
            Err(e) => {
                reply(Err(wire_failure_text(&e)));
                return;
            }
        }
    }
    let first = if confirmed.len() == 1 {
        confirmed.remove(0)
    } else {
        Reply::Array(confirmed)
    };
    let failed = first.is_error();
    reply(Ok(first));
    if failed {
        return;
    }
    while let Ok(value) = connection.recv(&Limits::DEFAULT) {
        if let Ok(mut inbox) = inbox.lock() {
            inbox.push(value);
        }
    }
}

/// A client whose wait Ctrl-C ended (`Clients::unblock_waiting`).
#[derive(Debug, Clone, PartialEq)]
pub struct Unblocked {
    pub client: String,
    /// The command it was blocked in.
    pub command: String,
    /// Its connection was dropped (it could not be unblocked): the next command reconnects.
    pub reconnects: bool,
}

/// What became of a command sent by a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(Reply),
    /// Still waiting for its reply: the command blocks until another client acts.
    Waiting,
}

/// A command found its connection closed by the server (a restart, CLIENT KILL, a timeout).
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnected {
    pub reason: String,
    /// The command was sent again on a new connection (otherwise its reply says what happened).
    pub retried: bool,
}

/// After this long without an answer, the slow-answer notice (if one is set) is given once.
pub const NOTICE_AFTER: Duration = Duration::from_secs(5);
/// How long a pipeline (fixtures, the engine's own look-ups) may wait for its replies.
pub const PIPELINE_WAIT: Duration = Duration::from_secs(60);

/// Called once when a command has had no answer for [`NOTICE_AFTER`]: the guided REPL says what
/// may be happening. The engine never prints, so the driver that owns the terminal sets this.
static SLOW_NOTICE: Mutex<Option<SlowNotice>> = Mutex::new(None);

/// What a driver does with the slow-answer notice (print it above a prompt or a progress bar).
pub type SlowNotice = Arc<dyn Fn(&str) + Send + Sync>;

/// What the slow-answer notice says: why the server may be silent, and how to get out.
pub fn slow_answer_text(target: &str, frozen: Option<&str>) -> String {
    let secs = NOTICE_AFTER.as_secs();
    match frozen {
        Some(why) => format!("no answer from {target} for {secs} s: {why}; Ctrl-C stops waiting"),
        None => format!(
            "no answer from {target} for {secs} s: the server may be paused or busy in a script; \
             Ctrl-C stops waiting, `SCRIPT KILL` from another client stops a script"
        ),
    }
}

pub fn set_slow_notice(notice: Option<SlowNotice>) {
    if let Ok(mut slot) = SLOW_NOTICE.lock() {
        *slot = notice;
    }
}

/// How a wait for a reply ended without one.
enum Unanswered {
    Timeout,
    Interrupted,
    Disconnected,
}

/// Waits at most `wait` for a client thread's response, in short slices so that Ctrl-C (when
/// the caller made it interrupt) ends the wait, and says once when the server is slow.
fn wait_for_response(
    responses: &Receiver<Response>,
    wait: Duration,
    target: &str,
    frozen: Option<&str>,
) -> Result<Response, Unanswered> {
    let started = std::time::Instant::now();
    let mut noticed = false;
    loop {
        let left = wait.saturating_sub(started.elapsed());
        match responses.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(response) => return Ok(response),
            Err(RecvTimeoutError::Disconnected) => return Err(Unanswered::Disconnected),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if crate::signal::interrupted() {
            return Err(Unanswered::Interrupted);
        }
        if started.elapsed() >= wait {
            return Err(Unanswered::Timeout);
        }
        if !noticed && started.elapsed() >= NOTICE_AFTER {
            noticed = true;
            if let Some(notice) = SLOW_NOTICE.lock().ok().and_then(|n| n.clone()) {
                notice(&slow_answer_text(target, frozen));
            }
        }
    }
}

/// How long ending lingering connections may hold up the caller.
const KILL_WAIT: Duration = Duration::from_millis(500);

/// The named clients of a session, created on first use.
pub struct Clients {
    db: i64,
    clients: BTreeMap<String, Client>,
    inboxes: BTreeMap<String, Arc<Mutex<Vec<Reply>>>>,
    /// The address of redis-lab's own observer connection, whose commands MONITOR hides.
    hidden_addr: Arc<Mutex<Option<String>>>,
    /// Like redis-cli: a command that meets a connection the server has closed (a restart, a
    /// timeout) is sent again once on a fresh connection. Off for lessons, which say so instead.
    retry_after_reconnect: bool,
    /// Why the last command found its connection closed, until the caller takes it.
    reconnected: Option<Reconnected>,
    /// Why this server cannot answer now (a lesson froze it), for the slow-answer notice.
    frozen: Option<String>,
}

/// The client whose commands are redis-lab's own (snapshots, probes): kept out of MONITOR output.
pub const HIDDEN_CLIENT: &str = "redis-lab";

/// How long a blocking command (BLPOP, XREAD BLOCK) may take before we show it as waiting.
pub const BLOCK_GRACE: Duration = Duration::from_millis(300);
/// How long any other command may take (a slow EVAL, a big fixture) before it counts as stuck.
pub const SLOW_COMMAND: Duration = Duration::from_secs(60);

impl Clients {
    pub fn new(db: i64) -> Clients {
        Clients {
            db,
            clients: BTreeMap::new(),
            inboxes: BTreeMap::new(),
            hidden_addr: Arc::new(Mutex::new(None)),
            retry_after_reconnect: false,
            reconnected: None,
            frozen: None,
        }
    }

    /// Says why the server is silent (the lesson froze it), so that a wait on it names the cause.
    pub fn set_frozen(&mut self, why: Option<String>) {
        self.frozen = why;
    }

    /// Whether a command that finds its connection closed is sent again on a new one (the REPL
    /// turns this off inside MULTI, where a new connection would run it outside the transaction).
    pub fn set_retry_after_reconnect(&mut self, on: bool) {
        self.retry_after_reconnect = on;
    }

    /// Whether (and why) the last command found its connection closed by the server.
    pub fn take_reconnected(&mut self) -> Option<Reconnected> {
        self.reconnected.take()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    fn client(&mut self, server: &Server, name: &str) -> Result<&mut Client, ConnError> {
        if !self.clients.contains_key(name) {
            // Our own reader: a reply is bounded (`resp::Limits`), whatever the server sends.
            let mut connection = server.wire_db(self.db)?;
            // The connection waits as long as its commands need (BLPOP 0); its first look-ups
            // run on its thread, so that a frozen or busy server holds them up like any command:
            // with the slow-answer notice and Ctrl-C, not a silent wait here.
            let interrupter = connection.interrupter().ok();
            let id = Arc::new(OnceLock::new());
            let thread_id = id.clone();
            let own_addr = (name == HIDDEN_CLIENT).then(|| self.hidden_addr.clone());
            let (req_tx, req_rx) = mpsc::channel::<Request>();
            let (resp_tx, resp_rx) = mpsc::channel::<Response>();
            let inbox = Arc::new(Mutex::new(Vec::new()));
            let thread_inbox = inbox.clone();
            std::thread::Builder::new()
                .name(format!("client-{name}"))
                .spawn(move || {
                    if let Ok(Reply::Int(client_id)) = run_one(&mut connection, &["CLIENT", "ID"]) {
                        let _ = thread_id.set(client_id);
                    }
                    if let Some(own_addr) = own_addr {
                        // MONITOR shows each command with the sender's address: ours is hidden.
                        let info = run_one(&mut connection, &["CLIENT", "INFO"])
                            .ok()
                            .and_then(|r| r.as_text())
                            .unwrap_or_default();
                        if let Some(addr) = info
                            .split_whitespace()
                            .find_map(|f| f.strip_prefix("addr="))
                            && let Ok(mut slot) = own_addr.lock()
                        {
                            *slot = Some(addr.to_string());
                        }
                    }
                    for request in req_rx {
                        if let Request::One(args) = &request
                            && let Some(confirmations) =
                                crate::command::confirmations_before_streaming(args)
                        {
                            let tx = resp_tx.clone();
                            stream(
                                &mut connection,
                                args,
                                confirmations,
                                &thread_inbox,
                                move |r| {
                                    let _ = tx.send(Response::One(r));
                                },
                            );
                            break;
                        }
                        let response = match request {
                            Request::One(args) => Response::One(run_one(&mut connection, &args)),
                            Request::Many(commands) => {
                                Response::Many(run_pipeline(&mut connection, &commands))
                            }
                        };
                        if resp_tx.send(response).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| ConnError::Unreachable {
                    target: server.display().to_string(),
                    reason: format!("cannot start a client thread: {e}"),
                })?;
            self.clients.insert(
                name.to_string(),
                Client {
                    requests: req_tx,
                    responses: resp_rx,
                    pending: None,
                    id,
                    received: None,
                    interrupter,
                },
            );
            self.inboxes.insert(name.to_string(), inbox);
        }
        self.clients
            .get_mut(name)
            .ok_or_else(|| ConnError::NoSuchClient {
                name: name.to_string(),
            })
    }

    /// The database new connections select (after a SELECT in the REPL).
    pub fn set_db(&mut self, db: i64) {
        self.db = db;
    }

    /// The command the client is blocked in, if any.
    pub fn pending(&self, name: &str) -> Option<&str> {
        self.clients.get(name).and_then(|c| c.pending.as_deref())
    }

    /// Sends a command as `name` and waits at most `wait` for its reply.
    pub fn run(
        &mut self,
        server: &Server,
        name: &str,
        args: &[Vec<u8>],
        wait: Duration,
    ) -> Result<Outcome, ConnError> {
        let display = server.display().to_string();
        let db = self.db;
        let frozen = self.frozen.clone();
        self.client(server, name)?; // created on first use
        let streaming_inbox = crate::command::confirmations_before_streaming(args)
            .and_then(|_| self.inboxes.get(name).cloned());
        let client = self.client(server, name)?;
        if client.received.is_some() {
            return Err(ConnError::Busy {
                client: name.to_string(),
                reason: Busy::Receiving,
            });
        }
        if streaming_inbox.is_some() {
            client.received = streaming_inbox;
        }
        if let Some(pending) = &client.pending {
            return Err(ConnError::Busy {
                client: name.to_string(),
                reason: Busy::Waiting {
                    command: pending.clone(),
                },
            });
        }
        client
            .requests
            .send(Request::One(args.to_vec()))
            .map_err(|_| lost(&display, "client thread ended"))?;
        let quitting = args
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"QUIT"));
        let answer = match wait_for_response(&client.responses, wait, &display, frozen.as_deref()) {
            Ok(response) => Ok(response),
            Err(Unanswered::Timeout) => Err(RecvTimeoutError::Timeout),
            Err(Unanswered::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(Unanswered::Interrupted) => {
                // Its thread still waits for the reply: this client starts afresh next time.
                self.clients.remove(name);
                self.inboxes.remove(name);
                return Err(ConnError::Interrupted {
                    command: crate::command::tokenize::join_args(args),
                });
            }
        };
        match answer {
            // QUIT closes the connection on purpose: the client's next command gets a new one.
            Ok(Response::One(result)) if quitting => {
                self.clients.remove(name);
                self.inboxes.remove(name);
                Ok(Outcome::Done(
                    result.unwrap_or_else(|_| Reply::Status("OK".into())),
                ))
            }
            Ok(Response::One(Ok(reply))) => Ok(Outcome::Done(reply)),
            // The server closed this one connection (CLIENT KILL, a timeout): like redis-cli, say
            // so and reconnect on the next command; a server that is really gone fails then.
            Ok(Response::One(Err(e))) if name != HIDDEN_CLIENT && server.wire_db(db).is_ok() => {
                self.clients.remove(name);
                self.inboxes.remove(name);
                let retried = self.retry_after_reconnect
                    && self.reconnected.is_none()
                    && crate::command::may_be_resent(args);
                let reason = e.clone();
                self.reconnected = Some(Reconnected {
                    reason: reason.clone(),
                    retried,
                });
                if retried {
                    return self.run(server, name, args, wait);
                }
                Ok(Outcome::Done(Reply::Error(format!(
                    "client {name}'s connection ended: {reason}; it reconnects on its next command"
                ))))
            }
            Ok(Response::One(result)) => result.map(Outcome::Done).map_err(|e| lost(&display, &e)),
            Ok(Response::Many(_)) => Err(lost(&display, "replies out of order")),
            Err(RecvTimeoutError::Timeout) => {
                client.pending = Some(crate::command::tokenize::join_args(args));
                Ok(Outcome::Waiting)
            }
            Err(RecvTimeoutError::Disconnected) => Err(lost(&display, "client thread ended")),
        }
    }

    /// Runs many commands as `name` in one pipeline and returns every reply in order.
    pub fn pipeline(
        &mut self,
        server: &Server,
        name: &str,
        commands: Vec<Vec<Vec<u8>>>,
    ) -> Result<Vec<Reply>, ConnError> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        let display = server.display().to_string();
        let frozen = self.frozen.clone();
        let client = self.client(server, name)?;
        let shown = commands
            .first()
            .map(|c| crate::command::tokenize::join_args(c))
            .unwrap_or_default();
        client
            .requests
            .send(Request::Many(commands))
            .map_err(|_| lost(&display, "client thread ended"))?;
        match wait_for_response(
            &client.responses,
            PIPELINE_WAIT,
            &display,
            frozen.as_deref(),
        ) {
            Ok(Response::Many(result)) => result.map_err(|e| lost(&display, &e)),
            Ok(Response::One(_)) => Err(lost(&display, "replies out of order")),
            Err(Unanswered::Disconnected) => Err(lost(&display, "client thread ended")),
            Err(unanswered) => {
                // The thread still waits on the old connection: the next use opens a new one.
                self.clients.remove(name);
                self.inboxes.remove(name);
                Err(match unanswered {
                    Unanswered::Interrupted => ConnError::Interrupted { command: shown },
                    _ => ConnError::NoAnswer {
                        target: display,
                        secs: PIPELINE_WAIT.as_secs(),
                    },
                })
            }
        }
    }

    /// Collects replies of blocked commands that have arrived within `wait`.
    pub fn collect_released(
        &mut self,
        wait: Duration,
    ) -> Vec<(String, String, Result<Reply, String>)> {
        let mut released = Vec::new();
        for (name, client) in self.clients.iter_mut() {
            let Some(command) = client.pending.clone() else {
                continue;
            };
            match client.responses.recv_timeout(wait) {
                Ok(Response::One(result)) => {
                    client.pending = None;
                    released.push((name.clone(), command, result));
                }
                Ok(Response::Many(_)) | Err(RecvTimeoutError::Disconnected) => {
                    client.pending = None;
                    released.push((name.clone(), command, Err("client thread ended".into())));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        released
    }

    /// What a subscribed (or MONITOR) client has received so far.
    pub fn received(&self, name: &str) -> Vec<Reply> {
        self.inboxes
            .get(name)
            .filter(|_| self.clients.get(name).is_some_and(|c| c.received.is_some()))
            .and_then(|inbox| inbox.lock().ok().map(|m| m.clone()))
            .unwrap_or_default()
            .into_iter()
            .filter(|message| !self.is_own_monitor_line(message))
            .collect()
    }

    /// What a subscribed (or MONITOR) client has received since the last call, taken out of its
    /// inbox: a shell that prints messages as they come neither copies nor keeps them.
    pub fn take_received(&self, name: &str) -> Vec<Reply> {
        self.inboxes
            .get(name)
            .filter(|_| self.clients.get(name).is_some_and(|c| c.received.is_some()))
            .and_then(|inbox| inbox.lock().ok().map(|mut m| std::mem::take(&mut *m)))
            .unwrap_or_default()
            .into_iter()
            .filter(|message| !self.is_own_monitor_line(message))
            .collect()
    }

    fn is_own_monitor_line(&self, message: &Reply) -> bool {
        let addr = self.hidden_addr.lock().ok().and_then(|a| a.clone());
        match (addr, message) {
            (Some(addr), Reply::Status(line)) => line.contains(&format!(" {addr}]")),
            _ => false,
        }
    }

    /// Names of the clients that are subscribed or in MONITOR.
    pub fn receivers(&self) -> Vec<String> {
        self.clients
            .iter()
            .filter(|(_, c)| c.received.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Drops every client. Blocked and subscribed connections would linger in their threads, so
    /// they are ended on the server first (CLIENT KILL by id).
    pub fn clear_on(&mut self, server: &Server) {
        let lingering: Vec<i64> = self
            .clients
            .values()
            .filter(|c| c.received.is_some() || c.pending.is_some())
            .filter_map(|c| c.id.get().copied())
            .collect();
        if !lingering.is_empty() {
            let opener = server.opener(self.db);
            let (done, finished) = mpsc::channel();
            std::thread::spawn(move || {
                if let Some(mut connection) = opener.open(CONNECT_TIMEOUT) {
                    for id in lingering {
                        let id = id.to_string();
                        let _ = ask_on(&mut connection, &["CLIENT", "KILL", "ID", &id]);
                    }
                }
                let _ = done.send(());
            });
            // A server busy with a slow command (DEBUG SLEEP, a long script) runs the kill only
            // when it is done: Ctrl-C need not wait for that, the kill still happens then.
            let _ = finished.recv_timeout(KILL_WAIT);
        }
        self.clear();
    }

    /// Ends the wait of every client blocked in a command (Ctrl-C at a lesson's prompt): CLIENT
    /// UNBLOCK from another connection, so the client keeps its connection (name, database,
    /// protocol) and its blocked command answers an UNBLOCKED error. One that does not come
    /// free (its id unknown, a server that does not answer) is dropped instead, and reconnects
    /// on its next command.
    pub fn unblock_waiting(&mut self, server: &Server) -> Vec<Unblocked> {
        let waiting: Vec<(String, String, Option<i64>)> = self
            .clients
            .iter()
            .filter_map(|(name, c)| {
                c.pending
                    .clone()
                    .map(|command| (name.clone(), command, c.id.get().copied()))
            })
            .collect();
        if waiting.is_empty() {
            return Vec::new();
        }
        let ids: Vec<i64> = waiting.iter().filter_map(|(_, _, id)| *id).collect();
        let opener = server.opener(self.db);
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            if let Some(mut connection) = opener.open(CONNECT_TIMEOUT) {
                for id in ids {
                    let id = id.to_string();
                    let _ = ask_on(&mut connection, &["CLIENT", "UNBLOCK", &id, "ERROR"]);
                }
            }
            let _ = done.send(());
        });
        let _ = finished.recv_timeout(KILL_WAIT);
        let mut unblocked = Vec::new();
        for (name, command, _) in waiting {
            let freed = self.clients.get_mut(&name).is_some_and(|client| {
                let answered = matches!(
                    client.responses.recv_timeout(KILL_WAIT),
                    Ok(Response::One(_))
                );
                if answered {
                    client.pending = None;
                }
                answered
            });
            if !freed {
                self.clients.remove(&name);
                self.inboxes.remove(&name);
            }
            unblocked.push(Unblocked {
                client: name,
                command,
                reconnects: !freed,
            });
        }
        unblocked
    }

    /// Drops every client (their threads end when their connections close).
    pub fn clear(&mut self) {
        self.clients.clear();
        self.inboxes.clear();
    }
}

fn lost(target: &str, reason: &str) -> ConnError {
    ConnError::Dropped {
        target: target.to_string(),
        reason: reason.to_string(),
    }
}

/// What a failed read or write of a reply says: the reader's own words (a string too big, bytes
/// that are not RESP), or that the server closed the connection mid-way.
pub fn wire_failure_text(e: &RespError) -> String {
    if e.is_closed() {
        "the server closed the connection before its reply was complete".into()
    } else {
        e.to_string()
    }
}

/// One command on `connection`, its reply read within the reader's limits.
pub fn ask_on<A: AsRef<[u8]>>(connection: &mut Wire, args: &[A]) -> Result<Reply, String> {
    run_one(connection, args)
}

/// The reply to one command. RESP3 push messages that arrive before it (client tracking) are
/// not its reply: they are dropped, as redis-rs dropped them.
fn run_one<A: AsRef<[u8]>>(connection: &mut Wire, args: &[A]) -> Result<Reply, String> {
    connection
        .send(args)
        .map_err(|e| wire_failure_text(&RespError::Io(e)))?;
    recv_reply(connection)
}

fn recv_reply(connection: &mut Wire) -> Result<Reply, String> {
    loop {
        match connection.recv(&Limits::DEFAULT) {
            Ok(Reply::Push { .. }) => continue,
            Ok(reply) => return Ok(reply),
            Err(e) => return Err(wire_failure_text(&e)),
        }
    }
}

fn run_pipeline(connection: &mut Wire, commands: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, String> {
    connection
        .send_many(commands)
        .map_err(|e| wire_failure_text(&RespError::Io(e)))?;
    let mut replies = Vec::with_capacity(commands.len());
    for _ in commands {
        replies.push(recv_reply(connection)?);
    }
    Ok(replies)
}
