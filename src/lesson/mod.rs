//! Lessons as data: the format, loading with precise errors, and the catalog.

pub mod catalog;
pub mod constructs;
pub mod diagnostic;
pub mod loader;
pub mod model;
pub mod pack;
pub mod pairs;
pub mod schema;
pub mod shadow;
pub mod template;
pub mod validate;
