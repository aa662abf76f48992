//! The fleet audit's JavaScript face: `auditDeadSessions(pathOrBuffer, options)` (a Promise),
//! `auditDeadSessionsSync`, and the streaming `DeadSessionAuditor` (for histories read from a
//! database row by row). The core reads the sources; this module reads arguments, runs the
//! work off the JavaScript thread, draws the progress bar and builds answers and errors.
//!
//! Where the work runs: a Buffer or a regular file on libuv's pool (an `AsyncTask`); standard
//! input, a FIFO or a device, which may wait on another process for ever, on a thread of its
//! own, so that it can never hold a pool thread that `fs` needs.

// napi-rs registers these only outside `cargo test`, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use napi::bindgen_prelude::{
    AbortSignal, AsyncTask, Either, FromNapiValue, Function, JavaScriptClassExt, JsObjectValue, Object, This,
    ToNapiValue, Uint8Array, Unknown, Utf16String,
};
use napi::{Env, JsValue, ScopedTask, ValueType};
use napi_derive::napi;

use super::errors::or_throw;
use super::node_host::NodeHost;
use crate::core::audit::surrogates::{self, is_marked, unmarked_units};
use crate::core::audit::{self, AuditOptions, AuditReport, Auditor, PushedInput, ReadError, Source, Watch};
use crate::core::breaker::read_dead_run_rule;
use crate::core::contract_reads::time_value;
use crate::core::host::{type_error, Host, Kind, Outcome};

/// The options only the binding reads (the dead-run rule's two are the core's own
/// [`Key`](crate::core::host::Key)s).
#[derive(Debug, Clone, Copy)]
enum AuditOption {
    CompanyId,
    Since,
    Progress,
    Threads,
    Ordered,
    MaxLineBytes,
    TopSessions,
    Signal,
}

impl AuditOption {
    fn name(self) -> &'static str {
        match self {
            AuditOption::CompanyId => "companyId",
            AuditOption::Since => "since",
            AuditOption::Progress => "progress",
            AuditOption::Threads => "threads",
            AuditOption::Ordered => "ordered",
            AuditOption::MaxLineBytes => "maxLineBytes",
            AuditOption::TopSessions => "topSessions",
            AuditOption::Signal => "signal",
        }
    }
}

/// The audit's options as read: the core's, and what only the binding acts on.
struct ReadOptions<'env> {
    audit: AuditOptions,
    progress: bool,
    signal: Option<Unknown<'env>>,
}

/// The audit's options (`{ companyId, since, progress, threads, ordered, maxLineBytes,
/// deadLivenessStates, countUnrecordedResumes, signal }`, all optional).
fn read_options<'env>(host: &mut NodeHost<'env>, options: Option<Unknown<'env>>) -> Outcome<ReadOptions<'env>> {
    let mut read = ReadOptions {
        audit: AuditOptions::default(),
        progress: false,
        signal: None,
    };
    let Some(options) = options.filter(|o| !matches!(o.get_type(), Ok(ValueType::Undefined | ValueType::Null))) else {
        return Ok(read);
    };
    let field = |host: &mut NodeHost<'env>, option: AuditOption| host.get_named(options, option.name());
    let company = field(host, AuditOption::CompanyId)?;
    if !host.is_nullish(company)? {
        let Some(units) = host.string_units(company)? else {
            return type_error("options.companyId must be a string");
        };
        // Marked as the rows' ids are: a company id with a lone surrogate filters too.
        read.audit.company_id = Some(surrogates::mark_units(&units));
    }
    let since = field(host, AuditOption::Since)?;
    if !host.is_nullish(since)? {
        if !matches!(host.kind(since)?, Kind::Date(_) | Kind::Number(_) | Kind::String) {
            return type_error("options.since must be a Date, a string or a number");
        }
        let ms = time_value(host, since, &|| "options.since".to_owned())?;
        if ms.is_nan() {
            return type_error("options.since is not a valid time");
        }
        read.audit.since_ms = Some(ms);
    }
    let progress = field(host, AuditOption::Progress)?;
    read.progress = optional_boolean(host, progress, "options.progress")?;
    let threads = field(host, AuditOption::Threads)?;
    if !host.is_nullish(threads)? {
        match host.number(threads)? {
            // 0 (or anything below 1) means one per core.
            Some(n) if n >= 0.0 && n.is_finite() => {
                read.audit.threads = if n >= 1.0 { n.min(1024.0) as usize } else { 0 }
            }
            _ => return type_error("options.threads must be a number of threads, 0 or more (0: one per core)"),
        }
    }
    let ordered = field(host, AuditOption::Ordered)?;
    read.audit.ordered = optional_boolean(host, ordered, "options.ordered")?;
    let max_line_bytes = field(host, AuditOption::MaxLineBytes)?;
    if !host.is_nullish(max_line_bytes)? {
        match host.number(max_line_bytes)? {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => read.audit.max_line_bytes = n.min(usize::MAX as f64) as usize,
            _ => return type_error("options.maxLineBytes must be a whole number of bytes, at least 1"),
        }
    }
    let top_sessions = field(host, AuditOption::TopSessions)?;
    if !host.is_nullish(top_sessions)? {
        match host.number(top_sessions)? {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                read.audit.top_sessions = Some(n.min(usize::MAX as f64) as usize)
            }
            _ => return type_error("options.topSessions must be a whole number of sessions, 0 or more"),
        }
    }
    read.audit.rule = read_dead_run_rule(host, options, "options.")?;
    for state in &read.audit.rule.liveness_states {
        well_formed(state, "options.deadLivenessStates")?;
    }
    let signal = field(host, AuditOption::Signal)?;
    if !host.is_nullish(signal)? {
        if host.kind(signal)? != Kind::Object {
            return type_error("options.signal must be an AbortSignal");
        }
        read.signal = Some(signal);
    }
    Ok(read)
}

