//! The published contract: `schema/openapi.json` is what the code generates (no drift), and
//! the migrations are reversible and keep the schema's invariants.

use diesel::{Connection, PgConnection, RunQueryDsl};

#[test]
fn committed_openapi_matches_the_code() {
    let generated = diachinh::http::openapi::document_text();
    let path = crate::common::repo_dir().join("schema/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var("UPDATE_SCHEMA").is_ok() {
            std::fs::write(&path, &generated).unwrap();
        } else {
            panic!("schema/openapi.json is out of date: run `target/debug/diachinh openapi > schema/openapi.json` (or UPDATE_SCHEMA=1 cargo test)");
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in ["/collections/{collection}/items", "/parcels/lookup", "/parcels", "/auth/token"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
}

#[test]
fn api_endpoint_serves_the_same_document() {
    let app = crate::common::TestApp::spawn();
    let (status, served) = app.get_json("/api");
    assert_eq!(status, 200);
    assert_eq!(served, diachinh::http::openapi::document());
}

#[derive(diesel::QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn names(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql).load::<Row>(conn).unwrap().into_iter().map(|r| r.name).collect()
}

const TABLES: &str = "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' ORDER BY 1";

#[test]
fn migrations_revert_cleanly_and_reapply() {
    let db = crate::common::TestDb::new();
    let mut conn = db.conn();
    // The cloned database is migrated and seeded; reverting must drop every table we made.
    diesel::sql_query("TRUNCATE admin_units, land_use_types, parcels, parties, users, procedures CASCADE")
        .execute(&mut conn)
        .ok();
    store::revert_all(&mut conn).unwrap();
    let left: Vec<String> =
        names(&mut conn, TABLES).into_iter().filter(|t| t != "__diesel_schema_migrations").collect();
    assert!(left.is_empty(), "left behind after revert: {left:?}");
    let applied = store::migrate(&mut conn).unwrap();
    assert_eq!(applied.len(), std::fs::read_dir(crate::common::repo_dir().join("migrations")).unwrap().count());
}

#[test]
fn every_geometry_column_has_srid_4326_and_a_gist_index() {
    let db = crate::common::TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    let columns = names(&mut conn, "SELECT f_table_name || '.' || f_geometry_column || ':' || srid AS name FROM geometry_columns WHERE f_table_schema = 'public' ORDER BY 1");
    assert!(columns.len() >= 3, "{columns:?}");
    for c in &columns {
        assert!(c.ends_with(":4326"), "{c} has no SRID 4326");
    }
    let indexed = names(
        &mut conn,
        "SELECT t.relname || '.' || a.attname AS name FROM pg_index i JOIN pg_class ix ON ix.oid = i.indexrelid \
         JOIN pg_am am ON am.oid = ix.relam JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) WHERE am.amname = 'gist'",
    );
    for c in columns {
        let column = c.split(':').next().unwrap();
        assert!(indexed.iter().any(|i| i == column), "{column} has no GiST index");
    }
}

#[test]
fn every_foreign_key_says_what_happens_on_delete() {
    let db = crate::common::TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    // confdeltype 'a' is NO ACTION, the default when a migration says nothing.
    let silent = names(
        &mut conn,
        "SELECT conrelid::regclass::text || '.' || conname AS name FROM pg_constraint \
         WHERE contype = 'f' AND confdeltype = 'a' AND connamespace = 'public'::regnamespace",
    );
    assert!(silent.is_empty(), "foreign keys without ON DELETE: {silent:?}");
}

/// The schema as pg_dump prints it, without lines that name the server's version, and without
/// the provinces' partitions of versions and land uses (migration 000022: one per province the
/// seed lists, each a copy of its parent made by province_partition_create()).
fn schema_dump(url: &str) -> String {
    let out = std::process::Command::new("/usr/lib/postgresql/15/bin/pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--exclude-table=spatial_ref_sys",
            "--exclude-table=parcel_versions_p[0-9][0-9]",
            "--exclude-table=parcel_land_uses_p[0-9][0-9]",
            url,
        ])
        .output()
        .expect("pg_dump runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("-- Dumped") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn committed_schema_dump_matches_the_migrations() {
    let db = crate::common::TestDb::new();
    let dump = schema_dump(&db.url);
    let path = crate::common::repo_dir().join("schema/db.sql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != dump {
        if std::env::var("UPDATE_SCHEMA").is_ok() {
            std::fs::write(&path, &dump).unwrap();
        } else {
            panic!("schema/db.sql is out of date with the migrations: run UPDATE_SCHEMA=1 cargo nextest run -E 'binary(contract)'");
        }
    }
}

/// Another method on a documented path is 405 with `Allow`, before any route can take the path
/// for a parameter (`GET /parcels/merge` is not the parcel "merge"); the documented method
/// still reaches its route.
#[test]
fn another_method_on_a_documented_path_is_405_with_allow() {
    let app = crate::common::TestApp::spawn();
    let client = reqwest::blocking::Client::new();
    for (method, path, allow) in [
        (reqwest::Method::GET, "/parcels/merge", "POST"),
        (reqwest::Method::DELETE, "/collections/parcels/items", "GET"),
        (reqwest::Method::PUT, "/tiles/parcels/16/52270/30735.mvt", "GET"),
        (reqwest::Method::GET, "/imports", "POST"),
    ] {
        let r = client.request(method.clone(), app.url(path)).send().unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{method} {path}");
    }
    assert_eq!(app.get("/collections/parcels/items?limit=1").status(), 200);
    assert_eq!(app.get("/parcels/merge/").status(), 404, "not a documented path: no 405");
}
