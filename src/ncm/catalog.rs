//! The NCM API v2 endpoint catalog: every endpoint of the spec as data (methods, fields, filter
//! operators, expandable fields, page sizes, paging style). It drives the client's validation,
//! the Rhai bindings, the simulator's routing, the docs and completion.

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
}

impl Field {
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
    /// The documented rules a POST body must meet beyond its required fields (speed_test's
    /// config object), checked by the client before sending and by the simulator alike.
    pub create_check: Option<BodyCheck>,
    /// Fields a PUT/PATCH may change (`None`: any field that is not read-only by nature).
    pub writable: Option<&'static [&'static str]>,
    /// Records carry device configurations, whose passwords the API shows as `"*"`.
    pub holds_configs: bool,
    /// A sample write body (JSON object) for the generated docs' create or update example, where
    /// the required fields alone (create) or a new `name` (update) would not show a real write.
    pub example_body: Option<&'static str>,
}

impl Endpoint {
    /// The fields `order_by` accepts. The spec's Sort column kept its check marks only on the
    /// `created_at_timeuuid` rows ("Ordering by the ID is equivalent to time ordering"); every
    /// other row's Sort cell is empty, so other endpoints sort by nothing.
    pub fn sortable(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.ty == Ty::TimeUuid && f.filterable())
            .map(|f| f.name)
            .collect()
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

use Method::*;
use Op::*;

const N: &[Op] = &[];
const EQ: &[Op] = &[Eq];
const EQ_IN: &[Op] = &[Eq, In];
const EQ_IN_NULL: &[Op] = &[Eq, In, IsNull];
const GT_LT: &[Op] = &[Gt, Lt];
const EQ_GT_LT: &[Op] = &[Eq, Gt, Lt];
const RANGE: &[Op] = &[Exact, Gt, Gte, Lt, Lte];
const TIMEUUID: &[Op] = &[Eq, In, Gt, Gte, Lt, Lte];

const fn f(name: &'static str, ty: Ty, ops: &'static [Op]) -> Field {
    Field {
        name,
        ty,
        ops,
        expandable: false,
    }
}
/// An expandable field.
const fn x(name: &'static str, ty: Ty, ops: &'static [Op]) -> Field {
    Field {
        name,
        ty,
        ops,
        expandable: true,
    }
}

const fn ep(
    name: &'static str,
    summary: &'static str,
    methods: &'static [Method],
    fields: &'static [Field],
) -> Endpoint {
    Endpoint {
        name,
        summary,
        methods,
        fields,
        paging: Paging::Offset,
        default_page: 20,
        max_page: 500,
        in_cap: Some(100),
        detail: true,
        required: &[],
        create_requires: &[],
        create_check: None,
        writable: None,
        holds_configs: false,
        example_body: None,
    }
}

const fn creates(mut e: Endpoint, fields: &'static [&'static str]) -> Endpoint {
    e.create_requires = fields;
    e
}

const fn checked_create(mut e: Endpoint, check: BodyCheck) -> Endpoint {
    e.create_check = Some(check);
    e
}

const fn holds_configs(mut e: Endpoint) -> Endpoint {
    e.holds_configs = true;
    e
}

const fn samples(mut e: Endpoint, paging: Paging) -> Endpoint {
    e.paging = paging;
    e.detail = false;
    e
}

const fn no_detail(mut e: Endpoint) -> Endpoint {
    e.detail = false;
    e
}

const fn example_body(mut e: Endpoint, body: &'static str) -> Endpoint {
    e.example_body = Some(body);
    e
}

use Ty::{
    Bool as B, Float as F, Int as I, Json as J, Str as S, TimeUuid as U, Timestamp as T, Url as L,
};

