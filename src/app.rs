//! Subcommand dispatch.

use crate::cli::{Cli, Command, ServerArgs};
use crate::driver;
use crate::engine::session::SessionOptions;
use crate::lesson::catalog::Catalog;
use crate::progress::Progress;
use crate::render::table::new_table;
use crate::server::connection::ServerChoice;
use crate::server::sandbox::SandboxOptions;
use anyhow::Result;
use colored::Colorize;

/// How a successful run ended: 0 all good, 1 checks failed. (Errors exit 2 in main.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    ChecksFailed,
}

pub fn run(cli: Cli) -> Result<Status> {
    crate::render::init_color(cli.global.color);
    let folders = cli.global.lessons;
    match cli.command {
        Some(Command::Check {
            paths,
            run,
            json,
            jobs,
            server,
        }) => {
            let args = driver::check::CheckArgs {
                paths,
                folders,
                run,
                json,
                jobs,
            };
            driver::check::run(args, &session_options(&server))
        }
        Some(Command::Lesson {
            id,
            auto,
            restart,
            watch,
            server,
        }) => {
            let catalog = load_catalog(&folders)?;
            let entry = catalog.find(&id)?.clone();
            let options = session_options(&server);
            if auto {
                driver::auto::run(entry, &options)
            } else {
                let mut progress = Progress::load()?;
                if let Some(warning) = progress.warning.take() {
                    eprintln!("{}", warning.yellow());
                }
                let watch = match (watch, &entry.origin) {
                    (false, _) => None,
                    (true, crate::lesson::catalog::Origin::Folder(_)) => {
                        Some(std::path::PathBuf::from(&entry.file))
                    }
                    (true, crate::lesson::catalog::Origin::Builtin) => anyhow::bail!(
                        "--watch reloads lesson files from --lessons folders; `{id}` is built in. \
                         Copy it into a folder and run with --lessons DIR --watch"
                    ),
                };
                driver::guided::run(entry, &options, restart, watch, &mut progress)
            }
        }
        Some(Command::New { id, track, dir }) => new_lesson(&id, track.into(), &dir),
        Some(Command::Repl {
            command,
            raw,
            no_raw,
            table,
            sandbox,
            node,
            cluster,
            server,
        }) => {
            let mut server_choice = session_options(&server).server;
            if sandbox {
                server_choice.url = Some(driver::sandbox::node_url(node.as_deref())?);
            }
            let options = crate::repl::shell::ReplOptions {
                server: server_choice,
                cluster,
                raw: if raw {
                    Some(true)
                } else if no_raw {
                    Some(false)
                } else {
                    None
                },
                table,
                command,
            };
            crate::repl::shell::run(&options)?;
            Ok(Status::Ok)
        }
        Some(Command::Sandbox { action }) => match action {
            crate::cli::SandboxAction::Up {
                topology,
                redis_server,
            } => {
                let options = SandboxOptions {
                    redis_server,
                    ..SandboxOptions::default()
                };
                driver::sandbox::up(topology.into(), &options)
            }
            crate::cli::SandboxAction::Status => driver::sandbox::status(),
            crate::cli::SandboxAction::Down => driver::sandbox::down(),
        },
        Some(Command::Schema) => {
            print!("{}", crate::lesson::model::json_schema_text());
            Ok(Status::Ok)
        }
        Some(Command::List { json }) => list(&load_catalog(&folders)?, json),
        None => list(&load_catalog(&folders)?, false),
    }
}

/// The catalog for learners: broken files are reported but do not stop the others.
fn load_catalog(folders: &[std::path::PathBuf]) -> Result<Catalog> {
    let catalog = Catalog::load(folders)?;
    for problem in &catalog.problems {
        eprintln!("{}", problem.to_string().red());
    }
    Ok(catalog)
}

