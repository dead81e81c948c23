//! The REPL end to end in a pseudo-terminal against `--sandbox`: completion of a function and
//! of query keys, a multi-line function, a listing printed as a table, `:doc`, Ctrl-C during a
//! slowed-down listing returning to the prompt, Ctrl-C at an empty prompt not quitting,
//! `:quit`, and a history file without the line that held a secret. Plus the REPL's state
//! handling driven directly (no terminal).

use expectrl::{ControlCode, Expect, Session};
use fleetscript::repl::{format::Format, Outcome, Repl};
use std::process::Command;
use std::time::Duration;

#[test]
fn repl_in_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let hist = home.path().join("history.txt");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
    cmd.args([
        "repl",
        "--sandbox",
        "--routers",
        "1500",
        "--latency-ms",
        "40",
        "--history",
    ])
    .arg(&hist)
    .env("TERM", "xterm")
    .env("XDG_DATA_HOME", home.path().join("data"))
    .env("XDG_CONFIG_HOME", home.path().join("config"))
    .current_dir(home.path());
    let mut p = Session::spawn(cmd).expect("spawn the REPL in a pty");
    p.get_process_mut().set_window_size(160, 40).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("fleetscript (sandbox)> ").expect("a prompt");

    // Tab completes a function path, then a query key from the catalog.
    p.send("let few = ncm::routers::li").unwrap();
    p.send("\t").unwrap();
    p.send("(#{sta").unwrap();
    p.send("\t").unwrap();
    p.send(": \"online\", fields: [\"id\", \"name\", \"state\"], limit: 4}); few.len()\r")
        .unwrap();
    p.expect("\r\n4\r\n").expect("the completed call ran");
    p.expect("fleetscript (sandbox)> ").unwrap();

    // A list call prints a table.
    p.send("few\r").unwrap();
    p.expect(expectrl::Regex("id +name +state"))
        .expect("a table header");
    p.expect("(4 rows)").unwrap();
    p.expect("fleetscript (sandbox)> ").unwrap();

    // A multi-line function, decided by the parser, kept for later inputs.
    // Each line goes once the terminal has echoed the one before (as a person types), and
    // the last one ends with an expression whose value (1042) is not in its text: seeing it
    // means the whole definition was evaluated, not merely redrawn.
    p.send("fn double(x) {\r").unwrap();
    p.expect("double(x) {").unwrap();
    p.send("    x * 2\r").unwrap();
    p.expect("x * 2").unwrap();
    p.send("}; 6 * 7 + 1000\r").unwrap();
    p.expect("\r\n1042\r\n")
        .expect("the definition was evaluated");
    p.expect("fleetscript (sandbox)> ").unwrap();
    p.send("double(21)\r").unwrap();
    p.expect("42").expect("the function persisted");
    p.expect("fleetscript (sandbox)> ").unwrap();

    // :doc of an endpoint verb.
    p.send(":doc ncm::routers::list\r").unwrap();
    p.expect("ncm::routers::list(query: Map) -> Array").unwrap();
    p.expect("example:").unwrap();
    p.expect("fleetscript (sandbox)> ").unwrap();

    // A secret typed at the prompt never reaches the history file.
    p.send("let k = \"sandbox-cp-key\"; 7\r").unwrap();
    p.expect("7").unwrap();
    p.expect("fleetscript (sandbox)> ").unwrap();

    // Ctrl-C during a slowed-down listing (150 pages of 40 ms) returns to the prompt.
    p.send("let all = ncm::routers::list(#{page_size: 10}); all.len()\r")
        .unwrap();
    // Interrupted once the listing is under way: its progress line is on the screen.
    p.expect("pages)").expect("a progress line");
    // Stopped, not finished: the interruption is reported and the prompt is back (the
    // listing would finish in 6 s and print its length instead).
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("interrupted").expect("the listing stopped");
    p.expect("fleetscript (sandbox)> ").unwrap();
    p.send("1 + 1\r").unwrap();
    p.expect("2").unwrap();
    p.expect("fleetscript (sandbox)> ").unwrap();

    // Ctrl-C at an empty prompt does not quit; :quit does.
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("Ctrl-D or :quit").unwrap();
    p.expect("fleetscript (sandbox)> ").unwrap();
    p.send(":quit\r").unwrap();
    p.expect(expectrl::Eof).expect("the REPL exits");

    let h = std::fs::read_to_string(&hist).expect("history written");
    assert!(
        h.contains("double(21)") && h.contains(":doc ncm::routers::list"),
        "{h}"
    );
    assert!(!h.contains("sandbox-cp-key"), "the secret stayed out: {h}");
}

