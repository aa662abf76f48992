//! Where a history's bytes come from: a file, opened when the audit is asked for (so that
//! what is decided about it holds for what is read), or standard input.

use std::fs::{File, Metadata};
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::chunks::{audit_maybe_gzip, audit_memory_in_chunks};
use super::errors::ReadError;
use super::feed::Feed;
use super::gzip::GZIP_MAGIC;
use super::parts;
use super::poll;
use super::watch::Watch;
use crate::core::audit::{AuditReport, Auditor};

/// A file, opened, or standard input.
#[derive(Debug)]
pub enum Source {
    File(OpenedFile),
    Stdin,
}

/// A file opened for reading (without waiting, were it a FIFO), and what its descriptor says
/// it is: whatever the path names later, this is what is read.
#[derive(Debug)]
pub struct OpenedFile {
    path: String,
    file: File,
    kind: FileKind,
}

/// What an opened file is, as its descriptor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// A regular file of this many bytes when it was opened.
    Regular(u64),
    Directory,
    /// A FIFO, a device, a socket: reads may wait.
    Special,
}

impl From<&Metadata> for FileKind {
    fn from(metadata: &Metadata) -> Self {
        if metadata.is_file() {
            FileKind::Regular(metadata.len())
        } else if metadata.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Special
        }
    }
}

impl Source {
    /// `-` is standard input; any other path is opened now, so that what is decided about the
    /// source (whether it may block, whether it is a plain file) holds for what is read.
    pub fn open(path: String) -> Result<Source, ReadError> {
        if path == "-" {
            return Ok(Source::Stdin);
        }
        let failed = |syscall| {
            let path = path.clone();
            move |error| ReadError::Io { syscall, path, error }
        };
        let file = poll::open(Path::new(&path)).map_err(failed("open"))?;
        let kind = FileKind::from(&file.metadata().map_err(failed("fstat"))?);
        Ok(Source::File(OpenedFile { path, file, kind }))
    }

    /// Whether reading may wait on another process for ever (standard input, a FIFO, a device,
    /// a socket): such a source wants a thread of its own rather than one of a shared pool.
    pub fn may_block(&self) -> bool {
        match self {
            Source::Stdin => true,
            Source::File(opened) => opened.kind == FileKind::Special,
        }
    }
}

/// Audits a file or standard input.
pub fn audit_source(source: &Source, auditor: Auditor, watch: Watch) -> Result<AuditReport, ReadError> {
    if watch.cancel.load(Ordering::Relaxed) {
        return Err(ReadError::Cancelled);
    }
    match source {
        Source::Stdin => {
            let stdin = io::stdin();
            let input = poll::Waiting::new(&stdin, stdin_is_regular(), watch.cancel);
            audit_maybe_gzip(
                BufReader::with_capacity(1 << 20, input),
                None,
                None,
                auditor,
                watch,
                "-",
            )
        }
        Source::File(OpenedFile { path, file, kind }) => {
            if *kind == FileKind::Directory {
                return Err(ReadError::Io {
                    syscall: "read",
                    path: path.clone(),
                    error: io::Error::from(io::ErrorKind::IsADirectory),
                });
            }
            let total = match kind {
                FileKind::Regular(size) => Some(*size),
                _ => None,
            };
            // Whether it is gzip is looked at once: here for a file worth parts, else by the
            // chunked read as it begins.
            let mut gzip = None;
            if let Some(size) = total.filter(|&size| parts::worth_parts(&auditor, size)) {
                if !parts::starts_as_gzip(file, &Feed::new(watch.cancel, None, path))? {
                    return parts::audit_in_parts(file, size, auditor, watch, path);
                }
                gzip = Some(true);
            }
            let input = poll::Waiting::new(file, total.is_some(), watch.cancel);
            audit_maybe_gzip(
                BufReader::with_capacity(1 << 20, input),
                total,
                gzip,
                auditor,
                watch,
                path,
            )
        }
    }
}

/// Audits a history held in memory: gzip decompressed as a file's would be; else in parts on
/// several threads when it is worth it (as a plain file is), or a chunk at a time; a cancel is
/// seen either way.
pub fn audit_watched_bytes(bytes: &[u8], auditor: Auditor, cancel: &AtomicBool) -> Result<AuditReport, ReadError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut unwatched = |_| {};
        let watch = Watch {
            progress: &mut unwatched,
            cancel,
        };
        return audit_maybe_gzip(bytes, None, Some(true), auditor, watch, "(bytes)");
    }
    let size = bytes.len() as u64;
    if parts::worth_parts(&auditor, size) {
        let mut unwatched = |_| {};
        let watch = Watch {
            progress: &mut unwatched,
            cancel,
        };
        return parts::audit_in_parts(bytes, size, auditor, watch, "(bytes)");
    }
    audit_memory_in_chunks(bytes, auditor, cancel)
}