/// All 27 endpoints of NCM API v2, in the spec's terms.
pub static ENDPOINTS: &[Endpoint] = &[
    creates(
        ep(
            "accounts",
            "Accounts you have access to (your owning account and its sub-accounts).",
            &[Get, Post, Put, Delete],
            &[
                x("account", L, EQ_IN),
                f("id", I, EQ_IN),
                f("is_disabled", B, N),
                f("name", S, EQ_IN),
                f("resource_url", L, N),
            ],
        ),
        &["account", "name"],
    ),
    no_detail(ep(
        "activity_logs",
        "Activities (actor, action, object) taken in your account.",
        &[Get],
        &[
            f("account", I, EQ),
            f("action__id", S, EQ),
            // The endpoint's text: "action (action__type): something an actor did" and its
            // example call "using: action__type: create" (the table lost this row).
            f("action__type", S, EQ),
            f("action__timestamp", T, RANGE),
            f("actor__id", S, EQ),
            f("actor__type", S, EQ),
            f("created_at", T, RANGE),
            f("object__id", S, EQ),
            f("object__type", S, EQ),
            f("action", J, N),
            f("actor", J, N),
            f("object", J, N),
        ],
    )),
    {
        let mut e = samples(
            ep(
                "alerts",
                "Account and router alerts (router or account is null).",
                &[Get],
                &[
                    f("account", L, EQ_IN_NULL),
                    f("created_at", T, GT_LT),
                    f("created_at_timeuuid", U, TIMEUUID),
                    f("detected_at", T, N),
                    f("friendly_info", S, N),
                    f("info", J, N),
                    f("router", L, EQ_IN_NULL),
                    f("type", S, EQ_IN),
                ],
            ),
            Paging::TimeUuidDesc,
        );
        e.in_cap = None;
        e
    },
    no_detail(ep(
        "batteries",
        "Battery information for E100/E100B devices.",
        &[Get],
        &[
            f("type", S, N),
            f("router_id", I, EQ_IN),
            f("created_at", T, N),
            f("updated_at", T, N),
            f("serial", S, N),
            f("milliamps", I, N),
            f("millivolts", I, N),
            f("temp", I, N),
            f("rsoc", I, N),
            f("health", I, N),
            f("time_remaining", I, N),
            f("manufacturer", S, N),
            f("status", S, N),
            f("id", S, N),
        ],
    )),
    {
        let mut e = ep(
            "configuration_managers",
            "Per-device configuration: individual config, target, actual, pending and sync state.",
            &[Get, Put, Patch],
            &[
                x("account", L, EQ_IN),
                f("actual", J, N),
                f("configuration", J, N),
                f("id", I, EQ_IN),
                f("pending", J, N),
                f("resource_url", L, N),
                x("router", L, EQ_IN),
                f("suspended", B, EQ),
                f("synched", B, EQ),
                f("target", J, N),
                f("version_number", I, EQ_GT_LT),
            ],
        );
        e.writable = Some(&["configuration", "suspended"]);
        e.holds_configs = true;
        e.example_body = Some(r#"{"configuration": [{"system": {"gps": {"enabled": true}}}, []]}"#);
        e
    },
    ep(
        "device_apps",
        "Cradlepoint SDK apps.",
        &[Get, Delete],
        &[
            x("account", L, EQ_IN),
            f("created_at", T, N),
            f("description", S, N),
            f("id", I, EQ_IN),
            f("name", S, EQ_IN),
            f("resource_url", L, N),
            f("updated_at", T, N),
            f("uuid", S, EQ_IN),
        ],
    ),
    ep(
        "device_app_versions",
        "Versions of Cradlepoint SDK apps.",
        &[Get, Delete],
        &[
            x("account", L, EQ_IN),
            f("app", L, EQ_IN),
            f("created_at", T, N),
            f("id", I, EQ_IN),
            f("resource_url", L, N),
            f("state", S, EQ_IN),
            f("state_details", S, N),
            f("updated_at", T, N),
            f("version", S, N),
        ],
    ),
    creates(
        ep(
            "device_app_bindings",
            "SDK app group bindings.",
            &[Get, Post, Delete],
            &[
                x("account", L, EQ_IN),
                f("app_version", L, EQ_IN),
                f("created_at", T, N),
                f("group", L, EQ_IN),
                f("id", I, EQ_IN),
                f("resource_url", L, N),
                f("state", S, EQ_IN),
                f("updated_at", T, N),
            ],
        ),
        &["account", "app_version", "group"],
    ),
    ep(
        "device_app_states",
        "State of SDK apps on routers.",
        &[Get],
        &[
            x("account", L, EQ_IN),
            f("app_version", L, EQ_IN),
            f("created_at", T, N),
            f("id", I, EQ_IN),
            f("resource_url", L, N),
            f("router", L, EQ_IN),
            f("state", S, EQ_IN),
            f("updated_at", T, N),
        ],
    ),
    no_detail(ep(
        "device_failover_events",
        "WAN failover events (NCOS 7.1.30 or newer).",
        &[Get],
        &[
            f("account_id", I, EQ),
            f("ended_at", T, RANGE),
            f("group_id", I, EQ),
            f("router_id", I, EQ),
            f("started_at", T, RANGE),
            f("carrier_name", S, N),
            f("current_wan_interface", S, N),
            f("current_wan_priority", F, N),
            f("data_usage", I, N),
            f("elapsed_time", I, N),
            f("group_name", S, N),
            f("percent_data_cap", F, N),
            f("previous_wan_interface", S, N),
            f("previous_wan_priority", F, N),
            f("router_name", S, N),
            f("tenant_id", S, N),
            f("updated_at", T, N),
            f("uuid", S, N),
        ],
    )),
    ep(
        "firmwares",
        "Firmware builds per product and version.",
        &[Get],
        &[
            f("built_at", T, N),
            x("default_configuration", J, N),
            f("expires_at", T, N),
            f("hash", S, N),
            f("id", I, EQ_IN),
            f("is_deprecated", B, N),
            f("product", L, N),
            f("released_at", T, N),
            f("resource_url", L, N),
            f("uploaded_at", T, N),
            f("url", L, N),
            f("version", S, EQ_IN),
        ],
    ),
    holds_configs(creates(
        ep(
            "groups",
            "Groups of devices of one product sharing a firmware and a configuration.",
            &[Get, Post, Put, Patch, Delete],
            &[
                x("account", L, EQ_IN),
                f("configuration", J, N),
                f("device_type", S, EQ_IN),
                f("id", I, EQ_IN),
                f("name", S, EQ_IN),
                f("product", L, N),
                f("resource_url", L, N),
                f("target_firmware", L, N),
            ],
        ),
        &["account", "name", "product", "target_firmware"],
    )),
    {
        let mut e = samples(
            ep(
                "historical_locations",
                "Location history of one router (router filter required).",
                &[Get],
                &[
                    f("accuracy", I, N),
                    f("carrier_id", S, N),
                    f("cinr", F, N),
                    f("created_at", T, EQ_GT_LT),
                    f("created_at_timeuuid", U, TIMEUUID),
                    f("dbm", I, N),
                    f("ecio", I, N),
                    f("latitude", F, N),
                    f("longitude", F, N),
                    f("mph", F, N),
                    f("net_device_name", S, N),
                    f("rfband", S, N),
                    f("rfband_5g", S, N),
                    f("router", L, EQ),
                    f("rsrp", F, N),
                    f("rsrp_5g", F, N),
                    f("rsrq", I, N),
                    f("rsrq_5g", I, N),
                    f("rssi", I, N),
                    f("signal_percent", I, N),
                    f("sinr", F, N),
                    f("sinr_5g", F, N),
                    f("summary", S, N),
                ],
            ),
            Paging::TimeUuidAsc,
        );
        e.default_page = 5000;
        e.max_page = 5000;
        e.required = &["router"];
        e
    },
    creates(
        ep(
            "locations",
            "Last known locations of devices.",
            &[Get, Post, Put, Delete],
            &[
                f("account", L, N),
                f("accuracy", I, N),
                f("id", I, EQ_IN),
                f("latitude", F, N),
                f("longitude", F, N),
                f("method", S, N),
                f("resource_url", L, N),
                f("router", L, EQ_IN),
                f("updated_at", T, N),
            ],
        ),
        &[
            "account",
            "accuracy",
            "latitude",
            "longitude",
            "method",
            "router",
        ],
    ),
    no_detail(ep(
        "net_device_health",
        "Cellular health of net devices, expressed as uptime.",
        &[Get],
        // The doc's table lists net_device only (its example answer is empty).
        &[f("net_device", I, EQ)],
    )),
    ep(
        "net_device_metrics",
        "Latest signal, usage and cell-tower data per net device.",
        &[Get],
        &[
            f("bytes_in", I, N),
            f("bytes_out", I, N),
            f("cinr", F, N),
            f("dbm", I, N),
            f("ecio", I, N),
            f("id", I, N),
            x("net_device", L, EQ_IN),
            f("resource_url", L, N),
            f("rsrp", F, N),
            f("rsrq", F, N),
            f("rssi", I, N),
            f("service_type", S, N),
            f("signal_strength", I, N),
            f("sinr", F, N),
            f("update_ts", T, GT_LT),
            f("cell_id", S, N),
            f("mcc", S, N),
            f("mnc", S, N),
            f("lac", S, N),
            f("tac", S, N),
        ],
    ),
    samples(
        ep(
            "net_device_signal_samples",
            "Periodic modem signal-strength samples.",
            &[Get],
            &[
                f("cinr", F, N),
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("dbm", I, N),
                f("ecio", I, N),
                f("net_device", L, EQ_IN),
                f("rsrp", F, N),
                f("rsrp5g", F, N),
                f("rsrq", F, N),
                f("rsrq5g", F, N),
                f("rssi", I, N),
                f("signal_percent", I, N),
                f("sinr", F, N),
                f("sinr5g", F, N),
                f("uptime", F, N),
            ],
        ),
        Paging::TimeUuidAsc,
    ),
    samples(
        ep(
            "net_device_usage_samples",
            "Periodic bytes in/out reports of net devices.",
            &[Get],
            &[
                f("bytes_in", I, N),
                f("bytes_out", I, N),
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("net_device", L, EQ_IN),
                f("period", F, N),
                f("uptime", F, N),
            ],
        ),
        Paging::TimeUuidAsc,
    ),
    ep(
        "net_devices",
        "Network interfaces (WAN and LAN) of devices: modems, Ethernet, WiFi.",
        &[Get],
        &[
            x("account", L, EQ_IN),
            f("bsid", S, N),
            f("carrier", S, N),
            f("carrier_id", S, N),
            f("channel", I, N),
            f("connection_state", S, EQ_IN),
            f("dns0", S, N),
            f("dns1", S, N),
            f("esn", S, N),
            f("gateway", S, N),
            f("gsn", S, N),
            f("homecarrid", S, N),
            f("hostname", S, N),
            f("iccid", S, N),
            f("id", I, EQ_IN),
            f("imei", S, N),
            f("imsi", S, N),
            f("ipv4_address", S, EQ_IN),
            f("is_asset", B, EQ),
            f("is_gps_supported", B, N),
            f("is_upgrade_available", B, N),
            f("is_upgrade_supported", B, N),
            f("ltebandwidth", S, N),
            f("mac", S, N),
            f("manufacturer", S, N),
            f("mdn", S, N),
            f("meid", S, N),
            f("mfg_model", S, N),
            f("mfg_product", S, N),
            f("mn_ha_spi", S, N),
            f("mn_ha_ss", S, N),
            f("mode", S, EQ_IN),
            f("model", S, N),
            f("modem_fw", S, N),
            f("mtu", I, N),
            f("nai", S, N),
            f("name", S, N),
            f("netmask", S, N),
            f("pin_status", S, N),
            f("port", S, N),
            f("prlv", S, N),
            f("profile", S, N),
            f("resource_url", L, N),
            f("rfband", S, N),
            f("rfchannel", S, N),
            f("roam", S, N),
            x("router", L, EQ_IN),
            f("rxchannel", S, N),
            f("serial", S, N),
            f("service_type", S, N),
            f("ssid", S, N),
            f("summary", S, N),
            f("txchannel", S, N),
            f("type", S, N),
            f("uid", S, N),
            f("updated_at", T, N),
            f("uptime", F, N),
            f("ver_pkg", S, N),
            f("version", S, N),
            f("wimax_realm", S, N),
        ],
    ),
    ep(
        "products",
        "Device models (e.g. IBR900, AER2200).",
        &[Get],
        &[
            f("device_type", S, EQ_IN),
            f("id", I, EQ_IN),
            f("name", S, N),
            f("resource_url", L, N),
            f("series", I, N),
        ],
    ),
    example_body(
        no_detail(ep(
            "reboot_activity",
            "Reboot one router or one group (POST a router or group URL).",
            &[Post],
            &[f("router", L, N), f("group", L, N)],
        )),
        r#"{"router": "https://www.cradlepointecm.com/api/v2/routers/42/"}"#,
    ),
    samples(
        ep(
            "router_alerts",
            "Alerts raised by routers (config_rejected, connection_state, ...).",
            &[Get],
            &[
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("detected_at", T, N),
                f("friendly_info", S, N),
                f("info", J, N),
                f("router", L, EQ_IN),
                f("type", S, N),
            ],
        ),
        Paging::TimeUuidDesc,
    ),
    {
        let mut e = no_detail(ep(
            "router_logs",
            "Device log lines sent to NCM (router filter required).",
            &[Get],
            &[
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("exception", S, N),
                f("level", S, N),
                f("message", S, N),
                f("reported_at", T, N),
                f("router", L, EQ),
                f("sequence", I, N),
                f("source", S, N),
            ],
        ));
        e.required = &["router"];
        e
    },
    samples(
        ep(
            "router_state_samples",
            "History of online/offline states of devices.",
            &[Get],
            &[
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("period", F, N),
                f("router", L, EQ_IN),
                f("state", S, N),
            ],
        ),
        Paging::TimeUuidAsc,
    ),
    samples(
        ep(
            "router_stream_usage_samples",
            "NCM management traffic samples of devices.",
            &[Get],
            &[
                f("bytes_in", I, N),
                f("bytes_out", I, N),
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID),
                f("period", F, N),
                f("router", L, EQ_IN),
                f("uptime", F, N),
            ],
        ),
        Paging::TimeUuidAsc,
    ),
    ep(
        "routers",
        "Cradlepoint devices registered with NCM.",
        &[Get, Put, Delete],
        &[
            x("account", L, EQ_IN),
            f("actual_firmware", L, N),
            f("asset_id", S, N),
            f("config_status", S, N),
            f("created_at", T, N),
            f("custom1", S, N),
            f("custom2", S, N),
            f("description", S, N),
            f("device_type", S, EQ_IN),
            f("full_product_name", S, N),
            x("group", L, EQ_IN),
            f("id", I, EQ_IN),
            f("ipv4_address", S, EQ_IN),
            x("last_known_location", L, N),
            f("locality", S, N),
            f("mac", S, EQ_IN),
            f("name", S, EQ_IN),
            // In the documented router record ("pc_removed": "unknown"), not in its table.
            f("pc_removed", S, N),
            f("product", L, N),
            f("reboot_required", B, EQ_IN),
            f("resource_url", L, N),
            f("serial_number", S, N),
            f("state", S, EQ_IN),
            f("state_updated_at", T, GT_LT),
            f("target_firmware", L, N),
            f("upgrade_pending", B, N),
            f("updated_at", T, GT_LT),
        ],
    ),
    checked_create(
        creates(
            ep(
                "speed_test",
                "Speed-test jobs over up to 10,000 net devices.",
                &[Get, Post],
                &[
                    x("account", L, EQ_IN),
                    f("config", J, N),
                    f("id", I, N),
                    f("created_at", T, N),
                    f("progress", J, N),
                    f("resource_uri", L, N),
                    f("results", J, N),
                    f("state", S, N),
                    f("updated_at", T, N),
                ],
            ),
            &["config"],
        ),
        check_speed_test,
    ),
];

