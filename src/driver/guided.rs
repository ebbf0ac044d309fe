//! The guided REPL: shows each step, reads the learner's commands, and renders what the engine
//! says. Meta commands start with `:` so they can never be mistaken for Redis commands.

use crate::driver::LoadBar;
use crate::driver::Status;
use crate::driver::watch::Change;
use crate::engine::session::{Event, Session, SessionError, SessionOptions};
use crate::lesson::catalog::Entry;
use crate::progress::{LessonProgress, Progress};
use crate::render::lesson::{after_text, event, lesson_banner, step_header};
use crate::render::{Shape, escape_controls, prose};
use crate::server::connection::ConnError;
use crate::signal::InterruptGuard;
use anyhow::Result;
use colored::Colorize;
use rustyline::error::ReadlineError;
use std::path::PathBuf;

const HELP: &str = "\
Type Redis commands to complete the task. Lesson commands start with a colon:
  :hint       the next hint (each call shows a more precise one)
  :solution   show the commands that solve this step
  :skip       run the solution for you and go to the next step
  :retry      start this step again (the server is rebuilt to its start)
  :back       go back one step (the server is rebuilt to that point)
  :reset      start the lesson over
  :list       the steps of this lesson and where you are
  :client X   type as client X (its own connection); the prompt shows who types
  :pipe N CMD send CMD N times in one pipeline ({i} counts 0, 1, 2 ...), timed
  :time N CMD send CMD N times, one round trip each, timed (to compare with :pipe)
  :help       this help
  :quit       leave (progress is saved; Ctrl-D works too)
Ctrl-C clears the line, or stops waiting for a command with no answer yet (a blocked BLPOP or
XREAD BLOCK of any client is unblocked, and the client takes commands again).";

/// Where to start: the saved step (matched by id, so an edited lesson still resumes well).
fn resume_index(entry: &Entry, saved: Option<&LessonProgress>, restart: bool) -> usize {
    let Some(saved) = saved.filter(|p| !restart && !p.done) else {
        return 0;
    };
    let steps = &entry.lesson.steps;
    steps
        .iter()
        .position(|s| s.id() == saved.step_id)
        .unwrap_or(saved.step.min(steps.len() - 1))
}

/// Watch mode: the lesson file (watched as `check --watch` watches its files) and the lint
/// every reload passes.
struct Watched {
    file: PathBuf,
    watch: crate::driver::watch::Watched,
    lint: crate::driver::check::RunLint,
}

impl Watched {
    fn new(file: PathBuf, lint: crate::driver::check::RunLint) -> Watched {
        Watched {
            watch: crate::driver::watch::Watched::new(file.clone()),
            file,
            lint,
        }
    }

    fn changed(&mut self) -> Change {
        self.watch.changed()
    }
}

/// Reloads a changed lesson file; a broken file (a format error, or an error of the lint `check`
/// runs) is reported and the session keeps the old one. Warnings are shown and the file loads.
fn reload(session: &mut Session, watched: &mut Watched, progress: &mut Progress, key: &str) {
    let file = watched.file.display().to_string();
    let bytes = match watched.changed() {
        Change::Same => return,
        Change::Text(bytes) => bytes,
        Change::Gone(why) => {
            crate::outln!(
                "{}",
                format!(
                    "The lesson file {} {why}: still running the version loaded last; \
                     it reloads when the file is back.",
                    escape_controls(&file, Shape::Line)
                )
                .yellow()
            );
            return;
        }
    };
    let still_old = || {
        crate::outln!(
            "{}",
            "The lesson file has errors; still running the previous version.".yellow()
        )
    };
    match crate::lesson::loader::parse_lesson_bytes(&file, &bytes) {
        Err(diagnostics) => {
            eprintln!("{}", diagnostics.to_string().red());
            still_old();
        }
        Ok(lesson) => {
            let mut entry = session.entry().clone();
            entry.lesson = std::sync::Arc::new(lesson);
            entry.source = std::sync::Arc::from(String::from_utf8_lossy(&bytes).as_ref());
            match watched.lint.check(&entry) {
                Err(problems) => {
                    eprintln!("{}", problems.to_string().red());
                    still_old();
                    return;
                }
                Ok(warnings) => {
                    for warning in warnings {
                        eprintln!("{}", warning.to_string().yellow());
                    }
                }
            }
            match session.replace_lesson(entry, &mut |_, _| {}) {
                Ok(events) => {
                    crate::outln!("{}", format!("↻ Reloaded {file}").green());
                    show(session, &events, progress, key);
                }
                Err(e) => eprintln!(
                    "{} {}",
                    "error:".red().bold(),
                    escape_controls(&e.to_string(), Shape::Lines)
                ),
            }
        }
    }
}