/// `[{ companyId, agentId, sessionId }, …]` as the ids the audit keys sessions by.
fn read_live_sessions<'env>(host: &mut NodeHost<'env>, sessions: Unknown<'env>) -> Outcome<Vec<[String; 3]>> {
    let Some(length) = host.array_length(sessions)? else {
        return type_error("sessions must be an array");
    };
    let mut ids = Vec::with_capacity(length as usize);
    for index in 0..length {
        let item = host.element(sessions, index)?;
        if !host.is_record(item)? {
            return type_error(format!("sessions[{index}] must be an object"));
        }
        let mut id = |name: &str| -> Outcome<String> {
            let value = host.get_named(item, name)?;
            match host.string_units(value)? {
                Some(units) => Ok(surrogates::mark_units(&units)),
                None => type_error(format!("sessions[{index}].{name} must be a string")),
            }
        };
        ids.push([id("companyId")?, id("agentId")?, id("sessionId")?]);
    }
    Ok(ids)
}

/// A boolean option: `true` or `false`, or absent (`undefined`, `null`) for `false`. Anything else
/// is refused: `"false"` would otherwise read as true.
fn optional_boolean<'env>(host: &mut NodeHost<'env>, value: Unknown<'env>, name: &str) -> Outcome<bool> {
    match host.kind(value)? {
        Kind::Undefined | Kind::Null => Ok(false),
        Kind::Boolean(b) => Ok(b),
        _ => type_error(format!("{name} must be a boolean")),
    }
}

