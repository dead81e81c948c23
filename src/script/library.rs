//! The shared script library: `import "name" as m;` resolves, in order, the script's own
//! directory, each `FLEETSCRIPT_PATH` directory, `$XDG_DATA_HOME/fleetscript/lib`, then the
//! modules compiled into the binary from `stdlib/` (`import "std/<name>"`). Also the runnable
//! scripts: found by name on the same path, then the ones shipped from `scripts/`; their header
//! comment (purpose, arguments, example) is their `--help`.

use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// `stdlib/` modules compiled in: (name after `std/`, source).
pub const STDLIB: &[(&str, &str)] = &[
    ("args", include_str!("../../stdlib/args.rhai")),
    ("lookup", include_str!("../../stdlib/lookup.rhai")),
    ("text", include_str!("../../stdlib/text.rhai")),
];

/// `scripts/` compiled in, runnable by name from anywhere: (name, source).
pub const BUILTIN_SCRIPTS: &[(&str, &str)] = &[
    (
        "apn_rollout",
        include_str!("../../scripts/apn_rollout.rhai"),
    ),
    (
        "backup_diff",
        include_str!("../../scripts/backup_diff.rhai"),
    ),
    (
        "drift_report",
        include_str!("../../scripts/drift_report.rhai"),
    ),
    (
        "golden_config",
        include_str!("../../scripts/golden_config.rhai"),
    ),
    (
        "ignitenet_inventory",
        include_str!("../../scripts/ignitenet_inventory.rhai"),
    ),
    (
        "ignitenet_ssid",
        include_str!("../../scripts/ignitenet_ssid.rhai"),
    ),
    ("inventory", include_str!("../../scripts/inventory.rhai")),
    (
        "nightly_backup",
        include_str!("../../scripts/nightly_backup.rhai"),
    ),
    (
        "offline_report",
        include_str!("../../scripts/offline_report.rhai"),
    ),
    (
        "restore_config",
        include_str!("../../scripts/restore_config.rhai"),
    ),
    ("rollback", include_str!("../../scripts/rollback.rhai")),
];

/// Resolves `import` paths along the library path, then the embedded stdlib.
pub struct LibraryResolver {
    dirs: Vec<PathBuf>,
    cache: Mutex<HashMap<String, Shared<Module>>>,
}

impl LibraryResolver {
    /// `dirs` in search order (the script's own directory first).
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        LibraryResolver {
            dirs,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where `path` resolves: a file, or the embedded stdlib module's source. A module name
    /// is relative and plain (`lookup`, `net/util`): an absolute path or a `..` never resolves,
    /// so modules come only from the library path.
    pub fn locate(&self, path: &str) -> Option<Located> {
        if !is_module_name(path) {
            return None;
        }
        for d in &self.dirs {
            let f = d.join(format!("{path}.rhai"));
            if f.is_file() {
                return Some(Located::File(f));
            }
        }
        let name = path.strip_prefix("std/")?;
        STDLIB
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, src)| Located::Std(n, src))
    }

    /// The directories searched, in order, and the built-in modules.
    pub fn searched(&self) -> String {
        let mut s: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        s.push(format!(
            "the built-in std/ ({})",
            STDLIB
                .iter()
                .map(|(n, _)| format!("std/{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s.join(", ")
    }
}

/// A module name: `/`-separated plain names (letters, digits, `-`, `_`, `.` inside a name),
/// neither absolute nor climbing with `..`.
pub fn is_module_name(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

pub enum Located {
    File(PathBuf),
    Std(&'static str, &'static str),
}

impl Located {
    /// The module's source text.
    pub fn source(&self) -> std::io::Result<String> {
        match self {
            Located::File(f) => std::fs::read_to_string(f),
            Located::Std(_, src) => Ok(src.to_string()),
        }
    }
}

impl rhai::ModuleResolver for LibraryResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let located = self.locate(path).ok_or_else(|| {
            let msg = if is_module_name(path) {
                format!(
                    "module \"{path}\" not found; looked for {path}.rhai in {}",
                    self.searched()
                )
            } else {
                format!(
                    "module \"{path}\" is not a module name: modules come from the library path only ({}), named like \"lookup\" or \"net/util\" (no absolute path, no ..)",
                    self.searched()
                )
            };
            Box::new(EvalAltResult::ErrorRuntime(msg.into(), pos))
        })?;
        let (key, name, source) = match &located {
            Located::File(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    Box::new(EvalAltResult::ErrorRuntime(
                        format!("cannot read module {}: {e}", f.display()).into(),
                        pos,
                    ))
                })?;
                (f.display().to_string(), f.display().to_string(), text)
            }
            Located::Std(n, src) => (format!("std/{n}"), format!("std/{n}"), src.to_string()),
        };
        if let Some(m) = self.cache.lock().unwrap().get(&key) {
            return Ok(m.clone());
        }
        let wrap =
            |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(name.clone(), e, pos));
        let mut ast = engine
            .compile(&source)
            .map_err(|e| wrap(Box::new(EvalAltResult::ErrorParsing(*e.0, e.1))))?;
        ast.set_source(name.clone());
        let mut m = Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(wrap)?;
        m.build_index();
        let m: Shared<Module> = m.into();
        self.cache.lock().unwrap().insert(key, m.clone());
        Ok(m)
    }
}

/// A runnable script found by name.
#[derive(Debug, Clone)]
pub enum ScriptSource {
    File(PathBuf),
    Builtin(&'static str, &'static str),
    /// Code given on the command line (`run -e`) or on standard input (`run -`): its name
    /// in messages, and the code.
    Text(String, String),
}

