//! Planning over real HTTP against a real PostGIS: plans and zone imports (roles, one
//! transaction, every bad feature reported), the planning impact of parcels (checked against
//! PostGIS), the planning-zones OGC collection, and OGC API – Features Part 2 CRS handling for
//! every collection (checked against the foundation's VN-2000 transform and PostGIS).

use std::process::Command;

use crate::common::{rect, TestApp};
use diesel::RunQueryDsl;
use domain::crs::Crs;
use geo_types::Coord;
use serde_json::{json, Value};

const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
/// Around the Sóc Trăng sample commune (31507): CRS84 and its TM-3 105°30′ boundary box.
const SOC_TRANG_BBOX: &str = "105.97,9.599,105.977,9.602";
const SOC_TRANG_VN2000: [f64; 4] = [551_544.208, 1_061_653.7, 552_095.843, 1_061_851.076];

fn zone(code: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"land_use": code, "name": "vùng thử"}, "geometry": geometry})
}

fn post(app: &TestApp, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
    let mut r = app.client.post(app.url(path)).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    if status >= 400 {
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
    }
    (status, r.json().unwrap_or(Value::Null))
}

fn new_plan(unit: &str, status: &str) -> Value {
    let mut plan = json!({
        "level": "commune", "unit": unit, "name": "Quy hoạch thử nghiệm", "period_start": 2021, "period_end": 2030,
        "status": status,
    });
    if status != "draft" {
        plan["decision_no"] = json!("123/QĐ-UBND");
        plan["decision_date"] = json!("2024-05-02");
    }
    plan
}

fn draft_plan(app: &TestApp, token: &str) -> i64 {
    let (status, plan) = post(app, Some(token), "/planning/plans", &new_plan("31507", "draft"));
    assert_eq!(status, 201, "{plan}");
    plan["id"].as_i64().unwrap()
}

