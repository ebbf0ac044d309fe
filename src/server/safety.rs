//! What a lesson may do to a server. A lesson pack is someone else's data: it must not write
//! files on the learner's machine through redis-server, nor touch data on a server that redis-lab
//! did not start. This module is the one place that knows which commands and settings are safe.

use crate::command::name_and_sub;

/// redis-server settings a lesson may pass on its command line (`requires.server_args`, the
/// `restart` verb): lab settings that change how the server behaves, never where it writes,
/// what it loads, or who can reach it.
const LAB_SETTINGS: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-eviction-tenacity",
    "maxmemory-clients",
    "lfu-log-factor",
    "lfu-decay-time",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "list-max-listpack-size",
    "list-max-ziplist-size",
    "list-compress-depth",
    "set-max-intset-entries",
    "set-max-listpack-entries",
    "set-max-listpack-value",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
    "stream-node-max-bytes",
    "stream-node-max-entries",
    "hll-sparse-max-bytes",
    "activerehashing",
    "notify-keyspace-events",
    "appendonly",
    "appendfsync",
    "no-appendfsync-on-rewrite",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "aof-use-rdb-preamble",
    "aof-timestamp-enabled",
    "save",
    "rdbcompression",
    "rdbchecksum",
    "stop-writes-on-bgsave-error",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "hz",
    "dynamic-hz",
    "active-expire-effort",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lua-time-limit",
    "busy-reply-threshold",
    "timeout",
    "tcp-keepalive",
    "maxclients",
    "databases",
    "loglevel",
    "min-replicas-to-write",
    "min-replicas-max-lag",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "repl-backlog-size",
    "repl-timeout",
    "replica-read-only",
    "replica-serve-stale-data",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "client-output-buffer-limit",
];

/// Why a lesson's redis-server arguments are refused, or None if every one is a lab setting.
/// Arguments come as redis-server takes them: `--name value...`, repeated.
pub fn server_args_problem(args: &[String]) -> Option<String> {
    if let Some(first) = args.first()
        && !first.starts_with("--")
    {
        return Some(format!(
            "`{first}` is not a setting: write redis-server arguments as `--name value`"
        ));
    }
    for arg in args {
        if arg.chars().any(char::is_control) {
            return Some(format!(
                "redis-server argument {arg:?} holds a control character (a line break would start \
                 another setting)"
            ));
        }
        let Some(name) = arg.strip_prefix("--") else {
            continue; // a value of the setting before it
        };
        if !LAB_SETTINGS.contains(&name) {
            let why = if file_or_code_setting(name) {
                "it names a file or directory, loads code, or opens the server to others, \
                 and a lesson must never reach outside its sandbox"
            } else {
                "it is not one of the lab settings a lesson may change"
            };
            return Some(format!(
                "redis-server setting `--{name}` is refused: {why} (allowed: maxmemory*, \
                 *-max-listpack-*, notify-keyspace-events, appendonly, appendfsync, save, \
                 slowlog-*, latency-*, hz and the like; see docs/authoring.md)"
            ));
        }
    }
    None
}

/// Settings that name files or directories, load code, enable dangerous commands or change who
/// can connect: never set by a lesson, on any server.
fn file_or_code_setting(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "dir"
            | "dbfilename"
            | "appendfilename"
            | "appenddirname"
            | "logfile"
            | "pidfile"
            | "include"
            | "aclfile"
            | "loadmodule"
            | "rename-command"
            | "enable-protected-configs"
            | "enable-debug-command"
            | "enable-module-command"
            | "cluster-config-file"
            | "bind"
            | "bind-source-addr"
            | "port"
            | "protected-mode"
            | "syslog-enabled"
            | "syslog-ident"
            | "syslog-facility"
            | "sentinel"
            | "replicaof"
            | "slaveof"
    ) || name.starts_with("unixsocket")
        || name.starts_with("tls-")
}

