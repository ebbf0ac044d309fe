//! `server::wire` against real redis-server processes (plain, password, ACL user, unix socket,
//! TLS) that each test starts on free loopback ports, and against fake servers on a thread: a
//! hostile one that declares a 931 GiB string and never stops sending, an HTTP server, a port
//! that never answers.

use crate::common::certs::Certs;
use crate::common::*;
use redis::{ConnectionLike, IntoConnectionInfo};
use redis_lab::server::connection::TlsOptions;
use redis_lab::server::reply::Reply;
use redis_lab::server::resp::{AggregateKind, BulkKind, CHUNK, Limits, RespError, Scalar, Visitor};
use redis_lab::server::sandbox::{Sandbox, SandboxOptions, free_port};
use redis_lab::server::wire::{Step, Wire, WireError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Records the largest single allocation made on each thread: a reply that was allocated at
/// its declared size would show here. (Per thread, not the process's resident memory: the
/// integration tests share one process. The library's unit tests have the same allocator,
/// since a global allocator belongs to one binary.)
struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(0));
    let result = f();
    (result, LARGEST.with(Cell::get))
}

fn sandbox(extra: &[&str]) -> Sandbox {
    require_redis();
    let options = SandboxOptions {
        extra_args: extra.iter().map(|a| a.to_string()).collect(),
        ..SandboxOptions::default()
    };
    Sandbox::start(&options).expect("redis-server starts")
}

fn try_connect(url: &str, tls: &TlsOptions) -> Result<Wire, WireError> {
    let info = url.into_connection_info().expect("the URL parses");
    Wire::connect(&info, tls, TIMEOUT)
}

