//! Loading reference data (administrative units, land-use types) from `sample-data/`.

use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text};

/// A unit read from a reference file.
#[derive(Debug, Clone)]
pub struct UnitRecord {
    pub level: String,
    pub code: String,
    pub name: String,
    pub division_type: String,
    pub province_code: String,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
    pub default_crs_epsg: Option<i32>,
}

/// Inserts units that are not there yet (same level, code and valid_from); returns how many.
pub fn upsert_units(conn: &mut PgConnection, units: &[UnitRecord]) -> QueryResult<usize> {
    let col = |f: fn(&UnitRecord) -> String| units.iter().map(f).collect::<Vec<_>>();
    let n = diesel::sql_query(
        "INSERT INTO admin_units (level, code, name, division_type, province_code, valid_from, valid_to, default_crs_epsg, parent_id) \
         SELECT t.level, t.code, t.name, t.division_type, t.province_code, t.valid_from::date, nullif(t.valid_to, '')::date, t.crs, \
                (SELECT p.id FROM admin_units p WHERE p.level = 'province' AND p.code = t.province_code AND p.valid_to IS NULL \
                  AND t.level <> 'province') \
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[]) \
                AS t(level, code, name, division_type, province_code, valid_from, valid_to, crs) \
          WHERE NOT EXISTS (SELECT 1 FROM admin_units u WHERE u.level = t.level AND u.code = t.code \
                              AND u.valid_from = t.valid_from::date)",
    )
    .bind::<Array<Text>, _>(col(|u| u.level.clone()))
    .bind::<Array<Text>, _>(col(|u| u.code.clone()))
    .bind::<Array<Text>, _>(col(|u| u.name.clone()))
    .bind::<Array<Text>, _>(col(|u| u.division_type.clone()))
    .bind::<Array<Text>, _>(col(|u| u.province_code.clone()))
    .bind::<Array<Text>, _>(col(|u| u.valid_from.to_string()))
    .bind::<Array<Text>, _>(col(|u| u.valid_to.map(|d| d.to_string()).unwrap_or_default()))
    .bind::<Array<Nullable<Integer>>, _>(units.iter().map(|u| u.default_crs_epsg).collect::<Vec<_>>())
    .execute(conn)?;
    Ok(n)
}

/// Records that `unit_code` (in force) succeeded `predecessor_code` (retired).
pub fn link_predecessor(conn: &mut PgConnection, unit_code: &str, predecessor_code: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO admin_unit_predecessors (unit_id, predecessor_id) \
         SELECT u.id, p.id FROM admin_units u, admin_units p \
          WHERE u.level = 'commune' AND u.code = $1 AND u.valid_to IS NULL \
            AND p.level = 'commune' AND p.code = $2 AND p.valid_to IS NOT NULL \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(unit_code)
    .bind::<Text, _>(predecessor_code)
    .execute(conn)
}

/// Sets a commune's boundary (GeoJSON in WGS 84) and says where it came from.
pub fn set_boundary(
    conn: &mut PgConnection,
    level: &str,
    code: &str,
    geojson: &str,
    source: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE admin_units SET boundary = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)), boundary_source = $4 \
          WHERE level = $1 AND code = $2 AND valid_to IS NULL",
    )
    .bind::<Text, _>(level)
    .bind::<Text, _>(code)
    .bind::<Text, _>(geojson)
    .bind::<Text, _>(source)
    .execute(conn)
}

/// Sets the VN-2000 zone used for a province's records that carry no CRS.
pub fn set_province_crs(conn: &mut PgConnection, province_code: &str, epsg: i32) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE admin_units SET default_crs_epsg = $2 WHERE level = 'province' AND code = $1 AND valid_to IS NULL",
    )
    .bind::<Text, _>(province_code)
    .bind::<Integer, _>(epsg)
    .execute(conn)
}

/// Inserts or updates land-use types.
pub fn upsert_land_use_type(conn: &mut PgConnection, code: &str, name: &str, category: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO land_use_types (code, name, category) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, category = excluded.category",
    )
    .bind::<Text, _>(code)
    .bind::<Text, _>(name)
    .bind::<Text, _>(category)
    .execute(conn)
}

/// Counts rows of a table (used by seeding to stay idempotent, and by tests).
pub fn count(conn: &mut PgConnection, table: &str) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // `table` comes from our own code, never from a request.
    let n: N = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(conn)?;
    Ok(n.n)
}
