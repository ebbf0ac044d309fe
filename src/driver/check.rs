//! `redis-lab check [PATH...] [--run]`: lint lessons, then prove them on real servers.

use crate::driver::Status;
use crate::engine::prove::{LessonProof, Outcome, prove_lesson_at};
use crate::engine::session::SessionOptions;
use crate::lesson::catalog::{Catalog, Entry, builtin_headers};
use crate::lesson::diagnostic::{Diagnostic, Diagnostics};
use crate::lesson::validate::{CommandTable, lint};
use crate::render::table::new_table;
use crate::render::{Shape, escape_controls};
use crate::server::connection::Server;
use anyhow::Result;
use colored::Colorize;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub struct CheckArgs {
    pub paths: Vec<PathBuf>,
    /// `--lessons` folders (checked along with the built-ins when no path is given).
    pub folders: Vec<PathBuf>,
    pub run: bool,
    pub json: bool,
    pub jobs: Option<usize>,
    /// Lint with the built-in command list, without a server.
    pub offline: bool,
    /// With `run`: prove only this step (an id or a number from 1) of each lesson.
    pub step: Option<String>,
    /// Check (and prove) a file again each time it is saved.
    pub watch: bool,
}

/// The folder `redis-lab new` writes to, checked by default when it exists. Skipped when it is
/// the source of the built-in lessons (running in the repository itself).
fn local_pack() -> Option<PathBuf> {
    let local = PathBuf::from("lessons");
    let builtin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("lessons");
    match (local.canonicalize(), builtin.canonicalize()) {
        (Ok(a), Ok(b)) if a == b => None,
        (Ok(_), _) => Some(local),
        _ => None,
    }
}

pub fn run(args: CheckArgs, options: &SessionOptions) -> Result<Status> {
    if args.watch {
        return watch(&args, options);
    }
    Ok(check_once(&args, options, None)?.0)
}

/// `check --watch`: everything once, then each saved file again (its lint and, with --run, its
/// proof; the other files are linted with it, since a `next` or an id may name them).
fn watch(args: &CheckArgs, options: &SessionOptions) -> Result<Status> {
    use crate::driver::watch::{Change, Watched};
    let (status, files) = check_once(args, options, None)?;
    let mut watched: Vec<Watched> = files.into_iter().map(Watched::new).collect();
    if watched.is_empty() {
        crate::outln!(
            "No lesson files to watch (built-in lessons are compiled in): name files or folders."
        );
        return Ok(status);
    }
    crate::outln!(
        "{}",
        format!(
            "Watching {} lesson file{}: each save is checked again{}. Ctrl-C ends.",
            watched.len(),
            if watched.len() == 1 { "" } else { "s" },
            if args.run { " and proved" } else { "" }
        )
        .dimmed()
    );
    loop {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let mut edited = HashSet::new();
        for w in &mut watched {
            let shown = escape_controls(&w.file.display().to_string(), Shape::Line).into_owned();
            match w.changed() {
                Change::Text(_) => {
                    crate::outln!("{}", format!("↻ {shown} changed: checking again").bold());
                    edited.insert(w.file.display().to_string());
                }
                Change::Gone(why) => crate::outln!(
                    "{}",
                    format!("{shown} {why}; watching for it to come back").yellow()
                ),
                Change::Same => {}
            }
        }
        if edited.is_empty() {
            continue;
        }
        let (_, files) = check_once(args, options, Some(&edited))?;
        // A folder may have gained a lesson file.
        for file in files {
            if !watched.iter().any(|w| w.file == file) {
                watched.push(Watched::new(file));
            }
        }
    }
}

