//! Writes that never lose a secret: given a target's configuration as read back (its secrets
//! shown as `"*"`) and the configuration wanted, the smallest write that gets there — a PATCH
//! when nothing but the target's own secrets would have to be removed (so they stay), else a
//! PUT, with the secret paths that PUT would drop listed so the caller can refuse. `"*"` is
//! never part of what is sent.

use super::{apply, between, get, is_secret, is_uuid, layer, leaf_paths, strip_masked, Diff};
use serde_json::{json, Value};

/// How to write a wanted configuration over a target's current one.
#[derive(Debug, Clone, PartialEq)]
pub struct WritePlan {
    /// PATCH (merge) rather than PUT (replace).
    pub patch: bool,
    /// What to send as `configuration`: the updates for a PATCH, the whole wanted diff for a PUT.
    pub send: Diff,
    /// Every change from current to wanted, the target's secret paths included (to show).
    pub change: Diff,
    /// Paths of secrets the target holds that the PUT would drop (empty for a PATCH).
    pub dropped_secrets: Vec<Vec<Value>>,
}

/// A write plan as scripts see it: `method` (`patch` or `put`), what is sent, every change,
/// the secrets a PUT would drop (as path texts) and the change path by path.
#[derive(Debug, serde::Serialize)]
pub struct WritePlanView {
    pub method: &'static str,
    pub send: Value,
    pub change: Value,
    pub dropped_secrets: Vec<String>,
    pub paths: Vec<super::PathRow>,
}

/// [`plan_write`], with the change path by path from the configuration `current` gives to
/// the one `wanted` gives (a masked `"*"` of `wanted` is never written).
pub fn plan_write_view(
    current: &Diff,
    wanted: &Diff,
) -> Result<WritePlanView, Box<crate::error::ConfigIssue>> {
    let p = plan_write(current, wanted)?;
    let before = apply(&json!({}), current)?;
    let after = apply(&json!({}), &strip_masked(wanted))?;
    Ok(WritePlanView {
        method: if p.patch { "patch" } else { "put" },
        send: p.send.to_value(),
        change: p.change.to_value(),
        dropped_secrets: p
            .dropped_secrets
            .iter()
            .map(|d| super::path_text(d))
            .collect(),
        paths: super::changed_paths(&before, &after)
            .iter()
            .map(|c| c.row())
            .collect(),
    })
}

