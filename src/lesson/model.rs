//! The lesson format, version 1, as Rust types. The YAML maps onto these one to one.
//!
//! Every struct rejects unknown fields, so a misspelt field is an error rather than silently ignored.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::borrow::Cow;
use std::fmt;

pub const FORMAT_VERSION: u32 = 1;

/// Lesson and step ids, as [`is_valid_id`] accepts them (the schema tells editors).
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,63}$";

/// A lesson, step or pack id: lowercase letters, digits and dashes, at most 64, not starting
/// with a dash.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// Parses a requirement like `>=7.0` or `>=6.2, <8` (versions may omit minor or patch).
pub fn parse_version_req(text: &str) -> Result<semver::VersionReq, String> {
    semver::VersionReq::parse(text)
        .map_err(|e| format!("invalid Redis version requirement {text:?}: {e}"))
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// The version of the lesson format: 1.
    #[schemars(extend("const" = 1))]
    pub format: u32,
    /// The lesson's id, used by `redis-lab lesson ID`: lowercase letters, digits and dashes.
    #[schemars(with = "String", regex(pattern = ID_PATTERN))]
    pub id: Spanned<String>,
    /// The title shown in `redis-lab list` and at the start of the lesson.
    pub title: String,
    /// The track the lesson is listed under.
    pub track: Track,
    /// Who the lesson is for.
    pub level: Level,
    /// One or two sentences on what the lesson teaches, shown before it starts.
    pub summary: String,
    /// About how long the lesson takes, as text (`10 min`).
    #[serde(default)]
    pub duration: Option<String>,
    /// What the server must have for this lesson: a version, modules, a topology.
    #[serde(default)]
    pub requires: Requires,
    /// Files under the pack's `fixtures/` folder, loaded (pipelined) before the first step.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fixtures: Vec<Spanned<String>>,
    /// Commands run after the fixtures, before the first step.
    #[serde(default)]
    #[schemars(with = "Vec<CommandForm>")]
    pub setup: Vec<Spanned<CommandSpec>>,
    /// The steps, in the order the learner takes them.
    pub steps: Vec<Step>,
    /// Lesson ids to suggest when this one is finished.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub next: Vec<Spanned<String>>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Track {
    DataStructures,
    Patterns,
    Operations,
}

impl Track {
    pub const ALL: [Track; 3] = [Track::DataStructures, Track::Patterns, Track::Operations];

