//! Nightly config backups, the dated store: every router's configuration manager (`actual`,
//! `target`, `configuration`, version, sync state) fetched page by page with `fields`, written as
//! the JSON the API returned to `<dir>/<YYYY-MM-DD>/<router_id>.json`, each group's configuration
//! to `groups/<group_id>.json`, plus `index.csv` (with a SHA-256 per file). A file identical to
//! the previous backup's is a hard link to it. Everything is written in a staging directory and
//! swapped in at the end, so a failed run leaves no partial file and never replaces an earlier
//! good backup; `keep` removes the oldest dated backups beyond N.

use crate::error::{Error, Result};
use crate::files::Dir;
use crate::ncm::client::NcmClient;
use crate::ncm::text as text_of;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    let start_requests = client.transport().stats.requests();
    let cleaned = crate::files::clean_stale(dir);
    let previous = crate::backup::changes::dated_backups(dir)
        .last()
        .and_then(|d| dir.subdir(std::path::Path::new(d), false).ok());
    let staging = crate::files::StagingDir::new(dir, date)?;
    let staging_dir = staging.dir();

    // The index's router facts are an independent listing: read them while the configuration
    // managers are paged and written.
    let (facts, written) = std::thread::scope(|scope| {
        let facts = scope.spawn(|| router_facts(client));
        let written = write_config_managers(client, staging_dir, previous.as_ref());
        let facts = facts
            .join()
            .unwrap_or_else(|_| Err(Error::invalid("the router listing stopped unexpectedly")));
        (facts, written)
    });
    let (rows, mut linked, changed, bytes_total) = written?;
    write_index(staging_dir, &rows, &facts?)?;
    let count = rows.len();
    drop(rows);
    let groups = backup_groups(client, staging_dir, previous.as_ref())?;
    linked += groups.1;
    linked += backup_extra(extra, staging_dir, previous.as_ref())?;

    // One durability barrier for every file written (not an fsync per file), then swap the
    // complete backup in, in one atomic step; an earlier one of the same day is replaced only now.
    staging_dir.sync_filesystem()?;
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

/// What the index needs of one router, kept small: at 100,000 routers these facts and the rows
/// below are most of what the backup holds (the configurations themselves stream to disk).
struct RouterFact {
    name: Box<str>,
    mac: Box<str>,
    /// Product and firmware ids, named through the small tables at index time.
    product: Box<str>,
    firmware: Box<str>,
}

/// What the index needs of the routers: name, MAC, product and firmware names.
struct RouterFacts {
    routers: HashMap<Box<str>, RouterFact>,
    products: HashMap<String, String>,
    firmwares: HashMap<String, String>,
}

