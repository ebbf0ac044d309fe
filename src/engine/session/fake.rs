//! A backend without a server, for the step machine's unit tests: a keyspace of strings that
//! understands the few commands the tests type (SET, GET, INCR, MULTI/EXEC ...), replies
//! scripted per node and command line, and a record of everything the clients sent.

use crate::command::tokenize::join_args;
use crate::engine::explain::{self, OBSERVER};
use crate::server::backend::{Backend, BackendError, Commands, NodeFault, Pushed, Touched, Unfit};
use crate::server::connection::Outcome;
use crate::server::reply::Reply;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

/// A command a client sent: where, as whom, and the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub node: String,
    pub client: String,
    pub line: String,
}

#[derive(Default)]
pub struct Fake {
    owned: bool,
    /// A multi-node lesson: the home node and every node with its port.
    topology: Option<(String, Vec<(String, u16)>)>,
    keys: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Clients inside MULTI, with the commands they queued.
    transactions: HashMap<String, Vec<Vec<Vec<u8>>>>,
    /// Replies by (node, line), for any client: each is used once, the last one stays.
    scripted: HashMap<(String, String), VecDeque<Reply>>,
    /// What the next `collect` hands out.
    pending: Vec<Pushed>,
    /// Lines that get no answer (a frozen server, an endless script): they are left waiting.
    pub silent: Vec<String>,
    /// Every command a named client sent (redis-lab's own look-ups are not in it).
    pub sent: Vec<Sent>,
    /// The lines redis-lab's own connection sent (probes, snapshots, look-ups).
    pub looked: Vec<String>,
    pub resets: usize,
    pub dirty: bool,
    pub claimed: bool,
    pub cleaned: bool,
    pub faults: Vec<(String, NodeFault)>,
}

impl Fake {
    /// A private sandbox: ours to change.
    pub fn sandbox() -> Fake {
        Fake {
            owned: true,
            ..Fake::default()
        }
    }

    /// A server given with --url.
    pub fn external() -> Fake {
        Fake::default()
    }

    /// A cluster whose nodes listen on these ports; the first node is the home one.
    pub fn cluster(nodes: &[(&str, u16)]) -> Fake {
        let home = nodes
            .first()
            .map(|(n, _)| n.to_string())
            .unwrap_or_default();
        Fake {
            owned: true,
            topology: Some((
                home,
                nodes.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
            )),
            ..Fake::default()
        }
    }

    /// `line` on `node` answers `reply` (after the replies scripted before it).
    pub fn script(&mut self, node: &str, line: &str, reply: Reply) {
        self.scripted
            .entry((node.to_string(), line.to_string()))
            .or_default()
            .push_back(reply);
    }

    /// Something the next `collect` gives, as if a blocked client got its reply.
    pub fn push(&mut self, pushed: Pushed) {
        self.pending.push(pushed);
    }

    /// The lines the clients sent, in order.
    pub fn lines(&self) -> Vec<String> {
        self.sent.iter().map(|s| s.line.clone()).collect()
    }

    fn node_name(&self, at: Option<&str>) -> String {
        match (at, &self.topology) {
            (Some(name), _) => name.to_string(),
            (None, Some((home, _))) => home.clone(),
            (None, None) => String::new(),
        }
    }

    fn answer(&mut self, node: &str, client: &str, args: &[Vec<u8>]) -> Reply {
        let line = join_args(args);
        if let Some(replies) = self.scripted.get_mut(&(node.to_string(), line)) {
            let reply = if replies.len() > 1 {
                replies.pop_front()
            } else {
                replies.front().cloned()
            };
            if let Some(reply) = reply {
                return reply;
            }
        }
        let name = crate::command::name(args).unwrap_or_default();
        if client != OBSERVER {
            match name.as_str() {
                "MULTI" => {
                    self.transactions.insert(client.to_string(), Vec::new());
                    return Reply::Status("OK".into());
                }
                "EXEC" => {
                    let Some(queued) = self.transactions.remove(client) else {
                        return Reply::Error("ERR EXEC without MULTI".into());
                    };
                    return Reply::Array(queued.iter().map(|c| self.model(c)).collect());
                }
                _ => {}
            }
            if let Some(queued) = self.transactions.get_mut(client) {
                queued.push(args.to_vec());
                return Reply::Status("QUEUED".into());
            }
        }
        self.model(args)
    }

