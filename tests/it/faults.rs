//! What happens when things go wrong around redis-lab: the server dies or restarts under it, the
//! progress file is damaged or cannot be written, `--url` points at something that is not Redis,
//! a lesson pack reaches outside its folder. Each test is a row of docs/reliability.md.

use crate::common::*;
use redis_lab::server::sandbox::{Sandbox, SandboxOptions, is_running};
use rexpect::session::{PtySession, spawn_command};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pty(mut cmd: Command) -> PtySession {
    cmd.env("TERM", "xterm");
    spawn_command(cmd, Some(20_000)).expect("spawn in a pty")
}

fn redis_lab(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(args)
        .env("REDIS_LAB_DATA_DIR", data)
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDISCLI_AUTH");
    cmd
}

fn saved_step(data: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(data.join("progress.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["lessons"][key]["step"].as_u64()
}

fn kill_and_wait(pid: i32) {
    // SAFETY: a signal to a redis-server this test's redis-lab started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while is_running(pid as u32) {
        assert!(
            Instant::now() < deadline,
            "redis-server {pid} survived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The sandbox is SIGKILLed twice in the guided REPL: the first time the learner declines the
/// restart (progress is on disk, the next run resumes there), the second time accepts it and
/// finishes the step on the rebuilt server.
#[test]
fn a_sandbox_killed_mid_lesson_is_reported_and_the_lesson_resumes() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let mut p = pty(recorder.command(data.path(), &["lesson", "leaderboard"]));
    p.exp_string("leaderboard 1/7 app> ").unwrap();
    p.send_line("ZADD leaderboard 4200 rookie_rita").unwrap();
    p.exp_string("Step complete").unwrap();
    p.exp_string("leaderboard 2/7 app> ").unwrap();
    kill_and_wait(recorder.wait_for_server());
    p.send_line("ZINCRBY leaderboard 150 swift_otter").unwrap();
    p.exp_string("was lost").unwrap();
    p.exp_string("the sandbox redis-server stopped: killed by signal 9")
        .unwrap();
    p.exp_string("Your progress is saved (step 2).").unwrap();
    p.exp_string("Restart the sandbox server and continue at this step? [Y/n] ")
        .unwrap();
    p.send_line("n").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(saved_step(data.path(), "leaderboard"), Some(1));
    recorder.assert_none_running();

    let mut p = pty(recorder.command(data.path(), &["lesson", "leaderboard"]));
    p.exp_string("Step 2/7 Points for a finished game").unwrap();
    p.exp_string("leaderboard 2/7 app> ").unwrap();
    kill_and_wait(recorder.wait_for_server());
    p.send_line("ZINCRBY leaderboard 150 swift_otter").unwrap();
    p.exp_string("Restart the sandbox server and continue at this step? [Y/n] ")
        .unwrap();
    p.send_line("y").unwrap();
    p.exp_string("Reconnected; the server was rebuilt to the start of this step.")
        .unwrap();
    p.exp_string("leaderboard 2/7 app> ").unwrap();
    p.send_line("ZINCRBY leaderboard 150 swift_otter").unwrap();
    p.exp_string("\"12000\"").unwrap(); // the fixture's 11850, rebuilt, plus 150
    p.exp_string("Step complete").unwrap();
    p.exp_string("leaderboard 3/7 app> ").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_string("Progress saved at step 3 of 7").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(saved_step(data.path(), "leaderboard"), Some(2));
    recorder.assert_none_running();
}

const SLOW_LESSON: &str = "  - id: first\n    title: First\n    task: Set a.\n    solution:\n      - SET a 1\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n  - id: second\n    title: Second\n    task: Set b, slowly.\n    solution:\n      - wait_ms: 3000\n      - SET b 1\n    checks:\n      - probe: GET b\n        expect: {equals: \"1\"}\n";

#[test]
fn a_sandbox_killed_during_auto_fails_clearly_and_touches_no_progress() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let pack = pack(&[("slow-demo.yaml", &lesson_yaml("slow-demo", SLOW_LESSON))]);
    let before = r#"{"version":1,"lessons":{"leaderboard":{"step":3,"step_id":"rank","total":7,"done":false}}}"#;
    std::fs::write(data.path().join("progress.json"), before).unwrap();
    let folder = pack.path().display().to_string();
    let args = ["lesson", "slow-demo", "--auto", "--lessons", &folder];
    let child = recorder
        .command(data.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second step pauses for 3 s before its command: the kill lands in the middle.
    kill_and_wait(recorder.wait_for_server());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("was lost"), "{stderr}");
    assert!(
        stderr.contains("the sandbox redis-server stopped: killed by signal 9"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(data.path().join("progress.json")).unwrap(),
        before,
        "--auto must not touch the progress file"
    );
    recorder.assert_none_running();
    let again = recorder.command(data.path(), &args).output().unwrap();
    assert!(
        again.status.success(),
        "the lesson runs again on a fresh sandbox"
    );
}

/// A redis-server this test owns, as a `--url` server: the REPL must ride out its restarts.
#[test]
fn a_server_restarted_under_the_repl_is_reconnected_and_said_so() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let mut server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let mut p = pty(redis_lab(data.path(), &["repl", "--url", &server.url()]));
    let prompt = format!("127.0.0.1:{}> ", server.port());
    p.exp_string(&prompt).unwrap();
    p.send_line("SET greeting hello").unwrap();
    p.exp_string("OK").unwrap();
    p.exp_string(&prompt).unwrap();

    // Restarted between two commands: the next one reconnects, says so, and runs.
    server.crash_and_restart(&[]).unwrap();
    p.send_line("SET greeting again").unwrap();
    p.exp_string("(reconnected: the server had closed the connection")
        .unwrap();
    p.exp_string("OK").unwrap();
    p.exp_string(&prompt).unwrap();

    // Down while a command is sent: one clear error, the shell stays, and works once it is back.
    server.stop();
    p.send_line("GET greeting").unwrap();
    p.exp_string("error:").unwrap();
    p.exp_string(&prompt).unwrap();
    server.start_again().unwrap();
    p.send_line("GET greeting").unwrap();
    p.exp_string("(nil)").unwrap(); // a crash saves nothing: the restarted server is empty
    p.exp_string(&prompt).unwrap();

    // Inside MULTI the transaction cannot survive: it says so instead of running the command
    // outside it.
    p.send_line("MULTI").unwrap();
    p.exp_string("(TX)> ").unwrap();
    server.crash_and_restart(&[]).unwrap();
    p.send_line("SET inside tx").unwrap();
    p.exp_string("the transaction was lost with the connection")
        .unwrap();
    p.exp_string(&prompt).unwrap();
    p.send_line("EXISTS inside").unwrap();
    p.exp_string("(integer) 0").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

/// Corrupt, truncated and older progress files: a warning, a backup with the old bytes, a fresh
/// start, never a crash.
#[test]
fn a_damaged_progress_file_is_backed_up_with_a_warning() {
    let cases = [
        ("corrupt", "\u{0}\u{1}garbage\u{ff}".to_string()),
        (
            "truncated",
            r#"{"version":1,"lessons":{"leaderboard":{"step":2,"#.to_string(),
        ),
        (
            "older format",
            r#"{"version":0,"done":["leaderboard"]}"#.to_string(),
        ),
        ("newer format", r#"{"version":99,"lessons":{}}"#.to_string()),
    ];
    for (what, text) in cases {
        let data = tempfile::tempdir().unwrap();
        let path = data.path().join("progress.json");
        std::fs::write(&path, &text).unwrap();
        let output = redis_lab(data.path(), &["list"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{what}: {stderr}");
        assert!(
            stderr.contains("Could not read your progress file") && stderr.contains("moved to"),
            "{what}: {stderr}"
        );
        let backups: Vec<_> = std::fs::read_dir(data.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
            .collect();
        assert_eq!(backups.len(), 1, "{what}: one backup");
        assert_eq!(
            std::fs::read(backups[0].path()).unwrap(),
            text.as_bytes(),
            "{what}: the backup keeps the old bytes"
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("leaderboard"));
    }
}

/// Progress that cannot be written: the data dir cannot be created (its parent is a file), or
/// writes fail part-way (a file size limit of 0 bytes stands in for a full disk: it fails the
/// same write calls with EFBIG instead of ENOSPC). The lesson goes on, the learner is told, and
/// the previous progress file is unchanged. (A read-only directory cannot be tested as root,
/// which CI runs as: root writes through permissions.)
#[test]
fn progress_that_cannot_be_saved_is_reported_and_the_old_file_survives() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();

    // Writes fail: RLIMIT_FSIZE 0 (SIGXFSZ ignored, so write returns EFBIG).
    let data = tempfile::tempdir().unwrap();
    let before = r#"{"version":1,"lessons":{"key-expiry":{"step":2,"step_id":"ttl","total":6,"done":false}}}"#;
    std::fs::write(data.path().join("progress.json"), before).unwrap();
    let mut cmd = redis_lab(
        data.path(),
        &["lesson", "strings-counters", "--url", &server.url()],
    );
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut p = pty(cmd);
    p.exp_string("cannot save progress to").unwrap();
    let told = p
        .exp_string("the previous progress file is unchanged")
        .unwrap();
    assert!(
        !told.contains(" at path "),
        "the temp file's name is noise: {told}"
    );
    let before_prompt = p.exp_string("strings-counters 1/11 app> ").unwrap();
    // Every save fails alike: told once, not at each step.
    p.send_line("SET site:name \"Redis Lab News\"").unwrap();
    let after_step = p.exp_string("strings-counters 2/11 app> ").unwrap();
    assert!(
        !before_prompt.contains("cannot save progress")
            && !after_step.contains("cannot save progress"),
        "the same failure was told again: {before_prompt}{after_step}"
    );
    p.send_line(":quit").unwrap();
    p.exp_string("Your progress could not be saved").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(
        std::fs::read_to_string(data.path().join("progress.json")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        // The lock file stays: removing it would let a third session lock a new one while a
        // second still holds the old.
        .filter(|n| n != "progress.json" && n != "progress.json.lock")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    // The data dir cannot be created.
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("a-file"), "").unwrap();
    let data = parent.path().join("a-file").join("redis-lab");
    let mut p = pty(redis_lab(
        &data,
        &["lesson", "strings-counters", "--url", &server.url()],
    ));
    p.exp_string("cannot save progress to").unwrap();
    p.exp_string("strings-counters 1/11 app> ").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_string("Your progress could not be saved").unwrap();
    p.exp_eof().unwrap();
}

/// A shared pack must be safe to open: no fixture or lesson file may read outside its folder.
#[test]
fn a_pack_cannot_read_outside_its_folder() {
    let data = tempfile::tempdir().unwrap();
    let step = "  - id: one\n    title: One\n    task: Look.\n    solution:\n      - GET k\n    checks:\n      - expect: {nil: true}\n";
    let with_fixture = |id: &str, fixture: &str| {
        lesson_yaml(id, step).replace("steps:", &format!("fixtures: [{fixture:?}]\nsteps:"))
    };
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "SET stolen TOP-SECRET-CONTENT\n").unwrap();
    let dir = pack(&[
        ("dotdot.yaml", &with_fixture("dotdot", "../../etc/passwd")),
        (
            "absolute.yaml",
            &with_fixture("absolute", &secret.path().display().to_string()),
        ),
        ("linked.yaml", &with_fixture("linked", "data.redis")),
        ("fixtures/placeholder.redis", "SET k v\n"),
    ]);
    std::os::unix::fs::symlink(secret.path(), dir.path().join("fixtures/data.redis")).unwrap();
    std::os::unix::fs::symlink(secret.path(), dir.path().join("evil.yaml")).unwrap();
    let folder = dir.path().display().to_string();

    let output = redis_lab(data.path(), &["check", "--lessons", &folder, &folder])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!text.contains("TOP-SECRET-CONTENT"), "{text}");
    assert!(text.contains("evil.yaml") && text.contains("resolves outside the lesson folder"));
    assert!(text.contains("../../etc/passwd"), "{text}");

    for id in ["dotdot", "absolute", "linked"] {
        let output = redis_lab(data.path(), &["lesson", id, "--auto", "--lessons", &folder])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(2), "{id}: {text}");
        assert!(!text.contains("TOP-SECRET-CONTENT"), "{id}: {text}");
        assert!(
            text.contains("refused") || text.contains("outside"),
            "{id}: {text}"
        );
    }
}

/// A pack whose fixtures/ folder is itself a symlink (to /etc, say) must not read through it:
/// the lint reports it at the `fixtures:` entry, and a run refuses it before reading anything.
#[test]
fn a_pack_whose_fixtures_folder_is_a_symlink_reads_nothing_through_it() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("hostname"),
        "SET stolen TOP-SECRET-CONTENT\n",
    )
    .unwrap();
    let step = "  - id: one\n    title: One\n    task: Look.\n    solution:\n      - GET k\n    checks:\n      - expect: {nil: true}\n";
    let yaml = lesson_yaml("h-fx", step).replace("steps:", "fixtures:\n  - \"hostname\"\nsteps:");
    let dir = pack(&[("lessons/patterns/h-fx.yaml", &yaml)]);
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("fixtures")).unwrap();
    let folder = dir.path().display().to_string();
    let file = dir.path().join("lessons/patterns/h-fx.yaml");

    let output = redis_lab(data.path(), &["check", "--offline", &folder])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!text.contains("TOP-SECRET-CONTENT"), "{text}");
    assert!(
        text.contains(&format!("{}:8:5", file.display())) && text.contains("is a symlink"),
        "{text}"
    );

    let output = redis_lab(
        data.path(),
        &["lesson", "h-fx", "--auto", "--lessons", &folder],
    )
    .output()
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!text.contains("TOP-SECRET-CONTENT"), "{text}");
    assert!(text.contains("is a symlink"), "{text}");
}

