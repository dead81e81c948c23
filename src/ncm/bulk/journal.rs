//! The bulk-write journal: one JSON line per event, sealed with its CRC-32, written in one
//! `write` and fsynced before the write it describes is sent (write-ahead), so a re-run after a
//! crash, a kill or Ctrl-C continues where the last run stopped; a record that cannot be written
//! or synced is an error naming the journal file, and the run stops before its next write.
//!
//! Damage is never silent: a record cut short at the end (a crash while it was being written:
//! its write was never sent) is set aside in `<journal>.damaged`, reported, and never glued to
//! the next record; a damaged record anywhere else could hide a write, so such a journal is
//! refused for resume and rollback, naming the routers it may concern. It tells a write that was
//! *sent* from one that was *verified* (a resumed run verifies the former instead of skipping
//! it), and keeps each router's individual configuration as it was before the run's write, for
//! `rollback`. It holds what the API shows (secrets as `"*"`), never a secret.

use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A journal file opened for reading and appending (by the caller, under its allowed directory).
#[derive(Debug, Clone)]
pub struct JournalFile {
    pub path: PathBuf,
    file: Arc<std::fs::File>,
    /// The journal's lock (`<journal>.lock`): one run at a time per journal.
    lock: Option<Arc<crate::files::LockGuard>>,
    /// The size the file may grow to, as on a disk that fills up (fault injection in tests).
    size_limit: Option<u64>,
}

impl JournalFile {
    pub fn new(path: PathBuf, file: std::fs::File) -> Self {
        JournalFile {
            path,
            file: Arc::new(file),
            lock: None,
            size_limit: None,
        }
    }

    /// The file takes no more than `bytes` (a record that does not fit is written in part and
    /// fails as on a full disk): how tests play a disk that fills up part way.
    pub fn with_size_limit(mut self, bytes: u64) -> Self {
        self.size_limit = Some(bytes);
        self
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
    /// See [`JournalFile::with_size_limit`].
    size_limit: Option<u64>,
    /// The journal's path, for errors.
    path: PathBuf,
    /// (router, change fingerprint) -> the last mark.
    pub marks: HashMap<(String, String), Mark>,
    /// router -> the snapshot before the first write of its latest change not rolled back.
    pub snapshots: HashMap<String, Snapshot>,
    /// Routers in the order they were first written (for a stable rollback order).
    order: Vec<String>,
    /// The routers in `order`, for a quick look-up.
    ordered: std::collections::HashSet<String>,
    /// Set once a record could not be written: every later one is refused (a record after a
    /// torn one would be glued to it).
    broken: Option<String>,
    /// Damaged records before the end: (line number, routers they seem to name).
    damaged: Vec<(usize, Vec<String>)>,
}

/// A record as a line: its JSON, a tab, the CRC-32 of the JSON (8 hex digits), a newline.
fn seal(json: &str) -> Vec<u8> {
    format!("{json}\t{:08x}\n", crc32fast::hash(json.as_bytes())).into_bytes()
}

/// The record of a line (without its newline), or `None` when it is damaged. A line without a
/// checksum is a record of a journal written before checksums (serialised JSON never holds a
/// raw tab).
fn unseal(line: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(line).ok()?;
    let json = match text.rsplit_once('\t') {
        Some((json, sum)) => {
            (format!("{:08x}", crc32fast::hash(json.as_bytes())) == sum).then_some(json)?
        }
        None => text,
    };
    serde_json::from_str::<Value>(json)
        .ok()
        .filter(Value::is_object)
}

/// The routers a damaged line seems to name (`"router":"10028"`), for the refusal's message.
fn routers_named(line: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(line);
    let mut out: Vec<String> = text
        .split("\"router\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
        .collect();
    out.dedup();
    out
}

impl Journal {
    /// Reads a journal and keeps it open for appending. A record cut short at the end is set
    /// aside (see the module); damaged records elsewhere are noted for [`Journal::intact`].
    pub fn open(target: Option<&JournalFile>) -> Result<Journal> {
        Self::open_with(target, true)
    }

    /// Reads a journal without changing it (a dry run): a record cut short at the end is
    /// reported and left where it is.
    pub fn read_only(target: Option<&JournalFile>) -> Result<Journal> {
        Self::open_with(target, false)
    }

    fn open_with(target: Option<&JournalFile>, repair: bool) -> Result<Journal> {
        let Some(j) = target else {
            return Ok(Journal::default());
        };
        let p = &j.path;
        let io = |e| Error::io(p.display(), e);
        let mut file = j.file.try_clone().map_err(io)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(io)?;
        let mut journal = Journal {
            path: p.clone(),
            ..Journal::default()
        };
        let mut reader = std::io::BufReader::new(&file);
        let (mut line, mut n, mut whole) = (vec![], 0, 0u64);
        loop {
            line.clear();
            let read = std::io::BufRead::read_until(&mut reader, b'\n', &mut line).map_err(io)?;
            if read == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                // The end, cut short.
                if repair {
                    set_aside(p, &file, &line, whole)?;
                } else {
                    crate::logging::log_line("WARN", &format!(
                        "the journal {} ends in a record cut short ({} bytes); a real run sets it aside",
                        p.display(), line.len()
                    ));
                }
                break;
            }
            n += 1;
            whole += read as u64;
            let record = &line[..line.len() - 1];
            if record.is_empty() {
                continue;
            }
            match unseal(record) {
                Some(v) => journal.read_line(&v),
                None => journal.damaged.push((n, routers_named(record))),
            }
        }
        journal.file = Some(file);
        journal.size_limit = j.size_limit;
        Ok(journal)
    }

    /// Refuses a journal with a damaged record before its end: a write it recorded may be
    /// hidden, so neither a resume nor a rollback may trust it.
    pub fn intact(&self) -> Result<()> {
        if self.damaged.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self.damaged.iter().map(|(n, _)| n.to_string()).collect();
        let mut routers: Vec<String> = self.damaged.iter().flat_map(|(_, r)| r.clone()).collect();
        routers.sort();
        routers.dedup();
        let who = if routers.is_empty() {
            "routers it cannot name".to_string()
        } else {
            format!("router(s) {}", routers.join(", "))
        };
        Err(Error::invalid(format!(
            "the journal {} is damaged at line(s) {} (it may concern {who}): a write it recorded could be hidden, so it is not used to resume or roll back; restore the file from a copy, or check those routers by hand and start a new journal",
            self.path.display(),
            lines.join(", ")
        )))
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
                    if self.ordered.insert(router.to_string()) {
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

    /// Appends one record: the whole sealed line in one `write`, then fsync. Any failure is an
    /// error naming the journal (no journal: nothing to write).
    fn append(&mut self, line: &Value) -> Result<()> {
        let failed = |path: &Path, e: std::io::Error| {
            Error::io(
                format!("the journal {} could not be written", path.display()),
                e,
            )
        };
        if let Some(first) = &self.broken {
            let e = std::io::Error::other(format!("an earlier record failed: {first}"));
            return Err(failed(&self.path, e));
        }
        let Some(f) = self.file.as_mut() else {
            return Ok(());
        };
        let mut line = line.clone();
        line["at"] = json!(chrono::Utc::now().to_rfc3339());
        let buf = seal(&line.to_string());
        let before = f.metadata().map(|m| m.len());
        let written = write_record(f, &buf, self.size_limit, before.as_ref().ok().copied());
        if let Err(e) = written {
            // Cut back what part of the record reached the file, if the disk lets us.
            if let Ok(len) = before {
                let _ = f.set_len(len);
            }
            self.broken = Some(e.to_string());
            return Err(failed(&self.path, e));
        }
        Ok(())
    }
}

/// Writes one sealed record and syncs it; with a size limit (tests), writes only what fits and
/// fails as a full disk does.
fn write_record(
    f: &mut std::fs::File,
    buf: &[u8],
    limit: Option<u64>,
    len: Option<u64>,
) -> std::io::Result<()> {
    if let (Some(limit), Some(len)) = (limit, len) {
        let room = limit.saturating_sub(len);
        if (buf.len() as u64) > room {
            let part = usize::try_from(room).unwrap_or(buf.len()).min(buf.len());
            f.write_all(&buf[..part])?;
            return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
        }
    }
    f.write_all(buf)?;
    f.sync_data()
}

/// Moves a record cut short at the end of a journal into `<journal>.damaged` and cuts the
/// journal back to its last whole record, so the next record starts on a line of its own.
/// Records are journaled before their write is sent, so such a record hides no write.
fn set_aside(path: &Path, file: &std::fs::File, torn: &[u8], keep: u64) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let aside = PathBuf::from(format!("{}.damaged", path.display()));
    // Beside the journal, never through a link planted there.
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&aside)
        .map_err(|e| Error::io(aside.display(), e))?;
    out.write_all(torn)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.sync_data())
        .map_err(|e| Error::io(aside.display(), e))?;
    file.set_len(keep)
        .and_then(|_| file.sync_data())
        .map_err(|e| Error::io(path.display(), e))?;
    crate::logging::log_line("WARN", &format!(
        "the journal {} ended in a record cut short ({} bytes, a crash while it was written); it was set aside in {} (a write is sent only after its record is whole, so none is hidden)",
        path.display(), torn.len(), aside.display()
    ));
    Ok(())
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

