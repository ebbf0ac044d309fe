//! Every built-in lesson is proven on a real server: each step's checks fail before its solution
//! and pass after it, and the whole lesson passes in --auto mode.

mod common;

use common::*;

#[test]
fn every_step_of_every_lesson_fails_before_and_passes_after_its_solution() {
    let catalog = builtin();
    assert!(
        catalog.problems.is_empty(),
        "built-in lessons must load: {:?}",
        catalog.problems
    );
    assert!(catalog.entries.len() >= 3);
    let mut problems = Vec::new();
    for entry in &catalog.entries {
        let mut session = sandbox_session(entry.clone());
        while !session.is_finished() {
            let step = session.step().id().to_string();
            let proof = session.prove_step().expect("step runs");
            for index in &proof.passing_before {
                problems.push(format!(
                    "{}/{step}: check #{} passes before the solution",
                    entry.id(),
                    index + 1
                ));
            }
            for failure in &proof.failing_after {
                problems.push(format!(
                    "{}/{step}: after the solution, `{}` expected {}, {}",
                    entry.id(),
                    failure.label,
                    failure.expected,
                    failure.found
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_lesson_passes_in_auto_mode() {
    for entry in &builtin().entries {
        let mut session = sandbox_session(entry.clone());
        let mut steps = 0;
        while !session.is_finished() {
            let (_events, verdict) = session.auto_step().expect("step runs");
            assert!(
                verdict.passed(),
                "{} step {}: {:?}",
                entry.id(),
                steps + 1,
                verdict.failures()
            );
            steps += 1;
        }
        assert_eq!(steps, entry.lesson.steps.len());
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
    }
}
