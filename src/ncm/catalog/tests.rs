//! The catalog checked against the spec: 27 unique endpoints, page sizes, verbs, sort marks,
//! example bodies and the write-body rules.

use super::*;

#[test]
fn configuration_managers_and_groups_hold_configs() {
    let holding: Vec<&str> = ENDPOINTS
        .iter()
        .filter(|e| e.holds_configs)
        .map(|e| e.name)
        .collect();
    assert_eq!(holding, ["configuration_managers", "groups"]);
}

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
    assert_eq!(with_body.len(), 3);
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

/// A write body checked by the endpoint's rules.
fn check(
    ep: &str,
    m: Method,
    id: Option<&str>,
    body: serde_json::Value,
) -> Result<(), WriteProblem> {
    endpoint(ep).unwrap().check_write(m, id, &body)
}

#[test]
fn account_write_bodies_follow_the_spec() {
    use serde_json::json;
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
}

#[test]
fn router_group_and_reboot_write_bodies_follow_the_spec() {
    use serde_json::json;
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
