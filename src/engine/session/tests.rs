//! The step machine on a fake backend: no server, so each test says exactly what the servers
//! answer and looks at exactly what was sent. The real backend is covered by tests/it/.

use super::fake::{Fake, Sent};
use super::{Event, Session, SessionError};
use crate::lesson::catalog::{Entry, Origin};
use crate::server::backend::Pushed;
use crate::server::connection::Outcome;
use crate::server::reply::Reply;
use std::sync::Arc;

const HEADER: &str = "format: 1
id: unit
title: Unit
track: patterns
level: beginner
summary: A lesson for the step machine's unit tests.
";

/// Three steps: a write checked by a probe, a must_use rule, a read checked by its reply.
const THREE_STEPS: &str = "steps:
  - id: greet
    title: Greet
    task: Store hello under greeting.
    hints:
      - Use SET.
      - SET greeting hello
    solution:
      - SET greeting hello
    checks:
      - probe: GET greeting
        expect: {equals: hello}
  - id: count
    title: Count
    task: Make counter 5 with INCRBY.
    must_use: [INCRBY]
    solution:
      - INCRBY counter 5
    checks:
      - probe: GET counter
        expect: {equals: 5}
  - id: read
    title: Read
    task: Read greeting.
    solution:
      - GET greeting
    checks:
      - reply_of: GET
        expect: {equals: hello}
";

fn entry(steps: &str) -> Entry {
    let source = format!("{HEADER}{steps}");
    let lesson = crate::lesson::loader::parse_lesson("unit.yaml", &source)
        .unwrap_or_else(|problems| panic!("the test lesson does not load:\n{problems}"));
    Entry {
        lesson: Arc::new(lesson),
        file: "unit.yaml".into(),
        source: source.into(),
        origin: Origin::Builtin,
        pack: None,
    }
}

pub(super) fn start(fake: Fake, steps: &str) -> (Session<Fake>, Vec<Event>) {
    Session::start_on(fake, entry(steps), false, 0, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("the session does not start: {e}"))
}

pub(super) fn passed(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::StepPassed { .. }))
}

pub(super) fn not_yet(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NotYet { failures } => Some(failures.iter().map(|f| f.label.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

fn commands(events: &[Event]) -> Vec<(String, Outcome)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Command {
                client, outcome, ..
            } => Some((client.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_step_passes_when_its_probe_matches_and_not_before() {
    let (mut session, events) = start(Fake::sandbox(), THREE_STEPS);
    assert_eq!(events, vec![Event::StepStarted { index: 0 }]);
    let events = session.submit("SET greeting nope").unwrap();
    assert!(!passed(&events), "{events:?}");
    let failure = events
        .iter()
        .find_map(|e| match e {
            Event::NotYet { failures } => failures.first().cloned(),
            _ => None,
        })
        .expect("a NotYet event");
    assert_eq!(failure.label, "GET greeting");
    assert!(failure.found.contains("nope"), "{failure:?}");
    assert_eq!(session.step_index(), 0);

    let events = session.submit("SET greeting hello").unwrap();
    assert!(passed(&events), "{events:?}");
    assert!(events.contains(&Event::StepStarted { index: 1 }));
    assert_eq!(session.step_index(), 1);
    // The probe ran on redis-lab's own connection, never as the learner's client.
    assert!(session.backend.looked.contains(&"GET greeting".to_string()));
    assert_eq!(
        session.backend.lines(),
        ["SET greeting nope", "SET greeting hello"]
    );
}

#[test]
fn hints_come_in_order_the_last_one_stays_and_a_retry_starts_them_again() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    assert_eq!(session.next_hint(), Some((1, 2, "Use SET.".into())));
    assert_eq!(
        session.next_hint(),
        Some((2, 2, "SET greeting hello".into()))
    );
    assert_eq!(
        session.next_hint(),
        Some((2, 2, "SET greeting hello".into()))
    );
    session.retry(&mut |_, _| {}).unwrap();
    assert_eq!(session.next_hint(), Some((1, 2, "Use SET.".into())));
    session.skip().unwrap();
    assert_eq!(session.next_hint(), None, "step 2 has no hints");
}

#[test]
fn skip_runs_the_solution_as_the_lesson_and_moves_on() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    let events = session.skip().unwrap();
    assert_eq!(
        session.backend.sent,
        [Sent {
            node: String::new(),
            client: "app".into(),
            line: "SET greeting hello".into(),
        }]
    );
    assert!(events.contains(&Event::StepSkipped { index: 0 }));
    assert!(events.contains(&Event::StepStarted { index: 1 }));
    assert!(!passed(&events), "a skipped step is not a passed one");
    assert_eq!(session.step().id(), "count");
}

/// A solution that does not complete its step (the server answers otherwise than the author
/// thought): `:skip` says so and stays, instead of moving on as if it had.
#[test]
fn skip_whose_solution_fails_says_so_and_stays() {
    let mut fake = Fake::sandbox();
    fake.script("", "GET greeting", Reply::Bulk(b"goodbye".to_vec()));
    let (mut session, _) = start(fake, THREE_STEPS);
    let events = session.skip().unwrap();
    assert_eq!(session.step().id(), "greet", "{events:?}");
    assert!(!events.contains(&Event::StepSkipped { index: 0 }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Notice(text) if text.contains("checks still fail"))),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e, Event::NotYet { .. })),
        "the failing checks are shown: {events:?}"
    );
}

