//! The git store's health check: every object a run relies on (`HEAD`'s commit, its trees, each
//! blob it compares against) is checked before libgit2 parses it. A loose object must inflate
//! whole, state its type and length in its header, and hash to its name; libgit2 itself spins
//! forever on a truncated one (inside its zlib loop, where no stop reaches it). A packed object
//! is read by libgit2, which checks the pack. A damaged repository is [`Error::Corrupt`]: the
//! run ends (exit 1) naming the repository, the object and what to do.

use crate::error::{Error, Result};
use git2::{ObjectType, Oid, Repository};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The largest object a backup repository holds that is believed (its header's length): a
/// router's configuration is kilobytes; the tree of 100,000 routers a few megabytes.
const MAX_OBJECT: u64 = 1 << 30;

/// The repository as people name it: its work tree (without a trailing `/`).
fn shown(repo: &Repository) -> String {
    let p = repo.workdir().unwrap_or(repo.path()).display().to_string();
    match p.trim_end_matches('/') {
        "" => p,
        t => t.to_string(),
    }
}

/// A damaged object: the error naming the repository, the object and what it is to the run.
fn corrupt(repo: &Repository, id: Oid, what: &str, problem: impl Into<String>) -> Error {
    Error::Corrupt {
        path: shown(repo),
        object: id.to_string(),
        what: what.to_string(),
        problem: problem.into(),
    }
}

/// The content of the object `id`, of type `kind`, checked whole first when it is a loose
/// object (see the module's documentation); `what` says what it is (`routers/42.json at HEAD`).
pub fn read(repo: &Repository, id: Oid, kind: ObjectType, what: &str) -> Result<Vec<u8>> {
    let hex = id.to_string();
    let loose = repo.path().join("objects").join(&hex[..2]).join(&hex[2..]);
    match std::fs::File::open(&loose) {
        Ok(f) => read_loose(repo, f, id, kind, what),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => read_packed(repo, id, kind, what),
        Err(e) => Err(Error::io(loose.display(), e)),
    }
}

/// A loose object, inflated and checked: header, length, hash.
fn read_loose(
    repo: &Repository,
    f: std::fs::File,
    id: Oid,
    kind: ObjectType,
    what: &str,
) -> Result<Vec<u8>> {
    let bad = |problem: String| corrupt(repo, id, what, problem);
    let mut z = flate2::read::ZlibDecoder::new(std::io::BufReader::new(f));
    let mut header = vec![];
    let mut byte = [0u8; 1];
    while header.len() < 32 {
        match z.read(&mut byte) {
            Ok(1) if byte[0] == 0 => break,
            Ok(1) => header.push(byte[0]),
            Ok(_) => return Err(bad("is truncated: it ends inside its header".into())),
            Err(e) => return Err(bad(format!("does not inflate ({e})"))),
        }
    }
    let header = String::from_utf8_lossy(&header).into_owned();
    let parsed = header
        .split_once(' ')
        .and_then(|(t, n)| Some((ObjectType::from_str(t)?, n.parse::<u64>().ok()?)));
    let Some((found, len)) = parsed.filter(|(_, n)| *n <= MAX_OBJECT) else {
        return Err(bad(format!("has no valid header ({header:?})")));
    };
    if found != kind {
        return Err(bad(format!("is a {found}, not a {kind}")));
    }
    let mut body = Vec::with_capacity(usize::try_from(len.min(1 << 26)).unwrap_or(0));
    let got = z
        .by_ref()
        .take(len + 1)
        .read_to_end(&mut body)
        .map_err(|e| bad(format!("does not inflate ({e})")))?;
    if got as u64 != len {
        return Err(bad(format!(
            "is truncated: it holds {got} of the {len} bytes its header states"
        )));
    }
    if Oid::hash_object(kind, &body).ok() != Some(id) {
        return Err(bad(
            "does not match its name (its content hashes to another id)".into(),
        ));
    }
    Ok(body)
}

/// A packed object, read by libgit2.
fn read_packed(repo: &Repository, id: Oid, kind: ObjectType, what: &str) -> Result<Vec<u8>> {
    let odb = repo
        .odb()
        .map_err(|e| corrupt(repo, id, what, e.message()))?;
    let obj = odb
        .read(id)
        .map_err(|e| corrupt(repo, id, what, format!("cannot be read ({})", e.message())))?;
    if obj.kind() != kind {
        return Err(corrupt(
            repo,
            id,
            what,
            format!("is a {}, not a {kind}", obj.kind()),
        ));
    }
    Ok(obj.data().to_vec())
}

/// `HEAD`'s commit, checked, with its tree checked: `None` when the branch has no commit yet
/// (a new repository). A `HEAD` that cannot be resolved otherwise is an error.
pub fn head<'r>(repo: &'r Repository) -> Result<Option<git2::Commit<'r>>> {
    use git2::ErrorCode;
    let head = match repo.head() {
        Ok(h) => h,
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
            return Ok(None)
        }
        Err(e) => {
            return Err(Error::Corrupt {
                path: shown(repo),
                object: "HEAD".into(),
                what: "the branch HEAD names".into(),
                problem: format!("cannot be resolved ({})", e.message()),
            })
        }
    };
    let Some(id) = head.target() else {
        return Ok(None);
    };
    read(repo, id, ObjectType::Commit, "the last commit (HEAD)")?;
    let commit = repo
        .find_commit(id)
        .map_err(|e| corrupt(repo, id, "the last commit (HEAD)", e.message()))?;
    Ok(Some(commit))
}

/// Every blob of the tree `id` (and the trees below it) by path, each tree checked before it is
/// read. One walk: looking paths up one by one re-reads a 10,000-entry subtree each time.
pub fn blobs(repo: &Repository, id: Oid) -> Result<HashMap<String, Oid>> {
    let mut out = HashMap::new();
    let mut todo = vec![(String::new(), id)];
    while let Some((prefix, id)) = todo.pop() {
        let what = if prefix.is_empty() {
            "the last commit's tree".to_string()
        } else {
            format!("the tree of {}", prefix.trim_end_matches('/'))
        };
        read(repo, id, ObjectType::Tree, &what)?;
        let tree = repo
            .find_tree(id)
            .map_err(|e| corrupt(repo, id, &what, e.message()))?;
        for entry in tree.iter() {
            let Some(name) = entry.name() else { continue };
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    out.insert(format!("{prefix}{name}"), entry.id());
                }
                Some(ObjectType::Tree) => todo.push((format!("{prefix}{name}/"), entry.id())),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Checks the repository at `dir` before a run uses it: `HEAD`'s commit and every tree of it.
/// Returns when the last backup was committed (seconds since the epoch); `None` when there is
/// no repository or no commit yet.
pub fn check(dir: &Path) -> Result<Option<i64>> {
    let repo = match Repository::open(dir) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::NotFound && !dir.join(".git").exists() => {
            return Ok(None)
        }
        Err(e) => {
            return Err(Error::Git {
                path: dir.display().to_string(),
                message: e.message().to_string(),
            })
        }
    };
    let Some(commit) = head(&repo)? else {
        return Ok(None);
    };
    blobs(&repo, commit.tree_id())?;
    Ok(Some(commit.time().seconds()))
}
