//! YAML text to a checked [`Lesson`]. The YAML crate stays behind this module.

use crate::command::tokenize::split_args;
use crate::lesson::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
pub use crate::lesson::model::is_valid_id;
use crate::lesson::model::{Args, CommandSpec, FORMAT_VERSION, Lesson, Matcher};
use serde_saphyr::{Location, Spanned};
use std::collections::HashSet;

/// Lesson files larger than this are refused before parsing (a lesson is a few KB).
pub const MAX_LESSON_BYTES: usize = 1024 * 1024;

/// Semantic checks stop after this many problems. Each diagnostic finds and copies its source
/// line, so a large file with a problem in every step (or all on one long line) would otherwise
/// take minutes and gigabytes; past a few dozen the list is noise anyway.
pub const MAX_PROBLEMS: usize = 50;

/// Parses and checks one lesson file. `file` is the name shown in diagnostics.
pub fn parse_lesson(file: &str, source: &str) -> Result<Lesson, Diagnostics> {
    if source.len() > MAX_LESSON_BYTES {
        return Err(Diagnostics(vec![Diagnostic::new(
            file,
            source,
            0,
            0,
            format!(
                "the file is {} bytes; a lesson file may be at most {MAX_LESSON_BYTES} bytes",
                source.len()
            ),
        )]));
    }
    if source.trim().is_empty() {
        return Err(Diagnostics(vec![
            Diagnostic::new(file, source, 1, 1, "the file is empty").with_help(
                "a lesson starts with `format: 1`, then id, title, track, level, summary and steps",
            ),
        ]));
    }
    let lesson: Lesson = parse_collecting(file, source)?;
    let problems = check_semantics(file, source, &lesson);
    if problems.is_empty() {
        Ok(lesson)
    } else {
        Err(Diagnostics(problems))
    }
}

/// Parses bytes that may not be UTF-8 (a binary file given by mistake).
pub fn parse_lesson_bytes(file: &str, bytes: &[u8]) -> Result<Lesson, Diagnostics> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_lesson(file, text),
        Err(e) => Err(Diagnostics(vec![Diagnostic::new(
            file,
            "",
            0,
            0,
            format!(
                "the file is not UTF-8 text (invalid byte at offset {}); is it really a lesson?",
                e.valid_up_to()
            ),
        )])),
    }
}

fn at(file: &str, source: &str, location: &Location, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(file, source, location.line(), location.column(), message)
}

