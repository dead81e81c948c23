//! `ncm::` backups and restore for scripts: `backup_configs` (dated or git store, one run per
//! directory), `read_backup` (a backup file, or its content at a git revision) and
//! `restore_config` (the smallest write that puts a backed-up configuration back).

use super::id_arg;
use super::{call, err_at, options, ret, usage_error, RhaiResult};
use rhai::{Dynamic, Module, NativeCallContext, Position};

/// `ncm::read_backup`: a backup file, or its content at a revision of the git store holding it.
fn read_backup(cx: &NativeCallContext, file: &str, rev: Option<&str>) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let Some(rev) = rev else {
        return super::read_json(&c, pos, file);
    };
    let reads = c
        .reads
        .read()
        .map_err(|_| usage_error(pos, "the read directories are unavailable"))?;
    let (root, rel) = reads.locate(file).map_err(err_at(&c, pos))?;
    let path = root.path().join(rel);
    drop(reads);
    crate::backup::git::read_at(&path, rev)
        .map(ret)
        .map_err(err_at(&c, pos))
}

/// `ncm::backup_changes` options.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesOptions {
    /// A git revision or a date.
    from: Option<String>,
    to: Option<String>,
}

/// The changes between two backups in `dir` (either store), `from`/`to` from the options.
fn backup_changes(cx: &NativeCallContext, dir: &str, o: rhai::Map) -> RhaiResult<rhai::Array> {
    let (c, pos) = call(cx)?;
    let ChangesOptions { from, to } = options(pos, "backup_changes", "options: from, to", o)?;
    let reads = c
        .reads
        .read()
        .map_err(|_| usage_error(pos, "the read directories are unavailable"))?;
    let (root, rel) = reads.locate(dir).map_err(err_at(&c, pos))?;
    let d = root.subdir(&rel, false).map_err(err_at(&c, pos))?;
    drop(reads);
    use crate::backup::changes;
    let rows = if d.path().join(".git").is_dir() {
        changes::git_changes(
            d.path(),
            from.as_deref().unwrap_or("HEAD~1"),
            to.as_deref().unwrap_or("HEAD"),
        )
    } else {
        changes::dated_changes(&d, from.as_deref(), to.as_deref())
    };
    Ok(rows
        .map_err(err_at(&c, pos))?
        .iter()
        .map(|r| ret(r.to_value()))
        .collect())
}

/// Which store `ncm::backup_configs` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoreKind {
    #[default]
    Dated,
    Git,
}

/// A number of seconds, whole or not.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(untagged)]
enum Seconds {
    Whole(i64),
    Fraction(f64),
}

/// `ncm::backup_configs` options, as scripts give them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupOptions {
    #[serde(default)]
    store: StoreKind,
    /// Each router's file also holds its effective configuration.
    #[serde(default)]
    effective: bool,
    /// How many dated backups to keep (1 or more).
    keep: Option<i64>,
    /// A lock held longer than this is a stuck run (exit 1), not a busy one (75).
    stuck_after: Option<Seconds>,
}

const OPTIONS_HELP: &str = "options: store (\"dated\" or \"git\"), keep (a count of dated backups, 1 or more), stuck_after (seconds, 1 or more), effective (true or false)";

/// A lock held longer than a day, the time between two nightly runs, is a stuck run's.
const STUCK_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The options checked: (options, keep, stuck_after). An unknown option or a value out of range
/// is a usage error naming the allowed ones.
fn backup_options(
    pos: Position,
    o: rhai::Map,
) -> RhaiResult<(BackupOptions, Option<usize>, std::time::Duration)> {
    let bad = |what: String| usage_error(pos, format!("backup_configs: {what}; {OPTIONS_HELP}"));
    let r: BackupOptions = options(pos, "backup_configs", OPTIONS_HELP, o)?;
    let keep = match r.keep {
        None => None,
        Some(n) => Some(
            usize::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(format!("option keep={n} is not 1 or more")))?,
        ),
    };
    let stuck_after = match r.stuck_after {
        None => STUCK_AFTER,
        Some(s) => {
            let secs = match s {
                Seconds::Whole(n) => n as f64,
                Seconds::Fraction(f) => f,
            };
            Some(secs)
                .filter(|s| *s >= 1.0)
                .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "option stuck_after={secs} is not 1 or more seconds"
                    ))
                })?
        }
    };
    Ok((r, keep, stuck_after))
}

