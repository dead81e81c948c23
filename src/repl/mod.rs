//! The interactive REPL: variables and functions persist between inputs, results print as
//! tables / aligned maps / JSON / CSV (long ones through a pager; colour on a terminal unless
//! `NO_COLOR`), `:commands` (help, doc, endpoints, fields, format, save, load, reset, set,
//! history, quit), Tab completion (see `helper.rs`), a prompt naming the profile and `[dry-run]`, a
//! continuation prompt for multi-line input, a question before a destructive call, Ctrl-C
//! cancelling the running evaluation (paging stops between requests), and a history file in the
//! user's data directory that never keeps a line holding a secret.

pub mod format;
pub mod helper;
pub mod names;

use crate::runtime::{Runtime, ScriptError};
use crate::script::docs::{self, FnDoc};
use format::Format;
use helper::{ReplHelper, COMMANDS};
use rhai::{Dynamic, Scope, AST};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config as EditorConfig, Editor};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// REPL settings from the command line.
#[derive(Debug, Clone, Default)]
pub struct ReplOptions {
    /// Where the history is kept (`None`: `$XDG_DATA_HOME/fleetscript/history.txt`).
    pub history: Option<PathBuf>,
    /// A line describing the connection, shown at start-up.
    pub banner: String,
    /// The profile (or `sandbox`) the prompt names.
    pub profile: Option<String>,
    /// Writes are printed, not sent: the prompt says `[dry-run]`.
    pub dry_run: bool,
}

impl ReplOptions {
    /// `fleetscript (prod) [dry-run]> `
    pub fn prompt(&self) -> String {
        let mut p = String::from("fleetscript");
        if let Some(name) = &self.profile {
            p.push_str(&format!(" ({name})"));
        }
        if self.dry_run {
            p.push_str(" [dry-run]");
        }
        p.push_str("> ");
        p
    }

    /// `...> ` right-aligned under the prompt, for the lines of an unfinished input.
    pub fn continuation(&self) -> String {
        let width = self.prompt().chars().count().saturating_sub(2);
        format!("{:>width$}> ", "...")
    }
}

/// The REPL's state around a runtime.
pub struct Repl {
    pub rt: Runtime,
    /// Shared with the line editor's helper, which completes config paths from the values.
    scope: Arc<Mutex<Scope<'static>>>,
    /// Functions defined so far (statements are dropped after each evaluation).
    functions: AST,
    pub format: Format,
    last: Option<Dynamic>,
    docs: Vec<FnDoc>,
    inputs: usize,
    /// Bumped when the set of functions changes (an import), so completion follows.
    docs_version: usize,
    /// Modules imported at the prompt, registered again when `:set` rebuilds the runtime.
    imported: Vec<(String, Arc<rhai::Module>)>,
    /// Errors red, table headers bold (a terminal without `NO_COLOR`).
    colour: bool,
    /// Results taller than the terminal go through `$PAGER` (a terminal only).
    pager: bool,
}

/// What one input did (for the loop and for tests).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
}

impl Repl {
    pub fn new(mut rt: Runtime) -> Self {
        register_stdlib(&mut rt);
        let docs = docs::all_docs(rt.engine());
        let scope = Arc::new(Mutex::new(rt.scope()));
        Repl {
            rt,
            scope,
            functions: AST::empty(),
            format: Format::Table,
            last: None,
            docs,
            inputs: 0,
            docs_version: 0,
            imported: vec![],
            colour: false,
            pager: false,
        }
    }

