//! `redis-lab completions SHELL` and `redis-lab man`: what a command-line tool is expected to
//! give its shell, from the same clap definitions the program parses with.

use crate::driver::Status;
use crate::lesson::catalog::Catalog;
use anyhow::{Context, Result};
use clap::builder::PossibleValuesParser;
use std::io::Write;
use std::path::Path;

/// The command line as clap knows it, with the lesson ids of the catalog (built-in lessons and
/// those of `--lessons` folders) as the values `lesson ID` completes to. Only for generating
/// scripts: parsing keeps accepting any id, so that an unknown one gets "did you mean".
fn command_with_lesson_ids(
    command: clap::Command,
    folders: &[std::path::PathBuf],
) -> clap::Command {
    // A pack's name (its folder's) ends up inside a shell script the user sources: only ids
    // made of plain characters are offered, so none can carry shell syntax.
    let plain = |id: &String| {
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    };
    let ids: Vec<String> = Catalog::load(folders)
        .map(|catalog| {
            catalog
                .named()
                .into_iter()
                .map(|(name, _)| name)
                .filter(plain)
                .collect()
        })
        .unwrap_or_default();
    command.mut_subcommand("lesson", |lesson| {
        lesson.mut_arg("id", |id| id.value_parser(PossibleValuesParser::new(ids)))
    })
}

/// Writes the completion script of `command` (the program's clap definition) for `shell`.
pub fn completions(
    command: clap::Command,
    shell: clap_complete::Shell,
    folders: &[std::path::PathBuf],
) -> Result<Status> {
    let mut command = command_with_lesson_ids(command, folders);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "redis-lab", &mut script);
    if shell == clap_complete::Shell::Bash {
        // clap_complete spells the states of a hyphenated program's subcommands two ways in
        // bash (`redis__lab__subcmd__lesson` where it dispatches, `redis__subcmd__lab__...`
        // where it matches), so nothing after a subcommand completed (clap issue #6421).
        script = String::from_utf8_lossy(&script)
            .replace("redis__subcmd__lab", "redis__lab")
            .into_bytes();
    }
    write_out(&script)
}

/// The man page of redis-lab on stdout, or, with `dir`, one page per command written there
/// (`redis-lab.1`, `redis-lab-lesson.1`, ...), ready for `man -M` or a man path.
pub fn man(command: clap::Command, dir: Option<&Path>) -> Result<Status> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the man pages to {}", dir.display()))?;
            crate::outln!("Man pages written to {}.", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            write_out(&page)?;
        }
    }
    Ok(Status::Ok)
}

fn write_out(bytes: &[u8]) -> Result<Status> {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        crate::render::output::exit_if_broken_pipe(&e);
        return Err(e.into());
    }
    Ok(Status::Ok)
}
