//! Why a read did not produce a report, in Node.js's words: the errno's name and libuv's
//! description, the syscall and the path; or a cancel.

use std::io;

/// Why a read did not produce a report.
#[derive(Debug)]
pub enum ReadError {
    /// The system refused a call: which one, on what, and its error.
    Io {
        syscall: &'static str,
        path: String,
        error: io::Error,
    },
    /// The cancel flag was set.
    Cancelled,
}

impl ReadError {
    /// The error's `code` as Node.js's `fs` names it (`ENOENT`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Io { error, .. } => errno_name(error),
            ReadError::Cancelled => "ABORT_ERR",
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // As Node.js words them: `ENOENT: no such file or directory, open 'runs.ndjson'`.
            ReadError::Io { syscall, path, error } => {
                write!(f, "{}: {}, {syscall} '{path}'", self.code(), node_description(error))
            }
            ReadError::Cancelled => f.write_str("The operation was aborted"),
        }
    }
}

/// What Node.js says of an error: libuv's words for the errors it names, else the system's.
fn node_description(error: &io::Error) -> String {
    match error.raw_os_error().and_then(named_errno) {
        Some((_, words)) => words.to_owned(),
        None => plain_description(error),
    }
}

/// The system's description of an error without Rust's ` (os error 2)` tail.
fn plain_description(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_lowercase(),
        None => text.to_lowercase(),
    }
}

/// Node.js's name for an errno, and libuv's words for it. Node reports the errno the system
/// gave, so the number decides, not the coarser kind Rust files it under (ELOOP, ENXIO and
/// EMFILE are all "other" there).
#[cfg(unix)]
fn named_errno(errno: i32) -> Option<(&'static str, &'static str)> {
    Some(match errno {
        libc::ENOENT => ("ENOENT", "no such file or directory"),
        libc::EACCES => ("EACCES", "permission denied"),
        libc::EPERM => ("EPERM", "operation not permitted"),
        libc::EISDIR => ("EISDIR", "illegal operation on a directory"),
        libc::ENOTDIR => ("ENOTDIR", "not a directory"),
        libc::ELOOP => ("ELOOP", "too many symbolic links encountered"),
        libc::ENXIO => ("ENXIO", "no such device or address"),
        libc::EMFILE => ("EMFILE", "too many open files"),
        libc::ENFILE => ("ENFILE", "file table overflow"),
        libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
        libc::EINTR => ("EINTR", "interrupted system call"),
        libc::EAGAIN => ("EAGAIN", "resource temporarily unavailable"),
        libc::ENOMEM => ("ENOMEM", "not enough memory"),
        libc::EBUSY => ("EBUSY", "resource busy or locked"),
        libc::ENOSPC => ("ENOSPC", "no space left on device"),
        libc::EIO => ("EIO", "i/o error"),
        libc::EINVAL => ("EINVAL", "invalid argument"),
        libc::EBADF => ("EBADF", "bad file descriptor"),
        libc::EROFS => ("EROFS", "read-only file system"),
        libc::EFBIG => ("EFBIG", "file too large"),
        libc::ETXTBSY => ("ETXTBSY", "text file is busy"),
        libc::EOVERFLOW => ("EOVERFLOW", "value too large for defined data type"),
        libc::EEXIST => ("EEXIST", "file already exists"),
        _ => return None,
    })
}

#[cfg(not(unix))]
fn named_errno(_errno: i32) -> Option<(&'static str, &'static str)> {
    None
}

/// The POSIX name of an I/O error, for the `code` Node.js users match on: the errno's own name
/// when the system gave one this knows, else one for the kind of error.
fn errno_name(error: &io::Error) -> &'static str {
    if let Some((name, _)) = error.raw_os_error().and_then(named_errno) {
        return name;
    }
    use io::ErrorKind as K;
    match error.kind() {
        K::NotFound => "ENOENT",
        K::PermissionDenied => "EACCES",
        K::IsADirectory => "EISDIR",
        K::NotADirectory => "ENOTDIR",
        K::AlreadyExists => "EEXIST",
        K::InvalidFilename => "ENAMETOOLONG",
        K::Interrupted => "EINTR",
        K::WouldBlock => "EAGAIN",
        K::OutOfMemory => "ENOMEM",
        K::ResourceBusy => "EBUSY",
        K::StorageFull => "ENOSPC",
        _ => "EIO",
    }
}

pub(crate) fn read_failure(error: io::Error, path: &str) -> ReadError {
    if is_cancel(&error) {
        return ReadError::Cancelled;
    }
    ReadError::Io {
        syscall: "read",
        path: path.to_owned(),
        error,
    }
}

pub(crate) fn is_cancel(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<Cancelled>())
}

/// The error a cancelled read ends with, inside an `io::Error`.
#[derive(Debug)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}
