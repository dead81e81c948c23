//! The closed value sets of the catalog's fields (routers' states, alert types, speed_test's
//! config object), as the spec lists them: data, read by the catalog's code and the simulator.

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
/// The alerts endpoint's own "Alert Type" table, and `ethernet_wan_plugged`, which its examples
/// show (`alert_type: "ethernet_wan_plugged"`) though no table lists it.
const ACCOUNT_ALERT_TYPES: &[&str] = &[
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
];
/// The alerts endpoint's `type`: its "Alert Type" table, then, as "This endpoint will have only
/// one value out of the router field and the account field" (its router-event example is a
/// `connection_state` alert), the router_alerts table, and `ethernet_wan_plugged`, which its
/// examples show (`alert_type: "ethernet_wan_plugged"`) though no table lists it.
pub const ALERT_TYPES: &[&str] =
    &concat::<ALERT_TYPE_COUNT>(ACCOUNT_ALERT_TYPES, ROUTER_ALERT_TYPES);
const ALERT_TYPE_COUNT: usize = ACCOUNT_ALERT_TYPES.len() + ROUTER_ALERT_TYPES.len();

/// `a` then `b`, as an array of their total length (checked when compiled).
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - a.len()];
        i += 1;
    }
    out
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
