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