/// `check --run --url` removes what each lesson created, as `lesson --auto --url` does, so the
/// server is as it was and every lesson runs in the same database; `--keep` keeps it.
#[test]
fn check_run_with_url_leaves_the_server_as_it_was_unless_keep() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let port = server.port();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("precious")
        .arg("theirs")
        .query(&mut con)
        .unwrap();
    let before = whole_server(port);
    let step = "  - id: one\n    title: One\n    task: Count two visits.\n    solution:\n      - INCR v\n      - INCR v\n    checks:\n      - probe: GET v\n        expect: {equals: 2}\n";
    let dir = pack(&[
        ("count-a.yaml", &lesson_yaml("count-a", step)),
        ("count-b.yaml", &lesson_yaml("count-b", step)),
    ]);
    let data = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    let run = |extra: &[&str]| {
        let output = redis_lab(data.path(), &["check", "--run", "--url", &url])
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(0), "{text}");
        text
    };
    let text = run(&[]);
    assert_eq!(whole_server(port), before, "{text}");
    let text = run(&["--keep"]);
    assert_ne!(
        whole_server(port),
        before,
        "--keep keeps the lessons' keys: {text}"
    );
}

/// Stands in for a port where something other than Redis listens.
struct FakeServer {
    port: u16,
}

impl FakeServer {
    /// `answer`: what to send back after the first read (None: accept and never answer).
    fn start(answer: Option<&'static [u8]>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                if let Some(answer) = answer {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    let _ = stream.write_all(answer);
                } else {
                    held.push(stream); // open and silent
                }
            }
        });
        FakeServer { port }
    }
}