/// One check: lint everything, prove (with --run) every lesson or, with `prove_only`, the
/// lessons of those files. Returns the status and the lesson files a watch can follow.
fn check_once(
    args: &CheckArgs,
    options: &SessionOptions,
    prove_only: Option<&HashSet<String>>,
) -> Result<(Status, Vec<PathBuf>)> {
    let catalog = if args.paths.is_empty() {
        let mut catalog = Catalog::load_paths(&args.folders)?;
        if let Some(local) = local_pack()
            && !args.folders.contains(&local)
        {
            catalog.add_folder(&local)?;
        }
        if args.offline && !args.run {
            // build.rs loaded every built-in lesson and `cargo test --lib` lints them all with
            // this same built-in command list (catalog::tests), so only a built-in whose id a
            // folder lesson repeats is parsed, for the duplicate to be reported as before.
            let ids: HashSet<String> = catalog.entries.iter().map(|e| e.id().to_string()).collect();
            catalog.add_builtins_where(|id| ids.contains(id));
        } else {
            catalog.add_builtin();
        }
        catalog
    } else {
        Catalog::load_paths(&args.paths)?
    };
    let mut all_ids: HashSet<String> = catalog.entries.iter().map(|e| e.id().to_string()).collect();
    // A `next` may name a built-in lesson; their ids are known without parsing them again.
    all_ids.extend(builtin_headers().iter().map(|h| h.id.to_string()));
    let table = if args.offline {
        CommandTable::builtin()
    } else {
        command_table(options)
    };
    let mut problems: Vec<Diagnostic> = catalog.problems.iter().flat_map(|d| d.0.clone()).collect();
    problems.extend(lint(&catalog.entries, &all_ids, &table));
    problems.extend(crate::lesson::shadow::warnings(&catalog.entries));

    let mut errors = problems.iter().filter(|p| !p.warning).count();
    let warnings = problems.len() - errors;
    let failed_files: HashSet<&str> = problems
        .iter()
        .filter(|p| !p.warning)
        .map(|p| p.file.as_str())
        .collect();
    let runnable: Vec<Entry> = catalog
        .entries
        .iter()
        .filter(|e| !failed_files.contains(e.file.as_str()))
        .filter(|e| prove_only.is_none_or(|files| files.contains(&e.file)))
        .cloned()
        .collect();
    // `--step`: the step of each lesson; a lesson without it is a problem, not a pass.
    let mut to_prove: Vec<(Entry, Option<usize>)> = Vec::new();
    for entry in runnable {
        match args
            .step
            .as_deref()
            .map(|s| crate::lesson::constructs::find_step(&entry.lesson, s))
        {
            None => to_prove.push((entry, None)),
            Some(Ok(index)) => to_prove.push((entry, Some(index))),
            Some(Err(problem)) => {
                errors += 1;
                problems.push(Diagnostic::new(&entry.file, &entry.source, 0, 0, problem));
            }
        }
    }
    let watchable: Vec<PathBuf> = catalog
        .entries
        .iter()
        .filter(|e| !matches!(e.origin, crate::lesson::catalog::Origin::Builtin))
        .map(|e| PathBuf::from(&e.file))
        .chain(
            catalog
                .problems
                .iter()
                .filter_map(|d| d.0.first())
                .map(|d| PathBuf::from(&d.file)),
        )
        .collect();
    let started = Instant::now();
    let proofs = if args.run {
        prove_all(to_prove, options, args.jobs, args.json)
    } else {
        Vec::new()
    };
    let elapsed = started.elapsed();

    let failed = errors > 0
        || proofs
            .iter()
            .any(|p| matches!(p.outcome, Outcome::Failed(_)));
    if args.json {
        print_json(&problems, &proofs, catalog.files() - catalog.problems.len());
    } else {
        for problem in &problems {
            let text = problem.to_string();
            if problem.warning {
                crate::outln!("{}", text.yellow());
            } else {
                crate::outln!("{}", text.red());
            }
        }
        if args.run {
            print_table(&proofs);
        }
        let count = |f: fn(&Outcome) -> bool| proofs.iter().filter(|p| f(&p.outcome)).count();
        let mut summary = format!(
            "{} lesson file{} checked (commands from {}): {} problem{}",
            catalog.files(),
            if catalog.files() == 1 { "" } else { "s" },
            escape_controls(&table.source, Shape::Line),
            errors,
            if errors == 1 { "" } else { "s" }
        );
        if warnings > 0 {
            summary.push_str(&format!(
                ", {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            ));
        }
        if args.run {
            summary.push_str(&format!(
                "; proved on real servers in {:.1} s: {} passed, {} failed, {} skipped",
                elapsed.as_secs_f64(),
                count(|o| *o == Outcome::Passed),
                count(|o| matches!(o, Outcome::Failed(_))),
                count(|o| matches!(o, Outcome::Skipped(_)))
            ));
        }
        let summary = if failed {
            summary.red().bold()
        } else {
            summary.green().bold()
        };
        crate::outln!("{summary}");
    }
    let status = if failed {
        Status::ChecksFailed
    } else {
        Status::Ok
    };
    Ok((status, watchable))
}

/// The lint `check` runs, for a lesson about to run: `lesson`, `--auto` and every `--watch`
/// reload. Commands are checked against the list built into the binary (no server is asked: the
/// lesson's own server starts after this), ids against every lesson of the catalog.
pub struct RunLint {
    ids: HashSet<String>,
    table: CommandTable,
}

impl RunLint {
    pub fn new(catalog: &Catalog) -> RunLint {
        let mut ids: HashSet<String> = catalog.entries.iter().map(|e| e.id().to_string()).collect();
        ids.extend(builtin_headers().iter().map(|h| h.id.to_string()));
        RunLint {
            ids,
            table: CommandTable::builtin(),
        }
    }

    /// The lesson's warnings, or its errors (warnings included) when it must not run.
    pub fn check(&self, entry: &Entry) -> Result<Vec<Diagnostic>, Diagnostics> {
        // A built-in lesson was loaded when this binary was built and linted whole by
        // `catalog::tests::the_built_in_lessons_pass_the_whole_lint` with this same table:
        // linting it again would only cost its start (20 ms for a lesson with big fixtures).
        if entry.origin == crate::lesson::catalog::Origin::Builtin {
            return Ok(Vec::new());
        }
        let problems = lint(std::slice::from_ref(entry), &self.ids, &self.table);
        if problems.iter().any(|p| !p.warning) {
            Err(Diagnostics(problems))
        } else {
            Ok(problems)
        }
    }

    /// Shows the warnings; refuses a lesson with errors, naming each at file:line:col.
    pub fn refuse_errors(&self, entry: &Entry) -> Result<()> {
        match self.check(entry) {
            Ok(warnings) => {
                for warning in warnings {
                    eprintln!("{}", warning.to_string().yellow());
                }
                Ok(())
            }
            Err(problems) => {
                let errors = problems.0.iter().filter(|p| !p.warning).count();
                eprintln!("{}", problems.to_string().red());
                anyhow::bail!(
                    "the lesson `{}` has {errors} problem{} (above); fix {} and run it again \
                     (`redis-lab check {}` lints it)",
                    entry.id(),
                    if errors == 1 { "" } else { "s" },
                    if errors == 1 { "it" } else { "them" },
                    entry.file
                )
            }
        }
    }
}

/// Commands as the real server knows them (modules included); the built-in list otherwise.
fn command_table(options: &SessionOptions) -> CommandTable {
    let live = || -> Option<CommandTable> {
        let server = Server::open(&options.server).ok()?;
        let db = server.url_db();
        let wait = crate::server::connection::CONNECT_TIMEOUT;
        let info = server.ask(db, &["COMMAND", "INFO"], wait).ok()?;
        if info.is_error() {
            return None;
        }
        let server_info = server.ask(db, &["INFO", "server"], wait).ok()?;
        let text = server_info.as_text().unwrap_or_default();
        let version =
            crate::command::info_field(&text, "redis_version").unwrap_or_else(|| "?".into());
        let mut table = CommandTable::from_command_info(&info, &version);
        // Valkey's redis_version (7.2.4 on 8.1) is for compatibility: name the server it is.
        if let Some(valkey) = crate::command::info_field(&text, "valkey_version") {
            table.source = format!("valkey-server {valkey}");
        }
        // Arguments from COMMAND DOCS (Redis 7+); without them commands are checked by arity.
        if let Ok(docs) = server.ask(db, &["COMMAND", "DOCS"], wait)
            && !docs.is_error()
        {
            table.add_docs(&docs);
        }
        Some(table)
    };
    live().unwrap_or_else(CommandTable::builtin)
}

fn prove_all(
    entries: Vec<(Entry, Option<usize>)>,
    options: &SessionOptions,
    jobs: Option<usize>,
    quiet: bool,
) -> Vec<LessonProof> {
    // One sandbox per lesson, in parallel; a shared external server is used one lesson at a time.
    let parallel = if options.server.url.is_some() {
        1
    } else {
        jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    };
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(entries.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("proving {bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // A lesson whose server stops answering fails after a bound; until then, say so above the bar.
    let notice_bar = bar.clone();
    crate::server::connection::set_slow_notice(Some(std::sync::Arc::new(move |text| {
        notice_bar.println(format!("({text})"));
    })));
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((entry, only)) = entries.get(i) else {
                        break;
                    };
                    bar.set_message(entry.id().to_string());
                    let proof = prove_lesson_at(entry, options, *only);
                    bar.inc(1);
                    if let Ok(mut results) = results.lock() {
                        results.push((i, proof));
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, p)| p).collect()
}

fn print_table(proofs: &[LessonProof]) {
    if proofs.is_empty() {
        return;
    }
    let mut table = new_table(&["lesson", "result", "steps", "time", "details"]);
    for p in proofs {
        let (result, details) = match &p.outcome {
            Outcome::Passed if p.skipped_steps.is_empty() => {
                ("passed".green().to_string(), String::new())
            }
            Outcome::Passed => (
                "passed".green().to_string(),
                p.skipped_steps
                    .iter()
                    .map(|(step, reason)| format!("step `{step}` skipped: {reason}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Outcome::Failed(problems) => ("FAILED".red().bold().to_string(), problems.join("\n")),
            Outcome::Skipped(reason) => ("skipped".yellow().to_string(), reason.clone()),
        };
        // Details quote the lesson and the server's replies: escaped line by line.
        table.add_row(vec![
            escape_controls(&p.id, Shape::Line).into_owned(),
            result,
            p.steps.to_string(),
            format!("{} ms", p.elapsed.as_millis()),
            details
                .split('\n')
                .map(|line| escape_controls(line, Shape::Line))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    crate::outln!("{table}");
}

fn print_json(problems: &[Diagnostic], proofs: &[LessonProof], lessons: usize) {
    let problems: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| {
            serde_json::json!({
                "file": p.file, "line": p.line, "column": p.column, "message": p.message, "help": p.help,
                "severity": if p.warning { "warning" } else { "error" },
            })
        })
        .collect();
    let proofs: Vec<serde_json::Value> = proofs
        .iter()
        .map(|p| {
            let (result, details) = match &p.outcome {
                Outcome::Passed => ("passed", vec![]),
                Outcome::Failed(problems) => ("failed", problems.clone()),
                Outcome::Skipped(reason) => ("skipped", vec![reason.clone()]),
            };
            serde_json::json!({
                "id": p.id, "file": p.file, "result": result, "steps": p.steps,
                "ms": p.elapsed.as_millis() as u64, "details": details,
                "skipped_steps": p.skipped_steps.iter().map(|(s, r)| serde_json::json!({"step": s, "reason": r})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = serde_json::json!({ "lessons": lessons, "problems": problems, "proofs": proofs });
    crate::outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
}
