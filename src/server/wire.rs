//! A connection to Redis whose bytes we read ourselves, with [`crate::server::resp`]: replies
//! are bounded by [`Limits`] and can be taken as events while they arrive, which redis-rs's
//! `Connection` allows neither of.
//!
//! It reaches what a `redis::ConnectionInfo` describes (TCP, a unix socket, TLS through rustls)
//! and sets the connection up as redis-rs 1.8 does for the same info: `HELLO 3` (with `AUTH`
//! inside it) when the info asks for RESP3, else `AUTH`; then `SELECT` when the database is not
//! 0. redis-rs also sends `CLIENT SETINFO` unless told not to; redis-lab always tells it not to
//! (it would show in the learner's MONITOR and SLOWLOG), so it is never sent here.

use crate::server::connection::{ConnError, TlsOptions};
use crate::server::reply::Reply;
use crate::server::resp::{self, CHUNK, Limits, RespError, Visitor};
use redis::{ConnectionAddr, ConnectionInfo, RedisConnectionInfo};
use rustls::{ClientConnection, StreamOwned};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};
use thiserror::Error;

mod tls;
use tls::{connect_tls, tls_config};

/// What failed while connecting.
#[derive(Debug, Error)]
pub enum WireError {
    /// The socket could not be opened, the TLS handshake failed, or the connection was lost
    /// during set-up; rustls's verdicts read as they do through redis-rs
    /// (`invalid peer certificate: UnknownIssuer`).
    #[error("{0}")]
    Io(io::Error),
    /// The server answered the set-up with something that is not a reply.
    #[error(transparent)]
    Resp(RespError),
    /// The server refused a set-up command; `reply` is its error, as sent (`WRONGPASS ...`).
    #[error("{}", refusal(*.step, .reply))]
    Refused { step: Step, reply: String },
    /// TLS could not be set up on this side (the system's certificates, the server name).
    #[error("{0}")]
    Tls(String),
    /// A TLS file or flag is wrong.
    #[error(transparent)]
    Options(#[from] ConnError),
    #[error("{0}")]
    Unsupported(String),
}

/// The set-up commands that can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Auth,
    Hello,
    Select(i64),
}

/// Today's texts through redis-rs, with the server's own reply kept.
fn refusal(step: Step, reply: &str) -> String {
    match step {
        Step::Auth => format!("Password authentication failed: {reply}"),
        Step::Hello => format!("the server refused HELLO 3 (RESP3): {reply}"),
        Step::Select(db) => format!("Redis server refused to switch database {db}: {reply}"),
    }
}

impl From<RespError> for WireError {
    fn from(e: RespError) -> Self {
        match e {
            RespError::Io(e) => WireError::Io(e),
            other => WireError::Resp(other),
        }
    }
}

impl WireError {
    fn io(&self) -> Option<&io::Error> {
        match self {
            WireError::Io(e) => Some(e),
            _ => None,
        }
    }

