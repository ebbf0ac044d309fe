//! The REPL against the real redis-cli: the same input gives byte-identical output, in raw mode
//! (stdout not a terminal) and in terminal mode (FAKETTY), on RESP2 and RESP3 replies.

use crate::common::*;
use redis_lab::server::sandbox::{Sandbox, SandboxOptions};
use std::io::Write;
use std::process::{Command, Stdio};

const CORPUS: &str = include_str!("corpus/replies.txt");

fn redis_cli() -> std::path::PathBuf {
    let server = require_redis();
    let cli = server.with_file_name("redis-cli");
    assert!(
        cli.exists(),
        "redis-cli is installed with redis-server (package redis-tools)"
    );
    cli
}

fn feed(mut command: Command, input: &str) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap().stdout
}

/// A connection id inside HELLO's reply depends on how many connections the server has seen.
fn normalize(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let re =
        regex::Regex::new(r#"(?m)^(id |id\n|.*"id" => \(integer\) |.*"id"\n.*\(integer\) )\d+$"#)
            .unwrap();
    re.replace_all(&text, "${1}N").into_owned()
}

fn ours(port: u16, extra: &[&str], input: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args([
        "repl",
        "--url",
        &format!("redis://127.0.0.1:{port}"),
        "--color",
        "never",
    ])
    .args(extra);
    normalize(&feed(cmd, input))
}

fn theirs(port: u16, fake_tty: bool, input: &str) -> String {
    let mut cmd = Command::new(redis_cli());
    cmd.args(["-p", &port.to_string()]);
    if fake_tty {
        cmd.env("FAKETTY", "1");
    }
    normalize(&feed(cmd, input))
}

fn fresh() -> Sandbox {
    Sandbox::start(&SandboxOptions::default()).unwrap()
}

fn assert_same(ours: &str, theirs: &str) {
    if ours != theirs {
        for (i, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
            assert_eq!(a, b, "first difference at output line {}", i + 1);
        }
        assert_eq!(
            ours.lines().count(),
            theirs.lines().count(),
            "different number of lines"
        );
        assert_eq!(ours, theirs);
    }
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(CORPUS.lines().count() >= 100);
}

#[test]
fn raw_output_is_byte_identical_to_redis_cli() {
    let (a, b) = (fresh(), fresh());
    assert_same(
        &ours(a.port(), &[], CORPUS),
        &theirs(b.port(), false, CORPUS),
    );
}

#[test]
fn terminal_output_is_byte_identical_to_redis_cli() {
    let (a, b) = (fresh(), fresh());
    assert_same(
        &ours(a.port(), &["--no-raw"], CORPUS),
        &theirs(b.port(), true, CORPUS),
    );
}

#[test]
fn one_command_from_the_arguments_like_redis_cli() {
    let server = fresh();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
            .args(["repl", "--url", &url])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&["SET", "k", "two words"]), "OK\n");
    assert_eq!(run(&["GET", "k"]), "two words\n");
    assert_eq!(run(&["--no-raw", "GET", "k"]), "\"two words\"\n");
}