/// A path holding a NUL is refused as Node's `fs` refuses it: a `TypeError` with the code
/// `ERR_INVALID_ARG_VALUE`, the path quoted with its control characters escaped.
fn refuse_nul_in_path(env: &Env, path: &str) -> napi::Result<()> {
    if !path.contains('\0') {
        return Ok(());
    }
    let mut shown = String::with_capacity(path.len() + 8);
    for ch in path.chars() {
        match ch {
            '\\' => shown.push_str("\\\\"),
            '\'' => shown.push_str("\\'"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => shown.push_str(&format!("\\x{:02x}", c as u32)),
            c => shown.push(c),
        }
    }
    let message =
        format!("The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received '{shown}'");
    env.throw_type_error(&message, Some("ERR_INVALID_ARG_VALUE"))?;
    Err(napi::Error::from_status(napi::Status::PendingException))
}

/// A string the core needs as UTF-8; a lone surrogate would name another company or file.
fn well_formed(units: &[u16], what: &str) -> Outcome<String> {
    match String::from_utf16(units) {
        Ok(text) => Ok(text),
        Err(_) => type_error(format!("{what} holds a lone surrogate (not well-formed UTF-16)")),
    }
}

/// A progress bar on stderr, redrawn at most four times a second.
struct ProgressBar {
    enabled: bool,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl ProgressBar {
    fn new(enabled: bool) -> ProgressBar {
        ProgressBar {
            enabled,
            started: Instant::now(),
            last_drawn: None,
        }
    }

    fn draw(&mut self, at: audit::Progress) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !at.done && self.last_drawn.is_some_and(|t| now.duration_since(t).as_millis() < 250) {
            return;
        }
        self.last_drawn = Some(now);
        let mb = at.bytes as f64 / 1e6;
        let rate = mb / now.duration_since(self.started).as_secs_f64().max(1e-3);
        let line = match at.total.filter(|&t| t > 0) {
            Some(total) => {
                let share = (at.bytes as f64 / total as f64).min(1.0);
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
        eprint!("{line}{}", if at.done { "\n" } else { "" });
    }
}

/// Where a history comes from: a source opened when the call was made, or why it could not
/// be (reported when the audit settles, as a read error is), or bytes.
enum Input<Bytes> {
    Source(Source),
    Unopened(Option<ReadError>),
    Bytes(Bytes),
}

/// Why an audit gave no report.
pub enum Failed {
    Read(ReadError),
    /// A panic, caught before it could unwind into libuv or V8 (never expected).
    Panicked,
}

/// One audit, its arguments read on the JavaScript thread. `Bytes` is the caller's
/// `Uint8Array` for a synchronous audit, and a copy of its bytes for one off the JavaScript
/// thread: JavaScript may transfer or change the buffer meanwhile.
pub struct AuditTask<Bytes = Vec<u8>> {
    input: Input<Bytes>,
    options: AuditOptions,
    progress: bool,
    /// Set by the signal's `abort`; the core checks it between chunks and while waiting.
    cancel: Arc<AtomicBool>,
    /// When the call was made: the report's `elapsedMs` runs from here to the object in hand.
    started: Instant,
}

impl<Bytes: AsRef<[u8]>> AuditTask<Bytes> {
    fn run(&mut self) -> Result<AuditReport, Failed> {
        let run = || match &mut self.input {
            Input::Bytes(bytes) => {
                let auditor = Auditor::new(self.options.clone());
                audit::audit_watched_bytes(bytes.as_ref(), auditor, &self.cancel).map_err(Failed::Read)
            }
            // The error is handed on once: a task runs once.
            Input::Unopened(error) => Err(error.take().map_or(Failed::Panicked, Failed::Read)),
            Input::Source(source) => {
                let mut bar = ProgressBar::new(self.progress);
                let mut draw = |at| bar.draw(at);
                let watch = Watch {
                    progress: &mut draw,
                    cancel: &self.cancel,
                };
                audit::audit_source(source, Auditor::new(self.options.clone()), watch).map_err(Failed::Read)
            }
        };
        catch_unwind(AssertUnwindSafe(run)).unwrap_or(Err(Failed::Panicked))
    }
}

impl AuditTask<Uint8Array> {
    fn from_arguments<'env>(
        env: &'env Env,
        source: Unknown<'env>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<(AuditTask<Uint8Array>, Option<Unknown<'env>>)> {
        let mut host = NodeHost::new(env);
        let options = or_throw(env, read_options(&mut host, options))?;
        let input = if let Some(units) = or_throw(env, host.string_units(source))? {
            let path = or_throw(env, well_formed(&units, "source (a path)"))?;
            refuse_nul_in_path(env, &path)?;
            // Opened here, without waiting (a FIFO included), so that where the audit runs is
            // decided on what is read: a path swapped for a FIFO later changes nothing.
            match Source::open(path) {
                Ok(source) => Input::Source(source),
                Err(error) => Input::Unopened(Some(error)),
            }
        } else if let Some(bytes) = or_throw(env, host.bytes(source))? {
            Input::Bytes(bytes)
        } else {
            return or_throw(env, type_error("source must be a file path or a Buffer (Uint8Array)"));
        };
        let task = AuditTask {
            input,
            options: options.audit,
            progress: options.progress,
            cancel: Arc::new(AtomicBool::new(false)),
            started: Instant::now(),
        };
        Ok((task, options.signal))
    }

    /// The task with the caller's bytes copied, to run off the JavaScript thread.
    fn detached(self) -> AuditTask {
        let input = match self.input {
            Input::Source(source) => Input::Source(source),
            Input::Unopened(error) => Input::Unopened(error),
            Input::Bytes(bytes) => Input::Bytes(bytes.to_vec()),
        };
        AuditTask {
            input,
            options: self.options,
            progress: self.progress,
            cancel: self.cancel,
            started: self.started,
        }
    }
}

/// The JavaScript error for a failed audit: Node.js's own shape for file errors (`code`,
/// `syscall`, `path`), an `AbortError` for a cancelled one.
fn failure_error(env: &Env, failed: &Failed) -> napi::Error {
    let built = || -> napi::Result<Object<'_>> {
        let message = match failed {
            Failed::Read(error) => error.to_string(),
            Failed::Panicked => "paperclip-session-compaction: the audit failed unexpectedly".to_owned(),
        };
        let mut error = env.create_error(napi::Error::from_reason(message))?;
        if let Failed::Read(read) = failed {
            error.set_named_property("code", env.create_string(read.code())?)?;
            match read {
                ReadError::Io { syscall, path, .. } => {
                    error.set_named_property("syscall", env.create_string(syscall)?)?;
                    error.set_named_property("path", env.create_string(path)?)?;
                }
                ReadError::Cancelled => error.set_named_property("name", env.create_string("AbortError")?)?,
            }
        }
        Ok(error)
    };
    match built() {
        Ok(error) => napi::Error::from(error.to_unknown()),
        Err(error) => error,
    }
}

impl<'task> ScopedTask<'task> for AuditTask {
    /// The audit's outcome, report or failure, settled on the JavaScript thread.
    type Output = Result<AuditReport, Failed>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: &'task Env, outcome: Self::Output) -> napi::Result<Unknown<'task>> {
        match outcome {
            Ok(report) => report_value(env, &report, self.started),
            Err(failed) => Err(failure_error(env, &failed)),
        }
    }
}

/// A finished report, handed to JavaScript as an object (through its `Serialize`), and when
/// the call that asked for it was made.
struct ReportValue(AuditReport, Instant);

impl ToNapiValue for ReportValue {
    unsafe fn to_napi_value(env: napi::sys::napi_env, value: Self) -> napi::Result<napi::sys::napi_value> {
        Ok(report_value(&Env::from_raw(env), &value.0, value.1)?.raw())
    }
}

/// The report as a JavaScript object, handed over in one piece: its JSON text, which V8's
/// `JSON.parse` turns into objects far faster than a Node-API call per property (a report holds
/// an object per session, and a fleet may have hundreds of thousands). Ids read with a lone
/// surrogate are held marked (`surrogates`); their objects then get the JavaScript strings they
/// stand for, unit for unit. `elapsedMs` is the whole call as its caller sees it: from
/// `started` to this object.
fn report_value<'env>(env: &'env Env, report: &AuditReport, started: Instant) -> napi::Result<Unknown<'env>> {
    let text = serde_json::to_string(report).map_err(|error| napi::Error::from_reason(error.to_string()))?;
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<String, Unknown> = json.get_named_property("parse")?;
    let value = parse.call(text)?;
    let marked = |ids: &[&str]| ids.iter().any(|id| is_marked(id));
    let object = Object::from_unknown(value)?;
    let restore = |list: &str, index: usize, ids: &[(&str, &str)]| -> napi::Result<()> {
        let items: Object = object.get_named_property(list)?;
        let mut item: Object = items.get_element(index as u32)?;
        for (key, id) in ids {
            item.set_named_property(key, Utf16String::from(unmarked_units(id).collect::<Vec<u16>>()))?;
        }
        Ok(())
    };
    for (index, s) in report.sessions.iter().enumerate() {
        if marked(&[&s.company_id, &s.agent_id, &s.session_id]) {
            restore(
                "sessions",
                index,
                &[
                    ("companyId", &s.company_id),
                    ("agentId", &s.agent_id),
                    ("sessionId", &s.session_id),
                ],
            )?;
        }
    }
    for (index, a) in report.agents.iter().enumerate() {
        if marked(&[&a.company_id, &a.agent_id]) {
            restore(
                "agents",
                index,
                &[("companyId", &a.company_id), ("agentId", &a.agent_id)],
            )?;
        }
    }
    for (index, c) in report.companies.iter().enumerate() {
        if marked(&[&c.company_id]) {
            restore("companies", index, &[("companyId", &c.company_id)])?;
        }
    }
    let mut object = object;
    object.set_named_property("elapsedMs", started.elapsed().as_secs_f64() * 1000.0)?;
    Ok(value)
}