#[test]
fn a_url_that_is_not_redis_fails_clearly_and_quickly() {
    let data = tempfile::tempdir().unwrap();
    let http = FakeServer::start(Some(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ));
    let silent = FakeServer::start(None);
    let closed = redis_lab::server::sandbox::free_port().unwrap();
    let cases = [
        (http.port, "not in the Redis protocol"),
        (silent.port, "no answer within 5 s"),
        (closed, "nothing is listening there"),
    ];
    for (port, expected) in cases {
        let url = format!("redis://127.0.0.1:{port}");
        for args in [
            vec!["repl", "--url", &url, "PING"],
            vec!["lesson", "strings-counters", "--auto", "--url", &url],
        ] {
            let started = Instant::now();
            let output = redis_lab(data.path(), &args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let elapsed = started.elapsed();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("cannot connect to {url}: ")) && stderr.contains(expected),
                "{args:?}: {stderr}"
            );
            assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
            // The connect timeout is 5 s; allow for a slow machine, never a hang.
            assert!(
                elapsed < Duration::from_secs(12),
                "{args:?} took {elapsed:?}"
            );
        }
    }
}

/// Each (database, key) with its DUMP.
type Keys = std::collections::BTreeMap<(i64, Vec<u8>), Vec<u8>>;

/// Every key of every database with its DUMP, and the function libraries: the whole data set.
fn whole_server(port: u16) -> (Keys, String) {
    let mut all = std::collections::BTreeMap::new();
    for db in 0..16 {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/{db}")).unwrap();
        let mut con = client.get_connection().unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for key in keys {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut con).unwrap();
            all.insert((db, key), dump);
        }
    }
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut con = client.get_connection().unwrap();
    let functions: redis::Value = redis::cmd("FUNCTION").arg("LIST").query(&mut con).unwrap();
    (all, format!("{functions:?}"))
}