#[test]
fn repl_state_commands_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let lib = tempfile::tempdir().unwrap();
    let rt = fleetscript::sim::sandbox::runtime(
        fleetscript::Config {
            write_dirs: vec![dir.path().join("allowed")],
            library_path: vec![lib.path().to_path_buf()],
            ..Default::default()
        },
        Default::default(),
        Default::default(),
    )
    .unwrap();
    let mut r = Repl::new(rt);
    let run = |r: &mut Repl, input: &str| -> String {
        let mut out = vec![];
        assert_eq!(r.handle(input, &mut out), Outcome::Continue);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(run(&mut r, "let x = 20;"), "");
    assert_eq!(run(&mut r, "x + 1"), "21\n");
    assert!(run(&mut r, "fn f() { x }").is_empty());
    assert!(
        run(&mut r, "f()").contains("Variable not found"),
        "functions do not see globals, as in scripts"
    );
    // Syntax errors come with a caret.
    let e = run(&mut r, "let = 3;");
    assert!(e.contains('^') && e.contains("<input"), "{e}");
    // Tables, maps, JSON, CSV.
    let t = run(
        &mut r,
        "ncm::routers::list(#{fields: [\"id\", \"name\"], limit: 3})",
    );
    assert!(t.starts_with("id") && t.contains("(3 rows)"), "{t}");
    let m = run(&mut r, "#{name: \"a\", id: 1}");
    assert_eq!(m, "id    1\nname  a\n");
    run(&mut r, ":format json");
    assert_eq!(r.format, Format::Json);
    assert!(run(&mut r, "#{a: 1}").contains("\"a\": 1"));
    run(&mut r, ":format csv");
    assert!(run(&mut r, "[#{a: 1}, #{a: 2}]").starts_with("a\n1\n2"));
    // :save writes the last result under the allowed directory.
    let saved = run(
        &mut r,
        &format!(":save {}", dir.path().join("last.csv").display()),
    );
    assert!(
        saved.contains("is not allowed"),
        "writes stay under the allowed directories: {saved}"
    );
    let file = dir.path().join("allowed/last.csv");
    let saved = run(&mut r, &format!(":save {}", file.display()));
    assert!(saved.starts_with("saved to"), "{saved}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\n1\n2\n");
    // std/ modules without import, :fields, :reset, unknown commands.
    assert!(run(&mut r, "args::int(#{n: \"5\"}, \"n\", 1)").contains('5'));
    let f = run(&mut r, ":fields routers");
    assert!(
        f.contains("state") && f.contains("state__in") && f.contains("(expandable)"),
        "{f}"
    );
    // An import typed on its own lasts for the session; modules come from the library path
    // only, never from an absolute path.
    std::fs::write(lib.path().join("mine.rhai"), "fn triple(x) { x * 3 }").unwrap();
    let refused = run(
        &mut r,
        &format!("import \"{}/mine\" as abs;", lib.path().display()),
    );
    assert!(refused.contains("library path"), "{refused}");
    let said = run(&mut r, "import \"mine\" as mine;");
    assert!(said.contains("mine:: is"), "{said}");
    run(&mut r, ":format table");
    assert_eq!(run(&mut r, "mine::triple(5)"), "15\n");
    assert!(run(&mut r, "import \"nowhere\" as n;").contains("module \"nowhere\" not found"));
    assert!(run(&mut r, ":reset").contains("forgotten"));
    assert!(run(&mut r, "x").contains("Undefined variable: x"));
    assert!(run(&mut r, ":bogus").contains("unknown command"));
    assert!(run(&mut r, ":doc ncm::routers::lst").contains("did you mean"));
    let mut out = vec![];
    assert_eq!(r.handle(":quit", &mut out), Outcome::Quit);
}

