//! Command documentation from the live server's COMMAND DOCS: help text, syntax, and hints that
//! know which arguments are already typed.

use crate::server::reply::Reply;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arg {
    pub name: String,
    /// key, string, integer, double, pattern, unix-time, pure-token, oneof, block.
    pub kind: String,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub children: Vec<Arg>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandDoc {
    /// Upper case: `SET`, `OBJECT ENCODING`.
    pub name: String,
    pub summary: String,
    pub since: String,
    pub group: String,
    pub complexity: String,
    pub args: Vec<Arg>,
    pub subcommands: BTreeMap<String, CommandDoc>,
}

#[derive(Debug, Clone, Default)]
pub struct Docs {
    pub commands: BTreeMap<String, CommandDoc>,
}

fn parse_arg(reply: &Reply) -> Arg {
    let mut arg = Arg::default();
    for (key, value) in reply.named_pairs() {
        match key.as_str() {
            "name" => arg.name = value.as_text().unwrap_or_default(),
            "type" => arg.kind = value.as_text().unwrap_or_default(),
            "token" => arg.token = value.as_text(),
            "flags" => {
                for flag in value.elements().unwrap_or_default() {
                    match flag.as_text().as_deref() {
                        Some("optional") => arg.optional = true,
                        Some("multiple") => arg.multiple = true,
                        _ => {}
                    }
                }
            }
            "arguments" => {
                arg.children = value
                    .elements()
                    .unwrap_or_default()
                    .into_iter()
                    .map(parse_arg)
                    .collect()
            }
            _ => {}
        }
    }
    arg
}

fn parse_command(name: &str, reply: &Reply) -> CommandDoc {
    let mut doc = CommandDoc {
        name: name.replace('|', " ").to_ascii_uppercase(),
        ..CommandDoc::default()
    };
    for (key, value) in reply.named_pairs() {
        let text = || value.as_text().unwrap_or_default();
        match key.as_str() {
            "summary" => doc.summary = text(),
            "since" => doc.since = text(),
            "group" => doc.group = text(),
            "complexity" => doc.complexity = text(),
            "arguments" => {
                doc.args = value
                    .elements()
                    .unwrap_or_default()
                    .into_iter()
                    .map(parse_arg)
                    .collect()
            }
            "subcommands" => {
                for (sub, sub_reply) in value.named_pairs() {
                    let sub_doc = parse_command(&sub, sub_reply);
                    let short = sub.split('|').nth(1).unwrap_or(&sub).to_ascii_uppercase();
                    doc.subcommands.insert(short, sub_doc);
                }
            }
            _ => {}
        }
    }
    doc
}

impl Docs {
    /// From a `COMMAND DOCS` reply (RESP2 flat pairs or a RESP3 map).
    pub fn from_reply(reply: &Reply) -> Docs {
        let commands = reply
            .named_pairs()
            .into_iter()
            .map(|(name, value)| (name.to_ascii_uppercase(), parse_command(&name, value)))
            .collect();
        Docs { commands }
    }

    /// The doc for the command a line starts with, descending into subcommands.
    pub fn lookup(&self, words: &[String]) -> Option<(&CommandDoc, usize)> {
        let first = self.commands.get(&words.first()?.to_ascii_uppercase())?;
        if let Some(sub) = words
            .get(1)
            .and_then(|w| first.subcommands.get(&w.to_ascii_uppercase()))
        {
            return Some((sub, 2));
        }
        Some((first, 1))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.commands.keys().map(String::as_str)
    }

    pub fn group(&self, group: &str) -> Vec<&CommandDoc> {
        let wanted = group.trim_start_matches('@').to_ascii_lowercase();
        self.commands
            .values()
            .filter(|c| c.group == wanted)
            .collect()
    }
}

/// One argument as redis.io writes syntax: `key`, `[NX | XX]`, `EX seconds`, `field value [field value ...]`.
pub fn arg_syntax(arg: &Arg) -> String {
    let inner = match arg.kind.as_str() {
        "pure-token" => arg
            .token
            .clone()
            .unwrap_or_else(|| arg.name.to_ascii_uppercase()),
        "oneof" | "block" => {
            let sep = if arg.kind == "oneof" { " | " } else { " " };
            let children = arg
                .children
                .iter()
                .map(arg_syntax)
                .collect::<Vec<_>>()
                .join(sep);
            match &arg.token {
                Some(token) => format!("{token} {children}"),
                None => children,
            }
        }
        _ => match &arg.token {
            Some(token) => format!("{token} {}", arg.name),
            None => arg.name.clone(),
        },
    };
    let inner = if arg.multiple {
        format!("{inner} [{inner} ...]")
    } else {
        inner
    };
    if arg.optional {
        format!("[{inner}]")
    } else if arg.kind == "oneof" {
        format!("<{inner}>")
    } else {
        inner
    }
}

pub fn syntax(doc: &CommandDoc) -> String {
    let args: Vec<String> = doc.args.iter().map(arg_syntax).collect();
    format!("{} {}", doc.name, args.join(" "))
        .trim_end()
        .to_string()
}

/// What to hint after the words already typed for this command (`typed` excludes the command
/// name). `ends_with_space` says whether the cursor is past the last word.
pub fn hint(doc: &CommandDoc, typed: &[String], ends_with_space: bool) -> Option<String> {
    // Only complete words count; a word being typed is not consumed yet.
    let complete = if ends_with_space || typed.is_empty() {
        typed
    } else {
        &typed[..typed.len() - 1]
    };
    if !ends_with_space && !typed.is_empty() {
        return None; // mid-word: no hint (completion handles it)
    }
    let mut consumed = vec![false; doc.args.len()];
    let mut i = 0;
    let mut awaiting: Option<String> = None;
    'words: while i < complete.len() {
        let word = &complete[i];
        // A token (NX, EX, WITHSCORES...) of an argument not used yet, anywhere in the list.
        for (a, arg) in doc.args.iter().enumerate() {
            if consumed[a] && !arg.multiple {
                continue;
            }
            if let Some(rest) = token_match(arg, word) {
                consumed[a] = true;
                let needed = rest.len();
                if i + needed >= complete.len() {
                    awaiting = Some(rest[complete.len() - i - 1..].join(" "));
                    break 'words;
                }
                i += 1 + needed;
                continue 'words;
            }
        }
        // Otherwise the next positional argument (one without a token) takes the word.
        match doc.args.iter().enumerate().find(|(a, arg)| {
            !consumed[*a] && arg.token.is_none() && arg.kind != "oneof" && arg.kind != "pure-token"
        }) {
            Some((a, arg)) => {
                if !arg.multiple {
                    consumed[a] = true;
                }
                i += arg_width(arg);
            }
            None => i += 1,
        }
    }
    if let Some(values) = awaiting {
        return Some(values);
    }
    let rest: Vec<String> = doc
        .args
        .iter()
        .enumerate()
        .filter(|(a, arg)| !consumed[*a] || arg.multiple)
        .map(|(_, arg)| arg_syntax(arg))
        .collect();
    (!rest.is_empty()).then(|| rest.join(" "))
}

