//! The object handlers of the simulated NCM API: one record's GET (`fields`, `expand`), POST,
//! PUT/PATCH (config writes, suspends, firmware, the checks the spec documents) and the
//! firmware's default configuration.

use super::*;

pub(super) fn detail_params(params: &[(String, String)]) -> (Option<Vec<String>>, Vec<String>) {
    let mut fields = None;
    let mut expand = vec![];
    for (k, v) in params {
        let list: Vec<String> = v
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        match k.as_str() {
            "fields" => fields = Some(list),
            "expand" => expand = list,
            _ => {}
        }
    }
    (fields, expand)
}

pub(super) fn detail(
    store: &mut Store,
    ep: &Endpoint,
    id: &str,
    params: &[(String, String)],
) -> Reply {
    if !ep.detail {
        return Reply::error(404, "not_found", format!("{} has no object URLs", ep.name));
    }
    // A speed test finishes the first time it is looked at after being created; each result
    // names its net device and that device's router (`router_id`, as the spec's example shows).
    if ep.name == "speed_test" {
        let pending: Option<Vec<Value>> = store
            .find("speed_test", id)
            .filter(|r| r["state"] == "created")
            .map(|r| {
                r["config"]["net_device_ids"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            });
        let routers: Vec<Value> = pending
            .iter()
            .flatten()
            .map(|n| {
                store
                    .find("net_devices", &text_of(n))
                    .and_then(|d| d["router"].as_str().and_then(id_of))
                    .and_then(|r| r.parse::<u64>().ok())
                    .map_or(Value::Null, |r| json!(r))
            })
            .collect();
        if let (Some(ids), Some(rec)) = (pending, store.find_mut("speed_test", id)) {
            {
                let now = crate::sim::store::ts(chrono::Utc::now());
                let results: Vec<Value> = ids.iter().zip(&routers).map(|(n, r)| json!({"created_at": now, "net_device_id": n,
                    "results": "TCP Download Test Duration: 10.01 Seconds Download Throughput: 58.34 Mbps",
                    "router_id": r, "state": "success", "updated_at": now})).collect();
                rec["progress"] = json!({"completed": ids.len(), "total_count": ids.len()});
                rec["results"] = Value::Array(results);
                rec["state"] = json!("complete");
                rec["updated_at"] = json!(now);
            }
        }
    }
    let Some(rec) = store.find(ep.name, id) else {
        return not_found(ep, id);
    };
    let (fields, expand) = detail_params(params);
    Reply::json(200, project(store, ep, &rec, fields.as_deref(), &expand))
}

pub(super) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("the request body must be a JSON object")),
        Err(e) => Err(bad(format!("the request body is not JSON: {e}"))),
    }
}

pub(super) fn create(
    store: &mut Store,
    st: &SimState,
    ep: &'static Endpoint,
    body: &[u8],
) -> Reply {
    let b = match parse_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The catalog's rules, as the client checks them before sending: required fields (`*`), no
    // read-only or unknown field, the documented rules of the body.
    if let Err(p) = ep.check_write(Method::Post, None, &Value::Object(b.clone())) {
        return bad(p.message());
    }
    if ep.name == "reboot_activity" {
        let (kind, url) = match (b.get("router"), b.get("group")) {
            (Some(Value::String(u)), None) => ("routers", u),
            (None, Some(Value::String(u))) => ("groups", u),
            _ => {
                return bad(
                    "POST a router or group URL, e.g. {\"router\": \".../api/v2/routers/42/\"}",
                )
            }
        };
        let id = id_of(url).unwrap_or_default();
        if store.find(kind, &id).is_none() {
            return Reply::error(
                403,
                "forbidden",
                format!("You do not have permission to perform this action ({kind} {id})"),
            );
        }
        st.counters
            .lock()
            .unwrap()
            .reboots
            .push(format!("{kind}/{id}"));
        return Reply::json(201, Value::Object(b));
    }
    let id = store.alloc_id(ep.name).max(100_000);
    let now = crate::sim::store::ts(chrono::Utc::now());
    let mut rec = Map::new();
    for f in ep.fields {
        rec.insert(f.name.to_string(), Value::Null);
    }
    for (k, v) in b {
        if ep.field(&k).is_some() {
            rec.insert(k, v);
        }
    }
    rec.insert("id".into(), json!(id.to_string()));
    for (k, v) in [
        ("resource_url", json!(store.url(ep.name, id))),
        ("created_at", json!(now)),
        ("updated_at", json!(now)),
    ] {
        if rec.contains_key(k) {
            rec.insert(k.into(), v);
        }
    }
    if ep.name == "speed_test" {
        rec.insert("resource_uri".into(), json!(store.url(ep.name, id)));
        rec.insert("state".into(), json!("created"));
    }
    let rec = Value::Object(rec);
    store.push(ep.name, rec.clone());
    Reply::json(201, rec)
}