    fn scope(&self) -> std::sync::MutexGuard<'_, Scope<'static>> {
        self.scope.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn variables(&self) -> Vec<String> {
        self.scope().iter().map(|(n, _, _)| n.to_string()).collect()
    }

    /// Handles one complete input (a `:command` or Rhai code); output goes to `out`.
    pub fn handle(&mut self, input: &str, out: &mut dyn Write) -> Outcome {
        let t = input.trim();
        if t.is_empty() {
            return Outcome::Continue;
        }
        if t.starts_with(':') {
            return self.command(t, out);
        }
        if let Some(imports) = parse_imports(t) {
            for (path, alias) in imports {
                match self.import(&path, &alias) {
                    Ok(()) => {
                        let _ = writeln!(out, "{alias}:: is {path} for the rest of the session");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                    }
                }
            }
            return Outcome::Continue;
        }
        self.inputs += 1;
        let name = format!("<input {}>", self.inputs);
        self.rt.reset_cancel();
        let before = self.rt.calls();
        let result = self.eval(&name, input);
        self.answer(input, result, out);
        // What the command cost the account: its API calls, when it made any.
        if let Some(line) = self.rt.calls().since(before).line() {
            let _ = writeln!(out, "{line}");
        }
        self.rt.reset_cancel();
        Outcome::Continue
    }

    /// Shows a command's value (a table, through the pager when long) or its error.
    fn answer(&mut self, input: &str, result: Result<Dynamic, ScriptError>, out: &mut dyn Write) {
        match result {
            Ok(v) => {
                if !v.is_unit() {
                    let fields = format::fields_in(input);
                    let text = format::render(&v, self.format, format::terminal_width(), &fields);
                    let mut text = self.rt.redactor().redact(&text);
                    if self.colour && self.format == Format::Table && v.is_array() {
                        text = paint::header(&text);
                    }
                    self.show(&text, out);
                    self.last = Some(v);
                }
            }
            Err(ScriptError::Interrupted(_)) => {
                let _ = writeln!(out, "interrupted");
            }
            Err(e) => {
                let text = e.render();
                let text = if self.colour {
                    paint::error(&text)
                } else {
                    text
                };
                let _ = out.write_all(text.as_bytes());
            }
        }
    }

    /// `import "path" as alias;` typed on its own: the module stays available to later inputs
    /// (an import inside a larger input is that input's only, as in scripts).
    fn import(&mut self, path: &str, alias: &str) -> Result<(), String> {
        let engine = self.rt.engine();
        let m = engine
            .module_resolver()
            .resolve(engine, None, path, rhai::Position::NONE)
            .map_err(|e| crate::script::diagnostics::from_eval(path, "", &e).message)?;
        self.rt.register_module(alias, m.clone());
        self.imported.push((alias.to_string(), m));
        self.docs = docs::all_docs(self.rt.engine());
        self.docs_version += 1;
        Ok(())
    }

    /// A result on the screen: through the pager when taller than the terminal.
    fn show(&self, text: &str, out: &mut dyn Write) {
        if self.pager && text.lines().count() + 2 > format::terminal_height() && page(text) {
            return;
        }
        let _ = out.write_all(text.as_bytes());
    }

    fn eval(&mut self, name: &str, source: &str) -> Result<Dynamic, ScriptError> {
        let scope = self.scope.clone();
        let mut scope = scope.lock().unwrap_or_else(|e| e.into_inner());
        let ast = self.rt.compile_in(name, source, &scope)?;
        let mut all = self.functions.clone();
        all += ast;
        let r = self.rt.eval_in(name, source, &mut scope, &all);
        // Keep the functions, drop the statements.
        all.clear_statements();
        self.functions = all;
        r
    }

    fn command(&mut self, t: &str, out: &mut dyn Write) -> Outcome {
        let (cmd, arg) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let arg = arg.trim();
        let mut say = |s: String| {
            let _ = out.write_all(s.as_bytes());
        };
        match cmd {
            ":quit" | ":q" | ":exit" => return Outcome::Quit,
            ":help" | ":h" | ":?" => {
                let mut s = String::from("Type Rhai code (an unclosed bracket or a trailing operator continues on the next line).\nTab completes module paths, functions, :commands and query keys inside ncm::<endpoint>::list(#{...}).\nCtrl-C cancels what is running; Ctrl-D quits.\n\n");
                for (c, d) in COMMANDS {
                    s.push_str(&format!("  {c:<11} {d}\n"));
                }
                s.push_str("\nModules: ncm::, ignitenet::, diff::, csv::, json::, time::, log::, and std/ as args::, lookup::, text::\n");
                say(s);
            }
            ":doc" => {
                if arg.is_empty() {
                    say("usage: :doc NAME, e.g. :doc ncm::routers::list or :doc diff\n".into());
                } else {
                    say(docs::render_doc(&self.docs, arg));
                }
            }
            ":endpoints" => {
                say(crate::ncm::catalog::table());
                say(format!("\n{}", crate::ignitenet::table()));
            }
            ":fields" => say(fields_text(arg)),
            ":format" => match Format::parse(arg) {
                Some(f) => {
                    self.format = f;
                    say(format!("results now show as {}\n", f.as_str()));
                }
                None => say(format!(
                    "usage: :format table|json|csv (now {})\n",
                    self.format.as_str()
                )),
            },
            ":save" => match (&self.last, arg) {
                (_, "") => say("usage: :save FILE.json or :save FILE.csv\n".into()),
                (None, _) => say("nothing to save yet: evaluate something first\n".into()),
                (Some(v), path) => match format::save_text(v, path) {
                    Ok(text) => match self.rt.ctx().write_atomic(path, text.as_bytes()) {
                        Ok(p) => say(format!("saved to {}\n", p.display())),
                        Err(e) => say(format!("error: {e}\n")),
                    },
                    Err(e) => say(format!("error: {e}\n")),
                },
            },
            ":load" => {
                let text = self.load(arg);
                say(text);
            }
            ":set" => {
                let text = self.set(arg);
                say(text);
            }
            ":reset" => {
                *self.scope() = self.rt.scope();
                self.functions = AST::empty();
                self.last = None;
                say("every variable and function is forgotten\n".into());
            }
            other => say(format!(
                "unknown command {other}; commands: {}\n",
                COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        }
        Outcome::Continue
    }

    /// `:load FILE`: runs a script at the prompt; its value, or what became of it.
    fn load(&mut self, arg: &str) -> String {
        if arg.is_empty() {
            return "usage: :load FILE\n".into();
        }
        match std::fs::read_to_string(arg) {
            Ok(src) => {
                self.rt.reset_cancel();
                match self.eval(arg, &src) {
                    Ok(v) if !v.is_unit() => {
                        format::render(&v, self.format, format::terminal_width(), &[])
                    }
                    Ok(_) => format!("loaded {arg}\n"),
                    Err(e) => e.render(),
                }
            }
            Err(e) => format!("error: cannot read {arg}: {e}\n"),
        }
    }

    /// `:set`: every setting of the table with its value and where it came from; `:set NAME
    /// VALUE` changes one for the rest of the session (the runtime is rebuilt with it; variables,
    /// functions and imports stay). API keys are not typed at the prompt.
    fn set(&mut self, arg: &str) -> String {
        use crate::settings::{self, Kind};
        if arg.is_empty() {
            return format!(
                "{}change one with :set NAME VALUE (API keys: in a profile or the environment)\n",
                self.rt.config().describe_settings()
            );
        }
        let (name, value) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
        let Some(s) = settings::setting(name) else {
            let names = settings::SETTINGS.iter().map(|s| s.name);
            return format!(
                "unknown setting {name}{}; :set lists them\n",
                crate::ncm::catalog::did_you_mean(name, names)
            );
        };
        if s.kind == Kind::Secret {
            return format!(
                "{name} is an API key: set it in a profile or the environment, not at the prompt\n"
            );
        }
        if value.trim().is_empty() {
            return format!("usage: :set {name} VALUE ({})\n", s.help);
        }
        let mut config = self.rt.config().clone();
        let set = crate::config::Written::parse(s.kind, value)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|v| {
                config
                    .set(s, &v, crate::config::Origin::Prompt)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = set {
            return format!("error: {}\n", self.rt.redactor().redact(&e));
        }
        let line = config
            .describe_settings()
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .collect::<Vec<_>>()
            .join("\n");
        // The question before a destructive call stays.
        let confirm = self
            .rt
            .ctx()
            .confirm
            .read()
            .map(|c| c.clone())
            .unwrap_or_default();
        if let Err(e) = self.rt.reconfigure(config) {
            return format!("error: {}\n", self.rt.redactor().redact(&e.to_string()));
        }
        *self
            .rt
            .ctx()
            .confirm
            .write()
            .unwrap_or_else(|e| e.into_inner()) = confirm;
        register_stdlib(&mut self.rt);
        for (alias, m) in &self.imported {
            self.rt.register_module(alias, m.clone());
        }
        self.docs = docs::all_docs(self.rt.engine());
        self.docs_version += 1;
        format!("{line}\n")
    }

    /// The line editor with its helper: completion from the docs, the account's names
    /// (fetched in the background once a name is being typed) and the REPL's variables.
    fn editor(&self) -> Result<Editor<ReplHelper, FileHistory>, String> {
        let config = EditorConfig::builder()
            .auto_add_history(false)
            .history_ignore_dups(true)
            .map_err(|e| e.to_string())?
            .max_history_size(5000)
            .map_err(|e| e.to_string())?
            .completion_type(rustyline::CompletionType::List)
            .build();
        let mut ed: Editor<ReplHelper, FileHistory> =
            Editor::with_config(config).map_err(|e| e.to_string())?;
        let mut helper = ReplHelper::new(&self.docs);
        if self.rt.ncm().check_creds().is_ok() {
            let names = names::NameCache::new(self.rt.ncm().clone(), names::NAMES_TTL);
            helper.names = Some(names);
        }
        helper.scope = Some(self.scope.clone());
        ed.set_helper(Some(helper));
        Ok(ed)
    }

    /// What the prompt does on a terminal: Ctrl-C cancels what runs, colour and the pager when
    /// wanted, a question before a destructive call.
    fn on_terminal(&mut self) {
        // Ctrl-C while code runs stops it; at the prompt it only clears the line.
        let cancel = self.rt.cancel_flag().clone();
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst));
        // That handler takes SIGTERM and SIGHUP too (a script run stops cleanly on them); the
        // prompt ends on them, as any program does: only Ctrl-C cancels here.
        #[cfg(unix)]
        // SAFETY: sets two signals' dispositions to their defaults; no handler code is involved.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
        }
        self.colour = paint::wanted();
        self.pager = std::io::IsTerminal::is_terminal(&std::io::stdout());
        *self
            .rt
            .ctx()
            .confirm
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(ask_on_terminal));
    }

