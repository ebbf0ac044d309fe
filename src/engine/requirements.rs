//! Whether a server can run a lesson: Redis version, modules, topology. A lesson whose needs are
//! not met is skipped with the reason and how to fix it, never failed and never passed.

use crate::lesson::model::Requires;
use crate::server::reply::Reply;

/// What the server is, as `INFO server` and `MODULE LIST` describe it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerFacts {
    pub redis_version: String,
    /// Set on Valkey, which reports a Redis-compatible `redis_version` too.
    pub valkey_version: Option<String>,
    pub modules: Vec<String>,
    /// Of the commands a lesson asked about (`requires.commands`), those `COMMAND INFO` knows,
    /// upper-case. None when none were asked.
    pub commands: Option<Vec<String>>,
}

impl ServerFacts {
    pub fn from_replies(info: &Reply, modules: &Reply) -> ServerFacts {
        let info = info.as_text().unwrap_or_default();
        let field = |name: &str| crate::command::info_field(&info, name);
        let names = modules
            .elements()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|module| {
                // Each module is a map (RESP3) or flat pairs (RESP2) with a "name" field.
                let items = module.elements()?;
                items
                    .chunks(2)
                    .find(|pair| pair.len() == 2 && pair[0].as_text().as_deref() == Some("name"))
                    .and_then(|pair| pair[1].as_text())
            })
            .collect();
        ServerFacts {
            redis_version: field("redis_version").unwrap_or_default(),
            valkey_version: field("valkey_version"),
            modules: names,
            commands: None,
        }
    }

    /// Adds what `COMMAND INFO` answered for `asked`: one entry each, nil for a command the
    /// server does not have.
    pub fn with_commands(mut self, asked: &[String], reply: &Reply) -> ServerFacts {
        let entries = reply.elements().unwrap_or_default();
        self.commands = Some(
            asked
                .iter()
                .zip(entries)
                .filter(|(_, entry)| {
                    !matches!(entry, Reply::Nil) && entry.elements().is_some_and(|e| !e.is_empty())
                })
                .map(|(name, _)| name.to_ascii_uppercase())
                .collect(),
        );
        self
    }

    /// The server as people call it: `Valkey 8.1.8` (whose redis_version is 7.2.4), or `Redis 7.4.1`.
    pub fn display(&self) -> String {
        match &self.valkey_version {
            Some(valkey) => format!(
                "Valkey {valkey}, which reports redis_version {}",
                self.redis_version
            ),
            None => format!("Redis {}", self.redis_version),
        }
    }
}

/// Every command the lesson or one of its steps asks the server about, once each.
pub fn required_commands(lesson: &crate::lesson::model::Lesson) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for requires in std::iter::once(&lesson.requires)
        .chain(lesson.steps.iter().filter_map(|s| s.requires.as_ref()))
    {
        for name in &requires.commands {
            let name = name.value.to_ascii_uppercase();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Where a command came from, as Redis's own `COMMAND DOCS` says (`since`), for the commands
/// lessons ask about; seen on Redis 7.4.1.
fn since(command: &str) -> Option<&'static str> {
    match command {
        "HEXPIRE" | "HPEXPIRE" | "HEXPIREAT" | "HPEXPIREAT" | "HTTL" | "HPTTL" | "HPERSIST"
        | "HEXPIRETIME" | "HPEXPIRETIME" => Some("Redis 7.4"),
        _ => None,
    }
}

/// What more a module needs than being loaded, seen on real servers.
fn module_note(module: &str) -> Option<&'static str> {
    match module.to_ascii_lowercase().as_str() {
        "search" => Some(" (RediSearch refuses to load into Redis 7.0: it needs 7.1 or later)"),
        _ => None,
    }
}

fn parse_version(text: &str) -> Option<semver::Version> {
    let mut parts: Vec<&str> = text.trim().split('.').collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    semver::Version::parse(&parts[..3].join(".")).ok()
}

/// Why the lesson cannot run here, with what to do about it; None when it can.
pub fn unmet(requires: &Requires, facts: &ServerFacts) -> Option<String> {
    unmet_for("lesson", requires, facts)
}

/// Like [`unmet`], worded for a single step.
pub fn unmet_step(requires: &Requires, facts: &ServerFacts) -> Option<String> {
    unmet_for("step", requires, facts)
}

/// Where every "this lesson needs ..." message sends the learner for the whole picture.
pub const DOCTOR: &str = " (`redis-lab doctor` shows what this machine has)";

