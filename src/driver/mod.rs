//! Drivers of the lesson engine: the guided REPL for learners and `--auto` for demos.

pub mod auto;
pub mod check;
pub mod doctor;
pub mod guided;
pub mod manual;
pub mod sandbox;
pub mod watch;

use indicatif::{ProgressBar, ProgressStyle};

/// How a successful run ended: 0 all good, 1 checks failed. (Errors exit 2 in main.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    ChecksFailed,
}

/// A progress bar for fixture loading, shown only when there is enough to load to be worth it.
pub struct LoadBar(Option<ProgressBar>);

impl LoadBar {
    pub fn new() -> LoadBar {
        LoadBar(None)
    }

    pub fn update(&mut self, done: usize, total: usize) {
        if total < 5_000 {
            return;
        }
        let bar = self.0.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("loading data {bar:30} {pos}/{len} commands")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        bar.set_position(done as u64);
        if done >= total {
            bar.finish_and_clear();
        }
    }
}

impl Default for LoadBar {
    fn default() -> Self {
        LoadBar::new()
    }
}

/// On a server given with --url, removes what the lesson created (unless --keep) and says so.
pub fn clean_up(
    session: &mut crate::engine::session::Session,
    options: &crate::engine::session::SessionOptions,
) {
    use colored::Colorize;
    if options.keep {
        return;
    }
    match session.clean_up() {
        Ok(Some(text)) => crate::outln!("{}", text.dimmed()),
        Ok(None) => {}
        Err(e) => eprintln!(
            "{} could not remove what the lesson created: {e}",
            "warning:".yellow().bold()
        ),
    }
}
