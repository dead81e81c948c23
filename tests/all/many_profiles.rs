//! `run SCRIPT --profile a --profile b` and `--all-profiles`: one run per profile, each in a
//! directory of its own with its own summary line, and a non-zero exit when any run failed.

use crate::common::*;

/// A config.toml with one profile per (name, NCM base URL), the sandbox keys for each.
fn config_with(profiles: &[(&str, String)]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("fleetscript");
    std::fs::create_dir_all(&dir).unwrap();
    let k = fleetscript::sim::sandbox_credentials();
    let mut text = String::new();
    for (name, url) in profiles {
        text.push_str(&format!(
            "[profiles.{name}]\nncm_base_url = \"{url}\"\nx_cp_api_id = \"{}\"\nx_cp_api_key = \"{}\"\nx_ecm_api_id = \"{}\"\nx_ecm_api_key = \"{}\"\n\n",
            k.cp_api_id, k.cp_api_key, k.ecm_api_id, k.ecm_api_key
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

#[test]
fn one_inventory_run_writes_a_report_per_profile() {
    let (one, two) = (sim(30), sim(45));
    let home = config_with(&[("east", one.ncm_base_url()), ("west", two.ncm_base_url())]);
    let work = tempfile::tempdir().unwrap();
    let o = bin()
        .env("XDG_CONFIG_HOME", home.path())
        .current_dir(work.path())
        .args(["run", "inventory", "--profile", "east", "--profile", "west"])
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let rows = |p: &str| {
        std::fs::read_to_string(work.path().join(p).join("inventory.csv"))
            .unwrap()
            .lines()
            .count()
            - 1
    };
    assert_eq!((rows("east"), rows("west")), (30, 45), "{out}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("[east] inventory: 30 routers"), "{stdout}");
    assert!(stdout.contains("[west] inventory: 45 routers"), "{stdout}");
    let summaries: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("east: ok") || l.starts_with("west: ok"))
        .collect();
    assert_eq!(summaries.len(), 2, "{stdout}");
    // Each summary line states the calls its run made.
    assert!(
        summaries.iter().all(|l| l.contains("; calls: NCM ")),
        "{stdout}"
    );
    assert!(stdout.contains("2 profiles: 2 ok, 0 failed"), "{stdout}");
    // Both accounts were read, each by its own run.
    assert!(one.counters().route("GET", "routers") >= 1);
    assert!(two.counters().route("GET", "routers") >= 1);
}

#[test]
fn all_profiles_exits_non_zero_when_one_fails() {
    let one = sim(10);
    // Nothing listens there: that account's run fails, the other's does not.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/api/v2", l.local_addr().unwrap())
    };
    let home = config_with(&[("good", one.ncm_base_url()), ("gone", closed)]);
    let work = tempfile::tempdir().unwrap();
    let o = bin()
        .env("XDG_CONFIG_HOME", home.path())
        .current_dir(work.path())
        .args([
            "run",
            "inventory",
            "--all-profiles",
            "--retries",
            "0",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    // A cloud nothing answers for is unavailable (75): the worst exit code of the runs.
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    assert!(stdout.contains("good: ok"), "{stdout}");
    assert!(stdout.contains("gone: FAILED (exit 75)"), "{stdout}");
    let gone = stdout
        .lines()
        .find(|l| l.starts_with("gone: FAILED"))
        .unwrap();
    assert!(
        gone.contains("127.0.0.1") && !gone.contains('^') && !gone.contains("-->"),
        "the summary names the failure, not the diagnostic's caret: {gone}"
    );
    assert!(stdout.contains("2 profiles: 1 ok, 1 failed"), "{stdout}");
    assert!(work.path().join("good/inventory.csv").is_file());
    assert!(!work.path().join("gone/inventory.csv").exists());
}
