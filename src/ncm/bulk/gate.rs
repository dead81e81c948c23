//! The health gate a wave must pass before the next one starts: each written router's config
//! `synched`, the router `online`, its sync not `suspended`, no `config_rejected` alert raised
//! since the wave began, and all of it still so after `soak`. A router that has not synced within
//! `verify_timeout` fails; a suspended sync, a new rejection or a router that went offline
//! before it synced fails at once. Health is read for the whole wave in a few `__in` listings
//! a poll, never one request per router.

use super::state::text;
use crate::error::Result;
use crate::ncm::client::NcmClient;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The gate's timers.
#[derive(Debug, Clone)]
pub struct GateOptions {
    pub verify_timeout: Duration,
    pub poll_interval: Duration,
    pub soak: Duration,
}

/// A router the gate watches.
#[derive(Debug, Clone)]
pub struct Watched {
    pub router: String,
    pub config_manager: String,
}

/// One router's health as read in one poll.
#[derive(Debug, Clone, Default)]
struct Health {
    synched: bool,
    suspended: bool,
    state: String,
    rejected: Option<String>,
}

impl Health {
    fn healthy(&self) -> bool {
        self.synched && !self.suspended && self.state == "online" && self.rejected.is_none()
    }

    /// Why a router fails at once (not worth waiting for), if it does.
    fn fatal(&self) -> Option<String> {
        if let Some(r) = &self.rejected {
            return Some(format!(
                "the device rejected the config (config_rejected alert: {r})"
            ));
        }
        if self.suspended {
            return Some(
                "the device's config sync is suspended (it rejected or rolled back the config)"
                    .into(),
            );
        }
        // Only online routers are written in waves: one that drops off after the write has
        // most likely lost its WAN to the change, and waiting will not bring it back.
        (!self.state.is_empty() && self.state != "online" && !self.synched).then(|| {
            format!(
                "the router went {} after the write, before it synced (a config that cut the WAN?)",
                self.state
            )
        })
    }

    /// Why a router that was healthy is no longer.
    fn lost(&self) -> String {
        if self.state != "online" {
            format!(
                "synced, then went {} during the soak (a config that cut the WAN?)",
                self.state
            )
        } else {
            "synced, then no longer synched during the soak".into()
        }
    }
}

use crate::ncm::query as q;

/// Reads the health of the watched routers (three listings, each split at 100 ids).
fn read_health(
    client: &Arc<NcmClient>,
    watched: &[&Watched],
    since: &str,
) -> Result<HashMap<String, Health>> {
    let mut out: HashMap<String, Health> = HashMap::new();
    let routers: Vec<&str> = watched.iter().map(|w| w.router.as_str()).collect();
    let cms: Vec<&str> = watched.iter().map(|w| w.config_manager.as_str()).collect();
    let by_cm: HashMap<&str, &str> = watched
        .iter()
        .map(|w| (w.config_manager.as_str(), w.router.as_str()))
        .collect();
    for r in client.list(
        "configuration_managers",
        &q(json!({"id__in": cms, "fields": ["id", "synched", "suspended"]})),
    )? {
        if let Some(router) = by_cm.get(text(&r["id"]).as_str()) {
            let h = out.entry(router.to_string()).or_default();
            h.synched = r["synched"] == true;
            h.suspended = r["suspended"] == true;
        }
    }
    for r in client.list(
        "routers",
        &q(json!({"id__in": routers, "fields": ["id", "state"]})),
    )? {
        out.entry(text(&r["id"])).or_default().state = text(&r["state"]);
    }
    let alerts = client.list(
        "alerts",
        &q(json!({"type": "config_rejected", "router__in": routers, "created_at__gt": since})),
    )?;
    // Newest first: the first alert of a router is its latest.
    for a in alerts {
        let Some(router) = a["router"].as_str().and_then(crate::ncm::id_of) else {
            continue;
        };
        if let Some(h) = out.get_mut(&router) {
            if h.rejected.is_none() {
                let reason = a
                    .pointer("/info/reason")
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given");
                h.rejected = Some(reason.to_string());
            }
        }
    }
    Ok(out)
}

