//! The interactive REPL: variables and functions persist between inputs, results print as
//! tables / aligned maps / JSON / CSV, `:commands` (help, doc, endpoints, fields, format, save,
//! load, reset, history, quit), Tab completion and parser-decided multi-line input (see
//! `helper.rs`), Ctrl-C cancelling the running evaluation (paging stops between requests),
//! and a history file in the user's data directory that never keeps a line holding a secret.

pub mod format;
pub mod helper;

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

/// REPL settings from the command line.
#[derive(Debug, Clone, Default)]
pub struct ReplOptions {
    /// Where the history is kept (`None`: `$XDG_DATA_HOME/fleetscript/history.txt`).
    pub history: Option<PathBuf>,
    /// A line describing the connection, shown at start-up.
    pub banner: String,
}

/// The REPL's state around a runtime.
pub struct Repl {
    pub rt: Runtime,
    scope: Scope<'static>,
    /// Functions defined so far (statements are dropped after each evaluation).
    functions: AST,
    pub format: Format,
    last: Option<Dynamic>,
    docs: Vec<FnDoc>,
    inputs: usize,
    /// Bumped when the set of functions changes (an import), so completion follows.
    docs_version: usize,
}

/// What one input did (for the loop and for tests).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
}

impl Repl {
    pub fn new(mut rt: Runtime) -> Self {
        // The std/ modules are there without `import` at the prompt: `args::int(...)`.
        for (name, src) in crate::script::library::STDLIB {
            if let Ok(ast) = rt.engine().compile(src) {
                if let Ok(m) = rhai::Module::eval_ast_as_new(Scope::new(), &ast, rt.engine()) {
                    rt.register_module(name, m.into());
                }
            }
        }
        let docs = docs::all_docs(rt.engine());
        let scope = rt.scope();
        Repl {
            rt,
            scope,
            functions: AST::empty(),
            format: Format::Table,
            last: None,
            docs,
            inputs: 0,
            docs_version: 0,
        }
    }

    fn variables(&self) -> Vec<String> {
        self.scope.iter().map(|(n, _, _)| n.to_string()).collect()
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
        match self.eval(&name, input) {
            Ok(v) => {
                if !v.is_unit() {
                    let fields = format::fields_in(input);
                    let text = format::render(&v, self.format, format::terminal_width(), &fields);
                    let _ = out.write_all(self.rt.redactor().redact(&text).as_bytes());
                    self.last = Some(v);
                }
            }
            Err(ScriptError::Interrupted(_)) => {
                let _ = writeln!(out, "interrupted");
            }
            Err(e) => {
                let _ = out.write_all(e.render().as_bytes());
            }
        }
        self.rt.reset_cancel();
        Outcome::Continue
    }

    /// `import "path" as alias;` typed on its own: the module stays available to later inputs
    /// (an import inside a larger input is that input's only, as in scripts).
    fn import(&mut self, path: &str, alias: &str) -> Result<(), String> {
        let engine = self.rt.engine();
        let m = engine
            .module_resolver()
            .resolve(engine, None, path, rhai::Position::NONE)
            .map_err(|e| crate::script::diagnostics::from_eval(path, "", &e).message)?;
        self.rt.register_module(alias, m);
        self.docs = docs::all_docs(self.rt.engine());
        self.docs_version += 1;
        Ok(())
    }

    fn eval(&mut self, name: &str, source: &str) -> Result<Dynamic, ScriptError> {
        let ast = self.rt.compile_in(name, source, &self.scope)?;
        let mut all = self.functions.clone();
        all += ast;
        let r = self.rt.eval_in(name, source, &mut self.scope, &all);
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
                if arg.is_empty() {
                    say("usage: :load FILE\n".into());
                } else {
                    match std::fs::read_to_string(arg) {
                        Ok(src) => {
                            self.rt.reset_cancel();
                            match self.eval(arg, &src) {
                                Ok(v) if !v.is_unit() => say(format::render(
                                    &v,
                                    self.format,
                                    format::terminal_width(),
                                    &[],
                                )),
                                Ok(_) => say(format!("loaded {arg}\n")),
                                Err(e) => say(e.render()),
                            }
                        }
                        Err(e) => say(format!("error: cannot read {arg}: {e}\n")),
                    }
                }
            }
            ":reset" => {
                self.scope = self.rt.scope();
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

    /// The interactive loop on the terminal.
    pub fn run(&mut self, opts: &ReplOptions) -> Result<(), String> {
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
        let helper = ReplHelper::new(&self.docs);
        let vars = helper.variables.clone();
        ed.set_helper(Some(helper));
        let mut docs_seen = self.docs_version;
        let history = opts
            .history
            .clone()
            .unwrap_or_else(|| crate::config::data_dir().join("history.txt"));
        let _ = ed.load_history(&history);
        // Ctrl-C while code runs stops it; at the prompt it only clears the line.
        let cancel = self.rt.cancel_flag().clone();
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst));
        println!("{}", opts.banner);
        println!("Type :help for help; Tab completes; Ctrl-C cancels; Ctrl-D quits.");
        let mut stdout = std::io::stdout();
        loop {
            *vars.lock().unwrap() = self.variables();
            if docs_seen != self.docs_version {
                if let Some(h) = ed.helper() {
                    h.set_docs(&self.docs);
                }
                docs_seen = self.docs_version;
            }
            match ed.readline("fleetscript> ") {
                Ok(line) => {
                    if !line.trim().is_empty() && !self.rt.redactor().is_secret_in(&line) {
                        let _ = ed.add_history_entry(line.as_str());
                        save_history(&mut ed, &history);
                    }
                    if line.trim() == ":history" {
                        for (i, h) in ed.history().iter().enumerate() {
                            println!("{:>4}  {}", i + 1, h.replace('\n', "\n      "));
                        }
                        continue;
                    }
                    let o = self.handle(&line, &mut stdout);
                    let _ = stdout.flush();
                    if o == Outcome::Quit {
                        break;
                    }
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
        let close = crate::ncm::catalog::close_names(name.trim());
        if !close.is_empty() {
            return format!(
                "unknown endpoint {name:?}; did you mean {}?\n",
                close.join(", ")
            );
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