/// `run` on a terminal: a pages() loop of more than a few pages shows a progress line; the same
/// run with stderr not a terminal shows none.
/// `:set` lists every setting of the table with where it came from, and changes one for the rest
/// of the session: the runtime is rebuilt with it, variables, imports and the std/ modules stay.
/// API keys are not typed at the prompt; a bad value changes nothing.
#[test]
fn set_lists_every_setting_and_changes_one_for_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let rt = fleetscript::sim::sandbox::runtime(
        fleetscript::Config {
            write_dirs: vec![dir.path().to_path_buf()],
            ..Default::default()
        },
        Default::default(),
        Default::default(),
    )
    .unwrap();
    let mut r = Repl::new(rt);
    let run = |r: &mut Repl, input: &str| -> String {
        let mut out = vec![];
        assert_eq!(r.handle(input, &mut out), Outcome::Continue);
        String::from_utf8(out).unwrap()
    };
    let listed = run(&mut r, ":set");
    for s in fleetscript::settings::SETTINGS {
        assert!(
            listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(s.name)),
            "{} not listed:\n{listed}",
            s.name
        );
    }
    assert!(!listed.contains("sandbox-cp-key"), "{listed}");
    assert_eq!(run(&mut r, "let n = 41;"), "");
    let t = run(&mut r, ":set timeout 12.5");
    assert!(
        t.starts_with("timeout") && t.contains("12.5 s") && t.contains("(:set)"),
        "{t}"
    );
    assert_eq!(r.rt.config().http.timeout, Duration::from_millis(12_500));
    assert!(run(&mut r, ":set").contains("(:set)"));
    // The session goes on against the same simulator, with its variables and std/ modules.
    assert!(run(&mut r, "n + 1").contains("42"));
    assert!(run(&mut r, "ncm::routers::list(#{limit: 2}).len()").contains('2'));
    assert!(run(&mut r, "args::int(#{}, \"x\", 3)").contains('3'));
    let t = run(&mut r, ":set page_concurrency 0");
    assert!(t.contains("page_concurrency must be 1 to 32"), "{t}");
    assert_eq!(r.rt.config().page_concurrency, 8);
    assert!(run(&mut r, ":set x_cp_api_key abcdefgh123").contains("not at the prompt"));
    assert!(run(&mut r, ":set timeot 3").contains("did you mean \"timeout\""));
    let t = run(&mut r, ":set read_only true");
    assert!(t.contains("true") && t.contains("(:set)"), "{t}");
    let t = run(&mut r, r#"ncm::request("DELETE", "routers/10001/")"#);
    assert!(t.contains("this run is read-only"), "{t}");
}

#[test]
fn run_shows_progress_for_a_long_pages_loop_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("walk.rhai");
    std::fs::write(
        &script,
        "let n = 0;\nfor page in ncm::routers::pages(#{fields: [\"id\"], page_size: 50}) { n += page.len(); }\nprint(`walked ${n}`);\n",
    )
    .unwrap();
    let args = |cmd: &mut Command| {
        cmd.arg("run")
            .arg(&script)
            .args(["--sandbox", "--routers", "1500", "--latency-ms", "30"])
            .env("TERM", "xterm")
            .current_dir(dir.path());
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
    args(&mut cmd);
    let mut p = Session::spawn(cmd).expect("spawn run in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect(expectrl::Regex(r"routers \(\d+ pages\): \d+ records"))
        .expect("a progress line naming the listing, its pages and records");
    p.expect("walked 1500").expect("the script finished");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
    args(&mut cmd);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("walked 1500"));
    assert!(
        !stderr.contains("pages)"),
        "no progress when not a terminal: {stderr}"
    );
}

