//! Directories the tool fills and swaps in whole: a staging directory that removes itself unless
//! committed, the commit as one atomic step (`renameat2(RENAME_EXCHANGE)` over an existing
//! directory, `RENAME_NOREPLACE` onto a new name), and the clean-up, at start, of staging
//! directories whose process is gone (killed runs).

use crate::error::{Error, Result};
use rustix::fs::{renameat_with, RenameFlags, CWD};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The marker in a staging directory's name: `.<final>.partial-<pid>-<n>`.
const PARTIAL: &str = ".partial-";
/// What older versions left when killed between their two renames: `.<final>.old-<pid>`.
const OLD: &str = ".old-";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A directory being filled next to where it will go; removed on drop unless committed.
pub struct StagingDir {
    parent: PathBuf,
    path: Option<PathBuf>,
}

impl StagingDir {
    /// A fresh, empty staging directory in `parent` for the final name `name`.
    pub fn new(parent: &Path, name: &str) -> Result<StagingDir> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!(".{name}{PARTIAL}{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| Error::io(path.display(), e))?;
        Ok(StagingDir {
            parent: parent.to_path_buf(),
            path: Some(path),
        })
    }

    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new("."))
    }

    /// Makes the staging directory `parent/name` in one atomic step: whoever looks sees either
    /// the previous directory whole or this one whole, never neither. The previous one is then
    /// removed; a kill before that leaves it as a stale staging directory for the next start.
    pub fn commit(mut self, name: &str) -> Result<PathBuf> {
        let staging = self.path.take().unwrap_or_default();
        let target = self.parent.join(name);
        let io = |e: std::io::Error| Error::io(target.display(), e);
        loop {
            match renameat_with(CWD, &staging, CWD, &target, RenameFlags::EXCHANGE) {
                Ok(()) => {
                    // `staging` now holds the previous backup.
                    let _ = std::fs::remove_dir_all(&staging);
                    break;
                }
                Err(rustix::io::Errno::NOENT) => {
                    match renameat_with(CWD, &staging, CWD, &target, RenameFlags::NOREPLACE) {
                        Ok(()) => break,
                        // Another run created it meanwhile: exchange with that one.
                        Err(rustix::io::Errno::EXIST) => continue,
                        Err(e) => {
                            self.path = Some(staging);
                            return Err(io(e.into()));
                        }
                    }
                }
                Err(e) => {
                    self.path = Some(staging);
                    return Err(io(std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        format!("this filesystem cannot swap directories atomically (renameat2: {e}); use a local filesystem such as ext4, xfs or btrfs"),
                    )));
                }
            }
        }
        sync_dir(&self.parent);
        Ok(target)
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Makes a directory's entries (renames) durable; errors are ignored (not every filesystem
/// supports it, and the data files were synced already).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
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
pub fn clean_stale(dir: &Path) -> Vec<String> {
    let mut done = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return done;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        let path = entry.path();
        if let Some((_, tail)) = rest.rsplit_once(PARTIAL) {
            if let Some(pid) = owner_pid(tail).filter(|p| !pid_alive(*p)) {
                if std::fs::remove_dir_all(&path).is_ok() {
                    done.push(format!(
                        "removed {name} (left by process {pid}, which is gone)"
                    ));
                }
            }
        } else if let Some((final_name, tail)) = rest.rsplit_once(OLD) {
            let Some(pid) = owner_pid(tail).filter(|p| !pid_alive(*p)) else {
                continue;
            };
            let target = dir.join(final_name);
            let back = !final_name.is_empty()
                && renameat_with(CWD, &path, CWD, &target, RenameFlags::NOREPLACE).is_ok();
            if back {
                done.push(format!(
                    "restored {final_name} from {name} (process {pid} was killed mid-swap)"
                ));
            } else if std::fs::remove_dir_all(&path).is_ok() {
                done.push(format!(
                    "removed {name} (left by process {pid}, which is gone)"
                ));
            }
        }
    }
    done
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

    #[test]
    fn commit_swaps_atomically_over_an_existing_directory_and_onto_a_new_name() {
        let t = tempfile::tempdir().unwrap();
        for round in 0..3 {
            let s = StagingDir::new(t.path(), "2026-01-01").unwrap();
            std::fs::write(s.path().join("f"), format!("{round}")).unwrap();
            let dir = s.commit("2026-01-01").unwrap();
            assert_eq!(
                std::fs::read_to_string(dir.join("f")).unwrap(),
                round.to_string()
            );
        }
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("2026-01-01")],
            "nothing else is left"
        );
    }

    #[test]
    fn a_dropped_staging_directory_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let p = {
            let s = StagingDir::new(t.path(), "x").unwrap();
            std::fs::write(s.path().join("f"), "1").unwrap();
            s.path().to_path_buf()
        };
        assert!(!p.exists());
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
        let done = clean_stale(t.path());
        assert_eq!(done.len(), 3, "{done:?}");
        let mut names: Vec<String> = std::fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![format!(".2026-01-03.partial-{mine}-7"), "2026-01-04".into()]
        );
        assert!(t.path().join("2026-01-04/sub/f").exists());
    }
}
