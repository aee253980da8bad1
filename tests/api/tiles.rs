//! Vector tiles over real HTTP against a real PostGIS: content per zoom, the minimum zoom,
//! problem+json for bad addresses, TileJSON, ETags that follow edits, and index use.

use crate::common::TestApp;
use domain::tiles::{Layer, TileCoord};
use serde_json::{json, Value};

/// The Sóc Trăng sample commune (31507), synthetic.
const SOC_TRANG: (f64, f64) = (105.9739, 9.6009);

/// A minimal Mapbox Vector Tile reader (protobuf wire format): layer name → (feature count,
/// property keys). Enough to check what a tile carries without another dependency.
mod mvt {
    use std::collections::BTreeMap;

    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[*i];
            *i += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }

    /// (field number, wire type, payload for length-delimited fields).
    fn fields(b: &[u8]) -> Vec<(u64, u64, &[u8])> {
        let (mut i, mut out) = (0, Vec::new());
        while i < b.len() {
            let key = varint(b, &mut i);
            let (field, wire) = (key >> 3, key & 7);
            match wire {
                0 => {
                    varint(b, &mut i);
                    out.push((field, wire, &b[0..0]));
                }
                2 => {
                    let len = varint(b, &mut i) as usize;
                    out.push((field, wire, &b[i..i + len]));
                    i += len;
                }
                5 => i += 4,
                1 => i += 8,
                w => panic!("unexpected wire type {w}"),
            }
        }
        out
    }

    #[derive(Debug, Default)]
    pub struct Layer {
        pub features: usize,
        /// Property keys that some feature has a value for (ST_AsMVT lists every column in the
        /// layer's key table, but leaves NULL values out of the features' tags).
        pub keys: Vec<String>,
    }

    pub fn read(tile: &[u8]) -> BTreeMap<String, Layer> {
        let mut layers = BTreeMap::new();
        for (field, _, layer) in fields(tile) {
            assert_eq!(field, 3, "a tile holds only layers");
            let mut name = String::new();
            let mut l = Layer::default();
            let (mut table, mut used) = (Vec::new(), std::collections::BTreeSet::new());
            for (f, _, payload) in fields(layer) {
                match f {
                    1 => name = String::from_utf8(payload.to_vec()).unwrap(),
                    2 => {
                        l.features += 1;
                        // Feature field 2: packed (key index, value index) pairs.
                        for (ff, _, tags) in fields(payload) {
                            if ff == 2 {
                                let mut i = 0;
                                let mut even = true;
                                while i < tags.len() {
                                    let v = varint(tags, &mut i);
                                    if even {
                                        used.insert(v as usize);
                                    }
                                    even = !even;
                                }
                            }
                        }
                    }
                    3 => table.push(String::from_utf8(payload.to_vec()).unwrap()),
                    _ => {}
                }
            }
            l.keys = used.into_iter().map(|k| table[k].clone()).collect();
            layers.insert(name, l);
        }
        layers
    }
}

fn tile_path(layer: &str, t: TileCoord) -> String {
    format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y)
}

#[test]
fn parcel_tiles_carry_more_properties_as_the_zoom_grows() {
    let app = TestApp::spawn();
    let mut seen = Vec::new();
    for (z, expected_keys) in [
        (14, vec!["land_use", "national_id"]),
        (16, vec!["commune", "land_use", "national_id", "parcel", "sheet"]),
        (17, vec!["area_m2", "commune", "land_use", "national_id", "parcel", "sheet"]),
    ] {
        let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, z);
        let r = app.get(&tile_path("parcels", t));
        assert_eq!(r.status(), 200, "z{z}");
        assert_eq!(r.headers()["content-type"], "application/vnd.mapbox-vector-tile");
        assert_eq!(r.headers()["cache-control"], "public, no-cache");
        assert!(r.headers()["etag"].to_str().unwrap().starts_with("W/\"parcels-"));
        let layers = mvt::read(&r.bytes().unwrap());
        let parcels = &layers["parcels"];
        assert_eq!(layers.len(), 1);
        assert!(parcels.features > 0, "z{z}: no features");
        let mut keys = parcels.keys.clone();
        keys.sort();
        assert_eq!(keys, expected_keys, "z{z}");
        seen.push(parcels.features);
    }
    // The whole sample commune (240 parcels, 550 m × 200 m) fits in one or two z14 tiles.
    assert!(seen[0] >= seen[2], "{seen:?}");
}

