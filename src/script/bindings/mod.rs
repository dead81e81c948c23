//! Rhai modules exposed to scripts, the pattern they are written in (`functions!`), the run's
//! state they share (through the engine's tag), and the one place library errors become Rhai
//! errors.

/// Registers script functions into a module, each written once like a Rust function: its `///`
/// doc comment becomes Rhai's metadata (the REPL's `:doc` and `docs/reference.md`), `as "Map"`
/// after a parameter or the result is the type scripts see, and `#[volatile]` (not folded at
/// compile time) or `#[method]` (callable as `w.write(row)` outside the module) mark the few that
/// need it. The name before the first comma is the call's `NativeCallContext` (`_` when unused):
/// the script position for errors, and the run's state through [`state`].
///
/// ```text
/// functions! { &mut m;
///     /// The empty diff `[#{}, []]`.
///     fn empty(_) -> Dynamic as "Array" { ret(Diff::empty().to_value()) }
/// }
/// ```
macro_rules! functions {
    (@attr $reg:ident, $comments:ident, doc = $line:literal) => {{
        $comments.push_str("///");
        $comments.push_str($line);
        $comments.push('\n');
        $reg
    }};
    (@attr $reg:ident, $comments:ident, volatile) => {
        $reg.with_volatility(true)
    };
    (@attr $reg:ident, $comments:ident, method) => {
        $reg.with_namespace(rhai::FnNamespace::Global)
    };
    ($module:expr; $(
        $(#[$($attr:tt)*])*
        fn $name:ident ( $cx:pat_param $(, $p:ident : $t:ty as $s:literal)* $(,)? ) -> $rt:ty as $rs:literal $body:block
    )*) => {$({
        let mut comments = String::new();
        #[allow(unused_mut)]
        let mut reg = rhai::FuncRegistration::new(stringify!($name));
        $( reg = functions!(@attr reg, comments, $($attr)*); )*
        reg.with_comments([comments.trim_end()])
            .with_params_info([$(concat!(stringify!($p), ": ", $s),)* $rs])
            .set_into_module($module, move |call_cx: rhai::NativeCallContext $(, $p: $t)*| -> $rt {
                // What the run is in, for a watchdog that finds it stuck (see `Doing`).
                let _doing = $crate::script::bindings::Doing::enter(&call_cx, stringify!($name));
                let $cx = call_cx;
                // (Bound first: what the body's last expression borrows from `cx` ends here.)
                #[allow(clippy::let_and_return)]
                let result = $body;
                result
            });
    })*};
}

pub mod csv;
pub mod diff;
pub mod global;
pub mod ignitenet;
pub mod json;
pub mod log;
pub mod ncm;
pub mod ncm_backup;
pub mod ncm_bulk;
pub mod ncm_config;
pub mod ncm_records;
pub mod notify;
pub mod time;

use crate::error::Error;
use crate::files::Confined;
use crate::http::Redactor;
use crate::ignitenet::IgniteNetClient;
use crate::ncm::NcmClient;
use rhai::{EvalAltResult, Module, NativeCallContext, Position};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A JSON value as a script value.
pub fn ret(v: serde_json::Value) -> rhai::Dynamic {
    crate::script::convert::json_into_dynamic(v)
}

/// Why a run was stopped: set with the cancellation flag, so the error can say which limit it
/// was rather than "interrupted".
#[derive(Debug, Default)]
pub struct StopReason(std::sync::atomic::AtomicU8);

impl StopReason {
    pub const NONE: u8 = 0;
    pub const TIME: u8 = 1;
    pub const MEMORY: u8 = 2;

    pub fn set(&self, r: u8) {
        let _ = self.0.compare_exchange(
            Self::NONE,
            r,
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        );
    }
    pub fn get(&self) -> u8 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn clear(&self) {
        self.0
            .store(Self::NONE, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The run's point of no return: set once what it promised is saved for good (a backup's git
/// commit, a dated backup's final rename). After it, an interrupt no longer fails the run: the
/// script finishes its report (requests are no longer sent) and the run exits 0.
#[derive(Debug, Default)]
pub struct SavePoint(std::sync::Mutex<Option<String>>);

impl SavePoint {
    /// Records what was saved (`the git commit 1a2b3c4d5e6f in backups`); the first one stays.
    pub fn mark(&self, what: impl Into<String>) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            *g = Some(what.into());
        }
    }
    /// What was saved, once the run passed its point of no return.
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn is_set(&self) -> bool {
        self.get().is_some()
    }
    /// Forgets it (a new evaluation in the same runtime).
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The fleetscript function a run is in (its name and the script position of the call), for the
/// message of a run that did not stop at its time limit: set by every function of a `functions!`
/// block for as long as it runs (the previous one is put back when it returns).
#[derive(Debug, Default)]
pub struct Doing(std::sync::Mutex<Option<(&'static str, Position)>>);

/// Puts back what the run was in before a call (see [`Doing`]).
pub struct DoingGuard {
    ctx: Arc<ScriptContext>,
    before: Option<(&'static str, Position)>,
}

impl Doing {
    /// Records that the run is in `name`, called from `cx`'s position, until the guard drops.
    pub fn enter(cx: &NativeCallContext, name: &'static str) -> Option<DoingGuard> {
        let ctx = cx.tag()?.read_lock::<Arc<ScriptContext>>()?.clone();
        let before = ctx.doing.swap(Some((name, cx.call_position())));
        Some(DoingGuard { ctx, before })
    }

    fn swap(&self, now: Option<(&'static str, Position)>) -> Option<(&'static str, Position)> {
        std::mem::replace(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()), now)
    }

    /// `backup_configs, called at line 35 of nightly_backup.rhai` (`script` names the script);
    /// `None` outside any fleetscript function.
    pub fn describe(&self, script: &str) -> Option<String> {
        let now = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        now.map(|(name, pos)| match pos.line() {
            Some(line) => format!("{name}, called at line {line} of {script}"),
            None => format!("{name}, called from {script}"),
        })
    }
}

impl Drop for DoingGuard {
    fn drop(&mut self) {
        self.ctx.doing.swap(self.before.take());
    }
}

/// What bindings share: one per run, kept in the engine's tag and read with [`state`].
pub struct ScriptContext {
    pub ncm: Arc<NcmClient>,
    pub ignitenet: Arc<IgniteNetClient>,
    /// Defaults of `ncm::apply_all` (from the profile): parallelism and requests per second.
    pub bulk_concurrency: usize,
    pub bulk_rate: f64,
    pub redactor: Redactor,
    pub cancel: Arc<AtomicBool>,
    /// Which limit stopped the run, when one did.
    pub stop: Arc<StopReason>,
    /// Set when the run passed its point of no return (see [`SavePoint`]).
    pub saved: Arc<SavePoint>,
    /// The fleetscript function the run is in (see [`Doing`]).
    pub doing: Arc<Doing>,
    /// Where scripts may write: the current directory by default, or the `--allow-write` ones.
    pub writes: RwLock<Confined>,
    /// Where `ncm::journal_file` puts journals (`$XDG_STATE_HOME/fleetscript/journals`).
    pub journal_dir: PathBuf,
    /// Where scripts may read: the current directory, the script's own, the library path, the
    /// write directories and the `--allow-read` ones; never the config file, history or /proc.
    pub reads: RwLock<Confined>,
    /// Asked before a destructive call (a delete, a group reboot, a large `apply_all`) that
    /// is not a dry run: the REPL sets it to a question on the terminal; scripts have none.
    pub confirm: RwLock<Option<Confirm>>,
}

/// The run's state for the function being called: kept in the engine's tag (set by
/// `engine::build`), so the modules hold none of their own and each is built once.
pub fn state<'a>(
    cx: &'a NativeCallContext,
) -> RhaiResult<rhai::DynamicReadLock<'a, Arc<ScriptContext>>> {
    cx.tag()
        .and_then(|t| t.read_lock::<Arc<ScriptContext>>())
        .ok_or_else(|| {
            usage_error(
                cx.call_position(),
                "fleetscript functions run only in an engine built by fleetscript::Runtime",
            )
        })
}

/// The run's state and the call's script position: what most bindings start with.
pub fn call<'a>(
    cx: &'a NativeCallContext,
) -> RhaiResult<(rhai::DynamicReadLock<'a, Arc<ScriptContext>>, Position)> {
    Ok((state(cx)?, cx.call_position()))
}

/// Maps a library error at `pos` for a function that handles no credential (a diff builder, the
/// IgniteNet config model): nothing to mask.
pub fn error_at(pos: Position) -> impl Fn(Error) -> Box<EvalAltResult> {
    move |e| rhai_error(pos, e, &Redactor::default())
}

/// A JSON file under the directories scripts may read, parsed (`json::read`, `ncm::read_backup`).
pub fn read_json(c: &ScriptContext, pos: Position, path: &str) -> RhaiResult<rhai::Dynamic> {
    let bytes = c.read_file(path).map_err(err_at(c, pos))?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(ret)
        .map_err(|e| usage_error(pos, format!("{path}: not valid JSON: {e}")))
}

/// A client's counters as scripts see them (`ncm::calls`, `ignitenet::calls`), and whether its
/// writes are a dry run.
pub fn stats_map(t: &crate::http::Transport) -> rhai::Map {
    let c = t.stats.calls();
    let int = |v: u64| -> rhai::Dynamic { rhai::INT::try_from(v).unwrap_or(rhai::INT::MAX).into() };
    let mut m = rhai::Map::new();
    m.insert("dry_run".into(), t.options.dry_run.into());
    m.insert("requests".into(), int(c.requests));
    m.insert("retries".into(), int(c.retries));
    m.insert("rate_limited".into(), int(c.too_many));
    m.insert("bytes".into(), int(c.bytes));
    m.insert("unused".into(), int(c.wasted));
    m.insert("dry_run_writes".into(), int(c.dry_run_writes));
    m
}

/// A module that holds no state, built on first use and shared by every engine after.
pub fn built_once(
    cell: &'static std::sync::OnceLock<Arc<Module>>,
    build: fn() -> Module,
) -> Arc<Module> {
    cell.get_or_init(|| Arc::new(build())).clone()
}

/// A yes/no question about a destructive call, given what it will do.
pub type Confirm = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// More routers than this in one `apply_all` typed at the prompt asks for confirmation.
pub const CONFIRM_APPLY_ALL_OVER: usize = 3;

/// Goes on when the call is a dry run, nobody asks, or the answer is yes; else an error that
/// says nothing was sent.
pub fn confirmed(c: &ScriptContext, pos: Position, what: &str) -> RhaiResult<()> {
    if c.ncm.transport().options.dry_run {
        return Ok(());
    }
    let ask = c.confirm.read().unwrap_or_else(|e| e.into_inner()).clone();
    match ask {
        Some(ask) if !ask(what) => Err(usage_error(
            pos,
            format!("not confirmed: {what} was not done, nothing was sent"),
        )),
        _ => Ok(()),
    }
}

/// An id given as an integer, a string or a resource URL.
pub fn id_arg(pos: Position, d: &rhai::Dynamic) -> RhaiResult<String> {
    if let Ok(i) = d.as_int() {
        return Ok(i.to_string());
    }
    if d.is_string() {
        return Ok(d.to_string());
    }
    Err(usage_error(
        pos,
        format!(
            "an id must be an integer or a string, not {}",
            d.type_name()
        ),
    ))
}

/// A router or group argument of a helper: an id (an integer, digits or a resource URL) as it
/// is, anything else found as `ncm::router` / `ncm::group` find it (a name, a MAC, a serial).
pub fn named_id(
    ctx: &ScriptContext,
    pos: Position,
    d: &rhai::Dynamic,
    kind: crate::ncm::names::Kind,
) -> RhaiResult<String> {
    let raw = id_arg(pos, d)?;
    // Ids, resource URLs and anything that looks like a path go to the endpoint's id check
    // (which refuses what could leave the endpoint), never to a lookup by name.
    let id_like = raw.trim().bytes().all(|b| b.is_ascii_digit())
        || raw.contains(['/', '\\', '%'])
        || raw.contains("..");
    if id_like {
        return Ok(raw);
    }
    ctx.ncm
        .find(kind, &raw)
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .map_err(|e| rhai_error(pos, e, &ctx.redactor))
}

/// A router argument of a helper: an id, or a name, MAC or serial number (see [`named_id`]).
pub fn router_arg(ctx: &ScriptContext, pos: Position, d: &rhai::Dynamic) -> RhaiResult<String> {
    named_id(ctx, pos, d, crate::ncm::names::Kind::Router)
}

/// The map a script sees in `catch (e)` for a library error: the only place the library's
/// errors become Rhai values.
fn error_map(e: &Error, redact: &dyn Fn(&str) -> String) -> rhai::Map {
    use crate::error::redact_value;
    use crate::script::convert::json_to_dynamic;
    let mut m = rhai::Map::new();
    m.insert("kind".into(), e.kind().into());
    m.insert("cause".into(), e.cause().as_str().into());
    m.insert("message".into(), redact(&e.short_message()).into());
    m.insert("description".into(), redact(&e.to_string()).into());
    let status: rhai::Dynamic = match e.status() {
        Some(s) => (s as rhai::INT).into(),
        None => rhai::Dynamic::UNIT,
    };
    m.insert("status".into(), status);
    let (method, url, body, errors) = e.request_parts();
    m.insert("method".into(), method.into());
    m.insert("url".into(), redact(&url).into());
    m.insert("body".into(), json_to_dynamic(&redact_value(&body, redact)));
    let errs: rhai::Array = errors
        .iter()
        .map(|i| {
            let mut em = rhai::Map::new();
            em.insert("message".into(), redact(&i.message).into());
            em.insert("reason".into(), i.reason.clone().into());
            em.insert(
                "path".into(),
                json_to_dynamic(&serde_json::Value::Array(i.path.clone())),
            );
            em.insert(
                "value".into(),
                json_to_dynamic(&redact_value(&i.value, redact)),
            );
            em.into()
        })
        .collect();
    m.insert("errors".into(), errs.into());
    m
}

/// Converts a library error into a catchable Rhai error (`catch (e)` sees a map with `status`,
/// `message`, `body`, `errors`, `method`, `url`, `kind`, `cause`, `line`, `column`). Interruption becomes
/// Rhai's termination, which `try`/`catch` cannot swallow.
pub fn rhai_error(pos: Position, e: Error, redactor: &Redactor) -> Box<EvalAltResult> {
    if matches!(e, Error::Interrupted) {
        return EvalAltResult::ErrorTerminated("interrupted".into(), pos).into();
    }
    let mut m = error_map(&e, &|s| redactor.redact(s));
    m.insert(
        "line".into(),
        pos.line()
            .map(|l| (l as rhai::INT).into())
            .unwrap_or(rhai::Dynamic::UNIT),
    );
    m.insert(
        "column".into(),
        pos.position()
            .map(|l| (l as rhai::INT).into())
            .unwrap_or(rhai::Dynamic::UNIT),
    );
    EvalAltResult::ErrorRuntime(m.into(), pos).into()
}

/// A library result as a script value (`rhai::serde::to_dynamic`).
pub fn to_script<T: serde::Serialize>(pos: Position, v: &T) -> RhaiResult<rhai::Dynamic> {
    rhai::serde::to_dynamic(v).map_err(|e| {
        usage_error(
            pos,
            format!("a result could not be made a script value: {e}"),
        )
    })
}

/// A library list of results as a script array.
pub fn to_script_array<T: serde::Serialize>(pos: Position, v: &[T]) -> RhaiResult<rhai::Array> {
    to_script(pos, &v)?
        .into_array()
        .map_err(|t| usage_error(pos, format!("a list of results became a {t}")))
}

/// An options map into its typed struct (`deny_unknown_fields`): an unknown option or a value
/// of the wrong type is an error naming the options (`help`).
pub fn options<T: serde::de::DeserializeOwned>(
    pos: Position,
    what: &str,
    help: &str,
    o: rhai::Map,
) -> RhaiResult<T> {
    rhai::serde::from_dynamic(&rhai::Dynamic::from_map(o)).map_err(|e| {
        // serde's message ("unknown field `colour`, expected one of ..."), without the
        // parser's framing rhai puts around it.
        let text = e.to_string().replace(" (line 0, position 0)", "");
        let text = text.trim_start_matches("Syntax error: ");
        usage_error(pos, format!("{what}: {text}; {help}"))
    })
}

/// The options of a write that may replace a router's configuration (`put_router_config`,
/// `restore_config`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsOption {
    /// A PUT may drop the router's own secrets.
    #[serde(default)]
    pub drop_secrets: bool,
}

/// Maps a library error at `pos` into the script's error, with the context's secrets masked.
pub fn err_at(c: &ScriptContext, pos: Position) -> impl Fn(Error) -> Box<EvalAltResult> + '_ {
    move |e| rhai_error(pos, e, &c.redactor)
}

/// A plain script-usage error (bad argument) as a Rhai error.
pub fn usage_error(pos: Position, msg: impl Into<String>) -> Box<EvalAltResult> {
    rhai_error(pos, Error::Invalid(msg.into()), &Redactor::default())
}

impl ScriptContext {
    /// Writes `bytes` to `path` atomically under an allowed write directory (a temporary file,
    /// then one rename; no symlink below the directory is followed). A failure leaves any
    /// earlier file untouched and no partial file behind.
    pub fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
        self.writes()?.write_atomic(path, bytes, FILE_MODE)
    }

    /// The directories scripts may write in.
    pub fn writes(&self) -> Result<std::sync::RwLockReadGuard<'_, Confined>, Error> {
        self.writes
            .read()
            .map_err(|_| Error::invalid("the write directories are unavailable"))
    }

    /// Lets scripts write under `dir` too (made if missing): the journal directory, once a
    /// script asks for a journal there.
    pub fn allow_write(&self, dir: &Path) -> Result<(), Error> {
        self.writes
            .write()
            .map_err(|_| Error::invalid("the write directories are unavailable"))?
            .allow(dir)
    }

    /// Reads a file under an allowed read directory.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.reads
            .read()
            .map_err(|_| Error::invalid("the read directories are unavailable"))?
            .read(path)
    }

    /// Lets scripts read under `dir` too (the running script's own directory).
    pub fn allow_read(&self, dir: &Path) -> Result<(), Error> {
        self.reads
            .write()
            .map_err(|_| Error::invalid("the read directories are unavailable"))?
            .allow(dir)
    }

    /// Checks that `path` may be written, creating nothing yet (the file's parent is made
    /// when written).
    pub fn check_writable(&self, path: &str) -> Result<PathBuf, Error> {
        let writes = self.writes()?;
        let (root, rel) = writes.locate(path)?;
        Ok(root.path().join(rel))
    }
}

/// Files written for scripts (reports, JSON, journals, backups): owner-only, as they may hold
/// configuration.
pub const FILE_MODE: u32 = 0o600;
