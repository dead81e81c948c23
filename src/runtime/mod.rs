//! The embeddable runtime: turns a `Config` into a ready engine and the two clients, compiles
//! and runs scripts, and reports failures as rendered diagnostics with the exit code the CLI
//! should use.

use crate::config::Config;
use crate::error::Result;
use crate::files::{Access, Confined};
use crate::http::{Redactor, Transport};
use crate::ignitenet::IgniteNetClient;
use crate::ncm::NcmClient;
use crate::script::bindings::{ScriptContext, StopReason};
use crate::script::diagnostics::{self, Diagnostic};
use rhai::{Dynamic, Engine, Scope, AST};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

mod outcome;
mod watchdog;

pub use outcome::{exit, CloudCalls, CloudCheck, ScriptError};
use watchdog::{Watch, Watchdog};

pub struct Runtime {
    engine: Engine,
    ncm: Arc<NcmClient>,
    ignitenet: Arc<IgniteNetClient>,
    /// What must live as long as the runtime (a local server its clients were pointed at):
    /// see [`Runtime::keep_alive`].
    kept: Vec<Box<dyn std::any::Any + Send + Sync>>,
    cancel: Arc<AtomicBool>,
    redactor: Redactor,
    config: Config,
    /// What the bindings share (file writes under the allowed directories, redaction).
    ctx: Arc<ScriptContext>,
    /// Where `import` looks, in order (the script's directory, then the library path).
    module_dirs: Vec<PathBuf>,
    /// Typed `--arg` values of a script that declares its arguments (`declare_args`).
    arg_values: Option<std::collections::BTreeMap<String, crate::script::args::ArgValue>>,
    /// Every native function path, for the lint (computed when first needed).
    known_paths: std::sync::OnceLock<std::collections::HashSet<String>>,
    /// Called when a run did not stop within `stop_grace` of its time limit (see `on_overrun`).
    overrun: Option<OverrunHook>,
}

/// What an embedder does with a run that did not stop within `Limits::stop_grace` of its time
/// limit, given the one-line message (`stopped: the run exceeded --max-time 1s; ...`). It is
/// called on the watchdog's thread while the run is still stuck; the binary ends the process.
pub type OverrunHook = Arc<dyn Fn(&str) + Send + Sync>;

impl Runtime {
    pub fn new(config: Config) -> Result<Runtime> {
        Self::with_cancel(config, Arc::new(AtomicBool::new(false)))
    }

    /// Builds the runtime with a cancellation flag owned by the caller (Ctrl-C handlers).
    pub fn with_cancel(config: Config, cancel: Arc<AtomicBool>) -> Result<Runtime> {
        config.check_secrets()?;
        let redactor = Redactor::new(config.secrets());
        // One connection pool per cloud, as large as the requests it may have in flight (two
        // listings read at once, or the bulk writes).
        let http = crate::http::HttpOptions {
            pool_size: config
                .page_concurrency
                .max(config.bulk_concurrency)
                .saturating_mul(2),
            ..config.http.clone()
        };
        let transport = Transport::new(http.clone(), redactor.clone(), cancel.clone())?;
        let ncm = Arc::new(
            NcmClient::new(&config.ncm_base_url, &config.ncm_credentials, transport)?
                .with_progress(config.progress)
                .with_page_concurrency(config.page_concurrency),
        );
        // IgniteNet has a transport of its own: its own stats, pool, rate limit and retry policy.
        let transport = Transport::new(http, redactor.clone(), cancel.clone())?;
        let ignitenet = Arc::new(IgniteNetClient::new(config.ignitenet.clone(), transport)?);
        let (writes, reads) = confinement(&config)?;
        let ctx = Arc::new(ScriptContext {
            ncm: ncm.clone(),
            ignitenet: ignitenet.clone(),
            bulk_concurrency: config.bulk_concurrency,
            bulk_rate: config.bulk_rate,
            redactor: redactor.clone(),
            cancel: cancel.clone(),
            stop: Default::default(),
            saved: Default::default(),
            doing: Default::default(),
            writes: std::sync::RwLock::new(writes),
            journal_dir: config.journal_dir(),
            reads: std::sync::RwLock::new(reads),
            confirm: Default::default(),
        });
        let engine = crate::script::engine::build(&ctx, &config.limits);
        let mut rt = Runtime {
            engine,
            ncm,
            ignitenet,
            kept: vec![],
            cancel,
            redactor,
            config,
            ctx,
            arg_values: None,
            module_dirs: vec![],
            known_paths: Default::default(),
            overrun: None,
        };
        rt.set_module_dir(Some(Path::new(".")));
        Ok(rt)
    }

