//! Benchmark: the backup stores at 10,000 routers against the in-process simulator with 20 ms of
//! latency per request (as `fleetscript sim --latency-ms 20`): the git store's first night, its
//! second night after 1% of the routers changed, and the dated store's first and second nights
//! (unchanged files hard-linked). Wall time, peak memory over the baseline, disk used (each
//! inode counted once). First, each store's first night in a child process of its own (this
//! binary again), its peak memory the child's maximum RSS as `wait4` reports it, and the git
//! store's over the dated store's: the pipeline streams to both, so the ratio stays near 1
//! (acceptance: at most 1.5). Run with `cargo bench --bench backup_store`; FLEET_ROUTERS
//! overrides the fleet's size, FLEET_TMPDIR where the backups go (a tmpfs: the machine is
//! shared), FLEET_PEAKS_ONLY=1 stops after the peak-memory comparison.

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

/// The child's side: one backup of the store `kind` into `dir` against the simulator at `url`.
fn child_backup(kind: &str, url: &str, dir: &Path) {
    let cfg = fleetscript::Config {
        ncm_base_url: url.to_string(),
        ncm_credentials: fleetscript::sim::sandbox_credentials(),
        ..Default::default()
    };
    let rt = fleetscript::Runtime::new(cfg).expect("runtime");
    let d = fleetscript::files::Dir::open(dir, false).expect("dir");
    let r = match kind {
        "git" => fleetscript::backup::backup_git(rt.ncm(), rt.ignitenet(), &d),
        _ => fleetscript::backup::dated::backup_configs(rt.ncm(), &d, "2026-11-01", None),
    }
    .expect("backup");
    println!(
        "{} routers, {} added, {} requests",
        r.routers, r.added, r.requests
    );
}

/// Runs this binary as a child backing up into a fresh `dir` with the store `kind`; returns
/// the child's peak RSS in KiB (`wait4`'s `ru_maxrss`) and its wall time.
fn peak_of_child(kind: &str, url: &str, dir: &Path) -> (u64, Duration) {
    std::fs::create_dir_all(dir).unwrap();
    let t = Instant::now();
    // Reaped by `wait4` below, which also reports its peak memory (std's `wait` does not).
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("FLEET_BACKUP_CHILD", kind)
        .env("FLEET_SIM_URL", url)
        .env("FLEET_BACKUP_DIR", dir)
        .stdout(std::process::Stdio::inherit())
        .spawn()
        .expect("child");
    let pid = i32::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child's; status and usage are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the {kind} backup failed"
    );
    (u64::try_from(usage.ru_maxrss).unwrap_or(0), t.elapsed())
}

/// Each store's first night in a child process: peak memory of both, and their ratio.
fn peaks(routers: usize, tmp: &Path) {
    let sim = fleetscript::sim::Simulator::start(fleetscript::sim::SimOptions {
        routers,
        ..Default::default()
    })
    .expect("simulator");
    let url = sim.ncm_base_url();
    let mut dated = vec![];
    let mut git = vec![];
    for run in 0..3 {
        for (kind, into) in [("dated", &mut dated), ("git", &mut git)] {
            let dir = tmp.join(format!("peak-{kind}-{run}"));
            let (peak, wall) = peak_of_child(kind, &url, &dir);
            println!(
                "{kind:<5} store, first night of {routers} routers in a child: peak RSS {:>7.1} MiB  {:.2} s",
                peak as f64 / 1024.0,
                wall.as_secs_f64()
            );
            into.push(peak);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    let median = |v: &mut Vec<u64>| {
        v.sort();
        v[v.len() / 2]
    };
    let (d, g) = (median(&mut dated), median(&mut git));
    println!(
        "peak RSS medians: dated {:.1} MiB, git {:.1} MiB: git/dated {:.2}x (acceptance: at most 1.5x)",
        d as f64 / 1024.0,
        g as f64 / 1024.0,
        g as f64 / d.max(1) as f64
    );
}

fn main() {
    if let Ok(kind) = std::env::var("FLEET_BACKUP_CHILD") {
        let url = std::env::var("FLEET_SIM_URL").expect("FLEET_SIM_URL");
        let dir = std::env::var("FLEET_BACKUP_DIR").expect("FLEET_BACKUP_DIR");
        return child_backup(&kind, &url, Path::new(&dir));
    }
    let routers = env_num("FLEET_ROUTERS", 10_000);
    let tmp = match std::env::var_os("FLEET_TMPDIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    peaks(routers, tmp.path());
    if std::env::var_os("FLEET_PEAKS_ONLY").is_some() {
        return;
    }
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
            "{} changed, {} added, {} linked; {} requests",
            r.changed, r.added, r.linked, r.requests
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
