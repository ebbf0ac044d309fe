//! The JSON Schemas of the two files an author writes, for editors
//! (`# yaml-language-server: $schema=...`): `redis-lab schema` (docs/lesson.schema.json) and
//! `redis-lab schema --pack` (docs/pack.schema.json), derived from the types that parse them.

use schemars::Schema;

/// The schema of a lesson file.
pub fn lesson() -> String {
    text(schemars::schema_for!(crate::lesson::model::Lesson))
}

/// The schema of a pack's `pack.yaml`.
pub fn pack() -> String {
    text(schemars::schema_for!(crate::lesson::pack::Pack))
}

/// A schema as committed: pretty JSON, every property described (for editor hover).
fn text(mut schema: Schema) -> String {
    if let Some(map) = schema.as_object_mut() {
        for child in map.values_mut() {
            describe_variant_keys(child);
        }
    }
    // Serialized as a Schema, so its keywords keep schemars' order.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// A variant of an enum written as a map (`{equals: 3}`, `{stop: master}`) is an object with
/// one property; schemars puts the variant's doc comment on the object. Editors show the
/// property's, so it gets the same text.
fn describe_variant_keys(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let description = map.get("description").cloned();
            if let (Some(description), Some(serde_json::Value::Object(properties))) =
                (description, map.get_mut("properties"))
                && properties.len() == 1
                && let Some(serde_json::Value::Object(only)) = properties.values_mut().next()
            {
                only.entry("description").or_insert(description);
            }
            for child in map.values_mut() {
                describe_variant_keys(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(describe_variant_keys),
        _ => {}
    }
}
