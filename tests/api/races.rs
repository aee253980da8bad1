//! Races the database settles: concurrent overlapping registrations in one commune (the
//! commune's placement lock serialises the overlap check: one 201, the rest 409) and
//! concurrent boundary edits of one parcel (the parcel's row lock and version check: 200s and
//! 409s, never a 500, and a version history without gaps or two current versions).

use crate::common::scalar as count;
use crate::common::{rect, TestApp};
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
/// A free spot in TM-3 105°30′ about 2 km east of the Sóc Trăng sample.
const E0: f64 = 554_000.0;
const N0: f64 = 1_061_700.0;
/// Requests sent at once (the test server's pool has 8 connections).
const THREADS: usize = 8;

/// Sends `THREADS` requests at once (released together by a barrier); statuses and bodies.
fn at_once(
    app: &TestApp,
    send: impl Fn(usize, &reqwest::blocking::Client) -> reqwest::blocking::Response + Sync,
) -> Vec<(u16, Value)> {
    let barrier = std::sync::Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (client, barrier, send) = (app.client.clone(), &barrier, &send);
                s.spawn(move || {
                    barrier.wait();
                    let r = send(i, &client);
                    (r.status().as_u16(), r.json::<Value>().unwrap_or(Value::Null))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_overlapping_registrations_give_one_parcel() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    // Different parcel numbers (the unique key cannot help), each rectangle shifted 1 m from
    // the last: every pair overlaps by far more than the sliver tolerance.
    let results = at_once(&app, |i, client| {
        let body = json!({
            "commune": COMMUNE, "sheet": 40, "parcel": 100 + i as i32, "crs": TM3_105_30,
            "geometry": rect(E0 + i as f64, N0, 20.0, 30.0), "land_uses": [{"code": "ODT"}]
        });
        client.post(app.url("/parcels")).bearer_auth(&token).json(&body).send().unwrap()
    });
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    println!("{THREADS} overlapping registrations: {statuses:?}");
    let created = statuses.iter().filter(|s| **s == 201).count();
    let conflicts = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((created, conflicts), (1, THREADS - 1), "{results:?}");
    for (_, body) in results.iter().filter(|(s, _)| *s == 409) {
        assert!(body["detail"].as_str().unwrap().contains("overlaps"), "{body}");
    }
    let current = count(
        &app,
        &format!(
            "SELECT count(*) AS n FROM parcel_versions v JOIN admin_units c ON c.id = v.commune_id \
             WHERE c.code = '{COMMUNE}' AND v.valid_to IS NULL"
        ),
    );
    assert_eq!(current, 1, "one current parcel where the requests overlapped");
}

#[test]
fn concurrent_boundary_edits_of_one_parcel_never_fail_or_fork_the_history() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    let (status, created) = app.post_json(
        &token,
        "/parcels",
        &json!({
            "commune": COMMUNE, "sheet": 41, "parcel": 1, "crs": TM3_105_30,
            "geometry": rect(E0, N0 + 200.0, 20.0, 30.0), "land_uses": [{"code": "ODT"}]
        }),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let results = at_once(&app, |i, client| {
        let change = json!({
            "crs": TM3_105_30, "geometry": rect(E0, N0 + 200.0, 20.0, 31.0 + i as f64),
            "reason": format!("đo đạc lại lần {i}")
        });
        client.put(app.url(&format!("/parcels/{id}/geometry"))).bearer_auth(&token).json(&change).send().unwrap()
    });
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    println!("{THREADS} concurrent edits of one parcel: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{results:?}");
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 1, "{results:?}");
    assert!(ok < THREADS, "edits made against a version that was replaced meanwhile are refused: {results:?}");
    for (_, body) in results.iter().filter(|(s, _)| *s == 409) {
        assert!(body["detail"].as_str().unwrap().contains("changed by another request"), "{body}");
    }
    // Each accepted edit made one version; one is current; numbers have no gaps.
    let of_parcel = format!("FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id WHERE p.national_id = '{id}'");
    assert_eq!(count(&app, &format!("SELECT count(*) AS n {of_parcel}")), 1 + ok as i64);
    assert_eq!(count(&app, &format!("SELECT count(*) AS n {of_parcel} AND v.valid_to IS NULL")), 1);
    assert_eq!(count(&app, &format!("SELECT max(v.version)::bigint AS n {of_parcel}")), 1 + ok as i64);
    let (_, current) = app.get_json(&format!("/parcels/{id}"));
    assert_eq!(current["properties"]["version"], 1 + ok as i64);
}
