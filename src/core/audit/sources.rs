//! Where a history's bytes come from: a file (gzip told by its first two bytes), standard
//! input, a FIFO or device, or bytes in memory. Each is read in chunks into an [`Auditor`],
//! with the progress callback and the cancel flag the caller supplies.

use std::fs::{File, Metadata};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::gzip::GzipMembers;
use super::{parts, AuditReport, Auditor};

/// How much is read before the auditor sees it: large enough that parsing threads pay off.
const CHUNK: usize = 16 << 20;

/// The first two bytes of a gzip stream.
pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why a truncated or corrupt gzip stream stops the read, as the report's skipped reason.
pub const ENDED_EARLY: &str = "input ended early";

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

/// Audits a history held in memory, a chunk at a time so that a cancel is seen.
pub fn audit_watched_bytes(bytes: &[u8], mut auditor: Auditor, cancel: &AtomicBool) -> Result<AuditReport, ReadError> {
    for chunk in bytes.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            return Err(ReadError::Cancelled);
        }
        auditor.push(chunk);
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(ReadError::Cancelled);
    }
    Ok(auditor.finish())
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
            audit_maybe_gzip(BufReader::with_capacity(1 << 20, input), None, auditor, watch, "-")
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
            if let Some(size) = total.filter(|&size| parts::worth_parts(&auditor, size)) {
                if !parts::starts_as_gzip(file, path)? {
                    return parts::audit_in_parts(file, size, auditor, watch, path);
                }
            }
            let input = poll::Waiting::new(file, total.is_some(), watch.cancel);
            audit_maybe_gzip(BufReader::with_capacity(1 << 20, input), total, auditor, watch, path)
        }
    }
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

fn audit_maybe_gzip(
    mut input: impl BufRead + Send,
    total: Option<u64>,
    auditor: Auditor,
    watch: Watch,
    path: &str,
) -> Result<AuditReport, ReadError> {
    let gzip = fill(&mut input, path)?.starts_with(&GZIP_MAGIC);
    if gzip {
        read_chunks(GzipMembers::new(input), None, true, auditor, watch, path)
    } else {
        read_chunks(input, total, false, auditor, watch, path)
    }
}

fn fill<'r>(input: &'r mut impl BufRead, path: &str) -> Result<&'r [u8], ReadError> {
    input.fill_buf().map_err(|error| read_failure(error, path))
}

pub(super) fn read_failure(error: io::Error, path: &str) -> ReadError {
    if is_cancel(&error) {
        return ReadError::Cancelled;
    }
    ReadError::Io {
        syscall: "read",
        path: path.to_owned(),
        error,
    }
}

/// One read of the input: up to [`CHUNK`] bytes, and whether a gzip stream broke off after them.
struct Chunk {
    buffer: Vec<u8>,
    filled: usize,
    ended_early: Option<String>,
}

impl Chunk {
    /// The input ends with this chunk.
    fn last(&self) -> bool {
        self.filled == 0 || self.ended_early.is_some()
    }
}

/// Fills `buffer` from `input` (pipes and gzip hand out small reads).
fn fill_chunk(
    input: &mut impl Read,
    mut buffer: Vec<u8>,
    gzip: bool,
    path: &str,
    cancel: &AtomicBool,
) -> Result<Chunk, ReadError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(ReadError::Cancelled);
    }
    buffer.resize(CHUNK, 0);
    let mut filled = 0;
    let mut ended_early = None;
    while let Some(window) = buffer.get_mut(filled..).filter(|w| !w.is_empty()) {
        match input.read(window) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted && !is_cancel(&error) => {}
            Err(error) if gzip && is_decoder_error(&error) => {
                ended_early = Some(error.to_string());
                break;
            }
            Err(error) => return Err(read_failure(error, path)),
        }
    }
    Ok(Chunk {
        buffer,
        filled,
        ended_early,
    })
}

/// Hands chunks to the auditor and reports progress.
struct Feeder<'w> {
    auditor: Auditor,
    bytes: u64,
    total: Option<u64>,
    progress: &'w mut dyn FnMut(Progress),
}

impl Feeder<'_> {
    fn feed(&mut self, chunk: &Chunk) {
        self.auditor.push(chunk.buffer.get(..chunk.filled).unwrap_or_default());
        self.bytes += chunk.filled as u64;
        (self.progress)(Progress {
            bytes: self.bytes,
            total: self.total,
            done: false,
        });
        if let Some(detail) = &chunk.ended_early {
            self.auditor.ended_early(ENDED_EARLY, format!("gzip: {detail}"));
        }
    }

    fn finish(self) -> AuditReport {
        (self.progress)(Progress {
            bytes: self.bytes,
            total: self.total,
            done: true,
        });
        self.auditor.finish()
    }
}

