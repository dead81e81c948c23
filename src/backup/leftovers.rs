//! What a killed or crashed run leaves in a git backup directory, cleaned up by the next one:
//! git's lock files (`.git/index.lock`, `.git/HEAD.lock`, `.git/refs/heads/<branch>.lock`, ...),
//! which otherwise fail every later run until someone deletes them, an index it left unreadable
//! (a run rebuilds the index from the last commit anyway), and the hidden temporaries of
//! work-tree files it was writing. Called under the backup directory's own lock, so no other
//! fleetscript run can be writing there; a git lock newer than the run (a `git` command someone
//! started meanwhile) is left alone.

use crate::error::Result;
use crate::files::Dir;
use std::path::Path;
use std::time::SystemTime;

/// The work-tree directories the git store writes (see `git`).
const WORK_DIRS: [&str; 5] = [
    "",
    "routers",
    "groups",
    "ignitenet/sites",
    "ignitenet/devices",
];

/// The lock files of `.git` (a `.lock` beside what it locks): the top-level ones and those
/// below `refs/` and `logs/`.
fn git_locks(git_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    let mut todo = vec![git_dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            let top = d == git_dir;
            if t.is_dir() && (!top || matches!(e.file_name().to_str(), Some("refs" | "logs"))) {
                todo.push(p);
            } else if t.is_file() && p.extension().is_some_and(|x| x == "lock") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Removes git's lock files older than `started` and the work tree's temporaries; one line per
/// thing removed, to be reported (`removed the stale git lock .git/index.lock ...`).
pub fn clean(dir: &Dir, started: SystemTime) -> Result<Vec<String>> {
    let mut done = vec![];
    let git_dir = dir.path().join(".git");
    for lock in git_locks(&git_dir) {
        let Ok(modified) = std::fs::symlink_metadata(&lock).and_then(|m| m.modified()) else {
            continue;
        };
        if modified >= started {
            continue;
        }
        std::fs::remove_file(&lock).map_err(|e| crate::error::Error::io(lock.display(), e))?;
        let rel = lock.strip_prefix(dir.path()).unwrap_or(&lock);
        let when = chrono::DateTime::<chrono::Utc>::from(modified)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        done.push(format!(
            "removed the stale git lock {} (from {when}, left by a run that was killed or crashed; no other run holds this directory)",
            rel.display()
        ));
    }
    if let Some(line) = unreadable_index(dir)? {
        done.push(line);
    }
    for sub in WORK_DIRS {
        let Ok(d) = dir.subdir(Path::new(sub), false) else {
            continue;
        };
        let temps: Vec<String> = d
            .entries()
            .into_iter()
            .filter(|n| crate::files::is_temporary(n))
            .collect();
        for t in &temps {
            d.remove_all(t)?;
        }
        if !temps.is_empty() {
            let place = if sub.is_empty() { "." } else { sub };
            done.push(format!(
                "removed {} temporary file(s) a killed run left in {place}",
                temps.len()
            ));
        }
    }
    Ok(done)
}

/// Removes `.git/index` when libgit2 cannot read it (cut short by a crash): every run rebuilds
/// the index from the last commit, so nothing is lost.
fn unreadable_index(dir: &Dir) -> Result<Option<String>> {
    let Ok(repo) = git2::Repository::open(dir.path()) else {
        return Ok(None);
    };
    let Err(e) = repo.index() else {
        return Ok(None);
    };
    let path = repo.path().join("index");
    if !path.is_file() {
        return Ok(None);
    }
    std::fs::remove_file(&path).map_err(|e| crate::error::Error::io(path.display(), e))?;
    Ok(Some(format!(
        "removed the unreadable git index .git/index ({}); it is rebuilt from the last commit",
        e.message()
    )))
}
