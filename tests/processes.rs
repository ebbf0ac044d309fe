//! No redis-server may outlive redis-lab, however it ends. A wrapper script stands in for
//! redis-server: it records the real server's pid, then execs it.

mod common;

use common::*;
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
