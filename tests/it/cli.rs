//! The command line as a user meets it: exit codes, messages, progress across runs.

use crate::common::*;
use assert_cmd::Command;
use predicates::prelude::*;

fn redis_lab(data: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("redis-lab").unwrap();
    cmd.env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LAB_LESSONS")
        .env_remove("REDIS_LAB_REDIS_SERVER");
    cmd
}

#[test]
fn list_needs_no_server_and_shows_every_lesson() {
    let data = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .args(["list", "--json"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(output.status.success());
    let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    for id in ["strings-counters", "key-expiry", "leaderboard"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert!(items.iter().all(|i| i["status"] == "not started"));
    redis_lab(&data)
        .env("PATH", "/nonexistent")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("data-structures")
                .and(predicate::str::contains("leaderboard")),
        );
}

#[test]
fn an_unknown_lesson_suggests_the_nearest_id() {
    let data = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["lesson", "leaderbord"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `leaderboard`?"));
}

#[test]
fn a_missing_redis_server_says_how_to_install_it() {
    let data = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["lesson", "leaderboard", "--auto"])
        .env("PATH", empty.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("apt-get install redis-server")
                .and(predicate::str::contains("brew install redis")),
        );
}

#[test]
fn an_unreachable_server_is_one_clear_line_without_the_password() {
    let data = tempfile::tempdir().unwrap();
    let port = redis_lab::server::sandbox::free_port().unwrap();
    let output = redis_lab(&data)
        .args([
            "lesson",
            "leaderboard",
            "--url",
            &format!("redis://alice:s3cret@127.0.0.1:{port}"),
        ])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect to redis://alice:****@127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "password leaked: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn auto_mode_passes_and_exits_zero() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["lesson", "key-expiry", "--auto"])
        .assert()
        .success()
        .stdout(predicate::str::contains("All 7 steps passed."));
}

#[test]
fn auto_mode_exits_one_when_a_step_fails() {
    require_redis();
    let broken = lesson_yaml(
        "wrong-answer",
        "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n",
    );
    let dir = pack(&[("wrong-answer.yaml", &broken)]);
    let data = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["lesson", "wrong-answer", "--auto", "--lessons"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 of 1 steps failed"));
}

#[test]
fn progress_is_saved_on_quit_and_resumed_on_the_next_run() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["lesson", "leaderboard"])
        .write_stdin("ZADD leaderboard 4200 rookie_rita\n:quit\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Step complete")
                .and(predicate::str::contains("Progress saved at step 2 of 7")),
        );
    redis_lab(&data)
        .args(["lesson", "leaderboard"])
        .write_stdin(":quit\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Resuming at step 2 of 7").and(predicate::str::contains(
                "Step 2/7 Points for a finished game",
            )),
        );
    redis_lab(&data)
        .args(["list", "--json"])
        .assert()
        .stdout(predicate::str::contains("step 2 of 7"));
    redis_lab(&data)
        .args(["lesson", "leaderboard", "--restart"])
        .write_stdin(":quit\n")
        .assert()
        .stdout(predicate::str::contains("Step 1/7"));
}

#[test]
fn a_binary_file_is_reported_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("image.yaml"),
        [0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, 0],
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .arg("list")
        .arg("--lessons")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "a broken file does not stop the catalog"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("image.yaml") && stderr.contains("not UTF-8"),
        "{stderr}"
    );
}