    /// The interactive loop on the terminal.
    pub fn run(&mut self, opts: &ReplOptions) -> Result<(), String> {
        let mut ed = self.editor()?;
        let vars = match ed.helper() {
            Some(h) => h.variables.clone(),
            None => Default::default(),
        };
        let mut docs_seen = self.docs_version;
        let history = opts
            .history
            .clone()
            .unwrap_or_else(|| crate::config::data_dir().join("history.txt"));
        let _ = ed.load_history(&history);
        self.on_terminal();
        let secret_fns = secret_functions(&self.docs);
        println!("{}", opts.banner);
        println!("Type :help for help; Tab completes; Ctrl-C cancels; Ctrl-D quits.");
        let (prompt, more) = (opts.prompt(), opts.continuation());
        let mut stdout = std::io::stdout();
        let mut pending = String::new();
        loop {
            *vars.lock().unwrap_or_else(|e| e.into_inner()) = self.variables();
            if docs_seen != self.docs_version {
                if let Some(h) = ed.helper() {
                    h.set_docs(&self.docs);
                }
                docs_seen = self.docs_version;
            }
            let shown = if pending.is_empty() { &prompt } else { &more };
            match ed.readline(shown) {
                Ok(line) => {
                    if !pending.is_empty() {
                        pending.push('\n');
                    }
                    pending.push_str(&line);
                    if ed.helper().is_some_and(|h| h.is_incomplete(&pending)) {
                        continue;
                    }
                    let input = std::mem::take(&mut pending);
                    if !input.trim().is_empty()
                        && !self.rt.redactor().is_secret_in(&input)
                        && !holds_typed_secret(&input, &secret_fns)
                    {
                        let _ = ed.add_history_entry(input.as_str());
                        save_history(&mut ed, &history);
                    }
                    if input.trim() == ":history" {
                        for (i, h) in ed.history().iter().enumerate() {
                            println!("{:>4}  {}", i + 1, h.replace('\n', "\n      "));
                        }
                        continue;
                    }
                    let o = self.handle(&input, &mut stdout);
                    let _ = stdout.flush();
                    if o == Outcome::Quit {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) if !pending.is_empty() => {
                    pending.clear();
                    println!("(input dropped)");
                }
                Err(ReadlineError::Interrupted) => {
                    println!("(Ctrl-D or :quit to leave)");
                }
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.to_string()),
            }
        }
        save_history(&mut ed, &history);
        Ok(())
    }
}