/// Checks serde cannot express: versions, unique ids, command lines that tokenize, regexes.
fn check_semantics(file: &str, source: &str, lesson: &Lesson) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if lesson.format != FORMAT_VERSION {
        problems.push(
            Diagnostic::new(
                file,
                source,
                line_of(source, "format:"),
                1,
                format!("unsupported format version {}", lesson.format),
            )
            .with_help(format!("this redis-lab reads `format: {FORMAT_VERSION}`")),
        );
    }
    if !is_valid_id(&lesson.id.value) {
        problems.push(
            at(
                file,
                source,
                &lesson.id.referenced,
                format!("invalid lesson id {:?}", lesson.id.value),
            )
            .with_help("ids are lowercase letters, digits and dashes, like `sorted-sets`"),
        );
    }
    if lesson.steps.is_empty() {
        problems.push(Diagnostic::new(
            file,
            source,
            line_of(source, "steps:"),
            1,
            "a lesson needs at least one step",
        ));
    }
    for fixture in &lesson.fixtures {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        if let Some(problem) = fixture_path_problem(&fixture.value) {
            problems.push(at(file, source, &fixture.referenced, problem.to_string()));
        }
    }
    for requires in std::iter::once(&lesson.requires)
        .chain(lesson.steps.iter().filter_map(|s| s.requires.as_ref()))
    {
        if let Some(problem) = crate::server::safety::server_args_problem(&requires.server_args) {
            problems.push(Diagnostic::new(
                file,
                source,
                line_of(source, "server_args:"),
                1,
                problem,
            ));
        }
    }
    check_commands(file, source, &lesson.setup, &mut problems);
    for command in lesson.setup.iter().chain(
        lesson
            .steps
            .iter()
            .flat_map(|s| s.run.iter().chain(&s.solution)),
    ) {
        if let Some(Ok(args)) = command.value.cmd.as_ref().map(args_of) {
            script_needs_declaring(
                file,
                source,
                lesson,
                &args,
                &command.referenced,
                &mut problems,
            );
        }
    }
    let mut seen = HashSet::new();
    for step in &lesson.steps {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        if !is_valid_id(&step.id.value) {
            problems.push(
                at(
                    file,
                    source,
                    &step.id.referenced,
                    format!("invalid step id {:?}", step.id.value),
                )
                .with_help("ids are lowercase letters, digits and dashes"),
            );
        }
        if step.client.as_deref() == Some(crate::server::connection::HIDDEN_CLIENT) {
            problems.push(at(
                file,
                source,
                &step.id.referenced,
                format!(
                    "`client: {}` is redis-lab's own connection; name another client",
                    crate::server::connection::HIDDEN_CLIENT
                ),
            ));
        }
        if !seen.insert(step.id.value.as_str()) {
            problems.push(at(
                file,
                source,
                &step.id.referenced,
                format!("duplicate step id `{}`", step.id.value),
            ));
        }
        check_commands(file, source, &step.run, &mut problems);
        check_commands(file, source, &step.solution, &mut problems);
        crate::lesson::constructs::check_limits(file, source, step, &mut problems);
        check_wrong_ways(file, source, lesson, step, &mut problems);
        for probe in step.checks.iter().filter_map(|c| c.probe.as_ref()) {
            if let Ok(args) = args_of(&probe.value) {
                script_needs_declaring(
                    file,
                    source,
                    lesson,
                    &args,
                    &probe.referenced,
                    &mut problems,
                );
            }
        }
        if step.task.is_some() && step.checks.is_empty() {
            problems.push(
                at(
                    file,
                    source,
                    &step.id.referenced,
                    format!("step `{}` has a task but no checks", step.id.value),
                )
                .with_help(
                    "add `checks:` that prove the task is done, so any correct command passes",
                ),
            );
        }
        if step.task.is_some() && step.solution.is_empty() {
            problems.push(at(file, source, &step.id.referenced, format!("step `{}` has a task but no solution", step.id.value))
                .with_help("`solution:` lists commands that complete the task; `skip` and `--auto` run them"));
        }
        if !step.checks.is_empty() && step.checks.iter().all(|c| c.guard) {
            problems.push(at(file, source, &step.id.referenced, format!("every check of step `{}` is a guard", step.id.value))
                .with_help("a guard may pass before the solution; at least one check must prove the task was done"));
        }
        for check in &step.checks {
            if problems.len() >= MAX_PROBLEMS {
                break;
            }
            let anchor = check
                .probe
                .as_ref()
                .map(|p| &p.referenced)
                .unwrap_or(&step.id.referenced);
            if let Some(poll) = check.poll_ms.filter(|p| *p > MAX_WAIT_MS) {
                problems.push(at(
                    file,
                    source,
                    anchor,
                    format!("`poll_ms: {poll}` is over the limit of {MAX_WAIT_MS} (a minute)"),
                ));
            }
            if check.probe.is_some() && check.received.is_some() {
                problems.push(at(
                    file,
                    source,
                    anchor,
                    "a check has either `probe` or `received`, not both",
                ));
            }
            if let Some(probe) = &check.probe
                && let Err(problem) = args_of(&probe.value)
            {
                problems.push(at(file, source, &probe.referenced, problem.to_string()));
            }
            // Only the syntax is checked here: compiling (as the check does when it runs) costs
            // tens of milliseconds for a pattern like `\w{100}`, and a file may hold thousands.
            if let Matcher::Matches(pattern) = &check.expect.value
                && let Err(e) = regex_syntax::Parser::new().parse(pattern)
            {
                let (line, column) = value_position(source, &check.expect.referenced, "matches");
                // The parser's own text spans lines and draws its own caret: its kind is enough,
                // the caret goes under the value.
                let what = match &e {
                    regex_syntax::Error::Parse(e) => e.kind().to_string(),
                    regex_syntax::Error::Translate(e) => e.kind().to_string(),
                    other => other.to_string(),
                };
                problems.push(
                    Diagnostic::new(
                        file,
                        source,
                        line,
                        column,
                        format!("invalid regular expression in `matches`: {what}"),
                    )
                    .with_help(format!("the pattern was {pattern:?}")),
                );
            }
            crate::lesson::constructs::check_matcher(
                file,
                source,
                &check.expect.value,
                &check.expect.referenced,
                &mut problems,
            );
        }
    }
    let clients: HashSet<&str> = lesson
        .setup
        .iter()
        .chain(
            lesson
                .steps
                .iter()
                .flat_map(|s| s.run.iter().chain(&s.solution)),
        )
        .filter_map(|c| c.value.client.as_deref())
        .chain(lesson.steps.iter().filter_map(|s| s.client.as_deref()))
        .chain(
            lesson
                .steps
                .iter()
                .flat_map(|s| s.checks.iter().filter_map(|c| c.client.as_deref())),
        )
        .collect();
    if clients.len() > MAX_CLIENTS {
        problems.push(Diagnostic::new(
            file,
            source,
            line_of(source, "steps:"),
            1,
            format!(
                "the lesson names {} clients, more than the limit of {MAX_CLIENTS}",
                clients.len()
            ),
        ));
    }
    if problems.len() >= MAX_PROBLEMS {
        problems.truncate(MAX_PROBLEMS);
        problems.push(Diagnostic::new(
            file,
            source,
            0,
            0,
            format!("stopped after {MAX_PROBLEMS} problems: fix these, then check again"),
        ));
    }
    problems
}

