//! `redis-lab repl` with stdin a pipe or a file (not in cluster mode): one command per line,
//! pipelined, every reply written into the output while it is read (issue 19).
//!
//! Two threads share one connection. This one reads stdin, splits each line into the same
//! reused argument vectors and encodes a batch of up to [`BATCH`] commands into one buffer, sent
//! in one write; the printer thread reads the replies as RESP events and formats them straight
//! into stdout ([`StreamWriter`]), so memory depends neither on the size of a reply nor on that
//! of a batch, and reading, sending and printing overlap. A batch is what has already arrived
//! on stdin: a slow producer (`tail -f`, a script waiting for each answer) gets each reply as
//! redis-cli would give it, since the printer flushes stdout whenever it would wait. A TLS
//! connection cannot be shared between threads: there one thread sends a batch, then prints
//! its replies.
//!
//! Replies printed as they are (INFO, CLIENT LIST ...) and tables (`--table`) are built whole
//! and printed as the interactive shell prints them ([`Look::print`]); so are error replies.

use super::print::{Look, Place};
use super::shell::ReplError;
use crate::command::tokenize::{MAX_REPEAT, split_args_into};
use crate::render::reply::printed_as_is;
use crate::render::stream::{Format, StreamWriter, Streamed};
use crate::render::table::pair_headers;
use crate::render::{Escaping, Shape};
use crate::server::connection::{ConnError, PIPELINE_WAIT, Server, wire_failure_text};
use crate::server::reply::Reply;
use crate::server::resp::{Limits, RespError};
use crate::server::wire::{Wire, encode};
use crate::signal;
use std::io::{BufRead, BufWriter, Stdout, Write};
use std::sync::mpsc;

/// Commands per pipelined batch.
const BATCH: usize = 1000;
/// How many batches the sending side may be ahead of the printer.
const AHEAD: usize = 4;

/// What the printer must know of one line of input, in order.
enum Item {
    Reply(Sent),
    /// A line of redis-lab's own among the replies (a line that cannot be split).
    Text(String),
}

/// One command sent.
#[derive(Clone)]
struct Sent {
    /// Kept only when printing needs them (a reply built whole, a footer on a terminal).
    args: Vec<Vec<u8>>,
    /// Built whole and printed by [`Look::print`].
    built: bool,
    state: State,
}

/// What a command changes for the commands after it, once it has succeeded.
#[derive(Clone, Copy)]
enum State {
    Same,
    Select(i64),
    Multi,
    EndMulti,
}

pub(super) fn run(server: &Server, db: i64, look: Look) -> Result<(), ReplError> {
    let mut wire = server.wire_db(db)?;
    // As before through a client thread: a pipeline waits at most PIPELINE_WAIT for an answer.
    wire.set_read_timeout(Some(PIPELINE_WAIT))?;
    let printer = Printer {
        look: look.clone(),
        db,
        in_multi: false,
        address: server.address(),
        target: server.display().to_string(),
        out: BufWriter::with_capacity(1 << 16, std::io::stdout()),
    };
    match wire.sender() {
        Some(sender) => concurrent(wire, sender?, printer, &look),
        None => sequential(wire, printer, &look),
    }
}

/// The printer on its own thread; this one sends.
fn concurrent(
    wire: Wire,
    mut sender: crate::server::wire::Sender,
    printer: Printer,
    look: &Look,
) -> Result<(), ReplError> {
    let (items_tx, items_rx) = mpsc::sync_channel::<Vec<Item>>(AHEAD);
    let target = printer.target.clone();
    let printing = std::thread::Builder::new()
        .name("pipe-printer".into())
        .spawn(move || printer.run(wire, items_rx))?;
    let fed = feed(look, |bytes, items, _pause| {
        // The printer first learns what is coming, so that it reads replies as they arrive.
        if items_tx.send(items).is_err() {
            return Err(Fed::PrinterEnded);
        }
        let sent = sender.send_encoded(bytes);
        bytes.clear();
        sent.map_err(|e| Fed::Failed(lost(&target, &RespError::Io(e)).into()))
    });
    drop(items_tx);
    let printed = printing.join().unwrap_or_else(|_| {
        Err(ReplError::Io(std::io::Error::other(
            "the printing of replies failed",
        )))
    });
    // The printer's error first: it says why the sending stopped.
    printed?;
    match fed {
        Ok(()) | Err(Fed::PrinterEnded) => Ok(()),
        Err(Fed::Failed(e)) => Err(e),
    }
}

/// One thread sends a batch, then prints its replies (TLS).
fn sequential(mut wire: Wire, mut printer: Printer, look: &Look) -> Result<(), ReplError> {
    let fed = feed(look, |bytes, items, pause| {
        let sent = wire.send_encoded(bytes);
        bytes.clear();
        sent.map_err(|e| Fed::Failed(lost(&printer.target, &RespError::Io(e)).into()))?;
        for item in items {
            printer.item(&mut wire, item).map_err(Fed::Failed)?;
        }
        if pause {
            printer.out.flush().map_err(|e| Fed::Failed(e.into()))?;
        }
        Ok(())
    });
    match fed {
        Ok(()) | Err(Fed::PrinterEnded) => Ok(printer.out.flush()?),
        Err(Fed::Failed(e)) => Err(e),
    }
}

