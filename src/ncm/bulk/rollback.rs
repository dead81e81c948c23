//! Rolling a run back: every router the run changed gets its individual configuration from
//! before the run's write (the journal's snapshot) with the smallest write — a PATCH of the
//! previous values when no path has to be removed, a PUT of the previous configuration
//! otherwise. A masked secret (`"*"`) is never written: a router whose revert would need one
//! is reported `needs manual rollback` with the paths, and the others are still rolled back.

use super::journal::{Journal, Mark, Snapshot};
use super::state::read_states;
use crate::diff::{self, Diff};
use crate::error::{Error, Result};
use crate::ncm::client::NcmClient;
use serde_json::{json, Value};
use std::sync::Arc;

/// How one router's rollback ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverted {
    pub router: String,
    /// `rolled back`, `nothing to revert`, `needs manual rollback` or `failed`.
    pub status: &'static str,
    pub reason: String,
}

fn reverted(router: &str, status: &'static str, reason: impl Into<String>) -> Reverted {
    Reverted {
        router: router.to_string(),
        status,
        reason: reason.into(),
    }
}

/// Reverts one router from its snapshot, given its current individual configuration.
fn revert_one(
    client: &Arc<NcmClient>,
    s: &Snapshot,
    current: &Value,
    offline: bool,
    pacer: &Option<crate::http::RateLimiter>,
) -> Result<Reverted> {
    let cur = Diff::from_value(current).unwrap_or_default();
    let prev = match Diff::from_value(&s.before) {
        Ok(d) => d,
        Err(e) => {
            return Ok(reverted(
                &s.router,
                "failed",
                format!("the journal's snapshot is not a config diff: {}", e.message),
            ))
        }
    };
    let secrets: Vec<Vec<Value>> = s.secrets.iter().map(diff::parse_path).collect();
    let plan = match diff::plan_revert(&cur, &prev, &secrets) {
        Err(i) => {
            return Ok(reverted(
                &s.router,
                "failed",
                format!("the snapshot does not apply: {}", i.message),
            ))
        }
        Ok(Err(e)) => {
            let paths: Vec<String> = e.secrets.iter().map(|p| diff::path_text(p)).collect();
            return Ok(reverted(&s.router, "needs manual rollback", format!(
                "reverting would have to write or drop the secret(s) {} (they read back as \"*\"); restore the configuration by hand",
                paths.join(", ")
            )));
        }
        Ok(Ok(p)) => p,
    };
    if plan.change.is_empty() {
        return Ok(reverted(
            &s.router,
            "nothing to revert",
            "the configuration is already as before the run",
        ));
    }
    if let Some(p) = pacer {
        p.acquire(&client.transport().cancel)?;
    }
    let body = json!({"configuration": plan.send.to_value()});
    let sent = if plan.patch {
        client.patch("configuration_managers", &s.config_manager, &body)
    } else {
        client.update("configuration_managers", &s.config_manager, &body)
    };
    match sent {
        Ok(_) => {
            let how = if plan.patch {
                "PATCH of the previous values"
            } else {
                "PUT of the previous configuration"
            };
            let note = if offline {
                "; the device is offline: when it reconnects, check its config sync (ncm::resume_sync if suspended)"
            } else {
                ""
            };
            Ok(reverted(&s.router, "rolled back", format!("{how}{note}")))
        }
        Err(Error::Interrupted) => Err(Error::Interrupted),
        Err(e) => Ok(reverted(&s.router, "failed", e.short_message())),
    }
}

/// Rolls back every snapshot (routers in the order they were written), recording each in the
/// journal. Ctrl-C stops between routers; what is done stays recorded.
pub fn rollback(
    client: &Arc<NcmClient>,
    snapshots: &[Snapshot],
    journal: &mut Journal,
    rate: f64,
) -> Result<Vec<Reverted>> {
    let routers: Vec<String> = snapshots.iter().map(|s| s.router.clone()).collect();
    let states = read_states(client, &routers)?;
    let pacer = crate::http::RateLimiter::per_second(rate);
    let dry = client.transport().options.dry_run;
    let mut out = vec![];
    for s in snapshots {
        client.transport().check_cancel()?;
        let Some(state) = states.get(&s.router) else {
            out.push(reverted(
                &s.router,
                "failed",
                "the router is gone from the account",
            ));
            continue;
        };
        let r = revert_one(client, s, &state.configuration, !state.online(), &pacer)?;
        if r.status == "rolled back" && !dry {
            journal.record(&s.router, &s.change, Mark::RolledBack, &r.reason);
        }
        if r.status == "nothing to revert" {
            journal.record(&s.router, &s.change, Mark::RolledBack, &r.reason);
        }
        out.push(r);
    }
    Ok(out)
}
