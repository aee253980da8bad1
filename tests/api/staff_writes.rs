//! Staff writes over HTTP: authentication, parcel registration from VN-2000 or WGS 84,
//! boundary replacement with history, and refusals that change nothing.

use crate::common::{rect, TestApp};
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
/// A free spot in TM-3 105°30′ about 2 km east of the Sóc Trăng sample.
const E0: f64 = 554_000.0;
const N0: f64 = 1_061_700.0;

fn new_parcel(parcel: i32, geometry: Value) -> Value {
    json!({
        "commune": COMMUNE, "sheet": 7, "parcel": parcel, "crs": TM3_105_30,
        "geometry": geometry, "land_uses": [{"code": "ODT"}], "address": "số 1 đường thử"
    })
}

fn post(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let r = app.client.post(app.url("/parcels")).bearer_auth(token).json(body).send().unwrap();
    let status = r.status().as_u16();
    if status >= 400 {
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn officer_registers_a_vn2000_parcel_which_is_audited_and_found() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    let r = app
        .client
        .post(app.url("/parcels"))
        .bearer_auth(&token)
        .json(&new_parcel(1, rect(E0, N0, 20.0, 30.0)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created: Value = r.json().unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(location.ends_with(&format!("/parcels/{id}")));
    // Legal area in the VN-2000 plane: exactly 20 m × 30 m.
    assert_eq!(created["properties"]["legal_area_m2"], 600.0);
    assert_eq!(created["properties"]["land_uses"][0]["area_m2"], 600.0);
    assert_eq!(created["properties"]["source_crs"], TM3_105_30);
    let (status, found) = app.get_json(&format!("/parcels/lookup?commune={COMMUNE}&sheet=7&parcel=1"));
    assert_eq!(status, 200);
    assert_eq!(found["id"], id);

    // The audit log recorded it, and its hash chain is intact.
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName, Debug)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        actor: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bytea>)]
        prev_hash: Option<Vec<u8>>,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        hash: Vec<u8>,
    }
    let mut conn = app.db.conn();
    let log: Vec<A> =
        diesel::sql_query("SELECT action, actor, prev_hash, hash FROM audit_log ORDER BY id").load(&mut conn).unwrap();
    let last = log.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor.as_str()), ("parcel.create", "officer92"));
    for pair in log.windows(2) {
        assert_eq!(pair[1].prev_hash.as_deref(), Some(pair[0].hash.as_slice()), "chain broken");
    }
    // Append-only: the database refuses edits.
    assert!(diesel::sql_query("UPDATE audit_log SET actor = 'x'").execute(&mut conn).is_err());
    assert!(diesel::sql_query("DELETE FROM audit_log").execute(&mut conn).is_err());
}

#[test]
fn wgs84_input_is_measured_in_the_province_plane() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    // The same 20 m × 30 m lot, sent in WGS 84 after our own transform.
    use domain::crs::Crs;
    let crs = Crs::from_epsg(9209).unwrap();
    let corners = [(E0, N0), (E0 + 20.0, N0), (E0 + 20.0, N0 + 30.0), (E0, N0 + 30.0), (E0, N0)];
    let ring: Vec<Value> = corners
        .iter()
        .map(|&(x, y)| {
            let c = crs.point_to_wgs84(geo_types::Coord { x, y }).unwrap();
            json!([c.x, c.y])
        })
        .collect();
    let mut body = new_parcel(2, json!({"type": "Polygon", "coordinates": [ring]}));
    body.as_object_mut().unwrap().remove("crs");
    let (status, created) = post(&app, &token, &body);
    assert_eq!(status, 201, "{created}");
    // Cần Thơ's default plane is 105°00′, not the lot's 105°30′: the area differs slightly
    // from 600 m² by the scale difference between the two zones' projections.
    let area = created["properties"]["legal_area_m2"].as_f64().unwrap();
    assert!((area - 600.0).abs() < 0.5, "{area}");
}

