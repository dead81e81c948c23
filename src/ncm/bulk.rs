//! Bulk config writes that lose nothing: one change per router applied with bounded
//! concurrency and a client-side rate limit (retries come from the transport), a per-router
//! report (ok / failed with reason / skipped / pending), an append-only journal so a re-run
//! after a crash or Ctrl-C skips what is done, optional verification that devices synced (a
//! device rejection is reported with the reason from its `config_rejected` alert), and a
//! progress bar on a terminal.

use super::client::NcmClient;
use crate::diff::Diff;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One router's change.
#[derive(Debug, Clone)]
pub struct Change {
    pub router: String,
    pub diff: Diff,
}

#[derive(Debug, Clone)]
pub struct BulkOptions {
    pub concurrency: usize,
    /// Requests per second across all workers (0: unlimited).
    pub rate: f64,
    /// PUT instead of PATCH.
    pub put: bool,
    pub journal: Option<JournalFile>,
    /// Wait for every changed device to sync (or reject) before reporting.
    pub verify: bool,
    pub verify_timeout: Duration,
    pub poll_interval: Duration,
    pub progress: bool,
    pub label: String,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: 4,
            rate: 20.0,
            put: false,
            journal: None,
            verify: false,
            verify_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(5),
            progress: true,
            label: "applying".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Skipped,
    /// Sent, but the device had not synced when verification gave up.
    Pending,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub router: String,
    pub config_manager: Option<String>,
    pub status: Status,
    pub reason: String,
    /// HTTP status of the failure, when there was one.
    pub http_status: Option<u16>,
}

/// A stable fingerprint of what is applied, so a journal never skips a different change.
pub fn fingerprint(d: &Diff, put: bool) -> String {
    let mut h = Sha256::new();
    h.update(if put { b"PUT " as &[u8] } else { b"PATCH " });
    h.update(canonical(&d.to_value()).as_bytes());
    let out = h.finalize();
    out.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// A journal file opened for reading and appending (by the caller, under its allowed directory).
#[derive(Debug, Clone)]
pub struct JournalFile {
    pub path: PathBuf,
    file: Arc<std::fs::File>,
}

impl JournalFile {
    pub fn new(path: PathBuf, file: std::fs::File) -> Self {
        JournalFile {
            path,
            file: Arc::new(file),
        }
    }

    /// Opens (creating) a journal by path, outside any script confinement (embedding, tests).
    pub fn open(path: &std::path::Path) -> Result<Self> {
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

/// The journal: one JSON line per finished router; the last line for a router and change wins.
struct Journal {
    file: Option<std::fs::File>,
    done: HashSet<(String, String)>,
}

impl Journal {
    fn open(target: Option<&JournalFile>) -> Result<Journal> {
        let Some(j) = target else {
            return Ok(Journal {
                file: None,
                done: HashSet::new(),
            });
        };
        let p = &j.path;
        let mut file = j.file.try_clone().map_err(|e| Error::io(p.display(), e))?;
        let mut last: HashMap<(String, String), String> = HashMap::new();
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))
            .map_err(|e| Error::io(p.display(), e))?;
        for line in std::io::BufReader::new(&file).lines() {
            let line = line.map_err(|e| Error::io(p.display(), e))?;
            // A line cut short by a crash is ignored: that router is simply done again.
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if let (Some(r), Some(fp), Some(st)) = (
                v["router"].as_str(),
                v["change"].as_str(),
                v["status"].as_str(),
            ) {
                last.insert((r.to_string(), fp.to_string()), st.to_string());
            }
        }
        let done = last
            .into_iter()
            .filter(|(_, st)| st == "ok")
            .map(|(k, _)| k)
            .collect();
        Ok(Journal {
            file: Some(file),
            done,
        })
    }

    fn record(&mut self, o: &Outcome, fp: &str) {
        if let Some(f) = self.file.as_mut() {
            let line = json!({"router": o.router, "change": fp, "status": o.status.as_str(), "reason": o.reason,
                "at": chrono::Utc::now().to_rfc3339()});
            // Written and flushed line by line so a crash loses at most the line being written.
            let _ = writeln!(f, "{line}");
            let _ = f.flush();
            let _ = f.sync_data();
        }
    }
}

fn progress_bar(len: usize, label: &str, enabled: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} routers, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    pb
}