/// Issue 15's terminal: a group name completed from the account, the continuation prompt, a
/// delete refused at its question (and nothing deleted), `[dry-run]` in the prompt, a config
/// path completed from a value, and a passkey typed into a helper kept out of the history.
#[test]
fn repl_protects_and_completes_names() {
    let home = tempfile::tempdir().unwrap();
    let hist = home.path().join("history.txt");
    let spawn = |dry_run: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
        cmd.args(["repl", "--sandbox", "--history"])
            .arg(&hist)
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .current_dir(home.path());
        if dry_run {
            cmd.arg("--dry-run");
        }
        let mut p = Session::spawn(cmd).expect("spawn the REPL in a pty");
        p.get_process_mut().set_window_size(160, 40).unwrap();
        p.set_expect_timeout(Some(Duration::from_secs(30)));
        p
    };
    let mut p = spawn(false);
    p.expect("fleetscript (sandbox)> ")
        .expect("a prompt naming the sandbox");

    // A group name from the account: `ncm::group("MBR1400 St` + Tab completes the name and
    // closes the string.
    p.send("ncm::group(\"MBR1400 St").unwrap();
    p.send("\t").unwrap();
    p.send(").name\r").unwrap();
    p.expect("\r\nMBR1400 Stores\r\n")
        .expect("the completed name ran");
    p.expect("(sandbox)> ").unwrap();

    // A multi-line input shows the continuation prompt.
    p.send("let total = [1, 2,\r").unwrap();
    p.expect("...> ").expect("a continuation prompt");
    p.send("3].len() * 100; total + 1\r").unwrap();
    p.expect("\r\n301\r\n").unwrap();
    p.expect("(sandbox)> ").unwrap();

    // A config path from the value at hand.
    p.send("let cfg = #{wan: #{rules2: [1], primary: 2}, lan: 3};\r")
        .unwrap();
    p.expect("(sandbox)> ").unwrap();
    p.send("diff::get(cfg, \"wan.pr").unwrap();
    p.send("\t").unwrap();
    p.send("\") + 40\r").unwrap();
    p.expect("\r\n42\r\n").expect("the completed path ran");
    p.expect("(sandbox)> ").unwrap();

    // A delete asks first; anything but yes stops it, and nothing is sent.
    p.send("ncm::routers::delete(\"10001\")\r").unwrap();
    p.expect("DELETE routers/10001: type yes to go on")
        .expect("the question");
    p.send("no\r").unwrap();
    p.expect("not confirmed").expect("refused");
    p.expect("(sandbox)> ").unwrap();
    p.send("ncm::routers::get(\"10001\").id + \"!\"\r").unwrap();
    p.expect("10001!").expect("the router is still there");
    p.expect("(sandbox)> ").unwrap();

    // A passkey typed into a helper stays out of the history.
    p.send("let psk = \"hunter2-store-wifi\"; 5 + 2\r").unwrap();
    p.expect("\r\n7\r\n").unwrap();
    p.expect("(sandbox)> ").unwrap();
    p.send(":quit\r").unwrap();
    p.expect(expectrl::Eof).unwrap();

    // Under --dry-run the prompt says so, and a delete is printed, not asked about.
    let mut p = spawn(true);
    p.expect("fleetscript (sandbox) [dry-run]> ")
        .expect("the dry-run prompt");
    p.send("ncm::routers::delete(\"10001\"); 9\r").unwrap();
    p.expect("DELETE").unwrap();
    p.expect("\r\n9\r\n").unwrap();
    p.send(":quit\r").unwrap();
    p.expect(expectrl::Eof).unwrap();

    let h = std::fs::read_to_string(&hist).expect("history written");
    assert!(h.contains("ncm::routers::delete"), "{h}");
    assert!(
        h.contains("let total = [1, 2,\n3].len()") || h.contains("3].len()"),
        "{h}"
    );
    assert!(!h.contains("hunter2"), "the passkey stayed out: {h}");
}
