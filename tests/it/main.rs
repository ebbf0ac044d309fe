//! The integration tests, one binary with a module per area (as just does): one link instead
//! of thirteen, and `cargo test --test it AREA` runs one area.

mod common;

mod authoring;
mod cli;
mod constructs;
mod docs;
mod engine;
mod faults;
mod huge_replies;
mod lessons;
mod processes;
mod repl;
mod security;
mod terminal;
mod tls;
mod topology;
mod wire;
