//! The engine's behaviour on a real server: state-based checks, meta actions, several clients,
//! and safety on servers redis-lab did not start.

use crate::common::*;
use redis_lab::engine::session::{Event, Session, SessionError, SessionOptions};
use redis_lab::lesson::catalog::Catalog;
use redis_lab::server::backend::DatabaseError;
use redis_lab::server::connection::{Outcome, ServerChoice};
use redis_lab::server::reply::Reply;
use redis_lab::server::sandbox::{Sandbox, SandboxOptions};

fn passed(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::StepPassed { .. }))
}

fn not_yet(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::NotYet { .. }))
}

#[test]
fn a_different_correct_command_passes_and_a_wrong_one_does_not() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    session.skip().unwrap(); // step 1 done by the solution
    assert_eq!(session.step().id(), "add-points");
    // Wrong: sets the score to 150 instead of adding 150.
    let events = session.submit("ZADD leaderboard 150 swift_otter").unwrap();
    assert!(not_yet(&events), "{events:?}");
    // Wrong too, though the score is right: the total written back, which loses a concurrent
    // game's points (the step's `ZADD without INCR` rule).
    let events = session
        .submit("ZADD leaderboard 12000 swift_otter")
        .unwrap();
    assert!(not_yet(&events), "{events:?}");
    // Right, though not the solution's ZINCRBY: ZADD ... INCR adds as well.
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    session.skip().unwrap();
    let events = session
        .submit("ZADD leaderboard INCR 150 swift_otter")
        .unwrap();
    assert!(passed(&events), "{events:?}");
    assert_eq!(session.step().id(), "top-ten");
}

#[test]
fn zincrby_passes_a_step_whose_solution_uses_zadd() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    assert_eq!(session.step().id(), "add-player");
    let events = session
        .submit("ZINCRBY leaderboard 4200 rookie_rita")
        .unwrap();
    assert!(passed(&events), "{events:?}");
}

#[test]
fn a_failed_check_says_what_was_expected_and_found() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "strings-counters"));
    let events = session.submit("SET site:name wrong").unwrap();
    let failures = events
        .iter()
        .find_map(|e| match e {
            Event::NotYet { failures } => Some(failures.clone()),
            _ => None,
        })
        .expect("a NotYet event");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].expected, "\"Redis Lab News\"");
    assert!(failures[0].found.contains("wrong"), "{:?}", failures[0]);
}

#[test]
fn hints_are_tiered_and_solution_is_shown_as_typed() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    let first = session.next_hint().unwrap();
    let second = session.next_hint().unwrap();
    assert_eq!((first.0, first.1), (1, 2));
    assert_eq!(second.0, 2);
    assert_ne!(first.2, second.2);
    assert_eq!(
        session.solution_lines(),
        vec!["ZADD leaderboard 4200 rookie_rita"]
    );
}

#[test]
fn must_use_rejects_the_right_state_reached_the_wrong_way() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "strings-counters"));
    while session.step().id() != "getdel" {
        session.skip().unwrap();
    }
    session.submit("GET otp:ann").unwrap();
    let events = session.submit("DEL otp:ann").unwrap();
    assert!(not_yet(&events), "GET then DEL is not atomic: {events:?}");
}

#[test]
fn back_and_goto_rebuild_the_server_state() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    session.skip().unwrap();
    session.skip().unwrap();
    assert_eq!(session.step_index(), 2);
    session.back(&mut |_, _| {}).unwrap();
    assert_eq!(session.step().id(), "add-points");
    // The state is back to "before add-points": ZADD with the old total + 150 passes.
    let events = session
        .submit("ZINCRBY leaderboard 150 swift_otter")
        .unwrap();
    assert!(passed(&events), "{events:?}");
    session.goto(0, &mut |_, _| {}).unwrap();
    let events = session.submit("ZSCORE leaderboard rookie_rita").unwrap();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Command {
                outcome: Outcome::Done(Reply::Nil),
                ..
            }
        )),
        "after reset rookie_rita is gone again: {events:?}"
    );
}