    /// What a Redis server would answer, for the commands the tests use.
    fn model(&mut self, args: &[Vec<u8>]) -> Reply {
        let name = crate::command::name(args).unwrap_or_default();
        let key = args.get(1).cloned().unwrap_or_default();
        let ok = || Reply::Status("OK".into());
        match name.as_str() {
            "SET" => {
                let value = args.get(2).cloned().unwrap_or_default();
                self.keys.insert(key, value);
                ok()
            }
            "GET" => self.keys.get(&key).cloned().map_or(Reply::Nil, Reply::Bulk),
            "INCR" | "INCRBY" => {
                let by: i64 = match args.get(2) {
                    Some(n) => String::from_utf8_lossy(n).parse().unwrap_or(0),
                    None => 1,
                };
                let now: i64 = self
                    .keys
                    .get(&key)
                    .map_or(0, |v| String::from_utf8_lossy(v).parse().unwrap_or(0));
                self.keys.insert(key, (now + by).to_string().into_bytes());
                Reply::Int(now + by)
            }
            "DEL" | "UNLINK" => Reply::Int(
                args[1..]
                    .iter()
                    .filter(|k| self.keys.remove(*k).is_some())
                    .count() as i64,
            ),
            "EXISTS" => Reply::Int(
                args[1..]
                    .iter()
                    .filter(|k| self.keys.contains_key(*k))
                    .count() as i64,
            ),
            "FLUSHALL" | "FLUSHDB" => {
                self.keys.clear();
                ok()
            }
            "PING" => Reply::Status("PONG".into()),
            "INFO" => Reply::Bulk(b"# Server\r\nredis_version:7.0.15\r\n".to_vec()),
            "MODULE" | "COMMAND" => Reply::Array(Vec::new()),
            "TYPE" => Reply::Status(
                if self.keys.contains_key(&key) {
                    "string"
                } else {
                    "none"
                }
                .into(),
            ),
            "PTTL" => Reply::Int(if self.keys.contains_key(&key) { -1 } else { -2 }),
            "STRLEN" => Reply::Int(self.keys.get(&key).map_or(0, |v| v.len() as i64)),
            "GETRANGE" => Reply::Bulk(self.keys.get(&key).cloned().unwrap_or_default()),
            "OBJECT" => Reply::Nil,
            "CLIENT" => ok(),
            _ => Reply::Error(format!("ERR unknown command '{name}'")),
        }
    }
}

impl Backend for Fake {
    fn display(&self) -> &str {
        "fake"
    }

    fn is_owned(&self) -> bool {
        self.owned
    }

    fn is_sandbox(&self) -> bool {
        self.owned && self.topology.is_none()
    }

    fn sandbox_stopped(&mut self) -> Option<String> {
        None
    }

    fn db(&self) -> i64 {
        0
    }

    fn home_node(&self) -> Option<&str> {
        self.topology.as_ref().map(|(home, _)| home.as_str())
    }

    fn node_at_port(&self, port: u16) -> Option<String> {
        let (_, nodes) = self.topology.as_ref()?;
        nodes
            .iter()
            .find(|(_, p)| *p == port)
            .map(|(n, _)| n.clone())
    }

    fn started_ports(&mut self) -> Vec<String> {
        Vec::new()
    }

    fn run(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        _wait: Duration,
    ) -> Result<Outcome, BackendError> {
        let node = self.node_name(at);
        if client == OBSERVER {
            self.looked.push(join_args(args));
        } else {
            self.sent.push(Sent {
                node: node.clone(),
                client: client.to_string(),
                line: join_args(args),
            });
        }
        if self.silent.contains(&join_args(args)) {
            return Ok(Outcome::Waiting);
        }
        Ok(Outcome::Done(self.answer(&node, client, args)))
    }

