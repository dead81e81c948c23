//! Unit tests of the IgniteNet client: paths matched to routes, and the spec's retry policy per status.

use super::*;

#[test]
fn paths_match_routes() {
    let (r, id) = match_path("site/281474976710783/devices").unwrap();
    assert_eq!(
        (r.name, id.as_deref()),
        ("site_devices", Some("281474976710783"))
    );
    assert_eq!(match_path("sites").unwrap().0.name, "sites");
    assert_eq!(
        match_path("/device/9/config-changes/").unwrap().0.name,
        "device_config"
    );
    assert!(match_path("site/9/nope").is_none());
    assert_eq!(
        match_path("devices/9/config").unwrap().0.name,
        "device_config_object"
    );
    assert!(match_path("site//devices").is_none());
    assert_eq!(
        route("site_config").unwrap().path_for(Some("5")).unwrap(),
        "site/5/config-changes"
    );
}

#[test]
fn the_spec_policy_per_status() {
    let p = IgniteNetOptions {
        retry_interval: Duration::from_millis(60),
        too_many_wait: Duration::from_millis(10),
        ..Default::default()
    }
    .retry_policy(&RetryPolicy::default());
    let ms = Duration::from_millis;
    // 502/503: GET retried 10 times, POST never.
    assert_eq!(p.retry_delay(503, true, 0, None), Some(ms(60)));
    assert_eq!(p.retry_delay(502, true, 9, None), Some(ms(60)));
    assert_eq!(p.retry_delay(503, true, 10, None), None);
    assert_eq!(p.retry_delay(503, false, 0, None), None);
    // 500: once.
    assert_eq!(p.retry_delay(500, true, 0, None), Some(ms(60)));
    assert_eq!(p.retry_delay(500, true, 1, None), None);
    // 429: POST too, and a longer Retry-After wins.
    assert_eq!(p.retry_delay(429, false, 0, None), Some(ms(10)));
    assert_eq!(p.retry_delay(429, false, 0, Some(ms(40))), Some(ms(40)));
    // Others: not retried.
    assert_eq!(p.retry_delay(504, true, 0, None), None);
    assert_eq!(p.retry_delay(400, true, 0, None), None);
    // The cap counts every retry of a request, whatever mix of statuses came: after 9
    // retries of 503s and 429s, one more; after 10, none.
    assert_eq!(p.retry_delay(429, true, 9, None), Some(ms(10)));
    assert_eq!(p.retry_delay(429, true, 10, None), None);
    // A 500 after a retried 503 is not retried (its one retry is spent).
    assert_eq!(p.retry_delay(500, true, 1, None), None);
    // A 429 without Retry-After waits the spec's 60 s by default.
    let d = IgniteNetOptions::default().retry_policy(&RetryPolicy::default());
    assert_eq!(
        d.retry_delay(429, true, 0, None),
        Some(Duration::from_secs(60))
    );
}
