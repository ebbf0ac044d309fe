//! Shared helpers: every test that needs Redis starts its own redis-server on a free port.
#![allow(dead_code)]

pub mod certs;

use redis_lab::engine::session::{Session, SessionOptions};
use redis_lab::lesson::catalog::{Catalog, Entry};
use redis_lab::server::sandbox::find_redis_server;
use redis_lab::server::sandbox::is_running;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Fails loudly (never skips) when redis-server is missing: the README says to install it.
pub fn require_redis() -> PathBuf {
    find_redis_server(None).unwrap_or_else(|e| panic!("these tests need a real redis-server: {e}"))
}

pub fn builtin() -> Catalog {
    Catalog::load(&[]).expect("built-in catalog loads")
}

pub fn entry(catalog: &Catalog, id: &str) -> Entry {
    catalog.find(id).expect("lesson exists").clone()
}

pub fn sandbox_session(entry: Entry) -> Session {
    require_redis();
    let (session, _events) = Session::start(entry, &SessionOptions::default(), 0, &mut |_, _| {})
        .expect("session starts");
    session
}

/// A lesson pack in a temp folder: (relative path, contents) pairs.
pub fn pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

pub fn pack_catalog(dir: &Path) -> Catalog {
    Catalog::load(&[dir.to_path_buf()]).expect("pack loads")
}

/// A minimal lesson header; `steps` is YAML for the steps list (indented by two spaces).
pub fn lesson_yaml(id: &str, steps: &str) -> String {
    format!(
        "format: 1\nid: {id}\ntitle: Test {id}\ntrack: patterns\nlevel: beginner\nsummary: A test lesson.\nsteps:\n{steps}"
    )
}

/// Stands in for redis-server: records each real server's pid, then execs it, so a test can find
/// (and kill) the sandbox redis-lab started, and prove none is left.
pub struct Recorder {
    dir: tempfile::TempDir,
}

impl Recorder {
    pub fn new() -> Recorder {
        let real = require_redis();
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("redis-server");
        let pids = dir.path().join("pids");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ >> '{}'\nexec '{}' \"$@\"\n",
                pids.display(),
                real.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        Recorder { dir }
    }

    pub fn binary(&self) -> PathBuf {
        self.dir.path().join("redis-server")
    }

    pub fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.dir.path().join("pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    pub fn command(&self, data: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
        cmd.args(args)
            .env("REDIS_LAB_REDIS_SERVER", self.binary())
            .env("REDIS_LAB_DATA_DIR", data)
            .env("NO_COLOR", "1")
            .env_remove("REDIS_URL");
        cmd
    }

    /// Waits until a server has started and answers, and returns its pid.
    pub fn wait_for_server(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(&pid) = self.pids().last()
                && is_running(pid as u32)
            {
                std::thread::sleep(Duration::from_millis(300)); // let it get past start-up
                return pid;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server never started");
    }

    pub fn assert_none_running(&self) {
        let pids = self.pids();
        assert!(!pids.is_empty(), "the wrapper recorded no server at all");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let alive: Vec<i32> = pids
                .iter()
                .copied()
                .filter(|&p| is_running(p as u32))
                .collect();
            if alive.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server still running: {alive:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
