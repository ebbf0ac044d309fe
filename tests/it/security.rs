//! Security review, as tests: passwords never leave the user's hands (output, errors, history),
//! the REPL's own helpers only read, and no control sequence from a lesson pack, a reply or a key
//! name reaches the terminal raw. (Lessons on a non-empty database are refused: see
//! tests/it/engine.rs; TLS: tests/it/tls.rs.)

use crate::common::*;
use redis_lab::repl::helper::ReplHelper;
use redis_lab::server::sandbox::{Sandbox, SandboxOptions};
use rexpect::session::spawn_command;
use rustyline::completion::Completer;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

const PASSWORD: &str = "s3cret-pw-4f9";

fn redis_lab(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(args)
        .env("REDIS_LAB_DATA_DIR", data)
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDISCLI_AUTH");
    cmd
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn protected_server() -> Sandbox {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(PASSWORD)
        .query(&mut admin)
        .unwrap();
    server
}

#[test]
fn passwords_never_appear_in_output_or_errors() {
    let server = protected_server();
    let data = tempfile::tempdir().unwrap();
    let port = server.port();
    let good = format!("redis://:{PASSWORD}@127.0.0.1:{port}");
    let wrong = format!("redis://:wrong-{PASSWORD}@127.0.0.1:{port}");
    let user = format!("redis://default:{PASSWORD}@127.0.0.1:{port}");

    let ok = redis_lab(data.path(), &["repl", "--url", &good, "PING"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "PONG\n",
        "{}",
        text(&ok)
    );

    let from_env = redis_lab(
        data.path(),
        &[
            "repl",
            "--url",
            &format!("redis://127.0.0.1:{port}"),
            "PING",
        ],
    )
    .env("REDISCLI_AUTH", PASSWORD)
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&from_env.stdout), "PONG\n");

    // A lesson shows where it runs, with the password masked.
    let lesson = redis_lab(
        data.path(),
        &["lesson", "strings-counters", "--auto", "--url", &user],
    )
    .output()
    .unwrap();
    assert!(lesson.status.success(), "{}", text(&lesson));
    assert!(
        text(&lesson).contains(&format!("redis://default:****@127.0.0.1:{port}")),
        "{}",
        text(&lesson)
    );

    // Failures: a wrong password, a missing one, an unreachable server, a malformed URL.
    let closed = redis_lab::server::sandbox::free_port().unwrap();
    let failures = [
        vec!["repl", "--url", &wrong, "PING"],
        vec!["lesson", "key-expiry", "--auto", "--url", &wrong],
    ];
    for args in failures {
        let output = redis_lab(data.path(), &args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("****"),
            "{args:?}: {}",
            text(&output)
        );
    }
    let unreachable = format!("redis://:{PASSWORD}@127.0.0.1:{closed}");
    let malformed = format!("redis://:{PASSWORD}@127.0.0.1:notaport");
    for url in [&unreachable, &malformed] {
        let output = redis_lab(data.path(), &["repl", "--url", url, "PING"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{url}: {}", text(&output));
    }

    for output in [&ok, &from_env, &lesson] {
        assert!(!text(output).contains(PASSWORD), "{}", text(output));
    }
    for args in [
        vec!["repl", "--url", &wrong, "PING"],
        vec!["repl", "--url", &unreachable, "PING"],
        vec!["repl", "--url", &malformed, "PING"],
        vec!["lesson", "key-expiry", "--auto", "--url", &wrong],
    ] {
        let output = redis_lab(data.path(), &args).output().unwrap();
        assert!(
            !text(&output).contains(PASSWORD),
            "password leaked by {args:?}: {}",
            text(&output)
        );
    }
}

/// Lines that carry a password never reach the history file; the rest do.
#[test]
fn passwords_typed_in_the_repl_stay_out_of_its_history() {
    let server = protected_server();
    let data = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let mut cmd = redis_lab(data.path(), &["repl", "--url", &url]);
    cmd.env("TERM", "xterm").env("REDISCLI_AUTH", PASSWORD);
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    let prompt = format!("127.0.0.1:{}> ", server.port());
    // Each line with the reply that shows it ran (the prompt alone is redrawn as you type).
    let lines = [
        (format!("AUTH {PASSWORD}"), "OK"),
        (format!("AUTH default {PASSWORD}"), "OK"),
        (format!("HELLO 2 AUTH default {PASSWORD}"), " 1) \"server\""),
        (format!("ACL SETUSER bob on >{PASSWORD}-bob ~* +@all"), "OK"),
        (format!("CONFIG SET masterauth {PASSWORD}"), "OK"),
        ("SET visible 1".to_string(), "OK"),
    ];
    p.exp_string(&prompt).unwrap();
    for (line, reply) in &lines {
        p.send_line(line).unwrap();
        p.exp_string(&format!("\r\n{reply}")).unwrap();
    }
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(data.path().join("repl_history")).unwrap();
    assert!(history.contains("SET visible 1"), "{history}");
    assert!(!history.contains(PASSWORD), "{history}");
    assert!(!history.to_ascii_uppercase().contains("AUTH"), "{history}");
}

fn command_calls(connection: &mut redis::Connection) -> BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(connection)
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_string(), calls))
        })
        .collect()
}

