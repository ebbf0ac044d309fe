//! Real multi-node topologies: started locally, ready only when every node agrees, reachable
//! from the REPL (with -c for the cluster), and gone after `sandbox down` or a signal.

use crate::common::*;
use redis_lab::server::sandbox::SandboxOptions;
use redis_lab::server::topology::{Kind, Role, Topology};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn query(port: u16, args: &[&str]) -> String {
    let mut connection = redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .get_connection()
        .unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query::<redis::Value>(&mut connection).unwrap() {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        redis::Value::SimpleString(s) => s,
        redis::Value::Okay => "OK".into(),
        other => format!("{other:?}"),
    }
}

fn start(kind: Kind) -> Topology {
    require_redis();
    Topology::start(kind, &SandboxOptions::default(), &mut |_| {}).expect("topology starts")
}

#[test]
fn redlock5_is_five_independent_servers() {
    let topology = start(Kind::Redlock5);
    assert_eq!(topology.nodes.len(), 5);
    for node in &topology.nodes {
        assert!(query(node.port(), &["INFO", "replication"]).contains("role:master"));
        assert!(query(node.port(), &["INFO", "replication"]).contains("connected_slaves:0"));
    }
}

#[test]
fn a_replica_has_the_masters_writes() {
    let topology = start(Kind::Replica);
    let master = topology.node("master").unwrap().port();
    let replica = topology.node("replica").unwrap().port();
    // WAIT waits for this connection's own writes: SET and WAIT on the same connection.
    let mut connection = redis::Client::open(format!("redis://127.0.0.1:{master}"))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut connection)
        .unwrap();
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(2000)
        .query(&mut connection)
        .unwrap();
    assert_eq!(acked, 1);
    assert_eq!(query(replica, &["GET", "k"]), "v");
}

#[test]
fn every_sentinel_sees_the_master_its_replica_and_the_others() {
    let topology = start(Kind::Sentinel);
    let master = topology.node("master").unwrap().port().to_string();
    let sentinels: Vec<_> = topology
        .nodes
        .iter()
        .filter(|n| n.role == Role::Sentinel)
        .collect();
    assert_eq!(sentinels.len(), 3);
    for sentinel in sentinels {
        let mut connection = redis::Client::open(sentinel.url())
            .unwrap()
            .get_connection()
            .unwrap();
        let address: Vec<String> = redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg("mymaster")
            .query(&mut connection)
            .unwrap();
        assert_eq!(address, vec!["127.0.0.1".to_string(), master.clone()]);
    }
}