/// Why a CONFIG SET must not run in a lesson (on any server, the sandbox included), or None.
/// Redis 7 protects most of these itself; older servers do not, and a lesson must never be able
/// to point the server's files elsewhere or open it to the network.
pub fn config_set_problem(args: &[Vec<u8>]) -> Option<String> {
    let (name, sub) = name_and_sub(args)?;
    if name != "CONFIG" || sub != "SET" {
        return None;
    }
    args.iter()
        .skip(2)
        .step_by(2)
        .map(|p| String::from_utf8_lossy(p).to_ascii_lowercase())
        .find(|p| file_or_code_setting(p))
        .map(|p| {
            format!(
                "CONFIG SET {p} is refused in lessons: it names a file or directory, loads code, or \
                 opens the server to others, and a lesson never reaches outside its sandbox"
            )
        })
}

/// What a command does beyond the keys of the database it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Reads or writes keys of the current database, or only its own connection.
    Keyspace,
    /// Reads the server without changing it (INFO, CONFIG GET, CLIENT LIST, SLOWLOG GET).
    Introspection,
    /// Deletes data of every database or of a whole database: never on a server we did not start.
    Destroys,
    /// Changes the server for everyone (configuration, replication, other clients, persistence).
    ServerWide,
    /// Reaches another database (SELECT, MOVE, COPY ... DB, MIGRATE).
    OtherDatabase,
    /// Runs a script, which can call any command on any database.
    Script,
    /// A command this table does not know (a module's, a newer Redis's): decided by whether the
    /// server says it has keys.
    Unknown,
}

