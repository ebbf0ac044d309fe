//! A lesson pack's `pack.yaml`: its name, who made it, and the order of its lessons. Checked
//! like a lesson: unknown fields, a name that cannot be part of `pack/id`, and lesson ids the
//! folder does not have are errors at file:line:column. `redis-lab schema --pack` prints its
//! JSON Schema (docs/pack.schema.json, `lesson::schema`).

use crate::lesson::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::lesson::loader::{is_valid_id, yaml_diagnostic};
use crate::lesson::model::ID_PATTERN;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A lesson pack: a folder of lessons with a `pack.yaml`.
#[derive(Debug, Clone, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// The pack's name: lowercase letters, digits and dashes. Its lessons are also reachable as
    /// `NAME/ID` (`redis-lab lesson acme-redis/intro`), and progress is kept per pack.
    #[schemars(with = "String", regex(pattern = ID_PATTERN))]
    name: Spanned<String>,
    /// The pack's version, as text (`"1.0"`).
    #[serde(default)]
    pub version: Option<String>,
    /// Who made the pack.
    #[serde(default)]
    pub author: Option<String>,
    /// What the pack teaches, in a sentence.
    #[serde(default)]
    pub description: Option<String>,
    /// Ids of the pack's lessons, in the order to take them; lessons not listed come after.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    lessons: Vec<Spanned<String>>,
}

impl Pack {
    pub fn name(&self) -> &str {
        &self.name.value
    }

    /// The lesson ids in the pack's order.
    pub fn lesson_ids(&self) -> impl Iterator<Item = &str> {
        self.lessons.iter().map(|l| l.value.as_str())
    }

    /// Where in the pack's order the lesson `id` is (None: not listed).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.lesson_ids().position(|l| l == id)
    }

    /// A lesson id `lessons:` lists that is not among `ids` (the folder's lessons), at its line
    /// and column, with the nearest id as a suggestion.
    pub fn unknown_lessons<'a>(
        &self,
        file: &str,
        source: &str,
        ids: impl Iterator<Item = &'a str> + Clone,
    ) -> Vec<Diagnostic> {
        self.lessons
            .iter()
            .filter(|listed| !ids.clone().any(|id| id == listed.value))
            .map(|listed| {
                let at = &listed.referenced;
                let problem = Diagnostic::new(
                    file,
                    source,
                    at.line(),
                    at.column(),
                    format!(
                        "pack.yaml lists lesson `{}`, which this folder does not have",
                        listed.value
                    ),
                );
                match did_you_mean(&listed.value, ids.clone()) {
                    Some(near) => problem.with_help(format!("did you mean `{near}`?")),
                    None => problem.with_help(
                        "list the ids of the lesson files in this folder (`id:` in each file)",
                    ),
                }
            })
            .collect()
    }
}

/// Reads a `pack.yaml`: the pack, or what is wrong with it at file:line:column.
pub fn parse_pack(file: &str, source: &str) -> Result<Pack, Diagnostics> {
    let pack: Pack = serde_saphyr::from_str(source).map_err(|e| {
        let mut problem = yaml_diagnostic(file, source, &e);
        problem.message = format!("invalid pack.yaml: {}", problem.message);
        Diagnostics(vec![problem])
    })?;
    if !is_valid_id(pack.name()) {
        let at = &pack.name.referenced;
        return Err(Diagnostics(vec![
            Diagnostic::new(
                file,
                source,
                at.line(),
                at.column(),
                format!("invalid pack name {:?}", pack.name()),
            )
            .with_help(
                "a pack name is lowercase letters, digits and dashes, like `acme-redis`: lessons \
                 are also named NAME/ID",
            ),
        ]));
    }
    Ok(pack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_reads_its_name_and_order() {
        let pack = parse_pack("pack.yaml", "name: acme\nlessons: [intro, caching]\n").unwrap();
        assert_eq!(pack.name(), "acme");
        assert_eq!(pack.position("caching"), Some(1));
        assert_eq!(pack.position("queues"), None);
    }

    #[test]
    fn unknown_fields_and_bad_names_are_errors_at_their_place() {
        let err = parse_pack("pack.yaml", "name: acme\nlesons: [intro]\n").unwrap_err();
        let d = &err.0[0];
        assert_eq!((d.line, d.column), (2, 1));
        assert_eq!(d.message, "invalid pack.yaml: unknown field `lesons`");
        assert_eq!(d.help.as_deref(), Some("did you mean `lessons`?"));
        let err = parse_pack("pack.yaml", "version: '1'\nname: Acme/Redis\n").unwrap_err();
        let d = &err.0[0];
        assert_eq!(
            (d.line, d.column, d.message.as_str()),
            (2, 7, "invalid pack name \"Acme/Redis\"")
        );
    }

    #[test]
    fn listed_lessons_the_folder_lacks_are_named_with_a_suggestion() {
        let source = "name: acme\nlessons:\n  - intro\n  - cachng\n  - zzz\n";
        let pack = parse_pack("pack.yaml", source).unwrap();
        let ids = ["intro", "caching"];
        let problems = pack.unknown_lessons("pack.yaml", source, ids.iter().copied());
        assert_eq!(problems.len(), 2);
        assert_eq!((problems[0].line, problems[0].column), (4, 5));
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `caching`?"));
        assert!(problems[1].message.contains("`zzz`"));
    }
}