#[test]
fn must_use_rejects_the_right_state_reached_with_another_command() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    session.skip().unwrap();
    let events = session.submit("SET counter 5").unwrap();
    assert_eq!(not_yet(&events), ["this step asks you to use INCRBY"]);
    assert_eq!(session.step_index(), 1);
    // The same state, now with the command the step asks for.
    let events = session.submit("INCRBY counter 0").unwrap();
    assert!(passed(&events), "{events:?}");
    assert_eq!(session.step_index(), 2);
}

#[test]
fn must_not_use_fails_a_step_once_the_command_was_used() {
    let steps = "steps:
  - id: no-set
    title: Without SET
    task: Make counter 2 without SET.
    must_not_use: [SET]
    solution:
      - INCRBY counter 2
    checks:
      - probe: GET counter
        expect: {equals: 2}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    let events = session.submit("SET counter 2").unwrap();
    assert_eq!(
        not_yet(&events),
        ["this step must be done without SET (type :retry to start the step again)"]
    );
    // Reaching the state again does not help: the step is spoilt until a retry.
    let events = session.submit("INCRBY counter 0").unwrap();
    assert_eq!(not_yet(&events).len(), 1, "{events:?}");
    session.retry(&mut |_, _| {}).unwrap();
    let events = session.submit("INCRBY counter 2").unwrap();
    assert!(passed(&events), "{events:?}");
    assert!(session.is_finished());
}

#[test]
fn a_command_that_would_destroy_data_on_a_url_server_is_refused_and_never_sent() {
    let (mut session, events) = start(Fake::external(), THREE_STEPS);
    assert!(session.backend.claimed, "a database is claimed on --url");
    assert!(matches!(&events[0], Event::Notice(text) if text.contains("database 0")));
    let events = session.submit("FLUSHALL").unwrap();
    assert!(
        matches!(&events[..], [Event::Refused(reason)] if reason.contains("FLUSHALL")),
        "{events:?}"
    );
    assert!(
        session.backend.sent.is_empty(),
        "{:?}",
        session.backend.sent
    );
    // Refused: nothing happened, so nothing is judged.
    assert!(not_yet(&events).is_empty());
    // The same command on a sandbox is the learner's to send.
    let (mut sandbox, _) = start(Fake::sandbox(), THREE_STEPS);
    sandbox.submit("FLUSHALL").unwrap();
    assert_eq!(sandbox.backend.lines(), ["FLUSHALL"]);
}