    /// Rebuilds the engine and both clients from `config` (the REPL's `:set`), keeping the
    /// cancellation flag, the overrun hook and what was kept alive; modules registered by name
    /// ([`register_module`](Self::register_module)) are the caller's to register again.
    pub fn reconfigure(&mut self, config: Config) -> Result<()> {
        let mut next = Runtime::with_cancel(config, self.cancel.clone())?;
        next.kept = std::mem::take(&mut self.kept);
        next.overrun = self.overrun.take();
        *self = next;
        Ok(())
    }

    /// What to do with a run that does not stop within `Limits::stop_grace` of `max_time`: a
    /// library call that never looks at the stop flag (stuck in a loop, or on I/O) keeps the
    /// run going past its limit. Without a hook nothing more happens (the library never ends
    /// the process of its embedder); the binary's hook prints the message and exits 1.
    pub fn on_overrun(&mut self, hook: impl Fn(&str) + Send + Sync + 'static) {
        self.overrun = Some(Arc::new(hook));
    }

    /// The engine (compile, docs metadata).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Makes `module` importable under `name` without an `import` (the REPL's `:load`).
    pub fn register_module(&mut self, name: &str, module: Arc<rhai::Module>) {
        self.engine.register_static_module(name, module);
    }

    /// The NCM API v2 client scripts use.
    pub fn ncm(&self) -> &Arc<NcmClient> {
        &self.ncm
    }

    /// The IgniteNet Cloud client scripts use.
    pub fn ignitenet(&self) -> &Arc<IgniteNetClient> {
        &self.ignitenet
    }

    /// The API calls made so far: NCM's and IgniteNet's counters.
    pub fn calls(&self) -> CloudCalls {
        CloudCalls {
            ncm: self.ncm.transport().stats.calls(),
            ignitenet: self.ignitenet.transport().stats.calls(),
        }
    }

