//! Every built-in lesson is proven on a real server: each step's checks fail before its solution
//! and pass after it. Module lessons are skipped (never passed) on a server without the module;
//! with REDIS_LAB_TEST_MODULES (module .so paths separated by ':', as .ci/run sets it) they must
//! pass too.

use crate::common::*;
use redis_lab::engine::prove::{Outcome, prove_lesson, prove_lesson_at};
use redis_lab::engine::session::{Session, SessionError, SessionOptions};

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

fn options(modules: Vec<std::path::PathBuf>) -> SessionOptions {
    let mut options = SessionOptions::default();
    options.server.sandbox.modules = modules;
    options
}

fn needs_module(entry: &redis_lab::lesson::catalog::Entry) -> bool {
    !entry.lesson.requires.modules.is_empty()
}

/// Modules only where a lesson (or one of its steps) uses them: a module's own memory and
/// config lines would change what the others teach (eviction at 2 MB, CONFIG REWRITE).
fn options_for(
    entry: &redis_lab::lesson::catalog::Entry,
    modules: &[std::path::PathBuf],
) -> SessionOptions {
    let uses = needs_module(entry)
        || entry
            .lesson
            .steps
            .iter()
            .any(|s| s.requires.as_ref().is_some_and(|r| !r.modules.is_empty()));
    options(if uses { modules.to_vec() } else { Vec::new() })
}