/// Error messages for broken lesson files, pinned as snapshots: file, line, column, the line.
#[test]
fn broken_lesson_files_are_reported_precisely() {
    let good = lesson_yaml(
        "demo",
        "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n",
    );
    let cases = [
        (
            "misspelt-field",
            good.replace("    solution:", "    solutoin:"),
        ),
        ("unknown-matcher", good.replace("{equals: 1}", "{equal: 1}")),
        (
            "duplicate-key",
            good.replace("title: Test demo\n", "title: Test demo\ntitle: again\n"),
        ),
        ("tab-indent", good.replace("    title: One", "\ttitle: One")),
        ("wrong-type", good.replace("format: 1", "format: one")),
        (
            "missing-field",
            good.replace("summary: A test lesson.\n", ""),
        ),
        ("bad-quotes", good.replace("[SET k 1]", "['SET k \"1']")),
        (
            "unterminated-string",
            good.replace("title: One", "title: \"One"),
        ),
        ("empty-file", String::new()),
        (
            "escaping-fixture",
            good.replace("steps:", "fixtures: [../../etc/passwd]\nsteps:"),
        ),
        (
            "bad-indentation",
            good.replace("    title: One", "      title: One"),
        ),
        (
            "deeply-nested",
            good.replace(
                "hints: [h]",
                &format!("hints: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
            ),
        ),
        (
            "huge-file",
            format!("{good}# {}\n", "x".repeat(2 * 1024 * 1024)),
        ),
    ];
    for (name, text) in cases {
        let dir = pack(&[("demo.yaml", &text)]);
        let data = tempfile::tempdir().unwrap();
        let output = redis_lab(&data)
            .arg("list")
            .arg("--lessons")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr)
            .replace(&dir.path().display().to_string(), "PACK");
        insta::assert_snapshot!(name, stderr);
    }
}

