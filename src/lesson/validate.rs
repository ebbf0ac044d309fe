//! Lint across lessons: what serde cannot see. Unknown commands (with a did-you-mean), probes
//! that write, ids that do not match their file, unknown `next` lessons, missing fixtures.

use crate::command::syntax::{self, Arg, Kind};
use crate::lesson::catalog::Entry;
use crate::lesson::diagnostic::{Diagnostic, did_you_mean};
use crate::lesson::loader::{MAX_PROBLEMS, args_of, boolean_in, boolean_problem};
use crate::lesson::model::{Args, CommandSpec};
use crate::server::reply::Reply;
use serde_saphyr::{Location, Spanned};
use std::collections::{HashMap, HashSet};

/// Commands the server knows, with whether each writes. Names are lowercase; subcommands are
/// `container|sub` as in COMMAND INFO.
#[derive(Debug, Clone, Default)]
pub struct CommandTable {
    writes: HashMap<String, bool>,
    /// Commands with the COMMAND INFO flag `readonly`.
    readonly: HashSet<String>,
    /// Commands that may block until another client acts (COMMAND INFO flag `blocking`).
    blocking: HashSet<String>,
    /// Commands with subcommands (`object`, `config`): their table keys are `object|encoding`.
    containers: HashSet<String>,
    /// COMMAND INFO's arity of each command (`zadd` -4), the name (and subcommand) included.
    arity: HashMap<String, i64>,
    /// COMMAND DOCS's arguments of each command; a command without them is checked by arity.
    syntax: HashMap<String, Vec<Arg>>,
    /// Where the table came from, for messages: "redis-server 7.0.15" or "built-in list".
    pub source: String,
}

const BUILTIN_COMMANDS: &str = include_str!("commands.txt");
/// Arity and arguments of the same server (scripts/gen_commands.py; the format is described in
/// `command::syntax`).
const BUILTIN_SYNTAX: &str = include_str!("command_syntax.txt");

