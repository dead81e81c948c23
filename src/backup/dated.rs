//! The dated store: each backup a directory `<dir>/<YYYY-MM-DD>/` holding every router's
//! configuration manager as `<router_id>.json`, each group's configuration as
//! `groups/<group_id>.json`, IgniteNet sites and devices under `ignitenet/`, and `index.csv`. A
//! file identical to the previous backup's is a hard link to it. Everything is written in a
//! staging directory and swapped in at the end, so a failed run leaves no partial file and never
//! replaces an earlier good backup; `keep` removes the oldest dated backups beyond N.

use super::pipeline::{self, Backup, Options};
use super::store::{Finished, Notes, Outcome, Put, Store};
use super::Document;
use crate::error::{Error, Result};
use crate::files::{Dir, StagingDir};
use crate::ncm::client::NcmClient;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Backup files hold configuration (Wi-Fi keys among it): owner-only.
const MODE: u32 = 0o600;

/// The subdirectories a dated backup may hold besides its router files.
const SUBDIRS: [&str; 3] = ["groups", "ignitenet/sites", "ignitenet/devices"];

/// A dated backup being written: its staging directory, the previous backup to link to and
/// compare with, and the paths written so far (to count what the previous one had and this one
/// has not).
pub struct DatedStore<'a> {
    root: &'a Dir,
    date: String,
    keep: Option<usize>,
    /// Taken by `finish` to be swapped in.
    staging: Option<StagingDir<'a>>,
    previous: Option<Dir>,
    /// Subdirectory -> (it in the staging directory, it in the previous backup).
    dirs: HashMap<String, (Dir, Option<Dir>)>,
    seen: HashSet<String>,
}

impl<'a> DatedStore<'a> {
    /// A new dated backup `date` in `root` (opened by the caller, so nothing below it follows a
    /// symlink); `report` is told at once of each staging directory a killed run left that was
    /// cleaned up. The backup is kept only by [`Store::finish`].
    pub fn open(
        root: &'a Dir,
        date: &str,
        keep: Option<usize>,
        report: &dyn Fn(&str),
    ) -> Result<DatedStore<'a>> {
        crate::files::clean_stale(root)
            .iter()
            .for_each(|l| report(l));
        let previous = super::changes::dated_backups(root)
            .last()
            .and_then(|d| root.subdir(Path::new(d), false).ok());
        Ok(DatedStore {
            root,
            date: date.to_string(),
            keep,
            staging: Some(StagingDir::new(root, date)?),
            previous,
            dirs: HashMap::new(),
            seen: HashSet::new(),
        })
    }

    fn staging(&self) -> Result<&Dir> {
        self.staging
            .as_ref()
            .map(StagingDir::dir)
            .ok_or_else(|| Error::invalid("the dated backup is finished"))
    }

    /// The staging and previous directories of `sub` ("" for the top level).
    fn dirs_of(&mut self, sub: &str) -> Result<&(Dir, Option<Dir>)> {
        if !self.dirs.contains_key(sub) {
            let into = self.staging()?.subdir(Path::new(sub), true)?;
            let prev = self
                .previous
                .as_ref()
                .and_then(|p| p.subdir(Path::new(sub), false).ok());
            self.dirs.insert(sub.to_string(), (into, prev));
        }
        self.dirs
            .get(sub)
            .ok_or_else(|| Error::invalid(format!("{sub}: not opened")))
    }

    /// The previous backup's documents this one has not written.
    fn removed(&self) -> usize {
        let Some(prev) = &self.previous else {
            return 0;
        };
        let json = |d: &Dir| -> Vec<String> {
            d.entries()
                .into_iter()
                .filter(|n| n.ends_with(".json"))
                .collect()
        };
        let mut gone = json(prev)
            .into_iter()
            .filter(|n| !self.seen.contains(n))
            .count();
        for sub in SUBDIRS {
            if let Ok(d) = prev.subdir(Path::new(sub), false) {
                gone += json(&d)
                    .into_iter()
                    .filter(|n| !self.seen.contains(&format!("{sub}/{n}")))
                    .count();
            }
        }
        gone
    }
}

/// Writes one backup file: a hard link to the previous backup's file when the bytes are the
/// same, else a new file. Compares without volatile values.
fn put_file(
    into: &Dir,
    previous: Option<&Dir>,
    name: &str,
    text: &[u8],
    value: &Value,
) -> Result<Put> {
    let before = previous.and_then(|p| p.read(Path::new(name)).ok());
    let put = |outcome, linked| Put {
        outcome,
        linked,
        kept: None,
    };
    if let (Some(p), Some(b)) = (previous, &before) {
        if b.as_slice() == text && into.link_from(p, name).is_ok() {
            return Ok(put(Outcome::Same, true));
        }
    }
    into.write_new_unsynced(name, text, MODE)?;
    let outcome = match before.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
        Some(old) if super::normalized(&old) == super::normalized(value) => Outcome::Same,
        Some(_) => Outcome::Changed,
        None => Outcome::Added,
    };
    Ok(put(outcome, false))
}

/// Removes the oldest dated backups so that at most `keep` remain.
fn prune(dir: &Dir, keep: usize) -> Result<Vec<String>> {
    let days = super::changes::dated_backups(dir);
    let extra = days.len().saturating_sub(keep.max(1));
    let mut out = vec![];
    for day in days.into_iter().take(extra) {
        dir.remove_all(&day)?;
        out.push(day);
    }
    Ok(out)
}

impl Store for DatedStore<'_> {
    fn kind(&self) -> &'static str {
        "dated"
    }

    fn router_file(&self, router: &str) -> String {
        format!("{router}.json")
    }

    fn put(&mut self, doc: &Document, bytes: &[u8]) -> Result<Put> {
        // Router files at the top level; the others at their paths.
        let rel = doc.path.strip_prefix("routers/").unwrap_or(&doc.path);
        let (sub, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        self.seen.insert(rel.to_string());
        let (into, prev) = self.dirs_of(sub)?;
        put_file(into, prev.as_ref(), name, bytes, &doc.value)
    }

    fn finish(
        &mut self,
        index_csv: &[u8],
        _notes: &Notes,
        cancel: &AtomicBool,
    ) -> Result<Finished> {
        let staging = self.staging()?;
        staging.write_new_unsynced("index.csv", index_csv, MODE)?;
        let removed = self.removed();
        // One durability barrier for every file written (not an fsync per file), then swap the
        // complete backup in, in one atomic step; an earlier one of the same day is replaced
        // only now.
        staging.sync_filesystem()?;
        // The rename is the point of no return: an interrupt before it leaves the earlier
        // backups as they were (the staging directory is removed when the store is dropped).
        if cancel.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let staging = self.staging.take();
        let dir = staging
            .ok_or_else(|| Error::invalid("the dated backup is finished"))?
            .commit(&self.date)?;
        let pruned = match self.keep {
            Some(n) => prune(self.root, n)?,
            None => vec![],
        };
        Ok(Finished {
            dir,
            removed,
            date: Some(self.date.clone()),
            pruned,
            ..Default::default()
        })
    }
}

/// Backs up every router's and group's configuration under `dir/<date>` (`dir` opened by the
/// caller); then keeps the newest `keep` dated backups. IgniteNet is left out: see
/// [`pipeline::run`] for the whole run.
pub fn backup_configs(
    client: &Arc<NcmClient>,
    dir: &Dir,
    date: &str,
    keep: Option<usize>,
) -> Result<Backup> {
    let mut store = DatedStore::open(dir, date, keep, &|_| {})?;
    pipeline::run(client, None, &mut store, &Options::default())
}