    /// No answer within the time allowed.
    pub fn is_timeout(&self) -> bool {
        self.io().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            )
        })
    }

    /// Nothing listens there (as redis-rs counts it, a missing socket file too).
    pub fn is_connection_refusal(&self) -> bool {
        self.io().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
            )
        })
    }

    /// The server closed or reset the connection during set-up.
    pub fn is_connection_dropped(&self) -> bool {
        self.io().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::NotConnected
            )
        })
    }

    /// The server's error reply, for a refused set-up command.
    pub fn reply(&self) -> Option<&str> {
        match self {
            WireError::Refused { reply, .. } => Some(reply),
            _ => None,
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl Stream {
    fn socket(&self) -> Socket<'_> {
        match self {
            Stream::Tcp(s) => Socket::Tcp(s),
            Stream::Tls(s) => Socket::Tcp(&s.sock),
            Stream::Unix(s) => Socket::Unix(s),
        }
    }
}

/// The socket under a stream, TLS or not, for its timeouts and to shut it down.
enum Socket<'a> {
    Tcp(&'a TcpStream),
    Unix(&'a UnixStream),
}

impl Socket<'_> {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_read_timeout(timeout),
            Socket::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_write_timeout(timeout),
            Socket::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    fn interrupter(&self) -> io::Result<Interrupter> {
        Ok(match self {
            Socket::Tcp(s) => Interrupter::Tcp(s.try_clone()?),
            Socket::Unix(s) => Interrupter::Unix(s.try_clone()?),
        })
    }
}

/// Ends a connection from another thread, so that a `recv` blocked on it (BLPOP 0, a
/// subscriber) returns at once.
pub enum Interrupter {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Interrupter {
    pub fn interrupt(&self) -> io::Result<()> {
        match self {
            Interrupter::Tcp(s) => s.shutdown(Shutdown::Both),
            Interrupter::Unix(s) => s.shutdown(Shutdown::Both),
        }
    }
}

/// The sending side of a [`Wire`] on another thread: see [`Wire::sender`].
pub enum Sender {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Sender {
    /// Sends commands encoded with [`encode`].
    pub fn send_encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sender::Tcp(s) => s.write_all(bytes),
            Sender::Unix(s) => s.write_all(bytes),
        }
    }
}

/// One connection: commands go out as RESP arrays of bulk strings, replies come back read by
/// [`resp`], never more than the [`Limits`] given for each.
pub struct Wire {
    stream: BufReader<Stream>,
    resp3: bool,
    /// Set when a reply was left half read (an error in its middle) or a write failed: the
    /// bytes that follow belong to no reply we know, so the connection must be replaced.
    broken: bool,
}

impl Wire {
    /// Connects and sets the connection up, all within `timeout`.
    pub fn connect(
        info: &ConnectionInfo,
        tls: &TlsOptions,
        timeout: Duration,
    ) -> Result<Wire, WireError> {
        let deadline = Instant::now() + timeout;
        let stream = open(info, tls, deadline)?;
        let settings = info.redis_settings();
        let mut wire = Wire {
            stream: BufReader::with_capacity(CHUNK, stream),
            resp3: settings.protocol().supports_resp3(),
            broken: false,
        };
        wire.set_timeouts(Some(left(deadline)?))
            .map_err(WireError::Io)?;
        wire.set_up(settings)?;
        // As redis-rs does: the bound was for connecting; commands wait as long as they need.
        wire.set_timeouts(None).map_err(WireError::Io)?;
        Ok(wire)
    }

    /// Whether replies come in RESP3 (the connection said HELLO 3).
    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// Sends one command (a RESP array of bulk strings).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        let mut out = Vec::new();
        encode(&mut out, args)?;
        self.write(&out)
    }

    /// Sends every command in one write: a pipeline, whose replies come back in order.
    pub fn send_many<C, A>(&mut self, commands: &[C]) -> io::Result<()>
    where
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        let mut out = Vec::new();
        for args in commands {
            encode(&mut out, args.as_ref())?;
        }
        self.write(&out)
    }

    /// Sends commands already encoded with [`encode`], in one write.
    pub fn send_encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write(bytes)
    }

    /// A second handle on the socket for sending from another thread while this one reads
    /// replies (pipe mode); None for TLS, whose session state cannot be shared between threads.
    pub fn sender(&self) -> Option<io::Result<Sender>> {
        match self.stream.get_ref() {
            Stream::Tcp(s) => Some(s.try_clone().map(Sender::Tcp)),
            Stream::Unix(s) => Some(s.try_clone().map(Sender::Unix)),
            Stream::Tls(_) => None,
        }
    }

    /// Whether bytes of a reply have arrived that are not read yet (a read now would not wait).
    pub fn has_buffered(&self) -> bool {
        !self.stream.buffer().is_empty()
    }

    /// Reads the next reply. A timeout before its first byte leaves the connection usable;
    /// any other error leaves it broken (see [`Wire::is_broken`]).
    pub fn recv(&mut self, limits: &Limits) -> Result<Reply, RespError> {
        self.wait_for_reply()?;
        let reply = resp::read_reply(&mut self.stream, limits);
        self.broken = reply.is_err();
        reply
    }

    /// Reads the next reply as events, its payloads in chunks; see [`Wire::recv`].
    pub fn recv_events<V: Visitor + ?Sized>(
        &mut self,
        limits: &Limits,
        visitor: &mut V,
    ) -> Result<(), RespError> {
        self.wait_for_reply()?;
        let result = resp::read_events(&mut self.stream, limits, visitor);
        self.broken = result.is_err();
        result
    }

    /// How long a read may wait (None: for ever); a read that waits longer fails with
    /// `WouldBlock` or `TimedOut`.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.get_ref().socket().set_read_timeout(timeout)
    }

    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.get_ref().socket().set_write_timeout(timeout)
    }

    /// A handle that can end this connection from another thread.
    pub fn interrupter(&self) -> io::Result<Interrupter> {
        self.stream.get_ref().socket().interrupter()
    }

    /// The connection lost its place in the stream of replies, or was closed: replace it.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    fn set_timeouts(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.set_read_timeout(timeout)?;
        self.set_write_timeout(timeout)
    }

    fn usable(&self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "this connection lost its place in the server's replies and must be replaced",
            ));
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.usable()?;
        let stream = self.stream.get_mut();
        let written = stream.write_all(bytes).and_then(|()| stream.flush());
        // Part of a command may have gone out: what the server makes of the rest is unknown.
        self.broken = written.is_err();
        written
    }

    /// Waits for the first byte of a reply, so that a timeout here consumes nothing.
    fn wait_for_reply(&mut self) -> Result<(), RespError> {
        self.usable()?;
        loop {
            match self.stream.fill_buf() {
                Ok([]) => {
                    self.broken = true;
                    return Err(RespError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )));
                }
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let error = RespError::Io(e);
                    self.broken = !error.is_timeout();
                    return Err(error);
                }
            }
        }
    }

    /// The set-up redis-rs sends for the same settings, in one pipeline.
    fn set_up(&mut self, settings: &RedisConnectionInfo) -> Result<(), WireError> {
        let with_user = self.set_up_with(settings, true)?;
        if with_user == Auth::RetryWithoutUser {
            self.set_up_with(settings, false)?;
        }
        Ok(())
    }

    fn set_up_with(
        &mut self,
        settings: &RedisConnectionInfo,
        with_user: bool,
    ) -> Result<Auth, WireError> {
        let (commands, auth) = set_up_commands(settings, self.resp3, with_user);
        if commands.is_empty() {
            return Ok(Auth::Done);
        }
        self.send_many(&commands).map_err(WireError::Io)?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in &commands {
            replies.push(self.recv(&Limits::DEFAULT)?);
        }
        let mut replies = replies.into_iter();
        let verdict = match auth {
            Some(step) => check_auth(step, replies.next(), settings.password().is_some())?,
            None => Auth::Done,
        };
        if verdict == Auth::RetryWithoutUser {
            return Ok(verdict);
        }
        if settings.db() != 0 {
            check_select(settings.db(), replies.next())?;
        }
        Ok(Auth::Done)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Auth {
    Done,
    /// A server older than ACLs (Redis 5) takes AUTH with a password only.
    RetryWithoutUser,
}

/// HELLO 3 (authenticating in it) or AUTH, then SELECT: what redis-rs's
/// `connection_setup_pipeline` sends, minus CLIENT SETINFO.
fn set_up_commands(
    settings: &RedisConnectionInfo,
    resp3: bool,
    with_user: bool,
) -> (Vec<Vec<Vec<u8>>>, Option<Step>) {
    let mut commands = Vec::new();
    let auth = if resp3 {
        let mut hello = vec![b"HELLO".to_vec(), b"3".to_vec()];
        if let Some(password) = settings.password() {
            let user = settings.username().unwrap_or("default");
            hello.extend([b"AUTH".to_vec(), user.into(), password.into()]);
        }
        commands.push(hello);
        Some(Step::Hello)
    } else if let Some(password) = settings.password() {
        let mut auth = vec![b"AUTH".to_vec()];
        if let Some(user) = settings.username().filter(|_| with_user) {
            auth.push(user.into());
        }
        auth.push(password.into());
        commands.push(auth);
        Some(Step::Auth)
    } else {
        None
    };
    if settings.db() != 0 {
        commands.push(vec![b"SELECT".to_vec(), settings.db().to_string().into()]);
    }
    (commands, auth)
}

fn check_auth(step: Step, reply: Option<Reply>, password: bool) -> Result<Auth, WireError> {
    let refused = |reply: String| WireError::Refused { step, reply };
    match (step, reply) {
        (Step::Hello, Some(Reply::Error(reply))) => Err(WireError::Refused {
            // A wrong password in HELLO is a failed authentication, as with AUTH.
            step: if password && reply.starts_with("WRONGPASS") {
                Step::Auth
            } else {
                Step::Hello
            },
            reply,
        }),
        (Step::Hello, Some(_)) => Ok(Auth::Done),
        (_, Some(Reply::Status(ok))) if ok == "OK" => Ok(Auth::Done),
        (_, Some(Reply::Error(reply)))
            if reply.contains("wrong number of arguments for 'auth' command") =>
        {
            Ok(Auth::RetryWithoutUser)
        }
        (_, Some(Reply::Error(reply))) => Err(refused(reply)),
        (_, Some(other)) => Err(refused(format!("{other:?}"))),
        (_, None) => Err(refused("no reply".into())),
    }
}

fn check_select(db: i64, reply: Option<Reply>) -> Result<(), WireError> {
    match reply {
        Some(Reply::Error(reply)) => Err(WireError::Refused {
            step: Step::Select(db),
            reply,
        }),
        Some(_) => Ok(()),
        None => Err(WireError::Refused {
            step: Step::Select(db),
            reply: "no reply".into(),
        }),
    }
}

/// `*N\r\n$len\r\narg\r\n...`, the only form of request Redis reads besides inline commands,
/// appended to `out` (pipe mode encodes a whole batch into one buffer).
pub fn encode<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) -> io::Result<()> {
    // Redis answers nothing to an empty array: a recv after it would wait for ever.
    if args.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an empty command",
        ));
    }
    length_line(out, b'*', args.len());
    for arg in args {
        let arg = arg.as_ref();
        length_line(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// `*3\r\n` or `$5\r\n`, without formatting machinery (a million SETs write four per command).
fn length_line(out: &mut Vec<u8>, prefix: u8, mut n: usize) {
    if n < 10 {
        out.extend_from_slice(&[prefix, b'0' + n as u8, b'\r', b'\n']);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(prefix);
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

/// What is left of the time allowed; none left is a timeout, as a socket would report it.
fn left(deadline: Instant) -> Result<Duration, WireError> {
    match deadline.checked_duration_since(Instant::now()) {
        Some(left) if !left.is_zero() => Ok(left),
        _ => Err(WireError::Io(io::Error::new(
            io::ErrorKind::TimedOut,
            "Connection timed out",
        ))),
    }
}

fn open(info: &ConnectionInfo, tls: &TlsOptions, deadline: Instant) -> Result<Stream, WireError> {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) => {
            // redis-rs refuses these too: they name every interface, no server.
            if matches!(host.as_str(), "0.0.0.0" | "::" | "[::]") {
                return Err(WireError::Unsupported(
                    "Cannot connect to a wildcard address (0.0.0.0 or ::)".into(),
                ));
            }
            let tcp = connect_tcp(host, *port, deadline)?;
            tcp.set_nodelay(info.tcp_settings().nodelay())
                .map_err(WireError::Io)?;
            Ok(Stream::Tcp(tcp))
        }
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => {
            let config = tls_config(tls, *insecure || tls.insecure)?;
            let tls = connect_tls(host, *port, config, deadline)?;
            Ok(Stream::Tls(Box::new(tls)))
        }
        ConnectionAddr::Unix(path) => Ok(Stream::Unix(
            UnixStream::connect(path).map_err(WireError::Io)?,
        )),
        other => Err(WireError::Unsupported(format!(
            "redis-lab cannot connect to {other}"
        ))),
    }
}

/// Tries each address the host resolves to, within what is left of the time allowed.
fn connect_tcp(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, WireError> {
    let mut last = None;
    for addr in (host, port).to_socket_addrs().map_err(WireError::Io)? {
        match TcpStream::connect_timeout(&addr, left(deadline)?) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    Err(WireError::Io(last.unwrap_or_else(|| {
        io::Error::other("could not resolve to any addresses")
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::IntoConnectionInfo;

    fn settings(url: &str) -> RedisConnectionInfo {
        url.into_connection_info()
            .map(|info| info.redis_settings().clone())
            .unwrap()
    }

    fn commands(url: &str, with_user: bool) -> Vec<String> {
        let settings = settings(url);
        let resp3 = settings.protocol().supports_resp3();
        set_up_commands(&settings, resp3, with_user)
            .0
            .iter()
            .map(|c| String::from_utf8_lossy(&c.join(&b' ')).into_owned())
            .collect()
    }

    #[test]
    fn the_set_up_is_what_redis_rs_sends_without_client_setinfo() {
        assert!(commands("redis://h", true).is_empty());
        assert_eq!(commands("redis://:pw@h", true), ["AUTH pw"]);
        assert_eq!(
            commands("redis://alice:pw@h/2", true),
            ["AUTH alice pw", "SELECT 2"]
        );
        assert_eq!(
            commands("redis://alice:pw@h/2", false),
            ["AUTH pw", "SELECT 2"]
        );
        assert_eq!(commands("redis://h/3", true), ["SELECT 3"]);
        assert_eq!(commands("redis://h?protocol=resp3", true), ["HELLO 3"]);
        assert_eq!(
            commands("redis://:pw@h/1?protocol=resp3", true),
            ["HELLO 3 AUTH default pw", "SELECT 1"]
        );
        assert_eq!(
            commands("unix:///tmp/r.sock?user=bob&pass=pw&protocol=resp3", true),
            ["HELLO 3 AUTH bob pw"]
        );
    }

    #[test]
    fn refusals_keep_the_servers_words() {
        let wrong = "WRONGPASS invalid username-password pair or user is disabled.";
        let error = check_auth(Step::Auth, Some(Reply::Error(wrong.into())), true).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("Password authentication failed: {wrong}")
        );
        assert_eq!(error.reply(), Some(wrong));
        let error = check_auth(Step::Hello, Some(Reply::Error(wrong.into())), true).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("Password authentication failed: {wrong}")
        );
        let noauth = "NOAUTH HELLO must be called with the client already authenticated";
        let error = check_auth(Step::Hello, Some(Reply::Error(noauth.into())), false).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("the server refused HELLO 3 (RESP3): {noauth}")
        );
        let error = check_select(
            2,
            Some(Reply::Error("NOAUTH Authentication required.".into())),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Redis server refused to switch database 2: NOAUTH Authentication required."
        );
        let old = "ERR wrong number of arguments for 'auth' command";
        assert_eq!(
            check_auth(Step::Auth, Some(Reply::Error(old.into())), true).unwrap(),
            Auth::RetryWithoutUser
        );
        assert!(check_auth(Step::Hello, Some(Reply::Map(vec![])), false).is_ok());
        assert!(check_auth(Step::Auth, Some(Reply::Status("OK".into())), true).is_ok());
        assert!(check_auth(Step::Auth, Some(Reply::Int(1)), true).is_err());
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&mut out, &[&b"SET"[..], b"k", b"a\r\nb"]).unwrap();
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
        let empty: [&[u8]; 0] = [];
        assert_eq!(
            encode(&mut out, &empty).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
