//! The fleet audit's JavaScript face: `auditDeadSessions(pathOrBuffer, options)` (a Promise;
//! the work runs on libuv's thread pool), `auditDeadSessionsSync`, and the streaming
//! `DeadSessionAuditor` (for histories read from a database in pages). Calls are few and
//! large here, so the napi-rs conversions are fine.

// napi-rs registers these only outside `cargo test`, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::io::Read;
use std::time::Instant;

use napi::bindgen_prelude::{AsyncTask, This, Uint8Array, Unknown};
use napi::{Env, ScopedTask, ValueType};
use napi_derive::napi;

use super::decisions::answer;
use super::reader::Reader;
use crate::core::audit::{self, AuditOptions, AuditReport, Auditor};
use crate::core::host::{type_error, Host, Key, Kind, Outcome};
use crate::core::read::{is_truthy, time_value};

/// The audit's options (`{ companyId, since, progress, threads, ordered, maxLineBytes }`, all
/// optional), and whether to draw a progress bar.
fn read_options<'env>(reader: &mut Reader<'env>, options: Option<Unknown<'env>>) -> Outcome<(AuditOptions, bool)> {
    let mut read = AuditOptions::default();
    let Some(options) = options.filter(|o| !matches!(o.get_type(), Ok(ValueType::Undefined | ValueType::Null))) else {
        return Ok((read, false));
    };
    let field = |reader: &mut Reader<'env>, key: Key| reader.get(options, key, &|| "options".to_owned());
    let company = field(reader, Key::CompanyId)?;
    if !reader.is_nullish(company)? {
        let Some(units) = reader.string_units(company)? else {
            return type_error("companyId must be a string");
        };
        read.company_id = Some(String::from_utf16_lossy(&units));
    }
    let since = field(reader, Key::Since)?;
    if !reader.is_nullish(since)? {
        if !matches!(reader.kind(since)?, Kind::Date(_) | Kind::Number(_) | Kind::String) {
            return type_error("since must be a Date, a string or a number");
        }
        let ms = time_value(reader, since, &|| "since".to_owned())?;
        if ms.is_nan() {
            return type_error("since is not a valid time");
        }
        read.since_ms = Some(ms);
    }
    let progress = field(reader, Key::Progress)?;
    let progress = is_truthy(reader, progress)?;
    let threads = field(reader, Key::Threads)?;
    if let Some(n) = reader.number(threads)? {
        // 0 (or anything below 1) means one per core.
        read.threads = if n >= 1.0 { n.min(1024.0) as usize } else { 0 };
    }
    let ordered = field(reader, Key::Ordered)?;
    read.ordered = is_truthy(reader, ordered)?;
    let max_line_bytes = field(reader, Key::MaxLineBytes)?;
    if !reader.is_nullish(max_line_bytes)? {
        match reader.number(max_line_bytes)? {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => read.max_line_bytes = n.min(usize::MAX as f64) as usize,
            _ => return type_error("maxLineBytes must be a whole number of bytes, at least 1"),
        }
    }
    Ok((read, progress))
}

