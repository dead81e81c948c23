//! The `fleetscript` binary: parses the command line, maps it into the library's `Config`,
//! runs the command and turns the outcome into an exit code. All behaviour lives in the library.

mod cli;
mod fanout;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use cli::{Cli, Command, ConfigAction, ConnArgs, FleetArgs, RunArgs};
use fleetscript::script::bindings::SavePoint;
use fleetscript::script::library::{self, ScriptSource};
use fleetscript::settings as st;
use fleetscript::sim::{Fault, Sandbox, SimOptions, Simulator};
use fleetscript::{exit, Config, Runtime};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts allocations so a script's memory bound costs one atomic load per operation, around
/// mimalloc: a fleet-wide job allocates a record's values on the thread that reads its page and
/// frees them on another (the script's, the CSV writer's), which glibc's malloc serialises on its
/// arena locks (measured, 100,000 routers: backup 2.79 -> 2.14 s, inventory 3.30 -> 3.04 s).
#[global_allocator]
static ALLOC: fleetscript::memory::Counting<Mi> = fleetscript::memory::Counting(Mi);

/// mimalloc, its size classes told to the counter (a request is rounded up to its bin: a map
/// of small entries takes a fifth more than asked).
struct Mi;

// SAFETY: every call is forwarded to mimalloc unchanged.
unsafe impl std::alloc::GlobalAlloc for Mi {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        mimalloc::MiMalloc.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        mimalloc::MiMalloc.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        mimalloc::MiMalloc.realloc(ptr, layout, size)
    }
}

impl fleetscript::memory::SizeClass for Mi {
    fn class(&self, size: usize) -> usize {
        // SAFETY: a pure computation on a size.
        unsafe { libmimalloc_sys::mi_good_size(size) }
    }
}

/// The stack of the thread everything runs on: deep script values (compared, printed, cloned
/// or dropped recursively by the engine) fit where the default 8 MiB would overflow. Only the
/// pages used are ever backed by memory.
const STACK: usize = 2 << 30;

fn main() {
    let cli = Cli::parse();
    // Listings and reports piped into `head` end quietly when the reader goes, as Unix tools
    // do (Rust ignores SIGPIPE, and a write to the closed pipe would panic). A script's run and
    // the REPL keep going: their output goes through writes that drop a closed pipe's lines.
    if !matches!(cli.command, Command::Run(_) | Command::Repl(_)) {
        restore_sigpipe();
    }
    return_freed_memory_at_once();
    let big = std::thread::Builder::new()
        .name("fleetscript".into())
        .stack_size(STACK)
        .spawn(move || outcome(cli));
    let code = match big {
        Ok(t) => t.join().unwrap_or(exit::FAILURE),
        // No room for a big stack (strict overcommit): run here, with the default one.
        Err(_) => outcome(Cli::parse()),
    };
    std::process::exit(code);
}

/// mimalloc keeps freed memory for a while by default (a second), which raised the peak resident
/// size of a fleet-wide job; it is returned at once instead. (Its arenas are committed lazily,
/// set where mimalloc is built, in `.cargo/config.toml`: that option is read before `main`
/// runs.) Together: backup of 100,000 routers 101 MiB -> 45-49 MiB. The option is set by number,
/// `mi_option_purge_delay` (15) of mimalloc.h v3, the version libmimalloc-sys 0.1.49 builds
/// (pinned in Cargo.toml).
fn return_freed_memory_at_once() {
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one allocator option before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// The default action of SIGPIPE (end the process), which the Rust runtime turned off.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: sets the disposition of one signal to its default, before any other thread runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn outcome(cli: Cli) -> i32 {
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            // Masked with every key the environment and the config file hold: a bad setting
            // may echo one (a key pasted into CP_BASE_URL).
            let mask = fleetscript::http::Redactor::new(fleetscript::config::known_secrets());
            eprintln!("error: {}", mask.redact(&format!("{e:#}")));
            exit::USAGE
        }
    }
}

