//! Security review, as tests: passwords never leave the user's hands (output, errors, history),
//! and the REPL's own helpers only read. (Lessons on a non-empty database are refused: see
//! tests/engine.rs; TLS: tests/tls.rs.)

mod common;

use common::*;
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

    let helper = ReplHelper::new(Arc::new(OnceLock::new()), Some(client.clone()), false);
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
