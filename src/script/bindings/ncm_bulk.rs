//! `ncm::` bulk writes for scripts: `plan` (what a change would do, per router, with totals),
//! `apply_all` (waves, health gates, failure budget, journal, rollback on halt) and `rollback`
//! (revert a run from its journal). Options are checked here, at the edge, with one message
//! per mistake.

use super::diff::diff_arg;
use super::id_arg;
use super::{call, err_at, usage_error, RhaiResult, ScriptContext};
use crate::ncm::bulk::{self, options::ApplyOptions, BulkOptions, Change};
use rhai::{Array, Dynamic, Map, Module, NativeCallContext, Position};

const OPTIONS_HELP: &str = "options: concurrency, rate, method, journal, verify, verify_timeout, poll_interval, waves, soak, max_failures, rollback, drop_secrets, progress, label";

/// `apply_all`'s (or `plan`'s) options, deserialised and checked by the library; the journal,
/// a file the run must be allowed to write, opened (and locked) here.
fn parse_options(c: &ScriptContext, pos: Position, o: &Map) -> RhaiResult<BulkOptions> {
    let given: ApplyOptions = super::options(pos, "apply_all", OPTIONS_HELP, o.clone())?;
    let base = BulkOptions {
        concurrency: c.bulk_concurrency,
        rate: c.bulk_rate,
        ..BulkOptions::default()
    };
    let (mut b, journal) = given
        .into_bulk(base)
        .map_err(|e| usage_error(pos, format!("apply_all: {e}")))?;
    if let Some(path) = journal {
        if c.ncm.transport().options.dry_run {
            // Checked, but a dry run writes no journal (nor makes the journal directory
            // `journal_file` names).
            if !std::path::Path::new(&path).starts_with(&c.journal_dir) {
                c.check_writable(&path).map_err(err_at(c, pos))?;
            }
        } else {
            // One run per journal: a second one exits at once (75), naming the holder.
            let writes = c.writes().map_err(err_at(c, pos))?;
            let lock = writes
                .lock(&format!("{path}.lock"))
                .map_err(err_at(c, pos))?;
            let (p, f) = writes
                .open_append(&path, super::FILE_MODE)
                .map_err(err_at(c, pos))?;
            b.journal = Some(bulk::JournalFile::new(p, f).locked(lock));
        }
    }
    Ok(b)
}

fn changes_arg(pos: Position, changes: &Array) -> RhaiResult<Vec<Change>> {
    let mut list = vec![];
    for (i, ch) in changes.iter().enumerate() {
        let Some(m) = ch.read_lock::<Map>() else {
            return Err(usage_error(
                pos,
                format!(
                    "change {i} is a {}, not #{{router: id, diff: [..]}}",
                    ch.type_name()
                ),
            ));
        };
        let router = m
            .get("router")
            .ok_or_else(|| usage_error(pos, format!("change {i} has no router")))?;
        let d = m
            .get("diff")
            .ok_or_else(|| usage_error(pos, format!("change {i} has no diff")))?;
        list.push(Change {
            router: id_arg(pos, router)?,
            diff: diff_arg(pos, d)?,
        });
    }
    Ok(list)
}

/// `ncm::plan`: what `apply_all` would do, per router and in totals; nothing written.
fn plan(cx: &NativeCallContext, changes: &Array, mut options: Map) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    // A plan writes nothing: no journal is opened (or created, or locked) for it.
    options.remove("journal");
    let opts = parse_options(&c, pos, &options)?;
    let list = changes_arg(pos, changes)?;
    let p = bulk::plan(&c.ncm, &list, &opts).map_err(err_at(&c, pos))?;
    super::to_script(pos, &p.summary())
}

/// `ncm::apply_all`: options and changes checked, confirmed when typed at the prompt, then run.
fn apply_all(cx: &NativeCallContext, changes: &Array, options: &Map) -> RhaiResult<Array> {
    let (c, pos) = call(cx)?;
    let opts = parse_options(&c, pos, options)?;
    let list = changes_arg(pos, changes)?;
    if list.len() > super::CONFIRM_APPLY_ALL_OVER {
        let what = format!("a config change to {} routers (apply_all)", list.len());
        super::confirmed(&c, pos, &what)?;
    }
    let report = bulk::apply_all(&c.ncm, &list, &opts).map_err(err_at(&c, pos))?;
    super::to_script_array(pos, &report.rows())
}