/// First Ctrl-C (or SIGTERM, SIGHUP) asks the running work to stop cleanly; a second one quits
/// at once. Once the run passed its point of no return (`saved`: a backup committed), neither
/// makes it a failure: the first lets it finish its report, the second quits with 0.
fn install_ctrl_c(cancel: Arc<AtomicBool>, saved: Arc<SavePoint>) {
    let _ = ctrlc::set_handler(move || {
        let done = saved.get();
        if cancel.swap(true, Ordering::SeqCst) {
            match done {
                Some(what) => {
                    eprintln!("\ninterrupted after {what}: that is saved and complete");
                    std::process::exit(exit::OK);
                }
                None => {
                    eprintln!("\ninterrupted");
                    std::process::exit(exit::INTERRUPTED);
                }
            }
        }
        match done {
            Some(what) => eprintln!(
                "\ninterrupting: {what} is saved; finishing the report... (Ctrl-C again to quit at once)"
            ),
            None => eprintln!("\ninterrupting... (Ctrl-C again to quit at once)"),
        }
    });
}

/// A run that did not stop within `--stop-grace` of `--max-time` (a library call that never
/// looks at the stop, stuck in a loop or on I/O): the message, then the process ends at once
/// with exit 1, which releases every lock it held (they are `flock`s).
fn end_overrun(message: &str) {
    eprintln!("error: {message}");
    // SAFETY: ends the process at once, without atexit handlers or destructors: another thread
    // is stuck inside a library, which such a handler (libgit2's shutdown) could tear down
    // under it.
    unsafe { libc::_exit(exit::FAILURE) }
}

/// A flag's value checked against its bounds (`--NAME must be ...`: exit 2).
fn flag<T>(r: fleetscript::Result<T>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("--{e}"))
}

fn sim_options(f: &FleetArgs) -> anyhow::Result<SimOptions> {
    Ok(SimOptions {
        routers: flag(st::SIM_ROUTERS.usize(f.routers as f64))?,
        seed: f.seed,
        latency: flag(st::SIM_LATENCY_MS.duration(f.latency_ms as f64))?,
        sync_delay: flag(st::SIM_SYNC_DELAY_MS.duration(f.sync_delay_ms as f64))?,
        reject_config: f.reject_config.clone(),
        break_apn: f.break_apn.clone(),
        rollback_after: flag(st::SIM_ROLLBACK_AFTER.duration(f.rollback_after))?,
        upgrade_time: flag(st::SIM_UPGRADE_SECS.duration(f.upgrade_secs))?,
        break_firmware: f.break_firmware.clone(),
        brick_firmware: f.brick_firmware.clone(),
        ..SimOptions::default()
    })
}

/// Defaults, the profile, the environment, then the flags; with `--sandbox`, the simulator's
/// options (checked here, before anything runs; [`runtime`] starts it).
fn conn_config(c: &ConnArgs) -> anyhow::Result<(Config, Option<SimOptions>)> {
    anyhow::ensure!(
        c.profile.len() <= 1,
        "--profile once here; several profiles are for `run` (the script runs once per profile)"
    );
    let (mut cfg, warnings) = Config::load(c.profile.first().map(String::as_str))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    for flags in [&c.access.given, &c.settings.given] {
        cfg.apply(flags, fleetscript::config::Origin::Flags)?;
    }
    cfg.http.dry_run = c.dry_run;
    cfg.http.verbose = c.verbose;
    cfg.write_dirs = c.allow_write.clone();
    cfg.read_dirs = c.allow_read.clone();
    let sandbox = c.sandbox.then(|| sim_options(&c.fleet)).transpose()?;
    Ok((cfg, sandbox))
}

/// The runtime of `run` and `repl`: with `--sandbox`, against a simulator started for it (both
/// clouds and their keys pointed at it).
fn runtime(
    cfg: Config,
    sandbox: Option<SimOptions>,
    cancel: Arc<AtomicBool>,
) -> fleetscript::Result<Runtime> {
    match sandbox {
        Some(opts) => fleetscript::sim::sandbox::runtime(cfg, opts, cancel),
        None => Runtime::with_cancel(cfg, cancel),
    }
}

fn sandbox_line(rt: &Runtime, f: &FleetArgs) -> Option<String> {
    rt.simulator().map(|sim| {
        format!(
            "sandbox: simulated NCM at {} ({} routers, seed {}), IgniteNet at {}",
            sim.ncm_base_url(),
            f.routers,
            f.seed,
            sim.ignitenet_base_url()
        )
    })
}

