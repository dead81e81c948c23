//! NCOS router configurations for the simulator, generated per product and firmware as
//! ncos-config-notes.md describes them: the firmware default tree (`tree`, `wan`; one shared
//! copy per (product, firmware): [`default_config`]), the group and individual configurations
//! a fleet's operators set and what a router adds to its own configuration (`layers`), and the
//! exact, cheap computations over a large default tree that a configuration manager's `actual`,
//! `target` and `pending` need (`prune`). Simulator data only: production code never reads it.

pub mod layers;
pub mod model;
pub mod prune;
pub mod tree;
pub mod wan;

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub use model::{model, Firmware, Model};

/// Default trees built so far, by (product, firmware version).
type Defaults = Mutex<HashMap<(String, String), Arc<Value>>>;

/// The default configuration of `product` on firmware `version`, built once per process and
/// shared (every router, group and request of that product and firmware reads the same tree).
pub fn default_config(product: &str, version: &str) -> Arc<Value> {
    static CACHE: OnceLock<Defaults> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (product.to_string(), version.to_string());
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let built = Arc::new(tree::build(&model(product), Firmware::parse(version)));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(built)
        .clone()
}

#[cfg(test)]
mod tests;