/// Why feeding stopped early.
enum Fed {
    PrinterEnded,
    Failed(ReplError),
}

impl From<std::io::Error> for Fed {
    fn from(e: std::io::Error) -> Self {
        Fed::Failed(e.into())
    }
}

/// Reads stdin line by line and hands over batches: the encoded commands and what the printer
/// needs, in order; `pause` when the next read may wait for the producer.
fn feed(
    look: &Look,
    mut send: impl FnMut(&mut Vec<u8>, Vec<Item>, bool) -> Result<(), Fed>,
) -> Result<(), Fed> {
    let mut stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut line = Vec::new();
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut bytes = Vec::new();
    let mut items = Vec::new();
    let mut commands = 0;
    loop {
        let newline = memchr::memchr(b'\n', stdin.buffer());
        if newline.is_none() && !items.is_empty() {
            // The next read may wait for the producer: answer what it has sent so far.
            send(&mut bytes, std::mem::take(&mut items), true)?;
            commands = 0;
        }
        // A line whole in the buffer is split where it is; one cut by the buffer's end is read.
        let split = match newline {
            Some(end) => {
                let split = split_line(&stdin.buffer()[..end], &mut args);
                stdin.consume(end + 1);
                split
            }
            None => {
                line.clear();
                if stdin.read_until(b'\n', &mut line)? == 0 {
                    break;
                }
                split_line(line.strip_suffix(b"\n").unwrap_or(&line), &mut args)
            }
        };
        let Ok(n) = split else {
            items.push(Item::Text("Invalid argument(s)".into()));
            continue;
        };
        // redis-cli's repeat prefix (`tokenize::repeat_prefix`, without moving the arguments).
        let (repeat, first) = match std::str::from_utf8(args[..n].first().map_or(&[][..], |a| a))
            .unwrap_or_default()
            .parse::<u64>()
        {
            Ok(repeat) if n > 1 => (repeat, 1),
            _ => (1, 0),
        };
        if repeat > MAX_REPEAT {
            items.push(Item::Text(format!(
                "(error) a repeat count of {repeat} is over redis-lab's limit of {MAX_REPEAT}; run the command in parts"
            )));
            continue;
        }
        let command = &args[first..n];
        let Some(name) = command.first() else {
            continue;
        };
        if name.eq_ignore_ascii_case(b"quit") || name.eq_ignore_ascii_case(b"exit") {
            break;
        }
        let sent = sent(command, look);
        // Repetitions are sent a batch at a time: `1000000 PING` never sits in memory.
        for _ in 0..repeat {
            encode(&mut bytes, command)?;
            items.push(Item::Reply(sent.clone()));
            commands += 1;
            if commands >= BATCH {
                send(&mut bytes, std::mem::take(&mut items), false)?;
                commands = 0;
            }
        }
    }
    if !items.is_empty() {
        send(&mut bytes, items, true)?;
    }
    Ok(())
}

/// A line without its newline, split into `args` (see `split_args_into`).
fn split_line(
    line: &[u8],
    args: &mut Vec<Vec<u8>>,
) -> Result<usize, crate::command::tokenize::TokenizeError> {
    split_args_into(line.strip_suffix(b"\r").unwrap_or(line), args)
}

/// What printing the reply of `args` needs.
fn sent(args: &[Vec<u8>], look: &Look) -> Sent {
    let name = args.first().map_or(&[][..], |a| a.as_slice());
    // printed_as_is lower-cases its words: asked only of the commands it can be true for.
    let as_is = [
        &b"info"[..],
        b"lolwut",
        b"debug",
        b"memory",
        b"cluster",
        b"client",
        b"latency",
        b"proxy",
    ]
    .iter()
    .any(|c| name.eq_ignore_ascii_case(c))
        && printed_as_is(args);
    let built = as_is || (look.table && pair_headers(args).is_some());
    let number = || {
        args.get(1)
            .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok())
    };
    let state = if name.eq_ignore_ascii_case(b"SELECT") {
        number().map_or(State::Same, State::Select)
    } else if name.eq_ignore_ascii_case(b"MULTI") {
        State::Multi
    } else if name.eq_ignore_ascii_case(b"EXEC") || name.eq_ignore_ascii_case(b"DISCARD") {
        State::EndMulti
    } else {
        State::Same
    };
    Sent {
        args: if built || look.bounded {
            args.to_vec()
        } else {
            Vec::new()
        },
        built,
        state,
    }
}

