//! The lesson `redis-lab new` writes: commented, with one working step, passing `check --run`.

use crate::lesson::model::Track;

pub fn lesson(id: &str, track: Track) -> String {
    TEMPLATE
        .replace("{id}", id)
        .replace("{track}", track.as_str())
        .replace("{title}", &title_of(id))
}

fn title_of(id: &str) -> String {
    let words: Vec<String> = id
        .split('-')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect();
    words.join(" ")
}

const TEMPLATE: &str = r#"# yaml-language-server: $schema=../lesson.schema.json
# A redis-lab lesson. Every field and what it means: ../lesson.schema.json (editors show it on
# hover; `redis-lab schema` prints it); the guide, with examples: docs/authoring.md of redis-lab.
# Try it:   redis-lab lesson {id} --lessons .            (from this folder's parent: --lessons lessons)
# Prove it: redis-lab check --run                        (every check must fail before its solution
#                                                         and pass after it)
format: 1
id: {id}
title: {title}
track: {track}              # data-structures | patterns | operations
level: beginner             # beginner | intermediate | advanced
summary: >-
  One or two sentences that tell the learner what they will be able to do.
duration: 5 min
requires:
  redis: ">=6.2"            # checked against the server's redis_version
# fixtures:                 # Redis command files under this pack's fixtures/ folder
#   - {id}/data.redis
# setup:                    # commands run before the first step
#   - SET site:name "Demo"

steps:
  - id: count-visits
    title: Count visits atomically
    explain: |
      Explain the idea first: what the learner is about to do and why it matters.
      `INCR key` adds one to a counter atomically and returns the new value; a missing key
      counts as 0. Text in `backticks` is highlighted.
    task: Count two visits to `page:home:views`.
    hints:                  # tiered: each :hint shows the next one
      - INCR creates the key at 0 and adds one.
      - '`INCR page:home:views`, twice.'
    solution:               # what :solution shows and :skip / --auto run
      - INCR page:home:views
      - INCR page:home:views
    checks:                 # state checks: any command sequence that gets there passes
      - probe: GET page:home:views
        expect: {equals: 2}
        label: page:home:views counts 2 visits
    after: |
      Say what just happened and why it matters.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_a_valid_lesson() {
        let text = lesson("demo-lesson", Track::Patterns);
        let parsed = crate::lesson::loader::parse_lesson("demo-lesson.yaml", &text).expect("valid");
        assert_eq!(parsed.title, "Demo Lesson");
    }
}
