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
    // Errors are attributed to the step whose commands got them (setup counts as step 0's).
    let mut errors: Vec<(usize, String)> = session.take_lesson_errors();
    let mut problems: Vec<String> = Vec::new();
    while !session.is_finished() && only.is_none_or(|index| session.step_index() == index) {
        let step = session.step().clone();
        let proof = session.prove_step()?;
        // A failing solution command is a bug unless the step is about that error.
        let teaches_an_error = step
            .checks
            .iter()
            .any(|c| matches!(c.expect.value, crate::lesson::model::Matcher::Error(_)));
        errors.extend(session.take_lesson_errors());
        // This step's errors (its run and solution, or setup before step 0); the next step's
        // `run` already happened when this one passed, and is judged with that step.
        let (mine, later): (Vec<_>, Vec<_>) = errors
            .into_iter()
            .partition(|(index, _)| *index <= proof.index);
        errors = later;
        for (_, error) in mine {
            if !teaches_an_error {
                problems.push(format!("step `{}`: {error}", step.id()));
            }
        }
        for index in &proof.passing_before {
            let check = &step.checks[*index];
            let what = check
                .label
                .clone()
                .unwrap_or_else(|| format!("check #{}", index + 1));
            problems.push(format!(
                "step `{}`: check `{what}` already passes before the solution, so it proves nothing \
                 (make it stricter, or mark it `guard: true` if it protects existing state)",
                step.id()
            ));
        }
        for failure in &proof.failing_after {
            problems.push(format!(
                "step `{}`: after the solution, `{}` expected {}, {}",
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
                "step `{}` has a task but nothing that proves it",
                step.id()
            ));
        }
    }
    for (index, reason) in session.unavailable_steps() {
        skipped.push((entry.lesson.steps[*index].id().to_string(), reason.clone()));
    }
    Ok(problems)
}