    pub fn as_str(self) -> &'static str {
        match self {
            Track::DataStructures => "data-structures",
            Track::Patterns => "patterns",
            Track::Operations => "operations",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// A version requirement on `redis_version`, such as `">=7.0"`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub redis: Option<Spanned<String>>,
    /// Module names as `MODULE LIST` reports them (`bf`, `ReJSON`, `timeseries`, `search`).
    #[serde(default)]
    pub modules: Vec<String>,
    /// Commands the server must know, asked with `COMMAND INFO` (`HEXPIRE`): the gate for a
    /// feature a version number only stands for. Valkey 8.1 reports `redis_version:7.2.4`
    /// whatever it can do, so ask for the command rather than for a version.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub commands: Vec<Spanned<String>>,
    /// The servers the lesson needs: one (`single`, the default), or several redis-lab starts.
    #[serde(default)]
    pub topology: Topology,
    /// How many client connections the lesson uses at the same time.
    #[serde(default)]
    pub connections: Option<u32>,
    /// Extra `redis-server` arguments for the sandbox: lab settings only (`--maxmemory 2mb`,
    /// `--hash-max-listpack-entries 64`); anything naming a file or loading code is refused.
    #[serde(default)]
    pub server_args: Vec<String>,
    /// The lesson changes server configuration or restarts the server, so it runs only on a
    /// sandbox redis-lab started, never on a server given with --url.
    #[serde(default)]
    pub sandbox: bool,
    /// The lesson runs Lua scripts or functions (EVAL, FCALL, FUNCTION LOAD). A script can reach
    /// every database, so on a server given with --url such a lesson runs only with --force.
    #[serde(default)]
    pub scripts: bool,
}

/// The servers a lesson runs on: the sandbox starts them, so the kinds live with it.
pub use crate::server::topology::Kind as Topology;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The step's id, unique in the lesson: lowercase letters, digits and dashes.
    #[schemars(with = "String", regex(pattern = ID_PATTERN))]
    pub id: Spanned<String>,
    /// The step's title, shown when it starts and in `:list`.
    pub title: String,
    /// The teaching text shown when the step starts.
    #[serde(default)]
    pub explain: String,
    /// What the learner must achieve. A step without a task only demonstrates.
    #[serde(default)]
    pub task: Option<String>,
    /// Which client the learner types as in this step (default `app`).
    #[serde(default)]
    pub client: Option<String>,
    /// The node the learner types to in a multi-node lesson (default: the master, or node-1).
    #[serde(default)]
    pub on: Option<String>,
    /// Commands the lesson runs itself when the step starts (a demonstration, another client's move).
    #[serde(default)]
    #[schemars(with = "Vec<CommandForm>")]
    pub run: Vec<Spanned<CommandSpec>>,
    /// Hints, from a nudge to nearly the answer; each `hint` shows the next one.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub hints: Vec<Spanned<String>>,
    /// Commands that complete the step; `solution` shows them, `skip` and `--auto` run them.
    #[serde(default)]
    #[schemars(with = "Vec<CommandForm>")]
    pub solution: Vec<Spanned<CommandSpec>>,
    /// State checks; the step is done when all of them pass.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Commands the learner must have used in this step (in addition to reaching the state).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub must_use: Vec<Spanned<String>>,
    /// Commands the learner must not use in this step.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub must_not_use: Vec<Spanned<String>>,
    /// At most this many commands in this step ("in one command"): every command sent counts,
    /// reads included; one answered with an error does not.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_commands: Option<Spanned<u32>>,
    /// At most this many commands that write (or run a script) in this step: looking around
    /// with reads is free.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_writes: Option<Spanned<u32>>,
    /// Wrong ways to do the step: each is the lines a learner might type (one line, or a list)
    /// and must leave the step unpassed. `check --run` proves each one from the state before the
    /// step, as it proves the solution, so a check that cannot tell the way matters fails there.
    #[serde(default)]
    #[schemars(with = "Vec<WrongWay>")]
    pub wrong: Vec<Spanned<WrongWay>>,
    /// Shown once the step passes: what just happened and why it matters.
    #[serde(default)]
    pub after: Option<String>,
    /// What this step alone needs (a module, a newer Redis). Where it is missing, the step is
    /// skipped with the reason and the lesson goes on.
    #[serde(default)]
    pub requires: Option<Requires>,
    /// Application code that would send this step's commands, shown as an illustration.
    #[serde(default)]
    pub snippet: Option<Snippet>,
}

/// A wrong way to do a step: lines a learner might type, in order (`DEL lock:1`, or
/// `[GET k, DEL k]`), that must not pass it.
#[derive(Debug, Clone, PartialEq)]
pub struct WrongWay {
    pub lines: Vec<String>,
}

/// Application-side code shown beside a step (illustration only: it is never run).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snippet {
    /// The language, as shown to the learner: `python` (redis-py), `pseudo`, `javascript`...
    pub lang: String,
    /// The code, shown as written.
    pub code: String,
}