#[test]
fn a_hostile_pack_run_with_url_leaves_every_key_of_the_server_as_it_was() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let port = server.port();
    for db in [0, 1, 2, 7] {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/{db}")).unwrap();
        let mut con = client.get_connection().unwrap();
        let _: () = redis::pipe()
            .cmd("SET")
            .arg("precious")
            .arg(format!("db {db}"))
            .ignore()
            .cmd("HSET")
            .arg("user:1")
            .arg("name")
            .arg("Ada")
            .ignore()
            .cmd("ZADD")
            .arg("board")
            .arg(1)
            .arg("x")
            .ignore()
            .query(&mut con)
            .unwrap();
    }
    let before = whole_server(port);
    // Every way the review found to reach outside the lesson's database, in every place a lesson
    // can put a command: fixtures, setup, run, solution and probes.
    let steps = r#"  - id: one
    title: One
    task: Anything.
    run:
      - SELECT 0
      - DEL precious
      - SWAPDB 0 1
      - MOVE board 0
      - CLIENT KILL TYPE normal
      - SET lesson:run 1
    solution:
      - FLUSHALL
      - FLUSHDB
      - SHUTDOWN NOSAVE
      - CONFIG SET maxmemory 1
      - SET lesson:solution 1
    checks:
      - probe: SHUTDOWN NOSAVE
        expect: {equals: OK}
      - probe: FLUSHALL
        expect: {equals: OK}
      - probe: GET lesson:solution
        expect: {equals: "1"}
  - id: two
    title: Two
    task: The learner skips to here.
    solution:
      - SET lesson:two 2
    checks:
      - probe: GET lesson:two
        expect: {equals: "2"}
