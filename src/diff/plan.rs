//! Writes that never lose a secret: given a target's configuration as read back (its secrets
//! shown as `"*"`) and the configuration wanted, the smallest write that gets there — a PATCH
//! when nothing but the target's own secrets would have to be removed (so they stay), else a
//! PUT, with the secret paths that PUT would drop listed so the caller can refuse. `"*"` is
//! never part of what is sent.

use super::{apply, between, get, strip_masked, Diff};
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
                updates: change.updates.clone(),
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
}
