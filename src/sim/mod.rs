//! The API simulator (NCM API v2 and IgniteNet Cloud): a deterministic seeded fleet served over
//! HTTP on a loopback port, enforcing what the real clouds enforce, with per-route request
//! counters and injectable faults/latency. It runs on its own tokio runtime thread so blocking clients can call it from anywhere.
//! The whole module is the `sim` feature; `sandbox` wires it to a `Runtime` from the outside.

#![cfg(feature = "sim")]

pub mod config_sync;
pub mod firmware;
pub mod fleet;
pub mod front;
pub mod ignitenet;
pub mod ncos;
pub mod sandbox;
pub mod server;
pub mod store;

use crate::error::{Error, Result};
use crate::ncm::NcmCredentials;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub use sandbox::Sandbox;

/// The sandbox keys `--sandbox` uses; the simulator accepts exactly these by default.
pub fn sandbox_credentials() -> NcmCredentials {
    NcmCredentials {
        cp_api_id: "sandbox-cp-id".into(),
        cp_api_key: "sandbox-cp-key".into(),
        ecm_api_id: "sandbox-ecm-id".into(),
        ecm_api_key: "sandbox-ecm-key".into(),
    }
}

/// The IgniteNet API key `--sandbox` uses.
pub const SANDBOX_IGNITENET_KEY: &str = "sandbox1.ignitenet-key";

/// An injected fault: requests number `nth` .. `nth + times - 1` to the route answer `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// `None`: any method.
    pub method: Option<String>,
    /// Endpoint name; `None`: any endpoint.
    pub endpoint: Option<String>,
    /// 1-based request number on that route (method + endpoint).
    pub nth: u64,
    pub times: u64,
    pub status: u16,
    pub retry_after: Option<u64>,
}

impl Fault {
    pub fn new(method: &str, endpoint: &str, nth: u64, status: u16) -> Self {
        Fault {
            method: Some(method.to_ascii_uppercase()),
            endpoint: Some(endpoint.to_string()),
            nth,
            times: 1,
            status,
            retry_after: None,
        }
    }
    pub fn times(mut self, n: u64) -> Self {
        self.times = n;
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Parses `METHOD:ENDPOINT:NTH:STATUS[:RETRY_AFTER]` (`*` for any method or endpoint).
    pub fn parse(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || {
            Error::invalid(format!(
                "bad --fault {s:?}: expected METHOD:ENDPOINT:NTH:STATUS[:RETRY_AFTER], e.g. GET:routers:2:503:1"
            ))
        };
        if parts.len() < 4 || parts.len() > 5 {
            return Err(bad());
        }
        let any = |p: &str| (p != "*").then(|| p.to_string());
        Ok(Fault {
            method: any(parts[0]).map(|m| m.to_ascii_uppercase()),
            endpoint: any(parts[1]),
            nth: parts[2].parse().map_err(|_| bad())?,
            times: 1,
            status: parts[3].parse().map_err(|_| bad())?,
            retry_after: match parts.get(4) {
                Some(p) => Some(p.parse().map_err(|_| bad())?),
                None => None,
            },
        })
    }
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub routers: usize,
    pub seed: u64,
    pub latency: Duration,
    /// Fraction (0..1) of requests answered 503 at random (seeded).
    pub fail_rate: f64,
    pub faults: Vec<Fault>,
    pub ncm_keys: NcmCredentials,
    /// Address to bind; `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    /// How long an online device takes to sync a changed config.
    pub sync_delay: Duration,
    /// Router ids whose devices reject every config they are sent (sync becomes suspended).
    pub reject_config: Vec<String>,
    /// An APN that cuts a device off: a device that syncs a config setting it goes offline, and
    /// after `rollback_after` reverts its config, comes back and has its config sync suspended
    /// (the spec's "Config Rollback").
    pub break_apn: Option<String>,
    /// How long a cut-off device takes to roll back (the spec: 15 minutes).
    pub rollback_after: Duration,
    /// How long a router is offline installing a firmware upgrade (it downloads for one
    /// `sync_delay` first).
    pub upgrade_time: Duration,
    /// A firmware version whose install fails (`success: false`, the router back on its old
    /// firmware).
    pub break_firmware: Option<String>,
    /// A firmware version that leaves the router offline for good.
    pub brick_firmware: Option<String>,
    /// The IgniteNet `x-api-key` the simulator accepts.
    pub ignitenet_key: String,
    /// IgniteNet sites, and devices in each.
    pub ignitenet_sites: usize,
    pub ignitenet_devices_per_site: usize,
    /// IgniteNet's request limit, answered with 429 beyond it (the real API: 200 per 10 s).
    pub ignitenet_rate_limit: crate::http::RateLimit,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            routers: 50,
            seed: 1,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            faults: vec![],
            ncm_keys: sandbox_credentials(),
            addr: "127.0.0.1:0".parse().unwrap(),
            sync_delay: Duration::from_secs(2),
            reject_config: vec![],
            break_apn: None,
            rollback_after: Duration::from_secs(900),
            upgrade_time: Duration::from_secs(60),
            break_firmware: None,
            brick_firmware: None,
            ignitenet_key: SANDBOX_IGNITENET_KEY.into(),
            ignitenet_sites: 3,
            ignitenet_devices_per_site: 6,
            ignitenet_rate_limit: crate::http::RateLimit {
                requests: 200,
                per: Duration::from_secs(10),
            },
        }
    }
}