/// Whether standard input is a regular file (`< runs.ndjson`), which never makes a read wait.
fn stdin_is_regular() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        // A second descriptor of standard input, only to ask what it is.
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .and_then(|fd| File::from(fd).metadata())
            .is_ok_and(|metadata| metadata.is_file())
    }
    #[cfg(not(unix))]
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::audit::AuditOptions;
    use std::fs::File;
    use std::io::Write;
    use std::sync::atomic::AtomicBool;

    const ROW: &str = r#"{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":0}"#;

    /// Opens `path` and audits it, as the binding does.
    fn quiet(cancel: &AtomicBool, path: &str) -> Result<AuditReport, ReadError> {
        let source = Source::open(path.to_owned())?;
        let mut seen = |_| {};
        let watch = Watch {
            progress: &mut seen,
            cancel,
        };
        audit_source(&source, Auditor::new(AuditOptions::default()), watch)
    }

    fn temp(name: &str, bytes: &[u8]) -> String {
        let path = std::env::temp_dir().join(format!("sources-{}-{name}", std::process::id()));
        let mut file = File::create(&path).unwrap();
        file.write_all(bytes).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn a_missing_file_is_enoent_in_nodes_words() {
        let cancel = AtomicBool::new(false);
        let error = quiet(&cancel, "/nonexistent/runs.ndjson").err();
        let error = error.unwrap();
        assert_eq!(error.code(), "ENOENT");
        assert_eq!(
            error.to_string(),
            "ENOENT: no such file or directory, open '/nonexistent/runs.ndjson'"
        );
    }

    #[cfg(unix)]
    #[test]
    fn errors_are_named_by_their_errno_as_node_names_them() {
        let cancel = AtomicBool::new(false);
        // A link to itself: ELOOP, which Rust files under "other".
        let looped = std::env::temp_dir().join(format!("sources-{}-loop", std::process::id()));
        let _ = std::fs::remove_file(&looped);
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        let error = quiet(&cancel, &looped.to_string_lossy()).err().unwrap();
        let _ = std::fs::remove_file(&looped);
        assert_eq!(error.code(), "ELOOP");
        assert!(
            error
                .to_string()
                .starts_with("ELOOP: too many symbolic links encountered, open '"),
            "{error}"
        );
        // A socket's file cannot be opened: ENXIO.
        let socket = std::env::temp_dir().join(format!("sources-{}-socket", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let error = quiet(&cancel, &socket.to_string_lossy()).err().unwrap();
        drop(listener);
        let _ = std::fs::remove_file(&socket);
        assert_eq!(error.code(), "ENXIO");
        // Out of descriptors: EMFILE, as the system reports it.
        let error = ReadError::Io {
            syscall: "open",
            path: "runs.ndjson".into(),
            error: io::Error::from_raw_os_error(libc::EMFILE),
        };
        assert_eq!(error.to_string(), "EMFILE: too many open files, open 'runs.ndjson'");
    }

    #[test]
    fn a_truncated_gzip_keeps_what_it_gave_and_says_it_ended_early() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for _ in 0..2000 {
            writeln!(gzip, "{ROW}").unwrap();
        }
        let whole = gzip.finish().unwrap();
        let cut = whole.get(..whole.len() - 12).unwrap_or_default();
        let path = temp("cut.gz", cut);
        let cancel = AtomicBool::new(false);
        let report = quiet(&cancel, &path).unwrap();
        let _ = std::fs::remove_file(path);
        assert!(report.rows_used > 1000, "{} rows kept", report.rows_used);
        assert_eq!(
            report
                .skipped_by_reason
                .get(&crate::core::audit::SkipReason::EndedEarly),
            Some(&1)
        );
    }

    #[test]
    fn a_cancelled_read_stops() {
        let path = temp("rows", format!("{ROW}\n").as_bytes());
        let cancel = AtomicBool::new(true);
        let outcome = quiet(&cancel, &path);
        let _ = std::fs::remove_file(path);
        assert!(matches!(outcome, Err(ReadError::Cancelled)));
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod opened_tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn what_may_block_is_decided_on_what_was_opened_not_on_the_path_later() {
        let dir = std::env::temp_dir().join(format!("sources-{}-swap", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("runs.ndjson");
        std::fs::write(&path, b"").unwrap();
        let opened = Source::open(path.to_string_lossy().into_owned()).unwrap();
        // The path now names a FIFO: the opened source is still the regular file.
        std::fs::remove_file(&path).unwrap();
        let made = std::ffi::CString::new(path.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: `made` is a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(made.as_ptr(), 0o600) }, 0);
        assert!(!opened.may_block());
        let cancel = AtomicBool::new(false);
        let mut seen = |_| {};
        let watch = Watch {
            progress: &mut seen,
            cancel: &cancel,
        };
        let report = audit_source(
            &opened,
            Auditor::new(crate::core::audit::AuditOptions::default()),
            watch,
        )
        .unwrap();
        assert_eq!(report.lines, 0);
        // And a FIFO opened as one may block.
        assert!(Source::open(path.to_string_lossy().into_owned()).unwrap().may_block());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
