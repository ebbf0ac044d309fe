//! Checks of the constructs that shape how a step may be done: `max_commands` and `max_writes`
//! (the solution must fit within them), and the nested matchers (`not`, `all_of`, `any_of`,
//! `pairs`). Each problem is reported at its place in the file.

use crate::lesson::diagnostic::Diagnostic;
use crate::lesson::loader::args_of;
use crate::lesson::model::{Matcher, Step};
use crate::lesson::validate::CommandTable;
use serde_saphyr::{Location, Spanned};

fn table() -> &'static CommandTable {
    static TABLE: std::sync::OnceLock<CommandTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(CommandTable::builtin)
}

/// How many commands, and how many writes, the step's solution sends.
fn solution_counts(step: &Step) -> (u64, u64) {
    let (mut commands, mut writes) = (0u64, 0u64);
    for spec in &step.solution {
        let Some(Ok(args)) = spec.value.cmd.as_ref().map(args_of) else {
            continue;
        };
        let times = u64::from(spec.value.repeat.unwrap_or(1));
        commands += times;
        if table().writes_command(&args) || crate::command::runs_a_script(&args) {
            writes += times;
        }
    }
    (commands, writes)
}

/// `max_commands` / `max_writes` of a step: at least 1, and no fewer than its solution needs.
pub fn check_limits(file: &str, source: &str, step: &Step, problems: &mut Vec<Diagnostic>) {
    let (commands, writes) = solution_counts(step);
    let limits: [(&str, &Option<Spanned<u32>>, u64, &str); 2] = [
        ("max_commands", &step.max_commands, commands, "commands"),
        (
            "max_writes",
            &step.max_writes,
            writes,
            "commands that write",
        ),
    ];
    for (field, limit, needed, what) in limits {
        let Some(limit) = limit else { continue };
        let place = &limit.referenced;
        if limit.value == 0 {
            problems.push(
                Diagnostic::new(
                    file,
                    source,
                    place.line(),
                    place.column(),
                    format!("`{field}: 0` leaves no way to do the step"),
                )
                .with_help(format!("`{field}: 1` asks for the task in one command")),
            );
        } else if needed > u64::from(limit.value) {
            problems.push(
                Diagnostic::new(
                    file,
                    source,
                    place.line(),
                    place.column(),
                    format!(
                        "`{field}: {}` but the solution of step `{}` sends {needed} {what}",
                        limit.value,
                        step.id()
                    ),
                )
                .with_help(
                    "the solution must be a way to do the step: shorten it, or raise the limit",
                ),
            );
        }
    }
}

/// The matchers inside `not`, `all_of` and `any_of`: a list needs at least one, and a nested
/// `matches` a valid pattern. `place` is where the check (or the enclosing matcher) is; each
/// nested matcher is reported at its own place. (The loader checks a top-level `matches`.)
pub fn check_matcher(
    file: &str,
    source: &str,
    matcher: &Matcher,
    place: &Location,
    problems: &mut Vec<Diagnostic>,
) {
    visit(file, source, matcher, place, 0, problems);
}

fn visit(
    file: &str,
    source: &str,
    matcher: &Matcher,
    place: &Location,
    depth: usize,
    problems: &mut Vec<Diagnostic>,
) {
    let report = |problems: &mut Vec<Diagnostic>, at: &Location, message: String, help: &str| {
        problems.push(
            Diagnostic::new(file, source, at.line(), at.column(), message)
                .with_help(help.to_string()),
        );
    };
    match matcher {
        Matcher::Not(inner) => visit(
            file,
            source,
            &inner.value,
            &inner.referenced,
            depth + 1,
            problems,
        ),
        Matcher::AllOf(list) | Matcher::AnyOf(list) => {
            let name = if matches!(matcher, Matcher::AllOf(_)) {
                "all_of"
            } else {
                "any_of"
            };
            if list.is_empty() {
                report(
                    problems,
                    place,
                    format!("`{name}` needs at least one matcher"),
                    "write a list of matchers: `{all_of: [{contains: a}, {not: {contains: b}}]}`",
                );
            }
            for item in list {
                visit(
                    file,
                    source,
                    &item.value,
                    &item.referenced,
                    depth + 1,
                    problems,
                );
            }
        }
        Matcher::Matches(pattern) if depth > 0 => {
            if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
                // The parser's own text spans lines and draws its own caret: its kind is enough.
                let what = match &e {
                    regex_syntax::Error::Parse(e) => e.kind().to_string(),
                    regex_syntax::Error::Translate(e) => e.kind().to_string(),
                    other => other.to_string(),
                };
                report(
                    problems,
                    place,
                    format!("invalid regular expression in `matches`: {what}"),
                    &format!("the pattern was {pattern:?}"),
                );
            }
        }
        _ => {}
    }
}

/// The step `--step` names: its id, or its number (1 for the first step).
pub fn find_step(lesson: &crate::lesson::model::Lesson, wanted: &str) -> Result<usize, String> {
    let steps = &lesson.steps;
    if let Ok(number) = wanted.parse::<usize>() {
        return match number {
            1.. if number <= steps.len() => Ok(number - 1),
            _ => Err(format!(
                "lesson `{}` has steps 1 to {}; there is no step {number}",
                lesson.id(),
                steps.len()
            )),
        };
    }
    if let Some(index) = steps.iter().position(|s| s.id() == wanted) {
        return Ok(index);
    }
    let ids: Vec<&str> = steps.iter().map(|s| s.id()).collect();
    let hint = match crate::lesson::diagnostic::did_you_mean(wanted, ids.iter().copied()) {
        Some(near) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    Err(format!(
        "lesson `{}` has no step `{wanted}`: {hint}its steps are {} (or give a number, 1 to {})",
        lesson.id(),
        ids.join(", "),
        steps.len()
    ))
}

#[cfg(test)]
mod tests {
    const HEADER: &str = "format: 1
id: unit
title: Unit
track: patterns
level: beginner
summary: A lesson for the step machine's unit tests.
";

    #[test]
    fn a_solution_longer_than_max_commands_is_refused_at_its_place() {
        let steps = "steps:
  - id: one
    title: In one command
    task: Make counter 2.
    max_commands: 1
    max_writes: 0
    solution:
      - INCR counter
      - INCR counter
    checks:
      - probe: GET counter
        expect: {equals: 2}
";
        let source = format!("{HEADER}{steps}");
        let problems = crate::lesson::loader::parse_lesson("unit.yaml", &source)
            .expect_err("the limits are checked")
            .to_string();
        assert!(
            problems.contains("unit.yaml:11:19")
                && problems
                    .contains("`max_commands: 1` but the solution of step `one` sends 2 commands"),
            "{problems}"
        );
        assert!(
            problems.contains("unit.yaml:12:17")
                && problems.contains("`max_writes: 0` leaves no way"),
            "{problems}"
        );
    }
}