"#;
    let lesson = lesson_yaml("hostile", steps).replace(
        "steps:\n",
        "fixtures: [data.redis]\nsetup:\n  - SET lesson:setup 1\nsteps:\n",
    );
    let dir = pack(&[
        ("hostile.yaml", &lesson),
        (
            "fixtures/data.redis",
            "SET lesson:fixture 1\nHSET lesson:h a 1\n",
        ),
    ]);
    let data = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    // Probes that write are refused by the lint before anything is sent (the same rule refuses
    // them again when a check runs).
    let output = redis_lab(data.path(), &["lesson", "hostile", "--auto", "--url", &url])
        .arg("--lessons")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the probe SHUTDOWN is not read-only")
            && stderr.contains("the probe FLUSHALL is not read-only"),
        "{stderr}"
    );
    assert_eq!(whole_server(port), before, "{stderr}");
    // So are commands that would end the lesson on any server (a SHUTDOWN, a CLIENT KILL of its
    // own connections).
    assert!(
        stderr.contains("SHUTDOWN stops the server")
            && stderr.contains("closes the lesson's own connections"),
        "{stderr}"
    );
    // The rest runs, and every command that would reach outside is refused as it comes (a
    // SHUTDOWN ABORT and a CLIENT KILL by user pass the lint, and are refused on --url).
    let lesson = lesson
        .replace(
            "      - probe: SHUTDOWN NOSAVE\n        expect: {equals: OK}\n      - probe: FLUSHALL\n        expect: {equals: OK}\n",
            "",
        )
        .replace("      - SHUTDOWN NOSAVE\n", "      - SHUTDOWN ABORT\n")
        .replace(
            "      - CLIENT KILL TYPE normal\n",
            "      - CLIENT KILL USER default\n",
        );
    std::fs::write(dir.path().join("hostile.yaml"), &lesson).unwrap();
    let output = redis_lab(data.path(), &["lesson", "hostile", "--auto", "--url", &url])
        .arg("--lessons")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
    for refused in [
        "SELECT",
        "SWAPDB",
        "MOVE",
        "CLIENT KILL",
        "FLUSHALL",
        "FLUSHDB",
        "SHUTDOWN",
        "CONFIG SET",
    ] {
        assert!(
            text.contains(refused),
            "{refused} is named as refused: {text}"
        );
    }
    assert!(
        text.contains("Removed the 6 keys"),
        "it says what it cleaned up: {text}"
    );
    assert_eq!(whole_server(port), before, "{text}");

    // A setup command that would reach outside ends the lesson, saying why.
    let with_setup = lesson.replace(
        "  - SET lesson:setup 1\n",
        "  - SET lesson:setup 1\n  - FUNCTION DELETE theirs\n",
    );
    std::fs::write(dir.path().join("hostile.yaml"), with_setup).unwrap();
    let output = redis_lab(data.path(), &["lesson", "hostile", "--auto", "--url", &url])
        .arg("--lessons")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("setup cannot run here: FUNCTION DELETE is refused"),
        "{stderr}"
    );
    std::fs::write(dir.path().join("hostile.yaml"), &lesson).unwrap();

    // A fixture line that would reach outside stops the lesson before anything is sent.
    std::fs::write(
        dir.path().join("fixtures/data.redis"),
        "SET lesson:x 1\nFLUSHALL\n",
    )
    .unwrap();
    let output = redis_lab(data.path(), &["lesson", "hostile", "--auto", "--url", &url])
        .arg("--lessons")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FLUSHALL is refused"));
    assert_eq!(whole_server(port), before);
}

