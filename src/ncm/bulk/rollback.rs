//! Rolling a run back: every router the run changed gets back the *effective* configuration it
//! had before the run's write, with a PATCH wherever one can do it — the previous individual
//! values put back, and a path the run added set back to the value the router inherited before
//! (its firmware default with its group's configuration over it: "value pinned"). Only a path
//! with no previous value needs a removal, so a PUT of the previous individual configuration;
//! a masked secret (`"*"`) is never written, so a router whose PUT would drop one is reported
//! `needs manual rollback` with the paths, and the others are still rolled back. Under
//! `--dry-run` each router's revert is planned and shown (path, current value, value written),
//! nothing is sent and nothing is journaled.

use super::journal::{Journal, Mark, Snapshot};
use super::state::{path_lines, read_states, RouterState};
use crate::diff::{self, Diff, PathChange};
use crate::error::{Error, Result};
use crate::ncm::client::NcmClient;
use crate::ncm::query as q;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// How one router's rollback ended (or, in a dry run, would end).
#[derive(Debug, Clone, PartialEq)]
pub struct Reverted {
    pub router: String,
    /// `rolled back`, `rolled back (value pinned)`, `nothing to revert`, `needs manual
    /// rollback` or `failed`; in a dry run `would roll back` and `would roll back (value
    /// pinned)` instead of the first two.
    pub status: &'static str,
    pub reason: String,
    /// `patch`, `put`, or "" when nothing is written.
    pub method: &'static str,
    /// What the revert writes: each path with its current value and the value written.
    pub paths: Vec<PathChange>,
}

impl Reverted {
    /// Did the revert put (or, in a dry run, would it put) the router back?
    pub fn restores(&self) -> bool {
        matches!(
            self.status,
            "rolled back"
                | "rolled back (value pinned)"
                | "nothing to revert"
                | "would roll back"
                | "would roll back (value pinned)"
        )
    }
}

fn reverted(router: &str, status: &'static str, reason: impl Into<String>) -> Reverted {
    Reverted {
        router: router.to_string(),
        status,
        reason: reason.into(),
        method: "",
        paths: vec![],
    }
}

/// A router's individual configuration as a tree (secrets as `"*"`).
fn tree(d: &Diff) -> Value {
    diff::apply(&json!({}), d).unwrap_or_else(|_| json!({}))
}

/// Does putting `prev` back over `cur` remove any path (so a PATCH alone cannot do it)?
fn needs_removal(cur: &Diff, prev: &Diff) -> bool {
    !diff::between(&tree(cur), &tree(prev)).removals.is_empty()
}

/// The layers under each router's individual configuration: its firmware's default
/// configuration and its group's configuration (what it runs without an individual one).
#[derive(Default)]
struct Layers {
    defaults: HashMap<String, Value>,
    groups: HashMap<String, Diff>,
    empty: Diff,
}

impl Layers {
    /// The default and the group diff of a router, when both could be read.
    fn of(&self, r: &RouterState) -> Option<(&Value, &Diff)> {
        let default = self.defaults.get(&r.firmware_id)?;
        let group = match r.group.as_str() {
            "" => &self.empty,
            g => self.groups.get(g)?,
        };
        Some((default, group))
    }
}

/// A layer that could not be read: the routers on it fall back to a removal (a PUT), which the
/// secret rule still guards; only an interrupt stops the rollback.
fn unreadable<T>(what: &str, e: Error) -> Result<Option<T>> {
    if matches!(e, Error::Interrupted) {
        return Err(e);
    }
    crate::logging::log_line(
        "WARN",
        &format!("rollback: {what} could not be read ({}); a path its routers' run added needs a removal (a PUT)", e.short_message()),
    );
    Ok(None)
}

