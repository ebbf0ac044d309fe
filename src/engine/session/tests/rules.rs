//! The step machine's rules about how a step is done: alternatives, options, wrong ways, and
//! the batches of `:pipe` and `:time`, on the fake backend like the tests beside them.

use super::*;

#[test]
fn alternatives_in_must_use_and_reply_of_accept_either_command() {
    let steps = "requires:
  scripts: true
steps:
  - id: count
    title: Count
    task: Count to 1 with a script.
    solution:
      - EVAL \"return redis.call('INCR', KEYS[1])\" 1 n
    must_use: [EVAL|EVALSHA]
    checks:
      - reply_of: EVAL|EVALSHA
        expect: {equals: 1}
";
    let mut fake = Fake::sandbox();
    fake.script("", "EVALSHA abc 1 n", Reply::Int(1));
    fake.script("", "INCR n", Reply::Int(1));
    let (mut session, _) = start(fake, steps);
    let events = session.submit("EVALSHA abc 1 n").unwrap();
    assert!(
        events.iter().any(|e| matches!(e, Event::StepPassed { .. })),
        "{events:?}"
    );
    let (mut other, _) = start(Fake::sandbox(), steps);
    let events = other.submit("INCR n").unwrap();
    let failures = events
        .iter()
        .find_map(|e| match e {
            Event::NotYet { failures } => Some(failures.clone()),
            _ => None,
        })
        .expect("INCR alone does not pass");
    assert!(
        failures.iter().any(|f| f.label.contains("EVAL or EVALSHA")),
        "{failures:?}"
    );
}

#[test]
fn must_use_can_ask_for_an_option_of_a_command() {
    let steps = "steps:
  - id: extend
    title: Extend
    task: Set n to 1, extending only.
    solution:
      - SET n 1 GET
    must_use: [SET GET]
    checks:
      - probe: GET n
        expect: {equals: 1}
";
    let (mut plain, _) = start(Fake::sandbox(), steps);
    let events = plain.submit("SET n 1").unwrap();
    assert!(
        !events.iter().any(|e| matches!(e, Event::StepPassed { .. })),
        "without the option: {events:?}"
    );
    let (mut with_option, _) = start(Fake::sandbox(), steps);
    let events = with_option.submit("set n 1 get").unwrap();
    assert!(
        events.iter().any(|e| matches!(e, Event::StepPassed { .. })),
        "{events:?}"
    );
}

/// A lock release whose check sees only the state: DEL reaches it too, unless a rule says how.
const RELEASE: &str = "setup:
  - SET lock token-1
