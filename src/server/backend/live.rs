//! The backend on real servers: a sandbox redis-lab starts, a server given with `--url`, or the
//! nodes of a topology, each with its named clients.

use super::book::Book;
use super::{Backend, BackendError, Commands, NodeFault, Pushed, Touched, Unfit};
use crate::server::connection::{Clients, ConnError, HIDDEN_CLIENT, Outcome, Server, ServerChoice};
use crate::server::reply::Reply;
use crate::server::sandbox::SandboxOptions;
use crate::server::topology::{Kind, Topology};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A server and the named clients connected to it.
pub(super) struct Node {
    pub(super) server: Server,
    pub(super) clients: Clients,
}

impl Node {
    /// One command of redis-lab's own, on its observer connection.
    pub(super) fn ask(&mut self, args: &[&[u8]]) -> Result<Reply, ConnError> {
        let command = args.iter().map(|a| a.to_vec()).collect();
        let replies = self
            .clients
            .pipeline(&self.server, HIDDEN_CLIENT, vec![command])?;
        Ok(replies.into_iter().next().unwrap_or(Reply::Nil))
    }

    pub(super) fn observe(&mut self, commands: Commands) -> Result<Vec<Reply>, ConnError> {
        self.clients.pipeline(&self.server, HIDDEN_CLIENT, commands)
    }
}

pub struct LiveBackend {
    /// The server commands go to unless a lesson names a node: the sandbox, the --url server,
    /// or the topology's master (or node-1).
    pub(super) home: Node,
    /// The name of `home` in a topology (`master`, `node-1`); empty on a single server.
    pub(super) home_name: String,
    /// Connections to the other nodes of a topology, opened when a command first goes there.
    others: BTreeMap<String, Node>,
    topology: Option<Topology>,
    /// How to start servers again (topology restarts).
    sandbox_options: SandboxOptions,
    /// What this session did to a server redis-lab did not start, and where its clients are.
    pub(super) book: Book,
    /// Whether the server says a command is read-only (COMMAND INFO), by `name` or `name|sub`.
    readonly: HashMap<String, bool>,
    /// The servers hold state from this session (so a reset restarts them first).
    pub(super) dirty: bool,
    /// How many messages of each receiving client (`client` or `client@node`) have been given.
    shown_received: HashMap<String, usize>,
}

impl LiveBackend {
    /// Opens the server the user chose (starting a sandbox unless a URL was given), or starts
    /// the topology `kind` of sandboxes.
    pub fn open(choice: &ServerChoice, kind: Kind) -> Result<LiveBackend, BackendError> {
        let (server, topology, home_name) = if kind == Kind::Single {
            (Server::open(choice)?, None, String::new())
        } else {
            let topology = Topology::start(kind, &choice.sandbox, &mut |_| {})?;
            let (name, server) = default_node(&topology)?;
            (server, Some(topology), name)
        };
        let db = server.url_db();
        Ok(LiveBackend {
            home: Node {
                server,
                clients: Clients::new(db),
            },
            home_name,
            others: BTreeMap::new(),
            topology,
            sandbox_options: choice.sandbox.clone(),
            book: Book::new(db),
            readonly: HashMap::new(),
            dirty: false,
            shown_received: HashMap::new(),
        })
    }

