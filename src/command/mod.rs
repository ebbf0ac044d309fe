//! Redis command knowledge that several modules need: one list each, asked by everyone. This
//! module sits below every other one and depends on none of them.

pub mod secret;
pub mod syntax;
pub mod tokenize;

/// The command's name in upper case (`get` -> `GET`), the form every list here uses.
pub fn name<A: AsRef<[u8]>>(args: &[A]) -> Option<String> {
    Some(String::from_utf8_lossy(args.first()?.as_ref()).to_ascii_uppercase())
}

/// The name and, for container commands, the upper-case subcommand ("" if none).
pub fn name_and_sub<A: AsRef<[u8]>>(args: &[A]) -> Option<(String, String)> {
    let sub = args
        .get(1)
        .map(|a| String::from_utf8_lossy(a.as_ref()).to_ascii_uppercase())
        .unwrap_or_default();
    Some((name(args)?, sub))
}

/// The command names of a lesson rule, upper case: `eval|EVALSHA` is EVAL or EVALSHA
/// (`must_use`, `reply_of`).
pub fn alternatives(names: &str) -> Vec<String> {
    names
        .split('|')
        .map(|name| name.trim().to_ascii_uppercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// After these, a connection only receives (pub/sub messages, MONITOR lines): how many
/// confirmations come first, one per channel or pattern.
pub fn confirmations_before_streaming<A: AsRef<[u8]>>(args: &[A]) -> Option<usize> {
    match name(args)?.as_str() {
        "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" => Some(args.len().saturating_sub(1).max(1)),
        "MONITOR" => Some(1),
        _ => None,
    }
}

/// Whether the command runs a Lua script or a function, which keeps running on the server
/// after the client stops waiting (until SCRIPT KILL or FUNCTION KILL).
pub fn runs_a_script<A: AsRef<[u8]>>(args: &[A]) -> bool {
    name(args).is_some_and(|n| {
        matches!(
            n.as_str(),
            "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO" | "FCALL" | "FCALL_RO"
        )
    })
}

/// Whether a command may be sent again after its connection closed under it: not the ones that
/// can close or stop things themselves (sending those twice could do it twice).
pub fn may_be_resent<A: AsRef<[u8]>>(args: &[A]) -> bool {
    let name = name(args).unwrap_or_default();
    !matches!(
        name.as_str(),
        "CLIENT" | "SHUTDOWN" | "DEBUG" | "QUIT" | "RESET" | "FAILOVER" | "MONITOR"
    ) && !name.contains("SUBSCRIBE")
}

/// One field of an INFO reply (`redis_version:7.0.15` -> `7.0.15`), trimmed.
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .map(|v| v.trim().to_string())
}

/// Where a cluster sends a command: `MOVED 3999 127.0.0.1:6381` or `ASK ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect<'a> {
    /// `MOVED` (the slot lives there now) or `ASK` (this once, during a migration).
    pub kind: &'a str,
    pub slot: &'a str,
    pub address: &'a str,
}

impl Redirect<'_> {
    /// The port of the address, for finding the node among ours.
    pub fn port(&self) -> Option<u16> {
        self.address.rsplit(':').next()?.parse().ok()
    }
}

/// The redirection an error reply carries, if it is one.
pub fn redirect(error: &str) -> Option<Redirect<'_>> {
    let mut words = error.split_whitespace();
    let kind = words.next().filter(|k| *k == "MOVED" || *k == "ASK")?;
    Some(Redirect {
        kind,
        slot: words.next()?,
        address: words.next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn names_are_compared_in_upper_case() {
        assert_eq!(name(&args("get k")).as_deref(), Some("GET"));
        assert_eq!(
            name_and_sub(&args("config set maxmemory 1mb")),
            Some(("CONFIG".into(), "SET".into()))
        );
        assert_eq!(name::<Vec<u8>>(&[]), None);
    }

    #[test]
    fn info_fields_are_found_by_their_whole_name() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n";
        assert_eq!(info_field(info, "redis_version").as_deref(), Some("7.0.15"));
        assert_eq!(
            info_field(info, "redis_mode").as_deref(),
            Some("standalone")
        );
        assert_eq!(info_field(info, "redis"), None);
        assert_eq!(info_field(info, "valkey_version"), None);
    }

    #[test]
    fn redirections_are_read_from_error_replies() {
        let moved = redirect("MOVED 3999 127.0.0.1:6381").unwrap();
        assert_eq!(
            (moved.kind, moved.slot, moved.port()),
            ("MOVED", "3999", Some(6381))
        );
        assert_eq!(redirect("ASK 1 h:7").map(|r| r.kind), Some("ASK"));
        assert_eq!(redirect("ERR MOVED 1 h:1"), None);
        assert_eq!(redirect("MOVED 1"), None);
    }

    #[test]
    fn streaming_scripts_and_resending() {
        assert_eq!(
            confirmations_before_streaming(&args("subscribe a b")),
            Some(2)
        );
        assert_eq!(confirmations_before_streaming(&args("SUBSCRIBE")), Some(1));
        assert_eq!(confirmations_before_streaming(&args("monitor")), Some(1));
        assert_eq!(confirmations_before_streaming(&args("GET k")), None);
        assert!(runs_a_script(&args("fcall f 0")) && runs_a_script(&args("evalsha_ro x 0")));
        assert!(!runs_a_script(&args("SCRIPT KILL")));
        assert!(may_be_resent(&args("GET k")));
        assert!(!may_be_resent(&args("psubscribe a*")) && !may_be_resent(&args("shutdown")));
    }
}
