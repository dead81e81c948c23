//! Benchmark: a staged APN roll-out to 2,000 routers at `rate: 20` writes/s, waves
//! `[20, "100%"]`, soak 1 s, health gate on every wave, against the in-process simulator (each
//! device syncs 1 s after its write). Reports wall time against the floor: N / rate for the
//! writes plus, per wave, the last device's sync delay and the soak. Also the requests the run
//! made beyond its writes (plan reads and gate polls). Run with `cargo bench --bench rollout`
//! (FLEET_ROUTERS, FLEET_RUNS override the defaults).

use fleetscript::ncm::bulk::{self, waves::Amount, BulkOptions, Change};
use fleetscript::sim::{SimOptions, Simulator};
use std::time::{Duration, Instant};

mod common;
use common::env_num;

const RATE: f64 = 20.0;
const SYNC_DELAY: Duration = Duration::from_secs(1);
const SOAK: Duration = Duration::from_secs(1);

/// A fleet whose group 2001 holds the first `n` routers, online.
fn fleet(n: usize) -> (Simulator, Vec<String>) {
    let sim = Simulator::start(SimOptions {
        routers: n + n / 10,
        sync_delay: SYNC_DELAY,
        ..Default::default()
    })
    .expect("simulator");
    let ids = sim.stage_group(2001, n);
    (sim, ids)
}

fn main() {
    let n = env_num("FLEET_ROUTERS", 2000);
    let runs = env_num("FLEET_RUNS", 1);
    let (sim, ids) = fleet(n);
    // Each router's firmware version picks wan.rules or wan.rules2 for its APN diff.
    let versions: std::collections::HashMap<String, String> = sim
        .records("firmwares")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let version_of: std::collections::HashMap<String, String> = sim
        .records("routers")
        .iter()
        .map(|r| {
            let fw = fleetscript::ncm::id_of(r["actual_firmware"].as_str().unwrap()).unwrap();
            (r["id"].as_str().unwrap().to_string(), versions[&fw].clone())
        })
        .collect();
    let cfg = fleetscript::Config {
        ncm_base_url: sim.ncm_base_url(),
        ncm_credentials: fleetscript::sim::sandbox_credentials(),
        ..Default::default()
    };
    let rt = fleetscript::Runtime::new(cfg).expect("runtime");
    let waves = vec![Amount::Count(20), Amount::Percent(100.0)];
    let floor = n as f64 / RATE + 2.0 * (SYNC_DELAY + SOAK).as_secs_f64();
    let mut walls = vec![];
    for run in 0..runs {
        let apn = format!("bench{run}.example");
        let changes: Vec<Change> = ids
            .iter()
            .map(|id| Change {
                router: id.clone(),
                diff: fleetscript::ncm::helpers::apn_diff(&version_of[id], &apn).unwrap(),
            })
            .collect();
        let opts = BulkOptions {
            rate: RATE,
            concurrency: 4,
            verify: true,
            waves: waves.clone(),
            soak: SOAK,
            poll_interval: Duration::from_millis(500),
            max_failures: Some(Amount::Count(0)),
            progress: false,
            ..BulkOptions::default()
        };
        sim.reset_counters();
        let t = Instant::now();
        let report = bulk::apply_all(rt.ncm(), &changes, &opts).expect("roll-out");
        let wall = t.elapsed().as_secs_f64();
        let ok = report
            .outcomes
            .iter()
            .filter(|o| o.status == bulk::Status::Ok)
            .count();
        let c = sim.counters();
        for o in report
            .outcomes
            .iter()
            .filter(|o| o.status == bulk::Status::Failed)
        {
            println!("failed: router {}: {}", o.router, o.reason);
        }
        assert!(report.halted.is_none(), "{:?}", report.halted);
        println!(
            "roll-out run {run}: {wall:.1} s for {n} routers ({ok} ok), floor {floor:.1} s (N/rate {:.1} s + 2 gates x (sync {:.0} s + soak {:.0} s)): {:.3}x the floor; {} writes, {} other requests",
            n as f64 / RATE,
            SYNC_DELAY.as_secs_f64(),
            SOAK.as_secs_f64(),
            wall / floor,
            c.writes,
            c.total - c.writes
        );
        walls.push(wall);
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    println!(
        "median {median:.1} s over {runs} run(s); floor {floor:.1} s; ratio {:.3}",
        median / floor
    );
}
