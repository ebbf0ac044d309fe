//! The private sandbox: a `redis-server` child on a free loopback port, in a temp dir, with no
//! persistence. It is killed and reaped on drop, on SIGTERM/SIGINT/SIGHUP (see [`reaper`]), and
//! if redis-lab itself is killed: by the kernel on Linux (parent-death signal), by a
//! [`watchdog`](super::watchdog) process elsewhere.

use super::watchdog::Watchdog;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thiserror::Error;

pub const INSTALL_HINT: &str = "install it with `sudo apt-get install redis-server` (Debian/Ubuntu), \
`brew install redis` (macOS) or `sudo dnf install redis` (Fedora), or point redis-lab at one with \
--redis-server PATH (or REDIS_LAB_REDIS_SERVER), or use an existing server with --url";

#[derive(Debug, Error)]
pub enum SandboxError {
    #[error(
        "redis-server was not found on PATH (nor valkey-server or redis-stack-server); {INSTALL_HINT}"
    )]
    NotFound,
    #[error("redis-server at {0} does not exist or is not executable; {INSTALL_HINT}")]
    NotExecutable(PathBuf),
    #[error("could not start redis-server ({path}): {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("redis-server exited during start-up: {log}")]
    Exited { log: String },
    #[error("redis-server did not answer PING within {0:?}: {1}")]
    Timeout(Duration, String),
    #[error("could not create a temporary directory for the sandbox: {0}")]
    TempDir(std::io::Error),
    #[error("no free port on 127.0.0.1: {0}")]
    NoPort(std::io::Error),
    #[error("{0}")]
    RefusedArgs(String),
    #[error("could not start the watchdog that stops redis-server if redis-lab is killed: {0}")]
    Watchdog(std::io::Error),
}

/// How to start a sandbox server.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Explicit binary; otherwise `REDIS_LAB_REDIS_SERVER`, then `redis-server` on PATH.
    pub redis_server: Option<PathBuf>,
    /// Extra arguments redis-lab itself passes (replication, cluster mode).
    pub extra_args: Vec<String>,
    /// Arguments from a lesson file (`requires.server_args`): lab settings only, checked again
    /// here whatever the loader said, since a lesson must never name a file or load code.
    pub lesson_args: Vec<String>,
    /// Module `.so` files to load (`--loadmodule`).
    pub modules: Vec<PathBuf>,
    /// Run as a Sentinel with this configuration (Sentinel rewrites its config file, so it
    /// lives in the sandbox's dir).
    pub sentinel_config: Option<String>,
}

pub struct Sandbox {
    child: Child,
    /// Guards `child` where there is no parent-death signal (see [`super::watchdog`]).
    watchdog: Option<Watchdog>,
    port: u16,
    dir: tempfile::TempDir,
    binary: PathBuf,
    options: SandboxOptions,
    /// Stopped with SIGSTOP by `pause(true)`: alive, but it answers nothing.
    frozen: bool,
}

const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Finds the redis-server binary the sandbox will run.
pub fn find_redis_server(explicit: Option<&Path>) -> Result<PathBuf, SandboxError> {
    let chosen = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("REDIS_LAB_REDIS_SERVER").map(PathBuf::from));
    if let Some(path) = chosen {
        // A bare name is looked up on PATH like a shell would.
        if path.components().count() == 1
            && let Some(found) = search_path(path.as_os_str())
        {
            return Ok(found);
        }
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(SandboxError::NotExecutable(path))
        };
    }
    SERVER_PROGRAMS
        .iter()
        .find_map(|name| search_path(name.as_ref()))
        .ok_or(SandboxError::NotFound)
}