fn connect(url: &str) -> Wire {
    try_connect(url, &TlsOptions::default()).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn run(wire: &mut Wire, args: &[&str]) -> Reply {
    wire.send(args).unwrap();
    wire.recv(&Limits::DEFAULT)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn bulk(text: &str) -> Reply {
    Reply::Bulk(text.as_bytes().to_vec())
}

fn status(text: &str) -> Reply {
    Reply::Status(text.into())
}

/// What redis-lab gets today through redis-rs, server errors turned back into replies.
fn through_redis_rs(connection: &mut redis::Connection, args: &[&str]) -> Reply {
    let mut cmd = redis::Cmd::new();
    for arg in args {
        cmd.arg(*arg);
    }
    match connection.req_command(&cmd) {
        Ok(value) => Reply::from(value),
        Err(e) => match (e.code(), e.detail()) {
            (Some(code), Some(detail)) => Reply::Error(format!("{code} {detail}")),
            (Some(code), None) => Reply::Error(code.to_string()),
            _ => panic!("{args:?}: {e}"),
        },
    }
}

/// Commands whose replies are the same every time, covering every reply type.
const COMMANDS: &[&[&str]] = &[
    &["PING"],
    &["SET", "greeting", "hello"],
    &["GET", "greeting"],
    &["GET", "missing"],
    &["INCR", "counter"],
    &["INCR", "greeting"],
    &["RPUSH", "list", "a", "b", "c"],
    &["LRANGE", "list", "0", "-1"],
    &["LPOP", "list", "0"],
    &["HSET", "hash", "f1", "v1", "f2", "v2"],
    &["HGETALL", "hash"],
    &["HGET", "list", "x"],
    &["SADD", "set", "3", "1", "2"],
    &["SMEMBERS", "set"],
    &["ZADD", "zset", "1.5", "a", "2", "b"],
    &["ZSCORE", "zset", "a"],
    &["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
    &["XADD", "stream", "1-1", "field", "value"],
    &["XRANGE", "stream", "-", "+"],
    &["EXISTS", "greeting", "missing"],
    &["TYPE", "hash"],
    &["OBJECT", "ENCODING", "set"],
    &[
        "EVAL",
        "return {1, 'two', {3, {'four'}}, redis.status_reply('FINE')}",
        "0",
    ],
    &["EVAL", "return redis.error_reply('MYERR custom')", "0"],
    &["NOSUCHCOMMAND"],
    &["DEBUG", "PROTOCOL", "string"],
    &["DEBUG", "PROTOCOL", "integer"],
    &["DEBUG", "PROTOCOL", "double"],
    &["DEBUG", "PROTOCOL", "bignum"],
    &["DEBUG", "PROTOCOL", "null"],
    &["DEBUG", "PROTOCOL", "array"],
    &["DEBUG", "PROTOCOL", "set"],
    &["DEBUG", "PROTOCOL", "map"],
    &["DEBUG", "PROTOCOL", "attrib"],
    &["DEBUG", "PROTOCOL", "verbatim"],
    &["DEBUG", "PROTOCOL", "true"],
    &["DEBUG", "PROTOCOL", "false"],
    &["FLUSHALL"],
];

#[test]
fn replies_read_as_redis_rs_reads_them_in_resp2_and_resp3() {
    // Two servers given the same commands: one answers us, the other redis-rs.
    let ours_server = sandbox(&["--enable-debug-command", "yes"]);
    let theirs_server = sandbox(&["--enable-debug-command", "yes"]);
    for protocol in ["", "?protocol=resp3"] {
        let mut ours = connect(&format!("{}{protocol}", ours_server.url()));
        let mut theirs = redis::Client::open(format!("{}{protocol}", theirs_server.url()))
            .and_then(|c| c.get_connection())
            .unwrap();
        assert_eq!(ours.is_resp3(), !protocol.is_empty());
        for args in COMMANDS {
            let expected = through_redis_rs(&mut theirs, args);
            let got = run(&mut ours, args);
            assert_eq!(
                format!("{got:?}"),
                format!("{expected:?}"),
                "{protocol}: {args:?}"
            );
        }
    }
}

#[test]
fn resp3_types_arrive_after_hello_3() {
    let server = sandbox(&["--enable-debug-command", "yes"]);
    let url = format!("{}?protocol=resp3", server.url());
    let mut wire = connect(&url);
    assert!(wire.is_resp3());
    run(&mut wire, &["HSET", "h", "f", "v"]);
    assert_eq!(
        run(&mut wire, &["HGETALL", "h"]),
        Reply::Map(vec![(bulk("f"), bulk("v"))])
    );
    run(&mut wire, &["SADD", "s", "1"]);
    assert_eq!(
        run(&mut wire, &["SMEMBERS", "s"]),
        Reply::Set(vec![bulk("1")])
    );
    run(&mut wire, &["ZADD", "z", "1.5", "a"]);
    assert_eq!(run(&mut wire, &["ZSCORE", "z", "a"]), Reply::Double(1.5));
    assert_eq!(run(&mut wire, &["GET", "missing"]), Reply::Nil);
    assert_eq!(
        run(&mut wire, &["DEBUG", "PROTOCOL", "true"]),
        Reply::Bool(true)
    );
    assert_eq!(
        run(&mut wire, &["DEBUG", "PROTOCOL", "bignum"]),
        Reply::BigNumber("1234567999999999999999999999999999999".into())
    );
    assert_eq!(
        run(&mut wire, &["DEBUG", "PROTOCOL", "verbatim"]),
        Reply::Verbatim {
            format: "txt".into(),
            text: "This is a verbatim\nstring".into()
        }
    );
    assert_eq!(
        run(&mut wire, &["DEBUG", "PROTOCOL", "attrib"]),
        bulk("Some real reply following the attribute")
    );
    // A push message, then the reply itself.
    assert_eq!(
        run(&mut wire, &["DEBUG", "PROTOCOL", "push"]),
        Reply::Push {
            kind: "server-cpu-usage".into(),
            data: vec![Reply::Int(42)]
        }
    );
    assert_eq!(
        wire.recv(&Limits::DEFAULT).unwrap(),
        bulk("Some real reply following the push reply")
    );
}

#[test]
fn a_resp3_subscriber_gets_push_messages() {
    let server = sandbox(&[]);
    let url = format!("{}?protocol=resp3", server.url());
    let mut subscriber = connect(&url);
    assert_eq!(
        run(&mut subscriber, &["SUBSCRIBE", "news"]),
        Reply::Push {
            kind: "subscribe".into(),
            data: vec![bulk("news"), Reply::Int(1)]
        }
    );
    let mut publisher = connect(&server.url());
    assert_eq!(
        run(&mut publisher, &["PUBLISH", "news", "hello"]),
        Reply::Int(1)
    );
    assert_eq!(
        subscriber.recv(&Limits::DEFAULT).unwrap(),
        Reply::Push {
            kind: "message".into(),
            data: vec![bulk("news"), bulk("hello")]
        }
    );
}

/// A sandbox whose default user needs `pw`, with an ACL user `alice` (password `alicepw`).
fn protected() -> Sandbox {
    let server = sandbox(&[]);
    let mut admin = connect(&server.url());
    let created = run(
        &mut admin,
        &["ACL", "SETUSER", "alice", "on", ">alicepw", "~*", "+@all"],
    );
    assert_eq!(created, status("OK"));
    assert_eq!(
        run(&mut admin, &["CONFIG", "SET", "requirepass", "pw"]),
        status("OK")
    );
    server
}

#[test]
fn passwords_and_acl_users_authenticate_in_resp2_and_resp3() {
    let server = protected();
    let port = server.port();
    for protocol in ["", "?protocol=resp3"] {
        let mut wire = connect(&format!("redis://:pw@127.0.0.1:{port}{protocol}"));
        assert_eq!(run(&mut wire, &["ACL", "WHOAMI"]), bulk("default"));
        let mut wire = connect(&format!("redis://alice:alicepw@127.0.0.1:{port}{protocol}"));
        assert_eq!(run(&mut wire, &["ACL", "WHOAMI"]), bulk("alice"));
    }
}

#[test]
fn a_wrong_password_reads_as_it_does_today_with_the_servers_words() {
    let server = protected();
    let port = server.port();
    for url in [
        format!("redis://:wrong@127.0.0.1:{port}"),
        format!("redis://alice:wrong@127.0.0.1:{port}"),
        format!("redis://:wrong@127.0.0.1:{port}?protocol=resp3"),
    ] {
        let error = try_connect(&url, &TlsOptions::default()).err().unwrap();
        assert!(
            matches!(
                error,
                WireError::Refused {
                    step: Step::Auth,
                    ..
                }
            ),
            "{url}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "Password authentication failed: WRONGPASS invalid username-password pair or user is disabled.",
            "{url}"
        );
        assert!(error.reply().unwrap().starts_with("WRONGPASS"));
    }
}

#[test]
fn without_a_password_the_server_says_noauth() {
    let server = protected();
    let port = server.port();
    // Nothing to send on connect: the first command gets the refusal, as a reply.
    let mut wire = connect(&format!("redis://127.0.0.1:{port}"));
    assert_eq!(
        run(&mut wire, &["PING"]),
        Reply::Error("NOAUTH Authentication required.".into())
    );
    let error = try_connect(
        &format!("redis://127.0.0.1:{port}/2"),
        &TlsOptions::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        error.to_string(),
        "Redis server refused to switch database 2: NOAUTH Authentication required."
    );
    assert_eq!(error.reply(), Some("NOAUTH Authentication required."));
    let error = try_connect(
        &format!("redis://127.0.0.1:{port}?protocol=resp3"),
        &TlsOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(
        error,
        WireError::Refused {
            step: Step::Hello,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .starts_with("the server refused HELLO 3 (RESP3): NOAUTH HELLO must be called"),
        "{error}"
    );
}

#[test]
fn the_urls_database_is_selected() {
    let server = sandbox(&[]);
    let mut five = connect(&format!("{}/5", server.url()));
    assert!(
        run(&mut five, &["CLIENT", "INFO"])
            .as_text()
            .unwrap()
            .contains(" db=5 ")
    );
    run(&mut five, &["SET", "where", "five"]);
    let mut zero = connect(&server.url());
    assert_eq!(run(&mut zero, &["GET", "where"]), Reply::Nil);
    let mut again = connect(&format!("{}/5?protocol=resp3", server.url()));
    assert_eq!(run(&mut again, &["GET", "where"]), bulk("five"));
}

/// A directory short enough for a socket path (about 100 bytes at most).
fn socket_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rl-wire")
        .tempdir_in("/tmp")
        .unwrap()
}

#[test]
fn a_unix_socket_works_with_a_password_and_a_database() {
    let dir = socket_dir();
    let socket = dir.path().join("r.sock");
    let socket_arg = socket.display().to_string();
    let server = sandbox(&["--unixsocket", &socket_arg, "--unixsocketperm", "700"]);
    let url = format!("unix://{}", socket.display());
    assert_eq!(run(&mut connect(&url), &["PING"]), status("PONG"));
    run(
        &mut connect(&server.url()),
        &["CONFIG", "SET", "requirepass", "pw"],
    );
    let mut wire = connect(&format!("{url}?pass=pw&db=2"));
    let info = run(&mut wire, &["CLIENT", "INFO"]).as_text().unwrap();
    assert!(
        info.contains(" db=2 ") && info.contains("flags=U"),
        "{info}"
    );
    let missing = try_connect(
        &format!("unix://{}/gone.sock", dir.path().display()),
        &TlsOptions::default(),
    )
    .err()
    .unwrap();
    assert!(missing.is_connection_refusal(), "{missing:?}");
}

/// A sandbox with a TLS port too, using the test CA's server certificate.
fn tls_server(certs: &Certs, auth_clients: bool) -> (Sandbox, u16) {
    let port = free_port().unwrap();
    let args = [
        "--tls-port".to_string(),
        port.to_string(),
        "--tls-cert-file".into(),
        certs.arg("server.pem"),
        "--tls-key-file".into(),
        certs.arg("server.key"),
        "--tls-ca-cert-file".into(),
        certs.arg("ca.pem"),
        "--tls-auth-clients".into(),
        if auth_clients { "yes" } else { "no" }.into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (sandbox(&args), port)
}

fn trusting(certs: &Certs, ca: &str) -> TlsOptions {
    TlsOptions {
        ca_cert: Some(certs.path(ca)),
        ..TlsOptions::default()
    }
}

#[test]
fn tls_with_the_ca_runs_commands_and_big_replies() {
    let certs = Certs::new();
    let (_server, port) = tls_server(&certs, false);
    let url = format!("rediss://127.0.0.1:{port}");
    let mut wire = try_connect(&url, &trusting(&certs, "ca.pem")).unwrap();
    assert_eq!(run(&mut wire, &["PING"]), status("PONG"));
    let big = "0123456789abcdef".repeat(64 * 1024);
    run(&mut wire, &["SET", "big", &big]);
    assert_eq!(run(&mut wire, &["GET", "big"]), bulk(&big));
    let mut resp3 = try_connect(
        &format!("{url}/3?protocol=resp3"),
        &trusting(&certs, "ca.pem"),
    )
    .unwrap();
    assert!(resp3.is_resp3());
    assert_eq!(run(&mut resp3, &["HGETALL", "none"]), Reply::Map(vec![]));
}

#[test]
fn an_untrusted_certificate_fails_as_it_does_through_redis_rs() {
    let certs = Certs::new();
    let (_server, port) = tls_server(&certs, false);
    let url = format!("rediss://127.0.0.1:{port}");
    for tls in [TlsOptions::default(), trusting(&certs, "other-ca.pem")] {
        let error = try_connect(&url, &tls).err().unwrap();
        assert_eq!(error.to_string(), "invalid peer certificate: UnknownIssuer");
        let theirs = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection_with_timeout(TIMEOUT))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        if tls.ca_cert.is_none() {
            assert_eq!(theirs.unwrap_err().to_string(), error.to_string());
        }
    }
    // --insecure, or #insecure in the URL, accepts it.
    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    let mut wire = try_connect(&url, &insecure).unwrap();
    assert_eq!(run(&mut wire, &["PING"]), status("PONG"));
    let mut wire = try_connect(&format!("{url}/#insecure"), &TlsOptions::default()).unwrap();
    assert_eq!(run(&mut wire, &["PING"]), status("PONG"));
}

#[test]
fn a_client_certificate_opens_a_server_that_requires_one() {
    let certs = Certs::new();
    let (_server, port) = tls_server(&certs, true);
    let url = format!("rediss://127.0.0.1:{port}");
    let with_cert = TlsOptions {
        cert: Some(certs.path("client.pem")),
        key: Some(certs.path("client.key")),
        ..trusting(&certs, "ca.pem")
    };
    let mut wire = try_connect(&url, &with_cert).unwrap();
    assert_eq!(run(&mut wire, &["PING"]), status("PONG"));
    // Without one, TLS 1.3 completes our side of the handshake: the server's alert comes with
    // the first reply.
    let failure = match try_connect(&url, &trusting(&certs, "ca.pem")) {
        Err(e) => e.to_string(),
        Ok(mut wire) => {
            wire.send(&["PING"]).unwrap();
            wire.recv(&Limits::DEFAULT).unwrap_err().to_string()
        }
    };
    assert!(
        failure.contains("CertificateRequired") || failure.contains("HandshakeFailure"),
        "{failure}"
    );
    let half = TlsOptions {
        cert: Some(certs.path("client.pem")),
        ..trusting(&certs, "ca.pem")
    };
    assert_eq!(
        try_connect(&url, &half).err().unwrap().to_string(),
        "--cert needs --key FILE with its private key"
    );
    let not_pem = TlsOptions {
        ca_cert: Some(PathBuf::from("/etc/hostname")),
        ..TlsOptions::default()
    };
    assert!(
        try_connect(&url, &not_pem)
            .err()
            .unwrap()
            .to_string()
            .starts_with("cannot use --cacert /etc/hostname: ")
    );
}

#[test]
fn a_plain_port_given_as_tls_fails_within_the_timeout() {
    let server = sandbox(&[]);
    let info = format!("rediss://127.0.0.1:{}", server.port())
        .into_connection_info()
        .unwrap();
    let started = Instant::now();
    let error = Wire::connect(&info, &TlsOptions::default(), Duration::from_millis(500))
        .err()
        .unwrap();
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    // The server reads the TLS hello as the start of a command and waits for its end.
    assert!(error.is_timeout(), "{error:?}");
}

/// A fake server on a thread: it reads the first command, then runs `answer` on the socket.
fn fake_server(answer: fn(&mut std::net::TcpStream)) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let mut command = [0u8; 256];
            let _ = socket.read(&mut command);
            answer(&mut socket);
        }
    });
    (port, thread)
}

