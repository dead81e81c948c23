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

use crate::error::{Error, Result};
use rustix::fs::{openat, renameat, renameat_with, unlinkat, AtFlags, Mode, OFlags, RenameFlags};
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

/// What a [`Confined`] set of directories is for, for its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The directories a script may read or write, each opened once, and what it never may touch.
#[derive(Debug)]
pub struct Confined {
    access: Access,
    roots: Vec<Dir>,
    denied: Vec<PathBuf>,
    /// The denied files by identity (device, inode): a hard link to one elsewhere is the same
    /// file under another name.
    denied_files: Vec<(u64, u64)>,
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

/// Lexically normalizes a path (resolving `.` and `..`) against the current directory.
pub fn normalize(path: &Path) -> PathBuf {
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

/// Never readable or writable from a script, whatever directories are allowed.
pub fn always_denied() -> Vec<PathBuf> {
    vec!["/proc".into(), "/sys".into(), "/dev".into()]
}

impl Confined {
    /// Opens `dirs` once (write directories are created when missing; read directories that do
    /// not exist are skipped). `denied` paths stay out of reach even below an allowed directory.
    pub fn new(access: Access, dirs: &[PathBuf], denied: &[PathBuf]) -> Result<Confined> {
        let mut c = Confined {
            access,
            roots: vec![],
            denied: vec![],
            denied_files: vec![],
        };
        for d in always_denied().iter().chain(denied) {
            c.deny(d);
        }
        for d in dirs {
            c.allow(d)?;
        }
        Ok(c)
    }

    /// Adds an allowed directory (a read directory that does not exist is skipped).
    pub fn allow(&mut self, dir: &Path) -> Result<()> {
        let create = self.access == Access::Write;
        if !create && !dir.is_dir() {
            return Ok(());
        }
        let d = Dir::open(&normalize(dir), create)?;
        if !self.roots.iter().any(|r| r.path == d.path) {
            self.roots.push(d);
        }
        Ok(())
    }

    /// Keeps a path out of reach (its resolved form too, and a file by its identity).
    pub fn deny(&mut self, p: &Path) {
        use std::os::unix::fs::MetadataExt;
        let n = normalize(p);
        if let Ok(c) = n.canonicalize() {
            self.denied.push(c);
        }
        if let Some(m) = std::fs::metadata(&n).ok().filter(|m| m.is_file()) {
            self.denied_files.push((m.dev(), m.ino()));
        }
        self.denied.push(n);
    }

    /// Refuses an opened file that is a denied one under another name (a hard link).
    fn refuse_denied_file(&self, f: &std::fs::File, shown: &str) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let m = f.metadata().map_err(|e| io_err(Path::new(shown), e))?;
        if self.denied_files.contains(&(m.dev(), m.ino())) {
            return Err(Error::invalid(format!(
                "{} {shown} is never allowed from a script: it is a link to a file that holds configuration or history",
                match self.access {
                    Access::Read => "reading",
                    Access::Write => "writing",
                }
            )));
        }
        Ok(())
    }

    pub fn dirs(&self) -> Vec<&Path> {
        self.roots.iter().map(|d| d.path.as_path()).collect()
    }

    /// The allowed directory `path` lies under, and the rest of the path below it.
    pub fn locate(&self, path: &str) -> Result<(&Dir, PathBuf)> {
        if path.trim().is_empty() {
            return Err(Error::invalid("an empty file name"));
        }
        let abs = normalize(Path::new(path));
        let found = self.roots.iter().find_map(|r| {
            abs.strip_prefix(&r.path)
                .ok()
                .or_else(|| {
                    // The same directory by the path it was given as (before symlinks resolved).
                    let shown = normalize(r.path.as_path());
                    abs.strip_prefix(shown).ok()
                })
                .map(|rel| (r, rel.to_path_buf()))
        });
        let verb = match self.access {
            Access::Read => "reading",
            Access::Write => "writing",
        };
        let Some((root, rel)) = found.filter(|(_, rel)| !rel.as_os_str().is_empty()) else {
            let flag = match self.access {
                Access::Read => "--allow-read DIR",
                Access::Write => "--allow-write DIR",
            };
            let dirs: Vec<String> = self
                .dirs()
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            return Err(Error::invalid(format!(
                "{verb} {} is not allowed: scripts may {} under {} (add a directory with {flag})",
                abs.display(),
                if self.access == Access::Read {
                    "read"
                } else {
                    "write"
                },
                if dirs.is_empty() {
                    "no directory".into()
                } else {
                    dirs.join(", ")
                }
            )));
        };
        let full = root.path.join(&rel);
        if let Some(d) = self
            .denied
            .iter()
            .find(|d| full.starts_with(d) || abs.starts_with(d))
        {
            return Err(Error::invalid(format!(
                "{verb} {} is never allowed from a script ({} holds configuration, history or system state)",
                abs.display(),
                d.display()
            )));
        }
        Ok((root, rel))
    }

    /// Reads a file under an allowed directory (never a denied file, by any name).
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        use std::io::Read;
        let (root, rel) = self.locate(path)?;
        let (dir, name) = root.parent_of(&rel, false)?;
        let mut f = dir.open_file(name, OFlags::RDONLY, 0)?;
        self.refuse_denied_file(&f, path)?;
        let mut out = vec![];
        f.read_to_end(&mut out)
            .map_err(|e| io_err(&dir.path.join(name), e))?;
        Ok(out)
    }

