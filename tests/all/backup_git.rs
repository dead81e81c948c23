//! The git backup store against the simulator: the first night commits every router and group,
//! a night after one router's change commits exactly that file with the changed path in the
//! message, a night without change commits nothing, and a router gone from the account has its
//! file removed in the next commit. The commit (the dated store: its final rename) is the point
//! of no return: an interrupt before it leaves the previous backup as it was, after it no failure.

use crate::common::*;
use git2::Repository;
use std::path::Path;

fn night(rt: &mut fleetscript::Runtime, dir: &Path) -> rhai::Map {
    eval(
        rt,
        &format!(
            r#"ncm::backup_configs("{}", #{{store: "git"}})"#,
            dir.display()
        ),
    )
    .cast::<rhai::Map>()
}

fn commits(repo: &Repository) -> usize {
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.count()
}

/// The paths the last commit changed against its parent.
fn last_change(repo: &Repository) -> Vec<String> {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let parent = head.parent(0).unwrap();
    let d = repo
        .diff_tree_to_tree(
            Some(&parent.tree().unwrap()),
            Some(&head.tree().unwrap()),
            None,
        )
        .unwrap();
    d.deltas()
        .map(|x| {
            x.new_file()
                .path()
                .or(x.old_file().path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn nights_commit_only_what_changed_and_name_the_path() {
    let sim = sim(40);
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("ncm-git");
    let mut rt = script_runtime(&sim, dir.path(), &[]);

    let n1 = night(&mut rt, &repo_dir);
    let repo = Repository::open(&repo_dir).unwrap();
    assert_eq!(commits(&repo), 1);
    let routers = sim.records("routers").len();
    let groups = sim.records("groups").len();
    // IgniteNet sites and devices too (the test profile has an IgniteNet key).
    let ignitenet = n1["ignitenet"].as_int().unwrap() as usize;
    assert!(ignitenet > 0);
    assert_eq!(
        n1["added"].as_int().unwrap() as usize,
        routers + groups + ignitenet
    );
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(
        tree.get_path(Path::new("ignitenet/sites")).is_ok()
            && tree.get_path(Path::new("ignitenet/devices")).is_ok()
    );
    assert_eq!(
        tree.get_path(Path::new("routers"))
            .unwrap()
            .to_object(&repo)
            .unwrap()
            .as_tree()
            .unwrap()
            .len(),
        routers
    );
    assert!(tree.get_path(Path::new("index.csv")).is_ok());

    // One router's config changes: exactly one commit, touching only its file. (A path no
    // simulated individual config sets, so the change adds it.)
    let rid = sim.records("routers")[3]["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(
        &mut rt,
        &format!(r#"ncm::patch_router_config({rid}, [#{{system: #{{desc: "night-two"}}}}, []])"#),
    );
    let n2 = night(&mut rt, &repo_dir);
    assert_eq!(commits(&repo), 2);
    assert_eq!(n2["changed"].as_int().unwrap(), 1, "{n2:?}");
    // Its file, and its row of index.csv (its version and SHA-256).
    assert_eq!(
        last_change(&repo),
        vec!["index.csv".to_string(), format!("routers/{rid}.json")]
    );
    let msg = repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .message()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with("backup: 1 changed, 0 added, 0 removed"),
        "{msg}"
    );
    assert!(
        msg.contains(" (by API key"),
        "who changed it, from the activity log: {msg}"
    );
    assert!(
        msg.contains(&format!("router {rid} (")) && msg.contains("configuration:system.desc"),
        "{msg}"
    );

    // backup_diff between nights 1 and 2: exactly that router and path.
    let out = dir.path().join("diff.csv");
    let mut c = rt.config().clone();
    c.read_dirs = vec![dir.path().to_path_buf()];
    c.args.insert("dir".into(), repo_dir.display().to_string());
    c.args.insert("out".into(), out.display().to_string());
    let mut diff_rt = fleetscript::Runtime::new(c).unwrap();
    let _ = diff_rt
        .run_source("backup_diff.rhai", &script("backup_diff.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let mut rd = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(
            (&r[0], &r[1], &r[3], &r[4]),
            ("router", rid.as_str(), "system.desc", "added"),
            "{r:?}"
        );
    }
    assert!(rows
        .iter()
        .any(|r| &r[2] == "configuration" && &r[6] == "\"night-two\""));

    // Nothing changed: no commit, the repository untouched.
    let head = repo.head().unwrap().target().unwrap();
    let n3 = night(&mut rt, &repo_dir);
    assert!(n3["commit"].is_unit(), "{n3:?}");
    assert_eq!(repo.head().unwrap().target().unwrap(), head);

    // A router gone from the account: its file goes in the next commit.
    let gone = sim.records("routers")[5]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gone_cm = cm_of_router(&sim, &gone)["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.with_store(|s| {
        assert!(s.remove("routers", &gone));
        assert!(s.remove("configuration_managers", &gone_cm));
    });
    let n4 = night(&mut rt, &repo_dir);
    assert_eq!(n4["removed"].as_int().unwrap(), 1);
    // (index.csv loses its row too.)
    assert_eq!(
        last_change(&repo),
        vec!["index.csv".to_string(), format!("routers/{gone}.json")]
    );
    assert!(!repo_dir.join(format!("routers/{gone}.json")).exists());
    // The work tree matches the last commit: `git status` would be clean.
    let statuses = repo
        .statuses(Some(
            git2::StatusOptions::new()
                .include_ignored(false)
                .include_untracked(true),
        ))
        .unwrap();
    assert_eq!(
        statuses.len(),
        0,
        "{:?}",
        statuses
            .iter()
            .map(|s| s.path().unwrap().to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_second_backup_into_the_same_directory_exits_75_at_once_naming_the_holder() {
    let sim = fleetscript::sim::Simulator::start(fleetscript::sim::SimOptions {
        routers: 300,
        latency: std::time::Duration::from_millis(40),
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = |store: &str| {
        let mut c = bin_for(&sim);
        c.current_dir(dir.path()).args([
            "run",
            "nightly_backup",
            "--arg",
            "dir=nightly",
            "--arg",
            &format!("store={store}"),
        ]);
        c
    };
    let first = backup("git")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lock = dir.path().join("nightly").join(".fleetscript.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != first.id().to_string() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first backup never took the lock"
        );
        std::thread::yield_now();
    }
    let mut first = first;
    let second = backup("git").output().unwrap();
    assert_eq!(second.status.code(), Some(75), "{}", text(&second));
    assert!(
        text(&second).contains(&format!("pid {}", first.id())),
        "{}",
        text(&second)
    );
    // It did not wait for the lock: the first run still holds it.
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run is still going"
    );
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    // The lock file stays out of git.
    let repo = Repository::open(dir.path().join("nightly")).unwrap();
    let clean = repo
        .statuses(Some(
            git2::StatusOptions::new()
                .include_ignored(false)
                .include_untracked(true),
        ))
        .unwrap();
    assert_eq!(clean.len(), 0);
    // A journal is locked the same way.
    let held = fleetscript::files::Dir::open(dir.path(), false)
        .unwrap()
        .lock("apn.journal.lock")
        .unwrap();
    let o = apn_rollout_in(&sim, dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    drop(held);
}

#[test]
fn restore_puts_the_backed_up_config_back_and_never_drops_a_secret() {
    let sim = sim(40);
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("ncm-git");
    let mut c = config_for(&sim);
    c.write_dirs = vec![dir.path().to_path_buf()];
    c.read_dirs = vec![dir.path().to_path_buf()];
    let mut rt = fleetscript::Runtime::new(c).unwrap();
    // A router with Wi-Fi (the simulated E300, product 60, has none).
    let rid = sim
        .records("routers")
        .into_iter()
        .skip(2)
        .find(|r| !r["product"].as_str().unwrap().ends_with("/products/60/"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm_of = |sim: &fleetscript::sim::Simulator| cm_of_router(sim, &rid);
    let cm_id = cm_of(&sim)["id"].as_str().unwrap().to_string();
    sim.with_store(|s| {
        let id = cm_id;
        s.find_mut("configuration_managers", &id).unwrap()["configuration"] =
            serde_json::json!([{"system": {"system_id": "backed-up"}}, []]);
    });
    night(&mut rt, &repo_dir);
    let backed_up = cm_of(&sim)["configuration"].clone();
    // A change that adds a key: the restore must remove it (a PUT).
    run(
        &mut rt,
        &format!(
            r#"ncm::patch_router_config({rid}, [#{{system: #{{system_id: "changed", gps: #{{enabled: true}}}}}}, []])"#
        ),
    );
    night(&mut rt, &repo_dir);
    let file = repo_dir
        .join(format!("routers/{rid}.json"))
        .display()
        .to_string();
    let restore = |rt: &mut fleetscript::Runtime, rev: &str| {
        let mut c = rt.config().clone();
        c.args.insert("router".into(), rid.clone());
        c.args.insert("from".into(), file.clone());
        c.args.insert("rev".into(), rev.into());
        let mut r = fleetscript::Runtime::new(c).unwrap();
        r.run_source("restore_config.rhai", &script("restore_config.rhai"))
    };
    sim.reset_counters();
    let _ = restore(&mut rt, "HEAD~1").unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(sim.counters().route("PUT", "configuration_managers"), 1);
    assert_eq!(
        cm_of(&sim)["configuration"],
        backed_up,
        "the configuration equals the backed-up one"
    );
    // A secret in the way: the router now holds a Wi-Fi key and an extra key; the PUT would drop
    // the key: refused, naming it, nothing sent.
    run(
        &mut rt,
        &format!(
            r#"ncm::patch_router_config({rid}, [#{{wlan: #{{radio: #{{"0": #{{bss: #{{"0": #{{wpapsk: "kept-secret-1"}}}}}}}}}}, system: #{{gps: #{{enabled: true}}}}}}, []])"#
        ),
    );
    sim.reset_counters();
    let e = restore(&mut rt, "HEAD~1").unwrap_err();
    assert!(
        e.render().contains("wlan.radio.0.bss.0.wpapsk"),
        "{}",
        e.render()
    );
    assert_eq!(sim.counters().writes, 0);
    assert_eq!(
        cm_of(&sim)["configuration"][0]["wlan"]["radio"]["0"]["bss"]["0"]["wpapsk"],
        "kept-secret-1"
    );
}

/// What the notify receiver got: (path, body) per request.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A local notify receiver: records (path, body) of each request, answers 200.
fn receiver() -> (String, Received) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ping/abc-uuid", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let seen = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut len = 0;
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            seen.lock()
                .unwrap()
                .push((path, String::from_utf8_lossy(&body).into_owned()));
            let _ = r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK");
        }
    });
    (url, got)
}

#[test]
fn notify_pings_start_then_success_or_start_then_fail() {
    let sim = sim(30);
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = receiver();
    let run_backup = |notify: &str| {
        let mut c = config_for(&sim);
        c.write_dirs = vec![dir.path().to_path_buf()];
        for (k, v) in [
            ("dir", dir.path().join("b").display().to_string()),
            ("store", "git".into()),
            ("notify", notify.into()),
        ] {
            c.args.insert(k.into(), v);
        }
        let mut rt = fleetscript::Runtime::new(c).unwrap();
        rt.run_source("nightly_backup.rhai", &script("nightly_backup.rhai"))
    };
    let _ = run_backup(&url).unwrap_or_else(|e| panic!("{}", e.render()));
    {
        let g = got.lock().unwrap();
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].0, "/ping/abc-uuid/start");
        assert_eq!(g[1].0, "/ping/abc-uuid");
        let summary: serde_json::Value = serde_json::from_str(&g[1].1).unwrap();
        assert_eq!(summary["routers"], 30);
        assert!(
            summary["commit"].is_string() && summary["duration_s"].is_number(),
            "{summary}"
        );
    }
    // A failing backup: start, then fail with the error.
    got.lock().unwrap().clear();
    sim.inject(fleetscript::sim::Fault::new("GET", "configuration_managers", 1, 500).times(50));
    let e = run_backup(&url).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    {
        let g = got.lock().unwrap();
        assert_eq!(
            g.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            ["/ping/abc-uuid/start", "/ping/abc-uuid/fail"]
        );
        let body: serde_json::Value = serde_json::from_str(&g[1].1).unwrap();
        assert!(body["error"].as_str().unwrap().contains("500"), "{body}");
        assert!(body["log"].is_array());
    }
    // An unreachable notify URL is a warning, never a failed backup.
    sim.clear_faults();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let _ =
        run_backup(&format!("http://{closed}/ping")).unwrap_or_else(|e| panic!("{}", e.render()));
}

#[test]
fn the_dated_store_links_unchanged_files_counts_changes_keeps_groups_and_prunes() {
    use std::os::unix::fs::MetadataExt;
    let sim = sim(30);
    let dir = tempfile::tempdir().unwrap();
    let mut rt = runtime_for(&sim);
    let d = fleetscript::files::Dir::open(dir.path(), false).unwrap();
    let first =
        fleetscript::backup::dated::backup_configs(rt.ncm(), &d, "2026-11-01", None).unwrap();
    assert_eq!(first.routers, 30);
    assert_eq!(first.groups, sim.records("groups").len());
    assert!(dir.path().join("2026-11-01/groups/2001.json").exists());
    let rid = sim.records("routers")[4]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = sim.records("routers")[9]["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(
        &mut rt,
        &format!(
            r#"ncm::patch_router_config({rid}, [#{{system: #{{system_id: "day-two"}}}}, []])"#
        ),
    );
    let second =
        fleetscript::backup::dated::backup_configs(rt.ncm(), &d, "2026-11-02", Some(2)).unwrap();
    assert_eq!(second.changed, 1, "only the changed router counts");
    let ino = |day: &str, id: &str| {
        std::fs::metadata(dir.path().join(format!("{day}/{id}.json")))
            .unwrap()
            .ino()
    };
    assert_eq!(
        ino("2026-11-01", &other),
        ino("2026-11-02", &other),
        "an unchanged file is a hard link"
    );
    assert_ne!(ino("2026-11-01", &rid), ino("2026-11-02", &rid));
    assert!(second.linked >= 29, "{}", second.linked);
    // keep=2: a third night removes the oldest.
    run(
        &mut rt,
        &format!(
            r#"ncm::patch_router_config({rid}, [#{{system: #{{system_id: "day-three"}}}}, []])"#
        ),
    );
    let third =
        fleetscript::backup::dated::backup_configs(rt.ncm(), &d, "2026-11-03", Some(2)).unwrap();
    assert_eq!(third.pruned, vec!["2026-11-01".to_string()]);
    assert!(!dir.path().join("2026-11-01").exists() && dir.path().join("2026-11-02").exists());
    // backup_changes on the dated store names the router and path.
    let rows =
        fleetscript::backup::changes::dated_changes(&d, Some("2026-11-02"), Some("2026-11-03"))
            .unwrap();
    assert!(rows.iter().all(|r| r.id == rid), "{rows:?}");
    assert!(
        rows.iter().any(|r| r.document == "configuration"
            && r.path == "system.system_id"
            && r.change == "changed"
            && r.old == Some(serde_json::json!("day-two"))
            && r.new == Some(serde_json::json!("day-three"))),
        "{rows:?}"
    );
}

/// A module with `test::interrupt()`: sets the run's cancellation flag, as Ctrl-C does, at the
/// point of the script that calls it.
fn interrupter(rt: &mut fleetscript::Runtime) {
    let cancel = rt.cancel_flag().clone();
    let mut m = rhai::Module::new();
    m.set_native_fn("interrupt", move || {
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    });
    rt.register_module("test", std::sync::Arc::new(m));
}

#[test]
fn an_interrupt_after_the_commit_or_rename_is_no_failure() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    interrupter(&mut rt);
    let git_dir = dir.path().join("ncm-git");
    // Ctrl-C right after the commit: the script still prints its report, and the run succeeds.
    let v = eval(
        &mut rt,
        &format!(
            r#"let r = ncm::backup_configs("{}", #{{store: "git"}}); test::interrupt(); let line = `${{r.routers}} routers`; r.commit"#,
            git_dir.display()
        ),
    );
    let head = Repository::open(&git_dir)
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    assert_eq!(v.to_string(), head);
    let saved = rt.saved().expect("past the point of no return");
    assert!(
        saved.starts_with("the backup commit ") && head.starts_with(&saved[18..30]),
        "{saved}"
    );
    // A request after it is still stopped: the run ends as interrupted after the save, exit 0.
    rt.reset_cancel();
    let e = rt
        .run_source(
            "t.rhai",
            &format!(
                r#"ncm::backup_configs("{}", #{{store: "git"}}); test::interrupt(); ncm::routers::list()"#,
                git_dir.display()
            ),
        )
        .expect_err("the listing is interrupted");
    assert_eq!(e.exit_code(), 0, "{}", e.render());
    assert!(
        e.render().starts_with("interrupted after the backup"),
        "{}",
        e.render()
    );
    // The dated store: after the final rename, the same.
    rt.reset_cancel();
    let _ = eval(
        &mut rt,
        &format!(
            r#"let r = ncm::backup_configs("{}"); test::interrupt(); print(`${{r.routers}} routers in ${{r.dir}}`);"#,
            dir.path().join("dated").display()
        ),
    );
    assert!(rt.saved().unwrap().starts_with("the dated backup "));
}

/// A store whose run is interrupted (Ctrl-C) once every document is written, as it finishes.
struct InterruptedAtFinish<S>(S);

impl<S: fleetscript::backup::store::Store> fleetscript::backup::store::Store
    for InterruptedAtFinish<S>
{
    fn kind(&self) -> &'static str {
        self.0.kind()
    }
    fn router_file(&self, router: &str) -> String {
        self.0.router_file(router)
    }
    fn put(
        &mut self,
        doc: &fleetscript::backup::Document,
        bytes: &[u8],
    ) -> fleetscript::Result<fleetscript::backup::store::Put> {
        self.0.put(doc, bytes)
    }
    fn finish(
        &mut self,
        index_csv: &[u8],
        notes: &fleetscript::backup::store::Notes,
        _: &std::sync::atomic::AtomicBool,
    ) -> fleetscript::Result<fleetscript::backup::store::Finished> {
        let cancel = std::sync::atomic::AtomicBool::new(true);
        self.0.finish(index_csv, notes, &cancel)
    }
}

#[test]
fn an_interrupt_before_the_commit_or_rename_leaves_the_previous_backup() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("ncm-git");
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    night(&mut rt, &git_dir);
    let repo = Repository::open(&git_dir).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap().id();
    // A router changes and another is gone, then Ctrl-C while the files are written: no commit,
    // and the work tree is put back as the last commit has it.
    let rid = sim.records("routers")[3]["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(
        &mut rt,
        &format!(r#"ncm::patch_router_config({rid}, [#{{system: #{{system_id: "moved"}}}}, []])"#),
    );
    let gone = sim.records("routers")[5]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gone_cm = cm_of_router(&sim, &gone)["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.with_store(|s| {
        assert!(s.remove("routers", &gone));
        assert!(s.remove("configuration_managers", &gone_cm));
    });
    let gone = format!("routers/{gone}.json");
    let d = fleetscript::files::Dir::open(&git_dir, false).unwrap();
    let store = fleetscript::backup::git::GitStore::open(&d, &|_| {}).unwrap();
    let mut store = InterruptedAtFinish(store);
    let r = fleetscript::backup::pipeline::run(rt.ncm(), None, &mut store, &Default::default());
    assert!(matches!(r, Err(fleetscript::Error::Interrupted)), "{r:?}");
    // (Dropped unfinished: its temporaries go.)
    drop(store);
    assert_eq!(repo.head().unwrap().peel_to_commit().unwrap().id(), head);
    let status = repo
        .statuses(Some(git2::StatusOptions::new().include_untracked(true)))
        .unwrap();
    let dirty: Vec<String> = status
        .iter()
        .map(|s| s.path().unwrap_or_default().to_string())
        .collect();
    assert!(dirty.is_empty(), "the work tree is as committed: {dirty:?}");
    assert!(git_dir.join(&gone).is_file(), "{gone} is back");
    // Interrupted while the documents are read: exit 130, no commit, and for the dated store
    // no dated directory and no staging directory left behind.
    rt.cancel_flag()
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e = rt
        .run_source(
            "t.rhai",
            &format!(
                r#"ncm::backup_configs("{}", #{{store: "git"}})"#,
                git_dir.display()
            ),
        )
        .unwrap_err();
    assert_eq!(e.exit_code(), 130, "{}", e.render());
    assert_eq!(repo.head().unwrap().peel_to_commit().unwrap().id(), head);
    let dated = dir.path().join("dated");
    std::fs::create_dir(&dated).unwrap();
    let d = fleetscript::files::Dir::open(&dated, false).unwrap();
    let r = fleetscript::backup::dated::backup_configs(rt.ncm(), &d, "2026-11-01", None);
    assert!(matches!(r, Err(fleetscript::Error::Interrupted)), "{r:?}");
    assert_eq!(
        std::fs::read_dir(&dated).unwrap().count(),
        0,
        "nothing left"
    );
}

