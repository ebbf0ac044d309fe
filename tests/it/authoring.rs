//! Instructor tools: the JSON Schema is committed in sync, `new` writes a lesson that proves,
//! `check` reports problems with exit 1.

use crate::common::*;
use assert_cmd::Command;
use predicates::prelude::*;

fn redis_lab(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("redis-lab").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("REDIS_LAB_DATA_DIR", dir.join(".data"))
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LAB_LESSONS");
    cmd
}

#[test]
fn the_committed_schema_matches_the_lesson_format() {
    let committed = include_str!("../../docs/lesson.schema.json");
    assert!(
        committed == redis_lab::lesson::schema::lesson(),
        "docs/lesson.schema.json is stale: run `cargo run -- schema > docs/lesson.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(committed).unwrap();
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown fields are errors"
    );
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "steps")
    );
}

#[test]
fn the_committed_pack_schema_matches_the_pack_format() {
    let committed = include_str!("../../docs/pack.schema.json");
    assert!(
        committed == redis_lab::lesson::schema::pack(),
        "docs/pack.schema.json is stale: run `cargo run -- schema --pack > docs/pack.schema.json`"
    );
}

/// Names of properties without a description, anywhere in a schema (editors show it on hover).
fn undescribed(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                for (name, property) in properties {
                    if property.get("description").is_none() {
                        out.push(format!("{path}.{name}"));
                    }
                }
            }
            for (key, child) in map {
                undescribed(child, &format!("{path}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                undescribed(item, path, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_field_of_both_schemas_has_a_description_and_format_and_ids_are_pinned() {
    for text in [
        redis_lab::lesson::schema::lesson(),
        redis_lab::lesson::schema::pack(),
    ] {
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut missing = Vec::new();
        undescribed(&schema, "", &mut missing);
        assert!(
            missing.is_empty(),
            "fields without a description (a doc comment): {missing:?}"
        );
    }
    let lesson: serde_json::Value =
        serde_json::from_str(&redis_lab::lesson::schema::lesson()).unwrap();
    assert_eq!(lesson["properties"]["format"]["const"], 1);
    let pattern = lesson["properties"]["id"]["pattern"].as_str().unwrap();
    let id = regex::Regex::new(pattern).unwrap();
    for candidate in [
        "sorted-sets",
        "a",
        "x1-2",
        "-a",
        "Caps",
        "a_b",
        "",
        &"a".repeat(65),
        &"a".repeat(64),
    ] {
        assert_eq!(
            id.is_match(candidate),
            redis_lab::lesson::loader::is_valid_id(candidate),
            "the schema's id pattern and the loader disagree on {candidate:?}"
        );
    }
}

/// What `list` and `check` say about a broken pack.yaml, pinned as snapshots.
#[test]
fn broken_pack_files_are_reported_at_their_place() {
    let lesson = |id: &str| {
        lesson_yaml(
            id,
            "  - id: one\n    title: One\n    explain: x\n    task: t\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n",
        )
    };
    let cases = [
        ("pack-unknown-field", "name: acme\nlesons: [intro]\n"),
        ("pack-bad-name", "name: ACME/Redis\nlessons: [intro]\n"),
        (
            "pack-unknown-lesson",
            "name: acme\nlessons:\n  - intro\n  - cachng\n",
        ),
    ];
    for (name, pack_yaml) in cases {
        let dir = pack(&[
            ("pack.yaml", pack_yaml),
            ("intro.yaml", &lesson("intro")),
            ("caching.yaml", &lesson("caching")),
        ]);
        let output = redis_lab(dir.path())
            .args(["check", "--offline"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "a broken pack.yaml fails check"
        );
        let stdout = String::from_utf8_lossy(&output.stdout)
            .replace(&dir.path().display().to_string(), "PACK");
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn every_builtin_lesson_points_editors_at_the_schema() {
    for entry in builtin().entries {
        assert!(
            entry
                .source
                .starts_with("# yaml-language-server: $schema=../../docs/lesson.schema.json"),
            "{} lacks the schema line",
            entry.file
        );
    }
}

#[test]
fn a_new_lesson_passes_check_run_as_generated() {
    require_redis();
    let dir = tempfile::tempdir().unwrap();
    redis_lab(dir.path())
        .args(["new", "demo", "--track", "patterns"])
        .assert()
        .success()
        .stdout(predicate::str::contains("lessons/patterns/demo.yaml"));
    assert!(dir.path().join("lessons/lesson.schema.json").exists());
    redis_lab(dir.path())
        .args(["check", "--run", "--json"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"id\": \"demo\"")
                .and(predicate::str::contains("\"result\": \"passed\"")),
        );
    redis_lab(dir.path())
        .args(["new", "demo", "--track", "patterns"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    redis_lab(dir.path())
        .args(["new", "Bad Id", "--track", "patterns"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid lesson id"));
}

#[test]
fn check_run_reports_a_check_that_passes_before_its_solution() {
    require_redis();
    let weak = lesson_yaml(
        "weak-check",
        "  - id: one\n    title: One\n    explain: x\n    task: Set k.\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: EXISTS nothing\n        expect: {equals: 0}\n        label: a check that is always true\n",
    );
    let dir = pack(&[("weak-check.yaml", &weak)]);
    redis_lab(dir.path())
        .args(["check", "--run", "weak-check.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "already passes before the solution",
        ));
}

/// The lesson warns that DEL releases a lock someone else holds; a check of the state alone lets
/// DEL through, and `check --run` says so at the wrong way's line until a rule rejects it.
#[test]
fn check_run_fails_a_lesson_whose_wrong_way_passes_and_accepts_it_once_a_rule_rejects_it() {
    require_redis();
    let steps = "  - id: release\n    title: Release\n    explain: x\n    task: Release the lock with the script.\n    hints: [h]\n    solution:\n      - EVAL \"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0\" 1 lock t1\n    checks:\n      - probe: EXISTS lock\n        expect: {equals: 0}\n        label: the lock is released\n    RULE\n    wrong:\n      - DEL lock\n      - [GET lock, DEL lock]\n";
    let lesson = |rule: &str| {
        lesson_yaml("lock-release", &steps.replace("RULE", rule)).replace(
            "steps:",
            "requires: {scripts: true}\nsetup: [SET lock t1]\nsteps:",
        )
    };
    // No rule yet: both wrong ways pass, each reported at its own line.
    let dir = pack(&[("lock-release.yaml", &lesson(""))]);
    let output = redis_lab(dir.path())
        .args(["check", "--run", "lock-release.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "lock-release.yaml:23:9: step `release`: the wrong way `DEL lock` passes the step"
        ),
        "{text}"
    );
    assert!(text.contains("lock-release.yaml:24:9"), "{text}");
    assert!(text.contains("`GET lock; DEL lock` passes"), "{text}");
    // With the rule, the wrong ways fail and the lesson is proven.
    std::fs::write(
        dir.path().join("lock-release.yaml"),
        lesson("must_use: [EVAL|EVALSHA]"),
    )
    .unwrap();
    redis_lab(dir.path())
        .args(["check", "--run", "lock-release.yaml"])
        .assert()
        .success();
}

#[test]
fn check_lints_every_problem_in_one_run() {
    let bad = lesson_yaml(
        "bad-commands",
        "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: ['`ZADDD k 1 m`']\n    solution: [ZADDD k 1 m]\n    checks:\n      - probe: INCR k\n        expect: {equals: 1}\n",
    )
    .replace("steps:", "next: [leaderbord]\nsteps:");
    let dir = pack(&[
        ("bad-commands.yaml", &bad),
        ("other.yaml", "format: 1\nid: x\n"),
    ]);
    let output = redis_lab(dir.path()).args(["check", "."]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "unknown Redis command ZADDD",
        "did you mean ZADD?",
        "the probe INCR is not read-only",
        "did you mean `leaderboard`?",
        "the hint mentions an unknown command ZADDD",
        "missing field `title`",
        "bad-commands.yaml:14:16",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn two_packs_with_the_same_lesson_id_do_not_mix() {
    require_redis();
    let dir = tempfile::tempdir().unwrap();
    for pack in ["a", "b"] {
        redis_lab(dir.path())
            .args(["new", "intro", "--track", "patterns", "--dir", pack])
            .assert()
            .success();
    }
    std::fs::write(
        dir.path().join("a/pack.yaml"),
        "name: acme\nversion: \"1.0\"\nlessons: [intro]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b/pack.yaml"),
        "name: globex\nlessons: [intro]\n",
    )
    .unwrap();
    let with_packs = |cmd: &mut Command| {
        cmd.args(["--lessons", "a", "--lessons", "b"]);
    };
    let mut ambiguous = redis_lab(dir.path());
    with_packs(ambiguous.args(["lesson", "intro"]));
    ambiguous
        .assert()
        .code(2)
        .stderr(predicate::str::contains("acme/intro, globex/intro"));
    let mut one_step = redis_lab(dir.path());
    with_packs(one_step.args(["lesson", "acme/intro"]));
    one_step
        .write_stdin("INCR page:home:views\n:quit\n")
        .assert()
        .success();
    let mut list = redis_lab(dir.path());
    with_packs(list.args(["list", "--json"]));
    let output = list.output().unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let status = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| (i["pack"].clone(), i["status"].clone()))
            .unwrap()
    };
    assert_eq!(
        status("acme/intro"),
        (serde_json::json!("acme"), serde_json::json!("step 1 of 1"))
    );
    assert_eq!(status("globex/intro").1, serde_json::json!("not started"));
}

#[test]
fn the_build_time_index_matches_the_lessons() {
    let catalog = builtin();
    let headers = redis_lab::lesson::catalog::builtin_headers();
    assert_eq!(headers.len(), catalog.entries.len());
    for entry in &catalog.entries {
        let header = headers
            .iter()
            .find(|h| h.id == entry.id())
            .expect("indexed");
        assert_eq!(header.title, entry.lesson.title, "{}", entry.id());
        assert_eq!(header.track, entry.lesson.track.as_str(), "{}", entry.id());
        assert_eq!(header.level, entry.lesson.level.as_str(), "{}", entry.id());
        assert_eq!(header.steps, entry.lesson.steps.len(), "{}", entry.id());
        assert_eq!(header.file, entry.file, "{}", entry.id());
    }
}

/// `check --offline` lints with the command list built into the binary: no redis-server needed
/// (the one named here does not exist), and unknown commands are still caught.
#[test]
fn check_offline_needs_no_server_and_still_knows_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = lesson_yaml(
        "typo",
        "  - id: one\n    title: One\n    task: Add.\n    solution:\n      - ZADDD board 1 a\n    checks:\n      - probe: ZSCORE board a\n        expect: {equals: 1}\n",
    );
    std::fs::write(dir.path().join("typo.yaml"), lesson).unwrap();
    let output = redis_lab(dir.path())
        .args(["check", "--offline", "typo.yaml"])
        .env(
            "REDIS_LAB_REDIS_SERVER",
            dir.path().join("no-such-redis-server"),
        )
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("unknown Redis command ZADDD") && text.contains("did you mean ZADD?"),
        "{text}"
    );
    assert!(text.contains("the built-in list of redis-server"), "{text}");

    let clean = redis_lab(dir.path())
        .args(["check", "--offline"])
        .env(
            "REDIS_LAB_REDIS_SERVER",
            dir.path().join("no-such-redis-server"),
        )
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        clean.status.success(),
        "the built-in catalog lints clean offline"
    );
}

/// A lesson with the same mistake in every step gets 50 diagnostics and a line saying how many
/// more there are, not thousands (each diagnostic copies its source line).
#[test]
fn check_stops_after_fifty_problems_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let steps: String = (0..60)
        .map(|i| {
            format!(
                "  - id: s{i}\n    title: Step {i}\n    task: Add.\n    solution:\n      - ZADDD board {i} a\n    checks:\n      - probe: ZSCORE board a\n        expect: {{equals: {i}}}\n"
            )
        })
        .collect();
    std::fs::write(dir.path().join("many.yaml"), lesson_yaml("many", &steps)).unwrap();
    let output = redis_lab(dir.path())
        .args(["check", "--offline", "many.yaml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(
        text.matches("unknown Redis command ZADDD").count(),
        50,
        "{text}"
    );
    assert!(
        text.contains("stopped after 50 problems (10 more not shown)"),
        "{text}"
    );
}

/// `lesson` runs the lint `check` runs before it starts anything: a probe that writes (it would
/// pop an element after every command) and an unknown command in a solution refuse the lesson,
/// each at its file:line:col. No server is needed to be refused.
#[test]
fn lesson_refuses_a_lesson_the_lint_finds_errors_in() {
    let broken = lesson_yaml(
        "recent",
        "  - id: trim\n    title: Trim\n    explain: x\n    task: Keep three.\n    hints: [h]\n    solution: [LTRIMM recent:user:42 0 2]\n    checks:\n      - probe: LPOP recent:user:42\n        expect: {equals: a}\n",
    );
    let dir = pack(&[("recent.yaml", &broken)]);
    for auto in [false, true] {
        let mut cmd = redis_lab(dir.path());
        cmd.args(["--lessons", ".", "lesson", "recent"])
            .env("PATH", "/nonexistent");
        if auto {
            cmd.arg("--auto");
        }
        let output = cmd.write_stdin(":quit\n").output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty(), "nothing ran");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        insta::assert_snapshot!("lesson-refused-by-lint", stderr);
    }
}

/// Under `--watch` every reload passes the same lint: an edit that adds a writing probe is
/// refused and the previous version keeps running; a deleted file says so.
#[test]
fn watch_reloads_pass_the_lint_and_a_deleted_file_says_so() {
    use std::io::Write;
    require_redis();
    let good = lesson_yaml(
        "watched",
        "  - id: one\n    title: One\n    explain: x\n    task: Set k.\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n",
    );
    let dir = pack(&[("watched.yaml", &good)]);
    let file = dir.path().join("watched.yaml");
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .current_dir(dir.path())
        .args(["--lessons", ".", "lesson", "watched", "--watch"])
        .env("NO_COLOR", "1")
        .env("REDIS_LAB_DATA_DIR", dir.path().join(".data"))
        .env_remove("REDIS_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let wait_for = |path: &std::path::Path, text: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let now = std::fs::read_to_string(path).unwrap_or_default();
            if now.contains(text) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {text:?} in:\n{now}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait_for(out.path(), "Watching");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, good.replace("probe: GET k", "probe: GETDEL k")).unwrap();
    writeln!(stdin).unwrap();
    wait_for(out.path(), "still running the previous version");
    wait_for(err.path(), "the probe GETDEL is not read-only");
    std::fs::remove_file(&file).unwrap();
    writeln!(stdin).unwrap();
    wait_for(out.path(), "was deleted or renamed");
    writeln!(stdin, ":quit").unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let stderr = std::fs::read_to_string(err.path()).unwrap();
    assert!(stderr.contains("./watched.yaml:15:16"), "{stderr}");
}

/// Unquoted `yes` or `true` where a string or a number was meant: YAML makes them booleans, and
/// a boolean matches only a RESP3 boolean. `check` says so at the value; in a command's list of
/// arguments the loader asks for quotes; a regex error points at `matches:`'s value.
#[test]
fn check_flags_booleans_where_text_or_numbers_were_meant() {
    let steps = "  - id: one\n    title: One\n    explain: x\n    task: Add two.\n    hints: [h]\n    solution: [SADD s a b]\n    checks:\n      - probe: SCARD s\n        expect: {equals: yes}\n      - probe: SISMEMBER s a\n        expect:\n          one_of: [1, true]\n      - expect: {equals: true}\n        label: a RESP3 reply the learner got\n";
    let lesson = lesson_yaml("flags", steps);
    let regex = lesson_yaml(
        "regex",
        &steps.replace("{equals: yes}", "{matches: \"a(\"}"),
    );
    let args = lesson_yaml(
        "args",
        "  - id: one\n    title: One\n    task: t\n    solution:\n      - {cmd: [CONFIG, SET, appendonly, yes]}\n    checks:\n      - probe: GET k\n        expect: {nil: true}\n",
    );
    let dir = pack(&[
        ("flags.yaml", &lesson),
        ("args.yaml", &args),
        ("regex.yaml", &regex),
    ]);
    let output = redis_lab(dir.path())
        .args([
            "check",
            "--offline",
            "flags.yaml",
            "args.yaml",
            "regex.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    insta::assert_snapshot!("booleans-where-text-was-meant", stdout);
}

/// The built-in lessons keep their data in the top-level fixtures/ folder: `check lessons` in the
/// repository finds it as the built-in catalog does (it reported 42 "fixture not found"), and so
/// does any folder laid out the same way. A folder with its own fixtures/ uses only that one.
#[test]
fn check_of_the_repository_lessons_folder_finds_the_top_level_fixtures() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = redis_lab(repo)
        .env("REDIS_LAB_DATA_DIR", tempfile::tempdir().unwrap().path())
        .args(["check", "--offline", "lessons"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains("not found"), "{stdout}");
    // The built-ins' own source files are the built-in lessons, not shadows of them.
    assert!(!stdout.contains("warning"), "{stdout}");

    let lesson = lesson_yaml(
        "side",
        "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [SET k 2]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n",
    )
    .replace("steps:", "fixtures: [side/data.redis]\nsteps:");
    let dir = pack(&[
        ("lessons/patterns/side.yaml", &lesson),
        ("fixtures/side/data.redis", "SET k 1\n"),
    ]);
    redis_lab(dir.path())
        .args(["check", "--offline", "lessons"])
        .assert()
        .success();
    std::fs::create_dir(dir.path().join("lessons/fixtures")).unwrap();
    redis_lab(dir.path())
        .args(["check", "--offline", "lessons"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("fixture").and(predicate::str::contains("not found")));
}

/// Arity (COMMAND INFO) and syntax (COMMAND DOCS) of every command in setup, solutions, probes
/// and hints are checked without --run, against the live server or the built-in table; options
/// in any order pass, as the server reads them.
#[test]
fn check_lints_the_arity_and_syntax_of_every_command() {
    let steps = "  - id: one\n    title: One\n    explain: x\n    task: t\n    hints: ['`SREM inv:ana`, then `ZADD board 0 a b 0 c`']\n    solution:\n      - ZADD k 0 a b 0 c\n      - SET k v EX 10 NX\n      - SREM inv:ana\n    checks:\n      - probe: ZSCORE k\n        expect: {equals: 0}\n";
    let lesson = lesson_yaml("arity", steps).replace("steps:", "setup: [SET k v EX ten]\nsteps:");
    let dir = pack(&[("arity.yaml", &lesson)]);
    let offline = redis_lab(dir.path())
        .args(["check", "--offline", "arity.yaml"])
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&offline.stdout).into_owned();
    insta::assert_snapshot!("arity-and-syntax", stdout);
    require_redis();
    let live = redis_lab(dir.path())
        .args(["check", "arity.yaml"])
        .output()
        .unwrap();
    let live_text = String::from_utf8_lossy(&live.stdout);
    assert!(
        live_text.contains("commands from redis-server"),
        "{live_text}"
    );
    let problems = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("error") || l.contains("-->"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(problems(&stdout), problems(&live_text), "{live_text}");
}

/// `--auto` with a failing step says how many failed, never "Lesson complete".
#[test]
fn auto_with_a_failing_step_does_not_say_the_lesson_is_complete() {
    require_redis();
    let lesson = lesson_yaml(
        "half",
        "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n        label: k is 2\n",
    );
    let dir = pack(&[("half.yaml", &lesson)]);
    let output = redis_lab(dir.path())
        .args(["--lessons", ".", "lesson", "half", "--auto"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 of 1 steps failed"), "{stdout}");
    assert!(!stdout.contains("Lesson complete"), "{stdout}");
}

/// The lesson `new` writes sends its author to references that exist: the schema written next
/// to it, and subcommands redis-lab has (it named `redis-lab new --help` for a reference that
/// is not there).
#[test]
fn the_new_template_points_at_references_that_exist() {
    use clap::CommandFactory;
    let dir = tempfile::tempdir().unwrap();
    redis_lab(dir.path())
        .args(["new", "refs", "--track", "patterns"])
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("lessons/patterns/refs.yaml")).unwrap();
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    assert!(!text.contains("new --help"), "{text}");
    assert!(header.iter().any(|l| l.contains("../lesson.schema.json")));
    assert!(dir.path().join("lessons/lesson.schema.json").exists());
    let cli = redis_lab::cli::Cli::command();
    for line in &header {
        for (_, rest) in line
            .match_indices("`redis-lab ")
            .map(|(i, _)| line.split_at(i + 11))
        {
            let sub = rest.split([' ', '`']).next().unwrap();
            assert!(
                cli.find_subcommand(sub).is_some(),
                "the template names `redis-lab {sub}`, which does not exist"
            );
        }
    }
}

/// A folder lesson with a built-in's id, and two packs with the same id: warned about, naming
/// both origins (never the author's file twice), and both reachable: `builtin/ID`, `PACK/ID`.
/// `new` warns when the id exists already.
#[test]
fn shadowing_ids_are_warned_about_and_both_lessons_stay_reachable() {
    require_redis();
    let dir = tempfile::tempdir().unwrap();
    let new = redis_lab(dir.path())
        .args(["new", "leaderboard", "--track", "patterns"])
        .output()
        .unwrap();
    assert!(new.status.success());
    let stderr = String::from_utf8_lossy(&new.stderr);
    assert!(
        stderr.contains("warning: a lesson `leaderboard` already exists: the built-in lesson"),
        "{stderr}"
    );
    for pack in ["a", "b"] {
        redis_lab(dir.path())
            .args(["new", "intro", "--track", "patterns", "--dir", pack])
            .assert()
            .success();
        std::fs::write(
            dir.path().join(pack).join("pack.yaml"),
            format!("name: pack-{pack}\n"),
        )
        .unwrap();
    }
    let again = redis_lab(dir.path())
        .args(["new", "intro", "--track", "data-structures", "--dir", "a"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("a/patterns/intro.yaml"),
        "{again:?}"
    );
    std::fs::remove_file(dir.path().join("a/data-structures/intro.yaml")).unwrap();
    // Folder names are the author's, `lessons` included: the message tells the two apart.
    let check = redis_lab(dir.path())
        .args(["check", "--offline", "lessons", "a", "b"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "warnings are not fatal: {stdout}");
    insta::assert_snapshot!("shadowing-warnings", stdout);

    let list = redis_lab(dir.path())
        .args(["--lessons", "lessons", "list", "--json"])
        .output()
        .unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    let title = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["title"].as_str().unwrap().to_string())
    };
    assert_eq!(title("leaderboard").as_deref(), Some("Leaderboard"));
    assert_eq!(
        title("builtin/leaderboard").as_deref(),
        Some("Game leaderboard")
    );
    for (id, banner) in [
        ("builtin/leaderboard", "Game leaderboard"),
        ("leaderboard", "Leaderboard  ["),
    ] {
        let run = redis_lab(dir.path())
            .args(["--lessons", "lessons", "lesson", id])
            .write_stdin(":quit\n")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(out.contains(banner), "{id}: {out}");
    }
}

/// `check --run` failures carry the file:line:col of their step or check, and failures after the
/// first step that broke the state are counted as following from it, not listed as causes.
#[test]
fn check_run_failures_have_places_and_the_first_cause_comes_first() {
    require_redis();
    let steps = "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [INCR k]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n        label: k counts 1\n  - id: two\n    title: Two\n    task: t\n    hints: [h]\n    solution: [INCR k]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n  - id: three\n    title: Three\n    task: t\n    hints: [h]\n    solution: [INCR k]\n    checks:\n      - probe: GET k\n        expect: {equals: 3}\n";
    let lesson = lesson_yaml("cascade", steps).replace("steps:", "setup: [SET k abc]\nsteps:");
    let dir = pack(&[("cascade.yaml", &lesson)]);
    let output = redis_lab(dir.path())
        .args(["check", "--run", "--json", "cascade.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let details: Vec<&str> = report["proofs"][0]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    insta::assert_snapshot!("run-failures-first-cause", details.join("\n"));
}

/// `check` keeps going after a recoverable format error (unknown field, misspelt matcher or
/// variant, a second matcher, a value of the wrong shape): every one is reported with its place.
#[test]
fn check_reports_every_format_error_of_a_file() {
    let text = "format: 1\nid: six\ntitle: Six\ntrack: patern\nlevel: beginner\nsummary: s\ncolour: red\nsteps:\n  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solutoin: [SET k 1]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equalz: 1}\n      - probe: GET k\n        expect: {equals: 1, colour: red}\n        poll_ms: lots\n  - idd: two\n    title: Two\n    solution:\n      - {cmd: SET k 2, repeat: many}\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n";
    let dir = pack(&[("six.yaml", text)]);
    let output = redis_lab(dir.path())
        .args(["check", "--offline", "six.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(
        "every-format-error",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Fixture files are linted statically, line by line like a solution, each problem at the
/// fixture's file:line.
#[test]
fn check_lints_fixture_files_line_by_line() {
    let lesson = lesson_yaml(
        "data",
        "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [SET k 2]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n",
    )
    .replace("steps:", "fixtures: [data/seed.redis]\nsteps:");
    let seed = "# seed data\nSET k 1\n\nSREM inv\nZADDD board 1 a\n  ZADD board 0 a b 0 c\nSET \"unclosed\nRPUSH jobs a b c\n";
    let dir = pack(&[("data.yaml", &lesson), ("fixtures/data/seed.redis", seed)]);
    let output = redis_lab(dir.path())
        .args(["check", "--offline", "data.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout)
        .replace(
            &dir.path().canonicalize().unwrap().display().to_string(),
            "PACK",
        )
        .replace(&dir.path().display().to_string(), "PACK");
    insta::assert_snapshot!("fixture-lint", stdout);
}

/// Progress of a folder's lessons is keyed by the folder's identity (its absolute path), or by
/// the pack's name: two unrelated folders both called `lessons` no longer share it, adding a
/// pack.yaml keeps it, and progress saved under the old key (the folder's name as given) moves.
#[test]
fn progress_is_keyed_by_folder_identity_or_pack_and_old_entries_move() {
    let root = tempfile::tempdir().unwrap();
    let lesson = lesson_yaml(
        "intro",
        "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n  - id: two\n    title: Two\n    task: t\n    hints: [h]\n    solution: [SET k 2]\n    checks:\n      - probe: GET k\n        expect: {equals: 2}\n",
    );
    for side in ["a", "b"] {
        let dir = root.path().join(side).join("lessons");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("intro.yaml"), &lesson).unwrap();
    }
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // What an older redis-lab saved after step one, in folder a/lessons.
    std::fs::write(
        data.join("progress.json"),
        r#"{"version":1,"lessons":{"lessons#intro":{"step":1,"step_id":"two","total":2,"done":false}}}"#,
    )
    .unwrap();
    let status = |side: &str, id: &str| -> String {
        let output = redis_lab(&root.path().join(side))
            .env("REDIS_LAB_DATA_DIR", &data)
            .args(["--lessons", "lessons", "list", "--json"])
            .output()
            .unwrap();
        let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
        let item = items.iter().find(|i| i["id"] == id).expect(id);
        item["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status("a", "intro"), "step 2 of 2", "the old entry moved");
    assert_eq!(
        status("b", "intro"),
        "not started",
        "another folder called lessons"
    );
    assert_eq!(status("a", "intro"), "step 2 of 2");
    std::fs::write(root.path().join("a/lessons/pack.yaml"), "name: acme\n").unwrap();
    assert_eq!(
        status("a", "acme/intro"),
        "step 2 of 2",
        "a pack.yaml keeps it"
    );
    let saved = std::fs::read_to_string(data.join("progress.json")).unwrap();
    assert!(saved.contains("pack:acme/intro"), "{saved}");
    assert!(!saved.contains("\"lessons#intro\""), "{saved}");
}

/// A command that would end the lesson on any server (SHUTDOWN, a CLIENT KILL of the lesson's
/// own connections) in a solution or a wrong way is reported at its place, offline too, instead
/// of `check --run` finding only "the connection ... was lost" with no place.
#[test]
fn check_reports_commands_that_kill_the_server_or_the_lessons_clients_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = lesson_yaml(
        "killers",
        "  - id: one\n    title: One\n    task: Count.\n    solution:\n      - INCR v\n      - SHUTDOWN NOSAVE\n    wrong: [\"CLIENT KILL TYPE normal\", \"CLIENT KILL USER worker\"]\n    checks:\n      - probe: GET v\n        expect: {equals: 1}\n",
    );
    std::fs::write(dir.path().join("killers.yaml"), lesson).unwrap();
    for offline in [true, false] {
        let mut cmd = redis_lab(dir.path());
        cmd.arg("check");
        if offline {
            cmd.arg("--offline");
        }
        let output = cmd.arg("killers.yaml").output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains("SHUTDOWN stops the server") && text.contains("killers.yaml:13:9"),
            "{text}"
        );
        assert!(
            text.contains("closes the lesson's own connections")
                && text.contains("killers.yaml:14:13"),
            "{text}"
        );
        assert!(
            text.contains(": 2 problems"),
            "CLIENT KILL USER is fine: {text}"
        );
    }
}

/// A `matches:` pattern that parses but compiles past the check's size limit is reported at its
/// value by the lint, instead of `check --run` failing with no place.
#[test]
fn check_reports_a_regex_too_big_to_compile_at_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = lesson_yaml(
        "huge-regex",
        "  - id: one\n    title: One\n    task: Count.\n    solution:\n      - INCR v\n    checks:\n      - probe: GET v\n        expect: {matches: \"a{1000}{1000}{1000}\"}\n",
    );
    std::fs::write(dir.path().join("huge-regex.yaml"), lesson).unwrap();
    let output = redis_lab(dir.path())
        .args(["check", "--offline", "huge-regex.yaml"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("compiles to more than") && text.contains("huge-regex.yaml:15:27"),
        "{text}"
    );
}
