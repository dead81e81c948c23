//! Exact config computations over a large default tree at the cost of the diffs involved: a
//! diff reads and changes only the paths it names, so applying diffs to the part of the default
//! those paths reach (every list they address kept whole in length, its untouched elements cut
//! down to their `_id_`) and diffing the results gives exactly what the whole tree would. A
//! list that a removal reaches into is kept whole (removing an element moves the ones after
//! it). This is how a configuration manager's `actual` (the device's form of what it runs),
//! `pending` and the sync checks are computed for a 60 KB default without copying it.

use crate::diff::{self, Diff};
use crate::error::ConfigIssue;
use serde_json::{Map, Value};

/// Where a diff's updates and removals reach at one node of the default.
struct Reach<'a> {
    updates: Vec<&'a Value>,
    removals: Vec<&'a [Value]>,
}

fn key_text(seg: &Value) -> Option<String> {
    match seg {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// The position in `a` a segment names (an offset, a numeral, an `_id_`).
fn position(a: &[Value], seg: &str) -> Option<usize> {
    if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
        return seg.parse().ok().filter(|i| *i < a.len());
    }
    a.iter()
        .position(|e| e.get("_id_").and_then(Value::as_str) == Some(seg))
}

fn prune_object(m: &Map<String, Value>, r: &Reach<'_>) -> Value {
    prune_entries(m, |k| Reach {
        updates: r
            .updates
            .iter()
            .filter_map(|u| u.as_object().and_then(|o| o.get(k)))
            .collect(),
        removals: below(r.removals.iter().copied(), k),
    })
}

/// The entries of `m` that their reach (`reach_of` the key) says a diff reads or changes, each
/// pruned to that reach.
fn prune_entries<'a>(m: &Map<String, Value>, reach_of: impl Fn(&str) -> Reach<'a>) -> Value {
    let mut out = Map::new();
    for (k, v) in m {
        let sub = reach_of(k);
        if !sub.updates.is_empty() || !sub.removals.is_empty() {
            out.insert(k.clone(), prune_value(v, &sub));
        }
    }
    Value::Object(out)
}

/// The removal paths that go through key `k`, from below it.
fn below<'a>(removals: impl Iterator<Item = &'a [Value]>, k: &str) -> Vec<&'a [Value]> {
    removals
        .filter(|p| p.first().and_then(key_text).as_deref() == Some(k))
        .map(|p| &p[1..])
        .collect()
}

fn prune_array(a: &[Value], r: &Reach<'_>) -> Value {
    // A removal inside (or of an element of) this list, or a list replaced whole: keep it all.
    if !r.removals.is_empty() || r.updates.iter().any(|u| !u.is_object()) {
        return Value::Array(a.to_vec());
    }
    let mut touched: Vec<Vec<&Value>> = vec![vec![]; a.len()];
    for u in r.updates.iter().filter_map(|u| u.as_object()) {
        for (k, x) in u {
            if let Some(i) = position(a, k) {
                touched[i].push(x);
            }
        }
    }
    a.iter()
        .zip(touched)
        .map(|(e, ups)| {
            let Value::Object(m) = e else {
                return e.clone();
            };
            let mut kept = match prune_value(
                e,
                &Reach {
                    updates: ups,
                    removals: vec![],
                },
            ) {
                Value::Object(k) => k,
                _ => Map::new(),
            };
            if let Some(id) = m.get("_id_") {
                kept.insert("_id_".into(), id.clone());
            }
            Value::Object(kept)
        })
        .collect()
}

fn prune_value(d: &Value, r: &Reach<'_>) -> Value {
    // The node itself is removed or replaced by a scalar: what it held does not matter, but its
    // kind does (kept whole; such nodes are small leaves in practice).
    if r.removals.iter().any(|p| p.is_empty()) {
        return d.clone();
    }
    match d {
        Value::Object(m) if r.updates.iter().all(|u| u.is_object()) => prune_object(m, r),
        Value::Array(a) => prune_array(a, r),
        _ => d.clone(),
    }
}