/// Takes the backup directory's lock: one run at a time per directory, a second one exits at
/// once (75) naming the holder; a lock held longer than `stuck_after` is a stuck run's (exit 1:
/// waiting would skip every later run too).
fn lock_dir(
    d: &crate::files::Dir,
    stuck_after: std::time::Duration,
) -> crate::error::Result<crate::files::LockGuard> {
    use crate::error::Error;
    match d.lock(crate::backup::LOCK_FILE) {
        Err(Error::Locked {
            path,
            holder,
            held: Some(held),
            ..
        }) if held > stuck_after => {
            let since = std::time::SystemTime::now()
                .checked_sub(held)
                .map(chrono::DateTime::<chrono::Utc>::from)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            Err(Error::LockStuck {
                path,
                holder,
                since,
                held: span(held),
                period: span(stuck_after),
            })
        }
        other => other,
    }
}

/// `26 h 5 min`, `45 min`, `30 s`: how long a lock was held, as people say it.
fn span(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// `ncm::backup_configs`: one run per directory, into the git store or a dated one, through
/// the one backup pipeline.
fn backup_configs(cx: &NativeCallContext, dir: &str, o: rhai::Map) -> RhaiResult<Dynamic> {
    use crate::backup::{dated::DatedStore, git::GitStore, pipeline, store::Store};
    let (c, pos) = call(cx)?;
    let (options, keep, stuck_after) = backup_options(pos, o)?;
    let d = c
        .writes()
        .and_then(|w| w.dir(dir))
        .map_err(err_at(&c, pos))?;
    let _lock = lock_dir(&d, stuck_after).map_err(err_at(&c, pos))?;
    // What a killed run left and this one removed: a warning in a git repository (a stale
    // git lock), routine in a dated directory (a staging directory).
    let level = match options.store {
        StoreKind::Git => "WARN",
        StoreKind::Dated => "INFO",
    };
    let report = |line: &str| super::log::write(level, &format!("backup: {line}"), &c.redactor);
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut store: Box<dyn Store> = match options.store {
        StoreKind::Git => Box::new(GitStore::open(&d, &report).map_err(err_at(&c, pos))?),
        StoreKind::Dated => {
            Box::new(DatedStore::open(&d, &date, keep, &report).map_err(err_at(&c, pos))?)
        }
    };
    let run = pipeline::Options {
        effective: options.effective,
    };
    let r =
        pipeline::run(&c.ncm, Some(&c.ignitenet), store.as_mut(), &run).map_err(err_at(&c, pos))?;
    // The backup is saved: an interrupt from here on is no failure of the run.
    c.saved.mark(match (&r.commit, options.store) {
        (Some(id), _) => format!(
            "the backup commit {} in {}",
            id.get(..12).unwrap_or(id),
            r.dir
        ),
        (None, StoreKind::Git) => {
            format!("the backup in {} (no change since the last commit)", r.dir)
        }
        (None, StoreKind::Dated) => format!("the dated backup {}", r.dir),
    });
    for day in &r.pruned {
        let line = format!("backup: removed the dated backup {day} (keep)");
        super::log::write("INFO", &line, &c.redactor);
    }
    rhai::serde::to_dynamic(&r)
}

/// What `ncm::restore_config` returns.
#[derive(Debug, serde::Serialize)]
struct Restore<'a> {
    router: &'a str,
    /// `patch`, `put` or `unchanged`.
    method: &'a str,
    sent: bool,
    /// Every path that differs, before and after.
    changes: Vec<crate::diff::PathRow>,
}

