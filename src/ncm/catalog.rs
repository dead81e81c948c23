//! The NCM API v2 endpoint catalog: every endpoint of the spec as data (methods, fields, filter
//! operators, expandable and sortable fields, closed value sets, read-only fields, the fields a
//! POST or PUT requires, what an id field refers to, page sizes, paging style). It drives the
//! client's validation, the Rhai bindings, the simulator's routing, the docs and completion.

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
        values: &[],
        sortable: false,
        read_only: false,
        refers: None,
    }
}
/// An expandable field.
const fn x(name: &'static str, ty: Ty, ops: &'static [Op]) -> Field {
    let mut field = f(name, ty, ops);
    field.expandable = true;
    field
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
        update_requires: &[],
        create_check: None,
        named_by: &[],
        holds_configs: false,
        example_body: None,
    }
}

const fn creates(mut e: Endpoint, fields: &'static [&'static str]) -> Endpoint {
    e.create_requires = fields;
    e
}

const fn updates(mut e: Endpoint, fields: &'static [&'static str]) -> Endpoint {
    e.update_requires = fields;
    e
}

const fn named_by(mut e: Endpoint, fields: &'static [&'static str]) -> Endpoint {
    e.named_by = fields;
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

/// Routers' `state`: "Device's state: initialized, online or offline".
pub const ROUTER_STATES: &[&str] = &["initialized", "online", "offline"];
/// Routers' `config_status`: "Status of configuration synch: synched, pending or suspended".
pub const CONFIG_STATUSES: &[&str] = &["synched", "pending", "suspended"];
/// `device_type` of routers, groups and products: "Type of device, e.g. router or access point"
/// (the record examples write `"device_type": "router"`; an access point is `access_point`).
pub const DEVICE_TYPES: &[&str] = &["router", "access_point"];
/// Net devices' `connection_state`, with the spec's casing: "Connected, Connecting,
/// Disconnecting, Disconnected, Error, Ready, Configuring".
pub const CONNECTION_STATES: &[&str] = &[
    "Connected",
    "Connecting",
    "Disconnecting",
    "Disconnected",
    "Error",
    "Ready",
    "Configuring",
];
/// Net devices' `mode`: "Net device's mode, WAN or LAN" (the example writes `"mode": "lan"`).
pub const NET_DEVICE_MODES: &[&str] = &["wan", "lan"];
/// The router_alerts "Alert Type" table.
pub const ROUTER_ALERT_TYPES: &[&str] = &[
    "adc_event",
    "config_changed",
    "config_rejected",
    "config_unacked",
    "connection_state",
    "cpu_utilization",
    "data_cap_threshold",
    "device_location_unknown",
    "duplicate_ssid",
    "failover_event",
    "firmware_upgrade",
    "geofence_proximity_change",
    "gpio_state_change",
    "ip_banned",
    "ips_activity",
    "ips_eng_failure",
    "ipsec_tunnel_down",
    "login_failure",
    "login_success",
    "memory_utilization",
    "modem_wan_connected",
    "modem_wan_disconnected",
    "modem_wan_plugged",
    "modem_wan_standby",
    "modem_wan_unplugged",
    "msft_iot_disconnect",
    "reboot_status_change",
    "sim_door_event",
    "sustained_system_overload",
    "thermal_exceeds_limit",
    "tunnel_limit",
    "unrecognized_mac_alert",
    "wan_service_type",
    "wan_status_change",
    "wifi_client_state_change",
    "wwan_connected",
    "wwan_disconnected",
    "wwan_network_available",
    "wwan_network_unavailable",
    "wwan_standby",
    "zs_tls_tunnel",
];
/// The alerts endpoint's `type`: its "Alert Type" table, then, as "This endpoint will have only
/// one value out of the router field and the account field" (its router-event example is a
/// `connection_state` alert), the router_alerts table, and `ethernet_wan_plugged`, which its
/// examples show (`alert_type: "ethernet_wan_plugged"`) though no table lists it.
pub const ALERT_TYPES: &[&str] = &[
    "account_locked",
    "acs_noncompliant_devices",
    "acs_unlicensed_devices",
    "acs_expires_in_180_days",
    "acs_expires_in_90_days",
    "acs_expires_in_60_days",
    "acs_expires_in_15_days",
    "acs_expires_in_5_days",
    "acs_unlicensed_in_15_days",
    "acs_unlicensed_in_5_days",
    "custom_alert",
    "ethernet_wan_connected",
    "ethernet_wan_disconnected",
    "ethernet_wan_plugged",
    "ethernet_wan_standby",
    "ethernet_wan_unplugged",
    "gateway_added",
    "gateway_removed",
    "gateway_state_changed",
    "pdp_account_overage",
    "pdp_router_overage",
    "router_sdk_app_execution_state_changed",
    "router_sdk_mismatched_app_action",
    // The router_alerts table.
    "adc_event",
    "config_changed",
    "config_rejected",
    "config_unacked",
    "connection_state",
    "cpu_utilization",
    "data_cap_threshold",
    "device_location_unknown",
    "duplicate_ssid",
    "failover_event",
    "firmware_upgrade",
    "geofence_proximity_change",
    "gpio_state_change",
    "ip_banned",
    "ips_activity",
    "ips_eng_failure",
    "ipsec_tunnel_down",
    "login_failure",
    "login_success",
    "memory_utilization",
    "modem_wan_connected",
    "modem_wan_disconnected",
    "modem_wan_plugged",
    "modem_wan_standby",
    "modem_wan_unplugged",
    "msft_iot_disconnect",
    "reboot_status_change",
    "sim_door_event",
    "sustained_system_overload",
    "thermal_exceeds_limit",
    "tunnel_limit",
    "unrecognized_mac_alert",
    "wan_service_type",
    "wan_status_change",
    "wifi_client_state_change",
    "wwan_connected",
    "wwan_disconnected",
    "wwan_network_available",
    "wwan_network_unavailable",
    "wwan_standby",
    "zs_tls_tunnel",
];

/// All 27 endpoints of NCM API v2, in the spec's terms.
pub static ENDPOINTS: &[Endpoint] = &[
    // "* indicates the attribute is required in the request body for PUT and POST requests." /
    // "! indicates the attribute is required for PUT requests." (account*!, id!, name*!)
    named_by(
        updates(
            creates(
                ep(
                    "accounts",
                    "Accounts you have access to (your owning account and its sub-accounts).",
                    &[Get, Post, Put, Delete],
                    &[
                        x("account", L, EQ_IN).to("accounts"),
                        f("id", I, EQ_IN).ro(),
                        f("is_disabled", B, N).ro(),
                        f("name", S, EQ_IN),
                        f("resource_url", L, N).ro(),
                    ],
                ),
                &["account", "name"],
            ),
            &["account", "id", "name"],
        ),
        &["name"],
    ),
    no_detail(ep(
        "activity_logs",
        "Activities (actor, action, object) taken in your account.",
        &[Get],
        &[
            f("account", I, EQ).to("accounts"),
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
                    f("account", L, EQ_IN_NULL).to("accounts"),
                    f("created_at", T, GT_LT),
                    f("created_at_timeuuid", U, TIMEUUID).sorts(),
                    f("detected_at", T, N),
                    f("friendly_info", S, N),
                    f("info", J, N),
                    f("router", L, EQ_IN_NULL).to("routers"),
                    f("type", S, EQ_IN).one_of(ALERT_TYPES),
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
            f("router_id", I, EQ_IN).to("routers"),
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
        // The Configuration document's schema: every field "(readonly)" but `suspended` and
        // `configuration` ("only two fields are writable: configuration (the individual config)
        // and suspended ... If you include any other field in your PUT request payload you will
        // get a 409 Conflict"); `id` is "(readonly, sortable)". Its table's "! indicates the
        // attribute is required for PUT and PATCH requests" (id!) is not followed: the id is the
        // URL's, and the body may not carry it.
        let mut e = ep(
            "configuration_managers",
            "Per-device configuration: individual config, target, actual, pending and sync state.",
            &[Get, Put, Patch],
            &[
                x("account", L, EQ_IN).to("accounts").ro(),
                f("actual", J, N).ro(),
                f("configuration", J, N),
                f("id", I, EQ_IN).ro().sorts(),
                f("pending", J, N).ro(),
                f("resource_url", L, N).ro(),
                x("router", L, EQ_IN).to("routers").ro(),
                f("suspended", B, EQ),
                f("synched", B, EQ).ro(),
                f("target", J, N).ro(),
                f("version_number", I, EQ_GT_LT).ro(),
            ],
        );
        e.holds_configs = true;
        e.example_body = Some(r#"{"configuration": [{"system": {"gps": {"enabled": true}}}, []]}"#);
        e
    },
    ep(
        "device_apps",
        "Cradlepoint SDK apps.",
        &[Get, Delete],
        &[
            x("account", L, EQ_IN).to("accounts"),
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
            x("account", L, EQ_IN).to("accounts"),
            f("app", L, EQ_IN).to("device_apps"),
            f("created_at", T, N),
            f("id", I, EQ_IN),
            f("resource_url", L, N),
            f("state", S, EQ_IN),
            f("state_details", S, N),
            f("updated_at", T, N),
            f("version", S, N),
        ],
    ),
    // The Permissions column: created_at and id "Read Only", the others "Read/Write".
    creates(
        ep(
            "device_app_bindings",
            "SDK app group bindings.",
            &[Get, Post, Delete],
            &[
                x("account", L, EQ_IN).to("accounts"),
                f("app_version", L, EQ_IN).to("device_app_versions"),
                f("created_at", T, N).ro(),
                f("group", L, EQ_IN).to("groups"),
                f("id", I, EQ_IN).ro(),
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
            x("account", L, EQ_IN).to("accounts"),
            f("app_version", L, EQ_IN).to("device_app_versions"),
            f("created_at", T, N),
            f("id", I, EQ_IN),
            f("resource_url", L, N),
            f("router", L, EQ_IN).to("routers"),
            f("state", S, EQ_IN),
            f("updated_at", T, N),
        ],
    ),
    no_detail(ep(
        "device_failover_events",
        "WAN failover events (NCOS 7.1.30 or newer).",
        &[Get],
        &[
            f("account_id", I, EQ).to("accounts"),
            f("ended_at", T, RANGE),
            f("group_id", I, EQ).to("groups"),
            f("router_id", I, EQ).to("routers"),
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
            f("product", L, N).to("products"),
            f("released_at", T, N),
            f("resource_url", L, N),
            f("uploaded_at", T, N),
            f("url", L, N),
            f("version", S, EQ_IN),
        ],
    ),
    // "Note: * indicates the attribute is required for PUT and POST requests." The Permissions
    // column: device_type "Read Only", the others "Read/Write". A PUT of the configuration alone
    // is a config write: "GET, PUT and PATCH work the same for groups as for
    // configuration_managers" (see [`Endpoint::check_write`]).
    named_by(
        holds_configs(updates(
            creates(
                ep(
                    "groups",
                    "Groups of devices of one product sharing a firmware and a configuration.",
                    &[Get, Post, Put, Patch, Delete],
                    &[
                        x("account", L, EQ_IN).to("accounts"),
                        f("configuration", J, N),
                        f("device_type", S, EQ_IN).one_of(DEVICE_TYPES).ro(),
                        f("id", I, EQ_IN),
                        f("name", S, EQ_IN),
                        f("product", L, N).to("products"),
                        f("resource_url", L, N),
                        f("target_firmware", L, N).to("firmwares"),
                    ],
                ),
                &["account", "name", "product", "target_firmware"],
            ),
            &["account", "name", "product", "target_firmware"],
        )),
        &["name"],
    ),
    {
        // Its created_at_timeuuid row has no mark in the Sort column (the other timeuuid
        // endpoints' rows have one): not sortable.
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
                    f("router", L, EQ).to("routers"),
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
    // "Note: * indicates the attribute is required for PUT and POST requests." Every field is
    // "Read/Write" in its Permissions column.
    updates(
        creates(
            ep(
                "locations",
                "Last known locations of devices.",
                &[Get, Post, Put, Delete],
                &[
                    f("account", L, N).to("accounts"),
                    f("accuracy", I, N),
                    f("id", I, EQ_IN),
                    f("latitude", F, N),
                    f("longitude", F, N),
                    f("method", S, N),
                    f("resource_url", L, N),
                    f("router", L, EQ_IN).to("routers"),
                    f("updated_at", T, N),
                ],
            ),
            LOCATION_FIELDS,
        ),
        LOCATION_FIELDS,
    ),
    no_detail(ep(
        "net_device_health",
        "Cellular health of net devices, expressed as uptime.",
        &[Get],
        // The table lists net_device only ("net_device | int | = | The id of the net_device.");
        // its example answer is empty.
        &[f("net_device", I, EQ).to("net_devices")],
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
            x("net_device", L, EQ_IN).to("net_devices"),
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
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("dbm", I, N),
                f("ecio", I, N),
                f("net_device", L, EQ_IN).to("net_devices"),
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
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("net_device", L, EQ_IN).to("net_devices"),
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
            x("account", L, EQ_IN).to("accounts"),
            f("bsid", S, N),
            f("carrier", S, N),
            f("carrier_id", S, N),
            f("channel", I, N),
            f("connection_state", S, EQ_IN).one_of(CONNECTION_STATES),
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
            f("mode", S, EQ_IN).one_of(NET_DEVICE_MODES),
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
            x("router", L, EQ_IN).to("routers"),
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
            f("device_type", S, EQ_IN).one_of(DEVICE_TYPES),
            f("id", I, EQ_IN),
            f("name", S, N),
            f("resource_url", L, N),
            f("series", I, N),
        ],
    ),
    // "POST payload requirements: router or group URI." / "Specifying both a router and a group
    // in the same call is not supported".
    example_body(
        checked_create(
            no_detail(ep(
                "reboot_activity",
                "Reboot one router or one group (POST a router or group URL).",
                &[Post],
                &[
                    f("router", L, N).to("routers"),
                    f("group", L, N).to("groups"),
                ],
            )),
            check_reboot,
        ),
        r#"{"router": "https://www.cradlepointecm.com/api/v2/routers/42/"}"#,
    ),
    samples(
        ep(
            "router_alerts",
            "Alerts raised by routers (config_rejected, connection_state, ...).",
            &[Get],
            &[
                f("created_at", T, GT_LT),
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("detected_at", T, N),
                f("friendly_info", S, N),
                f("info", J, N),
                f("router", L, EQ_IN).to("routers"),
                f("type", S, N).one_of(ROUTER_ALERT_TYPES),
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
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("exception", S, N),
                f("level", S, N),
                f("message", S, N),
                f("reported_at", T, N),
                f("router", L, EQ).to("routers"),
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
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("period", F, N),
                f("router", L, EQ_IN).to("routers"),
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
                f("created_at_timeuuid", U, TIMEUUID).sorts(),
                f("period", F, N),
                f("router", L, EQ_IN).to("routers"),
                f("uptime", F, N),
            ],
        ),
        Paging::TimeUuidAsc,
    ),
    // The routers table has no Permissions column. Read only: what the device or NCM reports
    // (its state, addresses, product and firmwares: "target_firmware | url | Firmware currently
    // assigned to the router’s group", "upgrade_pending | boolean | The device has a pending NCOS
    // upgrade"), its identity and times. Writable: what its description calls user defined or
    // optional (asset_id, custom1, custom2, description, group), its name, its account and
    // locality.
    named_by(
        ep(
            "routers",
            "Cradlepoint devices registered with NCM.",
            &[Get, Put, Delete],
            &[
                x("account", L, EQ_IN).to("accounts"),
                f("actual_firmware", L, N).to("firmwares").ro(),
                f("asset_id", S, N),
                f("config_status", S, N).one_of(CONFIG_STATUSES).ro(),
                f("created_at", T, N).ro(),
                f("custom1", S, N),
                f("custom2", S, N),
                f("description", S, N),
                f("device_type", S, EQ_IN).one_of(DEVICE_TYPES).ro(),
                f("full_product_name", S, N).ro(),
                x("group", L, EQ_IN).to("groups"),
                f("id", I, EQ_IN).ro(),
                f("ipv4_address", S, EQ_IN).ro(),
                x("last_known_location", L, N).to("locations").ro(),
                f("locality", S, N),
                f("mac", S, EQ_IN).ro(),
                f("name", S, EQ_IN),
                // In the documented router record ("pc_removed": "unknown"), not in its table.
                f("pc_removed", S, N).ro(),
                f("product", L, N).to("products").ro(),
                f("reboot_required", B, EQ_IN).ro(),
                f("resource_url", L, N).ro(),
                f("serial_number", S, N).ro(),
                f("state", S, EQ_IN).one_of(ROUTER_STATES).ro(),
                f("state_updated_at", T, GT_LT).ro(),
                f("target_firmware", L, N).to("firmwares").ro(),
                f("upgrade_pending", B, N).ro(),
                f("updated_at", T, GT_LT).ro(),
            ],
        ),
        &["mac", "name", "serial_number"],
    ),
    checked_create(
        creates(
            ep(
                "speed_test",
                "Speed-test jobs over up to 10,000 net devices.",
                &[Get, Post],
                &[
                    x("account", L, EQ_IN).to("accounts"),
                    f("config", J, N),
                    f("id", I, N).ro(),
                    f("created_at", T, N).ro(),
                    f("progress", J, N).ro(),
                    f("resource_uri", L, N).ro(),
                    f("results", J, N).ro(),
                    f("state", S, N).ro(),
                    f("updated_at", T, N).ro(),
                ],
            ),
            &["config"],
        ),
        check_speed_test,
    ),
];

/// The locations fields a POST or PUT requires (`*`).
const LOCATION_FIELDS: &[&str] = &[
    "account",
    "accuracy",
    "latitude",
    "longitude",
    "method",
    "router",
];

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
            let method = if e.supports(Method::Post) {
                Method::Post
            } else {
                Method::Put
            };
            let id = (method == Method::Put).then_some("42");
            let json = serde_json::Value::Object(body.clone());
            assert_eq!(e.check_write(method, id, &json), Ok(()), "{}", e.name);
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

    #[test]
    fn the_sort_column_marks_timeuuids_and_the_config_managers_id() {
        assert_eq!(
            endpoint("configuration_managers").unwrap().sortable(),
            ["id"]
        );
        assert_eq!(
            endpoint("alerts").unwrap().sortable(),
            ["created_at_timeuuid"]
        );
        assert!(endpoint("historical_locations")
            .unwrap()
            .sortable()
            .is_empty());
        assert!(endpoint("routers").unwrap().sortable().is_empty());
    }

    #[test]
    fn write_bodies_follow_the_spec() {
        use serde_json::json;
        let check = |ep: &str, m: Method, id: Option<&str>, body: serde_json::Value| {
            endpoint(ep).unwrap().check_write(m, id, &body)
        };
        assert!(matches!(
            check("accounts", Method::Put, Some("7"), json!({"name": "x", "is_disabled": true})),
            Err(WriteProblem::NotWritable(m)) if m.contains("is_disabled is not writable")
        ));
        // account*!, id!, name*!: id is read only and required, and must be the URL's.
        assert!(matches!(
            check("accounts", Method::Put, Some("7"), json!({"name": "x"})),
            Err(WriteProblem::Missing(m)) if m.contains("needs account, id")
        ));
        assert_eq!(
            check(
                "accounts",
                Method::Put,
                Some("7"),
                json!({"account": "https://h/api/v2/accounts/1/", "id": "7", "name": "x"})
            ),
            Ok(())
        );
        assert!(check(
            "accounts",
            Method::Put,
            Some("7"),
            json!({"account": "a", "id": 8, "name": "x"})
        )
        .is_err());
        for field in [
            "target_firmware",
            "upgrade_pending",
            "state",
            "config_status",
        ] {
            assert!(
                matches!(
                    check("routers", Method::Put, Some("1"), json!({field: "x"})),
                    Err(WriteProblem::NotWritable(_))
                ),
                "{field}"
            );
        }
        assert_eq!(
            check(
                "routers",
                Method::Put,
                Some("1"),
                json!({"name": "a", "custom1": "b"})
            ),
            Ok(())
        );
        assert!(matches!(
            check("routers", Method::Put, Some("1"), json!({"nmae": "a"})),
            Err(WriteProblem::Unknown(m)) if m.contains("did you mean \"name\"")
        ));
        // A group PUT carries its * fields, unless it writes the configuration alone.
        assert!(matches!(
            check("groups", Method::Put, Some("1"), json!({"name": "a"})),
            Err(WriteProblem::Missing(m)) if m.contains("account, product, target_firmware")
        ));
        assert_eq!(
            check(
                "groups",
                Method::Put,
                Some("1"),
                json!({"configuration": [{}, []]})
            ),
            Ok(())
        );
        assert_eq!(
            check("groups", Method::Patch, Some("1"), json!({"name": "a"})),
            Ok(())
        );
        assert!(check(
            "configuration_managers",
            Method::Put,
            Some("1"),
            json!({"id": "1", "configuration": [{}, []]})
        )
        .is_err());
        assert!(matches!(
            check("reboot_activity", Method::Post, None, json!({"router": "r", "group": "g"})),
            Err(WriteProblem::Invalid(m)) if m.contains("not both")
        ));
    }

    #[test]
    fn closest_names_ignore_case_and_stay_close() {
        assert_eq!(
            closest("ofline", ROUTER_STATES.iter().copied()),
            Some("offline")
        );
        assert_eq!(
            closest("connected", CONNECTION_STATES.iter().copied()),
            Some("Connected")
        );
        assert_eq!(closest("zz", ROUTER_STATES.iter().copied()), None);
        assert_eq!(closest("stat", ["state", "mac"]), Some("state"));
    }
}
