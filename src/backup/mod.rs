//! Backups beyond one dated copy: the documents a backup holds (each router's configuration
//! manager, each group's configuration, each IgniteNet site's and device's config) gathered page by page with `fields`, and the git store
//! that keeps their history (`git`, checked first by `git_health`). What counts as a change ignores values that move without a
//! config change (`normalized`).

pub mod changes;
pub mod dated;
pub mod effective;
pub mod git;
pub mod git_health;
pub mod index;
pub mod leftovers;

use crate::error::Result;
use crate::ncm::ahead::Expected;
use crate::ncm::client::NcmClient;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The lock file of a backup directory (kept out of git by `.git/info/exclude`).
pub const LOCK_FILE: &str = ".fleetscript.lock";

/// One file of a backup: where it goes, what it holds, and who it is about (for messages).
#[derive(Debug, Clone)]
pub struct Document {
    /// Relative path (`routers/42.json`, `groups/2001.json`).
    pub path: String,
    pub value: Value,
    /// `router 42 (Shop-12)`, `group 2001 (Stores)`.
    pub label: String,
}

/// A document without the values that change without a config change, which so never make a
/// commit on their own: `synched` (flips as a device syncs), the `ecm.config_version` counter NCM
/// keeps inside `actual` and `target` (and so in the `effective` configuration), and the scheme
/// and host of resource URLs (only their `/api/v2/...` path counts). They are still stored, as of
/// the last real change.
pub fn normalized(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.shift_remove("synched");
        for x in m.values_mut() {
            if let Some(path) = x.as_str().and_then(|s| {
                s.find("/api/v2/")
                    .filter(|_| s.starts_with("http"))
                    .map(|i| s[i..].to_string())
            }) {
                *x = Value::String(path);
            }
        }
        for doc in ["actual", "target"] {
            if let Some(Value::Object(ecm)) = m
                .get_mut(doc)
                .and_then(|d| d.get_mut(0))
                .and_then(|u| u.get_mut("ecm"))
            {
                ecm.shift_remove("config_version");
            }
        }
        if let Some(Value::Object(ecm)) = m.get_mut("effective").and_then(|e| e.get_mut("ecm")) {
            ecm.shift_remove("config_version");
        }
    }
    v
}

use crate::ncm::query as q;

use crate::ncm::text;

/// The configuration managers with what a backup keeps of them, page by page. Every router has
/// one: `routers` is their count (known, or learnt as the routers are listed alongside), so no
/// page past the last one is asked for.
pub fn config_manager_pages(
    client: &Arc<NcmClient>,
    routers: Arc<Expected>,
) -> Result<crate::ncm::paging::Pager> {
    Ok(client
        .pages(
            "configuration_managers",
            &q(json!({"fields": ["id", "router", "version_number", "synched", "suspended", "actual", "target", "configuration"]})),
        )?
        .expecting(routers))
}

/// The router a configuration manager belongs to (`cm-<id>` when it names none).
pub fn router_of(cm: &Value) -> String {
    cm["router"]
        .as_str()
        .and_then(crate::ncm::id_of)
        .unwrap_or_else(|| format!("cm-{}", text(&cm["id"])))
}

/// Every router's configuration manager and every group's configuration, with index rows.
pub fn ncm_documents(client: &Arc<NcmClient>) -> Result<(Vec<Document>, Vec<Vec<String>>)> {
    ncm_documents_with(client, false)
}

/// [`ncm_documents`], each router's document also holding its effective configuration when
/// `effective` (see [`effective`]).
pub fn ncm_documents_with(
    client: &Arc<NcmClient>,
    effective: bool,
) -> Result<(Vec<Document>, Vec<Vec<String>>)> {
    let mut effective = match effective {
        true => Some(effective::Effective::load(client)?),
        false => None,
    };
    let routers = client.list("routers", &q(json!({"fields": ["id", "name"]})))?;
    let count = Expected::exactly(routers.len());
    let names: HashMap<String, String> = routers
        .iter()
        .map(|r| (text(&r["id"]), text(&r["name"])))
        .collect();
    drop(routers);
    let mut docs = vec![];
    let mut rows = vec![];
    let mut pager = config_manager_pages(client, count)?;
    while let Some(page) = pager.next_page()? {
        for mut cm in page {
            let rid = router_of(&cm);
            if let Some(e) = effective.as_mut() {
                e.add_to(&rid, &mut cm)?;
            }
            let name = names.get(&rid).cloned().unwrap_or_default();
            rows.push(vec![
                format!("routers/{rid}.json"),
                "router".into(),
                rid.clone(),
                name.clone(),
                text(&cm["id"]),
            ]);
            docs.push(Document {
                path: format!("routers/{rid}.json"),
                value: cm,
                label: format!("router {rid} ({name})"),
            });
        }
    }
    for g in client.list(
        "groups",
        &q(json!({"fields": ["id", "name", "product", "target_firmware", "configuration"]})),
    )? {
        let gid = text(&g["id"]);
        let name = text(&g["name"]);
        rows.push(vec![
            format!("groups/{gid}.json"),
            "group".into(),
            gid.clone(),
            name.clone(),
            String::new(),
        ]);
        docs.push(Document {
            path: format!("groups/{gid}.json"),
            value: g,
            label: format!("group {gid} ({name})"),
        });
    }
    Ok((docs, rows))
}