/// `ncm::restore_config`, with its options.
fn restore_config(
    cx: &NativeCallContext,
    router_id: Dynamic,
    document: Dynamic,
    o: rhai::Map,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = id_arg(pos, &router_id)?;
    let super::SecretsOption { drop_secrets } = options(
        pos,
        "restore_config",
        "options: drop_secrets (true or false)",
        o,
    )?;
    let doc = crate::script::convert::dynamic_to_json(&document);
    let r = c
        .ncm
        .restore_config(&id, &doc, drop_secrets)
        .map_err(err_at(&c, pos))?;
    rhai::serde::to_dynamic(Restore {
        router: &id,
        method: r.method,
        sent: r.sent,
        changes: r.paths.iter().map(|p| p.row()).collect(),
    })
}

/// Registers `ncm::backup_configs`, `ncm::backup_changes`, `ncm::read_backup` and
/// `ncm::restore_config`.
pub fn register(root: &mut Module) {
    register_backups(root);
    register_reads(root);
}

/// `ncm::backup_configs` and `ncm::restore_config`.
fn register_backups(root: &mut Module) {
    functions! { root;
        /// Backs up every router's configuration (actual, target, configuration, version, sync state) to
        /// `<dir>/<YYYY-MM-DD>/<router_id>.json` plus `index.csv` with a SHA-256 per file, page by page with `fields`
        /// (never one request per router). Atomic: the finished backup replaces an earlier one of the same day in one step;
        /// a failed or killed run leaves no partial file, and what a killed run left is cleaned up at the next start.
        /// Each group's configuration goes to `groups/<id>.json`; a file identical to the previous backup's is a hard link
        /// to it. The final rename is the run's point of no return: Ctrl-C before it leaves the earlier backups as they were,
        /// after it the run is no longer failed by one (it finishes its report).
        /// Returns #{store, dir, routers, groups, ignitenet, changed, added, removed, linked, bytes, requests, commit, date,
        /// pruned}: documents changed, added and removed since the previous backup, files linked to it, bytes written,
        /// NCM requests, the date and the dated backups `keep` removed (`commit` is () in the dated store).
        /// `index.csv` has the same columns in both stores (docs/guide.md, "The backup index").
        ///
        /// ```rhai
        /// let r = ncm::backup_configs("backups"); print(`${r.routers} routers in ${r.dir}`);
        /// ```
        fn backup_configs(cx, dir: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            backup_configs(&cx, dir, rhai::Map::new())
        }

        /// `backup_configs` with options: `store: "git"` keeps history in a git repository at `dir` (created when
        /// missing): `routers/<id>.json` (the configuration manager as the API returned it), `groups/<id>.json`
        /// (configuration, target firmware) and `index.csv`; one commit per run that changed something, whose message
        /// names each changed router or group and its changed config paths; routers gone from the account are removed.
        /// Values that move without a config change (`synched`, `ecm.config_version`) never commit on their own. The commit
        /// is the point of no return: Ctrl-C before it leaves the repository (work tree included) as it was. Everything is
        /// synced to disk before the run reports success; a failed write or sync (a full disk) is an error naming the file,
        /// with the previous backup as it was and no half-written file. The repository is checked before it is used (the last
        /// commit, its trees, each file compared against): a damaged one is an error naming the object, never a hang. git's
        /// lock files and the temporaries a killed run left are removed first (a WARN line each).
        /// Returns the same map as without options (commit is () without change; date () in the git store). An unknown
        /// option, or a value out of range, is an error naming the options.
        /// `keep: N` (dated store) keeps the newest N dated backups. `stuck_after: SECS` (default 86400, a day): a lock another
        /// run has held longer than this is a stuck run's, an error (exit 1) rather than "locked" (exit 75), so a scheduler
        /// that retries 75 does not wait on it forever. `effective: true`: each router's file also holds `effective`, its
        /// effective configuration (its actual firmware's default configuration with its `actual` over it, each default read
        /// once), readable without NCM; `null` with `effective_error` when there is none (no known firmware, an `actual`
        /// that does not apply).
        ///
        /// ```rhai
        /// let r = ncm::backup_configs("ncm-git", #{store: "git"}); print(`${r.changed} changed`);
        /// ```
        fn backup_configs(cx, dir: &str as "string", options: rhai::Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            backup_configs(&cx, dir, options)
        }

        /// Puts a backed-up individual configuration back on a router (a backup file's document, or a bare diff) by the
        /// smallest write: a PATCH when nothing must be removed, else a PUT. "*" is never written; a PUT that would drop
        /// a secret the router holds is refused naming the paths. --dry-run shows every path's before and after.
        /// Returns #{router, method (patch, put, unchanged), sent, changes}.
        ///
        /// ```rhai
        /// let b = ncm::backup_configs("backups");
        /// let r = ncm::restore_config(10002, ncm::read_backup(`${b.dir}/10002.json`));
        /// ```
        fn restore_config(cx, router_id: Dynamic as "int|string", document: Dynamic as "Map|Array") -> RhaiResult<Dynamic> as "Map" {
            restore_config(&cx, router_id, document, rhai::Map::new())
        }

        /// `restore_config` with options: `drop_secrets: true` allows a PUT that drops the router's own secrets.
        ///
        /// ```rhai
        /// let b = ncm::backup_configs("backups");
        /// let doc = ncm::read_backup(`${b.dir}/10002.json`);
        /// ncm::restore_config(10002, doc, #{drop_secrets: true});
        /// ```
        fn restore_config(cx, router_id: Dynamic as "int|string", document: Dynamic as "Map|Array", options: rhai::Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            restore_config(&cx, router_id, document, options)
        }
    }
}

