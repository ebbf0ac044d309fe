//! `redis-lab doctor`: what this machine has and what it means for the learner, on one screen
//! (or as JSON): the server program and its version, other servers on PATH, modules, which
//! lessons run and which are skipped and why, Python for code exercises, the data dir, colour
//! and terminal width.

use crate::driver::Status;
use crate::engine::requirements::{ServerFacts, unmet};
use crate::lesson::catalog::Catalog;
use crate::server::connection::{CONNECT_TIMEOUT, Server};
use crate::server::sandbox::{SandboxOptions, find_redis_server, output_within, servers_on_path};
use anyhow::Result;
use colored::Colorize;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// Everything doctor found, as its JSON says it.
struct Findings {
    server: serde_json::Value,
    others: Vec<serde_json::Value>,
    lessons: Vec<(String, Option<String>)>,
    python: serde_json::Value,
    data: serde_json::Value,
    terminal: serde_json::Value,
}

pub fn run(options: &SandboxOptions, folders: &[PathBuf], as_json: bool) -> Result<Status> {
    let findings = examine(options, folders);
    if as_json {
        let lessons: Vec<serde_json::Value> = findings
            .lessons
            .iter()
            .map(|(id, skipped)| json!({"id": id, "runs": skipped.is_none(), "skipped_because": skipped}))
            .collect();
        let report = json!({
            "server": findings.server,
            "other_servers_on_path": findings.others,
            "lessons": lessons,
            "python": findings.python,
            "data": findings.data,
            "terminal": findings.terminal,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        show(&findings);
    }
    Ok(Status::Ok)
}

fn examine(options: &SandboxOptions, folders: &[PathBuf]) -> Findings {
    let (server, facts) = server_and_facts(options, folders);
    let in_use = server["path"].as_str().map(PathBuf::from);
    let others = servers_on_path()
        .iter()
        .filter(|(path, _)| in_use.as_ref() != Some(path))
        .map(|(path, version)| json!({"path": path, "version": version}))
        .collect();
    let lessons = match Catalog::load(folders) {
        Ok(catalog) => catalog
            .named()
            .into_iter()
            .map(|(name, entry)| {
                // Doctor is where that message sends the learner: no need to say so here.
                let skipped = match &facts {
                    Some(facts) => unmet(&entry.lesson.requires, facts)
                        .map(|reason| reason.replace(crate::engine::requirements::DOCTOR, "")),
                    None => Some("no redis-server could be started (see above)".into()),
                };
                (name, skipped)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Findings {
        server,
        others,
        lessons,
        python: python(),
        data: data_dir(),
        terminal: terminal(),
    }
}

/// The sandbox's program, and what a sandbox of it says it is (version, Valkey, modules).
fn server_and_facts(
    options: &SandboxOptions,
    folders: &[PathBuf],
) -> (serde_json::Value, Option<ServerFacts>) {
    let program = match find_redis_server(options.redis_server.as_deref()) {
        Ok(path) => path,
        Err(e) => return (json!({"found": false, "problem": e.to_string()}), None),
    };
    let facts = Server::sandbox(options).ok().and_then(|server| {
        let info = server.ask(0, &["INFO", "server"], CONNECT_TIMEOUT).ok()?;
        let modules = server.ask(0, &["MODULE", "LIST"], CONNECT_TIMEOUT).ok()?;
        let facts = ServerFacts::from_replies(&info, &modules);
        // The commands lessons ask for (`requires.commands`): known or not, by COMMAND INFO.
        let asked: Vec<String> = Catalog::load(folders)
            .map(|c| {
                c.entries
                    .iter()
                    .flat_map(|e| crate::engine::requirements::required_commands(&e.lesson))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        if asked.is_empty() {
            return Some(facts);
        }
        let mut args = vec!["COMMAND", "INFO"];
        args.extend(asked.iter().map(String::as_str));
        let known = server.ask(0, &args, CONNECT_TIMEOUT).ok()?;
        Some(facts.with_commands(&asked, &known))
    });
    let Some(facts) = facts else {
        return (
            json!({"found": true, "path": program, "problem": "it did not start a sandbox (run `redis-lab repl PING` to see why)"}),
            None,
        );
    };
    let value = json!({
        "found": true,
        "path": program,
        "redis_version": facts.redis_version,
        "valkey_version": facts.valkey_version,
        "modules": facts.modules,
        "modules_given": options.modules,
    });
    (value, Some(facts))
}

/// python3 and redis-py, for code exercises.
fn python() -> serde_json::Value {
    let script = "import sys\nprint(sys.version.split()[0])\ntry:\n    import redis\n    print(redis.__version__)\nexcept Exception:\n    print('')\n";
    match output_within("python3".as_ref(), &["-c", script], Duration::from_secs(5)) {
        Some(text) => {
            let mut lines = text.lines();
            let version = lines.next().unwrap_or_default().to_string();
            let redis_py = lines.next().filter(|v| !v.is_empty()).map(str::to_string);
            json!({"found": true, "version": version, "redis_py": redis_py})
        }
        None => json!({"found": false, "version": null, "redis_py": null}),
    }
}

fn data_dir() -> serde_json::Value {
    match crate::progress::data_dir() {
        Ok(dir) => {
            let progress = dir.join("progress.json");
            let saved = std::fs::read_to_string(&progress)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["lessons"].as_object().map(|m| m.len()));
            json!({"dir": dir, "progress_file": progress, "lessons_saved": saved})
        }
        Err(e) => json!({"dir": null, "problem": e.to_string()}),
    }
}

fn terminal() -> serde_json::Value {
    use std::io::IsTerminal;
    let tty = std::io::stdout().is_terminal();
    let width = comfy_table::Table::new().width();
    json!({
        "stdout_is_terminal": tty,
        "colour": colored::control::SHOULD_COLORIZE.should_colorize(),
        "no_color_set": std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        "width": width,
    })
}

fn show(findings: &Findings) {
    let text = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::String(s) => {
                crate::escape::escape_controls(s, crate::escape::Shape::Line).into_owned()
            }
            serde_json::Value::Null => "-".into(),
            other => other.to_string(),
        }
    };
    let s = &findings.server;
    crate::outln!("{}", "Server for the sandbox".bold());
    if s["found"] == json!(true) {
        crate::outln!("  program   {}", text(&s["path"]));
        match &s["redis_version"] {
            serde_json::Value::String(_) => {
                let kind = match &s["valkey_version"] {
                    serde_json::Value::String(v) => {
                        format!("Valkey {v} (reports Redis {})", text(&s["redis_version"]))
                    }
                    _ => format!("Redis {}", text(&s["redis_version"])),
                };
                crate::outln!("  version   {kind}");
                let modules: Vec<String> = s["modules"]
                    .as_array()
                    .map(|m| m.iter().map(text).collect())
                    .unwrap_or_default();
                crate::outln!(
                    "  modules   {}",
                    if modules.is_empty() {
                        "none (bloom, json, time series and search lessons are skipped; --load-module PATH adds one)".to_string()
                    } else {
                        modules.join(", ")
                    }
                );
            }
            _ => crate::outln!("  {}", text(&s["problem"]).yellow()),
        }
    } else {
        crate::outln!("  {}", text(&s["problem"]).yellow());
    }
    if !findings.others.is_empty() {
        crate::outln!(
            "  on PATH   {}",
            findings
                .others
                .iter()
                .map(|o| format!("{} ({})", text(&o["path"]), text(&o["version"])))
                .collect::<Vec<_>>()
                .join(", ")
        );
        crate::outln!("            (use one with --redis-server PATH)");
    }
    let runs = findings.lessons.iter().filter(|(_, s)| s.is_none()).count();
    crate::outln!("{}", "Lessons".bold());
    crate::outln!("  {runs} of {} run here", findings.lessons.len());
    for (id, skipped) in &findings.lessons {
        if let Some(reason) = skipped {
            // Ids and module names come from lesson packs: never raw control characters.
            crate::outln!(
                "  {} {}: {}",
                "skipped".yellow(),
                crate::escape::escape_controls(id, crate::escape::Shape::Line),
                crate::escape::escape_controls(reason, crate::escape::Shape::Line)
            );
        }
    }
    crate::outln!("{}", "Code exercises".bold());
    let p = &findings.python;
    if p["found"] == json!(true) {
        match &p["redis_py"] {
            serde_json::Value::String(v) => {
                crate::outln!("  python3 {} with redis-py {v}", text(&p["version"]))
            }
            _ => crate::outln!(
                "  python3 {}, without redis-py (pip install redis)",
                text(&p["version"])
            ),
        }
    } else {
        crate::outln!(
            "  {}",
            "no python3 on PATH (code exercises need python3 and redis-py)".yellow()
        );
    }
    crate::outln!("{}", "Your progress".bold());
    let d = &findings.data;
    crate::outln!("  data dir  {}", text(&d["dir"]));
    match &d["lessons_saved"] {
        serde_json::Value::Number(n) => crate::outln!(
            "  progress  {} lessons saved in {}",
            n,
            text(&d["progress_file"])
        ),
        _ => crate::outln!("  progress  none saved yet"),
    }
    let t = &findings.terminal;
    crate::outln!("{}", "Terminal".bold());
    crate::outln!(
        "  colour {}{}, width {}",
        if t["colour"] == json!(true) {
            "on"
        } else {
            "off"
        },
        if t["no_color_set"] == json!(true) {
            " (NO_COLOR is set)"
        } else {
            ""
        },
        text(&t["width"])
    );
}