/// A progress bar on stderr, redrawn at most four times a second.
struct Progress {
    enabled: bool,
    total: Option<u64>,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl Progress {
    fn draw(&mut self, done: u64, last: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !last && self.last_drawn.is_some_and(|t| now.duration_since(t).as_millis() < 250) {
            return;
        }
        self.last_drawn = Some(now);
        let mb = done as f64 / 1e6;
        let rate = mb / now.duration_since(self.started).as_secs_f64().max(1e-3);
        let line = match self.total.filter(|&t| t > 0) {
            Some(total) => {
                let share = (done as f64 / total as f64).min(1.0);
                let filled = (share * 30.0) as usize;
                format!(
                    "\r[{}{}] {:5.1}%  {mb:.0} / {:.0} MB  {rate:.0} MB/s",
                    "#".repeat(filled),
                    " ".repeat(30 - filled),
                    share * 100.0,
                    total as f64 / 1e6
                )
            }
            None => format!("\r{mb:.0} MB read  {rate:.0} MB/s"),
        };
        eprint!("{line}{}", if last { "\n" } else { "" });
    }
}

const CHUNK: usize = 16 << 20;

fn audit_reader(mut reader: impl Read, mut auditor: Auditor, mut progress: Progress) -> std::io::Result<AuditReport> {
    let mut buffer = vec![0u8; CHUNK];
    let mut done = 0u64;
    loop {
        let mut filled = 0;
        // Fill the chunk (pipes and gzip hand out small reads).
        while filled < buffer.len() {
            let Some(window) = buffer.get_mut(filled..) else { break };
            let n = reader.read(window)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        auditor.push(buffer.get(..filled).unwrap_or_default());
        done += filled as u64;
        progress.draw(done, false);
    }
    progress.draw(done, true);
    Ok(auditor.finish())
}

fn audit_path(path: &str, auditor: Auditor, progress: bool) -> std::io::Result<AuditReport> {
    let started = Instant::now();
    if path == "-" {
        return audit_maybe_gzip(
            std::io::BufReader::with_capacity(1 << 20, std::io::stdin().lock()),
            None,
            auditor,
            progress,
            started,
        );
    }
    let file = std::fs::File::open(path)?;
    let total = file.metadata().ok().map(|m| m.len());
    audit_maybe_gzip(
        std::io::BufReader::with_capacity(1 << 20, file),
        total,
        auditor,
        progress,
        started,
    )
}

/// Reads NDJSON, or gzip-compressed NDJSON (told by its first two bytes), from `reader`.
fn audit_maybe_gzip(
    mut reader: impl std::io::BufRead,
    total: Option<u64>,
    auditor: Auditor,
    progress: bool,
    started: Instant,
) -> std::io::Result<AuditReport> {
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    // Gzip: the bar counts uncompressed bytes, whose total is unknown.
    let p = Progress {
        enabled: progress,
        total: if gzip { None } else { total },
        started,
        last_drawn: None,
    };
    if gzip {
        audit_reader(flate2::bufread::MultiGzDecoder::new(reader), auditor, p)
    } else {
        audit_reader(reader, auditor, p)
    }
}

/// Where a history comes from.
enum Source<Bytes> {
    /// A file (`-` for standard input); gzip is detected.
    Path(String),
    /// The caller's bytes.
    Bytes(Bytes),
}

/// One audit, its arguments read on the JavaScript thread. `Bytes` is the caller's
/// `Uint8Array` for a synchronous audit, and a copy of its bytes for one on the thread pool:
/// JavaScript may transfer or change the buffer meanwhile.
pub struct AuditTask<Bytes = Vec<u8>> {
    source: Source<Bytes>,
    options: AuditOptions,
    progress: bool,
}

impl<Bytes: AsRef<[u8]>> AuditTask<Bytes> {
    fn run(&self) -> napi::Result<AuditReport> {
        match &self.source {
            Source::Path(path) => audit_path(path, Auditor::new(self.options.clone()), self.progress)
                .map_err(|e| napi::Error::from_reason(format!("{path}: {e}"))),
            Source::Bytes(bytes) => Ok(audit::audit_bytes(bytes.as_ref(), self.options.clone())),
        }
    }
}

impl AuditTask<Uint8Array> {
    fn from_arguments<'env>(
        env: &'env Env,
        source: Unknown<'env>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<AuditTask<Uint8Array>> {
        let mut reader = Reader::new(env);
        let (options, progress) = answer(env, read_options(&mut reader, options))?;
        let source = if let Some(units) = answer(env, reader.string_units(source))? {
            Source::Path(String::from_utf16_lossy(&units))
        } else if let Some(bytes) = answer(env, reader.bytes(source))? {
            Source::Bytes(bytes)
        } else {
            return answer(env, type_error("source must be a file path or a Buffer (Uint8Array)"));
        };
        Ok(AuditTask {
            source,
            options,
            progress,
        })
    }

    /// The task with the caller's bytes copied, to run off the JavaScript thread.
    fn detached(self) -> AuditTask {
        let source = match self.source {
            Source::Path(path) => Source::Path(path),
            Source::Bytes(bytes) => Source::Bytes(bytes.to_vec()),
        };
        AuditTask {
            source,
            options: self.options,
            progress: self.progress,
        }
    }
}

impl<'task> ScopedTask<'task> for AuditTask {
    type Output = AuditReport;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<AuditReport> {
        self.run()
    }

