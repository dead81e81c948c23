//! IgniteNet Cloud public API (`/pub/v1/`): the route table (the one list the client, the Rhai
//! bindings, the simulator's routing and the docs share), the client with the spec's error
//! policy (plain-text errors kept verbatim, a client-side limit under 200 requests per 10 s,
//! 429/502/503/500 retries with configurable intervals), and config-changes reads and writes
//! with optimistic concurrency (`timestamp` / `serverSideChanged`).

pub mod config_map;
pub mod script_model;

use crate::error::{Error, Result};
use crate::http::{Method, RateLimit, Request, RetryPolicy, StatusRule, Transport};
use config_map::{ConfigMap, Origin};
use serde_json::{json, Value};
use std::time::Duration;

pub const DEFAULT_IGNITENET_BASE_URL: &str = "https://cloud.ignitenet.com/pub/v1/";

/// One documented route, relative to the base URL (no leading slash); `{id}` is a site or
/// device id.
#[derive(Debug)]
pub struct Route {
    pub name: &'static str,
    pub path: &'static str,
    pub methods: &'static [Method],
    pub summary: &'static str,
}

pub const ROUTES: &[Route] = &[
    Route {
        name: "sites",
        path: "sites",
        methods: &[Method::Get],
        summary: "Every site of the cloud the API key belongs to.",
    },
    Route {
        name: "site_devices",
        path: "site/{id}/devices",
        methods: &[Method::Get],
        summary: "The devices of one site: id, name, sn, mac, status_id, state_id, health_id, last_contact...",
    },
    Route {
        name: "site_config",
        path: "site/{id}/config-changes",
        methods: &[Method::Get, Method::Post],
        summary: "A site's config: GET the timestamp, site map, defaults and initial config; POST {timestamp, changes}.",
    },
    Route {
        name: "device_config",
        path: "device/{id}/config-changes",
        methods: &[Method::Get, Method::Post],
        summary: "A device's config: GET the timestamp, site and device maps, defaults and flags; POST {timestamp, changes}.",
    },
    // The API text: "fetch the device's config object from the API via the
    // /devices/{deviceId}/config call and figure out what changed". It does not show the
    // answer; taken to be the device's config object (key -> {value, origin}), the `device` map
    // of config-changes.
    Route {
        name: "device_config_object",
        path: "devices/{id}/config",
        methods: &[Method::Get],
        summary: "A device's config object: key -> {value, origin}, as a change made in the Cloud UI leaves it.",
    },
];

impl Route {
    /// The path with its id filled in; an id that is not letters, digits, `-` or `_` (a `..`,
    /// a slash, a backslash, a percent-escape) is refused, so it cannot leave its route.
    pub fn path_for(&self, id: Option<&str>) -> Result<String> {
        match id {
            Some(id) if crate::http::is_safe_id(id.trim()) => {
                Ok(self.path.replace("{id}", id.trim()))
            }
            Some(id) => Err(Error::invalid(format!(
                "{}: an id is letters, digits, '-' or '_'; {id:?} is not",
                self.name
            ))),
            None => Ok(self.path.to_string()),
        }
    }
}

/// The route table as text (`fleetscript endpoints`).
pub fn table() -> String {
    let mut out = String::from("IgniteNet Cloud (/pub/v1/):\n");
    let w = ROUTES.iter().map(|r| r.path.len()).max().unwrap_or(0);
    for r in ROUTES {
        let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
        out.push_str(&format!(
            "  {:<w$}  {:<9}  {}\n",
            r.path,
            methods.join(","),
            r.summary
        ));
    }
    out
}

/// The routes as JSON (`fleetscript endpoints --json`).
pub fn routes_json() -> serde_json::Value {
    ROUTES
        .iter()
        .map(|r| {
            let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
            serde_json::json!({"name": r.name, "path": r.path, "methods": methods, "summary": r.summary})
        })
        .collect()
}

pub fn route(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.name == name)
}