/// Each IgniteNet site's and device's config-changes document (`ignitenet/sites/<id>.json`,
/// `ignitenet/devices/<id>.json`): one request per site and per device, as the API has no
/// bulk read. Nothing when no IgniteNet key is configured.
pub fn ignitenet_documents(client: &crate::ignitenet::IgniteNetClient) -> Result<Vec<Document>> {
    use crate::ignitenet::Target;
    let mut docs = vec![];
    if !client.has_key() {
        return Ok(docs);
    }
    for site in client.sites()? {
        let sid = text(&site["id"]);
        let name = text(&site["name"]);
        let value = client.config(&Target::Site(sid.clone()))?;
        docs.push(Document {
            path: format!("ignitenet/sites/{sid}.json"),
            value,
            label: format!("IgniteNet site {sid} ({name})"),
        });
        for dev in client.site_devices(&sid)? {
            let did = text(&dev["id"]);
            let name = text(&dev["name"]);
            let value = client.config(&Target::Device(did.clone()))?;
            docs.push(Document {
                path: format!("ignitenet/devices/{did}.json"),
                value,
                label: format!("IgniteNet device {did} ({name})"),
            });
        }
    }
    Ok(docs)
}

/// Who changed which router or group since `since` (epoch seconds), and when, by document
/// path, from the activity log (one paged listing): `by operator@example.com at 2026-11-20T10:00:00Z`.
pub fn changed_by(client: &Arc<NcmClient>, since: i64) -> Result<HashMap<String, String>> {
    let Some(t) = chrono::DateTime::from_timestamp(since, 0) else {
        return Ok(HashMap::new());
    };
    let rows = client.list(
        "activity_logs",
        &q(json!({"created_at__gt": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})),
    )?;
    let mut out: HashMap<String, (String, String)> = HashMap::new();
    for r in rows {
        let dir = match r["object"]["type"].as_str() {
            Some("router") => "routers",
            Some("group") => "groups",
            _ => continue,
        };
        let path = format!("{dir}/{}.json", text(&r["object"]["id"]));
        let actor = ["email", "name", "id"]
            .iter()
            .find_map(|k| r["actor"][*k].as_str().filter(|s| !s.is_empty()))
            .unwrap_or("someone")
            .to_string();
        let when = r["action"]["timestamp"]
            .as_str()
            .or(r["created_at"].as_str())
            .unwrap_or_default()
            .to_string();
        // The latest activity wins.
        if out.get(&path).is_none_or(|(_, w)| *w < when) {
            out.insert(path, (actor, when));
        }
    }
    Ok(out
        .into_iter()
        .map(|(p, (a, w))| (p, format!("by {a} at {w}")))
        .collect())
}

/// What a git backup run did, with the counts of what it read.
#[derive(Debug, Clone)]
pub struct GitBackup {
    pub summary: git::GitSummary,
    pub routers: usize,
    pub groups: usize,
    /// IgniteNet sites and devices.
    pub ignitenet: usize,
    pub requests: u64,
    /// What a killed run had left (stale git locks, temporaries) and this one removed.
    pub cleaned: Vec<String>,
}

/// Backs up every router's and group's configuration into the git repository at `dir` (which
/// the caller holds the lock of: see [`LOCK_FILE`]).
pub fn backup_git(
    client: &Arc<NcmClient>,
    ignitenet: &crate::ignitenet::IgniteNetClient,
    dir: &crate::files::Dir,
) -> Result<GitBackup> {
    backup_git_reporting(client, ignitenet, dir, &|_| {})
}

/// [`backup_git`], telling `report` at once of each thing a killed run left that it removed
/// (a stale git lock: see [`leftovers`]), before anything else can fail.
pub fn backup_git_reporting(
    client: &Arc<NcmClient>,
    ignitenet: &crate::ignitenet::IgniteNetClient,
    dir: &crate::files::Dir,
    report: &dyn Fn(&str),
) -> Result<GitBackup> {
    backup_git_with(client, ignitenet, dir, false, report)
}

/// [`backup_git_reporting`], each router's file also holding its effective configuration when
/// `effective`.
pub fn backup_git_with(
    client: &Arc<NcmClient>,
    ignitenet: &crate::ignitenet::IgniteNetClient,
    dir: &crate::files::Dir,
    effective: bool,
    report: &dyn Fn(&str),
) -> Result<GitBackup> {
    let cleaned = leftovers::clean(dir, std::time::SystemTime::now())?;
    cleaned.iter().for_each(|l| report(l));
    // The repository's health first: a damaged one ends the run before any request.
    let last_commit = git_health::check(dir.path())?;
    let start = client.transport().stats.requests();
    let (mut docs, rows) = ncm_documents_with(client, effective)?;
    let ig = ignitenet_documents(ignitenet)?;
    let ignitenet_docs = ig.len();
    docs.extend(ig);
    let mut w = csv::Writer::from_writer(vec![]);
    let csv_err = |e: csv::Error| crate::error::Error::invalid(format!("index.csv: {e}"));
    w.write_record(["file", "kind", "id", "name", "config_manager_id"])
        .map_err(csv_err)?;
    for r in &rows {
        w.write_record(r).map_err(csv_err)?;
    }
    let index = w
        .into_inner()
        .map_err(|e| crate::error::Error::invalid(format!("index.csv: {e}")))?;
    let who = match last_commit {
        Some(since) => changed_by(client, since)?,
        None => HashMap::new(),
    };
    let summary = git::store(dir, &docs, &index, &who, &client.transport().cancel)?;
    Ok(GitBackup {
        routers: docs
            .iter()
            .filter(|d| d.path.starts_with("routers/"))
            .count(),
        groups: docs
            .iter()
            .filter(|d| d.path.starts_with("groups/"))
            .count(),
        ignitenet: ignitenet_docs,
        summary,
        requests: client.transport().stats.requests() - start,
        cleaned,
    })
}

/// A full configuration without NCM's `ecm.config_version` counter.
pub fn normalized_config(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(ecm)) = v.get_mut("ecm") {
        ecm.shift_remove("config_version");
        if ecm.is_empty() {
            v.as_object_mut().map(|m| m.shift_remove("ecm"));
        }
    }
    v
}
