//! The loader on lesson texts: what loads, and what each problem is called.

use super::*;

const MINIMAL: &str = "format: 1\nid: demo\ntitle: Demo\ntrack: patterns\nlevel: beginner\nsummary: s\nsteps:\n  - id: one\n    title: One\n    task: Set k\n    solution: [SET k v]\n    checks:\n      - probe: GET k\n        expect: {equals: v}\n";

#[test]
fn a_minimal_lesson_loads() {
    let lesson = parse_lesson("demo.yaml", MINIMAL).expect("valid");
    assert_eq!(lesson.id(), "demo");
    assert_eq!(lesson.steps.len(), 1);
}

#[test]
fn misspelt_field_points_at_its_line_with_a_suggestion() {
    let broken = MINIMAL.replace("    solution:", "    solutoin:");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    let d = &err.0[0];
    assert_eq!((d.line, d.column), (11, 5));
    assert_eq!(d.help.as_deref(), Some("did you mean `solution`?"));
}

#[test]
fn a_value_of_the_wrong_shape_names_its_field_and_what_to_write() {
    let cases = [
        (
            "format: 1",
            "format: one",
            "`format` must be a whole number",
        ),
        ("summary: s", "summary: [s]", "`summary` must be text"),
        ("steps:", "steps: none", "`steps` must be a list"),
        (
            "      - probe: GET k",
            "      - probe",
            "this value must be a mapping of fields",
        ),
    ];
    for (from, to, message) in cases {
        let err = parse_lesson("demo.yaml", &MINIMAL.replacen(from, to, 1)).unwrap_err();
        let d = &err.0[0];
        assert!(d.message.starts_with(message), "{to}: {}", d.message);
        assert!(d.help.is_some(), "{to}: no help");
    }
}

#[test]
fn a_field_indented_too_deep_is_explained_as_indentation() {
    let broken = MINIMAL.replace("    title: One", "      title: One");
    let d = &parse_lesson("demo.yaml", &broken).unwrap_err().0[0];
    assert_eq!(d.line, 9);
    assert!(d.message.contains("indented deeper"), "{}", d.message);
}

#[test]
fn a_plain_value_where_a_matcher_belongs_lists_the_matchers() {
    let broken = MINIMAL.replace("expect: {equals: v}", "expect: v");
    let d = &parse_lesson("demo.yaml", &broken).unwrap_err().0[0];
    assert_eq!(d.message, "unknown matcher `v`");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("{equals: 1}") && help.contains("one_of"),
        "{help}"
    );
}

#[test]
fn unbalanced_quotes_in_a_command_are_reported_at_the_command() {
    let broken = MINIMAL.replace("[SET k v]", "['SET k \"v']");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    assert!(err.0[0].message.contains("unbalanced quotes"), "{err}");
    assert_eq!(err.0[0].line, 11);
}

/// Found by running generated inputs through the lesson_loader fuzz target: a file under
/// MAX_LESSON_BYTES with a problem in every step made diagnostics per step, each scanning and
/// copying its source line: minutes of CPU when the steps are on many lines, gigabytes of
/// memory when they share one line.
#[test]
fn a_problem_in_every_step_is_reported_a_bounded_number_of_times() {
    let head = "format: 1\nid: demo\ntitle: Demo\ntrack: patterns\nlevel: beginner\nsummary: s\n";
    let one_line = format!(
        "{head}steps: [{}]\n",
        ["{id: X, title: t}"; 2_000].join(", ")
    );
    let many_lines = format!(
        "{head}steps:\n{}",
        "- {id: X, title: t, task: t}\n".repeat(2_000)
    );
    for source in [one_line, many_lines] {
        assert!(source.len() <= MAX_LESSON_BYTES);
        let err = parse_lesson("big.yaml", &source).unwrap_err();
        assert_eq!(err.0.len(), MAX_PROBLEMS + 1, "{}", err.0[0]);
        assert!(err.0[0].message.contains("invalid step id"), "{}", err.0[0]);
        assert!(err.0[MAX_PROBLEMS].message.starts_with("stopped after"));
        assert_eq!(err.0[MAX_PROBLEMS].line, 0);
    }
}

#[test]
fn invalid_regular_expressions_are_reported() {
    let broken = MINIMAL.replace("expect: {equals: v}", "expect: {matches: \"(unclosed\"}");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    assert!(
        err.0[0]
            .message
            .starts_with("invalid regular expression in `matches`")
            && err.0[0].message.contains("unclosed group"),
        "{err}"
    );
}