/// Key completion on a server given with --url: only SCAN, a bounded number of candidates, and it
/// gives up long before walking a keyspace of a million keys that has no match.
#[test]
fn key_completion_is_read_only_and_bounded() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut admin = client.get_connection().unwrap();
    let keys = 1_000_000u64;
    for batch in 0..keys / 10_000 {
        let mut pipe = redis::pipe();
        for chunk in 0..10 {
            let mut mset = redis::cmd("MSET");
            for i in 0..1000 {
                mset.arg(format!("user:{}", batch * 10_000 + chunk * 1000 + i))
                    .arg(1);
            }
            pipe.add_command(mset).ignore();
        }
        let _: () = pipe.query(&mut admin).unwrap();
    }
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut admin)
        .unwrap();

    let helper = ReplHelper::new(
        Arc::new(OnceLock::new()),
        Some(
            redis_lab::server::connection::Server::node("sandbox", &server.url())
                .unwrap()
                .opener(0),
        ),
        false,
    );
    let history = rustyline::history::DefaultHistory::new();
    let context = rustyline::Context::new(&history);

    let line = "GET user:12";
    let (start, candidates) = helper.complete(line, line.len(), &context).unwrap();
    assert_eq!(start, 4);
    assert!(!candidates.is_empty());
    assert!(candidates.len() <= 200, "{} candidates", candidates.len());
    assert!(
        candidates
            .iter()
            .all(|c| c.replacement.starts_with("user:12")),
        "{:?}",
        candidates
            .iter()
            .take(3)
            .map(|c| c.replacement.clone())
            .collect::<Vec<_>>()
    );
    let line = "GET nothing-matches-this";
    let (_, none) = helper.complete(line, line.len(), &context).unwrap();
    assert!(none.is_empty());

    let calls = command_calls(&mut admin);
    let ours: Vec<&String> = calls
        .keys()
        .filter(|name| !matches!(name.as_str(), "info" | "config|resetstat"))
        .collect();
    assert_eq!(ours, ["scan"], "completion ran more than SCAN: {calls:?}");
    // A full walk takes keys / 1000 SCAN calls (COUNT 1000); the time budget stops far sooner.
    assert!(
        calls["scan"] < keys / 1000 / 2,
        "completion walked the keyspace: {} SCAN calls",
        calls["scan"]
    );
    let size: u64 = redis::cmd("DBSIZE").query(&mut admin).unwrap();
    assert_eq!(size, keys, "completion changed the data");
}

// ---- Terminal control sequences (issue 14, item 5) ----
//
// Only redis-lab's own colours may reach a terminal: every other control character that comes
// from a lesson pack, a server reply or a key name is shown escaped, as redis-cli escapes
// values (`\x1b`, `\a`).

/// A lesson whose every piece of text tries to drive the terminal: OSC (window title,
/// hyperlink), CSI (clear screen, colours, cursor home) and a C1 CSI (U+009B).
const HOSTILE_LESSON: &str = r#"format: 1
id: hostile
title: "Evil \e]0;pwned-title\a title"
track: patterns
level: beginner
summary: "Sum \e[2J mary \x9b31m"
steps:
  - id: one
    title: "Step \e[31m one"
    explain: "Explain \e]8;;http://evil\e\\ link\nsecond line"
    snippet: {lang: "py\e[1m", code: "x = 1  # \e[2J"}
    task: "Task \e[H"
    hints: ["Hint \e]0;pwned-hint\a"]
    solution: [SET k 1]
    after: "After \e[3J"
    checks:
      - probe: GET k
        expect: {equals: "1"}
        label: "Label \e]0;pwned-label\a"
"#;

/// Every ESC in `out` that does not start an SGR colour code (`ESC [ digits ; ... m`).
fn foreign_escapes(out: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = out[i..].iter().position(|&b| b == 0x1b) {
        let start = i + at;
        let rest = &out[start + 1..];
        let params = rest
            .iter()
            .skip(1)
            .take_while(|b| b.is_ascii_digit() || **b == b';')
            .count();
        let sgr = rest.first() == Some(&b'[') && rest.get(1 + params) == Some(&b'm');
        if !sgr {
            let end = (start + 16).min(out.len());
            found.push(String::from_utf8_lossy(&out[start..end]).into_owned());
        }
        i = start + 1;
    }
    found
}