#[test]
fn every_step_of_every_lesson_fails_before_and_passes_after_its_solution() {
    require_redis();
    let catalog = builtin();
    assert!(
        catalog.problems.is_empty(),
        "built-in lessons must load: {:?}",
        catalog.problems
    );
    let modules = test_modules();
    let mut problems = Vec::new();
    for entry in &catalog.entries {
        let proof = prove_lesson(entry, &options_for(entry, &modules));
        match &proof.outcome {
            Outcome::Passed => {}
            Outcome::Failed(details) => {
                problems.extend(details.iter().map(|d| format!("{}: {d}", entry.id())))
            }
            // Skipping is right only for what this server cannot do: a missing module, or a Redis
            // version it does not have. The CI's 7.0 gets no search module: RediSearch refuses
            // Redis 7.0, so search-index is skipped for the module it cannot load.
            Outcome::Skipped(reason)
                if reason.contains("needs the Redis module search")
                    && !modules
                        .iter()
                        .any(|m| m.to_string_lossy().contains("redisearch")) => {}
            Outcome::Skipped(reason) if needs_module(entry) && modules.is_empty() => {
                assert!(
                    reason.contains("module") || reason.contains("needs Redis"),
                    "{}: {reason}",
                    entry.id()
                );
            }
            Outcome::Skipped(reason) if reason.contains("needs Redis") => {}
            Outcome::Skipped(reason) => problems.push(format!(
                "{}: skipped although it can run: {reason}",
                entry.id()
            )),
        }
        if !modules.is_empty() {
            for (step, reason) in &proof.skipped_steps {
                if !reason.contains("needs Redis") && !reason.contains("needs the command") {
                    problems.push(format!(
                        "{}/{step}: skipped with the modules loaded: {reason}",
                        entry.id()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `check --run --step LAST` rebuilds the server with every earlier step's solution, as
/// `lesson --step` does: a solution meant to get an error (INCR on text, EXECABORT, NOSCRIPT,
/// OOM, MOVED, READONLY ...) is its own step's point, not a failure of the step proven.
#[test]
fn the_last_step_of_every_lesson_is_proven_on_a_rebuilt_server() {
    require_redis();
    let catalog = builtin();
    let modules = test_modules();
    let mut problems = Vec::new();
    for entry in &catalog.entries {
        let last = entry.lesson.steps.len() - 1;
        let proof = prove_lesson_at(entry, &options_for(entry, &modules), Some(last));
        if let Outcome::Failed(details) = &proof.outcome {
            problems.extend(details.iter().map(|d| format!("{}: {d}", entry.id())));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn module_lessons_are_skipped_with_the_reason_on_a_server_without_modules() {
    require_redis();
    let catalog = builtin();
    let module_lessons: Vec<_> = catalog.entries.iter().filter(|e| needs_module(e)).collect();
    assert!(
        module_lessons.len() >= 2,
        "bloom-filter and time-series declare modules"
    );
    for entry in module_lessons {
        let proof = prove_lesson(entry, &options(Vec::new()));
        match proof.outcome {
            Outcome::Skipped(reason) => {
                assert!(
                    reason.contains("--load-module") || reason.contains("newer redis-server"),
                    "says how to get what is missing: {reason}"
                );
            }
            other => panic!(
                "{} must be skipped without its module, not {other:?}",
                entry.id()
            ),
        }
    }
    // A lesson with only some module steps runs the others and skips those, naming the module.
    let json = prove_lesson(&entry(&catalog, "json-documents"), &options(Vec::new()));
    assert_eq!(json.outcome, Outcome::Passed);
    assert!(!json.skipped_steps.is_empty());
    assert!(
        json.skipped_steps
            .iter()
            .all(|(_, reason)| reason.contains("ReJSON"))
    );
}

#[test]
fn every_lesson_passes_in_auto_mode() {
    require_redis();
    let modules = test_modules();
    for entry in &builtin().entries {
        let options = options_for(entry, &modules);
        let mut session = match Session::start(entry.clone(), &options, 0, &mut |_, _| {}) {
            Ok((session, _)) => session,
            Err(SessionError::Unmet(_)) if needs_module(entry) => continue,
            Err(e) => panic!("{}: {e}", entry.id()),
        };
        while !session.is_finished() {
            let step = session.step().id().to_string();
            let (_events, verdict) = session.auto_step().expect("step runs");
            assert!(
                verdict.passed(),
                "{}/{step}: {:?}",
                entry.id(),
                verdict.failures()
            );
        }
    }
}

#[test]
fn every_lesson_has_real_content() {
    for entry in &builtin().entries {
        let lesson = &entry.lesson;
        assert!(
            lesson.steps.len() >= 5,
            "{} has fewer than 5 steps",
            lesson.id()
        );
        for step in &lesson.steps {
            assert!(
                !step.explain.trim().is_empty(),
                "{}/{} explains nothing",
                lesson.id(),
                step.id()
            );
            if step.task.is_some() {
                assert!(
                    !step.hints.is_empty(),
                    "{}/{} has a task but no hints",
                    lesson.id(),
                    step.id()
                );
            }
        }
        for next in &lesson.next {
            assert!(
                builtin().find(&next.value).is_ok(),
                "{}: next lesson {} exists",
                lesson.id(),
                next.value
            );
        }
    }
}

/// The other servers .ci/run proves the catalog on: `label=server[:module.so...]` entries
/// separated by `;` in REDIS_LAB_TEST_SERVERS (Redis 7.4 with its modules, Valkey 8.1).
fn test_servers() -> Vec<(String, std::path::PathBuf, Vec<std::path::PathBuf>)> {
    std::env::var("REDIS_LAB_TEST_SERVERS")
        .unwrap_or_default()
        .split(';')
        .filter_map(|entry| {
            let (label, paths) = entry.split_once('=')?;
            let mut paths = paths.split(':').filter(|p| !p.is_empty()).map(Into::into);
            let server = paths.next()?;
            Some((label.to_string(), server, paths.collect()))
        })
        .collect()
}

/// Every lesson passes, or is skipped with a reason the server explains, on each extra server;
/// the summary says which server proved which lesson.
#[test]
fn the_catalog_is_proven_on_every_extra_test_server() {
    let servers = test_servers();
    if servers.is_empty() {
        eprintln!(
            "REDIS_LAB_TEST_SERVERS is not set: the catalog is proven on the default redis-server only"
        );
        return;
    }
    let catalog = builtin();
    // One thread per server: each proves the catalog on sandboxes of its own.
    let reports: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .map(|(label, server, modules)| {
                let catalog = &catalog;
                scope.spawn(move || prove_catalog_on(catalog, label, server, modules))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a proving thread panicked"))
            .collect()
    });
    let mut problems = Vec::new();
    for (summary, found) in reports {
        eprintln!("{summary}");
        problems.extend(found);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (the summary line, the problems) of proving every lesson on `server`.
fn prove_catalog_on(
    catalog: &redis_lab::lesson::catalog::Catalog,
    label: &str,
    server: &std::path::Path,
    modules: &[std::path::PathBuf],
) -> (String, Vec<String>) {
    let (mut passed, mut skipped, mut problems) = (0, Vec::new(), Vec::new());
    for entry in &catalog.entries {
        let mut options = options_for(entry, modules);
        options.server.sandbox.redis_server = Some(server.to_path_buf());
        let proof = prove_lesson(entry, &options);
        match &proof.outcome {
            Outcome::Passed => passed += 1,
            Outcome::Failed(details) => problems.extend(
                details
                    .iter()
                    .map(|d| format!("{label}: {}: {d}", entry.id())),
            ),
            // Only what this server lacks: a module not given, or a version it is not.
            Outcome::Skipped(reason)
                if (needs_module(entry) && reason.contains("module"))
                    || reason.contains("needs Redis")
                    || reason.contains("needs the command") =>
            {
                skipped.push(entry.id().to_string())
            }
            Outcome::Skipped(reason) => problems.push(format!(
                "{label}: {}: skipped although it can run: {reason}",
                entry.id()
            )),
        }
    }
    let summary = format!(
        "{label}: {passed} lessons passed, {} skipped{}",
        skipped.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", skipped.join(", "))
        }
    );
    (summary, problems)
}

/// Where a step checks its "how", the right way reached otherwise must still pass: another
/// command of the same family, other units, another order, a script called by its SHA.
#[test]
fn correct_alternatives_pass_the_steps_that_check_how() {
    use redis_lab::engine::session::Event;
    use redis_lab::server::connection::Outcome;
    use redis_lab::server::reply::Reply;
    const SCRIPT_LOAD: &str = "SCRIPT_LOAD_SHA";
    let cap = "\"local c = tonumber(redis.call('GET', KEYS[1]) or '0') if c >= tonumber(ARGV[1]) then return false end return redis.call('INCR', KEYS[1])\"";
    let cases: Vec<(&str, &str, Vec<String>)> = vec![
        ("key-expiry", "set-ex", vec!["SETEX otp:ann 60 731904".into()]),
        ("key-expiry", "set-ex", vec!["SET otp:ann 731904 PX 60000".into()]),
        ("key-expiry", "expire-gt", vec!["EXPIRE otp:carol 10 GT".into(), "PEXPIRE otp:carol 3600000 GT".into()]),
        ("key-expiry", "keepttl", vec!["SET otp:ann 555111 KEEPTTL GET".into()]),
        ("key-expiry", "unlink", vec!["UNLINK otp:carol otp:bob".into()]),
        ("distributed-lock", "release", vec!["EVAL \"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end\" 1 lock:market:ember_sword.17 a-51f2".into()]),
        ("distributed-lock", "release", vec!["SCRIPT LOAD \"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0\"".into(), format!("EVALSHA {SCRIPT_LOAD} 1 lock:market:ember_sword.17 a-51f2")]),
        ("lua-scripting", "increment-with-cap", vec![format!("SCRIPT LOAD {cap}"), format!("EVALSHA {SCRIPT_LOAD} 1 quota:ben 10"), format!("EVALSHA {SCRIPT_LOAD} 1 quota:ben 10")]),
        ("streams", "time-window", vec!["XREVRANGE orders 1764334799999 1764331200000".into()]),
        ("streams", "time-window", vec!["XRANGE orders 1764331200000 + COUNT 34".into()]),
        ("lists", "lmpop", vec!["BLMPOP 1 2 alerts:critical alerts:new RIGHT COUNT 3".into()]),
        ("lists", "lmove", vec!["RPOPLPUSH alerts:new alerts:working".into()]),
        ("lists", "oldest", vec!["LRANGE recent:log -1 -1".into()]),
        ("geospatial", "near-me", vec!["GEOSEARCH stores FROMLONLAT -73.9832 40.7536 BYRADIUS 3000 m ASC WITHCOORD".into()]),
        ("geospatial", "move-store", vec!["GEOADD stores CH XX -73.9796 40.6775 store7".into()]),
        ("rate-limiting", "sliding-log", ["MULTI", "ZREMRANGEBYSCORE rl:log:ak_cobalt -inf 1767225540000", "ZADD rl:log:ak_cobalt 1767225600000 r-91a7c2", "ZCARD rl:log:ak_cobalt", "EXPIRE rl:log:ak_cobalt 60", "EXEC"].map(String::from).to_vec()),
        ("optimistic-transactions", "multi-exec", ["MULTI", "SREM inventory:7 dragon_scale", "ZADD market: 120 dragon_scale.7", "EXEC"].map(String::from).to_vec()),
        ("task-queue", "take", vec!["BLMPOP 5 1 queue:email RIGHT".into()]),
        ("task-queue", "take", vec!["LMPOP 1 queue:email RIGHT".into()]),
        ("leaderboard", "add-points", vec!["ZADD leaderboard INCR 150 swift_otter".into()]),
        ("task-queue", "reliable", vec!["LMOVE queue:email processing:worker-1 RIGHT LEFT".into()]),
        ("cache-aside", "stampede-lock", vec!["GET cache:product:7".into(), "SET lock:product:7 web-a-7f3c PX 2000 NX".into()]),
        ("pipelining", "pipeline", vec![":pipe 10000 SET token:{i} user:{i} EX 86400".into()]),
        ("hashes", "hdel", vec!["HDEL user:13 country email".into(), "HDEL users:by_email carlos.walker@example.net".into()]),
    ];
    require_redis();
    let catalog = builtin();
    let mut problems = Vec::new();
    for (lesson, step, lines) in &cases {
        let entry = entry(&catalog, lesson);
        let index = entry
            .lesson
            .steps
            .iter()
            .position(|s| s.id() == *step)
            .expect("the step exists");
        let (mut session, _) =
            Session::start(entry, &SessionOptions::default(), index, &mut |_, _| {})
                .expect("session starts");
        let mut sha = String::new();
        let mut passed = false;
        for line in lines {
            let events = session
                .submit(&line.replace(SCRIPT_LOAD, &sha))
                .expect("runs");
            for event in &events {
                if let Event::Command {
                    outcome: Outcome::Done(Reply::Bulk(bytes)),
                    line,
                    ..
                } = event
                    && line.starts_with("SCRIPT LOAD")
                {
                    sha = String::from_utf8_lossy(bytes).into_owned();
                }
            }
            passed |= events.iter().any(|e| matches!(e, Event::StepPassed { .. }));
        }
        if !passed {
            problems.push(format!(
                "{lesson}/{step}: {} did not pass",
                lines.join("; ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