/// `header`, then `filler` bytes until the client goes away.
fn endless(socket: &mut std::net::TcpStream, header: &[u8], filler: u8) {
    if socket.write_all(header).is_err() {
        return;
    }
    let block = vec![filler; 64 * 1024];
    while socket.write_all(&block).is_ok() {}
}

#[test]
fn a_hostile_server_declaring_931_gib_gets_too_big_at_once_and_no_memory() {
    let (port, server) = fake_server(|socket| endless(socket, b"$999999999999\r\n", b'x'));
    let mut wire = connect(&format!("redis://127.0.0.1:{port}"));
    wire.send(&["GET", "k"]).unwrap();
    let (result, largest) = largest_allocation(|| wire.recv(&Limits::DEFAULT));
    let error = result.unwrap_err();
    assert!(matches!(error, RespError::TooBig { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the server sent a string of 931 GiB; redis-lab reads at most 512 MiB"
    );
    assert!(largest < 1024 * 1024, "allocated {largest} bytes at once");
    // The rest of that reply is unread: the connection cannot be used again.
    assert!(wire.is_broken());
    assert_eq!(
        wire.send(&["PING"]).unwrap_err().kind(),
        std::io::ErrorKind::NotConnected
    );
    drop(wire);
    server.join().unwrap();
}

#[test]
fn a_hostile_array_is_refused_as_promptly() {
    let (port, server) = fake_server(|socket| endless(socket, b"*999999999999\r\n", b'_'));
    let mut wire = connect(&format!("redis://127.0.0.1:{port}"));
    wire.send(&["LRANGE", "k", "0", "-1"]).unwrap();
    let (result, largest) = largest_allocation(|| wire.recv(&Limits::DEFAULT));
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("an array of 999999999999 elements")
    );
    assert!(largest < 1024 * 1024, "allocated {largest} bytes at once");
    drop(wire);
    server.join().unwrap();
}

/// Throws every chunk away, as a REPL writing them out would.
#[derive(Default)]
struct Discard {
    chunks: usize,
    bytes: usize,
    largest_chunk: usize,
}

impl Visitor for Discard {
    fn scalar(&mut self, _: Scalar<'_>) -> Result<(), RespError> {
        Ok(())
    }
    fn begin_aggregate(&mut self, _: AggregateKind, _: usize) -> Result<(), RespError> {
        Ok(())
    }
    fn end_aggregate(&mut self, _: AggregateKind) -> Result<(), RespError> {
        Ok(())
    }
    fn begin_bulk(&mut self, _: BulkKind, _: usize) -> Result<(), RespError> {
        Ok(())
    }
    fn bulk_chunk(&mut self, chunk: &[u8]) -> Result<(), RespError> {
        self.chunks += 1;
        self.bytes += chunk.len();
        self.largest_chunk = self.largest_chunk.max(chunk.len());
        Ok(())
    }
    fn end_bulk(&mut self, _: BulkKind) -> Result<(), RespError> {
        Ok(())
    }
}

#[test]
fn a_streamed_100_mib_string_never_sits_in_memory() {
    const LEN: usize = 100 * 1024 * 1024;
    let (port, server) = fake_server(|socket| endless(socket, b"$104857600\r\n", b'y'));
    let mut wire = connect(&format!("redis://127.0.0.1:{port}"));
    wire.send(&["GET", "big"]).unwrap();
    let mut discard = Discard::default();
    let (result, largest) = largest_allocation(|| wire.recv_events(&Limits::DEFAULT, &mut discard));
    // All of it came through, in chunks; then a 'y' where its CRLF should be.
    assert_eq!(discard.bytes, LEN);
    assert!(discard.largest_chunk <= CHUNK);
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("expected \\r\\n after a string of 104857600 bytes, got 'y'")
    );
    assert!(largest < 1024 * 1024, "allocated {largest} bytes at once");
    drop(wire);
    server.join().unwrap();
}