/// `ncm::rollback`: a journal that exists, locked for the run, reverted.
fn rollback(cx: &NativeCallContext, journal: &str) -> RhaiResult<Array> {
    let (c, pos) = call(cx)?;
    // A journal that is not there is an error, not a new empty file.
    let writes = c.writes().map_err(err_at(&c, pos))?;
    writes.read(journal).map_err(err_at(&c, pos))?;
    let lock = writes
        .lock(&format!("{journal}.lock"))
        .map_err(err_at(&c, pos))?;
    let (p, f) = writes
        .open_append(journal, super::FILE_MODE)
        .map_err(err_at(&c, pos))?;
    drop(writes);
    let file = bulk::JournalFile::new(p, f).locked(lock);
    let reverted = bulk::rollback_journal(&c.ncm, &file, c.bulk_rate).map_err(err_at(&c, pos))?;
    let rows: Vec<_> = reverted.iter().map(|r| r.row()).collect();
    super::to_script_array(pos, &rows)
}

/// Registers `ncm::plan`, `ncm::apply_all` and `ncm::rollback`.
pub fn register(root: &mut Module) {
    functions! { root;
        /// What `apply_all` would do, without writing: per router its action ("patch", "put", "unchanged" or "refused"
        /// with a reason) and `changes` (`#{path, before, after, removed}`, secrets as "*"), read from each router's current
        /// individual configuration in a few paged requests; plus totals overall and by product, firmware and state.
        /// Takes the same options as `apply_all` (method and drop_secrets matter here).
        ///
        /// ```rhai
        /// let changes = ncm::routers::list(#{group: "IBR900 Stores", state: "online", fields: ["id"]}).map(|r| #{router: r.id, diff: ncm::lan_ip_diff("192.168.30.1", "255.255.255.0")});
        /// let p = ncm::plan(changes, #{}); print(`${p.totals.change} to change, ${p.totals.unchanged} unchanged`);
        /// ```
        fn plan(cx, changes: Array as "Array", options: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            plan(&cx, &changes, options)
        }

        /// Applies one change per router (`[#{router: 42, diff: [updates, removals]}, ...]`): plans first (routers whose
        /// individual config already carries the change are `unchanged` and not written; under --dry-run the plan is
        /// printed and nothing is sent), then writes in `waves` (cumulative counts or percentages, e.g. [1, "10%", "100%"];
        /// the first wave's canaries are online routers spread over products and firmwares). After each wave its routers
        /// must pass the health gate (synched, online, not suspended, no new config_rejected alert, still so after `soak`
        /// seconds; not synced within `verify_timeout` fails). More failures than `max_failures` (count or "N%", over the
        /// run; default 0: the first failure halts) halts, and so does any failure in the first of several waves (the
        /// canaries), whatever the budget: the rest is `skipped` with "halted: ..." (naming the failed routers and
        /// why), and `rollback: true` reverts what the run wrote. Offline
        /// routers are written last and reported `pending`. A `journal` makes a re-run continue where one stopped (sent but
        /// unverified routers are verified, not skipped). Returns `#{router, config_manager, status, reason, http_status, wave,
        /// method, changes, halted, next}` per change: status ok, failed, skipped, pending, unchanged, rolled back, rolled back
        /// (value pinned) or needs manual rollback; wave 0 when not written by this run; `halted` says why the run halted
        /// ("" when it did not) and `next` what to run next (the undo, how to continue).
        /// Options: concurrency (4), rate (20 writes/s), method ("patch"|"put"), journal, verify (false; implied by waves or
        /// soak), verify_timeout (300 s), poll_interval (5 s), waves, soak (0), max_failures (0), rollback (false),
        /// drop_secrets (false: a PUT that would drop a router's own secret is refused), progress, label.
        ///
        /// ```rhai
        /// let changes = ncm::routers::list(#{group: "IBR900 Stores", state: "online", fields: ["id"]}).map(|r| #{router: r.id, diff: ncm::lan_ip_diff("192.168.30.1", "255.255.255.0")});
        /// let report = ncm::apply_all(changes, #{waves: [1, "50%"], soak: 1, max_failures: "2%", rollback: true, journal: "lan.journal"});
        /// ```
        fn apply_all(cx, changes: Array as "Array", options: Map as "Map") -> RhaiResult<Array> as "Array" {
            apply_all(&cx, &changes, &options)
        }

        /// Reverts the writes a bulk-write journal recorded: each router the run changed gets back the effective
        /// configuration it had before the run, by a PATCH wherever one can: the previous individual values, and a path
        /// the run added set to the value the router inherited before (its firmware default and group: "value pinned").
        /// Only a path with no previous value needs a PUT of the previous configuration; a masked secret is never written,
        /// so a router whose PUT would drop one is `needs manual rollback` (with the paths) and the others are still rolled
        /// back. Returns `#{router, status, reason, method, changes}` per router: status rolled back, rolled back (value
        /// pinned), nothing to revert, needs manual rollback or failed; `changes` the paths written with their current and
        /// new values. Under --dry-run nothing is sent: each revert is printed and its status is "would roll back" or
        /// "would roll back (value pinned)".
        ///
        /// ```rhai
        /// let changes = ncm::routers::list(#{group: "IBR900 Stores", state: "online", fields: ["id"]}).map(|r| #{router: r.id, diff: ncm::lan_ip_diff("192.168.30.1", "255.255.255.0")});
        /// ncm::apply_all(changes, #{journal: "lan.journal"});
        /// for r in ncm::rollback("lan.journal") { print(`${r.router}: ${r.status}`); }
        /// ```
        fn rollback(cx, journal: &str as "string") -> RhaiResult<Array> as "Array" {
            rollback(&cx, journal)
        }

        /// The default journal file of a job: in the state directory (`$XDG_STATE_HOME/fleetscript/journals`, made
        /// owner-only when first needed), named after the job and the account (the API host and a hash of the base URL
        /// and API id), so a re-run finds it from any directory and a `--sandbox` rehearsal's journal is never taken
        /// for a real run's. `job` is letters, digits, `-`, `_` and `.`.
        ///
        /// ```rhai
        /// let changes = ncm::routers::list(#{group: "IBR900 Stores", state: "online", fields: ["id"]}).map(|r| #{router: r.id, diff: ncm::lan_ip_diff("192.168.30.1", "255.255.255.0")});
        /// let journal = ARGS.get("journal") ?? ncm::journal_file("lan_rollout-IBR900");
        /// ncm::apply_all(changes, #{journal: journal});
        /// ```
        fn journal_file(cx, job: &str as "string") -> RhaiResult<String> as "string" {
            journal_file(&cx, job)
        }
    }
}

/// `ncm::journal_file`: the job's journal path under the state directory, which scripts may
/// then write in.
fn journal_file(cx: &NativeCallContext, job: &str) -> RhaiResult<String> {
    let (c, pos) = call(cx)?;
    let valid = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.');
    if job.is_empty() || job.starts_with('.') || !job.chars().all(valid) {
        return Err(usage_error(
            pos,
            format!("journal_file: the job name {job:?} must be letters, digits, '-', '_' and '.' (not first)"),
        ));
    }
    let dir = &c.journal_dir;
    if !c.ncm.transport().options.dry_run {
        make_private_dir(dir).map_err(err_at(&c, pos))?;
        c.allow_write(dir).map_err(err_at(&c, pos))?;
    }
    let name = format!("{job}@{}.journal", c.ncm.account_tag());
    Ok(dir.join(name).to_string_lossy().into_owned())
}

/// Makes `dir` (and its parents) readable by the owner only: journals hold configurations.
fn make_private_dir(dir: &std::path::Path) -> Result<(), crate::error::Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| crate::error::Error::io(dir.display(), e))
}