    /// Writes a file under an allowed directory, atomically.
    pub fn write_atomic(&self, path: &str, bytes: &[u8], mode: u32) -> Result<PathBuf> {
        let (root, rel) = self.locate(path)?;
        root.write_atomic(&rel, bytes, mode)
    }

    /// A directory under an allowed directory (created when missing).
    pub fn dir(&self, path: &str) -> Result<Dir> {
        let abs = normalize(Path::new(path));
        if let Some(r) = self.roots.iter().find(|r| r.path == abs) {
            return r.subdir(Path::new(""), false);
        }
        let (root, rel) = self.locate(path)?;
        root.subdir(&rel, true)
    }

    /// A file under an allowed directory written as a stream (see `Dir::create_atomic`).
    pub fn create_atomic(&self, path: &str, mode: u32) -> Result<AtomicFile> {
        let (root, rel) = self.locate(path)?;
        root.create_atomic(&rel, mode)
    }

    /// Opens a file under an allowed directory for reading and appending (a journal; never a
    /// denied file, by any name).
    pub fn open_append(&self, path: &str, mode: u32) -> Result<(PathBuf, std::fs::File)> {
        let (root, rel) = self.locate(path)?;
        let (p, f) = root.open_append(&rel, mode)?;
        self.refuse_denied_file(&f, path)?;
        Ok((p, f))
    }

    /// Takes the lock file `path` under an allowed directory (see `Dir::lock`).
    pub fn lock(&self, path: &str) -> Result<LockGuard> {
        let (root, rel) = self.locate(path)?;
        let parent = rel.parent().filter(|p| !p.as_os_str().is_empty());
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        match parent {
            Some(p) => root.subdir(p, true)?.lock(name),
            None => root.lock(name),
        }
    }
}

/// A directory being filled next to where it will go; removed on drop unless committed.
pub struct StagingDir<'a> {
    parent: &'a Dir,
    name: Option<String>,
    dir: Dir,
}