#[test]
fn an_http_server_is_named() {
    let (port, server) = fake_server(|socket| {
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let mut wire = connect(&format!("redis://127.0.0.1:{port}"));
    wire.send(&["PING"]).unwrap();
    let error = wire.recv(&Limits::DEFAULT).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the server's answer is not in the Redis protocol: expected a reply type, got 'H' (is this an HTTP server?)"
    );
    server.join().unwrap();
    // During the set-up, the same words.
    let (port, server) = fake_server(|socket| {
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let error = try_connect(
        &format!("redis://:pw@127.0.0.1:{port}"),
        &TlsOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(error, WireError::Resp(RespError::Malformed(_))));
    assert!(error.to_string().contains("(is this an HTTP server?)"));
    server.join().unwrap();
}

#[test]
fn a_port_that_never_answers_times_out_within_the_bound() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        format!("redis://:pw@127.0.0.1:{port}"),
        format!("rediss://127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}?protocol=resp3"),
    ] {
        let info = url.as_str().into_connection_info().unwrap();
        let started = Instant::now();
        let error = Wire::connect(&info, &TlsOptions::default(), Duration::from_millis(300))
            .err()
            .unwrap();
        assert!(error.is_timeout(), "{url}: {error:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{url}");
    }
    drop(listener);
}

#[test]
fn nothing_listening_is_a_refusal() {
    let port = free_port().unwrap();
    let error = try_connect(&format!("redis://127.0.0.1:{port}"), &TlsOptions::default())
        .err()
        .unwrap();
    assert!(error.is_connection_refusal(), "{error:?}");
    assert!(error.to_string().contains("Connection refused"), "{error}");
}

#[test]
fn a_read_timeout_before_a_reply_leaves_the_connection_usable() {
    let server = sandbox(&[]);
    let mut wire = connect(&server.url());
    wire.send(&["BLPOP", "queue", "1"]).unwrap();
    wire.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let error = wire.recv(&Limits::DEFAULT).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(!wire.is_broken());
    wire.set_read_timeout(None).unwrap();
    assert_eq!(wire.recv(&Limits::DEFAULT).unwrap(), Reply::Nil);
    assert_eq!(run(&mut wire, &["PING"]), status("PONG"));
}

#[test]
fn an_interrupter_ends_a_blocked_read() {
    let server = sandbox(&[]);
    let mut wire = connect(&server.url());
    let interrupter = wire.interrupter().unwrap();
    let blocked = std::thread::spawn(move || {
        wire.send(&["BLPOP", "queue", "0"]).unwrap();
        wire.recv(&Limits::DEFAULT)
    });
    std::thread::sleep(Duration::from_millis(200));
    interrupter.interrupt().unwrap();
    let error = blocked.join().unwrap().unwrap_err();
    assert!(error.is_closed(), "{error:?}");
}

#[test]
fn a_pipeline_goes_out_in_one_write_and_comes_back_in_order() {
    let server = sandbox(&[]);
    let mut wire = connect(&server.url());
    let commands: Vec<Vec<Vec<u8>>> = (0..10_000)
        .map(|i| {
            vec![
                b"INCRBY".to_vec(),
                b"n".to_vec(),
                i.to_string().into_bytes(),
            ]
        })
        .collect();
    wire.send_many(&commands).unwrap();
    let mut total = 0i64;
    for i in 0..10_000i64 {
        total += i;
        assert_eq!(wire.recv(&Limits::DEFAULT).unwrap(), Reply::Int(total));
    }
}

#[test]
fn a_big_value_arrives_in_chunks() {
    let server = sandbox(&[]);
    let mut wire = connect(&server.url());
    let value = vec![b'z'; 10 * 1024 * 1024 + 5];
    wire.send(&[&b"SET"[..], b"big", &value]).unwrap();
    assert_eq!(wire.recv(&Limits::DEFAULT).unwrap(), status("OK"));
    wire.send(&["GET", "big"]).unwrap();
    let mut discard = Discard::default();
    wire.recv_events(&Limits::DEFAULT, &mut discard).unwrap();
    assert_eq!(discard.bytes, value.len());
    assert!(discard.chunks >= value.len() / CHUNK);
    assert!(discard.largest_chunk <= CHUNK);
    // Limits apply per reply: the same value is refused under a smaller one.
    let small = Limits {
        max_bulk: 1024 * 1024,
        ..Limits::DEFAULT
    };
    wire.send(&["GET", "big"]).unwrap();
    assert!(
        wire.recv(&small)
            .unwrap_err()
            .to_string()
            .contains("a string of 10 MiB; redis-lab reads at most 1 MiB")
    );
}
