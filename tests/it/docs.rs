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