/// Connects `signal` to the task: already aborted, the task fails at once; aborted later, the
/// core stops at its next check.
fn watch_signal(env: &Env, signal: Option<Unknown<'_>>, cancel: &Arc<AtomicBool>) -> napi::Result<Option<AbortSignal>> {
    let Some(signal) = signal else {
        return Ok(None);
    };
    let aborted: Unknown = Object::from_unknown(signal)?.get_named_property("aborted")?;
    if aborted.get_type()? == ValueType::Boolean && bool::from_unknown(aborted)? {
        cancel.store(true, Ordering::Relaxed);
    }
    let signal = AbortSignal::from_unknown(signal).map_err(|_| {
        let _ = env.throw_type_error("options.signal must be an AbortSignal", None);
        napi::Error::from_status(napi::Status::PendingException)
    })?;
    let flag = Arc::clone(cancel);
    signal.on_abort(move || flag.store(true, Ordering::Relaxed));
    Ok(Some(signal))
}

/// Runs a task that may wait for ever on a thread of its own, settling `deferred` from there.
/// If no thread can be had, the task comes back, to run on the pool after all.
fn run_on_own_thread(env: &Env, task: AuditTask) -> napi::Result<Either<Object<'_>, AuditTask>> {
    let (deferred, promise) = env.create_deferred::<ReportValue, _>()?;
    let (send, receive) = mpsc::channel::<AuditTask>();
    let started = std::thread::Builder::new()
        .name("session-audit-reader".to_owned())
        .spawn(move || {
            let Ok(mut task) = receive.recv() else { return };
            let outcome = task.run();
            let started = task.started;
            deferred.resolve(move |env| match outcome {
                Ok(report) => Ok(ReportValue(report, started)),
                Err(failed) => Err(failure_error(&env, &failed)),
            });
        });
    match started {
        Ok(_) => match send.send(task) {
            Ok(()) => Ok(Either::A(promise)),
            Err(mpsc::SendError(task)) => Ok(Either::B(task)),
        },
        Err(_) => Ok(Either::B(task)),
    }
}