/// Request accounting, readable by tests.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    /// `"GET routers"` → count (collection and detail requests alike).
    pub routes: HashMap<String, u64>,
    pub total: u64,
    pub redirects: u64,
    pub unauthorized: u64,
    /// POST/PUT/PATCH/DELETE requests that reached an endpoint.
    pub writes: u64,
    pub reboots: Vec<String>,
    /// IgniteNet requests answered 429 by the rate limit.
    pub too_many: u64,
    /// Every NCM write that reached an endpoint: when, and `"PATCH configuration_managers/7"`.
    pub write_log: Vec<(std::time::Instant, String)>,
    /// Requests being answered right now, and the most there ever were at once.
    pub in_flight: usize,
    pub max_in_flight: usize,
}

impl Counters {
    pub fn route(&self, method: &str, endpoint: &str) -> u64 {
        self.routes
            .get(&format!("{} {endpoint}", method.to_ascii_uppercase()))
            .copied()
            .unwrap_or(0)
    }
}

pub struct SimState {
    pub store: RwLock<store::Store>,
    /// Which records a filtered or ordered listing selects, per store generation.
    pub listings: Mutex<server::ListingCache>,
    pub counters: Mutex<Counters>,
    pub faults: Mutex<Vec<Fault>>,
    pub latency_ms: std::sync::atomic::AtomicU64,
    pub fail_rate: Mutex<(f64, rand_chacha::ChaCha8Rng)>,
    pub keys: NcmCredentials,
    pub ignitenet: Mutex<ignitenet::IgStore>,
    pub ignitenet_key: String,
    pub ignitenet_limit: Mutex<(
        crate::http::RateLimit,
        std::collections::VecDeque<std::time::Instant>,
    )>,
}

/// A running simulator. Dropping it shuts the server down.
pub struct Simulator {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The simulator's listening socket (non-blocking, for tokio) and the address it got.
fn bind(addr: SocketAddr) -> Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Error::Config(format!("simulator cannot bind {addr}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("simulator socket", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("simulator socket", e))?;
    Ok((listener, addr))
}

/// The options that change how the store answers: sync and upgrade timings, rejected and broken
/// configurations, broken and bricking firmware.
fn apply_store_options(store: &mut store::Store, opts: &SimOptions) {
    store.sync_delay = opts.sync_delay;
    store.rejecting = opts.reject_config.iter().cloned().collect();
    store.break_apn = opts.break_apn.clone();
    store.rollback_after = opts.rollback_after;
    store.upgrades.install_time = opts.upgrade_time;
    store.upgrades.download_time = opts.sync_delay;
    store.upgrades.break_version = opts.break_firmware.clone();
    store.upgrades.brick_version = opts.brick_firmware.clone();
}

impl SimState {
    /// The state around a generated store: the IgniteNet cloud generated from the same seed,
    /// faults, latency, failure rate, keys and rate limit as the options say.
    fn new(store: store::Store, opts: &SimOptions) -> SimState {
        use rand::SeedableRng;
        SimState {
            store: RwLock::new(store),
            listings: Mutex::new(server::ListingCache::default()),
            counters: Mutex::new(Counters::default()),
            faults: Mutex::new(opts.faults.clone()),
            latency_ms: (opts.latency.as_millis() as u64).into(),
            fail_rate: Mutex::new((
                opts.fail_rate,
                rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed),
            )),
            keys: opts.ncm_keys.clone(),
            ignitenet: Mutex::new(ignitenet::generate(
                opts.ignitenet_sites,
                opts.ignitenet_devices_per_site,
                opts.seed,
                chrono::Utc::now(),
            )),
            ignitenet_key: opts.ignitenet_key.clone(),
            ignitenet_limit: Mutex::new((opts.ignitenet_rate_limit, Default::default())),
        }
    }
}

/// Serves `state` on `listener` from a thread of its own (with its own runtime) until the
/// returned sender is used or dropped; returns once the server is up, or why it is not.
fn spawn_server(
    listener: std::net::TcpListener,
    state: Arc<SimState>,
) -> Result<(
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::result::Result<(), String>>();
    let thread = std::thread::Builder::new()
        .name("fleetscript-sim".into())
        .spawn(move || serve(listener, state, rx, ready_tx))
        .map_err(|e| Error::io("simulator thread", e))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((tx, thread)),
        Ok(Err(e)) => Err(Error::Config(format!("simulator failed to start: {e}"))),
        Err(_) => Err(Error::Config("simulator failed to start".into())),
    }
}