/// `sh -c script` in a private mount namespace (`unshare -m`: a mount made there vanishes with
/// it), with the binary's clean environment, `BIN` naming the binary and `vars` set. `None`
/// when this machine cannot make one (not root): the caller skips, and says so.
fn in_mount_namespace(script: &str, vars: &[(&str, &Path)]) -> Option<std::process::Output> {
    match std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("skipped: no private mount namespace here (`unshare -m true`: {other:?}); this test needs root");
            return None;
        }
    }
    let b = bin();
    let mut c = std::process::Command::new("unshare");
    c.args(["-m", "sh", "-c", script]);
    for (k, v) in b.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("BIN", b.get_program());
    for (k, v) in vars {
        c.env(k, v);
    }
    Some(c.output().unwrap())
}

/// Every file below `dir` (by relative path) with its bytes, but the lock file (which holds
/// the last run's pid) and, when `skip_git`, the `.git` directory.
fn files_below(dir: &Path, skip_git: bool) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(
        root: &Path,
        d: &Path,
        skip_git: bool,
        out: &mut std::collections::BTreeMap<String, Vec<u8>>,
    ) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel == ".fleetscript.lock" || (skip_git && rel == ".git") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, skip_git, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = Default::default();
    walk(dir, dir, skip_git, &mut out);
    out
}