/// Audits a history off the JavaScript thread: a file path (`-` for standard input; gzip is
/// detected) or a Buffer (copied first). `options.signal` cancels it.
#[napi(
    catch_unwind,
    ts_args_type = "source: string | Uint8Array, options?: DeadSessionAuditOptions",
    ts_return_type = "Promise<DeadSessionAuditReport>"
)]
pub fn audit_dead_sessions<'env>(
    env: &'env Env,
    source: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<Either<Object<'env>, AsyncTask<AuditTask>>> {
    let (task, signal) = AuditTask::from_arguments(env, source, options)?;
    let task = task.detached();
    let signal = watch_signal(env, signal, &task.cancel)?;
    let may_block = matches!(&task.input, Input::Source(source) if source.may_block());
    let task = if may_block {
        match run_on_own_thread(env, task)? {
            Either::A(promise) => return Ok(Either::A(promise)),
            Either::B(task) => task,
        }
    } else {
        task
    };
    Ok(Either::B(AsyncTask::with_optional_signal(task, signal)))
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
    let (mut task, _) = AuditTask::from_arguments(env, source, options)?;
    match task.run() {
        Ok(report) => report_value(env, &report, task.started),
        Err(failed) => Err(failure_error(env, &failed)),
    }
}

/// A streaming audit for histories that arrive in pieces: chunks of text (`push`), or whole
/// rows (`pushRow`, as a database hands them out).
#[napi(js_name = "DeadSessionAuditor")]
pub struct DeadSessionAuditor {
    input: Option<PushedInput>,
    /// When it was made: the report's `elapsedMs` runs from here to the object `finish` answers.
    started: Instant,
    /// A high surrogate that ended the last string pushed: its pair may open the next one.
    pending_high: Option<u16>,
}