/// The server thread: a runtime, the listener handed to it, then the routes served until
/// `shutdown`; `ready` says whether it got that far.
fn serve(
    listener: std::net::TcpListener,
    state: Arc<SimState>,
    shutdown: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<std::result::Result<(), String>>,
) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let app = front::router(state);
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = shutdown.await;
            })
            .await;
    });
}

impl Simulator {
    pub fn start(opts: SimOptions) -> Result<Simulator> {
        let mut store = fleet::generate(
            opts.routers,
            opts.seed,
            chrono::Utc::now(),
            "https://www.cradlepointecm.com/api/v2/",
        );
        // Bound only once the fleet exists: a client that can connect gets answers at once
        // (a 100,000-router fleet takes seconds to generate).
        let (listener, addr) = bind(opts.addr)?;
        apply_store_options(&mut store, &opts);
        let state = Arc::new(SimState::new(store, &opts));
        let (tx, thread) = spawn_server(listener, state.clone())?;
        Ok(Simulator {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `http://127.0.0.1:PORT/api/v2` (what `CP_BASE_URL` should be).
    pub fn ncm_base_url(&self) -> String {
        format!("{}/api/v2", self.base_url())
    }
    /// `http://127.0.0.1:PORT/pub/v1/` (what `IGNITENET_BASE_URL` should be).
    pub fn ignitenet_base_url(&self) -> String {
        format!("{}/pub/v1/", self.base_url())
    }
    /// Access to the simulated IgniteNet cloud (tests, set-up).
    pub fn with_ignitenet<R>(&self, f: impl FnOnce(&mut ignitenet::IgStore) -> R) -> R {
        f(&mut self.state.ignitenet.lock().unwrap())
    }
    pub fn counters(&self) -> Counters {
        self.state.counters.lock().unwrap().clone()
    }
    pub fn reset_counters(&self) {
        *self.state.counters.lock().unwrap() = Counters::default();
    }
    pub fn inject(&self, f: Fault) {
        self.state.faults.lock().unwrap().push(f);
    }
    pub fn clear_faults(&self) {
        self.state.faults.lock().unwrap().clear();
    }
    pub fn set_latency(&self, d: Duration) {
        self.state
            .latency_ms
            .store(d.as_millis() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn set_fail_rate(&self, rate: f64) {
        self.state.fail_rate.lock().unwrap().0 = rate;
    }
    /// A copy of an endpoint's records as stored (URLs use the production prefix).
    pub fn records(&self, endpoint: &str) -> Vec<serde_json::Value> {
        let store = self.state.store.read().unwrap();
        let records = store
            .table(endpoint)
            .iter()
            .map(|r| r.into_owned())
            .collect();
        records
    }
    pub fn with_store<R>(&self, f: impl FnOnce(&mut store::Store) -> R) -> R {
        let mut store = self.state.store.write().unwrap();
        store.generation += 1;
        f(&mut store)
    }

    /// Moves the simulator's clock `by` forward: device syncs and rollbacks due by then happen
    /// at the next request, as if that much time had passed (tests use it instead of sleeping).
    pub fn advance(&self, by: Duration) {
        let mut store = self.state.store.write().unwrap();
        store.clock_ahead = store.clock_ahead.saturating_add(by);
        store.generation += 1;
    }

    /// Stages a roll-out rehearsal: group `group` becomes exactly the first `n` routers with
    /// Wi-Fi (mixed products and firmware: every rehearsal may set an SSID), online, synched
    /// and targeting their actual firmware, and no config sync in the account is suspended.
    /// Returns their ids.
    pub fn stage_group(&self, group: u64, n: usize) -> Vec<String> {
        let mut store = self.state.store.write().unwrap();
        store.generation += 1;
        let url = store.url("groups", group);
        let mut ids = vec![];
        for pos in 0..store.table("routers").len() {
            let Some(rec) = store.table("routers").get(pos) else {
                continue;
            };
            let in_group = rec["group"] == url.as_str();
            let wifi = ncos::model(&config_sync::product_name(&store, &rec)).radios > 0;
            if (ids.len() >= n || !wifi) && !in_group {
                continue;
            }
            let join = ids.len() < n && wifi;
            let Some(r) = store.kept_mut("routers", pos) else {
                continue;
            };
            if join {
                r["group"] = serde_json::json!(url);
                r["state"] = serde_json::json!("online");
                r["config_status"] = serde_json::json!("synched");
                r["target_firmware"] = r["actual_firmware"].clone();
                ids.push(r["id"].as_str().unwrap_or_default().to_string());
            } else {
                r["group"] = serde_json::Value::Null;
            }
        }
        for pos in 0..store.table("configuration_managers").len() {
            let suspended = store
                .table("configuration_managers")
                .get(pos)
                .is_some_and(|cm| cm["suspended"] == true);
            if suspended {
                if let Some(cm) = store.kept_mut("configuration_managers", pos) {
                    cm["suspended"] = serde_json::json!(false);
                }
            }
        }
        ids
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
