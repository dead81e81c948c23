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

/// Why a configuration cannot be put back exactly through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRevertible {
    /// Secret paths whose previous value cannot be written (it reads back as `"*"`).
    pub secrets: Vec<Vec<Value>>,
}

/// The write that takes `current` back to `previous` exactly (both as read back, secrets
/// masked): a PATCH of the previous values when nothing has to be removed, else a PUT of the
/// previous configuration. A secret of `previous` that differs from `current`'s (gone, or set
/// by the change: `changed_secrets`) or that a PUT would drop cannot be restored: that is
/// `NotRevertible`, naming the paths, and nothing should be written.
pub fn plan_revert(
    current: &Diff,
    previous: &Diff,
    changed_secrets: &[Vec<Value>],
) -> Result<Result<WritePlan, NotRevertible>, Box<crate::error::ConfigIssue>> {
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
    if change.removals.is_empty() {
        if !lost.is_empty() {
            return Ok(Err(NotRevertible { secrets: lost }));
        }
        let send = strip_masked(&Diff {
            updates: change.updates.clone(),
            removals: vec![],
        });
        return Ok(Ok(WritePlan {
            patch: true,
            send,
            change,
            dropped_secrets: vec![],
        }));
    }
    // A PUT sends the previous configuration without its secrets: each would be dropped.
    for p in prev_secrets {
        if !lost.contains(&p) {
            lost.push(p);
        }
    }
    if !lost.is_empty() {
        return Ok(Err(NotRevertible { secrets: lost }));
    }
    Ok(Ok(WritePlan {
        patch: false,
        send: strip_masked(previous),
        change,
        dropped_secrets: vec![],
    }))
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
        let p = plan_revert(&cur, &prev, &[]).unwrap().unwrap();
        assert!(p.patch);
        assert_eq!(p.send.to_value(), json!([{"apn": "old"}, []]));
        // A path the change added must go: PUT of the previous config, fine without secrets.
        let cur = d(json!([{"apn": "new"}, []]));
        let prev = d(json!([{}, []]));
        let p = plan_revert(&cur, &prev, &[]).unwrap().unwrap();
        assert!(!p.patch);
        assert_eq!(p.send.to_value(), json!([{}, []]));
        // ... but that PUT would drop a stored secret: not revertible, naming it.
        let cur = d(json!([{"apn": "new", "wlan": {"wpapsk": "*"}}, []]));
        let prev = d(json!([{"wlan": {"wpapsk": "*"}}, []]));
        let e = plan_revert(&cur, &prev, &[]).unwrap().unwrap_err();
        assert_eq!(e.secrets, vec![vec![json!("wlan"), json!("wpapsk")]]);
        // A secret the change overwrote cannot be restored.
        let cur = d(json!([{"wpapsk": "*"}, []]));
        let prev = d(json!([{"wpapsk": "*"}, []]));
        let e = plan_revert(&cur, &prev, &[vec![json!("wpapsk")]])
            .unwrap()
            .unwrap_err();
        assert_eq!(e.secrets, vec![vec![json!("wpapsk")]]);
        // Nothing changed: an empty PATCH.
        let p = plan_revert(&prev, &prev, &[]).unwrap().unwrap();
        assert!(p.change.is_empty());
    }
}
