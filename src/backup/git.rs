//! The git backup store: a repository (created when missing) whose work tree holds
//! `routers/<id>.json`, `groups/<id>.json`, `ignitenet/{sites,devices}/<id>.json` and `index.csv`. A run writes only the files whose
//! content changed (volatile values aside), removes the files of routers and groups gone from the
//! account, and commits once, only when something changed: `git log -p`, `git diff` and
//! `git blame` work on the result with no `git` binary needed here. Objects are made from the
//! bytes in memory (never read back through a path), and work-tree files are written below the
//! allowed directory without following symlinks.

use super::{normalized, Document};
use crate::error::{Error, Result};
use crate::files::Dir;
use git2::{IndexEntry, IndexTime, Oid, Repository, Signature};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Backup files hold configuration (Wi-Fi keys among it): owner-only.
const MODE: u32 = 0o600;
/// The most changed paths a commit message lists per router or group.
const PATHS_PER_LINE: usize = 8;

/// What a git backup run did.
#[derive(Debug, Clone, Default)]
pub struct GitSummary {
    pub dir: PathBuf,
    pub documents: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    /// The new commit, when something changed.
    pub commit: Option<String>,
    pub message: String,
}

fn git_err(dir: &Dir) -> impl Fn(git2::Error) -> Error + '_ {
    move |e| Error::Git {
        path: dir.path().display().to_string(),
        message: e.message().to_string(),
    }
}

/// Adds `bytes` as the blob of `path` in the index (the object made from memory).
fn stage(
    index: &mut git2::Index,
    path: &str,
    bytes: &[u8],
) -> std::result::Result<(), git2::Error> {
    let entry = IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100_644,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        id: Oid::zero(),
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    };
    index.add_frombuffer(&entry, bytes)
}

/// The document stored at `path` in the last commit, if any.
fn previous(repo: &Repository, id: Oid) -> Option<Value> {
    let blob = repo.find_blob(id).ok()?;
    serde_json::from_slice(blob.content()).ok()
}

/// Every blob of a tree by path, read in one walk (looking paths up one by one re-reads a
/// 10,000-entry subtree each time).
fn blobs_of(tree: Option<&git2::Tree>) -> HashMap<String, Oid> {
    let mut out = HashMap::new();
    if let Some(t) = tree {
        let _ = t.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Some(name) = entry.name() {
                    out.insert(format!("{root}{name}"), entry.id());
                }
            }
            git2::TreeWalkResult::Ok
        });
    }
    out
}

/// Removes a work-tree file (`routers/42.json`) if it is there.
fn remove_file(dir: &Dir, rel: &str) -> Result<()> {
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let d = if parent.is_empty() {
        return dir.remove_all(name);
    } else {
        dir.subdir(Path::new(parent), false)
    };
    match d.and_then(|d| d.remove_all(name)) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn message(summary: &GitSummary, lines: &[String]) -> String {
    let mut m = format!(
        "backup: {} changed, {} added, {} removed ({} routers and groups)\n",
        summary.changed, summary.added, summary.removed, summary.documents
    );
    if !lines.is_empty() {
        m.push('\n');
        for l in lines {
            m.push_str(l);
            m.push('\n');
        }
    }
    m
}

fn change_line(label: &str, paths: &[String]) -> String {
    let mut shown: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .take(PATHS_PER_LINE)
        .collect();
    let more = paths.len().saturating_sub(PATHS_PER_LINE);
    let more_text = format!("and {more} more");
    if more > 0 {
        shown.push(&more_text);
    }
    if shown.is_empty() {
        format!("{label}: changed (sync state or version)")
    } else {
        format!("{label}: {}", shown.join(", "))
    }
}

/// Keeps the backup directory's lock file out of `git status` (`.git/info/exclude`).
fn exclude_lock_file(repo: &Repository) -> Result<()> {
    let path = repo.path().join("info").join("exclude");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text.lines().any(|l| l.trim() == super::LOCK_FILE) {
        return Ok(());
    }
    let io = |e| Error::io(path.display(), e);
    std::fs::create_dir_all(repo.path().join("info")).map_err(io)?;
    std::fs::write(
        &path,
        format!(
            "{text}{}{}\n",
            if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            },
            super::LOCK_FILE
        ),
    )
    .map_err(io)
}

/// When the last backup was committed (seconds since the epoch), if there is one.
pub fn last_commit_time(dir: &Dir) -> Option<i64> {
    let repo = Repository::open(dir.path()).ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    Some(head.time().seconds())
}

/// The commit message's line for a document that changed: its label, the config paths that
/// changed, and who changed it when the activity log says.
fn changed_document_line(doc: &Document, old: &Value, who: &HashMap<String, String>) -> String {
    let paths: Vec<String> = super::changes::rows_for(&doc.path, Some(old), Some(&doc.value))
        .into_iter()
        .map(|r| format!("{}:{}", r.document, r.path))
        .collect();
    let mut line = change_line(&doc.label, &paths);
    if let Some(w) = who.get(&doc.path) {
        line.push_str(&format!(" ({w})"));
    }
    line
}

/// Puts the work-tree files a run wrote or removed back as the last commit has them (what it
/// did not have is removed): an interrupted run leaves the repository as it found it.
fn restore_work_tree(
    dir: &Dir,
    repo: &Repository,
    touched: &[(String, Option<Oid>)],
) -> Result<()> {
    for (path, old) in touched {
        match old.and_then(|id| repo.find_blob(id).ok()) {
            Some(blob) => {
                dir.write_atomic_unsynced(Path::new(path), blob.content(), MODE)?;
            }
            None => remove_file(dir, path)?,
        }
    }
    Ok(())
}