    fn resolve(&mut self, env: &'task Env, report: AuditReport) -> napi::Result<Unknown<'task>> {
        env.to_js_value(&report)
    }
}

/// Audits a history off the JavaScript thread: a file path (`-` for standard input; gzip is
/// detected) or a Buffer (copied first).
#[napi(
    catch_unwind,
    ts_args_type = "source: string | Uint8Array, options?: DeadSessionAuditOptions",
    ts_return_type = "Promise<DeadSessionAuditReport>"
)]
pub fn audit_dead_sessions<'env>(
    env: &'env Env,
    source: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<AsyncTask<AuditTask>> {
    AuditTask::from_arguments(env, source, options).map(|task| AsyncTask::new(task.detached()))
}

/// `auditDeadSessions` on the calling thread: the same report, synchronously.
#[napi(
    catch_unwind,
    ts_args_type = "source: string | Uint8Array, options?: DeadSessionAuditOptions",
    ts_return_type = "DeadSessionAuditReport"
)]
pub fn audit_dead_sessions_sync<'env>(
    env: &'env Env,
    source: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let report = AuditTask::from_arguments(env, source, options)?.run()?;
    env.to_js_value(&report)
}

/// A streaming audit for histories that arrive in pieces (pages of a database query).
#[napi(js_name = "DeadSessionAuditor")]
pub struct DeadSessionAuditor {
    auditor: Option<Auditor>,
}

#[napi]
impl DeadSessionAuditor {
    #[napi(constructor, ts_args_type = "options?: DeadSessionAuditOptions")]
    pub fn new<'env>(env: &'env Env, options: Option<Unknown<'env>>) -> napi::Result<DeadSessionAuditor> {
        let (options, _) = answer(env, read_options(&mut Reader::new(env), options))?;
        Ok(DeadSessionAuditor {
            auditor: Some(Auditor::new(options)),
        })
    }

    /// Feeds NDJSON text; lines may be split across calls.
    #[napi(ts_args_type = "chunk: Uint8Array | string", ts_return_type = "this")]
    pub fn push<'env>(&mut self, env: &'env Env, this: This<'env>, chunk: Unknown<'env>) -> napi::Result<This<'env>> {
        let auditor = self
            .auditor
            .as_mut()
            .ok_or_else(|| napi::Error::from_reason("DeadSessionAuditor: push after finish"))?;
        let mut reader = Reader::new(env);
        if let Some(units) = answer(env, reader.string_units(chunk))? {
            auditor.push(String::from_utf16_lossy(&units).as_bytes());
        } else if let Some(bytes) = answer(env, reader.bytes(chunk))? {
            auditor.push(&bytes);
        } else {
            return answer(env, type_error("chunk must be a Buffer (Uint8Array) or a string"));
        }
        Ok(this)
    }

    /// Ends the input and answers the report; the auditor cannot be used after.
    #[napi(ts_return_type = "DeadSessionAuditReport")]
    pub fn finish<'env>(&mut self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let auditor = self
            .auditor
            .take()
            .ok_or_else(|| napi::Error::from_reason("DeadSessionAuditor: finish called twice"))?;
        env.to_js_value(&auditor.finish())
    }
}