/// Merges `patch` into `target` recursively (objects merge, everything else replaces).
pub(super) fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The spec's config-validation error body.
pub(super) fn validation_error(
    status: u16,
    message: String,
    reason: &str,
    value: Value,
    path: Vec<Value>,
) -> Reply {
    Reply::json(
        status,
        json!({"errors": [{"configuration": {"message": message, "reason": reason, "value": value, "path": path}}],
               "exception": {"message": "bad or missing data", "type": "validation"}}),
    )
}

/// Checks that a config diff has the `[updates, removals]` shape, with removal paths as lists.
/// (Which paths exist is the config model's business; this is the shape every diff must have.)
pub(super) fn check_diff_shape(status: u16, diff: &Value) -> Option<Reply> {
    let shape_err = |reason: &str, value: &Value, path: Vec<Value>| {
        Some(validation_error(
            status,
            format!("cannot set configuration to {value}: {reason}"),
            reason,
            value.clone(),
            path,
        ))
    };
    let Some(parts) = diff.as_array().filter(|a| a.len() == 2) else {
        return shape_err("not a list or dict", diff, vec![]);
    };
    if !parts[0].is_object() {
        return shape_err("not a dict", &parts[0], vec![json!(0)]);
    }
    let Some(removals) = parts[1].as_array() else {
        return shape_err("not a list or dict", &parts[1], vec![json!(1)]);
    };
    for (i, r) in removals.iter().enumerate() {
        let ok = r
            .as_array()
            .is_some_and(|p| !p.is_empty() && p.iter().all(|x| x.is_string() || x.is_u64()));
        if !ok {
            return shape_err("bad array index", r, vec![json!(1), json!(i)]);
        }
    }
    None
}

pub(super) fn modify(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    body: &[u8],
    params: &[(String, String)],
) -> Reply {
    let b = match parse_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The catalog's rules, as the client checks them before sending: an unknown or read-only
    // field is a 409, as the Configuration document says of a configuration manager ("If you
    // include any other field in your PUT request payload you will get a 409 Conflict"). The
    // fields a PUT requires (`*`) are the client's to check: the official client PUTs a group's
    // or an account's name alone (rename_group_by_id), so the service is taken to accept it.
    match ep.check_write(m, Some(id), &Value::Object(b.clone())) {
        Ok(()) | Err(catalog::WriteProblem::Missing(_)) => {}
        Err(p) => return Reply::error(409, "validation", p.message()),
    }
    if let Some(cfg) = b.get("configuration") {
        // The spec: an invalid config is a 409 on PUT and a 400 on PATCH.
        let status = if m == Method::Put { 409 } else { 400 };
        if let Some(r) = check_diff_shape(status, cfg) {
            return r;
        }
    }
    if ep.name == "configuration_managers"
        || (ep.name == "groups" && b.contains_key("configuration"))
    {
        return modify_config(store, ep, m, id, b, params);
    }
    let Some(rec) = store.find_mut(ep.name, id) else {
        return not_found(ep, id);
    };
    write_fields(rec, m, b);
    let rec = rec.clone();
    if ep.name == "groups" {
        group_firmware_to_routers(store, id);
    }
    // A router moved between groups gets a new target, and its group's firmware.
    if ep.name == "routers" {
        let now = store.now();
        crate::sim::firmware::follow_group(store, id, now);
        let cms =
            crate::sim::config_sync::ids_linking(store, "configuration_managers", "router", id);
        for cm in cms {
            let now = store.now();
            crate::sim::config_sync::retarget(store, &cm, now);
        }
    }
    let (fields, expand) = detail_params(params);
    patch_or_put_answer(store, ep, &rec, &fields, &expand)
}

