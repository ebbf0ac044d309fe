//! The watchdog: what kills a sandbox redis-server when redis-lab itself is killed (SIGKILL runs
//! no clean-up), on systems without Linux's parent-death signal (macOS, the BSDs).
//!
//! For each server, redis-lab starts itself again as `redis-lab __watchdog PID START`, in its
//! own process group, with its standard input the read end of a pipe whose write end only
//! redis-lab holds (std's pipes are close-on-exec, so no other child inherits it). The watchdog
//! blocks reading that pipe:
//!
//! - one byte: redis-lab is stopping the server itself; the watchdog exits and redis-lab reaps it;
//! - end of file: redis-lab is gone, however it died (the kernel closed its end); the watchdog
//!   SIGKILLs the server if the pid is still that server, then exits.
//!
//! "Still that server" means: the process is running, its name is a Redis server's, and its
//! start time is the one redis-lab read when it started it. So a pid the system has since given
//! to another program is never signalled, and the subcommand cannot be used to kill an
//! arbitrary process. It is not a clap subcommand (main.rs catches it first), so `--help` never
//! shows it.
//!
//! On Linux the parent-death signal is used instead; `REDIS_LAB_WATCHDOG=1` selects the watchdog
//! there too, which is how the tests prove it.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The hidden first argument that makes redis-lab a watchdog.
pub const SUBCOMMAND: &str = "__watchdog";

/// Set to `1`, sandboxes are guarded by the watchdog even on Linux (instead of the
/// parent-death signal), so the fallback is tested where CI runs.
pub const FORCE_ENV: &str = "REDIS_LAB_WATCHDOG";

/// The names a sandbox server may have (as the system reports them; Linux cuts names to 15
/// bytes). Anything else is never killed by a watchdog.
const SERVER_NAMES: [&str; 2] = ["redis-server", "valkey-server"];

/// Whether servers started now get a watchdog rather than a parent-death signal.
pub fn wanted() -> bool {
    !cfg!(target_os = "linux") || std::env::var_os(FORCE_ENV).is_some_and(|v| v == "1")
}

/// The program to run as the watchdog: this executable, when it is redis-lab. A program that
/// merely links the library (a test harness) would not understand `__watchdog`, so it gets
/// none.
pub fn program() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let name = exe.file_stem()?.to_str()?;
    (name == "redis-lab").then_some(exe)
}

/// What names one process for good: its name and its start time, as text (clock ticks since
/// boot on Linux, `ps -o lstart` elsewhere). Redis-lab and its watchdog read it the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub started: String,
}

/// The identity of a running process, or `None` if it is not running (or cannot be read).
pub fn identity(pid: u32) -> Option<Identity> {
    if cfg!(target_os = "linux") {
        proc_identity(pid)
    } else {
        ps_identity(pid)
    }
}