/// How far a command reaches. Only names and subcommands decide; arguments matter for COPY.
pub fn reach(args: &[Vec<u8>]) -> Reach {
    let Some((name, sub)) = name_and_sub(args) else {
        return Reach::Keyspace;
    };
    let has = |word: &str| {
        args.iter()
            .skip(1)
            .any(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    };
    match name.as_str() {
        "FLUSHALL" | "FLUSHDB" | "SWAPDB" => Reach::Destroys,
        "SCRIPT" if sub == "FLUSH" => Reach::Destroys,
        "FUNCTION" if matches!(sub.as_str(), "FLUSH" | "DELETE" | "RESTORE") => Reach::Destroys,
        "SELECT" | "MOVE" | "MIGRATE" => Reach::OtherDatabase,
        "COPY" if has("DB") => Reach::OtherDatabase,
        "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO" | "FCALL" | "FCALL_RO" => Reach::Script,
        "FUNCTION" if sub == "LOAD" => Reach::Script,
        "SCRIPT" if sub == "LOAD" => Reach::Script,
        "SCRIPT" if sub == "EXISTS" => Reach::Introspection,
        "FUNCTION" if matches!(sub.as_str(), "LIST" | "STATS" | "DUMP" | "HELP") => {
            Reach::Introspection
        }
        "SHUTDOWN" | "DEBUG" | "MODULE" | "REPLICAOF" | "SLAVEOF" | "FAILOVER" | "SAVE"
        | "BGSAVE" | "BGREWRITEAOF" | "SYNC" | "PSYNC" | "REPLCONF" | "SENTINEL" | "SCRIPT"
        | "FUNCTION" | "MONITOR" => Reach::ServerWide,
        "CONFIG" if sub == "GET" => Reach::Introspection,
        "CONFIG" => Reach::ServerWide,
        "ACL"
            if matches!(
                sub.as_str(),
                "WHOAMI" | "CAT" | "HELP" | "DRYRUN" | "USERS" | "GETUSER" | "LIST"
            ) =>
        {
            Reach::Introspection
        }
        "ACL" => Reach::ServerWide,
        "CLIENT" if matches!(sub.as_str(), "KILL" | "PAUSE" | "UNPAUSE" | "UNBLOCK") => {
            Reach::ServerWide
        }
        "CLIENT" => Reach::Keyspace, // its own connection: SETNAME, ID, INFO, LIST, TRACKING...
        "CLUSTER"
            if matches!(
                sub.as_str(),
                "INFO"
                    | "NODES"
                    | "SLOTS"
                    | "SHARDS"
                    | "KEYSLOT"
                    | "MYID"
                    | "COUNTKEYSINSLOT"
                    | "GETKEYSINSLOT"
                    | "REPLICAS"
                    | "LINKS"
                    | "HELP"
            ) =>
        {
            Reach::Introspection
        }
        "CLUSTER" => Reach::ServerWide,
        "SLOWLOG" | "LATENCY" | "MEMORY" | "COMMANDSTATS"
            if matches!(sub.as_str(), "RESET" | "PURGE") =>
        {
            Reach::ServerWide
        }
        "INFO" | "PING" | "ECHO" | "TIME" | "DBSIZE" | "LASTSAVE" | "ROLE" | "COMMAND"
        | "SLOWLOG" | "LATENCY" | "MEMORY" | "LOLWUT" | "PUBSUB" | "OBJECT" => Reach::Introspection,
        // Keyspace commands without keys, transactions, pub/sub and the connection's own state.
        "SCAN" | "KEYS" | "RANDOMKEY" | "MULTI" | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH"
        | "PUBLISH" | "SPUBLISH" | "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "UNSUBSCRIBE"
        | "PUNSUBSCRIBE" | "SUNSUBSCRIBE" | "WAIT" | "WAITAOF" | "READONLY" | "READWRITE"
        | "HELLO" | "QUIT" | "RESET" | "ASKING" => Reach::Keyspace,
        _ => Reach::Unknown,
    }
}

/// The server a command makes this one connect to, as (host, port): REPLICAOF/SLAVEOF,
/// MIGRATE, CLUSTER MEET, SENTINEL MONITOR. A lesson may only point a server at servers
/// redis-lab started; anywhere else would copy the learner's own data in or out.
pub fn network_target(args: &[Vec<u8>]) -> Option<(String, String)> {
    let (name, sub) = name_and_sub(args)?;
    let text = |i: usize| args.get(i).map(|a| String::from_utf8_lossy(a).into_owned());
    let at = |host: usize| Some((text(host)?, text(host + 1).unwrap_or_default()));
    match name.as_str() {
        "REPLICAOF" | "SLAVEOF" if sub == "NO" => None,
        "REPLICAOF" | "SLAVEOF" | "MIGRATE" => at(1),
        "CLUSTER" if sub == "MEET" => at(2),
        "SENTINEL" if sub == "MONITOR" => at(3),
        _ => None,
    }
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Who sends a command in a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The lesson file: setup, fixtures, `run`, solutions and probes. Untrusted.
    Lesson,
    /// What the learner typed.
    Learner,
}

/// What the user allowed on a server redis-lab did not start.
#[derive(Debug, Clone, Copy, Default)]
pub struct External {
    /// `--force`: server-wide commands the learner types, and scripts where the lesson needs them.
    pub force: bool,
    /// The lesson declares `requires.scripts`.
    pub lesson_runs_scripts: bool,
}

/// Why `args` may not run on a server redis-lab did not start, or None if it may.
/// `has_keys` is the server's answer for commands this module does not know.
pub fn external_refusal(
    args: &[Vec<u8>],
    sender: Sender,
    allowed: External,
    has_keys: bool,
) -> Option<String> {
    let (name, sub) = name_and_sub(args)?;
    let full = if sub.is_empty() || !is_container(&name) {
        name.clone()
    } else {
        format!("{name} {sub}")
    };
    let sandbox_hint = "Run without --url to use a private sandbox";
    match (reach(args), sender) {
        (Reach::Keyspace | Reach::Introspection, _) => None,
        (Reach::Unknown, _) if has_keys => None,
        (Reach::Destroys, _) => Some(format!(
            "{full} is refused on a server redis-lab did not start: it would delete data that is not \
             the lesson's. {sandbox_hint}."
        )),
        (Reach::OtherDatabase, Sender::Lesson) => Some(format!(
            "{full} from a lesson is refused on a server redis-lab did not start: the lesson may only \
             use keys of its own database. {sandbox_hint}."
        )),
        // The learner's SELECT is followed, and told where it leads; moving keys needs --force.
        (Reach::OtherDatabase, Sender::Learner) if name == "SELECT" || allowed.force => None,
        (Reach::Script, _) if allowed.force && allowed.lesson_runs_scripts => None,
        (Reach::Script, _) if !allowed.lesson_runs_scripts => Some(format!(
            "{full} is refused on a server redis-lab did not start: this lesson does not declare \
             `requires: {{scripts: true}}`, and a script can reach every database. {sandbox_hint}."
        )),
        (Reach::Script, _) => Some(format!(
            "{full} runs a script, which can call any command on any database of this server, and \
             this server was not started by redis-lab. {sandbox_hint}, or pass --force if this \
             server is yours to change."
        )),
        (Reach::ServerWide, Sender::Learner) if allowed.force => None,
        (Reach::ServerWide | Reach::OtherDatabase, _) => Some(format!(
            "{full} changes the whole server, and this server was not started by redis-lab. \
             {sandbox_hint}{}.",
            if sender == Sender::Learner {
                ", or pass --force if this server is yours to change"
            } else {
                ""
            }
        )),
        (Reach::Unknown, _) => Some(format!(
            "{full} is refused on a server redis-lab did not start: it names no key, so redis-lab \
             cannot tell what it changes. {sandbox_hint}."
        )),
    }
}

fn is_container(name: &str) -> bool {
    matches!(
        name,
        "CONFIG"
            | "CLIENT"
            | "SCRIPT"
            | "FUNCTION"
            | "ACL"
            | "CLUSTER"
            | "MEMORY"
            | "SLOWLOG"
            | "LATENCY"
            | "OBJECT"
            | "COMMAND"
            | "MODULE"
            | "PUBSUB"
            | "XINFO"
            | "XGROUP"
    )
}

/// Why a lesson's command would end the lesson on any server, the sandbox included, or None:
/// it stops the server, or closes the lesson's own connections, so every later command and
/// check only finds the connection lost.
pub fn ends_the_lesson(args: &[Vec<u8>]) -> Option<String> {
    let (name, sub) = name_and_sub(args)?;
    let has_pair = |key: &str, value: &str| {
        args.windows(2).skip(2).any(|pair| {
            pair[0].eq_ignore_ascii_case(key.as_bytes())
                && pair[1].eq_ignore_ascii_case(value.as_bytes())
        })
    };
    match name.as_str() {
        "SHUTDOWN" if sub != "ABORT" => Some(
            "SHUTDOWN stops the server the lesson runs on: every later command and check would \
             only find the connection lost (a lesson restarts its sandbox with `restart:`)"
                .into(),
        ),
        "CLIENT"
            if sub == "KILL"
                && (has_pair("TYPE", "normal")
                    || has_pair("TYPE", "pubsub")
                    || has_pair("SKIPME", "no")) =>
        {
            Some(
                "this CLIENT KILL closes the lesson's own connections too (its clients are normal \
                 connections): the next command and check would only find the connection lost; \
                 kill one connection by its ID or USER instead"
                    .into(),
            )
        }
        _ => None,
    }
}

/// Why a probe is refused, or None. A probe looks at the state; it must not change it. The
/// server's own `readonly` flag (from COMMAND INFO) is passed in for keyspace commands.
pub fn probe_refusal(args: &[Vec<u8>], server_says_readonly: bool) -> Option<String> {
    let (name, sub) = name_and_sub(args)?;
    let shown = if is_container(&name) && !sub.is_empty() {
        format!("{name} {sub}")
    } else {
        name.clone()
    };
    let read_only = server_says_readonly
        || matches!(reach(args), Reach::Introspection)
        || matches!(
            name.as_str(),
            "SCAN" | "KEYS" | "RANDOMKEY" | "EVAL_RO" | "EVALSHA_RO" | "FCALL_RO"
        )
        || (name == "CLIENT"
            && matches!(
                sub.as_str(),
                "LIST" | "INFO" | "ID" | "GETNAME" | "TRACKINGINFO" | "GETREDIR"
            ))
        || (name == "XINFO")
        || (name == "SENTINEL"
            && matches!(
                sub.as_str(),
                "GET-MASTER-ADDR-BY-NAME"
                    | "MASTER"
                    | "MASTERS"
                    | "REPLICAS"
                    | "SLAVES"
                    | "SENTINELS"
                    | "CKQUORUM"
                    | "MYID"
                    | "INFO-CACHE"
            ));
    if read_only {
        None
    } else {
        Some(format!(
            "the probe {shown} is not read-only: a check looks at the state, it never changes it"
        ))
    }
}

/// Commands whose names carry a script or function library, for `requires.scripts`.
pub fn runs_scripts(args: &[Vec<u8>]) -> bool {
    reach(args) == Reach::Script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    fn strings(line: &str) -> Vec<String> {
        line.split(' ').map(String::from).collect()
    }

    #[test]
    fn shutdown_and_killing_the_lessons_own_clients_end_the_lesson() {
        for line in [
            "SHUTDOWN",
            "shutdown NOSAVE",
            "CLIENT KILL TYPE normal",
            "CLIENT KILL USER x SKIPME no",
            "client kill type PUBSUB",
        ] {
            assert!(ends_the_lesson(&args(line)).is_some(), "{line}");
        }
        for line in [
            "SHUTDOWN ABORT",
            "CLIENT KILL ID 7",
            "CLIENT KILL USER worker",
            "CLIENT LIST TYPE normal",
            "SET TYPE normal",
        ] {
            assert!(ends_the_lesson(&args(line)).is_none(), "{line}");
        }
    }

    const PLAIN: External = External {
        force: false,
        lesson_runs_scripts: false,
    };

    #[test]
    fn lessons_cannot_destroy_leave_their_database_or_change_the_server() {
        for line in [
            "flushall",
            "FLUSHDB",
            "SWAPDB 0 1",
            "SELECT 0",
            "MOVE k 0",
            "COPY a b DB 0",
            "MIGRATE h 1 k 0 10",
            "SHUTDOWN NOSAVE",
            "CONFIG SET maxmemory 1mb",
            "DEBUG SLEEP 1",
            "MODULE LOAD /x.so",
            "ACL SETUSER bob on",
            "REPLICAOF h 1",
            "FAILOVER",
            "CLIENT KILL ID 3",
            "CLIENT PAUSE 100",
            "SCRIPT FLUSH",
            "FUNCTION FLUSH",
            "FUNCTION DELETE lib",
            "EVAL return 0",
            "FCALL f 0",
            "FUNCTION LOAD x",
            "BGSAVE",
            "FT.DROPINDEX idx",
        ] {
            assert!(
                external_refusal(&args(line), Sender::Lesson, PLAIN, false).is_some(),
                "{line}"
            );
        }
        for line in [
            "ZADD board 1 a",
            "GET k",
            "CONFIG GET maxmemory",
            "INFO memory",
            "CLIENT SETNAME x",
            "MULTI",
            "SCAN 0",
            "PUBLISH c m",
            "OBJECT ENCODING k",
            "COPY a b",
        ] {
            // `true`: what the server answers for the ones that name keys.
            assert!(
                external_refusal(&args(line), Sender::Lesson, PLAIN, true).is_none(),
                "{line}"
            );
        }
        // A module's command is judged by whether it names keys.
        assert!(external_refusal(&args("BF.ADD f x"), Sender::Lesson, PLAIN, true).is_none());
    }

    #[test]
    fn force_opens_server_wide_commands_to_the_learner_and_scripts_to_lessons_that_need_them() {
        let forced = External {
            force: true,
            lesson_runs_scripts: false,
        };
        let config = args("CONFIG SET maxmemory 1mb");
        assert!(external_refusal(&config, Sender::Learner, PLAIN, false).is_some());
        assert!(external_refusal(&config, Sender::Learner, forced, false).is_none());
        assert!(external_refusal(&config, Sender::Lesson, forced, false).is_some());
        assert!(external_refusal(&args("FLUSHALL"), Sender::Learner, forced, false).is_some());
        let eval = args("EVAL return 0");
        assert!(external_refusal(&eval, Sender::Lesson, forced, false).is_some());
        let scripted = External {
            force: false,
            lesson_runs_scripts: true,
        };
        assert!(external_refusal(&eval, Sender::Lesson, scripted, false).is_some());
        let both = External {
            force: true,
            lesson_runs_scripts: true,
        };
        assert!(external_refusal(&eval, Sender::Lesson, both, false).is_none());
        // The learner may SELECT (redis-lab follows and says so); a lesson may not.
        assert!(external_refusal(&args("SELECT 0"), Sender::Learner, PLAIN, false).is_none());
    }

    #[test]
    fn server_arguments_are_lab_settings_only() {
        assert!(
            server_args_problem(&strings("--maxmemory 2mb --maxmemory-policy allkeys-lru"))
                .is_none()
        );
        assert!(server_args_problem(&strings("--save")).is_none());
        assert!(server_args_problem(&[]).is_none());
        for bad in [
            "--dir /tmp --dbfilename pwned.sh",
            "--enable-protected-configs yes",
            "--enable-debug-command local",
            "--loadmodule /tmp/x.so",
            "--include /etc/redis.conf",
            "--appendonly yes --appendfilename x",
            "--bind 0.0.0.0",
            "--daemonize yes",
            "--unixsocket /tmp/s",
            "--tls-cert-file /x",
            "/etc/passwd",
            "--save 60\ndir /tmp",
        ] {
            assert!(server_args_problem(&strings(bad)).is_some(), "{bad}");
        }
    }

    #[test]
    fn config_set_cannot_name_files_anywhere() {
        assert!(config_set_problem(&args("CONFIG SET dir /tmp")).is_some());
        assert!(config_set_problem(&args("config set hz 20 DBFILENAME x")).is_some());
        assert!(config_set_problem(&args("CONFIG SET bind 0.0.0.0")).is_some());
        assert!(config_set_problem(&args("CONFIG SET maxmemory 1mb")).is_none());
        assert!(config_set_problem(&args("CONFIG GET dir")).is_none());
    }

    #[test]
    fn commands_that_connect_elsewhere_name_their_target() {
        let target = |line: &str| network_target(&args(line));
        assert_eq!(
            target("REPLICAOF 127.0.0.1 6379"),
            Some(("127.0.0.1".into(), "6379".into()))
        );
        assert_eq!(
            target("slaveof 10.0.0.1 1"),
            Some(("10.0.0.1".into(), "1".into()))
        );
        assert_eq!(target("REPLICAOF NO ONE"), None);
        assert_eq!(target("MIGRATE h 7 k 0 10"), Some(("h".into(), "7".into())));
        assert_eq!(
            target("CLUSTER MEET 127.0.0.1 7000"),
            Some(("127.0.0.1".into(), "7000".into()))
        );
        assert_eq!(
            target("SENTINEL MONITOR m 127.0.0.1 6379 2"),
            Some(("127.0.0.1".into(), "6379".into()))
        );
        assert_eq!(target("GET k"), None);
        assert!(is_loopback("127.0.0.1") && is_loopback("localhost") && is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("example.com"));
    }

    #[test]
    fn probes_only_read() {
        assert!(probe_refusal(&args("ZSCORE b a"), true).is_none());
        assert!(probe_refusal(&args("INFO memory"), false).is_none());
        assert!(probe_refusal(&args("CONFIG GET maxmemory"), false).is_none());
        assert!(probe_refusal(&args("CLIENT LIST"), false).is_none());
        for bad in [
            "FLUSHALL",
            "SHUTDOWN NOSAVE",
            "CONFIG SET hz 1",
            "ZREM b a",
            "EVAL x 0",
        ] {
            assert!(probe_refusal(&args(bad), false).is_some(), "{bad}");
        }
    }
}
