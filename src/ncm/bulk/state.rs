//! What a bulk write starts from and what it will do. Each router's current individual
//! configuration, config sync state, connection state, product and firmware are read in a few
//! paged requests (`__in` lists), never one per router; from them, per router, the plan: the
//! paths the change sets or removes with their current and new values, or `unchanged` when the
//! individual configuration already carries the change. Secrets show as `*`, never in clear.

use super::{Change, WriteMethod};
use crate::diff::{self, Diff};
use crate::error::Result;
use crate::ncm::client::NcmClient;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A router as a bulk write sees it.
#[derive(Debug, Clone, Default)]
pub struct RouterState {
    pub router: String,
    pub name: String,
    pub config_manager: Option<String>,
    /// The individual configuration, `[updates, removals]`, as the API shows it.
    pub configuration: Value,
    pub synched: bool,
    pub suspended: bool,
    pub state: String,
    pub product: String,
    /// Firmware version with the WAN-rule family it uses (`7.22.60 (wan.rules2)`).
    pub firmware: String,
    /// The id of the firmware its configuration is formatted for (target, else actual).
    pub firmware_id: String,
    /// The id of its group ("" when it has none).
    pub group: String,
}

impl RouterState {
    pub fn online(&self) -> bool {
        self.state == "online"
    }
}

use crate::ncm::query as q;

pub(crate) use crate::ncm::text;

fn url_id(v: &Value) -> Option<String> {
    v.as_str().and_then(crate::ncm::id_of)
}

/// `id -> field` of the records of `endpoint` whose ids are given (one `__in` listing).
fn names_of(
    client: &Arc<NcmClient>,
    endpoint: &str,
    field: &str,
    ids: Vec<String>,
) -> Result<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client.list(
        endpoint,
        &q(json!({"id__in": ids, "fields": ["id", field]})),
    )?;
    Ok(rows
        .iter()
        .map(|r| (text(&r["id"]), text(&r[field])))
        .collect())
}

fn distinct(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = it.collect();
    v.sort();
    v.dedup();
    v
}

/// Reads the state of the given routers: configuration managers, routers, their firmwares and
/// products, each in `__in` listings of up to 100 ids a request.
pub fn read_states(
    client: &Arc<NcmClient>,
    routers: &[String],
) -> Result<HashMap<String, RouterState>> {
    let mut out: HashMap<String, RouterState> = HashMap::new();
    if routers.is_empty() {
        return Ok(out);
    }
    let ids = distinct(routers.iter().cloned());
    let rows = client.list(
        "routers",
        &q(json!({"id__in": ids, "fields": ["id", "name", "state", "product", "group", "actual_firmware", "target_firmware"]})),
    )?;
    let firmware_of =
        |r: &Value| url_id(&r["target_firmware"]).or_else(|| url_id(&r["actual_firmware"]));
    let versions = names_of(
        client,
        "firmwares",
        "version",
        distinct(rows.iter().filter_map(firmware_of)),
    )?;
    let products = names_of(
        client,
        "products",
        "name",
        distinct(rows.iter().filter_map(|r| url_id(&r["product"]))),
    )?;
    for r in &rows {
        let firmware_id = firmware_of(r).unwrap_or_default();
        let version = versions.get(&firmware_id).cloned().unwrap_or_default();
        let family = if crate::ncm::helpers::uses_rules2(&version) {
            "wan.rules2"
        } else {
            "wan.rules"
        };
        let product = url_id(&r["product"]).unwrap_or_default();
        out.insert(
            text(&r["id"]),
            RouterState {
                router: text(&r["id"]),
                name: text(&r["name"]),
                state: text(&r["state"]),
                product: products.get(&product).cloned().unwrap_or(product),
                firmware: if version.is_empty() {
                    "unknown".into()
                } else {
                    format!("{version} ({family})")
                },
                firmware_id,
                group: url_id(&r["group"]).unwrap_or_default(),
                ..RouterState::default()
            },
        );
    }
    let cms = client.list(
        "configuration_managers",
        &q(json!({"router__in": ids, "fields": ["id", "router", "configuration", "synched", "suspended"]})),
    )?;
    for cm in cms {
        if let Some(s) = url_id(&cm["router"]).and_then(|r| out.get_mut(&r)) {
            s.config_manager = Some(text(&cm["id"]));
            s.configuration = cm["configuration"].clone();
            s.synched = cm["synched"] == true;
            s.suspended = cm["suspended"] == true;
        }
    }
    Ok(out)
}

