//! Files the tool reads and writes for scripts, and the directories it swaps in whole.
//!
//! - [`Dir`]: a directory opened once; everything below it is reached with `openat`-style calls
//!   that never follow a symlink, so swapping a path component for a symlink mid-run cannot
//!   send a read or a write elsewhere.
//! - [`Confined`]: the directories a script may read (or write), and the files it never may
//!   (the configuration file, the REPL history, `/proc`, `/sys`, `/dev`).
//! - [`StagingDir`]: a directory filled next to where it will go, removed unless committed; the
//!   commit is one atomic step (`renameat2(RENAME_EXCHANGE)` over an existing directory,
//!   `RENAME_NOREPLACE` onto a new name). [`clean_stale`] removes, at start, staging directories
//!   whose process is gone.

mod confined;
mod staging;
#[cfg(test)]
mod tests;

pub use confined::{always_denied, normalize, Access, Confined};
pub use staging::{clean_stale, pid_alive, StagingDir};

use crate::error::{Error, Result};
use rustix::fs::{openat, renameat, unlinkat, AtFlags, Mode, OFlags};
use std::ffi::OsStr;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The marker in a staging directory's name: `.<final>.partial-<pid>-<n>`.
const PARTIAL: &str = ".partial-";
/// What older versions left when killed between their two renames: `.<final>.old-<pid>`.
const OLD: &str = ".old-";
/// The prefix of a file being written beside its final name: `.fleetscript-<pid>-<n>`.
const TEMP: &str = ".fleetscript-";

/// Is `name` a temporary file of an atomic write (`.fleetscript-<pid>-<n>`)? One that is still
/// there when no run holds its directory's lock was left by a killed run.
pub fn is_temporary(name: &str) -> bool {
    name.strip_prefix(TEMP)
        .and_then(|t| t.split_once('-'))
        .is_some_and(|(pid, n)| {
            !pid.is_empty()
                && !n.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && n.bytes().all(|b| b.is_ascii_digit())
        })
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn io_err(path: &Path, e: impl Into<std::io::Error>) -> Error {
    Error::io(path.display(), e.into())
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// An open directory: the path people see, and the handle every operation below it goes through.
#[derive(Debug)]
pub struct Dir {
    path: PathBuf,
    fd: OwnedFd,
}

/// The components of a relative path, each a plain name (no `..`, no root).
fn names(rel: &Path) -> Result<Vec<&OsStr>> {
    rel.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            _ => Err(Error::invalid(format!(
                "{}: only plain names may follow an allowed directory",
                rel.display()
            ))),
        })
        .collect()
}