fn unmet_for(what: &str, requires: &Requires, facts: &ServerFacts) -> Option<String> {
    if let Some(req) = &requires.redis {
        let req_text = &req.value;
        match (
            crate::lesson::model::parse_version_req(req_text),
            parse_version(&facts.redis_version),
        ) {
            (Ok(req), Some(version)) if !req.matches(&version) => {
                let on_path = crate::server::sandbox::servers_on_path()
                    .iter()
                    .find(|(_, v)| parse_version(v).is_some_and(|v| req.matches(&v)));
                let how = match on_path {
                    Some((program, version)) => format!(
                        "{} on your PATH is {version}: pass --redis-server {}",
                        program
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        program.display()
                    ),
                    None => "Install a newer redis-server (or point --redis-server at one)".into(),
                };
                return Some(format!(
                    "this {what} needs Redis {req_text}, and the server is {}. {how}{DOCTOR}",
                    facts.display()
                ));
            }
            (Err(e), _) => return Some(e),
            _ => {}
        }
    }
    let missing_commands: Vec<String> = requires
        .commands
        .iter()
        .map(|c| c.value.to_ascii_uppercase())
        .filter(|c| {
            !facts
                .commands
                .as_ref()
                .is_some_and(|known| known.contains(c))
        })
        .collect();
    if !missing_commands.is_empty() {
        let names = missing_commands.join(", ");
        let since: Vec<&str> = missing_commands.iter().filter_map(|c| since(c)).collect();
        let has_it = match since.first() {
            Some(first) => format!(
                " {first} and later have {}.",
                if missing_commands.len() > 1 {
                    "them"
                } else {
                    "it"
                }
            ),
            None => String::new(),
        };
        return Some(format!(
            "this {what} needs the command{} {names}, which the server ({}) does not have (asked with COMMAND INFO).{has_it} \
             Pass --redis-server PATH to a server that has {}{DOCTOR}",
            if missing_commands.len() > 1 { "s" } else { "" },
            facts.display(),
            if missing_commands.len() > 1 {
                "them"
            } else {
                "it"
            },
        ));
    }
    let missing: Vec<&str> = requires
        .modules
        .iter()
        .filter(|m| {
            !facts
                .modules
                .iter()
                .any(|have| have.eq_ignore_ascii_case(m))
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let stack = crate::server::sandbox::servers_on_path()
            .iter()
            .find(|(program, _)| program.ends_with("redis-stack-server"))
            .map(|(program, _)| {
                format!(
                    " (redis-stack-server is on your PATH: pass --redis-server {})",
                    program.display()
                )
            })
            .unwrap_or_default();
        let notes: String = missing.iter().filter_map(|m| module_note(m)).collect();
        return Some(format!(
            "this {what} needs the Redis module{} {}, which the server ({}) does not have. Use Redis 8 or Redis \
             Stack (they include it){stack}, or load it into the sandbox with --load-module PATH/TO/module.so, \
             on Redis or on Valkey (Valkey 8.1 loads the bloom, json, timeseries and search modules){notes}{DOCTOR}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            facts.display(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requires(redis: Option<&str>, modules: &[&str]) -> Requires {
        let yaml = match redis {
            Some(r) => format!("redis: {r:?}\nmodules: {modules:?}\n"),
            None => format!("modules: {modules:?}\n"),
        };
        serde_saphyr::from_str(&yaml).unwrap()
    }

    fn facts(version: &str, modules: &[&str]) -> ServerFacts {
        ServerFacts {
            redis_version: version.into(),
            valkey_version: None,
            modules: modules.iter().map(|m| m.to_string()).collect(),
            commands: None,
        }
    }

    #[test]
    fn a_command_requirement_asks_the_server_not_its_version() {
        let needs: Requires = serde_saphyr::from_str("commands: [hexpire]\n").unwrap();
        let asked = vec!["HEXPIRE".to_string()];
        let known = Reply::Array(vec![Reply::Array(vec![
            Reply::Bulk(b"hexpire".to_vec()),
            Reply::Int(-6),
        ])]);
        let unknown = Reply::Array(vec![Reply::Nil]);
        // A Valkey that has the command runs the step, whatever its redis_version says.
        let mut valkey = facts("7.2.4", &[]);
        valkey.valkey_version = Some("9.0.0".into());
        assert!(unmet(&needs, &valkey.clone().with_commands(&asked, &known)).is_none());
        // Valkey 8.1 without it: the reason names the command, the server and where it comes from.
        valkey.valkey_version = Some("8.1.8".into());
        let reason = unmet(&needs, &valkey.with_commands(&asked, &unknown)).unwrap();
        assert!(reason.contains("HEXPIRE"), "{reason}");
        assert!(
            reason.contains("Valkey 8.1.8, which reports redis_version 7.2.4"),
            "{reason}"
        );
        assert!(reason.contains("Redis 7.4 and later have it"), "{reason}");
        assert!(reason.contains("--redis-server"), "{reason}");
        // Nothing asked (doctor before it knew): not met, never guessed from the version.
        assert!(unmet(&needs, &facts("7.4.1", &[])).is_some());
    }

    #[test]
    fn version_ranges_accept_short_versions() {
        assert!(unmet(&requires(Some(">=7.0"), &[]), &facts("7.0.15", &[])).is_none());
        assert!(
            unmet(&requires(Some(">=7.1"), &[]), &facts("7.0.15", &[]))
                .unwrap()
                .contains("7.0.15")
        );
        assert!(unmet(&requires(Some(">=6.2, <8"), &[]), &facts("8.0.2", &[])).is_some());
    }

    #[test]
    fn missing_modules_are_named_with_how_to_get_them() {
        let reason = unmet(
            &requires(None, &["bf", "ReJSON"]),
            &facts("7.0.15", &["bf"]),
        )
        .unwrap();
        assert!(
            reason.contains("ReJSON") && !reason.contains("bf,"),
            "{reason}"
        );
        assert!(reason.contains("--load-module"), "{reason}");
        assert!(reason.contains("Valkey"), "{reason}");
        let search = unmet(&requires(None, &["search"]), &facts("7.0.15", &[])).unwrap();
        assert!(search.contains("needs 7.1 or later"), "{search}");
        assert!(unmet(&requires(None, &["bf"]), &facts("7.0.15", &["BF"])).is_none());
    }
}
