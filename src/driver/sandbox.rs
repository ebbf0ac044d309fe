//! `redis-lab sandbox up|status|down`: a topology kept running for exploration. `up` holds the
//! servers in the foreground (so nothing can outlive it) and records them in the state dir, so
//! `status`, `down` and `repl --sandbox` work from another terminal.

use crate::driver::Status;
use crate::render::table::new_table;
use crate::server::sandbox::{SandboxOptions, is_running, process_start, reaper};
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
    /// When that process started (see [`process_start`]), so a pid reused by another program is
    /// never mistaken for ours, let alone signalled.
    #[serde(default)]
    pub started: Option<u64>,
    pub kind: String,
    pub nodes: Vec<RecordNode>,
}

fn record_path() -> Result<PathBuf> {
    Ok(crate::progress::data_dir()?.join("sandbox.json"))
}

/// Held by `sandbox up` for as long as it runs; the kernel releases it however the process
/// ends, so a second `up` can tell for sure that one is running.
fn lock_path() -> Result<PathBuf> {
    Ok(crate::progress::data_dir()?.join("sandbox.lock"))
}

fn open_lock() -> Result<std::fs::File> {
    let path = lock_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Whether some `sandbox up` holds the lock now.
fn lock_is_held() -> bool {
    match open_lock() {
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// The record is of a `sandbox up` that runs now: the lock is held, and the pid is that
/// process (same start time, and its command line is `redis-lab sandbox up`), not one the
/// system has since given to another program, nor one a hand-edited record names.
fn is_ours(record: &Record) -> bool {
    is_running(record.pid)
        && lock_is_held()
        && is_sandbox_up(record.pid)
        && match (record.started, process_start(record.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true, // no /proc: the lock and the command line say it
        }
}

/// Whether `pid` runs `redis-lab ... sandbox up ...` (/proc on Linux, `ps` elsewhere).
fn is_sandbox_up(pid: u32) -> bool {
    let words: Vec<String> = match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(bytes) => bytes
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect(),
        Err(_) => std::process::Command::new("ps")
            .args(["-o", "command=", "-p", &pid.to_string()])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let program_is_ours = words.first().is_some_and(|w| {
        std::path::Path::new(w)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("redis-lab"))
    });
    program_is_ours && words.windows(2).any(|w| w[0] == "sandbox" && w[1] == "up")
}

/// The running sandbox, if any; a stale record (its process gone or its pid reused) is removed.
pub fn running() -> Result<Option<Record>> {
    let path = record_path()?;
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    match serde_json::from_str::<Record>(&text) {
        Ok(record) if is_ours(&record) => Ok(Some(record)),
        // A `sandbox up` holds the lock, but the record does not name it: signal nobody.
        Ok(record) if lock_is_held() && is_running(record.pid) => bail!(
            "{} names pid {}, which is not the `redis-lab sandbox up` that holds {}; nothing was \
             signalled. Stop the sandbox with Ctrl-C in the terminal where it runs",
            path.display(),
            record.pid,
            lock_path()?.display()
        ),
        _ => {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
    }
}

/// How a node answers now: a PING within a short time, over a raw socket.
fn health(port: u16) -> &'static str {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300))
    else {
        return "down";
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return "down";
    }
    let mut reply = [0u8; 64];
    match stream.read(&mut reply) {
        Ok(n) if n > 0 => "up",
        Ok(_) => "down",
        // Accepted by the kernel but never answered: a frozen (SIGSTOP) or busy server.
        Err(_) => "no answer",
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Master => "master",
        Role::Replica => "replica",
        Role::Sentinel => "sentinel",
    }
}

fn print_nodes(kind: &str, nodes: &[RecordNode], probe: bool) {
    let columns: &[&str] = if probe {
        &["node", "role", "address", "state", "connect with"]
    } else {
        &["node", "role", "address", "connect with"]
    };
    let mut table = new_table(columns);
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
        let mut row = vec![
            node.name.clone(),
            node.role.clone(),
            format!("127.0.0.1:{}", node.port),
        ];
        if probe {
            row.push(health(node.port).to_string());
        }
        row.push(connect);
        table.add_row(row);
    }
    crate::outln!("{table}");
}

pub fn up(kind: Kind, options: &SandboxOptions) -> Result<Status> {
    // Held until this process ends: two `up`s at once cannot both start.
    let lock = open_lock()?;
    if let Err(std::fs::TryLockError::WouldBlock) = lock.try_lock() {
        match running()? {
            Some(record) => bail!(
                "a {} sandbox is already running (pid {}); stop it with `redis-lab sandbox down`",
                record.kind,
                record.pid
            ),
            None => bail!(
                "another `redis-lab sandbox up` is starting one; wait for it, or stop it with `redis-lab sandbox down`"
            ),
        }
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
        started: process_start(std::process::id()),
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
    crate::outln!(
        "{} ready in {:.2} s:",
        format!("{} sandbox", record.kind).green().bold(),
        started.elapsed().as_secs_f64()
    );
    print_nodes(&record.kind, &record.nodes, false);
    crate::outln!(
        "{}",
        "Keep this running. In another terminal: `redis-lab repl --sandbox`; stop with Ctrl-C here or `redis-lab sandbox down`."
            .dimmed()
    );
    // The servers live as long as this process: wait for Ctrl-C or `sandbox down` (SIGTERM).
    let _held = lock;
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

pub fn status() -> Result<Status> {
    match running()? {
        None => {
            crate::outln!(
                "No sandbox is running. Start one with `redis-lab sandbox up cluster` (or redlock5, replica, sentinel)."
            );
            Ok(Status::Ok)
        }
        Some(record) => {
            crate::outln!(
                "A {} sandbox is running (pid {}):",
                record.kind.bold(),
                record.pid
            );
            print_nodes(&record.kind, &record.nodes, true);
            Ok(Status::Ok)
        }
    }
}

pub fn down() -> Result<Status> {
    let Some(record) = running()? else {
        crate::outln!("No sandbox is running.");
        return Ok(Status::Ok);
    };
    // SIGTERM to the `sandbox up` process we recorded (`running` checked it is that process);
    // it kills and reaps its servers. If it has just ended, the wait below sees it gone.
    if let Some(pid) = crate::server::sandbox::nix_pid(record.pid) {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_running(record.pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if is_running(record.pid) {
        bail!("the sandbox (pid {}) did not stop within 10 s", record.pid);
    }
    let _ = std::fs::remove_file(record_path()?);
    crate::outln!(
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
        // A master that answers (a stopped or frozen one would hang the REPL), else any node that does.
        None => record
            .nodes
            .iter()
            .filter(|n| n.role != "sentinel")
            .find(|n| n.role == "master" && health(n.port) == "up")
            .or_else(|| {
                record
                    .nodes
                    .iter()
                    .find(|n| n.role != "sentinel" && health(n.port) == "up")
            })
            .with_context(|| {
                format!(
                    "no node of the {} sandbox answers; see `redis-lab sandbox status`",
                    record.kind
                )
            })?,
    };
    Ok(format!("redis://127.0.0.1:{}", chosen.port))
}