/// The 202 answer of a PUT or PATCH: the record (its `fields`). A departure for PATCH, whose
/// spec says "Unlike PUT, PATCH never returns a payload in its reply": the official client reads
/// one (copy_router_configuration parses the PATCH answer as JSON, patch_configuration_managers
/// returns its text), which says more about the real service than the sentence does.
/// Writes a PUT's or PATCH's fields into a record (PATCH merges; a configuration's removals
/// cannot be PATCHed); a changed configuration gets a new version, not yet synched.
fn write_fields(rec: &mut Value, m: Method, b: Map<String, Value>) {
    let mut changed_config = false;
    for (k, v) in b {
        if k == "configuration" {
            changed_config = true;
        }
        match m {
            Method::Patch if k == "configuration" => {
                // [updates, removals]: PATCH merges updates and cannot remove.
                if let (Some(cur), Some(upd)) = (
                    rec.get_mut("configuration").and_then(|c| c.get_mut(0)),
                    v.get(0),
                ) {
                    merge(cur, upd);
                } else {
                    rec[k.as_str()] = v;
                }
            }
            Method::Patch => merge(&mut rec[k.as_str()], &v),
            _ => rec[k.as_str()] = v,
        }
    }
    if changed_config && rec.get("version_number").is_some() {
        let v = rec["version_number"].as_u64().unwrap_or(0) + 1;
        rec["version_number"] = json!(v);
        rec["synched"] = json!(false);
    }
    if rec.get("updated_at").is_some() {
        rec["updated_at"] = json!(crate::sim::store::ts(chrono::Utc::now()));
    }
}

pub(super) fn patch_or_put_answer(
    store: &Store,
    ep: &Endpoint,
    rec: &Value,
    fields: &Option<Vec<String>>,
    expand: &[String],
) -> Reply {
    Reply::json(202, project(store, ep, rec, fields.as_deref(), expand))
}

/// A group's `target_firmware` is its routers' target: each router follows it, and upgrades
/// when that differs from what it runs (`firmware.rs`).
pub(super) fn group_firmware_to_routers(store: &mut Store, group_id: &str) {
    let now = store.now();
    for rid in crate::sim::config_sync::group_routers(store, group_id) {
        crate::sim::firmware::follow_group(store, &rid, now);
    }
}

/// PUT/PATCH of a configuration manager, or of a group's configuration.
pub(super) fn modify_config(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    b: Map<String, Value>,
    params: &[(String, String)],
) -> Reply {
    use crate::sim::config_sync as cfg;
    let Some(rec) = store.find(ep.name, id).map(std::borrow::Cow::into_owned) else {
        return not_found(ep, id);
    };
    let now = store.now();
    if let Some(body) = b.get("configuration") {
        if let Err(r) = write_config(store, ep, m, id, &rec, body) {
            return r;
        }
    }
    if ep.name == "groups" {
        // A group PUT/PATCH keeps the other fields it carries (name, target_firmware...).
        let others: Map<String, Value> = b
            .iter()
            .filter(|(k, _)| k.as_str() != "configuration")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(r) = store.find_mut(ep.name, id) {
            for (k, v) in others {
                r[k.as_str()] = v;
            }
        }
        group_firmware_to_routers(store, id);
        for cm in cfg::members(store, id) {
            cfg::retarget(store, &cm, now);
        }
    } else {
        if let Some(s) = b.get("suspended") {
            if let Err(r) = set_suspended(store, ep, id, &rec, s, now) {
                return r;
            }
        }
        cfg::retarget(store, id, now);
    }
    let rec = store
        .find(ep.name, id)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or(Value::Null);
    let (fields, expand) = detail_params(params);
    patch_or_put_answer(store, ep, &rec, &fields, &expand)
}

