//! The topologies a lesson can ask for. A file of its own, with no `crate::` path, because
//! build.rs compiles it too (with lesson/model.rs) to check the built-in lessons.

/// Which servers a lesson needs (`requires.topology` in a lesson file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Topology")]
pub enum Kind {
    #[default]
    Single,
    Redlock5,
    Replica,
    Sentinel,
    Cluster,
}
