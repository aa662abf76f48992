//! What the caller watches a read with: progress and cancel.

use std::sync::atomic::AtomicBool;

/// How far a read has come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bytes handed to the auditor (uncompressed).
    pub bytes: u64,
    /// The size of a plain file, when known (never for gzip, whose uncompressed size is not).
    pub total: Option<u64>,
    /// The last call: the input has ended.
    pub done: bool,
}

/// What the caller watches a read with.
pub struct Watch<'w> {
    pub progress: &'w mut dyn FnMut(Progress),
    /// Set (from any thread) to stop the read at its next chunk or poll.
    pub cancel: &'w AtomicBool,
}
