//! Directories swapped in whole: a [`StagingDir`] filled next to where it will go and committed in
//! one atomic step, and [`clean_stale`], which removes at start what killed runs left behind.

use super::{io_err, unique, Dir, OLD, PARTIAL};
use crate::error::{Error, Result};
use rustix::fs::{renameat_with, RenameFlags};
use std::ffi::OsStr;
use std::path::PathBuf;

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