/// PUT (replace) or PATCH (merge) of a group's or configuration manager's individual config,
/// validated against the firmware's default; the spec's 409 (PUT) or 400 (PATCH) when invalid.
pub(super) fn write_config(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    rec: &Value,
    body: &Value,
) -> Result<(), Reply> {
    use crate::diff::{self, Diff};
    use crate::sim::config_sync::{self as cfg, Refusal};
    let invalid_status = if m == Method::Put { 409 } else { 400 };
    let refuse = |i: Box<crate::error::ConfigIssue>| {
        validation_error(invalid_status, i.message, &i.reason, i.value, i.path)
    };
    if let Some(r) = check_diff_shape(invalid_status, body) {
        return Err(r);
    }
    let default = if ep.name == "groups" {
        cfg::group_default(store, rec)
    } else {
        cfg::cm_default(store, rec)
    };
    let d = match cfg::validate(&default, body) {
        Ok(d) => d,
        Err(Refusal::Invalid(i)) => return Err(refuse(i)),
        Err(Refusal::MissingIdField(k)) => {
            let url = rec["resource_url"].as_str().unwrap_or_default().to_string();
            return Err(Reply::json(invalid_status, cfg::missing_id_body(&url, &k)));
        }
    };
    let old = cfg::diff_of(rec, "configuration");
    // PUT replaces the config; PATCH merges into it and cannot remove anything.
    let new = if m == Method::Put {
        d
    } else {
        diff::layer(
            &old,
            &Diff {
                updates: d.updates,
                removals: vec![],
            },
        )
    };
    if let Err(i) = diff::apply(&default, &new) {
        return Err(refuse(i));
    }
    if let Some(r) = store.find_mut(ep.name, id) {
        r["configuration"] = new.to_value();
    }
    log_config_activity(store, ep.name, id);
    Ok(())
}

/// `suspended` of a configuration manager: suspending stops its sync; resuming works only for a
/// device that is online (an offline one stays suspended).
pub(super) fn set_suspended(
    store: &mut Store,
    ep: &Endpoint,
    id: &str,
    rec: &Value,
    s: &Value,
    now: std::time::Instant,
) -> Result<(), Reply> {
    let Some(s) = s.as_bool() else {
        return Err(Reply::error(
            409,
            "validation",
            "suspended must be true or false",
        ));
    };
    let router = rec
        .get("router")
        .and_then(Value::as_str)
        .and_then(id_of)
        .and_then(|r| store.find("routers", &r).map(std::borrow::Cow::into_owned));
    let online = router.as_ref().is_some_and(|r| r["state"] == "online");
    let rid = router
        .as_ref()
        .and_then(|r| r["id"].as_str())
        .unwrap_or_default()
        .to_string();
    if s {
        store.sync_due.remove(id);
        if let Some(r) = store.find_mut(ep.name, id) {
            r["suspended"] = json!(true);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!("suspended");
        }
    } else if online {
        // Resuming only works for a device that is online; an offline one stays suspended.
        let synched = store
            .find(ep.name, id)
            .and_then(|r| r["synched"].as_bool())
            .unwrap_or(false);
        if let Some(r) = store.find_mut(ep.name, id) {
            r["suspended"] = json!(false);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!(if synched { "synched" } else { "pending" });
        }
        if !synched {
            let delay = store.sync_delay;
            store.sync_due.insert(id.to_string(), now + delay);
        }
    }
    Ok(())
}

/// NCM's activity log records who changed a router's or group's configuration, and when.
pub(super) fn log_config_activity(store: &mut Store, endpoint: &str, id: &str) {
    let (kind, object_id, name) = if endpoint == "groups" {
        let name = store
            .find("groups", id)
            .map(|g| g["name"].clone())
            .unwrap_or(Value::Null);
        ("group", id.to_string(), name)
    } else {
        let rid = store
            .find(endpoint, id)
            .and_then(|c| c["router"].as_str().and_then(id_of))
            .unwrap_or_default();
        let name = store
            .find("routers", &rid)
            .map(|r| r["name"].clone())
            .unwrap_or(Value::Null);
        ("router", rid, name)
    };
    let now = chrono::Utc::now();
    let seq = store.alloc_id("activity_logs");
    let account = store.url("accounts", 1);
    store.push("activity_logs", json!({"account": account, "action": {"id": format!("act-cfg-{seq}"), "type": "update",
        "timestamp": crate::sim::store::ts(now)}, "actor": {"id": "api-key-1", "type": "api_key", "name": "API key (X-CP-API-ID)"},
        "object": {"id": object_id, "type": kind, "name": name}, "created_at": crate::sim::store::ts(now)}));
}

/// The default configuration of a firmware record's product and version.
pub(super) fn firmware_default(store: &Store, fw: &Value) -> Value {
    crate::sim::config_sync::firmware_default(store, fw)
        .as_ref()
        .clone()
}