    /// The node `at` names, unless it is the home node.
    fn away<'a>(&self, at: Option<&'a str>) -> Option<&'a str> {
        at.filter(|name| *name != self.home_name)
    }

    /// The name `at` stands for (empty for the home node of a single server).
    pub(super) fn node_name(&self, at: Option<&str>) -> String {
        self.away(at).unwrap_or(&self.home_name).to_string()
    }

    /// The node `at` names, connected on first use.
    pub(super) fn node(&mut self, at: Option<&str>) -> Result<&mut Node, BackendError> {
        let Some(name) = self.away(at) else {
            return Ok(&mut self.home);
        };
        if !self.others.contains_key(name) {
            let topology = self.topology.as_ref().ok_or_else(|| {
                BackendError::from(Unfit::OnWithoutTopology {
                    node: name.to_string(),
                })
            })?;
            let url = topology.node(name)?.url();
            let mut node = Node {
                server: Server::node(name, &url)?,
                clients: Clients::new(0),
            };
            node.clients.set_frozen(frozen(topology, name));
            self.others.insert(name.to_string(), node);
        }
        self.others.get_mut(name).ok_or_else(|| {
            Unfit::NoConnection {
                node: name.to_string(),
            }
            .into()
        })
    }

    /// Tells each node's clients whether the lesson froze that node, so that a command left
    /// without an answer there is explained as the lesson's doing, not a mystery.
    fn note_frozen_nodes(&mut self) {
        let Some(topology) = &self.topology else {
            return;
        };
        self.home
            .clients
            .set_frozen(frozen(topology, &self.home_name));
        for (name, node) in self.others.iter_mut() {
            node.clients.set_frozen(frozen(topology, name));
        }
    }

    /// Clean servers again: a fresh topology or a restarted sandbox if this session changed
    /// them, and on a server we do not own only the keys this session created deleted.
    fn restore(&mut self) -> Result<(), BackendError> {
        if let Some(topology) = &self.topology {
            if self.dirty {
                // A fresh topology: faults, failovers and writes of the previous run are gone.
                let kind = topology.kind;
                self.others.clear();
                self.topology = None;
                let topology = Topology::start(kind, &self.sandbox_options, &mut |_| {})?;
                let (name, server) = default_node(&topology)?;
                self.home = Node {
                    server,
                    clients: Clients::new(0),
                };
                self.home_name = name;
                self.topology = Some(topology);
                self.dirty = false;
            }
        } else if self.home.server.is_sandbox() {
            if self.dirty {
                self.home.server.restart()?;
                self.dirty = false;
            }
        } else {
            // Not our server: delete only what this lesson created, never FLUSHDB.
            self.remove_created_keys()?;
        }
        Ok(())
    }
}

impl Backend for LiveBackend {
    fn display(&self) -> &str {
        self.home.server.display()
    }

    fn is_owned(&self) -> bool {
        self.home.server.is_owned()
    }

    fn is_sandbox(&self) -> bool {
        self.home.server.is_sandbox()
    }

    fn sandbox_stopped(&mut self) -> Option<String> {
        self.home.server.sandbox_mut()?.exit_reason()
    }

    fn db(&self) -> i64 {
        self.book.db
    }

    fn home_node(&self) -> Option<&str> {
        self.topology.as_ref().map(|_| self.home_name.as_str())
    }

    fn node_at_port(&self, port: u16) -> Option<String> {
        let topology = self.topology.as_ref()?;
        let node = topology.nodes.iter().find(|n| n.port() == port)?;
        Some(node.name.clone())
    }

    fn started_ports(&mut self) -> Vec<String> {
        let mut ports: Vec<String> = match &self.topology {
            Some(topology) => topology
                .nodes
                .iter()
                .map(|n| n.port().to_string())
                .collect(),
            None => Vec::new(),
        };
        if let Some(sandbox) = self.home.server.sandbox_mut() {
            ports.push(sandbox.port().to_string());
        }
        ports
    }

    fn run(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        wait: Duration,
    ) -> Result<Outcome, BackendError> {
        let node = self.node(at)?;
        Ok(node.clients.run(&node.server, client, args, wait)?)
    }

    fn pipeline(
        &mut self,
        at: Option<&str>,
        client: &str,
        commands: Commands,
    ) -> Result<Vec<Reply>, BackendError> {
        let node = self.node(at)?;
        Ok(node.clients.pipeline(&node.server, client, commands)?)
    }

