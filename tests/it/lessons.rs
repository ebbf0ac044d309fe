//! Every built-in lesson is proven on a real server: each step's checks fail before its solution
//! and pass after it. Module lessons are skipped (never passed) on a server without the module;
//! with REDIS_LAB_TEST_MODULES (module .so paths separated by ':', as .ci/run sets it) they must
//! pass too.

use crate::common::*;
use redis_lab::engine::prove::{Outcome, prove_lesson};
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
            // version it does not have (search-index needs 7.1+).
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
                if !reason.contains("needs Redis") {
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
                    || reason.contains("needs Redis") =>
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
