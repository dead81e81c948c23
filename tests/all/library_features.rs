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