fn lost(target: &str, e: &RespError) -> ConnError {
    if e.is_timeout() {
        ConnError::NoAnswer {
            target: target.to_string(),
            secs: PIPELINE_WAIT.as_secs(),
        }
    } else {
        ConnError::Dropped {
            target: target.to_string(),
            reason: wire_failure_text(e),
        }
    }
}

/// Reads replies and writes them out.
struct Printer {
    look: Look,
    /// For the footer's URL; followed through SELECT.
    db: i64,
    in_multi: bool,
    address: String,
    target: String,
    out: BufWriter<Stdout>,
}

/// Why a streamed reply stopped.
enum Failure {
    Output(std::io::Error),
    Wire(RespError),
}

impl Printer {
    fn run(mut self, mut wire: Wire, items: mpsc::Receiver<Vec<Item>>) -> Result<(), ReplError> {
        let printed = self.print_all(&mut wire, &items);
        if let Err(ReplError::Io(e)) = &printed {
            // A closed stdout (`| head -1`) ends redis-lab quietly, at once.
            crate::render::output::exit_if_broken_pipe(e);
        }
        printed
    }

    fn print_all(
        &mut self,
        wire: &mut Wire,
        items: &mpsc::Receiver<Vec<Item>>,
    ) -> Result<(), ReplError> {
        loop {
            let batch = match items.try_recv() {
                Ok(batch) => batch,
                Err(mpsc::TryRecvError::Empty) => {
                    // Nothing more to read for now: what is printed is shown.
                    self.out.flush()?;
                    match items.recv() {
                        Ok(batch) => batch,
                        Err(_) => break,
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => break,
            };
            for item in batch {
                self.item(wire, item)?;
            }
        }
        self.out.flush()?;
        Ok(())
    }

    fn item(&mut self, wire: &mut Wire, item: Item) -> Result<(), ReplError> {
        match item {
            Item::Text(text) => {
                self.out.write_all(text.as_bytes())?;
                self.out.write_all(b"\n")?;
            }
            Item::Reply(sent) => self.reply(wire, &sent)?,
        }
        Ok(())
    }

    fn reply(&mut self, wire: &mut Wire, sent: &Sent) -> Result<(), ReplError> {
        let failed = loop {
            if !wire.has_buffered() {
                // The next read may wait (a slow command): the replies before it are shown first.
                self.out.flush()?;
            }
            if sent.built {
                let reply = match wire.recv(&Limits::DEFAULT) {
                    // RESP3 push messages (client tracking) are not replies: dropped, as always.
                    Ok(Reply::Push { .. }) => continue,
                    Ok(reply) => reply,
                    Err(e) => return Err(lost(&self.target, &e).into()),
                };
                self.print(&sent.args, &reply)?;
                break reply.is_error();
            }
            let streamed = match self.stream(wire) {
                Ok(streamed) => streamed,
                Err(Failure::Output(e)) => return Err(e.into()),
                Err(Failure::Wire(e)) => return Err(lost(&self.target, &e).into()),
            };
            if streamed.push {
                continue;
            }
            if let Some(error) = streamed.error {
                self.print(&sent.args, &Reply::Error(error))?;
                break true;
            }
            if self.look.raw {
                self.out.write_all(b"\n")?;
            } else {
                let place = Place {
                    address: &self.address,
                    db: self.db,
                };
                self.look
                    .footer(&sent.args, &streamed.omitted, &place, &mut self.out)?;
            }
            break false;
        };
        if !failed {
            match sent.state {
                State::Select(db) if !self.in_multi => self.db = db,
                State::Multi => self.in_multi = true,
                State::EndMulti => self.in_multi = false,
                _ => {}
            }
        }
        Ok(())
    }

    fn print(&mut self, args: &[Vec<u8>], reply: &Reply) -> std::io::Result<()> {
        let place = Place {
            address: &self.address,
            db: self.db,
        };
        self.look.print(args, reply, &place, &mut self.out)
    }

    /// Reads one reply into the output as it arrives.
    fn stream(&mut self, wire: &mut Wire) -> Result<Streamed, Failure> {
        if !self.look.raw {
            return read_into(wire, &mut self.out, Format::Tty(self.look.limits()));
        }
        if self.look.escape_text {
            // `--raw` on a terminal: the bytes as they are, but never a control sequence.
            return read_into(
                wire,
                &mut Escaping::new(&mut self.out, Shape::Lines),
                Format::Raw,
            );
        }
        read_into(wire, &mut self.out, Format::Raw)
    }
}

fn read_into<W: Write>(wire: &mut Wire, out: &mut W, format: Format) -> Result<Streamed, Failure> {
    let mut writer = StreamWriter::new(out, format).stopping_on(signal::interrupted);
    match wire.recv_events(&Limits::DEFAULT, &mut writer) {
        Ok(()) => writer.finish().map_err(Failure::Output),
        Err(e) => Err(match writer.take_output_error() {
            Some(output) => Failure::Output(output),
            None => Failure::Wire(e),
        }),
    }
}
