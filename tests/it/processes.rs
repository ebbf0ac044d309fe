//! No redis-server may outlive redis-lab, however it ends: by the parent-death signal (Linux) or
//! by the watchdog (other systems; forced here with REDIS_LAB_WATCHDOG=1). A wrapper script
//! stands in for redis-server: it records the real server's pid, then execs it.

use crate::common::*;
use redis_lab::server::sandbox::is_running as running;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

fn start_guided(recorder: &Recorder, data: &Path) -> Child {
    let mut child = recorder
        .command(data, &["lesson", "leaderboard"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Keep stdin open so redis-lab sits at its prompt.
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"ZSCORE leaderboard swift_otter\n")
        .unwrap();
    child
}

#[test]
fn no_server_is_left_after_a_normal_exit() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let status = recorder
        .command(data.path(), &["lesson", "strings-counters", "--auto"])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    recorder.assert_none_running();
}

#[test]
fn no_server_is_left_after_an_error() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let broken = lesson_yaml(
        "bad-fixture",
        "  - id: one\n    title: One\n    explain: x\n",
    )
    .replace("steps:", "fixtures: [data.redis]\nsteps:");
    let dir = pack(&[
        ("bad-fixture.yaml", &broken),
        ("fixtures/data.redis", "SET k abc\nINCR k\n"),
    ]);
    let output = recorder
        .command(
            data.path(),
            &[
                "lesson",
                "bad-fixture",
                "--auto",
                "--lessons",
                &dir.path().display().to_string(),
            ],
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`INCR k` failed"));
    recorder.assert_none_running();
}

/// The sandbox's temp dir: the server runs in it (redis-server rewrites its own argv).
fn sandbox_dir(pid: i32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/cwd")).expect("the server's working directory")
}

fn signal_test(signal: i32) {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let mut child = start_guided(&recorder, data.path());
    let server = recorder.wait_for_server();
    assert!(running(server as u32));
    let dir = sandbox_dir(server);
    assert!(dir.exists());
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "redis-lab should report the signal");
    recorder.assert_none_running();
    if signal != libc::SIGKILL {
        assert!(
            !dir.exists(),
            "the sandbox's temp dir {} was left behind",
            dir.display()
        );
    }
}

#[test]
fn no_server_is_left_after_sigint() {
    signal_test(libc::SIGINT);
}

#[test]
fn no_server_is_left_after_sigterm() {
    signal_test(libc::SIGTERM);
}

#[test]
fn no_server_is_left_after_sighup() {
    signal_test(libc::SIGHUP);
}

#[test]
fn no_server_is_left_after_sigkill() {
    signal_test(libc::SIGKILL);
}

/// Runs a subcommand whose reader has gone: closed at once, or after reading one line.
fn into_closed_pipe(
    recorder: &Recorder,
    data: &Path,
    args: &[&str],
    read_first_line: bool,
) -> (Option<i32>, String) {
    let mut child = recorder
        .command(data, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    if read_first_line {
        use std::io::BufRead;
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
    } else {
        drop(stdout);
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_ends_quietly_into_a_closed_pipe() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    for args in [
        &["schema"][..],
        &["list"],
        &["list", "--json"],
        &["--help"],
        &["check", "--offline"],
        &["lesson", "leaderboard", "--auto"],
        &["sandbox", "status"],
        &["repl", "PING"],
        &["repl", "INFO"],
    ] {
        for read_first_line in [false, true] {
            let (code, stderr) = into_closed_pipe(&recorder, data.path(), args, read_first_line);
            assert_eq!(
                code,
                Some(0),
                "{args:?} (read a line first: {read_first_line}): {stderr}"
            );
            assert_eq!(stderr, "", "{args:?}: nothing on stderr");
        }
    }
    recorder.assert_none_running();
}

/// Sandboxes guarded by the watchdog instead of the parent-death signal, as on macOS.
const FORCE_WATCHDOG: &str = redis_lab::server::watchdog::FORCE_ENV;

/// The watchdogs redis-lab `parent` runs now: (pid, start time), found by their parent and their
/// command line.
fn watchdogs_of(parent: u32) -> Vec<(u32, u64)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(parent)
            && cmdline
                .split(|&b| b == 0)
                .nth(1)
                .is_some_and(|arg| arg == b"__watchdog")
            && let Some(started) = redis_lab::server::sandbox::process_start(pid)
        {
            found.push((pid, started));
        }
    }
    found
}