/// The question before a destructive call typed at the prompt: only `yes` goes on.
fn ask_on_terminal(what: &str) -> bool {
    let mut out = std::io::stdout();
    let _ = write!(out, "{what}: type yes to go on, anything else to stop: ");
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim().eq_ignore_ascii_case("yes")
}

/// The std/ modules, there without `import` at the prompt: `args::int(...)`.
fn register_stdlib(rt: &mut Runtime) {
    for (name, src) in crate::script::library::STDLIB {
        if let Ok(ast) = rt.engine().compile(src) {
            if let Ok(m) = rhai::Module::eval_ast_as_new(Scope::new(), &ast, rt.engine()) {
                rt.register_module(name, m.into());
            }
        }
    }
}

/// Words naming a secret in a call or a map key (`passkey`, `password`, ...).
const SECRET_WORDS: &[&str] = &[
    "passkey",
    "password",
    "passwd",
    "passphrase",
    "psk",
    "secret",
    "api_key",
    "apikey",
    "token",
    "private_key",
    "shared_key",
];

/// The functions that take a secret argument (a parameter named like one), by path.
fn secret_functions(docs: &[FnDoc]) -> Vec<String> {
    docs.iter()
        .filter(|d| {
            let params = d.signature.split_once('(').map(|(_, p)| p).unwrap_or("");
            SECRET_WORDS
                .iter()
                .any(|w| params.to_lowercase().contains(w))
        })
        .map(|d| format!("{}(", d.path()))
        .collect()
}