/// A script argument: `-` (standard input), an existing file, else a name on the library
/// path or built in; an unknown name is told the close ones.
fn resolve_script(name: &str, cfg: &Config) -> anyhow::Result<ScriptSource> {
    if name == "-" {
        let mut src = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut src)
            .context("reading the script from standard input")?;
        return Ok(ScriptSource::Text("<stdin>".into(), src));
    }
    let p = std::path::Path::new(name);
    if p.is_file() {
        return Ok(ScriptSource::File(p.to_path_buf()));
    }
    library::find_script(name, &cfg.library_path).with_context(|| {
        let scripts = library::list_scripts(&cfg.library_path);
        let stem = name.strip_suffix(".rhai").unwrap_or(name);
        let hint = fleetscript::script::lint::closest(stem, scripts.iter().map(|l| l.name.as_str()))
            .map(|close| format!("did you mean {close}? "))
            .unwrap_or_default();
        format!(
            "no script {name:?}: not a file, and not found on the library path ({}) nor built in; {hint}`fleetscript scripts` lists them",
            cfg.library_path_text()
        )
    })
}

fn run(a: RunArgs) -> anyhow::Result<i32> {
    let code = a.eval.clone();
    let Some(name) = a.script.as_deref().or(code.as_ref().map(|_| "-e")) else {
        let mut cmd = Cli::command();
        cmd.build();
        if let Some(run) = cmd.find_subcommand_mut("run") {
            run.print_help()?;
        }
        return Ok(if a.help { exit::OK } else { exit::USAGE });
    };
    if (a.all_profiles || a.conn.profile.len() > 1) && !a.help {
        anyhow::ensure!(
            code.is_none() && name != "-",
            "several profiles run a script file or name, not -e or standard input"
        );
        let profiles = if a.all_profiles {
            Config::profile_names()?
        } else {
            a.conn.profile.clone()
        };
        return fanout::run_per_profile(name, &profiles, a.jobs);
    }
    let (mut cfg, sandbox) = conn_config(&a.conn)?;
    let script = match &code {
        Some(c) => ScriptSource::Text("-e".into(), c.clone()),
        None => resolve_script(name, &cfg)?,
    };
    let src = script.source()?;
    if a.help {
        let h = library::header(&src);
        if h.is_empty() {
            println!("{} has no header comment.", script.display());
        } else {
            println!("{}\n\n({})", h, script.display());
        }
        match fleetscript::script::args::declaration(&h) {
            Ok(Some(d)) => println!("{}", fleetscript::script::args::usage(name, &d)),
            Ok(None) => {}
            Err(e) => println!("warning: {e}"),
        }
        return Ok(exit::OK);
    }
    run_settings(&a, &mut cfg)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let mut rt = runtime(cfg, sandbox, cancel.clone())?;
    rt.on_overrun(end_overrun);
    install_ctrl_c(cancel, rt.ctx().saved.clone());
    let dry_run = a.conn.dry_run;
    if dry_run {
        eprintln!("dry run: nothing will be written (every write is shown instead)");
    }
    let code = run_checked(&mut rt, name, &script, &src, code.is_some(), &a.conn.fleet);
    if dry_run {
        let n = rt.ncm().transport().stats.dry_run_writes()
            + rt.ignitenet().transport().stats.dry_run_writes();
        eprintln!(
            "dry run: nothing was written ({n} write{} planned)",
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(code)
}

/// What only `run` sets: the `--arg`s, `--max-time` and `--stop-grace`.
fn run_settings(a: &RunArgs, cfg: &mut Config) -> anyhow::Result<()> {
    for kv in &a.args {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--arg {kv:?}: expected KEY=VALUE"))?;
        anyhow::ensure!(!k.trim().is_empty(), "--arg {kv:?}: the key is empty");
        cfg.args.insert(k.trim().to_string(), v.to_string());
    }
    cfg.limits.max_time = match a.max_time.as_deref().map(str::trim) {
        None => Some(fleetscript::config::DEFAULT_MAX_TIME),
        Some("none") => None,
        Some(t) => {
            let secs: f64 = t
                .parse()
                .map_err(|_| anyhow::anyhow!("--max-time takes seconds or `none`, not {t:?}"))?;
            Some(flag(st::MAX_TIME.duration(secs))?)
        }
    };
    if let Some(g) = a.stop_grace {
        cfg.limits.stop_grace = flag(st::STOP_GRACE.duration(g))?;
    }
    Ok(())
}

/// A script's run after its pre-run checks (credentials of the clouds it uses, its declared
/// arguments), rendered; the exit code.
fn run_checked(
    rt: &mut Runtime,
    name: &str,
    script: &ScriptSource,
    src: &str,
    eval: bool,
    fleet: &FleetArgs,
) -> i32 {
    let checked = rt
        .check_credentials(name, script, src)
        .and_then(|()| rt.declare_args(name, src));
    if let Err(e) = checked {
        eprint!("{}", e.render());
        return e.exit_code();
    }
    if let Some(line) = sandbox_line(rt, fleet) {
        eprintln!("{line}");
    }
    let outcome = rt.run_script(script);
    // The calls the run made, per cloud, before the last word (an error line, the dry run's);
    // not before an outcome said in one line alone (exit 3, 75, a TLS failure).
    let alone = outcome.as_ref().is_err_and(|e| e.is_one_line());
    if let Some(line) = rt.calls().line().filter(|_| !alone) {
        eprintln!("{line}");
    }
    match outcome {
        Ok(v) => {
            if eval && !v.is_unit() {
                print_value(&v);
            }
            if let Some(what) = rt
                .saved()
                .filter(|_| rt.cancel_flag().load(Ordering::SeqCst))
            {
                eprintln!(
                    "interrupted after {what}: that is saved and complete; the report is above"
                );
            }
            exit::OK
        }
        Err(e) => {
            eprint!("{}", e.render());
            e.exit_code()
        }
    }
}

/// The value of `run -e`: a table on a terminal, JSON when piped.
fn print_value(v: &rhai::Dynamic) {
    use fleetscript::repl::format::{self, Format};
    use std::io::IsTerminal;
    let (f, width) = if std::io::stdout().is_terminal() {
        (Format::Table, format::terminal_width())
    } else {
        (Format::Json, usize::MAX)
    };
    print!("{}", format::render(v, f, width, &[]));
}

/// `config check`: each configured cloud called once; 0 when every configured one works (a
/// cloud without keys is only reported, unless `--require` names it: exit 2); else the code of
/// the worst failure (3 keys refused, 75 unavailable, 1 any other).
fn config_check(profile: Option<&str>, require: &[String]) -> anyhow::Result<i32> {
    use fleetscript::config::Cloud;
    let required = require
        .iter()
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            Cloud::parse(r)
                .ok_or_else(|| anyhow::anyhow!("--require {r:?}: expected ncm or ignitenet"))
        })
        .collect::<anyhow::Result<Vec<Cloud>>>()?;
    let (cfg, warnings) = Config::load(profile)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut code = exit::OK;
    let rank = |c: i32| {
        [
            exit::OK,
            exit::FAILURE,
            exit::TEMPFAIL,
            exit::AUTH,
            exit::USAGE,
        ]
        .iter()
        .position(|x| *x == c)
        .unwrap_or(0)
    };
    for check in Runtime::new(cfg)?.check_clouds() {
        println!("{}", check.line);
        let mut c = check.exit_code();
        if check.result.is_none() && required.contains(&check.cloud) {
            eprintln!(
                "error: {} is not configured, and --require names it",
                check.cloud.name()
            );
            c = exit::USAGE;
        }
        if rank(c) > rank(code) {
            code = c;
        }
    }
    Ok(code)
}