pub fn run(
    entry: Entry,
    options: &SessionOptions,
    restart: bool,
    start_at: Option<usize>,
    watch: Option<(PathBuf, crate::driver::check::RunLint)>,
    progress: &mut Progress,
) -> Result<Status> {
    let mut watched = watch.map(|(file, lint)| Watched::new(file, lint));
    let key = entry.progress_key();
    let saved = progress.get(&key).cloned();
    let start = start_at.unwrap_or_else(|| resume_index(&entry, saved.as_ref(), restart));
    let lesson = entry.lesson.clone();
    let mut bar = LoadBar::new();
    let (mut session, events) =
        Session::start(entry, options, start, &mut |d, t| bar.update(d, t))?;
    crate::out!("{}", lesson_banner(&lesson, session.server_display()));
    if let Some(start) = start_at.filter(|s| *s > 0) {
        crate::outln!(
            "{}",
            format!(
                "Starting at step {} of {}: the server was rebuilt by the setup and the solutions of the steps before it.",
                start + 1,
                lesson.steps.len()
            )
            .dimmed()
        );
    } else if start > 0 {
        crate::outln!(
            "{}",
            format!(
                "Resuming at step {} of {} (type :reset to start over).",
                start + 1,
                lesson.steps.len()
            )
            .dimmed()
        );
    } else if saved.is_some_and(|p| p.done) && !restart {
        crate::outln!(
            "{}",
            "You finished this lesson before; here it is again from the start.".dimmed()
        );
    }
    crate::outln!("{}", "Type :help for lesson commands.".dimmed());
    if let Some(watched) = &watched {
        crate::outln!(
            "{}",
            format!(
                "Watching {}: changes are loaded when you next press Enter.",
                watched.file.display()
            )
            .dimmed()
        );
    }
    show(&session, &events, progress, &key);
    save(progress, &key, &session);

    let mut editor = crate::repl::helper::plain_editor()?;
    // A command with no answer for a while: say what may be happening, and how to get out.
    crate::render::output::notice_slow_answers();
    loop {
        let prompt = prompt(&session);
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // A blocked command (BLPOP, XREAD BLOCK) waits in the background: Ctrl-C ends it.
                for freed in session.interrupt_waits() {
                    crate::outln!("{}", unblocked_text(&freed).yellow());
                }
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if let Some(watched) = &mut watched {
            reload(&mut session, watched, progress, &key);
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let _ = editor.add_history_entry(trimmed);
        }
        // While the engine works, Ctrl-C interrupts the command in flight instead of quitting;
        // back at the prompt (and after :quit) it quits again.
        let ctrl_c = InterruptGuard::new();
        let result = match trimmed {
            ":quit" | ":q" | ":exit" | "quit" | "exit" => break,
            ":help" | "help" => {
                crate::outln!("{HELP}");
                continue;
            }
            ":hint" => {
                match session.next_hint() {
                    Some((n, of, text)) => crate::outln!(
                        "{} {}",
                        format!("Hint {n}/{of}:").yellow().bold(),
                        prose(&text)
                    ),
                    None => crate::outln!("No hints for this step. :solution shows the answer."),
                }
                continue;
            }
            ":solution" => {
                let lines = session.solution_lines();
                if lines.is_empty() {
                    crate::outln!("This step has nothing to type: press Enter to continue.");
                } else {
                    crate::outln!("{}", "Solution:".bold());
                    for line in lines {
                        crate::outln!("  {}", escape_controls(&line, Shape::Line).cyan());
                    }
                }
                continue;
            }
            ":list" => {
                print_steps(&session);
                continue;
            }
            other if other.starts_with(":client") => {
                match other.split_whitespace().nth(1) {
                    None => crate::outln!(
                        "You are typing as client `{}`. `:client NAME` switches.",
                        escape_controls(session.learner_client(), Shape::Line)
                    ),
                    Some(name) => match session.switch_client(name) {
                        Ok(()) => crate::outln!(
                            "Now typing as client `{}` (each client has its own connection).",
                            escape_controls(name, Shape::Line)
                        ),
                        Err(e) => {
                            crate::outln!("{}", escape_controls(&e.to_string(), Shape::Lines))
                        }
                    },
                }
                continue;
            }
            // A batch the learner sends: the engine runs and times it.
            other if other.starts_with(":pipe ") || other.starts_with(":time ") => {
                session.submit(other)
            }
            ":skip" => session.skip(),
            ":back" => session.back(&mut |_, _| {}),
            ":retry" => session.retry(&mut |_, _| {}),
            ":reset" => session.goto(0, &mut |_, _| {}),
            other if other.starts_with(':') => {
                crate::outln!(
                    "Unknown lesson command `{}`. Type :help for the list.",
                    escape_controls(other, Shape::Line)
                );
                continue;
            }
            _ => session.submit(&line),
        };
        drop(ctrl_c);
        match result {
            Ok(events) => show(&session, &events, progress, &key),
            Err(SessionError::Conn(ConnError::Interrupted { command })) => {
                // What the learner typed, not the look-up redis-lab was making for it.
                let shown = if trimmed.starts_with(':') {
                    command.as_str()
                } else {
                    trimmed
                };
                crate::outln!("{}", interrupted_text(shown).yellow())
            }
            Err(e) => {
                if !handle_error(&mut session, e, progress, &key)? {
                    break;
                }
            }
        }
    }
    let saved = save(progress, &key, &session);
    super::clean_up(&mut session, options);
    if !saved {
        crate::outln!(
            "Your progress could not be saved (see above); fix that and run `redis-lab lesson {}` again.",
            escape_controls(&session.entry().qualified_id(), Shape::Line)
        );
    } else if !session.is_finished() {
        crate::outln!(
            "Progress saved at step {} of {}. Run `redis-lab lesson {}` to continue.",
            session.step_index() + 1,
            lesson.steps.len(),
            escape_controls(&session.entry().qualified_id(), Shape::Line)
        );
    }
    Ok(Status::Ok)
}