/// Which route a relative path is, with its id (`site/7/devices` -> site_devices, 7).
pub fn match_path(path: &str) -> Option<(&'static Route, Option<String>)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    ROUTES.iter().find_map(|r| {
        let pat: Vec<&str> = r.path.split('/').collect();
        if pat.len() != segs.len() {
            return None;
        }
        let mut id = None;
        for (p, s) in pat.iter().zip(&segs) {
            if *p == "{id}" {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return None;
                }
                id = Some(s.to_string());
            } else if p != s {
                return None;
            }
        }
        Some((r, id))
    })
}

/// The IgniteNet side of the configuration: where, with which key, and the error policy.
#[derive(Clone, PartialEq)]
pub struct IgniteNetOptions {
    pub base_url: String,
    pub api_key: String,
    /// Client-side request limit (the API allows 200 per 10 s; the default keeps a margin).
    pub rate_limit: RateLimit,
    /// Wait before retrying a 502/503/500 (the spec recommends at least 60 s).
    pub retry_interval: Duration,
    /// Retries of a 502 or 503 (spec: 10). A 500 is retried once.
    pub unavailable_retries: u32,
    /// Wait before retrying a 429 (the rest of the rate window at most).
    pub too_many_wait: Duration,
    /// How often a config save is re-read and re-applied after `serverSideChanged`.
    pub stale_retries: u32,
}

impl std::fmt::Debug for IgniteNetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IgniteNetOptions")
            .field("base_url", &self.base_url)
            .field("api_key", &"****")
            .field("rate_limit", &self.rate_limit)
            .field("retry_interval", &self.retry_interval)
            .finish()
    }
}

impl Default for IgniteNetOptions {
    fn default() -> Self {
        IgniteNetOptions {
            base_url: DEFAULT_IGNITENET_BASE_URL.into(),
            api_key: String::new(),
            rate_limit: RateLimit {
                requests: 190,
                per: Duration::from_secs(10),
            },
            retry_interval: Duration::from_secs(60),
            unavailable_retries: 10,
            // "We recommend a minimum retry interval of 60s with a maximum of 10 retries" (429,
            // 502 and 503 alike); a longer Retry-After wins.
            too_many_wait: Duration::from_secs(60),
            stale_retries: 5,
        }
    }
}

impl IgniteNetOptions {
    /// The spec's retry policy: 429 waits and retries (POST too: it was not processed),
    /// 502/503 retried up to `unavailable_retries` times, 500 once, each after
    /// `retry_interval`; timeouts and connection errors as the shared transport does (GET/PUT).
    pub fn retry_policy(&self, base: &RetryPolicy) -> RetryPolicy {
        let rule = |status, max_retries, delay, even_if_not_idempotent| StatusRule {
            status,
            max_retries,
            delay,
            even_if_not_idempotent,
        };
        RetryPolicy {
            statuses: vec![],
            rules: vec![
                rule(429, 10, self.too_many_wait, true),
                rule(502, self.unavailable_retries, self.retry_interval, false),
                rule(503, self.unavailable_retries, self.retry_interval, false),
                rule(500, 1, self.retry_interval, false),
            ],
            ..base.clone()
        }
    }
}

/// A config-changes target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Site(String),
    Device(String),
}

impl Target {
    pub fn route(&self) -> &'static Route {
        route(match self {
            Target::Site(_) => "site_config",
            Target::Device(_) => "device_config",
        })
        .expect("config routes are in the table")
    }
    pub fn id(&self) -> &str {
        match self {
            Target::Site(i) | Target::Device(i) => i,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Target::Site(i) => format!("site {i}"),
            Target::Device(i) => format!("device {i}"),
        }
    }
}

