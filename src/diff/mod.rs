//! The NCM config-diff engine, pure Rust and no network. A diff is `[updates, removals]`:
//! removals are paths (string keys, integer offsets, `_id_` UUIDs) removed first and in order;
//! updates are merged recursively, with arrays addressed as dictionaries keyed by string
//! numerals (`"2"`) or by an element's `_id_`. Also: layering (indie over group), the smallest
//! diff between two configs, equivalence of index- and `_id_`-keyed forms, masked passwords and
//! which fields are secrets (`secrets`).

mod paths;
mod plan;
mod secrets;
pub use paths::{changed_paths, leaf_paths, PathChange, PathRow};
pub use plan::{
    plan_revert, plan_write, plan_write_view, NotRevertible, RevertPlan, WritePlan, WritePlanView,
};
pub use secrets::{is_secret, is_secret_field, SECRET_FIELDS, SECRET_KEYS};

use crate::error::ConfigIssue;
use serde_json::{json, Map, Value};

/// A parsed config diff.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    pub updates: Map<String, Value>,
    pub removals: Vec<Vec<Value>>,
}

fn issue(path: &[Value], reason: &str, value: &Value, message: String) -> Box<ConfigIssue> {
    Box::new(ConfigIssue {
        message,
        reason: reason.to_string(),
        path: path.to_vec(),
        value: value.clone(),
    })
}

/// `a.b.0` — how paths read in messages.
pub fn path_text(path: &[Value]) -> String {
    path.iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn set_error(path: &[Value], value: &Value, reason: &str) -> Box<ConfigIssue> {
    issue(
        path,
        reason,
        value,
        format!(
            "cannot set {} to {}: {reason}",
            path_text(path),
            value_text(value)
        ),
    )
}

/// Is this a hyphenated UUID (the form `_id_` values take)?
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

fn numeral(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl Diff {
    pub fn empty() -> Diff {
        Diff::default()
    }

    /// Parses `[updates, removals]`.
    pub fn from_value(v: &Value) -> Result<Diff, Box<ConfigIssue>> {
        let Some(parts) = v.as_array().filter(|a| a.len() == 2) else {
            return Err(set_error(&[], v, "not a list or dict"));
        };
        let Some(updates) = parts[0].as_object() else {
            return Err(set_error(&[json!(0)], &parts[0], "not a dict"));
        };
        let Some(rem) = parts[1].as_array() else {
            return Err(set_error(&[json!(1)], &parts[1], "not a list or dict"));
        };
        let mut removals = vec![];
        for (i, r) in rem.iter().enumerate() {
            match r.as_array() {
                Some(p) if !p.is_empty() && p.iter().all(|x| x.is_string() || x.is_u64()) => {
                    removals.push(p.clone())
                }
                _ => return Err(set_error(&[json!(1), json!(i)], r, "bad array index")),
            }
        }
        Ok(Diff {
            updates: updates.clone(),
            removals,
        })
    }

    pub fn to_value(&self) -> Value {
        self.clone().into_value()
    }

    /// [`Diff::to_value`] without copying (`json!` would serialize the updates into a copy).
    pub fn into_value(self) -> Value {
        let removals = self.removals.into_iter().map(Value::Array).collect();
        Value::Array(vec![Value::Object(self.updates), Value::Array(removals)])
    }

    pub fn is_empty(&self) -> bool {
        self.updates.is_empty() && self.removals.is_empty()
    }
}

/// The element of an array a path segment names: an offset, a numeral string, or an `_id_`.
fn array_index(a: &[Value], seg: &Value) -> Option<usize> {
    match seg {
        Value::Number(n) => n.as_u64().map(|i| i as usize).filter(|i| *i < a.len()),
        Value::String(s) => match numeral(s) {
            Some(i) if i < a.len() => Some(i),
            _ => a
                .iter()
                .position(|e| e.get("_id_").and_then(Value::as_str) == Some(s.as_str())),
        },
        _ => None,
    }
}

fn child_mut<'a>(cur: &'a mut Value, seg: &Value) -> Option<&'a mut Value> {
    match cur {
        Value::Object(m) => m.get_mut(seg.as_str()?),
        Value::Array(a) => {
            let i = array_index(a, seg)?;
            a.get_mut(i)
        }
        _ => None,
    }
}