pub use crate::diff::PathChange;

/// A router's individual configuration as the API returned it: none is an empty one; anything
/// that is not a config diff is an error (planning over it could drop what it holds).
pub fn current_config(v: &Value) -> std::result::Result<Diff, String> {
    if v.is_null() {
        return Ok(Diff::default());
    }
    Diff::from_value(v).map_err(|e| {
        format!(
            "the router's individual configuration as read is not a config diff ({}); nothing is written to it",
            e.reason
        )
    })
}

/// What a bulk write will do to one router.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The individual configuration already carries the change: no write.
    Unchanged,
    /// Write `send` by PATCH (merge) or PUT (replace).
    Write { patch: bool, send: Diff },
    /// Refused before any write, with the reason.
    Refuse(String),
}

/// One router's plan.
#[derive(Debug, Clone)]
pub struct PlanEntry {
    pub router: String,
    pub action: Action,
    /// Paths set (after is Some) or removed (after is None), with their values.
    pub paths: Vec<PathChange>,
}

impl PlanEntry {
    pub fn verb(&self) -> &'static str {
        match &self.action {
            Action::Unchanged => "unchanged",
            Action::Write { patch: true, .. } => "patch",
            Action::Write { patch: false, .. } => "put",
            Action::Refuse(_) => "refused",
        }
    }
}

/// The paths of the secrets a diff sets (as path arrays), never their values.
pub fn secret_paths(d: &Diff) -> Vec<Value> {
    let mut leaves = vec![];
    diff::leaf_paths(&Value::Object(d.updates.clone()), &mut vec![], &mut leaves);
    leaves
        .into_iter()
        .filter(|p| diff::is_secret(p))
        .map(Value::Array)
        .collect()
}

use crate::diff::changed_paths;

/// The plan for one router: what its individual configuration is, what the change makes of it,
/// and the write that gets there (a PUT that would drop a stored secret is refused unless
/// `drop_secrets`).
pub fn plan_one(
    state: Option<&RouterState>,
    change: &Change,
    method: WriteMethod,
    drop_secrets: bool,
) -> PlanEntry {
    let (action, paths) = plan_action(state, change, method, drop_secrets);
    PlanEntry {
        router: change.router.clone(),
        action,
        paths,
    }
}

/// What `plan_one` does to the router, and the paths it changes.
fn plan_action(
    state: Option<&RouterState>,
    change: &Change,
    method: WriteMethod,
    drop_secrets: bool,
) -> (Action, Vec<PathChange>) {
    let Some(state) = state.filter(|s| s.config_manager.is_some()) else {
        return refuse("no configuration manager for this router (is the id right?)".into());
    };
    let current = match current_config(&state.configuration) {
        Ok(c) => c,
        Err(why) => return refuse(why),
    };
    let wanted = diff::strip_masked(&change.diff);
    let before = diff::apply(&json!({}), &current).unwrap_or_else(|_| json!({}));
    match method {
        WriteMethod::Patch => plan_patch(&before, wanted),
        WriteMethod::Put => plan_put(&current, &before, wanted, drop_secrets),
    }
}

/// A refusal, before any path is known.
fn refuse(why: String) -> (Action, Vec<PathChange>) {
    (Action::Refuse(why), vec![])
}

/// A PATCH of `wanted` over the configuration `before` (which cannot remove a path).
fn plan_patch(before: &Value, wanted: Diff) -> (Action, Vec<PathChange>) {
    if !wanted.removals.is_empty() {
        return refuse(
            "a PATCH cannot remove paths; use method \"put\" (or diff::plan_write)".into(),
        );
    }
    let after = match diff::apply(before, &wanted) {
        Ok(a) => a,
        Err(i) => return refuse(format!("the change does not apply: {}", i.without_value())),
    };
    let paths = changed_paths(before, &after);
    // A secret the change sets cannot be compared with the mask: it is always written.
    let sets_secret = !secret_paths(&wanted).is_empty();
    if paths.is_empty() && !sets_secret {
        return (Action::Unchanged, vec![]);
    }
    (
        Action::Write {
            patch: true,
            send: wanted,
        },
        paths,
    )
}