#[test]
fn staff_endpoints_need_a_token_the_right_role_and_province() {
    let app = TestApp::spawn();
    let body = new_parcel(3, rect(E0, N0, 20.0, 30.0));
    let planner = app.token("planner92");
    let other_province = app.token("officer56");
    let before = app.row_counts();
    let r = app.client.post(app.url("/parcels")).json(&body).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(post(&app, "not-a-token", &body).0, 401);
    assert_eq!(post(&app, &planner, &body).0, 403);
    assert_eq!(post(&app, &other_province, &body).0, 403);
    assert_eq!(app.row_counts(), before);
    let r = app
        .client
        .post(app.url("/auth/token"))
        .json(&json!({"username": "officer92", "password": "wrong"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/auth/token"))
        .json(&json!({"username": "nobody", "password": "wrong"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn every_bad_input_is_refused_with_problem_json_and_writes_nothing() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    // An existing parcel to overlap with.
    let (status, _) = post(&app, &token, &new_parcel(10, rect(E0, N0, 20.0, 30.0)));
    assert_eq!(status, 201);
    let before = app.row_counts();

    let mut unknown_field = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    unknown_field["colour"] = json!("red");
    let mut unknown_land_use = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    unknown_land_use["land_uses"] = json!([{"code": "XYZ"}]);
    let mut unknown_commune = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    unknown_commune["commune"] = json!("99999");
    let mut bad_crs = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    bad_crs["crs"] = json!("http://www.opengis.net/def/crs/EPSG/0/3857");
    let mut areas_do_not_add_up = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    areas_do_not_add_up["land_uses"] = json!([{"code": "ODT", "area_m2": 100}, {"code": "CLN", "area_m2": 100}]);
    let mut degrees_as_metres = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
    degrees_as_metres.as_object_mut().unwrap().remove("crs");

    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "bow-tie",
            new_parcel(
                11,
                json!({"type": "Polygon", "coordinates": [[[E0 + 100.0, N0], [E0 + 120.0, N0 + 30.0], [E0 + 120.0, N0], [E0 + 100.0, N0 + 30.0], [E0 + 100.0, N0]]]}),
            ),
            422,
            "/geometry/coordinates",
        ),
        (
            "unclosed ring",
            new_parcel(
                11,
                json!({"type": "Polygon", "coordinates": [[[E0 + 100.0, N0], [E0 + 120.0, N0], [E0 + 120.0, N0 + 30.0], [E0 + 100.0, N0 + 30.0]]]}),
            ),
            422,
            "/geometry/coordinates/0",
        ),
        ("not polygonal", new_parcel(11, json!({"type": "Point", "coordinates": [E0, N0]})), 422, "/geometry/type"),
        ("bad GeoJSON", new_parcel(11, json!({"type": "Polygon", "coordinates": "nowhere"})), 422, "/geometry"),
        (
            "hole outside shell",
            new_parcel(
                11,
                json!({"type": "Polygon", "coordinates": [
            [[E0 + 100.0, N0], [E0 + 120.0, N0], [E0 + 120.0, N0 + 30.0], [E0 + 100.0, N0 + 30.0], [E0 + 100.0, N0]],
            [[E0 + 200.0, N0], [E0 + 201.0, N0], [E0 + 201.0, N0 + 1.0], [E0 + 200.0, N0]]]}),
            ),
            422,
            "/geometry/coordinates",
        ),
        ("unknown CRS", bad_crs, 422, "/crs"),
        ("metres labelled as degrees", degrees_as_metres, 422, "/geometry/coordinates"),
        ("unknown field", unknown_field, 400, ""),
        ("unknown land use", unknown_land_use, 422, "/land_uses"),
        ("unknown commune", unknown_commune, 422, "/commune"),
        ("areas do not add up", areas_do_not_add_up, 422, "/land_uses"),
        (
            "negative sheet",
            {
                let mut b = new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0));
                b["sheet"] = json!(-1);
                b
            },
            422,
            "/sheet",
        ),
        ("duplicate number", new_parcel(10, rect(E0 + 100.0, N0, 20.0, 30.0)), 409, "/parcel"),
        ("5 m² overlap", new_parcel(11, rect(E0 + 19.5, N0, 20.0, 10.0)), 409, "/geometry"),
    ];
    for (name, body, status, pointer) in cases {
        let (got, problem) = post(&app, &token, &body);
        assert_eq!(got, status, "{name}: {problem}");
        assert_eq!(problem["status"], status, "{name}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{name}: {problem}");
        assert_eq!(app.row_counts(), before, "{name} wrote something");
    }
    // The bow-tie's crossing is reported so a map can show it.
    let (_, bow) = post(
        &app,
        &token,
        &new_parcel(
            11,
            json!({"type": "Polygon", "coordinates": [[[E0 + 100.0, N0], [E0 + 120.0, N0 + 30.0], [E0 + 120.0, N0], [E0 + 100.0, N0 + 30.0], [E0 + 100.0, N0]]]}),
        ),
    );
    assert_eq!(bow["errors"][0]["detail"]["location"]["coordinates"], json!([E0 + 110.0, N0 + 15.0]));
    // The overlap says with whom and how much.
    let (_, overlap) = post(&app, &token, &new_parcel(11, rect(E0 + 19.5, N0, 20.0, 10.0)));
    let area = overlap["errors"][0]["detail"]["area_m2"].as_f64().unwrap();
    assert!((area - 5.0).abs() < 0.05, "{area}");

    // Malformed JSON and an unknown query parameter.
    let r = app
        .client
        .post(app.url("/parcels"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = app
        .client
        .post(app.url("/parcels?dry_run=1"))
        .bearer_auth(&token)
        .json(&new_parcel(11, rect(E0 + 100.0, N0, 20.0, 30.0)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(app.row_counts(), before);
}

#[test]
fn a_sliver_below_tolerance_is_accepted() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    assert_eq!(post(&app, &token, &new_parcel(20, rect(E0, N0, 20.0, 30.0))).0, 201);
    // Overlaps the first by 2 mm × 30 m = 0.06 m² (< 0.1 m²): a digitising sliver.
    let (status, body) = post(&app, &token, &new_parcel(21, rect(E0 + 19.998, N0, 20.0, 30.0)));
    assert_eq!(status, 201, "{body}");
}

#[test]
fn outside_the_commune_boundary_is_refused() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    // Phường Sóc Trăng has a (synthetic) boundary; this lot is 2 km east of it.
    let mut body = new_parcel(1, rect(E0, N0, 20.0, 30.0));
    body["commune"] = json!("31507");
    body["sheet"] = json!(99);
    let before = app.row_counts();
    let (status, problem) = post(&app, &token, &body);
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("outside commune 31507"));
    assert_eq!(app.row_counts(), before);
}

#[test]
fn a_parcel_too_far_from_its_zones_meridian_is_refused() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    // 108.9°E, 15°N (Quảng Ngãi, inside Vietnam) read in EPSG:5897 (central meridian 105°):
    // the easting passes the 900 km of R1's range, so every certificate check would fail it.
    // The commune has no boundary on record, so only the range stands in the way.
    use domain::crs::Crs;
    let c = Crs::from_epsg(5897).unwrap().point_from_wgs84(geo_types::Coord { x: 108.9, y: 15.0 }).unwrap();
    assert!(c.x > domain::checks::VN2000_PLANE_RANGE[2], "{c:?}");
    let mut body = new_parcel(30, rect(c.x, c.y, 20.0, 30.0));
    body["crs"] = json!("http://www.opengis.net/def/crs/EPSG/0/5897");
    let before = app.row_counts();
    let (status, problem) = post(&app, &token, &body);
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["status"], 422);
    let error = &problem["errors"][0];
    assert_eq!(error["pointer"], "/geometry/coordinates", "{problem}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("EPSG:5897") && message.contains("central meridian"), "{problem}");
    let at = &error["detail"]["location"]["coordinates"];
    assert!(at[0].as_f64().unwrap() > domain::checks::VN2000_PLANE_RANGE[2], "{problem}");
    assert_eq!(app.row_counts(), before, "nothing is registered");
}

#[test]
fn replacing_the_boundary_closes_the_old_version_and_keeps_history() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    let (_, created) = post(&app, &token, &new_parcel(30, rect(E0, N0, 20.0, 30.0)));
    let id = created["id"].as_str().unwrap().to_string();
    let change = json!({"crs": TM3_105_30, "geometry": rect(E0, N0, 20.0, 31.0), "reason": "đo đạc lại (re-survey)"});
    let r =
        app.client.put(app.url(&format!("/parcels/{id}/geometry"))).bearer_auth(&token).json(&change).send().unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().unwrap();
    assert_eq!(updated["id"], id.as_str(), "the national id is kept");
    assert_eq!(updated["properties"]["version"], 2);
    assert_eq!(updated["properties"]["legal_area_m2"], 620.0);
    let (_, history) = app.get_json(&format!("/parcels/{id}/history"));
    let versions = history["features"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0]["properties"]["valid_to"].is_string(), "old version closed");
    assert!(versions[1]["properties"]["valid_to"].is_null());
    assert_eq!(versions[1]["properties"]["change_reason"], "đo đạc lại (re-survey)");

    // A bad replacement changes nothing.
    let before = app.row_counts();
    let bad = json!({"crs": TM3_105_30, "geometry": {"type": "Polygon", "coordinates": [[[E0, N0], [E0 + 20.0, N0 + 30.0], [E0 + 20.0, N0], [E0, N0 + 30.0], [E0, N0]]]}, "reason": "x"});
    let r = app.client.put(app.url(&format!("/parcels/{id}/geometry"))).bearer_auth(&token).json(&bad).send().unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.row_counts(), before);
}