impl Dir {
    /// Opens `path` (created first when `create`), resolving symlinks in `path` itself once.
    pub fn open(path: &Path, create: bool) -> Result<Dir> {
        if create {
            std::fs::create_dir_all(path).map_err(|e| io_err(path, e))?;
        }
        let path = path.canonicalize().map_err(|e| io_err(path, e))?;
        let fd = rustix::fs::open(&path, DIR_FLAGS, Mode::empty()).map_err(|e| io_err(&path, e))?;
        Ok(Dir { path, fd })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A directory below this one (created when `create`), reached without following symlinks.
    pub fn subdir(&self, rel: &Path, create: bool) -> Result<Dir> {
        let mut cur = Dir {
            path: self.path.clone(),
            fd: self.fd.try_clone().map_err(|e| io_err(&self.path, e))?,
        };
        for name in names(rel)? {
            cur = cur.child(name, create)?;
        }
        Ok(cur)
    }

    fn child(&self, name: &OsStr, create: bool) -> Result<Dir> {
        let path = self.path.join(name);
        let open = || openat(&self.fd, name, DIR_FLAGS, Mode::empty());
        let fd = match open() {
            Err(rustix::io::Errno::NOENT) if create => {
                match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => open(),
                    Err(e) => Err(e),
                }
            }
            other => other,
        };
        let fd = fd.map_err(|e| match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => Error::invalid(format!(
                "{} is a symlink or not a directory; below an allowed directory no symlink is followed",
                path.display()
            )),
            e => io_err(&path, e),
        })?;
        Ok(Dir { path, fd })
    }

    /// The directory holding `rel` and the file's own name.
    fn parent_of<'a>(&self, rel: &'a Path, create: bool) -> Result<(Dir, &'a OsStr)> {
        let mut parts = names(rel)?;
        let name = parts
            .pop()
            .ok_or_else(|| Error::invalid("an empty file name"))?;
        let parent: PathBuf = parts.iter().collect();
        Ok((self.subdir(&parent, create)?, name))
    }

    fn open_file(&self, name: &OsStr, flags: OFlags, mode: u32) -> Result<std::fs::File> {
        let path = self.path.join(name);
        openat(
            &self.fd,
            name,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
        .map(std::fs::File::from)
        .map_err(|e| match e {
            rustix::io::Errno::LOOP => Error::invalid(format!(
                "{} is a symlink; below an allowed directory no symlink is followed",
                path.display()
            )),
            e => io_err(&path, e),
        })
    }

    /// Reads a file below this directory.
    pub fn read(&self, rel: &Path) -> Result<Vec<u8>> {
        use std::io::Read;
        let (dir, name) = self.parent_of(rel, false)?;
        let mut f = dir.open_file(name, OFlags::RDONLY, 0)?;
        let mut out = vec![];
        f.read_to_end(&mut out)
            .map_err(|e| io_err(&dir.path.join(name), e))?;
        Ok(out)
    }

    /// Opens a file below this directory for reading and appending (created when missing; its
    /// directory is then synced, so a journal's first record never outlives its name).
    pub fn open_append(&self, rel: &Path, mode: u32) -> Result<(PathBuf, std::fs::File)> {
        let (dir, name) = self.parent_of(rel, true)?;
        let existing = dir.open_file(name, OFlags::RDWR | OFlags::APPEND, mode);
        let f = match existing {
            Ok(f) => f,
            Err(_) => {
                let f =
                    dir.open_file(name, OFlags::RDWR | OFlags::APPEND | OFlags::CREATE, mode)?;
                dir.sync()?;
                f
            }
        };
        Ok((dir.path.join(name), f))
    }

    /// Creates a new file in this directory (never replacing one) with `bytes`, synced.
    pub fn write_new(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
        self.write_new_with(name, bytes, mode, true)
    }

    /// `write_new` without its own fsync: for many files made durable together afterwards by
    /// one `sync_filesystem` barrier (a backup's staging directory).
    pub fn write_new_unsynced(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
        self.write_new_with(name, bytes, mode, false)
    }

    /// Creates a new file in this directory (never replacing one) to be written as a stream;
    /// not synced (see `sync_filesystem`). Returns its path, for messages.
    pub fn create_new(&self, name: &str, mode: u32) -> Result<(PathBuf, std::fs::File)> {
        let f = self.open_file(
            OsStr::new(name),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            mode,
        )?;
        Ok((self.path.join(name), f))
    }

    fn write_new_with(&self, name: &str, bytes: &[u8], mode: u32, sync: bool) -> Result<()> {
        let path = self.path.join(name);
        let mut f = self.open_file(
            OsStr::new(name),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            mode,
        )?;
        f.write_all(bytes).map_err(|e| io_err(&path, e))?;
        if sync {
            f.sync_all().map_err(|e| io_err(&path, e))?;
        }
        Ok(())
    }

    /// Makes everything written on this directory's filesystem durable (`syncfs`): the one
    /// barrier after many unsynced writes.
    pub fn sync_filesystem(&self) -> Result<()> {
        rustix::fs::syncfs(&self.fd).map_err(|e| io_err(&self.path, e))
    }

    /// Writes `bytes` to `rel` atomically: a temporary file beside it, then one rename. A failure
    /// leaves any earlier file untouched and no partial file behind.
    pub fn write_atomic(&self, rel: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
        self.write_atomic_with(rel, bytes, mode, true)
    }

    /// `write_atomic` without the fsync of each file (see `write_new_unsynced`).
    pub fn write_atomic_unsynced(&self, rel: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
        self.write_atomic_with(rel, bytes, mode, false)
    }

    fn write_atomic_with(
        &self,
        rel: &Path,
        bytes: &[u8],
        mode: u32,
        sync: bool,
    ) -> Result<PathBuf> {
        let (dir, name) = self.parent_of(rel, true)?;
        let tmp = dir.write_temp_with(bytes, mode, sync)?;
        if let Err(e) = dir.rename(&tmp, name) {
            let _ = unlinkat(&dir.fd, tmp.as_str(), AtFlags::empty());
            return Err(e);
        }
        Ok(dir.path.join(name))
    }

    /// Writes `bytes` to a new hidden temporary file in this directory (`.fleetscript-<pid>-<n>`,
    /// see [`is_temporary`]), not synced; returns its name. A failed write removes it: no half
    /// file stays. Move it into place with [`Dir::rename`].
    pub fn write_temp(&self, bytes: &[u8], mode: u32) -> Result<String> {
        self.write_temp_with(bytes, mode, false)
    }

    fn write_temp_with(&self, bytes: &[u8], mode: u32, sync: bool) -> Result<String> {
        let tmp = unique(TEMP);
        if let Err(e) = self.write_new_with(&tmp, bytes, mode, sync) {
            let _ = unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            return Err(e);
        }
        Ok(tmp)
    }

    /// Renames the entry `from` of this directory to `to` (replacing a file there).
    pub fn rename(&self, from: &str, to: impl AsRef<OsStr>) -> Result<()> {
        let to = to.as_ref();
        renameat(&self.fd, from, &self.fd, to).map_err(|e| io_err(&self.path.join(to), e))
    }

    /// A file written as a stream that appears at `rel` only when committed: until then it is a
    /// hidden temporary next to it, removed if the writer is dropped (a script that failed).
    pub fn create_atomic(&self, rel: &Path, mode: u32) -> Result<AtomicFile> {
        let (dir, name) = self.parent_of(rel, true)?;
        let tmp = unique(TEMP);
        let file = dir.open_file(
            OsStr::new(&tmp),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            mode,
        )?;
        Ok(AtomicFile {
            name: name.to_os_string(),
            tmp,
            file: Some(std::io::BufWriter::new(file)),
            dir,
        })
    }

    /// Takes the lock `name` in this directory (created 0600 when missing) for as long as the
    /// returned guard lives: an exclusive `flock`, so a dead holder never leaves it stuck (the
    /// pid a dead holder wrote in the file means nothing). The holder writes its pid in it, so
    /// the file's age is how long the lock has been held. A lock held by another (live) process
    /// is `Error::Locked` naming the holder's pid and how long it has held it.
    pub fn lock(&self, name: &str) -> Result<LockGuard> {
        use std::io::{Read, Seek, Write};
        let path = self.path.join(name);
        let mut f = self.open_file(OsStr::new(name), OFlags::RDWR | OFlags::CREATE, 0o600)?;
        if let Err(e) = rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        {
            if e != rustix::io::Errno::WOULDBLOCK {
                return Err(io_err(&path, e));
            }
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let held = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| std::time::SystemTime::now().duration_since(t).ok());
            return Err(Error::Locked {
                path: path.display().to_string(),
                running: pid.trim().parse().is_ok_and(pid_alive),
                holder: pid.trim().to_string(),
                held,
            });
        }
        let me = std::process::id().to_string();
        let written = f
            .set_len(0)
            .and_then(|_| f.rewind())
            .and_then(|_| f.write_all(me.as_bytes()));
        written.map_err(|e| io_err(&path, e))?;
        Ok(LockGuard { _file: f })
    }

    /// Makes `name` in this directory a hard link to `name` in `from` (same filesystem),
    /// without following a symlink. Fails when `name` exists here.
    pub fn link_from(&self, from: &Dir, name: &str) -> Result<()> {
        rustix::fs::linkat(&from.fd, name, &self.fd, name, AtFlags::empty())
            .map_err(|e| io_err(&self.path.join(name), e))
    }

    /// The names in this directory.
    pub fn entries(&self) -> Vec<String> {
        let Ok(d) = rustix::fs::Dir::read_from(&self.fd) else {
            return vec![];
        };
        d.flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "." && n != "..")
            .collect()
    }

    /// Removes an entry of this directory and everything below it, without following symlinks.
    pub fn remove_all(&self, name: &str) -> Result<()> {
        match unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::ISDIR) | Err(rustix::io::Errno::PERM) => {}
            Err(e) => return Err(io_err(&self.path.join(name), e)),
        }
        let sub = self.child(OsStr::new(name), false)?;
        for entry in sub.entries() {
            sub.remove_all(&entry)?;
        }
        unlinkat(&self.fd, name, AtFlags::REMOVEDIR).map_err(|e| io_err(&self.path.join(name), e))
    }

    /// Makes this directory's entries (renames) durable. A filesystem that cannot sync a
    /// directory (`EINVAL`) is taken at its word; any other failure is an error.
    pub fn sync(&self) -> Result<()> {
        match rustix::fs::fsync(&self.fd) {
            Ok(()) | Err(rustix::io::Errno::INVAL) => Ok(()),
            Err(e) => Err(io_err(&self.path, e)),
        }
    }
}