#[test]
fn a_repeat_prefix_runs_the_command_that_many_times_up_to_the_cap() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    let events = session.submit("3 INCR hits").unwrap();
    assert_eq!(commands(&events).len(), 3);
    assert_eq!(
        commands(&events).last().map(|(_, o)| o.clone()),
        Some(Outcome::Done(Reply::Int(3)))
    );
    session.backend.sent.clear();
    let events = session.submit("20000 INCR hits").unwrap();
    assert_eq!(commands(&events).len(), super::LESSON_MAX_REPEAT as usize);
    assert_eq!(
        session.backend.sent.len(),
        super::LESSON_MAX_REPEAT as usize
    );
}

#[test]
fn commands_queued_in_multi_are_judged_after_exec() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    session.submit("MULTI").unwrap();
    let events = session.submit("SET greeting hello").unwrap();
    assert_eq!(
        commands(&events),
        [("app".into(), Outcome::Done(Reply::Status("QUEUED".into())))]
    );
    assert!(
        not_yet(&events).is_empty(),
        "QUEUED is not judged: {events:?}"
    );
    assert!(!passed(&events));
    assert_eq!(session.step_index(), 0);
    let events = session.submit("EXEC").unwrap();
    assert!(passed(&events), "{events:?}");
}

#[test]
fn goto_and_back_rebuild_from_a_reset_with_the_earlier_solutions() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    assert_eq!(session.backend.resets, 1);
    session.submit("SET stray 1").unwrap();
    session.backend.sent.clear();
    session.goto(2, &mut |_, _| {}).unwrap();
    assert_eq!(session.backend.resets, 2);
    assert_eq!(session.step_index(), 2);
    assert_eq!(
        session.backend.lines(),
        ["SET greeting hello", "INCRBY counter 5"]
    );
    session.backend.sent.clear();
    session.back(&mut |_, _| {}).unwrap();
    assert_eq!(session.step_index(), 1);
    assert_eq!(session.backend.resets, 3);
    assert_eq!(session.backend.lines(), ["SET greeting hello"]);
}

#[test]
fn a_moved_reply_is_followed_to_the_node_that_owns_the_slot() {
    let steps = "steps:
  - id: find
    title: Find
    task: Read user:1.
    solution:
      - GET user:1
    checks:
      - reply_of: GET
        expect: {equals: ann}
  - id: done
    title: Done
    explain: That was it.
";
    let mut fake = Fake::cluster(&[("node-1", 30001), ("node-2", 30002)]);
    fake.script(
        "node-1",
        "GET user:1",
        Reply::Error("MOVED 1234 127.0.0.1:30002".into()),
    );
    fake.script("node-2", "GET user:1", Reply::Bulk(b"ann".to_vec()));
    let (mut session, _) = start(fake, steps);
    assert_eq!(session.learner_node().as_deref(), Some("node-1"));
    let events = session.submit("GET user:1").unwrap();
    assert!(
        events.contains(&Event::Notice(
            "-> Redirected to slot [1234] located at 127.0.0.1:30002 (node-2)".into()
        )),
        "{events:?}"
    );
    assert_eq!(
        commands(&events),
        [
            (
                "app@node-1".into(),
                Outcome::Done(Reply::Error("MOVED 1234 127.0.0.1:30002".into()))
            ),
            (
                "app@node-2".into(),
                Outcome::Done(Reply::Bulk(b"ann".to_vec()))
            )
        ]
    );
    assert!(passed(&events), "the redirected reply counts: {events:?}");
    let nodes: Vec<&str> = session
        .backend
        .sent
        .iter()
        .map(|s| s.node.as_str())
        .collect();
    assert_eq!(nodes, ["node-1", "node-2"]);
    // A redirection followed in one step does not carry over to the next.
    assert_eq!(session.learner_node().as_deref(), Some("node-1"));
}