impl<'a> StagingDir<'a> {
    /// A fresh, empty staging directory in `parent` for the final name `name`.
    pub fn new(parent: &'a Dir, name: &str) -> Result<StagingDir<'a>> {
        let staging = unique(&format!(".{name}{PARTIAL}"));
        let dir = parent.child(OsStr::new(&staging), true)?;
        Ok(StagingDir {
            parent,
            name: Some(staging),
            dir,
        })
    }

    /// The staging directory, to write into.
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Makes the staging directory `parent/name` in one atomic step: whoever looks sees either
    /// the previous directory whole or this one whole, never neither; the rename is synced (a
    /// failed sync is an error). The previous one is then removed; a kill before that leaves it
    /// as a stale staging directory for the next start.
    pub fn commit(mut self, name: &str) -> Result<PathBuf> {
        let staging = self.name.take().unwrap_or_default();
        let p = self.parent;
        let target = p.path.join(name);
        let swap = |flags| renameat_with(&p.fd, staging.as_str(), &p.fd, name, flags);
        loop {
            match swap(RenameFlags::EXCHANGE) {
                Ok(()) => {
                    // The staging name now holds the previous directory: removed once the swap
                    // is durable (or, if this process dies first, by the next start).
                    p.sync()?;
                    let _ = p.remove_all(&staging);
                    return Ok(target);
                }
                Err(rustix::io::Errno::NOENT) => match swap(RenameFlags::NOREPLACE) {
                    Ok(()) => break,
                    // Another run created it meanwhile: exchange with that one.
                    Err(rustix::io::Errno::EXIST) => continue,
                    Err(e) => {
                        self.name = Some(staging);
                        return Err(io_err(&target, e));
                    }
                },
                Err(e) => {
                    self.name = Some(staging);
                    return Err(Error::io(
                        target.display(),
                        std::io::Error::new(
                            std::io::ErrorKind::Unsupported,
                            format!("this filesystem cannot swap directories atomically (renameat2: {e}); use a local filesystem such as ext4, xfs or btrfs"),
                        ),
                    ));
                }
            }
        }
        p.sync()?;
        Ok(target)
    }
}

impl Drop for StagingDir<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.name.take() {
            let _ = self.parent.remove_all(&n);
        }
    }
}

/// Is a process with this id running?
pub fn pid_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM means it exists but belongs to someone else.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// The pid in a staging name's tail (`<pid>-<n>` or `<pid>`).
fn owner_pid(tail: &str) -> Option<u32> {
    tail.split('-').next()?.parse().ok()
}

/// At start: removes staging directories in `dir` whose process is gone, and puts back a
/// previous directory an older version left as `.<name>.old-<pid>` when it was killed between
/// its two renames (only when `<name>` is missing). Returns what it did, one line each.
pub fn clean_stale(dir: &Dir) -> Vec<String> {
    let mut done = vec![];
    for name in dir.entries() {
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        if let Some((_, tail)) = rest.rsplit_once(PARTIAL) {
            if let Some(pid) = owner_pid(tail).filter(|p| !pid_alive(*p)) {
                if dir.remove_all(&name).is_ok() {
                    done.push(format!(
                        "removed {name} (left by process {pid}, which is gone)"
                    ));
                }
            }
        } else if let Some((final_name, tail)) = rest.rsplit_once(OLD) {
            let Some(pid) = owner_pid(tail).filter(|p| !pid_alive(*p)) else {
                continue;
            };
            let back = !final_name.is_empty()
                && renameat_with(
                    &dir.fd,
                    name.as_str(),
                    &dir.fd,
                    final_name,
                    RenameFlags::NOREPLACE,
                )
                .is_ok();
            if back {
                done.push(format!(
                    "restored {final_name} from {name} (process {pid} was killed mid-swap)"
                ));
            } else if dir.remove_all(&name).is_ok() {
                done.push(format!(
                    "removed {name} (left by process {pid}, which is gone)"
                ));
            }
        }
    }
    done
}

/// A held lock (`Dir::lock`); released when dropped (or when the process dies).
#[derive(Debug)]
pub struct LockGuard {
    _file: std::fs::File,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead_pid() -> u32 {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    }

    fn sorted(d: &Dir) -> Vec<String> {
        let mut v = d.entries();
        v.sort();
        v
    }

    #[test]
    fn commit_swaps_atomically_over_an_existing_directory_and_onto_a_new_name() {
        let t = tempfile::tempdir().unwrap();
        let parent = Dir::open(t.path(), false).unwrap();
        for round in 0..3 {
            let s = StagingDir::new(&parent, "2026-01-01").unwrap();
            s.dir()
                .write_new("f", round.to_string().as_bytes(), 0o600)
                .unwrap();
            let dir = s.commit("2026-01-01").unwrap();
            assert_eq!(
                std::fs::read_to_string(dir.join("f")).unwrap(),
                round.to_string()
            );
        }
        assert_eq!(sorted(&parent), vec!["2026-01-01"], "nothing else is left");
    }

