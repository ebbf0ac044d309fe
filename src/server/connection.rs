//! Where commands go: the private sandbox or a server given with `--url`, and the named clients
//! a lesson talks through. Each client owns one connection on its own thread, so one client can
//! block (BLPOP, XREAD BLOCK) while another keeps typing.

use crate::server::reply::Reply;
use crate::server::resp::{Limits, RespError};
use crate::server::sandbox::{Sandbox, SandboxError, SandboxOptions};
use crate::server::wire::{Wire, WireError};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
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
    #[error("{0}")]
    Unsafe(String),
    /// Ctrl-C while a command was still running.
    #[error("interrupted while waiting for `{}`{}", shortened(.command), script_hint(.command))]
    Interrupted { command: String },
    /// The server took no command and gave no answer for the whole bound.
    #[error(
        "no answer from {target} within {secs} s: the server may be paused (CLIENT PAUSE, SIGSTOP) or busy in a script (`SCRIPT KILL` from another client stops it)"
    )]
    NoAnswer { target: String, secs: u64 },
    /// A TLS flag where it cannot apply (a plain redis:// URL, the sandbox).
    #[error("{0}")]
    TlsUsage(String),
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
            (Some(_), None) => Err(ConnError::TlsUsage(
                "--cert needs --key FILE with its private key".into(),
            )),
            (None, Some(_)) => Err(ConnError::TlsUsage(
                "--key needs --cert FILE with its certificate".into(),
            )),
        }
    }

    /// Refuses TLS flags that would be ignored: they only mean something with a rediss:// URL.
    pub fn check_applies_to(&self, url: Option<&str>) -> Result<(), ConnError> {
        let Some(flag) = self.first_flag() else {
            return Ok(());
        };
        match url {
            None => Err(ConnError::TlsUsage(format!(
                "{flag} applies to a TLS server given with --url rediss://HOST:PORT; \
                 the private sandbox speaks plain redis://"
            ))),
            Some(url) if !is_tls_url(url) => Err(ConnError::TlsUsage(format!(
                "{flag} applies to TLS connections only, and {} is a plain redis:// URL; \
                 use rediss:// for a TLS port",
                redact_url(url)
            ))),
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
            None => Err(ConnError::Unsafe(
                "redis-lab does not restart servers it did not start".into(),
            )),
        }
    }

    /// Restarts the sandbox server with a clean state. Not possible on an external server.
    pub fn restart(&mut self) -> Result<(), ConnError> {
        match &mut self.sandbox {
            Some(sandbox) => Ok(sandbox.restart()?),
            None => Err(ConnError::Unsafe(
                "redis-lab does not restart servers it did not start".into(),
            )),
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

/// The URL with every password replaced by `****`: the `user:password@` part, and query
/// parameters that carry one. redis-rs 1.x reads `?pass=` (with `?user=` and `?db=`) on
/// `unix://`, `redis+unix://` and `valkey+unix://` URLs; `?password=` and the like are ignored by
/// it, but they are still a password someone typed, so they are hidden too.
///
/// When the URL has an `@` the parser did not take as the end of `user:password` (a password
/// with `/`, `?` or `#` in it, an unknown scheme, a URL that does not parse), everything between
/// `://` and the last `@` is hidden instead: better too much than a password.
pub fn redact_url(url: &str) -> String {
    match redis::parse_redis_url(url) {
        Some(mut parsed)
            if parsed.password().is_some() || !has_stray_at(url, parsed.fragment()) =>
        {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("****"));
            }
            if parsed.query().is_some() {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(key, value)| {
                        let value = if is_secret_param(&key) {
                            "****".to_string()
                        } else {
                            value.into_owned()
                        };
                        (key.into_owned(), value)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        _ => redact_text(url),
    }
}

/// An `@` outside the query that did not end a `user:password` part: `redis://u:12#@host`
/// parses as host `u`, port 12 and fragment `@host`, and `redis://pass@host` as a user name
/// (which redis-cli would take for the password).
fn has_stray_at(url: &str, fragment: Option<&str>) -> bool {
    let before_query = url.split('?').next().unwrap_or(url);
    let after_scheme = before_query.split_once("://").map_or("", |(_, rest)| rest);
    after_scheme.contains('@') || fragment.is_some_and(|f| f.contains('@'))
}

/// Query parameters whose value is a secret. redis-rs reads only `pass`; the rest are what
/// people write out of habit from other clients.
fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("pass")
        || key.contains("secret")
        || key.contains("token")
        || key == "auth"
        || key == "pwd"
}

/// Redaction by text alone, for what the URL parser does not read as we would.
fn redact_text(url: &str) -> String {
    let (head, rest) = match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            (format!("{}****@", &url[..start + 3]), &url[at + 1..])
        }
        _ => (String::new(), url),
    };
    let Some((base, query)) = rest.split_once('?') else {
        return format!("{head}{rest}");
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_param(&percent_decode(key)) => format!("{key}=****"),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{head}{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Every form in which a password of this URL could show up in a message: as typed and
/// percent-decoded, from `user:password@` and from secret query parameters. Longest first, so
/// one that contains another is replaced whole.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let mut add = |s: &str| {
        for form in [
            s.to_string(),
            percent_decode(s),
            percent_decode(&s.replace('+', " ")),
        ] {
            if !form.is_empty() && !secrets.contains(&form) {
                secrets.push(form);
            }
        }
    };
    if let Some(parsed) = redis::parse_redis_url(url) {
        if let Some(password) = parsed.password() {
            add(password);
        }
        for (key, value) in parsed.query_pairs() {
            if is_secret_param(&key) {
                add(&value);
            }
        }
    }
    // By text too: the parser may have split the URL elsewhere than where a password ends.
    if let (Some(start), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > start + 3
    {
        let userinfo = &url[start + 3..at];
        add(userinfo.split_once(':').map_or(userinfo, |(_, p)| p));
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or(query);
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && is_secret_param(&percent_decode(key))
            {
                add(value);
            }
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// `%41` to `A`; anything else as it is (lossy on bytes that are not UTF-8).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with the URL shown redacted and every form of its passwords (and `extra` ones, such
/// as `REDISCLI_AUTH`) replaced by `****`.
fn scrub_secrets(text: &str, url: Option<(&str, &str)>, secrets: &[String]) -> String {
    let mut out = match url {
        Some((url, redacted)) => text.replace(url, redacted),
        None => text.to_string(),
    };
    for secret in secrets {
        out = out.replace(secret.as_str(), "****");
    }
    out
}

fn scrub(text: &str, url: &str, redacted: &str) -> String {
    scrub_secrets(text, Some((url, redacted)), &url_secrets(url))
}

/// Commands sent by one client thread.
enum Request {
    One(Vec<Vec<u8>>),
    Many(Vec<Vec<Vec<u8>>>),
}

enum Response {
    One(Result<Reply, String>),
    Many(Result<Vec<Reply>, String>),
}

/// One named client: a connection on its own thread.
struct Client {
    requests: Sender<Request>,
    responses: Receiver<Response>,
    /// The command this client is still waiting on (a blocking command).
    pending: Option<String>,
    /// The server's id for this connection (CLIENT ID), to end it when the session resets; set
    /// by the client's thread once the server has answered.
    id: Arc<OnceLock<i64>>,
    /// Set once the client has subscribed or started MONITOR: what it has received since.
    received: Option<Arc<Mutex<Vec<Reply>>>>,
    /// Shuts the connection down, so that a thread still blocked on it (a blocking command, a
    /// subscription, a command interrupted by Ctrl-C) ends when the client is dropped.
    interrupter: Option<crate::server::wire::Interrupter>,
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(interrupter) = &self.interrupter {
            let _ = interrupter.interrupt();
        }
    }
}

/// Sends a subscribe/MONITOR command, returns its confirmations, then keeps every message that
/// arrives in `inbox` until the connection closes.
fn stream(
    connection: &mut Wire,
    args: &[Vec<u8>],
    confirmations: usize,
    inbox: &Mutex<Vec<Reply>>,
    reply: impl FnOnce(Result<Reply, String>),
) {
    if let Err(e) = connection.send(args) {
        reply(Err(wire_failure_text(&RespError::Io(e))));
        return;
    }
    let mut confirmed = Vec::new();
    for _ in 0..confirmations {
        // In RESP3 the confirmations are push messages themselves.
        match connection.recv(&Limits::DEFAULT) {
            Ok(value) => confirmed.push(value),
            Err(e) => {
                reply(Err(wire_failure_text(&e)));
                return;
            }
        }
    }
    let first = if confirmed.len() == 1 {
        confirmed.remove(0)
    } else {
        Reply::Array(confirmed)
    };
    let failed = first.is_error();
    reply(Ok(first));
    if failed {
        return;
    }
    while let Ok(value) = connection.recv(&Limits::DEFAULT) {
        if let Ok(mut inbox) = inbox.lock() {
            inbox.push(value);
        }
    }
}

/// What became of a command sent by a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(Reply),
    /// Still waiting for its reply: the command blocks until another client acts.
    Waiting,
}

/// A command found its connection closed by the server (a restart, CLIENT KILL, a timeout).
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnected {
    pub reason: String,
    /// The command was sent again on a new connection (otherwise its reply says what happened).
    pub retried: bool,
}

/// After this long without an answer, the slow-answer notice (if one is set) is given once.
pub const NOTICE_AFTER: Duration = Duration::from_secs(5);
/// How long a pipeline (fixtures, the engine's own look-ups) may wait for its replies.
pub const PIPELINE_WAIT: Duration = Duration::from_secs(60);

/// Called once when a command has had no answer for [`NOTICE_AFTER`]: the guided REPL says what
/// may be happening. The engine never prints, so the driver that owns the terminal sets this.
static SLOW_NOTICE: Mutex<Option<SlowNotice>> = Mutex::new(None);

/// What a driver does with the slow-answer notice (print it above a prompt or a progress bar).
pub type SlowNotice = Arc<dyn Fn(&str) + Send + Sync>;

pub fn set_slow_notice(notice: Option<SlowNotice>) {
    if let Ok(mut slot) = SLOW_NOTICE.lock() {
        *slot = notice;
    }
}

/// What the slow-answer notice says: why the server may be silent, and how to get out.
pub fn slow_answer_text(target: &str, frozen: Option<&str>) -> String {
    let secs = NOTICE_AFTER.as_secs();
    match frozen {
        Some(why) => format!("no answer from {target} for {secs} s: {why}; Ctrl-C stops waiting"),
        None => format!(
            "no answer from {target} for {secs} s: the server may be paused or busy in a script; \
             Ctrl-C stops waiting, `SCRIPT KILL` from another client stops a script"
        ),
    }
}

/// How a wait for a reply ended without one.
enum Unanswered {
    Timeout,
    Interrupted,
    Disconnected,
}

/// Waits at most `wait` for a client thread's response, in short slices so that Ctrl-C (when
/// the caller made it interrupt) ends the wait, and says once when the server is slow.
fn wait_for_response(
    responses: &Receiver<Response>,
    wait: Duration,
    target: &str,
    frozen: Option<&str>,
) -> Result<Response, Unanswered> {
    let started = std::time::Instant::now();
    let mut noticed = false;
    loop {
        let left = wait.saturating_sub(started.elapsed());
        match responses.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(response) => return Ok(response),
            Err(RecvTimeoutError::Disconnected) => return Err(Unanswered::Disconnected),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if crate::server::sandbox::reaper::interrupted() {
            return Err(Unanswered::Interrupted);
        }
        if started.elapsed() >= wait {
            return Err(Unanswered::Timeout);
        }
        if !noticed && started.elapsed() >= NOTICE_AFTER {
            noticed = true;
            if let Some(notice) = SLOW_NOTICE.lock().ok().and_then(|n| n.clone()) {
                notice(&slow_answer_text(target, frozen));
            }
        }
    }
}

/// How long ending lingering connections may hold up the caller.
const KILL_WAIT: Duration = Duration::from_millis(500);

/// The named clients of a session, created on first use.
pub struct Clients {
    db: i64,
    clients: BTreeMap<String, Client>,
    inboxes: BTreeMap<String, Arc<Mutex<Vec<Reply>>>>,
    /// The address of redis-lab's own observer connection, whose commands MONITOR hides.
    hidden_addr: Arc<Mutex<Option<String>>>,
    /// Like redis-cli: a command that meets a connection the server has closed (a restart, a
    /// timeout) is sent again once on a fresh connection. Off for lessons, which say so instead.
    retry_after_reconnect: bool,
    /// Why the last command found its connection closed, until the caller takes it.
    reconnected: Option<Reconnected>,
    /// Why this server cannot answer now (a lesson froze it), for the slow-answer notice.
    frozen: Option<String>,
}

/// The client whose commands are redis-lab's own (snapshots, probes): kept out of MONITOR output.
pub const HIDDEN_CLIENT: &str = "redis-lab";

/// How long a blocking command (BLPOP, XREAD BLOCK) may take before we show it as waiting.
pub const BLOCK_GRACE: Duration = Duration::from_millis(300);
/// How long any other command may take (a slow EVAL, a big fixture) before it counts as stuck.
pub const SLOW_COMMAND: Duration = Duration::from_secs(60);

impl Clients {
    pub fn new(db: i64) -> Clients {
        Clients {
            db,
            clients: BTreeMap::new(),
            inboxes: BTreeMap::new(),
            hidden_addr: Arc::new(Mutex::new(None)),
            retry_after_reconnect: false,
            reconnected: None,
            frozen: None,
        }
    }

    /// Says why the server is silent (the lesson froze it), so that a wait on it names the cause.
    pub fn set_frozen(&mut self, why: Option<String>) {
        self.frozen = why;
    }

    /// Whether a command that finds its connection closed is sent again on a new one (the REPL
    /// turns this off inside MULTI, where a new connection would run it outside the transaction).
    pub fn set_retry_after_reconnect(&mut self, on: bool) {
        self.retry_after_reconnect = on;
    }

    /// Whether (and why) the last command found its connection closed by the server.
    pub fn take_reconnected(&mut self) -> Option<Reconnected> {
        self.reconnected.take()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    fn client(&mut self, server: &Server, name: &str) -> Result<&mut Client, ConnError> {
        if !self.clients.contains_key(name) {
            // Our own reader: a reply is bounded (`resp::Limits`), whatever the server sends.
            let mut connection = server.wire_db(self.db)?;
            // The connection waits as long as its commands need (BLPOP 0); its first look-ups
            // run on its thread, so that a frozen or busy server holds them up like any command:
            // with the slow-answer notice and Ctrl-C, not a silent wait here.
            let interrupter = connection.interrupter().ok();
            let id = Arc::new(OnceLock::new());
            let thread_id = id.clone();
            let own_addr = (name == HIDDEN_CLIENT).then(|| self.hidden_addr.clone());
            let (req_tx, req_rx) = mpsc::channel::<Request>();
            let (resp_tx, resp_rx) = mpsc::channel::<Response>();
            let inbox = Arc::new(Mutex::new(Vec::new()));
            let thread_inbox = inbox.clone();
            std::thread::Builder::new()
                .name(format!("client-{name}"))
                .spawn(move || {
                    if let Ok(Reply::Int(client_id)) = run_one(&mut connection, &["CLIENT", "ID"]) {
                        let _ = thread_id.set(client_id);
                    }
                    if let Some(own_addr) = own_addr {
                        // MONITOR shows each command with the sender's address: ours is hidden.
                        let info = run_one(&mut connection, &["CLIENT", "INFO"])
                            .ok()
                            .and_then(|r| r.as_text())
                            .unwrap_or_default();
                        if let Some(addr) = info
                            .split_whitespace()
                            .find_map(|f| f.strip_prefix("addr="))
                            && let Ok(mut slot) = own_addr.lock()
                        {
                            *slot = Some(addr.to_string());
                        }
                    }
                    for request in req_rx {
                        if let Request::One(args) = &request
                            && let Some(confirmations) =
                                crate::command::confirmations_before_streaming(args)
                        {
                            let tx = resp_tx.clone();
                            stream(
                                &mut connection,
                                args,
                                confirmations,
                                &thread_inbox,
                                move |r| {
                                    let _ = tx.send(Response::One(r));
                                },
                            );
                            break;
                        }
                        let response = match request {
                            Request::One(args) => Response::One(run_one(&mut connection, &args)),
                            Request::Many(commands) => {
                                Response::Many(run_pipeline(&mut connection, &commands))
                            }
                        };
                        if resp_tx.send(response).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| ConnError::Unreachable {
                    target: server.display().to_string(),
                    reason: format!("cannot start a client thread: {e}"),
                })?;
            self.clients.insert(
                name.to_string(),
                Client {
                    requests: req_tx,
                    responses: resp_rx,
                    pending: None,
                    id,
                    received: None,
                    interrupter,
                },
            );
            self.inboxes.insert(name.to_string(), inbox);
        }
        self.clients
            .get_mut(name)
            .ok_or_else(|| ConnError::Unsafe(format!("no client named {name}")))
    }

    /// The database new connections select (after a SELECT in the REPL).
    pub fn set_db(&mut self, db: i64) {
        self.db = db;
    }

    /// The command the client is blocked in, if any.
    pub fn pending(&self, name: &str) -> Option<&str> {
        self.clients.get(name).and_then(|c| c.pending.as_deref())
    }

    /// Sends a command as `name` and waits at most `wait` for its reply.
    pub fn run(
        &mut self,
        server: &Server,
        name: &str,
        args: &[Vec<u8>],
        wait: Duration,
    ) -> Result<Outcome, ConnError> {
        let display = server.display().to_string();
        let db = self.db;
        let frozen = self.frozen.clone();
        self.client(server, name)?; // created on first use
        let streaming_inbox = crate::command::confirmations_before_streaming(args)
            .and_then(|_| self.inboxes.get(name).cloned());
        let client = self.client(server, name)?;
        if client.received.is_some() {
            return Err(ConnError::Unsafe(format!(
                "client {name} is subscribed (or in MONITOR): it only receives now. Use another client to send commands"
            )));
        }
        if streaming_inbox.is_some() {
            client.received = streaming_inbox;
        }
        if let Some(pending) = &client.pending {
            return Err(ConnError::Unsafe(format!(
                "client {name} is still waiting for `{pending}`; another client must release it first"
            )));
        }
        client
            .requests
            .send(Request::One(args.to_vec()))
            .map_err(|_| lost(&display, "client thread ended"))?;
        let quitting = args
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"QUIT"));
        let answer = match wait_for_response(&client.responses, wait, &display, frozen.as_deref()) {
            Ok(response) => Ok(response),
            Err(Unanswered::Timeout) => Err(RecvTimeoutError::Timeout),
            Err(Unanswered::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(Unanswered::Interrupted) => {
                // Its thread still waits for the reply: this client starts afresh next time.
                self.clients.remove(name);
                self.inboxes.remove(name);
                return Err(ConnError::Interrupted {
                    command: crate::command::tokenize::join_args(args),
                });
            }
        };
        match answer {
            // QUIT closes the connection on purpose: the client's next command gets a new one.
            Ok(Response::One(result)) if quitting => {
                self.clients.remove(name);
                self.inboxes.remove(name);
                Ok(Outcome::Done(
                    result.unwrap_or_else(|_| Reply::Status("OK".into())),
                ))
            }
            Ok(Response::One(Ok(reply))) => Ok(Outcome::Done(reply)),
            // The server closed this one connection (CLIENT KILL, a timeout): like redis-cli, say
            // so and reconnect on the next command; a server that is really gone fails then.
            Ok(Response::One(Err(e))) if name != HIDDEN_CLIENT && server.wire_db(db).is_ok() => {
                self.clients.remove(name);
                self.inboxes.remove(name);
                let retried = self.retry_after_reconnect
                    && self.reconnected.is_none()
                    && crate::command::may_be_resent(args);
                let reason = read_failure(&e);
                self.reconnected = Some(Reconnected {
                    reason: reason.clone(),
                    retried,
                });
                if retried {
                    return self.run(server, name, args, wait);
                }
                Ok(Outcome::Done(Reply::Error(format!(
                    "client {name}'s connection ended: {reason}; it reconnects on its next command"
                ))))
            }
            Ok(Response::One(result)) => result
                .map(Outcome::Done)
                .map_err(|e| lost(&display, &read_failure(&e))),
            Ok(Response::Many(_)) => Err(lost(&display, "replies out of order")),
            Err(RecvTimeoutError::Timeout) => {
                client.pending = Some(crate::command::tokenize::join_args(args));
                Ok(Outcome::Waiting)
            }
            Err(RecvTimeoutError::Disconnected) => Err(lost(&display, "client thread ended")),
        }
    }

    /// Runs many commands as `name` in one pipeline and returns every reply in order.
    pub fn pipeline(
        &mut self,
        server: &Server,
        name: &str,
        commands: Vec<Vec<Vec<u8>>>,
    ) -> Result<Vec<Reply>, ConnError> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        let display = server.display().to_string();
        let frozen = self.frozen.clone();
        let client = self.client(server, name)?;
        let shown = commands
            .first()
            .map(|c| crate::command::tokenize::join_args(c))
            .unwrap_or_default();
        client
            .requests
            .send(Request::Many(commands))
            .map_err(|_| lost(&display, "client thread ended"))?;
        match wait_for_response(
            &client.responses,
            PIPELINE_WAIT,
            &display,
            frozen.as_deref(),
        ) {
            Ok(Response::Many(result)) => result.map_err(|e| lost(&display, &read_failure(&e))),
            Ok(Response::One(_)) => Err(lost(&display, "replies out of order")),
            Err(Unanswered::Disconnected) => Err(lost(&display, "client thread ended")),
            Err(unanswered) => {
                // The thread still waits on the old connection: the next use opens a new one.
                self.clients.remove(name);
                self.inboxes.remove(name);
                Err(match unanswered {
                    Unanswered::Interrupted => ConnError::Interrupted { command: shown },
                    _ => ConnError::NoAnswer {
                        target: display,
                        secs: PIPELINE_WAIT.as_secs(),
                    },
                })
            }
        }
    }

    /// Collects replies of blocked commands that have arrived within `wait`.
    pub fn collect_released(
        &mut self,
        wait: Duration,
    ) -> Vec<(String, String, Result<Reply, String>)> {
        let mut released = Vec::new();
        for (name, client) in self.clients.iter_mut() {
            let Some(command) = client.pending.clone() else {
                continue;
            };
            match client.responses.recv_timeout(wait) {
                Ok(Response::One(result)) => {
                    client.pending = None;
                    released.push((name.clone(), command, result));
                }
                Ok(Response::Many(_)) | Err(RecvTimeoutError::Disconnected) => {
                    client.pending = None;
                    released.push((name.clone(), command, Err("client thread ended".into())));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        released
    }

    /// What a subscribed (or MONITOR) client has received so far.
    pub fn received(&self, name: &str) -> Vec<Reply> {
        self.inboxes
            .get(name)
            .filter(|_| self.clients.get(name).is_some_and(|c| c.received.is_some()))
            .and_then(|inbox| inbox.lock().ok().map(|m| m.clone()))
            .unwrap_or_default()
            .into_iter()
            .filter(|message| !self.is_own_monitor_line(message))
            .collect()
    }

    /// What a subscribed (or MONITOR) client has received since the last call, taken out of its
    /// inbox: a shell that prints messages as they come neither copies nor keeps them.
    pub fn take_received(&self, name: &str) -> Vec<Reply> {
        self.inboxes
            .get(name)
            .filter(|_| self.clients.get(name).is_some_and(|c| c.received.is_some()))
            .and_then(|inbox| inbox.lock().ok().map(|mut m| std::mem::take(&mut *m)))
            .unwrap_or_default()
            .into_iter()
            .filter(|message| !self.is_own_monitor_line(message))
            .collect()
    }

    fn is_own_monitor_line(&self, message: &Reply) -> bool {
        let addr = self.hidden_addr.lock().ok().and_then(|a| a.clone());
        match (addr, message) {
            (Some(addr), Reply::Status(line)) => line.contains(&format!(" {addr}]")),
            _ => false,
        }
    }

    /// Names of the clients that are subscribed or in MONITOR.
    pub fn receivers(&self) -> Vec<String> {
        self.clients
            .iter()
            .filter(|(_, c)| c.received.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Drops every client. Blocked and subscribed connections would linger in their threads, so
    /// they are ended on the server first (CLIENT KILL by id).
    pub fn clear_on(&mut self, server: &Server) {
        let lingering: Vec<i64> = self
            .clients
            .values()
            .filter(|c| c.received.is_some() || c.pending.is_some())
            .filter_map(|c| c.id.get().copied())
            .collect();
        if !lingering.is_empty() {
            let opener = server.opener(self.db);
            let (done, finished) = mpsc::channel();
            std::thread::spawn(move || {
                if let Some(mut connection) = opener.open(CONNECT_TIMEOUT) {
                    for id in lingering {
                        let id = id.to_string();
                        let _ = ask_on(&mut connection, &["CLIENT", "KILL", "ID", &id]);
                    }
                }
                let _ = done.send(());
            });
            // A server busy with a slow command (DEBUG SLEEP, a long script) runs the kill only
            // when it is done: Ctrl-C need not wait for that, the kill still happens then.
            let _ = finished.recv_timeout(KILL_WAIT);
        }
        self.clear();
    }

    /// Drops every client (their threads end when their connections close).
    pub fn clear(&mut self) {
        self.clients.clear();
        self.inboxes.clear();
    }
}

fn lost(target: &str, reason: &str) -> ConnError {
    ConnError::Dropped {
        target: target.to_string(),
        reason: reason.to_string(),
    }
}

/// What a failed read of a reply means, in one line: redis-rs says "unexpected end of file" for a
/// reply cut off, and a multi-line parser trace for bytes that are not RESP.
pub fn read_failure(error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    if lower.contains("end of file") || lower.contains("connection reset") {
        "the server closed the connection before its reply was complete".into()
    } else if lower.contains("parse error") || lower.contains("incompatible type") {
        "the server answered with something that is not the Redis protocol".into()
    } else {
        error.lines().next().unwrap_or(error).trim().to_string()
    }
}

/// What a failed read or write of a reply says: the reader's own words (a string too big, bytes
/// that are not RESP), or that the server closed the connection mid-way.
fn wire_failure_text(e: &RespError) -> String {
    if e.is_closed() {
        "the server closed the connection before its reply was complete".into()
    } else {
        e.to_string()
    }
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

/// One command on `connection`, its reply read within the reader's limits.
pub fn ask_on<A: AsRef<[u8]>>(connection: &mut Wire, args: &[A]) -> Result<Reply, String> {
    run_one(connection, args)
}

/// The reply to one command. RESP3 push messages that arrive before it (client tracking) are
/// not its reply: they are dropped, as redis-rs dropped them.
fn run_one<A: AsRef<[u8]>>(connection: &mut Wire, args: &[A]) -> Result<Reply, String> {
    connection
        .send(args)
        .map_err(|e| wire_failure_text(&RespError::Io(e)))?;
    recv_reply(connection)
}

fn recv_reply(connection: &mut Wire) -> Result<Reply, String> {
    loop {
        match connection.recv(&Limits::DEFAULT) {
            Ok(Reply::Push { .. }) => continue,
            Ok(reply) => return Ok(reply),
            Err(e) => return Err(wire_failure_text(&e)),
        }
    }
}

fn run_pipeline(connection: &mut Wire, commands: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, String> {
    connection
        .send_many(commands)
        .map_err(|e| wire_failure_text(&RespError::Io(e)))?;
    let mut replies = Vec::with_capacity(commands.len());
    for _ in commands {
        replies.push(recv_reply(connection)?);
    }
    Ok(replies)
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
    fn passwords_never_appear_in_redacted_urls() {
        let exact = [
            (
                "redis://user:s3cret@localhost:6379/2",
                "redis://user:****@localhost:6379/2",
            ),
            ("redis://:s3cret@localhost", "redis://:****@localhost"),
            ("rediss://u:s%33cret@h:6380", "rediss://u:****@h:6380"),
            (
                "redis+unix:///tmp/r.sock?pass=s3cret",
                "redis+unix:///tmp/r.sock?pass=****",
            ),
            (
                "unix:///tmp/r.sock?db=2&pass=s3cret",
                "unix:///tmp/r.sock?db=2&pass=****",
            ),
            (
                "unix:///tmp/r.sock?user=alice&password=s3cret",
                "unix:///tmp/r.sock?user=alice&password=****",
            ),
            (
                "valkey+unix:///tmp/r.sock?pass=s3cret#x",
                "valkey+unix:///tmp/r.sock?pass=****#x",
            ),
            // `redis://u:12#@host` parses as host u, port 12, fragment `@host`.
            ("redis://u:12#@host", "redis://****@host"),
            // redis-cli reads a lone `name@` as the password.
            ("redis://s3cret@host:6379", "redis://****@host:6379"),
            ("nonsense://a:s3cret@x", "nonsense://****@x"),
            // Does not parse (a `/` in the password, a port that is no number).
            ("redis://u:s3/cret@host", "redis://****@host"),
            (
                "redis://host:port/?db=1&pass=s3cret",
                "redis://host:port/?db=1&pass=****",
            ),
            ("nonsense:///x?PASS=s3cret#f", "nonsense:///x?PASS=****#f"),
            ("redis://localhost:6379", "redis://localhost:6379"),
            ("unix:///tmp/r.sock?db=1", "unix:///tmp/r.sock?db=1"),
        ];
        for (url, shown) in exact {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        for url in [
            "unix:///tmp/r.sock?p%61ss=s3cret",
            "unix:///tmp/r.sock?pass=s3cret&pass=s3cret",
            "redis://localhost:6379/0?password=s3cret",
            "redis://localhost:6379/0?auth=s3cret&token=s3cret",
            "redis://a:b:s3cret@host",
            "redis://u:s3cret@host:6379/c@d",
            "redis://u:s3?cret@host",
            "unix://user:s3cret@/tmp/r.sock",
            "unix:///tmp/a@b/r.sock?pass=s3cret",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3cret"), "{url} -> {shown}");
        }
    }

    /// What redis-rs 1.x takes a unix-socket password from: `?pass=` only (with `?user=`).
    #[test]
    fn redis_rs_reads_pass_and_user_on_unix_urls() {
        let info = "unix:///tmp/r.sock?user=alice&pass=s3cret&db=3"
            .into_connection_info()
            .unwrap();
        assert_eq!(info.redis_settings().password(), Some("s3cret"));
        assert_eq!(info.redis_settings().username(), Some("alice"));
        assert_eq!(info.redis_settings().db(), 3);
        let ignored = "unix:///tmp/r.sock?password=s3cret"
            .into_connection_info()
            .unwrap();
        assert_eq!(ignored.redis_settings().password(), None);
    }

    #[test]
    fn every_form_of_a_password_is_scrubbed_from_messages() {
        for (url, message) in [
            ("redis://u:s%33cret@h", "AUTH failed for s3cret"),
            ("redis://u:s%33cret@h", "cannot parse s%33cret"),
            ("unix:///r.sock?pass=s3cret", "AUTH s3cret: WRONGPASS"),
            ("unix:///r.sock?pass=s%20cret", "bad password 's cret'"),
            ("unix:///r.sock?pass=s+cret", "bad password 's cret'"),
            ("redis://u:s3/cret@h", "no host in redis://u:s3/cret@h"),
        ] {
            let scrubbed = scrub(message, url, &redact_url(url));
            assert!(
                !scrubbed.contains("s3cret")
                    && !scrubbed.contains("s%33cret")
                    && !scrubbed.contains("s cret")
                    && !scrubbed.contains("s3/cret"),
                "{url}: {message} -> {scrubbed}"
            );
        }
        assert_eq!(
            scrub("no host in redis://u:pw@", "redis://u:pw@", "redis://****@"),
            "no host in redis://****@"
        );
        assert_eq!(
            redact_url("redis://localhost:6379"),
            "redis://localhost:6379"
        );
        assert!(!redact_url("nonsense://a:s3cret@x").contains("s3cret"));
        for url in [
            "redis+unix:///tmp/r.sock?pass=s3cret",
            "unix:///tmp/r.sock?db=2&pass=s3cret",
            "unix:///tmp/r.sock?password=s3cret&db=1",
            "redis://localhost:6379/0?password=s3cret",
            "nonsense:///x?pass=s3cret#frag",
        ] {
            let shown = redact_url(url);
            assert!(
                !shown.contains("s3cret") && shown.contains("****"),
                "{url} -> {shown}"
            );
        }
        assert_eq!(
            redact_url("unix:///tmp/r.sock?db=2&pass=s3cret"),
            "unix:///tmp/r.sock?db=2&pass=****"
        );
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
