//! The Redis shell pieces shared with the guided lessons.

pub mod docs;
pub mod helper;
pub mod history;
mod pipe;
mod print;
pub mod shell;
