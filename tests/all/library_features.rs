//! The embeddable library without default features (`cargo build --lib --no-default-features`)
//! stays clean: its dependency tree holds none of the crates of the command line, the REPL, the
//! simulator, the progress lines or the binary's allocator, and tokio only inside reqwest (its
//! blocking client's own runtime), never as a dependency of the library itself.

use std::process::Command;

/// `cargo tree` of the library without default features, normal dependencies only.
fn tree(extra: &[&str]) -> Vec<String> {
    let o = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(extra)
        .output()
        .expect("cargo tree runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_library_alone_depends_on_no_cli_repl_simulator_or_terminal_crate() {
    let crates = tree(&[]);
    assert!(crates.iter().any(|c| c == "reqwest"), "{crates:?}");
    for banned in [
        "axum",
        "axum-core",
        "rustyline",
        "indicatif",
        "console",
        "clap",
        "clap_builder",
        "clap_complete",
        "clap_derive",
        "terminal_size",
        "crossterm",
        "ctrlc",
        "mimalloc",
        "libmimalloc-sys",
        "ureq",
    ] {
        assert!(
            !crates.iter().any(|c| c == banned),
            "{banned} is in the library's tree without default features"
        );
    }
    // tokio only through reqwest: not a direct dependency of the library.
    let direct = tree(&["--depth", "1"]);
    assert!(!direct.iter().any(|c| c == "tokio"), "{direct:?}");
}

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The simulator is a feature at the edge: outside `src/sim/`, only the binary (`main.rs`,
/// `cli.rs`) and test code (`tests.rs` files, `mod tests`) name the `sim` feature; the
/// configuration, the runtime and the clients never do.
#[test]
fn only_the_simulator_the_binary_and_tests_name_the_sim_feature() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "{files:?}");
    let mut named = vec![];
    for f in files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("sim/") || ["main.rs", "cli.rs"].contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Test code: a `tests.rs` file, or what follows a file's `mod tests`.
        let code = if rel.ends_with("/tests.rs") {
            ""
        } else {
            text.split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default()
        };
        if code.contains("feature = \"sim\"") {
            named.push(rel);
        }
    }
    assert!(named.is_empty(), "the sim feature is named in {named:?}");
}