/// Found by running generated inputs through the lesson_loader fuzz target: every `matches`
/// pattern was compiled at load time, about 45 ms each for `\w{100}` in a release build, so a
/// 64 KB file of such checks took nearly a minute to load.
#[test]
fn many_large_patterns_load_quickly() {
    let check = "      - {probe: GET k, expect: {matches: '\\w{100}'}}\n";
    let source = MINIMAL.replace(
        "    checks:\n",
        &format!("    checks:\n{}", check.repeat(300)),
    );
    let started = std::time::Instant::now();
    let lesson = parse_lesson("demo.yaml", &source).expect("valid");
    assert_eq!(lesson.steps[0].checks.len(), 301);
    // Compiling the patterns took over a minute in a debug build; checking their syntax takes
    // milliseconds.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn repeats_waits_and_clients_have_limits() {
    let lesson = |extra: &str| MINIMAL.replace("    solution: [SET k v]", extra);
    let problems = |text: &str| match parse_lesson("t.yaml", text) {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    };
    assert!(
        problems(&lesson("    solution: [{cmd: PING, repeat: 100001}]"))
            .contains("`repeat: 100001` is over")
    );
    assert!(
        problems(&lesson("    solution: [{wait_ms: 3600000}]"))
            .contains("`wait_ms: 3600000` is over")
    );
    assert!(
        problems(&lesson(
            "    solution: [{cmd: PING, repeat: 100000}, {wait_ms: 60000}]"
        ))
        .is_empty()
    );
    let many: Vec<String> = (0..33)
        .map(|i| format!("{{cmd: PING, client: c{i}}}"))
        .collect();
    let text = lesson(&format!("    solution: [{}]", many.join(", ")));
    assert!(
        problems(&text).contains("names 33 clients"),
        "{}",
        problems(&text)
    );
}

#[test]
fn fixture_paths_cannot_leave_the_folder() {
    assert!(fixture_path_problem("../../etc/passwd").is_some());
    assert!(fixture_path_problem("/etc/passwd").is_some());
    assert!(fixture_path_problem("leaderboard/players.redis").is_none());
}

#[test]
fn a_misspelt_option_of_a_command_map_gets_a_suggestion_from_the_derived_fields() {
    let broken = MINIMAL.replace("solution: [SET k v]", "solution: [{cmdd: SET k v}]");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.message, "unknown field `cmdd`");
    assert_eq!(d.help.as_deref(), Some("did you mean `cmd`?"));
    // And the string form still reads as a command line.
    let lesson = parse_lesson("demo.yaml", MINIMAL).unwrap();
    let spec = &lesson.steps[0].solution[0].value;
    assert_eq!(spec.cmd, Some(Args::Line("SET k v".into())));
    assert_eq!(spec.client, None);
}

#[test]
fn unknown_names_are_told_by_the_parsers_error_kind_not_its_wording() {
    // A name holding the words the old reading of the message text split on.
    let broken = MINIMAL.replace("    solution:", "    \"x, expected one of y\":");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.message, "unknown field `x, expected one of y`");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.starts_with("expected one of: id, title,"), "{help}");
}

#[test]
fn wrong_ways_load_as_lines_and_are_checked_where_they_are_written() {
    let with = |wrong: &str| MINIMAL.to_string() + "    wrong:\n" + wrong;
    let lesson = parse_lesson(
        "t.yaml",
        &with("      - SET k w\n      - [SET k v, DEL k]\n"),
    )
    .expect("valid");
    let ways: Vec<Vec<String>> = lesson.steps[0]
        .wrong
        .iter()
        .map(|w| w.value.lines.clone())
        .collect();
    assert_eq!(ways, [vec!["SET k w"], vec!["SET k v", "DEL k"]]);
    assert_eq!(lesson.steps[0].wrong[1].referenced.line(), 17);

    let problems = |text: &str| match parse_lesson("t.yaml", text) {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    };
    let text = with("      - 'SET \"k v'\n");
    assert!(problems(&text).contains("t.yaml:16"), "{}", problems(&text));
    assert!(problems(&text).contains("wrong way `SET \"k v`"));
    assert!(problems(&with("      - ''\n")).contains("an empty line"));
    assert!(problems(&with("      - []\n")).contains("at least one command"));
    // A script in a wrong way is declared like any other.
    assert!(problems(&with("      - EVAL \"return 1\" 0\n")).contains("scripts: true"));
    // Without checks, nothing could fail a wrong way.
    let demo = "format: 1\nid: demo\ntitle: Demo\ntrack: patterns\nlevel: beginner\nsummary: s\nsteps:\n  - id: one\n    title: One\n    wrong: [DEL k]\n";
    assert!(
        problems(demo).contains("no checks for them to fail"),
        "{}",
        problems(demo)
    );
    let many: Vec<String> = (0..13).map(|i| format!("      - SET k w{i}\n")).collect();
    assert!(problems(&with(&many.concat())).contains("more than the limit of 12"));
}

/// An unknown field used to hide the next problems: each recoverable error is stepped over and
/// the parse goes on, so all of them are reported, each at its own line.
#[test]
fn every_format_error_of_a_file_is_reported_in_one_run() {
    let broken = MINIMAL
        .replace("track: patterns", "track: patern")
        .replace("summary: s", "summary: s\ncolour: red")
        .replace("    task: Set k", "    task: Set k\n    hint: [h]")
        .replace("{equals: v}", "{equalz: v}\n        poll_ms: soon");
    let err = parse_lesson("demo.yaml", &broken).unwrap_err();
    let found: Vec<(u64, &str)> = err.0.iter().map(|d| (d.line, d.message.as_str())).collect();
    assert_eq!(
        found,
        [
            (4, "unknown variant `patern`"),
            (7, "unknown field `colour`"),
            (12, "unknown field `hint`"),
            (16, "unknown matcher `equalz`"),
            (17, "`poll_ms` must be a whole number"),
        ],
        "{err}"
    );
    // The author's own lines are shown, not the copy the parser went on with.
    assert_eq!(err.0[1].source_line.as_deref(), Some("colour: red"));
}
