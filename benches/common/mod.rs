//! Shared by the fleet benchmarks: numbers from the environment, memory figures from
//! /proc/self/status, and the in-process simulated fleet.
#![allow(dead_code)]

use fleetscript::sim::{SimOptions, Simulator};
use std::time::Instant;

/// A number from the environment (FLEET_ROUTERS, FLEET_RUNS), else `default`.
pub fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of /proc/self/status in KiB (VmRSS:, VmHWM:), 0 where there is none.
pub fn kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the peak-RSS mark to the current RSS (Linux).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A simulated fleet of `routers`, with how long it took and the memory it holds.
pub fn fleet(routers: usize) -> Simulator {
    let t = Instant::now();
    let sim = Simulator::start(SimOptions {
        routers,
        ..Default::default()
    })
    .expect("simulator");
    println!(
        "simulator: {routers} routers generated in {:.2?}; RSS {} MiB",
        t.elapsed(),
        kib("VmRSS:") / 1024
    );
    sim
}
