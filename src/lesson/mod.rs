//! Lessons as data: the format, loading with precise errors, and the catalog.

pub mod catalog;
pub mod constructs;
pub mod diagnostic;
pub mod loader;
pub mod model;
pub mod template;
pub mod validate;
