//! `ncm::` backups and restore for scripts: `backup_configs` (dated or git store, one run per
//! directory), `read_backup` (a backup file, or its content at a git revision) and
//! `restore_config` (the smallest write that puts a backed-up configuration back).

use super::id_arg;
use super::{doc, ret, usage_error, RhaiResult, ScriptContext};
use rhai::{Dynamic, FuncRegistration, Module, NativeCallContext, Position};
use std::sync::Arc;

use super::err_at as err;

use super::flag_option;

fn read_backup(
    c: &ScriptContext,
    pos: Position,
    file: &str,
    rev: Option<&str>,
) -> RhaiResult<Dynamic> {
    let Some(rev) = rev else {
        let bytes = c.read_file(file).map_err(err(c, pos))?;
        return serde_json::from_slice::<serde_json::Value>(&bytes)
            .map(ret)
            .map_err(|e| usage_error(pos, format!("{file}: not valid JSON: {e}")));
    };
    let reads = c
        .reads
        .read()
        .map_err(|_| usage_error(pos, "the read directories are unavailable"))?;
    let (root, rel) = reads.locate(file).map_err(err(c, pos))?;
    let path = root.path().join(rel);
    drop(reads);
    crate::backup::git::read_at(&path, rev)
        .map(ret)
        .map_err(err(c, pos))
}

/// The changes between two backups in `dir` (either store), `from`/`to` from the options.
fn backup_changes(
    c: &ScriptContext,
    pos: Position,
    dir: &str,
    o: &rhai::Map,
) -> RhaiResult<rhai::Array> {
    let (mut from, mut to) = (None, None);
    for (k, v) in o {
        match k.as_str() {
            "from" => from = Some(v.to_string()),
            "to" => to = Some(v.to_string()),
            _ => {
                return Err(usage_error(
                    pos,
                    format!("backup_changes: unknown option {k:?}; options: from, to"),
                ))
            }
        }
    }
    let reads = c
        .reads
        .read()
        .map_err(|_| usage_error(pos, "the read directories are unavailable"))?;
    let (root, rel) = reads.locate(dir).map_err(err(c, pos))?;
    let d = root.subdir(&rel, false).map_err(err(c, pos))?;
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
        .map_err(err(c, pos))?
        .iter()
        .map(|r| ret(r.to_value()))
        .collect())
}

pub fn register(root: &mut Module, ctx: &Arc<ScriptContext>) {
    register_backup_changes(root, ctx);
    register_backup_configs(root, ctx);
    register_read_backup(root, ctx);
    register_restore_config(root, ctx);
}

/// `ncm::backup_changes`.
fn register_backup_changes(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for with_options in [false, true] {
        let c = ctx.clone();
        let reg = FuncRegistration::new("backup_changes");
        if with_options {
            reg.with_comments([doc("`backup_changes` between two given backups: `from`/`to` are git revisions (git store) or dates (dated store).", "let rows = ncm::backup_changes(\"ncm-git\", #{from: \"HEAD~7\", to: \"HEAD\"});")])
                .with_params_info(["dir: string", "options: Map", "Array"])
                .set_into_module(root, move |cx: NativeCallContext, dir: &str, o: rhai::Map| backup_changes(&c, cx.call_position(), dir, &o));
        } else {
            reg.with_comments([doc("What changed between the last two backups in `dir` (either store): one row per router or group and config path,\n`#{kind, id, document, path, change, before, after}` (document configuration or actual, or file for a router added or\nremoved whole; change added, changed or removed; secrets stay masked).", "for r in ncm::backup_changes(\"backups\") { print(`${r.kind} ${r.id}: ${r.change} ${r.path}`); }")])
                .with_params_info(["dir: string", "Array"])
                .set_into_module(root, move |cx: NativeCallContext, dir: &str| backup_changes(&c, cx.call_position(), dir, &rhai::Map::new()));
        }
    }
}