impl CommandTable {
    /// The list shipped in the binary (from redis-server 7.0.15), for when no server is available.
    pub fn builtin() -> CommandTable {
        let mut table = CommandTable {
            source: BUILTIN_COMMANDS
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# Commands of "))
                .and_then(|l| l.split(" and").next())
                .map_or("the built-in list".to_string(), |from| {
                    format!("the built-in list of {from}")
                }),
            ..CommandTable::default()
        };
        table.add_sentinel();
        for line in BUILTIN_COMMANDS.lines().filter(|l| !l.starts_with('#')) {
            if let Some((name, flags)) = line.split_once(' ') {
                table.insert(name, flags.split(','));
            }
        }
        for line in BUILTIN_SYNTAX.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, ' ');
            let (Some(name), Some(arity)) = (parts.next(), parts.next()) else {
                continue;
            };
            if let Ok(arity) = arity.parse::<i64>()
                && arity != 0
            {
                table.arity.insert(name.to_string(), arity);
            }
            // No arguments listed: the arity alone says what the command takes.
            if let Some(text) = parts.next().filter(|t| !t.is_empty())
                && let Ok(mut args) = syntax::parse(text)
            {
                syntax::as_the_server_reads(name, &mut args);
                table.syntax.insert(name.to_string(), args);
            }
        }
        table
    }

    /// Adds a live server's `COMMAND DOCS` (RESP2 pairs or a RESP3 map): the arguments of each
    /// command, subcommands included.
    pub fn add_docs(&mut self, reply: &Reply) {
        fn arg(reply: &Reply) -> Option<Arg> {
            let mut kind = None;
            let mut token = None;
            let mut flags = Vec::new();
            let mut children = Vec::new();
            for (key, value) in reply.named_pairs() {
                match key.as_str() {
                    "type" => kind = value.as_text(),
                    "token" => token = value.as_text(),
                    "flags" => {
                        flags = value
                            .elements()
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|f| f.as_text())
                            .collect()
                    }
                    "arguments" => {
                        children = value
                            .elements()
                            .unwrap_or_default()
                            .into_iter()
                            .map(arg)
                            .collect::<Option<Vec<_>>>()?
                    }
                    _ => {}
                }
            }
            let kind = match kind?.as_str() {
                "key" => Kind::Key,
                "string" => Kind::Str,
                "integer" => Kind::Int,
                "double" => Kind::Double,
                "pattern" => Kind::Pattern,
                "unix-time" => Kind::Time,
                "pure-token" => Kind::Token,
                "oneof" => Kind::OneOf(children),
                "block" => Kind::Block(children),
                // A type this redis-lab does not know: the command is checked by arity only.
                _ => return None,
            };
            let has = |f: &str| flags.iter().any(|x| x == f);
            Some(Arg {
                kind,
                token,
                optional: has("optional"),
                multiple: has("multiple"),
                multiple_token: has("multiple_token"),
            })
        }
        fn command(table: &mut CommandTable, name: &str, doc: &Reply) {
            // Module commands often document no arguments at all: checked by arity only.
            let mut args: Option<Vec<Arg>> = None;
            for (key, value) in doc.named_pairs() {
                match key.as_str() {
                    "arguments" => {
                        args = value
                            .elements()
                            .unwrap_or_default()
                            .into_iter()
                            .map(arg)
                            .collect()
                    }
                    "subcommands" => {
                        for (sub, sub_doc) in value.named_pairs() {
                            command(table, &sub.to_ascii_lowercase(), sub_doc);
                        }
                    }
                    _ => {}
                }
            }
            match args {
                Some(mut args) if !args.is_empty() => {
                    syntax::as_the_server_reads(name, &mut args);
                    table.syntax.insert(name.to_string(), args)
                }
                _ => table.syntax.remove(name),
            };
        }
        self.syntax.clear();
        for (name, doc) in reply.named_pairs() {
            command(self, &name.to_ascii_lowercase(), doc);
        }
    }

    /// `arguments_problem` for a command line in a hint's prose, where a word in the place of an
    /// integer or a number may be a placeholder (`milliseconds`, `<cursor>`).
    fn hint_problem(&self, key: &str, args: &[Vec<u8>]) -> Option<(String, String)> {
        let skip = if key.contains('|') { 2 } else { 1 };
        if let Some(grammar) = self.syntax.get(key)
            && let Err(mismatch) = syntax::check(grammar, args, skip)
            && let Some(word) = args.get(mismatch.word)
        {
            let word = String::from_utf8_lossy(word);
            let placeholder = word.contains(['<', '>', '…'])
                || (word.len() >= 3
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-'));
            if placeholder {
                return None;
            }
        }
        self.arguments_problem(key, args)
    }

    /// What is wrong with the arguments of a known command: their number (COMMAND INFO's
    /// arity), then their shape (COMMAND DOCS), with the command's usage as help.
    fn arguments_problem(&self, key: &str, args: &[Vec<u8>]) -> Option<(String, String)> {
        let skip = if key.contains('|') { 2 } else { 1 };
        // Words only for a problem: this runs for every line of every fixture.
        let problem = match self
            .arity
            .get(key)
            .and_then(|arity| syntax::arity_problem(*arity, args.len()))
        {
            Some(problem) => format!(" {problem}"),
            None => {
                let mismatch = syntax::check(self.syntax.get(key)?, args, skip).err()?;
                format!(": {}", mismatch.describe(args))
            }
        };
        let shown = key.replace('|', " ").to_ascii_uppercase();
        let help = self.syntax.get(key).map_or_else(String::new, |a| {
            format!(
                "{shown} takes: {}",
                format!("{shown} {}", syntax::usage(a)).trim_end()
            )
        });
        Some((format!("{shown}{problem}"), help))
    }

    /// From a live server's `COMMAND INFO` reply (includes module commands that are loaded).
    pub fn from_command_info(reply: &Reply, version: &str) -> CommandTable {
        let mut table = CommandTable {
            source: format!("redis-server {version}"),
            ..CommandTable::default()
        };
        fn add(table: &mut CommandTable, info: &Reply) {
            let Some(fields) = info.elements() else {
                return;
            };
            let Some(name) = fields.first().and_then(|n| n.as_text()) else {
                return;
            };
            if let Some(arity) = fields.get(1).and_then(|a| a.as_i64()) {
                table.arity.insert(name.to_ascii_lowercase(), arity);
            }
            let flags: Vec<String> = fields
                .get(2)
                .and_then(|f| f.elements())
                .map(|flags| flags.iter().filter_map(|f| f.as_text()).collect())
                .unwrap_or_default();
            table.insert(&name.to_ascii_lowercase(), flags.iter().map(String::as_str));
            if let Some(subs) = fields.get(9).and_then(|s| s.elements()) {
                for sub in subs {
                    add(table, sub);
                }
            }
        }
        for info in reply.elements().unwrap_or_default() {
            add(&mut table, info);
        }
        table.add_sentinel();
        table
    }

    /// SENTINEL exists only on Sentinels, which a plain server's COMMAND INFO does not list.
    fn add_sentinel(&mut self) {
        self.writes.entry("sentinel".into()).or_insert(false);
    }

    /// Records a command (lowercase, `container|sub` for a subcommand) and its flags.
    fn insert<'a>(&mut self, name: &str, flags: impl Iterator<Item = &'a str>) {
        let (mut writes, mut blocking, mut readonly) = (false, false, false);
        for flag in flags {
            writes |= flag == "write";
            blocking |= flag == "blocking";
            readonly |= flag == "readonly";
        }
        if readonly {
            self.readonly.insert(name.to_string());
        }
        if let Some((container, _)) = name.split_once('|') {
            self.containers.insert(container.to_string());
        }
        if blocking {
            self.blocking.insert(name.to_string());
        }
        self.writes.insert(name.to_string(), writes);
    }

    /// The table key for a command line: `zadd`, or `object|encoding` for a container.
    fn key_for(&self, args: &[Vec<u8>]) -> (String, Option<String>) {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        if self.containers.contains(&name) {
            let sub = args
                .get(1)
                .map(|s| format!("{name}|{}", String::from_utf8_lossy(s).to_ascii_lowercase()));
            return (name, sub);
        }
        (name, None)
    }

    /// Whether the server the table describes meets a version requirement (unknown: no).
    pub fn satisfies(&self, requirement: &str) -> bool {
        let version = self.source.rsplit(' ').next().unwrap_or_default();
        let Ok(req) = crate::lesson::model::parse_version_req(requirement) else {
            return false;
        };
        let mut parts: Vec<&str> = version.split('.').collect();
        parts.resize(3, "0");
        semver::Version::parse(&parts[..3].join(".")).is_ok_and(|v| req.matches(&v))
    }

    /// Whether this command may block until another client acts (BLPOP, XREAD BLOCK).
    pub fn may_block(&self, args: &[Vec<u8>]) -> bool {
        let Some(first) = args.first() else {
            return false;
        };
        let name = String::from_utf8_lossy(first).to_ascii_lowercase();
        // WAIT ends by its own timeout, not by another client: it is waited for like any command.
        self.blocking.contains(&name)
    }

    /// Whether this command line writes (its container's subcommand for OBJECT, CONFIG...).
    pub fn writes_command(&self, args: &[Vec<u8>]) -> bool {
        if args.is_empty() {
            return false;
        }
        let (name, sub) = self.key_for(args);
        self.writes
            .get(&sub.unwrap_or(name))
            .copied()
            .unwrap_or(false)
    }

    pub fn knows(&self, name: &str) -> bool {
        self.writes.contains_key(&name.to_ascii_lowercase())
    }

    fn suggest(&self, name: &str) -> Option<String> {
        did_you_mean(
            &name.to_ascii_lowercase(),
            self.writes
                .keys()
                .filter(|k| !k.contains('|'))
                .map(String::as_str),
        )
        .map(|s| s.to_ascii_uppercase())
    }
}

