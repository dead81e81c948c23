//! The one backup pipeline, for both stores: the configuration managers fetched page by page
//! (with the routers' facts for the index read alongside), each group's configuration, each
//! IgniteNet site's and device's config; each document serialised and written through the
//! [`Store`] as it arrives (memory stays flat in the number of routers: only the compact index
//! rows are held); then `index.csv` (one format, see [`super::index::HEADER`]), the activity
//! log for the git store's message, and [`Store::finish`]. The result is the change summary.

use super::index::{index_csv, router_facts, Rows};
use super::store::{Notes, Outcome, Put, Store};
use super::Document;
use crate::error::{Error, Result};
use crate::ignitenet::IgniteNetClient;
use crate::ncm::ahead::Expected;
use crate::ncm::client::NcmClient;
use crate::ncm::{query as q, text};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How a backup runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Each router's file also holds its effective configuration (see `super::effective`).
    pub effective: bool,
}

/// What a backup run did: the change summary, the same for both stores (fields a store does
/// not have stay empty: `linked`, `date` and `pruned` are the dated store's, `commit` the git
/// store's).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Backup {
    /// `dated` or `git`.
    pub store: String,
    /// The dated backup's directory, or the repository's work tree.
    pub dir: String,
    pub routers: usize,
    pub groups: usize,
    /// IgniteNet sites and devices.
    pub ignitenet: usize,
    /// Documents whose configuration differs from the previous backup's (volatile values aside).
    pub changed: usize,
    /// Documents the previous backup did not have.
    pub added: usize,
    /// Documents the previous backup had and this one has not.
    pub removed: usize,
    /// Files that are hard links to the previous backup's identical ones (dated store).
    pub linked: usize,
    /// The size of the documents backed up.
    pub bytes: u64,
    /// NCM API requests the run made.
    pub requests: u64,
    /// The new commit (git store), `()` when nothing changed.
    pub commit: Option<String>,
    /// The dated backup's date (dated store).
    pub date: Option<String>,
    /// Dated backups removed by `keep`.
    pub pruned: Vec<String>,
    /// The commit message (git store).
    #[serde(skip)]
    pub message: String,
}

impl Backup {
    /// Counts one document the store took.
    fn count(&mut self, put: &Put, bytes: usize) {
        match put.outcome {
            Outcome::Same => {}
            Outcome::Changed => self.changed += 1,
            Outcome::Added => self.added += 1,
        }
        self.linked += usize::from(put.linked);
        self.bytes += bytes as u64;
    }
}

/// Writes one document to the store (its file: pretty JSON and a newline) and counts it;
/// returns what the store did and the bytes' SHA-256. An interrupt (Ctrl-C, a time limit) stops
/// the run here too, not only at its next request: pages read ahead are not worked through.
fn put(
    cancel: &AtomicBool,
    store: &mut dyn Store,
    doc: &Document,
    out: &mut Backup,
) -> Result<(Put, [u8; 32])> {
    if cancel.load(Ordering::SeqCst) {
        return Err(Error::Interrupted);
    }
    let mut bytes = serde_json::to_vec_pretty(&doc.value).unwrap_or_default();
    bytes.push(b'\n');
    let put = store.put(doc, &bytes)?;
    out.count(&put, bytes.len());
    Ok((put, Sha256::digest(&bytes).into()))
}

/// Backs up every router's configuration manager, every group's configuration and (with
/// `ignitenet`, when it has a key) every IgniteNet site's and device's config into `store`.
/// The store is finished only when everything was read and written: on any error (an
/// interrupt among them) it is dropped unfinished, leaving the previous backup as it was.
pub fn run(
    client: &Arc<NcmClient>,
    ignitenet: Option<&IgniteNetClient>,
    store: &mut dyn Store,
    options: &Options,
) -> Result<Backup> {
    let start = client.transport().stats.requests();
    let mut out = Backup {
        store: store.kind().to_string(),
        ..Default::default()
    };
    // The index's router facts are read while the configuration managers are paged and
    // written; the routers found so far tell the configuration managers' listing how many pages
    // it has (one per router), so it asks for none past its end.
    let routers = Expected::unknown();
    let (facts, rows) = std::thread::scope(|scope| {
        let facts = scope.spawn(|| router_facts(client, &routers));
        let rows = put_config_managers(client, store, options.effective, &routers, &mut out);
        let facts = facts
            .join()
            .unwrap_or_else(|_| Err(Error::invalid("the router listing stopped unexpectedly")));
        (facts, rows)
    });
    let rows = rows?;
    let facts = facts?;
    out.routers = rows.len();
    let index = index_csv(&rows, &facts, &|rid| store.router_file(rid))?;
    drop(rows);
    put_groups(client, store, &mut out)?;
    if let Some(ig) = ignitenet {
        put_ignitenet(ig, &client.transport().cancel, store, &mut out)?;
    }
    let who = match store.last_backup() {
        Some(since) => super::changed_by(client, since)?,
        None => HashMap::new(),
    };
    let name = |rid: &str| facts.name(rid).map(str::to_string);
    let notes = Notes {
        who: &who,
        router_name: &name,
    };
    let done = store.finish(&index, &notes, &client.transport().cancel)?;
    out.dir = done.dir.display().to_string();
    out.removed = done.removed;
    out.commit = done.commit;
    out.message = done.message;
    out.date = done.date;
    out.pruned = done.pruned;
    out.requests = client.transport().stats.requests() - start;
    Ok(out)
}

