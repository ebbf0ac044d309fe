//! `redis-lab sandbox up|status|down`: a topology kept running for exploration. `up` holds the
//! servers in the foreground (so nothing can outlive it) and records them in the state dir, so
//! `status`, `down` and `repl --sandbox` work from another terminal.

use crate::app::Status;
use crate::render::table::new_table;
use crate::server::sandbox::{SandboxOptions, is_running, reaper};
use crate::server::topology::{Kind, Role, Topology, kind_name};
use anyhow::{Context, Result, bail};
use colored::Colorize;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordNode {
    pub name: String,
    pub role: String,
    pub port: u16,
}

/// What `sandbox up` writes to the state dir while it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub pid: u32,
    pub kind: String,
    pub nodes: Vec<RecordNode>,
}

fn record_path() -> Result<PathBuf> {
    Ok(crate::progress::data_dir()?.join("sandbox.json"))
}

/// The running sandbox, if any; a record whose process is gone is removed.
pub fn running() -> Result<Option<Record>> {
    let path = record_path()?;
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    match serde_json::from_str::<Record>(&text) {
        Ok(record) if is_running(record.pid) => Ok(Some(record)),
        _ => {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Master => "master",
        Role::Replica => "replica",
        Role::Sentinel => "sentinel",
    }
}

fn print_nodes(kind: &str, nodes: &[RecordNode]) {
    let mut table = new_table(&["node", "role", "address", "connect with"]);
    for node in nodes {
        let connect = if node.role == "sentinel" {
            format!("redis-cli -p {}", node.port)
        } else {
            format!(
                "redis-lab repl --sandbox --node {}{}",
                node.name,
                if kind == "cluster" { " -c" } else { "" }
            )
        };
        table.add_row(vec![
            node.name.clone(),
            node.role.clone(),
            format!("127.0.0.1:{}", node.port),
            connect,
        ]);
    }
    println!("{table}");
}

pub fn up(kind: Kind, options: &SandboxOptions) -> Result<Status> {
    if let Some(record) = running()? {
        bail!(
            "a {} sandbox is already running (pid {}); stop it with `redis-lab sandbox down`",
            record.kind,
            record.pid
        );
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(80));
    let started = Instant::now();
    let topology = Topology::start(kind, options, &mut |message| {
        spinner.set_message(message.to_string())
    })?;
    spinner.finish_and_clear();
    let record = Record {
        pid: std::process::id(),
        kind: kind_name(kind).to_string(),
        nodes: topology
            .nodes
            .iter()
            .map(|n| RecordNode {
                name: n.name.clone(),
                role: role_name(n.role).to_string(),
                port: n.port(),
            })
            .collect(),
    };
    let path = record_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&record)?)
        .with_context(|| format!("writing {}", path.display()))?;
    reaper::remember_dir(&path); // removed when a signal ends us
    println!(
        "{} ready in {:.2} s:",
        format!("{} sandbox", record.kind).green().bold(),
        started.elapsed().as_secs_f64()
    );
    print_nodes(&record.kind, &record.nodes);
    println!(
        "{}",
        "Keep this running. In another terminal: `redis-lab repl --sandbox`; stop with Ctrl-C here or `redis-lab sandbox down`."
            .dimmed()
    );
    // The servers live as long as this process: wait for Ctrl-C or `sandbox down` (SIGTERM).
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

pub fn status() -> Result<Status> {
    match running()? {
        None => {
            println!(
                "No sandbox is running. Start one with `redis-lab sandbox up cluster` (or redlock5, replica, sentinel)."
            );
            Ok(Status::Ok)
        }
        Some(record) => {
            println!(
                "A {} sandbox is running (pid {}):",
                record.kind.bold(),
                record.pid
            );
            print_nodes(&record.kind, &record.nodes);
            Ok(Status::Ok)
        }
    }
}

pub fn down() -> Result<Status> {
    let Some(record) = running()? else {
        println!("No sandbox is running.");
        return Ok(Status::Ok);
    };
    // SAFETY: SIGTERM to the `sandbox up` process we recorded; it kills and reaps its servers.
    unsafe {
        libc::kill(record.pid as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_running(record.pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if is_running(record.pid) {
        bail!("the sandbox (pid {}) did not stop within 10 s", record.pid);
    }
    let _ = std::fs::remove_file(record_path()?);
    println!(
        "Stopped the {} sandbox ({} servers).",
        record.kind,
        record.nodes.len()
    );
    Ok(Status::Ok)
}

/// The URL of a node of the running sandbox (default: the master, or node-1).
pub fn node_url(node: Option<&str>) -> Result<String> {
    let Some(record) = running()? else {
        bail!(
            "no sandbox is running: start one with `redis-lab sandbox up cluster` (or redlock5, replica, sentinel)"
        );
    };
    let chosen = match node {
        Some(name) => record
            .nodes
            .iter()
            .find(|n| n.name == name)
            .with_context(|| {
                let names: Vec<&str> = record.nodes.iter().map(|n| n.name.as_str()).collect();
                format!(
                    "no node `{name}` in the {} sandbox; nodes: {}",
                    record.kind,
                    names.join(", ")
                )
            })?,
        None => record
            .nodes
            .iter()
            .find(|n| n.role == "master")
            .or_else(|| record.nodes.first())
            .context("the sandbox record has no nodes")?,
    };
    Ok(format!("redis://127.0.0.1:{}", chosen.port))
}
