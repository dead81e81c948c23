//! The NCM API v2 endpoint catalog: every endpoint of the spec as data (methods, fields, filter
//! operators, expandable and sortable fields, closed value sets, read-only fields, the fields a
//! POST or PUT requires, what an id field refers to, page sizes, paging style). It drives the
//! client's validation, the Rhai bindings, the simulator's routing, the docs and completion.
//! This file holds the types and the code that reads them; the endpoints themselves are
//! `data.rs`, the closed value sets `values.rs`.

pub use crate::http::Method;

/// Data type of a field, as the spec's tables give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Str,
    Url,
    Bool,
    /// A datetime: filters on it must carry the time portion.
    Timestamp,
    TimeUuid,
    Json,
    Float,
}

impl Ty {
    pub fn as_str(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Str => "string",
            Ty::Url => "url",
            Ty::Bool => "bool",
            Ty::Timestamp => "timestamp",
            Ty::TimeUuid => "timeuuid",
            Ty::Json => "json",
            Ty::Float => "float",
        }
    }
}

/// A filter operator. `Eq` is the bare field name; the others are `field__op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    IsNull,
    Exact,
}

impl Op {
    /// The suffix as written in a query key (`""` for equality).
    pub fn suffix(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::In => "__in",
            Op::Gt => "__gt",
            Op::Gte => "__gte",
            Op::Lt => "__lt",
            Op::Lte => "__lte",
            Op::IsNull => "__isnull",
            Op::Exact => "__exact",
        }
    }
    pub fn from_suffix(s: &str) -> Option<Op> {
        Some(match s {
            "in" => Op::In,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "isnull" => Op::IsNull,
            "exact" => Op::Exact,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Op::Eq => "=",
            other => other.suffix(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub ops: &'static [Op],
    pub expandable: bool,
    /// The values the spec lists for it (`state`: initialized, online, offline); empty when it
    /// lists none. A filter on it takes these only.
    pub values: &'static [&'static str],
    /// The spec's Sort column marks it: `order_by` accepts it.
    pub sortable: bool,
    /// The spec says it is read only: a write body cannot carry it.
    pub read_only: bool,
    /// The endpoint whose records its id or URL points at (`group` -> `groups`).
    pub refers: Option<&'static str>,
}

impl Field {
    /// The closed set of values the spec lists.
    const fn one_of(mut self, values: &'static [&'static str]) -> Field {
        self.values = values;
        self
    }
    /// Marked in the spec's Sort column.
    const fn sorts(mut self) -> Field {
        self.sortable = true;
        self
    }
    /// Read only, as the spec says.
    const fn ro(mut self) -> Field {
        self.read_only = true;
        self
    }
    /// An id or URL of a record of `endpoint`.
    const fn to(mut self, endpoint: &'static str) -> Field {
        self.refers = Some(endpoint);
        self
    }

    pub fn filterable(&self) -> bool {
        !self.ops.is_empty()
    }
    /// Every query key this field accepts, e.g. `state`, `state__in`.
    pub fn filter_keys(&self) -> impl Iterator<Item = String> + '_ {
        self.ops
            .iter()
            .map(move |op| format!("{}{}", self.name, op.suffix()))
    }
}

/// A check of a request body against the endpoint's documented rules: the reason it fails.
pub type BodyCheck = fn(&serde_json::Value) -> Result<(), String>;

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `limit`/`offset`, `meta.next` carries the next offset.
    Offset,
    /// `created_at_timeuuid` cursors in `meta.next`, oldest first (`__gt`).
    TimeUuidAsc,
    /// `created_at_timeuuid` cursors in `meta.next`, newest first (`__lt`).
    TimeUuidDesc,
}

