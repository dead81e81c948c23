//! The directories a script may read (or write), each opened once, and what it never may touch
//! (the configuration file, the REPL history, `/proc`, `/sys`, `/dev`, and hard links to them).

use super::{io_err, AtomicFile, Dir, LockGuard};
use crate::error::{Error, Result};
use rustix::fs::OFlags;
use std::path::{Component, Path, PathBuf};

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
