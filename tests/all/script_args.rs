//! Scripts declare their arguments: `run` checks `--arg`s against the header's `Arguments:`
//! block before the script starts (undeclared, missing, malformed: exit 2 with the usage line),
//! output files are checked writable before the first request, values arrive typed, and
//! `--help` renders the declaration.

use crate::common::*;
use fleetscript::script::{args, library};

#[test]
fn every_built_in_script_declares_its_arguments() {
    for (name, src) in library::BUILTIN_SCRIPTS {
        let decl = args::declaration(&library::header(src))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name} has no Arguments: block"));
        assert!(!decl.is_empty(), "{name}");
    }
}

#[test]
fn undeclared_missing_and_malformed_arguments_are_usage_errors_before_any_request() {
    let sim = sim(5);
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("inventory.csv"), "the last report\n").unwrap();
    for (script, a, wants) in [
        (
            "inventory",
            vec!["stat=online"],
            vec![
                "no --arg stat",
                "did you mean --arg state",
                "it takes: out, state",
            ],
        ),
        (
            "inventory",
            vec!["state=onlin"],
            vec!["one of online, offline, initialized"],
        ),
        (
            "offline_report",
            vec!["hours=abc"],
            vec!["expected a whole number"],
        ),
        (
            "apn_rollout",
            vec!["apn=iot.example"],
            vec!["needs --arg group=GROUP"],
        ),
        (
            "inventory",
            vec!["out=/etc/fleetscript-test.csv"],
            vec!["--arg out=/etc/fleetscript-test.csv", "not allowed"],
        ),
    ] {
        sim.reset_counters();
        let mut c = bin_for(&sim);
        c.current_dir(t.path()).args(["run", script]);
        for kv in &a {
            c.args(["--arg", kv]);
        }
        let o = c.output().unwrap();
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{script} {a:?}: {out}");
        for w in wants {
            assert!(out.contains(w), "{script} {a:?}: wanted {w:?} in {out}");
        }
        assert!(
            out.contains(&format!("usage: fleetscript run {script}"))
                || out.contains("not allowed"),
            "{out}"
        );
        assert!(
            !out.contains("std/args"),
            "no stack trace into std/args: {out}"
        );
        assert_eq!(sim.counters().total, 0, "{script} {a:?} sent a request");
    }
    assert_eq!(
        std::fs::read_to_string(t.path().join("inventory.csv")).unwrap(),
        "the last report\n",
        "the last report is untouched"
    );
}

#[test]
fn values_arrive_typed_and_help_renders_the_declaration() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("typed.rhai"),
        "// Purpose: typed arguments.\n//\n// Arguments:\n//   --arg hours=N        hours (default: 5)\n//   --arg rate=RATE      a rate\n//   --arg on=BOOL        a switch (default: false)\n//   --arg to=G,G,...     targets\n\nprint(ARGS.hours + 1); print(type_of(ARGS.rate)); print(ARGS.on); print(ARGS.to.len());\n",
    )
    .unwrap();
    let o = bin()
        .current_dir(t.path())
        .args([
            "run",
            "typed.rhai",
            "--arg",
            "rate=2.5",
            "--arg",
            "on=yes",
            "--arg",
            "to=a,b",
        ])
        .output()
        .unwrap();
    assert_eq!(text(&o), "6\nf64\ntrue\n2\n");
    let o = bin()
        .current_dir(t.path())
        .args(["run", "typed.rhai", "--help"])
        .output()
        .unwrap();
    assert!(
        text(&o).contains("usage: fleetscript run typed.rhai [--arg hours=N] [--arg rate=RATE] [--arg on=BOOL] [--arg to=G,G,...]"),
        "{}",
        text(&o)
    );
    let o = bin()
        .args(["run", "apn_rollout", "--help"])
        .output()
        .unwrap();
    assert!(
        text(&o).contains("usage: fleetscript run apn_rollout --arg group=GROUP --arg apn=NAME"),
        "{}",
        text(&o)
    );
}

#[test]
fn check_is_as_strict_as_run() {
    let t = tempfile::tempdir().unwrap();
    let names: Vec<&str> = library::BUILTIN_SCRIPTS.iter().map(|(n, _)| *n).collect();
    let o = bin()
        .current_dir(t.path())
        .arg("check")
        .args(&names)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        text(&o).matches("ok: ").count(),
        names.len(),
        "{}",
        text(&o)
    );
    for (src, wants) in [
        ("print(`${ncm::routres::list().len()}`);", "ncm::routres"),
        ("ncm::routers::list(#{stat: \"online\"});", "stat"),
        (
            "import \"nowhere\" as n;\nprint(1);",
            "module \"nowhere\" not found",
        ),
        ("import \"broken\" as b;", "does not compile"),
        (
            "// Purpose: p.\n//\n// Arguments:\n//   --arg hours N\n\nprint(1);",
            "NAME=FORM",
        ),
    ] {
        std::fs::write(t.path().join("broken.rhai"), "fn x( {").unwrap();
        std::fs::write(t.path().join("s.rhai"), src).unwrap();
        let o = bin()
            .current_dir(t.path())
            .args(["check", "s.rhai"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{src}: {}", text(&o));
        assert!(text(&o).contains(wants), "{src}: {}", text(&o));
    }
}

#[test]
fn every_file_written_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for args in [
        vec!["run", "nightly_backup", "--sandbox", "--routers", "3"],
        vec!["run", "inventory", "--sandbox", "--routers", "3"],
    ] {
        let o = bin().current_dir(t.path()).args(&args).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    std::fs::write(
        t.path().join("j.rhai"),
        "json::write(\"out.json\", #{a: 1}); ncm::apply_all([], #{journal: \"j.journal\"});",
    )
    .unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["run", "j.rhai", "--sandbox"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let day = std::fs::read_dir(t.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let mut files = vec![
        t.path().join("inventory.csv"),
        t.path().join("out.json"),
        t.path().join("j.journal"),
        t.path().join("j.journal.lock"),
        t.path().join("backups/.fleetscript.lock"),
        day.join("index.csv"),
    ];
    // Every file of the backup, groups/ and ignitenet/ included.
    let mut dirs = vec![day.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}
