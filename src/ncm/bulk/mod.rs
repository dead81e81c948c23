//! Bulk config writes that are safe at fleet scale: a plan first (per router, what changes and
//! what is already compliant), then waves with health gates (canaries first, each wave must sync
//! and stay healthy before the next), a failure budget that halts the run, offline routers last,
//! a journal that makes every run resumable and tells *sent* from *verified*, and a rollback
//! from each router's pre-change snapshot. Writes are paced by a client-side rate limit with
//! bounded concurrency; retries come from the transport.

pub mod gate;
pub mod journal;
pub mod options;
pub mod rollback;
pub mod rows;
pub mod state;
pub mod waves;

use crate::diff::Diff;
use crate::error::{Error, Result};
use crate::ncm::client::NcmClient;
use gate::{GateOptions, GateProgress, Watched};
pub use journal::JournalFile;
use journal::{Journal, Mark, Snapshot};
use rollback::Reverted;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use state::{Action, PathChange, PlanEntry, RouterState};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use waves::Amount;

/// One router's change.
#[derive(Debug, Clone)]
pub struct Change {
    pub router: String,
    pub diff: Diff,
}

/// How a change is written: merged into the individual config, or replacing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMethod {
    Patch,
    Put,
}

#[derive(Debug, Clone)]
pub struct BulkOptions {
    pub concurrency: usize,
    /// Writes per second across all workers (0: unlimited).
    pub rate: f64,
    pub method: WriteMethod,
    pub journal: Option<JournalFile>,
    /// Health-gate every wave (sync, online, not suspended, no rejection) before the next.
    pub verify: bool,
    pub verify_timeout: Duration,
    pub poll_interval: Duration,
    /// Cumulative wave targets; empty: one wave. 100% is implied at the end.
    pub waves: Vec<Amount>,
    /// How long a wave must stay healthy after it synced.
    pub soak: Duration,
    /// Failures the run tolerates (None: any; default 0, the first failure halts); one more
    /// halts it. Whatever the budget, any failure in the first wave of a staged run halts it.
    pub max_failures: Option<Amount>,
    /// Revert the run's writes when it halts.
    pub rollback: bool,
    /// Allow a PUT that drops a router's own secrets.
    pub drop_secrets: bool,
    pub progress: bool,
    pub label: String,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: 4,
            rate: 20.0,
            method: WriteMethod::Patch,
            journal: None,
            verify: false,
            verify_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(5),
            waves: vec![],
            soak: Duration::ZERO,
            max_failures: Some(Amount::Count(0)),
            rollback: false,
            drop_secrets: false,
            progress: true,
            label: "applying".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Written and (with `verify`) seen healthy.
    Ok,
    Failed,
    Skipped,
    /// Sent to an offline device, or not synched when verification gave up.
    Pending,
    /// The individual configuration already carries the change: not written.
    Unchanged,
    RolledBack,
    /// Rolled back, with paths the run added set to the values the router inherited before.
    RolledBackPinned,
    ManualRollback,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Pending => "pending",
            Status::Unchanged => "unchanged",
            Status::RolledBack => "rolled back",
            Status::RolledBackPinned => "rolled back (value pinned)",
            Status::ManualRollback => "needs manual rollback",
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
    /// The wave that wrote (or verified) it: 1.., offline routers after the last; 0: none.
    pub wave: usize,
    /// `patch`, `put`, `unchanged` or `refused`.
    pub method: &'static str,
    /// What the change sets or removes, with current and new values (secrets as `*`).
    pub paths: Vec<PathChange>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Why the run halted, when it did.
    pub halted: Option<String>,
    /// The rollback done on halt (`rollback: true`).
    pub rollback: Vec<Reverted>,
    /// What the operator can do next (undo, continue), as commands, when the run halted.
    pub next: Vec<String>,
}

/// A stable fingerprint of what is applied, so a journal never mistakes one change for another.
pub fn fingerprint(d: &Diff, method: WriteMethod) -> String {
    let mut h = Sha256::new();
    h.update(if method == WriteMethod::Put {
        b"PUT " as &[u8]
    } else {
        b"PATCH "
    });
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

/// The plan of a bulk write: per router, what it would do, and the routers' states.
pub struct Plan {
    pub entries: Vec<PlanEntry>,
    pub states: HashMap<String, RouterState>,
}

/// Plans `changes` without writing: reads each router's current individual configuration and
/// state in a few paged requests and says, per router, what the write would be.
pub fn plan(client: &Arc<NcmClient>, changes: &[Change], opts: &BulkOptions) -> Result<Plan> {
    let routers: Vec<String> = changes.iter().map(|c| c.router.clone()).collect();
    let states = state::read_states(client, &routers)?;
    let entries = changes
        .iter()
        .map(|c| state::plan_one(states.get(&c.router), c, opts.method, opts.drop_secrets))
        .collect();
    Ok(Plan { entries, states })
}

mod run;
pub use run::apply_all;

/// Rolls back the writes a journal recorded (see `rollback::rollback`).
pub fn rollback_journal(
    client: &Arc<NcmClient>,
    file: &JournalFile,
    rate: f64,
) -> Result<Vec<Reverted>> {
    // A dry run changes nothing, the journal included.
    let mut journal = if client.transport().options.dry_run {
        Journal::read_only(Some(file))?
    } else {
        Journal::open(Some(file))?
    };
    journal.intact()?;
    let snapshots = journal.to_roll_back();
    rollback::rollback(client, &snapshots, &mut journal, rate)
}

/// The progress bar of a run (hidden when stderr is not a terminal).
fn progress_bar(len: usize, label: &str, enabled: bool) -> crate::progress::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return crate::progress::ProgressBar::hidden();
    }
    let pb = crate::progress::ProgressBar::new(len as u64);
    pb.set_style(
        crate::progress::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} routers, eta {eta}",
        )
        .unwrap_or_else(|_| crate::progress::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    pb
}
