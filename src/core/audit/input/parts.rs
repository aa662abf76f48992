//! A plain file audited in parts: as many as there are parsing threads, each read (at its own
//! offsets) and audited by a thread of its own, so that the reads, the parsing and the filing of
//! rows all run side by side; the parts' auditors are joined in file order at the end, and the
//! report is the one a single reader would give.
//!
//! A line belongs to the part it starts in: a part skips the end of the line it begins inside
//! (the part before reads it), and reads past its own end to finish its last line.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::errors::ReadError;
use super::feed::Feed;
use super::gzip::GZIP_MAGIC;
use super::watch::Watch;
use crate::core::audit::threads::on_threads;
use crate::core::audit::{AuditReport, Auditor};

/// How a history is cut.
#[derive(Clone, Copy)]
struct PartSizing {
    /// How much a part reads at a time.
    block: usize,
    /// The least a part is given.
    min_part: u64,
}

/// Small enough blocks that what the system copies in is still in the core's cache when it is
/// parsed; parts big enough that below them one reader is as fast.
const PART_SIZING: PartSizing = PartSizing {
    block: 512 << 10,
    min_part: 4 << 20,
};

/// Something read at offsets, from several threads at once.
pub(crate) trait Positional: Sync {
    /// Reads into `buffer` from `offset`; 0 at the end.
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl Positional for File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        return std::os::unix::fs::FileExt::read_at(self, buffer, offset);
        #[cfg(windows)]
        return std::os::windows::fs::FileExt::seek_read(self, buffer, offset);
        #[cfg(not(any(unix, windows)))]
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
}

impl Positional for [u8] {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let available = self.get(start..).unwrap_or_default();
        let n = available.len().min(buffer.len());
        if let (Some(to), Some(from)) = (buffer.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        Ok(n)
    }
}

/// Whether a history of `size` bytes is worth reading in parts by `auditor`: several threads,
/// enough bytes for each, and runs sorted at the end (an ordered audit folds each run at once,
/// in the input's order).
pub(crate) fn worth_parts(auditor: &Auditor, size: u64) -> bool {
    cfg!(any(unix, windows)) && !auditor.ordered() && auditor.parse_threads() > 1 && size >= 2 * PART_SIZING.min_part
}

/// Whether the file starts as gzip does.
pub(crate) fn starts_as_gzip(file: &File, feed: &Feed) -> Result<bool, ReadError> {
    let mut magic = [0u8; GZIP_MAGIC.len()];
    let mut filled = 0;
    while filled < magic.len() {
        let window = magic.get_mut(filled..).unwrap_or_default();
        match feed.read(|| file.read_at(window, filled as u64))? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(magic == GZIP_MAGIC)
}

/// What every part's thread shares.
struct PartsRead<'s, S: ?Sized> {
    source: &'s S,
    block: usize,
    /// The cancel, the stop when a part fails, the bytes handed over.
    feed: Feed<'s>,
    /// Held by the one part whose unfinished line has grown past a block: a line that long is
    /// held whole by one part at a time, the others wait with at most a block of theirs, so
    /// memory is one reader's longest line, not one per thread.
    long_line: Mutex<()>,
    /// The most parts that held a long line at once (always 1 at most; the tests look).
    long_line_holders: AtomicUsize,
    peak_long_line_holders: AtomicUsize,
}

/// Audits `source` (of `size` bytes when it was looked at) in parts.
pub(crate) fn audit_in_parts<S: Positional + ?Sized>(
    source: &S,
    size: u64,
    auditor: Auditor,
    watch: Watch,
    path: &str,
) -> Result<AuditReport, ReadError> {
    audit_in_parts_by(source, size, PART_SIZING, auditor, watch, path)
}

fn audit_in_parts_by<S: Positional + ?Sized>(
    source: &S,
    size: u64,
    sizes: PartSizing,
    first: Auditor,
    watch: Watch,
    path: &str,
) -> Result<AuditReport, ReadError> {
    let shared = PartsRead {
        source,
        block: sizes.block.max(1),
        feed: Feed::new(watch.cancel, Some(size), path),
        long_line: Mutex::new(()),
        long_line_holders: AtomicUsize::new(0),
        peak_long_line_holders: AtomicUsize::new(0),
    };
    let count = first
        .parse_threads()
        .min(usize::try_from(size / sizes.min_part.max(1)).unwrap_or(usize::MAX))
        .max(1);
    let parts = split(size, count);
    let progress = watch.progress;
    let joined = {
        let shared = &shared;
        let audited = on_threads(
            "session-audit-part",
            &parts,
            &|part, on_block| audit_part(shared, part.clone(), first.for_part(), on_block),
            &mut || progress(shared.feed.progress(false)),
        );
        // A part that failed stops the others, which then say they were cancelled: the
        // failure is the error.
        let mut read = Vec::with_capacity(audited.len());
        let mut cancelled = None;
        for part in audited {
            match part {
                Ok(part) => read.push(part),
                Err(error @ ReadError::Io { .. }) => return Err(error),
                Err(error) => cancelled = Some(error),
            }
        }
        if let Some(error) = cancelled {
            return Err(error);
        }
        let mut joined = first;
        for part in read {
            joined.absorb(part);
        }
        joined
    };
    progress(shared.feed.progress(true));
    Ok(joined.finish())
}

