//! Parcel versions and their land uses partitioned by province (migration 000022,
//! docs/FEDERATION.md "Partitioning"): each province's rows in its own partition, which can be
//! detached, attached back and vacuumed on its own, and the keys the register relies on still
//! refused by the database when a writer walks around the code.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::common::{scalar, scalar_on, sql, TestApp};

/// The error `statement` fails with (it must fail).
fn refused(conn: &mut PgConnection, statement: &str) -> String {
    match conn.batch_execute(statement) {
        Ok(()) => panic!("{statement} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The text column `value` of `query`'s one row, on `conn`.
fn text_on(conn: &mut PgConnection, query: &str) -> String {
    diesel::sql_query(query).get_result::<Text>(conn).unwrap_or_else(|e| panic!("{query}: {e}")).value
}

/// The national id of one current parcel of `province` (the lowest id).
fn a_parcel_of(app: &TestApp, province: &str) -> String {
    text_on(
        &mut app.db.conn(),
        &format!(
            "SELECT national_id AS value FROM parcels WHERE province_code = '{province}' AND retired_at IS NULL \
             ORDER BY id LIMIT 1"
        ),
    )
}

fn matched(app: &TestApp) -> i64 {
    let (status, page) = app.get_json("/collections/parcels/items?limit=1");
    assert_eq!(status, 200);
    page["numberMatched"].as_i64().unwrap()
}

#[test]
fn each_province_keeps_its_versions_and_land_uses_in_its_own_partition() {
    let app = TestApp::spawn();
    // The seed registered 240 parcels in each of four provinces.
    for table in ["parcel_versions", "parcel_land_uses"] {
        let misplaced = scalar(
            &app,
            &format!(
                "SELECT count(*) AS n FROM {table} t WHERE t.tableoid::regclass::text <> '{table}_p' || t.province_code"
            ),
        );
        assert_eq!(misplaced, 0, "{table}: every row in its province's partition");
        for province in ["56", "80", "91", "92"] {
            let here = scalar(&app, &format!("SELECT count(*) AS n FROM {table}_p{province}"));
            assert_eq!(here, 240, "{table}_p{province}");
        }
    }
    // A version's province is its parcel's, and a land use's its version's.
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) AS n FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id \
             WHERE v.tableoid <> ('parcel_versions_p' || p.province_code)::regclass"
        ),
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) AS n FROM parcel_land_uses lu JOIN parcel_versions v ON v.id = lu.parcel_version_id \
             WHERE lu.province_code <> v.province_code"
        ),
        0
    );
    // Rights name the province of their parcel (filled by a trigger, no insert names it).
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM rrrs r JOIN parcels p ON p.id = r.parcel_id WHERE r.province_code <> p.province_code"),
        0
    );
    // Every province of the reference data has its partitions, empty or not, and a new
    // province gets them when its row is added.
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) AS n FROM admin_units u WHERE u.level = 'province' \
             AND (to_regclass('parcel_versions_p' || u.province_code) IS NULL \
                  OR to_regclass('parcel_land_uses_p' || u.province_code) IS NULL)"
        ),
        0
    );
    sql(
        &app,
        "INSERT INTO admin_units (level, code, name, division_type, province_code, valid_from) \
         VALUES ('province', '99', 'Tỉnh thử', 'tỉnh', '99', '2025-07-01')",
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) AS n FROM pg_inherits \
             WHERE inhrelid IN ('parcel_versions_p99'::regclass, 'parcel_land_uses_p99'::regclass)"
        ),
        2
    );
}