    fn collect(&mut self, at: Option<&str>, wait: Duration) -> Vec<Pushed> {
        let multi = self.topology.is_some();
        let here = self.node_name(at);
        let away = self.away(at).map(str::to_string);
        let mut pushed: Vec<Pushed> = match self.node(at) {
            Ok(node) => node.clients.collect_released(wait),
            Err(_) => Vec::new(),
        }
        .into_iter()
        .map(|(client, line, result)| Pushed::Released {
            client,
            line,
            reply: result.unwrap_or_else(Reply::Error),
            here: true,
        })
        .collect();
        // Clients on the other nodes of a multi-node lesson (a subscriber on a Sentinel). The
        // home node's clients wait for a command that goes there, as they always have.
        for (name, node) in self.others.iter_mut() {
            if away.as_deref() == Some(name.as_str()) {
                continue;
            }
            for (client, line, result) in node.clients.collect_released(Duration::ZERO) {
                pushed.push(Pushed::Released {
                    client: format!("{client}@{name}"),
                    line,
                    reply: result.unwrap_or_else(Reply::Error),
                    here: false,
                });
            }
            for client in node.clients.receivers() {
                let key = format!("{client}@{name}");
                let messages = node.clients.received(&client);
                let shown = self.shown_received.entry(key.clone()).or_insert(0);
                for message in messages.into_iter().skip(*shown) {
                    *shown += 1;
                    pushed.push(Pushed::Received {
                        client: key.clone(),
                        message,
                    });
                }
            }
        }
        let Ok(node) = self.node(at) else {
            return pushed;
        };
        let receiving: Vec<(String, Vec<Reply>)> = node
            .clients
            .receivers()
            .into_iter()
            .map(|client| {
                let messages = node.clients.received(&client);
                (client, messages)
            })
            .collect();
        for (client, messages) in receiving {
            // The same key whichever way the node was named, so a message is given once.
            let key = if multi {
                format!("{client}@{here}")
            } else {
                client.clone()
            };
            let shown = self.shown_received.entry(key.clone()).or_insert(0);
            for message in messages.into_iter().skip(*shown) {
                *shown += 1;
                pushed.push(Pushed::Received {
                    client: key.clone(),
                    message,
                });
            }
        }
        pushed
    }

    fn received(&mut self, at: Option<&str>, client: &str) -> Result<Vec<Reply>, BackendError> {
        Ok(self.node(at)?.clients.received(client))
    }

    fn unblock_waiting(&mut self) -> Vec<crate::server::connection::Unblocked> {
        let multi = self.topology.is_some();
        let mut unblocked = self.home.clients.unblock_waiting(&self.home.server);
        for (name, node) in self.others.iter_mut() {
            for mut freed in node.clients.unblock_waiting(&node.server) {
                if multi {
                    freed.client = format!("{}@{name}", freed.client);
                }
                unblocked.push(freed);
            }
        }
        unblocked
    }

    fn forget(&mut self, at: Option<&str>) {
        match self.away(at) {
            Some(name) => {
                self.others.remove(name);
            }
            None => self.home.clients.clear(),
        }
    }

    fn keys_of(&mut self, at: Option<&str>, args: &[Vec<u8>]) -> Result<Touched, BackendError> {
        let node = self.node(at)?;
        Ok(super::keys_of(
            &mut |commands| node.observe(commands),
            args,
        )?)
    }