/// `ncm::backup_changes` and `ncm::read_backup`.
fn register_reads(root: &mut Module) {
    functions! { root;
        /// What changed between the last two backups in `dir` (either store): one row per router or group and config path,
        /// `#{kind, id, document, path, change, before, after}` (document configuration or actual, or file for a router added or
        /// removed whole; change added, changed or removed; secrets stay masked).
        ///
        /// ```rhai
        /// // not run: it compares the two newest nightly backups, and a sandbox has only today's
        /// for r in ncm::backup_changes("backups") { print(`${r.kind} ${r.id}: ${r.change} ${r.path}`); }
        /// ```
        fn backup_changes(cx, dir: &str as "string") -> RhaiResult<rhai::Array> as "Array" {
            backup_changes(&cx, dir, rhai::Map::new())
        }

        /// `backup_changes` between two given backups: `from`/`to` are git revisions (git store) or dates (dated store).
        ///
        /// ```rhai
        /// ncm::backup_configs("ncm-git", #{store: "git"});
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_lan_ip(r.id, "192.168.31.1", "255.255.255.0");
        /// ncm::backup_configs("ncm-git", #{store: "git"});
        /// let rows = ncm::backup_changes("ncm-git", #{from: "HEAD~1", to: "HEAD"});
        /// ```
        fn backup_changes(cx, dir: &str as "string", options: rhai::Map as "Map") -> RhaiResult<rhai::Array> as "Array" {
            backup_changes(&cx, dir, options)
        }

        /// A backup file (of either store): the configuration manager document as backed up.
        ///
        /// ```rhai
        /// let b = ncm::backup_configs("backups");
        /// let doc = ncm::read_backup(`${b.dir}/10002.json`);
        /// ```
        fn read_backup(cx, file: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            read_backup(&cx, file, None)
        }

        /// A backup file as it was at a revision of the git store holding it (a commit, `HEAD~1`, a branch).
        ///
        /// ```rhai
        /// ncm::backup_configs("ncm-git", #{store: "git"});
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_lan_ip(r.id, "192.168.31.1", "255.255.255.0");
        /// ncm::backup_configs("ncm-git", #{store: "git"});
        /// let doc = ncm::read_backup("ncm-git/routers/10002.json", "HEAD~1");
        /// ```
        fn read_backup(cx, file: &str as "string", rev: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            read_backup(&cx, file, Some(rev))
        }
    }
}
