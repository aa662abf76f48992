//! The audit's input: where a history's bytes come from and how they reach an auditor. A
//! [`Source`] is opened when the audit is asked for; a plain file worth it is read in parts
//! ([`parts`]), anything else (and bytes in memory) in chunks ([`chunks`]); reads that may wait
//! do so in `poll(2)` ([`poll`]) so that a cancel is seen; errors carry Node.js's names. Bytes
//! pushed piece by piece to a streaming audit go through [`pushed`], gzip or not.
//!
//! Inside, the modules depend one way: `errors`, `watch`, `gzip` ← `chunks`, `parts`, `pushed`;
//! `poll` ← `source`.

pub(crate) mod chunks;
pub(crate) mod errors;
pub(crate) mod feed;
pub(crate) mod gzip;
pub(crate) mod parts;
pub(crate) mod poll;
pub(crate) mod pushed;
pub(crate) mod source;
pub(crate) mod watch;

pub use errors::ReadError;
pub use pushed::PushedInput;
pub use source::{audit_source, audit_watched_bytes, Source};
pub use watch::{Progress, Watch};