#[napi]
impl DeadSessionAuditor {
    #[napi(constructor, ts_args_type = "options?: DeadSessionAuditOptions")]
    pub fn new<'env>(
        env: &'env Env,
        this: This<'env>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<DeadSessionAuditor> {
        // Called without `new`, `this` is the caller's receiver (globalThis, say): refuse to
        // attach an auditor to it, as a class constructor refuses.
        if !DeadSessionAuditor::instance_of(env, &this)? {
            return or_throw(
                env,
                type_error("Class constructor DeadSessionAuditor cannot be invoked without 'new'"),
            );
        }
        let options = or_throw(env, read_options(&mut NodeHost::new(env), options))?;
        Ok(DeadSessionAuditor {
            input: Some(PushedInput::new(Auditor::new(options.audit))),
            started: Instant::now(),
            pending_high: None,
        })
    }

    /// Feeds NDJSON text; lines may be split across calls, and so may a surrogate pair.
    #[napi(ts_args_type = "chunk: Uint8Array | string", ts_return_type = "this")]
    pub fn push<'env>(&mut self, env: &'env Env, this: This<'env>, chunk: Unknown<'env>) -> napi::Result<This<'env>> {
        let mut host = NodeHost::new(env);
        if let Some(units) = or_throw(env, host.string_units(chunk))? {
            let text = self.joined_text(units);
            self.input(env)?.push(text.as_bytes());
        } else if let Some(bytes) = or_throw(env, host.bytes(chunk))? {
            self.flush_high(env)?;
            self.input(env)?.push(&bytes);
        } else {
            return or_throw(env, type_error("chunk must be a Buffer (Uint8Array) or a string"));
        }
        Ok(this)
    }

    /// Feeds one whole row: its line breaks are JSON whitespace, never the end of a row.
    #[napi(ts_args_type = "row: Uint8Array | string", ts_return_type = "this")]
    pub fn push_row<'env>(&mut self, env: &'env Env, this: This<'env>, row: Unknown<'env>) -> napi::Result<This<'env>> {
        self.flush_high(env)?;
        let mut host = NodeHost::new(env);
        if let Some(units) = or_throw(env, host.string_units(row))? {
            self.auditor(env)?.push_row(String::from_utf16_lossy(&units).as_bytes());
        } else if let Some(bytes) = or_throw(env, host.bytes(row))? {
            self.auditor(env)?.push_row(&bytes);
        } else {
            return or_throw(env, type_error("row must be a Buffer (Uint8Array) or a string"));
        }
        Ok(this)
    }

    /// The sessions the server would still resume, as a database's live pointers name them
    /// (`{ companyId, agentId, sessionId }` each): dead now is then decided by them.
    #[napi(
        ts_args_type = "sessions: Array<{ companyId: string; agentId: string; sessionId: string }>",
        ts_return_type = "this"
    )]
    pub fn live_sessions<'env>(
        &mut self,
        env: &'env Env,
        this: This<'env>,
        sessions: Unknown<'env>,
    ) -> napi::Result<This<'env>> {
        let ids = or_throw(env, read_live_sessions(&mut NodeHost::new(env), sessions))?;
        if let Some(auditor) = self.input.as_mut().and_then(PushedInput::auditor) {
            auditor.live_sessions(ids.iter().map(|[c, a, s]| (c.as_str(), a.as_str(), s.as_str())));
            return Ok(this);
        }
        or_throw(env, type_error("DeadSessionAuditor: used after finish"))
    }

    /// Ends the input and answers the report; the auditor cannot be used after.
    #[napi(ts_return_type = "DeadSessionAuditReport")]
    pub fn finish<'env>(&mut self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.flush_high(env)?;
        let report = self
            .input
            .take()
            .and_then(PushedInput::finish)
            .ok_or_else(|| napi::Error::from_reason("DeadSessionAuditor: finish called twice"))?;
        report_value(env, &report, self.started)
    }
}

impl DeadSessionAuditor {
    fn input(&mut self, env: &Env) -> napi::Result<&mut PushedInput> {
        match self.input.as_mut() {
            Some(input) => Ok(input),
            None => or_throw(env, type_error("DeadSessionAuditor: used after finish")),
        }
    }

    fn auditor(&mut self, env: &Env) -> napi::Result<&mut Auditor> {
        match self.input.as_mut().and_then(PushedInput::auditor) {
            Some(auditor) => Ok(auditor),
            None => or_throw(env, type_error("DeadSessionAuditor: used after finish")),
        }
    }

    /// `units` after any high surrogate held from the last push, decoded; a high surrogate at
    /// the end is held for the next.
    fn joined_text(&mut self, units: Vec<u16>) -> String {
        let mut units = match self.pending_high.take() {
            Some(high) => std::iter::once(high).chain(units).collect(),
            None => units,
        };
        if units.last().is_some_and(|&u| (0xD800..0xDC00).contains(&u)) {
            self.pending_high = units.pop();
        }
        String::from_utf16_lossy(&units)
    }

    /// A held high surrogate that no low one followed: U+FFFD, as JavaScript encodes it.
    fn flush_high(&mut self, env: &Env) -> napi::Result<()> {
        if self.pending_high.take().is_some() {
            self.input(env)?.push("\u{FFFD}".as_bytes());
        }
        Ok(())
    }
}
