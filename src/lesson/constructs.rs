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
            if let Some(what) = regex_problem(pattern) {
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

/// What is wrong with a `matches:` pattern, or None: its syntax, or (for a pattern that could
/// be large) that it compiles past the size limit the check compiles it with (`Regex::new`'s).
/// Only patterns whose rough size (repetitions multiplied out) is large are compiled: compiling
/// every one would cost tens of milliseconds for `\w{100}`, and a file may hold thousands.
pub fn regex_problem(pattern: &str) -> Option<String> {
    let hir = match regex_syntax::Parser::new().parse(pattern) {
        Ok(hir) => hir,
        // The parser's own text spans lines and draws its own caret: its kind is enough.
        Err(regex_syntax::Error::Parse(e)) => return Some(e.kind().to_string()),
        Err(regex_syntax::Error::Translate(e)) => return Some(e.kind().to_string()),
        Err(other) => return Some(other.to_string()),
    };
    if rough_size(&hir) < 100_000 {
        return None;
    }
    match regex::RegexBuilder::new(pattern).build() {
        Err(regex::Error::CompiledTooBig(limit)) => Some(format!(
            "the pattern compiles to more than the {limit} bytes a check may use (a counted \
             repetition such as `{{1000}}` multiplies what it repeats)"
        )),
        Err(e) => Some(e.to_string()),
        Ok(_) => None,
    }
}

/// A rough count of the states a pattern compiles to: repetitions multiply what they repeat.
fn rough_size(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(Class::Unicode(class)) => class.ranges().len() as u64,
        HirKind::Class(Class::Bytes(class)) => class.ranges().len() as u64,
        HirKind::Repetition(rep) => {
            let times = u64::from(rep.max.unwrap_or(rep.min).max(rep.min).max(1));
            rough_size(&rep.sub).saturating_mul(times)
        }
        HirKind::Capture(capture) => rough_size(&capture.sub),
        HirKind::Concat(all) | HirKind::Alternation(all) => {
            all.iter().map(rough_size).fold(0u64, u64::saturating_add)
        }
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
    #[test]
    fn a_pattern_too_big_to_compile_is_a_problem_and_ordinary_ones_are_not() {
        use super::regex_problem;
        let huge = regex_problem("a{1000}{1000}{1000}").expect("too big");
        assert!(huge.contains("compiles to more than"), "{huge}");
        assert!(regex_problem(r"\w{100}").is_none());
        assert!(regex_problem("^job:[0-9]+$").is_none());
        assert!(regex_problem("a(").is_some());
    }

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