pub struct IgniteNetClient {
    transport: Transport,
    base: url::Url,
    headers: Vec<(&'static str, String)>,
    has_key: bool,
    pub options: IgniteNetOptions,
    /// The sites, and every site's devices, once read to find one by name (kept for the run).
    sites_seen: std::sync::Mutex<Option<Vec<Value>>>,
    devices_seen: std::sync::Mutex<Option<Vec<Value>>>,
}

impl std::fmt::Debug for IgniteNetClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IgniteNetClient")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl IgniteNetClient {
    /// `transport` is a transport of its own (its stats and rate limit are IgniteNet's); its
    /// retry policy is replaced by the spec's.
    pub fn new(options: IgniteNetOptions, mut transport: Transport) -> Result<Self> {
        let mut b = options.base_url.trim().to_string();
        if !b.ends_with('/') {
            b.push('/');
        }
        let base = url::Url::parse(&b).map_err(|e| {
            Error::Config(format!(
                "IGNITENET_BASE_URL {:?} is not a URL ({e}); expected e.g. {DEFAULT_IGNITENET_BASE_URL}",
                options.base_url
            ))
        })?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(Error::Config(format!(
                "IGNITENET_BASE_URL {:?} must be http or https",
                options.base_url
            )));
        }
        transport.options.retry = options.retry_policy(&transport.options.retry);
        let transport = transport.with_rate_limit(options.rate_limit);
        Ok(IgniteNetClient {
            transport,
            base,
            headers: vec![
                ("x-api-key", options.api_key.clone()),
                ("content-type", "application/json".into()),
            ],
            has_key: !options.api_key.trim().is_empty(),
            options,
            sites_seen: Default::default(),
            devices_seen: Default::default(),
        })
    }

    /// The id of the site `key` names: an id (digits) as it is, else the site of that name,
    /// found in one read of the sites (kept for the run).
    pub fn site_id(&self, key: &str) -> Result<String> {
        let key = key.trim();
        if is_id(key) {
            return Ok(key.to_string());
        }
        let sites = self.seen(&self.sites_seen, || self.sites())?;
        named_one("site", key, &sites)
    }

    /// The id of the device `key` names: an id (digits) as it is, else the device of that name
    /// (or hostname, serial number, MAC address), found in one read of the sites and their
    /// devices (kept for the run).
    pub fn device_id(&self, key: &str) -> Result<String> {
        let key = key.trim();
        if is_id(key) {
            return Ok(key.to_string());
        }
        let devices = self.seen(&self.devices_seen, || {
            let sites = self.seen(&self.sites_seen, || self.sites())?;
            let mut all = vec![];
            for s in &sites {
                all.extend(self.site_devices(&crate::ncm::text(&s["id"]))?);
            }
            Ok(all)
        })?;
        named_one("device", key, &devices)
    }

    /// What `slot` holds, read with `read` the first time.
    fn seen(
        &self,
        slot: &std::sync::Mutex<Option<Vec<Value>>>,
        read: impl FnOnce() -> Result<Vec<Value>>,
    ) -> Result<Vec<Value>> {
        if let Some(v) = slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(v.clone());
        }
        let v = read()?;
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v.clone());
        Ok(v)
    }

    /// Is an API key configured (else every request fails before it is sent)?
    pub fn has_key(&self) -> bool {
        self.has_key
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub fn base_url(&self) -> &url::Url {
        &self.base
    }

    /// Any request, by method and path relative to the base URL (`sites`, `/site/7/devices`).
    pub fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        if !self.has_key {
            return Err(Error::Config(
                "IgniteNet API key missing: set IGNITENET_API_KEY (or use --sandbox to try against the built-in simulator)".into(),
            ));
        }
        // Confined to the API root: segments by the id rule (no `..`, no other host).
        let rel = crate::http::api_path(&self.base, path)
            .map_err(|e| Error::invalid(format!("IgniteNet {e}")))?;
        let url = self.base.join(&rel).map_err(|e| {
            Error::invalid(format!(
                "IgniteNet path {path:?} is not a valid URL path: {e}"
            ))
        })?;
        let r = self.transport.send(&Request {
            method,
            url: &url,
            headers: &self.headers,
            body,
            // GET and PUT are safe to repeat; POST only after a 429 (not processed).
            retryable: matches!(method, Method::Get | Method::Put),
            needed: None,
        })?;
        Ok(if r.dry_run {
            json!({"dry_run": true})
        } else {
            r.body
        })
    }

    /// GET a list route, which answers a JSON array.
    fn list(&self, route: &str, id: Option<&str>) -> Result<Vec<Value>> {
        let path = route_or_panic(route).path_for(id)?;
        array_of(self.request(Method::Get, &path, None)?, &path)
    }

    /// Every site.
    pub fn sites(&self) -> Result<Vec<Value>> {
        self.list("sites", None)
    }

    /// The devices of a site.
    pub fn site_devices(&self, site_id: &str) -> Result<Vec<Value>> {
        self.list("site_devices", Some(site_id))
    }

    /// A device's config object (GET devices/<id>/config): `key -> {value, origin}`.
    pub fn device_config_object(&self, device_id: &str) -> Result<Value> {
        let path = route_or_panic("device_config_object").path_for(Some(device_id))?;
        match self.request(Method::Get, &path, None)? {
            v @ Value::Object(_) => Ok(v),
            other => Err(Error::Protocol {
                method: "GET".into(),
                url: path,
                message: format!(
                    "expected a config object, got {} ({} bytes)",
                    json_kind(&other),
                    other.to_string().len()
                ),
            }),
        }
    }

    /// The config-changes object of a site or device (timestamp, site, device, defaults, flags).
    pub fn config(&self, target: &Target) -> Result<Value> {
        let v = self.request(
            Method::Get,
            &target.route().path_for(Some(target.id()))?,
            None,
        )?;
        if !v.is_object() || v.get("timestamp").is_none() {
            return Err(Error::Protocol {
                method: "GET".into(),
                url: target.route().path_for(Some(target.id()))?,
                message: "a config-changes answer without a timestamp".into(),
            });
        }
        Ok(v)
    }

    /// Saves changes: reads the current config (for its timestamp), lets `build` make the
    /// changes from it, POSTs them; when the server says `serverSideChanged` (someone saved in
    /// between) it reads again and re-applies `build`, at most `stale_retries` times.
    /// `configSuspended` fails at once. Returns the last answer plus `changes` (what was sent)
    /// and `attempts`.
    pub fn set_config(
        &self,
        target: &Target,
        build: &dyn Fn(&Value) -> Result<ConfigMap>,
    ) -> Result<Value> {
        let path = target.route().path_for(Some(target.id()))?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let current = self.config(target)?;
            suspended_check(target, &current)?;
            let changes = build(&current)?;
            if let Target::Site(_) = target {
                if let Some((k, e)) = changes.iter().find(|(_, e)| e.origin != Origin::Site) {
                    return Err(Error::invalid(format!(
                        "{k}: site config keys always have origin \"site\", not {:?}",
                        e.origin.as_str()
                    )));
                }
            }
            let body = json!({"timestamp": current["timestamp"], "changes": config_map::to_value(&changes)});
            let mut answer = self.request(Method::Post, &path, Some(&body))?;
            if answer.get("dry_run").is_some() {
                answer["changes"] = config_map::to_value(&changes);
                return Ok(answer);
            }
            suspended_check(target, &answer)?;
            if answer.get("serverSideChanged").and_then(Value::as_bool) == Some(true) {
                if attempts > self.options.stale_retries {
                    return Err(Error::Refused(format!(
                        "{}: the config changed on the server during each of {attempts} attempts to save (serverSideChanged); nothing was saved. Try again when nobody else is editing it.",
                        target.describe()
                    )));
                }
                continue;
            }
            if let Value::Object(m) = &mut answer {
                m.insert("changes".into(), config_map::to_value(&changes));
                m.insert("attempts".into(), json!(attempts));
            }
            return Ok(answer);
        }
    }
}