#[test]
fn the_cluster_is_whole_and_the_repl_follows_redirections() {
    let topology = start(Kind::Cluster);
    for node in &topology.nodes {
        let info = query(node.port(), &["CLUSTER", "INFO"]);
        assert!(
            info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:16384"),
            "{info}"
        );
    }
    let url = topology.nodes[0].url();
    let repl = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
            .args(["repl", "--url", &url, "-c", "--no-raw", "--color", "never"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Keys spread over the three masters: every SET lands, redirected where needed.
    let mut redirected = false;
    for i in 0..10 {
        let out = repl(&["SET", &format!("user:{i}"), "x"]);
        assert!(out.ends_with("OK\n"), "{out}");
        redirected |= out.contains("-> Redirected to slot");
    }
    assert!(redirected, "some keys live on other nodes than node-1");
    assert!(repl(&["MSET", "a", "1", "b", "2"]).contains("CROSSSLOT"));
    assert!(repl(&["MSET", "{user:42}:a", "1", "{user:42}:b", "2"]).ends_with("OK\n"));
}

#[test]
fn sandbox_up_is_reachable_and_down_leaves_no_server() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_redis-lab");
    let mut up = Command::new(bin)
        .args(["sandbox", "up", "replica"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let record = data.path().join("sandbox.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !record.exists() {
        assert!(Instant::now() < deadline, "sandbox up never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&record).unwrap();
    let ports: Vec<u16> = serde_json::from_str::<serde_json::Value>(&text).unwrap()["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["port"].as_u64().unwrap() as u16)
        .collect();
    assert_eq!(ports.len(), 2);
    let set = Command::new(bin)
        .args(["repl", "--sandbox", "SET", "from-repl", "yes"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&set.stdout), "OK\n");
    let status = Command::new(bin)
        .args(["sandbox", "status"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("replica sandbox is running"));
    let down = Command::new(bin)
        .args(["sandbox", "down"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(
        !up.wait().unwrap().success(),
        "up ends by the signal `down` sends"
    );
    assert!(!record.exists(), "the record is removed");
    for port in ports {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens on {port} any more"
        );
    }
}

const FAILOVER: &str = "format: 1\nid: failover\ntitle: Failover\ntrack: operations\nlevel: advanced\nsummary: A real failover.\nrequires: {topology: sentinel, sandbox: true}\nsteps:\n  - id: ask\n    title: Ask\n    explain: Sentinels know the master.\n    task: Ask sentinel-1 where the master is.\n    on: sentinel-1\n    hints: [SENTINEL GET-MASTER-ADDR-BY-NAME mymaster]\n    solution: [SENTINEL GET-MASTER-ADDR-BY-NAME mymaster]\n    checks:\n      - expect: {length: 2}\n  - id: failover\n    title: Kill the master\n    explain: Stop the master.\n    task: Stop the master.\n    run:\n      - {cmd: \"SUBSCRIBE +switch-master\", client: watcher, on: sentinel-2}\n    hints: [wait]\n    solution:\n      - fault: {stop: master}\n    checks:\n      - probe: INFO replication\n        on: replica\n        expect: {matches: \"role:master\"}\n        poll_ms: 8000\n      - received: watcher\n        on: sentinel-2\n        expect: {length: {min: 1}}\n        poll_ms: 3000\n";

#[test]
fn a_lesson_runs_a_real_sentinel_failover_and_refuses_url_servers() {
    use redis_lab::engine::prove::{Outcome, prove_lesson};
    use redis_lab::engine::session::SessionOptions;
    require_redis();
    let dir = pack(&[("failover.yaml", FAILOVER)]);
    let catalog = pack_catalog(dir.path());
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let entry = entry(&catalog, "failover");
    let proof = prove_lesson(&entry, &SessionOptions::default());
    assert_eq!(
        proof.outcome,
        Outcome::Passed,
        "the replica is promoted and +switch-master is seen"
    );
    // On a server given with --url: refused with the reason, never run.
    let server = redis_lab::server::sandbox::Sandbox::start(&SandboxOptions::default()).unwrap();
    let mut options = SessionOptions::default();
    options.server.url = Some(server.url());
    match prove_lesson(&entry, &options).outcome {
        Outcome::Skipped(reason) => assert!(reason.contains("--url"), "{reason}"),
        other => panic!("must be refused on --url, not {other:?}"),
    }
}

const DEAD_NODE: &str = "format: 1\nid: dead-node\ntitle: Dead node\ntrack: patterns\nlevel: advanced\nsummary: A client talks to a node that is down.\nrequires: {topology: redlock5, sandbox: true}\nsteps:\n  - id: refused\n    title: Refused\n    explain: node-5 is down.\n    task: Try node-5, then lock on node-1.\n    run:\n      - fault: {stop: node-5}\n      - {cmd: SET lock:x t NX PX 30000, on: node-5}\n    hints: [SET lock:x t NX PX 30000]\n    solution: [SET lock:x t NX PX 30000]\n    checks:\n      - probe: GET lock:x\n        expect: {equals: t}\n";

#[test]
fn a_command_to_a_stopped_node_fails_like_a_client_would_without_ending_the_lesson() {
    use redis_lab::engine::session::{Event, Session, SessionOptions};
    use redis_lab::server::connection::Outcome;
    use redis_lab::server::reply::Reply;
    require_redis();
    let dir = pack(&[("dead-node.yaml", DEAD_NODE)]);
    let catalog = pack_catalog(dir.path());
    let (mut session, events) = Session::start(
        entry(&catalog, "dead-node"),
        &SessionOptions::default(),
        0,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Command { client, outcome: Outcome::Done(Reply::Error(m)), .. }
            if client == "app@node-5" && m.starts_with("connection failed"))
        ),
        "{events:?}"
    );
    let events = session.submit("SET lock:x t NX PX 30000").unwrap();
    assert!(
        events.iter().any(|e| matches!(e, Event::StepPassed { .. })),
        "{events:?}"
    );
}

/// Starts `sandbox up replica` through the pid-recording wrapper and waits for its record.
fn sandbox_up(recorder: &Recorder, data: &std::path::Path) -> std::process::Child {
    let up = recorder
        .command(data, &["sandbox", "up", "replica"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !data.join("sandbox.json").exists() {
        assert!(Instant::now() < deadline, "sandbox up never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    up
}

/// Ends a `sandbox up` however the test ends (it kills its servers on SIGTERM).
struct Up(std::process::Child);

impl Drop for Up {
    fn drop(&mut self) {
        signal(self.0.id() as i32, libc::SIGTERM);
        let _ = self.0.wait();
    }
}

fn signal(pid: i32, signal: i32) {
    // SAFETY: a signal to a process this test started.
    unsafe {
        libc::kill(pid, signal);
    }
}

#[test]
fn a_second_sandbox_up_is_refused_and_status_shows_a_frozen_node() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let _first = Up(sandbox_up(&recorder, data.path()));
    let second = recorder
        .command(data.path(), &["sandbox", "up", "replica"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"));
    assert_eq!(recorder.pids().len(), 2, "the second started no server");
    // Freeze the master: status says so, and `repl --sandbox` goes to the replica that answers.
    let master = recorder.pids()[0];
    signal(master, libc::SIGSTOP);
    struct Thaw(i32);
    impl Drop for Thaw {
        fn drop(&mut self) {
            signal(self.0, libc::SIGCONT);
        }
    }
    let thaw = Thaw(master);
    let status = recorder
        .command(data.path(), &["sandbox", "status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.trim_start_matches(['│', ' ']).starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    let master_row = row("master");
    assert!(master_row.contains("no answer"), "{text}");
    let replica_row = row("replica");
    assert!(replica_row.contains(" up "), "{text}");
    let ping = recorder
        .command(data.path(), &["repl", "--sandbox", "PING"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ping.stdout), "PONG\n");
    drop(thaw);
    let down = recorder
        .command(data.path(), &["sandbox", "down"])
        .output()
        .unwrap();
    assert!(down.status.success());
    recorder.assert_none_running();
}

#[test]
fn two_sandbox_ups_at_once_leave_one_running() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let spawn = || {
        recorder
            .command(data.path(), &["sandbox", "up", "redlock5"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (Up(spawn()), Up(spawn()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let refused = loop {
        if let Some(status) = a.0.try_wait().unwrap() {
            break status;
        }
        if let Some(status) = b.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "neither up was refused");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(refused.code(), Some(2), "the second up is refused");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !data.path().join("sandbox.json").exists() {
        assert!(Instant::now() < deadline, "the other up never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    let down = recorder
        .command(data.path(), &["sandbox", "down"])
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let _ = a.0.wait();
    let _ = b.0.wait();
    recorder.assert_none_running();
}

#[test]
fn a_stale_record_never_gets_another_process_signalled() {
    require_redis();
    let data = tempfile::tempdir().unwrap();
    // A live process that is not ours, under a record that says it is a sandbox.
    let mut bystander = Command::new("sleep").arg("30").spawn().unwrap();
    let record = serde_json::json!({
        "pid": bystander.id(), "started": 1, "kind": "replica",
        "nodes": [{"name": "master", "role": "master", "port": 1}]
    });
    std::fs::write(data.path().join("sandbox.json"), record.to_string()).unwrap();
    let down = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["sandbox", "down"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&down.stdout).contains("No sandbox is running"));
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the bystander was not signalled"
    );
    assert!(
        !data.path().join("sandbox.json").exists(),
        "the stale record is cleared"
    );
    let _ = bystander.kill();
    let _ = bystander.wait();
}

#[test]
fn temp_dirs_of_a_killed_redis_lab_are_removed_by_the_next_run() {
    require_redis();
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let stale = tempfile::Builder::new()
        .prefix("redis-lab-")
        .tempdir()
        .unwrap()
        .keep();
    std::fs::write(stale.join("owner"), format!("{dead_pid}\n")).unwrap();
    std::fs::write(stale.join("dump.rdb"), "x").unwrap();
    let live = tempfile::Builder::new()
        .prefix("redis-lab-")
        .tempdir()
        .unwrap();
    std::fs::write(
        live.path().join("owner"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let ping = Command::new(env!("CARGO_BIN_EXE_redis-lab"))
        .args(["repl", "PING"])
        .env("REDIS_LAB_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ping.stdout), "PONG\n");
    assert!(!stale.exists(), "the dead process's dir is gone");
    assert!(live.path().exists(), "a live process's dir is left alone");
}

/// A record edited to name another process (its pid and start time): `sandbox down` signals
/// nothing, says why, and the real sandbox still stops.
#[test]
fn a_record_naming_another_process_gets_it_no_signal() {
    let recorder = Recorder::new();
    let data = tempfile::tempdir().unwrap();
    let _up = Up(sandbox_up(&recorder, data.path()));
    let mut bystander = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let record_file = data.path().join("sandbox.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record_file).unwrap()).unwrap();
    record["pid"] = bystander.id().into();
    record["started"] = redis_lab::server::sandbox::process_start(bystander.id()).into();
    std::fs::write(&record_file, record.to_string()).unwrap();

    let down = recorder
        .command(data.path(), &["sandbox", "down"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(down.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing was signalled"), "{stderr}");
    assert!(
        matches!(bystander.try_wait(), Ok(None)),
        "the bystander was killed"
    );
    let _ = bystander.kill();
    let _ = bystander.wait();
    // The record is kept for the one who can fix it; the servers still answer.
    assert!(record_file.exists());
}
