//! Rhai definition files (`.d.rhai`) for editors and the Rhai language server: the engine's
//! own `Engine::definitions` (every registered module, nested endpoint modules inside theirs,
//! the global functions and the standard packages), one file per built-in `std/` module (its
//! public functions, as `import "std/NAME"` finds them), and a sample `Rhai.toml`.

use super::library::STDLIB;
use rhai::Engine;

/// A sample `Rhai.toml`, written beside the definition files: copy it to the top of the
/// directory of your scripts.
pub const RHAI_TOML: &str = r#"# Rhai.toml: tells the Rhai language server (github.com/rhaiscript/lsp) which files to read.
# Written by `fleetscript definitions` as a sample: copy it to the top directory of your
# scripts, with the directory of .d.rhai files somewhere below it, and editors complete and
# check fleetscript's functions (ncm::routers::list, diff::get, ...).
[source]
include = ["**/*.rhai"]
exclude = []
"#;

/// Every definition file, as (file name, text), in a stable order.
pub fn files(engine: &Engine) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = engine.definitions().iter_files().collect();
    for (name, src) in STDLIB {
        out.push((
            format!("std_{name}.d.rhai"),
            stdlib_module(engine, name, src),
        ));
    }
    out
}

/// The definitions of one `std/` module: its public functions with their doc comments.
fn stdlib_module(engine: &Engine, name: &str, src: &str) -> String {
    let mut out = format!("module \"std/{name}\";\n");
    let Ok(ast) = engine.compile(src) else {
        return out;
    };
    let mut fns: Vec<_> = ast
        .iter_functions()
        .filter(|f| f.access != rhai::FnAccess::Private && !f.name.contains('$'))
        .collect();
    fns.sort_by(|a, b| (a.name, a.params.len()).cmp(&(b.name, b.params.len())));
    for f in fns {
        out.push('\n');
        for c in f.comments.iter() {
            out.push_str(c);
            out.push('\n');
        }
        let params: Vec<String> = f.params.iter().map(|p| format!("{p}: ?")).collect();
        out.push_str(&format!("fn {}({}) -> ?;\n", f.name, params.join(", ")));
    }
    out
}

/// Writes the definition files and the sample `Rhai.toml` into `dir` (created if need be),
/// through the same confined writer as scripts: each file atomically (a temporary, then a
/// rename), no symlink followed below `dir`, so a link planted there cannot send a write
/// outside it. Returns the paths written.
pub fn write(
    engine: &Engine,
    dir: &std::path::Path,
) -> crate::error::Result<Vec<std::path::PathBuf>> {
    let out = crate::files::Dir::open(dir, true)?;
    let mut written = vec![];
    let toml = ("Rhai.toml".to_string(), RHAI_TOML.to_string());
    for (name, text) in files(engine).into_iter().chain([toml]) {
        written.push(out.write_atomic(std::path::Path::new(&name), text.as_bytes(), 0o644)?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_symlink_planted_in_the_directory_is_replaced_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("Rhai.toml")).unwrap();
        let engine = rhai::Engine::new();
        let written = super::write(&engine, dir.path()).unwrap();
        assert!(written.iter().any(|p| p.ends_with("Rhai.toml")));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        let toml = dir.path().join("Rhai.toml");
        assert!(!toml.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(std::fs::read_to_string(toml).unwrap().contains("[source]"));
    }
}
