//! Public endpoints over real HTTP against a real PostGIS: OGC API – Features, lookups,
//! privacy of public responses, strict parameters.

use crate::common::TestApp;
use serde_json::Value;

#[test]
fn items_page_has_five_features_and_a_next_link_that_pages_through_everything() {
    let app = TestApp::spawn();
    let (status, page) = app.get_json("/collections/parcels/items?limit=5");
    assert_eq!(status, 200);
    assert_eq!(page["type"], "FeatureCollection");
    assert_eq!(page["features"].as_array().unwrap().len(), 5);
    assert_eq!(page["numberReturned"], 5);
    let total = page["numberMatched"].as_i64().unwrap();
    assert_eq!(total, 960, "four sample communes of 240 parcels");
    // Follow next links with big pages: every parcel exactly once.
    let mut seen = std::collections::HashSet::new();
    let mut url = app.url("/collections/parcels/items?limit=300");
    for _ in 0..10 {
        let page: Value = app.client.get(&url).send().unwrap().json().unwrap();
        for f in page["features"].as_array().unwrap() {
            assert!(seen.insert(f["id"].as_str().unwrap().to_string()), "duplicate {}", f["id"]);
        }
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(next) => url = next["href"].as_str().unwrap().to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
}

#[test]
fn bbox_filters_and_counts() {
    let app = TestApp::spawn();
    // Around the Sóc Trăng sample only.
    let (status, page) = app.get_json("/collections/parcels/items?bbox=105.9,9.55,106.05,9.65&limit=1000");
    assert_eq!(status, 200);
    assert_eq!(page["numberMatched"], 240);
    assert!(page["features"].as_array().unwrap().iter().all(|f| f["properties"]["commune_code"] == "31507"));
    let (_, empty) = app.get_json("/collections/parcels/items?bbox=102,21,102.1,21.1");
    assert_eq!(empty["numberMatched"], 0);
    assert!(empty["links"].as_array().unwrap().iter().all(|l| l["rel"] != "next"));
}

#[test]
fn landing_conformance_collections_and_items_by_id() {
    let app = TestApp::spawn();
    let (_, landing) = app.get_json("/");
    let rels: Vec<&str> = landing["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rel}");
    }
    let (_, conf) = app.get_json("/conformance");
    assert!(conf["conformsTo"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("/conf/core")));
    let (_, cols) = app.get_json("/collections");
    let ids: Vec<&str> = cols["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["parcels", "communes", "planning-zones"]);
    let (status, _) = app.get_json("/collections/nope");
    assert_eq!(status, 404);

    let (_, page) = app.get_json("/collections/parcels/items?limit=1");
    let id = page["features"][0]["id"].as_str().unwrap().to_string();
    let (status, one) = app.get_json(&format!("/collections/parcels/items/{id}"));
    assert_eq!(status, 200);
    assert_eq!(one["id"], id.as_str());
    let (_, commune) = app.get_json("/collections/communes/items/31507");
    assert_eq!(commune["properties"]["name"], "Phường Sóc Trăng");
    assert_eq!(commune["properties"]["boundary_source"], "synthetic");
    let (_, communes) = app.get_json("/collections/communes/items?limit=10");
    assert_eq!(communes["numberMatched"], 3321);
}

#[test]
fn lookup_by_current_and_legacy_key() {
    let app = TestApp::spawn();
    let (status, f) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=2");
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["properties"]["sheet"], 1);
    assert_eq!(f["properties"]["parcel"], 2);
    assert_eq!(f["properties"]["commune_code"], "31507");

    // Sheet 1 of Xã Thủ Thừa was registered under the (synthetic) pre-2025 commune 99001.
    let (status, legacy) = app.get_json("/parcels/lookup?commune=99001&sheet=1&parcel=3");
    assert_eq!(status, 200, "{legacy}");
    assert_eq!(legacy["properties"]["registered_commune_code"], "99001");
    assert_eq!(legacy["properties"]["commune_code"], "28036");
    let (_, current) = app.get_json("/parcels/lookup?commune=28036&sheet=1&parcel=3");
    assert_eq!(current["id"], legacy["id"], "the new commune code finds it too");

    let (status, missing) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=99999");
    assert_eq!(status, 404);
    assert_eq!(missing["status"], 404);
    let (status, _) = app.get_json("/parcels/lookup?commune=31507&sheet=x&parcel=1");
    assert_eq!(status, 400);
}