    fn says_readonly(&mut self, at: Option<&str>, args: &[Vec<u8>]) -> Result<bool, BackendError> {
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
            let reply = self
                .node(at)?
                .ask(&[b"COMMAND", b"INFO", candidate.as_bytes()])?;
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

    fn claim_database(&mut self, force: bool) -> Result<String, BackendError> {
        let notice = self.choose_database(force)?;
        self.book.functions_before = self.function_libraries()?;
        Ok(notice)
    }

    fn track(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
    ) -> Result<Touched, BackendError> {
        if self.is_outside(at, client) {
            // A client outside the lesson's database works on data that is not the lesson's:
            // its keys are neither the lesson's to delete nor what the explanations describe.
            return Ok(Touched {
                keys: Vec::new(),
                writes: Some(false),
            });
        }
        let touched = self.keys_of(at, args)?;
        if self.is_owned() {
            self.dirty = true;
        } else if touched.writes != Some(false) {
            // Only a write can create a key; asking about the keys of a read would count as a
            // keyspace hit or miss and falsify the lesson's INFO stats.
            self.note_new_keys(at, &touched.keys)?;
        }
        Ok(touched)
    }

    fn track_all(
        &mut self,
        at: Option<&str>,
        commands: &[Vec<Vec<u8>>],
        only_writes: bool,
    ) -> Result<(), BackendError> {
        if self.is_owned() {
            self.dirty = true;
            return Ok(());
        }
        let mut keys = Vec::new();
        for args in commands {
            let touched = self.keys_of(at, args)?;
            if !only_writes || touched.writes != Some(false) {
                keys.extend(touched.keys);
            }
        }
        self.note_new_keys(at, &keys)
    }

    fn back_to_lesson_db(
        &mut self,
        at: Option<&str>,
        client: &str,
    ) -> Result<Option<String>, BackendError> {
        self.bring_back(at, client)
    }

    fn follow(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        reply: &Reply,
    ) -> Option<String> {
        let notice = self.follow_database(at, client, args, reply);
        self.note_function_load(args, reply);
        notice
    }

    fn clean_up(&mut self) -> Result<Option<String>, BackendError> {
        self.remove_what_the_lesson_made()
    }

    fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    fn reset(&mut self) -> Result<(), BackendError> {
        self.home.clients.clear_on(&self.home.server);
        self.shown_received.clear();
        self.restore()?;
        self.book.outside_db.clear();
        // The observer is named so it is recognisable in CLIENT LIST and MONITOR lessons.
        self.home.observe(vec![vec![
            b"CLIENT".to_vec(),
            b"SETNAME".to_vec(),
            b"redis-lab".to_vec(),
        ]])?;
        Ok(())
    }

    fn recover(&mut self) -> Result<(), BackendError> {
        self.home.clients.clear();
        if self.topology.is_some() {
            self.dirty = true; // the reset starts the whole topology again
        } else if self.home.server.is_sandbox() {
            self.home.server.restart()?;
            self.dirty = false;
        }
        Ok(())
    }

    fn crash_and_restart(&mut self, extra_args: &[String]) -> Result<(), BackendError> {
        self.home.clients.clear();
        self.home.server.crash_and_restart(extra_args)?;
        self.dirty = true;
        Ok(())
    }

    fn fault(&mut self, name: &str, fault: NodeFault) -> Result<(), BackendError> {
        let topology = self
            .topology
            .as_mut()
            .ok_or_else(|| BackendError::from(Unfit::FaultWithoutTopology))?;
        self.dirty = true;
        let node = topology.node_mut(name)?;
        match fault {
            NodeFault::Stop => node.sandbox.stop(),
            NodeFault::Start => node.sandbox.start_again().map_err(ConnError::from)?,
            NodeFault::Pause => node.sandbox.pause(true),
            NodeFault::Resume => node.sandbox.pause(false),
        }
        if matches!(fault, NodeFault::Stop | NodeFault::Start) {
            // Its connections died with it.
            self.forget(Some(name));
        }
        self.note_frozen_nodes();
        Ok(())
    }
}

/// Why a node says nothing, when the lesson froze it.
fn frozen(topology: &Topology, name: &str) -> Option<String> {
    topology
        .node(name)
        .ok()
        .filter(|node| node.sandbox.is_frozen())
        .map(|_| {
            format!(
                "{name} is frozen by this lesson (SIGSTOP) and answers nothing until the lesson thaws it"
            )
        })
}

/// The node a multi-node lesson talks to by default: the master, or node-1.
fn default_node(topology: &Topology) -> Result<(String, Server), BackendError> {
    let node = topology
        .nodes
        .iter()
        .find(|n| n.name == "master")
        .or_else(|| topology.nodes.first())
        .ok_or(Unfit::NoNodes)?;
    Ok((node.name.clone(), Server::node(&node.name, &node.url())?))
}
