//! The script library, profiles and the everyday CLI through the real binary: import resolution
//! order (a user module shadows a std one), `run NAME`, `run SCRIPT --help`, `scripts`,
//! `config show` (masked, sourced, permission warning), `config check`, `docs --check` (the
//! committed reference is fresh; a stale one is caught), shell completions, and the binding modules
//! shared by runtimes that each keep their own state.

use crate::common::*;
use std::path::Path;

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn out(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn imports_resolve_script_dir_then_path_then_user_lib_then_std() {
    let t = tempfile::tempdir().unwrap();
    let (scripts, path1, data) = (
        t.path().join("s"),
        t.path().join("p1"),
        t.path().join("data"),
    );
    let lib = data.join("fleetscript/lib");
    // "which" exists everywhere: the script's own directory wins.
    write(&scripts.join("which.rhai"), "fn who() { \"script dir\" }");
    write(
        &path1.join("which.rhai"),
        "fn who() { \"FLEETSCRIPT_PATH\" }",
    );
    write(&lib.join("which.rhai"), "fn who() { \"user lib\" }");
    // "second": the path before the user library.
    write(
        &path1.join("second.rhai"),
        "fn who() { \"FLEETSCRIPT_PATH\" }",
    );
    write(&lib.join("second.rhai"), "fn who() { \"user lib\" }");
    // "third": only the user library.
    write(&lib.join("third.rhai"), "fn who() { \"user lib\" }");
    // A user std/text shadows the built-in one; std/args is still the built-in.
    write(&lib.join("std/text.rhai"), "fn col(s, w) { \"user text\" }");
    write(
        &scripts.join("main.rhai"),
        r#"
        import "which" as a; import "second" as b; import "third" as c;
        import "std/text" as text; import "std/args" as args;
        print(`${a::who()}|${b::who()}|${c::who()}|${text::col("x", 3)}|${args::int(#{n: "7"}, "n", 0)}`);
        "#,
    );
    let o = bin()
        .env("FLEETSCRIPT_PATH", &path1)
        .env("XDG_DATA_HOME", &data)
        .current_dir(t.path())
        .args(["run", scripts.join("main.rhai").to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "script dir|FLEETSCRIPT_PATH|user lib|user text|7"
    );
    // A bad argument found by `std/args` ends the run with its message alone (`fail`): exit 1,
    // no script frames.
    write(
        &scripts.join("bad_arg.rhai"),
        "import \"std/args\" as args;\nlet n = args::int(#{n: \"x\"}, \"n\", 1);\n",
    );
    let o = bin()
        .args(["run", scripts.join("bad_arg.rhai").to_str().unwrap()])
        .output()
        .unwrap();
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: --arg n must be a whole number, not \"x\""
    );
    // An error raised inside a module points at the call in the script, and says where it rose.
    write(
        &scripts.join("bad_table.rhai"),
        "import \"std/lookup\" as lookup;\nlet t = lookup::table(\"nope\", \"name\");\n",
    );
    let o = bin()
        .args([
            "run",
            scripts.join("bad_table.rhai").to_str().unwrap(),
            "--sandbox",
        ])
        .output()
        .unwrap();
    let (_, stderr) = out(&o);
    assert!(stderr.contains("nope is not one of products"), "{stderr}");
    assert!(
        stderr.contains("bad_table.rhai:2:") && stderr.contains("2 | let t = lookup::table("),
        "{stderr}"
    );
    assert!(stderr.contains("raised in std/lookup at"), "{stderr}");
    // A missing module names every place it looked.
    write(&scripts.join("bad.rhai"), "import \"nowhere\" as n;");
    let o = bin()
        .env("FLEETSCRIPT_PATH", &path1)
        .env("XDG_DATA_HOME", &data)
        .args(["run", scripts.join("bad.rhai").to_str().unwrap()])
        .output()
        .unwrap();
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr.contains("module \"nowhere\" not found")
            && stderr.contains(path1.to_str().unwrap())
            && stderr.contains("std/args"),
        "{stderr}"
    );
}

