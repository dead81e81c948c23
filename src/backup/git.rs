//! The git backup store: a repository (created when missing) whose work tree holds
//! `routers/<id>.json`, `groups/<id>.json`, `ignitenet/{sites,devices}/<id>.json` and `index.csv`. A run writes only the files whose
//! content changed (volatile values aside), removes the files of routers and groups gone from the
//! account, and commits once, only when something changed: `git log -p`, `git diff` and
//! `git blame` work on the result with no `git` binary needed here. Each document's blob is made
//! from its bytes as it arrives (never read back through a path; only paths and object ids are
//! held, so memory stays flat in the number of routers), and work-tree files are written below the
//! allowed directory without following symlinks. Nothing is lost to a full disk or a crash:
//! objects and files are written and synced before the branch moves (see [`GitStore`]).

use super::store::{Finished, Notes, Outcome, Put, Store};
use super::{git_health, normalized, Document};
use crate::error::{Error, Result};
use crate::files::Dir;
use git2::{IndexEntry, IndexTime, Oid, Repository, Signature};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Backup files hold configuration (Wi-Fi keys among it): owner-only.
const MODE: u32 = 0o600;
/// The most changed paths a commit message lists per router or group.
const PATHS_PER_LINE: usize = 8;

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

/// The document stored at `path` in the last commit (blob `id`, checked first), with the
/// SHA-256 of its bytes; `None` when it is not JSON.
fn previous(repo: &Repository, id: Oid, path: &str) -> Result<Option<(Value, [u8; 32])>> {
    use sha2::Digest;
    let bytes = git_health::read(repo, id, git2::ObjectType::Blob, &format!("{path} at HEAD"))?;
    let sha: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    Ok(serde_json::from_slice(&bytes).ok().map(|v| (v, sha)))
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

/// The config paths that changed in a document (`configuration:system.desc`).
fn changed_paths(doc: &Document, old: &Value) -> Vec<String> {
    super::changes::rows_for(&doc.path, Some(old), Some(&doc.value))
        .into_iter()
        .map(|r| format!("{}:{}", r.document, r.path))
        .collect()
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

/// A document that changed, for the commit message: where, who it is about, and the config
/// paths that changed.
struct Change {
    path: String,
    label: String,
    paths: Vec<String>,
}

/// The git store of one run. Each document is compared with the last commit as it arrives;
/// one that changed has its blob written (the object made from its bytes) and its work-tree
/// file written as a hidden temporary at once, so only paths and object ids are held, never the
/// fleet's documents. [`Store::finish`] commits (see there); dropped unfinished, it removes its
/// temporaries and leaves the repository as it was (objects written meanwhile are unreferenced).
pub struct GitStore<'a> {
    dir: &'a Dir,
    repo: Repository,
    index: git2::Index,
    /// The last commit and its tree.
    head: Option<(Oid, Oid)>,
    last_commit: Option<i64>,
    /// Every file of the last commit, with its blob.
    before: HashMap<String, Oid>,
    /// The documents this run put.
    seen: HashSet<String>,
    pending: Pending<'a>,
    changes: Vec<Change>,
    /// Every work-tree path the run writes or removes, with its blob in the last commit.
    touched: Vec<(String, Option<Oid>)>,
    changed: usize,
    added: usize,
}

impl<'a> GitStore<'a> {
    /// The git store at `dir` (which the caller holds the lock of: see [`super::LOCK_FILE`]),
    /// the repository created when missing. What a killed run left is removed first (`report`
    /// is told at once of each: see [`super::leftovers`]); then the repository's health is
    /// checked: a damaged one ends the run before any request.
    pub fn open(dir: &'a Dir, report: &dyn Fn(&str)) -> Result<GitStore<'a>> {
        let cleaned = super::leftovers::clean(dir, std::time::SystemTime::now())?;
        cleaned.iter().for_each(|l| report(l));
        let last_commit = git_health::check(dir.path())?;
        let e = git_err(dir);
        let repo = open_repository(dir)?;
        exclude_lock_file(&repo)?;
        // HEAD's commit and every tree checked before libgit2 reads them (each blob compared
        // against is checked when read).
        let head = git_health::head(&repo)?.map(|c| (c.id(), c.tree_id()));
        let before = match head {
            Some((_, tree)) => git_health::blobs(&repo, tree)?,
            None => HashMap::new(),
        };
        let mut index = repo.index().map_err(&e)?;
        match head {
            Some((_, tree)) => index
                .read_tree(&repo.find_tree(tree).map_err(&e)?)
                .map_err(&e)?,
            None => index.clear().map_err(&e)?,
        }
        Ok(GitStore {
            dir,
            repo,
            index,
            head,
            last_commit,
            before,
            seen: HashSet::new(),
            pending: Pending::new(dir),
            changes: vec![],
            touched: vec![],
            changed: 0,
            added: 0,
        })
    }

    /// Stages the removal of the documents the last commit has and this run did not put;
    /// returns their paths.
    fn remove_gone(&mut self) -> Result<Vec<String>> {
        let gone: Vec<String> = self
            .index
            .iter()
            .map(|x| String::from_utf8_lossy(&x.path).into_owned())
            .filter(|p| p.ends_with(".json") && !self.seen.contains(p))
            .collect();
        for p in &gone {
            self.index
                .remove_path(Path::new(p))
                .map_err(git_err(self.dir))?;
            self.touched.push((p.clone(), self.before.get(p).copied()));
        }
        Ok(gone)
    }

    /// The commit message: the summary line, then a line per changed document (named, with
    /// who changed it when the activity log says) and per removed one.
    fn message(&self, removed: &[String], notes: &Notes) -> String {
        let mut m = format!(
            "backup: {} changed, {} added, {} removed ({} routers and groups)\n",
            self.changed,
            self.added,
            removed.len(),
            self.seen.len()
        );
        if !self.changes.is_empty() || !removed.is_empty() {
            m.push('\n');
        }
        for c in &self.changes {
            let label = match c
                .path
                .strip_prefix("routers/")
                .map(|p| p.trim_end_matches(".json"))
            {
                Some(rid) => match (notes.router_name)(rid) {
                    Some(name) => format!("router {rid} ({name})"),
                    None => c.label.clone(),
                },
                None => c.label.clone(),
            };
            m.push_str(&change_line(&label, &c.paths));
            if let Some(w) = notes.who.get(&c.path) {
                m.push_str(&format!(" ({w})"));
            }
            m.push('\n');
        }
        for p in removed {
            let what = p.trim_end_matches(".json").replace('/', " ");
            m.push_str(&format!("{what}: removed (gone from the account)\n"));
        }
        m
    }
}

impl Store for GitStore<'_> {
    fn kind(&self) -> &'static str {
        "git"
    }

    fn router_file(&self, router: &str) -> String {
        format!("routers/{router}.json")
    }

    fn last_backup(&self) -> Option<i64> {
        self.last_commit
    }

    fn put(&mut self, doc: &Document, bytes: &[u8]) -> Result<Put> {
        self.seen.insert(doc.path.clone());
        let old_id = self.before.get(&doc.path).copied();
        let put = |outcome, kept| Put {
            outcome,
            linked: false,
            kept,
        };
        // The same bytes: nothing to compare further.
        if old_id.is_some() && old_id == Oid::hash_object(git2::ObjectType::Blob, bytes).ok() {
            return Ok(put(Outcome::Same, None));
        }
        let old = match old_id {
            Some(id) => previous(&self.repo, id, &doc.path)?,
            None => None,
        };
        let outcome = match old {
            Some((o, sha)) if normalized(&o) == normalized(&doc.value) => {
                return Ok(put(Outcome::Same, Some((o, sha))))
            }
            Some((o, _)) => {
                self.changes.push(Change {
                    path: doc.path.clone(),
                    label: doc.label.clone(),
                    paths: changed_paths(doc, &o),
                });
                self.changed += 1;
                Outcome::Changed
            }
            None => {
                self.added += 1;
                Outcome::Added
            }
        };
        stage(&mut self.index, &doc.path, bytes).map_err(object_err(self.dir, &doc.path))?;
        self.pending.write(&doc.path, bytes)?;
        self.touched.push((doc.path.clone(), old_id));
        Ok(put(outcome, None))
    }

    /// Commits when anything changed. In this order, so that nothing is lost to a full disk, a
    /// kill or a crash: every object (the blobs, written as the documents arrived, the trees and
    /// the commit) and every work-tree file (as a hidden temporary) is written first; a failure
    /// there removes the temporaries and leaves the repository as it was. Then `cancel` is
    /// looked at (Ctrl-C before this point ends the run as interrupted, nothing changed), the
    /// files are moved into place and the index written, all of it synced; then the branch is
    /// moved to the new commit (the point of no return), and it and its reflogs are fsynced. A
    /// failure after the files were moved puts them and the index back as the last commit has
    /// them.
    fn finish(&mut self, index_csv: &[u8], notes: &Notes, cancel: &AtomicBool) -> Result<Finished> {
        let dir = self.dir;
        let e = git_err(dir);
        let removed = self.remove_gone()?;
        let mut done = Finished {
            dir: dir.path().to_path_buf(),
            removed: removed.len(),
            ..Default::default()
        };
        if self.changed + self.added + removed.len() == 0 {
            return Ok(done);
        }
        let before_index = self.before.get("index.csv").copied();
        self.touched.push(("index.csv".into(), before_index));
        stage(&mut self.index, "index.csv", index_csv).map_err(object_err(dir, "index.csv"))?;
        self.pending.write("index.csv", index_csv)?;
        let tree_id = self.index.write_tree().map_err(&e)?;
        done.message = self.message(&removed, notes);
        let repo = &self.repo;
        let head = self
            .head
            .map(|(c, _)| repo.find_commit(c))
            .transpose()
            .map_err(&e)?;
        let commit_id = write_commit(repo, tree_id, head.as_ref(), &done.message).map_err(&e)?;
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let moved = move_in(dir, repo, &mut self.index, &mut self.pending, &removed)
            .and_then(|()| update_head(repo, commit_id, head.as_ref(), &done.message));
        let moved = match moved {
            Ok(name) => name,
            Err(err) => {
                let tree = self
                    .head
                    .map(|(_, t)| repo.find_tree(t))
                    .transpose()
                    .ok()
                    .flatten();
                let _ = restore(dir, repo, &mut self.index, tree.as_ref(), &self.touched);
                return Err(err);
            }
        };
        // The branch names the new commit: it must be on disk before the run says it is saved.
        sync_ref(repo, &moved).map_err(|err| Error::Git {
            path: dir.path().display().to_string(),
            message: format!(
                "the commit {commit_id} is made, but syncing it to disk failed ({err}); run the backup again"
            ),
        })?;
        done.commit = Some(commit_id.to_string());
        Ok(done)
    }
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
