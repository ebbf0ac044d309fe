//! Several real servers started locally from the same redis-server binary: five independent
//! nodes (Redlock), a master with a replica, Sentinel, and a Cluster. Each node is a sandbox of
//! its own (free port, temp dir, reaped on every exit path). Ready means every node agrees, not
//! just that ports are open.

use crate::server::sandbox::{Sandbox, SandboxError, SandboxOptions};
use std::time::{Duration, Instant};
use thiserror::Error;

mod kind;
pub use kind::Kind;

#[derive(Debug, Error)]
pub enum TopologyError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("{0}")]
    Setup(String),
    #[error("the {kind} topology was not ready after {waited:?}: {detail}")]
    NotReady {
        kind: &'static str,
        waited: Duration,
        detail: String,
    },
    #[error("no node named `{0}` in this topology")]
    UnknownNode(String),
}

/// Settings that make replication, failure detection and failover fast in a lab.
const REPLICATION_ARGS: [&str; 2] = ["--repl-diskless-sync-delay", "0"];
const READY_TIMEOUT: Duration = Duration::from_secs(20);
pub const SENTINEL_MASTER: &str = "mymaster";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
    Sentinel,
}

pub struct Node {
    /// `master`, `replica`, `sentinel-1`, `node-1` ...
    pub name: String,
    pub role: Role,
    pub sandbox: Sandbox,
}

impl Node {
    pub fn port(&self) -> u16 {
        self.sandbox.port()
    }

    pub fn url(&self) -> String {
        self.sandbox.url()
    }
}

pub struct Topology {
    pub kind: Kind,
    pub nodes: Vec<Node>,
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => "single",
        Kind::Redlock5 => "redlock5",
        Kind::Replica => "replica",
        Kind::Sentinel => "sentinel",
        Kind::Cluster => "cluster",
    }
}

fn connect(port: u16) -> Result<redis::Connection, TopologyError> {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .map_err(|e| TopologyError::Setup(format!("cannot connect to 127.0.0.1:{port}: {e}")))
}

fn query<T: redis::FromRedisValue>(port: u16, args: &[&str]) -> Result<T, TopologyError> {
    let mut connection = connect(port)?;
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query(&mut connection)
        .map_err(|e| TopologyError::Setup(format!("`{}` on 127.0.0.1:{port}: {e}", args.join(" "))))
}