/// `size` bytes cut into `count` ranges; the last runs on to wherever the input ends (a file
/// that grows is read to its end, as a single reader reads it).
fn split(size: u64, count: usize) -> Vec<Range<u64>> {
    let count = count.max(1) as u64;
    let each = size / count;
    (0..count)
        .map(|i| {
            let end = if i + 1 == count { u64::MAX } else { (i + 1) * each };
            i * each..end
        })
        .collect()
}

/// Reads and audits the lines that start in `part`; `on_block` is called after each read.
fn audit_part<S: Positional + ?Sized>(
    shared: &PartsRead<S>,
    part: Range<u64>,
    mut auditor: Auditor,
    on_block: &mut dyn FnMut(),
) -> Result<Auditor, ReadError> {
    let result = read_part(shared, part, &mut auditor, on_block);
    if result.is_err() {
        shared.feed.stop();
    }
    result.map(|()| auditor)
}

fn read_part<S: Positional + ?Sized>(
    shared: &PartsRead<S>,
    part: Range<u64>,
    auditor: &mut Auditor,
    on_block: &mut dyn FnMut(),
) -> Result<(), ReadError> {
    let mut buffer = vec![0u8; shared.block];
    let mut at = match part.start {
        0 => 0,
        // The part's first line starts after the first line break at or past the byte before
        // it, looked for in the part only: a part inside a line never scans the rest of it.
        start => match find_line_break(shared, start - 1..part.end, &mut buffer)? {
            Some(line_break) => line_break + 1,
            None => return Ok(()),
        },
    };
    if at >= part.end {
        return Ok(()); // the part lies inside a line that started before it
    }
    // The part's last line ends at the first line break at or past the byte before its end.
    let last_line_from = part.end - 1;
    let mut long_line = LongLine::none(shared);
    loop {
        let got = read_block(shared, at, &mut buffer)?;
        if got.is_empty() {
            return Ok(());
        }
        let from = usize::try_from(last_line_from.saturating_sub(at)).unwrap_or(usize::MAX);
        let end = got
            .get(from..)
            .and_then(|tail| memchr::memchr(b'\n', tail))
            .map(|i| from + i + 1);
        let taken = got.get(..end.unwrap_or(got.len())).unwrap_or_default();
        // A line about to grow past a block waits its turn to be held whole.
        let unfinished = match memchr::memrchr(b'\n', taken) {
            Some(last) => taken.len() - last - 1,
            None => auditor.unfinished_line_bytes() + taken.len(),
        };
        if unfinished > shared.block {
            long_line.hold();
        }
        auditor.push(taken);
        if auditor.unfinished_line_bytes() <= shared.block {
            long_line.release();
        }
        shared.feed.count(taken.len());
        on_block();
        if end.is_some() {
            return Ok(());
        }
        at += taken.len() as u64;
    }
}

/// A part's turn to hold a long unfinished line ([`PartsRead::long_line`]).
struct LongLine<'s, S: ?Sized> {
    shared: &'s PartsRead<'s, S>,
    turn: Option<MutexGuard<'s, ()>>,
}

impl<'s, S: ?Sized> LongLine<'s, S> {
    fn none(shared: &'s PartsRead<'s, S>) -> Self {
        LongLine { shared, turn: None }
    }

    fn hold(&mut self) {
        if self.turn.is_some() {
            return;
        }
        // Nothing panics while holding it; a poisoned lock is still a turn.
        self.turn = Some(
            self.shared
                .long_line
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let holders = self.shared.long_line_holders.fetch_add(1, Ordering::SeqCst) + 1;
        self.shared.peak_long_line_holders.fetch_max(holders, Ordering::SeqCst);
    }

    fn release(&mut self) {
        if let Some(turn) = self.turn.take() {
            // Counted out while the turn is still held.
            self.shared.long_line_holders.fetch_sub(1, Ordering::SeqCst);
            drop(turn);
        }
    }
}

impl<S: ?Sized> Drop for LongLine<'_, S> {
    fn drop(&mut self) {
        self.release();
    }
}