const TWO_CLIENTS: &str = "  - id: release\n    title: A blocked worker\n    explain: The worker waits for a job.\n    task: Push a job to jobs.\n    run:\n      - {cmd: BLPOP jobs 5, client: worker, background: true}\n    hints: [LPUSH jobs hello]\n    solution: [LPUSH jobs hello]\n    checks:\n      - probe: LLEN jobs\n        expect: {equals: 0}\n        label: the worker took the job\n        guard: true\n      - probe: CLIENT LIST\n        expect: {matches: 'cmd=lpush'}\n        label: someone pushed\n";

#[test]
fn a_blocked_client_is_released_by_another_clients_command() {
    let dir = pack(&[("two.yaml", &lesson_yaml("two-clients", TWO_CLIENTS))]);
    let catalog = pack_catalog(dir.path());
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    require_redis();
    let (mut session, events) = Session::start(
        entry(&catalog, "two-clients"),
        &SessionOptions::default(),
        0,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Command { client, outcome: Outcome::Waiting, .. } if client == "worker")),
        "the worker is shown waiting: {events:?}"
    );
    let events = session.submit("LPUSH jobs hello").unwrap();
    let released = events.iter().find_map(|e| match e {
        Event::Released { client, reply, .. } => Some((client.clone(), reply.clone())),
        _ => None,
    });
    assert_eq!(
        released,
        Some((
            "worker".to_string(),
            Reply::Array(vec![
                Reply::Bulk(b"jobs".to_vec()),
                Reply::Bulk(b"hello".to_vec())
            ])
        ))
    );
}

#[test]
fn a_learners_blocking_command_is_shown_waiting_instead_of_holding_the_prompt() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "task-queue"));
    // Without the blocking flag from the command table this would hold the prompt for 2 s and
    // then print (nil).
    let events = session.submit("BRPOP nothing:here 2").unwrap();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Command {
                outcome: Outcome::Waiting,
                ..
            }
        )),
        "{events:?}"
    );
}

/// A server "not started by redis-lab": the test starts it and passes it as --url.
fn external() -> (Sandbox, SessionOptions) {
    require_redis();
    let server = Sandbox::start(&SandboxOptions::default()).unwrap();
    let options = SessionOptions {
        server: ServerChoice {
            url: Some(server.url()),
            ..Default::default()
        },
        ..Default::default()
    };
    (server, options)
}

fn raw(url: &str, args: &[&str]) -> redis::Value {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_connection().unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(&mut con).unwrap()
}

#[test]
fn on_an_existing_server_lessons_use_an_empty_database_and_leave_others_alone() {
    let (server, options) = external();
    raw(&server.url(), &["SET", "precious", "data"]);
    let catalog = builtin();
    let (mut session, events) = Session::start(
        entry(&catalog, "strings-counters"),
        &options,
        0,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        session.db(),
        1,
        "database 0 is not empty, so the lesson moves to 1"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Notice(n) if n.contains("database 1")))
    );
    let events = session.submit("FLUSHALL").unwrap();
    assert!(matches!(&events[..], [Event::Refused(_)]), "{events:?}");
    let events = session.submit("CONFIG SET maxmemory 1mb").unwrap();
    assert!(
        matches!(&events[..], [Event::Refused(r)] if r.contains("--force")),
        "{events:?}"
    );
    session.skip().unwrap();
    session.goto(0, &mut |_, _| {}).unwrap(); // reset deletes only the lesson's keys
    drop(session);
    assert_eq!(
        raw(&server.url(), &["GET", "precious"]),
        redis::Value::BulkString(b"data".to_vec())
    );
}

#[test]
fn a_non_empty_database_named_in_the_url_is_refused() {
    let (server, mut options) = external();
    let url = format!("{}/3", server.url());
    raw(&url, &["SET", "precious", "data"]);
    options.server.url = Some(url.clone());
    let catalog = builtin();
    match Session::start(
        entry(&catalog, "strings-counters"),
        &options,
        0,
        &mut |_, _| {},
    ) {
        Err(SessionError::Database(e @ DatabaseError::NotEmpty { db: 3, keys: 1, .. })) => {
            assert!(e.to_string().contains("--force"), "{e}")
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a non-empty database must be refused"),
    }
    assert_eq!(raw(&url, &["DBSIZE"]), redis::Value::Int(1));
}

#[test]
fn a_lost_sandbox_is_reported_and_recovered_at_the_same_step() {
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "leaderboard"));
    session.skip().unwrap();
    let step = session.step_index();
    // Kill the server behind the session's back, as a crash would.
    let pid = session_sandbox_pid(&mut session);
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let error = session
        .submit("ZSCORE leaderboard swift_otter")
        .unwrap_err();
    assert!(error.is_connection_loss(), "{error}");
    session.recover(&mut |_, _| {}).unwrap();
    assert_eq!(session.step_index(), step);
    let events = session
        .submit("ZINCRBY leaderboard 150 swift_otter")
        .unwrap();
    assert!(passed(&events), "{events:?}");
}