/// Reads the layers of these routers: one request per distinct firmware and one listing of
/// the groups (split at 100 ids).
fn read_layers(client: &Arc<NcmClient>, routers: &[&RouterState]) -> Result<Layers> {
    let mut layers = Layers::default();
    let mut tried = std::collections::HashSet::new();
    for r in routers {
        if r.firmware_id.is_empty() || !tried.insert(r.firmware_id.clone()) {
            continue;
        }
        let what = format!("the default configuration of firmware {}", r.firmware_id);
        let read = client.default_config(&r.firmware_id).map(Some);
        if let Some(v) = read.or_else(|e| unreadable(&what, e))? {
            layers.defaults.insert(r.firmware_id.clone(), v);
        }
    }
    let mut group_ids: Vec<String> = routers
        .iter()
        .filter(|r| !r.group.is_empty())
        .map(|r| r.group.clone())
        .collect();
    group_ids.sort();
    group_ids.dedup();
    if group_ids.is_empty() {
        return Ok(layers);
    }
    let q = q(json!({"id__in": group_ids, "fields": ["id", "configuration"]}));
    let rows = client.list("groups", &q).map(Some);
    for g in rows
        .or_else(|e| unreadable("the groups' configurations", e))?
        .unwrap_or_default()
    {
        if let Ok(d) = Diff::from_value(&g["configuration"]) {
            layers.groups.insert(super::state::text(&g["id"]), d);
        }
    }
    Ok(layers)
}

/// The revert of one router, planned: the write to send, or why there is none.
enum Planned {
    Done(Reverted),
    Write {
        plan: diff::RevertPlan,
        paths: Vec<PathChange>,
    },
}

/// Plans one router's revert from its snapshot, its current individual configuration and the
/// layers under it (when known).
fn plan_one(s: &Snapshot, cur: &Diff, layers: Option<(&Value, &Diff)>) -> Planned {
    let prev = match Diff::from_value(&s.before) {
        Ok(d) => d,
        Err(e) => {
            return Planned::Done(reverted(
                &s.router,
                "failed",
                format!("the journal's snapshot is not a config diff: {}", e.message),
            ))
        }
    };
    let secrets: Vec<Vec<Value>> = s.secrets.iter().map(diff::parse_path).collect();
    let plan = match diff::plan_revert(cur, &prev, &secrets, layers) {
        Err(i) => {
            return Planned::Done(reverted(
                &s.router,
                "failed",
                format!("the snapshot does not apply: {}", i.without_value()),
            ))
        }
        Ok(Err(e)) => {
            let paths: Vec<String> = e.secrets.iter().map(|p| diff::path_text(p)).collect();
            return Planned::Done(reverted(&s.router, "needs manual rollback", format!(
                "reverting would have to write or drop the secret(s) {} (they read back as \"*\"); restore the configuration by hand",
                paths.join(", ")
            )));
        }
        Ok(Ok(p)) => p,
    };
    if plan.write.change.is_empty() {
        return Planned::Done(reverted(
            &s.router,
            "nothing to revert",
            "the configuration is already as before the run",
        ));
    }
    let before = tree(cur);
    let after = if plan.write.patch {
        diff::apply(&before, &plan.write.send).unwrap_or_else(|_| before.clone())
    } else {
        tree(&plan.write.send)
    };
    let paths = diff::changed_paths(&before, &after);
    Planned::Write { plan, paths }
}