/// Runs redis-lab and fails the test if it has not ended within `limit` (it is killed then).
fn output_within(mut command: Command, limit: Duration) -> std::process::Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(limit) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // SAFETY: a signal to the redis-lab this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("redis-lab did not end within {limit:?}: it hangs");
        }
    }
}

#[test]
fn a_fifo_or_a_huge_file_as_a_fixture_is_refused_without_hanging_or_reading_it() {
    require_redis();
    let steps = "  - id: one\n    title: One\n    task: t\n    solution: [SET a 1]\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n";
    let lesson = lesson_yaml("fed", steps).replace("steps:\n", "fixtures: [feed.redis]\nsteps:\n");
    let data = tempfile::tempdir().unwrap();
    for kind in ["fifo", "huge"] {
        let dir = pack(&[("fed.yaml", &lesson)]);
        let fixture = dir.path().join("fixtures/feed.redis");
        std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
        if kind == "fifo" {
            let status = Command::new("mkfifo").arg(&fixture).status().unwrap();
            assert!(status.success());
        } else {
            // 1 GiB that takes no disk: reading it whole would take a gigabyte of memory.
            std::fs::File::create(&fixture)
                .unwrap()
                .set_len(1 << 30)
                .unwrap();
        }
        let expected = if kind == "fifo" {
            "not a regular file"
        } else {
            "more than the 64 MiB"
        };
        let mut check = redis_lab(data.path(), &["check", "--offline"]);
        check.arg(dir.path());
        let output = output_within(check, Duration::from_secs(20));
        let stdout = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{kind}: {stdout}");
        assert!(
            stdout.contains(expected) && stdout.contains("fed.yaml:"),
            "{kind}: {stdout}"
        );
        let mut lesson_run = redis_lab(data.path(), &["lesson", "fed", "--auto", "--lessons"]);
        lesson_run.arg(dir.path());
        let output = output_within(lesson_run, Duration::from_secs(20));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{kind}: {stderr}");
        assert!(stderr.contains(expected), "{kind}: {stderr}");
    }
}

#[test]
fn a_password_in_a_unix_socket_url_never_shows() {
    let binary = require_redis();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("r.sock");
    // Killed on drop, so a failing assertion does not leave the server running.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Killed(
        Command::new(binary)
            .args([
                "--port",
                "0",
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                "s3cret",
            ])
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let data = tempfile::tempdir().unwrap();
    let good = format!("unix://{}?pass=s3cret", socket.display());
    let bad = format!("redis+unix://{}?pass=wr0ng-s3cret", socket.display());
    for (args, code) in [
        (vec!["repl", "--url", &good, "PING"], 0),
        (
            vec!["lesson", "strings-counters", "--auto", "--url", &good],
            0,
        ),
        (vec!["repl", "--url", &bad, "PING"], 2),
        (
            vec!["lesson", "strings-counters", "--auto", "--url", &bad],
            2,
        ),
    ] {
        let output = redis_lab(data.path(), &args).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(
            !text.contains("s3cret"),
            "{args:?} printed the password: {text}"
        );
        assert_eq!(output.status.code(), Some(code), "{args:?}: {text}");
        if args[0] == "lesson" && code == 0 {
            assert!(
                text.contains("pass=****"),
                "the server is still named: {text}"
            );
        }
    }
}