/// Stores the documents in the repository at `dir` and commits when anything changed; `who`
/// names, per document path, who changed it and when (from the activity log). The commit is
/// the point of no return: `cancel` set before it (Ctrl-C while the files were written) ends
/// the run as interrupted with the work tree put back and no commit.
pub fn store(
    dir: &Dir,
    docs: &[Document],
    index_csv: &[u8],
    who: &HashMap<String, String>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<GitSummary> {
    let e = git_err(dir);
    let repo = Repository::open(dir.path())
        .or_else(|_| Repository::init(dir.path()))
        .map_err(&e)?;
    exclude_lock_file(&repo)?;
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let tree = head.as_ref().and_then(|c| c.tree().ok());
    let mut index = repo.index().map_err(&e)?;
    match &tree {
        Some(t) => index.read_tree(t).map_err(&e)?,
        None => index.clear().map_err(&e)?,
    }
    let mut s = GitSummary {
        dir: dir.path().to_path_buf(),
        documents: docs.len(),
        ..Default::default()
    };
    let mut lines = vec![];
    let mut seen = HashSet::new();
    let before = blobs_of(tree.as_ref());
    // Every work-tree file written or removed, with its blob in the last commit.
    let mut touched: Vec<(String, Option<Oid>)> = vec![];
    for doc in docs {
        seen.insert(doc.path.as_str());
        let mut bytes = serde_json::to_vec_pretty(&doc.value).unwrap_or_default();
        bytes.push(b'\n');
        let old_id = before.get(&doc.path).copied();
        // The same bytes: nothing to compare further.
        if old_id.is_some() && old_id == Oid::hash_object(git2::ObjectType::Blob, &bytes).ok() {
            continue;
        }
        let old = old_id.and_then(|id| previous(&repo, id));
        match &old {
            Some(o) if normalized(o) == normalized(&doc.value) => continue,
            Some(o) => {
                s.changed += 1;
                lines.push(changed_document_line(doc, o, who));
            }
            None => s.added += 1,
        }
        touched.push((doc.path.clone(), old_id));
        dir.write_atomic_unsynced(Path::new(&doc.path), &bytes, MODE)?;
        stage(&mut index, &doc.path, &bytes).map_err(&e)?;
    }
    let gone: Vec<String> = index
        .iter()
        .map(|x| String::from_utf8_lossy(&x.path).into_owned())
        .filter(|p| p.ends_with(".json") && !seen.contains(p.as_str()))
        .collect();
    for p in &gone {
        index.remove_path(Path::new(p)).map_err(&e)?;
        touched.push((p.clone(), before.get(p).copied()));
        remove_file(dir, p)?;
        s.removed += 1;
        lines.push(format!(
            "{}: removed (gone from the account)",
            p.trim_end_matches(".json").replace('/', " ")
        ));
    }
    if s.changed + s.added + s.removed == 0 {
        return Ok(s);
    }
    touched.push(("index.csv".into(), before.get("index.csv").copied()));
    dir.write_atomic_unsynced(Path::new("index.csv"), index_csv, MODE)?;
    // One barrier for every work-tree file written, before the commit that records them.
    dir.sync_filesystem()?;
    stage(&mut index, "index.csv", index_csv).map_err(&e)?;
    let tree_id = index.write_tree().map_err(&e)?;
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        restore_work_tree(dir, &repo, &touched)?;
        return Err(Error::Interrupted);
    }
    s.message = message(&s, &lines);
    s.commit = Some(commit(&repo, &mut index, tree_id, head.as_ref(), &s.message).map_err(&e)?);
    Ok(s)
}

/// Writes the index and commits its tree on `HEAD`: the point of no return of a run.
fn commit(
    repo: &Repository,
    index: &mut git2::Index,
    tree_id: Oid,
    head: Option<&git2::Commit>,
    message: &str,
) -> std::result::Result<String, git2::Error> {
    index.write()?;
    let new_tree = repo.find_tree(tree_id)?;
    let sig = Signature::now("fleetscript", "fleetscript@localhost")?;
    let parents: Vec<&git2::Commit> = head.into_iter().collect();
    let oid = repo.commit(Some("HEAD"), &sig, &sig, message, &new_tree, &parents)?;
    Ok(oid.to_string())
}

/// A backup file's content at revision `rev` of the git repository holding it.
pub fn read_at(file: &Path, rev: &str) -> Result<Value> {
    let git = |e: git2::Error| Error::Git {
        path: file.display().to_string(),
        message: e.message().to_string(),
    };
    let parent = file.parent().unwrap_or(Path::new("."));
    let repo = Repository::discover(parent).map_err(git)?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::invalid(format!("{}: not in a git work tree", file.display())))?;
    let canon = |p: &Path| std::fs::canonicalize(p).map_err(|e| Error::io(p.display(), e));
    let name = file
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{}: not a file name", file.display())))?;
    let rel = canon(parent)?.join(name);
    let rel = rel
        .strip_prefix(canon(workdir)?)
        .map_err(|_| {
            Error::invalid(format!(
                "{} is not inside the repository {}",
                file.display(),
                workdir.display()
            ))
        })?
        .to_string_lossy()
        .into_owned();
    let blob = repo
        .revparse_single(&format!("{rev}:{rel}"))
        .and_then(|o| o.peel_to_blob())
        .map_err(|e| Error::invalid(format!("{rel} at {rev}: {}", e.message())))?;
    serde_json::from_slice(blob.content())
        .map_err(|e| Error::invalid(format!("{rel} at {rev}: not valid JSON: {e}")))
}