/// Which entity: by id, or by a property value (an SSID's network name, a user's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityRef {
    Id(u64),
    Name(String),
}

/// Flat `key -> value` of a config-changes answer: the effective config of a device answer
/// (site merged with device), the site config of a site answer.
pub fn answer_values(answer: &Value) -> Result<std::collections::BTreeMap<String, String>> {
    let site = config_map::parse_map(answer.get("site").unwrap_or(&Value::Null))?;
    match answer.get("device") {
        Some(d) => Ok(config_map::effective(&site, &config_map::parse_map(d)?)),
        None => Ok(site.into_iter().map(|(k, e)| (k, e.value)).collect()),
    }
}

/// Finds one entity of `root` by id or by its `prop` value; the error lists what there is.
pub fn find_entity(
    values: &std::collections::BTreeMap<String, String>,
    root: &str,
    prop: &str,
    which: &EntityRef,
) -> Result<u64> {
    let ids = config_map::entity_ids(values.keys(), root);
    let label = |id: &u64| {
        let name = values
            .get(&format!("{root}/{id}/{prop}"))
            .cloned()
            .unwrap_or_default();
        format!("{id} ({name:?})")
    };
    let all = || ids.iter().map(label).collect::<Vec<_>>().join(", ");
    match which {
        EntityRef::Id(id) if ids.contains(id) => Ok(*id),
        EntityRef::Id(id) => Err(Error::invalid(format!(
            "there is no {root}/{id}/ entity; there are: {}",
            all()
        ))),
        EntityRef::Name(n) => {
            let hits: Vec<u64> = ids
                .iter()
                .copied()
                .filter(|id| values.get(&format!("{root}/{id}/{prop}")) == Some(n))
                .collect();
            match hits.as_slice() {
                [one] => Ok(*one),
                [] => Err(Error::invalid(format!(
                    "no {root} entity has {prop} {n:?}; there are: {}",
                    all()
                ))),
                many => Err(Error::invalid(format!(
                    "{} {root} entities have {prop} {n:?} (ids {}); give the id instead",
                    many.len(),
                    many.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

impl IgniteNetClient {
    /// Renames an SSID (found by id or by its current name). On a site it changes the site's
    /// entity; on a device it overrides the whole inherited entity (origin `site-device`, every
    /// key copied, as the spec requires) or changes the device's own entity. Returns the save's
    /// answer plus `entity`, `before` and `after`.
    pub fn set_ssid(&self, target: &Target, which: &EntityRef, new_ssid: &str) -> Result<Value> {
        if new_ssid.is_empty() || new_ssid.len() > 32 {
            return Err(Error::invalid(format!(
                "SSID {new_ssid:?} is {} bytes; an SSID is 1 to 32 bytes",
                new_ssid.len()
            )));
        }
        let seen = std::sync::Mutex::new((0u64, String::new()));
        let build = |answer: &Value| -> Result<ConfigMap> {
            let values = answer_values(answer)?;
            let id = find_entity(&values, "wireless", "ssid", which)?;
            let before = values
                .get(&format!("wireless/{id}/ssid"))
                .cloned()
                .unwrap_or_default();
            *seen.lock().unwrap() = (id, before);
            let props =
                std::collections::BTreeMap::from([("ssid".to_string(), new_ssid.to_string())]);
            let key = format!("wireless/{id}/ssid");
            match target {
                Target::Site(_) => Ok(ConfigMap::from([(
                    key,
                    config_map::Entry::new(new_ssid, Origin::Site),
                )])),
                Target::Device(_) => {
                    let device =
                        config_map::parse_map(answer.get("device").unwrap_or(&Value::Null))?;
                    if device.get(&key).is_some_and(|e| e.origin == Origin::Device) {
                        return Ok(ConfigMap::from([(
                            key,
                            config_map::Entry::new(new_ssid, Origin::Device),
                        )]));
                    }
                    // The whole entity as the device runs it (site values, or an earlier override).
                    let eff: ConfigMap = values
                        .iter()
                        .filter(|(k, _)| k.starts_with(&format!("wireless/{id}/")))
                        .map(|(k, v)| (k.clone(), config_map::Entry::new(v.clone(), Origin::Site)))
                        .collect();
                    config_map::override_entity(&eff, "wireless", id, &props)
                }
            }
        };
        let mut answer = self.set_config(target, &build)?;
        let (id, before) = seen.into_inner().unwrap();
        if let Value::Object(m) = &mut answer {
            m.insert("entity".into(), json!(id));
            m.insert("before".into(), json!(before));
            m.insert("after".into(), json!(new_ssid));
        }
        Ok(answer)
    }

    /// Adds a site user (or sets the password of the user of that name): the entity id is the
    /// CRC-32 of the name, its properties come from `defaults.user`.
    pub fn add_user(&self, site_id: &str, name: &str, password: &str) -> Result<Value> {
        if name.trim().is_empty() || name.contains('/') || name.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "user name {name:?} is not valid: it must be non-empty, without spaces or '/'"
            )));
        }
        if password.chars().count() < 8 {
            return Err(Error::invalid("the password must be at least 8 characters"));
        }
        let id = config_map::user_id(name);
        let build = |answer: &Value| -> Result<ConfigMap> {
            let props = std::collections::BTreeMap::from([
                ("name".to_string(), name.to_string()),
                ("password".to_string(), password.to_string()),
            ]);
            let site = config_map::parse_map(answer.get("site").unwrap_or(&Value::Null))?;
            if site.contains_key(&format!("users/{id}/")) {
                return Ok(props
                    .into_iter()
                    .map(|(p, v)| {
                        (
                            format!("users/{id}/{p}"),
                            config_map::Entry::new(v, Origin::Site),
                        )
                    })
                    .collect());
            }
            let defaults = config_map::defaults_of(answer, "user")?;
            Ok(config_map::entity_changes(
                "users",
                id,
                &defaults,
                &props,
                Origin::Site,
            ))
        };
        let mut answer = self.set_config(&Target::Site(site_id.to_string()), &build)?;
        if let Value::Object(m) = &mut answer {
            m.insert("entity".into(), json!(id));
        }
        Ok(answer)
    }
}

/// Is `key` an IgniteNet id (digits) rather than a name? Anything path-like counts as an id,
/// which the route's id check then refuses before any request.
fn is_id(key: &str) -> bool {
    !crate::ncm::query::is_name(key)
}

/// The fields a site or device is known by besides its id, in the order they are tried.
const KNOWN_BY: &[&str] = &["name", "hostname", "sn", "mac"];

/// The id of the one record of `records` that `key` names (its name, else its hostname, serial
/// number or MAC, case aside); "did you mean" when none does, the matches when several do.
fn named_one(noun: &str, key: &str, records: &[Value]) -> Result<String> {
    let field = |r: &Value, f: &str| r[f].as_str().map(str::to_string);
    for exact in [true, false] {
        for f in KNOWN_BY {
            let hits: Vec<&Value> = records
                .iter()
                .filter(|r| {
                    field(r, f).is_some_and(|v| match exact {
                        true => v == key,
                        false => v.eq_ignore_ascii_case(key),
                    })
                })
                .collect();
            match hits.as_slice() {
                [] => continue,
                [one] => return Ok(crate::ncm::text(&one["id"])),
                many => {
                    let shown: Vec<String> = many
                        .iter()
                        .map(|r| format!("id {} ({:?})", crate::ncm::text(&r["id"]), r[f]))
                        .collect();
                    return Err(Error::invalid(format!(
                        "{noun} {key:?} matches {} {noun}s: {}; give the id instead",
                        many.len(),
                        shown.join(", ")
                    )));
                }
            }
        }
    }
    let names: Vec<&str> = records.iter().filter_map(|r| r["name"].as_str()).collect();
    Err(Error::invalid(format!(
        "no IgniteNet {noun} has the id, name, hostname, serial number or MAC {key:?}{}",
        crate::ncm::catalog::did_you_mean(key, names)
    )))
}

fn route_or_panic(name: &str) -> &'static Route {
    route(name).expect("route names used by the client are in the table")
}

fn suspended_check(target: &Target, v: &Value) -> Result<()> {
    if v.get("configSuspended").and_then(Value::as_bool) == Some(true) {
        return Err(Error::Refused(format!(
            "{}: configuration is suspended (configSuspended); nothing was saved. Resume the device's configuration in IgniteNet Cloud, then run again.",
            target.describe()
        )));
    }
    Ok(())
}

/// The kind of a JSON value, for messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The answer of a list route: a JSON array, as the spec's example shows.
fn array_of(v: Value, path: &str) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(Error::Protocol {
            method: "GET".into(),
            url: path.into(),
            // What came, not its text: a part of a text cut short could hold part of a key.
            message: format!(
                "expected a JSON array, got {} ({} bytes)",
                json_kind(&other),
                other.to_string().len()
            ),
        }),
    }
}

#[cfg(test)]
mod tests;