fn child<'a>(cur: &'a Value, seg: &Value) -> Option<&'a Value> {
    match cur {
        Value::Object(m) => m.get(seg.as_str()?),
        Value::Array(a) => a.get(array_index(a, seg)?),
        _ => None,
    }
}

/// The value at `path` (keys, offsets or `_id_`s), if any.
pub fn get<'a>(config: &'a Value, path: &[Value]) -> Option<&'a Value> {
    path.iter().try_fold(config, |cur, seg| child(cur, seg))
}

/// Parses `"wan.rules2.0.modem"` or an array of segments into path segments.
pub fn parse_path(p: &Value) -> Vec<Value> {
    match p {
        Value::String(s) => s
            .split('.')
            .filter(|x| !x.is_empty())
            .map(|x| json!(x))
            .collect(),
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn remove_path(root: &mut Value, path: &[Value]) -> Result<(), Box<ConfigIssue>> {
    let missing = || {
        issue(
            path,
            "invalid path",
            &Value::Null,
            format!(
                "cannot remove {}: invalid path (it does not exist)",
                path_text(path)
            ),
        )
    };
    let (last, parents) = path.split_last().ok_or_else(missing)?;
    let mut cur = root;
    for seg in parents {
        cur = child_mut(cur, seg).ok_or_else(missing)?;
    }
    match cur {
        Value::Object(m) => {
            let k = last.as_str().ok_or_else(missing)?;
            m.shift_remove(k).map(|_| ()).ok_or_else(missing)
        }
        Value::Array(a) => {
            let i = array_index(a, last).ok_or_else(missing)?;
            a.remove(i);
            Ok(())
        }
        _ => Err(missing()),
    }
}

fn merge_value(slot: &mut Value, v: &Value, path: &mut Vec<Value>) -> Result<(), Box<ConfigIssue>> {
    match (&mut *slot, v) {
        (Value::Object(_), Value::Object(u)) => merge_object(slot, u, path),
        (Value::Array(a), Value::Object(u)) => merge_array(a, u, path),
        (s, v) => {
            *s = v.clone();
            Ok(())
        }
    }
}

fn merge_object(
    target: &mut Value,
    upd: &Map<String, Value>,
    path: &mut Vec<Value>,
) -> Result<(), Box<ConfigIssue>> {
    let Value::Object(m) = target else {
        unreachable!()
    };
    for (k, v) in upd {
        path.push(json!(k));
        match m.get_mut(k) {
            Some(slot) if !slot.is_null() => merge_value(slot, v, path)?,
            _ => {
                m.insert(k.clone(), v.clone());
            }
        }
        path.pop();
    }
    Ok(())
}

fn merge_array(
    a: &mut Vec<Value>,
    upd: &Map<String, Value>,
    path: &mut Vec<Value>,
) -> Result<(), Box<ConfigIssue>> {
    if upd.is_empty() {
        return Err(set_error(path, &json!({}), "empty dict"));
    }
    let mut numerals: Vec<(usize, &String, &Value)> = vec![];
    let mut ids: Vec<(&String, &Value)> = vec![];
    for (k, v) in upd {
        if let Some(i) = numeral(k) {
            numerals.push((i, k, v));
        } else if is_uuid(k) {
            ids.push((k, v));
        } else {
            path.push(json!(k));
            let reason = if k.contains('-') {
                "invalid id"
            } else {
                "bad array index"
            };
            let e = set_error(path, v, reason);
            path.pop();
            return Err(e);
        }
    }
    numerals.sort_by_key(|(i, _, _)| *i);
    for (i, k, v) in numerals {
        path.push(json!(k));
        if i < a.len() {
            merge_value(&mut a[i], v, path)?;
        } else if i == a.len() {
            a.push(v.clone());
        } else {
            let e = set_error(path, v, "bad array index");
            path.pop();
            return Err(e);
        }
        path.pop();
    }
    for (k, v) in ids {
        path.push(json!(k));
        let Some(obj) = v.as_object() else {
            let e = set_error(path, v, "not a dict");
            path.pop();
            return Err(e);
        };
        if obj.get("_id_").and_then(Value::as_str) != Some(k.as_str()) {
            let e = issue(
                path,
                "invalid id",
                v,
                format!("cannot set {} to {}: invalid id (an element keyed by _id_ must carry the same \"_id_\" field)", path_text(path), value_text(v)),
            );
            path.pop();
            return Err(e);
        }
        match a
            .iter()
            .position(|e| e.get("_id_").and_then(Value::as_str) == Some(k.as_str()))
        {
            Some(i) => merge_value(&mut a[i], v, path)?,
            None => a.push(v.clone()),
        }
        path.pop();
    }
    Ok(())
}

/// Applies a diff: removals first, in order, then the updates merged recursively.
pub fn apply(config: &Value, d: &Diff) -> Result<Value, Box<ConfigIssue>> {
    apply_owned(config.clone(), d)
}

/// [`apply`] to a configuration the caller gives up (no copy of it is made).
pub fn apply_owned(config: Value, d: &Diff) -> Result<Value, Box<ConfigIssue>> {
    let mut out = if config.is_null() { json!({}) } else { config };
    for p in &d.removals {
        remove_path(&mut out, p)?;
    }
    if !out.is_object() {
        return Err(set_error(&[], &out, "not a dict"));
    }
    merge_object(&mut out, &d.updates, &mut vec![])?;
    Ok(out)
}

fn deep_merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => deep_merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The target diff of a device: its individual diff layered over its group's (indie wins).
pub fn layer(group: &Diff, indie: &Diff) -> Diff {
    let mut updates = group.updates.clone();
    deep_merge(&mut updates, &indie.updates);
    let mut removals = group.removals.clone();
    for r in &indie.removals {
        if !removals.contains(r) {
            removals.push(r.clone());
        }
    }
    Diff { updates, removals }
}

/// Element ids of an array whose elements all carry unique UUID `_id_`s.
fn ids_of(a: &[Value]) -> Option<Vec<&str>> {
    let ids: Vec<&str> = a
        .iter()
        .map(|e| e.get("_id_").and_then(Value::as_str).filter(|s| is_uuid(s)))
        .collect::<Option<_>>()?;
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    (sorted.len() == ids.len()).then_some(ids)
}

struct Differ {
    use_ids: bool,
    removals: Vec<Vec<Value>>,
}

impl Differ {
    fn object(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        path: &mut Vec<Value>,
    ) -> Map<String, Value> {
        let mut u = Map::new();
        for k in old.keys() {
            if !new.contains_key(k) {
                let mut p = path.clone();
                p.push(json!(k));
                self.removals.push(p);
            }
        }
        for (k, nv) in new {
            path.push(json!(k));
            match old.get(k) {
                None => {
                    u.insert(k.clone(), nv.clone());
                }
                Some(ov) if ov == nv => {}
                Some(ov) => {
                    if let Some(x) = self.value(ov, nv, path) {
                        u.insert(k.clone(), x);
                    }
                }
            }
            path.pop();
        }
        u
    }

    /// The update for a changed value (removals recorded as a side effect); `None`: nothing to set.
    fn value(&mut self, ov: &Value, nv: &Value, path: &mut Vec<Value>) -> Option<Value> {
        match (ov, nv) {
            (Value::Object(o), Value::Object(n)) => {
                let sub = self.object(o, n, path);
                (!sub.is_empty()).then_some(Value::Object(sub))
            }
            (Value::Array(o), Value::Array(n)) => self.array(o, n, path),
            (Value::Array(_), Value::Object(_)) => {
                // An object update on an array would address elements: replace it instead.
                self.removals.push(path.clone());
                Some(nv.clone())
            }
            _ => Some(nv.clone()),
        }
    }

    fn array(&mut self, old: &[Value], new: &[Value], path: &mut Vec<Value>) -> Option<Value> {
        let mut u = Map::new();
        if self.use_ids {
            if let (Some(oi), Some(ni)) = (ids_of(old), ids_of(new)) {
                let kept: Vec<&str> = oi.iter().copied().filter(|i| ni.contains(i)).collect();
                if ni.len() >= kept.len() && ni[..kept.len()] == kept[..] && !new.is_empty() {
                    for id in oi.iter().filter(|i| !ni.contains(i)) {
                        let mut p = path.clone();
                        p.push(json!(id));
                        self.removals.push(p);
                    }
                    for (id, ne) in ni.iter().zip(new) {
                        path.push(json!(id));
                        match oi.iter().position(|x| x == id) {
                            Some(j) if old[j] == *ne => {}
                            Some(j) => {
                                if let (Some(o), Some(n)) = (old[j].as_object(), ne.as_object()) {
                                    let mut sub = self.object(o, n, path);
                                    if !sub.is_empty() {
                                        sub.insert("_id_".into(), json!(id));
                                        u.insert(id.to_string(), Value::Object(sub));
                                    }
                                }
                            }
                            // An appended element is keyed by its offset, not its `_id_`: the
                            // order of `_id_` keys is lost in maps that sort their keys (Rhai's),
                            // and the order of these elements matters (WAN rule priority).
                            None => {
                                let at = ni.iter().position(|x| x == id).unwrap_or(0);
                                u.insert(at.to_string(), ne.clone());
                            }
                        }
                        path.pop();
                    }
                    return (!u.is_empty()).then_some(Value::Object(u));
                }
            }
        }
        // An element turning from an array into an object cannot be an element update (it would
        // address the inner array's elements): replace the whole array instead.
        if old
            .iter()
            .zip(new)
            .any(|(o, n)| o.is_array() && n.is_object())
        {
            self.removals.push(path.clone());
            return Some(Value::Array(new.to_vec()));
        }
        for i in (new.len()..old.len()).rev() {
            let mut p = path.clone();
            p.push(json!(i));
            self.removals.push(p);
        }
        for (i, nv) in new.iter().enumerate() {
            path.push(json!(i));
            match old.get(i) {
                Some(ov) if ov == nv => {}
                Some(ov) => {
                    let x = match (ov, nv) {
                        (Value::Object(o), Value::Object(n)) => {
                            let sub = self.object(o, n, path);
                            (!sub.is_empty()).then_some(Value::Object(sub))
                        }
                        // Elements of other kinds are replaced whole by the element update.
                        _ => Some(nv.clone()),
                    };
                    if let Some(x) = x {
                        u.insert(i.to_string(), x);
                    }
                }
                None => {
                    u.insert(i.to_string(), nv.clone());
                }
            }
            path.pop();
        }
        (!u.is_empty()).then_some(Value::Object(u))
    }
}

/// The smallest diff `d` with `apply(old, d) == new`. Arrays whose elements all carry `_id_`s are
/// addressed by `_id_` (as NCM requires); others by string numerals.
pub fn between(old: &Value, new: &Value) -> Diff {
    between_opts(old, new, true)
}

/// `between`, choosing whether `_id_` arrays are addressed by `_id_` or by offset (the device form).
pub fn between_opts(old: &Value, new: &Value, use_ids: bool) -> Diff {
    let mut d = Differ {
        use_ids,
        removals: vec![],
    };
    let empty = Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let updates = d.object(o, n, &mut vec![]);
    Diff {
        updates,
        removals: d.removals,
    }
}

/// Rewrites `_id_` keys of the NCM default convention (`0000000N-...` is the default element at
/// offset N) as offsets and drops the then-redundant `_id_` fields.
fn canonical_by_convention(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = if is_uuid(k) {
                    match u32::from_str_radix(&k[..8], 16) {
                        Ok(n) if n < 4096 => n.to_string(),
                        _ => k.clone(),
                    }
                } else {
                    k.clone()
                };
                let mut x = canonical_by_convention(x);
                if key != *k {
                    if let Value::Object(xm) = &mut x {
                        if xm.get("_id_").and_then(Value::as_str) == Some(k.as_str()) {
                            xm.shift_remove("_id_");
                        }
                    }
                }
                out.insert(key, x);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical_by_convention).collect()),
        other => other.clone(),
    }
}

