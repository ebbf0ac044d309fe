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
        }
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
                    facts.redis_version
                ));
            }
            (Err(e), _) => return Some(e),
            _ => {}
        }
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
        return Some(format!(
            "this {what} needs the Redis module{} {}, which the server does not have. Use Redis 8 or Redis \
             Stack (they include it){stack}, or load it into the sandbox with --load-module PATH/TO/module.so{DOCTOR}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
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
        }
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
        assert!(unmet(&requires(None, &["bf"]), &facts("7.0.15", &["BF"])).is_none());
    }
}
