//! Hardening: ids that cannot leave their endpoint, a script sandbox that holds (reads, imports,
//! eval, symlinked writes), limits on time, memory and nesting, no crash from any number, hostile
//! servers, masking that never corrupts data, and the backup swap.

use crate::common::*;

/// Ids that would leave their endpoint, in every form a reviewer found.
const ESCAPING_IDS: &[&str] = &[
    "..\\\\accounts\\\\1000",
    "..\\\\groups\\\\2001",
    "../accounts/1000",
    "%2e%2e/accounts/1000",
    "%2E%2E%2Faccounts%2F1000",
    "42/../../accounts/1000",
    "https://evil.example/api/v2/accounts/1000/",
    "..",
];

#[test]
fn ids_cannot_escape_their_endpoint_for_any_verb_even_in_dry_run() {
    let sim = sim(5);
    for dry_run in [false, true] {
        let mut cfg = config_for(&sim);
        cfg.http.dry_run = dry_run;
        let mut rt = fleetscript::Runtime::new(cfg).unwrap();
        sim.reset_counters();
        for id in ESCAPING_IDS {
            for call in [
                format!(r#"ncm::routers::get("{id}")"#),
                format!(r#"ncm::routers::delete("{id}")"#),
                format!(r#"ncm::routers::update("{id}", #{{name: "x"}})"#),
                format!(
                    r#"ncm::configuration_managers::patch("{id}", #{{configuration: [#{{}}, []]}})"#
                ),
                format!(r#"ncm::reboot_router("{id}")"#),
                format!(r#"ncm::reboot_group("{id}")"#),
                format!(r#"ncm::router_config("{id}")"#),
                format!(r#"ncm::set_apn("{id}", "iot.example")"#),
                format!(r#"ignitenet::sites::devices("{id}")"#),
                format!(r#"ignitenet::sites::config("{id}")"#),
                format!(r#"ignitenet::devices::config("{id}")"#),
            ]
            .into_iter()
            // A filter value travels as a query parameter; a URL of another endpoint there
            // cannot change the path, so only the malformed ones are refused.
            .chain(
                (!id.starts_with("https"))
                    .then(|| format!(r#"ncm::routers::list(#{{group: "{id}"}})"#)),
            ) {
                let e = match rt.run_source("t.rhai", &call) {
                    Ok(v) => panic!("{call} (dry-run {dry_run}) returned {v:?}"),
                    Err(e) => e.render(),
                };
                assert!(
                    e.contains("id") || e.contains("resource URL"),
                    "{call} (dry-run {dry_run}): {e}"
                );
            }
        }
        assert_eq!(
            sim.counters().total,
            0,
            "no request may be sent for an escaping id: {:?}",
            sim.counters().routes
        );
        assert_eq!(rt.ncm().transport().stats.dry_run_writes(), 0);
    }
}

#[test]
fn good_ids_and_resource_urls_still_work() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let v = eval(
        &mut rt,
        r#"let r = ncm::routers::list(#{limit: 1})[0];
           [ncm::routers::get(r.id).id, ncm::routers::get(r.resource_url).id, ncm::routers::get(parse_int(r.id)).id]"#,
    );
    let a = v.into_array().unwrap();
    assert!(a.iter().all(|x| x.to_string() == a[0].to_string()), "{a:?}");
    // A resource URL of another endpoint is not an id of this one.
    let e = eval_err(
        &mut rt,
        r#"let g = ncm::groups::list(#{limit: 1})[0]; ncm::routers::get(g.resource_url)"#,
    );
    assert!(e.contains("resource URL of routers"), "{e}");
}

fn page(next: Option<&str>, records: usize) -> Reply {
    let data: Vec<_> = (0..records)
        .map(|i| serde_json::json!({"id": i.to_string()}))
        .collect();
    let body = serde_json::json!({"data": data, "meta": {"next": next}});
    Reply::Full(200, "application/json", body.to_string().into_bytes())
}

#[test]
fn a_repeating_next_link_fails_instead_of_looping_forever() {
    let base = hostile_server(|path| {
        // Page 2 links back to itself, forever.
        let _ = path;
        page(Some("/api/v2/routers/?limit=500&offset=500"), 3)
    });
    let mut rt = runtime_at(&base);
    let e = eval_err(&mut rt, "ncm::routers::list().len()");
    assert!(e.contains("meta.next repeats"), "{e}");
    // Two pages read, plus at most what a listing holds ahead (its answers claimed more pages).
    let ahead =
        fleetscript::ncm::ahead::held_at_most(fleetscript::ncm::client::DEFAULT_PAGE_CONCURRENCY)
            as u64;
    assert!(rt.ncm().transport().stats.requests() <= 2 + ahead);
}

#[test]
fn an_empty_page_that_still_links_onward_fails() {
    let n = std::sync::atomic::AtomicUsize::new(0);
    let base = hostile_server(move |_| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        page(
            Some(&format!(
                "/api/v2/routers/?limit=500&offset={}",
                (i + 1) * 500
            )),
            0,
        )
    });
    let mut rt = runtime_at(&base);
    let e = eval_err(&mut rt, "ncm::routers::list().len()");
    assert!(e.contains("is empty but links to a next page"), "{e}");
    assert_eq!(rt.ncm().transport().stats.requests(), 1);
}

#[test]
fn an_html_answer_says_it_is_not_json() {
    let base = hostile_server(|_| {
        Reply::Full(
            200,
            "text/html; charset=utf-8",
            b"<html><body>Maintenance</body></html>".to_vec(),
        )
    });
    let mut rt = runtime_at(&base);
    let e = eval_err(&mut rt, "ncm::routers::list()");
    assert!(e.contains("not JSON (text/html"), "{e}");
}

#[test]
fn a_body_over_the_cap_is_refused_without_reading_it_all() {
    // Announced too large, and streamed too large without a length.
    for reply in [0, 1] {
        let base = hostile_server(move |_| match reply {
            0 => Reply::Full(200, "application/json", vec![b' '; 3 * 1024 * 1024]),
            _ => Reply::Endless {
                len: 64 * 1024 * 1024,
            },
        });
        let mut c = config_at(&base);
        c.http.max_body = 1024 * 1024;
        let mut rt = fleetscript::Runtime::new(c).unwrap();
        let e = eval_err(&mut rt, "ncm::routers::list()");
        assert!(
            e.contains("larger than 1 MiB") && e.contains("--max-body-mb"),
            "{e}"
        );
    }
}

#[test]
fn a_body_that_stalls_says_timed_out() {
    let base = hostile_server(|_| Reply::Stall {
        len: 1000,
        sent: 10,
    });
    let mut c = config_at(&base);
    c.http.retry.max_retries = 0;
    c.set_timeout(std::time::Duration::from_millis(300));
    let mut rt = fleetscript::Runtime::new(c).unwrap();
    let e = eval_err(&mut rt, "ncm::routers::list()");
    assert!(
        e.contains("timed out (limit 300ms; raise it with --timeout)"),
        "{e}"
    );
    assert!(!e.contains("decoding"), "{e}");
}

#[test]
fn a_key_too_short_or_common_to_mask_is_refused_at_start() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("s.rhai"), "print(1);").unwrap();
    for (var, value) in [("X_CP_API_ID", "true"), ("IGNITENET_API_KEY", " abc ")] {
        let o = bin()
            .current_dir(t.path())
            .env(var, value)
            .args(["run", "s.rhai", "--sandbox"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(var), "{}", text(&o));
    }
}

#[test]
fn written_data_is_never_rewritten_by_masking_but_messages_are() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let name = eval(&mut rt, "ncm::routers::list()[0].name").to_string();
    assert!(name.len() >= 8, "{name}");
    // A key that happens to equal a value in the data (the reviewer's X_CP_API_ID=true,
    // in a form long enough to be accepted).
    let mut cfg = config_for(&sim);
    cfg.profile_secrets = vec![("profile other: x_cp_api_key".into(), name.clone())];
    let dir = tempfile::tempdir().unwrap();
    cfg.write_dirs = vec![dir.path().to_path_buf()];
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let out = dir.path().join("routers.json");
    let msg = match rt.run_source(
        "t.rhai",
        &format!(
            r#"json::write("{}", ncm::routers::list()); throw `router ${{ncm::routers::list()[0].name}}`;"#,
            out.display()
        ),
    ) {
        Ok(_) => panic!("the script throws"),
        Err(e) => e.render(),
    };
    let written = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written).expect("valid JSON");
    assert_eq!(v[0]["name"], name.as_str(), "the data is written as it is");
    assert!(!msg.contains(&name) && msg.contains("****"), "{msg}");
}

#[test]
fn every_profile_key_is_masked_and_so_are_source_lines_and_bad_urls() {
    let t = tempfile::tempdir().unwrap();
    let prod_key = "prod-ecm-key-0123456789";
    std::fs::create_dir_all(t.path().join("fleetscript")).unwrap();
    std::fs::write(
        t.path().join("fleetscript/config.toml"),
        format!(
            "default_profile = \"lab\"\n[profiles.lab]\nconcurrency = 2\n[profiles.prod]\nx_ecm_api_key = \"{prod_key}\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        t.path().join("s.rhai"),
        format!("print(\"k={prod_key}\");\nlet k = \"{prod_key}\"; throw \"stop\";\n"),
    )
    .unwrap();
    let o = bin()
        .current_dir(t.path())
        .env("XDG_CONFIG_HOME", t.path())
        .args(["run", "s.rhai", "--sandbox"])
        .output()
        .unwrap();
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(!all.contains(prod_key), "{all}");
    assert!(
        all.contains("k=****") && all.contains("let k = \"****\""),
        "{all}"
    );
    // A key pasted into CP_BASE_URL is not echoed by the command line's error path.
    let o = bin()
        .current_dir(t.path())
        .env("XDG_CONFIG_HOME", t.path())
        .env("CP_BASE_URL", format!("ftp://{prod_key}/"))
        .args(["run", "s.rhai"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains(prod_key), "{}", text(&o));
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // The backup directory's lock file is not a backup.
                .filter(|n| n != ".fleetscript.lock")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_killed_backup_keeps_the_previous_one_and_the_next_run_cleans_up() {
    let t = tempfile::tempdir().unwrap();
    let backups = t.path().join("backups");
    let run = |extra: &[&str]| {
        let mut c = bin();
        c.current_dir(t.path())
            .args(["run", "nightly_backup", "--arg", "dir=backups", "--sandbox"])
            .args(extra);
        c
    };
    let o = run(&["--routers", "20"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let day = entries(&backups)[0].clone();
    let before = entries(&backups.join(&day));
    // 20 routers, index.csv, groups/ and ignitenet/ (the sandbox has an IgniteNet key).
    assert_eq!(before.len(), 23, "{before:?}");
    // A slow run, killed (SIGKILL: no clean-up of its own) once its staging directory exists.
    let mut child = run(&["--routers", "3000", "--latency-ms", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !entries(&backups).iter().any(|n| n.contains(".partial-")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no staging directory appeared"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(entries(&backups).iter().any(|n| n.contains(".partial-")));
    assert_eq!(
        entries(&backups.join(&day)),
        before,
        "the previous backup is intact"
    );
    // The next run removes what the killed one left and swaps its own in.
    let o = run(&["--routers", "30"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("which is gone"), "{}", text(&o));
    assert_eq!(entries(&backups), vec![day.clone()]);
    assert_eq!(entries(&backups.join(&day)).len(), 33);
    // Ctrl-C (SIGINT) mid-run: exit 130, its own staging removed, the previous backup kept.
    let child = run(&["--routers", "3000", "--latency-ms", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while !entries(&backups).iter().any(|n| n.contains(".partial-")) {
        assert!(std::time::Instant::now() < deadline + std::time::Duration::from_secs(60));
        std::thread::yield_now();
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    assert_eq!(entries(&backups), vec![day.clone()]);
    assert_eq!(entries(&backups.join(&day)).len(), 33);
}

#[test]
fn scripts_cannot_read_the_config_file_proc_or_outside_the_allowed_directories() {
    let home = tempfile::tempdir().unwrap();
    let cfg_dir = home.path().join("fleetscript");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    std::fs::write(
        cfg_dir.join("config.toml"),
        "default_profile = \"lab\"\n[profiles.lab]\nconcurrency = 2\n[profiles.prod]\nx_cp_api_key = \"prod-cp-key-0123456789\"\n",
    )
    .unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("data.csv"), "a\n1\n").unwrap();
    std::fs::write(cfg_dir.join("s.rhai"), "print(csv::read(ARGS.f));").unwrap();
    let read = |file: &str, extra: &[&str]| {
        bin()
            .current_dir(&cfg_dir) // even from the config file's own directory
            .env("XDG_CONFIG_HOME", home.path())
            .args(["run", "s.rhai", "--sandbox", "--arg", &format!("f={file}")])
            .args(extra)
            .output()
            .unwrap()
    };
    for (file, why) in [
        ("config.toml", "never allowed"),
        (
            &*cfg_dir.join("config.toml").display().to_string(),
            "never allowed",
        ),
        ("/proc/self/environ", "not allowed"),
        ("../fleetscript/config.toml", "never allowed"),
        (
            &*outside.path().join("data.csv").display().to_string(),
            "--allow-read",
        ),
    ] {
        let o = read(file, &[]);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", text(&o));
        assert!(text(&o).contains(why), "{file}: {}", text(&o));
        assert!(!text(&o).contains("prod-cp-key"), "{}", text(&o));
    }
    let allowed = outside.path().display().to_string();
    let o = read(
        &outside.path().join("data.csv").display().to_string(),
        &["--allow-read", &allowed],
    );
    assert!(o.status.success(), "{}", text(&o));
    // The config file under another name (a hard link) is the same file: refused.
    let link = outside.path().join("notes.csv");
    std::fs::hard_link(cfg_dir.join("config.toml"), &link).unwrap();
    let o = read(&link.display().to_string(), &["--allow-read", &allowed]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("never allowed"), "{}", text(&o));
    assert!(!text(&o).contains("prod-cp-key"), "{}", text(&o));
}

#[test]
fn an_error_body_is_masked_before_it_is_cut() {
    let key = fleetscript::sim::sandbox_credentials().cp_api_key;
    assert!(key.len() > 12);
    // The key straddles the point where a plain-text body is cut for the message.
    let body = format!("{}{key} and more", "x".repeat(290));
    let base = hostile_server(move |_| Reply::Full(400, "text/plain", body.clone().into_bytes()));
    let mut rt = runtime_at(&base);
    let e = eval_err(&mut rt, "ncm::routers::list()");
    assert!(!e.contains(&key[..8]), "{e}");
    let e = eval_err(
        &mut rt,
        "try { ncm::routers::list() } catch (e) { throw `${e.message} ${e.body}` }",
    );
    assert!(!e.contains(&key[..8]), "{e}");
}

#[test]
fn modules_come_only_from_the_library_path_and_eval_is_off() {
    let t = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("evil.rhai"), "fn x() { 1 }").unwrap();
    std::fs::create_dir_all(t.path().join("scripts")).unwrap();
    std::fs::write(t.path().join("up.rhai"), "fn x() { 2 }").unwrap();
    for (import, why) in [
        (
            format!("{}/evil", elsewhere.path().display()),
            "not a module name",
        ),
        ("../up".to_string(), "not a module name"),
    ] {
        std::fs::write(
            t.path().join("scripts/s.rhai"),
            format!("import \"{import}\" as m; print(m::x());"),
        )
        .unwrap();
        let o = bin()
            .current_dir(t.path())
            .args(["run", "scripts/s.rhai", "--sandbox"])
            .output()
            .unwrap();
        assert_ne!(o.status.code(), Some(0), "{import}: {}", text(&o));
        assert!(text(&o).contains(why), "{import}: {}", text(&o));
    }
    // eval is not available, so nothing runs that the lint did not see: not even the write
    // before it.
    std::fs::write(
        t.path().join("scripts/e.rhai"),
        "json::write(\"written.json\", 1);\neval(\"ncm::routres::list()\");\n",
    )
    .unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["run", "scripts/e.rhai", "--sandbox"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("eval"), "{}", text(&o));
    assert!(!t.path().join("written.json").exists());
}

#[test]
fn a_symlink_swap_race_never_puts_a_write_outside() {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let d = allowed.path().join("d");
    let real = allowed.path().join("real");
    let link = allowed.path().join("link");
    std::fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(outside.path(), &link).unwrap();
    std::fs::create_dir_all(&d).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (stop, d, real, link) = (stop.clone(), d.clone(), real.clone(), link.clone());
        std::thread::spawn(move || {
            // `d` is a directory one moment and a symlink to `outside` the next.
            let tmp = d.with_extension("tmp");
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::rename(&d, &tmp);
                let from = if n % 2 == 0 { &link } else { &real };
                let _ = std::fs::rename(from, &d);
                let _ = std::fs::rename(&tmp, from);
                n += 1;
            }
        })
    };
    let sim = sim(1);
    let mut cfg = config_for(&sim);
    cfg.write_dirs = vec![allowed.path().to_path_buf()];
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let ok = eval(
        &mut rt,
        &format!(
            r#"let ok = 0; for i in 0..2000 {{ try {{ json::write(`{}/f${{i}}.json`, i); ok += 1; }} catch {{}} }} ok"#,
            d.display()
        ),
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    let escaped = std::fs::read_dir(outside.path()).unwrap().count();
    assert_eq!(escaped, 0, "{escaped} writes landed outside");
    assert!(ok.as_int().unwrap() > 0, "some writes went through");
}

fn run_script(src: &str, flags: &[&str]) -> (Option<i32>, String, std::time::Duration) {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("s.rhai"), src).unwrap();
    let start = std::time::Instant::now();
    let o = bin()
        .current_dir(t.path())
        .args(["run", "s.rhai"])
        .args(flags)
        .output()
        .unwrap();
    (o.status.code(), text(&o), start.elapsed())
}

#[test]
fn a_busy_loop_stops_at_the_wall_clock_limit() {
    let (code, out, took) = run_script("let x = 0; loop { x += 1; }", &["--max-time", "1"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("time limit (1s)") && out.contains("--max-time"),
        "{out}"
    );
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    // A limit also stops a script waiting on the API, and a backup leaves no staging behind.
    let t = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["run", "nightly_backup", "--sandbox", "--routers", "3000"])
        .args(["--latency-ms", "200", "--max-time", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("time limit"), "{}", text(&o));
    let left = entries(&t.path().join("backups"));
    assert!(left.iter().all(|n| !n.contains(".partial-")), "{left:?}");
}

/// A named pipe nobody writes to: opening it to read blocks, and no stop flag reaches a
/// thread blocked there (as a library stuck in a loop or on a dead NFS server).
fn fifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

/// The output of a command that must end by itself; a run that never ends fails the test
/// (after a minute) instead of hanging it.
fn ends(mut c: std::process::Command) -> std::process::Output {
    let child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            panic!("the run never ended");
        }
    }
}

#[test]
fn a_run_stuck_in_a_library_call_ends_after_the_grace_and_releases_its_lock() {
    // The git backup blocks reading the repository's .git/info/exclude (a pipe), inside
    // backup_configs, holding the backup directory's lock.
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("b");
    git2::Repository::init(&repo).unwrap();
    let exclude = repo.join(".git/info/exclude");
    let _ = std::fs::remove_file(&exclude);
    std::fs::create_dir_all(exclude.parent().unwrap()).unwrap();
    fifo(&exclude);
    let backup = || {
        let mut c = bin();
        c.current_dir(t.path())
            .args(["run", "nightly_backup", "--sandbox", "--routers", "5"])
            .args(["--arg", "dir=b", "--arg", "store=git"])
            // Long enough to reach the stuck call on a loaded machine (the run blocks there
            // anyway, however long the limit).
            .args(["--max-time", "3", "--stop-grace", "0.1"]);
        c
    };
    let o = ends(backup());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = "error: stopped: the run exceeded --max-time 3s; it did not stop at the limit (stuck in backup_configs, called at line";
    assert!(
        out.contains(line) && out.contains("of nightly_backup.rhai (built in)), so it was ended"),
        "{out}"
    );
    // The exit released the lock: with the pipe gone, the next run takes it and backs up.
    std::fs::remove_file(&exclude).unwrap();
    let o = ends(backup());
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn an_embedder_is_told_of_a_stuck_run_and_never_ended() {
    let t = tempfile::tempdir().unwrap();
    let pipe = t.path().join("stuck.fifo");
    fifo(&pipe);
    let mut cfg = fleetscript::config::Config {
        read_dirs: vec![t.path().to_path_buf()],
        ..Default::default()
    };
    cfg.limits.max_time = Some(std::time::Duration::from_millis(100));
    cfg.limits.stop_grace = std::time::Duration::from_millis(50);
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let told = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let seen = told.clone();
    let unblock = pipe.clone();
    rt.on_overrun(move |m| {
        seen.lock().unwrap().push(m.to_string());
        // The embedder's choice: here, open the pipe's other end, which lets the read return.
        drop(std::fs::OpenOptions::new().write(true).open(&unblock));
    });
    let e = rt
        .run_source(
            "test.rhai",
            &format!("\njson::read({:?})", pipe.display().to_string()),
        )
        .unwrap_err();
    // The run came back (the read, unblocked, found no JSON): the process was not ended.
    assert_eq!(e.exit_code(), 1, "{}", e.render());
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("stopped: the run exceeded --max-time 100ms; it did not stop at the limit (stuck in read, called at line 2 of test.rhai)"),
        "{told:?}"
    );
    // A run that stops at the limit by itself is not reported.
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = seen.clone();
    rt.on_overrun(move |_| s.store(true, std::sync::atomic::Ordering::SeqCst));
    rt.reset_cancel();
    let e = rt.run_source("test.rhai", "loop {}").unwrap_err();
    assert!(e.render().contains("time limit"), "{}", e.render());
    assert!(!seen.load(std::sync::atomic::Ordering::SeqCst));
}

/// A script's run under `flags`: exit code, output, and the child's peak resident size in KiB
/// (from `wait4`, so this child's alone).
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which also gives its peak size
fn run_script_peak(src: &str, flags: &[&str]) -> (Option<i32>, String, i64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("s.rhai"), src).unwrap();
    let mut child = bin()
        .current_dir(t.path())
        .args(["run", "s.rhai"])
        .args(flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out.push_str(&reader.join().unwrap());
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for our own child, writing into locals of the right types.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let code = std::process::ExitStatus::from_raw(status).code();
    (code, out, usage.ru_maxrss)
}

/// The bound holds within a quarter for the ways a script grows memory fastest: doubling a
/// string or an array in one operation, pushing onto an array (its buffer doubles), and
/// inserting into a map entry by entry (measured before: 468, 277, 276 and 245 MiB peak under
/// a 200 MiB bound). What the executable itself occupies before the script runs (its code
/// pages: 24 MiB for a debug build, 13 MiB for a release one) is measured and set aside.
#[cfg(target_os = "linux")]
#[test]
fn the_memory_bound_holds_within_a_quarter() {
    let (code, out, baseline_kib) = run_script_peak("print(1)", &["--max-memory", "64"]);
    assert_eq!(code, Some(0), "{out}");
    for src in [
        r#"let s = "xy"; loop { s += s; }"#,
        r#"let s = "xy"; loop { s = s + s; }"#,
        "let a = [1, 2]; loop { a += a; }",
        "let a = [1, 2]; loop { a = a + a; }",
        "let a = [1, 2]; loop { a.append(a); }",
        "let b = blob(2); loop { b += b; }",
        "let a = []; let i = 0; loop { a.push(i); i += 1; }",
        r#"let m = #{}; let i = 0; loop { m["k" + i] = [i, i]; i += 1; }"#,
    ] {
        let (code, out, peak_kib) = run_script_peak(src, &["--max-memory", "64"]);
        assert_eq!(code, Some(1), "{src}: {out}");
        assert!(
            out.contains("more than 64 MiB") && out.contains("--max-memory"),
            "{src}: {out}"
        );
        assert!(
            peak_kib - baseline_kib <= 80 * 1024,
            "{src}: peak {peak_kib} KiB ({baseline_kib} KiB before the script ran) under a 64 MiB bound"
        );
    }
}

#[test]
fn indexed_assignment_cannot_bypass_the_memory_bound() {
    for src in [
        r#"let m = #{}; let s = "x"; s.pad(10000, "y"); let i = 0; loop { m["k" + i] = s + i; i += 1; }"#,
        r#"let a = [0]; let s = "x"; s.pad(10000, "y"); let i = 0; loop { a[0] = [a[0], s + i]; i += 1; }"#,
    ] {
        let (code, out, _) = run_script(src, &["--max-memory", "64"]);
        assert_eq!(code, Some(1), "{src}: {out}");
        assert!(
            out.contains("more than 64 MiB") && out.contains("--max-memory"),
            "{out}"
        );
    }
    // Growth by a count in one step is capped before it allocates.
    for src in [
        "let a = []; a.pad(1000000000000, 0);",
        "blob(1000000000000)",
        "let s = \"\"; s.pad(1000000000000, \"x\");",
    ] {
        let (code, out, _) = run_script(src, &[]);
        assert_eq!(code, Some(1), "{src}: {out}");
        assert!(out.contains("in one step"), "{src}: {out}");
    }
}

#[test]
fn deeply_nested_values_compare_print_and_convert_without_a_crash() {
    let src = r#"
        let a = []; for i in 0..5000 { a = [take(a)]; }
        let m = #{}; for i in 0..5000 { m = #{x: take(m)}; }
        print(a == a); print(m != m); print(a); debug(m); print(`${a}`.len() > 0);
        let b = a; print(b == a);
        print(json::stringify(m).len() > 5000);
    "#;
    let (code, out, _) = run_script(src, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("true\nfalse\n[[["), "{out}");
    assert!(out.contains("[…]") && out.contains("#{…}"), "{out}");
}

/// The confirmation the REPL sets: refused, a delete on either cloud and a group reboot send
/// nothing; without a hook (scripts) or under --dry-run nothing is asked.
#[test]
fn a_refused_confirmation_sends_nothing_on_either_cloud() {
    let sim = sim(10);
    let mut rt = runtime_for(&sim);
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = asked.clone();
    *rt.ctx().confirm.write().unwrap() = Some(std::sync::Arc::new(move |what: &str| {
        log.lock().unwrap().push(what.to_string());
        false
    }));
    let before = sim.counters().total;
    for call in [
        r#"ncm::routers::delete("10001")"#,
        r#"ncm::reboot_group(2001)"#,
        r#"ignitenet::request("DELETE", "site/281474976710783")"#,
    ] {
        let e = eval_err(&mut rt, call);
        assert!(e.contains("not confirmed"), "{call}: {e}");
    }
    assert_eq!(sim.counters().total, before, "nothing was sent");
    let questions = asked.lock().unwrap().clone();
    assert_eq!(questions.len(), 3, "{questions:?}");
    assert!(
        questions[0].contains("DELETE routers/10001"),
        "{questions:?}"
    );
    assert!(questions[2].contains("IgniteNet"), "{questions:?}");
    // A read is never asked about.
    run(&mut rt, r#"ncm::routers::get("10001")"#);
    assert_eq!(asked.lock().unwrap().len(), 3);
}