/// The part of `default` that applying `diffs` (in any order) reads or changes.
pub fn prune(default: &Value, diffs: &[&Diff]) -> Value {
    let Value::Object(m) = default else {
        return default.clone();
    };
    prune_entries(m, |k| Reach {
        updates: diffs.iter().filter_map(|d| d.updates.get(k)).collect(),
        removals: below(
            diffs
                .iter()
                .flat_map(|d| d.removals.iter())
                .map(Vec::as_slice),
            k,
        ),
    })
}

/// `diffs` applied in order to `base`.
pub fn apply_all(base: &Value, diffs: &[&Diff]) -> Result<Value, Box<ConfigIssue>> {
    diffs
        .iter()
        .try_fold(base.clone(), |cur, d| diff::apply_owned(cur, d))
}

/// The diff from `a` (diffs applied in order to `default`) to `b` (likewise): `_id_`-keyed as
/// NCM writes diffs (`use_ids`), or offset-keyed as a device reports them.
pub fn between(
    default: &Value,
    a: &[&Diff],
    b: &[&Diff],
    use_ids: bool,
) -> Result<Diff, Box<ConfigIssue>> {
    let all: Vec<&Diff> = a.iter().chain(b).copied().collect();
    let base = prune(default, &all);
    let y = apply_all(&base, b)?;
    let x = match a.is_empty() {
        true => base,
        false => apply_all(&base, a)?,
    };
    Ok(diff::between_opts(&x, &y, use_ids))
}

/// The device's own (offset-keyed) form of what it runs: `layers` applied in order to the
/// firmware `default`, as a diff from it.
pub fn device_form(default: &Value, layers: &[&Diff]) -> Result<Diff, Box<ConfigIssue>> {
    between(default, &[], layers, false)
}

/// Do `a` and `b` (each diffs applied in order to `default`) make the same configuration?
pub fn same(default: &Value, a: &[&Diff], b: &[&Diff]) -> Result<bool, Box<ConfigIssue>> {
    let all: Vec<&Diff> = a.iter().chain(b).copied().collect();
    let base = prune(default, &all);
    Ok(apply_all(&base, a)? == apply_all(&base, b)?)
}

/// The offset of the element a key of a list update addresses, given the default list `da`
/// and the device-keyed updates so far (`out`, holding the elements earlier layers appended):
/// `Err(())` for a new element, `None` for a key that names no element at all.
fn element_at(da: &[Value], out: &Map<String, Value>, k: &str) -> Option<Result<usize, ()>> {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
        return k.parse().ok().map(Ok);
    }
    if !crate::diff::is_uuid(k) {
        return None;
    }
    if let Some(i) = position(da, k) {
        return Some(Ok(i));
    }
    let appended = out.iter().find_map(|(i, e)| {
        let i = i.parse::<usize>().ok().filter(|i| *i >= da.len())?;
        (e.get("_id_").and_then(Value::as_str) == Some(k)).then_some(i)
    });
    Some(appended.ok_or(()))
}