impl ScriptSource {
    pub fn display(&self) -> String {
        match self {
            ScriptSource::File(p) => p.display().to_string(),
            ScriptSource::Builtin(n, _) => format!("(built in) {n}"),
            ScriptSource::Text(n, _) => n.clone(),
        }
    }
    pub fn source(&self) -> std::io::Result<String> {
        match self {
            ScriptSource::File(p) => std::fs::read_to_string(p),
            ScriptSource::Builtin(_, s) => Ok(s.to_string()),
            ScriptSource::Text(_, s) => Ok(s.clone()),
        }
    }
}

/// Finds a script by name (with or without `.rhai`) on the library path, then among the
/// built-in scripts.
pub fn find_script(name: &str, library_path: &[PathBuf]) -> Option<ScriptSource> {
    let stem = name.strip_suffix(".rhai").unwrap_or(name);
    if stem.is_empty() || stem.contains('/') || stem.contains('\\') {
        return None;
    }
    for d in library_path {
        let f = d.join(format!("{stem}.rhai"));
        if f.is_file() {
            return Some(ScriptSource::File(f));
        }
    }
    BUILTIN_SCRIPTS
        .iter()
        .find(|(n, _)| *n == stem)
        .map(|(n, s)| ScriptSource::Builtin(n, s))
}

/// The leading comment block of a script (after any `#!` line), without the `//` markers.
pub fn header(source: &str) -> String {
    let mut out = vec![];
    for (i, line) in source.lines().enumerate() {
        if i == 0 && line.starts_with("#!") {
            continue;
        }
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("//") else {
            break;
        };
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        out.push(
            rest.strip_prefix(' ')
                .unwrap_or(rest)
                .trim_end()
                .to_string(),
        );
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// The one-line purpose from a header's `Purpose:` paragraph (first sentence), if any.
pub fn purpose(source: &str) -> Option<String> {
    let h = header(source);
    let mut lines = h.lines().skip_while(|l| !l.starts_with("Purpose:"));
    let first = lines
        .next()?
        .trim_start_matches("Purpose:")
        .trim()
        .to_string();
    let mut text = first;
    for l in lines {
        if l.trim().is_empty() || l.ends_with(':') && !l.contains(' ') {
            break;
        }
        text.push(' ');
        text.push_str(l.trim());
    }
    let cut = [". ", "; ", ": "]
        .iter()
        .filter_map(|p| text.find(p))
        .min()
        .unwrap_or(text.len());
    let mut one = text[..cut].trim_end_matches('.').to_string();
    if one.chars().count() > 110 {
        one = one.chars().take(107).collect::<String>() + "...";
    }
    Some(one)
}

/// One listed script.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub location: String,
    pub purpose: String,
    /// A script of the same name earlier on the path hides this one.
    pub shadowed: bool,
}

/// Every runnable script (a `.rhai` file whose header has a `Purpose:`) on the library path,
/// then the built-in ones, in path order.
pub fn list_scripts(library_path: &[PathBuf]) -> Vec<Listed> {
    let mut out: Vec<Listed> = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut push = |name: String, location: String, src: &str| {
        if let Some(p) = purpose(src) {
            let shadowed = !seen.insert(name.clone());
            out.push(Listed {
                name,
                location,
                purpose: p,
                shadowed,
            });
        }
    };
    for d in library_path {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rhai") && p.is_file())
            .collect();
        files.sort();
        for f in files {
            if let (Some(stem), Ok(src)) = (f.file_stem(), std::fs::read_to_string(&f)) {
                push(stem.to_string_lossy().into(), f.display().to_string(), &src);
            }
        }
    }
    for (n, s) in BUILTIN_SCRIPTS {
        push(n.to_string(), "(built in)".into(), s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_purposes() {
        let src = "#!/usr/bin/env fleetscript run\n// Purpose: do a thing to every router, with care. More text.\n//\n// Arguments:\n//   --arg x=1\n\nlet a = 1;\n// not header\n";
        assert_eq!(
            header(src),
            "Purpose: do a thing to every router, with care. More text.\n\nArguments:\n  --arg x=1"
        );
        assert_eq!(
            purpose(src).unwrap(),
            "do a thing to every router, with care"
        );
        assert_eq!(purpose("// Module: std/x\nfn a() {}"), None);
        for (n, s) in BUILTIN_SCRIPTS {
            let p = purpose(s).unwrap_or_else(|| panic!("{n} has no Purpose: line"));
            assert!(p.len() > 10, "{n}: {p}");
        }
    }

    #[test]
    fn finds_scripts_by_name() {
        assert!(matches!(
            find_script("inventory", &[]),
            Some(ScriptSource::Builtin("inventory", _))
        ));
        assert!(matches!(
            find_script("inventory.rhai", &[]),
            Some(ScriptSource::Builtin(..))
        ));
        assert!(find_script("../etc/passwd", &[]).is_none());
        assert!(find_script("nope", &[]).is_none());
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("inventory.rhai"), "// Purpose: mine\n").unwrap();
        assert!(matches!(
            find_script("inventory", &[d.path().to_path_buf()]),
            Some(ScriptSource::File(_))
        ));
        let l = list_scripts(&[d.path().to_path_buf()]);
        assert_eq!(l[0].purpose, "mine");
        assert!(l.iter().any(|x| x.name == "inventory" && x.shadowed));
    }
}