/// Half-written things below `dir`: temporaries of atomic writes, staging directories,
/// libgit2's temporary objects and lock files.
fn half_files(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if fleetscript::files::is_temporary(&name)
                || name.contains(".partial-")
                || name.starts_with("tmp_")
                || name.ends_with(".lock") && name != ".fleetscript.lock"
            {
                out.push(e.path().display().to_string());
            }
            if e.path().is_dir() {
                todo.push(e.path());
            }
        }
    }
    out
}

/// Checks every loose object of the repository as `git fsck` would: it inflates whole, its
/// header states its length, and its content hashes to its name. Returns how many there are.
fn fsck_loose_objects(git_dir: &Path) -> usize {
    use std::io::Read;
    let mut n = 0;
    for fan in std::fs::read_dir(git_dir.join("objects"))
        .unwrap()
        .flatten()
    {
        let prefix = fan.file_name().to_string_lossy().into_owned();
        if prefix.len() != 2 {
            continue;
        }
        for obj in std::fs::read_dir(fan.path()).unwrap().flatten() {
            let name = format!("{prefix}{}", obj.file_name().to_string_lossy());
            let mut raw = vec![];
            flate2::read::ZlibDecoder::new(std::fs::File::open(obj.path()).unwrap())
                .read_to_end(&mut raw)
                .unwrap_or_else(|e| panic!("object {name} does not inflate: {e}"));
            let nul = raw.iter().position(|b| *b == 0).expect("a header");
            let header = String::from_utf8_lossy(&raw[..nul]).into_owned();
            let (kind, len) = header.split_once(' ').unwrap();
            let body = &raw[nul + 1..];
            assert_eq!(len.parse::<usize>().unwrap(), body.len(), "object {name}");
            let kind = git2::ObjectType::from_str(kind).unwrap();
            assert_eq!(
                git2::Oid::hash_object(kind, body).unwrap().to_string(),
                name
            );
            n += 1;
        }
    }
    n
}