/// Bounds on what one lesson may ask for, so a pack cannot make redis-lab wait for hours, send
/// millions of commands or open connections without end (docs/authoring.md states them).
pub const MAX_REPEAT: u32 = 100_000;
pub const MAX_WAIT_MS: u64 = 60_000;
pub const MAX_CLIENTS: usize = 32;
/// Each wrong way rebuilds the step's state once in `check --run`, so a step has a few, not many.
pub const MAX_WRONG_WAYS: usize = 12;

/// A step's wrong ways: only where checks can fail them, each line a command that tokenizes (a
/// script declared like any other).
fn check_wrong_ways(
    file: &str,
    source: &str,
    lesson: &Lesson,
    step: &crate::lesson::model::Step,
    problems: &mut Vec<Diagnostic>,
) {
    let Some(first) = step.wrong.first() else {
        return;
    };
    if step.checks.is_empty() {
        problems.push(
            at(
                file,
                source,
                &first.referenced,
                format!(
                    "step `{}` has wrong ways but no checks for them to fail",
                    step.id.value
                ),
            )
            .with_help("a wrong way must leave the step unpassed, and only checks can say so"),
        );
    }
    if step.wrong.len() > MAX_WRONG_WAYS {
        problems.push(at(
            file,
            source,
            &step.wrong[MAX_WRONG_WAYS].referenced,
            format!(
                "step `{}` has {} wrong ways, more than the limit of {MAX_WRONG_WAYS}",
                step.id.value,
                step.wrong.len()
            ),
        ));
    }
    for way in &step.wrong {
        for line in &way.value.lines {
            match split_args(line) {
                Err(e) => problems.push(at(
                    file,
                    source,
                    &way.referenced,
                    format!("wrong way `{line}`: {e}"),
                )),
                Ok(args) if args.is_empty() => problems.push(at(
                    file,
                    source,
                    &way.referenced,
                    "a wrong way has an empty line: write the commands a learner would type",
                )),
                Ok(args) => {
                    let (_, mut args) = crate::command::tokenize::repeat_prefix(args);
                    if matches!(args.first().map(Vec::as_slice), Some(b":pipe" | b":time")) {
                        args.drain(..args.len().min(2));
                    }
                    script_needs_declaring(file, source, lesson, &args, &way.referenced, problems)
                }
            }
        }
    }
}