    fn pipeline(
        &mut self,
        at: Option<&str>,
        client: &str,
        commands: Commands,
    ) -> Result<Vec<Reply>, BackendError> {
        let mut replies = Vec::new();
        for args in commands {
            if let Outcome::Done(reply) = self.run(at, client, &args, Duration::ZERO)? {
                replies.push(reply);
            }
        }
        Ok(replies)
    }

    fn collect(&mut self, _at: Option<&str>, _wait: Duration) -> Vec<Pushed> {
        std::mem::take(&mut self.pending)
    }

    fn received(&mut self, _at: Option<&str>, _client: &str) -> Result<Vec<Reply>, BackendError> {
        Ok(Vec::new())
    }

    fn forget(&mut self, _at: Option<&str>) {}

    fn unblock_waiting(&mut self) -> Vec<crate::server::connection::Unblocked> {
        Vec::new()
    }

    fn keys_of(&mut self, _at: Option<&str>, args: &[Vec<u8>]) -> Result<Touched, BackendError> {
        let name = crate::command::name(args).unwrap_or_default();
        let keys = match name.as_str() {
            "DEL" | "UNLINK" | "EXISTS" => args[1..].to_vec(),
            "SET" | "GET" | "INCR" | "INCRBY" | "TYPE" | "STRLEN" => {
                args.get(1).cloned().into_iter().collect()
            }
            _ => Vec::new(),
        };
        Ok(Touched {
            writes: Some(!keys.is_empty() && explain::is_write(args)),
            keys,
        })
    }

    fn says_readonly(&mut self, _at: Option<&str>, args: &[Vec<u8>]) -> Result<bool, BackendError> {
        Ok(!explain::is_write(args))
    }

    fn claim_database(&mut self, _force: bool) -> Result<String, BackendError> {
        self.claimed = true;
        Ok("Running in database 0 of fake, which is empty.".into())
    }

    fn track(
        &mut self,
        at: Option<&str>,
        _client: &str,
        args: &[Vec<u8>],
    ) -> Result<Touched, BackendError> {
        self.dirty |= self.owned;
        self.keys_of(at, args)
    }

    fn track_all(
        &mut self,
        _at: Option<&str>,
        _commands: &[Vec<Vec<u8>>],
        _only_writes: bool,
    ) -> Result<(), BackendError> {
        self.dirty |= self.owned;
        Ok(())
    }

    fn back_to_lesson_db(
        &mut self,
        _at: Option<&str>,
        _client: &str,
    ) -> Result<Option<String>, BackendError> {
        Ok(None)
    }

    fn follow(
        &mut self,
        _at: Option<&str>,
        _client: &str,
        _args: &[Vec<u8>],
        _reply: &Reply,
    ) -> Option<String> {
        None
    }

    fn clean_up(&mut self) -> Result<Option<String>, BackendError> {
        if self.owned {
            return Ok(None);
        }
        self.cleaned = true;
        Ok(Some("Removed what the lesson created.".into()))
    }

    fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    fn reset(&mut self) -> Result<(), BackendError> {
        self.resets += 1;
        self.keys.clear();
        self.transactions.clear();
        self.dirty = false;
        Ok(())
    }

    fn recover(&mut self) -> Result<(), BackendError> {
        Ok(())
    }

    fn crash_and_restart(&mut self, _extra_args: &[String]) -> Result<(), BackendError> {
        self.dirty = true;
        Ok(())
    }

    fn fault(&mut self, node: &str, fault: NodeFault) -> Result<(), BackendError> {
        if self.topology.is_none() {
            return Err(Unfit::FaultWithoutTopology.into());
        }
        self.faults.push((node.to_string(), fault));
        Ok(())
    }
}