#[test]
fn a_province_detaches_and_attaches_on_its_own() {
    let app = TestApp::spawn();
    let khanh_hoa = a_parcel_of(&app, "56");
    let can_tho = a_parcel_of(&app, "92");
    let (status, before) = app.get_json(&format!("/collections/parcels/items/{khanh_hoa}"));
    assert_eq!(status, 200);
    assert_eq!(matched(&app), 960);
    let mut owner = app.db.conn();

    // A plain DETACH of the versions would orphan the land uses and rights that refer to
    // them: PostgreSQL refuses, and nothing changes.
    let e = refused(&mut owner, "ALTER TABLE parcel_versions DETACH PARTITION parcel_versions_p56");
    assert!(e.contains("violates foreign key constraint"), "{e}");

    owner.batch_execute("SELECT province_partitions_detach('56')").unwrap();
    // The partitions are tables of their own now, rows and all.
    assert_eq!(
        scalar_on(
            &mut owner,
            "SELECT count(*) AS n FROM pg_inherits \
             WHERE inhrelid IN ('parcel_versions_p56'::regclass, 'parcel_land_uses_p56'::regclass)"
        ),
        0
    );
    assert_eq!(scalar_on(&mut owner, "SELECT count(*) AS n FROM parcel_versions_p56"), 240);
    assert_eq!(scalar_on(&mut owner, "SELECT count(*) AS n FROM parcel_land_uses_p56"), 240);
    // Exactly that province's parcels are gone from the public API; the others are served.
    let (status, _) = app.get_json(&format!("/collections/parcels/items/{khanh_hoa}"));
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("/parcels/{khanh_hoa}")).status(), 404);
    let (status, _) = app.get_json(&format!("/collections/parcels/items/{can_tho}"));
    assert_eq!(status, 200);
    assert_eq!(matched(&app), 720);
    // No version of that province can be written meanwhile: there is no catch-all partition.
    let e = refused(
        &mut owner,
        "INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                                      source_crs_epsg, legal_area_m2, change_reason, province_code)
         SELECT parcel_id, 99, commune_id, registered_commune_id, sheet_no, parcel_no, geom, source_crs_epsg,
                legal_area_m2, 'test', province_code
           FROM parcel_versions_p56 LIMIT 1",
    );
    assert!(e.contains("no partition of relation \"parcel_versions\""), "{e}");
    // A detached province's table vacuums like any table.
    owner.batch_execute("VACUUM (ANALYZE) parcel_versions_p56").unwrap();
    // Rows changed while the province was away (on another node, say) — here a second parcel
    // moved a degree east, with triggers off as a restore would write it — are found where
    // they now lie once it is back: attaching widens the province's box over them.
    let moved = text_on(
        &mut owner,
        "SELECT p.national_id AS value FROM parcels p WHERE p.province_code = '56' AND p.retired_at IS NULL          ORDER BY p.id OFFSET 1 LIMIT 1",
    );
    owner
        .batch_execute(&format!(
            "ALTER TABLE parcel_versions_p56 DISABLE TRIGGER USER;
             UPDATE parcel_versions_p56 v SET geom = ST_Translate(v.geom, 1.0, 0.0)
               FROM parcels p WHERE p.id = v.parcel_id AND p.national_id = '{moved}' AND v.valid_to IS NULL;
             ALTER TABLE parcel_versions_p56 ENABLE TRIGGER USER;"
        ))
        .unwrap();

    owner.batch_execute("SELECT province_partitions_attach('56')").unwrap();
    let (status, after) = app.get_json(&format!("/collections/parcels/items/{khanh_hoa}"));
    assert_eq!(status, 200);
    assert_eq!(after, before, "the parcel comes back unchanged");
    assert_eq!(uncovered(&mut owner), 0, "the boxes hold the attached rows");
    assert_eq!(box_triggers_not_always(&mut owner), 0, "the attached partition's trigger fires for replicated rows");
    let bbox = text_on(
        &mut owner,
        &format!(
            "SELECT concat_ws(',', ST_XMin(v.geom), ST_YMin(v.geom), ST_XMax(v.geom), ST_YMax(v.geom)) AS value
               FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id
              WHERE p.national_id = '{moved}' AND v.valid_to IS NULL"
        ),
    );
    assert_eq!(found_in(&app, &bbox), vec![moved.clone()]);
    assert_eq!(matched(&app), 960);
    assert_eq!(app.get(&format!("/parcels/{khanh_hoa}")).status(), 200);
    // The rights' reference to versions is checked again over every row.
    assert_eq!(
        scalar_on(
            &mut owner,
            "SELECT count(*) AS n FROM pg_constraint WHERE conname = 'rrrs_parcel_version_fkey' AND convalidated"
        ),
        1
    );
    // And the attached partition's index names are the ones it left with.
    assert_eq!(
        scalar_on(
            &mut owner,
            "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'parcel_versions_p56' \
             AND indexname IN ('parcel_versions_p56_pkey', 'parcel_versions_p56_one_current', \
                               'parcel_versions_p56_current_key', 'parcel_versions_p56_current_geom')"
        ),
        4
    );
}