#[derive(diesel::QueryableByName, Debug)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn a_planner_creates_a_plan_imports_vn2000_zones_and_approves_it() {
    let app = TestApp::spawn();
    let token = app.token("planner92");
    let r = app
        .client
        .post(app.url("/planning/plans"))
        .bearer_auth(&token)
        .json(&new_plan("31507", "draft"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let plan: Value = r.json().unwrap();
    let id = plan["id"].as_i64().unwrap();
    assert!(location.ends_with(&format!("/planning/plans/{id}")));
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["unit"]["province_code"], "92");
    assert_eq!(plan["period"], json!({"start": 2021, "end": 2030}));

    // Two zones in VN-2000 TM-3 105°30′ sharing an edge (no overlap), 50 m × 50 m each.
    let body = json!({"type": "FeatureCollection", "crs": TM3_105_30, "features": [
        zone("ODT", rect(551_600.0, 1_061_700.0, 50.0, 50.0)),
        zone("DGT", rect(551_650.0, 1_061_700.0, 50.0, 50.0)),
    ]});
    let (status, imported) = post(&app, Some(&token), &format!("/planning/plans/{id}/zones"), &body);
    assert_eq!(status, 201, "{imported}");
    assert_eq!(imported["imported"], 2);
    // Ellipsoidal area of a 50 m square of the TM-3 plane (scale factor ≈ 0.9999 + a little).
    let area = imported["zones"][0]["area_m2"].as_f64().unwrap();
    assert!((area - 2500.0).abs() < 2.0, "{area}");

    // A draft plan's zones are not in the default collection. Under ?plan= its planners see them
    // (a bearer token on the public route); to anyone else a draft is as absent as an unknown plan.
    let (_, all) = app.get_json("/collections/planning-zones/items?limit=1000");
    assert!(all["features"].as_array().unwrap().iter().all(|f| f["properties"]["plan_id"] != id));
    let as_staff = |path: &str, token: &str| -> (u16, Value) {
        let r = app.client.get(app.url(path)).bearer_auth(token).send().unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    };
    let (_, anonymous) = app.get_json(&format!("/collections/planning-zones/items?plan={id}"));
    assert_eq!(anonymous["numberMatched"], 0, "drafts are not public: {anonymous}");
    let (_, unknown) = app.get_json("/collections/planning-zones/items?plan=999999");
    assert_eq!(unknown["numberMatched"], anonymous["numberMatched"], "a hidden draft looks like an unknown plan");
    assert_eq!(app.get(&format!("/planning/plans/{id}")).status(), 404);
    assert_eq!(as_staff(&format!("/planning/plans/{id}"), &app.token("officer92")).0, 404, "not a planner");
    let (status, draft) = as_staff(&format!("/planning/plans/{id}"), &token);
    assert_eq!((status, draft["status"].as_str()), (200, Some("draft")), "{draft}");
    let (_, mine) = as_staff(&format!("/collections/planning-zones/items?plan={id}"), &token);
    let zone_id = mine["features"][0]["id"].clone();
    assert_eq!(app.get(&format!("/collections/planning-zones/items/{zone_id}")).status(), 404);
    assert_eq!(as_staff(&format!("/collections/planning-zones/items/{zone_id}"), &token).0, 200);
    assert_eq!(app.client.get(app.url("/planning/plans/1")).bearer_auth("not-a-token").send().unwrap().status(), 401);
    assert_eq!(mine["numberMatched"], 2);
    assert_eq!(mine["features"][1]["properties"]["land_use"], "DGT");
    assert_eq!(mine["features"][1]["properties"]["source_crs"], TM3_105_30);

    // Approving needs the decision; it supersedes the commune's (sample) approved plan.
    let (status, refused) =
        post(&app, Some(&token), &format!("/planning/plans/{id}/status"), &json!({"status": "approved"}));
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["pointer"], "/decision_no");
    let (status, approved) = post(
        &app,
        Some(&token),
        &format!("/planning/plans/{id}/status"),
        &json!({"status": "approved", "decision_no": "45/QĐ-UBND", "decision_date": "2025-01-15"}),
    );
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let superseded = approved["superseded"].as_array().unwrap();
    assert_eq!(superseded.len(), 1, "the sample plan of 31507 is superseded");
    let (_, old) = app.get_json(&format!("/planning/plans/{}", superseded[0]));
    assert_eq!(old["status"], "superseded");
    let (status, _) = post(&app, Some(&token), &format!("/planning/plans/{}/zones", superseded[0]), &body);
    assert_eq!(status, 409, "a superseded plan takes no zones");
    let (status, _) = post(&app, Some(&token), &format!("/planning/plans/{id}/status"), &json!({"status": "approved"}));
    assert_eq!(status, 409, "already approved");

    // Audited: plan creation, zone import, supersession and approval.
    let mut conn = app.db.conn();
    let n: N =
        diesel::sql_query("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'planning.%' AND actor = 'planner92'")
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(n.n, 4);
}