fn session_sandbox_pid(session: &mut Session) -> i32 {
    // The display is "sandbox 127.0.0.1:PORT"; the server tells its own pid.
    let port = session
        .server_display()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let info = match raw(&format!("redis://127.0.0.1:{port}"), &["INFO", "server"]) {
        redis::Value::BulkString(b) => String::from_utf8(b).unwrap(),
        redis::Value::VerbatimString { text, .. } => text,
        other => panic!("unexpected INFO reply {other:?}"),
    };
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
        .expect("INFO server has process_id")
}

const PUBSUB: &str = "  - id: publish\n    title: Publish\n    explain: Two clients listen on chat.\n    task: Publish hello on chat.\n    run:\n      - {cmd: SUBSCRIBE chat, client: alice}\n      - {cmd: SUBSCRIBE chat, client: bob}\n    hints: [PUBLISH chat hello]\n    solution: [PUBLISH chat hello]\n    checks:\n      - received: alice\n        expect: {equals: [hello]}\n      - received: bob\n        expect: {equals: [hello]}\n      - expect: {equals: 2}\n        label: PUBLISH reached two subscribers\n";

#[test]
fn subscribers_receive_published_messages_and_checks_see_them() {
    let dir = pack(&[("pubsub.yaml", &lesson_yaml("pubsub", PUBSUB))]);
    let catalog = pack_catalog(dir.path());
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let mut session = sandbox_session(entry(&catalog, "pubsub"));
    let events = session.submit("PUBLISH chat hello").unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Received { client, .. } if client == "alice")),
        "{events:?}"
    );
    assert!(passed(&events), "{events:?}");
    // A subscribed client only receives: sending as alice is refused, not hung.
    let mut session = sandbox_session(entry(&catalog, "pubsub"));
    session.switch_client("alice").unwrap();
    let events = session.submit("GET k").unwrap();
    assert!(
        matches!(&events[..], [Event::Refused(r)] if r.contains("only receives")),
        "{events:?}"
    );
    // Rebuilding the step ends the old subscriptions: PUBLISH still reaches exactly two.
    session.goto(0, &mut |_, _| {}).unwrap();
    session.switch_client("app").unwrap();
    let events = session.submit("PUBLISH chat hello").unwrap();
    assert!(passed(&events), "{events:?}");
}

#[test]
fn a_monitor_client_sees_another_clients_commands() {
    let steps = "  - id: watch\n    title: Watch\n    explain: An operator runs MONITOR.\n    task: Set k.\n    run:\n      - {cmd: MONITOR, client: ops}\n    hints: [SET k v]\n    solution: [SET k v]\n    checks:\n      - received: ops\n        expect: {contains: {}}\n".replace("{contains: {}}", "{length: {min: 1}}");
    let dir = pack(&[("monitor.yaml", &lesson_yaml("monitor", &steps))]);
    let catalog = pack_catalog(dir.path());
    let mut session = sandbox_session(entry(&catalog, "monitor"));
    let events = session.submit("SET k v").unwrap();
    let lines: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Received { message, .. } => message.as_text(),
            _ => None,
        })
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("\"SET\" \"k\" \"v\"")),
        "{lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("\"TYPE\"") || l.contains("GETKEYS")),
        "redis-lab's own snapshot commands are hidden: {lines:?}"
    );
    assert!(passed(&events), "{events:?}");
}

/// Every key and value of every database of a server, as DUMP sees them (TTL aside).
fn everything(url: &str) -> std::collections::BTreeMap<(i64, Vec<u8>), Vec<u8>> {
    let mut all = std::collections::BTreeMap::new();
    for db in 0..16 {
        let client = redis::Client::open(format!("{url}/{db}")).unwrap();
        let mut con = client.get_connection().unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for key in keys {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut con).unwrap();
            all.insert((db, key), dump);
        }
    }
    all
}

