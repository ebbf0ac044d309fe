//! The lesson engine. It never reads a terminal and never prints: drivers feed it commands and
//! render the events it returns.

pub mod check;
pub mod explain;
pub mod fixtures;
pub mod prove;
pub mod requirements;
pub mod session;
