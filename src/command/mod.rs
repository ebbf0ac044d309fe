//! Redis command knowledge that several modules need: one list each, asked by everyone.

pub mod secret;
