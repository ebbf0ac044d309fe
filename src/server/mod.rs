//! Talking to Redis: the sandbox we start, servers we are given, clients and replies.

pub mod backend;
pub mod connection;
pub mod reply;
pub mod resp;
pub mod safety;
pub mod sandbox;
pub mod topology;
pub mod watchdog;
pub mod wire;
