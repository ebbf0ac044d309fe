//! Standard output that a closed pipe ends quietly. `redis-lab list | head -1` must not panic
//! the way `println!` does when the reader has gone: like ripgrep, redis-lab then stops at once
//! with status 0, after stopping the servers it started.

use std::io::Write;

/// Writes to standard output. A closed pipe ends redis-lab quietly; any other write error (a
/// full disk behind a redirection) loses this output but not the session.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.flush());
    if let Err(error) = written {
        exit_if_broken_pipe(&error);
    }
}

/// Ends redis-lab quietly when `error` is a closed pipe; returns otherwise.
pub fn exit_if_broken_pipe(error: &std::io::Error) {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        quiet_exit();
    }
}

/// Whether an error chain holds a closed pipe anywhere (ripgrep's test before it exits 0).
pub fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// Stops the servers redis-lab started, puts the terminal back, and exits 0.
pub fn quiet_exit() -> ! {
    crate::server::sandbox::reaper::kill_all();
    crate::render::restore_terminal();
    std::process::exit(0);
}

/// `print!` that ends quietly on a closed pipe.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::render::output::write(format_args!($($arg)*)) };
}

/// `println!` that ends quietly on a closed pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::render::output::write(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::render::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Says on stderr, once a command has had no answer for a while, what may be happening and how
/// to get out (a closed stderr is no reason to stop: the notice is only a courtesy).
pub fn notice_slow_answers() {
    crate::server::connection::set_slow_notice(Some(std::sync::Arc::new(|text| {
        use colored::Colorize;
        let line = format!("({text})").yellow();
        let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{line}\n"));
    })));
}