/// Do two diffs say the same thing? With the firmware's default config, both are applied to it
/// and the results compared (exact). Without it, `_id_` keys are mapped to offsets by NCM's
/// default-id convention (`00000001-...` is offset 1).
pub fn equivalent(a: &Diff, b: &Diff, default: Option<&Value>) -> Result<bool, Box<ConfigIssue>> {
    match default {
        Some(d) => Ok(apply(d, a)? == apply(d, b)?),
        None => {
            let ca = canonical_by_convention(&a.to_value());
            let cb = canonical_by_convention(&b.to_value());
            Ok(ca == cb)
        }
    }
}

/// `v` without the `"*"` NCM shows for a password field's value. Only field values are masks:
/// an array element (a numeral key of an array update, or an element of a list) that is `"*"` is
/// data and stays. A field object left empty by the stripping is dropped too (an empty object is
/// a diff NCM rejects: "empty dict"); an array element's update left empty stays `{}`, so the
/// offsets of the elements after it keep their meaning.
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, x)| x.as_str() != Some("*") || numeral(k).is_some())
                .map(|(k, x)| (k.clone(), strip(x)))
                .filter(|(k, x)| {
                    let emptied = x.as_object().is_some_and(|o| o.is_empty())
                        && m.get(k)
                            .and_then(Value::as_object)
                            .is_some_and(|o| !o.is_empty());
                    !emptied || numeral(k).is_some()
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

/// Drops the `"*"` placeholders NCM shows for passwords, so a config read back can be written
/// without overwriting the real passwords with `*`. Nothing else changes.
pub fn strip_masked(d: &Diff) -> Diff {
    let Value::Object(updates) = strip(&Value::Object(d.updates.clone())) else {
        unreachable!()
    };
    Diff {
        updates,
        removals: d.removals.clone(),
    }
}

fn validate_updates(m: &Map<String, Value>, path: &mut Vec<Value>, out: &mut Vec<ConfigIssue>) {
    for (k, v) in m {
        path.push(json!(k));
        if k == "_id_" && !v.as_str().is_some_and(is_uuid) {
            out.push(*set_error(path, v, "invalid id"));
        }
        if is_uuid(k) {
            match v.as_object() {
                None => out.push(*set_error(path, v, "not a dict")),
                Some(o) if o.get("_id_").and_then(Value::as_str) != Some(k.as_str()) => out.push(*issue(
                    path,
                    "invalid id",
                    v,
                    format!("cannot set {} to {}: invalid id (an element keyed by _id_ must carry the same \"_id_\" field)", path_text(path), value_text(v)),
                )),
                _ => {}
            }
        }
        if let Value::Object(sub) = v {
            validate_updates(sub, path, out);
        }
        path.pop();
    }
}

/// Every problem a diff has on its own (shape, `_id_` rules), without a config to apply it to.
pub fn validate(v: &Value) -> Vec<ConfigIssue> {
    match Diff::from_value(v) {
        Err(e) => vec![*e],
        Ok(d) => {
            let mut out = vec![];
            validate_updates(&d.updates, &mut vec![], &mut out);
            out
        }
    }
}

/// A copy of `d` with `value` set at `path` in its updates (intermediate dictionaries created).
pub fn set(d: &Diff, path: &[Value], value: Value) -> Result<Diff, Box<ConfigIssue>> {
    let mut out = d.clone();
    let (last, parents) = path
        .split_last()
        .ok_or_else(|| set_error(path, &value, "invalid path"))?;
    let mut cur = &mut out.updates;
    for seg in parents {
        let key = value_text(seg);
        let slot = cur.entry(key).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        cur = slot.as_object_mut().expect("just made an object");
    }
    cur.insert(value_text(last), value);
    Ok(out)
}

#[cfg(test)]
mod tests;
