//! Administrative units and the reference tables loaded from `sample-data/`.

use diesel::prelude::*;
use diesel::sql_types::{Date, Integer, Nullable, Text};

/// A row of `admin_units` as the services need it.
#[derive(Debug, Clone, QueryableByName)]
pub struct UnitRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub division_type: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub valid_to: Option<chrono::NaiveDate>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub default_crs_epsg: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub has_boundary: bool,
}

const UNIT_COLUMNS: &str = "u.id, u.level, u.code, u.name, u.division_type, u.province_code, u.valid_to, \
     coalesce(u.default_crs_epsg, p.default_crs_epsg) AS default_crs_epsg, u.boundary IS NOT NULL AS has_boundary";

/// The commune in force today with this code.
pub fn current_commune(conn: &mut PgConnection, code: &str) -> QueryResult<Option<UnitRow>> {
    diesel::sql_query(format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units u \
         LEFT JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL \
         WHERE u.level = 'commune' AND u.code = $1 AND u.valid_to IS NULL"
    ))
    .bind::<Text, _>(code)
    .get_result(conn)
    .optional()
}

/// Every commune, current or retired, that has carried this code (newest first).
pub fn communes_with_code(conn: &mut PgConnection, code: &str) -> QueryResult<Vec<UnitRow>> {
    diesel::sql_query(format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units u \
         LEFT JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL \
         WHERE u.level = 'commune' AND u.code = $1 ORDER BY u.valid_to DESC NULLS FIRST"
    ))
    .bind::<Text, _>(code)
    .load(conn)
}

/// The retired commune with this code (a pre-2025 unit), if any.
pub fn legacy_commune(conn: &mut PgConnection, code: &str) -> QueryResult<Option<UnitRow>> {
    Ok(communes_with_code(conn, code)?.into_iter().find(|u| u.valid_to.is_some()))
}

/// Area (m², on the ellipsoid) of the part of a geometry outside the commune's boundary;
/// None when the commune has no boundary on record.
pub fn area_outside(conn: &mut PgConnection, unit_id: i32, geojson_wgs84: &str) -> QueryResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
        outside: Option<f64>,
    }
    let row: Row = diesel::sql_query(
        "SELECT ST_Area(ST_Difference(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326), boundary)::geography) AS outside \
         FROM admin_units WHERE id = $1",
    )
    .bind::<Integer, _>(unit_id)
    .bind::<Text, _>(geojson_wgs84)
    .get_result(conn)?;
    Ok(row.outside)
}

/// Communes in force in these provinces, by code.
pub fn communes_in_provinces(conn: &mut PgConnection, provinces: &[&str]) -> QueryResult<Vec<UnitRow>> {
    diesel::sql_query(format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units u \
         LEFT JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL \
         WHERE u.level = 'commune' AND u.valid_to IS NULL AND u.province_code = ANY($1) ORDER BY u.code"
    ))
    .bind::<diesel::sql_types::Array<Text>, _>(provinces)
    .load(conn)
}

/// A commune in force with its province, as the communes collection shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommuneRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub division_type: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Text)]
    pub province_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub boundary_source: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub geometry: Option<String>,
}

const COMMUNE_SELECT: &str = "SELECT u.id, u.code, u.name, u.division_type, u.province_code, p.name AS province_name, \
      u.boundary_source, ST_AsGeoJSON(u.boundary, 8) AS geometry \
    FROM admin_units u JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL \
    WHERE u.level = 'commune' AND u.valid_to IS NULL";
const COMMUNE_FILTER: &str =
    "AND ($1::float8 IS NULL OR ST_Intersects(u.boundary, ST_MakeEnvelope($1, $2, $3, $4, 4326)))";

/// A page of communes in force ordered by id, and the number matching the filter.
pub fn commune_page(
    conn: &mut PgConnection,
    bbox: Option<[f64; 4]>,
    after: i64,
    limit: i64,
) -> QueryResult<(Vec<CommuneRow>, i64)> {
    use diesel::sql_types::{BigInt, Double};
    let [x0, y0, x1, y1] = bbox.map_or([None; 4], |b| b.map(Some));
    let rows: Vec<CommuneRow> =
        diesel::sql_query(format!("{COMMUNE_SELECT} {COMMUNE_FILTER} AND u.id > $5 ORDER BY u.id LIMIT $6"))
            .bind::<Nullable<Double>, _>(x0)
            .bind::<Nullable<Double>, _>(y0)
            .bind::<Nullable<Double>, _>(x1)
            .bind::<Nullable<Double>, _>(y1)
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(limit)
            .load(conn)?;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM ({COMMUNE_SELECT} {COMMUNE_FILTER}) c"))
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .get_result(conn)?;
    Ok((rows, count.n))
}

/// One commune in force by code.
pub fn commune_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<CommuneRow>> {
    diesel::sql_query(format!("{COMMUNE_SELECT} AND u.code = $1")).bind::<Text, _>(code).get_result(conn).optional()
}
