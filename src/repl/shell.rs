//! `redis-lab repl`: interactive on a terminal, pipelined when stdin is a pipe (output identical to
//! redis-cli's), or one command from the arguments.

use crate::command::tokenize::{join_args, split_args};
use crate::engine::explain::{self, Explanation, OBSERVER};
use crate::render::{Shape, escape_controls};
use crate::repl::docs::{Docs, syntax};
use crate::repl::helper::ReplHelper;
use crate::repl::history::is_sensitive;
use crate::repl::print::{Look, Place};
use crate::server::connection::{Clients, ConnError, Outcome, Server, ServerChoice};
use crate::server::reply::Reply;
use crate::signal::{self, InterruptGuard};
use colored::Colorize;
use rustyline::error::ReadlineError;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use thiserror::Error;

const CLIENT: &str = "repl";
/// Commands read ahead from a pipe in cluster mode.
const BATCH: usize = 1000;

#[derive(Debug, Error)]
pub enum ReplError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("terminal: {0}")]
    Terminal(#[from] ReadlineError),
    #[error("output: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Default)]
pub struct ReplOptions {
    pub server: ServerChoice,
    /// Some(true): raw output, Some(false): terminal output, None: raw unless stdout is a terminal.
    pub raw: Option<bool>,
    /// Field/value replies as tables.
    pub table: bool,
    /// A command to run once (redis-cli CMD ARG...).
    pub command: Vec<String>,
    /// Follow MOVED and ASK redirections (redis-cli -c).
    pub cluster: bool,
}

struct Shell {
    server: Server,
    clients: Clients,
    raw: bool,
    /// Terminal output goes to a terminal: replies are shown within `Limits::TERMINAL`.
    bounded: bool,
    /// Text printed as it is (INFO, and `--raw` output) has its control characters escaped: in
    /// the human format always, in the raw format when it goes to a terminal. A file or a pipe
    /// gets raw output byte for byte, as from redis-cli.
    escape_text: bool,
    table: bool,
    db: i64,
    in_multi: bool,
    /// `repl CMD`: one command, no reconnecting; a connection that ends is an error (exit 2).
    one_shot: bool,
    docs: Arc<OnceLock<Docs>>,
    cluster: bool,
}

pub fn run(options: &ReplOptions) -> Result<(), ReplError> {
    let server = Server::open(&options.server)?;
    let db = server.url_db();
    let raw = options.raw.unwrap_or(!std::io::stdout().is_terminal());
    let mut shell = Shell {
        clients: Clients::new(db),
        server,
        raw,
        bounded: !raw && std::io::stdout().is_terminal(),
        escape_text: !raw || std::io::stdout().is_terminal(),
        table: options.table,
        db,
        in_multi: false,
        one_shot: false,
        docs: Arc::new(OnceLock::new()),
        cluster: options.cluster,
    };
    if !options.command.is_empty() {
        let args: Vec<Vec<u8>> = options
            .command
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        return shell.one_shot(&args);
    }
    if std::io::stdin().is_terminal() {
        shell.interactive()
    } else if shell.cluster {
        shell.pipe()
    } else {
        crate::repl::pipe::run(&shell.server, shell.db, shell.look())
    }
}

impl Shell {
    fn look(&self) -> Look {
        Look {
            raw: self.raw,
            bounded: self.bounded,
            escape_text: self.escape_text,
            table: self.table,
        }
    }

    /// Prints a whole reply the shell's way (see [`Look::print`]).
    fn print(&self, args: &[Vec<u8>], reply: &Reply, out: &mut impl Write) -> std::io::Result<()> {
        let address = self.server.address();
        let place = Place {
            address: &address,
            db: self.db,
        };
        self.look().print(args, reply, &place, out)
    }

    fn one_shot(&mut self, args: &[Vec<u8>]) -> Result<(), ReplError> {
        self.one_shot = true;
        let reply = self.execute(args)?;
        let mut out = std::io::stdout().lock();
        if let Some(reply) = reply {
            self.print(args, &reply, &mut out)?;
        }
        out.flush()?;
        Ok(())
    }

    /// stdin is a pipe in cluster mode: one command per line, each followed to the node that
    /// owns its slot, replies in order (without cluster mode, `pipe.rs` pipelines).
    fn pipe(&mut self) -> Result<(), ReplError> {
        let mut stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut batch: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut line = Vec::new();
        loop {
            if !stdin.buffer().contains(&b'\n') {
                // The next read may wait for the producer: answer what it has sent so far.
                self.flush_batch(&mut batch, &mut out)?;
                out.flush()?;
            }
            line.clear();
            if stdin.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let args = match crate::command::tokenize::split_args_bytes(line) {
                Ok(args) => args,
                Err(_) => {
                    self.flush_batch(&mut batch, &mut out)?;
                    writeln!(out, "Invalid argument(s)")?;
                    continue;
                }
            };
            let (repeat, args) = match repeat_count(args) {
                Ok(counted) => counted,
                Err(message) => {
                    self.flush_batch(&mut batch, &mut out)?;
                    writeln!(out, "{message}")?;
                    continue;
                }
            };
            let Some(first) = args.first() else { continue };
            if first.eq_ignore_ascii_case(b"quit") || first.eq_ignore_ascii_case(b"exit") {
                break;
            }
            // Repetitions are sent a batch at a time: `100000000 PING` never sits in memory.
            for _ in 0..repeat {
                batch.push(args.clone());
                if batch.len() >= BATCH {
                    self.flush_batch(&mut batch, &mut out)?;
                }
            }
        }
        self.flush_batch(&mut batch, &mut out)?;
        out.flush()?;
        Ok(())
    }

    fn flush_batch(
        &mut self,
        batch: &mut Vec<Vec<Vec<u8>>>,
        out: &mut impl Write,
    ) -> Result<(), ReplError> {
        if batch.is_empty() {
            return Ok(());
        }
        // A redirection changes the node mid-stream: no pipelining across nodes.
        for args in std::mem::take(batch) {
            if let Some(reply) = self.execute(&args)? {
                self.track_state(&args, &reply);
                self.print(&args, &reply, out)?;
            }
        }
        Ok(())
    }

    /// Follows SELECT and MULTI so the prompt and new connections are right.
    fn track_state(&mut self, args: &[Vec<u8>], reply: &Reply) {
        if reply.is_error() {
            return;
        }
        let name = crate::command::name(args).unwrap_or_default();
        match name.as_str() {
            "SELECT" if !self.in_multi => {
                if let Some(db) = args
                    .get(1)
                    .and_then(|d| String::from_utf8_lossy(d).parse().ok())
                {
                    self.db = db;
                    self.clients.set_db(db);
                }
            }
            "MULTI" => self.in_multi = true,
            "EXEC" | "DISCARD" => self.in_multi = false,
            _ => {}
        }
    }

    /// Runs one command; Ctrl-C ends a blocking command, a subscription or MONITOR and returns
    /// to the prompt with a fresh connection. None when interrupted.
    fn execute(&mut self, args: &[Vec<u8>]) -> Result<Option<Reply>, ReplError> {
        let ctrl_c = InterruptGuard::new();
        self.execute_guarded(args, &ctrl_c)
    }

    /// [`Self::execute`] under the caller's guard, so that Ctrl-C can interrupt what the caller
    /// does next too (printing the reply).
    fn execute_guarded(
        &mut self,
        args: &[Vec<u8>],
        _ctrl_c: &InterruptGuard,
    ) -> Result<Option<Reply>, ReplError> {
        self.clients
            .set_retry_after_reconnect(!self.in_multi && !self.one_shot);
        let mut result = self.execute_interruptible(args);
        if let Some(closed) = self.clients.take_reconnected() {
            if self.one_shot {
                // No next command to reconnect for: like redis-cli, the run failed.
                return Err(ConnError::Dropped {
                    target: self.server.display().to_string(),
                    reason: closed.reason,
                }
                .into());
            }
            let notice = if self.in_multi {
                // The transaction lived on the old connection.
                self.in_multi = false;
                Some(
                    "(the transaction was lost with the connection: start again with MULTI)".into(),
                )
            } else if closed.retried {
                Some(format!(
                    "(reconnected: the server had closed the connection: {})",
                    escape_controls(&closed.reason, Shape::Line)
                ))
            } else {
                None
            };
            match notice {
                Some(notice) if self.raw => eprintln!("{notice}"),
                Some(notice) => crate::outln!("{}", notice.yellow()),
                None => {}
            }
        }
        // Cluster mode: follow MOVED (and ASK) to the node that owns the slot, and say so.
        let mut hops = 0;
        while self.cluster && hops < 5 {
            let Ok(Some(Reply::Error(error))) = &result else {
                break;
            };
            let Some(to) = crate::command::redirect(error) else {
                break;
            };
            let (kind, slot, address) = (
                to.kind.to_string(),
                to.slot.to_string(),
                to.address.to_string(),
            );
            hops += 1;
            if !self.raw {
                crate::outln!(
                    "-> Redirected to slot [{}] located at {}",
                    escape_controls(&slot, Shape::Line),
                    escape_controls(&address, Shape::Line)
                );
            }
            self.server = self.server.redirected(&address)?;
            self.clients = Clients::new(self.db);
            if kind == "ASK" {
                self.clients
                    .pipeline(&self.server, CLIENT, vec![vec![b"ASKING".to_vec()]])?;
            }
            result = self.execute_interruptible(args);
        }
        result
    }

    fn execute_interruptible(&mut self, args: &[Vec<u8>]) -> Result<Option<Reply>, ReplError> {
        let streaming = crate::command::confirmations_before_streaming(args).is_some();
        let outcome = match self
            .clients
            .run(&self.server, CLIENT, args, Duration::from_millis(100))
        {
            Err(busy @ ConnError::Busy { .. }) => return Ok(Some(Reply::Error(busy.to_string()))),
            Err(ConnError::Interrupted { .. }) => {
                self.clients.clear_on(&self.server);
                return Ok(None);
            }
            other => other?,
        };
        let mut slow_since = (!self.one_shot
            && std::io::stdin().is_terminal()
            && !crate::engine::explain::may_block(args))
        .then(std::time::Instant::now);
        let reply = match outcome {
            Outcome::Done(reply) => reply,
            Outcome::Waiting => loop {
                // At the prompt, a command that is not meant to block says after a while what
                // may be happening (a blocking one waits quietly, as in redis-cli).
                if let Some(since) = slow_since
                    && since.elapsed() >= crate::server::connection::NOTICE_AFTER
                {
                    slow_since = None;
                    let text =
                        crate::server::connection::slow_answer_text(self.server.display(), None);
                    eprintln!("{}", format!("({text})").yellow());
                }
                if signal::interrupted() {
                    self.clients.clear_on(&self.server);
                    return Ok(None);
                }
                if let Some((_, _, result)) = self
                    .clients
                    .collect_released(Duration::from_millis(50))
                    .pop()
                {
                    // An Err is the connection failing under a slow reply (a server's error
                    // reply is an Ok(Reply::Error)): not something to print as the server's.
                    break match result {
                        Ok(reply) => reply,
                        Err(reason) => {
                            self.clients.clear();
                            if self.one_shot {
                                return Err(ConnError::Dropped {
                                    target: self.server.display().to_string(),
                                    reason,
                                }
                                .into());
                            }
                            Reply::Error(format!(
                                "the connection ended: {reason}; the next command reconnects"
                            ))
                        }
                    };
                }
            },
        };
        self.track_state(args, &reply);
        // Like redis-cli, messages stream until Ctrl-C, to a terminal or (raw) to a pipe or file.
        if streaming && !reply.is_error() {
            let mut out = std::io::stdout().lock();
            if !self.raw {
                writeln!(out, "Reading messages... (press Ctrl-C to quit)")?;
            }
            self.print(args, &reply, &mut out)?;
            out.flush()?;
            drop(out);
            while !signal::interrupted() {
                let messages = self.clients.take_received(CLIENT);
                let mut out = std::io::stdout().lock();
                for message in &messages {
                    self.print(args, message, &mut out)?;
                }
                out.flush()?;
                std::thread::sleep(Duration::from_millis(20));
            }
            self.clients.clear_on(&self.server);
            return Ok(None);
        }
        Ok(Some(reply))
    }

    fn prompt(&self) -> String {
        let db = if self.db != 0 {
            format!("[{}]", self.db)
        } else {
            String::new()
        };
        let tx = if self.in_multi { "(TX)" } else { "" };
        // The address can come from a server's MOVED reply.
        format!(
            "{}{db}{tx}> ",
            escape_controls(&self.server.address(), Shape::Line)
        )
    }

    fn interactive(&mut self) -> Result<(), ReplError> {
        let color = colored::control::SHOULD_COLORIZE.should_colorize();
        self.load_docs_in_background();
        let config = rustyline::Config::builder()
            .completion_type(rustyline::CompletionType::List)
            .auto_add_history(false)
            .build();
        let mut editor: rustyline::Editor<ReplHelper, rustyline::history::DefaultHistory> =
            rustyline::Editor::with_config(config)?;
        editor.set_helper(Some(ReplHelper::new(
            self.docs.clone(),
            Some(self.server.opener(self.db)),
            color,
        )));
        let history = crate::progress::data_dir()
            .ok()
            .map(|d| d.join("repl_history"));
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        crate::outln!(
            "{}",
            format!("Connected to {}. Type `help CMD`, `help @group`, `:explain CMD ...`, Tab to complete; Ctrl-D to leave.", escape_controls(self.server.display(), Shape::Line))
                .dimmed()
        );
        loop {
            let line = match editor.readline(&self.prompt()) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            };
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if !is_sensitive(trimmed) {
                let _ = editor.add_history_entry(trimmed);
                if let Some(path) = &history {
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = editor.append_history(path);
                }
            }
            let db_before = self.db;
            if !self.meta(trimmed)? {
                break;
            }
            if self.db != db_before
                && let Some(helper) = editor.helper_mut()
            {
                helper.set_client(Some(self.server.opener(self.db)));
            }
        }
        Ok(())
    }

    /// Handles one interactive line; false to leave.
    fn meta(&mut self, line: &str) -> Result<bool, ReplError> {
        let mut out = std::io::stdout();
        let lower = line.to_ascii_lowercase();
        if lower == "quit" || lower == "exit" {
            return Ok(false);
        }
        if lower == "clear" {
            crate::out!("\x1b[H\x1b[2J");
            return Ok(true);
        }
        if lower == ":table" {
            self.table = !self.table;
            crate::outln!(
                "Field/value replies as tables: {}",
                if self.table { "on" } else { "off" }
            );
            return Ok(true);
        }
        if lower == "help" || lower == ":help" || lower.starts_with("help ") {
            self.help(
                line.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim(),
            );
            return Ok(true);
        }
        let (explaining, rest) = match line.strip_prefix(":explain") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let args = match split_args(rest) {
            Ok(args) if !args.is_empty() => args,
            Ok(_) => return Ok(true),
            Err(_) => {
                crate::outln!("Invalid argument(s)");
                return Ok(true);
            }
        };
        let (repeat, args) = match repeat_count(args) {
            Ok(counted) => counted,
            Err(message) => {
                crate::outln!("{message}");
                return Ok(true);
            }
        };
        if explaining {
            self.explain(&args)?;
            return Ok(true);
        }
        for _ in 0..repeat {
            let ctrl_c = InterruptGuard::new();
            let result = self.execute_guarded(&args, &ctrl_c);
            if let Ok(Some(reply)) = &result {
                // Buffered: a reply is many small writes, and stdout flushes at every newline.
                let mut buffered = std::io::BufWriter::new(out.lock());
                self.print(&args, reply, &mut buffered)?;
                buffered.flush()?;
            }
            drop(ctrl_c);
            match result {
                Ok(Some(_)) => {}
                // Ctrl-C ends the repetitions too, not just the one in flight.
                Ok(None) => {
                    let shown = if crate::command::runs_a_script(&args) {
                        "(interrupted: the script keeps running on the server; SCRIPT KILL stops it)"
                    } else {
                        "(interrupted)"
                    };
                    crate::outln!("{}", shown.dimmed());
                    break;
                }
                Err(ReplError::Conn(e)) => {
                    crate::outln!(
                        "{} {}",
                        "error:".red().bold(),
                        escape_controls(&e.to_string(), Shape::Lines)
                    );
                    if self.server.is_sandbox() && self.server.restart().is_ok() {
                        self.clients.clear();
                        crate::outln!(
                            "{}",
                            "The sandbox server was restarted (its data is gone).".yellow()
                        );
                    } else {
                        self.clients.clear();
                        crate::outln!("{}", "Reconnecting on the next command.".yellow());
                    }
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        out.flush()?;
        Ok(true)
    }

    fn load_docs_in_background(&self) {
        let docs = self.docs.clone();
        let opener = self.server.opener(0);
        std::thread::spawn(move || {
            let Some(mut connection) = opener.open(crate::server::connection::CONNECT_TIMEOUT)
            else {
                return;
            };
            if let Ok(reply) =
                crate::server::connection::ask_on(&mut connection, &["COMMAND", "DOCS"])
            {
                let _ = docs.set(Docs::from_reply(&reply));
            }
        });
    }

    fn docs(&self) -> Option<&Docs> {
        // Help asked for right at start-up: give the background load a moment.
        for _ in 0..50 {
            if let Some(docs) = self.docs.get() {
                return Some(docs);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn help(&self, topic: &str) {
        let Some(docs) = self.docs() else {
            crate::outln!("Command documentation is not available from this server.");
            return;
        };
        if topic.is_empty() {
            crate::outln!(
                "Type a Redis command, or:\n  help CMD        summary, syntax, complexity of a command\n  help @group     the commands of a group (@string, @list, @sorted-set, @hash, @stream, ...)\n  :explain CMD    run CMD and show what it changed in its keys, and its cost\n  :table          show field/value replies as tables\n  quit            leave (or Ctrl-D); Ctrl-C cancels a line or a blocking command\n  Tab completes commands, options and key names; the grey hint shows the syntax still to type."
            );
            return;
        }
        // The documentation is the server's (COMMAND DOCS): its text is shown, never obeyed.
        let shown = |text: &str| escape_controls(text, Shape::Line).into_owned();
        if let Some(group) = topic.strip_prefix('@') {
            let commands = docs.group(group);
            if commands.is_empty() {
                let groups: std::collections::BTreeSet<&str> =
                    docs.commands.values().map(|c| c.group.as_str()).collect();
                crate::outln!(
                    "No group `{group}`. Groups: {}",
                    groups
                        .into_iter()
                        .map(|g| format!("@{}", shown(g)))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            for command in commands {
                crate::outln!(
                    "  {}  {}",
                    shown(&syntax(command)).bold(),
                    shown(&command.summary).dimmed()
                );
            }
            return;
        }
        let words: Vec<String> = topic.split_whitespace().map(str::to_string).collect();
        match docs.lookup(&words) {
            Some((doc, _)) => {
                crate::outln!("\n  {}", shown(&syntax(doc)).bold());
                crate::outln!("  {} {}", "summary:".yellow(), shown(&doc.summary));
                crate::outln!("  {} {}", "since:".yellow(), shown(&doc.since));
                crate::outln!("  {} {}", "group:".yellow(), shown(&doc.group));
                if !doc.complexity.is_empty() {
                    crate::outln!("  {} {}", "complexity:".yellow(), shown(&doc.complexity));
                }
                if !doc.subcommands.is_empty() {
                    crate::outln!(
                        "  {} {}",
                        "subcommands:".yellow(),
                        shown(
                            &doc.subcommands
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    );
                }
                crate::outln!();
            }
            None => {
                let suggestion = crate::lesson::diagnostic::did_you_mean(
                    &topic.to_ascii_uppercase(),
                    docs.names(),
                );
                let topic = shown(topic);
                match suggestion {
                    Some(s) => crate::outln!("No command `{topic}`. Did you mean `{}`?", shown(s)),
                    None => crate::outln!("No command `{topic}`."),
                }
            }
        }
    }

    /// Runs a command and shows what it did to its keys, like the lesson engine does.
    fn explain(&mut self, args: &[Vec<u8>]) -> Result<(), ReplError> {
        self.clients.set_db(self.db);
        let touched = explain::keys_of(&mut |c| self.observe(c), args)?;
        let (keys, writes) = (touched.keys, touched.writes);
        let before = explain::snapshot(&mut |c| self.observe(c), &keys)?;
        let reply = self.execute(args)?;
        let mut out = std::io::stdout();
        let Some(reply) = reply else {
            crate::outln!("{}", "(interrupted)".dimmed());
            return Ok(());
        };
        self.print(args, &reply, &mut out)?;
        let after = explain::snapshot(&mut |c| self.observe(c), &keys)?;
        let doc = explain::Docs::default().get(&mut |c| self.observe(c), args)?;
        let explanation = Explanation {
            // The explanation repeats the command: not its password.
            command: crate::command::secret::redacted(args).unwrap_or_else(|| join_args(args)),
            summary: doc.as_ref().and_then(|d| d.summary.clone()),
            complexity: doc.and_then(|d| d.complexity),
            changes: explain::changes(&keys, before, after),
            wrote: writes.unwrap_or_else(|| explain::is_write(args))
                && !reply.is_error()
                && reply != Reply::Nil,
        };
        crate::out!("{}", crate::render::lesson::explain(&explanation));
        Ok(())
    }

    /// redis-lab's own look-ups, on its observer connection.
    fn observe(&mut self, commands: Vec<Vec<Vec<u8>>>) -> Result<Vec<Reply>, ConnError> {
        self.clients.pipeline(&self.server, OBSERVER, commands)
    }
}

/// The repeat count of a line, or the line to print when it is over [`MAX_REPEAT`].
fn repeat_count(args: Vec<Vec<u8>>) -> Result<(u64, Vec<Vec<u8>>), String> {
    let (repeat, args) = crate::command::tokenize::repeat_prefix(args);
    if repeat > crate::command::tokenize::MAX_REPEAT {
        return Err(format!(
            "(error) a repeat count of {repeat} is over redis-lab's limit of {}; run the command in parts",
            crate::command::tokenize::MAX_REPEAT
        ));
    }
    Ok((repeat, args))
}