/// A command with options (the map form of a command).
// The one definition of the map form: serde derives its parsing (`remote = "Self"` makes the
// derived `CommandSpec::deserialize` an inherent function, which the string-or-map
// `Deserialize` below calls for a map) and schemars its schema (`CommandForm` adds the string
// form), so the schema and the parser cannot disagree.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
#[schemars(rename = "CommandOptions")]
pub struct CommandSpec {
    /// The command: a redis-cli line, or a list of arguments.
    #[serde(default)]
    pub cmd: Option<Args>,
    /// The node that runs it in a multi-node lesson (`master`, `replica`, `sentinel-1`, `node-3`).
    #[serde(default)]
    pub on: Option<String>,
    /// A fault to inject on a node redis-lab started: stop (a crash), start it again, freeze
    /// (SIGSTOP) or thaw it.
    #[serde(default)]
    pub fault: Option<Fault>,
    /// Kill the sandbox server as a crash would and start it again on the same data directory,
    /// with these extra `redis-server` arguments for the new start (persistence lessons; needs
    /// `requires.sandbox`).
    #[serde(default)]
    pub restart: Option<Vec<String>>,
    /// Run the command this many times (`{i}` in an argument becomes 0, 1, 2, ...) and report
    /// how long it took: the engine measures, the learner compares.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub repeat: Option<u32>,
    /// With `repeat`: send all of them in one pipeline instead of one round trip each.
    #[serde(default)]
    pub pipeline: bool,
    /// The client that sends it (default: the step's learner client).
    #[serde(default)]
    pub client: Option<String>,
    /// Pause this long after the command (or, without `cmd`, just pause).
    #[serde(default)]
    pub wait_ms: Option<u64>,
    /// Do not wait for the reply: the command is expected to block until another client acts.
    #[serde(default)]
    pub background: bool,
}

/// A command: a redis-cli line, or a map with options.
// Only the schema of the lesson fields that hold commands; parsing goes through `CommandSpec`'s
// `Deserialize`, which takes the same two forms.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
pub(crate) enum CommandForm {
    /// A command line with redis-cli quoting, e.g. `ZADD board 10 alice`.
    Line(String),
    Options(CommandSpec),
}

/// A fault injected on a node of a multi-node lesson: `fault: {stop: master}`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Kill the node as a crash would.
    Stop(String),
    /// Start a stopped node again, on the same port and data.
    Start(String),
    /// Freeze the node (SIGSTOP): it hangs without dying.
    Pause(String),
    /// Thaw a frozen node (SIGCONT).
    Resume(String),
}

/// Arguments as one redis-cli line, or as a list (handy for Lua scripts in block scalars).
#[derive(Debug, Clone, PartialEq)]
pub enum Args {
    Line(String),
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// A read-only command whose reply is matched. Without a probe, the check matches the
    /// replies the learner got in this step (for tasks that read rather than write).
    #[serde(default)]
    #[schemars(with = "Option<Args>")]
    pub probe: Option<Spanned<Args>>,
    /// Instead of a probe: the messages this subscribed (or MONITOR) client has received, as a
    /// list (pub/sub payloads, or MONITOR lines).
    #[serde(default)]
    pub received: Option<String>,
    /// For a check without a probe: only replies to this command count (e.g. `SADD`).
    #[serde(default)]
    pub reply_of: Option<String>,
    /// The node the probe runs on in a multi-node lesson.
    #[serde(default)]
    pub on: Option<String>,
    /// How the reply is matched, e.g. `{equals: 3}`.
    // Spanned: the lint points at the matcher (a regex error, a boolean where text was meant).
    #[schemars(with = "Matcher")]
    pub expect: Spanned<Matcher>,
    /// The client that runs the probe (default: redis-lab's own observer connection). For a
    /// check without a probe: only this client's replies count.
    #[serde(default)]
    pub client: Option<String>,
    /// Retry the probe until it matches, for at most this long (expiry, eviction, replication).
    #[serde(default)]
    pub poll_ms: Option<u64>,
    /// What the check proves, in the learner's words; shown when it fails.
    #[serde(default)]
    pub label: Option<String>,
    /// A guard protects state that already holds before the step (for example "the TTL was
    /// kept"). It must pass after the solution but is exempt from failing before it. A step
    /// still needs at least one check that is not a guard.
    #[serde(default)]
    pub guard: bool,
}