steps:
  - id: release
    title: Release
    task: Release the lock with UNLINK.
    solution:
      - UNLINK lock
    RULE
    checks:
      - probe: EXISTS lock
        expect: {equals: 0}
    wrong:
      - DEL lock
      - [GET lock, SET lock other, DEL lock]
  - id: after
    title: After
    task: Store done.
    solution:
      - SET done yes
    checks:
      - probe: GET done
        expect: {equals: \"yes\"}
";

#[test]
fn a_wrong_way_that_passes_the_step_is_reported_where_it_is_written() {
    let (mut session, _) = start(Fake::sandbox(), &RELEASE.replace("    RULE\n", ""));
    let proof = session.prove_step().unwrap();
    assert!(!proof.ok());
    let lines: Vec<(usize, &str)> = proof
        .wrong_ways
        .iter()
        .map(|w| (w.line, w.typed.as_str()))
        .collect();
    assert_eq!(
        lines,
        [(19, "DEL lock"), (20, "GET lock; SET lock other; DEL lock")]
    );
    assert!(
        proof
            .wrong_ways
            .iter()
            .all(|w| w.kind == crate::engine::session::WrongWayKind::Passed)
    );
    assert!(proof.wrong_ways[0].to_string().contains("passes the step"));
    // Each wrong way started from the step's state, and so did the solution: it still passes.
    assert!(proof.failing_after.is_empty(), "{proof:?}");
    assert!(proof.passing_before.is_empty(), "{proof:?}");
    assert_eq!(session.step().id(), "after");
    // The state was rebuilt after each wrong way: the lesson's setup ran three times.
    assert_eq!(session.backend.resets, 3);
}

#[test]
fn wrong_ways_a_rule_rejects_prove_the_step() {
    let (mut session, _) = start(
        Fake::sandbox(),
        &RELEASE.replace("RULE", "must_not_use: [DEL]"),
    );
    let proof = session.prove_step().unwrap();
    assert!(proof.ok(), "{proof:?}");
    assert_eq!(session.step().id(), "after");
    let proof = session.prove_step().unwrap();
    assert!(proof.ok(), "{proof:?}");
    assert!(session.is_finished());
}

#[test]
fn a_wrong_way_that_fails_or_is_refused_proves_nothing() {
    let steps = RELEASE
        .replace("RULE", "must_not_use: [DEL]")
        .replace("      - DEL lock\n", "      - INCR lock\n");
    let mut fake = Fake::sandbox();
    fake.script(
        "",
        "INCR lock",
        Reply::Error("ERR value is not an integer".into()),
    );
    let (mut session, _) = start(fake, &steps);
    let proof = session.prove_step().unwrap();
    assert_eq!(proof.wrong_ways.len(), 1, "{proof:?}");
    assert!(
        matches!(&proof.wrong_ways[0].kind, crate::engine::session::WrongWayKind::Errored { line, .. } if line == "INCR lock"),
        "{proof:?}"
    );
    assert!(proof.wrong_ways[0].to_string().contains("proves nothing"));
    // In a step about that very error, meeting it is the point: the wrong way was tried (and,
    // on the wrong key, it passes no check).
    let about_the_error = steps.replace(
        "      - probe: EXISTS lock\n        expect: {equals: 0}\n",
        "      - probe: EXISTS lock\n        expect: {equals: 0}\n      - reply_of: UNLINK\n        expect: {error: ERR value}\n",
    );
    assert_ne!(about_the_error, steps);
    let mut fake = Fake::sandbox();
    fake.script(
        "",
        "INCR lock",
        Reply::Error("ERR value is not an integer".into()),
    );
    let (mut session, _) = start(fake, &about_the_error);
    let proof = session.prove_step().unwrap();
    assert!(
        !proof
            .wrong_ways
            .iter()
            .any(|w| matches!(w.kind, crate::engine::session::WrongWayKind::Errored { .. })),
        "{proof:?}"
    );
    // On a server redis-lab did not start, a FLUSHALL is refused: never tried, so not proven.
    let steps = RELEASE
        .replace("RULE", "must_not_use: [DEL]")
        .replace("      - DEL lock\n", "      - FLUSHALL\n");
    let (mut session, _) = start(Fake::external(), &steps);
    let proof = session.prove_step().unwrap();
    assert!(
        matches!(&proof.wrong_ways[0].kind, crate::engine::session::WrongWayKind::Refused { line, .. } if line == "FLUSHALL"),
        "{proof:?}"
    );
}

#[test]
fn must_not_use_a_command_without_an_option_fails_one_plain_use_after_a_right_one() {
    let steps = "steps:
  - id: extend
    title: Extend
    task: Set n to 1, always with GET.
    solution:
      - SET n 1 GET
    must_use: [SET GET]
    must_not_use: [SET without GET]
    checks:
      - probe: GET n
        expect: {equals: 1}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    session.submit("SET n 0 GET").unwrap();
    let events = session.submit("SET n 1").unwrap();
    let failures = not_yet(&events);
    assert!(
        failures
            .iter()
            .any(|f| f.contains("every SET in this step needs GET")),
        "{failures:?}"
    );
    let (mut session, _) = start(Fake::sandbox(), steps);
    session.submit("set n 0 get").unwrap();
    let events = session.submit("set n 1 get").unwrap();
    assert!(passed(&events), "{events:?}");
}

#[test]
fn the_learner_sends_a_real_batch_with_pipe_and_time() {
    let steps = "steps:
  - id: batch
    title: Batch
    task: Count to 3 in one pipeline.
    solution:
      - {cmd: INCR n, repeat: 3, pipeline: true}
    must_use: [\":pipe\"]
    checks:
      - probe: GET n
        expect: {equals: 3}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    let events = session.submit(":time 3 INCR n").unwrap();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Measured {
                count: 3,
                pipelined: false,
                ..
            }
        )),
        "{events:?}"
    );
    assert!(
        !passed(&events),
        "one round trip each is not a pipeline: {events:?}"
    );
    let (mut session, _) = start(Fake::sandbox(), steps);
    let events = session.submit(":pipe 3 INCR n").unwrap();
    assert!(passed(&events), "{events:?}");
    assert_eq!(session.backend.lines(), ["INCR n", "INCR n", "INCR n"]);
    let (mut session, _) = start(Fake::sandbox(), steps);
    for bad in [
        ":pipe 0 INCR n",
        ":pipe many INCR n",
        ":pipe 3",
        ":pipe 10001 INCR n",
    ] {
        let events = session.submit(bad).unwrap();
        assert!(
            matches!(events.as_slice(), [Event::Refused(text)] if text.contains(":pipe N COMMAND")),
            "{bad}: {events:?}"
        );
    }
    assert!(session.backend.lines().is_empty());
}