fn all_output(output: &Output) -> Vec<u8> {
    [output.stdout.as_slice(), output.stderr.as_slice()].concat()
}

/// Any C0 control but newline and tab, DEL, or a C1 control (as a code point).
fn has_raw_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[test]
fn a_lesson_packs_control_sequences_are_shown_escaped_not_obeyed() {
    require_redis();
    let pack = pack(&[("patterns/hostile.yaml", HOSTILE_LESSON)]);
    let folder = pack.path().to_str().unwrap();
    let data = tempfile::tempdir().unwrap();

    // --auto with no colour: not one ESC byte, not one other control character.
    let plain = redis_lab(
        data.path(),
        &[
            "lesson",
            "hostile",
            "--lessons",
            folder,
            "--auto",
            "--color",
            "never",
        ],
    )
    .output()
    .unwrap();
    assert!(plain.status.success(), "{}", text(&plain));
    let shown = text(&plain);
    assert!(!all_output(&plain).contains(&0x1b), "{shown:?}");
    assert!(!has_raw_controls(&shown), "{shown:?}");
    for escaped in [
        r"Evil \x1b]0;pwned-title\a title",
        r"Sum \x1b[2J mary \xc2\x9b31m",
        r"Step \x1b[31m one",
        r"Explain \x1b]8;;http://evil\x1b\ link",
        r"py\x1b[1m",
        r"x = 1  # \x1b[2J",
        r"Task \x1b[H",
        r"After \x1b[3J",
    ] {
        assert!(shown.contains(escaped), "{escaped} not in {shown}");
    }
    assert!(
        shown.contains("link\nsecond line"),
        "prose keeps its lines: {shown}"
    );

    // --auto in colour: the only escapes are redis-lab's own SGR colour codes.
    let coloured = redis_lab(
        data.path(),
        &[
            "lesson",
            "hostile",
            "--lessons",
            folder,
            "--auto",
            "--color",
            "always",
        ],
    )
    .output()
    .unwrap();
    assert!(coloured.status.success(), "{}", text(&coloured));
    assert!(all_output(&coloured).contains(&0x1b), "colours are on");
    assert_eq!(
        foreign_escapes(&all_output(&coloured)),
        Vec::<String>::new()
    );

    // The guided REPL: hints, the solution, the step list and a failed check's label.
    let mut guided = redis_lab(
        data.path(),
        &[
            "lesson",
            "hostile",
            "--lessons",
            folder,
            "--color",
            "always",
        ],
    );
    guided
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = guided.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b":hint\n:list\n:solution\nSET k 2\n:quit\n")
        .unwrap();
    let guided = child.wait_with_output().unwrap();
    assert!(guided.status.success(), "{}", text(&guided));
    let shown = text(&guided);
    assert!(shown.contains(r"Hint \x1b]0;pwned-hint\a"), "{shown}");
    assert!(shown.contains(r"Label \x1b]0;pwned-label\a"), "{shown}");
    assert_eq!(foreign_escapes(&all_output(&guided)), Vec::<String>::new());
}

#[test]
fn check_shows_a_lesson_line_with_an_escape_character_escaped() {
    let pack = tempfile::tempdir().unwrap();
    let dir = pack.path().join("patterns");
    std::fs::create_dir_all(&dir).unwrap();
    // A raw ESC and BEL in the file itself: the YAML parser stops there and shows the line.
    std::fs::write(
        dir.join("raw.yaml"),
        b"format: 1\nid: raw\ntitle: Raw \x1b]0;pwned\x07 here\ntrack: patterns\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    for color in ["never", "always"] {
        let output = redis_lab(
            data.path(),
            &[
                "check",
                pack.path().to_str().unwrap(),
                "--offline",
                "--color",
                color,
            ],
        )
        .output()
        .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let shown = text(&output);
        assert!(shown.contains(r"title: Raw \x1b]0;pwned\a here"), "{shown}");
        assert_eq!(foreign_escapes(&all_output(&output)), Vec::<String>::new());
        if color == "never" {
            assert!(!all_output(&output).contains(&0x1b), "{shown:?}");
        }
    }
}

