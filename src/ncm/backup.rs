//! Nightly config backups: every router's configuration manager (`actual`, `target`,
//! `configuration`, version, sync state) fetched page by page with `fields`, written as the
//! JSON the API returned to `<dir>/<YYYY-MM-DD>/<router_id>.json` plus `index.csv` (with a
//! SHA-256 per file). Everything is written in a staging directory and swapped in at the end,
//! so a failed run leaves no partial file and never replaces an earlier good backup.

use super::client::NcmClient;
use crate::error::{Error, Result};
use crate::files::Dir;
use crate::sim::fleet::text_of;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub dir: PathBuf,
    pub routers: usize,
    pub bytes: u64,
    pub requests: u64,
    /// What the start-up clean-up did with staging directories of killed runs.
    pub cleaned: Vec<String>,
}

fn q(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Backup files hold configuration (Wi-Fi keys among it): owner-only.
const MODE: u32 = 0o600;

/// Backs up every router's configuration under `dir/<date>` (`dir` opened by the caller, so
/// nothing below it follows a symlink).
pub fn backup_configs(client: &Arc<NcmClient>, dir: &Dir, date: &str) -> Result<BackupSummary> {
    let start_requests = client.transport().stats.requests();
    let cleaned = crate::files::clean_stale(dir);
    let staging = crate::files::StagingDir::new(dir, date)?;
    let staging_dir = staging.dir();

    // Lookup tables for the index (a handful of requests whatever the fleet size).
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
    let mut routers: HashMap<String, Value> = HashMap::new();
    let mut pager = client.pages(
        "routers",
        &q(json!({"fields": ["id", "name", "mac", "product", "actual_firmware"]})),
    )?;
    while let Some(page) = pager.next_page()? {
        for r in page {
            routers.insert(text_of(&r["id"]), r);
        }
    }

    let mut index = csv::Writer::from_writer(vec![]);
    let csv_err = |e: csv::Error| Error::invalid(format!("index.csv: {e}"));
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
    let mut count = 0;
    let mut bytes_total = 0u64;
    let mut seen = std::collections::HashSet::new();
    let mut pager = client.pages(
        "configuration_managers",
        &q(json!({"fields": ["id", "router", "version_number", "synched", "suspended", "actual", "target", "configuration"]})),
    )?;
    while let Some(page) = pager.next_page()? {
        for cm in page {
            let rid = cm
                .get("router")
                .and_then(Value::as_str)
                .and_then(super::id_of)
                .unwrap_or_else(|| format!("cm-{}", text_of(&cm["id"])));
            if !seen.insert(rid.clone()) {
                return Err(Error::Protocol {
                    method: "GET".into(),
                    url: "configuration_managers/".into(),
                    message: format!("router {rid} appears twice; the listing changed while paging, run the backup again"),
                });
            }
            let mut text = serde_json::to_string_pretty(&cm).unwrap_or_default();
            text.push('\n');
            let file = format!("{rid}.json");
            staging_dir.write_new(&file, text.as_bytes(), MODE)?;
            let sha: String = Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let r = routers.get(&rid);
            let field = |k: &str| {
                r.and_then(|r| r.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let lookup = |table: &HashMap<String, String>, k: &str| {
                super::id_of(&field(k))
                    .and_then(|id| table.get(&id).cloned())
                    .unwrap_or_default()
            };
            index
                .write_record([
                    rid.clone(),
                    field("name"),
                    field("mac"),
                    lookup(&products, "product"),
                    lookup(&firmwares, "actual_firmware"),
                    text_of(&cm["id"]),
                    text_of(&cm["version_number"]),
                    text_of(&cm["synched"]),
                    file,
                    sha,
                ])
                .map_err(csv_err)?;
            count += 1;
            bytes_total += text.len() as u64;
        }
    }
    let index_bytes = index
        .into_inner()
        .map_err(|e| Error::invalid(format!("index.csv: {e}")))?;
    staging_dir.write_new("index.csv", &index_bytes, MODE)?;

    // Swap the complete backup in, in one atomic step; an earlier one of the same day is
    // replaced only now.
    let final_dir = staging.commit(date)?;
    Ok(BackupSummary {
        dir: final_dir,
        routers: count,
        bytes: bytes_total,
        requests: client.transport().stats.requests() - start_requests,
        cleaned,
    })
}
