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
