//! Shared helpers for integration tests: a simulator on 127.0.0.1:0, a runtime pointed at it
//! with millisecond retry delays, and the real binary with a clean environment.
#![allow(dead_code)]

use fleetscript::config::Config;
use fleetscript::http::RetryPolicy;
use fleetscript::sim::{sandbox_credentials, SimOptions, Simulator};
use fleetscript::Runtime;
use std::process::Command;
use std::time::Duration;

pub fn sim(routers: usize) -> Simulator {
    Simulator::start(SimOptions {
        routers,
        ..Default::default()
    })
    .expect("simulator starts")
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(20),
        ..Default::default()
    }
}

pub fn config_for(sim: &Simulator) -> Config {
    let mut c = Config {
        ncm_base_url: sim.ncm_base_url(),
        ncm_credentials: sandbox_credentials(),
        ..Default::default()
    };
    c.http.retry = fast_retry();
    c.http.timeout = Duration::from_secs(20);
    c.ignitenet.base_url = sim.ignitenet_base_url();
    c.ignitenet.api_key = fleetscript::sim::SANDBOX_IGNITENET_KEY.into();
    c.ignitenet.retry_interval = Duration::from_millis(15);
    c.ignitenet.too_many_wait = Duration::from_millis(15);
    c
}

pub fn runtime_for(sim: &Simulator) -> Runtime {
    Runtime::new(config_for(sim)).expect("runtime")
}

/// Runs a script and returns its last value, panicking with the rendered error otherwise.
pub fn eval(rt: &mut Runtime, src: &str) -> rhai::Dynamic {
    match rt.run_source("test.rhai", src) {
        Ok(v) => v,
        Err(e) => panic!("script failed:\n{}", e.render()),
    }
}

/// Runs a script that must fail; returns the rendered error.
pub fn eval_err(rt: &mut Runtime, src: &str) -> String {
    match rt.run_source("test.rhai", src) {
        Ok(v) => panic!("script should have failed but returned {v:?}"),
        Err(e) => e.render(),
    }
}

/// The real binary, with no NCM/IgniteNet variables, profile or library path inherited from
/// the developer's shell.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
    for k in [
        "CP_BASE_URL",
        "X_CP_API_ID",
        "X_CP_API_KEY",
        "X_ECM_API_ID",
        "X_ECM_API_KEY",
        "IGNITENET_API_KEY",
        "IGNITENET_BASE_URL",
        "FLEETSCRIPT_PROFILE",
        "FLEETSCRIPT_PATH",
    ] {
        c.env_remove(k);
    }
    // No developer's profile or script library leaks into a test.
    c.env("XDG_CONFIG_HOME", "/nonexistent/fleetscript-test-config")
        .env("XDG_DATA_HOME", "/nonexistent/fleetscript-test-data");
    c
}

/// Points the binary at a test simulator with the sandbox keys.
pub fn bin_for(sim: &Simulator) -> Command {
    let mut c = bin();
    let k = sandbox_credentials();
    c.env("CP_BASE_URL", sim.ncm_base_url())
        .env("X_CP_API_ID", k.cp_api_id)
        .env("X_CP_API_KEY", k.cp_api_key)
        .env("X_ECM_API_ID", k.ecm_api_id)
        .env("X_ECM_API_KEY", k.ecm_api_key)
        .env("IGNITENET_BASE_URL", sim.ignitenet_base_url())
        .env("IGNITENET_API_KEY", fleetscript::sim::SANDBOX_IGNITENET_KEY);
    c
}

/// Runs a script for its effects.
pub fn run(rt: &mut Runtime, src: &str) {
    let _ = eval(rt, src);
}

/// A simulator with options (e.g. a short sync delay).
pub fn sim_with(opts: fleetscript::sim::SimOptions) -> Simulator {
    Simulator::start(opts).expect("simulator starts")
}

/// The API error of a failed call.
pub fn api_err<T: std::fmt::Debug>(r: fleetscript::Result<T>) -> fleetscript::error::ApiError {
    match r {
        Err(fleetscript::Error::Api(a)) => *a,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The id of the simulated firmware with this version (e.g. "5.4.0").
pub fn firmware_id(sim: &Simulator, version: &str) -> String {
    sim.records("firmwares")
        .into_iter()
        .find(|f| f["version"] == version)
        .unwrap_or_else(|| panic!("no firmware {version} in the simulated catalog"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}