impl Paging {
    pub fn as_str(self) -> &'static str {
        match self {
            Paging::Offset => "offset",
            Paging::TimeUuidAsc => "timeuuid",
            Paging::TimeUuidDesc => "timeuuid (newest first)",
        }
    }
    pub fn is_timeuuid(self) -> bool {
        !matches!(self, Paging::Offset)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The URL name, e.g. `routers`.
    pub name: &'static str,
    pub summary: &'static str,
    pub methods: &'static [Method],
    pub fields: &'static [Field],
    pub paging: Paging,
    /// Records per page when `limit` is not given.
    pub default_page: usize,
    /// The largest page the API serves.
    pub max_page: usize,
    /// The cap on values in one `__in` filter (`None`: no cap, as on `alerts`).
    pub in_cap: Option<usize>,
    /// True when `<endpoint>/<id>/` exists (records have an `id`).
    pub detail: bool,
    /// Filters the API requires on every GET of the collection.
    pub required: &'static [&'static str],
    /// Fields a POST body must carry (the spec's `*` attributes).
    pub create_requires: &'static [&'static str],
    /// Fields a PUT body must carry (the spec's `*` and `!` attributes).
    pub update_requires: &'static [&'static str],
    /// The documented rules a POST body must meet beyond its required fields (speed_test's
    /// config object, reboot_activity's router or group), checked by the client before sending
    /// and by the simulator alike.
    pub create_check: Option<BodyCheck>,
    /// The fields a record is known by besides its id, in the order a name is tried against
    /// them (a router's MAC, name, serial number): where a filter takes an id of this endpoint,
    /// it takes these too. Empty: ids only.
    pub named_by: &'static [&'static str],
    /// Records carry device configurations, whose passwords the API shows as `"*"`.
    pub holds_configs: bool,
    /// A sample write body (JSON object) for the generated docs' create or update example, where
    /// the required fields alone (create) or a new `name` (update) would not show a real write.
    pub example_body: Option<&'static str>,
}

impl Endpoint {
    /// The fields `order_by` accepts: those the spec's Sort column marks (see [`Field::sortable`]).
    pub fn sortable(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.sortable)
            .map(|f| f.name)
            .collect()
    }

    /// The fields a write body may carry.
    pub fn writable(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| !f.read_only && !f.name.contains("__"))
            .map(|f| f.name)
            .collect()
    }

    /// Does the endpoint answer 403 for a record it has not got (or does not show)? The
    /// configuration managers: "403 Forbidden # Invalid URL or resource not visible", and groups,
    /// which "work the same" (GET, PUT, PATCH): the endpoints that hold configs. reboot_activity:
    /// "Sending an invalid ID for the target router or group results in an HTTP error, typically
    /// a "403 Forbidden" error."
    pub fn forbids_missing(&self) -> bool {
        self.holds_configs || self.name == "reboot_activity"
    }

    pub fn supports(&self, m: Method) -> bool {
        self.methods.contains(&m)
    }
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn methods_str(&self) -> String {
        self.methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// All accepted filter keys, for error messages and completion.
    pub fn filter_keys(&self) -> Vec<String> {
        self.fields.iter().flat_map(|f| f.filter_keys()).collect()
    }
    pub fn expandable(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.expandable)
            .map(|f| f.name)
            .collect()
    }
    /// The script-facing verbs this endpoint has, derived from its methods.
    pub fn verbs(&self) -> Vec<Verb> {
        let mut v = vec![];
        if self.supports(Method::Get) {
            v.push(Verb::List);
            v.push(Verb::Pages);
            if self.detail {
                v.push(Verb::Get);
            }
        }
        if self.supports(Method::Post) {
            v.push(Verb::Create);
        }
        if self.supports(Method::Put) {
            v.push(Verb::Update);
        }
        if self.supports(Method::Patch) {
            v.push(Verb::Patch);
        }
        if self.supports(Method::Delete) {
            v.push(Verb::Delete);
        }
        v
    }
}

/// Script-facing verbs (`ncm::<endpoint>::<verb>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    List,
    Pages,
    Get,
    Create,
    Update,
    Patch,
    Delete,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::List => "list",
            Verb::Pages => "pages",
            Verb::Get => "get",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
    pub fn method(self) -> Method {
        match self {
            Verb::List | Verb::Pages | Verb::Get => Method::Get,
            Verb::Create => Method::Post,
            Verb::Update => Method::Put,
            Verb::Patch => Method::Patch,
            Verb::Delete => Method::Delete,
        }
    }
}

mod data;
mod values;

pub use data::ENDPOINTS;
pub use values::*;

