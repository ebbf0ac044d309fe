//! Subcommand dispatch.

use crate::cli::{Cli, Command, ServerArgs};
use crate::driver;
use crate::engine::session::SessionOptions;
use crate::lesson::catalog::Catalog;
use crate::progress::Progress;
use crate::render::table::new_table;
use crate::render::{Shape, escape_controls};
use crate::server::connection::{ServerChoice, TlsOptions};
use crate::server::sandbox::SandboxOptions;
use anyhow::Result;
use clap::CommandFactory;
use colored::Colorize;

pub use crate::driver::Status;

pub fn run(cli: Cli) -> Result<Status> {
    crate::render::init_color(cli.global.color);
    let folders = cli.global.lessons;
    match cli.command {
        Some(Command::Check {
            paths,
            run,
            json,
            jobs,
            offline,
            step,
            watch,
            server,
        }) => {
            let args = driver::check::CheckArgs {
                paths,
                folders,
                run,
                json,
                jobs,
                offline,
                step,
                watch,
            };
            driver::check::run(args, &session_options(&server)?)
        }
        Some(Command::Lesson {
            id,
            auto,
            restart,
            watch,
            step,
            server,
        }) => {
            // Only this lesson's file is parsed (the others are known by the build-time index).
            let catalog = load_catalog_for(&folders, &id)?;
            let entry = catalog.find(&id)?.clone();
            let options = session_options(&server)?;
            // The lint `check` runs: a lesson with errors does not start.
            let lint = driver::check::RunLint::new(&catalog);
            for warning in crate::lesson::shadow::warnings(&catalog.entries)
                .iter()
                .filter(|w| w.file == entry.file)
            {
                eprintln!("{}", warning.to_string().yellow());
            }
            lint.refuse_errors(&entry)?;
            let start = step
                .as_deref()
                .map(|step| crate::lesson::constructs::find_step(&entry.lesson, step))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            if auto {
                driver::auto::run(entry, &options, start.unwrap_or(0))
            } else {
                let mut progress = Progress::load()?;
                if let Some(warning) = progress.warning.take() {
                    eprintln!("{}", warning.yellow());
                }
                adopt_progress(
                    &mut progress,
                    &entry.progress_key(),
                    &entry.legacy_progress_keys(),
                );
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
                driver::guided::run(
                    entry,
                    &options,
                    restart,
                    start,
                    watch.map(|file| (file, lint)),
                    &mut progress,
                )
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
            if sandbox && let Some(flag) = tls_options(&server).first_flag() {
                anyhow::bail!(
                    "{flag} applies to TLS servers given with --url rediss://HOST:PORT; \
                     the --sandbox topology speaks plain redis://"
                );
            }
            let mut server_choice = session_options(&server)?.server;
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
        Some(Command::Completions { shell }) => {
            driver::manual::completions(Cli::command(), shell, &folders)
        }
        Some(Command::Doctor {
            json,
            redis_server,
            load_modules,
        }) => {
            let options = SandboxOptions {
                redis_server,
                modules: load_modules,
                ..SandboxOptions::default()
            };
            driver::doctor::run(&options, &folders, json)
        }
        Some(Command::Man { dir }) => driver::manual::man(Cli::command(), dir.as_deref()),
        Some(Command::Schema { pack }) => {
            let text = if pack {
                crate::lesson::schema::pack()
            } else {
                crate::lesson::schema::lesson()
            };
            crate::out!("{text}");
            Ok(Status::Ok)
        }
        Some(Command::List { json }) => list(&folders, json),
        None => list(&folders, false),
    }
}

/// The catalog for `lesson ID` (of the built-ins only that one is parsed): broken files are
/// reported but do not stop the others.
fn load_catalog_for(folders: &[std::path::PathBuf], id: &str) -> Result<Catalog> {
    let catalog = Catalog::load_for(folders, id)?;
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
    // The same id elsewhere is allowed (an instructor's new version of a lesson), but said.
    let mut elsewhere: Vec<String> = crate::lesson::catalog::builtin_headers()
        .iter()
        .filter(|h| h.id == id)
        .map(|h| {
            format!(
                "the built-in lesson ({} in redis-lab), which this one will shadow; `redis-lab lesson {}{id}` still runs it",
                h.file,
                crate::lesson::shadow::BUILTIN_PREFIX
            )
        })
        .collect();
    if dir.is_dir()
        && let Ok(catalog) = Catalog::load_paths(&[dir.to_path_buf()])
    {
        elsewhere.extend(
            catalog
                .entries
                .iter()
                .filter(|e| e.id() == id)
                .map(|e| escape_controls(&e.file, Shape::Line).into_owned()),
        );
    }
    for other in &elsewhere {
        eprintln!(
            "{} a lesson `{id}` already exists: {other}",
            "warning:".yellow().bold()
        );
    }
    std::fs::create_dir_all(file.parent().unwrap_or(dir))?;
    std::fs::write(&file, crate::lesson::template::lesson(id, track))?;
    let schema = dir.join("lesson.schema.json");
    if !schema.exists() {
        std::fs::write(&schema, crate::lesson::schema::lesson())?;
    }
    crate::outln!("Created {}", file.display().to_string().bold());
    crate::outln!(
        "  try it:   redis-lab lesson {id} --lessons {}",
        dir.display()
    );
    crate::outln!("  prove it: redis-lab check --run {}", dir.display());
    Ok(Status::Ok)
}

/// Refuses TLS flags without a rediss:// URL up front: topology lessons never open `--url`, so
/// a later check would let them pass unnoticed.
fn session_options(server: &ServerArgs) -> Result<SessionOptions> {
    let tls = tls_options(server);
    tls.check_applies_to(server.url.as_deref())?;
    Ok(SessionOptions {
        server: ServerChoice {
            url: server.url.clone(),
            sandbox: SandboxOptions {
                redis_server: server.redis_server.clone(),
                modules: server.load_modules.clone(),
                ..SandboxOptions::default()
            },
            tls,
        },
        force: server.force,
        keep: server.keep,
    })
}

fn tls_options(server: &ServerArgs) -> TlsOptions {
    TlsOptions {
        ca_cert: server.cacert.clone(),
        cert: server.cert.clone(),
        key: server.key.clone(),
        insecure: server.insecure,
    }
}

fn status_text(progress: &Progress, key: &str, total: usize) -> String {
    match progress.get(key) {
        Some(p) if p.done => "done".into(),
        Some(p) => format!("step {} of {total}", p.step + 1),
        None => "not started".into(),
    }
}

/// Progress saved under an older key moves to the lesson's key; a failure to save that is said
/// and is not fatal (the old entry stays where it was).
fn adopt_progress(progress: &mut Progress, key: &str, legacy: &[String]) {
    if let Err(e) = progress.adopt(key, legacy) {
        eprintln!("{} {e}", "warning:".yellow().bold());
    }
}

/// One row of `redis-lab list`.
struct Row {
    id: String,
    pack: Option<String>,
    title: String,
    track: String,
    level: String,
    steps: usize,
    progress_key: String,
    legacy_keys: Vec<String>,
    file: String,
}

/// The rows to list: built-in lessons from the build-time index (nothing to parse), then the
/// lessons of `--lessons` folders, which replace a built-in with the same id.
fn list_rows(folders: &[std::path::PathBuf]) -> Result<Vec<Row>> {
    let mut folder_catalog = Catalog::default();
    for folder in folders {
        folder_catalog.add_folder(folder)?;
    }
    for problem in &folder_catalog.problems {
        eprintln!("{}", problem.to_string().red());
    }
    for warning in crate::lesson::shadow::warnings(&folder_catalog.entries) {
        eprintln!("{}", warning.to_string().yellow());
    }
    // A built-in shadowed by an unpacked folder lesson is listed by the name that reaches it.
    let overridden = |id: &str| {
        folder_catalog
            .entries
            .iter()
            .any(|e| e.pack.is_none() && e.id() == id)
    };
    let mut rows: Vec<Row> = crate::lesson::catalog::builtin_headers()
        .iter()
        .map(|h| Row {
            id: if overridden(h.id) {
                format!("{}{}", crate::lesson::shadow::BUILTIN_PREFIX, h.id)
            } else {
                h.id.to_string()
            },
            pack: None,
            title: h.title.to_string(),
            track: h.track.to_string(),
            level: h.level.to_string(),
            steps: h.steps,
            progress_key: h.id.to_string(),
            legacy_keys: Vec::new(),
            file: h.file.to_string(),
        })
        .collect();
    rows.extend(folder_catalog.entries.iter().map(|e| Row {
        id: e.qualified_id(),
        pack: e.pack.as_ref().map(|p| p.name().to_string()),
        title: e.lesson.title.clone(),
        track: e.lesson.track.as_str().to_string(),
        level: e.lesson.level.as_str().to_string(),
        steps: e.lesson.steps.len(),
        progress_key: e.progress_key(),
        legacy_keys: e.legacy_progress_keys(),
        file: e.file.clone(),
    }));
    // Built-ins and unpacked lessons by track; pack lessons after them, in each pack's order.
    let track_rank = |t: &str| {
        crate::lesson::model::Track::ALL
            .iter()
            .position(|k| k.as_str() == t)
    };
    rows.sort_by_key(|r| {
        (
            r.pack.is_some(),
            if r.pack.is_some() {
                None
            } else {
                track_rank(&r.track)
            },
        )
    });
    Ok(rows)
}

fn list(folders: &[std::path::PathBuf], json: bool) -> Result<Status> {
    let mut progress = Progress::load()?;
    if let Some(warning) = progress.warning.take() {
        eprintln!("{}", warning.yellow());
    }
    let rows = list_rows(folders)?;
    for row in rows.iter().filter(|r| !r.legacy_keys.is_empty()) {
        adopt_progress(&mut progress, &row.progress_key, &row.legacy_keys);
    }
    if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let p = progress.get(&r.progress_key);
                serde_json::json!({
                    "id": r.id,
                    "pack": r.pack,
                    "title": r.title,
                    "track": r.track,
                    "level": r.level,
                    "steps": r.steps,
                    "status": status_text(&progress, &r.progress_key, r.steps),
                    "step": p.map(|p| p.step + 1),
                    "done": p.is_some_and(|p| p.done),
                    "file": r.file,
                })
            })
            .collect();
        crate::outln!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(Status::Ok);
    }
    let mut table = new_table(&["track", "lesson", "title", "level", "status"]);
    let mut last_group = None;
    for r in &rows {
        // Built-in lessons are grouped by track, pack lessons under their pack.
        let group = match &r.pack {
            Some(pack) => format!("pack {}", escape_controls(pack, Shape::Line)),
            None => r.track.clone(),
        };
        let shown_group = if last_group.as_ref() != Some(&group) {
            group.clone()
        } else {
            String::new()
        };
        last_group = Some(group);
        let status = status_text(&progress, &r.progress_key, r.steps);
        let status = match status.as_str() {
            "done" => status.green().to_string(),
            "not started" => status.dimmed().to_string(),
            _ => status.yellow().to_string(),
        };
        table.add_row(vec![
            shown_group,
            // A pack's names and titles are its author's text: shown, never obeyed.
            escape_controls(&r.id, Shape::Line).bold().to_string(),
            escape_controls(&r.title, Shape::Line).into_owned(),
            r.level.clone(),
            status,
        ]);
    }
    crate::outln!("{table}");
    let next = rows
        .iter()
        .find(|r| !progress.get(&r.progress_key).is_some_and(|p| p.done));
    if let Some(next) = next {
        crate::outln!(
            "Run a lesson with:  {}",
            format!(
                "redis-lab lesson {}",
                escape_controls(&next.id, Shape::Line)
            )
            .bold()
        );
    }
    Ok(Status::Ok)
}
