//! The constructs of issue 18 on real servers: `max_commands` / `max_writes` in the built-in
//! lessons ("in one command"), nested and order-free matchers, starting at a step.

use crate::common::*;
use redis_lab::engine::session::{Event, Session, SessionOptions};

fn test_modules() -> Vec<std::path::PathBuf> {
    std::env::var("REDIS_LAB_TEST_MODULES")
        .map(|v| {
            v.split(':')
                .filter(|p| !p.is_empty())
                .map(Into::into)
                .collect()
        })
        .unwrap_or_default()
}

/// A session of a built-in lesson, started at the step with this id.
fn at_step(lesson: &str, step: &str, modules: &[std::path::PathBuf]) -> Session {
    require_redis();
    let entry = entry(&builtin(), lesson);
    let index = entry
        .lesson
        .steps
        .iter()
        .position(|s| s.id() == step)
        .unwrap_or_else(|| panic!("{lesson} has a step {step}"));
    let mut options = SessionOptions::default();
    if !entry.lesson.requires.modules.is_empty() {
        options.server.sandbox.modules = modules.to_vec();
    }
    let (session, _) = Session::start(entry, &options, index, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{lesson} starts at {step}: {e}"));
    session
}

fn passed(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::StepPassed { .. }))
}

/// bloom-filter-bitmap's EVAL, split over two calls: odd members, then even ones.
const HALF_BITMAP_0: &str = "EVAL \"for n, email in ipairs(redis.call('SMEMBERS', KEYS[2])) do if n % 2 == tonumber(ARGV[1]) then local h = redis.sha1hex(email) local a, b = tonumber(h:sub(1, 8), 16), tonumber(h:sub(9, 16), 16) for i = 0, 6 do redis.call('SETBIT', KEYS[1], (a + i * b) % 100000, 1) end end end return redis.call('BITCOUNT', KEYS[1])\" 2 bloom:emails users:emails 0";
const HALF_BITMAP_1: &str = "EVAL \"for n, email in ipairs(redis.call('SMEMBERS', KEYS[2])) do if n % 2 == tonumber(ARGV[1]) then local h = redis.sha1hex(email) local a, b = tonumber(h:sub(1, 8), 16), tonumber(h:sub(9, 16), 16) for i = 0, 6 do redis.call('SETBIT', KEYS[1], (a + i * b) % 100000, 1) end end end return redis.call('BITCOUNT', KEYS[1])\" 2 bloom:emails users:emails 1";