/// The prompt names the lesson's client and node: escaped, as everything from the lesson is.
fn prompt(session: &Session) -> String {
    escape_controls(&raw_prompt(session), Shape::Line).into_owned()
}

fn raw_prompt(session: &Session) -> String {
    let lesson = session.lesson();
    if session.is_finished() {
        return format!("{} done> ", lesson.id());
    }
    // In a multi-node lesson the prompt says which node the learner types to.
    let who = match session.learner_node() {
        Some(node) => format!("{}@{node}", session.learner_client()),
        None => session.learner_client().to_string(),
    };
    format!(
        "{} {}/{} {who}> ",
        lesson.id(),
        session.step_index() + 1,
        lesson.steps.len()
    )
}

fn show(session: &Session, events: &[Event], progress: &mut Progress, key: &str) {
    let lesson = session.lesson();
    for e in events {
        crate::out!("{}", event(lesson, e, false));
        if let Event::StepPassed { index, .. } = e {
            crate::out!("{}", after_text(lesson, *index));
        }
    }
    if events.iter().any(|e| {
        matches!(
            e,
            Event::StepPassed { .. }
                | Event::StepSkipped { .. }
                | Event::StepStarted { .. }
                | Event::LessonFinished
        )
    }) {
        save(progress, key, session);
    }
}

