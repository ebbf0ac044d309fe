//! The authoring guide cannot drift from the code: every YAML example in it is a lesson that
//! parses, and the ones without fixtures are proven on a real server.

use crate::common::*;
use redis_lab::lesson::loader::parse_lesson;

fn yaml_examples() -> Vec<String> {
    let guide = include_str!("../../docs/authoring.md");
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in guide.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(block), "```") => {
                examples.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            _ => {}
        }
    }
    examples
}

#[test]
fn every_yaml_example_in_the_guide_is_a_valid_lesson() {
    let examples = yaml_examples();
    assert!(examples.len() >= 3, "the guide has its examples");
    for (i, example) in examples.iter().enumerate() {
        if let Err(e) = parse_lesson(&format!("docs/authoring.md example {}", i + 1), example) {
            panic!("{e}");
        }
    }
}

#[test]
fn examples_without_fixtures_pass_on_a_real_server() {
    for example in yaml_examples() {
        let lesson = parse_lesson("example", &example).unwrap();
        if !lesson.fixtures.is_empty() {
            continue;
        }
        let dir = pack(&[("example.yaml", &example)]);
        let catalog = pack_catalog(dir.path());
        let mut session = sandbox_session(entry(&catalog, lesson.id()));
        while !session.is_finished() {
            let proof = session.prove_step().unwrap();
            assert!(proof.ok(), "{}: {proof:?}", lesson.id());
        }
    }
}

/// The guide's example with anchors and merge keys: serde-saphyr merges `<<: *count` into a step,
/// the keys written beside it win, and an alias (`*incr`, `*label`) is the anchored value.
#[test]
fn anchors_and_merge_keys_build_steps_from_shared_parts() {
    let example = yaml_examples()
        .into_iter()
        .find(|e| e.contains("id: anchors\n"))
        .expect("the guide has the anchors example");
    let lesson = parse_lesson("anchors.yaml", &example).unwrap();
    let [one, two, three] = &lesson.steps[..] else {
        panic!("three steps: {:?}", lesson.steps.len());
    };
    assert_eq!((one.id(), two.id(), three.id()), ("one", "two", "three"));
    // Merged from step one.
    assert_eq!(two.explain, one.explain);
    let commands = |step: &redis_lab::lesson::model::Step| -> Vec<_> {
        step.solution.iter().map(|s| s.value.clone()).collect()
    };
    assert_eq!(commands(two), commands(one));
    assert_eq!(two.hints.len(), 1);
    assert_eq!(two.hints[0].value, "`INCR k`");
    // Written beside the merge key: their own.
    assert_eq!(two.title, "Count to two");
    assert_eq!(two.task.as_deref(), Some("Make `k` 2."));
    assert_eq!(two.checks.len(), 1);
    assert_eq!(three.hints[0].value, "`INCR k`");
    assert_eq!(three.checks[0].label, two.checks[0].label);
    assert_eq!(
        three.checks[0].label.as_deref(),
        Some("k counts every INCR")
    );
}