/// How a probe's reply is matched. Written in map form: `expect: {equals: 3}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Matcher {
    /// The reply equals this value (a number matches an integer reply or a numeric string).
    Equals(Expected),
    /// The reply equals one of these values.
    OneOf(Vec<Expected>),
    /// A string reply contains this text, or an array reply contains these elements.
    Contains(Expected),
    /// An array reply holds exactly these elements, in any order.
    Unordered(Vec<Expected>),
    /// An array reply lists exactly these members, in this order, each alone or first in an entry
    /// of its own (`GEOSEARCH ... WITHDIST` or `WITHCOORD`): what the answer means, whatever
    /// was asked to come with it.
    Members(Vec<Expected>),
    /// A numeric reply within a tolerance of a value.
    Approx(Approx),
    /// A numeric reply within bounds (inclusive).
    Range(Bounds),
    /// A string reply matches this regular expression.
    Matches(String),
    /// `nil: true`: the reply is nil; `nil: false`: anything but nil.
    Nil(bool),
    /// The reply is an error starting with this prefix (`WRONGTYPE`, `ERR value is not`).
    Error(String),
    /// The reply is of this type.
    Type(ReplyType),
    /// The length of an array reply (or of a string reply), exactly or within bounds.
    Length(LengthSpec),
    /// Field/value or member/score pairs, exactly these in any order: `HGETALL` and
    /// `... WITHSCORES` replies, as RESP2 flat arrays or RESP3 maps and pairs alike.
    Pairs(Pairs),
    /// The reply does not match the matcher inside: `not: {contains: spam}`.
    Not(#[schemars(with = "Box<Matcher>")] Box<Spanned<Matcher>>),
    /// The reply matches every one of these matchers.
    AllOf(#[schemars(with = "Vec<Matcher>")] Vec<Spanned<Matcher>>),
    /// The reply matches at least one of these matchers.
    AnyOf(#[schemars(with = "Vec<Matcher>")] Vec<Spanned<Matcher>>),
}

pub use crate::lesson::pairs::Pairs;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approx {
    /// The number the reply should be close to.
    pub value: f64,
    /// Absolute tolerance.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Relative tolerance in percent of `value`.
    #[serde(default)]
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// The smallest value allowed (inclusive).
    #[serde(default)]
    pub min: Option<f64>,
    /// The largest value allowed (inclusive).
    #[serde(default)]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LengthSpec {
    Exactly(u64),
    Within(Bounds),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplyType {
    Nil,
    Integer,
    String,
    Status,
    Error,
    Array,
    Map,
    Set,
    Double,
    Boolean,
}

impl ReplyType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyType::Nil => "nil",
            ReplyType::Integer => "integer",
            ReplyType::String => "string",
            ReplyType::Status => "status",
            ReplyType::Error => "error",
            ReplyType::Array => "array",
            ReplyType::Map => "map",
            ReplyType::Set => "set",
            ReplyType::Double => "double",
            ReplyType::Boolean => "boolean",
        }
    }
}

