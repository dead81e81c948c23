//! Runtime configuration: base URLs, credentials, HTTP behaviour, engine limits, script
//! arguments and the directories scripts may write to. Built from the environment by the
//! library; the CLI layers its flags on top.

use crate::http::HttpOptions;
use crate::ignitenet::IgniteNetOptions;
use crate::ncm::{NcmCredentials, DEFAULT_NCM_BASE_URL};
use crate::sim::SimOptions;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Rhai engine limits, so a runaway script cannot exhaust the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000_000_000,
            max_call_levels: 96,
            max_expr_depth: 128,
            max_string_size: 256 * 1024 * 1024,
            max_array_size: 10_000_000,
            max_map_size: 1_000_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub ncm_base_url: String,
    pub ncm_credentials: NcmCredentials,
    /// IgniteNet Cloud: base URL, API key, rate limit and retry intervals.
    pub ignitenet: IgniteNetOptions,
    pub http: HttpOptions,
    /// When set, an in-process simulator is started and both clouds point at it.
    pub sandbox: Option<SimOptions>,
    /// `--arg key=value` pairs, visible to scripts as `ARGS`.
    pub args: BTreeMap<String, String>,
    /// Directories scripts may write files in (the current directory by default).
    pub write_dirs: Vec<PathBuf>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ncm_base_url: DEFAULT_NCM_BASE_URL.into(),
            ncm_credentials: NcmCredentials::default(),
            ignitenet: IgniteNetOptions::default(),
            http: HttpOptions::default(),
            sandbox: None,
            args: BTreeMap::new(),
            write_dirs: vec![],
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Defaults overlaid with the environment (`CP_BASE_URL`, `X_CP_API_ID`, ...), the same names
    /// the official `ncm` Python client reads; `IGNITENET_BASE_URL` and `IGNITENET_API_KEY`.
    pub fn from_env() -> Config {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut c = Config::default();
        if let Some(u) = get("CP_BASE_URL") {
            c.ncm_base_url = u;
        }
        c.ncm_credentials = NcmCredentials {
            cp_api_id: get("X_CP_API_ID").unwrap_or_default(),
            cp_api_key: get("X_CP_API_KEY").unwrap_or_default(),
            ecm_api_id: get("X_ECM_API_ID").unwrap_or_default(),
            ecm_api_key: get("X_ECM_API_KEY").unwrap_or_default(),
        };
        if let Some(u) = get("IGNITENET_BASE_URL") {
            c.ignitenet.base_url = u;
        }
        c.ignitenet.api_key = get("IGNITENET_API_KEY").unwrap_or_default();
        c
    }

    /// Every secret value known to the configuration, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut s = self.ncm_credentials.secrets();
        s.push(self.ignitenet.api_key.clone());
        for k in [
            "X_CP_API_ID",
            "X_CP_API_KEY",
            "X_ECM_API_ID",
            "X_ECM_API_KEY",
            "IGNITENET_API_KEY",
        ] {
            if let Ok(v) = std::env::var(k) {
                s.push(v);
            }
        }
        s
    }
}