/// From /proc (Linux).
fn proc_identity(pid: u32) -> Option<Identity> {
    if !super::sandbox::is_running(pid) {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is between the first '(' and the last ')' (it may hold either).
    let (head, _) = stat.rsplit_once(')')?;
    let (_, name) = head.split_once('(')?;
    Some(Identity {
        name: name.to_string(),
        started: super::sandbox::process_start(pid)?.to_string(),
    })
}

/// From `ps` (macOS, the BSDs; procps on Linux has the same fields, so this is tested there).
pub fn ps_identity(pid: u32) -> Option<Identity> {
    let state = ps_field(pid, "stat")?;
    // A zombie has ended: it is not running, whatever its pid.
    if state.starts_with('Z') {
        return None;
    }
    // The kernel's name for it (what /proc calls comm), not `comm`: on macOS that is argv[0],
    // which redis-server rewrites into its title.
    let command = ps_field(pid, "ucomm")?;
    let name = command.rsplit('/').next().unwrap_or(&command).to_string();
    Some(Identity {
        name,
        started: ps_field(pid, "lstart")?,
    })
}

fn ps_field(pid: u32, field: &str) -> Option<String> {
    let output = Command::new("ps")
        .args(["-o", &format!("{field}="), "-p", &pid.to_string()])
        // The start time's format follows the locale: the same one for both readers.
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn is_server_name(name: &str) -> bool {
    SERVER_NAMES.iter().any(|server| name.starts_with(server))
}

/// A running watchdog, owned by the sandbox whose server it guards. Dropping it stands the
/// watchdog down and reaps it.
pub struct Watchdog {
    child: Child,
    pipe: Option<std::io::PipeWriter>,
}

impl Watchdog {
    /// Starts a watchdog for the server `pid`, which must be running (its start time is read
    /// now).
    pub fn start(program: &std::path::Path, pid: u32) -> std::io::Result<Watchdog> {
        let Some(identity) = identity(pid) else {
            return Err(std::io::Error::other(format!(
                "the start time of redis-server (pid {pid}) could not be read"
            )));
        };
        let (reader, writer) = std::io::pipe()?;
        let child = Command::new(program)
            .arg(SUBCOMMAND)
            .arg(pid.to_string())
            .arg(&identity.started)
            .stdin(reader)
            // It must not hold the learner's terminal, nor keep a pipe reading redis-lab's
            // output open after redis-lab has gone.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Nor a directory busy (the sandbox's, or the learner's).
            .current_dir("/")
            // Nor get the learner's Ctrl-C, which would end the guard while redis-lab goes on.
            .process_group(0)
            .spawn()?;
        super::sandbox::reaper::remember_watchdog(child.id());
        Ok(Watchdog {
            child,
            pipe: Some(writer),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // One byte: stand down. If it has already ended, the write fails and the wait reaps it.
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"x");
        }
        // It exits as soon as it reads; a stopped or stuck one is not worth a hang.
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        super::sandbox::reaper::forget_watchdog(self.child.id());
    }
}

/// `redis-lab __watchdog PID START`: the watchdog process itself (`args` follow the
/// subcommand). Exit status 2 for a misuse, 0 otherwise.
pub fn run(args: &[OsString]) -> ExitCode {
    let (pid, started) = match args {
        [pid, started] => (
            pid.to_str()
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|&p| super::sandbox::nix_pid(p).is_some() && p != 1),
            started.to_str().filter(|s| !s.is_empty()),
        ),
        _ => (None, None),
    };
    let (Some(pid), Some(started)) = (pid, started) else {
        return misuse("it takes a server's pid and start time");
    };
    // Only redis-lab runs it, on a pipe: from a terminal or a file it would fire at once (or
    // never), which is no use to anyone.
    if !stdin_is_pipe() {
        return misuse("its standard input must be the pipe redis-lab holds");
    }
    // Terminal signals are redis-lab's business; the watchdog must outlive redis-lab.
    for signal in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGHUP,
    ] {
        // SAFETY: SIG_IGN installs no handler, so no code of ours runs in signal context.
        let _ = unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigIgn) };
    }
    if redis_lab_is_gone() {
        fire(pid, started);
    }
    ExitCode::SUCCESS
}

fn misuse(why: &str) -> ExitCode {
    eprintln!(
        "redis-lab: `{SUBCOMMAND}` is redis-lab's own guard for its sandbox servers, not a command: {why}"
    );
    ExitCode::from(2)
}

fn stdin_is_pipe() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.file_type().is_fifo())
}

/// Blocks until redis-lab writes (false: it stands us down) or its end closes (true).
fn redis_lab_is_gone() -> bool {
    let mut byte = [0u8; 1];
    loop {
        match std::io::stdin().lock().read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => return false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // Nothing more will come from this pipe: treat it as redis-lab gone; the identity
            // check still decides whether anything is killed.
            Err(_) => return true,
        }
    }
}

/// Kills the server if `pid` is still it.
fn fire(pid: u32, started: &str) {
    let Some(identity) = identity(pid) else {
        return; // It has ended already.
    };
    if identity.started != started || !is_server_name(&identity.name) {
        return; // The pid now belongs to another process.
    }
    if let Some(pid) = super::sandbox::nix_pid(pid) {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_redis_server_names_are_servers() {
        assert!(is_server_name("redis-server"));
        assert!(is_server_name("valkey-server"));
        for name in ["redis-lab", "sh", "sleep", "redis-cli", "bash", ""] {
            assert!(!is_server_name(name), "{name}");
        }
    }

    #[test]
    fn both_ways_of_naming_a_process_agree_over_time() {
        let me = std::process::id();
        let proc = proc_identity(me).expect("/proc names this process");
        assert_eq!(proc_identity(me), Some(proc.clone()));
        // The fallback of other systems, through procps' ps.
        let ps = ps_identity(me).expect("ps names this process");
        assert_eq!(ps.name, proc.name);
        assert!(!ps.started.is_empty());
        assert_eq!(ps_identity(me), Some(ps));
    }

    #[test]
    fn an_ended_process_has_no_identity() {
        let mut child = Command::new("true").spawn().expect("true runs");
        let pid = child.id();
        // A zombie until reaped: ended, so not running.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(proc_identity(pid), None);
        assert_eq!(ps_identity(pid), None);
        let _ = child.wait();
        assert_eq!(proc_identity(pid), None);
        assert_eq!(ps_identity(pid), None);
    }
}