#[test]
fn a_bad_import_lists_every_bad_feature_and_writes_nothing() {
    let app = TestApp::spawn();
    let token = app.token("planner92");
    let id = draft_plan(&app, &token);
    let before = app.row_counts();
    let body = json!({"type": "FeatureCollection", "crs": TM3_105_30, "features": [
        zone("ODT", rect(551_600.0, 1_061_700.0, 50.0, 50.0)),
        zone("ODT", json!({"type": "Polygon", "coordinates": [[[551_600.0, 1_061_700.0], [551_650.0, 1_061_750.0], [551_650.0, 1_061_700.0], [551_600.0, 1_061_750.0], [551_600.0, 1_061_700.0]]]})),
        zone("XYZ", rect(551_700.0, 1_061_700.0, 20.0, 20.0)),
        json!({"type": "Feature", "properties": {}, "geometry": rect(551_720.0, 1_061_700.0, 20.0, 20.0)}),
        json!({"type": "Featur", "properties": {"land_use": "ODT"}, "geometry": rect(551_740.0, 1_061_700.0, 20.0, 20.0)}),
        zone("ODT", rect(554_000.0, 1_061_700.0, 20.0, 20.0)),
        zone("dgt", rect(551_760.0, 1_061_700.0, 20.0, 20.0)),
        zone("ODT", json!({"type": "Point", "coordinates": [551_800.0, 1_061_700.0]})),
        zone("ODT", json!({"type": "Polygon", "coordinates": [[[551_800.0, 1_061_700.0], [551_820.0, 1_061_700.0], [551_820.0, 1_061_720.0]]]})),
    ]});
    let (status, problem) = post(&app, Some(&token), &format!("/planning/plans/{id}/zones"), &body);
    assert_eq!(status, 422, "{problem}");
    let errors = problem["errors"].as_array().unwrap();
    let mut bad: Vec<u64> = errors.iter().map(|e| e["detail"]["index"].as_u64().unwrap()).collect();
    bad.dedup();
    assert_eq!(bad, [1, 2, 3, 4, 5, 6, 7, 8], "{problem:#}");
    for e in errors {
        let index = e["detail"]["index"].as_u64().unwrap();
        assert!(e["pointer"].as_str().unwrap().starts_with(&format!("/features/{index}")), "{e}");
        assert!(e["message"].as_str().unwrap().starts_with(&format!("feature {index}: ")), "{e}");
    }
    let message =
        |i: u64| errors.iter().find(|e| e["detail"]["index"] == i).unwrap()["message"].as_str().unwrap().to_string();
    assert!(message(1).contains("not OGC-valid"), "{}", message(1));
    assert!(message(2).contains("unknown land-use code 'XYZ'"), "{}", message(2));
    assert!(message(3).contains("missing"), "{}", message(3));
    assert!(message(5).contains("outside 31507"), "{}", message(5));
    assert_eq!(app.row_counts(), before, "nothing written");

    // Overlapping zones of one plan are refused too (a point has one planned use).
    let overlapping = json!({"type": "FeatureCollection", "crs": TM3_105_30, "features": [
        zone("ODT", rect(551_600.0, 1_061_700.0, 50.0, 50.0)),
        zone("DGT", rect(551_640.0, 1_061_700.0, 50.0, 50.0)),
    ]});
    let (status, problem) = post(&app, Some(&token), &format!("/planning/plans/{id}/zones"), &overlapping);
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/features/1/geometry");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("overlaps feature 0"), "{problem}");
    assert_eq!(app.row_counts(), before, "nothing written");

    // Malformed requests.
    for (body, status) in [
        (json!({"type": "Feature", "features": []}), 422),
        (json!({"type": "FeatureCollection", "features": []}), 422),
        (
            json!({"type": "FeatureCollection", "crs": "EPSG:3857", "features": [zone("ODT", rect(0.0, 0.0, 1.0, 1.0))]}),
            422,
        ),
        (json!({"type": "FeatureCollection", "features": [], "colour": "red"}), 400),
    ] {
        let (got, problem) = post(&app, Some(&token), &format!("/planning/plans/{id}/zones"), &body);
        assert_eq!(got, status, "{body}: {problem}");
    }
    let (status, _) = post(&app, Some(&token), "/planning/plans/999999/zones", &overlapping);
    assert_eq!(status, 404);
    assert_eq!(app.row_counts(), before, "nothing written");
}