/// [`everything`] except the lesson's own database.
fn everything_but(
    url: &str,
    lesson_db: i64,
) -> std::collections::BTreeMap<(i64, Vec<u8>), Vec<u8>> {
    let mut all = everything(url);
    all.retain(|(db, _), _| *db != lesson_db);
    all
}

/// A server that holds someone's data in databases 0, 1 and 5, and a function library.
fn someone_elses_server() -> (Sandbox, SessionOptions) {
    let (server, options) = external();
    for db in [0, 1, 5] {
        let url = format!("{}/{db}", server.url());
        raw(&url, &["SET", "precious", &format!("data in {db}")]);
        raw(&url, &["HSET", "user:1", "name", "Ada"]);
        raw(&url, &["RPUSH", "orders", "a", "b"]);
    }
    raw(
        &server.url(),
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=theirs\nredis.register_function('theirs', function() return 1 end)",
        ],
    );
    (server, options)
}

const HOSTILE: &str = r#"  - id: wipe
    title: Wipe it
    task: Anything.
    run:
      - SELECT 0
      - SET precious stolen
      - FLUSHALL
      - MOVE somekey 0
      - SWAPDB 0 1
      - COPY lesson:a precious DB 0 REPLACE
      - CONFIG SET maxmemory 1
      - FUNCTION FLUSH
      - FUNCTION DELETE theirs
      - SCRIPT FLUSH
      - CLIENT KILL TYPE normal
      - SET lesson:a 1
    solution:
      - FLUSHDB
      - SET lesson:b 2
    checks:
      - probe: FLUSHALL
        expect: {equals: OK}
      - probe: SHUTDOWN NOSAVE
        expect: {equals: OK}
      - probe: GET lesson:b
        expect: {equals: "2"}
"#;

#[test]
fn a_hostile_pack_on_someone_elses_server_changes_nothing_outside_its_database() {
    let (server, options) = someone_elses_server();
    let before = everything(&server.url());
    let dir = pack(&[("hostile.yaml", &lesson_yaml("hostile", HOSTILE))]);
    let catalog = pack_catalog(dir.path());
    let (mut session, events) =
        Session::start(entry(&catalog, "hostile"), &options, 0, &mut |_, _| {}).unwrap();
    let lesson_db = session.db();
    assert!(
        ![0, 1, 5].contains(&lesson_db),
        "runs in an empty database, not {lesson_db}"
    );
    let refused = events
        .iter()
        .filter(|e| matches!(e, Event::Refused(_)))
        .count();
    assert_eq!(
        refused, 10,
        "every hostile `run` command is refused: {events:#?}"
    );
    let events = session.run_solution().unwrap();
    assert!(
        matches!(events.first(), Some(Event::Refused(r)) if r.contains("FLUSHDB")),
        "{events:?}"
    );
    let verdict = session.evaluate(false).unwrap();
    let failures = verdict.failures();
    assert_eq!(
        failures.len(),
        2,
        "the writing probes are refused, not sent: {failures:?}"
    );
    assert!(
        failures.iter().all(|f| f.found.contains("not read-only")),
        "{failures:?}"
    );
    // The learner typing the same things is refused too (FLUSHALL, scripts the lesson did not
    // declare); a SELECT is followed and said.
    for line in [
        "FLUSHALL",
        "FLUSHDB",
        "SWAPDB 0 1",
        "EVAL \"return redis.call('FLUSHALL')\" 0",
        "FUNCTION FLUSH",
    ] {
        let events = session.submit(line).unwrap();
        assert!(
            matches!(&events[..], [Event::Refused(_)]),
            "{line}: {events:?}"
        );
    }
    // The server is still up (no SHUTDOWN went through) and the user's data is byte for byte
    // the same; the lesson's own keys are gone after the clean-up.
    let cleaned = session.clean_up().unwrap().unwrap();
    assert!(cleaned.contains("Removed the 3 keys"), "{cleaned}");
    drop(session);
    assert_eq!(
        raw(&server.url(), &["PING"]),
        redis::Value::SimpleString("PONG".into())
    );
    assert_eq!(everything(&server.url()), before);
    let libraries = raw(&server.url(), &["FUNCTION", "LIST"]);
    assert!(format!("{libraries:?}").contains("theirs"), "{libraries:?}");
}

