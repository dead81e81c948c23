//! Nightly config backups, the dated store: every router's configuration manager (`actual`,
//! `target`, `configuration`, version, sync state) fetched page by page with `fields`, written as
//! the JSON the API returned to `<dir>/<YYYY-MM-DD>/<router_id>.json`, each group's configuration
//! to `groups/<group_id>.json`, plus `index.csv` (with a SHA-256 per file). A file identical to
//! the previous backup's is a hard link to it. Everything is written in a staging directory and
//! swapped in at the end, so a failed run leaves no partial file and never replaces an earlier
//! good backup; `keep` removes the oldest dated backups beyond N. With `effective`, each router's
//! file also holds its effective configuration (`super::effective`).

use super::index::{router_facts, write_index, Rows};
use crate::error::{Error, Result};
use crate::files::Dir;
use crate::ncm::client::NcmClient;
use crate::ncm::text as text_of;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub dir: PathBuf,
    pub routers: usize,
    pub groups: usize,
    pub bytes: u64,
    pub requests: u64,
    /// Routers whose configuration differs from the previous backup's (or that are new).
    pub changed: usize,
    /// Files that are hard links to the previous backup's identical ones.
    pub linked: usize,
    /// Dated backups removed by `keep`.
    pub pruned: Vec<String>,
    /// What the start-up clean-up did with staging directories of killed runs.
    pub cleaned: Vec<String>,
}

use crate::ncm::query as q;

/// Backup files hold configuration (Wi-Fi keys among it): owner-only.
const MODE: u32 = 0o600;

/// Writes one backup file: a hard link to the previous backup's file when the bytes are the
/// same, else a new file. Returns (linked, changed) where changed compares without volatile values.
fn put_file(
    into: &Dir,
    previous: Option<&Dir>,
    name: &str,
    text: &[u8],
    value: &Value,
) -> Result<(bool, bool)> {
    let before = previous.and_then(|p| p.read(std::path::Path::new(name)).ok());
    if let (Some(p), Some(b)) = (previous, &before) {
        if b.as_slice() == text && into.link_from(p, name).is_ok() {
            return Ok((true, false));
        }
    }
    into.write_new_unsynced(name, text, MODE)?;
    let changed = match before.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
        Some(old) => crate::backup::normalized(&old) != crate::backup::normalized(value),
        None => true,
    };
    Ok((false, changed))
}

/// Removes the oldest dated backups so that at most `keep` remain.
fn prune(dir: &Dir, keep: usize) -> Result<Vec<String>> {
    let days = crate::backup::changes::dated_backups(dir);
    let extra = days.len().saturating_sub(keep.max(1));
    let mut out = vec![];
    for day in days.into_iter().take(extra) {
        dir.remove_all(&day)?;
        out.push(day);
    }
    Ok(out)
}

/// Backs up every router's and group's configuration under `dir/<date>` (`dir` opened by the
/// caller, so nothing below it follows a symlink); then keeps the newest `keep` dated backups.
pub fn backup_configs(
    client: &Arc<NcmClient>,
    dir: &Dir,
    date: &str,
    keep: Option<usize>,
    extra: &[super::Document],
) -> Result<BackupSummary> {
    backup_configs_with(client, dir, date, keep, false, extra)
}

/// [`backup_configs`], each router's file also holding its effective configuration when
/// `effective` (see [`super::effective`]).
pub fn backup_configs_with(
    client: &Arc<NcmClient>,
    dir: &Dir,
    date: &str,
    keep: Option<usize>,
    effective: bool,
    extra: &[super::Document],
) -> Result<BackupSummary> {
    let start_requests = client.transport().stats.requests();
    let cleaned = crate::files::clean_stale(dir);
    let previous = crate::backup::changes::dated_backups(dir)
        .last()
        .and_then(|d| dir.subdir(std::path::Path::new(d), false).ok());
    let staging = crate::files::StagingDir::new(dir, date)?;
    let staging_dir = staging.dir();

    // The index's router facts are read while the configuration managers are paged and
    // written; the routers found so far tell the configuration managers' listing how many pages
    // it has (one per router), so it asks for none past its end.
    let routers = crate::ncm::ahead::Expected::unknown();
    let (facts, written) = std::thread::scope(|scope| {
        let facts = scope.spawn(|| router_facts(client, &routers));
        let written =
            write_config_managers(client, staging_dir, previous.as_ref(), effective, &routers);
        let facts = facts
            .join()
            .unwrap_or_else(|_| Err(Error::invalid("the router listing stopped unexpectedly")));
        (facts, written)
    });
    let (rows, mut linked, changed, bytes_total) = written?;
    write_index(staging_dir, &rows, &facts?, MODE)?;
    let count = rows.len();
    drop(rows);
    let groups = backup_groups(client, staging_dir, previous.as_ref())?;
    linked += groups.1;
    linked += backup_extra(extra, staging_dir, previous.as_ref())?;

    // One durability barrier for every file written (not an fsync per file), then swap the
    // complete backup in, in one atomic step; an earlier one of the same day is replaced only now.
    staging_dir.sync_filesystem()?;
    // The rename is the point of no return: an interrupt before it leaves the earlier backups
    // as they were (the staging directory is removed).
    if client
        .transport()
        .cancel
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Err(Error::Interrupted);
    }
    let final_dir = staging.commit(date)?;
    let pruned = match keep {
        Some(n) => prune(dir, n)?,
        None => vec![],
    };
    Ok(BackupSummary {
        dir: final_dir,
        routers: count,
        groups: groups.0,
        bytes: bytes_total,
        requests: client.transport().stats.requests() - start_requests,
        changed,
        linked,
        pruned,
        cleaned,
    })
}