#[test]
fn public_parcel_has_masked_names_and_no_personal_ids() {
    let app = TestApp::spawn();
    let (_, f) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=2");
    let holders = f["properties"]["holders"].as_array().unwrap();
    assert!(!holders.is_empty());
    let mut conn = app.db.conn();
    #[derive(diesel::QueryableByName)]
    struct P {
        #[diesel(sql_type = diesel::sql_types::Text)]
        full_name: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        id_number: Option<String>,
    }
    use diesel::RunQueryDsl;
    let people: Vec<P> =
        diesel::sql_query("SELECT full_name, id_number FROM parties WHERE kind = 'person'").load(&mut conn).unwrap();
    // No full name or id number of any person appears in any public response we make.
    let bodies = [
        app.get("/parcels/lookup?commune=31507&sheet=1&parcel=2").text().unwrap(),
        app.get("/collections/parcels/items?limit=1000").text().unwrap(),
        app.get(&format!("/parcels/{}/history", f["id"].as_str().unwrap())).text().unwrap(),
    ];
    for p in &people {
        for body in &bodies {
            assert!(!body.contains(&p.full_name), "full name {} leaked", p.full_name);
            if let Some(id) = &p.id_number {
                assert!(!body.contains(id.as_str()), "id number leaked");
            }
        }
    }
    for h in holders {
        if h["kind"] == "person" {
            let name = h["name"].as_str().unwrap();
            assert!(name.ends_with('.'), "masked: {name}");
        }
    }
    assert_eq!(f["properties"]["certificate"]["status"], "valid");
}

#[test]
fn parcel_at_a_point_and_by_id() {
    let app = TestApp::spawn();
    let (_, f) = app.get_json("/parcels/lookup?commune=22366&sheet=1&parcel=10");
    let id = f["id"].as_str().unwrap();
    // The GeoHash cell centre of the national id lies inside the parcel (it is an interior point).
    let (lon, lat) = domain::geohash::decode(id).unwrap();
    let (status, at) = app.get_json(&format!("/parcels/at?lon={lon}&lat={lat}"));
    assert_eq!(status, 200, "{at}");
    assert_eq!(at["id"], id);
    let (status, _) = app.get_json("/parcels/at?lon=102.0&lat=21.0");
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/parcels/at?lon=200&lat=10");
    assert_eq!(status, 400);
    let (status, by_id) = app.get_json(&format!("/parcels/{id}"));
    assert_eq!(status, 200);
    assert_eq!(by_id["properties"]["legal_area_m2"], f["properties"]["legal_area_m2"]);
    let (status, bad) = app.get_json("/parcels/not-a-geohash");
    assert_eq!(status, 400, "{bad}");
    let (status, _) = app.get_json("/parcels/s00000000000");
    assert_eq!(status, 404);
}

#[test]
fn bad_parameters_get_problem_json_400() {
    let app = TestApp::spawn();
    for path in [
        "/collections/parcels/items?bbox=1,2,3",
        "/collections/parcels/items?bbox=105,91,106,92",
        "/collections/parcels/items?bbox=190,9,191,10",
        "/collections/parcels/items?bbox=106,9,105,10",
        "/collections/parcels/items?limit=0",
        "/collections/parcels/items?limit=10001",
        "/collections/parcels/items?limit=ten",
        "/collections/parcels/items?bbx=105,9,106,10",
        "/collections/parcels/items?datetime=yesterday",
        "/collections/parcels/items?f=html",
        "/parcels/lookup?commune=31507&sheet=1",
        "/parcels/lookup?commune=31507&sheet=1&parcel=1&colour=red",
        "/conformance?x=1",
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        let body: Value = r.json().unwrap();
        assert_eq!(body["status"], 400);
        assert!(body["errors"][0]["parameter"].is_string(), "{path}: {body}");
    }
}

