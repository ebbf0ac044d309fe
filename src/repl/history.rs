//! What the REPL's history file may keep: never a line that carries a password.

use crate::repl::tokenize::split_args;

/// Whether a line must stay out of history. Lines that do not parse are kept out too: we cannot
/// tell what they contain.
pub fn is_sensitive(line: &str) -> bool {
    // `:explain CMD ...` runs CMD: judge the command it runs.
    let line = line.trim_start();
    let line = match line.get(..8) {
        Some(prefix) if prefix.eq_ignore_ascii_case(":explain") => &line[8..],
        _ => line,
    };
    let Ok(args) = split_args(line) else {
        return true;
    };
    // redis-cli's repeat count: `3 AUTH secret`.
    let (_, args) = crate::repl::tokenize::repeat_prefix(args);
    let words: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
        .collect();
    let Some(first) = words.first().map(String::as_str) else {
        return false;
    };
    let second = words.get(1).map(String::as_str).unwrap_or("");
    let has = |w: &str| words.iter().skip(1).any(|x| x == w);
    match first {
        "AUTH" => true,
        "HELLO" => has("AUTH"),
        "ACL" => second == "SETUSER",
        "CONFIG" => {
            second == "SET"
                && words[2..].iter().step_by(2).any(|p| {
                    matches!(
                        p.as_str(),
                        "REQUIREPASS"
                            | "MASTERAUTH"
                            | "MASTERUSER"
                            | "TLS-KEY-FILE-PASS"
                            | "TLS-CLIENT-KEY-FILE-PASS"
                    )
                })
        }
        // Sentinel keeps the master's and the other Sentinels' credentials.
        "SENTINEL" => {
            (second == "SET" && (has("AUTH-PASS") || has("AUTH-USER")))
                || (second == "CONFIG" && (has("SENTINEL-PASS") || has("SENTINEL-USER")))
        }
        "MIGRATE" => has("AUTH") || has("AUTH2"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_history() {
        for line in [
            "AUTH s3cret",
            "auth default s3cret",
            "3 AUTH s3cret",
            "HELLO 3 AUTH default s3cret",
            "ACL SETUSER alice on >s3cret ~* +@all",
            "CONFIG SET requirepass s3cret",
            "config set maxmemory 1mb masterauth s3cret",
            "MIGRATE host 6379 k 0 5000 AUTH s3cret",
            "MIGRATE host 6379 k 0 5000 AUTH2 user s3cret",
            ":explain AUTH s3cret",
            ":EXPLAIN config set requirepass s3cret",
            "CONFIG SET tls-key-file-pass s3cret",
            "CONFIG SET tls-client-key-file-pass s3cret",
            "SENTINEL SET mymaster auth-pass s3cret",
            "sentinel set mymaster auth-user bob",
            "SENTINEL CONFIG SET sentinel-pass s3cret",
            "SET k \"unterminated",
        ] {
            assert!(is_sensitive(line), "{line}");
        }
        for line in [
            "SET k v",
            "HELLO 3",
            "ACL WHOAMI",
            "CONFIG SET maxmemory 1mb",
            "GET auth",
            ":explain SET k v",
            "SENTINEL SET mymaster quorum 2",
        ] {
            assert!(!is_sensitive(line), "{line}");
        }
    }
}