    #[test]
    fn a_dropped_staging_directory_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let parent = Dir::open(t.path(), false).unwrap();
        {
            let s = StagingDir::new(&parent, "x").unwrap();
            s.dir().subdir(Path::new("a/b"), true).unwrap();
            s.dir().write_new("f", b"1", 0o600).unwrap();
        }
        assert!(parent.entries().is_empty());
    }

    #[test]
    fn stale_staging_of_gone_processes_is_removed_and_a_half_swapped_backup_restored() {
        let t = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        let mine = std::process::id();
        for d in [
            format!(".2026-01-01.partial-{dead}-0"),
            format!(".2026-01-02.partial-{dead}"),
            format!(".2026-01-03.partial-{mine}-7"),
            format!(".2026-01-04.old-{dead}"),
        ] {
            std::fs::create_dir_all(t.path().join(&d).join("sub")).unwrap();
            std::fs::write(t.path().join(&d).join("sub/f"), "x").unwrap();
        }
        let parent = Dir::open(t.path(), false).unwrap();
        let done = clean_stale(&parent);
        assert_eq!(done.len(), 3, "{done:?}");
        assert_eq!(
            sorted(&parent),
            vec![format!(".2026-01-03.partial-{mine}-7"), "2026-01-04".into()]
        );
        assert!(t.path().join("2026-01-04/sub/f").exists());
    }

    #[test]
    fn nothing_below_an_allowed_directory_follows_a_symlink() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), t.path().join("file")).unwrap();
        let w = Confined::new(Access::Write, &[t.path().to_path_buf()], &[]).unwrap();
        let r = Confined::new(Access::Read, &[t.path().to_path_buf()], &[]).unwrap();
        let inside = |n: &str| t.path().join(n).display().to_string();
        assert!(w.write_atomic(&inside("link/x"), b"1", 0o600).is_err());
        assert!(r.read(&inside("link/secret")).is_err());
        assert!(r.read(&inside("file")).is_err());
        // Writing over a symlink replaces the link itself, never its target.
        w.write_atomic(&inside("file"), b"new", 0o600).unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.path().join("secret")).unwrap(),
            "s"
        );
        assert!(outside.path().read_dir().unwrap().count() == 1);
        w.write_atomic(&inside("a/b/c.txt"), b"ok", 0o600).unwrap();
        assert_eq!(r.read(&inside("a/b/c.txt")).unwrap(), b"ok");
        assert!(r
            .read(&outside.path().join("secret").display().to_string())
            .is_err());
        assert!(r.read("/proc/self/environ").is_err());
    }

    #[test]
    fn a_hard_link_to_a_denied_file_is_refused_by_identity() {
        let t = tempfile::tempdir().unwrap();
        let conf = tempfile::tempdir().unwrap();
        let config = conf.path().join("config.toml");
        std::fs::write(&config, "x_cp_api_key = \"k\"").unwrap();
        std::fs::hard_link(&config, t.path().join("notes.txt")).unwrap();
        std::fs::write(t.path().join("other.txt"), "fine").unwrap();
        let dirs = [t.path().to_path_buf()];
        let r = Confined::new(Access::Read, &dirs, std::slice::from_ref(&config)).unwrap();
        let w = Confined::new(Access::Write, &dirs, std::slice::from_ref(&config)).unwrap();
        let inside = |n: &str| t.path().join(n).display().to_string();
        let e = r.read(&inside("notes.txt")).unwrap_err().to_string();
        assert!(e.contains("never allowed"), "{e}");
        assert!(w.open_append(&inside("notes.txt"), 0o600).is_err());
        assert_eq!(r.read(&inside("other.txt")).unwrap(), b"fine");
    }
}