/// Waits (up to 10 s) until redis-lab `parent` runs a watchdog, and returns them all.
fn wait_for_watchdogs(parent: u32) -> Vec<(u32, u64)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = watchdogs_of(parent);
        if !found.is_empty() {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis-lab (pid {parent}) started no watchdog with {FORCE_WATCHDOG}=1"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether that process (same pid, same start) is still there at all: running, or a zombie
/// nobody has reaped.
fn still_there((pid, started): (u32, u64)) -> bool {
    redis_lab::server::sandbox::process_start(pid) == Some(started)
}

fn wait_until_gone(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Kills redis-lab (`args`) with SIGKILL: with no parent-death signal, only the watchdog can
/// stop its server.
fn sigkill_under_the_watchdog(args: &[&str]) {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let mut child = recorder
        .command(data.path(), args)
        .env(FORCE_WATCHDOG, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = recorder.wait_for_server();
    let watchdogs = wait_for_watchdogs(child.id());
    for &(pid, _) in &watchdogs {
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        assert!(
            cmdline.split('\0').any(|arg| arg == server.to_string()),
            "the watchdog {pid} guards the server {server}: {cmdline:?}"
        );
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait().unwrap();
    recorder.assert_none_running();
    wait_until_gone(
        "the watchdog did not exit after redis-lab was killed",
        || watchdogs.iter().all(|&(pid, _)| !running(pid)),
    );
}

#[test]
fn the_watchdog_stops_the_server_of_a_sigkilled_lesson() {
    sigkill_under_the_watchdog(&["lesson", "leaderboard"]);
}

#[test]
fn the_watchdog_stops_the_server_of_a_sigkilled_repl() {
    sigkill_under_the_watchdog(&["repl"]);
}

/// Ends redis-lab (a guided lesson) with `end`, which returns whether it should exit 0, and
/// checks that its watchdogs ended with it.
fn no_watchdog_left(end: impl FnOnce(&mut Child) -> bool) {
    // Orphans now come to this process, which does not reap them, instead of to an init that
    // would: a watchdog that redis-lab did not stand down and reap stays visible as one.
    // (Linux only, like the /proc these tests read.)
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let mut child = recorder
        .command(data.path(), &["lesson", "leaderboard"])
        .env(FORCE_WATCHDOG, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    recorder.wait_for_server();
    let watchdogs = wait_for_watchdogs(child.id());
    let success = end(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.success(), success, "{status:?}");
    // Stood down (or killed) and reaped by redis-lab before it exited: gone, not even a zombie.
    let left: Vec<u32> = watchdogs
        .iter()
        .filter(|&&w| still_there(w))
        .map(|&(pid, _)| pid)
        .collect();
    assert!(left.is_empty(), "watchdogs outlived redis-lab: {left:?}");
    recorder.assert_none_running();
}

#[test]
fn a_normal_exit_leaves_no_watchdog_behind() {
    // End of input: the learner leaves the lesson, and redis-lab exits normally.
    no_watchdog_left(|child| {
        drop(child.stdin.take());
        true
    });
}

#[test]
fn sigterm_leaves_no_watchdog_behind() {
    no_watchdog_left(|child| {
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        false
    });
}

/// `redis-lab __watchdog PID START` with its standard input a pipe that is then closed (as
/// when redis-lab dies), or given one byte (redis-lab standing it down).
fn watchdog(args: &[&str], stand_down: bool) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .arg("__watchdog")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if stand_down {
        stdin.write_all(b"x").unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_watchdog_kills_only_the_server_it_was_given_and_is_hidden() {
    use redis_lab::server::sandbox::process_start;
    let help = redis_lab_help();
    assert!(!help.contains("watchdog"), "{help}");

    let real = require_redis();
    let port = redis_lab::server::sandbox::free_port().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Reaped(
        std::process::Command::new(&real)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--daemonize", "no", "--save", "", "--appendonly", "no"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let sleeper = Reaped(
        std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap(),
    );
    let server_pid = server.0.id();
    let sleeper_pid = sleeper.0.id();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let server_start = process_start(server_pid).unwrap().to_string();
    let sleeper_start = process_start(sleeper_pid).unwrap().to_string();

    // Misuse: no start time, pid 1, standard input not a pipe.
    for args in [&[][..], &[server_pid.to_string().as_str()], &["1", "1"]] {
        let output = watchdog(args, false);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("not a command"));
    }
    let from_null = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["__watchdog", &server_pid.to_string(), &server_start])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(from_null.status.code(), Some(2));

    // A process that is not a Redis server, with its true start time: left alone.
    let output = watchdog(&[&sleeper_pid.to_string(), &sleeper_start], false);
    assert!(output.status.success());
    // The server with another start time (its pid reused): left alone.
    let output = watchdog(&[&server_pid.to_string(), "12345"], false);
    assert!(output.status.success());
    // Stood down by redis-lab: left alone.
    let output = watchdog(&[&server_pid.to_string(), &server_start], true);
    assert!(output.status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(running(sleeper_pid), "the watchdog killed `sleep`");
    assert!(running(server_pid), "the watchdog killed the wrong server");

    // The server it was given, redis-lab gone: killed.
    let output = watchdog(&[&server_pid.to_string(), &server_start], false);
    assert!(output.status.success());
    assert_eq!(output.stdout, b"");
    assert_eq!(output.stderr, b"");
    wait_until_gone("the watchdog did not kill its server", || {
        !running(server_pid)
    });
    assert!(running(sleeper_pid));
}

fn redis_lab_help() -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .arg("--help")
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}