fn real_main(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Endpoints { name, json } => endpoints(name.as_deref(), json),
        Command::Definitions { out } => {
            let rt = Runtime::new(Config::default())?;
            let written = fleetscript::script::definitions::write(rt.engine(), &out)
                .with_context(|| format!("writing definitions to {}", out.display()))?;
            println!(
                "wrote {} files to {}; copy {} to the top of your scripts' directory (docs/guide.md, \"Editor support\")",
                written.len(),
                out.display(),
                out.join("Rhai.toml").display()
            );
            Ok(exit::OK)
        }
        Command::Check { scripts } => check(&scripts),
        Command::Run(a) => run(a),
        Command::Repl(a) => repl(&a),
        Command::Scripts { json } => {
            list_scripts(json);
            Ok(exit::OK)
        }
        Command::Docs { out, check } => docs(out.as_deref(), check),
        Command::Doc { name } => doc(&name),
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::OK)
        }
        Command::Config { action } => match action {
            ConfigAction::Show { profile } => {
                let (cfg, warnings) = Config::load(profile.as_deref())?;
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                print!("{}", cfg.describe());
                Ok(exit::OK)
            }
            ConfigAction::Check { profile, require } => config_check(profile.as_deref(), &require),
        },
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "fleetscript",
                &mut std::io::stdout(),
            );
            Ok(exit::OK)
        }
        Command::Sim(a) => serve_sim(&a),
    }
}