/// Saves where the learner is; false (after saying why) when it could not be written.
fn save(progress: &mut Progress, key: &str, session: &Session) -> bool {
    let value = LessonProgress {
        step: session.step_index(),
        step_id: session.step().id().to_string(),
        total: session.lesson().steps.len(),
        done: session.is_finished(),
    };
    if progress.get(key) == Some(&value) && progress.is_saved() {
        return true;
    }
    match progress.set(key, value) {
        Ok(()) => {
            if progress.take_recovered() {
                eprintln!("{}", "Progress saved again.".green());
            }
            true
        }
        Err(e) => {
            // A full disk fails every save alike: say it once, not at every step.
            if progress.is_news(&e) {
                eprintln!("{}", e.to_string().yellow());
            }
            false
        }
    }
}

/// Reports an error; returns whether the session can go on.
fn handle_error(
    session: &mut Session,
    error: SessionError,
    progress: &mut Progress,
    key: &str,
) -> Result<bool> {
    eprintln!(
        "{} {}",
        "error:".red().bold(),
        escape_controls(&error.to_string(), Shape::Lines)
    );
    if !error.is_connection_loss() {
        return Ok(true);
    }
    let saved = save(progress, key, session);
    if let Some(how) = session.sandbox_stopped() {
        eprintln!(
            "{} the sandbox redis-server stopped: {how}.",
            "note:".yellow().bold()
        );
    }
    let what = if session.is_sandbox() {
        "Restart the sandbox server and continue at this step?"
    } else {
        "Reconnect and continue at this step?"
    };
    if saved {
        crate::outln!(
            "Your progress is saved (step {}).",
            session.step_index() + 1
        );
    }
    let mut editor = crate::repl::helper::plain_editor()?;
    let answer = match editor.readline(&format!("{what} [Y/n] ")) {
        Ok(answer) => answer,
        Err(_) => return Ok(false),
    };
    if !matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "" | "y" | "yes"
    ) {
        return Ok(false);
    }
    match session.recover(&mut |_, _| {}) {
        Ok(events) => {
            crate::outln!(
                "{}",
                "Reconnected; the server was rebuilt to the start of this step.".green()
            );
            show(session, &events, progress, key);
            Ok(true)
        }
        Err(e) => {
            eprintln!(
                "{} {}",
                "error:".red().bold(),
                escape_controls(&e.to_string(), Shape::Lines)
            );
            Ok(false)
        }
    }
}

fn print_steps(session: &Session) {
    let lesson = session.lesson();
    for (i, step) in lesson.steps.iter().enumerate() {
        let mark = if i < session.step_index() || session.is_finished() {
            "✔".green().to_string()
        } else if i == session.step_index() {
            "▶".yellow().to_string()
        } else {
            " ".into()
        };
        crate::outln!(
            "{mark} {:>2}. {}",
            i + 1,
            escape_controls(&step.title, Shape::Line)
        );
    }
    if !session.is_finished() {
        crate::out!("{}", step_header(lesson, session.step_index()));
    }
}

/// What Ctrl-C left behind: a script keeps running on the server until SCRIPT KILL; any other
/// command may still run once the server answers again.
/// What Ctrl-C did to a client that was blocked in a command.
fn unblocked_text(freed: &crate::server::connection::Unblocked) -> String {
    let command = escape_controls(&freed.command, Shape::Line);
    let client = escape_controls(&freed.client, Shape::Line);
    if freed.reconnects {
        format!(
            "(interrupted: client {client} stopped waiting for `{command}`; its connection was closed, and its next command opens a new one)"
        )
    } else {
        format!(
            "(interrupted: client {client} stopped waiting for `{command}` (CLIENT UNBLOCK); it takes commands again)"
        )
    }
}

fn interrupted_text(command: &str) -> String {
    let shown = escape_controls(command, Shape::Line);
    let words = crate::command::tokenize::split_args(command).unwrap_or_default();
    let (_, words) = crate::command::tokenize::repeat_prefix(words);
    if crate::command::runs_a_script(&words) {
        format!(
            "(interrupted: `{shown}` had no answer yet. The script still runs on the server: type SCRIPT KILL to stop it)"
        )
    } else {
        format!(
            "(interrupted: `{shown}` had no answer yet; the server may still run it once it answers again)"
        )
    }
}