#[test]
fn the_learners_select_does_not_send_the_lessons_commands_elsewhere() {
    let (server, options) = someone_elses_server();
    let before = everything(&server.url());
    let catalog = builtin();
    let (mut session, _) = Session::start(
        entry(&catalog, "strings-counters"),
        &options,
        0,
        &mut |_, _| {},
    )
    .unwrap();
    let lesson_db = session.db();
    let events = session.submit("SELECT 0").unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Notice(n) if n.contains("outside the lesson's database")
            && n.contains(&format!("SELECT {lesson_db}")))
        ),
        "the learner is told they left: {events:?}"
    );
    // :skip runs every solution in the lesson's database, whatever the learner selected.
    while !session.is_finished() {
        session.skip().unwrap();
    }
    let outside_the_lesson = everything_but(&server.url(), lesson_db);
    assert_eq!(outside_the_lesson, before, "database 0 was not touched");
    session.clean_up().unwrap();
    drop(session);
    assert_eq!(everything(&server.url()), before);
}

#[test]
fn leaving_removes_what_the_lesson_created_and_the_next_run_reuses_the_database() {
    let (server, options) = someone_elses_server();
    let before = everything(&server.url());
    let catalog = builtin();
    let mut first_db = None;
    for _ in 0..3 {
        let (mut session, _) =
            Session::start(entry(&catalog, "leaderboard"), &options, 0, &mut |_, _| {}).unwrap();
        while !session.is_finished() {
            session.auto_step().unwrap();
        }
        let db = session.db();
        assert_eq!(
            *first_db.get_or_insert(db),
            db,
            "each run finds the same database empty again"
        );
        let text = session.clean_up().unwrap().unwrap();
        assert!(
            text.contains("Removed the") && text.contains(&format!("database {db}")),
            "{text}"
        );
        let left = raw(&format!("{}/{db}", server.url()), &["DBSIZE"]);
        assert_eq!(left, redis::Value::Int(0), "{text}");
    }
    assert_eq!(everything(&server.url()), before);
}

#[test]
fn with_force_keys_that_were_there_before_survive_reset_and_clean_up() {
    let (server, mut options) = external();
    options.force = true;
    raw(&server.url(), &["SET", "visits", "41"]);
    let dir = pack(&[(
        "touch.yaml",
        &lesson_yaml(
            "touch",
            "  - id: one\n    title: One\n    task: Count a visit.\n    solution: [INCR visits, SET mine 1]\n    checks:\n      - probe: GET mine\n        expect: {equals: \"1\"}\n",
        ),
    )]);
    let catalog = pack_catalog(dir.path());
    let (mut session, _) =
        Session::start(entry(&catalog, "touch"), &options, 0, &mut |_, _| {}).unwrap();
    assert_eq!(session.db(), 0, "--force runs in the non-empty database 0");
    session.run_solution().unwrap();
    session.goto(0, &mut |_, _| {}).unwrap();
    session.run_solution().unwrap();
    session.clean_up().unwrap();
    drop(session);
    assert_eq!(
        raw(&server.url(), &["GET", "visits"]),
        redis::Value::BulkString(b"43".to_vec()),
        "changed, never deleted"
    );
    assert_eq!(
        raw(&server.url(), &["EXISTS", "mine"]),
        redis::Value::Int(0),
        "the lesson's own key is removed"
    );
}

#[test]
fn a_lesson_that_runs_scripts_needs_force_on_someone_elses_server() {
    let (_server, options) = external();
    let catalog = builtin();
    match Session::start(
        entry(&catalog, "lua-scripting"),
        &options,
        0,
        &mut |_, _| {},
    ) {
        Err(SessionError::Unmet(reason)) => assert!(reason.contains("--force"), "{reason}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a lesson with scripts must not start on --url without --force"),
    }
}

