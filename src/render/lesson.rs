//! Lesson events as text for the terminal.

use crate::command::tokenize::split_args;
use crate::engine::explain::{Explanation, KeyChange, KeyState};
use crate::engine::session::{Event, Failure, Who};
use crate::lesson::model::Lesson;
use crate::render::{Shape, escape_controls, prose, reply::format_tty, table};
use crate::server::connection::Outcome;
use crate::server::reply::Reply;
use colored::Colorize;
use std::borrow::Cow;

/// Text from the lesson or the server, for one line: its control characters escaped.
fn line(text: &str) -> Cow<'_, str> {
    escape_controls(text, Shape::Line)
}

pub fn lesson_banner(lesson: &Lesson, server: &str) -> String {
    let mut out = format!(
        "{}  {}\n{}\n",
        line(&lesson.title).bold(),
        format!("[{} · {}]", lesson.track.as_str(), lesson.level.as_str()).dimmed(),
        prose(&lesson.summary)
    );
    out.push_str(&format!(
        "{}\n",
        format!("Server: {}", line(server)).dimmed()
    ));
    out
}

pub fn step_header(lesson: &Lesson, index: usize) -> String {
    let step = &lesson.steps[index];
    let mut out = format!(
        "\n{} {}\n",
        format!("── Step {}/{}", index + 1, lesson.steps.len())
            .bold()
            .blue(),
        line(&step.title).bold()
    );
    if !step.explain.trim().is_empty() {
        out.push_str(&format!("\n{}\n", prose(&step.explain)));
    }
    if let Some(snippet) = &step.snippet {
        out.push_str(&format!(
            "\n{}\n",
            format!(
                "Application code ({}, an illustration: type the Redis commands yourself):",
                line(&snippet.lang)
            )
            .dimmed()
        ));
        for code in snippet.code.trim_end().lines() {
            out.push_str(&format!(
                "    {}\n",
                escape_controls(code, Shape::Lines).cyan()
            ));
        }
    }
    match &step.task {
        Some(task) => out.push_str(&format!("\n{} {}\n", "Task:".bold().yellow(), prose(task))),
        None if step.checks.is_empty() => out.push_str(&format!(
            "\n{}\n",
            "(Try any command, or press Enter to continue.)".dimmed()
        )),
        None => {}
    }
    out
}

/// A reply as redis-cli shows it; pair replies (HGETALL, WITHSCORES) as a table.
pub fn reply_text(line: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Waiting => format!(
            "{}\n",
            "(waiting: this command blocks until another client acts)".dimmed()
        ),
        Outcome::Done(reply) => {
            let args = split_args(line).unwrap_or_default();
            // INFO, CLIENT LIST, MEMORY DOCTOR...: text for humans, printed as is (like redis-cli).
            if crate::render::reply::printed_as_is(&args) {
                let text = crate::render::reply::format_as_is(reply);
                return String::from_utf8_lossy(&crate::render::escape_control_bytes(
                    &text,
                    Shape::Lines,
                ))
                .into_owned();
            }
            if let Some(text) =
                table::pair_headers(&args).and_then(|h| table::pairs_table(reply, h))
            {
                return format!("{text}\n");
            }
            let text = format_tty(reply);
            if reply.is_error() {
                text.red().to_string()
            } else {
                text
            }
        }
    }
}

