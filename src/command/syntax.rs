//! A command's arguments as COMMAND DOCS describes them, and whether a command line fits them:
//! `ZADD k 0 a b 0 c` (a member where a score goes) and `SREM inv:ana` (no member) are caught
//! before anything is sent.
//!
//! The grammar comes from a live server's COMMAND DOCS, or from the table built into the binary
//! (`src/lesson/command_syntax.txt`, written by `scripts/gen_commands.py`) in a compact text:
//! `K` key, `S` string, `I` integer, `D` double, `P` pattern, `T` unix time; `'NX'` a pure token,
//! `'EX'=I` a token and its value; `(a|b)` one of; `{a b}` a block; after an argument, `?`
//! optional, `+` repeated, `&` its token repeats with each value.

use std::collections::BTreeSet;

/// A small sorted set of word positions (most hold one or two: a Vec beats a tree here).
#[derive(Debug, Clone, Default, PartialEq)]
struct Positions(Vec<usize>);

impl Positions {
    fn one(at: usize) -> Positions {
        Positions(vec![at])
    }

    fn insert(&mut self, at: usize) {
        if let Err(i) = self.0.binary_search(&at) {
            self.0.insert(i, at);
        }
    }

    fn extend(&mut self, other: &Positions) {
        for &at in &other.0 {
            self.insert(at);
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, at: usize) -> bool {
        self.0.binary_search(&at).is_ok()
    }

    /// The positions of `self` that `other` lacks.
    fn without(&self, other: &Positions) -> Positions {
        Positions(
            self.0
                .iter()
                .copied()
                .filter(|&at| !other.contains(at))
                .collect(),
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Key,
    Str,
    Int,
    Double,
    Pattern,
    Time,
    /// A word that must be given as is (`NX`); the word is the argument's `token`.
    Token,
    OneOf(Vec<Arg>),
    Block(Vec<Arg>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub kind: Kind,
    /// A word that comes before the value (`EX` of `EX seconds`), or the pure token itself.
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    /// With `multiple`: the token is repeated before every value (`SORT ... GET p GET p`).
    pub multiple_token: bool,
}

impl Arg {
    pub fn new(kind: Kind) -> Arg {
        Arg {
            kind,
            token: None,
            optional: false,
            multiple: false,
            multiple_token: false,
        }
    }
}

/// The arity COMMAND INFO gives: `n` exactly n words (the name included), `-n` at least n.
pub fn arity_problem(arity: i64, words: usize) -> Option<String> {
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    let given = words as i64 - 1;
    if arity > 0 && given != arity - 1 {
        let wanted = arity - 1;
        return Some(format!(
            "takes {wanted} argument{}, this line gives {given}",
            plural(wanted)
        ));
    }
    if arity < 0 && given < -arity - 1 {
        let wanted = -arity - 1;
        return Some(format!(
            "takes at least {wanted} argument{}, this line gives {given}",
            plural(wanted)
        ));
    }
    None
}

/// Parses the compact text of one command's arguments.
pub fn parse(text: &str) -> Result<Vec<Arg>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let args = parse_seq(&chars, &mut at, None)?;
    if at < chars.len() {
        return Err(format!("unexpected `{}` at {at}", chars[at]));
    }
    Ok(args)
}

fn skip_spaces(chars: &[char], at: &mut usize) {
    while chars.get(*at) == Some(&' ') {
        *at += 1;
    }
}

fn parse_seq(chars: &[char], at: &mut usize, until: Option<char>) -> Result<Vec<Arg>, String> {
    let mut args = Vec::new();
    loop {
        skip_spaces(chars, at);
        match chars.get(*at) {
            None => return Ok(args),
            Some(c) if Some(*c) == until => return Ok(args),
            Some('|') if until == Some(')') => return Ok(args),
            Some(_) => args.push(parse_arg(chars, at)?),
        }
    }
}

fn parse_arg(chars: &[char], at: &mut usize) -> Result<Arg, String> {
    let mut arg = if chars.get(*at) == Some(&'\'') {
        let token = parse_token(chars, at)?;
        if chars.get(*at) == Some(&'=') {
            *at += 1;
            let mut value = parse_body(chars, at)?;
            value.token = Some(token);
            value
        } else {
            Arg {
                token: Some(token),
                ..Arg::new(Kind::Token)
            }
        }
    } else {
        parse_body(chars, at)?
    };
    while let Some(c) = chars.get(*at) {
        match c {
            '?' => arg.optional = true,
            '+' => arg.multiple = true,
            '&' => arg.multiple_token = true,
            _ => break,
        }
        *at += 1;
    }
    Ok(arg)
}

fn parse_token(chars: &[char], at: &mut usize) -> Result<String, String> {
    *at += 1;
    let start = *at;
    while chars.get(*at).is_some_and(|c| *c != '\'') {
        *at += 1;
    }
    if *at >= chars.len() {
        return Err("a token without its closing quote".into());
    }
    let token: String = chars[start..*at].iter().collect();
    *at += 1;
    Ok(token)
}

fn parse_body(chars: &[char], at: &mut usize) -> Result<Arg, String> {
    let c = *chars.get(*at).ok_or("an argument is missing")?;
    *at += 1;
    let kind = match c {
        'K' => Kind::Key,
        'S' => Kind::Str,
        'I' => Kind::Int,
        'D' => Kind::Double,
        'P' => Kind::Pattern,
        'T' => Kind::Time,
        '{' => {
            let inner = parse_seq(chars, at, Some('}'))?;
            expect(chars, at, '}')?;
            Kind::Block(inner)
        }
        '(' => {
            let mut choices = Vec::new();
            loop {
                let mut seq = parse_seq(chars, at, Some(')'))?;
                choices.push(if seq.len() == 1 {
                    seq.remove(0)
                } else {
                    Arg::new(Kind::Block(seq))
                });
                match chars.get(*at) {
                    Some('|') => *at += 1,
                    _ => break,
                }
            }
            expect(chars, at, ')')?;
            Kind::OneOf(choices)
        }
        other => return Err(format!("unknown argument type `{other}`")),
    };
    Ok(Arg::new(kind))
}

fn expect(chars: &[char], at: &mut usize, wanted: char) -> Result<(), String> {
    if chars.get(*at) == Some(&wanted) {
        *at += 1;
        Ok(())
    } else {
        Err(format!("`{wanted}` expected at {at}"))
    }
}

/// Where a command line stops fitting its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Index of the word (0 is the command name); equal to the number of words when the line
    /// ends too early.
    pub word: usize,
    /// What would fit there, in words ("a number", "`NX`").
    pub expected: Vec<String>,
}

impl Mismatch {
    /// One sentence: what is wrong, at which word.
    pub fn describe(&self, words: &[Vec<u8>]) -> String {
        let (expected, none_of) = match self.expected.as_slice() {
            [] => (String::new(), ""),
            [one] => (one.clone(), "not "),
            many => (many.join(", "), "none of "),
        };
        match words.get(self.word) {
            None if none_of.starts_with("none") => {
                format!("the line ends where one of {expected} should come")
            }
            None => format!("the line ends where {expected} should come"),
            Some(word) => {
                let word = String::from_utf8_lossy(word);
                if expected.is_empty() {
                    format!("`{word}` (argument {}) is one too many", self.word)
                } else {
                    format!("`{word}` (argument {}) is {none_of}{expected}", self.word)
                }
            }
        }
    }
}

/// Whether `words` (the whole line; `skip` of them are the command's name and subcommand) fit
/// `args`. Matching follows every possible reading at once (sets of positions), so a long line
/// (a fixture's RPUSH of ten thousand items) neither recurses deeply nor backtracks for ever.
pub fn check(args: &[Arg], words: &[Vec<u8>], skip: usize) -> Result<(), Mismatch> {
    let mut matcher = Matcher {
        words,
        furthest: skip,
        expected: BTreeSet::new(),
    };
    let ends = matcher.seq(args, Positions::one(skip));
    if ends.contains(words.len()) {
        return Ok(());
    }
    let last = ends.0.last().copied().unwrap_or(skip);
    let mismatch = if matcher.furthest > last || ends.is_empty() {
        Mismatch {
            word: matcher.furthest,
            expected: matcher.expected.iter().map(|e| e.words()).collect(),
        }
    } else {
        // Everything up to `last` fits and the arguments may end there: the word at `last` is
        // one too many, unless something could also have started there.
        let expected = if matcher.furthest == last {
            matcher.expected.iter().map(|e| e.words()).collect()
        } else {
            Vec::new()
        };
        Mismatch {
            word: last,
            expected,
        }
    };
    Err(mismatch)
}

struct Matcher<'a> {
    words: &'a [Vec<u8>],
    furthest: usize,
    /// What would have fitted at `furthest`: a token (shown in backticks) or a kind's words.
    /// Borrowed, and put in words only when the line does not fit.
    expected: BTreeSet<Expect<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expect<'a> {
    Token(&'a str),
    Kind(&'static str),
}

impl Expect<'_> {
    fn words(self) -> String {
        match self {
            Expect::Token(token) => format!("`{token}`"),
            Expect::Kind(what) => what.to_string(),
        }
    }
}

impl<'a> Matcher<'a> {
    fn fail(&mut self, at: usize, what: Expect<'a>) {
        if at > self.furthest {
            self.furthest = at;
            self.expected.clear();
        }
        if at == self.furthest {
            self.expected.insert(what);
        }
    }

    /// Redis reads a run of optional arguments that each start with their own word (`NX`,
    /// `EX 10`, `MATCH p COUNT n`) in any order, not only in the order the docs list them: such
    /// a run is matched as a set, each member any number of times.
    fn seq(&mut self, args: &'a [Arg], mut starts: Positions) -> Positions {
        let mut i = 0;
        while i < args.len() && !starts.is_empty() {
            let run = args[i..]
                .iter()
                .take_while(|a| a.optional && token_led(a))
                .count();
            if run < 2 {
                starts = self.arg(&args[i], &starts);
                i += 1;
                continue;
            }
            let group = &args[i..i + run];
            let mut all = starts.clone();
            let mut frontier = starts;
            while !frontier.is_empty() {
                let mut next = Positions::default();
                for arg in group {
                    next.extend(&self.occurrences(arg, &frontier, false));
                }
                frontier = next.without(&all);
                all.extend(&frontier);
            }
            starts = all;
            i += run;
        }
        starts
    }

    /// Positions after `arg` (with its flags), from each of `starts`.
    fn arg(&mut self, arg: &'a Arg, starts: &Positions) -> Positions {
        self.occurrences(arg, starts, arg.optional)
    }

    /// `arg` one or more times (if `multiple`), or none at all when `may_skip`.
    fn occurrences(&mut self, arg: &'a Arg, starts: &Positions, may_skip: bool) -> Positions {
        let first = self.once(arg, starts, true);
        let mut all = first.clone();
        if arg.multiple {
            let mut frontier = first;
            while !frontier.is_empty() {
                let next = self.once(arg, &frontier, arg.multiple_token);
                frontier = next.without(&all);
                all.extend(&frontier);
            }
        }
        if may_skip {
            all.extend(starts);
        }
        all
    }

    /// One occurrence: its token (when `with_token`), then its value.
    fn once(&mut self, arg: &'a Arg, starts: &Positions, with_token: bool) -> Positions {
        let mut after_token = Positions::default();
        match (&arg.token, with_token || arg.kind == Kind::Token) {
            (Some(token), true) => {
                for &at in &starts.0 {
                    match self.words.get(at) {
                        Some(word) if word.eq_ignore_ascii_case(token.as_bytes()) => {
                            after_token.insert(at + 1);
                        }
                        _ => self.fail(at, Expect::Token(token)),
                    }
                }
            }
            _ => after_token.clone_from(starts),
        }
        if arg.kind == Kind::Token {
            return after_token;
        }
        self.value(&arg.kind, &after_token)
    }

    fn value(&mut self, kind: &'a Kind, starts: &Positions) -> Positions {
        match kind {
            Kind::Block(args) => self.seq(args, starts.clone()),
            Kind::OneOf(choices) => {
                let mut ends = Positions::default();
                for choice in choices {
                    ends.extend(&self.arg(choice, starts));
                }
                ends
            }
            Kind::Token => starts.clone(),
            simple => {
                let mut ends = Positions::default();
                for &at in &starts.0 {
                    match self.words.get(at) {
                        Some(word) if fits(simple, word) => {
                            ends.insert(at + 1);
                        }
                        _ => self.fail(at, Expect::Kind(describe(simple))),
                    }
                }
                ends
            }
        }
    }
}

/// The arguments as the Redis docs write them: `key [NX|XX] score member [score member ...]`.
pub fn usage(args: &[Arg]) -> String {
    args.iter().map(usage_of).collect::<Vec<_>>().join(" ")
}

fn usage_of(arg: &Arg) -> String {
    let value = match &arg.kind {
        Kind::Key => "key".to_string(),
        Kind::Str => "value".into(),
        Kind::Int => "integer".into(),
        Kind::Double => "number".into(),
        Kind::Pattern => "pattern".into(),
        Kind::Time => "unix-time".into(),
        Kind::Token => String::new(),
        Kind::OneOf(choices) => {
            let inner: Vec<String> = choices.iter().map(usage_of).collect();
            let inner = inner.join("|");
            if arg.optional {
                inner
            } else {
                format!("<{inner}>")
            }
        }
        Kind::Block(args) => usage(args),
    };
    let one = match (&arg.token, value.is_empty()) {
        (Some(token), true) => token.clone(),
        (Some(token), false) => format!("{token} {value}"),
        (None, _) => value,
    };
    let repeated = if arg.multiple {
        let again = if arg.multiple_token || arg.token.is_none() {
            one.clone()
        } else {
            match &arg.kind {
                Kind::Block(args) => usage(args),
                _ => usage_of(&Arg {
                    token: None,
                    ..arg.clone()
                }),
            }
        };
        format!("{one} [{again} ...]")
    } else {
        one
    };
    if arg.optional {
        format!("[{repeated}]")
    } else {
        repeated
    }
}

/// Whether an argument always starts with a word of its own (a token), so that it can be told
/// apart wherever it stands.
fn token_led(arg: &Arg) -> bool {
    arg.token.is_some()
        || match &arg.kind {
            Kind::OneOf(choices) => choices.iter().all(token_led),
            Kind::Block(args) => args.first().is_some_and(|a| !a.optional && token_led(a)),
            _ => false,
        }
}

fn describe(kind: &Kind) -> &'static str {
    match kind {
        Kind::Key => "a key",
        Kind::Str => "a value",
        Kind::Int => "an integer",
        Kind::Double => "a number",
        Kind::Pattern => "a pattern",
        Kind::Time => "a unix time",
        Kind::Token | Kind::OneOf(_) | Kind::Block(_) => "an argument",
    }
}

/// Whether one word can be this kind of value, as the server parses it. A word with the
/// `{i}` of a repeated command is filled in when it runs: any value fits it.
fn fits(kind: &Kind, word: &[u8]) -> bool {
    if matches!(kind, Kind::Key | Kind::Str | Kind::Pattern) {
        return true;
    }
    if word.windows(3).any(|w| w == b"{i}") {
        return true;
    }
    let Ok(text) = std::str::from_utf8(word) else {
        return false;
    };
    match kind {
        // BITFIELD's offsets may be `#N`: N times the width of the type.
        Kind::Int | Kind::Time => {
            let digits = text.strip_prefix('#').unwrap_or(text);
            digits.parse::<i64>().is_ok()
        }
        // Score ranges may be exclusive, `(1.5`, and infinite, `-inf`.
        Kind::Double => {
            let number = text.strip_prefix('(').unwrap_or(text);
            matches!(
                number.to_ascii_lowercase().as_str(),
                "inf" | "+inf" | "-inf"
            ) || number.parse::<f64>().is_ok_and(|f| f.is_finite())
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Vec<Vec<u8>> {
        text.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    const ZADD: &str = "K ('NX'|'XX')? ('GT'|'LT')? 'CH'? 'INCR'? {D S}+";

    #[test]
    fn a_member_where_a_score_goes_is_caught_at_that_word() {
        let zadd = parse(ZADD).unwrap();
        assert_eq!(check(&zadd, &line("ZADD k 0 a 1 b"), 1), Ok(()));
        assert_eq!(check(&zadd, &line("ZADD k NX CH 0 a"), 1), Ok(()));
        let words = line("ZADD k 0 a b 0 c");
        let err = check(&zadd, &words, 1).unwrap_err();
        assert_eq!(err.word, 4);
        assert_eq!(err.describe(&words), "`b` (argument 4) is not a number");
        let words = line("ZADD k 0 a 1");
        let err = check(&zadd, &words, 1).unwrap_err();
        assert_eq!(
            err.describe(&words),
            "the line ends where a value should come"
        );
    }

    #[test]
    fn usage_reads_like_the_docs() {
        assert_eq!(
            usage(&parse(ZADD).unwrap()),
            "key [NX|XX] [GT|LT] [CH] [INCR] number value [number value ...]"
        );
        assert_eq!(usage(&parse("K S+").unwrap()), "key value [value ...]");
    }

    #[test]
    fn tokens_values_and_extra_words() {
        let set =
            parse("K S ('NX'|'XX')? 'GET'? ('EX'=I|'PX'=I|'EXAT'=T|'PXAT'=T|'KEEPTTL')?").unwrap();
        assert_eq!(check(&set, &line("SET k v ex 10"), 1), Ok(()));
        assert_eq!(check(&set, &line("SET k v NX GET KEEPTTL"), 1), Ok(()));
        let words = line("SET k v EX ten");
        assert_eq!(
            check(&set, &words, 1).unwrap_err().describe(&words),
            "`ten` (argument 4) is not an integer"
        );
        // Options in any order, as the server reads them.
        assert_eq!(check(&set, &line("SET k v EX 10 NX"), 1), Ok(()));
        let words = line("SET k v EX 10 5");
        assert_eq!(
            check(&set, &words, 1).unwrap_err().describe(&words),
            "`5` (argument 5) is none of `EX`, `EXAT`, `GET`, `KEEPTTL`, `NX`, `PX`, `PXAT`, `XX`"
        );
        let sort = parse("K 'BY'=P? 'LIMIT'={I I}? 'GET'=P?+& ('ASC'|'DESC')? 'ALPHA'?").unwrap();
        assert_eq!(check(&sort, &line("SORT k GET a GET b ALPHA"), 1), Ok(()));
        assert_eq!(
            check(&sort, &line("SORT k LIMIT 0 x"), 1).unwrap_err().word,
            4
        );
    }

    #[test]
    fn numbers_as_the_server_reads_them_and_repeat_placeholders() {
        assert!(fits(&Kind::Double, b"(1.5") && fits(&Kind::Double, b"-inf"));
        assert!(!fits(&Kind::Double, b"nan") && !fits(&Kind::Double, b"abc"));
        assert!(fits(&Kind::Int, b"#3") && fits(&Kind::Int, b"-1"));
        assert!(!fits(&Kind::Int, b"1.5"));
        assert!(fits(&Kind::Int, b"{i}"));
    }

    #[test]
    fn arity_counts_the_name() {
        assert_eq!(arity_problem(-3, 3), None);
        assert_eq!(
            arity_problem(-3, 2).as_deref(),
            Some("takes at least 2 arguments, this line gives 1")
        );
        assert_eq!(
            arity_problem(2, 3).as_deref(),
            Some("takes 1 argument, this line gives 2")
        );
    }

    /// Ten thousand repetitions: no deep recursion, no blow-up.
    #[test]
    fn a_long_line_is_matched_in_one_pass() {
        let rpush = parse("K S+").unwrap();
        let mut words = line("RPUSH k");
        words.extend((0..10_000).map(|i| i.to_string().into_bytes()));
        assert_eq!(check(&rpush, &words, 1), Ok(()));
    }

    #[test]
    fn the_compact_text_parses() {
        for text in [
            ZADD,
            "K ('GET'={S I}|{'OVERFLOW'=('WRAP'|'SAT'|'FAIL')? ('SET'={S I I}|'INCRBY'={S I I})})?+",
            "K 'NOMKSTREAM'? {('MAXLEN'|'MINID') ('='|'~')? S 'LIMIT'=I?}? ('*'|S) {S S}+",
            "",
        ] {
            parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        assert!(parse("K (").is_err());
    }
}