/// The routers, products and firmwares listings behind the index (a handful of requests).
fn router_facts(client: &Arc<NcmClient>) -> Result<RouterFacts> {
    let names = |ep: &str, field: &str| -> Result<HashMap<String, String>> {
        Ok(client
            .list(ep, &q(json!({"fields": ["id", field]})))?
            .iter()
            .map(|r| {
                (
                    text_of(&r["id"]),
                    r[field].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect())
    };
    let products = names("products", "name")?;
    let firmwares = names("firmwares", "version")?;
    let mut routers = HashMap::new();
    let mut pager = client.pages(
        "routers",
        &q(json!({"fields": ["id", "name", "mac", "product", "actual_firmware"]})),
    )?;
    let text = |v: &Value| -> Box<str> { v.as_str().unwrap_or_default().into() };
    let id = |v: &Value| -> Box<str> {
        v.as_str()
            .and_then(crate::ncm::id_of)
            .unwrap_or_default()
            .into()
    };
    while let Some(page) = pager.next_page()? {
        for r in page {
            let fact = RouterFact {
                name: text(&r["name"]),
                mac: text(&r["mac"]),
                product: id(&r["product"]),
                firmware: id(&r["actual_firmware"]),
            };
            routers.insert(text_of(&r["id"]).into_boxed_str(), fact);
        }
    }
    Ok(RouterFacts {
        routers,
        products,
        firmwares,
    })
}

/// One written router file (`<rid>.json`), for the index.
struct CmRow {
    rid: Box<str>,
    cm_id: Box<str>,
    version: Box<str>,
    synched: Box<str>,
    sha: [u8; 32],
}

/// Pages every configuration manager into `<router_id>.json` files; returns the rows for the
/// index, how many files were linked and changed, and the bytes written.
fn write_config_managers(
    client: &Arc<NcmClient>,
    into: &Dir,
    previous: Option<&Dir>,
) -> Result<(Vec<CmRow>, usize, usize, u64)> {
    let (mut rows, mut linked, mut changed, mut bytes) = (vec![], 0, 0, 0u64);
    let mut seen = std::collections::HashSet::new();
    let mut pager = super::config_manager_pages(client)?;
    while let Some(page) = pager.next_page()? {
        for cm in page {
            let rid = super::router_of(&cm);
            if !seen.insert(rid.clone().into_boxed_str()) {
                return Err(Error::Protocol {
                    method: "GET".into(),
                    url: "configuration_managers/".into(),
                    message: format!("router {rid} appears twice; the listing changed while paging, run the backup again"),
                });
            }
            let mut text = serde_json::to_string_pretty(&cm).unwrap_or_default();
            text.push('\n');
            let (l, c) = put_file(into, previous, &format!("{rid}.json"), text.as_bytes(), &cm)?;
            linked += usize::from(l);
            changed += usize::from(c);
            bytes += text.len() as u64;
            rows.push(CmRow {
                rid: rid.into_boxed_str(),
                cm_id: text_of(&cm["id"]).into_boxed_str(),
                version: text_of(&cm["version_number"]).into_boxed_str(),
                synched: text_of(&cm["synched"]).into_boxed_str(),
                sha: Sha256::digest(text.as_bytes()).into(),
            });
        }
    }
    Ok((rows, linked, changed, bytes))
}

/// Writes `index.csv` into `into` as it goes: per router file, the router's name, MAC, product,
/// firmware, config manager, version, sync state and the file's SHA-256.
fn write_index(into: &Dir, rows: &[CmRow], facts: &RouterFacts) -> Result<()> {
    let (path, file) = into.create_new("index.csv", MODE)?;
    let csv_err = |e: csv::Error| Error::invalid(format!("{}: {e}", path.display()));
    let mut index = csv::Writer::from_writer(std::io::BufWriter::new(file));
    index
        .write_record([
            "router_id",
            "name",
            "mac",
            "product",
            "firmware",
            "config_manager_id",
            "version_number",
            "synched",
            "file",
            "sha256",
        ])
        .map_err(csv_err)?;
    fn name<'a>(table: &'a HashMap<String, String>, id: Option<&str>) -> &'a str {
        id.and_then(|id| table.get(id))
            .map(String::as_str)
            .unwrap_or_default()
    }
    let mut sha = String::with_capacity(64);
    for row in rows {
        let r = facts.routers.get(&row.rid);
        sha.clear();
        for b in row.sha {
            use std::fmt::Write;
            let _ = write!(sha, "{b:02x}");
        }
        index
            .write_record([
                &*row.rid,
                r.map_or("", |r| &*r.name),
                r.map_or("", |r| &*r.mac),
                name(&facts.products, r.map(|r| &*r.product)),
                name(&facts.firmwares, r.map(|r| &*r.firmware)),
                &*row.cm_id,
                &*row.version,
                &*row.synched,
                &format!("{}.json", row.rid),
                &sha,
            ])
            .map_err(csv_err)?;
    }
    index
        .into_inner()
        .map_err(|e| Error::io(path.display(), e.into_error()))?
        .into_inner()
        .map_err(|e| Error::io(path.display(), e.into_error()))?;
    Ok(())
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