/// What the gate is doing, for the progress line.
pub struct GateProgress<'a> {
    pub healthy: usize,
    pub waiting: usize,
    pub failed: usize,
    pub what: &'a str,
}

/// One round of readings: a router that failed for good gets its verdict, one that is healthy
/// is counted so, and one that was healthy and is no longer fails.
fn judge(
    open: &[&Watched],
    health: &HashMap<String, Health>,
    verdicts: &mut BTreeMap<String, Option<String>>,
    healthy: &mut HashMap<String, ()>,
) {
    for w in open {
        let h = health.get(&w.router).cloned().unwrap_or_default();
        if let Some(why) = h.fatal() {
            verdicts.insert(w.router.clone(), Some(why));
        } else if h.healthy() {
            healthy.insert(w.router.clone(), ());
        } else if healthy.remove(&w.router).is_some() {
            verdicts.insert(w.router.clone(), Some(h.lost()));
        }
    }
}

/// At the deadline: every router still waiting for its sync fails, saying what state it is in.
fn time_out(
    open: &[&Watched],
    health: &HashMap<String, Health>,
    verdicts: &mut BTreeMap<String, Option<String>>,
    healthy: &HashMap<String, ()>,
    opts: &GateOptions,
) {
    for w in open {
        if !healthy.contains_key(&w.router) && !verdicts.contains_key(&w.router) {
            let h = health.get(&w.router).cloned().unwrap_or_default();
            let why = match h.state.as_str() {
                "online" => format!("not synched within verify_timeout {}", crate::settings::human_duration(opts.verify_timeout)),
                s => format!("not synched within verify_timeout {}; the router is {s} (a config that cut the WAN?)", crate::settings::human_duration(opts.verify_timeout)),
            };
            verdicts.insert(w.router.clone(), Some(why));
        }
    }
}

/// Runs the gate for `watched` (written at or after `since`): returns, per router, `None` when
/// it passed, or the reason it failed. Polls every `poll_interval`; Ctrl-C interrupts.
pub fn run(
    client: &Arc<NcmClient>,
    watched: &[Watched],
    since: chrono::DateTime<chrono::Utc>,
    opts: &GateOptions,
    progress: &mut dyn FnMut(GateProgress),
) -> Result<BTreeMap<String, Option<String>>> {
    let since = since.to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    let deadline = Instant::now() + opts.verify_timeout;
    let mut verdicts: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut healthy: HashMap<String, ()> = HashMap::new();
    let mut soak_until: Option<Instant> = None;
    loop {
        let open: Vec<&Watched> = watched
            .iter()
            .filter(|w| !verdicts.contains_key(&w.router))
            .collect();
        if open.is_empty() {
            break;
        }
        let health = read_health(client, &open, &since)?;
        judge(&open, &health, &mut verdicts, &mut healthy);
        let now = Instant::now();
        let waiting = open
            .iter()
            .filter(|w| !verdicts.contains_key(&w.router) && !healthy.contains_key(&w.router))
            .count();
        if waiting == 0 {
            let until = *soak_until.get_or_insert(now + opts.soak);
            if now >= until {
                for w in &open {
                    verdicts.entry(w.router.clone()).or_insert(None);
                }
                break;
            }
        } else if now >= deadline {
            time_out(&open, &health, &mut verdicts, &healthy, opts);
            continue;
        }
        let failed = verdicts.values().filter(|v| v.is_some()).count();
        let what = if waiting > 0 {
            "waiting for sync"
        } else {
            "soaking"
        };
        progress(GateProgress {
            healthy: healthy.len(),
            waiting,
            failed,
            what,
        });
        client.transport().check_cancel()?;
        let next = match soak_until {
            Some(t) if waiting == 0 => t,
            _ => deadline,
        };
        let pause = opts
            .poll_interval
            .min(next.saturating_duration_since(Instant::now()));
        client.transport().sleep(pause)?;
    }
    Ok(verdicts)
}