/// Sends one planned revert (or, in a dry run, shows it) and says how it ended.
fn send_one(
    client: &Arc<NcmClient>,
    s: &Snapshot,
    plan: &diff::RevertPlan,
    paths: Vec<PathChange>,
    offline: bool,
    pacer: &Option<crate::http::RateLimiter>,
) -> Result<Reverted> {
    let dry = client.transport().options.dry_run;
    let pinned = !plan.pinned.is_empty();
    let (status, how) = match (dry, plan.write.patch, pinned) {
        (false, true, false) => ("rolled back", "PATCH of the previous values"),
        (false, true, true) => ("rolled back (value pinned)", "PATCH of the previous values; the paths the run added are set to the values the router inherited before (firmware default and group)"),
        (false, false, _) => ("rolled back", "PUT of the previous configuration"),
        (true, true, false) => ("would roll back", "a PATCH of the previous values"),
        (true, true, true) => ("would roll back (value pinned)", "a PATCH of the previous values, the paths the run added set to the values the router inherited before"),
        (true, false, _) => ("would roll back", "a PUT of the previous configuration"),
    };
    let method = if plan.write.patch { "patch" } else { "put" };
    if dry {
        let t = client.transport();
        t.dry_run_note(&format!(
            "dry-run: rollback: router {}: {}",
            s.router,
            method.to_uppercase()
        ));
        for line in path_lines(&paths) {
            t.dry_run_note(&format!("dry-run: {line}"));
        }
    }
    if let Some(p) = pacer {
        p.acquire(&client.transport().cancel)?;
    }
    let body = json!({"configuration": plan.write.send.to_value()});
    let sent = if plan.write.patch {
        client.patch("configuration_managers", &s.config_manager, &body)
    } else {
        client.update("configuration_managers", &s.config_manager, &body)
    };
    match sent {
        Ok(_) => {
            let note = if offline {
                "; the device is offline: when it reconnects, check its config sync (ncm::resume_sync if suspended)"
            } else {
                ""
            };
            Ok(Reverted {
                method,
                paths,
                ..reverted(&s.router, status, format!("{how}{note}"))
            })
        }
        Err(Error::Interrupted) => Err(Error::Interrupted),
        Err(e) => Ok(reverted(&s.router, "failed", e.reason_without_values())),
    }
}

/// Rolls back every snapshot (routers in the order they were written), recording each in the
/// journal (not in a dry run). Ctrl-C stops between routers; what is done stays recorded.
pub fn rollback(
    client: &Arc<NcmClient>,
    snapshots: &[Snapshot],
    journal: &mut Journal,
    rate: f64,
) -> Result<Vec<Reverted>> {
    let routers: Vec<String> = snapshots.iter().map(|s| s.router.clone()).collect();
    let states = read_states(client, &routers)?;
    let current = |s: &Snapshot| -> Option<Result<Diff, String>> {
        Some(super::state::current_config(
            &states.get(&s.router)?.configuration,
        ))
    };
    // Only routers whose revert would remove a path need the layers under them.
    let needing: Vec<&RouterState> = snapshots
        .iter()
        .filter(|s| {
            let prev = Diff::from_value(&s.before).unwrap_or_default();
            matches!(current(s), Some(Ok(cur)) if needs_removal(&cur, &prev))
        })
        .filter_map(|s| states.get(&s.router))
        .collect();
    let layers = if needing.is_empty() {
        Layers::default()
    } else {
        read_layers(client, &needing)?
    };
    let pacer = crate::http::RateLimiter::per_second(rate);
    let dry = client.transport().options.dry_run;
    let mut out = vec![];
    for s in snapshots {
        client.transport().check_cancel()?;
        let (Some(state), Some(cur)) = (states.get(&s.router), current(s)) else {
            out.push(reverted(
                &s.router,
                "failed",
                "the router is gone from the account",
            ));
            continue;
        };
        let cur = match cur {
            Ok(c) => c,
            Err(why) => {
                out.push(reverted(&s.router, "failed", why));
                continue;
            }
        };
        let r = match plan_one(s, &cur, layers.of(state)) {
            Planned::Done(r) => r,
            Planned::Write { plan, paths } => {
                send_one(client, s, &plan, paths, !state.online(), &pacer)?
            }
        };
        if !dry
            && matches!(
                r.status,
                "rolled back" | "rolled back (value pinned)" | "nothing to revert"
            )
        {
            journal.record(&s.router, &s.change, Mark::RolledBack, &r.reason)?;
        }
        out.push(r);
    }
    Ok(out)
}