/// Every built-in task that says "in one command" (or "with one EVAL") fails when done in more:
/// either `max_writes` counts the writes, or the check needs one reply holding the whole answer.
/// Each wrong way reaches the state (or reads the values) the task asks for; After a
/// `:retry` the solution typed once passes, so the limit leaves the right way open.
#[test]
fn every_in_one_command_task_fails_when_done_in_more() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "strings-counters",
            "incrby",
            &[
                "INCRBY page:redis-streams:views 20",
                "INCRBY page:redis-streams:views 5",
            ],
        ),
        (
            "strings-counters",
            "mset-mget",
            &["SET flag:dark-mode on", "SET flag:beta off"],
        ),
        (
            "strings-counters",
            "getdel",
            &["GET otp:ann", "DEL otp:ann"],
        ),
        (
            "lists",
            "lmove",
            &[
                "RPOP alerts:new",
                "LPUSH alerts:working \"alert:7001 db: connection refused on web-3\"",
            ],
        ),
        // A repeat prefix sends the command twice: two writes.
        (
            "lists",
            "lmpop",
            &["2 LMPOP 2 alerts:critical alerts:new RIGHT COUNT 1"],
        ),
        (
            "key-expiry",
            "unlink",
            &["UNLINK otp:bob", "UNLINK otp:carol"],
        ),
        (
            "hashes",
            "read",
            &["HGET user:42 name", "HGET user:42 plan"],
        ),
        (
            "hashes",
            "hdel",
            &[
                "HDEL user:13 email",
                "HDEL user:13 country",
                "HDEL users:by_email carlos.walker@example.net",
            ],
        ),
        (
            "sets",
            "smismember",
            &[
                "SISMEMBER user:7:tags rust",
                "SISMEMBER user:7:tags go",
                "SISMEMBER user:7:tags redis",
                "SISMEMBER user:7:tags python",
            ],
        ),
        (
            "task-queue",
            "reliable",
            &["RPOP queue:email", "LPUSH processing:worker-1 job:1002"],
        ),
        (
            "task-queue",
            "priority",
            &["LPUSH queue:taken job:1301", "RPOP queue:high"],
        ),
        (
            "pub-sub",
            "introspect",
            &["PUBSUB NUMSUB chat:ops", "PUBSUB NUMSUB chat:random"],
        ),
        (
            "pipelining",
            "multi-key",
            &["UNLINK token:17", "UNLINK token:4242", "UNLINK token:9001"],
        ),
        (
            "monitoring-clients",
            "info",
            &["INFO clients", "INFO keyspace"],
        ),
        (
            "bloom-filter-bitmap",
            "add-all",
            &[HALF_BITMAP_0, HALF_BITMAP_1],
        ),
        (
            "memory-optimization",
            "shard",
            &[
                "EVAL \"for id = 1, 5000 do redis.call('HSET', 'photos:' .. math.floor(id / 500), id, redis.call('GET', 'photo:' .. id)) end return 1\" 0",
                "EVAL \"for id = 5001, 10000 do redis.call('HSET', 'photos:' .. math.floor(id / 500), id, redis.call('GET', 'photo:' .. id)) end return 1\" 0",
            ],
        ),
        (
            "hyperloglog",
            "intersection",
            &[
                "PFCOUNT uv:2025-11-17",
                "PFCOUNT uv:2025-11-19",
                "PFCOUNT uv:2025-11-17 uv:2025-11-19",
            ],
        ),
    ];
    let modules = test_modules();
    let module_cases: &[(&str, &str, &[&str])] = &[
        (
            "bloom-filter",
            "backfill",
            &[
                "EVAL \"local m = redis.call('SMEMBERS', KEYS[1]) for i = 1, 5000, 1000 do redis.call('BF.MADD', KEYS[2], unpack(m, i, math.min(i + 999, #m))) end return #m\" 2 users:emails user_emails",
                "EVAL \"local m = redis.call('SMEMBERS', KEYS[1]) for i = 5001, #m, 1000 do redis.call('BF.MADD', KEYS[2], unpack(m, i, math.min(i + 999, #m))) end return #m\" 2 users:emails user_emails",
            ],
        ),
        (
            "bloom-filter",
            "exists",
            &[
                "BF.EXISTS user_emails ann.dubois@orange.fr",
                "BF.EXISTS user_emails ann.dubois@gmail.com",
                "BF.EXISTS user_emails james.smith@gmail.com",
            ],
        ),
        (
            "time-series",
            "madd",
            &[
                "TS.ADD power:s2 1750291140000 1123",
                "TS.ADD power:s3 1750291140000 1383",
            ],
        ),
    ];
    let all = cases
        .iter()
        .chain(module_cases.iter().filter(|_| !modules.is_empty()));
    for (lesson, step, wrong) in all {
        let mut session = at_step(lesson, step, &modules);
        let solution = session.solution_lines();
        for line in *wrong {
            let events = session.submit(line).unwrap();
            assert!(
                !passed(&events),
                "{lesson}/{step}: `{line}` of {wrong:?} passed: {events:?}"
            );
        }
        session.retry(&mut |_, _| {}).unwrap();
        let mut done = false;
        for line in &solution {
            done |= passed(&session.submit(line).unwrap());
        }
        assert!(
            done,
            "{lesson}/{step}: the solution {solution:?}, typed, passes"
        );
    }
}

