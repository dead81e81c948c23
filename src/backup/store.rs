//! Where a backup goes: the [`Store`] trait the one backup pipeline (`super::pipeline`) writes
//! through, document by document as they arrive, then `index.csv`, then [`Store::finish`]. Two
//! implementations: the dated directory (`super::dated::DatedStore`) and the git repository
//! (`super::git::GitStore`). A store dropped without `finish` (a failed or interrupted run)
//! leaves the previous backup as it was and no partial file: each implementation's `Drop`
//! removes what it had written.

use super::Document;
use crate::error::Result;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// How a document compares with the previous backup's (volatile values aside: see
/// [`super::normalized`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The same configuration (perhaps with a different sync state or version counter).
    Same,
    /// Its configuration differs from the previous backup's.
    Changed,
    /// The previous backup has no such document (or none that is JSON).
    Added,
}

/// What a store did with one document.
#[derive(Debug)]
pub struct Put {
    pub outcome: Outcome,
    /// The file is a hard link to the previous backup's identical one (dated store).
    pub linked: bool,
    /// The document the store keeps instead of the one given, with the SHA-256 of its bytes:
    /// the git store keeps the last commit's file when only volatile values moved, so that
    /// `index.csv` describes the file that is there.
    pub kept: Option<(Value, [u8; 32])>,
}

/// What a finished store reports.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// Where the backup is: the dated directory, or the repository's work tree.
    pub dir: PathBuf,
    /// Documents of the previous backup that this one no longer has.
    pub removed: usize,
    /// The new commit (git store), when something changed.
    pub commit: Option<String>,
    /// The commit message (git store), empty without a commit.
    pub message: String,
    /// The dated backup's date (dated store).
    pub date: Option<String>,
    /// Dated backups removed by `keep` (dated store).
    pub pruned: Vec<String>,
}

/// What the pipeline learnt that a store may name in its messages (the git commit's).
pub struct Notes<'a> {
    /// Per document path, who changed it and when (`by x@example.com at ...`), from the
    /// activity log since [`Store::last_backup`].
    pub who: &'a HashMap<String, String>,
    /// A router's name by its id.
    pub router_name: &'a dyn Fn(&str) -> Option<String>,
}

/// A backup destination, written as a stream: memory stays flat in the number of documents.
pub trait Store {
    /// `dated` or `git`.
    fn kind(&self) -> &'static str;

    /// A router's file relative to the backup (`42.json` dated, `routers/42.json` git): the
    /// `file` column of `index.csv`.
    fn router_file(&self, router: &str) -> String;

    /// When the last backup was made (seconds since the epoch), where the store knows and
    /// wants to name who changed what since (the git store's commit message).
    fn last_backup(&self) -> Option<i64> {
        None
    }

    /// Writes one document (`bytes` is its file content) as it arrives.
    fn put(&mut self, doc: &Document, bytes: &[u8]) -> Result<Put>;

    /// Writes `index.csv`, makes the backup durable and puts it in place (the run's point of
    /// no return), unless `cancel` is set first: then `Error::Interrupted`, and the previous
    /// backup is as it was.
    fn finish(&mut self, index_csv: &[u8], notes: &Notes, cancel: &AtomicBool) -> Result<Finished>;
}