/// Runs redis-lab with `args` and fails the test if it has not finished within `limit` (it is
/// killed first): what a FIFO fixture did before it was refused was hang forever.
fn run_within(
    data: &tempfile::TempDir,
    args: &[&str],
    limit: std::time::Duration,
) -> (Option<i32>, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(args)
        .env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LAB_LESSONS")
        .env_remove("REDIS_LAB_REDIS_SERVER")
        .stdin(std::process::Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "redis-lab {args:?} still running after {limit:?}: killed. Output so far:\n{}{}",
                std::fs::read_to_string(out.path()).unwrap_or_default(),
                std::fs::read_to_string(err.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(out.path()).unwrap(),
        std::fs::read_to_string(err.path()).unwrap()
    );
    (status.code(), text)
}

/// A pack whose lesson `id` loads `fixture` from its fixtures/ folder.
fn pack_with_fixture(id: &str, fixture: &str) -> tempfile::TempDir {
    let step = "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n";
    let lesson = lesson_yaml(id, step).replace("steps:", &format!("fixtures: [{fixture}]\nsteps:"));
    pack(&[
        (&format!("{id}.yaml"), &lesson),
        ("fixtures/ok.redis", "SET a 1\n"),
    ])
}

const BOUND: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn a_fifo_fixture_or_lesson_file_is_refused_and_never_waited_on() {
    let dir = pack_with_fixture("piped", "pipe.redis");
    let fifo = dir.path().join("fixtures/pipe.redis");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let folder = dir.path().display().to_string();
    let data = tempfile::tempdir().unwrap();

    let (code, text) = run_within(&data, &["check", "--offline", &folder], BOUND);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("fixture \"pipe.redis\" is a FIFO (named pipe), not a regular file; refused"),
        "{text}"
    );
    assert!(text.contains("piped.yaml:7:"), "the fixture's line: {text}");

    require_redis();
    let (code, text) = run_within(
        &data,
        &["lesson", "piped", "--auto", "--lessons", &folder],
        BOUND,
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("is a FIFO (named pipe)"), "{text}");

    // A lesson file that is a FIFO is refused the same way, and the others still load.
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(dir.path().join("evil.yaml"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    let (code, text) = run_within(&data, &["list", "--lessons", &folder], BOUND);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("evil.yaml") && text.contains("a FIFO (named pipe), not a regular file"),
        "{text}"
    );
    assert!(text.contains("piped"), "{text}");
}

#[test]
fn a_fixture_over_the_size_limit_is_refused_by_its_size_unread() {
    let dir = pack_with_fixture("sparse", "huge.redis");
    // 1 GiB of nothing: a hole, not data on disk. Reading it whole would take a gigabyte.
    std::fs::File::create(dir.path().join("fixtures/huge.redis"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let folder = dir.path().display().to_string();
    let data = tempfile::tempdir().unwrap();
    let refused = "fixture \"huge.redis\" is 1073741824 bytes, more than the 64 MiB (67108864 bytes) allowed; refused";

    let (code, text) = run_within(&data, &["check", "--offline", &folder], BOUND);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(refused), "{text}");
    assert!(
        text.contains("sparse.yaml:7:"),
        "the fixture's line: {text}"
    );

    require_redis();
    let (code, text) = run_within(
        &data,
        &["lesson", "sparse", "--auto", "--lessons", &folder],
        BOUND,
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(refused), "{text}");
}

/// A redis-server reachable only by a unix socket, with a password: no TCP port at all.
struct SocketServer {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl SocketServer {
    fn start(password: &str) -> SocketServer {
        let binary = require_redis();
        // Socket paths are limited to about 100 bytes: keep it short, under /tmp.
        let dir = tempfile::Builder::new()
            .prefix("rl-sock")
            .tempdir_in("/tmp")
            .unwrap();
        let child = std::process::Command::new(binary)
            .arg("--port")
            .arg("0")
            .arg("--unixsocket")
            .arg(dir.path().join("r.sock"))
            .args(["--unixsocketperm", "700", "--requirepass", password])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = SocketServer { child, dir };
        let url = format!("{}?pass={password}", server.url());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let ping = redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if ping.is_ok() {
                return server;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server on a unix socket never answered: {ping:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// `unix:///tmp/rl-sockXXXX/r.sock`, without a password.
    fn url(&self) -> String {
        format!("unix://{}", self.dir.path().join("r.sock").display())
    }
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_unix_socket_password_never_shows_in_output_or_errors() {
    let server = SocketServer::start("s3cret");
    let data = tempfile::tempdir().unwrap();
    let base = server.url();
    let timeout = std::time::Duration::from_secs(30);

    for url in [
        format!("{base}?pass=s3cret"),
        format!("redis+unix://{}?user=default&pass=s3cret", &base[7..]),
    ] {
        let output = redis_lab(&data)
            .args(["repl", "--url", &url, "PING"])
            .timeout(timeout)
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{url}: {text}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "PONG\n", "{text}");
        assert!(!text.contains("s3cret"), "{url}: {text}");
    }

    // The lesson's Server: line and the database it chose both name the server.
    let output = redis_lab(&data)
        .args(["lesson", "strings-counters", "--auto", "--url"])
        .arg(format!("{base}?pass=s3cret"))
        .timeout(timeout)
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(&format!("Server: {base}?pass=****")),
        "{text}"
    );
    assert!(text.contains("Running in database 0 of"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");

    // A wrong password, one redis-rs does not read (`password=`: the server says NOAUTH), a URL
    // that does not parse, and a socket that is not there: each fails without the password.
    for (url, expected) in [
        (
            format!("{base}?pass=wrong-s3cret"),
            "Password authentication failed",
        ),
        (format!("{base}?db=0&password=s3cret"), "NOAUTH"),
        ("unix://?pass=s3cret".to_string(), "invalid server URL"),
        (
            format!(
                "unix://{}/gone.sock?pass=s3cret",
                server.dir.path().display()
            ),
            "cannot connect to",
        ),
    ] {
        for args in [
            vec!["repl", "--url", &url, "PING"],
            vec!["lesson", "strings-counters", "--auto", "--url", &url],
        ] {
            let output = redis_lab(&data)
                .args(&args)
                .timeout(timeout)
                .output()
                .unwrap();
            let text = all_output(&output);
            assert!(text.contains(expected), "{args:?}: {text}");
            assert!(!text.contains("s3cret"), "{args:?}: {text}");
        }
    }
}

/// The interactive REPL on a unix socket: its banner, its prompt and its history file.
#[test]
fn the_interactive_repl_shows_no_socket_password_and_keeps_secrets_out_of_history() {
    let server = SocketServer::start("s3cret");
    let data = tempfile::tempdir().unwrap();
    let base = server.url();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(["repl", "--url", &format!("{base}?pass=s3cret")])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("REDIS_URL");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    // Everything the terminal showed, matched parts included.
    let mut seen = String::new();
    let mut expect = |p: &mut rexpect::session::PtySession, text: &str| {
        seen += &p.exp_string(text).unwrap();
        seen += text;
    };
    expect(&mut p, &format!("Connected to {base}?pass=****."));
    let prompt = format!("{}> ", &base[7..]);
    expect(&mut p, &prompt);
    // Each line waits for its own reply: the prompt itself is redrawn as a line is typed.
    for (line, reply) in [
        (":explain AUTH s3cret", "What happened: AUTH"),
        ("3 AUTH default s3cret", "OK"),
        ("CONFIG SET tls-key-file-pass s3cret", "OK"),
        ("PING", "PONG"),
    ] {
        p.send_line(line).unwrap();
        expect(&mut p, reply);
        expect(&mut p, &prompt);
    }
    p.send_line("quit").unwrap();
    let rest = p.exp_eof().unwrap();
    seen += &rest;
    // The terminal echoes what was typed; nothing else may show the password, and :explain
    // names the command without it.
    assert!(seen.contains("What happened: AUTH ****"), "{seen}");
    assert!(!seen.contains("What happened: AUTH s3cret"), "{seen}");
    let typed_only = seen.replace(" s3cret", "");
    assert!(!typed_only.contains("s3cret"), "{seen}");
    let history = std::fs::read_to_string(data.path().join("repl_history")).unwrap();
    assert!(history.contains("PING"), "{history}");
    assert!(!history.contains("s3cret"), "{history}");
}

/// What bash completion offers for the last of `words`, from `redis-lab completions bash`.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let harness = r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_redis__lab redis-lab "${COMP_WORDS[$COMP_CWORD]}" "${COMP_WORDS[$((COMP_CWORD-1))]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(harness)
        .arg("harness")
        .arg(script)
        .args(words)
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_options_lesson_ids_of_every_pack_and_topologies() {
    let data = tempfile::tempdir().unwrap();
    let pack = pack(&[(
        "patterns/my-own.yaml",
        &lesson_yaml(
            "my-own",
            "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n",
        ),
    )]);
    let output = redis_lab(&data)
        .args(["completions", "bash", "--lessons"])
        .arg(pack.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("redis-lab.bash");
    std::fs::write(&script, &output.stdout).unwrap();

    let lessons = bash_completes(&script, &["redis-lab", "lesson", "str"]);
    assert!(
        lessons.contains(&"strings-counters".to_string()),
        "{lessons:?}"
    );
    let own = bash_completes(&script, &["redis-lab", "lesson", "my"]);
    assert!(own.iter().any(|id| id.ends_with("my-own")), "{own:?}");
    let options = bash_completes(&script, &["redis-lab", "lesson", "leaderboard", "--re"]);
    assert!(options.contains(&"--restart".to_string()), "{options:?}");
    let topologies = bash_completes(&script, &["redis-lab", "sandbox", "up", "s"]);
    assert_eq!(topologies, ["sentinel"]);
    let subcommands = bash_completes(&script, &["redis-lab", "le"]);
    assert_eq!(subcommands, ["lesson"]);
    // Parsing still takes any id, so an unknown one gets a suggestion, not clap's list.
    let unknown = redis_lab(&data)
        .args(["lesson", "strings-counter"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("did you mean `strings-counters`"),
        "{unknown:?}"
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_subcommand() {
    use clap::CommandFactory;
    let data = tempfile::tempdir().unwrap();
    for shell in ["zsh", "fish"] {
        let output = redis_lab(&data)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let script = String::from_utf8_lossy(&output.stdout);
        for sub in redis_lab::cli::Cli::command().get_subcommands() {
            assert!(
                script.contains(sub.get_name()),
                "{shell}: {}",
                sub.get_name()
            );
        }
    }
}

/// The man pages come from the clap definitions: every subcommand has a page, and every option
/// of a command is on its page.
#[test]
fn the_man_pages_match_the_command_line() {
    use clap::CommandFactory;
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    fn check(command: &clap::Command, prefix: &str, dir: &std::path::Path) {
        let name = format!("{prefix}{}", command.get_name());
        let page = std::fs::read_to_string(dir.join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("no page for {name}: {e}"));
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(page.contains(&roff), "{name}.1 lacks --{long}");
            }
        }
        for sub in command.get_subcommands() {
            check(sub, &format!("{name}-"), dir);
        }
    }
    check(&redis_lab::cli::Cli::command(), "", dir.path());
    let single = redis_lab(&data).arg("man").output().unwrap();
    assert!(
        String::from_utf8_lossy(&single.stdout).starts_with(".ie"),
        "{single:?}"
    );
}

/// A `valkey-server` (here a stand-in that reports 7.4.1 and runs the real redis-server) in a
/// folder of its own, for PATH.
fn fake_valkey_dir() -> tempfile::TempDir {
    let real = require_redis();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("valkey-server");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 'Valkey server v=7.4.1 sha=0 malloc=libc'; exit 0; }}\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn without_redis_server_on_path_a_valkey_server_is_used_and_named() {
    let data = tempfile::tempdir().unwrap();
    let valkey = fake_valkey_dir();
    let output = redis_lab(&data)
        .args(["lesson", "strings-counters", "--auto"])
        .env("PATH", valkey.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("(valkey-server)"), "{stdout}");

    let none = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .args(["repl", "PING"])
        .env("PATH", none.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("nor valkey-server or redis-stack-server"),
        "{stderr}"
    );
}

#[test]
fn a_step_that_needs_a_newer_server_names_the_one_on_path() {
    let data = tempfile::tempdir().unwrap();
    let valkey = fake_valkey_dir();
    let path = format!(
        "{}:{}",
        valkey.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // A version requirement (the built-ins ask for commands instead: `requires.commands`).
    let lesson = lesson_yaml(
        "newer",
        "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: [h]\n    solution: [SET k v]\n    checks:\n      - probe: GET k\n        expect: {equals: v}\n  - id: two\n    title: Two\n    explain: x\n    requires: {redis: \">=7.4\"}\n    task: t\n    hints: [h]\n    solution: [SET j v]\n    checks:\n      - probe: GET j\n        expect: {equals: v}\n",
    );
    let dir = pack(&[("newer.yaml", &lesson)]);
    let output = redis_lab(&data)
        .args(["check", "--run", "--json"])
        .arg(dir.path().join("newer.yaml"))
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = format!(
        "valkey-server on your PATH is 7.4.1: pass --redis-server {}",
        valkey.path().join("valkey-server").display()
    );
    // Only a server older than 7.4 skips the step (CI has 7.0.15).
    assert!(
        !stdout.contains("needs Redis >=7.4") || stdout.contains(&expected),
        "{stdout}"
    );
}

/// doctor on a machine without python3 and with only a valkey-server on PATH.
#[test]
fn doctor_says_what_the_machine_has_in_json() {
    let data = tempfile::tempdir().unwrap();
    let valkey = fake_valkey_dir();
    let output = redis_lab(&data)
        .args(["doctor", "--json"])
        .env("PATH", valkey.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["server"]["path"].as_str(),
        valkey.path().join("valkey-server").to_str()
    );
    assert!(report["server"]["redis_version"].is_string(), "{report}");
    assert_eq!(report["python"]["found"], false, "{report}");
    let lessons = report["lessons"].as_array().unwrap();
    assert!(lessons.len() >= 40, "{report}");
    assert!(
        lessons
            .iter()
            .any(|l| l["id"] == "strings-counters" && l["runs"] == true)
    );
    // Without modules, the Bloom filter lesson is skipped, with how to get it.
    let bloom = lessons.iter().find(|l| l["id"] == "bloom-filter").unwrap();
    assert_eq!(bloom["runs"], false);
    assert!(
        bloom["skipped_because"]
            .as_str()
            .unwrap()
            .contains("--load-module"),
        "{bloom}"
    );
    assert_eq!(
        report["data"]["dir"].as_str(),
        data.path().to_str(),
        "{report}"
    );
}