#[test]
fn a_released_reply_counts_for_a_reply_check_only_from_the_nodes_own_client() {
    let steps = "steps:
  - id: wait
    title: Wait
    task: Get the job.
    solution:
      - {cmd: BLPOP jobs 0, client: worker}
    checks:
      - reply_of: BLPOP
        expect: {equals: job-1}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    session.backend.push(Pushed::Released {
        client: "worker@node-2".into(),
        line: "BLPOP jobs 0".into(),
        reply: Reply::Bulk(b"job-1".to_vec()),
        here: false,
    });
    let events = session.submit("PING").unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Released { client, .. } if client == "worker@node-2"))
    );
    assert_eq!(not_yet(&events).len(), 1, "{events:?}");
    session.backend.push(Pushed::Released {
        client: "worker".into(),
        line: "BLPOP jobs 0".into(),
        reply: Reply::Bulk(b"job-1".to_vec()),
        here: true,
    });
    let events = session.submit("PING").unwrap();
    assert!(passed(&events), "{events:?}");
}

#[test]
fn a_step_the_server_cannot_run_is_skipped_with_its_reason() {
    let steps = "steps:
  - id: bloom
    title: Bloom
    task: Add to a filter.
    requires: {modules: [bf]}
    solution:
      - BF.ADD seen a
    checks:
      - probe: BF.EXISTS seen a
        expect: {equals: 1}
  - id: plain
    title: Plain
    task: Store hello under greeting.
    solution:
      - SET greeting hello
    checks:
      - probe: GET greeting
        expect: {equals: hello}
";
    let (mut session, events) = start(Fake::sandbox(), steps);
    assert!(
        matches!(&events[0], Event::StepUnavailable { index: 0, reason } if reason.contains("bf")),
        "{events:?}"
    );
    assert_eq!(events[1], Event::StepStarted { index: 1 });
    assert_eq!(session.unavailable_steps().len(), 1);
    // Going back to it moves on again, without running anything on a server that lacks the
    // module, and the step is noted once.
    session.backend.sent.clear();
    let events = session.goto(0, &mut |_, _| {}).unwrap();
    assert!(matches!(
        &events[0],
        Event::StepUnavailable { index: 0, .. }
    ));
    assert_eq!(session.step_index(), 1);
    assert!(
        session.backend.sent.is_empty(),
        "{:?}",
        session.backend.sent
    );
    assert_eq!(session.unavailable_steps().len(), 1, "noted once");
}

#[test]
fn a_setup_command_refused_on_a_url_server_ends_the_start() {
    let steps = "setup:
  - FLUSHDB
steps:
  - id: greet
    title: Greet
    task: Store hello under greeting.
    solution:
      - SET greeting hello
    checks:
      - probe: GET greeting
        expect: {equals: hello}
";
    match Session::start_on(Fake::external(), entry(steps), false, 0, &mut |_, _| {}) {
        Err(SessionError::SetupRefused(reason)) => assert!(reason.contains("FLUSHDB"), "{reason}"),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a refused setup must not start the lesson"),
    }
    // On a sandbox the same setup runs.
    let (session, _) = start(Fake::sandbox(), steps);
    assert_eq!(session.backend.lines(), ["FLUSHDB"]);
}

#[test]
fn proving_flags_a_check_that_passes_before_the_solution() {
    let steps = "setup:
  - SET greeting hi
steps:
  - id: change
    title: Change
    task: Store hello under greeting.
    solution:
      - SET greeting hello
    checks:
      - probe: GET greeting
        expect: {equals: hello}
  - id: weak
    title: Weak
    task: Keep greeting.
    solution:
      - SET greeting bye
    checks:
      - probe: GET greeting
        expect: {nil: false}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    let proof = session.prove_step().unwrap();
    assert!(proof.ok(), "{proof:?}");
    let proof = session.prove_step().unwrap();
    assert_eq!(proof.index, 1);
    assert_eq!(proof.passing_before, [0]);
    assert!(proof.failing_after.is_empty());
    assert!(session.is_finished());
}

