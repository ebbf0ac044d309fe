//! Where commands go: the private sandbox or a server given with `--url`, and the named clients
//! a lesson talks through. Each client owns one connection on its own thread, so one client can
//! block (BLPOP, XREAD BLOCK) while another keeps typing (`clients.rs`); no password of a URL
//! ever reaches a message (`redact.rs`).

mod clients;
mod redact;

pub use clients::{
    BLOCK_GRACE, Clients, HIDDEN_CLIENT, NOTICE_AFTER, Outcome, PIPELINE_WAIT, Reconnected,
    SLOW_COMMAND, SlowNotice, Unblocked, ask_on, set_slow_notice, slow_answer_text,
    wire_failure_text,
};
pub use redact::{redact_url, url_secrets};
use redact::{scrub, scrub_secrets};

use crate::server::reply::Reply;
use crate::server::resp::{Limits, RespError};
use crate::server::sandbox::{Sandbox, SandboxError, SandboxOptions};
use crate::server::wire::{Wire, WireError};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// How long a new connection may take, TLS handshake and AUTH included: a port that accepts but never answers
/// (a firewall, a stopped process, not Redis at all) fails within this, never hangs.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum ConnError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("invalid server URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect to {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("the connection to {target} was lost: {reason}")]
    Dropped { target: String, reason: String },
    /// The server answered, with an error that stops the session (NOAUTH, NOPERM, LOADING).
    #[error("{target} refused: {reply}{advice}")]
    Refused {
        target: String,
        reply: String,
        advice: &'static str,
    },
    /// The client cannot take a command now: the command's answer says why, and the session
    /// goes on (the learner can use another client).
    #[error("client {client} {reason}")]
    Busy { client: String, reason: Busy },
    /// A lesson or the REPL named a client that was never opened.
    #[error("no client named {name}")]
    NoSuchClient { name: String },
    /// A restart asked of a server given with `--url`.
    #[error("redis-lab does not restart servers it did not start")]
    NotOurServer,
    /// Ctrl-C while a command was still running.
    #[error("interrupted while waiting for `{}`{}", shortened(.command), script_hint(.command))]
    Interrupted { command: String },
    /// The server took no command and gave no answer for the whole bound.
    #[error(
        "no answer from {target} within {secs} s: the server may be paused (CLIENT PAUSE, SIGSTOP) or busy in a script (`SCRIPT KILL` from another client stops it)"
    )]
    NoAnswer { target: String, secs: u64 },
    /// A TLS flag where it cannot apply, or without its partner.
    #[error(transparent)]
    TlsUsage(#[from] TlsUsage),
    #[error("cannot use {flag} {}: {reason}", path.display())]
    TlsFile {
        flag: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// A command as a message shows it: at most 80 characters (a clean-up UNLINKs many keys).
fn shortened(command: &str) -> String {
    if command.chars().count() <= 80 {
        return command.to_string();
    }
    format!("{} ...", command.chars().take(76).collect::<String>())
}

/// Only a script keeps running on the server after its client stops waiting.
fn script_hint(command: &str) -> &'static str {
    let words = crate::command::tokenize::split_args(command).unwrap_or_default();
    if crate::command::runs_a_script(&words) {
        " (the script keeps running on the server: `SCRIPT KILL` stops it)"
    } else {
        ""
    }
}

/// Why a client cannot take a command now.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Busy {
    /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE or MONITOR: the connection only receives.
    #[error(
        "is subscribed (or in MONITOR): it only receives now. Use another client to send commands"
    )]
    Receiving,
    /// A blocking command (BLPOP, XREAD BLOCK, WAIT ...) has not been answered yet.
    #[error("is still waiting for `{command}`; another client must release it first")]
    Waiting { command: String },
}