impl Topology {
    /// Starts a topology; `progress` is told what is happening (for a spinner).
    pub fn start(
        kind: Kind,
        base: &SandboxOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Topology, TopologyError> {
        let mut topology = Topology {
            kind,
            nodes: Vec::new(),
        };
        match kind {
            Kind::Single => topology.add("node-1", Role::Master, base.clone())?,
            Kind::Redlock5 => {
                for i in 1..=5 {
                    progress(&format!("starting node-{i} of 5"));
                    topology.add(&format!("node-{i}"), Role::Master, base.clone())?;
                }
            }
            Kind::Replica => {
                progress("starting the master and its replica");
                topology.start_master_and_replica(base)?;
            }
            Kind::Sentinel => {
                progress("starting the master and its replica");
                topology.start_master_and_replica(base)?;
                let master_port = topology.nodes[0].port();
                for i in 1..=3 {
                    progress(&format!("starting sentinel-{i} of 3"));
                    let mut options = base.clone();
                    options.extra_args.clear();
                    options.lesson_args.clear();
                    options.sentinel_config = Some(format!(
                        "sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {master_port} 2\n\
                         sentinel down-after-milliseconds {SENTINEL_MASTER} 1000\n\
                         sentinel failover-timeout {SENTINEL_MASTER} 10000\n\
                         sentinel parallel-syncs {SENTINEL_MASTER} 1\n"
                    ));
                    topology.add(&format!("sentinel-{i}"), Role::Sentinel, options)?;
                }
            }
            Kind::Cluster => {
                for i in 1..=6 {
                    progress(&format!("starting node-{i} of 6"));
                    let mut options = base.clone();
                    options.extra_args.extend(
                        [
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            "nodes.conf",
                            "--cluster-node-timeout",
                            "1000",
                        ]
                        .into_iter()
                        .chain(REPLICATION_ARGS)
                        .map(String::from),
                    );
                    let role = if i <= 3 { Role::Master } else { Role::Replica };
                    topology.add(&format!("node-{i}"), role, options)?;
                }
                progress("joining the cluster and assigning slots");
                topology.form_cluster()?;
            }
        }
        progress("waiting until every node agrees");
        topology.wait_ready()?;
        Ok(topology)
    }

    fn add(
        &mut self,
        name: &str,
        role: Role,
        options: SandboxOptions,
    ) -> Result<(), TopologyError> {
        let sandbox = Sandbox::start(&options)?;
        self.nodes.push(Node {
            name: name.to_string(),
            role,
            sandbox,
        });
        Ok(())
    }

    fn start_master_and_replica(&mut self, base: &SandboxOptions) -> Result<(), TopologyError> {
        let mut options = base.clone();
        options
            .extra_args
            .extend(REPLICATION_ARGS.map(String::from));
        self.add("master", Role::Master, options.clone())?;
        let master_port = self.nodes[0].port().to_string();
        options.extra_args.extend([
            "--replicaof".to_string(),
            "127.0.0.1".to_string(),
            master_port,
        ]);
        self.add("replica", Role::Replica, options)
    }

    fn form_cluster(&mut self) -> Result<(), TopologyError> {
        let first = self.nodes[0].port();
        for node in &self.nodes[1..] {
            let port = node.port().to_string();
            query::<String>(first, &["CLUSTER", "MEET", "127.0.0.1", &port])?;
        }
        let ranges = [("0", "5460"), ("5461", "10922"), ("10923", "16383")];
        for (node, (from, to)) in self.nodes.iter().zip(ranges) {
            query::<String>(node.port(), &["CLUSTER", "ADDSLOTSRANGE", from, to])?;
        }
        // Replicas can follow a master only once they know it.
        let deadline = Instant::now() + READY_TIMEOUT;
        let ids: Vec<String> = self.nodes[..3]
            .iter()
            .map(|m| query::<String>(m.port(), &["CLUSTER", "MYID"]))
            .collect::<Result<_, _>>()?;
        for (replica, master_id) in self.nodes[3..].iter().zip(&ids) {
            loop {
                match query::<String>(replica.port(), &["CLUSTER", "REPLICATE", master_id]) {
                    Ok(_) => break,
                    Err(e) if Instant::now() > deadline => return Err(e),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        Ok(())
    }

    /// Waits until every node agrees the topology is whole.
    fn wait_ready(&self) -> Result<(), TopologyError> {
        let started = Instant::now();
        loop {
            let detail = match self.not_ready() {
                Ok(None) => return Ok(()),
                Ok(Some(detail)) => detail,
                Err(e) => e.to_string(),
            };
            if started.elapsed() > READY_TIMEOUT {
                return Err(TopologyError::NotReady {
                    kind: kind_name(self.kind),
                    waited: READY_TIMEOUT,
                    detail,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What is still missing, or None when the topology is ready.
    fn not_ready(&self) -> Result<Option<String>, TopologyError> {
        for node in &self.nodes {
            match (self.kind, node.role) {
                (Kind::Replica | Kind::Sentinel, Role::Replica) => {
                    let info: String = query(node.port(), &["INFO", "replication"])?;
                    if crate::command::info_field(&info, "master_link_status").as_deref()
                        != Some("up")
                    {
                        return Ok(Some(format!(
                            "{} is not linked to its master yet",
                            node.name
                        )));
                    }
                }
                (Kind::Sentinel, Role::Sentinel) => {
                    let fields: Vec<String> =
                        query(node.port(), &["SENTINEL", "MASTER", SENTINEL_MASTER])?;
                    let field = |name: &str| {
                        fields
                            .chunks(2)
                            .find(|p| p[0] == name)
                            .and_then(|p| p.get(1).cloned())
                            .unwrap_or_default()
                    };
                    if field("num-slaves") != "1" || field("num-other-sentinels") != "2" {
                        return Ok(Some(format!(
                            "{} sees {} replica(s) and {} other sentinel(s)",
                            node.name,
                            field("num-slaves"),
                            field("num-other-sentinels")
                        )));
                    }
                }
                (Kind::Cluster, _) => {
                    let info: String = query(node.port(), &["CLUSTER", "INFO"])?;
                    if crate::command::info_field(&info, "cluster_state").as_deref() != Some("ok")
                        || crate::command::info_field(&info, "cluster_known_nodes").as_deref()
                            != Some("6")
                    {
                        return Ok(Some(format!(
                            "{} does not see a healthy cluster of 6 yet",
                            node.name
                        )));
                    }
                    if node.role == Role::Master {
                        let replication: String = query(node.port(), &["INFO", "replication"])?;
                        if crate::command::info_field(&replication, "connected_slaves").as_deref()
                            != Some("1")
                        {
                            return Ok(Some(format!("{} has no replica linked yet", node.name)));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    pub fn node(&self, name: &str) -> Result<&Node, TopologyError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| TopologyError::UnknownNode(name.to_string()))
    }

    pub fn node_mut(&mut self, name: &str) -> Result<&mut Node, TopologyError> {
        self.nodes
            .iter_mut()
            .find(|n| n.name == name)
            .ok_or_else(|| TopologyError::UnknownNode(name.to_string()))
    }
}

impl Drop for Topology {
    /// Sentinels first, then replicas, then masters: a Sentinel that outlived its master could
    /// reconfigure whatever server takes that port next.
    fn drop(&mut self) {
        while let Some(node) = self.nodes.pop() {
            drop(node);
        }
    }
}