/// Two nightly backups into a fresh tmpfs in a private mount namespace: the first of 20
/// routers, then the filesystem is shrunk to what it holds plus 48 KiB, then one of 60 routers
/// of another fleet (every file changed or new). Returns the two outputs and the directory holding copies of the backup
/// after each run (`before`, `after`), or `None` when the machine cannot mount one.
fn backups_onto_a_filling_disk(store: &str) -> Option<(String, String, tempfile::TempDir)> {
    let out = tempfile::tempdir().unwrap();
    let mnt = tempfile::tempdir().unwrap();
    let script = r#"
        set -u
        mount -t tmpfs -o size=64m tmpfs "$MNT" || exit 90
        cd "$MNT" || exit 91
        "$BIN" run nightly_backup --sandbox --routers 20 --arg dir=b --arg store="$STORE" >"$OUT/first.log" 2>&1
        echo "exit $?" >>"$OUT/first.log"
        cp -a b "$OUT/before" || exit 92
        used=$(df -k "$MNT" | awk 'NR == 2 { print $3 }')
        mount -o remount,size=$((used + 48))k "$MNT" || exit 93
        "$BIN" run nightly_backup --sandbox --routers 60 --seed 2 --arg dir=b --arg store="$STORE" >"$OUT/second.log" 2>&1
        echo "exit $?" >>"$OUT/second.log"
        cp -a b "$OUT/after" || exit 94
    "#;
    let o = in_mount_namespace(
        script,
        &[
            ("MNT", mnt.path()),
            ("OUT", out.path()),
            ("STORE", Path::new(store)),
        ],
    )?;
    assert!(o.status.success(), "{}", text(&o));
    let log = |n: &str| std::fs::read_to_string(out.path().join(n)).unwrap();
    Some((log("first.log"), log("second.log"), out))
}