/// A TLS flag that cannot take effect as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlsUsage {
    #[error("--cert needs --key FILE with its private key")]
    CertWithoutKey,
    #[error("--key needs --cert FILE with its certificate")]
    KeyWithoutCert,
    /// No `--url`: the sandbox redis-lab starts speaks plain redis://.
    #[error(
        "{flag} applies to a TLS server given with --url rediss://HOST:PORT; the private sandbox speaks plain redis://"
    )]
    Sandbox { flag: &'static str },
    /// `url` is shown redacted.
    #[error(
        "{flag} applies to TLS connections only, and {url} is a plain redis:// URL; use rediss:// for a TLS port"
    )]
    PlainUrl { flag: &'static str, url: String },
}

impl ConnError {
    pub fn is_connection_loss(&self) -> bool {
        matches!(
            self,
            ConnError::Dropped { .. } | ConnError::Unreachable { .. }
        )
    }
}

/// The server a session runs on.
pub struct Server {
    info: ConnectionInfo,
    /// What we show the user: host, port and db, never the password.
    display: String,
    sandbox: Option<Sandbox>,
    /// A node of a topology redis-lab started: ours to change, though not a sandbox of its own.
    topology_node: bool,
    /// Every form of the passwords used to reach it, to take out of any message.
    secrets: Vec<String>,
    /// How its TLS is verified (for our own connections, which read the bytes themselves).
    tls: TlsOptions,
}

/// How the user asked to reach Redis.
#[derive(Debug, Clone, Default)]
pub struct ServerChoice {
    /// `--url` / `REDIS_URL`; None means a private sandbox.
    pub url: Option<String>,
    pub sandbox: SandboxOptions,
    pub tls: TlsOptions,
}

/// How to verify a `rediss://` server and prove who we are to it, as redis-cli's flags say.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// `--cacert`: trust only the CA certificates in this PEM file, not the system's.
    pub ca_cert: Option<PathBuf>,
    /// `--cert` and `--key`: a client certificate, for servers with `tls-auth-clients yes`.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `--insecure`: accept any server certificate.
    pub insecure: bool,
}

impl TlsOptions {
    /// The first TLS flag given, as the user typed it.
    pub fn first_flag(&self) -> Option<&'static str> {
        if self.ca_cert.is_some() {
            Some("--cacert")
        } else if self.cert.is_some() {
            Some("--cert")
        } else if self.key.is_some() {
            Some("--key")
        } else if self.insecure {
            Some("--insecure")
        } else {
            None
        }
    }

    /// The client certificate and its key, which only make sense together.
    pub(crate) fn client_files(&self) -> Result<Option<(&Path, &Path)>, ConnError> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(TlsUsage::CertWithoutKey.into()),
            (None, Some(_)) => Err(TlsUsage::KeyWithoutCert.into()),
        }
    }

    /// Refuses TLS flags that would be ignored: they only mean something with a rediss:// URL.
    pub fn check_applies_to(&self, url: Option<&str>) -> Result<(), ConnError> {
        let Some(flag) = self.first_flag() else {
            return Ok(());
        };
        match url {
            None => Err(TlsUsage::Sandbox { flag }.into()),
            Some(url) if !is_tls_url(url) => Err(TlsUsage::PlainUrl {
                flag,
                url: redact_url(url),
            }
            .into()),
            Some(_) => Ok(()),
        }
    }
}

fn is_tls_url(url: &str) -> bool {
    let scheme = url.split("://").next().unwrap_or_default();
    scheme.eq_ignore_ascii_case("rediss") || scheme.eq_ignore_ascii_case("valkeys")
}

impl Server {
    pub fn open(choice: &ServerChoice) -> Result<Server, ConnError> {
        choice.tls.check_applies_to(choice.url.as_deref())?;
        match &choice.url {
            Some(url) => Server::external(url, &choice.tls),
            None => Server::sandbox(&choice.sandbox),
        }
    }

