//! The audit's input: where a history's bytes come from and how they reach an auditor. A
//! [`Source`] is opened when the audit is asked for; a plain file worth it is read in parts
//! ([`parts`]), anything else (and bytes in memory) in chunks ([`chunks`]); reads that may wait
//! do so in `poll(2)` ([`poll`]) so that a cancel is seen; errors carry Node.js's names.
//!
//! Inside, the modules depend one way: `errors`, `watch`, `gzip` ← `poll` ← `chunks`, `parts`
//! ← `source`.

pub(crate) mod chunks;
pub(crate) mod errors;
pub(crate) mod feed;
pub(crate) mod gzip;
pub(crate) mod parts;
pub(crate) mod poll;
pub(crate) mod source;
pub(crate) mod watch;

pub use errors::ReadError;
pub use source::{audit_source, audit_watched_bytes, Source};
pub use watch::{Progress, Watch};
