//! Tests of the fleet generator: records built the same every time with the ids they are found
//! by, a large fleet drawn rather than built, alerts in time order agreeing with what they link.

use super::*;

fn fleet(n: usize) -> Store {
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    generate(n, 7, now, "https://x/api/v2/")
}

#[test]
fn records_are_built_the_same_every_time_and_carry_the_ids_they_are_found_by() {
    let (a, b) = (fleet(300), fleet(300));
    for table in [
        "routers",
        "net_devices",
        "net_device_metrics",
        "configuration_managers",
        "locations",
        "batteries",
        "alerts",
        "router_alerts",
        "device_failover_events",
    ] {
        let (ta, tb) = (a.table(table), b.table(table));
        assert!(!ta.is_empty(), "{table}");
        assert_eq!(ta.len(), tb.len(), "{table}");
        for (x, y) in ta.iter().zip(tb.iter()) {
            assert_eq!(x, y, "{table}");
            if let Some(id) = x.get("id").and_then(Value::as_str) {
                assert_eq!(a.find(table, id).as_deref(), Some(&*x), "{table} {id}");
            }
        }
    }
}

#[test]
fn a_large_fleet_is_drawn_not_built() {
    let s = fleet(100_000);
    assert_eq!(s.table("routers").len(), 100_000);
    assert_eq!(s.table("net_devices").len(), 300_000);
    let last = s.find("routers", "110000").expect("the last router");
    assert_eq!(last["resource_url"], "https://x/api/v2/routers/110000/");
    let cm = s
        .find("configuration_managers", "800004")
        .expect("its manager");
    assert_eq!(cm["router"], last["resource_url"]);
    let modem = s.find("net_devices", "349999").expect("its modem");
    assert_eq!(modem["router"], last["resource_url"]);
    assert_eq!(modem["type"], "lte");
}

#[test]
fn alerts_are_in_time_order_and_linked_records_agree() {
    let s = fleet(200);
    let times: Vec<String> = s
        .table("alerts")
        .iter()
        .map(|a| a["created_at"].as_str().unwrap().to_string())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    for r in s.table("routers").iter() {
        let online = r["state"] == "online";
        let id = r["id"].as_str().unwrap().parse::<u64>().unwrap();
        let wan = s
            .find(
                "net_devices",
                &(FIRST_NET_DEVICE + 3 * (id - FIRST_ROUTER)).to_string(),
            )
            .unwrap();
        assert_eq!(wan["router"], r["resource_url"]);
        assert_eq!(wan["connection_state"] == "Connected", online);
        let synched = r["config_status"] == "synched";
        let cm = s
            .find(
                "configuration_managers",
                &(FIRST_CM + 3 * (id - FIRST_ROUTER)).to_string(),
            )
            .unwrap();
        assert_eq!(cm["synched"] == true, synched, "{r}");
        assert!(cm["target"].is_array() && cm["actual"].is_array());
    }
}