/// An expected value, as YAML writes it: null, a boolean, a number, a string or a list.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Expected>),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Null => write!(f, "nil"),
            Expected::Bool(b) => write!(f, "{b}"),
            Expected::Int(i) => write!(f, "{i}"),
            Expected::Float(x) => write!(f, "{x}"),
            Expected::Str(s) => write!(f, "{s:?}"),
            Expected::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpectedVisitor;
        impl<'de> Visitor<'de> for ExpectedVisitor {
            type Value = Expected;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number, a boolean, null or a list of those")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Expected, E> {
                Ok(Expected::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Expected, E> {
                Ok(Expected::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Expected, E> {
                Ok(Expected::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Expected, E> {
                Ok(Expected::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Expected, E> {
                i64::try_from(v)
                    .map(Expected::Int)
                    .or(Ok(Expected::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Expected, E> {
                Ok(Expected::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expected, E> {
                Ok(Expected::Str(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Expected, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Expected::List(items))
            }
        }
        deserializer.deserialize_any(ExpectedVisitor)
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command line such as `GET key`, or a list of arguments")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Args, E> {
                Ok(Args::Line(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut items: Vec<String> = Vec::new();
                while let Some(item) = seq.next_element::<ScalarString>()? {
                    items.push(item.0);
                }
                Ok(Args::List(items))
            }
        }
        deserializer.deserialize_any(ArgsVisitor)
    }
}

/// A list argument may be written as a number (`[EXPIRE, k, 60]`); it is sent as its text.
pub(crate) struct ScalarString(pub(crate) String);

impl<'de> Deserialize<'de> for ScalarString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an argument (a string or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarString, E> {
                Err(E::custom(format!(
                    "YAML reads this unquoted word as the boolean {v} (true, false, yes, no, on, \
                     off, y and n all are), not as an argument: put it in quotes"
                )))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for CommandSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = CommandSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command line such as `SET k v`, or a map with `cmd`, `client`, `wait_ms`, `background`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CommandSpec, E> {
                Ok(CommandSpec {
                    cmd: Some(Args::Line(v.to_string())),
                    ..CommandSpec::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CommandSpec, A::Error> {
                // The derived (inherent) deserializer of the map form.
                let m = CommandSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if m.cmd.is_none()
                    && m.wait_ms.is_none()
                    && m.restart.is_none()
                    && m.fault.is_none()
                {
                    return Err(de::Error::custom(
                        "a command needs `cmd` (what to run), `wait_ms` (how long to pause) or `restart`",
                    ));
                }
                if m.repeat.is_some() && m.cmd.is_none() {
                    return Err(de::Error::custom("`repeat` needs a `cmd` to repeat"));
                }
                Ok(m)
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}

impl<'de> Deserialize<'de> for WrongWay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WrongVisitor;
        impl<'de> Visitor<'de> for WrongVisitor {
            type Value = WrongWay;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command line a learner might type (`DEL k`), or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WrongWay, E> {
                Ok(WrongWay {
                    lines: vec![v.to_string()],
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WrongWay, A::Error> {
                let mut lines = Vec::new();
                while let Some(line) = seq.next_element::<String>()? {
                    lines.push(line);
                }
                if lines.is_empty() {
                    return Err(de::Error::custom(
                        "a wrong way needs at least one command line",
                    ));
                }
                Ok(WrongWay { lines })
            }
        }
        deserializer.deserialize_any(WrongVisitor)
    }
}

impl JsonSchema for WrongWay {
    fn schema_name() -> Cow<'static, str> {
        "WrongWay".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A wrong way to do the step: a command line a learner might type, or a list of them in order; it must leave the step unpassed (`check --run` proves it).",
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1}
            ]
        })
    }
}

impl<'de> Deserialize<'de> for LengthSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LenVisitor;
        impl<'de> Visitor<'de> for LenVisitor {
            type Value = LengthSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a length (`3`) or bounds (`{min: 1, max: 100}`)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LengthSpec, E> {
                Ok(LengthSpec::Exactly(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LengthSpec, E> {
                u64::try_from(v)
                    .map(LengthSpec::Exactly)
                    .map_err(|_| E::custom("a length cannot be negative"))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LengthSpec, A::Error> {
                Bounds::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(LengthSpec::Within)
            }
        }
        deserializer.deserialize_any(LenVisitor)
    }
}

impl Lesson {
    pub fn id(&self) -> &str {
        &self.id.value
    }
}

impl Step {
    pub fn id(&self) -> &str {
        &self.id.value
    }

    /// The client the learner types as.
    pub fn learner_client(&self) -> &str {
        self.client.as_deref().unwrap_or(DEFAULT_CLIENT)
    }
}

pub const DEFAULT_CLIENT: &str = "app";

impl JsonSchema for Args {
    fn schema_name() -> Cow<'static, str> {
        "Args".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A redis-cli line, or a list of arguments (no quoting needed).",
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": ["string", "number"]}, "minItems": 1}
            ]
        })
    }
}

impl JsonSchema for Expected {
    fn schema_name() -> Cow<'static, str> {
        "Expected".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An expected value: a string, number, boolean, null, or a list of those.",
            "type": ["string", "number", "boolean", "null", "array"]
        })
    }
}

impl JsonSchema for LengthSpec {
    fn schema_name() -> Cow<'static, str> {
        "LengthSpec".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let bounds = generator.subschema_for::<Bounds>();
        json_schema!({
            "description": "An exact length, or bounds.",
            "oneOf": [{"type": "integer", "minimum": 0}, bounds]
        })
    }
}