#[test]
fn a_dated_backup_onto_a_full_disk_fails_and_leaves_the_previous_one_intact() {
    let Some((first, second, out)) = backups_onto_a_filling_disk("dated") else {
        return;
    };
    assert!(first.ends_with("exit 0\n"), "{first}");
    assert!(second.ends_with("exit 1\n"), "{second}");
    assert!(
        second.contains("No space left on device") && second.contains(".json"),
        "the message names the file and the full disk: {second}"
    );
    assert!(
        second.contains("the previous backup is as it was"),
        "{second}"
    );
    let (before, after) = (out.path().join("before"), out.path().join("after"));
    assert_eq!(
        files_below(&before, false),
        files_below(&after, false),
        "the previous backup is byte for byte as it was"
    );
    assert_eq!(half_files(&after), Vec::<String>::new());
}

#[test]
fn a_git_backup_onto_a_full_disk_fails_and_leaves_the_repository_as_it_was() {
    let Some((first, second, out)) = backups_onto_a_filling_disk("git") else {
        return;
    };
    assert!(first.ends_with("exit 0\n"), "{first}");
    assert!(second.ends_with("exit 1\n"), "{second}");
    assert!(
        second.contains("No space left on device") && second.contains(".json"),
        "the message names the file and the full disk: {second}"
    );
    let (before, after) = (out.path().join("before"), out.path().join("after"));
    assert_eq!(
        files_below(&before, true),
        files_below(&after, true),
        "the work tree is as the last commit has it"
    );
    assert_eq!(half_files(&after), Vec::<String>::new());
    // git fsck: every object whole (none half-written), HEAD where it was, and every object
    // HEAD reaches there.
    assert!(fsck_loose_objects(&after.join(".git")) > 0);
    let head = |d: &Path| {
        Repository::open(d)
            .unwrap()
            .head()
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .id()
    };
    assert_eq!(head(&before), head(&after));
    let repo = Repository::open(&after).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        e.to_object(&repo).unwrap();
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    let dirty = repo
        .statuses(Some(git2::StatusOptions::new().include_untracked(true)))
        .unwrap();
    assert!(dirty.is_empty(), "git status is clean");
}

