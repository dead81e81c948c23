//! Benchmark: the backup stores at 10,000 routers against the in-process simulator with 20 ms of
//! latency per request (as `fleetscript sim --latency-ms 20`): the git store's first night, its
//! second night after 1% of the routers changed, and the dated store's first and second nights
//! (unchanged files hard-linked). Wall time, peak memory over the baseline, disk used (each
//! inode counted once). Run with `cargo bench --bench backup_store` (FLEET_ROUTERS overrides).

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{env_num, kib, reset_peak};

/// Disk used below `dir` in KiB, each inode once (hard links are free).
fn disk_kib(dir: &Path, seen: &mut HashSet<u64>) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(m) = e.metadata() else { continue };
        if m.is_dir() {
            total += disk_kib(&e.path(), seen);
        } else if seen.insert(m.ino()) {
            total += m.blocks() / 2;
        }
    }
    total
}

fn measure(what: &str, f: impl FnOnce() -> String, dir: &Path) {
    reset_peak();
    let base = kib("VmRSS:");
    let t = Instant::now();
    let detail = f();
    let wall = t.elapsed();
    let peak = kib("VmHWM:").saturating_sub(base);
    let disk = disk_kib(dir, &mut HashSet::new());
    println!(
        "{what:<34} {:>7.2} s  peak +{:>6.1} MiB  disk {:>7.1} MiB  {detail}",
        wall.as_secs_f64(),
        peak as f64 / 1024.0,
        disk as f64 / 1024.0
    );
}

/// Changes the individual config of every 100th router (1%).
fn change_one_percent(sim: &fleetscript::sim::Simulator, night: u32) -> usize {
    sim.with_store(|s| {
        let mut n = 0;
        for i in (0..s.table("configuration_managers").len()).step_by(100) {
            let cm = s.kept_mut("configuration_managers", i).unwrap();
            cm["configuration"] =
                serde_json::json!([{"system": {"system_id": format!("night-{night}-{i}")}}, []]);
            n += 1;
        }
        n
    })
}

fn main() {
    let routers = env_num("FLEET_ROUTERS", 10_000);
    let sim = fleetscript::sim::Simulator::start(fleetscript::sim::SimOptions {
        routers,
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .expect("simulator");
    let cfg = fleetscript::Config {
        ncm_base_url: sim.ncm_base_url(),
        ncm_credentials: fleetscript::sim::sandbox_credentials(),
        ..Default::default()
    };
    let rt = fleetscript::Runtime::new(cfg).expect("runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    println!(
        "{routers} routers, 20 ms latency per request; RSS {} MiB",
        kib("VmRSS:") / 1024
    );

    let git_dir = tmp.path().join("git");
    std::fs::create_dir_all(&git_dir).unwrap();
    let gd = fleetscript::files::Dir::open(&git_dir, false).unwrap();
    let night = |label: &str| {
        let r = fleetscript::backup::backup_git(rt.ncm(), rt.ignitenet(), &gd).expect("git backup");
        format!(
            "{label}: {} changed, {} added; {} requests",
            r.changed, r.added, r.requests
        )
    };
    measure("git, first night", || night("commit"), &git_dir);
    let changed = change_one_percent(&sim, 2);
    measure(
        &format!("git, second night ({changed} changed)"),
        || night("commit"),
        &git_dir,
    );
    measure(
        "git, third night (no change)",
        || night("no commit"),
        &git_dir,
    );

    let dated_dir = tmp.path().join("dated");
    std::fs::create_dir_all(&dated_dir).unwrap();
    let dd = fleetscript::files::Dir::open(&dated_dir, false).unwrap();
    let dated = |date: &str| {
        let r = fleetscript::backup::dated::backup_configs(rt.ncm(), &dd, date, None)
            .expect("dated backup");
        format!(
            "{} changed, {} linked; {} requests",
            r.changed, r.linked, r.requests
        )
    };
    measure("dated, first night", || dated("2026-11-01"), &dated_dir);
    let changed = change_one_percent(&sim, 3);
    measure(
        &format!("dated, second night ({changed} changed)"),
        || dated("2026-11-02"),
        &dated_dir,
    );
}