/// Merges a layer's updates `u` into `out`, the device-keyed (offset) updates so far, over the
/// default node `d`. `None`: a shape this shortcut does not handle (the exact way is taken).
fn merge_device(
    out: &mut Map<String, Value>,
    d: Option<&Value>,
    u: &Map<String, Value>,
) -> Option<()> {
    for (k, v) in u {
        match (d.and_then(|d| d.get(k)), v) {
            (Some(Value::Object(_)), Value::Object(vm)) | (None, Value::Object(vm)) => {
                let slot = out
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(sm) = slot else { return None };
                merge_device(sm, d.and_then(|d| d.get(k)), vm)?;
            }
            (Some(Value::Array(da)), Value::Object(vm)) => {
                let slot = out
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(sm) = slot else { return None };
                merge_elements(sm, da, vm)?;
            }
            (Some(Value::Array(_)), Value::Array(_)) | (Some(Value::Array(_)), _) => return None,
            (Some(Value::Object(_)), _) => return None,
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Some(())
}

/// [`merge_device`] for the elements of a list `da` addressed by offset or `_id_` in `u`:
/// offsets first, in order, then `_id_`s (as `diff::apply` takes them); a new element goes at
/// the end, whole.
fn merge_elements(
    out: &mut Map<String, Value>,
    da: &[Value],
    u: &Map<String, Value>,
) -> Option<()> {
    let mut keys: Vec<(bool, usize, &String)> = vec![];
    for k in u.keys() {
        let numeral = !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
        keys.push((!numeral, if numeral { k.parse().ok()? } else { 0 }, k));
    }
    keys.sort_by_key(|(id, n, _)| (*id, *n));
    for (_, _, k) in keys {
        let v = &u[k];
        let appended = out
            .keys()
            .filter(|i| i.parse::<usize>().is_ok_and(|i| i >= da.len()))
            .count();
        let at = match element_at(da, out, k)? {
            Ok(i) => i,
            Err(()) => da.len() + appended,
        };
        let vm = v.as_object()?;
        if at < da.len() {
            let slot = out
                .entry(at.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(sm) = slot else { return None };
            let Value::Object(_) = &da[at] else {
                return None;
            };
            merge_device(sm, Some(&da[at]), vm)?;
        } else if at == da.len() + appended {
            out.insert(at.to_string(), v.clone());
        } else {
            let Some(Value::Object(sm)) = out.get_mut(&at.to_string()) else {
                return None;
            };
            merge_device(sm, None, vm)?;
        }
    }
    Some(())
}

/// Drops from device-keyed updates `m` what equals the default node `d`, putting the keys in
/// the order `diff::between` gives them (the default's, then new ones; offsets ascending).
fn strip_defaults(m: Map<String, Value>, d: &Value) -> Map<String, Value> {
    let mut kept: Vec<(Option<usize>, String, Value)> = vec![];
    for (k, v) in m {
        let (dv, rank) = match d {
            Value::Object(dm) => (dm.get(&k), dm.keys().position(|x| *x == k)),
            Value::Array(da) => {
                let i = k.parse::<usize>().ok();
                (i.and_then(|i| da.get(i)), i)
            }
            _ => (None, None),
        };
        if dv == Some(&v) {
            continue;
        }
        let v = match (dv, v) {
            (Some(dv), Value::Object(vm)) if dv.is_object() || dv.is_array() => {
                let sub = strip_defaults(vm, dv);
                if sub.is_empty() {
                    continue;
                }
                Value::Object(sub)
            }
            (_, v) => v,
        };
        kept.push((rank.filter(|_| dv.is_some()), k, v));
    }
    // Known keys in the default's order, then the new ones as they came (offsets ascending).
    kept.sort_by_key(|(rank, k, _)| match (rank, d) {
        (Some(r), _) => (0, *r),
        (None, Value::Array(_)) => (1, k.parse::<usize>().unwrap_or(usize::MAX)),
        (None, _) => (1, usize::MAX),
    });
    kept.into_iter().map(|(_, k, v)| (k, v)).collect()
}

/// [`device_form`] computed from the diffs alone (no copy of the default), for diffs that only
/// update (no removal) and address lists by offset or `_id_`, as the fleet's generated layers
/// do; `None` for anything else (the caller takes [`device_form`]). It gives what
/// [`device_form`] gives, key order included (a property test checks it on generated fleets).
pub fn device_form_fast(default: &Value, layers: &[&Diff]) -> Option<Diff> {
    if layers.iter().any(|d| !d.removals.is_empty()) {
        return None;
    }
    let mut out = Map::new();
    for d in layers {
        merge_device(&mut out, Some(default), &d.updates)?;
    }
    Some(Diff {
        updates: strip_defaults(out, default),
        removals: vec![],
    })
}