#[test]
fn a_truncated_object_ends_the_git_backup_with_exit_1_naming_it() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let backup = |into: &str| {
        bin_for(&sim)
            .current_dir(dir.path())
            .args(["run", "nightly_backup", "--arg", &format!("dir={into}")])
            .args(["--arg", "store=git", "--max-time", "30"])
            .output()
            .unwrap()
    };
    let o = backup("good");
    assert!(o.status.success(), "{}", text(&o));
    let good = Repository::open(dir.path().join("good")).unwrap();
    let head = good.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    let rid = sim.records("routers")[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = tree
        .get_path(Path::new(&format!("routers/{rid}.json")))
        .unwrap()
        .id();
    let routers_tree = tree.get_path(Path::new("routers")).unwrap().id();
    // The router changes, so the run compares against its blob.
    let cm = cm_of_router(&sim, &rid)["id"].as_str().unwrap().to_string();
    sim.with_store(|s| {
        s.find_mut("configuration_managers", &cm).unwrap()["configuration"] =
            serde_json::json!([{"system": {"system_id": "changed"}}, []]);
    });
    for (n, (id, what)) in [
        (head.id(), "the last commit (HEAD)"),
        (routers_tree, "the tree of routers"),
        (blob, &*format!("routers/{rid}.json at HEAD")),
    ]
    .into_iter()
    .enumerate()
    {
        // A copy of the repository with the object cut to half its length.
        let copy = dir.path().join(format!("damaged-{n}"));
        let cp = std::process::Command::new("cp")
            .arg("-a")
            .arg(dir.path().join("good"))
            .arg(&copy)
            .status()
            .unwrap();
        assert!(cp.success());
        let hex = id.to_string();
        let file = copy.join(".git/objects").join(&hex[..2]).join(&hex[2..]);
        let len = std::fs::metadata(&file).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(len / 2).unwrap();
        let o = backup(&format!("damaged-{n}"));
        let out = text(&o);
        // libgit2 would spin on it forever; the check finds it first.
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            out.contains(&format!("is damaged: the object {hex} ({what})"))
                && out.contains("restore the repository from a copy")
                && out.contains("git fsck"),
            "{out}"
        );
        assert_eq!(
            out.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "one line: {out}"
        );
        // (Read from the ref: the object is still cut short.)
        assert_eq!(
            Repository::open(&copy)
                .unwrap()
                .refname_to_id("HEAD")
                .unwrap(),
            head.id(),
            "HEAD unchanged"
        );
    }
}

