use clap::Parser;
use colored::Colorize;
use std::process::ExitCode;

fn main() -> ExitCode {
    redis_lab::render::save_terminal();
    redis_lab::server::sandbox::reaper::install_signal_handlers();
    let cli = redis_lab::cli::Cli::parse();
    let result = redis_lab::app::run(cli);
    redis_lab::server::sandbox::reaper::exit_if_signalled();
    match result {
        Ok(redis_lab::app::Status::Ok) => ExitCode::SUCCESS,
        Ok(redis_lab::app::Status::ChecksFailed) => ExitCode::from(1),
        // The reader of our output has gone (`| head -1`): that is not an error, as in ripgrep.
        Err(error) if error.chain().any(redis_lab::render::output::is_broken_pipe) => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            // The chain can quote a server's reply or a lesson file: no raw control characters.
            let text = format!("{error:#}");
            eprintln!(
                "{} {}",
                "error:".red().bold(),
                redis_lab::render::escape_controls(&text, redis_lab::render::Shape::Lines)
            );
            ExitCode::from(2)
        }
    }
}