/// The offset of the first `\n` in `range`, if there is one.
fn find_line_break<S: Positional + ?Sized>(
    shared: &PartsRead<S>,
    range: Range<u64>,
    buffer: &mut [u8],
) -> Result<Option<u64>, ReadError> {
    let mut from = range.start;
    while from < range.end {
        let got = read_block(shared, from, buffer)?;
        if got.is_empty() {
            return Ok(None);
        }
        let within = usize::try_from(range.end - from).map_or(got.len(), |left| left.min(got.len()));
        if let Some(i) = memchr::memchr(b'\n', got.get(..within).unwrap_or_default()) {
            return Ok(Some(from + i as u64));
        }
        from += within as u64;
    }
    Ok(None)
}

/// One read at `offset`: what it gave (empty at the end), after a look at the cancel flag.
fn read_block<'b, S: Positional + ?Sized>(
    shared: &PartsRead<S>,
    offset: u64,
    buffer: &'b mut [u8],
) -> Result<&'b [u8], ReadError> {
    let n = shared.feed.read(|| shared.source.read_at(buffer, offset))?;
    Ok(buffer.get(..n).unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::audit::test_support::{row, XorShift};
    use crate::core::audit::{audit_bytes, AuditOptions};
    use std::sync::atomic::{AtomicBool, AtomicU64};

    /// A history with every kind of line a part's edges could mistreat: rows, blank lines,
    /// CRLF, malformed and overlong lines, lines valid both ways (plain JSON and COPY text) and
    /// lines that show the format, so that a part may begin in either format.
    fn history(seed: u64) -> Vec<u8> {
        let mut random = XorShift::new(seed);
        let mut next = move |n: u64| random.below(n);
        let mut text = String::new();
        for i in 0..next(120) + 1 {
            let line = match next(12) {
                0 => String::new(),
                1 => "{\"company_id\":".to_owned(),
                2 => row(next(3), next(4), i, &format!(r#","pad":"{}""#, "x".repeat(next(400)))),
                // Valid both ways: as COPY text the session is another one.
                3 => row(next(3), 9, i, "").replace(r#""s9""#, r#""x\\ny""#),
                // Plain JSON only, and COPY text only.
                4 => row(next(3), next(4), i, r#","e":"\"""#),
                5 => row(next(3), next(4), i, r#","e":"\\"""#),
                6 => row(next(3), next(4), i, "") + "\r",
                _ => row(next(3), next(4), i, ""),
            };
            text.push_str(&line);
            text.push('\n');
        }
        if next(2) == 0 {
            text.pop(); // no line break at the end
        }
        text.into_bytes()
    }

    fn options(threads: usize) -> AuditOptions {
        AuditOptions {
            threads,
            max_line_bytes: 300,
            ..AuditOptions::default()
        }
    }

    fn in_parts(bytes: &[u8], parts: usize, block: usize, cancel: &AtomicBool) -> Result<AuditReport, ReadError> {
        let sizes = PartSizing {
            block,
            min_part: (bytes.len() as u64 / parts as u64).max(1),
        };
        let mut last = None;
        let watch = Watch {
            progress: &mut |p| last = Some(p),
            cancel,
        };
        let report = audit_in_parts_by(
            bytes,
            bytes.len() as u64,
            sizes,
            Auditor::new(options(parts)),
            watch,
            "h",
        );
        if report.is_ok() {
            let last = last.unwrap();
            assert!(last.done);
            assert_eq!(last.bytes, bytes.len() as u64, "every byte handed over once");
        }
        report
    }

    fn comparable(mut report: AuditReport) -> String {
        report.elapsed_ms = 0.0;
        serde_json::to_string(&report).unwrap()
    }

    #[test]
    fn parts_give_the_report_one_reader_gives() {
        let cancel = AtomicBool::new(false);
        let seeds = if std::env::var_os("PCSC_UNDER_VALGRIND").is_some() {
            20
        } else {
            400
        };
        for seed in 1..seeds {
            let bytes = history(seed);
            let one = comparable(audit_bytes(&bytes, options(1)));
            for parts in [2, 3, 5] {
                // One byte at a time costs most: for the first few only.
                for block in [1, 7, 64, 1 << 16].into_iter().filter(|&b| b > 1 || seed < 30) {
                    let split = comparable(in_parts(&bytes, parts, block, &cancel).unwrap());
                    assert_eq!(split, one, "seed {seed}, {parts} parts, blocks of {block}");
                }
            }
        }
    }

    #[test]
    fn a_line_longer_than_a_part_is_read_once() {
        let cancel = AtomicBool::new(false);
        let long = row(0, 0, 0, &format!(r#","pad":"{}""#, "y".repeat(50)));
        let bytes = format!("{}\n{long}\n{}\n", row(1, 1, 1, ""), row(2, 2, 2, "")).into_bytes();
        let report = in_parts(&bytes, 8, 5, &cancel).unwrap();
        assert_eq!((report.lines, report.rows_used, report.totals.sessions), (3, 3, 3));
    }

    #[test]
    fn a_cancel_stops_every_part() {
        let cancel = AtomicBool::new(true);
        assert!(matches!(
            in_parts(&history(3), 3, 7, &cancel),
            Err(ReadError::Cancelled)
        ));
    }

    /// Fails every read at or past an offset.
    struct Failing<'b>(&'b [u8], u64);

    impl Positional for Failing<'_> {
        fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
            if offset >= self.1 {
                return Err(io::Error::from_raw_os_error(5)); // EIO
            }
            self.0.read_at(buffer, offset)
        }
    }

    #[test]
    fn a_failed_read_in_a_later_part_is_the_error_not_a_cancel() {
        let bytes = history(5);
        let cancel = AtomicBool::new(false);
        let failing = Failing(&bytes, bytes.len() as u64 / 2);
        let sizes = PartSizing {
            block: 16,
            min_part: bytes.len() as u64 / 4,
        };
        let watch = Watch {
            progress: &mut |_| {},
            cancel: &cancel,
        };
        let error = audit_in_parts_by(
            &failing,
            bytes.len() as u64,
            sizes,
            Auditor::new(options(4)),
            watch,
            "h",
        )
        .err()
        .unwrap();
        assert_eq!(error.code(), "EIO");
        assert_eq!(error.to_string(), "EIO: i/o error, read 'h'");
    }

    /// Counts the bytes read from it.
    struct Counting<'b>(&'b [u8], AtomicU64);

    impl Positional for Counting<'_> {
        fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
            let n = self.0.read_at(buffer, offset)?;
            self.1.fetch_add(n as u64, Ordering::Relaxed);
            Ok(n)
        }
    }

    #[test]
    fn a_line_across_many_parts_is_read_about_once_and_held_by_one_part_at_a_time() {
        // Lines of 200 KiB and one of 2 MiB, cut into 32 parts of about 100 KiB, read in
        // blocks of 4 KiB: no part rescans a line it lies inside, and one part at a time holds
        // a line longer than a block.
        let big = |n: usize| row(0, n, n, &format!(r#","pad":"{}""#, "z".repeat(n)));
        let mut text = String::new();
        for i in 0..10 {
            text.push_str(&big(200 << 10));
            text.push('\n');
            text.push_str(&row(1, i, i, ""));
            text.push('\n');
        }
        text.push_str(&big(2 << 20));
        text.push('\n');
        let bytes = text.into_bytes();
        let counting = Counting(&bytes, AtomicU64::new(0));
        let cancel = AtomicBool::new(false);
        let sizes = PartSizing {
            block: 4 << 10,
            min_part: bytes.len() as u64 / 32,
        };
        let watch = Watch {
            progress: &mut |_| {},
            cancel: &cancel,
        };
        let options = AuditOptions {
            threads: 32,
            ..AuditOptions::default()
        };
        let report = audit_in_parts_by(
            &counting,
            bytes.len() as u64,
            sizes,
            Auditor::new(options.clone()),
            watch,
            "h",
        )
        .unwrap();
        assert_eq!(comparable(report), comparable(audit_bytes(&bytes, options)));
        let read = counting.1.load(Ordering::Relaxed);
        // Each part reads its own bytes, a block past its end and a block before its start.
        // A part inside a line reads its own range once to find no line starts there; the part
        // that owns the line reads it once: twice the input at most, whatever the thread count.
        assert!(
            read <= 2 * bytes.len() as u64 + 32 * 3 * (4 << 10),
            "{read} bytes read for {}",
            bytes.len()
        );
    }

    #[test]
    fn one_part_at_a_time_holds_a_long_line() {
        let long = |n: usize| row(0, n, n, &format!(r#","pad":"{}""#, "w".repeat(64 << 10)));
        let text: String = (0..64).map(|n| long(n) + "\n").collect();
        let bytes = text.into_bytes();
        let cancel = AtomicBool::new(false);
        let shared = PartsRead {
            source: &bytes[..],
            block: 1 << 10,
            feed: Feed::new(&cancel, None, "h"),
            long_line: Mutex::new(()),
            long_line_holders: AtomicUsize::new(0),
            peak_long_line_holders: AtomicUsize::new(0),
        };
        let options = AuditOptions {
            threads: 8,
            ..AuditOptions::default()
        };
        let parts = split(bytes.len() as u64, 8);
        let first = Auditor::new(options.clone());
        let audited: Vec<Auditor> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .iter()
                .map(|part| {
                    let auditor = first.for_part();
                    let shared = &shared;
                    let part = part.clone();
                    scope.spawn(move || audit_part(shared, part, auditor, &mut || {}).unwrap())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut joined = first;
        for part in audited {
            joined.absorb(part);
        }
        assert_eq!(joined.finish().lines, 64);
        assert_eq!(shared.peak_long_line_holders.load(Ordering::SeqCst), 1);
    }
}
