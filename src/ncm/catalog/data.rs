//! The catalog's data: the 27 endpoints of NCM API v2 as the spec documents them (fields,
//! filter operators, methods, paging, quirks), written with a few `const` builders. The code
//! that reads them is `catalog/mod.rs`.

use super::*;

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
    // The spec's "JSON payload example for a speed_test POST request" (its test server and
    // net device id are the account's own in a real call).
    example_body(
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
        r#"{"config": {"host": "YOURTESTSERVER.COM", "max_test_concurrency": 5, "net_device_ids": [12345678], "port": 12865, "size": null, "test_timeout": 10, "test_type": "TCP Download", "time": 10}}"#,
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
