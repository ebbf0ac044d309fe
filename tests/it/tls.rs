//! `rediss://` against a real TLS redis-server: each test makes its own CA and certificates with
//! rcgen and starts its own servers on free loopback ports, and stops them when it ends.

use crate::common::certs::Certs;
use crate::common::*;
use assert_cmd::Command;
use std::net::TcpStream;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// Connection failures must end well within this; the binary's own connect timeout is 5 s.
const BOUNDED: Duration = Duration::from_secs(12);

fn redis_lab(data: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-lab"));
    cmd.env("REDIS_LAB_DATA_DIR", data.path())
        .env("XDG_DATA_HOME", data.path())
        .env("NO_COLOR", "1")
        .env_remove("REDIS_URL")
        .env_remove("REDISCLI_AUTH")
        .env_remove("REDIS_LAB_LESSONS")
        .env_remove("REDIS_LAB_REDIS_SERVER")
        .timeout(Duration::from_secs(60));
    cmd
}

/// Runs the command and returns its output and how long it took.
fn timed(cmd: &mut Command) -> (Output, Duration) {
    let start = Instant::now();
    let output = cmd.output().unwrap();
    (output, start.elapsed())
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A failure as the user sees it: exit 2, one line on stderr, no panic.
fn assert_clean_failure(output: &Output, elapsed: Duration) -> String {
    let (stdout, stderr) = text(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(elapsed < BOUNDED, "took {elapsed:?}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

/// A redis-server this test started; killed when dropped, even if the test fails.
struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    fn start(args: &[String], port: u16) -> RedisServer {
        let redis = require_redis();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("redis.log");
        let child = std::process::Command::new(redis)
            .args(args)
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "redis-server exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "redis-server never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// TLS only (`--port 0`), verifying client certificates against the test CA when asked.
    fn tls(certs: &Certs, auth_clients: bool, extra: &[&str]) -> RedisServer {
        let port = redis_lab::server::sandbox::free_port().unwrap();
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--tls-port".into(),
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
        args.extend(extra.iter().map(|a| a.to_string()));
        RedisServer::start(&args, port)
    }

    fn plain() -> RedisServer {
        let port = redis_lab::server::sandbox::free_port().unwrap();
        RedisServer::start(&["--port".into(), port.to_string()], port)
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rediss_with_the_ca_runs_commands() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, false, &[]);
    let data = tempfile::tempdir().unwrap();
    let url = server.url("rediss");
    let ca = certs.arg("ca.pem");
    let run = |args: &[&str]| {
        let output = redis_lab(&data)
            .args(["repl", "--url", &url, "--cacert", &ca])
            .args(args)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{args:?}: {stdout}{stderr}");
        stdout
    };
    assert_eq!(run(&["PING"]).trim(), "PONG");
    assert_eq!(run(&["SET", "greeting", "over tls"]).trim(), "OK");
    assert_eq!(run(&["GET", "greeting"]).trim(), "over tls");
    // Lines piped on stdin take the same connection path.
    let output = redis_lab(&data)
        .args(["repl", "--url", &url, "--cacert", &ca])
        .write_stdin("INCR visits\nINCR visits\n")
        .output()
        .unwrap();
    assert_eq!(text(&output).0, "1\n2\n");
}

#[test]
fn an_untrusted_certificate_is_one_clear_line() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, false, &[]);
    let data = tempfile::tempdir().unwrap();
    let url = server.url("rediss");
    // No --cacert: the system roots know nothing of the test CA.
    let (output, elapsed) = timed(redis_lab(&data).args(["repl", "--url", &url, "PING"]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(
        stderr.contains(&format!(
            "cannot connect to {url}: the server's TLS certificate is not trusted (invalid peer certificate: UnknownIssuer); \
             pass --cacert FILE with the CA that signed it, or --insecure to skip verification"
        )),
        "{stderr}"
    );
    // A CA that did not sign the server's certificate is no better.
    let (output, elapsed) = timed(redis_lab(&data).args([
        "repl",
        "--url",
        &url,
        "--cacert",
        &certs.arg("other-ca.pem"),
        "PING",
    ]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(stderr.contains("is not trusted"), "{stderr}");
    // The right CA, but a name the certificate does not list.
    let (output, elapsed) = timed(redis_lab(&data).args([
        "repl",
        "--url",
        &format!("rediss://localhost:{}", server.port),
        "--cacert",
        &certs.arg("ca.pem"),
        "PING",
    ]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(
        stderr.contains("is not trusted")
            && stderr.contains("connect with a host name or address the certificate lists"),
        "{stderr}"
    );
}

#[test]
fn insecure_skips_verification() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, false, &[]);
    let data = tempfile::tempdir().unwrap();
    redis_lab(&data)
        .args(["repl", "--url", &server.url("rediss"), "--insecure", "PING"])
        .assert()
        .success()
        .stdout("PONG\n");
}

#[test]
fn a_password_in_the_url_works_and_never_shows() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, false, &["--requirepass", "s3cret-pass"]);
    let data = tempfile::tempdir().unwrap();
    let ca = certs.arg("ca.pem");
    let good = format!("rediss://:s3cret-pass@127.0.0.1:{}", server.port);
    redis_lab(&data)
        .args(["repl", "--url", &good, "--cacert", &ca, "PING"])
        .assert()
        .success()
        .stdout("PONG\n");
    let wrong = format!("rediss://:wrong-pass-42@127.0.0.1:{}", server.port);
    let (output, elapsed) =
        timed(redis_lab(&data).args(["repl", "--url", &wrong, "--cacert", &ca, "PING"]));
    let stderr = assert_clean_failure(&output, elapsed);
    let (stdout, _) = text(&output);
    assert!(
        stderr.contains(&format!(
            "cannot connect to rediss://:****@127.0.0.1:{}",
            server.port
        )),
        "{stderr}"
    );
    for secret in ["wrong-pass-42", "s3cret-pass"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "password leaked: {stdout}{stderr}"
        );
    }
    // An untrusted certificate with a password in the URL: the password stays hidden there too.
    let (output, elapsed) = timed(redis_lab(&data).args(["repl", "--url", &good, "PING"]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(stderr.contains("not trusted"), "{stderr}");
    assert!(!stderr.contains("s3cret-pass"), "password leaked: {stderr}");
}

#[test]
fn plain_and_tls_ports_mixed_up_fail_quickly_and_say_which_scheme() {
    let certs = Certs::new();
    let tls = RedisServer::tls(&certs, false, &[]);
    let plain = RedisServer::plain();
    let data = tempfile::tempdir().unwrap();

    let url = tls.url("redis");
    let (output, elapsed) = timed(redis_lab(&data).args(["repl", "--url", &url, "PING"]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(
        stderr.contains(&format!("cannot connect to {url}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("the server closed the connection")
            && stderr.contains("if this is a TLS port, use a rediss:// URL"),
        "{stderr}"
    );

    let url = plain.url("rediss");
    let (output, elapsed) = timed(redis_lab(&data).args([
        "repl",
        "--url",
        &url,
        "--cacert",
        &certs.arg("ca.pem"),
        "PING",
    ]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(
        stderr.contains(&format!("cannot connect to {url}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "no TLS handshake with the server (no answer within 5 s); if this port is not a TLS port, use a redis:// URL"
        ),
        "{stderr}"
    );
}

#[test]
fn tls_flags_without_a_rediss_url_are_refused() {
    let certs = Certs::new();
    let data = tempfile::tempdir().unwrap();
    let ca = certs.arg("ca.pem");
    // Refused before any connection: nothing listens on this URL.
    let output = redis_lab(&data)
        .args([
            "repl",
            "--url",
            "redis://:hunter2@127.0.0.1:1",
            "--cacert",
            &ca,
            "PING",
        ])
        .output()
        .unwrap();
    let stderr = assert_clean_failure(&output, Duration::ZERO);
    assert!(
        stderr.contains(
            "--cacert applies to TLS connections only, and redis://:****@127.0.0.1:1 is a plain redis:// URL; use rediss:// for a TLS port"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // Without --url, lessons run on the private sandbox, which has no TLS.
    let output = redis_lab(&data)
        .args(["lesson", "strings-counters", "--auto", "--insecure"])
        .output()
        .unwrap();
    let stderr = assert_clean_failure(&output, Duration::ZERO);
    assert!(
        stderr.contains("--insecure applies to a TLS server given with --url rediss://HOST:PORT"),
        "{stderr}"
    );

    let output = redis_lab(&data)
        .args(["repl", "--sandbox", "--cacert", &ca, "PING"])
        .output()
        .unwrap();
    let stderr = assert_clean_failure(&output, Duration::ZERO);
    assert!(
        stderr.contains("the --sandbox topology speaks plain redis://"),
        "{stderr}"
    );

    // A key where a certificate belongs is named, not left to fail the handshake.
    let output = redis_lab(&data)
        .args([
            "repl",
            "--url",
            "rediss://127.0.0.1:1",
            "--cacert",
            &certs.arg("server.key"),
            "PING",
        ])
        .output()
        .unwrap();
    let stderr = assert_clean_failure(&output, Duration::ZERO);
    assert!(
        stderr.contains("cannot use --cacert") && stderr.contains("no certificate in it"),
        "{stderr}"
    );

    // --cert without --key is a usage error from the argument parser.
    redis_lab(&data)
        .args([
            "repl",
            "--url",
            "rediss://127.0.0.1:1",
            "--cert",
            &certs.arg("client.pem"),
            "PING",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--key <FILE>"));
}

#[test]
fn a_lesson_passes_over_tls() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, false, &[]);
    let data = tempfile::tempdir().unwrap();
    let output = redis_lab(&data)
        .args([
            "lesson",
            "strings-counters",
            "--auto",
            "--url",
            &server.url("rediss"),
            "--cacert",
            &certs.arg("ca.pem"),
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("steps passed"), "{stdout}");
}

#[test]
fn a_client_certificate_opens_a_server_that_requires_one() {
    let certs = Certs::new();
    let server = RedisServer::tls(&certs, true, &[]);
    let data = tempfile::tempdir().unwrap();
    let url = server.url("rediss");
    let ca = certs.arg("ca.pem");
    let (output, elapsed) =
        timed(redis_lab(&data).args(["repl", "--url", &url, "--cacert", &ca, "PING"]));
    let stderr = assert_clean_failure(&output, elapsed);
    assert!(stderr.contains("pass --cert FILE --key FILE"), "{stderr}");
    redis_lab(&data)
        .args(["repl", "--url", &url, "--cacert", &ca])
        .args(["--cert", &certs.arg("client.pem")])
        .args(["--key", &certs.arg("client.key")])
        .arg("PING")
        .assert()
        .success()
        .stdout("PONG\n");
}
