//! The `pairs` matcher's value: field/value (or member/score) pairs, as YAML writes a map.

use crate::lesson::model::{Expected, ScalarString};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Pairs in the order written (`{name: Ann, visits: 3}`); the order is not matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairs(pub Vec<(String, Expected)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a map of fields (or members) to values (or scores): `{alice: 10, bob: 20}`",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<ScalarString, Expected>()? {
                    pairs.push((key.0, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

impl JsonSchema for Pairs {
    fn schema_name() -> Cow<'static, str> {
        "Pairs".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let expected = generator.subschema_for::<Expected>();
        json_schema!({
            "description": "Fields (or members) and their values (or scores), in any order.",
            "type": "object",
            "additionalProperties": expected
        })
    }
}