#[test]
fn a_province_vacuums_on_its_own() {
    let app = TestApp::spawn();
    let mut owner = app.db.conn();
    owner.batch_execute("VACUUM (ANALYZE) parcel_versions_p92").unwrap();
    owner.batch_execute("VACUUM (ANALYZE) parcel_land_uses_p92").unwrap();
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Vacuumed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        relname: String,
    }
    let vacuumed: Vec<Vacuumed> = diesel::sql_query(
        "SELECT relname::text FROM pg_stat_user_tables \
         WHERE relname ~ '^parcel_(versions|land_uses)_p[0-9]{2}$' AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL \
         ORDER BY 1",
    )
    .load(&mut owner)
    .unwrap();
    let names: Vec<&str> = vacuumed.iter().map(|v| v.relname.as_str()).collect();
    assert_eq!(names, ["parcel_land_uses_p92", "parcel_versions_p92"], "only province 92's partitions");
}

/// The attack: the service's own database login writes versions straight into the table,
/// skipping the code. A version of another province than its parcel's, a second current
/// version of a parcel and a second current parcel with the same commune, sheet and number
/// are refused by the database, partitioned or not.
#[test]
fn the_database_refuses_versions_that_break_the_register_keys() {
    let app = TestApp::spawn();
    let parcel =
        scalar(&app, &format!("SELECT id AS n FROM parcels WHERE national_id = '{}'", a_parcel_of(&app, "92")));
    let mut service = PgConnection::establish(&app.db.service_url).unwrap();
    let copy = |version: i64, province: &str, valid_to: &str, numbers: &str| {
        format!(
            "INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                                          source_crs_epsg, legal_area_m2, change_reason, valid_from, valid_to, province_code)
             SELECT parcel_id, {version}, commune_id, registered_commune_id, {numbers}, geom, source_crs_epsg,
                    legal_area_m2, 'walked around', valid_from - interval '2 days', {valid_to}, '{province}'
               FROM parcel_versions WHERE parcel_id = {parcel} AND valid_to IS NULL"
        )
    };
    // Another province than its parcel's (a closed version, so that no other key is in play).
    let e = refused(&mut service, &copy(1000, "56", "valid_from - interval '1 day'", "sheet_no, parcel_no"));
    assert!(e.contains("parcel_versions_parcel_fkey"), "{e}");
    // A second current version of the parcel (other numbers, so only that key is in play).
    let e = refused(&mut service, &copy(1000, "92", "NULL", "sheet_no + 1000, parcel_no"));
    assert!(e.contains("one_current"), "{e}");
    // Another parcel, current under the same commune, sheet and number.
    let e = refused(
        &mut service,
        &format!(
            "WITH other AS (INSERT INTO parcels (national_id, province_code) VALUES ('w9zzzzzzzzzz', '92') RETURNING id)
             INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                                          source_crs_epsg, legal_area_m2, change_reason, province_code)
             SELECT other.id, 1, commune_id, registered_commune_id, sheet_no, parcel_no, geom, source_crs_epsg,
                    legal_area_m2, 'walked around', province_code
               FROM other, parcel_versions WHERE parcel_id = {parcel} AND valid_to IS NULL"
        ),
    );
    assert!(e.contains("current_key"), "{e}");
    // A land use filed under another province than its version's.
    let e = refused(
        &mut service,
        &format!(
            "INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, province_code)
             SELECT id, 'CLN', 1, '56' FROM parcel_versions WHERE parcel_id = {parcel} AND valid_to IS NULL"
        ),
    );
    assert!(e.contains("parcel_land_uses_version_fkey"), "{e}");
    // A province without a partition: no catch-all takes the row.
    let e = refused(
        &mut service,
        &format!(
            "WITH stray AS (INSERT INTO parcels (national_id, province_code) VALUES ('w9yyyyyyyyyy', '03') RETURNING id)
             INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                                          source_crs_epsg, legal_area_m2, change_reason, province_code)
             SELECT stray.id, 1, commune_id, registered_commune_id, sheet_no + 1000, parcel_no, geom, source_crs_epsg,
                    legal_area_m2, 'walked around', '03'
               FROM stray, parcel_versions WHERE parcel_id = {parcel} AND valid_to IS NULL"
        ),
    );
    assert!(e.contains("no partition of relation \"parcel_versions\""), "{e}");
    // The partitions themselves are not the service's to write: only through the root.
    let e = refused(&mut service, "DELETE FROM parcel_land_uses_p92");
    assert!(e.contains("permission denied"), "{e}");
    // A right names its parcel's province whatever the writer says.
    let right = scalar_on(
        &mut service,
        &format!(
            "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document, description, province_code)
             SELECT 'dispute', parcel_id, id, 'x', 'walked around', '56' FROM parcel_versions
              WHERE parcel_id = {parcel} AND valid_to IS NULL RETURNING id AS n"
        ),
    );
    let stored = text_on(&mut service, &format!("SELECT province_code AS value FROM rrrs WHERE id = {right}"));
    assert_eq!(stored, "92");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) AS n FROM parcel_versions WHERE parcel_id = {parcel}")),
        1,
        "nothing written"
    );
}

