//! The Redis shell pieces shared with the guided lessons.

pub mod tokenize;