/// A reboot_activity POST body: "POST a router's URI in the request payload to reboot a router,
/// or POST a group's URI in the request payload to reboot a group of routers. Specifying both a
/// router and a group in the same call is not supported".
pub fn check_reboot(body: &serde_json::Value) -> Result<(), String> {
    match (body.get("router"), body.get("group")) {
        (Some(_), Some(_)) => Err(
            "reboot_activity: give a router or a group, not both (the API does not support both in one call)"
                .into(),
        ),
        (None, None) => Err(
            "reboot_activity: the body needs a router or a group URL, e.g. #{router: \".../api/v2/routers/42/\"}"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The candidate closest to `word` (case aside, at most 3 edits and fewer than its length), for
/// "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let most = w.chars().count().saturating_sub(1).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= most)
        .min()
        .map(|(_, c)| c)
}

/// `; did you mean "x"?` for the candidate closest to `word`, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
}

/// What is wrong with a write body by the spec's rules (see [`Endpoint::check_write`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteProblem {
    /// A field the endpoint does not have.
    Unknown(String),
    /// A field the spec says is read only, or an id that is not the URL's.
    NotWritable(String),
    /// Fields the method requires are missing.
    Missing(String),
    /// A documented rule of the body is broken (speed_test's config, reboot_activity's target).
    Invalid(String),
}

impl WriteProblem {
    pub fn message(&self) -> &str {
        match self {
            WriteProblem::Unknown(m)
            | WriteProblem::NotWritable(m)
            | WriteProblem::Missing(m)
            | WriteProblem::Invalid(m) => m,
        }
    }
}

impl Endpoint {
    /// Checks a POST (`id` `None`), PUT or PATCH body against what the spec documents, the same
    /// for the client (before sending) and the simulator: every key a field of the endpoint;
    /// no read-only field, except one the method requires (an account PUT's `id!`); an `id` or
    /// resource URL in the body naming the URL's record; the fields the method requires (`*`,
    /// `!`), except that a PUT of the configuration alone is a config write (groups: "GET, PUT
    /// and PATCH work the same for groups as for configuration_managers", which take the
    /// configuration alone); and the documented rules of a POST body.
    pub fn check_write(
        &self,
        method: Method,
        id: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<(), WriteProblem> {
        let Some(obj) = body.as_object() else {
            return Err(WriteProblem::Invalid(format!(
                "{}: the request body must be an object map, not {body}",
                self.name
            )));
        };
        let required: &[&str] = match method {
            Method::Post => self.create_requires,
            Method::Put if self.holds_configs && obj.keys().all(|k| k == "configuration") => &[],
            Method::Put => self.update_requires,
            _ => &[],
        };
        for (key, value) in obj {
            self.check_body_field(key, value, id, required)?;
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|f| !obj.contains_key(*f))
            .collect();
        if !missing.is_empty() {
            return Err(WriteProblem::Missing(format!(
                "{}: a {method} needs {} (the API requires {} in every {method} body{})",
                self.name,
                missing.join(", "),
                required.join(", "),
                if method == Method::Put && self.supports(Method::Patch) {
                    "; patch changes some fields alone"
                } else {
                    ""
                }
            )));
        }
        if let (Method::Post, Some(check)) = (method, self.create_check) {
            check(body).map_err(WriteProblem::Invalid)?;
        }
        Ok(())
    }

    /// One key of a write body (see [`Endpoint::check_write`]).
    fn check_body_field(
        &self,
        key: &str,
        value: &serde_json::Value,
        id: Option<&str>,
        required: &[&str],
    ) -> Result<(), WriteProblem> {
        let writable = self.writable();
        let Some(field) = self.field(key).filter(|f| !f.name.contains("__")) else {
            return Err(WriteProblem::Unknown(format!(
                "{}: unknown field {key:?} in the body{}; {} has: {}",
                self.name,
                did_you_mean(key, self.fields.iter().map(|f| f.name)),
                self.name,
                self.fields
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if field.read_only && !required.contains(&key) {
            return Err(WriteProblem::NotWritable(format!(
                "{key} is not writable on {}: the API documents it as read only (writable: {})",
                self.name,
                if writable.is_empty() {
                    "none".to_string()
                } else {
                    writable.join(", ")
                }
            )));
        }
        // An id or resource URL in the body names the record of the URL, never another.
        let names = match key {
            "id" => Some(crate::ncm::text(value)),
            "resource_url" | "resource_uri" => {
                crate::ncm::checked_id(Some(self.name), &crate::ncm::text(value)).ok()
            }
            _ => return Ok(()),
        };
        match (id, names) {
            (Some(id), Some(n)) if n == id => Ok(()),
            (None, _) if !field.read_only => Ok(()),
            _ => Err(WriteProblem::NotWritable(format!(
                "{key} {value} in the body is not the record of the URL ({}/{}/): an id cannot be changed",
                self.name,
                id.unwrap_or("new")
            ))),
        }
    }
}

/// Checks a speed_test POST body against the documented config object; the reason otherwise.
pub fn check_speed_test(body: &serde_json::Value) -> Result<(), String> {
    let c = body
        .get("config")
        .filter(|c| c.is_object())
        .ok_or("speed_test: the body needs a config object")?;
    let missing: Vec<&str> = SPEED_TEST_CONFIG
        .iter()
        .copied()
        .filter(|k| c.get(*k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "speed_test: config.{} required (every config attribute is: {})",
            missing.join(", config."),
            SPEED_TEST_CONFIG.join(", ")
        ));
    }
    let ids = c["net_device_ids"].as_array();
    let n = ids.map_or(0, Vec::len);
    if n == 0
        || n > SPEED_TEST_MAX_DEVICES
        || !ids
            .into_iter()
            .flatten()
            .all(|i| i.is_i64() || i.as_str().is_some_and(|s| s.parse::<i64>().is_ok()))
    {
        return Err(format!(
            "speed_test: config.net_device_ids must list 1 to {SPEED_TEST_MAX_DEVICES} net device ids (it has {n})"
        ));
    }
    if !c["max_test_concurrency"]
        .as_i64()
        .is_some_and(|x| SPEED_TEST_CONCURRENCY.contains(&x))
    {
        return Err(format!(
            "speed_test: config.max_test_concurrency must be {} to {}",
            SPEED_TEST_CONCURRENCY.start(),
            SPEED_TEST_CONCURRENCY.end()
        ));
    }
    if !SPEED_TEST_TYPES.contains(&c["test_type"].as_str().unwrap_or("")) {
        return Err(format!(
            "speed_test: config.test_type must be one of {}",
            SPEED_TEST_TYPES.join(", ")
        ));
    }
    Ok(())
}

/// Looks an endpoint up by its URL name.
///
/// ```
/// use fleetscript::ncm::catalog::{endpoint, Method};
/// let routers = endpoint("routers").unwrap();
/// assert!(routers.supports(Method::Put) && !routers.supports(Method::Post));
/// assert!(routers.filter_keys().contains(&"state__in".to_string()));
/// assert_eq!(endpoint("historical_locations").unwrap().default_page, 5000);
/// ```
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

impl Endpoint {
    /// The endpoint as JSON (`fleetscript endpoints --json`): methods, paging, page sizes and
    /// each field with its type, filter keys and whether it expands.
    pub fn to_json(&self) -> serde_json::Value {
        let fields: Vec<serde_json::Value> = self
            .fields
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "type": f.ty.as_str(),
                    "filters": f.filter_keys().collect::<Vec<_>>(),
                    "expandable": f.expandable,
                })
            })
            .collect();
        let methods: Vec<&str> = self.methods.iter().map(|m| m.as_str()).collect();
        serde_json::json!({
            "name": self.name,
            "summary": self.summary,
            "methods": methods,
            "paging": self.supports(Method::Get).then(|| self.paging.as_str()),
            "default_page": self.default_page,
            "max_page": self.max_page,
            "required_filters": self.required,
            "fields": fields,
        })
    }
}