/// `ncm::backup_configs`.
fn register_backup_configs(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for with_options in [false, true] {
        let c = ctx.clone();
        let f = move |pos: Position, dir: &str, o: rhai::Map| -> RhaiResult<Dynamic> {
            let (mut git, mut keep) = (false, None);
            for (k, v) in &o {
                match (k.as_str(), v.to_string().as_str()) {
                    ("store", "git") => git = true,
                    ("store", "dated") => git = false,
                    ("keep", _) if v.as_int().is_ok_and(|n| n >= 1) => keep = v.as_int().ok().and_then(|n| usize::try_from(n).ok()),
                    _ => return Err(usage_error(pos, format!("backup_configs: option {k}={v} is not known; options: store (\"dated\" or \"git\"), keep (a count of dated backups, 1 or more)"))),
                }
            }
            let d = c.writes.dir(dir).map_err(err(&c, pos))?;
            // One backup at a time per directory: a second run exits at once (75), naming the holder.
            let _lock = d.lock(crate::backup::LOCK_FILE).map_err(err(&c, pos))?;
            if git {
                let r =
                    crate::backup::backup_git(&c.ncm, &c.ignitenet, &d).map_err(err(&c, pos))?;
                return Ok(ret(
                    serde_json::json!({"store": "git", "dir": r.summary.dir.display().to_string(), "routers": r.routers, "groups": r.groups, "ignitenet": r.ignitenet,
                    "changed": r.summary.changed, "added": r.summary.added, "removed": r.summary.removed, "commit": r.summary.commit, "requests": r.requests}),
                ));
            }
            let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
            let r = crate::backup::ignitenet_documents(&c.ignitenet)
                .and_then(|extra| {
                    crate::backup::dated::backup_configs(&c.ncm, &d, &date, keep, &extra)
                })
                .map_err(err(&c, pos))?;
            for line in &r.cleaned {
                super::log::write("INFO", &format!("backup: {line}"), &c.redactor);
            }
            for day in &r.pruned {
                super::log::write(
                    "INFO",
                    &format!("backup: removed the dated backup {day} (keep)"),
                    &c.redactor,
                );
            }
            Ok(ret(
                serde_json::json!({"store": "dated", "dir": r.dir.display().to_string(), "routers": r.routers, "groups": r.groups,
                "changed": r.changed, "linked": r.linked, "bytes": r.bytes, "requests": r.requests, "date": date, "pruned": r.pruned}),
            ))
        };
        let reg = FuncRegistration::new("backup_configs");
        if with_options {
            reg.with_comments([doc(
                "`backup_configs` with options: `store: \"git\"` keeps history in a git repository at `dir` (created when\nmissing): `routers/<id>.json` (the configuration manager as the API returned it), `groups/<id>.json`\n(configuration, target firmware) and `index.csv`; one commit per run that changed something, whose message\nnames each changed router or group and its changed config paths; routers gone from the account are removed.\nValues that move without a config change (`synched`, `ecm.config_version`) never commit on their own.\nReturns #{store, dir, routers, groups, changed, added, removed, commit, requests} (commit is () without change).\n`keep: N` (dated store) keeps the newest N dated backups.",
                "let r = ncm::backup_configs(\"/var/backups/ncm\", #{store: \"git\"}); print(`${r.changed} changed`);",
            )])
            .with_params_info(["dir: string", "options: Map", "Map"])
            .set_into_module(root, move |cx: NativeCallContext, dir: &str, o: rhai::Map| f(cx.call_position(), dir, o));
        } else {
            reg.with_comments([doc(
                "Backs up every router's configuration (actual, target, configuration, version, sync state) to\n`<dir>/<YYYY-MM-DD>/<router_id>.json` plus `index.csv` with a SHA-256 per file, page by page with `fields`\n(never one request per router). Atomic: the finished backup replaces an earlier one of the same day in one step;\na failed or killed run leaves no partial file, and what a killed run left is cleaned up at the next start.\nEach group's configuration goes to `groups/<id>.json`; a file identical to the previous backup's is a hard link\nto it. Returns #{store, dir, routers, groups, changed, linked, bytes, requests, date, pruned}.",
                "let r = ncm::backup_configs(\"backups\"); print(`${r.routers} routers in ${r.dir}`);",
            )])
            .with_params_info(["dir: string", "Map"])
            .set_into_module(root, move |cx: NativeCallContext, dir: &str| f(cx.call_position(), dir, rhai::Map::new()));
        }
    }
}

/// `ncm::read_backup`.
fn register_read_backup(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for with_rev in [false, true] {
        let c = ctx.clone();
        let reg = FuncRegistration::new("read_backup");
        if with_rev {
            reg.with_comments([doc("A backup file as it was at a revision of the git store holding it (a commit, `HEAD~1`, a branch).", "let doc = ncm::read_backup(\"backups/routers/10001.json\", \"HEAD~1\");")])
                .with_params_info(["file: string", "rev: string", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, file: &str, rev: &str| read_backup(&c, cx.call_position(), file, Some(rev)));
        } else {
            reg.with_comments([doc(
                "A backup file (of either store): the configuration manager document as backed up.",
                "let doc = ncm::read_backup(\"backups/2026-11-20/10001.json\");",
            )])
            .with_params_info(["file: string", "Map"])
            .set_into_module(root, move |cx: NativeCallContext, file: &str| {
                read_backup(&c, cx.call_position(), file, None)
            });
        }
    }
}

/// `ncm::restore_config`.
fn register_restore_config(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for with_options in [false, true] {
        let c = ctx.clone();
        let f = move |pos: Position,
                      id: Dynamic,
                      document: Dynamic,
                      o: rhai::Map|
              -> RhaiResult<Dynamic> {
            let id = id_arg(pos, &id)?;
            let drop_secrets = flag_option(pos, "restore_config", &o, "drop_secrets")?;
            let doc = crate::script::convert::dynamic_to_json(&document);
            let r = c
                .ncm
                .restore_config(&id, &doc, drop_secrets)
                .map_err(err(&c, pos))?;
            let paths = super::paths_value(&r.paths);
            Ok(ret(
                serde_json::json!({"router": id, "method": r.method, "sent": r.sent, "changes": paths}),
            ))
        };
        let reg = FuncRegistration::new("restore_config");
        if with_options {
            reg.with_comments([doc("`restore_config` with options: `drop_secrets: true` allows a PUT that drops the router's own secrets.", "ncm::restore_config(10001, doc, #{drop_secrets: true});")])
                .with_params_info(["router_id: int|string", "document: Map|Array", "options: Map", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, d: Dynamic, o: rhai::Map| f(cx.call_position(), id, d, o));
        } else {
            reg.with_comments([doc("Puts a backed-up individual configuration back on a router (a backup file's document, or a bare diff) by the\nsmallest write: a PATCH when nothing must be removed, else a PUT. \"*\" is never written; a PUT that would drop\na secret the router holds is refused naming the paths. --dry-run shows every path's before and after.\nReturns #{router, method (patch, put, unchanged), sent, changes}.", "let r = ncm::restore_config(10001, ncm::read_backup(\"backups/2026-11-20/10001.json\"));")])
                .with_params_info(["router_id: int|string", "document: Map|Array", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, d: Dynamic| f(cx.call_position(), id, d, rhai::Map::new()));
        }
    }
}