#[test]
fn plans_are_for_planners_of_their_province() {
    let app = TestApp::spawn();
    let plan = new_plan("31507", "draft");
    assert_eq!(post(&app, None, "/planning/plans", &plan).0, 401);
    assert_eq!(post(&app, Some(&app.token("officer92")), "/planning/plans", &plan).0, 403);
    assert_eq!(
        post(&app, Some(&app.token("planner92")), "/planning/plans", &new_plan("22366", "draft")).0,
        403,
        "Khánh Hòa is not Cần Thơ"
    );
    assert_eq!(post(&app, Some(&app.token("admin")), "/planning/plans", &new_plan("22366", "draft")).0, 201);
    let planner = app.token("planner92");
    let id = draft_plan(&app, &planner);
    let body = json!({"type": "FeatureCollection", "features": [zone("ODT", rect(105.972, 9.6005, 0.0003, 0.0003))]});
    assert_eq!(post(&app, Some(&app.token("officer92")), &format!("/planning/plans/{id}/zones"), &body).0, 403);
    let (status, imported) = post(&app, Some(&planner), &format!("/planning/plans/{id}/zones"), &body);
    assert_eq!(status, 201, "WGS 84 zones by default: {imported}");
    assert_eq!(imported["source_crs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
}

#[test]
fn plan_fields_are_checked() {
    let app = TestApp::spawn();
    let token = app.token("planner92");
    let (status, problem) = post(
        &app,
        Some(&token),
        "/planning/plans",
        &json!({
            "level": "district", "unit": "31507", "name": " ", "period_start": 2030, "period_end": 2021, "status": "approved",
        }),
    );
    assert_eq!(status, 422);
    let pointers: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/level", "/name", "/period_end", "/decision_no"], "{problem}");
    let (status, problem) = post(&app, Some(&token), "/planning/plans", &new_plan("99999", "draft"));
    assert_eq!((status, problem["errors"][0]["pointer"].as_str()), (422, Some("/unit")));
    // The sample plan of 31507 is approved: a second approved plan is a conflict.
    let (status, problem) = post(&app, Some(&token), "/planning/plans", &new_plan("31507", "approved"));
    assert_eq!(status, 409, "{problem}");
    let mut extra = new_plan("31507", "draft");
    extra["colour"] = json!("red");
    assert_eq!(post(&app, Some(&token), "/planning/plans", &extra).0, 400);
    let (status, _) = app.get_json("/planning/plans/abc");
    assert_eq!(status, 404);
}

#[derive(diesel::QueryableByName, Debug)]
struct Crossed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    national_id: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    area_m2: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    parcel_area_m2: f64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    uses: String,
}

#[test]
fn the_planned_road_shows_up_in_the_planning_of_the_parcels_it_crosses() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    // What PostGIS says the sample road (DGT) of the Sóc Trăng plan takes from each parcel.
    let crossed: Vec<Crossed> = diesel::sql_query(
        "SELECT p.national_id, ST_Area(ST_Intersection(z.geom, v.geom)::geography) AS area_m2, \
                ST_Area(v.geom::geography) AS parcel_area_m2, \
                (SELECT string_agg(land_use_code, ',') FROM parcel_land_uses WHERE parcel_version_id = v.id) AS uses \
           FROM planning_zones z JOIN planning_plans pl ON pl.id = z.plan_id AND pl.status = 'approved' \
           JOIN admin_units u ON u.id = pl.admin_unit_id AND u.code = '31507' \
           JOIN parcel_versions v ON v.valid_to IS NULL AND ST_Intersects(z.geom, v.geom) \
           JOIN parcels p ON p.id = v.parcel_id \
          WHERE z.land_use_code = 'DGT' AND ST_Area(ST_Intersection(z.geom, v.geom)::geography) > 0.1 ORDER BY p.id",
    )
    .load(&mut conn)
    .unwrap();
    let residential = crossed.iter().filter(|c| c.uses.contains("ODT")).count();
    assert!(residential >= 10, "the planned road crosses residential parcels: {residential}");
    eprintln!(
        "the sample road crosses {} parcels ({residential} residential); first: {:?}",
        crossed.len(),
        crossed.first()
    );
    for c in &crossed {
        let (status, impact) = app.get_json(&format!("/parcels/{}/planning", c.national_id));
        assert_eq!(status, 200);
        assert!(impact["area_basis"].as_str().unwrap().starts_with("ellipsoid"));
        let road = impact["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["land_use"] == "DGT")
            .unwrap_or_else(|| panic!("{impact:#}"));
        let area = road["area_m2"].as_f64().unwrap();
        assert!((area - c.area_m2).abs() <= 0.05 + 1e-9, "{}: {area} vs ST_Area {}", c.national_id, c.area_m2);
        let percent = road["percent"].as_f64().unwrap();
        assert!((percent - 100.0 * c.area_m2 / c.parcel_area_m2).abs() <= 0.005 + 1e-9, "{percent}");
        assert_eq!(road["conflicts_with_current"], !c.uses.split(',').any(|u| u == "DGT"));
        assert_eq!(impact["in_conflict"], true);
        assert_eq!(impact["plans"][0]["status"], "approved");
        // The zones of one plan partition the commune: together they cover the whole parcel.
        let total: f64 = impact["zones"].as_array().unwrap().iter().map(|z| z["percent"].as_f64().unwrap()).sum();
        assert!((total - 100.0).abs() < 0.1, "{total}: {impact:#}");
    }
    // A parcel the road misses has no DGT zone.
    let (_, page) = app.get_json(&format!("/collections/parcels/items?bbox={SOC_TRANG_BBOX}&limit=1000"));
    let missed = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .find(|id| !crossed.iter().any(|c| c.national_id == *id))
        .unwrap();
    let (_, impact) = app.get_json(&format!("/parcels/{missed}/planning"));
    assert!(impact["zones"].as_array().unwrap().iter().all(|z| z["land_use"] != "DGT"), "{impact}");
    // Errors.
    assert_eq!(app.get_json("/parcels/not-a-geohash/planning").0, 400);
    assert_eq!(app.get_json("/parcels/s00000000000/planning").0, 404);
    assert_eq!(app.get_json(&format!("/parcels/{missed}/planning?x=1")).0, 400);
}

fn positions(geometry: &Value) -> Vec<(f64, f64)> {
    fn walk(v: &Value, out: &mut Vec<(f64, f64)>) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => {
                out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()))
            }
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    let mut out = Vec::new();
    walk(&geometry["coordinates"], &mut out);
    out
}

