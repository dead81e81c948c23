//! What changed between two backups, for either store: per router and group, the config paths
//! added, changed and removed in its `configuration` and `actual` documents, with old and new
//! values (secrets stay masked), computed with the diff engine. The git store compares two
//! revisions (default `HEAD~1` and `HEAD`); the dated store two dated directories (default the
//! last two).

use super::normalized_config;
use crate::error::{Error, Result};
use crate::files::Dir;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// One changed path of one router or group.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    /// `router` or `group`.
    pub kind: String,
    pub id: String,
    /// `configuration`, `actual`, or `file` for a router or group added or removed whole.
    pub document: String,
    pub path: String,
    /// `added`, `changed` or `removed`.
    pub change: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl ChangeRow {
    pub fn to_value(&self) -> Value {
        json!({"kind": self.kind, "id": self.id, "document": self.document, "path": self.path,
               "change": self.change, "before": self.old, "after": self.new})
    }
}

/// `routers/42.json` or `42.json` (dated) -> (kind, id).
fn kind_and_id(rel: &str) -> Option<(String, String)> {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("routers", rel));
    let id = file.strip_suffix(".json")?;
    let kind = match dir {
        "routers" => "router",
        "groups" => "group",
        "ignitenet/sites" => "ignitenet site",
        "ignitenet/devices" => "ignitenet device",
        _ => return None,
    };
    Some((kind.to_string(), id.to_string()))
}

fn full(doc: &Value, which: &str) -> Value {
    let d = crate::diff::Diff::from_value(&doc[which]).ok();
    let v = d
        .and_then(|d| crate::diff::apply(&json!({}), &d).ok())
        .unwrap_or_else(|| json!({}));
    normalized_config(&v)
}

/// The documents of a backup file to compare: an NCM file's `configuration` and `actual`
/// (full configs), an IgniteNet file's config-changes document itself (its `timestamp` aside).
fn documents(kind: &str, o: &Value, n: &Value) -> Vec<(&'static str, Value, Value)> {
    if kind.starts_with("ignitenet") {
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                m.shift_remove("timestamp");
            }
            v
        };
        return vec![("config", strip(o), strip(n))];
    }
    ["configuration", "actual"]
        .into_iter()
        .map(|d| (d, full(o, d), full(n, d)))
        .collect()
}

/// The rows for one file that differs between the two backups.
pub fn rows_for(rel: &str, old: Option<&Value>, new: Option<&Value>) -> Vec<ChangeRow> {
    let Some((kind, id)) = kind_and_id(rel) else {
        return vec![];
    };
    let row = |document: &str, path: String, change: &str, o: Option<Value>, n: Option<Value>| {
        ChangeRow {
            kind: kind.clone(),
            id: id.clone(),
            document: document.into(),
            path,
            change: change.into(),
            old: o,
            new: n,
        }
    };
    match (old, new) {
        (None, Some(_)) => vec![row("file", String::new(), "added", None, None)],
        (Some(_), None) => vec![row("file", String::new(), "removed", None, None)],
        (Some(o), Some(n)) => documents(&kind, o, n)
            .into_iter()
            .flat_map(|(doc, a, b)| {
                crate::diff::changed_paths(&a, &b)
                    .into_iter()
                    .map(move |p| (doc, p))
            })
            .map(|(doc, p)| {
                let change = match (&p.before, &p.after) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "changed",
                };
                row(
                    doc,
                    crate::diff::path_text(&p.path),
                    change,
                    p.before,
                    p.after,
                )
            })
            .collect(),
        (None, None) => vec![],
    }
}

/// Changes between two revisions of the git store at `dir`.
pub fn git_changes(dir: &Path, from: &str, to: &str) -> Result<Vec<ChangeRow>> {
    let git = |e: git2::Error| Error::Git {
        path: dir.display().to_string(),
        message: e.message().to_string(),
    };
    let repo = git2::Repository::open(dir).map_err(git)?;
    let tree = |rev: &str| {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .map_err(|e| {
                Error::invalid(format!(
                    "{}: revision {rev:?}: {} (the first backup has no HEAD~1: give --arg from=)",
                    dir.display(),
                    e.message()
                ))
            })
    };
    let (a, b) = (tree(from)?, tree(to)?);
    let diff = repo
        .diff_tree_to_tree(Some(&a), Some(&b), None)
        .map_err(git)?;
    let blob = |id: git2::Oid| -> Option<Value> {
        if id.is_zero() {
            return None;
        }
        repo.find_blob(id)
            .ok()
            .and_then(|b| serde_json::from_slice(b.content()).ok())
    };
    let mut out = vec![];
    for d in diff.deltas() {
        let Some(path) = d
            .new_file()
            .path()
            .or(d.old_file().path())
            .map(|p| p.display().to_string())
        else {
            continue;
        };
        let (o, n) = (blob(d.old_file().id()), blob(d.new_file().id()));
        out.extend(rows_for(&path, o.as_ref(), n.as_ref()));
    }
    Ok(out)
}

/// The dated backups in `dir` (`YYYY-MM-DD` directories), oldest first.
pub fn dated_backups(dir: &Dir) -> Vec<String> {
    let mut days: Vec<String> = dir
        .entries()
        .into_iter()
        .filter(|n| n.len() == 10 && chrono::NaiveDate::parse_from_str(n, "%Y-%m-%d").is_ok())
        .collect();
    days.sort();
    days
}

fn json_files(d: &Dir) -> BTreeMap<String, Vec<u8>> {
    d.entries()
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .filter_map(|n| d.read(Path::new(&n)).ok().map(|b| (n, b)))
        .collect()
}

/// Changes between two dated backups in `dir` (default: the last two).
pub fn dated_changes(dir: &Dir, from: Option<&str>, to: Option<&str>) -> Result<Vec<ChangeRow>> {
    let days = dated_backups(dir);
    let pick = |given: Option<&str>, back: usize| -> Result<String> {
        match given {
            Some(d) => Ok(d.to_string()),
            None => days.iter().rev().nth(back).cloned().ok_or_else(|| {
                Error::invalid(format!("{} holds {} dated backup(s); two are needed to compare (or give --arg from= and --arg to=)", dir.path().display(), days.len()))
            }),
        }
    };
    let (from, to) = (pick(from, 1)?, pick(to, 0)?);
    let read = |day: &str| -> Result<BTreeMap<String, Vec<u8>>> {
        let d = dir.subdir(Path::new(day), false).map_err(|_| {
            Error::invalid(format!(
                "no dated backup {day:?} in {}; it has: {}",
                dir.path().display(),
                days.join(", ")
            ))
        })?;
        let mut files = json_files(&d);
        for sub in ["groups", "ignitenet/sites", "ignitenet/devices"] {
            if let Ok(g) = d.subdir(Path::new(sub), false) {
                files.extend(
                    json_files(&g)
                        .into_iter()
                        .map(|(n, b)| (format!("{sub}/{n}"), b)),
                );
            }
        }
        Ok(files)
    };
    let (a, b) = (read(&from)?, read(&to)?);
    let mut out = vec![];
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (o, n) = (a.get(name), b.get(name));
        if o == n {
            continue;
        }
        let parse = |x: Option<&Vec<u8>>| x.and_then(|b| serde_json::from_slice::<Value>(b).ok());
        out.extend(rows_for(name, parse(o).as_ref(), parse(n).as_ref()));
    }
    Ok(out)
}