/// `fleetscript check`: compiles and lints each script; the worst exit code.
fn check(scripts: &[String]) -> anyhow::Result<i32> {
    let cfg = Config::from_env();
    let mut code = exit::OK;
    let found: Vec<(String, anyhow::Result<ScriptSource>)> = scripts
        .iter()
        .map(|s| (s.clone(), resolve_script(s, &cfg)))
        .collect();
    let mut rt = Runtime::new(cfg)?;
    for (s, script) in found {
        let script = match script {
            Ok(script) => script,
            Err(e) => {
                eprintln!("error: {e:#}");
                code = code.max(exit::USAGE);
                continue;
            }
        };
        match rt.check_script(&script) {
            Ok(_) => println!("ok: {s}"),
            Err(e) => {
                eprint!("{}", e.render());
                code = code.max(e.exit_code());
            }
        }
    }
    Ok(code)
}

/// `fleetscript repl`.
fn repl(a: &crate::cli::ReplArgs) -> anyhow::Result<i32> {
    let (mut cfg, sandbox) = conn_config(&a.conn)?;
    // The history file is never readable or writable from the prompt's scripts.
    cfg.denied_paths.extend(a.history.iter().cloned());
    let rt = runtime(cfg, sandbox, Arc::new(AtomicBool::new(false)))?;
    let banner = match sandbox_line(&rt, &a.conn.fleet) {
        Some(l) => format!("fleetscript {} — {l}", env!("CARGO_PKG_VERSION")),
        None => format!(
            "fleetscript {} — NCM at {}, IgniteNet at {}",
            env!("CARGO_PKG_VERSION"),
            rt.ncm().base_url(),
            rt.ignitenet().base_url()
        ),
    };
    let profile = if a.conn.sandbox {
        Some("sandbox".to_string())
    } else {
        rt.config().profile.clone()
    };
    let mut repl = fleetscript::repl::Repl::new(rt);
    repl.run(&fleetscript::repl::ReplOptions {
        history: a.history.clone(),
        banner,
        profile,
        dry_run: a.conn.dry_run,
    })
    .map_err(|e| anyhow::anyhow!("the terminal failed: {e}"))?;
    Ok(exit::OK)
}

/// `fleetscript endpoints [NAME] [--json]`.
fn endpoints(name: Option<&str>, json: bool) -> anyhow::Result<i32> {
    use fleetscript::ncm::catalog;
    if let Some(n) = name {
        if catalog::endpoint(n).is_none() {
            eprint!("{}", fleetscript::repl::fields_text(n));
            return Ok(exit::USAGE);
        }
    }
    if json {
        let v = match name {
            Some(n) => catalog::endpoint(n).map(catalog::Endpoint::to_json),
            None => Some(serde_json::json!({
                "ncm": catalog::ENDPOINTS.iter().map(catalog::Endpoint::to_json).collect::<Vec<_>>(),
                "ignitenet": fleetscript::ignitenet::routes_json(),
            })),
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(exit::OK);
    }
    // Cut to the terminal; whole lines when piped.
    let width = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        fleetscript::repl::format::terminal_width()
    } else {
        usize::MAX
    };
    match name {
        Some(n) => print!("{}", fleetscript::repl::fields_text(n)),
        None => {
            print!("{}", fit(&catalog::table(), width));
            print!("\n{}", fit(&fleetscript::ignitenet::table(), width));
        }
    }
    Ok(exit::OK)
}