/// Every path whose value is the `"*"` mask.
fn masked_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::String(s) if s == "*" => out.push(path.clone()),
        Value::Object(m) => {
            for (k, x) in m {
                path.push(json!(k));
                masked_paths(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(json!(i));
                masked_paths(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A PATCH body's updates with every element addressed by its `_id_` carrying that `_id_`
/// field, as NCM requires of a list element keyed by `_id_` (the spec's "strange validation
/// error" otherwise): diffs between two configurations read as trees key such elements by
/// `_id_` without the field when only some of their values change.
pub fn with_element_ids(
    mut updates: serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    fn walk(m: &mut serde_json::Map<String, Value>) {
        for (k, v) in m.iter_mut() {
            if let Value::Object(inner) = v {
                walk(inner);
                if is_uuid(k) && !inner.contains_key("_id_") {
                    inner.insert("_id_".into(), json!(k));
                }
            }
        }
    }
    walk(&mut updates);
    updates
}

/// The write that takes `current` (as read back, secrets masked) to `wanted`.
pub fn plan_write(
    current: &Diff,
    wanted: &Diff,
) -> Result<WritePlan, Box<crate::error::ConfigIssue>> {
    let wanted = strip_masked(wanted);
    let cur = apply(&json!({}), current)?;
    let want = apply(&json!({}), &wanted)?;
    let mut secrets = vec![];
    masked_paths(&cur, &mut vec![], &mut secrets);
    let change = between(&cur, &want);
    let must_remove = change.removals.iter().any(|p| !secrets.contains(p));
    if !must_remove {
        return Ok(WritePlan {
            patch: true,
            send: Diff {
                updates: with_element_ids(change.updates.clone()),
                removals: vec![],
            },
            change,
            dropped_secrets: vec![],
        });
    }
    let dropped_secrets = secrets
        .into_iter()
        .filter(|p| get(&want, p).is_none())
        .collect();
    Ok(WritePlan {
        patch: false,
        send: wanted,
        change,
        dropped_secrets,
    })
}

/// Why a configuration cannot be put back exactly through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRevertible {
    /// Secret paths whose previous value cannot be written (it reads back as `"*"`).
    pub secrets: Vec<Vec<Value>>,
}

/// How a configuration is put back: the write, and the paths whose previous *effective* value
/// was pinned in the individual configuration instead of removing them.
#[derive(Debug, Clone, PartialEq)]
pub struct RevertPlan {
    pub write: WritePlan,
    /// Leaf paths the change added that are set back to the value the router had before (its
    /// firmware default and group layers) by a PATCH, instead of removed by a PUT.
    pub pinned: Vec<Vec<Value>>,
}

/// The leaf paths of `cur` under `path` and, for each, the value `before` holds there, when
/// every one of them has a plain value there (no secret, no mask): what a PATCH can pin.
fn pinnable(cur: &Value, before: &Value, path: &[Value]) -> Option<Vec<(Vec<Value>, Value)>> {
    let mut leaves = vec![];
    leaf_paths(get(cur, path)?, &mut path.to_vec(), &mut leaves);
    let mut out = vec![];
    for leaf in leaves {
        let v = get(before, &leaf)?;
        // Already the value it had (pinned by an earlier rollback), or an empty object added
        // where one was before: nothing to write. A masked value says nothing of the secret
        // behind it: "*" now and "*" before may be different secrets (the run may have set it).
        let now = get(cur, &leaf);
        let masked = has_mask(v) || now.is_some_and(has_mask);
        if !masked && (now == Some(v) || (v.is_object() && now.is_some_and(|c| c == &json!({})))) {
            continue;
        }
        let plain = !is_secret(&leaf) && !has_mask(v) && !v.is_object();
        if !plain {
            return None;
        }
        out.push((leaf, v.clone()));
    }
    Some(out)
}

fn has_mask(v: &Value) -> bool {
    let mut found = vec![];
    masked_paths(v, &mut vec![], &mut found);
    !found.is_empty()
}

/// Puts `value` at `path` in a diff's updates, making the objects on the way.
fn put_at(updates: &mut serde_json::Map<String, Value>, path: &[Value], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let key = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cur = updates;
    for seg in parents {
        let slot = cur.entry(key(seg)).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        let Value::Object(m) = slot else { return };
        cur = m;
    }
    cur.insert(key(last), value);
}

/// The write that takes `current` back to `previous` (both individual configurations as read
/// back, secrets masked), so that the router's *effective* configuration is as before.
///
/// Values the change altered are PATCHed back. A path the change added is set back, by the
/// same PATCH, to the value the router ran there before — its firmware `default` with the
/// group's configuration and `previous` layered over it, as NCM builds a target (`layers`:
/// the default and the group's diff, when known) — and is listed as `pinned`. Only a path
/// with no previous value (or a secret one) needs a removal, so a PUT of the previous
/// configuration; a secret of `previous` that the change overwrote, that is gone, or that
/// such a PUT would drop (or one the router holds now that the change did not set) cannot be
/// restored: that is `NotRevertible`, naming the paths.
pub fn plan_revert(
    current: &Diff,
    previous: &Diff,
    changed_secrets: &[Vec<Value>],
    layers: Option<(&Value, &Diff)>,
) -> Result<Result<RevertPlan, NotRevertible>, Box<crate::error::ConfigIssue>> {
    let cur = apply(&json!({}), current)?;
    let prev = apply(&json!({}), previous)?;
    let mut prev_secrets = vec![];
    masked_paths(&prev, &mut vec![], &mut prev_secrets);
    let change = between(&cur, &prev);
    // A previous secret the change overwrote, or one the current config no longer holds.
    let mut lost: Vec<Vec<Value>> = prev_secrets
        .iter()
        .filter(|p| changed_secrets.contains(p) || get(&cur, p) != Some(&json!("*")))
        .cloned()
        .collect();
    // What the router ran before: its firmware default, the group's layer and `previous`.
    let (change, pinned) = layers
        .and_then(|(default, group)| apply(default, &layer(group, previous)).ok())
        .and_then(|before| pin_removals(&change, &cur, &before))
        .unwrap_or((change, vec![]));
    if change.removals.is_empty() {
        if !lost.is_empty() {
            return Ok(Err(NotRevertible { secrets: lost }));
        }
        let send = strip_masked(&change);
        let write = WritePlan {
            patch: true,
            send: Diff {
                updates: with_element_ids(send.updates),
                removals: vec![],
            },
            change,
            dropped_secrets: vec![],
        };
        return Ok(Ok(RevertPlan { write, pinned }));
    }
    add_secrets_a_put_drops(&cur, &prev_secrets, changed_secrets, &mut lost);
    if !lost.is_empty() {
        return Ok(Err(NotRevertible { secrets: lost }));
    }
    let write = WritePlan {
        patch: false,
        send: strip_masked(previous),
        change,
        dropped_secrets: vec![],
    };
    Ok(Ok(RevertPlan { write, pinned }))
}

/// `change` with every removal replaced by setting the path's leaves back to their values in
/// `before` (what the router ran there before), and those leaves; `None` when some removal
/// cannot be pinned (then the revert is a PUT, and nothing is pinned).
fn pin_removals(change: &Diff, cur: &Value, before: &Value) -> Option<(Diff, Vec<Vec<Value>>)> {
    let mut updates = change.updates.clone();
    let mut pinned = vec![];
    for r in &change.removals {
        for (leaf, v) in pinnable(cur, before, r)? {
            put_at(&mut updates, &leaf, v);
            pinned.push(leaf);
        }
    }
    let change = Diff {
        updates,
        removals: vec![],
    };
    Some((change, pinned))
}

/// Adds to `lost` the secrets a PUT of the previous configuration would drop: it is sent
/// without its secrets, so each of them is dropped, and so is a secret the router holds now
/// that the change did not set (added since).
fn add_secrets_a_put_drops(
    cur: &Value,
    prev_secrets: &[Vec<Value>],
    changed_secrets: &[Vec<Value>],
    lost: &mut Vec<Vec<Value>>,
) {
    let mut cur_secrets = vec![];
    masked_paths(cur, &mut vec![], &mut cur_secrets);
    let added_since = cur_secrets
        .into_iter()
        .filter(|p| !prev_secrets.contains(p) && !changed_secrets.contains(p));
    for p in prev_secrets.iter().cloned().chain(added_since) {
        if !lost.contains(&p) {
            lost.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: Value) -> Diff {
        Diff::from_value(&v).unwrap()
    }

    #[test]
    fn no_removal_needed_is_a_patch_that_keeps_the_targets_secret() {
        let current = d(json!([{"wlan": {"ssid": "Old", "wpapsk": "*"}, "a": 1}, []]));
        let wanted = d(json!([{"wlan": {"ssid": "Shop"}, "a": 1, "b": 2}, []]));
        let p = plan_write(&current, &wanted).unwrap();
        assert!(p.patch);
        assert_eq!(
            p.send.to_value(),
            json!([{"wlan": {"ssid": "Shop"}, "b": 2}, []])
        );
        assert!(p.dropped_secrets.is_empty());
        assert_eq!(
            p.change.removals,
            vec![vec![json!("wlan"), json!("wpapsk")]],
            "shown"
        );
        assert!(!p.send.to_value().to_string().contains("\"*\""));
    }

    #[test]
    fn a_needed_removal_is_a_put_naming_the_secrets_it_drops() {
        let current = d(json!([{"wlan": {"ssid": "Old", "wpapsk": "*"}, "extra": 1}, []]));
        let wanted = d(json!([{"wlan": {"ssid": "Shop", "wpapsk": "*"}}, []]));
        let p = plan_write(&current, &wanted).unwrap();
        assert!(!p.patch);
        assert_eq!(
            p.dropped_secrets,
            vec![vec![json!("wlan"), json!("wpapsk")]]
        );
        assert_eq!(
            p.send.to_value(),
            json!([{"wlan": {"ssid": "Shop"}}, []]),
            "no * sent"
        );
        // A new key set by the operator is not "dropped".
        let wanted = d(json!([{"wlan": {"ssid": "Shop", "wpapsk": "new-passphrase"}}, []]));
        assert!(plan_write(&current, &wanted)
            .unwrap()
            .dropped_secrets
            .is_empty());
    }

    #[test]
    fn a_revert_patches_back_or_puts_back_and_never_writes_a_mask() {
        // Only values changed: PATCH of the previous values.
        let cur = d(json!([{"apn": "new", "wpapsk": "*"}, []]));
        let prev = d(json!([{"apn": "old", "wpapsk": "*"}, []]));
        let p = plan_revert(&cur, &prev, &[], None).unwrap().unwrap().write;
        assert!(p.patch);
        assert_eq!(p.send.to_value(), json!([{"apn": "old"}, []]));
        // A path the change added must go: PUT of the previous config, fine without secrets.
        let cur = d(json!([{"apn": "new"}, []]));
        let prev = d(json!([{}, []]));
        let p = plan_revert(&cur, &prev, &[], None).unwrap().unwrap().write;
        assert!(!p.patch);
        assert_eq!(p.send.to_value(), json!([{}, []]));
        // ... but that PUT would drop a stored secret: not revertible, naming it.
        let cur = d(json!([{"apn": "new", "wlan": {"wpapsk": "*"}}, []]));
        let prev = d(json!([{"wlan": {"wpapsk": "*"}}, []]));
        let e = plan_revert(&cur, &prev, &[], None).unwrap().unwrap_err();
        assert_eq!(e.secrets, vec![vec![json!("wlan"), json!("wpapsk")]]);
        // A secret the change overwrote cannot be restored.
        let cur = d(json!([{"wpapsk": "*"}, []]));
        let prev = d(json!([{"wpapsk": "*"}, []]));
        let e = plan_revert(&cur, &prev, &[vec![json!("wpapsk")]], None)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.secrets, vec![vec![json!("wpapsk")]]);
        // Nothing changed: an empty PATCH.
        let p = plan_revert(&prev, &prev, &[], None).unwrap().unwrap().write;
        assert!(p.change.is_empty());
    }

    #[test]
    fn an_added_path_is_patched_back_to_its_inherited_value_keeping_the_secret() {
        let lte = "00000002-a81d-3590-93ca-8b1fcfeb8e14";
        // What the router runs without an individual config: defaults with the group over them.
        let inherited = json!({"wan": {"rules2": [
            {"_id_": "00000000-a81d-3590-93ca-8b1fcfeb8e14", "modem": {"manual_apn": ""}},
            {"_id_": lte, "modem": {"manual_apn": "group.apn", "apn_mode": "manual"}}]},
            "wlan": {"radio": [{"bss": [{"ssid": "Shop"}]}]}});
        let prev = d(
            json!([{"wlan": {"radio": {"0": {"bss": {"1": {"ssid": "Back", "wpapsk": "*"}}}}}}, []]),
        );
        let cur = d(
            json!([{"wlan": {"radio": {"0": {"bss": {"1": {"ssid": "Back", "wpapsk": "*"}}}}},
            "wan": {"rules2": {lte: {"_id_": lte, "modem": {"manual_apn": "iot.example"}}}}}, []]),
        );
        let p = plan_revert(&cur, &prev, &[], Some((&inherited, &Diff::default())))
            .unwrap()
            .unwrap();
        assert!(p.write.patch, "no PUT: the secret stays");
        assert_eq!(
            p.write.send.to_value(),
            json!([{"wan": {"rules2": {lte: {"_id_": lte, "modem": {"manual_apn": "group.apn"}}}}}, []])
        );
        assert_eq!(
            p.pinned,
            vec![vec![
                json!("wan"),
                json!("rules2"),
                json!(lte),
                json!("modem"),
                json!("manual_apn")
            ]]
        );
        // The effective configuration is the one before.
        let eff = |c: &Diff| apply(&inherited, c).unwrap();
        let after = apply(&apply(&json!({}), &cur).unwrap(), &p.write.send).unwrap();
        let after = Diff {
            updates: after.as_object().unwrap().clone(),
            removals: vec![],
        };
        assert_eq!(eff(&after), eff(&prev));
        // A path with no value before (a new list element) still needs a removal: refused,
        // since the PUT would drop the stored key.
        let cur = d(
            json!([{"wlan": {"radio": {"0": {"bss": {"1": {"ssid": "Back", "wpapsk": "*"}}}}},
            "wan": {"rules2": {"0b6a66b2-5f0c-4d7e-9d59-2a3e4c5d6e7f": {"_id_": "0b6a66b2-5f0c-4d7e-9d59-2a3e4c5d6e7f", "priority": 9}}}}, []]),
        );
        let e = plan_revert(&cur, &prev, &[], Some((&inherited, &Diff::default())))
            .unwrap()
            .unwrap_err();
        assert_eq!(
            e.secrets,
            vec![vec![
                json!("wlan"),
                json!("radio"),
                json!("0"),
                json!("bss"),
                json!("1"),
                json!("wpapsk")
            ]]
        );
    }

    #[test]
    fn a_revert_patch_addresses_an_id_element_with_its_id_and_a_second_one_has_nothing_to_do() {
        let lte = "00000002-a81d-3590-93ca-8b1fcfeb8e14";
        let default = json!({"wan": {"rules2": [{"_id_": lte, "modem": {"manual_apn": "", "apn_mode": "auto"}}]}});
        let group = d(
            json!([{"wan": {"rules2": {lte: {"_id_": lte, "modem": {"apn_mode": "manual"}}}}}, []]),
        );
        // The individual config held the element already; the run changed one value and added one.
        let prev = d(
            json!([{"wan": {"rules2": {lte: {"_id_": lte, "modem": {"apn_mode": "manual"}}}}}, []]),
        );
        let cur = d(
            json!([{"wan": {"rules2": {lte: {"_id_": lte, "modem": {"apn_mode": "auto", "manual_apn": "x.apn"}}}}}, []]),
        );
        let p = plan_revert(&cur, &prev, &[], Some((&default, &group)))
            .unwrap()
            .unwrap();
        assert!(p.write.patch);
        assert_eq!(
            p.write.send.to_value(),
            json!([{"wan": {"rules2": {lte: {"_id_": lte, "modem": {"apn_mode": "manual", "manual_apn": ""}}}}}, []])
        );
        // Once reverted (the pinned value in place), planning again finds nothing to do.
        let now = apply(&apply(&json!({}), &cur).unwrap(), &p.write.send).unwrap();
        let now = Diff {
            updates: now.as_object().unwrap().clone(),
            removals: vec![],
        };
        let again = plan_revert(&now, &prev, &[], Some((&default, &group)))
            .unwrap()
            .unwrap();
        assert!(
            again.write.send.is_empty() && again.pinned.is_empty(),
            "{again:?}"
        );
        // plan_write keys the same way.
        let w = plan_write(&prev, &cur).unwrap();
        assert_eq!(w.send.updates["wan"]["rules2"][lte]["_id_"], lte);
    }

    #[test]
    fn a_secret_the_run_set_over_an_inherited_one_is_removed_not_taken_as_unchanged() {
        let admin = "00000000-a0ab-3e74-bcbd-02af091f1c50";
        // The default's admin password reads "*"; the run set a new one, which also reads "*".
        let default =
            json!({"system": {"users": [{"_id_": admin, "username": "admin", "password": "*"}]}});
        let prev = d(json!([{"system": {"system_id": "site-1"}}, []]));
        let cur = d(
            json!([{"system": {"system_id": "site-1", "users": {admin: {"_id_": admin, "password": "*"}}}}, []]),
        );
        let changed = vec![vec![
            json!("system"),
            json!("users"),
            json!(admin),
            json!("password"),
        ]];
        let p = plan_revert(&cur, &prev, &changed, Some((&default, &Diff::default())))
            .unwrap()
            .unwrap();
        assert!(
            !p.write.patch,
            "the path goes: a PUT of the previous configuration"
        );
        assert_eq!(p.write.send, prev);
        assert!(p.pinned.is_empty());
    }

    #[test]
    fn a_revert_put_never_drops_a_secret_the_router_got_after_the_run() {
        let prev = d(json!([{}, []]));
        // The run added a new element (no inherited value: a removal, so a PUT); an operator
        // has since set a key of its own.
        let cur = d(json!([{"extra": {"a": 1}, "wlan": {"wpapsk": "*"}}, []]));
        let e = plan_revert(&cur, &prev, &[], None).unwrap().unwrap_err();
        assert_eq!(e.secrets, vec![vec![json!("wlan"), json!("wpapsk")]]);
    }
}