/// Versions lying (in part) outside their province's box in province_extents: what a read
/// pruned by the boxes would miss. Must be none.
fn uncovered(conn: &mut PgConnection) -> i64 {
    scalar_on(
        conn,
        "SELECT count(*) AS n FROM parcel_versions v LEFT JOIN province_extents e USING (province_code)
          WHERE e.province_code IS NULL
             OR NOT (e.west <= ST_XMin(v.geom) AND e.south <= ST_YMin(v.geom)
                     AND e.east >= ST_XMax(v.geom) AND e.north >= ST_YMax(v.geom))",
    )
}

/// Copies of the box trigger, on the root and on each partition, that would not fire for a
/// row applied by logical replication (enabled ALWAYS: 'A').
fn box_triggers_not_always(conn: &mut PgConnection) -> i64 {
    scalar_on(
        conn,
        "SELECT count(*) AS n FROM pg_class c
           LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = 'province_extents_cover'
          WHERE (c.oid = 'parcel_versions'::regclass
                 OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'parcel_versions'::regclass))
            AND t.tgenabled IS DISTINCT FROM 'A'",
    )
}

/// Moves current parcel `national_id` by (`dx`, `dy`) degrees with an UPDATE of `table` (the
/// root or a partition) after `setup` (session settings), and returns the bbox of its new place.
fn move_parcel(conn: &mut PgConnection, table: &str, national_id: &str, dx: f64, dy: f64, setup: &str) -> String {
    conn.batch_execute(&format!(
        "{setup} UPDATE {table} v SET geom = ST_Translate(v.geom, {dx}, {dy})
           FROM parcels p WHERE p.id = v.parcel_id AND p.national_id = '{national_id}' AND v.valid_to IS NULL;
         RESET session_replication_role;"
    ))
    .unwrap();
    text_on(
        conn,
        &format!(
            "SELECT concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)) AS value
               FROM (SELECT ST_Envelope(v.geom) AS b FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id
                      WHERE p.national_id = '{national_id}' AND v.valid_to IS NULL) s"
        ),
    )
}

