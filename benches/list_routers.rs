//! Benchmark: `list()` of every router at 10,000 routers against the in-process simulator —
//! wall time, requests and peak memory (VmHWM, reset between phases through
//! /proc/self/clear_refs so the simulator's own footprint is reported separately).
//! Run with `cargo bench --bench list_routers` (FLEET_ROUTERS and FLEET_RUNS override defaults).

use fleetscript::Runtime;
use std::time::Instant;

mod common;
use common::{env_num, fleet, kib, reset_peak};

fn main() {
    let routers = env_num("FLEET_ROUTERS", 10_000);
    let runs = env_num("FLEET_RUNS", 5);
    let sim = fleet(routers);

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