    fn snapshot(router: &str) -> Snapshot {
        Snapshot {
            router: router.into(),
            config_manager: "70".into(),
            change: "A".into(),
            before: json!([{}, []]),
            secrets: vec![],
        }
    }

    #[test]
    fn a_record_cut_short_is_set_aside_and_never_glued_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        j.writing(&snapshot("7"), 1).unwrap();
        j.record("7", "A", Mark::Sent, "").unwrap();
        // A crash while the next record was being written: only part of it reached the disk.
        let whole = seal(&json!({"router": "8", "change": "A", "status": "writing"}).to_string());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&whole[..whole.len() / 2])
            .unwrap();
        let mut j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        assert!(j.intact().is_ok(), "a torn end hides no write");
        j.writing(&snapshot("9"), 1).unwrap();
        let j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        assert!(j.intact().is_ok());
        assert_eq!(j.mark("7", "A"), Some(Mark::Sent));
        assert_eq!(
            j.mark("9", "A"),
            Some(Mark::Writing),
            "the next record is whole"
        );
        assert_eq!(j.mark("8", "A"), None);
        let aside = std::fs::read(dir.path().join("j.damaged")).unwrap();
        assert_eq!(&aside[..aside.len() - 1], &whole[..whole.len() / 2]);
    }

    #[test]
    fn a_damaged_record_before_the_end_refuses_the_journal_naming_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        for r in ["7", "8", "9"] {
            j.writing(&snapshot(r), 1).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"wave\":1", "\"wave\":2", 2)).unwrap();
        let j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        let e = j.intact().unwrap_err().to_string();
        assert!(e.contains("damaged at line(s) 1, 2"), "{e}");
        assert!(e.contains("router(s) 7, 8"), "{e}");
        // A journal written before records were sealed still reads.
        std::fs::write(
            &path,
            "{\"router\":\"5\",\"change\":\"A\",\"status\":\"sent\"}\n",
        )
        .unwrap();
        let j = Journal::open(Some(&JournalFile::open(&path).unwrap())).unwrap();
        assert!(j.intact().is_ok());
        assert_eq!(j.mark("5", "A"), Some(Mark::Sent));
    }
}