/// The national ids a bbox page finds.
fn found_in(app: &TestApp, bbox: &str) -> Vec<String> {
    let (status, page) = app.get_json(&format!("/collections/parcels/items?bbox={bbox}&limit=1000"));
    assert_eq!(status, 200, "{page}");
    page["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_provinces_boxes_hold_every_version_however_it_is_written() {
    let app = TestApp::spawn();
    let mut owner = app.db.conn();
    assert_eq!(uncovered(&mut owner), 0, "the migration's boxes hold the seeded register");
    assert_eq!(box_triggers_not_always(&mut owner), 0);
    // A version moved half a degree from the rest of its province — through the root, naming
    // its partition, and as logical replication applies rows (session_replication_role =
    // replica, where only ALWAYS triggers fire) — is inside its province's box afterwards,
    // and the public bbox page and tiles, which read only the provinces whose box meets them,
    // find it there.
    let parcels: Vec<String> = (0..3)
        .map(|k| {
            text_on(
                &mut owner,
                &format!(
                    "SELECT national_id AS value FROM parcels WHERE province_code = '92' AND retired_at IS NULL \
                     ORDER BY id OFFSET {k} LIMIT 1"
                ),
            )
        })
        .collect();
    let writes = [
        ("parcel_versions", ""),
        ("parcel_versions_p92", ""),
        ("parcel_versions", "SET session_replication_role = replica;"),
    ];
    for (k, ((table, setup), parcel)) in writes.iter().zip(&parcels).enumerate() {
        let bbox = move_parcel(&mut owner, table, parcel, 0.5 + k as f64 * 0.2, 0.3, setup);
        assert_eq!(uncovered(&mut owner), 0, "after a write to {table} {setup}");
        assert_eq!(found_in(&app, &bbox), vec![parcel.clone()], "{table} {setup}: the page finds it at {bbox}");
    }
    // A province made afterwards gets partitions whose trigger fires for replicated rows too.
    owner
        .batch_execute(
            "INSERT INTO admin_units (level, code, name, division_type, province_code, valid_from)
             VALUES ('province', '97', 'Tỉnh thử', 'tỉnh', '97', '2025-07-01')",
        )
        .unwrap();
    assert_eq!(scalar_on(&mut owner, "SELECT count(*) AS n FROM parcel_versions_p97"), 0);
    assert_eq!(box_triggers_not_always(&mut owner), 0, "the new province's partition");
}

#[test]
fn only_the_database_writes_the_provinces_boxes() {
    let app = TestApp::spawn();
    let mut owner = app.db.conn();
    let before = scalar_on(&mut owner, "SELECT count(*) AS n FROM province_extents WHERE east - west > 0.001");
    assert!(before >= 4, "the seeded provinces have boxes");
    let mut service = PgConnection::establish(&app.db.service_url).expect("the service's login connects");
    // A box made smaller would hide its province's parcels from every public read.
    for attack in [
        "UPDATE province_extents SET east = west, north = south",
        "DELETE FROM province_extents",
        "TRUNCATE province_extents",
        "INSERT INTO province_extents VALUES ('01', 0, 0, 0, 0)",
        "ALTER TABLE parcel_versions DISABLE TRIGGER province_extents_cover",
        "SELECT province_extents_refresh('92')",
    ] {
        if attack.starts_with("SELECT") {
            // Refreshing only widens: harmless, whoever runs it.
            diesel::sql_query(attack).execute(&mut service).ok();
            continue;
        }
        assert!(
            diesel::sql_query(attack).execute(&mut service).is_err(),
            "as the service's login, `{attack}` must fail"
        );
    }
    assert_eq!(uncovered(&mut owner), 0);
    assert_eq!(scalar_on(&mut owner, "SELECT count(*) AS n FROM province_extents WHERE east - west > 0.001"), before);
}
