//! Rhai modules exposed to scripts, and the one place library errors become Rhai errors.

pub mod csv;
pub mod diff;
pub mod ignitenet;
pub mod json;
pub mod log;
pub mod ncm;
pub mod ncm_config;
pub mod time;

use crate::error::Error;
use crate::http::Redactor;
use crate::ignitenet::IgniteNetClient;
use crate::ncm::NcmClient;
use rhai::{EvalAltResult, Position};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A doc comment in the form every exported function carries: the summary lines, then a Rhai
/// example (these become `:doc` and `docs/reference.md`).
pub fn doc(summary: &str, example: &str) -> String {
    let body: String = summary.lines().map(|l| format!("/// {l}\n")).collect();
    format!("{body}///\n/// ```rhai\n/// {example}\n/// ```")
}

/// A JSON value as a script value.
pub fn ret(v: serde_json::Value) -> rhai::Dynamic {
    crate::script::convert::json_to_dynamic(&v)
}

/// What bindings share.
pub struct ScriptContext {
    pub ncm: Arc<NcmClient>,
    pub ignitenet: Arc<IgniteNetClient>,
    /// Defaults of `ncm::apply_all` (from the profile): parallelism and requests per second.
    pub bulk_concurrency: usize,
    pub bulk_rate: f64,
    pub redactor: Redactor,
    pub cancel: Arc<AtomicBool>,
    /// Absolute directories scripts may write in.
    pub write_dirs: Vec<PathBuf>,
}

/// Converts a library error into a catchable Rhai error (`catch (e)` sees a map with `status`,
/// `message`, `body`, `errors`, `method`, `url`, `kind`, `line`, `column`). Interruption becomes
/// Rhai's termination, which `try`/`catch` cannot swallow.
pub fn rhai_error(pos: Position, e: Error, redactor: &Redactor) -> Box<EvalAltResult> {
    if matches!(e, Error::Interrupted) {
        return EvalAltResult::ErrorTerminated("interrupted".into(), pos).into();
    }
    let mut m = e.to_rhai_map(&|s| redactor.redact(s));
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

/// A plain script-usage error (bad argument) as a Rhai error.
pub fn usage_error(pos: Position, msg: impl Into<String>) -> Box<EvalAltResult> {
    rhai_error(pos, Error::Invalid(msg.into()), &Redactor::default())
}

/// Lexically normalizes a path (resolving `.` and `..`) against the current directory.
fn normalize(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Resolves the deepest existing ancestor through symlinks, keeping the rest.
fn resolve_links(p: &Path) -> PathBuf {
    let mut existing = p.to_path_buf();
    let mut rest = vec![];
    while !existing.exists() {
        match (
            existing.file_name().map(|s| s.to_os_string()),
            existing.parent(),
        ) {
            (Some(n), Some(parent)) => {
                rest.push(n);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut base = existing.canonicalize().unwrap_or(existing);
    for n in rest.into_iter().rev() {
        base.push(n);
    }
    base
}

impl ScriptContext {
    /// Checks a path a script wants to write against the allowed directories.
    pub fn writable_path(&self, path: &str) -> Result<PathBuf, Error> {
        if path.trim().is_empty() {
            return Err(Error::invalid("an empty file name"));
        }
        let p = resolve_links(&normalize(Path::new(path)));
        let dirs: Vec<PathBuf> = if self.write_dirs.is_empty() {
            vec![resolve_links(&normalize(Path::new(".")))]
        } else {
            self.write_dirs
                .iter()
                .map(|d| resolve_links(&normalize(d)))
                .collect()
        };
        if dirs.iter().any(|d| p.starts_with(d)) {
            Ok(p)
        } else {
            Err(Error::invalid(format!(
                "writing {} is not allowed: scripts may write under {} (add a directory with --allow-write DIR)",
                p.display(),
                dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            )))
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, then rename.
    /// A failure leaves any earlier file untouched and no partial file behind.
    pub fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
        use std::io::Write;
        let p = self.writable_path(path)?;
        // Data is written as it is: masking rewrites only what the tool itself prints.
        let dir = p
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".fleetscript-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(dir.display(), e))?;
        tmp.write_all(bytes)
            .map_err(|e| Error::io(p.display(), e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(p.display(), e))?;
        tmp.persist(&p)
            .map_err(|e| Error::io(p.display(), e.error))?;
        Ok(p)
    }
}