#[test]
fn a_probe_that_writes_is_refused_and_never_sent() {
    let steps = "steps:
  - id: sneaky
    title: Sneaky
    task: Anything.
    solution:
      - PING
    checks:
      - probe: INCR counter
        expect: {equals: 1}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    let events = session.submit("PING").unwrap();
    let found: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::NotYet { failures } => failures.first().map(|f| f.found.clone()),
            _ => None,
        })
        .collect();
    assert!(
        found.len() == 1 && found[0].contains("not read-only"),
        "{found:?}"
    );
    assert!(!session.backend.looked.iter().any(|l| l.starts_with("INCR")));
    assert!(
        !session
            .backend
            .lines()
            .iter()
            .any(|l| l.starts_with("INCR"))
    );
}

#[test]
fn redis_labs_own_connection_cannot_be_typed_as() {
    let steps = "steps:
  - id: as-observer
    title: As the observer
    task: Ping.
    solution:
      - {cmd: PING, client: someone}
    checks:
      - reply_of: PING
        expect: {equals: PONG}
";
    // The loader refuses `client: redis-lab`; the engine refuses it too, whatever it is given.
    let mut entry = entry(steps);
    let mut lesson = (*entry.lesson).clone();
    lesson.steps[0].solution[0].value.client = Some("redis-lab".into());
    entry.lesson = Arc::new(lesson);
    let (mut session, _) =
        Session::start_on(Fake::sandbox(), entry, false, 0, &mut |_, _| {}).unwrap();
    assert!(session.switch_client("redis-lab").is_err());
    assert!(session.switch_client("worker").is_ok());
    assert_eq!(session.learner_client(), "worker");
    let events = session.run_solution().unwrap();
    assert!(
        matches!(&events[..], [Event::Refused(reason)] if reason.contains("redis-lab")),
        "{events:?}"
    );
    assert!(session.backend.sent.is_empty());
}

#[test]
fn error_replies_to_the_lessons_own_commands_are_kept_for_check_run() {
    let steps = "steps:
  - id: broken
    title: Broken
    task: Store hello under greeting.
    solution:
      - NOSUCH greeting
    checks:
      - probe: GET greeting
        expect: {equals: hello}
";
    let (mut session, _) = start(Fake::sandbox(), steps);
    assert!(session.take_lesson_errors().is_empty());
    // The learner's errors are theirs; only the lesson's own commands count.
    session.submit("NOSUCH x").unwrap();
    assert!(session.take_lesson_errors().is_empty());
    session.skip().unwrap();
    assert_eq!(
        session.take_lesson_errors(),
        [(
            0,
            "`NOSUCH greeting` answered ERR unknown command 'NOSUCH'".to_string()
        )]
    );
    assert!(session.take_lesson_errors().is_empty(), "taken once");
}

#[test]
fn a_finished_lesson_says_so_and_back_rebuilds_its_last_step() {
    let (mut session, _) = start(Fake::sandbox(), THREE_STEPS);
    session.skip().unwrap();
    session.skip().unwrap();
    let events = session.submit("GET greeting").unwrap();
    assert!(events.contains(&Event::LessonFinished), "{events:?}");
    assert!(session.is_finished());
    let events = session.submit("GET greeting").unwrap();
    assert!(matches!(&events[..], [Event::Notice(text)] if text.contains("complete")));
    assert!(matches!(&session.skip().unwrap()[..], [Event::Notice(_)]));
    session.back(&mut |_, _| {}).unwrap();
    assert!(!session.is_finished());
    assert_eq!(session.step_index(), 2);
}

#[test]
fn a_lesson_command_left_without_an_answer_ends_with_no_answer_not_a_queue() {
    let steps = "steps:
  - id: greet
    title: Greet
    task: Store hello under greeting.
    solution:
      - SET greeting hello
      - GET greeting
    checks:
      - probe: GET greeting
        expect: {equals: hello}
";
    let mut fake = Fake::sandbox();
    fake.silent.push("SET greeting hello".into());
    let (mut session, _) = start(fake, steps);
    match session.auto_step() {
        Err(SessionError::Conn(crate::server::connection::ConnError::NoAnswer { .. })) => {}
        other => panic!("expected no answer, got {other:?}"),
    }
    // The GET was never queued behind the silent SET.
    assert_eq!(session.backend.lines(), ["SET greeting hello"]);
}

mod rules;
