//! Which Redis commands carry a password. The one list: the REPL's history, the REPL's
//! `:explain` output and anything else that must not repeat a secret ask [`carries_secret`].

/// `CONFIG SET` parameters whose value is a credential (`masteruser`/`primaryuser` name the
/// account the password belongs to; Valkey spells master `primary`).
const CONFIG_SECRETS: &[&str] = &[
    "REQUIREPASS",
    "MASTERAUTH",
    "MASTERUSER",
    "PRIMARYAUTH",
    "PRIMARYUSER",
    "TLS-KEY-FILE-PASS",
    "TLS-CLIENT-KEY-FILE-PASS",
];

/// `SENTINEL SET <master> ...` options: how Sentinel logs in to the master and its replicas.
const SENTINEL_SET_SECRETS: &[&str] = &["AUTH-PASS", "AUTH-USER"];

/// `SENTINEL CONFIG SET ...` parameters: how Sentinels log in to each other.
const SENTINEL_CONFIG_SECRETS: &[&str] = &["SENTINEL-PASS", "SENTINEL-USER"];

/// Whether this Redis command (its name first, no repeat count or REPL prefix) carries a
/// password or the user name that goes with one. Every argument is looked at, not only the
/// usual position: `CONFIG SET maxmemory 1mb requirepass x` sets two parameters, and a false
/// "yes" only keeps a harmless line out of the history.
pub fn carries_secret<A: AsRef<[u8]>>(args: &[A]) -> bool {
    let word = |i: usize| {
        args.get(i)
            .map(|a| String::from_utf8_lossy(a.as_ref()).to_ascii_uppercase())
            .unwrap_or_default()
    };
    let any_after =
        |skip: usize, names: &[&str]| (skip..args.len()).any(|i| names.contains(&word(i).as_str()));
    match word(0).as_str() {
        "AUTH" => true,
        // HELLO [protover [AUTH username password] [SETNAME clientname]]
        "HELLO" => any_after(1, &["AUTH"]),
        // ACL SETUSER name >password #sha256 ...
        "ACL" => word(1) == "SETUSER",
        "CONFIG" => word(1) == "SET" && any_after(2, CONFIG_SECRETS),
        "SENTINEL" => match word(1).as_str() {
            "SET" => any_after(3, SENTINEL_SET_SECRETS),
            "CONFIG" => word(2) == "SET" && any_after(3, SENTINEL_CONFIG_SECRETS),
            _ => false,
        },
        // MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH password | AUTH2 user password]
        "MIGRATE" => any_after(6, &["AUTH", "AUTH2"]),
        _ => false,
    }
}

/// How to show a command that carries a secret: its name (and subcommand) with the rest hidden,
/// `CONFIG SET ****`. None when nothing in it needs hiding.
pub fn redacted<A: AsRef<[u8]>>(args: &[A]) -> Option<String> {
    if !carries_secret(args) {
        return None;
    }
    let name = |a: &A| String::from_utf8_lossy(a.as_ref()).into_owned();
    let keep = match args.first().map(|a| a.as_ref().to_ascii_uppercase()) {
        Some(first) if matches!(first.as_slice(), b"ACL" | b"CONFIG" | b"SENTINEL") => 2,
        _ => 1,
    };
    let kept: Vec<String> = args.iter().take(keep).map(name).collect();
    Some(format!("{} ****", kept.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<&str> {
        line.split_whitespace().collect()
    }

    #[test]
    fn every_command_that_takes_a_password_is_known() {
        for line in [
            "AUTH s3cret",
            "auth default s3cret",
            "HELLO 3 AUTH default s3cret",
            "hello 3 setname x auth default s3cret",
            "ACL SETUSER alice on >s3cret ~* +@all",
            "CONFIG SET requirepass s3cret",
            "config set maxmemory 1mb masterauth s3cret",
            "CONFIG SET masteruser bob",
            "CONFIG SET primaryauth s3cret",
            "CONFIG SET tls-key-file-pass s3cret",
            "CONFIG SET TLS-CLIENT-KEY-FILE-PASS s3cret",
            "SENTINEL SET mymaster auth-pass s3cret",
            "SENTINEL SET mymaster quorum 2 AUTH-USER bob",
            "sentinel config set sentinel-pass s3cret",
            "SENTINEL CONFIG SET resolve-hostnames yes sentinel-user bob",
            "MIGRATE host 6379 k 0 5000 AUTH s3cret",
            "MIGRATE host 6379 '' 0 5000 KEYS a b AUTH2 user s3cret",
        ] {
            assert!(carries_secret(&args(line)), "{line}");
        }
        for line in [
            "SET k v",
            "GET auth",
            "SET requirepass x",
            "HELLO 3",
            "ACL WHOAMI",
            "CONFIG GET requirepass",
            "CONFIG SET maxmemory 1mb",
            "SENTINEL SET mymaster quorum 2",
            "SENTINEL CONFIG GET sentinel-pass",
            "MIGRATE host 6379 auth 0 5000",
            "",
        ] {
            assert!(!carries_secret(&args(line)), "{line}");
        }
    }

    #[test]
    fn a_secret_is_shown_as_the_command_name_only() {
        assert_eq!(redacted(&args("AUTH bob s3cret")).unwrap(), "AUTH ****");
        assert_eq!(
            redacted(&args("config set requirepass s3cret")).unwrap(),
            "config set ****"
        );
        assert_eq!(redacted(&args("SET k v")), None);
    }
}
