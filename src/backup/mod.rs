//! Config backups: one pipeline (`pipeline`) reads the documents a backup holds (each router's
//! configuration manager, page by page with `fields`; each group's configuration; each IgniteNet
//! site's and device's config) and writes them as they arrive through a `store::Store`: the
//! dated directory (`dated`) or the git repository that keeps their history (`git`, checked
//! first by `git_health`, cleaned of a killed run's leftovers by `leftovers`), with one
//! `index.csv` format (`index`). What counts as a change ignores values that move without a
//! config change (`normalized`).

pub mod changes;
pub mod dated;
pub mod effective;
pub mod git;
pub mod git_health;
pub mod index;
pub mod leftovers;
pub mod pipeline;
pub mod store;

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

/// Backs up every router's and group's configuration, and IgniteNet's when it has a key, into
/// the git repository at `dir` (which the caller holds the lock of: see [`LOCK_FILE`]).
pub fn backup_git(
    client: &Arc<NcmClient>,
    ignitenet: &crate::ignitenet::IgniteNetClient,
    dir: &crate::files::Dir,
) -> Result<pipeline::Backup> {
    let mut store = git::GitStore::open(dir, &|_| {})?;
    pipeline::run(client, Some(ignitenet), &mut store, &Default::default())
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
