//! How the shell prints a reply it has as a whole: redis-cli's formats, a table, text printed as
//! it is, the footer after a reply cut short on a terminal. Shared by every mode of the shell and
//! by pipe mode's printer thread (`pipe.rs`), which streams the other replies.

use crate::render::reply::{Capped, Limits, Omitted, footer, printed_as_is, write_raw, write_tty};
use crate::render::table::{pair_headers, pairs_table_limited};
use crate::render::{Escaping, Shape};
use crate::server::reply::Reply;
use crate::signal;
use colored::Colorize;
use std::io::Write;

/// The output settings of a shell.
#[derive(Debug, Clone)]
pub(super) struct Look {
    pub raw: bool,
    /// Terminal output goes to a terminal: replies are shown within `Limits::TERMINAL`.
    pub bounded: bool,
    /// Text printed as it is (INFO, and `--raw` output) has its control characters escaped: in
    /// the human format always, in the raw format when it goes to a terminal. A file or a pipe
    /// gets raw output byte for byte, as from redis-cli.
    pub escape_text: bool,
    pub table: bool,
}

/// Where the footer sends the learner for everything: `redis://ADDRESS[/DB]`.
pub(super) struct Place<'a> {
    pub address: &'a str,
    pub db: i64,
}

impl Look {
    /// The terminal format's budget, Ctrl-C stopping it when interruptible.
    pub fn limits(&self) -> Limits {
        let stop: fn() -> bool = signal::interrupted;
        if self.bounded {
            Limits::TERMINAL
        } else {
            Limits::NONE
        }
        .stopping_on(stop)
    }

    /// Writes a reply as it goes, never building its whole text: completely to a file or a
    /// pipe, within `Limits::TERMINAL` on a terminal, followed there by a footer saying what was
    /// left out. Ctrl-C (when interruptible) stops it between elements.
    pub fn print(
        &self,
        args: &[Vec<u8>],
        reply: &Reply,
        place: &Place<'_>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        let stop: fn() -> bool = signal::interrupted;
        let limits = self.limits();
        if printed_as_is(args) {
            let omitted = {
                let mut escaped;
                let mut text: &mut dyn Write = if self.escape_text {
                    escaped = Escaping::new(&mut *out, Shape::Lines);
                    &mut escaped
                } else {
                    &mut *out
                };
                if self.bounded {
                    let mut capped = Capped::new(&mut text, limits);
                    write_raw(reply, &mut capped, stop)?;
                    capped.finish()?
                } else {
                    write_raw(reply, &mut text, stop)?;
                    Omitted::default()
                }
            };
            return self.footer(args, &omitted, place, out);
        }
        if self.raw {
            if self.escape_text {
                // `--raw` on a terminal: the bytes as they are, but never a control sequence.
                write_raw(reply, &mut Escaping::new(&mut *out, Shape::Lines), stop)?;
            } else {
                write_raw(reply, out, stop)?;
            }
            return out.write_all(b"\n");
        }
        if self.table
            && let Some((table, omitted)) =
                pair_headers(args).and_then(|h| pairs_table_limited(reply, h, limits))
        {
            writeln!(out, "{table}")?;
            return self.footer(args, &omitted, place, out);
        }
        let omitted = if reply.is_error() {
            // Red around the whole text, as before; an error is one line, bounded on a terminal.
            let mut text = Vec::new();
            let omitted = write_tty(reply, limits, &mut text)?;
            write!(out, "{}", String::from_utf8_lossy(&text).red())?;
            omitted
        } else {
            write_tty(reply, limits, out)?
        };
        self.footer(args, &omitted, place, out)
    }

    /// The line after a reply that was not shown whole, when one was not.
    pub fn footer(
        &self,
        args: &[Vec<u8>],
        omitted: &Omitted,
        place: &Place<'_>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        if omitted.is_empty() {
            return Ok(());
        }
        let db = if place.db != 0 {
            format!("/{}", place.db)
        } else {
            String::new()
        };
        let url = format!("redis://{}{db}", place.address);
        writeln!(out, "{}", footer(args, omitted, &url).dimmed())
    }
}
