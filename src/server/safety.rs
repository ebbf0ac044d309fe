//! Commands that must not run on a server redis-lab did not start.

/// Why `args` may not run on someone else's server, or None if it may.
/// FLUSHALL and FLUSHDB are never run there; other server-wide commands need `--force`.
pub fn external_refusal(args: &[Vec<u8>], force: bool) -> Option<String> {
    let name = args
        .first()
        .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())?;
    let sub = args
        .get(1)
        .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
        .unwrap_or_default();
    let never = matches!(name.as_str(), "FLUSHALL" | "FLUSHDB" | "SWAPDB");
    let server_wide = matches!(
        name.as_str(),
        "SHUTDOWN"
            | "DEBUG"
            | "REPLICAOF"
            | "SLAVEOF"
            | "FAILOVER"
            | "MODULE"
            | "SAVE"
            | "BGSAVE"
            | "BGREWRITEAOF"
            | "MIGRATE"
            | "MOVE"
    ) || (name == "CONFIG"
        && matches!(sub.as_str(), "SET" | "REWRITE" | "RESETSTAT"))
        || (name == "SCRIPT" && sub == "FLUSH")
        || (name == "FUNCTION" && matches!(sub.as_str(), "FLUSH" | "DELETE" | "RESTORE"))
        || (name == "ACL" && matches!(sub.as_str(), "SETUSER" | "DELUSER" | "LOAD" | "SAVE"))
        || (name == "CLIENT" && matches!(sub.as_str(), "KILL" | "PAUSE"))
        || (name == "CLUSTER" && matches!(sub.as_str(), "RESET" | "FAILOVER" | "FORGET"));
    if never {
        Some(format!(
            "{name} is refused on a server redis-lab did not start: it would delete data that is not the lesson's. \
             Run without --url to use a private sandbox."
        ))
    } else if server_wide && !force {
        let full = if sub.is_empty() {
            name
        } else {
            format!("{name} {sub}")
        };
        Some(format!(
            "{full} changes the whole server, and this server was not started by redis-lab. \
             Run without --url to use a private sandbox, or pass --force if this server is yours to change."
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn flushes_are_never_allowed_and_config_set_needs_force() {
        assert!(external_refusal(&args("flushall"), true).is_some());
        assert!(external_refusal(&args("FLUSHDB"), true).is_some());
        assert!(external_refusal(&args("CONFIG SET maxmemory 1mb"), false).is_some());
        assert!(external_refusal(&args("CONFIG SET maxmemory 1mb"), true).is_none());
        assert!(external_refusal(&args("CONFIG GET maxmemory"), false).is_none());
        assert!(external_refusal(&args("ZADD board 1 a"), false).is_none());
    }
}
