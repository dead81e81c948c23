//! The git backup store: a repository (created when missing) whose work tree holds
//! `routers/<id>.json`, `groups/<id>.json`, `ignitenet/{sites,devices}/<id>.json` and `index.csv`. A run writes only the files whose
//! content changed (volatile values aside), removes the files of routers and groups gone from the
//! account, and commits once, only when something changed: `git log -p`, `git diff` and
//! `git blame` work on the result with no `git` binary needed here. Objects are made from the
//! bytes in memory (never read back through a path), and work-tree files are written below the
//! allowed directory without following symlinks. Nothing is lost to a full disk or a crash:
//! objects and files are written and synced before the branch moves (see [`store`]).

use super::{git_health, normalized, Document};
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

/// A failure to write the object of a work-tree file (a full disk), naming the file.
fn object_err<'a>(dir: &'a Dir, file: &'a str) -> impl Fn(git2::Error) -> Error + 'a {
    move |e| Error::Git {
        path: dir.path().display().to_string(),
        message: format!("writing the object of {file}: {}", e.message()),
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

/// The document stored at `path` in the last commit (blob `id`, checked first); `None` when
/// it is not JSON.
fn previous(repo: &Repository, id: Oid, path: &str) -> Result<Option<Value>> {
    let bytes = git_health::read(repo, id, git2::ObjectType::Blob, &format!("{path} at HEAD"))?;
    Ok(serde_json::from_slice(&bytes).ok())
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

/// Keeps the backup directory's lock file out of `git status` (`.git/info/exclude`), written
/// atomically (a full disk leaves the file as it was).
fn exclude_lock_file(repo: &Repository) -> Result<()> {
    let git_dir = Dir::open(repo.path(), false)?;
    let rel = Path::new("info/exclude");
    let text = git_dir
        .read(rel)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if text.lines().any(|l| l.trim() == super::LOCK_FILE) {
        return Ok(());
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let text = format!("{text}{sep}{}\n", super::LOCK_FILE);
    git_dir.write_atomic(rel, text.as_bytes(), 0o644)?;
    Ok(())
}

/// The repository at `dir`, created when there is none; one that is there but cannot be
/// opened is an error (never a new repository over it).
fn open_repository(dir: &Dir) -> Result<Repository> {
    match Repository::open(dir.path()) {
        Ok(r) => Ok(r),
        Err(e) if e.code() == git2::ErrorCode::NotFound && !dir.path().join(".git").exists() => {
            Repository::init(dir.path()).map_err(git_err(dir))
        }
        Err(e) => Err(git_err(dir)(e)),
    }
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
/// did not have is removed), and the index as the last commit's tree: a failed run leaves the
/// repository as it found it. Best effort: the first failure ends it (the last commit is intact
/// whatever happens here; the next run writes what differs from it).
fn restore(
    dir: &Dir,
    repo: &Repository,
    index: &mut git2::Index,
    tree: Option<&git2::Tree>,
    touched: &[(String, Option<Oid>)],
) -> Result<()> {
    for (path, old) in touched {
        match old {
            Some(id) => {
                let what = format!("{path} at HEAD");
                let bytes = git_health::read(repo, *id, git2::ObjectType::Blob, &what)?;
                dir.write_atomic_unsynced(Path::new(path), &bytes, MODE)?;
            }
            None => remove_file(dir, path)?,
        }
    }
    let e = git_err(dir);
    match tree {
        Some(t) => index.read_tree(t).map_err(&e)?,
        None => index.clear().map_err(&e)?,
    }
    index.write().map_err(&e)
}

/// Work-tree files written as hidden temporaries beside their final names, moved in together
/// once every object is written and the run is still wanted; the ones not moved in are removed
/// when this is dropped (a failed or interrupted run leaves no half file).
struct Pending<'a> {
    root: &'a Dir,
    dirs: HashMap<String, Dir>,
    /// (parent directory, temporary name, final name), in the order written.
    files: Vec<(String, String, String)>,
}

impl<'a> Pending<'a> {
    fn new(root: &'a Dir) -> Self {
        Pending {
            root,
            dirs: HashMap::new(),
            files: vec![],
        }
    }

    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if !self.dirs.contains_key(parent) {
            let d = self.root.subdir(Path::new(parent), true)?;
            self.dirs.insert(parent.to_string(), d);
        }
        let d = self
            .dirs
            .get(parent)
            .ok_or_else(|| Error::invalid(format!("{parent}: not opened")))?;
        // A failed write names the file it was for, not its hidden temporary.
        let tmp = d.write_temp(bytes, MODE).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(self.root.path().join(rel).display(), source),
            other => other,
        })?;
        self.files.push((parent.to_string(), tmp, name.to_string()));
        Ok(())
    }

    /// Moves every file into place; on a failure the ones not moved stay for `drop`.
    fn move_in(&mut self) -> Result<()> {
        let mut files = std::mem::take(&mut self.files).into_iter();
        while let Some(f) = files.next() {
            let moved = match self.dirs.get(&f.0) {
                Some(d) => d.rename(&f.1, &f.2),
                None => Err(Error::invalid(format!("{}: not opened", f.0))),
            };
            if let Err(e) = moved {
                self.files.push(f);
                self.files.extend(files);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        for (parent, tmp, _) in &self.files {
            if let Some(d) = self.dirs.get(parent) {
                let _ = d.remove_all(tmp);
            }
        }
    }
}

/// What a run is to change: the summary so far, the message lines, and every work-tree path
/// it writes or removes with its blob in the last commit.
struct Changes {
    summary: GitSummary,
    lines: Vec<String>,
    touched: Vec<(String, Option<Oid>)>,
    gone: Vec<String>,
}

/// Compares each document with the last commit; stages (writes the object of) each one that
/// changed and writes its work-tree file as a temporary; stages the removal of the documents
/// gone from the account.
fn stage_changes(
    repo: &Repository,
    index: &mut git2::Index,
    before: &HashMap<String, Oid>,
    docs: &[Document],
    who: &HashMap<String, String>,
    pending: &mut Pending,
) -> Result<Changes> {
    let e = git_err(pending.root);
    let mut c = Changes {
        summary: GitSummary {
            dir: pending.root.path().to_path_buf(),
            documents: docs.len(),
            ..Default::default()
        },
        lines: vec![],
        touched: vec![],
        gone: vec![],
    };
    let mut seen = HashSet::new();
    for doc in docs {
        seen.insert(doc.path.as_str());
        let mut bytes = serde_json::to_vec_pretty(&doc.value).unwrap_or_default();
        bytes.push(b'\n');
        let old_id = before.get(&doc.path).copied();
        // The same bytes: nothing to compare further.
        if old_id.is_some() && old_id == Oid::hash_object(git2::ObjectType::Blob, &bytes).ok() {
            continue;
        }
        let old = old_id.map(|id| previous(repo, id, &doc.path)).transpose()?;
        match old.flatten() {
            Some(o) if normalized(&o) == normalized(&doc.value) => continue,
            Some(o) => {
                c.summary.changed += 1;
                c.lines.push(changed_document_line(doc, &o, who));
            }
            None => c.summary.added += 1,
        }
        stage(index, &doc.path, &bytes).map_err(object_err(pending.root, &doc.path))?;
        pending.write(&doc.path, &bytes)?;
        c.touched.push((doc.path.clone(), old_id));
    }
    c.gone = index
        .iter()
        .map(|x| String::from_utf8_lossy(&x.path).into_owned())
        .filter(|p| p.ends_with(".json") && !seen.contains(p.as_str()))
        .collect();
    for p in &c.gone {
        index.remove_path(Path::new(p)).map_err(&e)?;
        c.touched.push((p.clone(), before.get(p).copied()));
        c.summary.removed += 1;
        c.lines.push(format!(
            "{}: removed (gone from the account)",
            p.trim_end_matches(".json").replace('/', " ")
        ));
    }
    Ok(c)
}

/// Makes everything written so far on the filesystems of the work tree and of the repository
/// durable (`syncfs`; one filesystem in the usual layout, then the second call is cheap).
fn sync_all(dir: &Dir, repo: &Repository) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    dir.sync_filesystem()?;
    let device = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    if device(dir.path()) != device(repo.path()) {
        Dir::open(repo.path(), false)?.sync_filesystem()?;
    }
    Ok(())
}

/// Makes the ref `name` (`refs/heads/master`, or `HEAD`) and its reflogs durable: each file and
/// the directory holding it, an fsync each (a `syncfs` would also wait for everything any other
/// process has written to the filesystem).
fn sync_ref(repo: &Repository, name: &str) -> Result<()> {
    let mut files = vec![name.to_string(), format!("logs/{name}")];
    if name != "HEAD" {
        files.push("logs/HEAD".into());
    }
    for rel in files {
        let p = repo.path().join(&rel);
        match std::fs::File::open(&p) {
            Ok(f) => f.sync_all().map_err(|e| Error::io(p.display(), e))?,
            // No reflog (core.logAllRefUpdates off).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(p.display(), e)),
        }
        if let Some(parent) = p.parent() {
            Dir::open(parent, false)?.sync()?;
        }
    }
    Ok(())
}

/// Stores the documents in the repository at `dir` and commits when anything changed; `who`
/// names, per document path, who changed it and when (from the activity log).
///
/// In this order, so that nothing is lost to a full disk, a kill or a crash: every object (the
/// blobs, trees and the commit) and every work-tree file (as a hidden temporary) is written
/// first; a failure there removes the temporaries and leaves the repository as it was. Then
/// `cancel` is looked at (Ctrl-C before this point ends the run as interrupted, nothing
/// changed), the files are moved into place and the index written, all of it synced; then the
/// branch is moved to the new commit (the point of no return), and it and its reflogs are
/// fsynced. A failure after the files were moved puts them and the index back as the last
/// commit has them.
pub fn store(
    dir: &Dir,
    docs: &[Document],
    index_csv: &[u8],
    who: &HashMap<String, String>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<GitSummary> {
    let e = git_err(dir);
    let repo = open_repository(dir)?;
    exclude_lock_file(&repo)?;
    // HEAD's commit and every tree checked before libgit2 reads them (each blob compared
    // against is checked when read).
    let head = git_health::head(&repo)?;
    let before = match &head {
        Some(c) => git_health::blobs(&repo, c.tree_id())?,
        None => HashMap::new(),
    };
    let tree = head.as_ref().map(|c| c.tree()).transpose().map_err(&e)?;
    let mut index = repo.index().map_err(&e)?;
    match &tree {
        Some(t) => index.read_tree(t).map_err(&e)?,
        None => index.clear().map_err(&e)?,
    }
    let mut pending = Pending::new(dir);
    let mut c = stage_changes(&repo, &mut index, &before, docs, who, &mut pending)?;
    if c.summary.changed + c.summary.added + c.summary.removed == 0 {
        return Ok(c.summary);
    }
    c.touched
        .push(("index.csv".into(), before.get("index.csv").copied()));
    stage(&mut index, "index.csv", index_csv).map_err(object_err(dir, "index.csv"))?;
    pending.write("index.csv", index_csv)?;
    let tree_id = index.write_tree().map_err(&e)?;
    c.summary.message = message(&c.summary, &c.lines);
    let commit_id = write_commit(&repo, tree_id, head.as_ref(), &c.summary.message).map_err(&e)?;
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::Interrupted);
    }
    let moved = move_in(dir, &repo, &mut index, &mut pending, &c.gone)
        .and_then(|()| update_head(&repo, commit_id, head.as_ref(), &c.summary.message));
    let moved = match moved {
        Ok(name) => name,
        Err(err) => {
            let _ = restore(dir, &repo, &mut index, tree.as_ref(), &c.touched);
            return Err(err);
        }
    };
    // The branch names the new commit: it must be on disk before the run says it is saved.
    sync_ref(&repo, &moved).map_err(|err| Error::Git {
        path: dir.path().display().to_string(),
        message: format!(
            "the commit {commit_id} is made, but syncing it to disk failed ({err}); run the backup again"
        ),
    })?;
    c.summary.commit = Some(commit_id.to_string());
    Ok(c.summary)
}

/// Moves the work-tree files into place, removes the ones gone, writes the index, and makes
/// all of it (and every object) durable.
fn move_in(
    dir: &Dir,
    repo: &Repository,
    index: &mut git2::Index,
    pending: &mut Pending,
    gone: &[String],
) -> Result<()> {
    pending.move_in()?;
    for p in gone {
        remove_file(dir, p)?;
    }
    index.write().map_err(git_err(dir))?;
    sync_all(dir, repo)
}

/// Writes the commit object of `tree_id` (no branch moves yet).
fn write_commit(
    repo: &Repository,
    tree_id: Oid,
    head: Option<&git2::Commit>,
    message: &str,
) -> std::result::Result<Oid, git2::Error> {
    let new_tree = repo.find_tree(tree_id)?;
    let sig = Signature::now("fleetscript", "fleetscript@localhost")?;
    let parents: Vec<&git2::Commit> = head.into_iter().collect();
    repo.commit(None, &sig, &sig, message, &new_tree, &parents)
}

/// Moves `HEAD` (the branch it names, or HEAD itself when detached) from `head` to `commit`:
/// the point of no return of a run. The branch must still be at `head`. Returns the name of the
/// ref moved.
fn update_head(
    repo: &Repository,
    commit: Oid,
    head: Option<&git2::Commit>,
    message: &str,
) -> Result<String> {
    let path = repo.workdir().unwrap_or(repo.path()).display().to_string();
    let git = |e: git2::Error| Error::Git {
        path: path.clone(),
        message: e.message().to_string(),
    };
    let subject = message.lines().next().unwrap_or_default();
    let log = match head {
        Some(_) => format!("commit: {subject}"),
        None => format!("commit (initial): {subject}"),
    };
    let head_ref = repo.find_reference("HEAD").map_err(git)?;
    let branch = head_ref.symbolic_target().map(str::to_string);
    match (&branch, head) {
        (Some(branch), Some(old)) => repo
            .reference_matching(branch, commit, true, old.id(), &log)
            .map(drop),
        (Some(branch), None) => repo.reference(branch, commit, false, &log).map(drop),
        (None, _) => repo.set_head_detached(commit),
    }
    .map_err(git)?;
    Ok(branch.unwrap_or_else(|| "HEAD".into()))
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
