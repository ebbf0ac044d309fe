//! What the REPL's history file may keep: never a line that carries a password.

use crate::command::secret::carries_secret;
use crate::command::tokenize::split_args;

/// The REPL's meta commands that run the Redis command after them (see `shell::meta`).
const RUNS_A_COMMAND: &[&str] = &[":explain"];

/// Whether a line must stay out of history: the Redis command it runs carries a secret, once
/// the REPL's prefixes (`:explain`) and redis-cli's repeat count (`3 AUTH ...`) are taken off,
/// in any order and any number. Lines that do not parse are kept out too: we cannot tell what
/// they contain.
pub fn is_sensitive(line: &str) -> bool {
    let Ok(mut args) = split_args(line) else {
        return true;
    };
    loop {
        let Some(first) = args.first() else {
            return false;
        };
        let lower = String::from_utf8_lossy(first).to_ascii_lowercase();
        // The shell strips `:explain` as text, so `:explainAUTH pw` runs AUTH too.
        if let Some(prefix) = RUNS_A_COMMAND.iter().find(|p| lower.starts_with(**p)) {
            let rest = first[prefix.len()..].to_vec();
            if rest.is_empty() {
                args.remove(0);
            } else {
                args[0] = rest;
            }
            continue;
        }
        if args.len() > 1 && lower.parse::<u64>().is_ok() {
            args.remove(0);
            continue;
        }
        return carries_secret(&args);
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
            "SET k \"unterminated",
            ":explain AUTH s3cret",
            ":EXPLAIN config set requirepass s3cret",
            ":explain 3 AUTH s3cret",
            "3 :explain AUTH s3cret",
            ":explain :explain AUTH s3cret",
            ":explainAUTH s3cret",
            "  :explain   HELLO 3 AUTH default s3cret",
            "CONFIG SET tls-key-file-pass s3cret",
            "CONFIG SET tls-client-key-file-pass s3cret",
            "CONFIG SET masteruser bob",
            "SENTINEL SET mymaster auth-pass s3cret",
            "sentinel set mymaster auth-user bob",
            "SENTINEL CONFIG SET sentinel-pass s3cret",
            "SENTINEL CONFIG SET sentinel-user bob",
            ":explain SENTINEL SET mymaster auth-pass s3cret",
        ] {
            assert!(is_sensitive(line), "{line}");
        }
        for line in [
            "SET k v",
            "HELLO 3",
            "ACL WHOAMI",
            "CONFIG SET maxmemory 1mb",
            "GET auth",
            "3",
            ":explain",
            ":explain SET k v",
            "5 INCR counter",
            "SENTINEL SET mymaster quorum 2",
            "help AUTH",
        ] {
            assert!(!is_sensitive(line), "{line}");
        }
    }
}