#[test]
fn lesson_server_arguments_are_lab_settings_only() {
    require_redis();
    let steps = "  - id: one\n    title: One\n    task: t\n    solution: [SET a 1]\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n";
    let hostile = lesson_yaml("args", steps).replace(
        "steps:\n",
        "requires:\n  server_args: [\"--enable-protected-configs\", \"yes\"]\nsteps:\n",
    );
    let dir = pack(&[("args.yaml", &hostile)]);
    let problems = Catalog::load(&[dir.path().to_path_buf()])
        .map(|c| c.problems)
        .unwrap();
    let text = format!("{problems:?}");
    assert!(
        text.contains("enable-protected-configs") && text.contains("refused"),
        "{text}"
    );
    // A restart that would move the data directory is refused at load, and at run time by the
    // sandbox itself.
    let restart = lesson_yaml(
        "moved",
        &steps.replace(
            "solution: [SET a 1]",
            "solution: [SET a 1, {restart: [\"--dir\", \"/tmp\"]}]",
        ),
    );
    let dir = pack(&[("moved.yaml", &restart)]);
    let text = format!(
        "{:?}",
        Catalog::load(&[dir.path().to_path_buf()]).unwrap().problems
    );
    assert!(text.contains("--dir") && text.contains("refused"), "{text}");
    let mut sandbox = Sandbox::start(&SandboxOptions {
        lesson_args: vec!["--maxmemory".into(), "2mb".into()],
        ..SandboxOptions::default()
    })
    .unwrap();
    assert!(
        sandbox
            .crash_and_restart(&["--dir".into(), "/tmp".into()])
            .is_err()
    );
    assert!(
        Sandbox::start(&SandboxOptions {
            lesson_args: vec!["--loadmodule".into(), "/tmp/x.so".into()],
            ..SandboxOptions::default()
        })
        .is_err()
    );
}

#[test]
fn no_lesson_can_point_the_sandbox_at_files_elsewhere() {
    let dir = pack(&[(
        "files.yaml",
        &lesson_yaml(
            "files",
            "  - id: one\n    title: One\n    task: t\n    solution: [SET a 1, CONFIG SET dir /tmp, CONFIG SET dbfilename pwned.sh, SAVE]\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n",
        ),
    )]);
    // The loader reports both CONFIG SETs; a learner typing one in the sandbox is refused too.
    let problems = format!(
        "{:?}",
        Catalog::load(&[dir.path().to_path_buf()]).unwrap().problems
    );
    assert!(
        problems.contains("CONFIG SET dir") && problems.contains("CONFIG SET dbfilename"),
        "{problems}"
    );
    let catalog = builtin();
    let mut session = sandbox_session(entry(&catalog, "strings-counters"));
    let events = session.submit("CONFIG SET dir /tmp").unwrap();
    assert!(
        matches!(&events[..], [Event::Refused(r)] if r.contains("CONFIG SET dir")),
        "{events:?}"
    );
    for setting in [
        "enable-protected-configs",
        "enable-debug-command",
        "enable-module-command",
    ] {
        let events = session.submit(&format!("CONFIG GET {setting}")).unwrap();
        let off = Reply::Array(vec![
            Reply::Bulk(setting.as_bytes().to_vec()),
            Reply::Bulk(b"no".to_vec()),
        ]);
        assert!(
            events.iter().any(
                |e| matches!(e, Event::Command { outcome: Outcome::Done(r), .. } if *r == off)
            ),
            "{setting} stays off in the sandbox: {events:?}"
        );
    }
}

#[test]
fn a_select_inside_a_transaction_does_not_send_the_lessons_commands_elsewhere() {
    let (server, options) = someone_elses_server();
    let before = everything(&server.url());
    let catalog = builtin();
    let (mut session, _) = Session::start(
        entry(&catalog, "strings-counters"),
        &options,
        0,
        &mut |_, _| {},
    )
    .unwrap();
    let lesson_db = session.db();
    // SELECT answers QUEUED inside MULTI, and EXEC then moves the client: redis-lab selects the
    // lesson's database before each of its own commands on a client of someone else's server.
    for line in ["MULTI", "SELECT 0", "EXEC"] {
        let events = session.submit(line).unwrap();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Command { line: l, .. } if l == line)),
            "{line} was sent: {events:?}"
        );
    }
    while !session.is_finished() {
        session.skip().unwrap();
    }
    let outside_the_lesson = everything_but(&server.url(), lesson_db);
    assert_eq!(outside_the_lesson, before, "database 0 was not touched");
}