/// Other documents (IgniteNet sites and devices) at their relative paths; returns how many were
/// linked to the previous backup's.
fn backup_extra(docs: &[super::Document], into: &Dir, previous: Option<&Dir>) -> Result<usize> {
    let mut linked = 0;
    for d in docs {
        let (sub, name) = d.path.rsplit_once('/').unwrap_or(("", d.path.as_str()));
        let dir = into.subdir(std::path::Path::new(sub), true)?;
        let prev = previous.and_then(|p| p.subdir(std::path::Path::new(sub), false).ok());
        let mut text = serde_json::to_string_pretty(&d.value).unwrap_or_default();
        text.push('\n');
        linked += usize::from(put_file(&dir, prev.as_ref(), name, text.as_bytes(), &d.value)?.0);
    }
    Ok(linked)
}

/// Pages every configuration manager into `<router_id>.json` files; returns the rows for the
/// index, how many files were linked and changed, and the bytes written.
fn write_config_managers(
    client: &Arc<NcmClient>,
    into: &Dir,
    previous: Option<&Dir>,
    effective: bool,
    routers: &Arc<crate::ncm::ahead::Expected>,
) -> Result<(Rows, usize, usize, u64)> {
    let (mut rows, mut linked, mut changed, mut bytes) = (Rows::default(), 0, 0, 0u64);
    let mut effective = match effective {
        true => Some(super::effective::Effective::load(client)?),
        false => None,
    };
    let mut pager = super::config_manager_pages(client, routers.clone())?;
    while let Some(page) = pager.next_page()? {
        for mut cm in page {
            let rid = super::router_of(&cm);
            if let Some(e) = effective.as_mut() {
                e.add_to(&rid, &mut cm)?;
            }
            let mut text = serde_json::to_string_pretty(&cm).unwrap_or_default();
            text.push('\n');
            if !rows.add(&rid, &cm, Sha256::digest(text.as_bytes()).into())? {
                return Err(Error::Protocol {
                    method: "GET".into(),
                    url: "configuration_managers/".into(),
                    message: format!("router {rid} appears twice; the listing changed while paging, run the backup again"),
                });
            }
            let (l, c) = put_file(into, previous, &format!("{rid}.json"), text.as_bytes(), &cm)?;
            linked += usize::from(l);
            changed += usize::from(c);
            bytes += text.len() as u64;
        }
    }
    Ok((rows, linked, changed, bytes))
}

/// Each group's configuration to `groups/<id>.json`; returns (groups, linked).
fn backup_groups(
    client: &Arc<NcmClient>,
    into: &Dir,
    previous: Option<&Dir>,
) -> Result<(usize, usize)> {
    let rows = client.list(
        "groups",
        &q(json!({"fields": ["id", "name", "product", "target_firmware", "configuration"]})),
    )?;
    let dir = into.subdir(std::path::Path::new("groups"), true)?;
    let prev = previous.and_then(|p| p.subdir(std::path::Path::new("groups"), false).ok());
    let mut linked = 0;
    for g in &rows {
        let mut text = serde_json::to_string_pretty(g).unwrap_or_default();
        text.push('\n');
        let (l, _) = put_file(
            &dir,
            prev.as_ref(),
            &format!("{}.json", text_of(&g["id"])),
            text.as_bytes(),
            g,
        )?;
        linked += usize::from(l);
    }
    Ok((rows.len(), linked))
}