/// `pairs` on a real server: HGETALL and ZRANGE WITHSCORES in RESP2 (flat arrays) and, after
/// HELLO 3, in RESP3 (a map, and [member, score] entries), order-free; `not`/`all_of`/`any_of`.
#[test]
fn pairs_and_combined_matchers_match_real_replies_in_resp2_and_resp3() {
    use redis_lab::server::connection::Outcome;
    use redis_lab::server::reply::Reply;
    let steps = "  - id: read
    title: Read
    task: Read the profile and the board.
    solution: [HGETALL user:1]
    checks:
      - reply_of: HGETALL
        expect: {pairs: {visits: 3, name: Ann}}
      - reply_of: ZRANGE
        expect: {pairs: {bob: 2.5, alice: 10}}
      - probe: HKEYS user:1
        expect: {all_of: [{contains: name}, {not: {contains: email}}, {any_of: [{length: 2}, {nil: true}]}]}
        guard: true
";
    let yaml = lesson_yaml("pairs", steps).replace(
        "steps:\n",
        "setup:\n  - HSET user:1 name Ann visits 3\n  - ZADD board 10 alice 2.5 bob\nsteps:\n",
    );
    let dir = pack(&[("pairs.yaml", &yaml)]);
    let catalog = pack_catalog(dir.path());
    let reply_of = |events: &[Event]| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Command {
                    outcome: Outcome::Done(reply),
                    ..
                } => Some(reply.clone()),
                _ => None,
            })
            .expect("a reply")
    };
    for resp3 in [false, true] {
        let mut session = sandbox_session(entry(&catalog, "pairs"));
        if resp3 {
            session.submit("HELLO 3").unwrap();
        }
        let hash = session.submit("HGETALL user:1").unwrap();
        let board = session.submit("ZRANGE board 0 -1 WITHSCORES").unwrap();
        match (resp3, reply_of(&hash), reply_of(&board)) {
            (false, Reply::Array(h), Reply::Array(b)) => {
                assert_eq!((h.len(), b.len()), (4, 4), "RESP2 flat arrays");
            }
            (true, Reply::Map(h), Reply::Array(b)) => {
                assert_eq!(h.len(), 2);
                assert!(
                    matches!(&b[0], Reply::Array(entry) if matches!(entry[1], Reply::Double(_))),
                    "{b:?}"
                );
            }
            other => panic!("unexpected reply shapes: {other:?}"),
        }
        assert!(passed(&board), "resp3 {resp3}: {board:?}");
    }
}

/// Problems inside the new constructs are reported at their place, like every other problem.
#[test]
fn problems_in_nested_matchers_and_limits_are_reported_at_their_place() {
    let base = lesson_yaml(
        "demo",
        "  - id: one\n    title: One\n    task: t\n    hints: [h]\n    solution: [SET k 1]\n    checks:\n      - probe: GET k\n        expect: {equals: 1}\n",
    );
    let cases = [
        ("empty-all-of", base.replace("{equals: 1}", "{all_of: []}")),
        (
            "nested-regex",
            base.replace("{equals: 1}", "{not: {matches: \"(\"}}"),
        ),
        (
            "nested-unknown-matcher",
            base.replace("{equals: 1}", "{any_of: [{equals: 1}, {not: {equal: 1}}]}"),
        ),
        (
            "pairs-not-a-map",
            base.replace("{equals: 1}", "{pairs: [alice, 10]}"),
        ),
        (
            "pairs-duplicate",
            base.replace("{equals: 1}", "{pairs: {a: 1, a: 2}}"),
        ),
        (
            "max-commands-below-solution",
            base.replace(
                "    solution: [SET k 1]",
                "    max_commands: 1\n    solution: [SET k 0, SET k 1]",
            ),
        ),
        (
            "max-writes-zero",
            base.replace("    task: t", "    task: t\n    max_writes: 0"),
        ),
        ("empty-not", base.replace("{equals: 1}", "{not: {}}")),
        (
            "max-commands-negative",
            base.replace("    task: t", "    task: t\n    max_commands: -1"),
        ),
        (
            "nested-too-deep",
            base.replace(
                "{equals: 1}",
                &format!("{}{{equals: 1}}{}", "{not: ".repeat(100), "}".repeat(100)),
            ),
        ),
        (
            "alias-bomb",
            base.replace(
                "    task: t\n    hints: [h]",
                &format!(
                    "    task: &a \"{}\"\n    hints: [{}]",
                    "x".repeat(10_000),
                    vec!["*a"; 8000].join(",")
                ),
            ),
        ),
    ];
    for (name, text) in cases {
        let dir = pack(&[("demo.yaml", &text)]);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
            .args(["check", "--offline"])
            .arg(dir.path().join("demo.yaml"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stdout = String::from_utf8_lossy(&output.stdout)
            .replace(&dir.path().display().to_string(), "PACK");
        insta::assert_snapshot!(name, stdout);
    }
}

fn redis_lab(data: &tempfile::TempDir) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("redis-lab").unwrap();
    cmd.env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LAB_LESSONS")
        .env_remove("REDIS_LAB_REDIS_SERVER");
    cmd
}

/// The lines from the first one starting with `from`, `count` of them.
fn lines_from(text: &str, from: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(from))
        .unwrap_or_else(|| panic!("no line starting {from:?} in:\n{text}"));
    lines[start..(start + count).min(lines.len())].join("\n")
}