mod fixtures;

struct Linter<'a> {
    entry: &'a Entry,
    table: &'a CommandTable,
    problems: Vec<Diagnostic>,
    /// The current step needs a module or a newer Redis than the command table describes: its
    /// unknown commands may be real, so they are not reported.
    trust_step: bool,
    /// Problems past `MAX_PROBLEMS`, counted but not built (each diagnostic copies its line).
    dropped: usize,
    /// The current step is about an error (a check expects `error:`): a command the server
    /// refuses for its arguments may be the point (`SREM inventory:7` inside MULTI), as
    /// `check --run` accepts a solution command that answers an error in such a step.
    teaches_error: bool,
}

impl Linter<'_> {
    fn at(&mut self, location: &Location, message: String, help: Option<String>) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.dropped += 1;
            return;
        }
        let mut d = Diagnostic::new(
            &self.entry.file,
            &self.entry.source,
            location.line(),
            location.column(),
            message,
        );
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.problems.push(d);
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.dropped += 1;
        } else {
            self.problems.push(diagnostic);
        }
    }

    /// Module commands (`BF.ADD`) are only known when the module is loaded: trust a lesson that
    /// declares modules about its dotted commands.
    fn module_command(&self, name: &str) -> bool {
        self.trust_step || (name.contains('.') && !self.entry.lesson.requires.modules.is_empty())
    }

    fn command(&mut self, args: &Args, location: &Location, probe: bool) {
        let Ok(tokens) = args_of(args) else { return }; // already reported by the loader
        let (name, sub) = self.table.key_for(&tokens);
        let shown = name.to_ascii_uppercase();
        if !self.table.knows(&name) {
            if !self.module_command(&name) {
                let help = self
                    .table
                    .suggest(&name)
                    .map(|s| format!("did you mean {s}?"));
                self.at(
                    location,
                    format!(
                        "unknown Redis command {shown} (checked against {})",
                        self.table.source
                    ),
                    help,
                );
            }
            return;
        }
        if let Some(sub) = &sub
            && !self.table.knows(sub)
        {
            let sub_shown = sub.replace('|', " ").to_ascii_uppercase();
            self.at(location, format!("unknown subcommand {sub_shown}"), None);
            return;
        }
        let key = sub.unwrap_or(name);
        if !self.teaches_error
            && let Some((problem, usage)) = self.table.arguments_problem(&key, &tokens)
        {
            self.at(location, problem, (!usage.is_empty()).then_some(usage));
        }
        if !probe {
            self.server_reach(&tokens, location);
        }
        if probe {
            let readonly = self.table.readonly.contains(&key);
            if let Some(problem) = crate::server::safety::probe_refusal(&tokens, readonly) {
                self.at(
                    location,
                    problem,
                    Some("probes must be read-only (GET, EXISTS, TTL, ZSCORE, INFO, CONFIG GET, ...); redis-lab refuses any other probe when it runs".into()),
                );
            }
        }
    }

    /// A command the lesson sends or the learner is shown typing (`wrong:`) that ends the
    /// lesson on any server (SHUTDOWN, a CLIENT KILL of its own connections), or a CONFIG SET the
    /// safety policy refuses in every lesson.
    fn server_reach(&mut self, tokens: &[Vec<u8>], location: &Location) {
        if let Some(problem) = crate::server::safety::ends_the_lesson(tokens) {
            self.at(location, problem, None);
            return;
        }
        if let Some(problem) = crate::server::safety::config_set_problem(tokens) {
            self.at(location, problem, None);
        }
    }

    fn commands(&mut self, specs: &[Spanned<CommandSpec>]) {
        for spec in specs {
            if let Some(args) = &spec.value.cmd {
                self.command(args, &spec.referenced, false);
            }
        }
    }

    fn command_name(&mut self, name: &Spanned<String>, what: &str) {
        // `EVAL|EVALSHA`: each alternative must be a command.
        for alternative in crate::command::alternatives(&name.value) {
            self.one_command_name(&alternative, name, what);
        }
    }

    fn one_command_name(&mut self, alternative: &str, name: &Spanned<String>, what: &str) {
        let first = alternative.split_whitespace().next().unwrap_or_default();
        // `must_use: [":pipe"]`: the learner sent a batch in one pipeline.
        if first.eq_ignore_ascii_case(":pipe") {
            return;
        }
        if !self.table.knows(first) && !self.module_command(first) {
            let help = self
                .table
                .suggest(first)
                .map(|s| format!("did you mean {s}?"));
            self.at(
                &name.referenced,
                format!(
                    "{what} names an unknown command {}",
                    first.to_ascii_uppercase()
                ),
                help,
            );
        }
    }
}

