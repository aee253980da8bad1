//! Loading reference data (administrative units, land-use types) from `sample-data/`.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel::upsert::excluded;

use crate::schema::{admin_units, land_use_types};

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

const UPSERT_UNITS: &str = include_str!("sql/units_upsert.sql");
const LINK_PREDECESSOR: &str = include_str!("sql/unit_link_predecessor.sql");
const SET_BOUNDARY: &str = include_str!("sql/unit_set_boundary.sql");
const COUNT_ROWS: &str = include_str!("sql/count_rows.sql");

/// Inserts units that are not there yet (same level, code and valid_from); returns how many.
pub fn upsert_units(conn: &mut PgConnection, units: &[UnitRecord]) -> QueryResult<usize> {
    let col = |f: fn(&UnitRecord) -> String| units.iter().map(f).collect::<Vec<_>>();
    diesel::sql_query(UPSERT_UNITS)
        .bind::<Array<Text>, _>(col(|u| u.level.clone()))
        .bind::<Array<Text>, _>(col(|u| u.code.clone()))
        .bind::<Array<Text>, _>(col(|u| u.name.clone()))
        .bind::<Array<Text>, _>(col(|u| u.division_type.clone()))
        .bind::<Array<Text>, _>(col(|u| u.province_code.clone()))
        .bind::<Array<Text>, _>(col(|u| u.valid_from.to_string()))
        .bind::<Array<Text>, _>(col(|u| u.valid_to.map(|d| d.to_string()).unwrap_or_default()))
        .bind::<Array<Nullable<Integer>>, _>(units.iter().map(|u| u.default_crs_epsg).collect::<Vec<_>>())
        .execute(conn)
}

/// Records that `unit_code` (in force) succeeded `predecessor_code` (retired).
pub fn link_predecessor(conn: &mut PgConnection, unit_code: &str, predecessor_code: &str) -> QueryResult<usize> {
    diesel::sql_query(LINK_PREDECESSOR).bind::<Text, _>(unit_code).bind::<Text, _>(predecessor_code).execute(conn)
}

/// Sets a commune's boundary (GeoJSON in WGS 84) and says where it came from.
pub fn set_boundary(
    conn: &mut PgConnection,
    level: &str,
    code: &str,
    geojson: &str,
    source: &str,
) -> QueryResult<usize> {
    diesel::sql_query(SET_BOUNDARY)
        .bind::<Text, _>(level)
        .bind::<Text, _>(code)
        .bind::<Text, _>(geojson)
        .bind::<Text, _>(source)
        .execute(conn)
}

/// Sets the VN-2000 zone used for a province's records that carry no CRS.
pub fn set_province_crs(conn: &mut PgConnection, province_code: &str, epsg: i32) -> QueryResult<usize> {
    diesel::update(
        admin_units::table
            .filter(admin_units::level.eq("province"))
            .filter(admin_units::code.eq(province_code))
            .filter(admin_units::valid_to.is_null()),
    )
    .set(admin_units::default_crs_epsg.eq(epsg))
    .execute(conn)
}

/// Inserts or updates land-use types.
pub fn upsert_land_use_type(conn: &mut PgConnection, code: &str, name: &str, category: &str) -> QueryResult<usize> {
    diesel::insert_into(land_use_types::table)
        .values((land_use_types::code.eq(code), land_use_types::name.eq(name), land_use_types::category.eq(category)))
        .on_conflict(land_use_types::code)
        .do_update()
        .set((
            land_use_types::name.eq(excluded(land_use_types::name)),
            land_use_types::category.eq(excluded(land_use_types::category)),
        ))
        .execute(conn)
}

/// Counts rows of a table (used by tests to compare databases).
pub fn count(conn: &mut PgConnection, table: &str) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(COUNT_ROWS).bind::<Text, _>(table).get_result::<Count>(conn).map(|c| c.n)
}
