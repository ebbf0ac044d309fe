//! The guided REPL in a real pseudo-terminal, as a learner uses it.

use crate::common::*;
use rexpect::session::{PtySession, spawn_command};
use std::process::Command;

fn guided(data: &std::path::Path, lesson: &str) -> PtySession {
    require_redis();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(["lesson", lesson])
        .env("REDIS_LAB_DATA_DIR", data)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("REDIS_URL");
    spawn_command(cmd, Some(20_000)).expect("spawn in a pty")
}

#[test]
fn a_learner_completes_a_step_asks_for_a_hint_and_quits() {
    let data = tempfile::tempdir().unwrap();
    let mut p = guided(data.path(), "leaderboard");
    p.exp_string("Step 1/7 A new player joins").unwrap();
    p.exp_string("leaderboard 1/7 app> ").unwrap();
    p.send_line("ZADD leaderboard 4200 rookie_rita").unwrap();
    p.exp_string("(integer) 1").unwrap();
    p.exp_string("Step complete").unwrap();
    p.exp_string("rookie_rita").unwrap(); // the explanation of what changed
    p.exp_string("cost: O(log(N))").unwrap();
    p.exp_string("Step 2/7 Points for a finished game").unwrap();
    p.exp_string("leaderboard 2/7 app> ").unwrap();
    p.send_line(":hint").unwrap();
    p.exp_string("Hint 1/2:").unwrap();
    p.send_line("ZADD leaderboard 150 swift_otter").unwrap();
    p.exp_string("Not yet:").unwrap();
    p.exp_string("expected 12000, found \"150\"").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_string("Progress saved at step 2 of 7").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_leaves() {
    let data = tempfile::tempdir().unwrap();
    let mut p = guided(data.path(), "strings-counters");
    p.exp_string("strings-counters 1/11 app> ").unwrap();
    p.send("SET half-typed").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("strings-counters 1/11 app> ").unwrap();
    p.send_line("GET site:name").unwrap();
    p.exp_string("(nil)").unwrap();
    p.send_control('d').unwrap();
    p.exp_string("Progress saved at step 1 of 11").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn bad_quotes_are_refused_without_leaving_the_lesson() {
    let data = tempfile::tempdir().unwrap();
    let mut p = guided(data.path(), "strings-counters");
    p.exp_string("app> ").unwrap();
    p.send_line("SET site:name \"Redis Lab").unwrap();
    p.exp_string("unbalanced quotes").unwrap();
    p.send_line("SET site:name \"Redis Lab News\"").unwrap();
    p.exp_string("Step complete").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn watch_mode_reloads_the_lesson_and_survives_a_broken_edit() {
    require_redis();
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["new", "demo", "--track", "patterns"])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let file = dir.path().join("lessons/patterns/demo.yaml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(["lesson", "demo", "--lessons", "lessons", "--watch"])
        .current_dir(dir.path())
        .env("REDIS_LAB_DATA_DIR", dir.path().join(".data"))
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("demo 1/1 app> ").unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20)); // a distinct modification time
    std::fs::write(
        &file,
        text.replace(
            "title: Count visits atomically",
            "title: Count visits, edited",
        ),
    )
    .unwrap();
    p.send_line("INCR page:home:views").unwrap();
    p.exp_string("Reloaded").unwrap();
    p.exp_string("Count visits, edited").unwrap();
    p.exp_string("(integer) 1").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, text.replace("format: 1", "format: one")).unwrap();
    p.send_line("INCR page:home:views").unwrap();
    p.exp_string("`format` must be a whole number").unwrap();
    p.exp_string("still running the previous version").unwrap();
    p.exp_string("Step complete").unwrap();
    p.send_line(":quit").unwrap();
    p.exp_eof().unwrap();
}

/// Width and colour are separate: with NO_COLOR the catalog still fits the terminal's width
/// (it ignored the width before, and its lines wrapped in the terminal).
#[test]
fn the_catalog_fits_a_narrow_terminal_without_colour_too() {
    let data = tempfile::tempdir().unwrap();
    for no_color in [true, false] {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "stty cols 70 rows 50; exec '{}' list",
                env!("CARGO_BIN_EXE_redis-lab")
            ))
            .env("REDIS_LAB_DATA_DIR", data.path())
            .env("TERM", "xterm");
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in a pty");
        let text = p.exp_eof().unwrap();
        // rexpect hands over each byte as a char: put the UTF-8 back together first.
        let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let plain = console::strip_ansi_codes(&String::from_utf8_lossy(&bytes)).into_owned();
        let widest = plain.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            plain.contains("strings-counters") || plain.contains("strings-co"),
            "{plain}"
        );
        assert!(
            widest <= 70,
            "NO_COLOR={no_color}: a line of {widest} columns:\n{plain}"
        );
    }
}

/// Ctrl-C at a lesson's prompt ends a blocked command's wait (as `:help` says): the client is
/// unblocked, it is said so, and its next command runs on the same connection.
#[test]
fn ctrl_c_in_a_lesson_ends_a_blocked_commands_wait() {
    let data = tempfile::tempdir().unwrap();
    require_redis();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.args(["lesson", "task-queue", "--step", "take"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("REDIS_URL");
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in a pty");
    p.exp_string("task-queue 2/8 worker-1> ").unwrap();
    p.send_line("BLPOP nothing 0").unwrap();
    p.exp_string("(waiting").unwrap();
    p.exp_string("task-queue 2/8 worker-1> ").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("client worker-1 stopped waiting for `BLPOP nothing 0`")
        .unwrap();
    p.send_line("INFO clients").unwrap();
    let (before, _) = p.exp_regex("blocked_clients:0\r").unwrap();
    assert!(!before.contains("still waiting"), "{before}");
    p.send_line("PING").unwrap();
    let before = p.exp_string("PONG").unwrap();
    assert!(!before.contains("refused"), "{before}");
    p.send_line(":quit").unwrap();
    p.exp_eof().unwrap();
}