/// Plants a file at `path` last modified `age` ago (negative: in the future).
fn plant(path: &Path, bytes: &[u8], age_secs: i64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    let now = std::time::SystemTime::now();
    let d = std::time::Duration::from_secs(age_secs.unsigned_abs());
    let when = if age_secs >= 0 { now - d } else { now + d };
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// The branch `HEAD` names (`refs/heads/master`, or whatever the default branch is here).
fn branch(repo: &Repository) -> String {
    repo.find_reference("HEAD")
        .unwrap()
        .symbolic_target()
        .unwrap()
        .to_string()
}

fn change_router(sim: &fleetscript::sim::Simulator, n: usize, value: &str) {
    let rid = sim.records("routers")[n]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm = cm_of_router(sim, &rid)["id"].as_str().unwrap().to_string();
    sim.with_store(|s| {
        s.find_mut("configuration_managers", &cm).unwrap()["configuration"] =
            serde_json::json!([{"system": {"system_id": value}}, []]);
    });
}

#[test]
fn what_a_killed_git_backup_left_is_removed_reported_and_the_next_backup_succeeds() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let backup = || {
        bin_for(&sim)
            .current_dir(dir.path())
            .args([
                "run",
                "nightly_backup",
                "--arg",
                "dir=b",
                "--arg",
                "store=git",
            ])
            .output()
            .unwrap()
    };
    let o = backup();
    assert!(o.status.success(), "{}", text(&o));
    let b = dir.path().join("b");
    let repo = Repository::open(&b).unwrap();
    let before = repo.head().unwrap().target().unwrap();
    // What a run killed while committing leaves: git's locks, an index cut short, a temporary.
    let ref_lock = format!("{}.lock", branch(&repo));
    let planted = [
        ".git/index.lock".to_string(),
        ".git/HEAD.lock".into(),
        format!(".git/{ref_lock}"),
        "routers/.fleetscript-4000000-7".into(),
    ];
    for p in &planted {
        plant(&b.join(p), b"left", 3600);
    }
    let index = std::fs::read(b.join(".git/index")).unwrap();
    plant(&b.join(".git/index"), &index[..index.len() / 3], 3600);
    change_router(&sim, 4, "after-the-crash");
    let o = backup();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for lock in [
        ".git/index.lock",
        ".git/HEAD.lock",
        &format!(".git/{ref_lock}"),
    ] {
        assert!(
            out.contains(&format!(
                "WARN  backup: removed the stale git lock {lock} ("
            )),
            "{out}"
        );
    }
    assert!(
        out.contains("removed the unreadable git index .git/index"),
        "{out}"
    );
    assert!(
        out.contains("removed 1 temporary file(s) a killed run left in routers"),
        "{out}"
    );
    for p in &planted {
        assert!(!b.join(p).exists(), "{p} is gone");
    }
    let repo = Repository::open(&b).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.parent_id(0).unwrap(), before, "one commit on top");
    assert!(repo
        .statuses(Some(git2::StatusOptions::new().include_untracked(true)))
        .unwrap()
        .is_empty());
}

#[test]
fn a_git_lock_newer_than_the_run_is_left_alone_and_the_repository_put_back() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    night(&mut rt, &b);
    let repo = Repository::open(&b).unwrap();
    let head = repo.head().unwrap().target().unwrap();
    let index = std::fs::read(b.join(".git/index")).unwrap();
    // Someone's git command holds the branch (its lock is newer than the run): the run writes
    // everything, then cannot move the branch, and puts the work tree and index back.
    let lock = b.join(format!(".git/{}.lock", branch(&repo)));
    plant(&lock, b"someone else", -3600);
    change_router(&sim, 3, "blocked");
    sim.with_store(|s| {
        let gone = s.table("routers").len() - 1;
        let id = s.kept_mut("routers", gone).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(s.remove("routers", &id));
    });
    let d = fleetscript::files::Dir::open(&b, false).unwrap();
    let e = fleetscript::backup::backup_git(rt.ncm(), rt.ignitenet(), &d).unwrap_err();
    // (Moving the branch is the last step: the files were in place, the index written.)
    assert!(
        matches!(e, fleetscript::Error::Git { .. }) && e.to_string().contains(".lock"),
        "{e}"
    );
    assert!(lock.exists(), "not ours: left alone");
    assert_eq!(repo.head().unwrap().target().unwrap(), head);
    assert!(repo
        .statuses(Some(git2::StatusOptions::new().include_untracked(true)))
        .unwrap()
        .is_empty());
    assert_eq!(
        std::fs::read(b.join(".git/index")).unwrap().len(),
        index.len()
    );
}