fn get_with_headers(app: &TestApp, path: &str) -> (u16, String, Value) {
    let r = app.get(path);
    let status = r.status().as_u16();
    let crs = r.headers().get("content-crs").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, crs, r.json().unwrap())
}

#[test]
fn items_in_a_vn2000_crs_agree_with_the_foundation_transform_within_a_centimetre() {
    let app = TestApp::spawn();
    let zone = Crs::from_epsg(9209).unwrap();
    for collection in ["parcels", "planning-zones"] {
        let base = format!("/collections/{collection}/items?bbox={SOC_TRANG_BBOX}&limit=1000");
        let (_, crs84, wgs) = get_with_headers(&app, &base);
        assert_eq!(crs84, "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
        let (status, crs, vn) = get_with_headers(&app, &format!("{base}&crs={TM3_105_30}"));
        assert_eq!(status, 200);
        assert_eq!(crs, format!("<{TM3_105_30}>"));
        let (a, b) = (wgs["features"].as_array().unwrap(), vn["features"].as_array().unwrap());
        assert!(!a.is_empty() && a.len() == b.len(), "{collection}");
        let mut worst = 0.0f64;
        for (fw, fv) in a.iter().zip(b) {
            assert_eq!(fw["id"], fv["id"]);
            for (w, v) in positions(&fw["geometry"]).into_iter().zip(positions(&fv["geometry"])) {
                // Easting, northing (the EPSG axis order of the TM-3 zones).
                let ours = zone.point_from_wgs84(Coord { x: w.0, y: w.1 }).unwrap();
                worst = worst.max((ours.x - v.0).hypot(ours.y - v.1));
            }
        }
        assert!(worst < 0.01, "{collection}: {worst} m");
        eprintln!("{collection}: worst disagreement with domain::crs over {} features: {worst:.2e} m", a.len());
    }

    // And against the sample file the zones were imported from, in TM-3 105°30′: every vertex
    // comes back where it was surveyed.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::repo_dir().join("sample-data/planning/92-31507.geojson")).unwrap(),
    )
    .unwrap();
    assert_eq!(file["crs"], TM3_105_30);
    let (_, page) = app.get_json(&format!("/collections/planning-zones/items?bbox={SOC_TRANG_BBOX}"));
    let plan = page["features"][0]["properties"]["plan_id"].as_i64().unwrap();
    let (_, vn) = app.get_json(&format!("/collections/planning-zones/items?plan={plan}&crs={TM3_105_30}"));
    let served = vn["features"].as_array().unwrap();
    let surveyed = file["features"].as_array().unwrap();
    assert_eq!(served.len(), surveyed.len());
    let mut worst = 0.0f64;
    for (s, f) in served.iter().zip(surveyed) {
        assert_eq!(s["properties"]["land_use"], f["properties"]["land_use"]);
        let (ps, pf) = (positions(&s["geometry"]), positions(&f["geometry"]));
        assert_eq!(ps.len(), pf.len());
        for (a, b) in ps.iter().zip(&pf) {
            worst = worst.max((a.0 - b.0).hypot(a.1 - b.1));
        }
    }
    assert!(worst < 0.01, "round trip through storage: {worst} m");
    eprintln!("sample zones, surveyed vs served in TM-3 105°30′: worst {worst:.2e} m");
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[test]
fn epsg_4326_is_latitude_first_and_3857_matches_postgis() {
    let app = TestApp::spawn();
    let (_, crs84) = app.get_json("/collections/planning-zones/items?limit=1");
    let id = crs84["features"][0]["id"].as_i64().unwrap();
    let (status, crs, lat_lon) =
        get_with_headers(&app, &format!("/collections/planning-zones/items/{id}?crs={EPSG_4326}"));
    assert_eq!((status, crs), (200, format!("<{EPSG_4326}>")));
    for (a, b) in positions(&crs84["features"][0]["geometry"]).into_iter().zip(positions(&lat_lon["geometry"])) {
        assert_eq!((a.1, a.0), b, "EPSG:4326 is latitude, longitude");
    }
    let (status, crs, mercator) =
        get_with_headers(&app, &format!("/collections/planning-zones/items/{id}?crs={EPSG_3857}"));
    assert_eq!((status, crs.as_str()), (200, format!("<{EPSG_3857}>").as_str()));
    let mut conn = app.db.conn();
    let reference: Text = diesel::sql_query(format!(
        "SELECT ST_AsGeoJSON(ST_Transform(geom, 3857), 4) AS t FROM planning_zones WHERE id = {id}"
    ))
    .get_result(&mut conn)
    .unwrap();
    let reference: Value = serde_json::from_str(&reference.t).unwrap();
    for (a, b) in positions(&mercator["geometry"]).into_iter().zip(positions(&reference)) {
        assert!((a.0 - b.0).hypot(a.1 - b.1) < 0.005, "{a:?} vs PostGIS {b:?}");
    }
    // bbox-crs: the same box in EPSG:4326 (lat, lon) and in TM-3 105°30′ selects the sample.
    let [x0, y0, x1, y1] = SOC_TRANG_VN2000;
    for query in [
        "bbox=9.599,105.97,9.602,105.977&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326".to_string(),
        format!("bbox={x0},{y0},{x1},{y1}&bbox-crs={TM3_105_30}"),
        format!("bbox={SOC_TRANG_BBOX}&bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84"),
    ] {
        let (status, page) = app.get_json(&format!("/collections/parcels/items?{query}&limit=1"));
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(page["numberMatched"], 240, "{query}");
        let next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").unwrap()["href"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(next.contains("bbox-crs="), "the next link keeps bbox-crs: {next}");
    }
    let (_, communes) = app.get_json(&format!("/collections/communes/items/31507?crs={TM3_105_30}"));
    let first = positions(&communes["geometry"])[0];
    assert!((first.0 - x1).abs() < 0.01 || (first.0 - x0).abs() < 0.01, "{first:?}");
}

#[test]
fn crs_parameters_are_checked_and_advertised() {
    let app = TestApp::spawn();
    for (path, parameter) in [
        ("/collections/parcels/items?crs=EPSG:9999", "crs"),
        ("/collections/planning-zones/items?crs=http://www.opengis.net/def/crs/EPSG/0/6956", "crs"),
        ("/collections/communes/items/31507?crs=nonsense", "crs"),
        ("/collections/parcels/items?bbox=1,2,3,4&bbox-crs=EPSG:32648", "bbox-crs"),
        ("/collections/parcels/items?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/9209", "bbox-crs"),
        ("/collections/parcels/items?bbox=105.97,9.599,105.977,9.602&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", "bbox"),
        ("/collections/parcels/items?bbox=552000,1061000,551000,1062000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/9209", "bbox"),
        ("/collections/parcels/items?bbox=a,b,c,d&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", "bbox"),
        ("/collections/parcels/items?plan=1", "plan"),
        ("/collections/planning-zones/items?datetime=2025-01-01T00:00:00Z", "datetime"),
        ("/collections/planning-zones/items?plan=x", "plan"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().unwrap();
        assert_eq!(body["errors"][0]["parameter"], parameter, "{path}: {body}");
    }
    assert_eq!(app.get_json("/collections/planning-zones/items/123456789").0, 404);
    assert_eq!(app.get_json("/collections/planning-zones/items/abc").0, 404);

    let (_, collections) = app.get_json("/collections");
    let ids: Vec<&str> =
        collections["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["parcels", "communes", "planning-zones"]);
    for c in collections["collections"].as_array().unwrap() {
        let crs: Vec<&str> = c["crs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(crs[0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        for uri in [EPSG_4326, EPSG_3857, TM3_105_30, "http://www.opengis.net/def/crs/EPSG/0/5897"] {
            assert!(crs.contains(&uri), "{uri} missing from {}", c["id"]);
        }
        assert_eq!(c["storageCrs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    }
    let (_, conformance) = app.get_json("/conformance");
    assert!(conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));
}

#[test]
fn ogrinfo_reads_the_planning_zones_layer() {
    let app = TestApp::spawn();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", &format!("OAPIF:{}", app.base), "planning-zones"])
        .env("GDAL_HTTP_TIMEOUT", "60")
        .output()
        .expect("ogrinfo runs (Debian gdal-bin, installed by scripts/prereqs.sh)");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(summary.contains("Layer name: planning-zones"), "{summary}");
    assert!(summary.contains("Geometry: Multi Polygon"), "{summary}");
    assert!(summary.contains("land_use: String"), "{summary}");
    let mut conn = app.db.conn();
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM planning_zones z JOIN planning_plans p ON p.id = z.plan_id WHERE p.status = 'approved'")
        .get_result(&mut conn)
        .unwrap();
    assert!(n.n > 0);
    assert!(summary.contains(&format!("Feature Count: {}", n.n)), "expected {} features:\n{summary}", n.n);
}

/// Issue 10: a province plan and a commune plan over one parcel are two answers about the same
/// ground. `by_plan` reports each approved plan on its own (province first), each at most the
/// parcel's area; nothing adds them up (the old `planned_area_m2` was about twice the parcel).
#[test]
fn a_province_plan_and_a_commune_plan_are_reported_apart_never_summed() {
    let app = TestApp::spawn();
    let token = app.token("planner92");
    let (status, plan) = post(
        &app,
        Some(&token),
        "/planning/plans",
        &json!({"level": "province", "unit": "92", "name": "Quy hoạch tỉnh thử nghiệm", "period_start": 2021,
                "period_end": 2030, "status": "draft"}),
    );
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    // One residential zone over the whole Sóc Trăng sample commune (CRS84).
    let whole = json!({"type": "Polygon", "coordinates": [[[105.965, 9.595], [105.982, 9.595], [105.982, 9.606], [105.965, 9.606], [105.965, 9.595]]]});
    let (status, imported) = post(
        &app,
        Some(&token),
        &format!("/planning/plans/{id}/zones"),
        &json!({"type": "FeatureCollection", "features": [zone("ODT", whole)]}),
    );
    assert_eq!(status, 201, "{imported}");
    let (status, approved) = post(
        &app,
        Some(&token),
        &format!("/planning/plans/{id}/status"),
        &json!({"status": "approved", "decision_no": "12/QĐ-UBND", "decision_date": "2025-03-01"}),
    );
    assert_eq!(status, 200, "{approved}");
    assert!(approved["superseded"].as_array().unwrap().is_empty(), "the commune plan stays in force: {approved}");

    // A residential lot the sample commune plan's road crosses: both plans zone all of it.
    let mut conn = app.db.conn();
    let crossed: Vec<Crossed> = diesel::sql_query(
        "SELECT p.national_id, ST_Area(ST_Intersection(z.geom, v.geom)::geography) AS area_m2, \
                ST_Area(v.geom::geography) AS parcel_area_m2, \
                (SELECT string_agg(land_use_code, ',') FROM parcel_land_uses WHERE parcel_version_id = v.id) AS uses \
           FROM planning_zones z JOIN planning_plans pl ON pl.id = z.plan_id AND pl.status = 'approved' AND pl.level = 'commune' \
           JOIN admin_units u ON u.id = pl.admin_unit_id AND u.code = '31507' \
           JOIN parcel_versions v ON v.valid_to IS NULL AND ST_Intersects(z.geom, v.geom) \
           JOIN parcels p ON p.id = v.parcel_id \
          WHERE z.land_use_code = 'DGT' AND ST_Area(ST_Intersection(z.geom, v.geom)::geography) > 1 \
            AND EXISTS (SELECT 1 FROM parcel_land_uses u WHERE u.parcel_version_id = v.id AND u.land_use_code = 'ODT') \
          ORDER BY p.id LIMIT 1",
    )
    .load(&mut conn)
    .unwrap();
    let lot = crossed.first().expect("the sample road crosses a parcel");
    assert!(lot.uses.contains("ODT"), "{lot:?}");
    let (status, impact) = app.get_json(&format!("/parcels/{}/planning", lot.national_id));
    assert_eq!(status, 200, "{impact}");
    let parcel_area = impact["parcel_area_m2"].as_f64().unwrap();
    let by_plan = impact["by_plan"].as_array().unwrap();
    assert_eq!(by_plan.len(), 2, "{impact:#}");
    assert_eq!((by_plan[0]["level"].as_str(), by_plan[0]["plan_id"].as_i64()), (Some("province"), Some(id)));
    assert_eq!(by_plan[1]["level"], "commune");
    for p in by_plan {
        let planned = p["planned_area_m2"].as_f64().unwrap();
        assert!(planned <= parcel_area + 0.05, "{p}: {planned} > {parcel_area}");
        assert!((p["planned_percent"].as_f64().unwrap() - 100.0).abs() < 0.1, "each plan zones the whole lot: {p}");
        let zones_of_plan: f64 = impact["zones"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|z| z["plan_id"] == p["plan_id"])
            .map(|z| z["area_m2"].as_f64().unwrap())
            .sum();
        assert!((zones_of_plan - planned).abs() < 0.2, "{p}: zones {zones_of_plan}");
    }
    // The province plan keeps the lot residential; the commune plan takes the road from it.
    assert_eq!(by_plan[0]["in_conflict"], false, "{impact:#}");
    assert_eq!(by_plan[0]["conflicting_area_m2"], 0.0);
    assert_eq!(by_plan[1]["in_conflict"], true);
    let road = by_plan[1]["conflicting_area_m2"].as_f64().unwrap();
    assert!(road >= lot.area_m2 - 0.05, "{road} vs the road's ST_Area {}", lot.area_m2);
    assert_eq!(impact["in_conflict"], true);
    // Nothing adds the two plans up: every zone's percentage together would be about 200 %.
    assert!(impact.get("planned_area_m2").is_none() && impact.get("conflicting_area_m2").is_none(), "{impact:#}");
    let all: f64 = impact["zones"].as_array().unwrap().iter().map(|z| z["percent"].as_f64().unwrap()).sum();
    assert!((all - 200.0).abs() < 0.2, "{all}");
    assert_eq!(impact["zones"][0]["plan_level"], "province", "zones come plan by plan, province first");
    assert_eq!(impact["plans"][0]["level"], "province");
    eprintln!(
        "{}: parcel {parcel_area} m²; province plan {} m², commune plan {} m² ({} m² road); zones summed {all} %",
        lot.national_id, by_plan[0]["planned_area_m2"], by_plan[1]["planned_area_m2"], road
    );
}