/// The speed_test `config` object: "All attributes for the "config" object in the following JSON
/// payload example are required for a POST request".
pub const SPEED_TEST_CONFIG: &[&str] = &[
    "host",
    "max_test_concurrency",
    "net_device_ids",
    "port",
    "size",
    "test_timeout",
    "test_type",
    "time",
];
/// "TCP Download, TCP Upload, TCP Latency".
pub const SPEED_TEST_TYPES: &[&str] = &["TCP Download", "TCP Upload", "TCP Latency"];
/// "up to 10,000 net_device IDs per request".
pub const SPEED_TEST_MAX_DEVICES: usize = 10_000;
/// "Number of maximum simultaneous tests to server (1-50)".
pub const SPEED_TEST_CONCURRENCY: std::ops::RangeInclusive<i64> = 1..=50;

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
mod tests {
    #[test]
    fn configuration_managers_and_groups_hold_configs() {
        let holding: Vec<&str> = ENDPOINTS
            .iter()
            .filter(|e| e.holds_configs)
            .map(|e| e.name)
            .collect();
        assert_eq!(holding, ["configuration_managers", "groups"]);
    }

    use super::*;

    #[test]
    fn catalog_has_all_27_endpoints_unique() {
        assert_eq!(ENDPOINTS.len(), 27);
        let mut names: Vec<_> = ENDPOINTS.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 27);
    }

    #[test]
    fn page_sizes_follow_the_spec() {
        assert_eq!(endpoint("historical_locations").unwrap().default_page, 5000);
        for e in ENDPOINTS
            .iter()
            .filter(|e| e.name != "historical_locations")
        {
            assert_eq!(e.default_page, 20, "{}", e.name);
            assert_eq!(e.max_page, 500, "{}", e.name);
        }
    }

    #[test]
    fn example_bodies_are_objects_of_the_endpoints_writable_fields() {
        let with_body: Vec<&Endpoint> = ENDPOINTS
            .iter()
            .filter(|e| e.example_body.is_some())
            .collect();
        assert_eq!(with_body.len(), 2);
        for e in with_body {
            let body: serde_json::Value = serde_json::from_str(e.example_body.unwrap()).unwrap();
            let body = body
                .as_object()
                .unwrap_or_else(|| panic!("{}: not an object", e.name));
            for key in body.keys() {
                assert!(e.field(key).is_some(), "{}: no field {key}", e.name);
                if let Some(w) = e.writable {
                    assert!(
                        w.contains(&key.as_str()),
                        "{}: {key} is not writable",
                        e.name
                    );
                }
            }
            for required in e.create_requires {
                assert!(body.contains_key(*required), "{}: lacks {required}", e.name);
            }
        }
    }

    #[test]
    fn verbs_follow_methods() {
        let r = endpoint("reboot_activity").unwrap();
        assert_eq!(r.verbs(), vec![Verb::Create]);
        let c = endpoint("configuration_managers").unwrap();
        let names: Vec<_> = c.verbs().iter().map(|v| v.name()).collect();
        assert_eq!(names, ["list", "pages", "get", "update", "patch"]);
        assert!(endpoint("alerts").unwrap().in_cap.is_none());
    }
}
