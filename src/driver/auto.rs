//! `redis-lab lesson ID --auto`: run every step's solution and verify it, as a live demo.

use crate::driver::LoadBar;
use crate::driver::Status;
use crate::engine::session::{Event, Session, SessionOptions};
use crate::lesson::catalog::Entry;
use crate::render::lesson::{after_text, event, lesson_banner};
use anyhow::Result;
use colored::Colorize;

/// Runs the lesson from step `start` (0: the first) to the end.
pub fn run(entry: Entry, options: &SessionOptions, start: usize) -> Result<Status> {
    crate::render::output::notice_slow_answers();
    let mut bar = LoadBar::new();
    let (mut session, events) =
        Session::start(entry, options, start, &mut |d, t| bar.update(d, t))?;
    crate::out!(
        "{}",
        lesson_banner(session.lesson(), session.server_display())
    );
    let lesson = session.entry().lesson.clone();
    for e in &events {
        crate::out!("{}", event(&lesson, e, true));
    }
    let mut failed = 0;
    while !session.is_finished() {
        let index = session.step_index();
        let (events, verdict) = match session.auto_step() {
            Ok(outcome) => outcome,
            Err(e) => {
                if let Some(how) = session.sandbox_stopped() {
                    eprintln!(
                        "{} the sandbox redis-server stopped: {how}. --auto saves no progress; \
                         run it again to start on a fresh sandbox.",
                        "note:".yellow().bold()
                    );
                }
                // On a server given with --url, what the lesson created goes even when a step
                // failed; a server that stopped answering cannot be asked, so say what is left.
                let frozen = matches!(
                    e,
                    crate::engine::session::SessionError::Conn(
                        crate::server::connection::ConnError::NoAnswer { .. }
                    )
                );
                if !frozen {
                    super::clean_up(&mut session, options);
                } else if !session.is_owned() && !options.keep {
                    eprintln!(
                        "{} the keys this lesson created on {} are left there: the server does \
                         not answer. Run the lesson again once it does, or delete them yourself.",
                        "warning:".yellow().bold(),
                        session.server_display()
                    );
                }
                return Err(e.into());
            }
        };
        if !verdict.passed() {
            failed += 1;
        }
        for e in &events {
            // "Lesson complete" only when every step passed: the summary below says the rest.
            if matches!(e, Event::LessonFinished) && failed > 0 {
                continue;
            }
            crate::out!("{}", event(&lesson, e, true));
            if let Event::StepPassed { index: passed, .. } = e {
                crate::out!("{}", after_text(&lesson, *passed));
            }
        }
        if session.step_index() == index && !session.is_finished() {
            break; // cannot advance: avoid looping forever
        }
    }
    super::clean_up(&mut session, options);
    let skipped = session.unavailable_steps().len();
    if failed == 0 && skipped == 0 {
        crate::outln!(
            "{}",
            format!("All {} steps passed.", lesson.steps.len())
                .green()
                .bold()
        );
        Ok(Status::Ok)
    } else if failed == 0 {
        let passed = lesson.steps.len() - skipped;
        crate::outln!(
            "{}",
            format!("{passed} steps passed, {skipped} skipped (the server lacks what they need).")
                .green()
                .bold()
        );
        Ok(Status::Ok)
    } else {
        crate::outln!(
            "{}",
            format!("{failed} of {} steps failed.", lesson.steps.len())
                .red()
                .bold()
        );
        Ok(Status::ChecksFailed)
    }
}
