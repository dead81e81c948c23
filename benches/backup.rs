//! Benchmark: nightly backup of every router's config at 10,000 routers against the in-process
//! simulator — wall time, requests, bytes written and peak memory (VmHWM over the baseline).
//! Run with `cargo bench --bench backup` (FLEET_ROUTERS and FLEET_RUNS override the defaults).

use std::time::Instant;

mod common;
use common::{env_num, fleet, kib, reset_peak};

fn main() {
    let routers = env_num("FLEET_ROUTERS", 10_000);
    let runs = env_num("FLEET_RUNS", 3);
    let sim = fleet(routers);
    let cfg = fleetscript::Config {
        ncm_base_url: sim.ncm_base_url(),
        ncm_credentials: fleetscript::sim::sandbox_credentials(),
        ..Default::default()
    };
    let rt = fleetscript::Runtime::new(cfg).expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut times = vec![];
    for run in 0..runs {
        sim.reset_counters();
        reset_peak();
        let base = kib("VmRSS:");
        let t = Instant::now();
        let s = fleetscript::backup::dated::backup_configs(
            rt.ncm(),
            &fleetscript::files::Dir::open(dir.path(), false).expect("dir"),
            &format!("run-{run}"),
            None,
        )
        .expect("backup");
        let wall = t.elapsed();
        times.push(wall);
        assert_eq!(s.routers, routers);
        println!(
            "backup run {run}: {:>8.1} ms  {} routers  {} requests  {:.1} MiB written  peak memory +{:.1} MiB over {} MiB",
            wall.as_secs_f64() * 1e3,
            s.routers,
            sim.counters().total,
            s.bytes as f64 / 1048576.0,
            kib("VmHWM:").saturating_sub(base) as f64 / 1024.0,
            base / 1024
        );
    }
    // The same reads without writing files: what the API and JSON handling cost on their own.
    let mut fetch = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let q = serde_json::json!({"fields": ["id", "router", "version_number", "synched", "suspended", "actual", "target", "configuration"]});
        let mut pager = rt
            .ncm()
            .pages("configuration_managers", q.as_object().unwrap())
            .expect("pages");
        let (mut n, mut bytes) = (0, 0);
        while let Some(p) = pager.next_page().expect("page") {
            n += p.len();
            bytes += p
                .iter()
                .map(|r| serde_json::to_string_pretty(r).unwrap().len())
                .sum::<usize>();
        }
        assert_eq!(n, routers);
        assert!(bytes > 0);
        fetch.push(t.elapsed());
    }
    fetch.sort();
    println!(
        "fetch + serialize only (no files): median {:.1} ms",
        fetch[fetch.len() / 2].as_secs_f64() * 1e3
    );
    times.sort();
    println!(
        "backup of {routers} routers: median {:.1} ms over {runs} runs",
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}