#[test]
fn a_lesson_cannot_connect_its_sandbox_to_another_server() {
    require_redis();
    // A bystander: the learner's own Redis on this machine, holding a secret.
    let bystander = Sandbox::start(&SandboxOptions::default()).unwrap();
    raw(&bystander.url(), &["SET", "secret", "s3cret"]);
    raw(&bystander.url(), &["SET", "victim", "theirs"]);
    let port = bystander.port();
    let steps = format!(
        "  - id: one\n    title: One\n    task: t\n    solution:\n      - REPLICAOF 127.0.0.1 {port}\n      - wait_ms: 500\n      - REPLICAOF NO ONE\n      - SET victim overwritten\n      - MIGRATE 127.0.0.1 {port} victim 0 1000 REPLACE\n      - cmd: [EVAL, \"return redis.call('MIGRATE', '127.0.0.1', ARGV[1], 'victim', '0', '1000', 'REPLACE')\", \"0\", \"{port}\"]\n      - CLUSTER MEET 127.0.0.1 {port}\n      - SET x 1\n    checks:\n      - probe: GET x\n        expect: {{equals: \"1\"}}\n"
    );
    let lesson =
        lesson_yaml("exfil", &steps).replace("steps:\n", "requires: {scripts: true}\nsteps:\n");
    let dir = pack(&[("exfil.yaml", &lesson)]);
    let catalog = pack_catalog(dir.path());
    let mut session = sandbox_session(entry(&catalog, "exfil"));
    let events = session.run_solution().unwrap();
    let refused = events
        .iter()
        .filter(|e| matches!(e, Event::Refused(r) if r.contains("redis-lab started")))
        .count();
    assert_eq!(
        refused, 3,
        "REPLICAOF, MIGRATE and CLUSTER MEET to another server: {events:#?}"
    );
    // The script's MIGRATE cannot be checked: MIGRATE does not exist in a sandbox.
    assert!(
        events.iter().any(|e| matches!(e, Event::Command { outcome: Outcome::Done(Reply::Error(e)), .. } if e.contains("Unknown Redis command"))),
        "{events:#?}"
    );
    let events = session.submit("GET secret").unwrap();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Command {
                outcome: Outcome::Done(Reply::Nil),
                ..
            }
        )),
        "the bystander's data never reached the sandbox: {events:?}"
    );
    drop(session);
    assert_eq!(
        raw(&bystander.url(), &["GET", "victim"]),
        redis::Value::BulkString(b"theirs".to_vec())
    );
    assert_eq!(raw(&bystander.url(), &["DBSIZE"]), redis::Value::Int(2));
}

#[test]
fn a_lesson_cannot_type_as_redis_labs_own_connection() {
    let steps = "  - id: one\n    title: One\n    task: t\n    solution: [{cmd: RESET, client: redis-lab}, SET a 1]\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n";
    let dir = pack(&[("own.yaml", &lesson_yaml("own", steps))]);
    let problems = format!(
        "{:?}",
        Catalog::load(&[dir.path().to_path_buf()]).unwrap().problems
    );
    assert!(
        problems.contains("redis-lab's own connection"),
        "{problems}"
    );
}

#[test]
fn a_reset_from_a_lesson_on_someone_elses_server_stays_in_the_lessons_database() {
    let (server, options) = someone_elses_server();
    let before = everything(&server.url());
    let steps = "  - id: one\n    title: One\n    task: t\n    run:\n      - {cmd: RESET, client: worker}\n      - {cmd: DEL precious, client: worker}\n      - RESET\n      - DEL user:1\n      - {cmd: \"SET precious {i}\", repeat: 3, pipeline: true}\n    solution: [SET a 1]\n    checks:\n      - probe: GET a\n        expect: {equals: \"1\"}\n";
    let dir = pack(&[("reset.yaml", &lesson_yaml("reset", steps))]);
    let catalog = pack_catalog(dir.path());
    let (mut session, _) =
        Session::start(entry(&catalog, "reset"), &options, 0, &mut |_, _| {}).unwrap();
    let lesson_db = session.db();
    session.run_solution().unwrap();
    let outside_the_lesson = everything_but(&server.url(), lesson_db);
    assert_eq!(outside_the_lesson, before);
    session.clean_up().unwrap();
    drop(session);
    assert_eq!(everything(&server.url()), before);
}
