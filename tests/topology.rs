//! Real multi-node topologies: started locally, ready only when every node agrees, reachable
//! from the REPL (with -c for the cluster), and gone after `sandbox down` or a signal.

mod common;

use common::*;
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