/// A file being written as a stream (see [`Dir::create_atomic`]).
pub struct AtomicFile {
    dir: Dir,
    name: std::ffi::OsString,
    tmp: String,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    fn io(&self, e: std::io::Error) -> Error {
        io_err(&self.dir.path.join(&self.name), e)
    }

    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let r = match self.file.as_mut() {
            Some(f) => f.write_all(bytes),
            None => return Err(Error::invalid("the file was already closed")),
        };
        r.map_err(|e| self.io(e))
    }

    /// Flushes, syncs and moves the file into place; returns its path.
    pub fn commit(mut self) -> Result<PathBuf> {
        let f = self
            .file
            .take()
            .ok_or_else(|| Error::invalid("the file was already closed"))?;
        let f = f.into_inner().map_err(|e| self.io(e.into_error()))?;
        f.sync_all().map_err(|e| self.io(e))?;
        renameat(&self.dir.fd, self.tmp.as_str(), &self.dir.fd, &self.name)
            .map_err(|e| self.io(e.into()))?;
        self.tmp.clear();
        Ok(self.dir.path.join(&self.name))
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("the file was already closed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.is_empty() {
            let _ = unlinkat(&self.dir.fd, self.tmp.as_str(), AtFlags::empty());
        }
    }
}
/// A held lock (`Dir::lock`); released when dropped (or when the process dies).
#[derive(Debug)]
pub struct LockGuard {
    _file: std::fs::File,
}
