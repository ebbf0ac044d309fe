//! redis-lab: learn Redis by doing it. A lesson engine for YAML lessons run against a live Redis.

pub mod app;
pub mod cli;
pub mod command;
pub mod driver;
pub mod engine;
pub mod escape;
pub mod lesson;
pub mod progress;
pub mod render;
pub mod repl;
pub mod server;
pub mod signal;
pub mod terminal;

#[cfg(test)]
mod layers;