/// Every Redis-compatible server program on PATH with its version (`redis-server --version`
/// says `v=7.0.15`), read once: what a lesson that needs a newer server or a module could run on.
pub fn servers_on_path() -> &'static [(PathBuf, String)] {
    static FOUND: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        let Some(path) = std::env::var_os("PATH") else {
            return Vec::new();
        };
        let mut found: Vec<(PathBuf, String)> = Vec::new();
        for dir in std::env::split_paths(&path) {
            for name in SERVER_PROGRAMS {
                let candidate = dir.join(name);
                let real = candidate
                    .canonicalize()
                    .unwrap_or_else(|_| candidate.clone());
                if !is_executable(&candidate)
                    || found
                        .iter()
                        .any(|(p, _)| p.canonicalize().ok().as_ref() == Some(&real))
                {
                    continue;
                }
                if let Some(version) = program_version(&candidate) {
                    found.push((candidate, version));
                }
            }
        }
        found
    })
}

/// `v=7.4.1` out of `Redis server v=7.4.1 sha=...` (Valkey answers the same way).
/// A program that does not answer within a second is not counted.
fn program_version(program: &Path) -> Option<String> {
    let text = output_within(program.as_os_str(), &["--version"], Duration::from_secs(1))?;
    text.split_whitespace()
        .find_map(|word| word.strip_prefix("v="))
        .map(str::to_string)
}

/// What `program args` prints, if it starts, succeeds and ends within `limit` (it is killed
/// otherwise): for asking programs on PATH about themselves without ever hanging on one.
pub fn output_within(program: &std::ffi::OsStr, args: &[&str], limit: Duration) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let mut text = String::new();
    child.stdout.take()?.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The server programs looked for on PATH, in this order, when none is named: Valkey and Redis
/// Stack start the same way redis-server does.
const SERVER_PROGRAMS: [&str; 3] = ["redis-server", "valkey-server", "redis-stack-server"];

fn search_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Running, not merely present: an exited process its parent has not reaped yet is a zombie.
pub fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        // No /proc (not Linux): signal 0 (None) sends nothing, it only checks that the process
        // exists.
        Err(_) => nix_pid(pid).is_some_and(|pid| nix::sys::signal::kill(pid, None).is_ok()),
    }
}

/// The pid of one process, for nix. `None` for 0 and anything above `i32::MAX`: to kill(2) those
/// mean our own process group, or every process we may signal, never one process.
pub fn nix_pid(pid: u32) -> Option<nix::unistd::Pid> {
    i32::try_from(pid)
        .ok()
        .filter(|&pid| pid > 0)
        .map(nix::unistd::Pid::from_raw)
}

/// The start time of a process (clock ticks since boot, /proc/PID/stat field 22), on Linux:
/// with the pid, it names one process for good, even after the pid is reused.
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
}

/// The file in each sandbox dir that names the redis-lab process it belongs to.
const OWNER_FILE: &str = "owner";

