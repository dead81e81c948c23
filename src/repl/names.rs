//! Router and group names of the account, for Tab completion: fetched on a thread of their own
//! (names only, quietly) once the operator starts typing where a name goes, kept for a few
//! minutes and fetched again in the background when stale. No name is fetched in a session
//! that never asks for one.
//! The prompt never waits for them longer than a moment: a huge account completes names once
//! its listing has arrived.

use crate::ncm::client::NcmClient;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long fetched names are used before they are fetched again.
pub const NAMES_TTL: Duration = Duration::from_secs(300);

/// The names completion offers.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub routers: Vec<String>,
    pub groups: Vec<String>,
}

#[derive(Default)]
struct State {
    names: Option<Arc<Names>>,
    fetched_at: Option<Instant>,
    fetching: bool,
}

/// The account's names, fetched in the background.
pub struct NameCache {
    client: Arc<NcmClient>,
    state: Mutex<State>,
    arrived: Condvar,
    ttl: Duration,
}

impl NameCache {
    pub fn new(client: Arc<NcmClient>, ttl: Duration) -> Arc<Self> {
        Arc::new(NameCache {
            client,
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            ttl,
        })
    }

    /// Starts a fetch in the background when there are no names yet or they are stale; never
    /// waits (called as the operator types where a name goes, before any Tab).
    pub fn warm(self: &Arc<Self>) {
        let stale = {
            let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.fetched_at.is_none_or(|t| t.elapsed() > self.ttl)
        };
        if stale {
            self.refresh();
        }
    }

    /// Starts a fetch on a thread of its own unless one is under way.
    pub fn refresh(self: &Arc<Self>) {
        {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if s.fetching {
                return;
            }
            s.fetching = true;
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("fleetscript-names".into())
            .spawn(move || {
                let fetched = me.fetch();
                let mut s = me.state.lock().unwrap_or_else(|e| e.into_inner());
                s.fetching = false;
                s.fetched_at = Some(Instant::now());
                // A failed fetch (no credentials, offline) keeps what there was.
                if let Some(n) = fetched {
                    s.names = Some(Arc::new(n));
                }
                me.arrived.notify_all();
            });
        if spawned.is_err() {
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .fetching = false;
        }
    }

    /// The names, sorted; `None` when none have arrived within `wait`. Stale names are
    /// returned while fresh ones are fetched.
    pub fn names(self: &Arc<Self>, wait: Duration) -> Option<Arc<Names>> {
        self.warm();
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (s, _) = self
            .arrived
            .wait_timeout_while(s, wait, |s| s.names.is_none() && s.fetching)
            .unwrap_or_else(|e| e.into_inner());
        s.names.clone()
    }

    fn fetch(&self) -> Option<Names> {
        let list = |endpoint: &str| -> Option<Vec<String>> {
            let q = serde_json::json!({"fields": ["name"]});
            let records = self
                .client
                .pages(endpoint, q.as_object()?)
                .ok()?
                .collect_all(None)
                .ok()?;
            let mut names: Vec<String> = records
                .iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect();
            names.sort();
            names.dedup();
            Some(names)
        };
        Some(Names {
            groups: list("groups")?,
            routers: list("routers")?,
        })
    }
}