/// A real terminal: error and status replies carrying OSC/CSI sequences are shown escaped
/// (redis-cli 7.0 prints them raw on a terminal too). Piped, the output stays byte-exact like
/// redis-cli's, since a file is not a terminal.
#[test]
fn error_and_status_replies_on_a_terminal_show_control_sequences_escaped() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let url = server.url();
    let mut cmd = redis_lab(data.path(), &["repl", "--url", &url]);
    cmd.env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    let prompt = format!("127.0.0.1:{}> ", server.port());
    p.exp_string(&prompt).unwrap();
    // `\\27` reaches Lua as `\27`, its decimal escape for ESC (as with redis-cli's quoting).
    p.send_line(r#"EVAL "return redis.error_reply('ERR \\27]0;pwned\\7 x')" 0"#)
        .unwrap();
    let before = p.exp_string(r"(error) ERR \x1b]0;pwned\a x").unwrap();
    p.send_line(r#"EVAL "return redis.status_reply('\\27[2J\\27[31mred')" 0"#)
        .unwrap();
    let between = p.exp_string(r"\x1b[2J\x1b[31mred").unwrap();
    p.send_line("ECHO done").unwrap();
    let after = p.exp_string("\"done\"").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    for seen in [&before, &between, &after] {
        assert!(
            !seen.contains("\x1b]0;pwned") && !seen.contains("\x1b[2J") && !seen.contains('\x07'),
            "{seen:?}"
        );
    }

    // `--raw` on a terminal is escaped as well.
    let mut cmd = redis_lab(
        data.path(),
        &[
            "repl",
            "--url",
            &url,
            "--raw",
            "EVAL",
            "return redis.status_reply('\x1b[2J')",
            "0",
        ],
    );
    cmd.env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(
        rest.contains(r"\x1b[2J") && !rest.contains("\x1b[2J"),
        "{rest:?}"
    );

    // Piped: what redis-cli 7.0 writes, byte for byte (an error, then its newline and the
    // reply's).
    let piped = redis_lab(
        data.path(),
        &[
            "repl",
            "--url",
            &url,
            "EVAL",
            "return redis.error_reply('ERR \x1b]0;pwned\x07 x')",
            "0",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(
        piped.stdout,
        b"ERR \x1b]0;pwned\x07 x\n\n",
        "{}",
        text(&piped)
    );
}

/// Tab completion of key names: a key holding control characters is offered quoted the way
/// redis-cli reads arguments, so the terminal never gets it raw and the line runs as typed.
#[test]
fn key_completion_quotes_keys_holding_control_characters() {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut admin = client.get_connection().unwrap();
    let keys: [&[u8]; 4] = [
        b"\x1b[2J",
        b"t\x1b]0;pwned\x07",
        b"c1\xc2\x9b",
        b"bin\xff\x9b",
    ];
    for key in keys {
        let _: () = redis::cmd("SET").arg(key).arg(1).query(&mut admin).unwrap();
    }
    let _: () = redis::cmd("SET")
        .arg("plain:key")
        .arg(1)
        .query(&mut admin)
        .unwrap();

    let helper = ReplHelper::new(
        Arc::new(OnceLock::new()),
        Some(
            redis_lab::server::connection::Server::node("sandbox", &server.url())
                .unwrap()
                .opener(0),
        ),
        false,
    );
    let history = rustyline::history::DefaultHistory::new();
    let context = rustyline::Context::new(&history);
    let (start, candidates) = helper.complete("GET ", 4, &context).unwrap();
    assert_eq!(start, 4);
    let mut offered: Vec<Vec<u8>> = Vec::new();
    for c in &candidates {
        assert!(
            !has_raw_controls(&c.display) && !has_raw_controls(&c.replacement),
            "{:?}",
            c.replacement
        );
        // What is inserted on the line is one argument: the key itself.
        let args = redis_lab::command::tokenize::split_args(&c.replacement).unwrap();
        assert_eq!(args.len(), 1, "{:?}", c.replacement);
        offered.push(args[0].clone());
    }
    offered.sort();
    let mut expected: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    expected.push(b"plain:key".to_vec());
    expected.sort();
    assert_eq!(offered, expected);
    assert!(
        candidates.iter().any(|c| c.replacement == r#""\x1b[2J""#),
        "{:?}",
        candidates
            .iter()
            .map(|c| &c.replacement)
            .collect::<Vec<_>>()
    );
    assert!(candidates.iter().any(|c| c.replacement == "plain:key"));

    // In the REPL on a terminal: Tab inserts the quoted key, Enter runs it, nothing raw shows.
    let _: () = redis::cmd("FLUSHALL").query(&mut admin).unwrap();
    let _: () = redis::cmd("SET")
        .arg(b"\x1b[2J")
        .arg("cleared?")
        .query(&mut admin)
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = redis_lab(data.path(), &["repl", "--url", &server.url()]);
    cmd.env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string(&format!("127.0.0.1:{}> ", server.port()))
        .unwrap();
    p.send("GET \t").unwrap();
    p.flush().unwrap();
    let typed = p.exp_string(r#"GET "\x1b[2J""#).unwrap();
    p.send_line("").unwrap();
    let reply = p.exp_string("\"cleared?\"").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    for seen in [&typed, &reply] {
        assert!(!seen.contains("\x1b[2J"), "{seen:?}");
    }
}