/// A PUT making the configuration `current` (`before` as a value) `wanted`, or the PATCH that
/// does the same (see `diff::plan_write`); refused if it would drop a stored secret unless
/// `drop_secrets`.
fn plan_put(
    current: &Diff,
    before: &Value,
    wanted: Diff,
    drop_secrets: bool,
) -> (Action, Vec<PathChange>) {
    let plan = match diff::plan_write(current, &wanted) {
        Ok(p) => p,
        Err(i) => return refuse(format!("the change does not apply: {}", i.without_value())),
    };
    let after = diff::apply(&json!({}), &wanted).unwrap_or_else(|_| json!({}));
    let paths = changed_paths(before, &after);
    if plan.change.is_empty() {
        return (Action::Unchanged, paths);
    }
    if !plan.dropped_secrets.is_empty() && !drop_secrets {
        let names: Vec<String> = plan
            .dropped_secrets
            .iter()
            .map(|p| diff::path_text(p))
            .collect();
        return (Action::Refuse(format!(
            "refused: the PUT would drop the router's own secret(s) {}; set them in the change, or pass drop_secrets: true",
            names.join(", ")
        )), paths);
    }
    (
        Action::Write {
            patch: plan.patch,
            send: plan.send,
        },
        paths,
    )
}

/// Counts of planned actions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub change: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Counts {
    fn add(&mut self, e: &PlanEntry) {
        match e.action {
            Action::Unchanged => self.unchanged += 1,
            Action::Write { .. } => self.change += 1,
            Action::Refuse(_) => self.refused += 1,
        }
    }

    pub fn to_value(&self) -> Value {
        json!({"change": self.change, "unchanged": self.unchanged, "refused": self.refused})
    }
}

/// Totals of a plan: overall, by product, by firmware and by connection state.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub all: Counts,
    pub by_product: BTreeMap<String, Counts>,
    pub by_firmware: BTreeMap<String, Counts>,
    pub by_state: BTreeMap<String, Counts>,
}

impl Totals {
    pub fn of(entries: &[PlanEntry], states: &HashMap<String, RouterState>) -> Totals {
        let mut t = Totals::default();
        let unknown = RouterState {
            product: "unknown".into(),
            firmware: "unknown".into(),
            state: "unknown".into(),
            ..Default::default()
        };
        for e in entries {
            let s = states.get(&e.router).unwrap_or(&unknown);
            t.all.add(e);
            t.by_product.entry(s.product.clone()).or_default().add(e);
            t.by_firmware.entry(s.firmware.clone()).or_default().add(e);
            t.by_state.entry(s.state.clone()).or_default().add(e);
        }
        t
    }

    pub fn to_value(&self) -> Value {
        let m = |b: &BTreeMap<String, Counts>| -> Value {
            Value::Object(b.iter().map(|(k, c)| (k.clone(), c.to_value())).collect())
        };
        json!({"change": self.all.change, "unchanged": self.all.unchanged, "refused": self.all.refused,
               "by_product": m(&self.by_product), "by_firmware": m(&self.by_firmware), "by_state": m(&self.by_state)})
    }
}

fn value_text(v: &Option<Value>) -> String {
    match v {
        None => "(unset)".into(),
        Some(v) => v.to_string(),
    }
}

/// A plan's lines for the paths of one router: `set path: current -> new` or `remove path`.
pub fn path_lines(paths: &[PathChange]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            let path = diff::path_text(&p.path);
            match &p.after {
                Some(_) => format!(
                    "      set    {path}: {} -> {}",
                    value_text(&p.before),
                    value_text(&p.after)
                ),
                None => format!("      remove {path} (was {})", value_text(&p.before)),
            }
        })
        .collect()
}