fn new_lesson(
    id: &str,
    track: crate::lesson::model::Track,
    dir: &std::path::Path,
) -> Result<Status> {
    if !crate::lesson::loader::is_valid_id(id) {
        anyhow::bail!(
            "invalid lesson id {id:?}: use lowercase letters, digits and dashes, like `rate-limiting`"
        );
    }
    let file = dir.join(track.as_str()).join(format!("{id}.yaml"));
    if file.exists() {
        anyhow::bail!(
            "{} already exists; pick another id or edit it",
            file.display()
        );
    }
    std::fs::create_dir_all(file.parent().unwrap_or(dir))?;
    std::fs::write(&file, crate::lesson::template::lesson(id, track))?;
    let schema = dir.join("lesson.schema.json");
    if !schema.exists() {
        std::fs::write(&schema, crate::lesson::model::json_schema_text())?;
    }
    println!("Created {}", file.display().to_string().bold());
    println!(
        "  try it:   redis-lab lesson {id} --lessons {}",
        dir.display()
    );
    println!("  prove it: redis-lab check --run {}", dir.display());
    Ok(Status::Ok)
}

fn session_options(server: &ServerArgs) -> SessionOptions {
    SessionOptions {
        server: ServerChoice {
            url: server.url.clone(),
            sandbox: SandboxOptions {
                redis_server: server.redis_server.clone(),
                modules: server.load_modules.clone(),
                ..SandboxOptions::default()
            },
        },
        force: server.force,
    }
}

fn status_text(progress: &Progress, key: &str, total: usize) -> String {
    match progress.get(key) {
        Some(p) if p.done => "done".into(),
        Some(p) => format!("step {} of {total}", p.step + 1),
        None => "not started".into(),
    }
}

fn list(catalog: &Catalog, json: bool) -> Result<Status> {
    let mut progress = Progress::load()?;
    if let Some(warning) = progress.warning.take() {
        eprintln!("{}", warning.yellow());
    }
    let mut entries: Vec<_> = catalog.entries.iter().collect();
    // Built-ins by track; pack lessons after them, in each pack's own order.
    entries.sort_by_key(|e| {
        (
            e.pack.is_some(),
            if e.pack.is_some() {
                None
            } else {
                Some(e.lesson.track)
            },
        )
    });
    if json {
        let items: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                let p = progress.get(&e.progress_key());
                serde_json::json!({
                    "id": e.qualified_id(),
                    "pack": e.pack.as_ref().map(|p| p.name.clone()),
                    "title": e.lesson.title,
                    "track": e.lesson.track,
                    "level": e.lesson.level,
                    "steps": e.lesson.steps.len(),
                    "status": status_text(&progress, &e.progress_key(), e.lesson.steps.len()),
                    "step": p.map(|p| p.step + 1),
                    "done": p.is_some_and(|p| p.done),
                    "file": e.file,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(Status::Ok);
    }
    let mut table = new_table(&["track", "lesson", "title", "level", "status"]);
    let mut last_group = None;
    for e in &entries {
        // Built-in lessons are grouped by track, pack lessons under their pack.
        let group = match &e.pack {
            Some(pack) => format!("pack {}", pack.name),
            None => e.lesson.track.as_str().to_string(),
        };
        let track = if last_group.as_ref() != Some(&group) {
            group.clone()
        } else {
            String::new()
        };
        last_group = Some(group);
        let status = status_text(&progress, &e.progress_key(), e.lesson.steps.len());
        let status = match status.as_str() {
            "done" => status.green().to_string(),
            "not started" => status.dimmed().to_string(),
            _ => status.yellow().to_string(),
        };
        table.add_row(vec![
            track.to_string(),
            e.qualified_id().bold().to_string(),
            e.lesson.title.clone(),
            e.lesson.level.as_str().to_string(),
            status,
        ]);
    }
    println!("{table}");
    let next = entries
        .iter()
        .find(|e| !progress.get(&e.progress_key()).is_some_and(|p| p.done))
        .map(|e| e.id().to_string());
    if let Some(next) = next {
        println!(
            "Run a lesson with:  {}",
            format!("redis-lab lesson {next}").bold()
        );
    }
    Ok(Status::Ok)
}