/// Reads `input` a chunk at a time into the auditor: the next chunk is read on a thread of its
/// own while the auditor parses the last, or, when the system gives no thread, in turn. A gzip
/// stream that breaks off (truncated, or corrupt past some point) keeps what it gave and says
/// so as one skipped row.
fn read_chunks<R: Read + Send>(
    input: R,
    total: Option<u64>,
    gzip: bool,
    auditor: Auditor,
    watch: Watch,
    path: &str,
) -> Result<AuditReport, ReadError> {
    let cancel = watch.cancel;
    // Reading beside the parsing pays only with a core to spare for it.
    let overlap = auditor.parse_threads() < super::auditor::cores();
    let mut feeder = Feeder {
        auditor,
        bytes: 0,
        total,
        progress: watch.progress,
    };
    std::thread::scope(|scope| -> Result<(), ReadError> {
        let (input_tx, input_rx) = mpsc::channel::<R>();
        let (filled_tx, filled_rx) = mpsc::sync_channel::<Result<Chunk, ReadError>>(1);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        let spawn = |body| {
            std::thread::Builder::new()
                .name("session-audit-read".to_owned())
                .spawn_scoped(scope, body)
        };
        let reader = if !overlap {
            Err(io::Error::other("no core to spare"))
        } else {
            spawn(move || {
                let Ok(mut input) = input_rx.recv() else { return };
                let mut buffer = Vec::new();
                loop {
                    let chunk = fill_chunk(&mut input, buffer, gzip, path, cancel);
                    let last = chunk.as_ref().map_or(true, Chunk::last);
                    if filled_tx.send(chunk).is_err() || last {
                        return;
                    }
                    match empty_rx.recv() {
                        Ok(next) => buffer = next,
                        Err(_) => return,
                    }
                }
            })
        };
        let mut input = match reader {
            Ok(_) => match input_tx.send(input) {
                Ok(()) => {
                    // The second buffer: the reader fills one while the auditor reads the other.
                    let _ = empty_tx.send(Vec::new());
                    for chunk in filled_rx {
                        let chunk = chunk?;
                        feeder.feed(&chunk);
                        if chunk.last() {
                            break;
                        }
                        let _ = empty_tx.send(chunk.buffer);
                    }
                    return Ok(());
                }
                Err(mpsc::SendError(input)) => input,
            },
            Err(_) => input,
        };
        // No thread to be had: read and parse in turn, on this one.
        let mut buffer = Vec::new();
        loop {
            let chunk = fill_chunk(&mut input, buffer, gzip, path, cancel)?;
            feeder.feed(&chunk);
            if chunk.last() {
                return Ok(());
            }
            buffer = chunk.buffer;
        }
    })?;
    Ok(feeder.finish())
}

fn is_cancel(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<poll::Cancelled>())
}

/// flate2 reports a stream that stops short as `UnexpectedEof` and a corrupt one as
/// `InvalidInput`/`InvalidData`; the system's own errors carry an OS code.
fn is_decoder_error(error: &io::Error) -> bool {
    error.raw_os_error().is_none()
        && matches!(
            error.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
        )
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

/// Reading that waits in `poll(2)`, a tenth of a second at a time, so that a cancel is seen
/// even while a FIFO has no writer or a pipe no data.
#[cfg(unix)]
mod poll {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Read};
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    pub use super::Cancelled;

    /// Opens without waiting: a FIFO opened for reading would otherwise block until a writer
    /// comes. Regular files ignore the flag.
    pub fn open(path: &Path) -> io::Result<File> {
        OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
    }

    pub struct Waiting<'c, F> {
        inner: F,
        cancel: &'c AtomicBool,
        /// Regular files never wait: no poll for them.
        polls: bool,
    }

    impl<'c, F: AsFd> Waiting<'c, F> {
        /// `regular`: the source is a regular file, whose reads never wait: no poll for it.
        pub fn new(inner: F, regular: bool, cancel: &'c AtomicBool) -> Self {
            Waiting {
                inner,
                cancel,
                polls: !regular,
            }
        }
    }

    impl<F: Read + AsFd> Read for Waiting<'_, F> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            loop {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, Cancelled));
                }
                if self.polls {
                    let mut wanted = libc::pollfd {
                        fd: self.inner.as_fd().as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, for a descriptor this reader holds open.
                    match unsafe { libc::poll(&mut wanted, 1, 100) } {
                        0 => continue,
                        n if n < 0 => {
                            let error = io::Error::last_os_error();
                            if error.kind() == io::ErrorKind::Interrupted {
                                continue;
                            }
                            return Err(error);
                        }
                        _ => {}
                    }
                }
                match self.inner.read(buffer) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                    other => return other,
                }
            }
        }
    }
}

/// Elsewhere reads block as the system makes them; a cancel is seen between chunks.
#[cfg(not(unix))]
mod poll {
    use std::fs::File;
    use std::io::{self, Read};
    use std::path::Path;
    use std::sync::atomic::AtomicBool;

    pub use super::Cancelled;

    pub fn open(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    pub struct Waiting<F>(F);

    impl<F> Waiting<F> {
        pub fn new(inner: F, _regular: bool, _cancel: &AtomicBool) -> Self {
            Waiting(inner)
        }
    }

    impl<F: Read> Read for Waiting<F> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.0.read(buffer)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::audit::AuditOptions;
    use std::fs::File;
    use std::io::Write;

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
        assert_eq!(report.skipped_by_reason.get(ENDED_EARLY), Some(&1));
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
