//! Tests of the files module: staging directories committed, dropped and cleaned up, and the
//! confinement (no symlink followed, a denied file refused under any name).

use super::*;

fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

fn sorted(d: &Dir) -> Vec<String> {
    let mut v = d.entries();
    v.sort();
    v
}

#[test]
fn commit_swaps_atomically_over_an_existing_directory_and_onto_a_new_name() {
    let t = tempfile::tempdir().unwrap();
    let parent = Dir::open(t.path(), false).unwrap();
    for round in 0..3 {
        let s = StagingDir::new(&parent, "2026-01-01").unwrap();
        s.dir()
            .write_new("f", round.to_string().as_bytes(), 0o600)
            .unwrap();
        let dir = s.commit("2026-01-01").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("f")).unwrap(),
            round.to_string()
        );
    }
    assert_eq!(sorted(&parent), vec!["2026-01-01"], "nothing else is left");
}

#[test]
fn a_dropped_staging_directory_is_removed() {
    let t = tempfile::tempdir().unwrap();
    let parent = Dir::open(t.path(), false).unwrap();
    {
        let s = StagingDir::new(&parent, "x").unwrap();
        s.dir().subdir(Path::new("a/b"), true).unwrap();
        s.dir().write_new("f", b"1", 0o600).unwrap();
    }
    assert!(parent.entries().is_empty());
}

#[test]
fn stale_staging_of_gone_processes_is_removed_and_a_half_swapped_backup_restored() {
    let t = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    let mine = std::process::id();
    for d in [
        format!(".2026-01-01.partial-{dead}-0"),
        format!(".2026-01-02.partial-{dead}"),
        format!(".2026-01-03.partial-{mine}-7"),
        format!(".2026-01-04.old-{dead}"),
    ] {
        std::fs::create_dir_all(t.path().join(&d).join("sub")).unwrap();
        std::fs::write(t.path().join(&d).join("sub/f"), "x").unwrap();
    }
    let parent = Dir::open(t.path(), false).unwrap();
    let done = clean_stale(&parent);
    assert_eq!(done.len(), 3, "{done:?}");
    assert_eq!(
        sorted(&parent),
        vec![format!(".2026-01-03.partial-{mine}-7"), "2026-01-04".into()]
    );
    assert!(t.path().join("2026-01-04/sub/f").exists());
}

#[test]
fn nothing_below_an_allowed_directory_follows_a_symlink() {
    let t = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    std::os::unix::fs::symlink(outside.path(), t.path().join("link")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), t.path().join("file")).unwrap();
    let w = Confined::new(Access::Write, &[t.path().to_path_buf()], &[]).unwrap();
    let r = Confined::new(Access::Read, &[t.path().to_path_buf()], &[]).unwrap();
    let inside = |n: &str| t.path().join(n).display().to_string();
    assert!(w.write_atomic(&inside("link/x"), b"1", 0o600).is_err());
    assert!(r.read(&inside("link/secret")).is_err());
    assert!(r.read(&inside("file")).is_err());
    // Writing over a symlink replaces the link itself, never its target.
    w.write_atomic(&inside("file"), b"new", 0o600).unwrap();
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret")).unwrap(),
        "s"
    );
    assert!(outside.path().read_dir().unwrap().count() == 1);
    w.write_atomic(&inside("a/b/c.txt"), b"ok", 0o600).unwrap();
    assert_eq!(r.read(&inside("a/b/c.txt")).unwrap(), b"ok");
    assert!(r
        .read(&outside.path().join("secret").display().to_string())
        .is_err());
    assert!(r.read("/proc/self/environ").is_err());
}

#[test]
fn a_hard_link_to_a_denied_file_is_refused_by_identity() {
    let t = tempfile::tempdir().unwrap();
    let conf = tempfile::tempdir().unwrap();
    let config = conf.path().join("config.toml");
    std::fs::write(&config, "x_cp_api_key = \"k\"").unwrap();
    std::fs::hard_link(&config, t.path().join("notes.txt")).unwrap();
    std::fs::write(t.path().join("other.txt"), "fine").unwrap();
    let dirs = [t.path().to_path_buf()];
    let r = Confined::new(Access::Read, &dirs, std::slice::from_ref(&config)).unwrap();
    let w = Confined::new(Access::Write, &dirs, std::slice::from_ref(&config)).unwrap();
    let inside = |n: &str| t.path().join(n).display().to_string();
    let e = r.read(&inside("notes.txt")).unwrap_err().to_string();
    assert!(e.contains("never allowed"), "{e}");
    assert!(w.open_append(&inside("notes.txt"), 0o600).is_err());
    assert_eq!(r.read(&inside("other.txt")).unwrap(), b"fine");
}
