//! What every read strategy shares: the cancel check, the read retried when a signal
//! interrupts it, the count of bytes handed to the auditors, and progress from that count.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::errors::{is_cancel, read_failure, ReadError};
use super::watch::Progress;

/// A read in progress, shared by the threads that do it.
pub(crate) struct Feed<'w> {
    cancel: &'w AtomicBool,
    /// Set when one reader fails, so that the others stop soon.
    stop: AtomicBool,
    /// Bytes handed to the auditors so far.
    bytes: AtomicU64,
    /// The input's size, when known.
    total: Option<u64>,
    path: &'w str,
}

impl<'w> Feed<'w> {
    pub(crate) fn new(cancel: &'w AtomicBool, total: Option<u64>, path: &'w str) -> Feed<'w> {
        Feed {
            cancel,
            stop: AtomicBool::new(false),
            bytes: AtomicU64::new(0),
            total,
            path,
        }
    }

    /// `Cancelled` once the caller cancelled, or a reader failed.
    pub(crate) fn check(&self) -> Result<(), ReadError> {
        if self.cancel.load(Ordering::Relaxed) || self.stop.load(Ordering::Relaxed) {
            return Err(ReadError::Cancelled);
        }
        Ok(())
    }

    /// Tells the other readers to stop: this one failed.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// One read, after a look at the cancel flag, done again when a signal interrupted it (not
    /// when the interruption is a cancel).
    pub(crate) fn read<T>(&self, read: impl FnMut() -> io::Result<T>) -> Result<T, ReadError> {
        match self.read_keeping(read, |_| false)? {
            Ok(got) => Ok(got),
            Err(error) => Err(read_failure(error, self.path)),
        }
    }

    /// [`Feed::read`], handing back the errors `keep` picks for the caller to handle itself.
    pub(crate) fn read_keeping<T>(
        &self,
        mut read: impl FnMut() -> io::Result<T>,
        keep: impl Fn(&io::Error) -> bool,
    ) -> Result<io::Result<T>, ReadError> {
        loop {
            self.check()?;
            match read() {
                Ok(got) => return Ok(Ok(got)),
                Err(error) if error.kind() == io::ErrorKind::Interrupted && !is_cancel(&error) => {}
                Err(error) if keep(&error) => return Ok(Err(error)),
                Err(error) => return Err(read_failure(error, self.path)),
            }
        }
    }

    /// Counts `n` bytes handed to an auditor.
    pub(crate) fn count(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// How far the read has come.
    pub(crate) fn progress(&self, done: bool) -> Progress {
        Progress {
            bytes: self.bytes.load(Ordering::Relaxed),
            total: self.total,
            done,
        }
    }
}