/// The catalog rendered as a plain-text table (`fleetscript endpoints`).
pub fn table() -> String {
    let mut rows = vec![[
        "ENDPOINT".to_string(),
        "METHODS".to_string(),
        "PAGING".to_string(),
        "PAGE".to_string(),
        "FILTERS".to_string(),
        "EXPAND".to_string(),
    ]];
    for e in ENDPOINTS {
        let page = if e.supports(Method::Get) {
            format!("{}/{}", e.default_page, e.max_page)
        } else {
            "-".into()
        };
        let filters = e
            .fields
            .iter()
            .filter(|f| f.filterable())
            .map(|f| {
                let ops: Vec<&str> = f.ops.iter().map(|o| o.label()).collect();
                format!("{}({})", f.name, ops.join(" "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let expand = e.expandable().join(", ");
        rows.push([
            e.name.to_string(),
            e.methods_str(),
            if e.supports(Method::Get) {
                e.paging.as_str().into()
            } else {
                "-".into()
            },
            page,
            if filters.is_empty() {
                "-".into()
            } else {
                filters
            },
            if expand.is_empty() {
                "-".into()
            } else {
                expand
            },
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$}  ", r[i], w = *w));
        }
        out.push_str(&r[5]);
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{} endpoints. PAGE is default/maximum records per page. Filters: '=' is the bare field name, other operators are field__op.\n",
        ENDPOINTS.len()
    ));
    out
}

#[cfg(test)]
mod tests;
