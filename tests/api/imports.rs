//! Bulk import of survey deliveries (issue 15): `diachinh import` of a GeoPackage and of a
//! Shapefile, `POST /imports` as a background job. The deliveries are SYNTHETIC: a grid of
//! rectangular lots in VN-2000 TM-3 105°30′ (EPSG:9209) inside a synthetic boundary given to a
//! commune of Cần Thơ (province 92) for the test, plus 20 deliberately bad features. Files are
//! written by GDAL's ogr2ogr from GeoJSON the test writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use diachinh::service::parcels::{self, LandUseInput, NewParcel};
use diachinh::service::{Actor, Role, Settings};
use diesel::{PgConnection, RunQueryDsl};
use domain::crs::Crs;
use serde_json::{json, Value};

use crate::common::{scalar_on, table_changes, TestApp, TestDb};

/// The commune given the synthetic boundary (Phường Cái Khế, province 92; no boundary or
/// parcels in the sample data).
const COMMUNE: &str = "31120";
const EPSG: u32 = 9209;
/// South-west corner of the grid of lots, and the synthetic boundary around it (E, N, metres).
const GRID: (f64, f64) = (560_000.0, 1_075_000.0);
const BOUNDARY: [f64; 4] = [559_900.0, 1_074_900.0, 561_300.0, 1_076_100.0];
/// Lots of 10 m × 20 m, 100 to a row.
const LOT: (f64, f64) = (10.0, 20.0);
const COLUMNS: usize = 100;

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use rand::Rng;
        let p = std::env::temp_dir().join(format!(
            "diachinh-imports-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ring(corners: &[(f64, f64)]) -> Vec<[f64; 2]> {
    let mut r: Vec<[f64; 2]> = corners.iter().map(|&(x, y)| [x, y]).collect();
    r.push(r[0]);
    r
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Vec<[f64; 2]> {
    ring(&[(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
}

/// Shoelace area, rounded to 0.1 m² as a surveyor's software prints it.
fn area(r: &[[f64; 2]]) -> f64 {
    let twice: f64 = r.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum();
    (twice.abs() / 2.0 * 10.0).round() / 10.0
}

fn feature(sheet: i32, parcel: i32, r: Vec<[f64; 2]>, declared: f64) -> Value {
    json!({
        "type": "Feature",
        "properties": {
            "SoTo": sheet, "SoThua": parcel, "LoaiDat": "ODT", "DienTich": declared,
            "DiaChi": format!("Thửa {parcel} tờ {sheet} (tổng hợp / synthetic)"),
        },
        "geometry": {"type": "Polygon", "coordinates": [r]},
    })
}

/// A ring moved from zone 9209 into zone 5897's plane, as a contractor using the wrong central
/// meridian would deliver it.
fn in_zone_5897(r: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let (from, to) = (Crs::from_epsg(EPSG).unwrap(), Crs::from_epsg(5897).unwrap());
    r.iter()
        .map(|&[x, y]| {
            let w = from.point_to_wgs84(geo_types::Coord { x, y }).unwrap();
            let p = to.point_from_wgs84(w).unwrap();
            [(p.x * 1000.0).round() / 1000.0, (p.y * 1000.0).round() / 1000.0]
        })
        .collect()
}

/// The register's parcels the bad features collide with: sheet 9, parcels 1–4, east of the grid.
fn register_lot(i: usize) -> (f64, f64) {
    (561_050.0 + 40.0 * i as f64, 1_075_100.0)
}

/// `good` lots on the grid (sheet = 10 rows, numbered across), then the 20 bad features, and
/// the reason codes each bad one must get.
fn delivery(good: usize) -> (Vec<Value>, Vec<&'static [&'static str]>) {
    let mut features = Vec::with_capacity(good + 20);
    for n in 0..good {
        let (row, col) = (n / COLUMNS, n % COLUMNS);
        let r = rect(GRID.0 + col as f64 * LOT.0, GRID.1 + row as f64 * LOT.1, LOT.0, LOT.1);
        let a = area(&r);
        features.push(feature((row / 10 + 1) as i32, ((row % 10) * COLUMNS + col + 1) as i32, r, a));
    }
    let mut expected: Vec<&'static [&'static str]> = Vec::new();
    let x = |i: usize| 561_050.0 + 40.0 * i as f64;
    // Bow-ties (self-intersecting rings).
    for i in 0..3 {
        let (x0, y0) = (x(i), 1_075_300.0);
        let r = ring(&[(x0, y0), (x0 + 20.0, y0 + 20.0), (x0 + 20.0, y0), (x0, y0 + 20.0)]);
        features.push(feature(6, 1 + i as i32, r, 200.0));
        expected.push(&["invalid_geometry"]);
    }
    // A declared area 50 m² off.
    let r = rect(x(3), 1_075_300.0, 20.0, 20.0);
    features.push(feature(6, 4, r, 450.0));
    expected.push(&["area_mismatch"]);
    // Over the register's parcels.
    for i in 0..4 {
        let (x0, y0) = register_lot(i);
        let r = rect(x0 + 5.0, y0 + 5.0, 20.0, 20.0);
        let a = area(&r);
        features.push(feature(6, 11 + i as i32, r, a));
        expected.push(&["overlaps_register"]);
    }
    // Numbers the register already has, and one number given twice in the file.
    for i in 0..2 {
        let r = rect(x(i), 1_075_500.0, 20.0, 20.0);
        let a = area(&r);
        features.push(feature(9, 1 + i as i32, r, a));
        expected.push(&["duplicate_in_register"]);
    }
    for i in 0..2 {
        let r = rect(x(i), 1_075_700.0, 20.0, 20.0);
        let a = area(&r);
        features.push(feature(6, 30, r, a));
        expected.push(&["duplicate_in_delivery"]);
    }
    // Outside the commune's boundary (east of it).
    for i in 0..4 {
        let r = rect(561_400.0 + 40.0 * i as f64, 1_075_100.0, 20.0, 20.0);
        let a = area(&r);
        features.push(feature(6, 41 + i, r, a));
        expected.push(&["outside_commune"]);
    }
    // Surveyed in the wrong zone: inside the commune in EPSG:5897, far outside read as 9209.
    for i in 0..4 {
        let r = in_zone_5897(&rect(x(i), 1_075_900.0, 20.0, 20.0));
        let a = area(&r);
        features.push(feature(6, 51 + i as i32, r, a));
        expected.push(&["outside_commune", "wrong_zone"]);
    }
    assert_eq!(expected.len(), 20);
    (features, expected)
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs (Debian gdal-bin, installed by scripts/prereqs.sh)");
    assert!(out.status.success(), "ogr2ogr {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The delivery as a GeoPackage or a Shapefile (UTF-8 attributes, .prj of EPSG:9209).
fn write_delivery(dir: &Path, features: &[Value], driver: &str, name: &str) -> PathBuf {
    let geojson = dir.join(format!("{name}.geojson"));
    let collection = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(&geojson, collection.to_string()).unwrap();
    let out = dir.join(name);
    let srs = format!("EPSG:{EPSG}");
    let mut args =
        vec!["-f", driver, out.to_str().unwrap(), geojson.to_str().unwrap(), "-a_srs", &srs, "-nln", "thua_dat"];
    if driver == "ESRI Shapefile" {
        args.extend(["-lco", "ENCODING=UTF-8"]);
    }
    ogr2ogr(&args);
    out
}

fn admin(conn: &mut PgConnection) -> Actor {
    let id = scalar_on(conn, "SELECT id::bigint AS n FROM users WHERE username = 'admin'");
    Actor { user_id: id as i32, username: "admin".into(), role: Role::Admin, province_code: None }
}

/// The synthetic boundary for the test commune, and four parcels registered in it through
/// `POST /parcels`'s own use case (the register the bad features collide with).
fn prepare_commune(conn: &mut PgConnection) {
    let [x0, y0, x1, y1] = BOUNDARY;
    let plane = geo_types::MultiPolygon(vec![geo_types::Polygon::new(
        geo_types::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )]);
    let wgs84 = Crs::from_epsg(EPSG).unwrap().to_wgs84(&plane).unwrap();
    let geojson = geojson::Geometry::from(&wgs84).to_string();
    diesel::sql_query(format!(
        "UPDATE admin_units SET boundary = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON('{geojson}'), 4326)), \
         boundary_source = 'synthetic test boundary (tests/api/imports.rs)' WHERE code = '{COMMUNE}' AND valid_to IS NULL"
    ))
    .execute(conn)
    .unwrap();
    let actor = admin(conn);
    for i in 0..4 {
        let (x, y) = register_lot(i);
        let r = rect(x, y, 20.0, 20.0);
        parcels::create(
            conn,
            &Settings::default(),
            &actor,
            &NewParcel {
                commune: COMMUNE.into(),
                registered_commune: None,
                sheet: 9,
                parcel: 1 + i as i32,
                crs: Some(format!("EPSG:{EPSG}")),
                geometry: json!({"type": "Polygon", "coordinates": [r]}),
                land_uses: vec![LandUseInput { code: "ODT".into(), area_m2: None, use_until: None, origin: None }],
                address: None,
            },
        )
        .expect("register a parcel of the register");
    }
}

fn row_counts(conn: &mut PgConnection) -> Vec<(String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tablename: String,
    }
    // Partitions (a province's versions) are counted in their parent.
    let tables: Vec<T> = diesel::sql_query(
        "SELECT c.relname::text AS tablename FROM pg_class c \
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND c.relname <> 'spatial_ref_sys' ORDER BY 1",
    )
    .load(conn)
    .unwrap();
    tables.into_iter().map(|t| (t.tablename.clone(), store::reference::count(conn, &t.tablename).unwrap())).collect()
}

fn run_cli(db: &TestDb, cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_diachinh"))
        .arg("import")
        .args(args)
        .current_dir(cwd)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What `ogrinfo` reads from a rejected-features GeoPackage: source fid → (reason, codes).
fn read_rejected(path: &Path) -> BTreeMap<i64, (String, Vec<String>)> {
    let out = Command::new("ogrinfo").args(["-ro", "-al", "-q", path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "ogrinfo: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut features = BTreeMap::new();
    let mut fid = None;
    let mut reason = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(v) =
            line.strip_prefix("source_fid (Integer) = ").or_else(|| line.strip_prefix("source_fid (Integer64) = "))
        {
            fid = Some(v.parse::<i64>().unwrap());
        } else if let Some(v) = line.strip_prefix("reason (String) = ") {
            reason = v.to_string();
        } else if let Some(v) = line.strip_prefix("reason_code (String) = ") {
            let codes = v.split(',').map(str::to_string).collect();
            features.insert(fid.take().expect("source_fid before reason_code"), (std::mem::take(&mut reason), codes));
        }
    }
    let count = text.lines().filter(|l| l.starts_with("OGRFeature(rejected)")).count();
    assert_eq!(count, features.len(), "{text}");
    features
}

/// Each bad feature (fids from `first_fid` on) is rejected with exactly its expected codes and
/// a reason that says why.
fn assert_rejections(rejected: &BTreeMap<i64, (String, Vec<String>)>, first_fid: i64, expected: &[&[&str]]) {
    assert_eq!(rejected.len(), 20, "{rejected:#?}");
    for (i, codes) in expected.iter().enumerate() {
        let fid = first_fid + i as i64;
        let (reason, got) =
            rejected.get(&fid).unwrap_or_else(|| panic!("feature {fid} is not rejected: {rejected:#?}"));
        assert_eq!(got, codes, "feature {fid}: {reason}");
        assert!(!reason.is_empty());
    }
    let reasons: Vec<&str> = rejected.values().map(|(r, _)| r.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("self-intersection")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("declared area is 450.0 m²")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("overlaps parcel") && r.contains("225")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("already exists")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("given 2 times in this file")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("outside commune 31120")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("read as EPSG:5897")), "{reasons:#?}");
}

fn assert_chain_intact(conn: &mut PgConnection) {
    match store::audit::verify(conn, None).unwrap() {
        store::audit::Verdict::Intact(v) => assert!(v.entries > 0),
        broken => panic!("the audit chain is broken: {broken:?}"),
    }
}

fn parcels_in_commune(conn: &mut PgConnection) -> i64 {
    scalar_on(
        conn,
        &format!(
            "SELECT count(*) AS n FROM parcel_versions v JOIN admin_units u ON u.id = v.commune_id \
             WHERE u.code = '{COMMUNE}' AND v.valid_to IS NULL"
        ),
    )
}

#[test]
fn the_cli_imports_a_geopackage_loading_the_good_features_and_reporting_the_bad() {
    let db = TestDb::new();
    let mut conn = db.conn();
    prepare_commune(&mut conn);
    let dir = TempDir::new();
    let (features, expected) = delivery(5_000);
    let gpkg = write_delivery(&dir.0, &features, "GPKG", "giao-nop.gpkg");
    let before = row_counts(&mut conn);

    let rejected_path = dir.0.join("rejected.gpkg");
    let (ok, out, err) = run_cli(
        &db,
        &dir.0,
        &[gpkg.to_str().unwrap(), "--commune", COMMUNE, "--rejected", rejected_path.to_str().unwrap(), "--synthetic"],
    );
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("5020 features read, 5000 parcels loaded, 20 rejected"), "{out}");
    assert!(err.contains("EPSG/0/9209"), "the CRS is read from the GeoPackage: {err}");

    let changes = table_changes(&before, &row_counts(&mut conn));
    let expect: BTreeMap<String, i64> = [
        ("audit_log", 1),
        ("import_jobs", 1),
        ("parcel_land_uses", 5_000),
        ("parcel_versions", 5_000),
        ("parcels", 5_000),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect();
    assert_eq!(changes, expect);
    assert_eq!(parcels_in_commune(&mut conn), 5_004);
    // As one registration writes them: legal area from the plane, the declared area as the use's.
    assert_eq!(
        scalar_on(
            &mut conn,
            "SELECT count(*) AS n FROM parcel_versions v JOIN parcel_land_uses l ON l.parcel_version_id = v.id \
             WHERE v.change_reason LIKE '%import%' AND v.legal_area_m2 = 200.0 AND l.area_m2 = 200.0 \
               AND l.land_use_code = 'ODT' AND v.source_crs_epsg = 9209 AND v.is_synthetic"
        ),
        5_000
    );
    // GeoPackage FIDs start at 1: the bad features are 5001–5020.
    assert_rejections(&read_rejected(&rejected_path), 5_001, &expected);

    // One audit entry names the import, its counts and the parcel ids.
    #[derive(diesel::QueryableByName)]
    struct Entry {
        #[diesel(sql_type = diesel::sql_types::Text)]
        after: String,
    }
    let entry: Entry = diesel::sql_query(
        "SELECT after::text AS after FROM audit_log WHERE action = 'parcel.import' ORDER BY id DESC LIMIT 1",
    )
    .get_result(&mut conn)
    .unwrap();
    let after: Value = serde_json::from_str(&entry.after).unwrap();
    assert_eq!(after["loaded"], 5_000);
    assert_eq!(after["rejected"], 20);
    let runs = after["parcel_ids"].as_array().unwrap();
    let covered: i64 = runs.iter().map(|r| r[1].as_i64().unwrap() - r[0].as_i64().unwrap() + 1).sum();
    assert_eq!(covered, 5_000, "{after}");
    assert_chain_intact(&mut conn);
}

#[test]
fn the_cli_imports_a_shapefile_all_or_nothing_then_the_good_features() {
    let db = TestDb::new();
    let mut conn = db.conn();
    prepare_commune(&mut conn);
    let dir = TempDir::new();
    let (features, expected) = delivery(5_000);
    let shp = write_delivery(&dir.0, &features, "ESRI Shapefile", "giao-nop.shp");
    let before = row_counts(&mut conn);

    // All or nothing: 20 rejections, nothing registered (the import itself is recorded).
    let (ok, out, err) = run_cli(&db, &dir.0, &[shp.to_str().unwrap(), "--commune", COMMUNE, "--all-or-nothing"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("0 parcels loaded, 20 rejected") && out.contains("nothing loaded"), "{out}");
    let changes = table_changes(&before, &row_counts(&mut conn));
    assert_eq!(changes, [("import_jobs".to_string(), 1)].into_iter().collect::<BTreeMap<_, _>>());
    // The default report path: the file's name + -rejected.gpkg, in the working directory.
    // Shapefile FIDs start at 0: the bad features are 5000–5019.
    assert_rejections(&read_rejected(&dir.0.join("giao-nop-rejected.gpkg")), 5_000, &expected);

    // The same file, loading the good ones, with the zone given explicitly.
    let (ok, out, err) = run_cli(&db, &dir.0, &[shp.to_str().unwrap(), "--commune", COMMUNE, "--crs", "EPSG:9209"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("5020 features read, 5000 parcels loaded, 20 rejected"), "{out}");
    assert_eq!(parcels_in_commune(&mut conn), 5_004);
    assert_eq!(
        scalar_on(
            &mut conn,
            "SELECT count(*) AS n FROM parcel_versions WHERE address LIKE 'Thửa % tờ % (tổng hợp / synthetic)'"
        ),
        5_000,
        "UTF-8 attributes survive the Shapefile"
    );
    assert_chain_intact(&mut conn);

    // Refusals before anything is read: a field the file does not have, an unknown commune.
    let before = row_counts(&mut conn);
    let (ok, _, err) = run_cli(&db, &dir.0, &[shp.to_str().unwrap(), "--commune", COMMUNE, "--map", "sheet=TO_BAN_DO"]);
    assert!(!ok && err.contains("map") && err.contains("TO_BAN_DO"), "{err}");
    let (ok, _, err) = run_cli(&db, &dir.0, &[shp.to_str().unwrap(), "--commune", "99999"]);
    assert!(!ok && err.contains("commune"), "{err}");
    assert!(table_changes(&before, &row_counts(&mut conn)).is_empty());
}

const BOUNDARY_MARK: &str = "diachinh-import-test-boundary";

/// A multipart/form-data body (the test client has no multipart support).
fn form(text: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, value) in text {
        body.extend(
            format!("--{BOUNDARY_MARK}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend(
            format!(
                "--{BOUNDARY_MARK}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY_MARK}--\r\n").bytes());
    (format!("multipart/form-data; boundary={BOUNDARY_MARK}"), body)
}

fn post_import(app: &TestApp, token: &str, text: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (u16, Value, String) {
    let (content_type, body) = form(text, file);
    let r = app
        .client
        .post(app.url("/imports"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let media = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body: Value = r.json().unwrap_or(Value::Null);
    if status >= 400 {
        assert_eq!(media, "application/problem+json", "{body}");
    }
    (status, body, location)
}

#[test]
fn staff_import_over_http_as_a_background_job() {
    let app = TestApp::spawn();
    prepare_commune(&mut app.db.conn());
    let dir = TempDir::new();
    let (features, expected) = delivery(1_000);
    let gpkg = std::fs::read(write_delivery(&dir.0, &features, "GPKG", "giao-nop.gpkg")).unwrap();
    let officer = app.token("officer92");
    let other = app.token("officer56");
    let before = app.row_counts();

    // Another province's officer may not import into a commune of province 92.
    let (status, body, _) = post_import(&app, &other, &[("commune", COMMUNE)], Some(("giao-nop.gpkg", &gpkg)));
    assert_eq!(status, 403, "{body}");
    // A file GDAL cannot read: 422 naming the file; a mapping to a missing field: 422 naming it.
    let (status, body, _) =
        post_import(&app, &officer, &[("commune", COMMUNE)], Some(("giao-nop.gpkg", b"not a geopackage at all")));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/file", "{body}");
    let (status, body, _) =
        post_import(&app, &officer, &[("commune", COMMUNE), ("map", "sheet=SHEET_NO")], Some(("giao-nop.gpkg", &gpkg)));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/map", "{body}");
    let (status, body, _) =
        post_import(&app, &officer, &[("commune", COMMUNE), ("mode", "some")], Some(("a.gpkg", &gpkg)));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/mode", "{body}");
    assert!(table_changes(&before, &app.row_counts()).is_empty(), "refused imports change nothing");

    let (status, job, location) = post_import(
        &app,
        &officer,
        &[("commune", COMMUNE), ("crs", "auto"), ("mode", "load_valid")],
        Some(("giao-nop.gpkg", &gpkg)),
    );
    assert_eq!(status, 202, "{job}");
    assert_eq!(location, format!("/imports/{}", job["id"]));
    assert_eq!(job["progress"]["total"], 1_020, "{job}");
    assert!(["queued", "running", "succeeded"].contains(&job["status"].as_str().unwrap()), "{job}");

    // Poll until it is done; the counters only grow on the way. Reads sweep the job for a lost
    // runner: a live one is never taken for one. While it runs, its runner holds its lock; the
    // runner lets go only once the outcome is recorded.
    let started = std::time::Instant::now();
    let mut last_read = 0;
    let job_id = job["id"].as_i64().unwrap();
    let mut conn = app.db.conn();
    let done = loop {
        let (status, view) = app.get_json_auth(&officer, &location);
        assert_eq!(status, 200, "{view}");
        let read = view["progress"]["read"].as_i64().unwrap();
        assert!(read >= last_read, "{view}");
        last_read = read;
        if ["succeeded", "failed"].contains(&view["status"].as_str().unwrap()) {
            break view;
        }
        if view["status"] == "running" && runner_locks(&mut conn, Some(job_id)) == 0 {
            assert_ne!(job_status(&mut conn, job_id), "running", "a running import without its runner lock");
        }
        assert!(started.elapsed().as_secs() < 120, "the import did not finish: {view}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["phase"], "done");
    assert_eq!(done["progress"]["read"], 1_020, "{done}");
    assert_eq!(done["progress"]["validated"], 1_020, "{done}");
    assert_eq!(done["progress"]["loaded"], 1_000, "{done}");
    assert_eq!(done["progress"]["rejected"], 20, "{done}");
    assert_eq!(done["result"]["loaded"], 1_000, "{done}");
    assert_eq!(done["result"]["rejected_by_code"]["wrong_zone"], 4, "{done}");
    assert_eq!(done["source_crs"], "http://www.opengis.net/def/crs/EPSG/0/9209");
    assert_eq!(done["requested_by"], "officer92");
    let changes = table_changes(&before, &app.row_counts());
    assert_eq!(changes.get("parcels"), Some(&1_000), "{changes:?}");
    assert_eq!(changes.get("audit_log"), Some(&1), "{changes:?}");
    // The runner let go of its lock (an instant after recording the outcome): no advisory lock
    // is left held in the database, on the pooled connection it ran on or any other.
    let waited = std::time::Instant::now();
    while advisory_locks(&mut conn) > 0 {
        assert!(waited.elapsed().as_secs() < 10, "an advisory lock is still held after the import");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // The rejected features, downloaded and read by ogrinfo.
    let rejected_url = done["result"]["rejected_features"].as_str().unwrap();
    let r = app.client.get(app.url(rejected_url)).bearer_auth(&officer).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/geopackage+sqlite3");
    let downloaded = dir.0.join("downloaded.gpkg");
    std::fs::write(&downloaded, r.bytes().unwrap()).unwrap();
    assert_rejections(&read_rejected(&downloaded), 1_001, &expected);

    // Other provinces see neither the job nor its file.
    let (status, _) = app.get_json_auth(&other, &location);
    assert_eq!(status, 403);
    let r = app.client.get(app.url(rejected_url)).bearer_auth(&other).send().unwrap();
    assert_eq!(r.status(), 403);
    let (status, _) = app.get_json_auth(&officer, "/imports/999999");
    assert_eq!(status, 404);
    assert_chain_intact(&mut app.db.conn());
}

#[test]
fn features_overlapping_each_other_are_both_held_back_and_unknown_codes_refused() {
    let db = TestDb::new();
    let mut conn = db.conn();
    prepare_commune(&mut conn);
    let dir = TempDir::new();
    let (x, y) = (560_100.0, 1_076_000.0);
    let mut features = vec![
        feature(7, 1, rect(x, y, 20.0, 20.0), 400.0),
        feature(7, 2, rect(x + 10.0, y + 10.0, 20.0, 20.0), 400.0),
        feature(7, 3, rect(x + 100.0, y, 20.0, 20.0), 400.0),
        feature(7, 4, rect(x + 200.0, y, 20.0, 20.0), 400.0),
    ];
    features[2]["properties"]["LoaiDat"] = json!("XYZ");
    let gpkg = write_delivery(&dir.0, &features, "GPKG", "nho.gpkg");
    let (ok, out, err) = run_cli(&db, &dir.0, &[gpkg.to_str().unwrap(), "--commune", COMMUNE]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("4 features read, 1 parcels loaded, 3 rejected"), "{out}");
    let rejected = read_rejected(&dir.0.join("nho-rejected.gpkg"));
    assert_eq!(
        rejected[&1],
        ("overlaps feature 2 of this file by 100.00 m²".to_string(), vec!["overlaps_delivery".to_string()])
    );
    assert_eq!(
        rejected[&2],
        ("overlaps feature 1 of this file by 100.00 m²".to_string(), vec!["overlaps_delivery".to_string()])
    );
    assert_eq!(rejected[&3].1, ["unknown_land_use"]);
    assert_chain_intact(&mut conn);
}

// ---- Imports whose runner is gone ------------------------------------------------------------

/// Advisory locks held in this database, of any kind.
fn advisory_locks(conn: &mut PgConnection) -> i64 {
    scalar_on(
        conn,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
}

/// Import runner locks held in this database: job `id`'s, or any.
fn runner_locks(conn: &mut PgConnection, id: Option<i64>) -> i64 {
    let job = id.map(|id| format!(" AND objid = {}", store::imports::runner_lock_key(id) as u32)).unwrap_or_default();
    scalar_on(
        conn,
        &format!(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 \
               AND classid = {} AND database = (SELECT oid FROM pg_database WHERE datname = current_database()){job}",
            store::imports::RUNNER_LOCK_CLASS as u32
        ),
    )
}

fn job_status(conn: &mut PgConnection, id: i64) -> String {
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    diesel::sql_query(format!("SELECT status FROM import_jobs WHERE id = {id}")).get_result::<S>(conn).unwrap().status
}

/// The job row as the database keeps it: status, phase, error (JSON), features_loaded, and
/// whether finished_at is set.
fn job_row(conn: &mut PgConnection, id: i64) -> (String, String, Value, i64, bool) {
    #[derive(diesel::QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        phase: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        error: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        loaded: i64,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        finished: bool,
    }
    let r: R = diesel::sql_query(format!(
        "SELECT status, phase, coalesce(error, 'null')::text AS error, features_loaded AS loaded, \
                finished_at IS NOT NULL AS finished FROM import_jobs WHERE id = {id}"
    ))
    .get_result(conn)
    .unwrap();
    (r.status, r.phase, serde_json::from_str(&r.error).unwrap(), r.loaded, r.finished)
}

/// A job row as `queue` (and `start`, for `running`) leave it, written by SQL as if its runner
/// had died: `status`, created `age` ago, with `set` (more `column = value, …`) on top.
fn abandoned_job(conn: &mut PgConnection, status: &str, age: &str, set: &str) -> i64 {
    let started = if status == "queued" { "NULL" } else { "now() - interval '1 minute'" };
    let phase = if status == "queued" { "queued" } else { "loading" };
    let id = scalar_on(
        conn,
        &format!(
            "INSERT INTO import_jobs (commune_id, province_code, user_id, requested_by, source_name, layer, \
                 source_crs_epsg, field_map, mode, features_total, status, phase, created_at, started_at) \
             SELECT u.id, u.province_code, NULL, 'officer92', 'giao-nop.gpkg', 'giao_nop', 9209, '{{}}', \
                 'all_or_nothing', 1020, '{status}', '{phase}', now() - interval '{age}', {started} \
             FROM admin_units u WHERE u.code = '{COMMUNE}' AND u.valid_to IS NULL RETURNING id AS n"
        ),
    );
    if !set.is_empty() {
        diesel::sql_query(format!("UPDATE import_jobs SET {set} WHERE id = {id}")).execute(conn).unwrap();
    }
    id
}

/// Takes job `id`'s runner lock on `conn`, as a live runner holds it.
fn hold_runner_lock(conn: &mut PgConnection, id: i64) {
    diesel::sql_query(format!(
        "SELECT pg_advisory_lock({}, {})",
        store::imports::RUNNER_LOCK_CLASS,
        store::imports::runner_lock_key(id)
    ))
    .execute(conn)
    .unwrap();
}

#[test]
fn an_import_whose_runner_died_is_read_as_failed_saying_what_it_left() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    let officer = app.token("officer92");
    let parcels_before = parcels_in_commune(&mut conn);

    // Died while checking or loading: counters written by its progress, the load not committed
    // (`features_loaded` as the progress wrote it before the commit that never came).
    let dead = abandoned_job(&mut conn, "running", "2 minutes", "features_read = 1020, features_loaded = 1000");
    let (status, view) = app.get_json_auth(&officer, &format!("/imports/{dead}"));
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(view["phase"], "done", "{view}");
    assert_eq!(view["error"]["kind"], "interrupted", "{view}");
    let detail = view["error"]["detail"].as_str().unwrap();
    assert!(detail.contains("interrupted") && detail.contains("Nothing of it was registered"), "{detail}");
    assert!(detail.contains("run again"), "{detail}");
    assert_eq!(view["error"]["errors"], json!([]), "{view}");
    assert_eq!(view["progress"]["loaded"], 0, "nothing was registered: {view}");
    assert!(view["finished_at"].is_string() && view["result"].is_null(), "{view}");
    let (status, phase, error, loaded, finished) = job_row(&mut conn, dead);
    assert_eq!((status.as_str(), phase.as_str(), loaded, finished), ("failed", "done", 0, true));
    assert_eq!(error, view["error"]);
    // Read again: the same answer, written once.
    let (_, again) = app.get_json_auth(&officer, &format!("/imports/{dead}"));
    assert_eq!(again["finished_at"], view["finished_at"]);

    // Died while writing its report, after its load committed (`record_load` set the audit
    // entry in the same transaction): it says the parcels stay registered.
    let committed = abandoned_job(&mut conn, "running", "2 minutes", "audit_id = 4242, features_loaded = 1000");
    let (_, view) = app.get_json_auth(&officer, &format!("/imports/{committed}"));
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(view["error"]["kind"], "interrupted", "{view}");
    let detail = view["error"]["detail"].as_str().unwrap();
    assert!(detail.contains("after registering 1000 parcels (audit entry 4242)"), "{detail}");
    assert!(detail.contains("Those parcels stay registered"), "{detail}");
    assert_eq!(view["progress"]["loaded"], 1_000, "{view}");

    // Queued and never started: failed once it has waited past the grace period, not before
    // (its runner may be about to take it).
    let never = abandoned_job(&mut conn, "queued", "10 minutes", "");
    let (_, view) = app.get_json_auth(&officer, &format!("/imports/{never}"));
    assert_eq!(view["status"], "failed", "{view}");
    assert!(view["error"]["detail"].as_str().unwrap().contains("never started"), "{view}");
    let fresh = abandoned_job(&mut conn, "queued", "1 second", "");
    let (_, view) = app.get_json_auth(&officer, &format!("/imports/{fresh}"));
    assert_eq!(view["status"], "queued", "{view}");
    assert_eq!(job_row(&mut conn, fresh).0, "queued");

    // Reading left no lock held, and registered nothing.
    assert_eq!(advisory_locks(&mut conn), 0);
    assert_eq!(parcels_in_commune(&mut conn), parcels_before);
}

#[test]
fn an_import_whose_runner_holds_its_lock_stays_running_until_the_runner_is_gone() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    let officer = app.token("officer92");
    let job = abandoned_job(&mut conn, "running", "2 hours", "features_read = 300");
    // A runner, alive on its own connection (another process's, as far as the server knows).
    let mut runner = app.db.conn();
    hold_runner_lock(&mut runner, job);
    // And one that has taken its lock and is about to start a job queued long ago.
    let starting = abandoned_job(&mut conn, "queued", "10 minutes", "");
    hold_runner_lock(&mut runner, starting);

    for _ in 0..3 {
        let (status, view) = app.get_json_auth(&officer, &format!("/imports/{job}"));
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["status"], "running", "{view}");
        assert!(view["error"].is_null(), "{view}");
        let (_, view) = app.get_json_auth(&officer, &format!("/imports/{starting}"));
        assert_eq!(view["status"], "queued", "{view}");
    }
    assert_eq!(job_row(&mut conn, job).0, "running");
    assert_eq!(job_row(&mut conn, starting).0, "queued");
    // Only the runner's two locks are held: the reads left none.
    assert_eq!(advisory_locks(&mut conn), 2);

    // The runner's connection closes (its process died): PostgreSQL lets go of its locks.
    drop(runner);
    let waited = std::time::Instant::now();
    while runner_locks(&mut conn, None) > 0 {
        assert!(waited.elapsed().as_secs() < 10, "the closed connection's locks are still held");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let (_, view) = app.get_json_auth(&officer, &format!("/imports/{job}"));
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(view["error"]["kind"], "interrupted", "{view}");
    assert!(view["error"]["detail"].as_str().unwrap().contains("Nothing of it was registered"), "{view}");
    let (_, view) = app.get_json_auth(&officer, &format!("/imports/{starting}"));
    assert_eq!(view["status"], "failed", "{view}");
    assert!(view["error"]["detail"].as_str().unwrap().contains("never started"), "{view}");
    let (status, _, error, _, finished) = job_row(&mut conn, job);
    assert_eq!((status.as_str(), finished), ("failed", true));
    assert_eq!(error["kind"], "interrupted");
    assert_eq!(advisory_locks(&mut conn), 0);
}

#[test]
fn the_sweep_at_server_start_fails_every_import_without_a_runner_and_only_those() {
    let db = TestDb::new();
    let mut conn = db.conn();
    // The runner lock's key space is its own: the only other two-key advisory lock of the code
    // base, the parcel placement lock, has another first key.
    assert_ne!(
        scalar_on(&mut conn, "SELECT hashtext('diachinh: parcel placement in a commune')::bigint AS n"),
        store::imports::RUNNER_LOCK_CLASS as i64
    );
    let dead = abandoned_job(&mut conn, "running", "1 day", "");
    let alive = abandoned_job(&mut conn, "running", "1 hour", "");
    let never = abandoned_job(&mut conn, "queued", "1 hour", "");
    let fresh = abandoned_job(&mut conn, "queued", "5 seconds", "");
    let done = abandoned_job(
        &mut conn,
        "running",
        "1 hour",
        "status = 'succeeded', phase = 'done', finished_at = now(), features_loaded = 1000, audit_id = 7",
    );
    let mut runner = db.conn();
    hold_runner_lock(&mut runner, alive);

    // As the server sweeps when it starts (as its own login).
    let mut service = <PgConnection as diesel::Connection>::establish(&db.service_url).unwrap();
    let swept = diachinh::service::imports::sweep_interrupted(&mut service).unwrap();
    assert_eq!(swept, vec![dead, never]);
    assert_eq!(job_status(&mut conn, dead), "failed");
    assert_eq!(job_status(&mut conn, alive), "running");
    assert_eq!(job_status(&mut conn, never), "failed");
    assert_eq!(job_status(&mut conn, fresh), "queued");
    assert_eq!(job_row(&mut conn, done), ("succeeded".into(), "done".into(), Value::Null, 1_000, true));
    // Nothing stays held by the sweeping session; a second sweep finds nothing more.
    assert_eq!(advisory_locks(&mut conn), 1, "only the live runner's");
    assert!(diachinh::service::imports::sweep_interrupted(&mut service).unwrap().is_empty());
    drop(runner);
    let waited = std::time::Instant::now();
    while runner_locks(&mut conn, None) > 0 {
        assert!(waited.elapsed().as_secs() < 10, "the closed connection's lock is still held");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(diachinh::service::imports::sweep_interrupted(&mut service).unwrap(), vec![alive]);
}

#[test]
fn a_killed_command_line_import_is_failed_as_interrupted_and_says_exactly_what_it_registered() {
    let db = TestDb::new();
    let mut conn = db.conn();
    prepare_commune(&mut conn);
    let dir = TempDir::new();
    let (features, _) = delivery(5_000);
    let gpkg = write_delivery(&dir.0, &features, "GPKG", "giao-nop.gpkg");
    let parcels_before = parcels_in_commune(&mut conn);

    let mut cli = Command::new(env!("CARGO_BIN_EXE_diachinh"))
        .arg("import")
        .args([gpkg.to_str().unwrap(), "--commune", COMMUNE])
        .current_dir(&dir.0)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (as by a power cut: no chance to say anything) once it runs.
    let waited = std::time::Instant::now();
    let job = loop {
        let running =
            scalar_on(&mut conn, "SELECT coalesce(max(id), 0) AS n FROM import_jobs WHERE status = 'running'");
        if running > 0 {
            break running;
        }
        assert!(cli.try_wait().unwrap().is_none(), "the import ended before it could be interrupted");
        assert!(waited.elapsed().as_secs() < 60, "the import did not start");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    cli.kill().unwrap();
    cli.wait().unwrap();

    // Its session ends with it (at once: the kernel closes its socket); the sweep then finds it.
    let mut service = <PgConnection as diesel::Connection>::establish(&db.service_url).unwrap();
    let waited = std::time::Instant::now();
    loop {
        let swept = diachinh::service::imports::sweep_interrupted(&mut service).unwrap();
        if !swept.is_empty() {
            assert_eq!(swept, vec![job]);
            break;
        }
        assert!(waited.elapsed().as_secs() < 30, "the killed import was never found: {:?}", job_row(&mut conn, job));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (status, phase, error, loaded, finished) = job_row(&mut conn, job);
    assert_eq!((status.as_str(), phase.as_str(), finished), ("failed", "done", true));
    assert_eq!(error["kind"], "interrupted", "{error}");
    let detail = error["detail"].as_str().unwrap();
    // Exactly what is true: killed before its one transaction committed, nothing registered;
    // after it (while writing its report), its parcels and its audit entry are there.
    let audit_entries = scalar_on(
        &mut conn,
        &format!("SELECT count(*) AS n FROM audit_log WHERE action = 'parcel.import' AND entity_id = '{job}'"),
    );
    if detail.contains("Nothing of it was registered") {
        assert_eq!((loaded, audit_entries), (0, 0), "{detail}");
        assert_eq!(parcels_in_commune(&mut conn), parcels_before);
    } else {
        assert!(detail.contains("after registering 5000 parcels"), "{detail}");
        assert_eq!((loaded, audit_entries), (5_000, 1), "{detail}");
        assert_eq!(parcels_in_commune(&mut conn), parcels_before + 5_000);
    }
    assert_eq!(advisory_locks(&mut conn), 0);
    assert_chain_intact(&mut conn);
}