/// If `word` is this argument's token (or a token inside a oneof/block), the value names that
/// follow it.
fn token_match(arg: &Arg, word: &str) -> Option<Vec<String>> {
    if arg
        .token
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(word))
    {
        return Some(match arg.kind.as_str() {
            "pure-token" => Vec::new(),
            "block" => arg.children.iter().map(arg_syntax).collect(),
            _ => vec![arg.name.clone()],
        });
    }
    if arg.kind == "oneof" {
        return arg
            .children
            .iter()
            .find_map(|child| token_match(child, word));
    }
    None
}

/// How many words a positional argument takes (a block of several values takes several).
fn arg_width(arg: &Arg) -> usize {
    if arg.kind == "block" {
        arg.children.len().max(1)
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_doc() -> CommandDoc {
        let pure = |t: &str| Arg {
            name: t.to_lowercase(),
            kind: "pure-token".into(),
            token: Some(t.into()),
            ..Arg::default()
        };
        let valued = |name: &str, t: &str| Arg {
            name: name.into(),
            kind: "integer".into(),
            token: Some(t.into()),
            ..Arg::default()
        };
        CommandDoc {
            name: "SET".into(),
            args: vec![
                Arg {
                    name: "key".into(),
                    kind: "key".into(),
                    ..Arg::default()
                },
                Arg {
                    name: "value".into(),
                    kind: "string".into(),
                    ..Arg::default()
                },
                Arg {
                    name: "condition".into(),
                    kind: "oneof".into(),
                    optional: true,
                    children: vec![pure("NX"), pure("XX")],
                    ..Arg::default()
                },
                Arg {
                    name: "get".into(),
                    kind: "pure-token".into(),
                    token: Some("GET".into()),
                    optional: true,
                    ..Arg::default()
                },
                Arg {
                    name: "expiration".into(),
                    kind: "oneof".into(),
                    optional: true,
                    children: vec![valued("seconds", "EX"), valued("milliseconds", "PX")],
                    ..Arg::default()
                },
            ],
            ..CommandDoc::default()
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn syntax_reads_like_the_docs() {
        assert_eq!(
            syntax(&set_doc()),
            "SET key value [NX | XX] [GET] [EX seconds | PX milliseconds]"
        );
    }

    #[test]
    fn hints_follow_what_is_typed() {
        let doc = set_doc();
        assert_eq!(
            hint(&doc, &[], true).as_deref(),
            Some("key value [NX | XX] [GET] [EX seconds | PX milliseconds]")
        );
        assert_eq!(
            hint(&doc, &words("k"), true).as_deref(),
            Some("value [NX | XX] [GET] [EX seconds | PX milliseconds]")
        );
        assert_eq!(
            hint(&doc, &words("k v EX"), true).as_deref(),
            Some("seconds")
        );
        assert_eq!(
            hint(&doc, &words("k v NX"), true).as_deref(),
            Some("[GET] [EX seconds | PX milliseconds]")
        );
        assert_eq!(hint(&doc, &words("k v"), false), None);
    }
}