/// `lesson ID --step STEP`: the learner starts at the step, on a server rebuilt to it, and a
/// wrong way typed into the guided lesson gets the limit's message until `:retry`.
#[test]
fn lesson_step_starts_at_a_step_on_a_rebuilt_server() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .args(["lesson", "task-queue", "--step", "reliable"])
        .write_stdin(
            "RPOP queue:email\nLPUSH processing:worker-1 job:1002\n:retry\nBLMOVE queue:email processing:worker-1 RIGHT LEFT 5\n:quit\n",
        )
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Steps 1 and 2 ran: job:1001 was taken, so the oldest job left is job:1002.
    assert!(stdout.contains("Starting at step 3 of 8"), "{stdout}");
    insta::assert_snapshot!(
        "max-writes-in-a-lesson",
        lines_from(&stdout, "(integer) 1", 5)
    );
    assert!(stdout.contains("✔ Step complete"), "{stdout}");
    assert!(stdout.contains("Progress saved at step 4 of 8"), "{stdout}");
    // By number too, and --auto from there to the end.
    redis_lab(&data)
        .args(["lesson", "task-queue", "--step", "7", "--auto"])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("Step 7/8").and(predicates::str::contains("Step 6/8").not()),
        );
    let unknown = redis_lab(&data)
        .args(["lesson", "task-queue", "--step", "relaible"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    insta::assert_snapshot!("unknown-step", String::from_utf8_lossy(&unknown.stderr));
    redis_lab(&data)
        .args(["lesson", "task-queue", "--step", "9"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "has steps 1 to 8; there is no step 9",
        ));
}

use predicates::prelude::PredicateBooleanExt;

/// Two steps where the second builds on the first: `--step two` proves step two alone on a
/// server where step one's solution ran.
const TWO_STEPS: &str = "  - id: one
    title: One
    task: Set k to 1.
    hints: [h]
    solution: [SET k 1]
    checks:
      - probe: GET k
        expect: {equals: 1}
  - id: two
    title: Two
    task: Add one.
    hints: [h]
    solution: [INCR k]
    checks:
      - probe: GET k
        expect: {equals: 2}
";

#[test]
fn check_run_step_proves_one_step_on_a_rebuilt_server() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let broken_first = lesson_yaml("two", TWO_STEPS).replacen("{equals: 1}", "{equals: 5}", 1);
    let dir = pack(&[("two.yaml", &broken_first)]);
    let check = |step: &str| {
        redis_lab(&data)
            .args(["check", "--run", "--step", step])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    // Step one is wrong, step two is right (it counts on step one's solution having run).
    let two = check("two");
    assert_eq!(two.status.code(), Some(0), "{two:?}");
    assert!(String::from_utf8_lossy(&two.stdout).contains("1 passed, 0 failed"));
    let one = check("1");
    assert_eq!(one.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&one.stdout)
            .contains("step `one`: after the solution, `GET k` expected 5"),
        "{one:?}"
    );
    let missing = check("three");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stdout).contains("lesson `two` has no step `three`"),
        "{missing:?}"
    );
}

/// `check --run --watch`: proven once, then again on each save, until Ctrl-C.
#[test]
fn check_watch_proves_a_lesson_again_on_every_save() {
    use std::io::BufRead;
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let dir = pack(&[("two.yaml", &lesson_yaml("two", TWO_STEPS))]);
    let file = dir.path().join("two.yaml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["check", "--run", "--watch"])
        .arg(dir.path())
        .env("REDIS_LAB_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LAB_LESSONS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |what: &str| -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut seen = String::new();
        while std::time::Instant::now() < deadline {
            if let Ok(line) = received.recv_timeout(std::time::Duration::from_millis(200)) {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(what) {
                    return seen;
                }
            }
        }
        panic!("no line with {what:?} within 30 s; saw:\n{seen}");
    };
    wait_for("1 passed, 0 failed");
    wait_for("Watching 1 lesson file");
    // A save that breaks step two's check: proven again, and failing.
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::fs::write(
        &file,
        lesson_yaml("two", TWO_STEPS).replace("{equals: 2}", "{equals: 3}"),
    )
    .unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let second = wait_for("0 passed, 1 failed");
    assert!(second.contains("changed: checking again"), "{second}");
    assert!(second.contains("`GET k` expected 3"), "{second}");
    // Fixed again: passes again.
    std::fs::write(&file, lesson_yaml("two", TWO_STEPS)).unwrap();
    let later = later + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    wait_for("1 passed, 0 failed");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "Ctrl-C ends the watch: {status:?}");
}

fn not_yet(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::NotYet { .. }))
}