#[test]
fn below_the_minimum_zoom_a_tile_is_empty_and_costs_no_query() {
    let app = TestApp::spawn();
    for z in [0, 5, 10, 13] {
        let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, z);
        let r = app.get(&tile_path("parcels", t));
        assert_eq!(r.status(), 204, "z{z}");
        assert!(r.bytes().unwrap().is_empty());
    }
    // Planning zones are drawn from zoom 10.
    let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, 10);
    let r = app.get(&tile_path("planning-zones", t));
    assert_eq!(r.status(), 200);
    let layers = mvt::read(&r.bytes().unwrap());
    assert!(layers["planning-zones"].features > 0);
    let keys = &layers["planning-zones"].keys;
    assert!(keys.contains(&"land_use".to_string()) && !keys.contains(&"name".to_string()), "{keys:?}");
    // Far from any data: 204 too.
    let r = app.get(&tile_path("parcels", TileCoord::containing(103.5, 22.0, 16)));
    assert_eq!(r.status(), 204);
}

#[test]
fn bad_tile_addresses_are_problems_not_500s() {
    let app = TestApp::spawn();
    for (path, parameter) in [
        ("/tiles/parcels/23/0/0.mvt", "z"),
        ("/tiles/parcels/-1/0/0.mvt", "z"),
        ("/tiles/parcels/abc/0/0.mvt", "z"),
        ("/tiles/parcels/3/8/0.mvt", "x"),
        ("/tiles/parcels/3/0/8.mvt", "y"),
        ("/tiles/parcels/14/1.5/0.mvt", "x"),
        ("/tiles/parcels/14/0/99999999999999999999.mvt", "y"),
        ("/tiles/parcels/14/0/0.mvt?format=pbf", "format"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().unwrap();
        assert_eq!(body["errors"][0]["parameter"], parameter, "{path}: {body}");
    }
    for path in ["/tiles/communes/14/0/0.mvt", "/tiles/communes.json", "/tiles/parcels/14/0/0.png"] {
        let r = app.get(path);
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[test]
fn tilejson_describes_each_layer() {
    let app = TestApp::spawn();
    for layer in Layer::ALL {
        let (status, tj) = app.get_json(&format!("/tiles/{}.json", layer.name()));
        assert_eq!(status, 200);
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(tj["tiles"][0], format!("{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", app.base, layer.name()));
        assert_eq!(tj["minzoom"], layer.min_zoom());
        assert_eq!(tj["vector_layers"][0]["id"], layer.name());
        let fields = tj["vector_layers"][0]["fields"].as_object().unwrap();
        assert_eq!(fields.len(), layer.fields().len());
    }
    let (_, parcels) = app.get_json("/tiles/parcels.json");
    assert_eq!(parcels["minzoom"], 14);
    assert!(parcels["vector_layers"][0]["fields"]["national_id"].is_string());
}

/// A parcel's geometry scaled about its first vertex, in VN-2000 TM-3 105°30′ (shrinking keeps it
/// inside its old footprint: no new overlap, still in the commune).
fn shrunk(feature: &Value, factor: f64) -> Value {
    let mut g = feature["geometry"].clone();
    let ring = g["coordinates"][0][0].as_array_mut().unwrap();
    let (x0, y0) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
    for p in ring.iter_mut() {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        *p = json!([x0 + (x - x0) * factor, y0 + (y - y0) * factor]);
    }
    g
}

#[test]
fn a_conditional_get_after_an_edit_gets_the_new_tile() {
    let app = TestApp::spawn();
    let (_, parcel) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=5");
    let id = parcel["id"].as_str().unwrap().to_string();
    let (lon, lat) = domain::geohash::decode(&id).unwrap();
    let path = tile_path("parcels", TileCoord::containing(lon, lat, 17));

    let first = app.get(&path);
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let before = first.bytes().unwrap();
    let again = app.client.get(app.url(&path)).header("If-None-Match", &etag).send().unwrap();
    assert_eq!(again.status(), 304, "unchanged data: the cached tile is current");
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);

    // An officer re-surveys the parcel: a new version, so a new tile.
    let (_, vn) =
        app.get_json(&format!("/collections/parcels/items/{id}?crs=http://www.opengis.net/def/crs/EPSG/0/9209"));
    let token = app.token("officer92");
    let r = app
        .client
        .put(app.url(&format!("/parcels/{id}/geometry")))
        .bearer_auth(&token)
        .json(&json!({"crs": "http://www.opengis.net/def/crs/EPSG/0/9209", "geometry": shrunk(&vn, 0.9), "reason": "đo đạc lại (test)"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());

    let after = app.client.get(app.url(&path)).header("If-None-Match", &etag).send().unwrap();
    assert_eq!(after.status(), 200, "the old ETag must not validate after an edit");
    let new_etag = after.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    assert_ne!(after.bytes().unwrap(), before, "the tile shows the new boundary");
    let cached = app.client.get(app.url(&path)).header("If-None-Match", &new_etag).send().unwrap();
    assert_eq!(cached.status(), 304);
}

#[test]
fn superseding_a_plan_empties_its_planning_tiles() {
    let app = TestApp::spawn();
    let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, 16);
    let path = tile_path("planning-zones", t);
    let first = app.get(&path);
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let (_, zones) = app.get_json("/collections/planning-zones/items?bbox=105.97,9.599,105.977,9.602");
    let plan = zones["features"][0]["properties"]["plan_id"].as_i64().unwrap();
    let r = app
        .client
        .post(app.url(&format!("/planning/plans/{plan}/status")))
        .bearer_auth(app.token("planner92"))
        .json(&json!({"status": "superseded"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let after = app.client.get(app.url(&path)).header("If-None-Match", &etag).send().unwrap();
    assert_eq!(after.status(), 204, "only approved plans are drawn");
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
}

#[test]
fn tile_queries_find_rows_through_the_gist_indexes() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, 16);
    let plan = diachinh::service::tiles::explain(&mut conn, Layer::Parcels, t).unwrap();
    assert!(
        crate::common::uses_partition_index(&plan, "geom")
            || crate::common::uses_partition_index(&plan, "current_geom"),
        "{plan}"
    );
    // The sample has a handful of zones, which a sequential scan reads for less; what matters
    // is that the statement lets the GiST index find them once there are many.
    diesel::RunQueryDsl::execute(diesel::sql_query("SET enable_seqscan = off"), &mut conn).unwrap();
    let plan = diachinh::service::tiles::explain(&mut conn, Layer::PlanningZones, t).unwrap();
    assert!(plan.contains("planning_zones_geom"), "{plan}");
}

/// The plan a session keeps for a tile function's body once it runs it a few times (generic:
/// zoom, x and y unknown) finds the parcels through the partial GiST index on current
/// versions, in a register with history (three closed versions behind every current one, so
/// the index over every version is four times as large); the stamp, which must see closed
/// versions too, through the index over every version.
#[test]
fn cached_tile_plans_use_the_index_on_current_versions() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let app = TestApp::spawn();
    crate::common::sql(
        &app,
        "INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                                     source_crs_epsg, legal_area_m2, address, valid_from, valid_to, change_reason, province_code)
         SELECT parcel_id, 1000 + k, commune_id, registered_commune_id, sheet_no, parcel_no, geom, source_crs_epsg,
                legal_area_m2, address, valid_from - (4 - k) * interval '1 year',
                valid_from - (4 - k) * interval '1 year' + interval '1 day', 'history (test)', province_code
           FROM parcel_versions, generate_series(1, 3) AS k WHERE valid_to IS NULL",
    );
    crate::common::sql(&app, "ANALYZE parcel_versions");
    let mut conn = app.db.conn();
    let t = TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, 16);
    let mut generic_plan = |statement: &str| {
        diesel::sql_query("SET plan_cache_mode = force_generic_plan").execute(&mut conn).unwrap();
        diesel::sql_query(format!("PREPARE tile (integer, integer, integer) AS {statement}"))
            .execute(&mut conn)
            .unwrap();
        let lines: Vec<Line> =
            diesel::sql_query(format!("EXPLAIN EXECUTE tile ({}, {}, {})", t.z, t.x, t.y)).load(&mut conn).unwrap();
        diesel::sql_query("DEALLOCATE tile").execute(&mut conn).unwrap();
        lines.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n")
    };
    let plan = generic_plan(store::tiles::sql(Layer::Parcels));
    assert!(crate::common::uses_partition_index(&plan, "current_geom"), "{plan}");
    let plan = generic_plan(store::tiles::stamp_sql(Layer::Parcels));
    assert!(crate::common::uses_partition_index(&plan, "geom"), "{plan}");
}

/// `If-None-Match: *` and a list holding the current tag skip the tile (304); a list of
/// stale or foreign tags does not.
#[test]
fn if_none_match_lists_and_star() {
    let app = TestApp::spawn();
    let path = tile_path("parcels", TileCoord::containing(SOC_TRANG.0, SOC_TRANG.1, 16));
    let first = app.get(&path);
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let conditional = |value: &str| app.client.get(app.url(&path)).header("If-None-Match", value).send().unwrap();
    assert_eq!(conditional("*").status(), 304);
    assert_eq!(conditional(&format!("W/\"parcels-v1-1-2\", {etag}")).status(), 304);
    let stale = conditional("W/\"parcels-v1-1-2\", \"planning-zones-v1-3-4\", parcels-v1-1-2");
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.headers()["etag"].to_str().unwrap(), etag);
    assert!(!stale.bytes().unwrap().is_empty());
}
