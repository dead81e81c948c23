//! Benchmark: `list()` of every router at 10,000 routers against the in-process simulator —
//! wall time, requests and peak memory (VmHWM, reset between phases through
//! /proc/self/clear_refs so the simulator's own footprint is reported separately).
//! Run with `cargo bench --bench list_routers` (FLEET_ROUTERS and FLEET_RUNS override defaults).

use fleetscript::sim::{SimOptions, Simulator};
use fleetscript::Runtime;
use std::time::Instant;

fn kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the peak-RSS mark to the current RSS (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let routers: usize = std::env::var("FLEET_ROUTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runs: usize = std::env::var("FLEET_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
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

    let mut cfg = fleetscript::Config {
        ncm_base_url: sim.ncm_base_url(),
        ncm_credentials: fleetscript::sim::sandbox_credentials(),
        ..Default::default()
    };
    cfg.http.retry.max_retries = 0;
    let mut rt = Runtime::new(cfg).expect("runtime");

    let mut report = |label: &str, src: &str| {
        let mut times = vec![];
        let mut peak_delta = 0u64;
        for _ in 0..runs {
            sim.reset_counters();
            reset_peak();
            let base = kib("VmRSS:");
            let t = Instant::now();
            let v = rt
                .run_source("bench.rhai", src)
                .unwrap_or_else(|e| panic!("{}", e.render()));
            times.push(t.elapsed());
            assert_eq!(v.as_int().unwrap() as usize, routers);
            peak_delta = peak_delta.max(kib("VmHWM:").saturating_sub(base));
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "{label:<34} median {:>8.1} ms  (min {:.1}, max {:.1}; {runs} runs)  requests {}  peak memory +{:.1} MiB over the {} MiB baseline",
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
            sim.counters().route("GET", "routers"),
            peak_delta as f64 / 1024.0,
            kib("VmRSS:") / 1024,
        );
    };
    report("ncm::routers::list()", "ncm::routers::list().len()");
    report(
        "ncm::routers::pages() (streaming)",
        "let n = 0; for p in ncm::routers::pages() { n += p.len(); } n",
    );
    report(
        "list(#{fields: [id,name,state]})",
        "ncm::routers::list(#{fields: [\"id\", \"name\", \"state\"]}).len()",
    );
}