/// What the guide says about reply checks: any reply of the step matches (not only the last),
/// a queued command's reply is QUEUED and nothing is judged until EXEC, whose array holds the
/// results.
#[test]
fn a_reply_check_matches_any_reply_of_the_step_and_a_transaction_is_judged_at_exec() {
    let steps = "  - id: read-then-write
    title: Any reply counts
    task: Read greeting, then mark it seen.
    solution: [GET greeting, SET seen 1]
    checks:
      - reply_of: GET
        expect: {equals: hello}
      - probe: EXISTS seen
        expect: {equals: 1}
  - id: queued
    title: The reply to INCR inside MULTI
    task: Increment n.
    solution: [INCR n]
    checks:
      - reply_of: INCR
        expect: {type: integer}
  - id: exec
    title: The results come with EXEC
    task: Increment m twice in a transaction.
    solution: [MULTI, INCR m, INCR m, EXEC]
    checks:
      - reply_of: EXEC
        expect: {equals: [1, 2]}
";
    let yaml = lesson_yaml("replies", steps)
        .replace("steps:\n", "setup:\n  - SET greeting hello\nsteps:\n");
    let dir = pack(&[("replies.yaml", &yaml)]);
    let catalog = pack_catalog(dir.path());
    let mut session = sandbox_session(entry(&catalog, "replies"));
    // The GET reply matches; the probe does not yet. A later command's reply (OK) does not
    // hide the GET's: the step passes.
    assert!(not_yet(&session.submit("GET greeting").unwrap()));
    assert!(passed(&session.submit("SET seen 1").unwrap()));
    // Inside MULTI: no verdict after QUEUED; after EXEC, INCR's reply was QUEUED, not 1.
    session.submit("MULTI").unwrap();
    let queued = session.submit("INCR n").unwrap();
    assert!(
        !not_yet(&queued) && !passed(&queued),
        "judged while QUEUED: {queued:?}"
    );
    let exec = session.submit("EXEC").unwrap();
    assert!(
        not_yet(&exec),
        "INCR answered QUEUED, so reply_of INCR (an integer) fails: {exec:?}"
    );
    // (:skip would run INCR n again and answer 2: it stays on a step its solution does not pass.)
    session.retry(&mut |_, _| {}).unwrap();
    assert!(passed(&session.submit("INCR n").unwrap()));
    // reply_of: EXEC sees the array of the queued commands' results.
    session.submit("MULTI").unwrap();
    session.submit("INCR m").unwrap();
    session.submit("INCR m").unwrap();
    let exec = session.submit("EXEC").unwrap();
    assert!(passed(&exec), "{exec:?}");
}

/// `:explain` and a step's "What happened" name only keys whose value really changed: after
/// ZUNIONSTORE a 2 a b, `a` (same size, new score) was updated in place and `b` was only read.
#[test]
fn explanations_name_only_the_keys_that_changed_in_place() {
    colored::control::set_override(false);
    let steps = "  - id: union
    title: Union
    task: Add b's scores into a.
    solution: [ZUNIONSTORE a 2 a b]
    checks:
      - probe: ZSCORE a x
        expect: {equals: 6}
  - id: again
    title: Union with nothing
    task: Store a's union with itself.
    solution: [ZUNIONSTORE a 1 a]
    checks:
      - reply_of: ZUNIONSTORE
        expect: {equals: 1}
";
    let yaml = lesson_yaml("union", steps).replace(
        "steps:\n",
        "setup:\n  - ZADD a 1 x\n  - ZADD b 5 x\nsteps:\n",
    );
    let dir = pack(&[("union.yaml", &yaml)]);
    let catalog = pack_catalog(dir.path());
    let mut session = sandbox_session(entry(&catalog, "union"));
    let explained = |events: &[Event]| -> String {
        events
            .iter()
            .find_map(|e| match e {
                Event::StepPassed { explanations, .. } => Some(
                    explanations
                        .iter()
                        .map(redis_lab::render::lesson::explain)
                        .collect::<String>(),
                ),
                _ => None,
            })
            .expect("the step passed")
    };
    let text = explained(&session.submit("ZUNIONSTORE a 2 a b").unwrap());
    assert!(
        text.contains("a zset updated in place (1 member)"),
        "{text}"
    );
    assert!(!text.contains("  b "), "b was only read: {text}");
    let text = explained(&session.submit("ZUNIONSTORE a 1 a").unwrap());
    assert!(
        !text.contains("updated in place"),
        "a kept its value: {text}"
    );
}