fn check_commands(
    file: &str,
    source: &str,
    commands: &[Spanned<CommandSpec>],
    problems: &mut Vec<Diagnostic>,
) {
    for command in commands {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let spec = &command.value;
        if spec.client.as_deref() == Some(crate::server::connection::HIDDEN_CLIENT) {
            problems.push(at(
                file,
                source,
                &command.referenced,
                format!(
                    "`client: {}` is redis-lab's own connection; name another client",
                    crate::server::connection::HIDDEN_CLIENT
                ),
            ));
        }
        if let Some(repeat) = spec.repeat.filter(|r| *r > MAX_REPEAT) {
            problems.push(at(
                file,
                source,
                &command.referenced,
                format!("`repeat: {repeat}` is over the limit of {MAX_REPEAT}"),
            ));
        }
        if let Some(wait) = spec.wait_ms.filter(|w| *w > MAX_WAIT_MS) {
            problems.push(at(
                file,
                source,
                &command.referenced,
                format!("`wait_ms: {wait}` is over the limit of {MAX_WAIT_MS} (a minute)"),
            ));
        }
        if let Some(args) = &command.value.cmd {
            match args_of(args) {
                Err(problem) => {
                    problems.push(at(file, source, &command.referenced, problem.to_string()))
                }
                Ok(args) => {
                    if let Some(problem) = crate::server::safety::config_set_problem(&args) {
                        problems.push(at(file, source, &command.referenced, problem));
                    }
                }
            }
        }
        if let Some(extra) = &command.value.restart
            && let Some(problem) = crate::server::safety::server_args_problem(extra)
        {
            problems.push(at(file, source, &command.referenced, problem));
        }
    }
}

/// A script can reach every database, so a lesson that runs one must say so: on a server given
/// with --url it then runs only with --force. Sandbox-only lessons never reach such a server.
fn script_needs_declaring(
    file: &str,
    source: &str,
    lesson: &Lesson,
    args: &[Vec<u8>],
    location: &Location,
    problems: &mut Vec<Diagnostic>,
) {
    if lesson.requires.scripts
        || lesson.requires.sandbox
        || !crate::server::safety::runs_scripts(args)
    {
        return;
    }
    let already = problems
        .iter()
        .any(|p| p.message.contains("requires: {scripts: true}"));
    if !already && problems.len() < MAX_PROBLEMS {
        problems.push(
            at(
                file,
                source,
                location,
                format!(
                    "`{}` runs a script, but the lesson does not declare `requires: {{scripts: true}}`",
                    crate::command::name(args).unwrap_or_default()
                ),
            )
            .with_help(
                "add `scripts: true` under `requires:`; on a server given with --url the lesson then runs only with --force",
            ),
        );
    }
}

/// The arguments of a command, tokenized with redis-cli's rules.
pub fn args_of(args: &Args) -> Result<Vec<Vec<u8>>, ArgsError> {
    let tokens = match args {
        Args::Line(line) => split_args(line).map_err(|problem| ArgsError::Tokenize {
            line: line.clone(),
            problem,
        })?,
        Args::List(items) => items.iter().map(|s| s.as_bytes().to_vec()).collect(),
    };
    if tokens.is_empty() {
        return Err(ArgsError::Empty);
    }
    Ok(tokens)
}

/// Why a lesson's command cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("{problem} in `{line}`")]
    Tokenize {
        line: String,
        problem: crate::command::tokenize::TokenizeError,
    },
    #[error("empty command")]
    Empty,
}

/// Fixture paths stay inside the pack's fixtures folder: no absolute paths, no `..`.
pub fn fixture_path_problem(path: &str) -> Option<FixturePathProblem> {
    let p = std::path::Path::new(path);
    let path = path.to_string();
    if path.is_empty() {
        return Some(FixturePathProblem::Empty);
    }
    if p.is_absolute() || path.starts_with('~') {
        return Some(FixturePathProblem::Absolute { path });
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Some(FixturePathProblem::LeavesFolder { path });
    }
    None
}

/// Why a fixture path a lesson names is refused before anything is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixturePathProblem {
    #[error("empty fixture path")]
    Empty,
    #[error(
        "fixture path {path:?} is absolute; fixtures are relative to the pack's fixtures/ folder"
    )]
    Absolute { path: String },
    #[error("fixture path {path:?} leaves the fixtures/ folder (`..` is not allowed)")]
    LeavesFolder { path: String },
}

/// The line of the first top-level key `prefix`, for a problem of the whole section.
fn line_of(source: &str, prefix: &str) -> u64 {
    source
        .lines()
        .position(|l| l.starts_with(prefix))
        .map(|i| i as u64 + 1)
        .unwrap_or(1)
}

mod yaml_errors;
pub(crate) use yaml_errors::yaml_diagnostic;
mod recover;
mod values;
use recover::parse_collecting;
pub use values::{boolean_in, boolean_problem, value_position};

#[cfg(test)]
mod tests;
