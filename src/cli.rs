//! Command-line interface definitions.

use crate::render::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "redis-lab",
    version,
    about = "Learn Redis by doing it: guided lessons on a live, real Redis server.",
    long_about = "Learn Redis by doing it: guided lessons on a live, real Redis server.\n\n\
        By default every lesson runs on a private redis-server that redis-lab starts on a free \
        loopback port and stops when it exits. Use --url (or REDIS_URL) to use your own server instead.",
    after_help = "Start with:  redis-lab list   then   redis-lab lesson strings-counters"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// When to use colour (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Extra lesson folder (repeatable); also REDIS_LAB_LESSONS, separated by ':'.
    #[arg(
        long = "lessons",
        value_name = "DIR",
        global = true,
        env = "REDIS_LAB_LESSONS",
        value_delimiter = ':'
    )]
    pub lessons: Vec<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Use an existing server instead of a private sandbox: redis://[user:pass@]host:port[/db],
    /// or rediss://... for TLS. The password may also come from REDISCLI_AUTH.
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub url: Option<String>,

    /// With a rediss:// URL: trust the CA certificate(s) in this PEM file instead of the
    /// system's (for a private CA or a self-signed server certificate).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// With a rediss:// URL: a client certificate (PEM), for servers with tls-auth-clients yes.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// With a rediss:// URL: the private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// With a rediss:// URL: do not verify the server's certificate. For testing only: the
    /// connection is encrypted but anyone in between can read and change it.
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,

    /// The redis-server binary for the sandbox (default: redis-server on PATH).
    #[arg(long, env = "REDIS_LAB_REDIS_SERVER", value_name = "PATH")]
    pub redis_server: Option<PathBuf>,

    /// On a server given with --url: run even in a non-empty database, allow server-wide
    /// commands you type, and run lessons that need Lua scripts (never FLUSHALL or FLUSHDB).
    #[arg(long)]
    pub force: bool,

    /// On a server given with --url: keep the keys and functions the lesson created when you
    /// leave, or after each lesson of `check --run` (by default they are removed).
    #[arg(long)]
    pub keep: bool,

    /// Load a Redis module (.so) into the sandbox, e.g. redisbloom.so (repeatable).
    #[arg(long = "load-module", value_name = "PATH")]
    pub load_modules: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the lessons, grouped by track, with your progress (the default).
    List {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Lint lesson files, and with --run prove each one on a real server.
    #[command(
        after_help = "Without PATH: the built-in lessons, --lessons folders and ./lessons if present.\n\
        With --run, every step's checks must fail before its solution and pass after it."
    )]
    Check {
        /// Lesson files or folders to check.
        paths: Vec<PathBuf>,
        /// Prove each lesson on its own sandbox: checks fail before each solution, pass after.
        #[arg(long)]
        run: bool,
        /// Print JSON for scripts and CI.
        #[arg(long)]
        json: bool,
        /// How many lessons to prove at once (default: the number of cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Lint without starting a server: commands are checked against the list built into the
        /// binary (redis-server 7.0 core commands, no modules) instead of the server's COMMAND INFO.
        #[arg(long, conflicts_with = "run")]
        offline: bool,
        /// With --run: prove only this step (its id, or its number from 1), on a server rebuilt
        /// to that point by the setup and the solutions of the steps before it.
        #[arg(long, value_name = "STEP", requires = "run")]
        step: Option<String>,
        /// Keep watching the lesson files: check (and with --run, prove) a file again each time
        /// it is saved. Ctrl-C ends it.
        #[arg(long)]
        watch: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Write a new lesson file with one working step: lessons/TRACK/ID.yaml
    New {
        /// The lesson id: lowercase letters, digits and dashes.
        id: String,
        /// The track the lesson belongs to.
        #[arg(long, value_enum)]
        track: TrackArg,
        /// The lesson pack folder to write into.
        #[arg(long, default_value = "lessons")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of the lesson format (for editor completion).
    Schema {
        /// The schema of a pack's pack.yaml instead.
        #[arg(long)]
        pack: bool,
    },
    /// Print a shell completion script: subcommands, options, lesson ids, topologies.
    #[command(
        after_help = "Install:  bash: redis-lab completions bash > ~/.local/share/bash-completion/completions/redis-lab\n          \
        zsh:  redis-lab completions zsh > ~/.zfunc/_redis-lab   (with fpath+=~/.zfunc before compinit)\n          \
        fish: redis-lab completions fish > ~/.config/fish/completions/redis-lab.fish\n\
        Lesson ids are those known when the script is made (with --lessons folders too): make it again after adding a pack."
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// What this machine has for redis-lab: the server program and its version, other servers on
    /// PATH, modules, which lessons run here and why others are skipped, Python, your data dir.
    Doctor {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        /// The redis-server binary to examine (default: the one lessons would use).
        #[arg(long, env = "REDIS_LAB_REDIS_SERVER", value_name = "PATH")]
        redis_server: Option<PathBuf>,
        /// A Redis module (.so) lessons would load, e.g. redisbloom.so (repeatable).
        #[arg(long = "load-module", value_name = "PATH")]
        load_modules: Vec<PathBuf>,
    },
    /// Print the man page (or write one page per command into --dir).
    Man {
        /// Write redis-lab.1 and one page per subcommand into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// A Redis shell on a private sandbox (or --url): completion, hints, help, history.
    #[command(
        after_help = "Like redis-cli: `redis-lab repl` is interactive, `redis-lab repl SET k v` runs one command,\n\
        and lines piped on stdin are run in order (pipelined) with redis-cli's output."
    )]
    Repl {
        /// A command to run once instead of a shell.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
        /// Raw output, as redis-cli prints when not on a terminal.
        #[arg(long, conflicts_with = "no_raw")]
        raw: bool,
        /// Terminal output even when stdout is not a terminal.
        #[arg(long)]
        no_raw: bool,
        /// Show field/value replies (HGETALL, CONFIG GET, WITHSCORES) as tables.
        #[arg(long)]
        table: bool,
        /// Connect to the running `redis-lab sandbox up` topology.
        #[arg(long, conflicts_with = "url")]
        sandbox: bool,
        /// With --sandbox: the node to connect to (default: the master, or node-1).
        #[arg(long, requires = "sandbox", value_name = "NAME")]
        node: Option<String>,
        /// Cluster mode: follow MOVED and ASK redirections, like redis-cli -c.
        #[arg(short = 'c', long = "cluster")]
        cluster: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Keep a multi-node topology running for exploration: up, status, down.
    Sandbox {
        #[command(subcommand)]
        action: SandboxAction,
    },
    /// Run a lesson: redis-lab lesson leaderboard
    Lesson {
        /// The lesson id, as shown by `redis-lab list`.
        id: String,
        /// Run every step's solution and verify it (a live demo; exit 1 if a step fails).
        #[arg(long)]
        auto: bool,
        /// Start from the first step instead of resuming.
        #[arg(long)]
        restart: bool,
        /// Reload the lesson when its file changes (for authors; lessons from --lessons folders).
        #[arg(long)]
        watch: bool,
        /// Start at this step (its id, or its number from 1): the server is rebuilt to that point
        /// by the setup and the solutions of the steps before it.
        #[arg(long, value_name = "STEP", conflicts_with = "restart")]
        step: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TrackArg {
    DataStructures,
    Patterns,
    Operations,
}

impl From<TrackArg> for crate::lesson::model::Track {
    fn from(t: TrackArg) -> Self {
        match t {
            TrackArg::DataStructures => Self::DataStructures,
            TrackArg::Patterns => Self::Patterns,
            TrackArg::Operations => Self::Operations,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SandboxAction {
    /// Start a topology and keep it running in this terminal until Ctrl-C or `sandbox down`.
    Up {
        #[arg(value_enum)]
        topology: TopologyArg,
        /// The redis-server binary (default: redis-server on PATH).
        #[arg(long, env = "REDIS_LAB_REDIS_SERVER", value_name = "PATH")]
        redis_server: Option<PathBuf>,
    },
    /// Show the running topology and how to reach each node.
    Status,
    /// Stop the running topology (from any terminal).
    Down,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TopologyArg {
    /// Five independent servers (Redlock).
    Redlock5,
    /// A master and a replica.
    Replica,
    /// A master, a replica and three Sentinels.
    Sentinel,
    /// Three masters and three replicas.
    Cluster,
}

impl From<TopologyArg> for crate::lesson::model::Topology {
    fn from(t: TopologyArg) -> Self {
        match t {
            TopologyArg::Redlock5 => Self::Redlock5,
            TopologyArg::Replica => Self::Replica,
            TopologyArg::Sentinel => Self::Sentinel,
            TopologyArg::Cluster => Self::Cluster,
        }
    }
}