#[test]
fn run_by_name_help_and_the_script_list() {
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("mylib");
    write(
        &lib.join("hello.rhai"),
        "#!/usr/bin/env fleetscript run\n// Purpose: greet someone by name. Nothing else.\n//\n// Arguments:\n//   --arg who=NAME   who to greet (default: world)\n\nprint(`hello ${ARGS.get(\"who\") ?? \"world\"}`);\n",
    );
    write(
        &lib.join("helpers.rhai"),
        "// Module: not a script\nfn x() { 1 }\n",
    );
    let run = |args: &[&str]| {
        bin()
            .env("FLEETSCRIPT_PATH", &lib)
            .env("XDG_DATA_HOME", t.path().join("d"))
            .current_dir(t.path())
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["run", "hello", "--arg", "who=ops"]);
    assert!(o.status.success(), "{}", out(&o).1);
    assert_eq!(out(&o).0.trim(), "hello ops");
    // --help prints the header and runs nothing.
    let o = run(&["run", "hello", "--help"]);
    let (stdout, _) = out(&o);
    assert!(o.status.success());
    assert!(
        stdout.starts_with("Purpose: greet someone by name.") && stdout.contains("--arg who=NAME"),
        "{stdout}"
    );
    assert!(!stdout.contains("hello world"));
    // Built-in scripts run by name from anywhere, and have --help too.
    let o = run(&["run", "inventory", "--sandbox", "--arg", "out=inv.csv"]);
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(t.path().join("inv.csv").is_file());
    let o = run(&["run", "apn_rollout", "--help"]);
    assert!(out(&o).0.contains("--arg group=GROUP"));
    // The list: ours with its purpose and place, modules left out, built-ins after.
    let o = run(&["scripts"]);
    let (stdout, _) = out(&o);
    let hello = stdout
        .lines()
        .find(|l| l.starts_with("hello"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        hello.contains("greet someone by name") && hello.contains("mylib"),
        "{hello}"
    );
    assert!(!stdout.contains("helpers"));
    assert!(stdout.lines().any(|l| l.starts_with("nightly_backup")));
    // Unknown names explain where they looked.
    let o = run(&["run", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("fleetscript scripts"), "{}", out(&o).1);
}

#[test]
fn config_show_masks_secrets_and_names_sources() {
    let t = tempfile::tempdir().unwrap();
    let cfg = t.path().join("fleetscript/config.toml");
    write(
        &cfg,
        "default_profile = \"lab\"\n\n[profiles.lab]\nx_cp_api_id = \"lab-cp-id-123\"\nx_cp_api_key = \"lab-cp-key-secret\"\nx_ecm_api_id = \"lab-ecm-id-456\"\nx_ecm_api_key = \"lab-ecm-key-secret\"\nignitenet_api_key = \"lab-ig-key-secret\"\nconcurrency = 8\ntimeout = 12.5\n\n[profiles.prod]\nncm_base_url = \"https://prod.example/api/v2\"\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let show = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = bin();
        c.env("XDG_CONFIG_HOME", t.path())
            .args(["config", "show"])
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = show(&[], &[]);
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    for secret in [
        "lab-cp-id-123",
        "lab-cp-key-secret",
        "lab-ecm-key-secret",
        "lab-ig-key-secret",
    ] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} leaked:\n{stdout}{stderr}"
        );
    }
    assert!(stdout.contains("profile: lab"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("x_cp_api_key")
            && l.contains("****")
            && l.contains("(profile lab)")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("concurrency") && l.contains(" 8 ")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("timeout") && l.contains("12.5 s")),
        "{stdout}"
    );
    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    // The environment wins over the profile; another profile by name.
    let o = show(&["--profile", "prod"], &[("X_CP_API_KEY", "env-key-value")]);
    let (stdout, _) = out(&o);
    assert!(
        stdout.contains("https://prod.example/api/v2") && stdout.contains("(profile prod)"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("x_cp_api_key") && l.contains("(environment X_CP_API_KEY)")),
        "{stdout}"
    );
    assert!(!stdout.contains("env-key-value"));
    // An unknown profile is an error naming the ones there are.
    let o = show(&["--profile", "staging"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("lab, prod"), "{}", out(&o).1);
    // A typo in the file is reported with its place.
    write(&cfg, "[profiles.lab]\nconcurency = 3\n");
    let o = show(&[], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("concurency"), "{}", out(&o).1);
}

#[test]
fn config_check_calls_each_cloud() {
    let sim = sim(5);
    let t = tempfile::tempdir().unwrap();
    let o = bin_for(&sim)
        .env("XDG_CONFIG_HOME", t.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("NCM (") && stdout.contains("): ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("IgniteNet (") && stdout.contains("ok, 3 sites"),
        "{stdout}"
    );
    assert_eq!(sim.counters().route("GET", "accounts"), 1);
    let o = bin_for(&sim)
        .env("XDG_CONFIG_HOME", t.path())
        .env("IGNITENET_API_KEY", "wrong-key-xyz")
        .args(["config", "check"])
        .output()
        .unwrap();
    let (stdout, _) = out(&o);
    // The key refused: exit 3, naming the key to check.
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout.contains("x-api-key header is not valid")
            && stdout.contains("check IGNITENET_API_KEY")
            && !stdout.contains("wrong-key-xyz"),
        "{stdout}"
    );
}

/// `docs` prints to standard output and writes nothing; `doc NAME` is the REPL's `:doc`; the
/// committed man page is what `man` prints.
#[test]
fn docs_doc_and_man_print_on_demand() {
    let t = tempfile::tempdir().unwrap();
    let o = bin().current_dir(t.path()).arg("docs").output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("ncm::routers::list"), "{text}");
    assert_eq!(
        std::fs::read_dir(t.path()).unwrap().count(),
        0,
        "nothing written"
    );
    let o = bin().args(["doc", "diff::apply"]).output().unwrap();
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.contains("diff::apply(") && page.contains("example:"),
        "{page}"
    );
    let o = bin().args(["doc", "ncm::routers::lst"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).1.contains("did you mean"), "{}", out(&o).1);
    let o = bin().arg("man").output().unwrap();
    assert!(o.status.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleetscript.1");
    assert_eq!(
        std::fs::read_to_string(committed).unwrap_or_default(),
        String::from_utf8_lossy(&o.stdout),
        "docs/fleetscript.1 is stale: run `cargo run -- man > docs/fleetscript.1` and commit it"
    );
}

#[test]
fn the_committed_reference_is_fresh_and_a_stale_one_is_caught() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md");
    let o = bin()
        .args(["docs", "--check", "--out", committed.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "docs/reference.md is stale: run `cargo run -- docs --out docs/reference.md` and commit it\n{}",
        out(&o).1
    );
    let t = tempfile::tempdir().unwrap();
    let stale = t.path().join("reference.md");
    let text = std::fs::read_to_string(&committed)
        .unwrap()
        .replace("ncm::routers::list", "ncm::routers::lst");
    std::fs::write(&stale, text).unwrap();
    let o = bin()
        .args(["docs", "--check", "--out", stale.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).1.contains("stale"));
    // Regenerating fixes it.
    let o = bin()
        .args(["docs", "--out", stale.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(&stale).unwrap(),
        std::fs::read_to_string(&committed).unwrap()
    );
    let reference = std::fs::read_to_string(&committed).unwrap();
    for must in [
        "### `ncm::routers::list(query: Map) -> Array`",
        "### `ignitenet::set_ssid(",
        "### `diff::apply(",
        "### `args::int(a, name, fallback)`",
        "## NCM endpoints",
        "## IgniteNet routes",
    ] {
        assert!(reference.contains(must), "{must}");
    }
}

#[test]
fn shell_completions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef fleetscript"),
        ("fish", "complete -c fleetscript"),
    ] {
        let o = bin().args(["completions", shell]).output().unwrap();
        assert!(o.status.success());
        let s = out(&o).0;
        assert!(s.contains(marker) && s.contains("repl"), "{shell}");
    }
}