/// The pid of a process that has ended.
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_dead_holder_never_blocks_a_live_one_is_75_and_one_held_past_the_period_is_stuck() {
    let sim = sim_with(fleetscript::sim::SimOptions {
        routers: 300,
        latency: std::time::Duration::from_millis(20),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    let lock = b.join(".fleetscript.lock");
    let backup = |extra: &[&str]| {
        let mut c = bin_for(&sim);
        c.current_dir(dir.path())
            .args([
                "run",
                "nightly_backup",
                "--arg",
                "dir=b",
                "--arg",
                "store=git",
            ])
            .args(extra);
        c
    };
    // A lock file naming a process that is gone (nobody holds the flock): no obstacle.
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(&lock, dead_pid().to_string()).unwrap();
    let o = backup(&[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // A run killed (SIGKILL) while it holds the lock: the next run takes it and succeeds.
    change_router(&sim, 7, "killed-night");
    let mut victim = backup(&[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != victim.id().to_string() {
        assert!(
            std::time::Instant::now() < deadline,
            "it never took the lock"
        );
        std::thread::yield_now();
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    let o = backup(&[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let repo = Repository::open(&b).unwrap();
    assert!(repo
        .statuses(Some(git2::StatusOptions::new().include_untracked(true)))
        .unwrap()
        .is_empty());
    // A live holder (this test): 75 at once, naming it.
    let held = fleetscript::files::Dir::open(&b, false)
        .unwrap()
        .lock(".fleetscript.lock")
        .unwrap();
    let o = backup(&[]).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("(pid {}) holds", std::process::id())),
        "{}",
        text(&o)
    );
    // Held, but the pid it names is not running here (another pid namespace): still held,
    // and the message does not claim that pid is working.
    std::fs::write(&lock, dead_pid().to_string()).unwrap();
    let o = backup(&[]).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    assert!(text(&o).contains("is not running here"), "{}", text(&o));
    // Held for two days, longer than the period between two nights: stuck, exit 1 (a
    // scheduler that retries 75 would wait on it forever).
    let two_days = std::time::Duration::from_secs(2 * 86_400);
    std::fs::write(&lock, std::process::id().to_string()).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - two_days)
        .unwrap();
    let o = backup(&[]).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("(pid {}) has held", std::process::id()))
            && out.contains("longer than the 24 h between two runs: it is stuck")
            && out.contains(&format!("kill {}", std::process::id())),
        "{out}"
    );
    // With a longer period (--arg period=72 hours) it is only busy.
    let o = backup(&["--arg", "period=72"]).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    drop(held);
}

#[test]
fn both_stores_write_index_csv_with_the_same_columns_describing_their_files() {
    use sha2::Digest;
    let sim = sim(12);
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime_for(&sim);
    let open = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir(&p).unwrap();
        fleetscript::files::Dir::open(&p, false).unwrap()
    };
    let dated =
        fleetscript::backup::dated::backup_configs(rt.ncm(), &open("dated"), "2026-11-01", None)
            .unwrap();
    let git = fleetscript::backup::backup_git(rt.ncm(), rt.ignitenet(), &open("git")).unwrap();
    assert_eq!((dated.routers, git.routers), (12, 12));
    for root in [Path::new(&dated.dir), Path::new(&git.dir)] {
        let mut index = csv::Reader::from_path(root.join("index.csv")).unwrap();
        let header: Vec<String> = index
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(
            header,
            fleetscript::backup::index::HEADER,
            "{}",
            root.display()
        );
        let rows: Vec<csv::StringRecord> = index.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 12, "one row per router");
        for row in rows {
            // `file` names the router's file in that store, `sha256` its bytes.
            let bytes = std::fs::read(root.join(&row[8])).unwrap();
            let sha: String = sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(&row[9], sha.as_str(), "{row:?}");
            let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(&row[5], doc["id"].as_str().unwrap(), "{row:?}");
        }
    }
}

#[test]
fn an_unknown_or_bad_backup_option_is_a_usage_error_naming_the_options() {
    let sim = sim(3);
    let dir = tempfile::tempdir().unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    for (options, says) in [
        ("#{colour: 1}", "colour"),
        ("#{store: \"tape\"}", "tape"),
        ("#{keep: 0}", "keep=0"),
        ("#{stuck_after: 0.5}", "stuck_after=0.5"),
    ] {
        let e = rt
            .run_source(
                "t.rhai",
                &format!(
                    r#"ncm::backup_configs("{}", {options})"#,
                    dir.path().join("b").display()
                ),
            )
            .unwrap_err();
        let text = e.render();
        // (As before: an invalid argument fails the job.)
        assert_eq!(e.exit_code(), 1, "{text}");
        assert!(!text.contains("Syntax error"), "{text}");
        assert!(
            text.contains(says) && text.contains("options: store (\"dated\" or \"git\"), keep"),
            "{options}: {text}"
        );
    }
    assert_eq!(
        sim.counters().total,
        0,
        "no request before the options are checked"
    );
}