/// Lints lessons against each other and against a command table.
pub fn lint(entries: &[Entry], all_ids: &HashSet<String>, table: &CommandTable) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    // Duplicates within one folder or pack; across folders, packs and the built-ins an id may
    // repeat, and `shadow::warnings` says which one each name reaches.
    let mut seen: HashMap<(String, Option<String>, &str), &Entry> = HashMap::new();
    for entry in entries {
        let lesson = &entry.lesson;
        let mut linter = Linter {
            entry,
            table,
            problems: Vec::new(),
            trust_step: false,
            dropped: 0,
            teaches_error: false,
        };
        let place = match &entry.origin {
            crate::lesson::catalog::Origin::Builtin => String::new(),
            crate::lesson::catalog::Origin::Folder(dir) => dir.display().to_string(),
        };
        let key = (
            place,
            entry.pack.as_ref().map(|p| p.name().to_string()),
            lesson.id(),
        );
        if let Some(first) = seen.insert(key, entry)
            && !crate::lesson::shadow::same_file(first, entry)
        {
            linter.at(
                &lesson.id.referenced,
                format!(
                    "duplicate lesson id `{}` (also in {})",
                    lesson.id(),
                    first.file
                ),
                None,
            );
        }
        {
            let stem = std::path::Path::new(&entry.file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if stem != lesson.id() {
                linter.at(
                    &lesson.id.referenced,
                    format!(
                        "the id `{}` differs from the file name `{stem}`",
                        lesson.id()
                    ),
                    Some(format!(
                        "rename the file to {}.yaml or the id to `{stem}`",
                        lesson.id()
                    )),
                );
            }
        }
        for next in &lesson.next {
            if !all_ids.contains(&next.value) {
                let help = did_you_mean(&next.value, all_ids.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                linter.at(
                    &next.referenced,
                    format!("`next` names an unknown lesson `{}`", next.value),
                    help,
                );
            }
        }
        if let Some(req) = &lesson.requires.redis
            && let Err(e) = crate::lesson::model::parse_version_req(&req.value)
        {
            linter.at(
                &req.referenced,
                e,
                Some("write a range such as \">=7.0\" or \">=6.2, <8\"".into()),
            );
        }
        // A lesson for a newer Redis than the table describes may use commands it does not list.
        let trust_lesson = lesson
            .requires
            .redis
            .as_ref()
            .is_some_and(|req| !table.satisfies(&req.value))
            || lesson
                .requires
                .commands
                .iter()
                .any(|c| !table.knows(&c.value));
        linter.trust_step = trust_lesson;
        for fixture in &lesson.fixtures {
            match entry.fixture(&fixture.value) {
                Err(e) => linter.at(&fixture.referenced, e.to_string(), None),
                Ok(bytes) => linter.fixture_lines(&fixture.value, &bytes),
            }
        }
        linter.commands(&lesson.setup);
        for step in &lesson.steps {
            linter.trust_step = trust_lesson
                || step.requires.as_ref().is_some_and(|r| {
                    !r.modules.is_empty()
                        // Asked of the server: a command this table lacks may be real there.
                        || r.commands.iter().any(|c| !table.knows(&c.value))
                        || r.redis
                            .as_ref()
                            .is_some_and(|req| !table.satisfies(&req.value))
                });
            linter.teaches_error = step
                .checks
                .iter()
                .any(|c| matches!(c.expect.value, crate::lesson::model::Matcher::Error(_)));
            linter.commands(&step.run);
            linter.commands(&step.solution);
            for check in &step.checks {
                if let Some(probe) = &check.probe {
                    linter.command(&probe.value, &probe.referenced, true);
                }
                if let Some((key, value)) = boolean_in(&check.expect.value) {
                    linter.push(boolean_problem(
                        &entry.file,
                        &entry.source,
                        check,
                        key,
                        value,
                    ));
                }
            }
            for way in &step.wrong {
                for line in &way.value.lines {
                    // As the learner types it: `25 INCR k` is INCR, repeated.
                    let Ok(args) = crate::command::tokenize::split_args(line) else {
                        continue; // reported by the loader
                    };
                    let (_, mut args) = crate::command::tokenize::repeat_prefix(args);
                    // `:pipe N CMD` / `:time N CMD`: the command is what is linted.
                    if matches!(args.first().map(Vec::as_slice), Some(b":pipe" | b":time")) {
                        args.drain(..args.len().min(2));
                    }
                    if args.is_empty() {
                        continue;
                    }
                    let words = args
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    linter.command(&Args::List(words), &way.referenced, false);
                }
            }
            for name in step.must_use.iter().chain(&step.must_not_use) {
                linter.command_name(name, "must_use/must_not_use");
            }
            for hint in &step.hints {
                // A command line in a hint is linted like a solution's. Prose also names a
                // command alone (`CONFIG GET` with the two names) or shows its form with
                // placeholders (`PEXPIRE key milliseconds`, `SCAN <cursor>`): those are left be.
                for code in backticked_code(&hint.value) {
                    if let Ok(args) = crate::command::tokenize::split_args(code)
                        && !args.is_empty()
                        && table.knows(&String::from_utf8_lossy(&args[0]))
                        && !linter.teaches_error
                    {
                        let (name, sub) = table.key_for(&args);
                        let named = if sub.is_some() { 2 } else { 1 };
                        let key = sub.unwrap_or(name);
                        if args.len() > named
                            && table.knows(&key)
                            && let Some((problem, usage)) = table.hint_problem(&key, &args)
                        {
                            linter.at(
                                &hint.referenced,
                                format!("the hint's `{code}`: {problem}"),
                                (!usage.is_empty()).then_some(usage),
                            );
                        }
                    }
                }
                for word in backticked_commands(&hint.value) {
                    // Options such as WITHSCORES are not commands: only a near-miss is a typo.
                    if !table.knows(&word)
                        && !linter.module_command(&word)
                        && let Some(suggestion) = table.suggest(&word)
                    {
                        linter.at(
                            &hint.referenced,
                            format!("the hint mentions an unknown command {word}"),
                            Some(format!("did you mean {suggestion}?")),
                        );
                    }
                }
            }
        }
        if linter.dropped > 0 {
            linter.problems.push(Diagnostic::new(
                &entry.file,
                &entry.source,
                0,
                0,
                format!(
                    "stopped after {MAX_PROBLEMS} problems ({} more not shown): fix these, then check again",
                    linter.dropped
                ),
            ));
        }
        problems.extend(linter.problems);
    }
    problems
}

/// Upper-case words that start a `code span` in prose: the commands a hint tells you to type.
fn backticked_commands(text: &str) -> Vec<String> {
    backticked_code(text)
        .into_iter()
        .filter_map(|code| code.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The code spans of prose that look like command lines: an upper-case first word and arguments.
fn backticked_code(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        // A lone word (`WRITE`, `WITHSCORES`) is usually an option; a command comes with arguments.
        .filter(|code| code.split_whitespace().count() >= 2)
        .filter(|code| {
            code.split_whitespace().next().is_some_and(|w| {
                w.len() >= 3
                    && w.chars()
                        .all(|c| c.is_ascii_uppercase() || c == '.' || c == '_')
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_knows_commands_and_which_write() {
        let table = CommandTable::builtin();
        assert!(table.knows("ZADD") && table.knows("object|encoding"));
        assert_eq!(table.writes.get("zadd"), Some(&true));
        assert_eq!(table.writes.get("get"), Some(&false));
        assert_eq!(table.suggest("ZADDD").as_deref(), Some("ZADD"));
        assert!(table.may_block(&[b"BLPOP".to_vec(), b"jobs".to_vec(), b"0".to_vec()]));
        assert!(!table.may_block(&[b"LPOP".to_vec(), b"jobs".to_vec()]));
        assert!(table.writes_command(&[b"XGROUP".to_vec(), b"CREATE".to_vec()]));
        assert!(!table.writes_command(&[b"OBJECT".to_vec(), b"ENCODING".to_vec()]));
        assert!(
            table
                .source
                .starts_with("the built-in list of redis-server"),
            "{}",
            table.source
        );
    }

    #[test]
    fn commands_in_hints_are_found_in_code_spans() {
        assert_eq!(
            backticked_commands("Try `ZADD k 1 m` then `ZRANGE k 0 -1`, not `key` or `WRITE`."),
            vec!["ZADD", "ZRANGE"]
        );
    }
}