/// Removes `redis-lab-*` temp dirs whose redis-lab is gone (it was SIGKILLed, so nothing ran
/// its clean-up). Dirs of live processes, and very new ones still being set up, are left.
pub fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("redis-lab-") {
            continue;
        }
        let path = entry.path();
        // Not a symlink or a file: only a real dir of ours is ever removed.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let stale = match std::fs::read_to_string(path.join(OWNER_FILE)) {
            Ok(text) => {
                let mut words = text.split_whitespace();
                let pid = words.next().and_then(|w| w.parse::<u32>().ok());
                let started = words.next().and_then(|w| w.parse::<u64>().ok());
                match pid {
                    Some(pid) => {
                        !is_running(pid)
                            || (started.is_some()
                                && process_start(pid).is_some()
                                && process_start(pid) != started)
                    }
                    None => false,
                }
            }
            // No owner yet: stale only once it is old enough not to be starting right now.
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(3600)),
        };
        if stale {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// A port that is free now, with its cluster bus port (+10000) free too.
pub fn free_port() -> Result<u16, SandboxError> {
    let mut last_err = None;
    for _ in 0..50 {
        match TcpListener::bind(("127.0.0.1", 0)) {
            Ok(listener) => {
                let port = listener.local_addr().map_err(SandboxError::NoPort)?.port();
                if port <= 55535 && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok() {
                    return Ok(port);
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(SandboxError::NoPort(last_err.unwrap_or_else(|| {
        std::io::Error::other("every port tried was above 55535 or had its bus port taken")
    })))
}

impl Sandbox {
    pub fn start(options: &SandboxOptions) -> Result<Sandbox, SandboxError> {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(remove_stale_dirs);
        let binary = find_redis_server(options.redis_server.as_deref())?;
        let dir = tempfile::Builder::new()
            .prefix("redis-lab-")
            .tempdir()
            .map_err(SandboxError::TempDir)?;
        let me = std::process::id();
        let owner = match process_start(me) {
            Some(started) => format!("{me} {started}\n"),
            None => format!("{me}\n"),
        };
        std::fs::write(dir.path().join(OWNER_FILE), owner).map_err(SandboxError::TempDir)?;
        // Another process can take the port between our check and redis-server's bind: retry.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let (mut child, watchdog) = spawn(&binary, port, dir.path(), options)?;
            match wait_ready(&mut child, port, dir.path()) {
                Ok(()) => {
                    reaper::remember_dir(dir.path());
                    return Ok(Sandbox {
                        child,
                        watchdog,
                        port,
                        dir,
                        binary,
                        options: options.clone(),
                        frozen: false,
                    });
                }
                Err(SandboxError::Exited { log }) if log.contains("in use") && attempt < 5 => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The server program, when it is not `redis-server` (a `valkey-server` found on PATH in
    /// its place), to say so wherever the sandbox is named.
    pub fn other_program(&self) -> Option<String> {
        let name = self.binary.file_name()?.to_string_lossy().into_owned();
        (name != "redis-server").then_some(name)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops this server and starts a fresh one on the same port and dir (clean state).
    pub fn restart(&mut self) -> Result<(), SandboxError> {
        self.kill();
        // A clean state: no dump.rdb or appendonlydir from a persistence lesson may come back.
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for entry in entries.flatten() {
                let path = entry.path();
                if entry.file_name() == OWNER_FILE {
                    continue;
                }
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
        (self.child, self.watchdog) =
            spawn(&self.binary, self.port, self.dir.path(), &self.options)?;
        wait_ready(&mut self.child, self.port, self.dir.path())
    }

    /// Kills the server as a crash would (no save) and starts it again on the same data
    /// directory and port, with `extra_args` for this start (e.g. `--appendonly yes`).
    pub fn crash_and_restart(&mut self, extra_args: &[String]) -> Result<(), SandboxError> {
        if let Some(problem) = crate::server::safety::server_args_problem(extra_args) {
            return Err(SandboxError::RefusedArgs(problem));
        }
        self.kill();
        let mut options = self.options.clone();
        options.lesson_args.extend(extra_args.iter().cloned());
        (self.child, self.watchdog) = spawn(&self.binary, self.port, self.dir.path(), &options)?;
        wait_ready(&mut self.child, self.port, self.dir.path())
    }

    /// Stops the server (SIGKILL: a crash, nothing saved); `start_again` brings it back on the
    /// same port and data directory.
    pub fn stop(&mut self) {
        self.kill();
    }

    pub fn start_again(&mut self) -> Result<(), SandboxError> {
        self.frozen = false;
        (self.child, self.watchdog) =
            spawn(&self.binary, self.port, self.dir.path(), &self.options)?;
        wait_ready(&mut self.child, self.port, self.dir.path())
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: a node that hangs without dying.
    pub fn pause(&mut self, frozen: bool) {
        self.frozen = frozen;
        use nix::sys::signal::Signal;
        let signal = if frozen {
            Signal::SIGSTOP
        } else {
            Signal::SIGCONT
        };
        // Our own child, not reaped yet, so the pid is still this server's.
        if let Some(pid) = nix_pid(self.child.id()) {
            let _ = nix::sys::signal::kill(pid, signal);
        }
    }

    /// Whether the lesson froze it (SIGSTOP) and has not thawed it since.
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Whether the server process is still running.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// How the server ended, if it has: "killed by signal 9 (SIGKILL)", "exited with status 1".
    pub fn exit_reason(&mut self) -> Option<String> {
        use std::os::unix::process::ExitStatusExt;
        let status = self.child.try_wait().ok()??;
        Some(match (status.signal(), status.code()) {
            (Some(signal), _) if signal == nix::sys::signal::Signal::SIGKILL as i32 => {
                "killed by signal 9 (SIGKILL: another program, or the kernel out of memory)".into()
            }
            (Some(signal), _) => format!("killed by signal {signal}"),
            (None, Some(code)) => format!("exited with status {code}"),
            (None, None) => "exited".into(),
        })
    }

    fn kill(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        reaper::forget(pid);
        // Only once the server is reaped: until then the watchdog still guards it.
        self.watchdog = None;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kill();
        // Remove before un-registering: a signal arriving now must find the dir either already
        // gone or still on the list it cleans.
        let _ = std::fs::remove_dir_all(self.dir.path());
        reaper::forget_dir(self.dir.path());
    }
}

/// Waits for PING; on failure the child is killed and reaped, and its log explains why.
fn wait_ready(child: &mut Child, port: u16, dir: &Path) -> Result<(), SandboxError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        if let Ok(Some(_status)) = child.try_wait() {
            reaper::forget(child.id());
            return Err(SandboxError::Exited { log: log_tail(dir) });
        }
        if ping(port) {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            reaper::forget(child.id());
            return Err(SandboxError::Timeout(START_TIMEOUT, log_tail(dir)));
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(20));
    }
}

fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(5)..];
    if tail.is_empty() {
        "(no output)".into()
    } else {
        tail.join("\n")
    }
}

/// Starts a server, with its watchdog where one is wanted (see [`super::watchdog`]).
fn spawn(
    binary: &Path,
    port: u16,
    dir: &Path,
    options: &SandboxOptions,
) -> Result<(Child, Option<Watchdog>), SandboxError> {
    if let Some(problem) = crate::server::safety::server_args_problem(&options.lesson_args) {
        return Err(SandboxError::RefusedArgs(problem));
    }
    let log = std::fs::File::create(dir.join("redis.log")).map_err(SandboxError::TempDir)?;
    let log_err = log.try_clone().map_err(SandboxError::TempDir)?;
    // A config file of the sandbox's own, so CONFIG REWRITE works (and a restart reads it back).
    let config = dir.join("redis.conf");
    if !config.exists() {
        let text = match &options.sentinel_config {
            Some(sentinel) => sentinel.clone(),
            None => "# redis-lab sandbox; CONFIG REWRITE writes here\n".to_string(),
        };
        std::fs::write(&config, text).map_err(SandboxError::TempDir)?;
    }
    let mut command = Command::new(binary);
    command
        .arg(&config)
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--daemonize", "no"]);
    if options.sentinel_config.is_some() {
        command.arg("--sentinel");
    } else {
        command.args(["--save", "", "--appendonly", "no"]);
    }
    command.arg("--dir").arg(dir).args(["--logfile", ""]);
    // MIGRATE connects to any address and can be called from a script, where redis-lab cannot
    // check its target: no lesson uses it, so no sandbox has it.
    if options.sentinel_config.is_none() {
        command.args(["--rename-command", "MIGRATE", ""]);
    }
    // After CONFIG REWRITE the config file loads the modules itself; loading one twice aborts.
    let config_loads_modules = std::fs::read_to_string(&config).is_ok_and(|text| {
        text.lines()
            .any(|l| l.trim_start().starts_with("loadmodule"))
    });
    if !config_loads_modules {
        for module in &options.modules {
            command.arg("--loadmodule").arg(module);
        }
    }
    command
        .args(&options.extra_args)
        .args(&options.lesson_args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own process group: the learner's Ctrl-C goes to redis-lab, not to the server.
        .process_group(0);
    // A program that only links the library (a test harness) cannot be a watchdog: it keeps
    // the parent-death signal where there is one.
    let watchdog_program = super::watchdog::wanted()
        .then(super::watchdog::program)
        .flatten();
    // If redis-lab dies, even by SIGKILL, the kernel kills the server too. Linux only: other
    // systems have no parent-death signal.
    #[cfg(target_os = "linux")]
    if watchdog_program.is_none() {
        // SAFETY: the closure runs between fork and exec, where only async-signal-safe calls
        // are allowed: it makes one prctl system call, allocates nothing and touches no lock.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
                Ok(())
            });
        }
    }
    let mut child = command.spawn().map_err(|source| SandboxError::Spawn {
        path: binary.to_path_buf(),
        source,
    })?;
    reaper::remember(child.id());
    let Some(program) = watchdog_program else {
        return Ok((child, None));
    };
    match Watchdog::start(&program, child.id()) {
        Ok(watchdog) => Ok((child, Some(watchdog))),
        // It could not be named because it has already exited: `wait_ready` says why.
        Err(_) if !matches!(child.try_wait(), Ok(None)) => Ok((child, None)),
        Err(error) => {
            // No server runs unguarded.
            let _ = child.kill();
            let _ = child.wait();
            reaper::forget(child.id());
            Err(SandboxError::Watchdog(error))
        }
    }
}

/// PING over a raw socket: readiness without building a client.
fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(100),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

/// Every server redis-lab started, so a signal handler can kill them before the process exits
/// (`main` hands [`reaper::kill_all`] to [`crate::signal::install`]).
pub mod reaper {
    use std::sync::Mutex;

    static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    /// The servers' watchdogs (see [`crate::server::watchdog`]), also our children.
    static WATCHDOGS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    /// Sandbox temp dirs: a signal exits without running destructors, so we remove them here.
    static DIRS: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());

    pub fn remember_dir(dir: &std::path::Path) {
        if let Ok(mut dirs) = DIRS.lock() {
            dirs.push(dir.to_path_buf());
        }
    }

    pub fn forget_dir(dir: &std::path::Path) {
        if let Ok(mut dirs) = DIRS.lock() {
            dirs.retain(|d| d != dir);
        }
    }

    pub fn remember(pid: u32) {
        if let Ok(mut children) = CHILDREN.lock() {
            children.push(pid);
        }
    }

    pub fn forget(pid: u32) {
        if let Ok(mut children) = CHILDREN.lock() {
            children.retain(|&p| p != pid);
        }
    }

    pub fn remember_watchdog(pid: u32) {
        if let Ok(mut watchdogs) = WATCHDOGS.lock() {
            watchdogs.push(pid);
        }
    }

    pub fn forget_watchdog(pid: u32) {
        if let Ok(mut watchdogs) = WATCHDOGS.lock() {
            watchdogs.retain(|&p| p != pid);
        }
    }

    /// Kills every server still running, then their watchdogs. Called from the signal thread
    /// before exiting.
    pub fn kill_all() {
        let pids = match CHILDREN.lock() {
            Ok(children) => children.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let watchdogs = match WATCHDOGS.lock() {
            Ok(watchdogs) => watchdogs.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        // Servers first, so none is unguarded while it runs. A watchdog waits for redis-lab's
        // end of its pipe, which closes only when redis-lab exits: it is killed, not waited
        // for, and reaped so none is left defunct.
        for pid in pids.into_iter().chain(watchdogs).filter_map(super::nix_pid) {
            // Our children, not reaped yet (each is forgotten once reaped), so the pids are
            // theirs; waitpid reaps them so none is left defunct.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        let dirs = match DIRS.lock() {
            Ok(dirs) => dirs.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for path in dirs {
            // Temp dirs, and files such as the running-sandbox record.
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}