/// The binding modules are built once and shared, the run's state travels in each engine's tag:
/// two runtimes in one process each reach their own cloud, and a plain Rhai engine given the
/// modules without that state gets an error naming the problem, not a panic.
#[test]
fn runtimes_share_the_modules_but_not_their_state() {
    let (small, large) = (crate::common::sim(3), crate::common::sim(7));
    let (mut a, mut b) = (
        crate::common::runtime_for(&small),
        crate::common::runtime_for(&large),
    );
    let count = "ncm::routers::list(#{fields: [\"id\"]}).len()";
    assert_eq!(crate::common::eval(&mut a, count).as_int().unwrap(), 3);
    assert_eq!(crate::common::eval(&mut b, count).as_int().unwrap(), 7);
    assert_eq!(crate::common::eval(&mut a, count).as_int().unwrap(), 3);

    let mut bare = rhai::Engine::new();
    bare.register_static_module("json", fleetscript::script::bindings::json::module());
    let e = bare
        .eval::<rhai::Dynamic>("json::read(\"x.json\")")
        .unwrap_err()
        .to_string();
    assert!(e.contains("engine built by fleetscript::Runtime"), "{e}");
    // Functions that need no state work in any engine.
    let v = bare.eval::<String>("json::stringify(#{a: 1})").unwrap();
    assert_eq!(v, "{\"a\":1}");
}