/// Pages every configuration manager into the store; returns the index rows.
fn put_config_managers(
    client: &Arc<NcmClient>,
    store: &mut dyn Store,
    effective: bool,
    routers: &Arc<Expected>,
    out: &mut Backup,
) -> Result<Rows> {
    let mut rows = Rows::default();
    let mut effective = match effective {
        true => Some(super::effective::Effective::load(client)?),
        false => None,
    };
    let mut pager = super::config_manager_pages(client, routers.clone())?;
    while let Some(page) = pager.next_page()? {
        for mut cm in page {
            let rid = super::router_of(&cm);
            if rows.contains(&rid) {
                return Err(Error::Protocol {
                    method: "GET".into(),
                    url: "configuration_managers/".into(),
                    message: format!("router {rid} appears twice; the listing changed while paging, run the backup again"),
                });
            }
            if let Some(e) = effective.as_mut() {
                e.add_to(&rid, &mut cm)?;
            }
            let doc = Document {
                path: format!("routers/{rid}.json"),
                value: cm,
                label: format!("router {rid}"),
            };
            let (put, sha) = put(&client.transport().cancel, store, &doc, out)?;
            match &put.kept {
                Some((value, sha)) => rows.add(&rid, value, *sha)?,
                None => rows.add(&rid, &doc.value, sha)?,
            };
        }
    }
    Ok(rows)
}

/// Each group's configuration into the store (`groups/<id>.json`).
fn put_groups(client: &Arc<NcmClient>, store: &mut dyn Store, out: &mut Backup) -> Result<()> {
    let groups = client.list(
        "groups",
        &q(json!({"fields": ["id", "name", "product", "target_firmware", "configuration"]})),
    )?;
    out.groups = groups.len();
    for g in groups {
        let (gid, name) = (text(&g["id"]), text(&g["name"]));
        let doc = Document {
            path: format!("groups/{gid}.json"),
            value: g,
            label: format!("group {gid} ({name})"),
        };
        put(&client.transport().cancel, store, &doc, out)?;
    }
    Ok(())
}

/// Each IgniteNet site's and device's config-changes document into the store
/// (`ignitenet/sites/<id>.json`, `ignitenet/devices/<id>.json`) as it is read: one request per
/// site and per device, as the API has no bulk read. Nothing when no IgniteNet key is
/// configured.
fn put_ignitenet(
    client: &IgniteNetClient,
    cancel: &AtomicBool,
    store: &mut dyn Store,
    out: &mut Backup,
) -> Result<()> {
    use crate::ignitenet::Target;
    if !client.has_key() {
        return Ok(());
    }
    let mut put_one = |path: String, label: String, target: &Target| -> Result<()> {
        let value = client.config(target)?;
        let doc = Document { path, value, label };
        put(cancel, store, &doc, out)?;
        out.ignitenet += 1;
        Ok(())
    };
    for site in client.sites()? {
        let (sid, name) = (text(&site["id"]), text(&site["name"]));
        let label = format!("IgniteNet site {sid} ({name})");
        put_one(
            format!("ignitenet/sites/{sid}.json"),
            label,
            &Target::Site(sid.clone()),
        )?;
        for dev in client.site_devices(&sid)? {
            let (did, name) = (text(&dev["id"]), text(&dev["name"]));
            let label = format!("IgniteNet device {did} ({name})");
            put_one(
                format!("ignitenet/devices/{did}.json"),
                label,
                &Target::Device(did),
            )?;
        }
    }
    Ok(())
}