#[test]
fn piped_commands_are_answered_as_they_arrive_not_at_the_end_of_input() {
    let server = fresh();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args([
            "repl",
            "--url",
            &format!("redis://127.0.0.1:{}", server.port()),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // Read replies on another thread, so a REPL that waits for more input fails the test
    // instead of hanging it.
    let (lines, replies) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut stdout, &mut line).is_ok_and(|n| n > 0) {
            let _ = lines.send(std::mem::take(&mut line));
        }
    });
    let wait = std::time::Duration::from_secs(10);
    for (command, expected) in [("SET k 1\n", "OK\n"), ("INCR k\n", "2\n")] {
        stdin.write_all(command.as_bytes()).unwrap();
        stdin.flush().unwrap();
        // stdin stays open: the reply must come without the end of input.
        assert_eq!(
            replies.recv_timeout(wait).as_deref(),
            Ok(expected),
            "{command}"
        );
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

mod terminal {
    use super::*;
    use rexpect::session::{PtySession, spawn_command};

    fn repl(url: &str, data: &std::path::Path) -> PtySession {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
        cmd.args(["repl", "--url", url])
            .env("REDIS_LAB_DATA_DIR", data)
            .env("NO_COLOR", "1")
            .env("TERM", "xterm");
        spawn_command(cmd, Some(15_000)).expect("spawn in a pty")
    }

    #[test]
    fn tab_completes_commands_and_keys_and_hints_show_the_syntax() {
        let server = fresh();
        let url = format!("redis://127.0.0.1:{}", server.port());
        let data = tempfile::tempdir().unwrap();
        let mut p = repl(&url, data.path());
        let prompt = format!("127.0.0.1:{}> ", server.port());
        p.exp_string(&prompt).unwrap();
        p.send_line("SET user:4242 ann").unwrap();
        p.exp_string("OK").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300)); // command docs load in the background
        p.send("STRL").unwrap();
        p.send("\t").unwrap();
        p.send(" user:42").unwrap();
        p.send("\t").unwrap();
        p.send_line("").unwrap();
        p.exp_string("(integer) 3").unwrap(); // STRLEN user:4242 -> "ann"
        p.exp_string(&prompt).unwrap(); // typing before the prompt is back would be discarded
        p.send("SET k v EX ").unwrap();
        p.flush().unwrap();
        p.exp_string("seconds").unwrap();
        p.send_control('u').unwrap();
        p.send_line("quit").unwrap();
        p.exp_eof().unwrap();
    }

    #[test]
    fn ctrl_c_leaves_blpop_and_subscribe_and_the_connection_still_works() {
        let server = fresh();
        let url = format!("redis://127.0.0.1:{}", server.port());
        let data = tempfile::tempdir().unwrap();
        let mut p = repl(&url, data.path());
        let prompt = format!("127.0.0.1:{}> ", server.port());
        p.exp_string(&prompt).unwrap();
        p.send_line("SELECT 3").unwrap();
        p.exp_string(&format!("127.0.0.1:{}[3]> ", server.port()))
            .unwrap();
        p.send_line("BLPOP nothing 0").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        p.send_control('c').unwrap();
        p.exp_string("(interrupted)").unwrap();
        p.send_line("SUBSCRIBE news").unwrap();
        p.exp_string("Reading messages").unwrap();
        let cli = Command::new(redis_cli())
            .args(["-p", &server.port().to_string(), "PUBLISH", "news", "hello"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), "1");
        p.exp_string("\"hello\"").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("(interrupted)").unwrap();
        // Back at the prompt on a fresh connection, still in database 3.
        p.send_line("SET back yes").unwrap();
        p.exp_string("OK").unwrap();
        let check = Command::new(redis_cli())
            .args(["-p", &server.port().to_string(), "-n", "3", "GET", "back"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "yes");
        p.send_line("quit").unwrap();
        p.exp_eof().unwrap();
    }

    #[test]
    fn secrets_never_reach_the_history_file() {
        let server = fresh();
        let url = format!("redis://127.0.0.1:{}", server.port());
        let data = tempfile::tempdir().unwrap();
        let mut p = repl(&url, data.path());
        let prompt = format!("127.0.0.1:{}> ", server.port());
        p.exp_string(&prompt).unwrap();
        // Wait for each reply, then the prompt: rustyline redraws the prompt while a line is
        // typed, so the prompt alone does not mean the command has run.
        for (line, reply) in [
            ("SET visible 1", "OK"),
            ("AUTH s3cret-one", "(error)"),
            ("CONFIG SET requirepass s3cret-two", "OK"),
            ("CONFIG SET requirepass \"\"", "OK"),
            (
                "HELLO 3 AUTH default s3cret-three",
                "\"proto\" => (integer) 3",
            ),
            ("2 AUTH s3cret-four", "(error)"),
            ("GET \"unterminated s3cret-five", "Invalid argument(s)"),
        ] {
            p.send_line(line).unwrap();
            p.exp_string(reply).unwrap();
            p.exp_string(&prompt).unwrap();
        }
        p.send_line("quit").unwrap();
        p.exp_eof().unwrap();
        let history = std::fs::read_to_string(data.path().join("repl_history")).unwrap();
        assert!(history.contains("SET visible 1"), "{history}");
        assert!(
            !history.contains("s3cret"),
            "a secret reached the history: {history}"
        );
    }
}

#[test]
fn repeated_commands_are_streamed_and_an_absurd_count_is_refused() {
    let server = fresh();
    // More repetitions than one batch: all of them run, in order, and their replies all come.
    let output = ours(server.port(), &[], "2500 INCR n\nGET n\n");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 2501, "{}", &output[..output.len().min(200)]);
    assert_eq!(lines[2499], "2500");
    assert_eq!(lines[2500], "2500");
    // 100,000,000 PINGs would take gigabytes before the first was sent: refused, and the next
    // line still runs.
    let output = ours(server.port(), &[], "100000000 PING\nGET n\n");
    assert!(
        output.starts_with("(error) a repeat count of 100000000 is over"),
        "{output}"
    );
    assert!(output.ends_with("2500\n"), "{output}");
}

