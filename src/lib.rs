//! Paperclip's session-compaction decisions, in exact parity with the heartbeat service.
//!
//! [`core`] is pure Rust over an abstract view of JavaScript values; [`binding`] reads live
//! Node-API values for it and builds the answers.

pub mod binding;
pub mod core;
