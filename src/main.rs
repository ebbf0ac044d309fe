use clap::Parser;
use colored::Colorize;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The sandbox's watchdog (see server::watchdog): before anything that a redis-lab session
    // sets up, and outside clap, so no help text shows it.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args
        .first()
        .is_some_and(|a| a == redis_lab::server::watchdog::SUBCOMMAND)
    {
        return redis_lab::server::watchdog::run(&args[1..]);
    }
    redis_lab::render::save_terminal();
    redis_lab::signal::install(redis_lab::server::sandbox::reaper::kill_all);
    let cli = redis_lab::cli::Cli::parse();
    let result = redis_lab::app::run(cli);
    redis_lab::signal::exit_if_signalled();
    match result {
        Ok(redis_lab::app::Status::Ok) => ExitCode::SUCCESS,
        Ok(redis_lab::app::Status::ChecksFailed) => ExitCode::from(1),
        // The reader of our output has gone (`| head -1`): that is not an error, as in ripgrep.
        Err(error) if error.chain().any(redis_lab::render::output::is_broken_pipe) => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            // The chain can quote a server's reply or a lesson file: no raw control characters.
            let text = error_text(&error);
            eprintln!(
                "{} {}",
                "error:".red().bold(),
                redis_lab::render::escape_controls(&text, redis_lab::render::Shape::Lines)
            );
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each said once: a message that already quotes its source (as
/// `cannot read X: No such file` does) is not followed by the source again.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read fixture f: {source}")]
        struct Quoting {
            source: std::io::Error,
        }
        let quoting = Quoting {
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
        };
        let error = anyhow::Error::new(quoting).context("lesson x");
        assert_eq!(
            super::error_text(&error),
            "lesson x: cannot read fixture f: No such file"
        );
        assert_eq!(
            format!("{error:#}"),
            "lesson x: cannot read fixture f: No such file: No such file"
        );
    }
}