/// One engine event as text. `echo_learner` repeats the learner's own commands (for --auto).
pub fn event(lesson: &Lesson, event: &Event, echo_learner: bool) -> String {
    match event {
        Event::Notice(text) => format!("{}\n", line(text).dimmed()),
        Event::StepStarted { index } => step_header(lesson, *index),
        Event::Command {
            who,
            client,
            line: command,
            outcome,
        } => {
            let mut out = String::new();
            if *who == Who::Lesson || echo_learner {
                // Name the client, so the learner sees who is waiting or acting.
                let by = if *who == Who::Lesson && !echo_learner {
                    "  (run by the lesson)".dimmed().to_string()
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "{} {}{by}\n",
                    format!("{}>", line(client)).green(),
                    line(command)
                ));
            }
            out.push_str(&reply_text(command, outcome));
            out
        }
        Event::Released {
            client,
            line: command,
            reply,
        } => format!(
            "{}\n{}",
            format!(
                "client {}'s `{}` was released:",
                line(client),
                line(command)
            )
            .magenta(),
            format_tty(reply)
        ),
        Event::Received { client, message } => {
            let text_of = |r: &Reply| line(&r.as_text().unwrap_or_default()).into_owned();
            let payload_of =
                |r: &Reply| crate::escape::repr_bytes(r.as_text().unwrap_or_default().as_bytes());
            let text = match message.elements().as_deref() {
                Some([kind, channel, payload])
                    if matches!(text_of(kind).as_str(), "message" | "smessage") =>
                {
                    format!(
                        "{} on {}: {}",
                        text_of(kind),
                        text_of(channel),
                        payload_of(payload)
                    )
                }
                Some([kind, pattern, channel, payload]) if text_of(kind) == "pmessage" => format!(
                    "pmessage on {} (pattern {}): {}",
                    text_of(channel),
                    text_of(pattern),
                    payload_of(payload)
                ),
                _ => format_tty(message).trim_end().to_string(),
            };
            format!(
                "{} {text}\n",
                format!("{} received", line(client)).magenta()
            )
        }
        Event::Measured {
            line: command,
            count,
            pipelined,
            elapsed,
            compared,
        } => {
            let how = if *pipelined {
                "in one pipeline"
            } else {
                "one round trip each"
            };
            let mut out = format!(
                "{} {count} × `{}`, {how}: {:.1} ms ({:.1} µs per command)\n",
                "measured:".bold(),
                line(command),
                elapsed.as_secs_f64() * 1000.0,
                elapsed.as_secs_f64() * 1e6 / f64::from((*count).max(1))
            );
            if let Some((previous, ratio)) = compared {
                let verdict = if *ratio >= 1.0 {
                    format!("{ratio:.1}× faster").green().bold().to_string()
                } else {
                    format!("{:.1}× slower", 1.0 / ratio)
                        .yellow()
                        .bold()
                        .to_string()
                };
                out.push_str(&format!(
                    "  {verdict} per command than {}\n",
                    line(previous)
                ));
            }
            out
        }
        Event::Paused { ms } => format!("{}\n", format!("(waited {ms} ms)").dimmed()),
        Event::Refused(reason) => format!("{} {}\n", "refused:".red().bold(), line(reason)),
        Event::NotYet { failures } => not_yet(failures),
        Event::StepPassed { explanations, .. } => {
            let mut out = format!("{}\n", "✔ Step complete".green().bold());
            for explanation in explanations {
                out.push_str(&explain(explanation));
            }
            out
        }
        Event::StepSkipped { index } => {
            let step = &lesson.steps[*index];
            format!(
                "{}\n",
                format!(
                    "Skipped `{}`: the solution was run for you.",
                    line(&step.title)
                )
                .yellow()
            )
        }
        Event::StepUnavailable { index, reason } => format!(
            "\n{}\n",
            format!(
                "Step {} ({}) skipped: {}",
                index + 1,
                line(&lesson.steps[*index].title),
                line(reason)
            )
            .yellow()
        ),
        Event::LessonFinished => finished(lesson),
    }
}

/// What the learner sees when the step has passed: the `after` text comes from the step.
pub fn after_text(lesson: &Lesson, index: usize) -> String {
    match &lesson.steps[index].after {
        Some(after) => format!("\n{}\n", prose(after)),
        None => String::new(),
    }
}

fn not_yet(failures: &[Failure]) -> String {
    let mut out = format!("{}\n", "Not yet:".yellow().bold());
    for f in failures {
        out.push_str(&format!(
            "  {} {}\n      expected {}, {}\n",
            "✘".red(),
            line(&f.label),
            line(&f.expected).cyan(),
            line(&f.found)
        ));
    }
    out.push_str(&format!(
        "{}\n",
        "Keep going, or type :hint for a hint.".dimmed()
    ));
    out
}

