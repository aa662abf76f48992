//! The chunked read: a source read 16 MiB at a time into an auditor, the next chunk read on a
//! thread of its own while the last is parsed; gzip told by its first bytes, and a gzip stream
//! that breaks off kept up to the break.

use std::io::{self, BufRead, Read};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

use super::errors::{read_failure, ReadError};
use super::feed::Feed;
use super::gzip::{GzipMembers, GZIP_MAGIC};
use super::watch::{Progress, Watch};
use crate::core::audit::{AuditReport, Auditor};

/// How much is read before the auditor sees it: large enough that parsing threads pay off.
const CHUNK: usize = 16 << 20;

/// Audits a history held in memory a chunk at a time, so that a cancel is seen.
pub(crate) fn audit_memory_in_chunks(
    bytes: &[u8],
    mut auditor: Auditor,
    cancel: &AtomicBool,
) -> Result<AuditReport, ReadError> {
    let feed = Feed::new(cancel, None, "(bytes)");
    for chunk in bytes.chunks(CHUNK) {
        feed.check()?;
        auditor.push(chunk);
    }
    feed.check()?;
    Ok(auditor.finish())
}

/// Reads `input` in chunks, through gzip when it is gzip: `known` when the caller has looked,
/// else told by its first bytes.
pub(crate) fn audit_maybe_gzip(
    mut input: impl BufRead + Send,
    total: Option<u64>,
    known: Option<bool>,
    auditor: Auditor,
    watch: Watch,
    path: &str,
) -> Result<AuditReport, ReadError> {
    let gzip = match known {
        Some(gzip) => gzip,
        None => fill(&mut input, path)?.starts_with(&GZIP_MAGIC),
    };
    if gzip {
        read_chunks(GzipMembers::new(input), None, true, auditor, watch, path)
    } else {
        read_chunks(input, total, false, auditor, watch, path)
    }
}

fn fill<'r>(input: &'r mut impl BufRead, path: &str) -> Result<&'r [u8], ReadError> {
    input.fill_buf().map_err(|error| read_failure(error, path))
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
fn fill_chunk(input: &mut impl Read, mut buffer: Vec<u8>, gzip: bool, feed: &Feed) -> Result<Chunk, ReadError> {
    feed.check()?;
    buffer.resize(CHUNK, 0);
    let mut filled = 0;
    let mut ended_early = None;
    while let Some(window) = buffer.get_mut(filled..).filter(|w| !w.is_empty()) {
        // A gzip stream that breaks off is the input's end, not a failed read.
        match feed.read_keeping(|| input.read(window), |error| gzip && is_decoder_error(error))? {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(broken) => {
                ended_early = Some(broken.to_string());
                break;
            }
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
    feed: &'w Feed<'w>,
    progress: &'w mut dyn FnMut(Progress),
}

impl Feeder<'_> {
    fn feed(&mut self, chunk: &Chunk) {
        self.auditor.push(chunk.buffer.get(..chunk.filled).unwrap_or_default());
        self.feed.count(chunk.filled);
        (self.progress)(self.feed.progress(false));
        if let Some(detail) = &chunk.ended_early {
            self.auditor.ended_early(format!("gzip: {detail}"));
        }
    }

    fn finish(self) -> AuditReport {
        (self.progress)(self.feed.progress(true));
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
    let feed = Feed::new(watch.cancel, total, path);
    // Reading beside the parsing pays only with a core to spare for it.
    let overlap = auditor.parse_threads() < crate::core::audit::auditor::cores();
    let mut feeder = Feeder {
        auditor,
        feed: &feed,
        progress: watch.progress,
    };
    let feed = &feed;
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
                    let chunk = fill_chunk(&mut input, buffer, gzip, feed);
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
            let chunk = fill_chunk(&mut input, buffer, gzip, feed)?;
            feeder.feed(&chunk);
            if chunk.last() {
                return Ok(());
            }
            buffer = chunk.buffer;
        }
    })?;
    Ok(feeder.finish())
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