    /// The flag that stops a running script (set it from a Ctrl-C handler).
    pub fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.cancel
    }

    /// Clears a stop asked for earlier, before the next evaluation.
    pub fn reset_cancel(&self) {
        self.cancel
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Masks every secret of this runtime's configuration in a text.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The configuration the runtime was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the bindings share: confined file access, redaction, the clients.
    pub fn ctx(&self) -> &Arc<ScriptContext> {
        &self.ctx
    }

    /// Keeps `value` alive as long as the runtime: a local server the configuration was
    /// pointed at before the runtime was built, which must not stop while scripts call it.
    pub fn keep_alive<T: std::any::Any + Send + Sync>(&mut self, value: T) {
        self.kept.push(Box::new(value));
    }

    /// The first value of type `T` given to [`keep_alive`](Self::keep_alive), if any.
    pub fn kept_alive<T: std::any::Any>(&self) -> Option<&T> {
        self.kept.iter().find_map(|k| k.downcast_ref::<T>())
    }

    /// The scope scripts start with: `ARGS` (typed when the script declares its arguments).
    pub fn scope(&self) -> Scope<'static> {
        let mut scope = Scope::new();
        let args: rhai::Map = match &self.arg_values {
            Some(values) => values
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.to_dynamic()))
                .collect(),
            None => crate::script::args::untyped(&self.config.args),
        };
        scope.push_constant("ARGS", args);
        scope
    }

    /// Checks the `--arg`s against the script's declaration (its header's `Arguments:` block):
    /// an undeclared, missing or malformed argument, or an output file or directory the script
    /// may not write, is a usage error before anything runs. The script then sees typed values.
    pub fn declare_args(
        &mut self,
        script: &str,
        source: &str,
    ) -> std::result::Result<(), ScriptError> {
        use crate::script::args;
        let header = crate::script::library::header(source);
        let decls = match args::declaration(&header) {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(()),
            Err(e) => return Err(ScriptError::Setup(format!("{script}: {e}"))),
        };
        let mut values =
            args::check(script, &decls, &self.config.args).map_err(ScriptError::Setup)?;
        let ncm = self.ncm.clone();
        let find = |kind, name: &str| -> std::result::Result<String, String> {
            ncm.find(kind, name)
                .map(|r| r["id"].as_str().unwrap_or_default().to_string())
                .map_err(|e| self.ctx.redactor.redact(&e.to_string()))
        };
        args::resolve_names(&decls, &mut values, &find).map_err(ScriptError::Setup)?;
        for (d, path) in args::outputs(&decls, &values) {
            let probe = match d.form {
                args::Form::OutDir => format!("{}/.probe", path.trim_end_matches('/')),
                _ => path.to_string(),
            };
            self.ctx
                .check_writable(&probe)
                .map_err(|e| ScriptError::Setup(format!("--arg {}={path}: {e}", d.name)))?;
        }
        self.arg_values = Some(values);
        Ok(())
    }

    /// `import` resolves in `dir` (the script's own directory) first, then along the library
    /// path, then the built-in `std/` modules. `None`: the library path only.
    pub fn set_module_dir(&mut self, dir: Option<&Path>) {
        if let Some(d) = dir {
            // The script's own directory is readable (its data files sit beside it).
            let _ = self.ctx.allow_read(d);
        }
        let mut dirs: Vec<PathBuf> = dir.map(Path::to_path_buf).into_iter().collect();
        dirs.extend(self.config.library_path.iter().cloned());
        self.module_dirs = dirs.clone();
        self.engine
            .set_module_resolver(crate::script::library::LibraryResolver::new(dirs));
    }

    fn script_dir(path: &Path) -> PathBuf {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Compiles source text (with `ARGS` known to the strict-variables check).
    pub fn compile_source(
        &self,
        name: &str,
        source: &str,
    ) -> std::result::Result<AST, ScriptError> {
        self.compile_in(name, source, &self.scope())
    }

    /// Compiles source text against a scope (the REPL's, whose variables are known), then
    /// lints its `ncm::` references.
    pub fn compile_in(
        &self,
        name: &str,
        source: &str,
        scope: &Scope,
    ) -> std::result::Result<AST, ScriptError> {
        let ast = self
            .engine
            .compile_with_scope(scope, strip_shebang(source).as_ref())
            .map_err(|e| {
                ScriptError::Compile(Box::new(
                    self.masked(diagnostics::from_parse(name, source, &e)),
                ))
            })?;
        let mut findings = crate::script::lint::check(source);
        if source.contains("ignitenet::") {
            let known = self.known_paths.get_or_init(|| {
                crate::script::docs::native_docs(&self.engine)
                    .iter()
                    .map(|d| d.path())
                    .collect()
            });
            findings.extend(crate::script::lint::check_ignitenet(source, known));
            findings.sort_by_key(|f| (f.line, f.column));
        }
        if let Some(first) = findings.first() {
            return Err(ScriptError::Compile(Box::new(
                self.masked(Diagnostic {
                    message: first.message.clone(),
                    file: name.to_string(),
                    line: Some(first.line),
                    column: Some(first.column),
                    source_line: source.lines().nth(first.line - 1).map(str::to_string),
                    notes: findings[1..]
                        .iter()
                        .map(|f| format!("also {}:{}:{}: {}", name, f.line, f.column, f.message))
                        .collect(),
                }),
            )));
        }
        Ok(ast)
    }

    /// A diagnostic with every secret masked: the message, the notes and the script's own
    /// source line (a key pasted into a script never shows under an error).
    fn masked(&self, d: Diagnostic) -> Diagnostic {
        let r = &self.redactor;
        Diagnostic {
            message: r.redact(&d.message),
            source_line: d.source_line.map(|l| r.redact(&l)),
            notes: d.notes.iter().map(|n| r.redact(n)).collect(),
            ..d
        }
    }

    pub fn read_script(path: &Path) -> std::result::Result<String, ScriptError> {
        std::fs::read_to_string(path)
            .map_err(|e| ScriptError::Setup(format!("cannot read script {}: {e}", path.display())))
    }

    /// Compiles a script file without running it (`fleetscript check`).
    pub fn check_file(&mut self, path: &Path) -> std::result::Result<AST, ScriptError> {
        self.check_script(&crate::script::library::ScriptSource::File(
            path.to_path_buf(),
        ))
    }

    /// Everything `run` checks before the script starts, without calling any API
    /// (`fleetscript check`): compile and lint (calls, literal queries), the argument
    /// declaration, and every `import` resolved and compiled.
    pub fn check_script(
        &mut self,
        script: &crate::script::library::ScriptSource,
    ) -> std::result::Result<AST, ScriptError> {
        use crate::script::library::ScriptSource;
        let (name, source) = match script {
            ScriptSource::File(p) => {
                self.set_module_dir(Some(&Self::script_dir(p)));
                (p.display().to_string(), Self::read_script(p)?)
            }
            ScriptSource::Builtin(n, src) => {
                self.set_module_dir(None);
                (format!("{n}.rhai (built in)"), src.to_string())
            }
            ScriptSource::Text(n, src) => {
                self.set_module_dir(None);
                (n.clone(), src.clone())
            }
        };
        let ast = self.compile_source(&name, &source)?;
        crate::script::args::declaration(&crate::script::library::header(&source)).map_err(
            |e| ScriptError::Compile(Box::new(self.masked(Diagnostic::plain(&name, e)))),
        )?;
        self.check_imports(&name, &source)?;
        Ok(ast)
    }

    /// Resolves and compiles every `import "..."` of `source` along the module path.
    fn check_imports(&self, name: &str, source: &str) -> std::result::Result<(), ScriptError> {
        let resolver = crate::script::library::LibraryResolver::new(self.module_dirs.clone());
        for (line, module) in crate::script::lint::imports(source) {
            let problem = match resolver.locate(&module) {
                None => Some(format!(
                    "module \"{module}\" not found on the library path ({})",
                    resolver.searched()
                )),
                Some(found) => found
                    .source()
                    .map_err(|e| e.to_string())
                    .and_then(|src| {
                        self.engine
                            .compile(src)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                    .err()
                    .map(|e| format!("module \"{module}\" does not compile: {e}")),
            };
            if let Some(message) = problem {
                return Err(ScriptError::Compile(Box::new(self.masked(Diagnostic {
                    line: Some(line),
                    source_line: source.lines().nth(line - 1).map(str::to_string),
                    ..Diagnostic::plain(name, message)
                }))));
            }
        }
        Ok(())
    }

    /// Runs source text; the value of the last statement is returned.
    pub fn run_source(
        &mut self,
        name: &str,
        source: &str,
    ) -> std::result::Result<Dynamic, ScriptError> {
        let ast = self.compile_source(name, source)?;
        let mut scope = self.scope();
        self.eval_in(name, source, &mut scope, &ast)
    }

    /// Evaluates a compiled AST in a scope (kept by the caller, as the REPL does).
    pub fn eval_in(
        &self,
        name: &str,
        source: &str,
        scope: &mut Scope,
        ast: &AST,
    ) -> std::result::Result<Dynamic, ScriptError> {
        self.ctx.stop.clear();
        self.ctx.saved.clear();
        let _watchdog = self.config.limits.max_time.map(|limit| {
            Watchdog::start(Watch {
                limit,
                grace: self.config.limits.stop_grace,
                cancel: self.cancel.clone(),
                ctx: self.ctx.clone(),
                overrun: self.overrun.clone(),
                script: name.to_string(),
            })
        });
        self.engine
            .eval_ast_with_scope::<Dynamic>(scope, ast)
            .map_err(|e| self.script_error(name, source, &e))
    }

    /// What a failed evaluation is, by the exit-code contract: an interrupt or a limit; an
    /// uncaught `fail()`, refused credentials, an unavailable cloud or a lock (by the error
    /// value's `kind` and `cause`: no frames); else an error in the script, with its frames.
    fn script_error(&self, name: &str, source: &str, e: &rhai::EvalAltResult) -> ScriptError {
        use crate::error::Cause;
        let d = self.masked(diagnostics::from_eval(name, source, e));
        if is_interrupt(e) {
            return self.stopped(d);
        }
        let Some(thrown) = thrown_map(e) else {
            return ScriptError::Runtime(Box::new(d));
        };
        let field = |k: &str| thrown.get(k).map(|v| v.to_string()).unwrap_or_default();
        if field("kind") == crate::script::bindings::global::FAIL_KIND {
            return ScriptError::Failed(d.message);
        }
        if field("kind") == "tls" {
            return ScriptError::Tls(one_line(&self.redactor.redact(&field("message"))));
        }
        let what = |url: &str| self.cloud_at(url);
        match Cause::parse(&field("cause")) {
            Some(Cause::AuthRefused) => {
                let (cloud, hint) = match what(&field("url")) {
                    Some(c) => (c.name(), format!("check {}", self.config.keys_hint(c))),
                    None => ("the API", "check the API keys".to_string()),
                };
                ScriptError::AuthRefused(one_line(&self.redactor.redact(&format!(
                    "{cloud} refused the credentials (HTTP {}: {}); {hint}",
                    field("status"),
                    field("message")
                ))))
            }
            Some(Cause::Unavailable) => {
                let cloud = what(&field("url")).map_or("the API", |c| c.name());
                ScriptError::Unavailable(one_line(&self.redactor.redact(&format!(
                    "{cloud} is unavailable: {}; try again later",
                    field("description")
                ))))
            }
            Some(Cause::Locked) => ScriptError::Locked(Box::new(d)),
            _ => ScriptError::Runtime(Box::new(d)),
        }
    }

    /// An evaluation stopped by the cancellation flag: by a limit (a failure saying which), by
    /// the operator before the point of no return (130), or after it (not a failure).
    fn stopped(&self, d: Diagnostic) -> ScriptError {
        match self.ctx.stop.get() {
            StopReason::TIME => ScriptError::Runtime(Box::new(Diagnostic {
                message: format!(
                    "stopped: the script ran longer than its time limit ({}); raise it with --max-time SECS, or --max-time none",
                    crate::settings::human_duration(self.config.limits.max_time.unwrap_or_default())
                ),
                ..d
            })),
            StopReason::MEMORY => ScriptError::Runtime(Box::new(Diagnostic {
                message: format!(
                    "stopped: the process held more than {} MiB while the script ran; raise the bound with --max-memory MIB",
                    self.config.limits.max_memory.unwrap_or_default() >> 20
                ),
                ..d
            })),
            _ => match self.ctx.saved.get() {
                Some(what) => ScriptError::InterruptedAfterSave(what),
                None => ScriptError::Interrupted(Box::new(d)),
            },
        }
    }

    /// The cloud a request URL is of (by the clients' base URLs).
    fn cloud_at(&self, url: &str) -> Option<crate::config::Cloud> {
        use crate::config::Cloud;
        if url.starts_with(self.ncm.base_url().as_str()) {
            Some(Cloud::Ncm)
        } else if url.starts_with(self.ignitenet.base_url().as_str()) {
            Some(Cloud::IgniteNet)
        } else {
            None
        }
    }

    /// What the run passed its point of no return with, if it did (a backup saved for good):
    /// an interrupt after it is no failure.
    pub fn saved(&self) -> Option<String> {
        self.ctx.saved.get()
    }

    pub fn run_file(&mut self, path: &Path) -> std::result::Result<Dynamic, ScriptError> {
        let source = Self::read_script(path)?;
        self.set_module_dir(Some(&Self::script_dir(path)));
        self.run_source(&path.display().to_string(), &source)
    }

    /// Runs a script found by name (a file on the library path, or a built-in one).
    pub fn run_script(
        &mut self,
        script: &crate::script::library::ScriptSource,
    ) -> std::result::Result<Dynamic, ScriptError> {
        use crate::script::library::ScriptSource;
        match script {
            ScriptSource::File(p) => self.run_file(p),
            ScriptSource::Builtin(name, src) => {
                self.set_module_dir(None);
                self.run_source(&format!("{name}.rhai (built in)"), src)
            }
            ScriptSource::Text(name, src) => {
                self.set_module_dir(None);
                self.run_source(name, src)
            }
        }
    }

    /// The clouds a script uses, from a static look before it runs: the modules its calls name
    /// (`ncm::`, `ignitenet::`, comments and strings aside), in its source and in every module
    /// it imports, and a declared `GROUP` or `ROUTER` argument (found in NCM before it starts).
    pub fn clouds_used(
        &self,
        script: &crate::script::library::ScriptSource,
        source: &str,
    ) -> std::collections::BTreeSet<crate::config::Cloud> {
        use crate::config::Cloud;
        use crate::script::library::{LibraryResolver, ScriptSource};
        let mut dirs: Vec<PathBuf> = match script {
            ScriptSource::File(p) => vec![Self::script_dir(p)],
            _ => vec![],
        };
        dirs.extend(self.config.library_path.iter().cloned());
        let resolver = LibraryResolver::new(dirs);
        let mut called = std::collections::BTreeSet::new();
        let mut seen = std::collections::HashSet::new();
        let mut todo = vec![source.to_string()];
        // A bound on the modules read: an import cycle or a huge library ends the look.
        while let Some(src) = todo.pop().filter(|_| seen.len() < 256) {
            called.extend(crate::script::lint::modules_called(&src));
            for (_, module) in crate::script::lint::imports(&src) {
                if seen.insert(module.clone()) {
                    if let Some(text) = resolver.locate(&module).and_then(|l| l.source().ok()) {
                        todo.push(text);
                    }
                }
            }
        }
        let header = crate::script::library::header(source);
        let names_routers = crate::script::args::declaration(&header)
            .ok()
            .flatten()
            .is_some_and(|d| {
                d.iter()
                    .any(|a| matches!(a.form, crate::script::args::Form::Named(..)))
            });
        let mut out = std::collections::BTreeSet::new();
        if called.contains("ncm") || names_routers {
            out.insert(Cloud::Ncm);
        }
        if called.contains("ignitenet") {
            out.insert(Cloud::IgniteNet);
        }
        out
    }

    /// Credentials for every cloud the script uses ([`Runtime::clouds_used`]), checked before
    /// anything runs: a missing key is a usage error (exit 2) naming the keys to set.
    pub fn check_credentials(
        &self,
        name: &str,
        script: &crate::script::library::ScriptSource,
        source: &str,
    ) -> std::result::Result<(), ScriptError> {
        for cloud in self.clouds_used(script, source) {
            if !self.config.has_credentials(cloud) {
                return Err(ScriptError::Setup(format!(
                    "{name} uses {}, and its API keys are not set: set {}, or try it with --sandbox",
                    cloud.name(),
                    self.config.keys_hint(cloud)
                )));
            }
        }
        Ok(())
    }

    /// `config check`: one cheap read per configured cloud (NCM: one account; IgniteNet: the
    /// sites). A line per cloud, and what came of it; a cloud without keys is only reported.
    pub fn check_clouds(&self) -> Vec<CloudCheck> {
        use crate::config::Cloud;
        let report = |cloud: Cloud, url: &url::Url, r: Result<String>| match r {
            Ok(detail) => CloudCheck {
                cloud,
                line: format!("{} ({url}): ok{detail}", cloud.name()),
                result: Some(Ok(())),
            },
            Err(e) => {
                let cause = e.cause();
                let hint = match cause {
                    crate::error::Cause::AuthRefused => {
                        format!("; check {}", self.config.keys_hint(cloud))
                    }
                    crate::error::Cause::Unavailable => "; try again later".to_string(),
                    _ => String::new(),
                };
                CloudCheck {
                    cloud,
                    line: format!(
                        "{} ({url}): {}{hint}",
                        cloud.name(),
                        self.redactor.redact(&e.to_string())
                    ),
                    result: Some(Err(cause)),
                }
            }
        };
        let unconfigured = |cloud: Cloud| CloudCheck {
            cloud,
            line: format!(
                "{}: not configured (set {})",
                cloud.name(),
                self.config.keys_hint(cloud)
            ),
            result: None,
        };
        let ncm = if self.config.has_credentials(Cloud::Ncm) {
            let q = serde_json::json!({"limit": 1, "fields": ["id"]});
            let q = q.as_object().cloned().unwrap_or_default();
            let r = self.ncm.list("accounts", &q);
            report(Cloud::Ncm, self.ncm.base_url(), r.map(|_| String::new()))
        } else {
            unconfigured(Cloud::Ncm)
        };
        let ignitenet = if self.config.has_credentials(Cloud::IgniteNet) {
            let r = self
                .ignitenet
                .sites()
                .map(|s| format!(", {} sites", s.len()));
            report(Cloud::IgniteNet, self.ignitenet.base_url(), r)
        } else {
            unconfigured(Cloud::IgniteNet)
        };
        vec![ncm, ignitenet]
    }
}

/// Where scripts may write and read. Writes: the `--allow-write` directories, else the current
/// one. Reads: the current directory, the library path, the write directories and the
/// `--allow-read` ones (the script's own directory is added when it runs). Never: the config
/// file, the REPL history, `/proc`, `/sys`, `/dev`.
fn confinement(config: &Config) -> Result<(Confined, Confined)> {
    let mut denied = vec![
        crate::config::config_file_path(),
        crate::config::data_dir().join("history.txt"),
    ];
    denied.extend(config.denied_paths.iter().cloned());
    let cwd = PathBuf::from(".");
    let write_dirs = if config.write_dirs.is_empty() {
        vec![cwd.clone()]
    } else {
        config.write_dirs.clone()
    };
    let mut writes = Confined::new(Access::Write, &write_dirs, &denied)?;
    // The journals of earlier runs stay reachable (a rollback names one); the directory is only
    // made when a run asks for a journal there (`ncm::journal_file`).
    if config.journal_dir().is_dir() {
        writes.allow(&config.journal_dir())?;
    }
    let read_dirs: Vec<PathBuf> = std::iter::once(cwd)
        .chain(config.library_path.iter().cloned())
        .chain(write_dirs)
        .chain(config.read_dirs.iter().cloned())
        .collect();
    let reads = Confined::new(Access::Read, &read_dirs, &denied)?;
    Ok((writes, reads))
}

/// A `#!/usr/bin/env fleetscript run` first line becomes a comment (line numbers unchanged).
pub fn strip_shebang(source: &str) -> std::borrow::Cow<'_, str> {
    match source.strip_prefix("#!") {
        Some(rest) => std::borrow::Cow::Owned(format!("// {rest}")),
        None => std::borrow::Cow::Borrowed(source),
    }
}

/// The map an uncaught error value is (a library error, `fail`, or a map the script threw),
/// looked for through the calls that led to it.
fn thrown_map(e: &rhai::EvalAltResult) -> Option<rhai::Map> {
    use rhai::EvalAltResult::*;
    match e {
        ErrorRuntime(v, _) => v.read_lock::<rhai::Map>().map(|m| m.clone()),
        ErrorInFunctionCall(_, _, inner, _) | ErrorInModule(_, inner, _) => thrown_map(inner),
        _ => None,
    }
}

/// A message on one line (a server's multi-line text in a one-line error).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_interrupt(e: &rhai::EvalAltResult) -> bool {
    use rhai::EvalAltResult::*;
    match e {
        ErrorTerminated(..) => true,
        ErrorInFunctionCall(_, _, inner, _) | ErrorInModule(_, inner, _) => is_interrupt(inner),
        _ => false,
    }
}