#[test]
fn piped_subscribe_and_monitor_stream_until_interrupted_like_redis_cli() {
    let server = fresh();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let spawn = |program: &std::path::Path, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let ours_bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_redis-lab"));
    let port = server.port().to_string();
    let children = [
        spawn(&ours_bin, &["repl", "--url", &url, "SUBSCRIBE", "chan"]),
        spawn(&redis_cli(), &["-p", &port, "SUBSCRIBE", "chan"]),
        spawn(&ours_bin, &["repl", "--url", &url, "MONITOR"]),
    ];
    let mut publisher = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    // Wait until both subscribers and the monitor (flag O in CLIENT LIST) are there, then
    // publish.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("chan")
            .query(&mut publisher)
            .unwrap();
        let clients: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(&mut publisher)
            .unwrap();
        let monitoring = clients
            .lines()
            .any(|l| l.split_whitespace().any(|f| f == "flags=O"));
        if counts[0].1 == 2 && monitoring {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the subscribers never subscribed, or MONITOR never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for message in ["hello", "two words"] {
        let _: i64 = redis::cmd("PUBLISH")
            .arg("chan")
            .arg(message)
            .query(&mut publisher)
            .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outputs: Vec<String> = children
        .into_iter()
        .map(|child| {
            // SAFETY: SIGINT to a process this test started.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
        })
        .collect();
    assert!(
        outputs[0].contains("message\nchan\ntwo words\n"),
        "{}",
        outputs[0]
    );
    assert_eq!(outputs[0], outputs[1], "the same as redis-cli");
    assert!(
        outputs[2].contains("\"PUBLISH\" \"chan\" \"two words\""),
        "{}",
        outputs[2]
    );
}

/// Replies streamed into the output as they are read (issue 19): long lists, nested arrays with
/// empty ones and errors inside, strings of every byte, RESP3 maps and sets, more commands than
/// one batch, in both formats, byte for byte what redis-cli prints.
const BIG_AND_NESTED: &str = r#"EVAL "for i=1,2000 do redis.call('RPUSH','l','e'..i) end return redis.call('LLEN','l')" 0
LRANGE l 0 -1
EVAL "local t={} for i=1,300 do t[i]={i,'v'..i,{},{{i}}} end return t" 0
EVAL "return {1,{2,{3,{}}},redis.error_reply('ERR nested'),redis.status_reply('FINE')}" 0
EVAL "for i=1,120 do redis.call('HSET','h','f'..i,'v'..i) end return 1" 0
HGETALL h
SET s "\x00\xff\"\\ab\r\n"
300 APPEND s "0123456789\x1b[2J"
GET s
1500 LRANGE l 0 2
SADD small 3 1 2
HELLO 3
HGETALL h
SMEMBERS small
EVAL "redis.setresp(3); return {map={a={1,2},b={}}}" 0
LRANGE l 1990 -1
"#;

#[test]
fn big_and_nested_piped_replies_are_byte_identical_to_redis_cli_in_both_formats() {
    for (extra, fake_tty) in [(&[][..], false), (&["--no-raw"][..], true)] {
        let (a, b) = (fresh(), fresh());
        let ours = ours(a.port(), extra, BIG_AND_NESTED);
        assert!(
            ours.lines().count() > 8000,
            "{}",
            &ours[..ours.len().min(300)]
        );
        assert_same(&ours, &theirs(b.port(), fake_tty, BIG_AND_NESTED));
    }
}

/// A connection the server closes mid-pipe: the replies before it, then one error (exit 2).
#[test]
fn a_connection_dropped_in_a_pipe_is_reported_after_the_replies_before_it() {
    let server = fresh();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(["repl", "--url", &server.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SET a 1\nCLIENT KILL SKIPME no TYPE normal\nGET a\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "OK\n1\n");
    assert!(
        stderr.contains("was lost: the server closed the connection"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// `redis-lab repl < commands | head -1`: the reader goes away, redis-lab ends quietly (exit 0,
/// nothing on stderr) instead of sending the rest.
#[test]
fn a_closed_stdout_ends_a_pipe_quietly() {
    let server = fresh();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["repl", "--url", &server.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"INCR n\n").unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert_eq!(first, "1\n");
    drop(stdout);
    // Lines keep coming; their replies have nowhere to go.
    let _ = stdin.write_all("INCR n\n".repeat(50_000).as_bytes());
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
}