#[test]
fn a_server_that_says_no_is_not_reported_as_a_lost_connection() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let port = server.port();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("pw")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("limited")
        .arg("on")
        .arg(">x")
        .arg("~*")
        .arg("+get")
        .query(&mut con)
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (format!("redis://127.0.0.1:{port}"), "refused: NOAUTH"),
        (
            format!("redis://limited:x@127.0.0.1:{port}"),
            "refused: NOPERM",
        ),
    ] {
        let output = redis_lab(
            data.path(),
            &["lesson", "strings-counters", "--auto", "--url", &url],
        )
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            !stderr.contains("lost"),
            "a refusal is not a lost connection: {stderr}"
        );
    }
}

#[test]
fn ctrl_c_interrupts_an_endless_script_in_a_lesson_and_script_kill_ends_it() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let mut p = pty(redis_lab(data.path(), &["lesson", "lua-scripting"]));
    p.exp_string("lua-scripting 1/8 app>").unwrap();
    p.send_line("EVAL \"while true do end\" 0").unwrap();
    // After a few seconds without an answer, the learner is told what may be happening.
    p.exp_string("the server may be paused or busy in a script")
        .unwrap();
    p.send_control('c').unwrap();
    p.exp_string("The script still runs on the server: type SCRIPT KILL")
        .unwrap();
    p.exp_string("lua-scripting 1/8 app>").unwrap();
    p.send_line("SCRIPT KILL").unwrap();
    p.exp_string("OK").unwrap();
    p.send_line("EVAL \"return redis.call('INCRBY', KEYS[1], ARGV[1])\" 1 quota:ana 3")
        .unwrap();
    p.exp_string("lua-scripting 2/8").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_eof().unwrap();
}