    pub fn sandbox(options: &SandboxOptions) -> Result<Server, ConnError> {
        let sandbox = Sandbox::start(options)?;
        let info = sandbox
            .url()
            .into_connection_info()
            .map_err(|e| ConnError::BadUrl {
                url: sandbox.url(),
                reason: e.to_string(),
            })?;
        let display = match sandbox.other_program() {
            Some(program) => format!("sandbox 127.0.0.1:{} ({program})", sandbox.port()),
            None => format!("sandbox 127.0.0.1:{}", sandbox.port()),
        };
        Ok(Server {
            display,
            info,
            sandbox: Some(sandbox),
            topology_node: false,
            secrets: Vec::new(),
            tls: TlsOptions::default(),
        })
    }

    pub fn external(url: &str, tls: &TlsOptions) -> Result<Server, ConnError> {
        tls.check_applies_to(Some(url))?;
        let redacted = redact_url(url);
        let mut info = url.into_connection_info().map_err(|e| ConnError::BadUrl {
            url: redacted.clone(),
            // redis-rs may quote the URL in its message: never let a password through.
            reason: scrub(&e.to_string(), url, &redacted),
        })?;
        if info.redis_settings().password().is_none()
            && let Ok(password) = std::env::var("REDISCLI_AUTH")
        {
            let settings = info.redis_settings().clone().set_password(password);
            info = info.set_redis_settings(settings);
        }
        let mut secrets = url_secrets(url);
        if let Some(password) = info.redis_settings().password()
            && !password.is_empty()
            && !secrets.iter().any(|s| s == password)
        {
            secrets.push(password.to_string());
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        let info = with_tls(info, tls, &redacted, &secrets)?;
        let server = Server {
            display: redacted,
            info,
            sandbox: None,
            topology_node: false,
            secrets,
            tls: tls.clone(),
        };
        // Fail early, with one clear line: a PING proves it speaks Redis (the handshake alone sends
        // nothing when there is no password and no database to select).
        // An error reply (NOAUTH, a replica loading its data) is still Redis talking.
        let mut connection = server.wire_db(server.url_db())?;
        let probe = connection
            .set_read_timeout(Some(CONNECT_TIMEOUT))
            .map_err(RespError::Io)
            .and_then(|()| connection.send(&["PING"]).map_err(RespError::Io))
            .and_then(|()| connection.recv(&Limits::DEFAULT));
        match probe {
            // A server that is full says so and closes: that is not a server to work with.
            Ok(Reply::Error(reply)) if reply.contains("max number of clients") => {
                Err(ConnError::Unreachable {
                    target: server.display.clone(),
                    reason: format!("{reply}{}", advice_for(&reply)),
                })
            }
            Ok(_) => Ok(server),
            Err(e) => Err(server.wire_unreachable(WireError::from(e))),
        }
    }

    /// The node a cluster redirected us to (`host:port`), reached the way this server is: same
    /// scheme, TLS settings and credentials, as redis-cli -c does.
    pub fn redirected(&self, address: &str) -> Result<Server, ConnError> {
        let bad = |reason: &str| ConnError::BadUrl {
            url: address.to_string(),
            reason: reason.to_string(),
        };
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| bad("expected host:port"))?;
        let port: u16 = port.parse().map_err(|_| bad("the port is not a number"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let (addr, scheme) = match self.info.addr().clone() {
            ConnectionAddr::TcpTls {
                insecure,
                tls_params,
                ..
            } => (
                ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure,
                    tls_params,
                },
                "rediss",
            ),
            _ => (ConnectionAddr::Tcp(host, port), "redis"),
        };
        let server = Server {
            display: format!("{scheme}://{address}"),
            info: self.info.clone().set_addr(addr),
            sandbox: None,
            topology_node: false,
            secrets: self.secrets.clone(),
            tls: self.tls.clone(),
        };
        server.wire_db(server.url_db())?;
        Ok(server)
    }

    /// A node of a topology redis-lab started (`name` is shown to the user).
    pub fn node(name: &str, url: &str) -> Result<Server, ConnError> {
        let info = url.into_connection_info().map_err(|e| ConnError::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Server {
            display: format!("{name} {}", url.trim_start_matches("redis://")),
            info,
            sandbox: None,
            topology_node: true,
            secrets: Vec::new(),
            tls: TlsOptions::default(),
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Started by redis-lab (a sandbox or a topology node): safe to reconfigure or restart.
    pub fn is_owned(&self) -> bool {
        self.sandbox.is_some() || self.topology_node
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn sandbox_mut(&mut self) -> Option<&mut Sandbox> {
        self.sandbox.as_mut()
    }

    /// How to reach the server from another connection (REPL completion, help, a clean-up
    /// thread), at database `db`: what it needs to open one, without the server itself.
    pub fn opener(&self, db: i64) -> Opener {
        let settings = self.info.redis_settings().clone().set_db(db);
        Opener {
            info: self.info.clone().set_redis_settings(settings),
            tls: self.tls.clone(),
        }
    }

    /// One command on a connection of its own, waiting at most `wait` for its reply (a Redis
    /// error reply is a reply: `Ok(Reply::Error(..))`).
    pub fn ask(&self, db: i64, args: &[&str], wait: Duration) -> Result<Reply, ConnError> {
        let mut connection = self.wire_db(db)?;
        let _ = connection.set_read_timeout(Some(wait));
        ask_on(&mut connection, args).map_err(|reason| ConnError::Dropped {
            target: self.display.clone(),
            reason,
        })
    }

    /// A server's error reply that ends what we were doing (NOAUTH, NOPERM, LOADING).
    pub fn refused(&self, reply: String) -> ConnError {
        ConnError::Refused {
            target: self.display.clone(),
            advice: advice_for(&reply),
            reply,
        }
    }

    /// `host:port` as redis-cli shows it in its prompt.
    pub fn address(&self) -> String {
        match self.info.addr() {
            redis::ConnectionAddr::Tcp(host, port)
            | redis::ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port}"),
            redis::ConnectionAddr::Unix(path) => path.display().to_string(),
            _ => self.display.clone(),
        }
    }

    /// The database number given in the URL (0 if none).
    pub fn url_db(&self) -> i64 {
        self.info.redis_settings().db()
    }

    /// A connection at database `db` whose replies we read ourselves, each bounded by
    /// `resp::Limits` whatever the server sends.
    pub fn wire_db(&self, db: i64) -> Result<Wire, ConnError> {
        let settings = self.info.redis_settings().clone().set_db(db);
        let info = self.info.clone().set_redis_settings(settings);
        Wire::connect(&info, &self.tls, CONNECT_TIMEOUT).map_err(|e| self.wire_unreachable(e))
    }

    /// Why a connection of ours could not be opened, as [`Self::unreachable`] says it.
    fn wire_unreachable(&self, e: WireError) -> ConnError {
        let e = match e {
            WireError::Options(problem) => return problem,
            other => other,
        };
        let detail = scrub_secrets(&e.to_string(), None, &self.secrets);
        let tls = matches!(self.info.addr(), ConnectionAddr::TcpTls { .. });
        let reason = match &e {
            WireError::Refused { reply, .. } => format!("{detail}{}", advice_for(reply)),
            _ if detail.contains("max number of clients") => {
                format!("{detail}{}", advice_for(&detail))
            }
            WireError::Resp(RespError::Malformed(_)) => {
                "it answered, but not in the Redis protocol; is another service (an HTTP server?) \
                 listening on that port?"
                    .to_string()
            }
            _ => {
                let explained = explain_connect_failure(
                    &detail,
                    tls,
                    e.is_timeout(),
                    e.is_connection_dropped() && !e.is_connection_refusal(),
                );
                if explained != detail {
                    explained
                } else if e.is_timeout() {
                    format!(
                        "no answer within {} s; is a Redis server listening there? ({detail})",
                        CONNECT_TIMEOUT.as_secs()
                    )
                } else if e.is_connection_refusal() {
                    format!("nothing is listening there; is redis-server running? ({detail})")
                } else {
                    detail
                }
            }
        };
        ConnError::Unreachable {
            target: self.display.clone(),
            reason,
        }
    }

    /// Kills the sandbox server and starts it again on the same data (a crash and a restart).
    pub fn crash_and_restart(&mut self, extra_args: &[String]) -> Result<(), ConnError> {
        match &mut self.sandbox {
            Some(sandbox) => Ok(sandbox.crash_and_restart(extra_args)?),
            None => Err(ConnError::NotOurServer),
        }
    }

    /// Restarts the sandbox server with a clean state. Not possible on an external server.
    pub fn restart(&mut self) -> Result<(), ConnError> {
        match &mut self.sandbox {
            Some(sandbox) => Ok(sandbox.restart()?),
            None => Err(ConnError::NotOurServer),
        }
    }
}

/// What to do about an error reply that stops a session.
pub fn advice_for(reply: &str) -> &'static str {
    let code = reply.split_whitespace().next().unwrap_or_default();
    match code {
        "NOAUTH" => {
            " (it needs a password: put it in the URL, redis://:PASSWORD@host:port or \
             redis://USER:PASSWORD@host:port, or in REDISCLI_AUTH)"
        }
        "WRONGPASS" => " (check the user name and password in the URL or REDISCLI_AUTH)",
        "NOPERM" => {
            " (this user may not run that command: a lesson needs a user allowed its commands on \
             the keys of its database, such as `ACL SETUSER learner on >PASSWORD ~* +@all -@dangerous`)"
        }
        "LOADING" => " (the server is loading its data set into memory: try again when it is done)",
        _ if reply.contains("max number of clients") => {
            " (the server's maxclients is reached: close some connections or raise maxclients)"
        }
        _ => "",
    }
}

/// Verification failures and scheme mix-ups read as raw rustls or I/O errors; say what they mean
/// and which flag or scheme fixes them.
fn explain_connect_failure(reason: &str, tls: bool, timed_out: bool, dropped: bool) -> String {
    if tls {
        if reason.contains("invalid peer certificate") {
            let advice = if reason.contains("NotValidForName")
                || reason.contains("not valid for name")
            {
                "connect with a host name or address the certificate lists, or pass --insecure \
                 to skip verification"
            } else if reason.contains("UnknownIssuer") || reason.contains("BadSignature") {
                "pass --cacert FILE with the CA that signed it, or --insecure to skip verification"
            } else {
                "pass --insecure to skip verification"
            };
            return format!("the server's TLS certificate is not trusted ({reason}); {advice}");
        }
        if reason.contains("CertificateRequired") || reason.contains("HandshakeFailure") {
            return format!(
                "the server refused the TLS handshake ({reason}); if it requires client \
                 certificates (tls-auth-clients), pass --cert FILE --key FILE"
            );
        }
        // A plain server takes the TLS hello for the start of a command and waits for the rest.
        if timed_out || reason.contains("corrupt message") {
            let reason = if timed_out {
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
            } else {
                reason.to_string()
            };
            return format!(
                "no TLS handshake with the server ({reason}); if this port is not a TLS port, \
                 use a redis:// URL"
            );
        }
    } else if dropped {
        // A TLS port resets a connection whose first bytes are not a TLS hello.
        return format!(
            "the server closed the connection ({reason}); if this is a TLS port, use a \
             rediss:// URL"
        );
    }
    reason.to_string()
}

/// rustls panics at the first handshake unless a crypto provider is chosen; ring is the only one
/// we build, but another dependency enabling aws-lc-rs would make rustls's own choice ambiguous.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only means a provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Adds the certificates of `tls` to a rediss:// connection (a plain one is returned as is).
fn with_tls(
    info: ConnectionInfo,
    tls: &TlsOptions,
    shown: &str,
    secrets: &[String],
) -> Result<ConnectionInfo, ConnError> {
    if !matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
        return Ok(info);
    }
    install_crypto_provider();
    let root_cert = match &tls.ca_cert {
        Some(path) => Some(read_pem(path, "--cacert", PemKind::Certificates)?),
        None => None,
    };
    let client_tls = match tls.client_files()? {
        Some((cert, key)) => Some(redis::ClientTlsConfig {
            client_cert: read_pem(cert, "--cert", PemKind::Certificates)?,
            client_key: read_pem(key, "--key", PemKind::PrivateKey)?,
        }),
        None => None,
    };
    let certificates = redis::TlsCertificates {
        client_tls,
        root_cert,
    };
    let client =
        redis::Client::build_with_tls(info, certificates).map_err(|e| ConnError::BadUrl {
            url: shown.to_string(),
            reason: scrub_secrets(&e.to_string(), None, secrets),
        })?;
    let mut info = client.get_connection_info().clone();
    if tls.insecure
        && let ConnectionAddr::TcpTls {
            host,
            port,
            tls_params,
            ..
        } = info.addr().clone()
    {
        info = info.set_addr(ConnectionAddr::TcpTls {
            host,
            port,
            insecure: true,
            tls_params,
        });
    }
    Ok(info)
}

#[derive(Clone, Copy)]
pub(crate) enum PemKind {
    Certificates,
    PrivateKey,
}

/// Reads a PEM file and checks it holds what the flag promises, so a wrong file is named here
/// rather than surfacing as an unexplained handshake failure.
pub(crate) fn read_pem(
    path: &Path,
    flag: &'static str,
    kind: PemKind,
) -> Result<Vec<u8>, ConnError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |reason: String| ConnError::TlsFile {
        flag,
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    match kind {
        PemKind::Certificates => {
            let certificates = CertificateDer::pem_slice_iter(&bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(format!("not a PEM certificate file ({e})")))?;
            if certificates.is_empty() {
                return Err(fail(
                    "no certificate in it (expected -----BEGIN CERTIFICATE-----)".into(),
                ));
            }
        }
        PemKind::PrivateKey => {
            PrivateKeyDer::from_pem_slice(&bytes)
                .map_err(|e| fail(format!("no PEM private key in it ({e})")))?;
        }
    }
    Ok(bytes)
}

/// What [`Server::opener`] gives: enough to open a connection later, on another thread.
#[derive(Clone)]
pub struct Opener {
    info: ConnectionInfo,
    tls: TlsOptions,
}

impl Opener {
    pub fn open(&self, timeout: Duration) -> Option<Wire> {
        Wire::connect(&self.info, &self.tls, timeout).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interruption_blames_a_script_only_for_a_script_and_stays_short() {
        let get = ConnError::Interrupted {
            command: "GET k".into(),
        };
        assert_eq!(get.to_string(), "interrupted while waiting for `GET k`");
        let eval = ConnError::Interrupted {
            command: "EVAL \"while true do end\" 0".into(),
        };
        assert!(eval.to_string().contains("SCRIPT KILL"), "{eval}");
        let keys: Vec<String> = (0..30).map(|i| format!("article:{i}:body")).collect();
        let unlink = ConnError::Interrupted {
            command: format!("UNLINK {}", keys.join(" ")),
        };
        assert!(unlink.to_string().len() < 130, "{unlink}");
        assert!(!unlink.to_string().contains("script"), "{unlink}");
    }

    #[test]
    fn tls_flags_need_a_rediss_url() {
        let none = TlsOptions::default();
        assert!(none.check_applies_to(None).is_ok());
        assert!(none.check_applies_to(Some("redis://h:1")).is_ok());
        let insecure = TlsOptions {
            insecure: true,
            ..TlsOptions::default()
        };
        assert!(insecure.check_applies_to(Some("rediss://h:1")).is_ok());
        assert!(insecure.check_applies_to(Some("REDISS://h:1")).is_ok());
        let refused = insecure
            .check_applies_to(Some("redis://u:s3cret@h:1"))
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("--insecure applies to TLS"),
            "{refused}"
        );
        assert!(!refused.contains("s3cret"), "{refused}");
        assert!(insecure.check_applies_to(None).is_err());
    }
}
