//! The bulk-write journal: one JSON line per event, written in one `write` and fsynced before
//! the write it describes is sent (write-ahead), so a re-run after a crash, a kill or Ctrl-C
//! continues where the last run stopped; a record that cannot be written or synced is an error
//! naming the journal file, and the run stops before its next write. It tells a write that was
//! *sent* from one that was *verified* (a resumed run verifies the former instead of skipping
//! it), and keeps each router's individual configuration as it was before the run's write, for
//! `rollback`. It holds what the API shows (secrets as `"*"`), never a secret.

use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A journal file opened for reading and appending (by the caller, under its allowed directory).
#[derive(Debug, Clone)]
pub struct JournalFile {
    pub path: PathBuf,
    file: Arc<std::fs::File>,
    /// The journal's lock (`<journal>.lock`): one run at a time per journal.
    lock: Option<Arc<crate::files::LockGuard>>,
}

impl JournalFile {
    pub fn new(path: PathBuf, file: std::fs::File) -> Self {
        JournalFile {
            path,
            file: Arc::new(file),
            lock: None,
        }
    }

    /// The journal, held under its lock for as long as this value (or a clone) lives.
    pub fn locked(mut self, lock: crate::files::LockGuard) -> Self {
        self.lock = Some(Arc::new(lock));
        self
    }

    /// Opens (creating) a journal by path, outside any script confinement (embedding, tests).
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        }
        let f = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(path.display(), e))?;
        Ok(JournalFile::new(path.to_path_buf(), f))
    }
}

