//! Proving a lesson on a real server: every step's checks fail before its solution and pass
//! after it, and none of its wrong ways passes it. Used by `redis-lab check --run` and the test suite.

use crate::engine::session::{Session, SessionError, SessionOptions};
use crate::lesson::catalog::Entry;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// What went wrong, one line each.
    Failed(Vec<String>),
    /// Why the server cannot run this lesson (version, module, topology).
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct LessonProof {
    /// Steps skipped because the server lacks what they need: (step id, reason).
    pub skipped_steps: Vec<(String, String)>,
    pub id: String,
    pub file: String,
    pub steps: usize,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

pub fn prove_lesson(entry: &Entry, options: &SessionOptions) -> LessonProof {
    prove_lesson_at(entry, options, None)
}

/// With `only`: proves that step alone (0-based), on a server rebuilt to its start by the setup
/// and the solutions of the steps before it (`check --run --step`).
pub fn prove_lesson_at(
    entry: &Entry,
    options: &SessionOptions,
    only: Option<usize>,
) -> LessonProof {
    let started = Instant::now();
    let mut skipped_steps = Vec::new();
    let outcome = match prove(entry, options, only, &mut skipped_steps) {
        Ok(problems) if problems.is_empty() => Outcome::Passed,
        Ok(problems) => Outcome::Failed(problems),
        Err(SessionError::Unmet(reason)) => Outcome::Skipped(reason),
        Err(e) => Outcome::Failed(vec![e.to_string()]),
    };
    LessonProof {
        skipped_steps,
        id: entry.id().to_string(),
        file: entry.file.clone(),
        steps: if only.is_some() {
            1
        } else {
            entry.lesson.steps.len()
        },
        outcome,
        elapsed: started.elapsed(),
    }
}

fn prove(
    entry: &Entry,
    options: &SessionOptions,
    only: Option<usize>,
    skipped: &mut Vec<(String, String)>,
) -> Result<Vec<String>, SessionError> {
    let (mut session, _events) =
        Session::start(entry.clone(), options, only.unwrap_or(0), &mut |_, _| {})?;
    let proven = prove_steps(&mut session, entry, only, skipped);
    // On a server given with --url, what the lesson created goes, as after `lesson --auto`
    // (unless --keep): the next lesson then finds its database empty again.
    if options.keep {
        return proven;
    }
    match (session.clean_up(), proven) {
        (Ok(_), proven) => proven,
        (Err(e), Ok(mut problems)) => {
            problems.push(format!(
                "{}: could not remove what the lesson created: {e}",
                entry.file
            ));
            Ok(problems)
        }
        (Err(_), Err(e)) => Err(e),
    }
}

fn prove_steps(
    session: &mut Session,
    entry: &Entry,
    only: Option<usize>,
    skipped: &mut Vec<(String, String)>,
) -> Result<Vec<String>, SessionError> {
    // Errors are attributed to the step whose commands got them (setup counts as step 0's).
    let mut errors: Vec<(usize, String)> = session.take_lesson_errors();
    // Each step's problems, at the file:line:col of the step or check, and whether the step left
    // the server in another state than its author meant (a solution command failed, or a check
    // still fails after it): later steps then start from that state.
    let mut steps: Vec<(String, Vec<String>, bool)> = Vec::new();
    let place = |location: &serde_saphyr::Location| {
        format!("{}:{}:{}", entry.file, location.line(), location.column())
    };
    while !session.is_finished() && only.is_none_or(|index| session.step_index() == index) {
        let step = session.step().clone();
        let mut problems: Vec<String> = Vec::new();
        let step_at = place(&step.id.referenced);
        let check_at = |check: &crate::lesson::model::Check| {
            place(
                check
                    .probe
                    .as_ref()
                    .map_or(&check.expect.referenced, |p| &p.referenced),
            )
        };
        let proof = session.prove_step()?;
        errors.extend(session.take_lesson_errors());
        // This step's errors (its run and solution, or setup before step 0); the next step's
        // `run` already happened when this one passed, and is judged with that step.
        let (mine, later): (Vec<_>, Vec<_>) = errors
            .into_iter()
            .partition(|(index, _)| *index <= proof.index);
        errors = later;
        // A failing solution command is a bug unless its step is about that error. With
        // `--step`, the earlier steps' solutions rebuilt the server: each of their errors is
        // judged by its own step's rule and named at that step, as `lesson --step` rebuilds.
        for (index, error) in mine {
            let Some(owner) = entry.lesson.steps.get(index) else {
                continue;
            };
            if !teaches_an_error(owner) {
                problems.push(format!(
                    "{}: step `{}`: {error}",
                    place(&owner.id.referenced),
                    owner.id()
                ));
            }
        }
        let mut broke_state = !problems.is_empty();
        for index in &proof.passing_before {
            let check = &step.checks[*index];
            let what = check
                .label
                .clone()
                .unwrap_or_else(|| format!("check #{}", index + 1));
            problems.push(format!(
                "{}: step `{}`: check `{what}` already passes before the solution, so it proves nothing \
                 (make it stricter, or mark it `guard: true` if it protects existing state)",
                check_at(check),
                step.id()
            ));
        }
        for failure in &proof.failing_after {
            broke_state = true;
            // The check whose label (or probe) the failure names; a rule (must_use) is the step's.
            let at = step
                .checks
                .iter()
                .find(|c| {
                    c.label.as_deref() == Some(failure.label.as_str())
                        || (c.label.is_none()
                            && c.probe.as_ref().and_then(|p| {
                                crate::lesson::loader::args_of(&p.value)
                                    .ok()
                                    .map(|a| crate::command::tokenize::join_args(&a))
                            }) == Some(failure.label.clone()))
                })
                .map_or_else(|| step_at.clone(), check_at);
            problems.push(format!(
                "{at}: step `{}`: after the solution, `{}` expected {}, {}",
                step.id(),
                failure.label,
                failure.expected,
                failure.found
            ));
        }
        // A wrong way that passes is the very mistake the step is about: shown where it is written.
        for wrong in &proof.wrong_ways {
            problems.push(format!(
                "{}:{}:{}: step `{}`: {wrong}",
                entry.file,
                wrong.line,
                wrong.column,
                step.id()
            ));
        }
        if step.task.is_some() && step.checks.iter().all(|c| c.guard) {
            problems.push(format!(
                "{step_at}: step `{}` has a task but nothing that proves it",
                step.id()
            ));
        }
        steps.push((step.id().to_string(), problems, broke_state));
    }
    let problems = first_cause(steps);
    for (index, reason) in session.unavailable_steps() {
        skipped.push((entry.lesson.steps[*index].id().to_string(), reason.clone()));
    }
    Ok(problems)
}

/// Whether a step's checks expect an error: its solution is then meant to get one.
fn teaches_an_error(step: &crate::lesson::model::Step) -> bool {
    step.checks
        .iter()
        .any(|c| matches!(c.expect.value, crate::lesson::model::Matcher::Error(_)))
}

/// The problems up to and including the first step that left the server in another state than
/// its author meant; the failures of later steps start from that state, so they are counted
/// after it rather than listed as causes of their own.
fn first_cause(steps: Vec<(String, Vec<String>, bool)>) -> Vec<String> {
    let mut shown = Vec::new();
    let mut later: Vec<(String, usize)> = Vec::new();
    let mut broken = false;
    for (id, problems, broke_state) in steps {
        if broken {
            if !problems.is_empty() {
                later.push((id, problems.len()));
            }
            continue;
        }
        shown.extend(problems);
        broken = broke_state;
    }
    let count: usize = later.iter().map(|(_, n)| n).sum();
    if count > 0 {
        let ids: Vec<String> = later.iter().map(|(id, _)| format!("`{id}`")).collect();
        shown.push(format!(
            "and {count} later failure{} that follow{} from it (in step{} {}): fix the first, then check again",
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" },
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        ));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_after_the_first_broken_step_are_counted_as_following_from_it() {
        let steps = vec![
            ("a".to_string(), vec!["a: passes before".to_string()], false),
            ("b".to_string(), vec!["b: SET failed".to_string()], true),
            ("c".to_string(), vec!["c: 1".into(), "c: 2".into()], true),
            ("d".to_string(), vec![], false),
            ("e".to_string(), vec!["e: 1".into()], true),
        ];
        assert_eq!(
            first_cause(steps),
            [
                "a: passes before",
                "b: SET failed",
                "and 3 later failures that follow from it (in steps `c`, `e`): fix the first, then check again"
            ]
        );
        let one = vec![("a".to_string(), vec!["a: x".to_string()], true)];
        assert_eq!(first_cause(one), ["a: x"]);
    }
}