#[test]
fn malformed_identifiers_in_paths_are_problems_that_name_the_parameter() {
    let app = TestApp::spawn();
    for (path, parameter, message) in [
        ("/parcels/w3gvk5ailjxq", "id", "a national parcel id is 12 GeoHash characters (0-9, b-z without a, i, l, o)"),
        ("/parcels/abc/history", "id", "a national parcel id is 12 GeoHash characters (0-9, b-z without a, i, l, o)"),
        ("/parcels/abc/planning", "id", "a national parcel id is 12 GeoHash characters (0-9, b-z without a, i, l, o)"),
        (
            "/certificates/verify/af1",
            "serial",
            "a serial is two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)",
        ),
        ("/dossiers/track/92.261123", "receipt_no", "a receipt number looks like 92.261123.0001"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        let body: Value = r.json().unwrap();
        assert_eq!(body["errors"][0]["parameter"], parameter, "{path}: {body}");
        assert_eq!(body["errors"][0]["message"], message, "{path}: {body}");
    }
}

#[test]
fn health_probes() {
    let app = TestApp::spawn();
    assert_eq!(app.get("/healthz").status(), 200);
    assert_eq!(app.get("/readyz").status(), 200);
    assert_eq!(app.get("/no/such/thing").status(), 404);
}

#[test]
fn as_of_datetime_before_registration_finds_nothing() {
    let app = TestApp::spawn();
    let (status, page) = app.get_json("/collections/parcels/items?datetime=2000-01-01T00:00:00Z");
    assert_eq!(status, 200);
    assert_eq!(page["numberMatched"], 0);
}

/// Only the first page of parcels says how many match (and only when counting is cheap); a
/// page after a cursor leaves `numberMatched` out, as OGC API – Features allows.
#[test]
fn number_matched_only_on_the_first_page_and_only_when_cheap() {
    let app = TestApp::spawn();
    let (_, first) = app.get_json("/collections/parcels/items?limit=100");
    assert_eq!(first["numberMatched"], 960);
    let next = first["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    let second: Value = app.client.get(&next).send().unwrap().json().unwrap();
    assert_eq!(second["numberReturned"], 100);
    assert!(second.get("numberMatched").is_none(), "{}", second["numberMatched"]);
    // Beyond the count's limit the store gives no number; within it, the exact one.
    let mut conn = app.db.conn();
    let (page, matched) = store::parcels::current_page(&mut conn, None, 0, 5, Some(100)).unwrap();
    assert_eq!((page.len(), matched), (5, None));
    let (_, matched) = store::parcels::current_page(&mut conn, None, 0, 5, Some(2000)).unwrap();
    assert_eq!(matched, Some(960));
    let soc_trang = [105.9, 9.55, 106.05, 9.65];
    let (page, matched) = store::parcels::current_page(&mut conn, Some(soc_trang), 0, 5, Some(1000)).unwrap();
    assert_eq!((page.len(), matched), (5, Some(240)), "counted past the page");
    let (page, matched) = store::parcels::current_page(&mut conn, Some(soc_trang), 0, 1000, Some(1000)).unwrap();
    assert_eq!((page.len(), matched), (240, Some(240)), "the page is the count");
    let (_, matched) =
        store::parcels::current_page(&mut conn, Some(soc_trang), page[0].parcel_id, 5, Some(1000)).unwrap();
    assert_eq!(matched, None, "never after a cursor");
}

/// The text of a function's body as the database holds it.
fn function_body(conn: &mut diesel::PgConnection, name: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        prosrc: String,
    }
    diesel::sql_query("SELECT prosrc FROM pg_proc WHERE proname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Body>(conn)
        .unwrap_or_else(|e| panic!("function {name}: {e}"))
        .prosrc
}

/// SQL without comment lines, whitespace collapsed.
fn normalised(sql: &str) -> String {
    let lines = sql.lines().filter(|l| !l.trim_start().starts_with("--"));
    lines.flat_map(str::split_whitespace).collect::<Vec<_>>().join(" ")
}

/// The functions of migration 000018 run exactly the store's statements (the bodies are
/// copies, so that the plan tests below and the benchmarks see what is served): a change to
/// a statement file fails here until a migration replaces the function.
#[test]
fn read_functions_run_the_store_statements() {
    use domain::tiles::Layer;
    use store::parcels::statements as s;
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    for (function, statement) in [
        ("parcel_public", s::PUBLIC_BODY),
        ("parcels_page", s::PAGE_CURRENT),
        ("parcels_page", s::PAGE_CURRENT_BBOX),
        ("parcels_page", s::COUNT_CURRENT),
        ("parcels_page", s::COUNT_CURRENT_BBOX),
        ("parcel_tile", store::tiles::stamp_sql(Layer::Parcels)),
        ("parcel_tile", store::tiles::sql(Layer::Parcels)),
        ("planning_zone_tile", store::tiles::stamp_sql(Layer::PlanningZones)),
        ("planning_zone_tile", store::tiles::sql(Layer::PlanningZones)),
        ("check_neighbours", store::checks::statements::NEIGHBOURS),
        ("parcel_current", s::CURRENT_BODY),
    ] {
        let body = normalised(&function_body(&mut conn, function));
        assert!(body.contains(&normalised(statement)), "{function} does not run:\n{statement}\nits body:\n{body}");
    }
}

/// The plan a session keeps for `statement` once it is prepared (a function body's plan is
/// cached the same way): `force_generic_plan`, as after the first few calls.
fn generic_plan(conn: &mut diesel::PgConnection, statement: &str, types: &str, args: &str) -> String {
    explain_generic(conn, "", statement, types, args)
}

/// `EXPLAIN (options)` of the generic plan, as [`generic_plan`].
fn explain_generic(conn: &mut diesel::PgConnection, options: &str, statement: &str, types: &str, args: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    diesel::sql_query("SET plan_cache_mode = force_generic_plan").execute(conn).unwrap();
    diesel::sql_query(format!("PREPARE explained ({types}) AS {statement}")).execute(conn).unwrap();
    let explain = if options.is_empty() { "EXPLAIN".to_string() } else { format!("EXPLAIN ({options})") };
    let lines: Vec<Line> = diesel::sql_query(format!("{explain} EXECUTE explained ({args})")).load(conn).unwrap();
    diesel::sql_query("DEALLOCATE explained").execute(conn).unwrap();
    lines.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n")
}

/// The public reads find their rows through the indexes on current versions, in the plans
/// that are cached (generic: parameters unknown) — the page through the partial GiST index
/// on current versions, not the index over every version — in a register with history.
#[test]
fn public_reads_use_the_indexes_on_current_versions() {
    use store::parcels::statements as s;
    let app = TestApp::spawn();
    let id: Value = app.get_json("/collections/parcels/items?limit=1").1["features"][0]["id"].clone();
    // Three closed versions behind every current one (numbered above it: the plan does not
    // care), so the index over every version is four times the partial one. Without history
    // the two are the same size and the planner may take either, at the same cost.
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
    let plan = generic_plan(
        &mut conn,
        s::PUBLIC_BODY,
        "text, text, text[]",
        &format!("{id}, 'mortgage', '{{mortgage}}'").replace('"', "'"),
    );
    assert!(plan.contains("parcels_national_id_key"), "{plan}");
    assert!(crate::common::uses_partition_index(&plan, "one_current"), "{plan}");
    // The registered parcel (parcel_current): the parcel by national id first, then only its
    // province's partitions of versions and land uses are read (pruned at run time; the rest
    // are never executed).
    let id_arg = id.to_string().replace('"', "'");
    let plan = generic_plan(&mut conn, s::CURRENT_BODY, "text", &id_arg);
    assert!(plan.contains("parcels_national_id_key"), "{plan}");
    assert!(crate::common::uses_partition_index(&plan, "one_current"), "{plan}");
    let run =
        explain_generic(&mut conn, "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF", s::CURRENT_BODY, "text", &id_arg);
    for partitions in [" on parcel_versions_p", " on parcel_land_uses_p"] {
        let read = run.lines().filter(|l| l.contains(partitions) && !l.contains("never executed")).count();
        assert_eq!(read, 1, "{partitions}:\n{run}");
    }
    let plan = generic_plan(
        &mut conn,
        s::PAGE_CURRENT_BBOX,
        "float8, float8, float8, float8, bigint, bigint",
        "105.97, 9.60, 105.98, 9.61, 0, 100",
    );
    assert!(crate::common::uses_partition_index(&plan, "current_geom"), "{plan}");
    let plan = generic_plan(
        &mut conn,
        s::COUNT_CURRENT_BBOX,
        "float8, float8, float8, float8, bigint, bigint, bigint",
        "105.97, 9.60, 105.98, 9.61, 0, 100, 1000",
    );
    assert!(crate::common::uses_partition_index(&plan, "current_geom"), "{plan}");
    let plan = generic_plan(
        &mut conn,
        s::PAGE_CURRENT,
        "float8, float8, float8, float8, bigint, bigint",
        "NULL, NULL, NULL, NULL, 0, 100",
    );
    assert!(crate::common::uses_partition_index(&plan, "one_current"), "{plan}");
}
