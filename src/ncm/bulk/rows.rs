//! What scripts see of a plan, a run and a rollback: one row per router (its action or status,
//! the reason, the paths changed with their values, secrets as `*`), and a plan's totals.
//! Serialised as they are into script values (`rhai::serde::to_dynamic`).

use super::rollback::Reverted;
use super::state::{Action, Totals};
use super::{Outcome, Plan, Report};
use crate::diff::PathRow;
use serde::Serialize;
use serde_json::Value;

/// One router of a run: how it ended, and why the run halted, if it did.
#[derive(Debug, Serialize)]
pub struct OutcomeRow {
    pub router: String,
    pub config_manager: Option<String>,
    pub status: &'static str,
    pub reason: String,
    pub http_status: Option<u16>,
    pub wave: usize,
    pub method: &'static str,
    pub changes: Vec<PathRow>,
    pub halted: String,
    pub next: String,
}

impl Report {
    /// A row per router, each naming the halt (and what to do next) when the run halted.
    pub fn rows(&self) -> Vec<OutcomeRow> {
        self.outcomes.iter().map(|o| self.row(o)).collect()
    }

    fn row(&self, o: &Outcome) -> OutcomeRow {
        OutcomeRow {
            router: o.router.clone(),
            config_manager: o.config_manager.clone(),
            status: o.status.as_str(),
            reason: o.reason.clone(),
            http_status: o.http_status,
            wave: o.wave,
            method: o.method,
            changes: o.paths.iter().map(|p| p.row()).collect(),
            halted: self.halted.clone().unwrap_or_default(),
            next: self.next.join("; "),
        }
    }
}

/// One router of a plan: what it is, and what the write would be.
#[derive(Debug, Serialize)]
pub struct PlanRow {
    pub router: String,
    pub name: String,
    pub product: String,
    pub firmware: String,
    pub state: String,
    pub config_manager: Option<String>,
    pub action: &'static str,
    pub reason: String,
    pub changes: Vec<PathRow>,
}

/// A plan as scripts see it: a row per router, and the totals.
#[derive(Debug, Serialize)]
pub struct PlanSummary {
    pub routers: Vec<PlanRow>,
    pub totals: Value,
}

impl Plan {
    pub fn summary(&self) -> PlanSummary {
        let routers = self
            .entries
            .iter()
            .map(|e| {
                let s = self.states.get(&e.router).cloned().unwrap_or_default();
                let reason = match &e.action {
                    Action::Refuse(why) => why.clone(),
                    _ => String::new(),
                };
                PlanRow {
                    router: e.router.clone(),
                    name: s.name,
                    product: s.product,
                    firmware: s.firmware,
                    state: s.state,
                    config_manager: s.config_manager,
                    action: e.verb(),
                    reason,
                    changes: e.paths.iter().map(|p| p.row()).collect(),
                }
            })
            .collect();
        PlanSummary {
            routers,
            totals: Totals::of(&self.entries, &self.states).to_value(),
        }
    }
}

/// One router of a rollback: how its revert ended, and what it wrote.
#[derive(Debug, Serialize)]
pub struct RevertRow {
    pub router: String,
    pub status: &'static str,
    pub reason: String,
    pub method: &'static str,
    pub changes: Vec<PathRow>,
}

impl Reverted {
    pub fn row(&self) -> RevertRow {
        RevertRow {
            router: self.router.clone(),
            status: self.status,
            reason: self.reason.clone(),
            method: self.method,
            changes: self.paths.iter().map(|p| p.row()).collect(),
        }
    }
}