/// `--auto` on a server that stops answering (SIGSTOP) mid-lesson says so on stderr within a few
/// seconds instead of printing nothing until the bound.
#[test]
fn auto_on_a_frozen_server_says_what_is_happening() {
    let recorder = Recorder::new();
    let steps = "  - id: one\n    title: One\n    explain: Set a key.\n    run:\n      - wait_ms: 2000\n    task: Set a to 1.\n    solution:\n      - SET a 1\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n        label: a is 1\n";
    let dir = pack(&[("frozen.yaml", &lesson_yaml("frozen", steps))]);
    let data = tempfile::tempdir().unwrap();
    let mut child = recorder
        .command(
            data.path(),
            &[
                "lesson",
                "frozen",
                "--auto",
                "--lessons",
                dir.path().to_str().unwrap(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = recorder.wait_for_server();
    // SAFETY: a signal to the sandbox this test's redis-lab started.
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
    }
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = String::new();
    while !text.contains("the server may be paused or busy in a script")
        && Instant::now() < deadline
    {
        if let Ok(t) = rx.recv_timeout(Duration::from_millis(200)) {
            text = t;
        }
    }
    // SAFETY: as above; then end redis-lab (its sandbox goes with it).
    unsafe {
        libc::kill(pid, libc::SIGCONT);
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    assert!(
        text.contains("no answer from") && text.contains("Ctrl-C stops waiting"),
        "no notice on stderr: {text:?}"
    );
    recorder.assert_none_running();
}

/// A learner typing to a node the lesson froze is told, after a few seconds, that the lesson
/// froze it; Ctrl-C gets the prompt back.
#[test]
fn a_command_to_a_node_the_lesson_froze_names_the_lesson_as_the_cause() {
    require_redis();
    let steps = "  - id: one\n    title: One\n    on: replica\n    explain: The replica is frozen.\n    run:\n      - fault: {pause: replica}\n    task: Read a from the replica.\n    solution:\n      - GET a\n    checks:\n      - probe: PING\n        on: master\n        expect: {equals: PONG}\n        label: the master answers\n";
    let yaml = lesson_yaml("frozen-node", steps).replace(
        "summary: A test lesson.\n",
        "summary: A test lesson.\nrequires:\n  topology: replica\n  sandbox: true\n",
    );
    let dir = pack(&[("frozen-node.yaml", &yaml)]);
    let data = tempfile::tempdir().unwrap();
    let mut p = pty(redis_lab(
        data.path(),
        &[
            "lesson",
            "frozen-node",
            "--lessons",
            dir.path().to_str().unwrap(),
        ],
    ));
    p.exp_string("replica is frozen (SIGSTOP)").unwrap();
    p.exp_string("frozen-node 1/1").unwrap();
    p.send_line("GET a").unwrap();
    p.exp_string("replica is frozen by this lesson (SIGSTOP)")
        .unwrap();
    p.send_control('c').unwrap();
    p.exp_string("(interrupted: `GET a` had no answer yet; the server may still run it")
        .unwrap();
    p.exp_string("frozen-node 1/1").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_eof().unwrap();
}

/// Reads one RESP command (an array of bulk strings) from `stream`; None at end of input.
fn read_command(reader: &mut impl std::io::BufRead) -> Option<Vec<Vec<u8>>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut arg = vec![0u8; len + 2];
        reader.read_exact(&mut arg).ok()?;
        arg.truncate(len);
        args.push(arg);
    }
    Some(args)
}

/// A server that speaks enough RESP to be taken for Redis, and answers GET with `get_answer`,
/// then closes the connection.
fn scripted_server(get_answer: &'static [u8]) -> u16 {
    scripted_server_in_parts(Box::leak(Box::new([get_answer])))
}

/// The same, sending the answer to GET in parts with a pause between them (longer than the
/// REPL's first wait), so the reply is read as a slow one.
fn scripted_server_in_parts(parts: &'static [&'static [u8]]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = std::io::BufReader::new(stream);
                while let Some(args) = read_command(&mut reader) {
                    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
                    let answer: &[u8] = match name.as_str() {
                        "GET" => {
                            for (i, part) in parts.iter().enumerate() {
                                if i > 0 {
                                    std::thread::sleep(Duration::from_millis(400));
                                }
                                let _ = writer.write_all(part);
                            }
                            return; // and close
                        }
                        "CLIENT" => b":7\r\n",
                        "PING" => b"+PONG\r\n",
                        "COMMAND" | "INFO" => b"*0\r\n",
                        _ => b"+OK\r\n",
                    };
                    if writer.write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// `repl CMD` whose reply is cut off, or is not RESP, fails (redis-cli exits 1 too) with one
/// line that says which, instead of exit 0 and "it reconnects on its next command".
#[test]
fn a_one_shot_command_whose_reply_is_cut_or_garbage_fails_with_one_clear_line() {
    let data = tempfile::tempdir().unwrap();
    for (answer, expected) in [
        (
            &b"$10\r\nabc"[..],
            "the server closed the connection before its reply was complete",
        ),
        (
            &b"?what\r\n"[..],
            "the server's answer is not in the Redis protocol",
        ),
        // A hostile server: a 931 GiB string it never sends (this grew redis-lab by 1.3 GB/s
        // until an allocation abort), or an array as long.
        (
            &b"$999999999999\r\nxxxx"[..],
            "the server sent a string of 931 GiB; redis-lab reads at most 512 MiB",
        ),
        (&b"*999999999999\r\n"[..], "redis-lab reads at most"),
    ] {
        check_one_shot(scripted_server(answer), expected, &data);
    }
    // The same reply cut off, arriving slowly: it was printed on stdout as the server's error,
    // with exit 0.
    check_one_shot(
        scripted_server_in_parts(&[b"$10\r\nabc", b"de"]),
        "the server closed the connection before its reply was complete",
        &data,
    );
}

fn check_one_shot(port: u16, expected: &str, data: &tempfile::TempDir) {
    let url = format!("redis://127.0.0.1:{port}");
    let output = redis_lab(data.path(), &["repl", "--url", &url, "GET", "k"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("reconnects"), "{stderr}");
    assert!(stdout.trim().is_empty(), "{stdout}");
}

/// `REDIS_LAB_DATA_DIR=` (set but empty) is unset, not the current directory.
#[test]
fn an_empty_data_dir_variable_does_not_mean_the_current_directory() {
    require_redis();
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["lesson", "strings-counters"])
        .current_dir(cwd.path())
        .env("REDIS_LAB_DATA_DIR", "")
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(b":skip\n:quit\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "written into the current directory: {left:?}"
    );
    assert!(
        home.path()
            .join(".local/share/redis-lab/progress.json")
            .exists(),
        "progress goes to the default data dir"
    );
}