#[test]
fn split_into_an_exact_partition_then_merge_back() {
    let app = TestApp::spawn();
    let token = app.token("officer92");
    let (_, created) = post(&app, &token, &new_parcel(40, rect(E0, N0, 20.0, 30.0)));
    let id = created["id"].as_str().unwrap().to_string();
    // Give it holders, as a registered parcel has.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.db.conn();
        diesel::sql_query(format!(
            "WITH p AS (INSERT INTO parties (kind, full_name) VALUES ('person', 'Võ Văn Kiệt Thử') RETURNING id), \
                  r AS (INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document) \
                        SELECT 'use_right', v.parcel_id, v.id, 'sole', 'test' FROM parcel_versions v JOIN parcels x ON x.id = v.parcel_id \
                         WHERE x.national_id = '{id}' AND v.valid_to IS NULL RETURNING id) \
             INSERT INTO rrr_shares (rrr_id, party_id, share) SELECT r.id, p.id, 1 FROM r, p"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let split = |parts: Value| {
        app.client
            .post(app.url(&format!("/parcels/{id}/split")))
            .bearer_auth(&token)
            .json(&json!({"crs": TM3_105_30, "reason": "chia cho con", "parts": parts}))
            .send()
            .unwrap()
    };
    let part =
        |n: i32, x: f64, w: f64| json!({"parcel": n, "geometry": rect(x, N0, w, 30.0), "land_uses": [{"code": "ODT"}]});

    // Refusals change nothing: a gap between the parts, a part below the minimum area.
    let before = app.row_counts();
    let r = split(json!([part(41, E0, 9.0), part(42, E0 + 10.0, 10.0)]));
    assert_eq!(r.status(), 422, "a 1 m × 30 m gap");
    let r = split(json!([part(41, E0, 1.0), part(42, E0 + 1.0, 19.0)]));
    assert_eq!(r.status(), 422, "30 m² is below the (placeholder) minimum of 40 m²");
    assert_eq!(app.row_counts(), before);

    let r = split(json!([part(41, E0, 8.0), part(42, E0 + 8.0, 12.0)]));
    assert_eq!(r.status(), 201);
    let result: Value = r.json().unwrap();
    let parts = result["parcels"].as_array().unwrap();
    let areas: Vec<f64> = parts.iter().map(|p| p["properties"]["legal_area_m2"].as_f64().unwrap()).collect();
    assert_eq!(areas, [240.0, 360.0]);
    assert_eq!(app.get_json(&format!("/parcels/{id}")).0, 404, "the old parcel is retired");
    let (_, history) = app.get_json(&format!("/parcels/{id}/history"));
    assert!(history["features"][0]["properties"]["valid_to"].is_string());
    let (_, first) = app.get_json(&format!("/parcels/{}", parts[0]["id"].as_str().unwrap()));
    assert_eq!(first["properties"]["holders"][0]["name"], "Võ V. K. T.", "the holders follow the land");

    // Merge the two parts back: adjacent, same holders.
    let ids: Vec<&str> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let r = app
        .client
        .post(app.url("/parcels/merge"))
        .bearer_auth(&token)
        .json(&json!({"parcels": ids, "parcel": 43, "reason": "hợp lại"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let merged: Value = r.json().unwrap();
    assert_eq!(merged["parcel"]["properties"]["legal_area_m2"], 600.0);
    // Parcels that do not touch cannot be merged.
    let (_, far) = post(&app, &token, &new_parcel(44, rect(E0 + 100.0, N0, 20.0, 30.0)));
    let before = app.row_counts();
    let r = app
        .client
        .post(app.url("/parcels/merge"))
        .bearer_auth(&token)
        .json(&json!({"parcels": [merged["parcel"]["id"], far["id"]], "parcel": 45, "reason": "x"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.row_counts(), before);
}