fn outcome(
    router: &str,
    cm: Option<&String>,
    status: Status,
    reason: impl Into<String>,
) -> Outcome {
    Outcome {
        router: router.to_string(),
        config_manager: cm.cloned(),
        status,
        reason: reason.into(),
        http_status: None,
    }
}

/// Applies every change; returns one outcome per change, in order. Interrupted work leaves the
/// remaining routers `skipped` and returns `Error::Interrupted` after the journal is written.
pub fn apply_all(
    client: &Arc<NcmClient>,
    changes: &[Change],
    opts: &BulkOptions,
) -> Result<Vec<Outcome>> {
    let dry = client.transport().options.dry_run;
    let mut journal = Journal::open(if dry { None } else { opts.journal.as_ref() })?;
    let fps: Vec<String> = changes
        .iter()
        .map(|c| fingerprint(&c.diff, opts.put))
        .collect();
    let mut results: Vec<Option<Outcome>> = vec![None; changes.len()];
    let mut todo = vec![];
    for (i, c) in changes.iter().enumerate() {
        if let Some(issue) = crate::diff::validate(&c.diff.to_value()).into_iter().next() {
            results[i] = Some(outcome(
                &c.router,
                None,
                Status::Failed,
                format!("invalid change: {}", issue.message),
            ));
        } else if journal.done.contains(&(c.router.clone(), fps[i].clone())) {
            results[i] = Some(outcome(
                &c.router,
                None,
                Status::Skipped,
                "already applied in an earlier run (journal)",
            ));
        } else {
            todo.push(i);
        }
    }
    // Configuration manager ids in a few requests, not one per router.
    let routers: Vec<String> = todo.iter().map(|&i| changes[i].router.clone()).collect();
    let cms = client.config_manager_ids(&routers)?;
    let pb = progress_bar(todo.len(), &opts.label, opts.progress);
    let pacer = crate::http::RateLimiter::per_second(opts.rate);
    let next = AtomicUsize::new(0);
    let shared = Mutex::new((&mut results, &mut journal));
    let transport = client.transport();
    std::thread::scope(|scope| {
        for _ in 0..opts.concurrency.max(1).min(todo.len().max(1)) {
            scope.spawn(|| loop {
                if transport.check_cancel().is_err() {
                    return;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = todo.get(k) else { return };
                let c = &changes[i];
                let o = match cms.get(&c.router) {
                    None => outcome(
                        &c.router,
                        None,
                        Status::Failed,
                        "no configuration manager for this router",
                    ),
                    Some(cm) => {
                        if let Some(p) = &pacer {
                            if p.acquire(&transport.cancel).is_err() {
                                return;
                            }
                        }
                        let body = json!({"configuration": c.diff.to_value()});
                        let r = if opts.put {
                            client.update("configuration_managers", cm, &body)
                        } else {
                            client.patch("configuration_managers", cm, &body)
                        };
                        match r {
                            Ok(_) if dry => outcome(
                                &c.router,
                                Some(cm),
                                Status::Skipped,
                                "dry run: printed, not sent",
                            ),
                            Ok(_) => outcome(&c.router, Some(cm), Status::Ok, ""),
                            Err(Error::Interrupted) => return,
                            Err(e) => Outcome {
                                http_status: e.status(),
                                ..outcome(&c.router, Some(cm), Status::Failed, e.short_message())
                            },
                        }
                    }
                };
                let mut g = shared.lock().unwrap();
                if o.status != Status::Skipped {
                    g.1.record(&o, &fps[i]);
                }
                g.0[i] = Some(o);
                drop(g);
                pb.inc(1);
            });
        }
    });
    pb.finish_and_clear();
    let interrupted = transport.check_cancel().is_err();
    if opts.verify && !dry && !interrupted {
        verify(client, changes, &fps, &mut results, &mut journal, opts)?;
    }
    let out: Vec<Outcome> = results
        .into_iter()
        .zip(changes)
        .map(|(o, c)| {
            o.unwrap_or_else(|| {
                outcome(
                    &c.router,
                    cms.get(&c.router),
                    Status::Skipped,
                    "interrupted before it was sent",
                )
            })
        })
        .collect();
    if interrupted {
        return Err(Error::Interrupted);
    }
    Ok(out)
}

/// Polls the changed configuration managers until each is synched or suspended, or time runs out.
fn verify(
    client: &Arc<NcmClient>,
    changes: &[Change],
    fps: &[String],
    results: &mut [Option<Outcome>],
    journal: &mut Journal,
    opts: &BulkOptions,
) -> Result<()> {
    let deadline = Instant::now() + opts.verify_timeout;
    let mut waiting: HashMap<String, usize> = results
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            o.as_ref()
                .filter(|o| o.status == Status::Ok)
                .and_then(|o| o.config_manager.clone())
                .map(|cm| (cm, i))
        })
        .collect();
    // Offline devices cannot sync until they reconnect: report them at once instead of waiting.
    if !waiting.is_empty() {
        let routers: Vec<String> = waiting
            .values()
            .map(|&i| changes[i].router.clone())
            .collect();
        let rows = client.list(
            "routers",
            &serde_json::from_value(json!({"id__in": routers, "fields": ["id", "state"]}))
                .unwrap_or_default(),
        )?;
        let offline: HashSet<String> = rows
            .iter()
            .filter(|r| r["state"] != "online")
            .map(|r| crate::sim::fleet::text_of(&r["id"]))
            .collect();
        waiting.retain(|_, i| {
            if !offline.contains(&changes[*i].router) {
                return true;
            }
            if let Some(o) = results[*i].as_mut() {
                o.status = Status::Pending;
                o.reason = "sent; the device is offline and will sync when it reconnects".into();
                journal.record(o, &fps[*i]);
            }
            false
        });
    }
    while !waiting.is_empty() {
        let ids: Vec<String> = waiting.keys().cloned().collect();
        let rows = client.list(
            "configuration_managers",
            &serde_json::from_value(
                json!({"id__in": ids, "fields": ["id", "synched", "suspended"]}),
            )
            .unwrap_or_default(),
        )?;
        let mut rejected = vec![];
        for r in rows {
            let id = r
                .get("id")
                .map(crate::sim::fleet::text_of)
                .unwrap_or_default();
            let Some(&i) = waiting.get(&id) else { continue };
            if r["suspended"] == true {
                rejected.push(i);
                waiting.remove(&id);
            } else if r["synched"] == true {
                waiting.remove(&id);
            }
        }
        if !rejected.is_empty() {
            let routers: Vec<String> = rejected
                .iter()
                .map(|&i| changes[i].router.clone())
                .collect();
            let alerts = client.list(
                "alerts",
                &serde_json::from_value(json!({"type": "config_rejected", "router__in": routers}))
                    .unwrap_or_default(),
            )?;
            for i in rejected {
                let router = &changes[i].router;
                // Alerts come newest first: the first one for the router is the latest.
                let reason = alerts
                    .iter()
                    .find(|a| {
                        a.get("router")
                            .and_then(Value::as_str)
                            .and_then(super::id_of)
                            .as_deref()
                            == Some(router.as_str())
                    })
                    .and_then(|a| a.pointer("/info/reason").and_then(Value::as_str))
                    .unwrap_or("no config_rejected alert found");
                if let Some(o) = results[i].as_mut() {
                    o.status = Status::Failed;
                    o.reason =
                        format!("the device rejected the config and sync is suspended: {reason}");
                    journal.record(o, &fps[i]);
                }
            }
        }
        if waiting.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            for (_, i) in waiting.drain() {
                if let Some(o) = results[i].as_mut() {
                    o.status = Status::Pending;
                    o.reason = format!(
                        "sent, but not synched after {:?} (device offline?)",
                        opts.verify_timeout
                    );
                    journal.record(o, &fps[i]);
                }
            }
            break;
        }
        client.transport().check_cancel()?;
        std::thread::sleep(
            opts.poll_interval
                .min(deadline.saturating_duration_since(Instant::now())),
        );
    }
    Ok(())
}
