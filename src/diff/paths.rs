//! The config paths that differ between two configurations, each with its value before and
//! after, as operators read them in plans, backup commit messages and change reports. Secret
//! values (`secrets::is_secret`) show as `*`, never in clear; an element's `_id_` addresses it
//! and is not listed as a setting.

use super::{between, get, is_secret, path_text};
use serde_json::{json, Value};

/// One path that differs: its value before (None: unset) and after (None: removed).
#[derive(Debug, Clone, PartialEq)]
pub struct PathChange {
    pub path: Vec<Value>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A path change as scripts and reports see it: the path as text, the values (secrets as `*`)
/// and whether the path is removed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PathRow {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub removed: bool,
}

impl PathChange {
    pub fn row(&self) -> PathRow {
        PathRow {
            path: path_text(&self.path),
            before: self.before.clone(),
            after: self.after.clone(),
            removed: self.after.is_none(),
        }
    }
}

/// A value as shown: a secret's value as `*`.
fn shown(path: &[Value], v: Option<&Value>) -> Option<Value> {
    v.map(|v| {
        if is_secret(path) && !v.is_null() && v != "" {
            json!("*")
        } else {
            v.clone()
        }
    })
}

/// Every leaf path of a value (an empty object is a leaf).
pub fn leaf_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(json!(k));
                leaf_paths(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// The paths that differ between two configurations, with their values as shown.
pub fn changed_paths(before: &Value, after: &Value) -> Vec<PathChange> {
    let d = between(before, after);
    let mut leaves = vec![];
    leaf_paths(&Value::Object(d.updates), &mut vec![], &mut leaves);
    let mut out: Vec<PathChange> = leaves
        .into_iter()
        .filter(|p| !p.is_empty() && p.last() != Some(&json!("_id_")))
        .map(|p| PathChange {
            before: shown(&p, get(before, &p)),
            after: shown(&p, get(after, &p)),
            path: p,
        })
        .collect();
    out.extend(d.removals.into_iter().map(|p| PathChange {
        before: shown(&p, get(before, &p)),
        after: None,
        path: p,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_set_and_removed_paths_with_secrets_masked() {
        let a = json!({"wlan": {"ssid": "a", "wpapsk": "old-secret"}, "gone": 1});
        let b = json!({"wlan": {"ssid": "b", "wpapsk": "new-secret"}});
        let c = changed_paths(&a, &b);
        let text = format!("{c:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(c
            .iter()
            .any(|p| p.path == vec![json!("gone")] && p.after.is_none()));
        assert!(c
            .iter()
            .any(|p| p.path == vec![json!("wlan"), json!("ssid")] && p.after == Some(json!("b"))));
    }
}