/// The plan as text: a line per router (and one per path it changes), then the totals.
pub fn render(
    label: &str,
    entries: &[PlanEntry],
    states: &HashMap<String, RouterState>,
) -> Vec<String> {
    let totals = Totals::of(entries, states);
    let mut out = vec![format!(
        "plan: {label}: {} routers: {} to change, {} unchanged, {} refused",
        entries.len(),
        totals.all.change,
        totals.all.unchanged,
        totals.all.refused
    )];
    for e in entries {
        let s = states.get(&e.router);
        let about = s
            .map(|s| format!(" ({}; {}; {}; {})", s.name, s.product, s.firmware, s.state))
            .unwrap_or_default();
        let what = match &e.action {
            Action::Refuse(why) => format!("refused: {why}"),
            _ => e.verb().to_uppercase(),
        };
        out.push(format!("  router {}{about}: {what}", e.router));
        if matches!(e.action, Action::Unchanged) {
            continue;
        }
        out.extend(path_lines(&e.paths));
    }
    let line = |what: &str, b: &BTreeMap<String, Counts>| {
        let parts: Vec<String> = b
            .iter()
            .map(|(k, c)| {
                format!(
                    "{k}: {} change, {} unchanged, {} refused",
                    c.change, c.unchanged, c.refused
                )
            })
            .collect();
        format!("  by {what}: {}", parts.join("; "))
    };
    out.push(line("product", &totals.by_product));
    out.push(line("firmware", &totals.by_firmware));
    out.push(line("state", &totals.by_state));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(cfg: Value) -> RouterState {
        RouterState {
            router: "1".into(),
            config_manager: Some("10".into()),
            configuration: cfg,
            state: "online".into(),
            ..Default::default()
        }
    }

    fn change(d: Value) -> Change {
        Change {
            router: "1".into(),
            diff: Diff::from_value(&d).unwrap(),
        }
    }

    #[test]
    fn a_patch_shows_before_and_after_and_an_applied_one_is_unchanged() {
        let s = state(json!([{"wan": {"rules2": {"x": {"apn": "old"}}}}, []]));
        let e = plan_one(
            Some(&s),
            &change(json!([{"wan": {"rules2": {"x": {"apn": "new"}}}}, []])),
            WriteMethod::Patch,
            false,
        );
        assert_eq!(e.verb(), "patch");
        assert_eq!(
            e.paths,
            vec![PathChange {
                path: vec![json!("wan"), json!("rules2"), json!("x"), json!("apn")],
                before: Some(json!("old")),
                after: Some(json!("new"))
            }]
        );
        let e = plan_one(
            Some(&s),
            &change(json!([{"wan": {"rules2": {"x": {"apn": "old"}}}}, []])),
            WriteMethod::Patch,
            false,
        );
        assert_eq!(e.action, Action::Unchanged);
    }

    #[test]
    fn secrets_never_show_and_are_always_written() {
        let s = state(json!([{"wlan": {"ssid": "a", "wpapsk": "*"}}, []]));
        let e = plan_one(
            Some(&s),
            &change(json!([{"wlan": {"ssid": "a", "wpapsk": "new-secret-1"}}, []])),
            WriteMethod::Patch,
            false,
        );
        assert_eq!(e.verb(), "patch", "a set secret is always sent");
        let text = render("t", &[e], &HashMap::new()).join("\n");
        assert!(!text.contains("new-secret-1"), "{text}");
    }

    #[test]
    fn a_put_that_drops_a_secret_is_refused_naming_it() {
        let s = state(json!([{"wlan": {"wpapsk": "*"}, "extra": 1}, []]));
        let e = plan_one(
            Some(&s),
            &change(json!([{"other": 2}, []])),
            WriteMethod::Put,
            false,
        );
        match &e.action {
            Action::Refuse(why) => assert!(why.contains("wlan.wpapsk"), "{why}"),
            a => panic!("{a:?}"),
        }
        let e = plan_one(
            Some(&s),
            &change(json!([{"other": 2}, []])),
            WriteMethod::Put,
            true,
        );
        assert_eq!(e.verb(), "put");
        let e = plan_one(
            Some(&s),
            &change(json!([{"other": 2}, [["extra"]]])),
            WriteMethod::Patch,
            false,
        );
        assert_eq!(e.verb(), "refused", "a PATCH cannot remove");
        assert_eq!(
            plan_one(
                None,
                &change(json!([{"a": 1}, []])),
                WriteMethod::Patch,
                false
            )
            .verb(),
            "refused"
        );
    }
}