fn finished(lesson: &Lesson) -> String {
    let mut out = format!(
        "\n{}\n",
        format!("🎉 Lesson complete: {}", line(&lesson.title))
            .green()
            .bold()
    );
    if !lesson.next.is_empty() {
        let next: Vec<String> = lesson
            .next
            .iter()
            .map(|n| format!("redis-lab lesson {}", line(&n.value)))
            .collect();
        out.push_str(&format!("Next: {}\n", next.join("  or  ")));
    }
    out
}

/// What a command did to its keys, and what it costs.
pub fn explain(explanation: &Explanation) -> String {
    let mut out = String::new();
    let changed: Vec<_> = explanation.changes.iter().filter(|c| c.changed()).collect();
    if !changed.is_empty() || explanation.complexity.is_some() {
        out.push_str(&format!(
            "{} {}\n",
            "What happened:".bold(),
            line(&explanation.command).cyan()
        ));
    }
    for change in &changed {
        out.push_str(&format!(
            "  {} {}\n",
            line(&change.key).bold(),
            describe_change(change)
        ));
    }
    if changed.is_empty() && explanation.wrote {
        // A write that kept type and size: a field or score may have changed in place. A key
        // whose value is known to be the same (a source of ZUNIONSTORE) is not named.
        for change in explanation
            .changes
            .iter()
            .filter(|c| c.after.exists() && !c.known_unchanged())
        {
            out.push_str(&format!(
                "  {} {} updated in place ({})\n",
                line(&change.key).bold(),
                line(&change.after.kind),
                line(&change.after.summary)
            ));
        }
    }
    if let Some(summary) = &explanation.summary {
        out.push_str(&format!("  {} {}\n", "does:".dimmed(), line(summary)));
    }
    if let Some(complexity) = &explanation.complexity {
        out.push_str(&format!("  {} {}\n", "cost:".dimmed(), line(complexity)));
    }
    out
}

fn state_text(state: &KeyState) -> String {
    if !state.exists() {
        return "(absent)".into();
    }
    let mut parts = vec![line(&state.kind).into_owned()];
    if !state.summary.is_empty() {
        parts.push(line(&state.summary).into_owned());
    }
    if let Some(encoding) = &state.encoding {
        parts.push(format!("encoding {}", line(encoding)));
    }
    parts.push(match state.ttl_ms {
        ms if ms >= 0 => format!("expires in {}", human_ms(ms)),
        _ => "no expiry".into(),
    });
    parts.join(", ")
}

fn describe_change(change: &KeyChange) -> String {
    let (before, after) = (&change.before, &change.after);
    match (before.exists(), after.exists()) {
        (false, true) => return format!("created: {}", state_text(after)),
        (true, false) => return "deleted".to_string(),
        _ if before.kind != after.kind => {
            return format!("{}  →  {}", state_text(before).dimmed(), state_text(after));
        }
        _ => {}
    }
    let mut parts = vec![line(&after.kind).into_owned()];
    if before.summary != after.summary {
        parts.push(format!(
            "{} → {}",
            line(&before.summary),
            line(&after.summary)
        ));
    }
    if before.encoding != after.encoding {
        let name = |e: &Option<String>| e.as_deref().map_or("?".into(), |e| line(e).into_owned());
        parts.push(format!(
            "encoding {} → {}",
            name(&before.encoding),
            name(&after.encoding)
        ));
    }
    if change.ttl_changed() {
        parts.push(match after.ttl_ms {
            ms if ms >= 0 => format!("now expires in {}", human_ms(ms)),
            _ => "no longer expires".into(),
        });
    }
    if parts.len() == 1 && change.changed_in_place() {
        return format!(
            "{} updated in place ({})",
            line(&after.kind),
            line(&after.summary)
        );
    }
    parts.join(", ")
}

fn human_ms(ms: i64) -> String {
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        format!("{} s", ms / 1000)
    }
}