/// Does the line type a secret: a string literal given with a secret's name (a map key, a
/// variable, a path) or to a function taking one, or a `:set proxy` line?
fn holds_typed_secret(line: &str, secret_fns: &[String]) -> bool {
    // `:set proxy URL` may carry the proxy's password.
    if line.trim_start().starts_with(":set proxy") {
        return true;
    }
    if !line.contains('"') && !line.contains('`') {
        return false;
    }
    let lower = line.to_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w)) || secret_fns.iter().any(|f| line.contains(f))
}

/// Shows text through `$PAGER` (default `less -FRX`); false when no pager could run.
fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less -FRX".into());
    let mut words = pager.split_whitespace();
    let Some(cmd) = words.next() else {
        return false;
    };
    let child = std::process::Command::new(cmd)
        .args(words)
        .stdin(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait().is_ok()
}

/// Colour for the terminal: errors red, table headers bold.
mod paint {
    /// A terminal, and `NO_COLOR` unset or empty (no-color.org).
    pub fn wanted() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::IsTerminal::is_terminal(&std::io::stdout())
    }

    pub fn error(text: &str) -> String {
        format!("\x1b[31m{}\x1b[0m\n", text.trim_end_matches('\n'))
    }

    /// The first line (a table's header) bold.
    pub fn header(text: &str) -> String {
        match text.split_once('\n') {
            Some((head, rest)) => format!("\x1b[1m{head}\x1b[0m\n{rest}"),
            None => text.to_string(),
        }
    }
}

fn save_history(ed: &mut Editor<ReplHelper, FileHistory>, path: &std::path::Path) {
    if let Some(d) = path.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    if ed.save_history(path).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// An input made only of `import "path" as alias;` statements: the (path, alias) pairs.
fn parse_imports(input: &str) -> Option<Vec<(String, String)>> {
    let mut out = vec![];
    for stmt in input.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let rest = stmt.strip_prefix("import")?.trim_start();
        let rest = rest.strip_prefix('"')?;
        let (path, rest) = rest.split_once('"')?;
        let alias = rest.trim().strip_prefix("as")?.trim();
        let ident = !alias.is_empty()
            && alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !alias.starts_with(|c: char| c.is_ascii_digit());
        if !ident || path.is_empty() {
            return None;
        }
        out.push((path.to_string(), alias.to_string()));
    }
    (!out.is_empty()).then_some(out)
}

/// `:fields ENDPOINT`: each field with its type, filter keys and whether it expands.
pub fn fields_text(name: &str) -> String {
    let Some(ep) = crate::ncm::catalog::endpoint(name.trim()) else {
        let names = crate::ncm::catalog::ENDPOINTS.iter().map(|e| e.name);
        if let Some(close) = crate::script::lint::closest(name.trim(), names) {
            return format!("unknown endpoint {name:?}; did you mean {close}?\n");
        }
        return format!(
            "unknown endpoint {name:?}; endpoints: {}\n",
            crate::ncm::catalog::ENDPOINTS
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let mut out = format!(
        "{}: {}\nmethods: {}\n",
        ep.name,
        ep.summary,
        ep.methods_str()
    );
    let w = ep.fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in ep.fields {
        let filters = if f.filterable() {
            f.filter_keys().collect::<Vec<_>>().join(", ")
        } else {
            "-".into()
        };
        out.push_str(&format!(
            "  {:<w$}  {:<9}  {}{}\n",
            f.name,
            f.ty.as_str(),
            filters,
            if f.expandable { "  (expandable)" } else { "" }
        ));
    }
    out.push_str(&format!(
        "controls: {}\n",
        crate::ncm::query::CONTROL_KEYS.join(", ")
    ));
    out
}