/// Lines cut to the terminal's width (an ellipsis where cut).
fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    for l in text.lines() {
        if l.chars().count() > width && width > 1 {
            out.extend(l.chars().take(width - 1));
            out.push('…');
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

/// `fleetscript scripts [--json]`: the scripts on the library path and the built-in ones.
fn list_scripts(json: bool) {
    let cfg = Config::from_env();
    let list = library::list_scripts(&cfg.library_path);
    if json {
        let v: Vec<serde_json::Value> = list
            .iter()
            .map(|l| {
                serde_json::json!({"name": l.name, "purpose": l.purpose, "location": l.location, "hidden": l.shadowed})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    let w = list.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in &list {
        println!(
            "{:<w$}  {}{}",
            l.name,
            l.purpose,
            if l.shadowed {
                format!("  [hidden by an earlier one; {}]", l.location)
            } else if l.location != "(built in)" {
                format!("  [{}]", l.location)
            } else {
                String::new()
            }
        );
    }
    println!(
        "\nRun one with `fleetscript run NAME`; `fleetscript run NAME --help` shows its arguments.\nSearched: {} and the built-in scripts.",
        cfg.library_path_text()
    );
}

/// `fleetscript docs`: writes (or `--check`s) the generated reference.
fn docs(out: Option<&std::path::Path>, check: bool) -> anyhow::Result<i32> {
    let rt = Runtime::new(Config::default())?;
    let text = fleetscript::script::docs::reference(rt.engine());
    let Some(out) = out else {
        print!("{text}");
        return Ok(exit::OK);
    };
    if check {
        let current = std::fs::read_to_string(out).unwrap_or_default();
        if current == text {
            println!("{} is up to date", out.display());
            return Ok(exit::OK);
        }
        eprintln!(
            "{} is stale: regenerate it with `fleetscript docs --out {}` and commit it",
            out.display(),
            out.display()
        );
        return Ok(exit::FAILURE);
    }
    if let Some(d) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(exit::OK)
}

/// `fleetscript doc NAME`: one function's page, as the REPL's `:doc` shows it; exit 1 when
/// there is no such function (the page says what is close).
fn doc(name: &str) -> anyhow::Result<i32> {
    let rt = Runtime::new(Config::default())?;
    let docs = fleetscript::script::docs::all_docs(rt.engine());
    let page = fleetscript::script::docs::render_doc(&docs, name);
    if fleetscript::script::docs::lookup(&docs, name).is_empty() {
        eprint!("{page}");
        return Ok(exit::FAILURE);
    }
    print!("{page}");
    Ok(exit::OK)
}

/// `fleetscript sim`: serves the simulator until Ctrl-C.
fn serve_sim(a: &crate::cli::SimArgs) -> anyhow::Result<i32> {
    let mut opts = sim_options(&a.fleet)?;
    opts.addr = a.addr;
    opts.fail_rate = flag(st::SIM_FAIL_RATE.check(a.fail_rate))?;
    for f in &a.fault {
        opts.faults.push(Fault::parse(f)?);
    }
    let keys = opts.ncm_keys.clone();
    let ignitenet_key = opts.ignitenet_key.clone();
    let sim = Simulator::start(opts)?;
    println!(
        "NCM API v2 simulator: {}/ ({} routers, seed {})",
        sim.ncm_base_url(),
        a.fleet.routers,
        a.fleet.seed
    );
    println!("Use it with:");
    println!("  export CP_BASE_URL={}", sim.ncm_base_url());
    println!(
        "  export X_CP_API_ID={} X_CP_API_KEY={} X_ECM_API_ID={} X_ECM_API_KEY={}",
        keys.cp_api_id, keys.cp_api_key, keys.ecm_api_id, keys.ecm_api_key
    );
    println!("IgniteNet Cloud simulator: {}", sim.ignitenet_base_url());
    println!(
        "  export IGNITENET_BASE_URL={} IGNITENET_API_KEY={ignitenet_key}",
        sim.ignitenet_base_url()
    );
    println!("Ctrl-C to stop.");
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let _ = ctrlc::set_handler(move || s2.store(true, Ordering::SeqCst));
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let c = sim.counters();
    println!(
        "\nserved {} requests ({} redirects, {} unauthorized)",
        c.total, c.redirects, c.unauthorized
    );
    Ok(exit::OK)
}