/// Where a router's change stands according to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// About to be written (the write may or may not have landed).
    Writing,
    /// The API accepted the write; the device has not been seen to sync it.
    Sent,
    /// Sent and verified by the health gate (or sent without verification).
    Verified,
    /// Sent while the device was offline: it syncs when it reconnects.
    Pending,
    Failed,
    RolledBack,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Writing => "writing",
            Mark::Sent => "sent",
            Mark::Verified => "ok",
            Mark::Pending => "pending",
            Mark::Failed => "failed",
            Mark::RolledBack => "rolled back",
        }
    }

    fn parse(s: &str) -> Option<Mark> {
        [
            Mark::Writing,
            Mark::Sent,
            Mark::Verified,
            Mark::Pending,
            Mark::Failed,
            Mark::RolledBack,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A router's configuration before a run's write: what `rollback` puts back.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub router: String,
    pub config_manager: String,
    /// The change fingerprint of the write this snapshot precedes.
    pub change: String,
    /// The individual configuration (`[updates, removals]`) as read before the write.
    pub before: Value,
    /// Paths of the secrets the change sets (never their values): their previous values
    /// cannot be read back, so a rollback cannot restore them.
    pub secrets: Vec<Value>,
}

/// The journal as read at the start of a run, and its file for appending.
#[derive(Default)]
pub struct Journal {
    file: Option<std::fs::File>,
    /// The journal's path, for errors.
    path: PathBuf,
    /// (router, change fingerprint) -> the last mark.
    pub marks: HashMap<(String, String), Mark>,
    /// router -> the snapshot before the first write of its latest change not rolled back.
    pub snapshots: HashMap<String, Snapshot>,
    /// Routers in the order they were first written (for a stable rollback order).
    order: Vec<String>,
}

impl Journal {
    /// Reads a journal (a line cut short by a crash is ignored) and keeps it open for appending.
    pub fn open(target: Option<&JournalFile>) -> Result<Journal> {
        let Some(j) = target else {
            return Ok(Journal::default());
        };
        let p = &j.path;
        let mut file = j.file.try_clone().map_err(|e| Error::io(p.display(), e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))
            .map_err(|e| Error::io(p.display(), e))?;
        let mut journal = Journal::default();
        for line in std::io::BufReader::new(&file).lines() {
            let line = line.map_err(|e| Error::io(p.display(), e))?;
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                journal.read_line(&v);
            }
        }
        journal.file = Some(file);
        journal.path = p.clone();
        Ok(journal)
    }

    fn read_line(&mut self, v: &Value) {
        let (Some(router), Some(change), Some(mark)) = (
            v["router"].as_str(),
            v["change"].as_str(),
            v["status"].as_str().and_then(Mark::parse),
        ) else {
            return;
        };
        self.marks
            .insert((router.to_string(), change.to_string()), mark);
        match mark {
            Mark::Writing => {
                let fresh = self
                    .snapshots
                    .get(router)
                    .is_none_or(|s| s.change != change);
                if let (true, Some(before), Some(cm)) =
                    (fresh, v.get("before"), v["config_manager"].as_str())
                {
                    if !self.order.iter().any(|r| r == router) {
                        self.order.push(router.to_string());
                    }
                    self.snapshots.insert(
                        router.to_string(),
                        Snapshot {
                            router: router.to_string(),
                            config_manager: cm.to_string(),
                            change: change.to_string(),
                            before: before.clone(),
                            secrets: v["secrets"].as_array().cloned().unwrap_or_default(),
                        },
                    );
                }
            }
            Mark::RolledBack => {
                self.snapshots.remove(router);
            }
            _ => {}
        }
    }

    /// The snapshots to roll back, in the order the routers were first written.
    pub fn to_roll_back(&self) -> Vec<Snapshot> {
        self.order
            .iter()
            .filter_map(|r| self.snapshots.get(r).cloned())
            .collect()
    }

    pub fn mark(&self, router: &str, change: &str) -> Option<Mark> {
        self.marks
            .get(&(router.to_string(), change.to_string()))
            .copied()
    }

    /// Records that a router is about to be written, with its configuration before the write
    /// (on disk before this returns: the write may be sent only after it).
    pub fn writing(&mut self, s: &Snapshot, wave: usize) -> Result<()> {
        let line = json!({"router": s.router, "change": s.change, "status": Mark::Writing.as_str(),
            "config_manager": s.config_manager, "wave": wave, "before": s.before, "secrets": s.secrets});
        self.append(&line)?;
        self.read_line(&line);
        Ok(())
    }

    /// Records a router's new mark with its reason.
    pub fn record(&mut self, router: &str, change: &str, mark: Mark, reason: &str) -> Result<()> {
        let line =
            json!({"router": router, "change": change, "status": mark.as_str(), "reason": reason});
        self.append(&line)?;
        self.read_line(&line);
        Ok(())
    }

    /// The journal's file, as given (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record: the whole line in one `write`, then fsync. Any failure is an error
    /// naming the journal (no journal: nothing to write).
    fn append(&mut self, line: &Value) -> Result<()> {
        let Some(f) = self.file.as_mut() else {
            return Ok(());
        };
        let mut line = line.clone();
        line["at"] = json!(chrono::Utc::now().to_rfc3339());
        let mut buf = line.to_string().into_bytes();
        buf.push(b'\n');
        let failed = |e: std::io::Error| {
            Error::io(
                format!("the journal {} could not be written", self.path.display()),
                e,
            )
        };
        f.write_all(&buf).map_err(failed)?;
        f.sync_data().map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_change_keeps_its_first_snapshot_until_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let jf = JournalFile::open(&path).unwrap();
        let mut j = Journal::open(Some(&jf)).unwrap();
        let snap = |change: &str, before: Value| Snapshot {
            router: "7".into(),
            config_manager: "70".into(),
            change: change.into(),
            before,
            secrets: vec![],
        };
        j.writing(&snap("A", json!([{}, []])), 1).unwrap();
        j.record("7", "A", Mark::Sent, "").unwrap();
        // A resumed run writes it again: the first snapshot stays.
        j.writing(&snap("A", json!([{"x": 1}, []])), 1).unwrap();
        let j2 = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        assert_eq!(j2.mark("7", "A"), Some(Mark::Writing));
        assert_eq!(j2.to_roll_back()[0].before, json!([{}, []]));
        j.record("7", "A", Mark::RolledBack, "").unwrap();
        j.writing(&snap("B", json!([{"y": 2}, []])), 1).unwrap();
        let j3 = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        assert_eq!(j3.to_roll_back().len(), 1);
        assert_eq!(j3.to_roll_back()[0].change, "B");
        assert_eq!(j3.mark("7", "A"), Some(Mark::RolledBack));
        // A torn last line is ignored.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"router\": \"7\", \"chan")
            .unwrap();
        assert!(Journal::open(Some(&JournalFile::open(&path).unwrap())).is_ok());
    }
}
