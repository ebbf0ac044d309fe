//! What the REPL's history file may keep: never a line that carries a password.

use crate::repl::tokenize::split_args;

/// Whether a line must stay out of history. Lines that do not parse are kept out too: we cannot
/// tell what they contain.
pub fn is_sensitive(line: &str) -> bool {
    let Ok(args) = split_args(line) else {
        return true;
    };
    let mut words: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
        .collect();
    // redis-cli's repeat count: `3 AUTH secret`.
    if words.first().is_some_and(|w| w.parse::<u64>().is_ok()) {
        words.remove(0);
    }
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
                && words[2..]
                    .iter()
                    .step_by(2)
                    .any(|p| matches!(p.as_str(), "REQUIREPASS" | "MASTERAUTH" | "MASTERUSER"))
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
        ] {
            assert!(!is_sensitive(line), "{line}");
        }
    }
}
