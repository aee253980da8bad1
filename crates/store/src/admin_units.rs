//! Administrative units (provinces and communes, current and retired) as the services read them.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};

use crate::schema::admin_units;

/// A row of `admin_units` as the services need it; the CRS falls back to the province's.
#[derive(Debug, Clone, Queryable)]
pub struct UnitRow {
    pub id: i32,
    pub level: String,
    pub code: String,
    pub name: String,
    pub division_type: String,
    pub province_code: String,
    pub valid_to: Option<chrono::NaiveDate>,
    pub default_crs_epsg: Option<i32>,
    pub has_boundary: bool,
}

define_sql_function!(fn coalesce(x: Nullable<Integer>, y: Nullable<Integer>) -> Nullable<Integer>);

/// Units joined to the province in force that carries their province code, selecting a
/// [`UnitRow`]; `$filter` is applied to `admin_units` (the unit itself).
macro_rules! units_where {
    ($filter:expr) => {{
        let province = diesel::alias!(admin_units as province);
        admin_units::table
            .left_join(
                province.on(province
                    .field(admin_units::level)
                    .eq("province")
                    .and(province.field(admin_units::code).eq(admin_units::province_code))
                    .and(province.field(admin_units::valid_to).is_null())),
            )
            .filter($filter)
            .select((
                admin_units::id,
                admin_units::level,
                admin_units::code,
                admin_units::name,
                admin_units::division_type,
                admin_units::province_code,
                admin_units::valid_to,
                coalesce(admin_units::default_crs_epsg, province.field(admin_units::default_crs_epsg).nullable()),
                admin_units::boundary.is_not_null(),
            ))
    }};
}

/// The commune in force today with this code.
pub fn current_commune(conn: &mut PgConnection, code: &str) -> QueryResult<Option<UnitRow>> {
    units_where!(admin_units::level.eq("commune").and(admin_units::code.eq(code)).and(admin_units::valid_to.is_null()))
        .first(conn)
        .optional()
}

/// Every commune, current or retired, that has carried this code (newest first).
pub fn communes_with_code(conn: &mut PgConnection, code: &str) -> QueryResult<Vec<UnitRow>> {
    units_where!(admin_units::level.eq("commune").and(admin_units::code.eq(code)))
        .order(admin_units::valid_to.desc().nulls_first())
        .load(conn)
}

/// The retired commune with this code (a pre-2025 unit), if any.
pub fn legacy_commune(conn: &mut PgConnection, code: &str) -> QueryResult<Option<UnitRow>> {
    Ok(communes_with_code(conn, code)?.into_iter().find(|u| u.valid_to.is_some()))
}

const AREA_OUTSIDE: &str = include_str!("sql/unit_area_outside.sql");

/// Area (m², on the ellipsoid) of the part of a geometry outside the commune's boundary;
/// None when the commune has no boundary on record.
pub fn area_outside(conn: &mut PgConnection, unit_id: i32, geojson_wgs84: &str) -> QueryResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Double>)]
        outside: Option<f64>,
    }
    let row: Row =
        diesel::sql_query(AREA_OUTSIDE).bind::<Integer, _>(unit_id).bind::<Text, _>(geojson_wgs84).get_result(conn)?;
    Ok(row.outside)
}

/// Communes in force in these provinces, by code.
pub fn communes_in_provinces(conn: &mut PgConnection, provinces: &[&str]) -> QueryResult<Vec<UnitRow>> {
    units_where!(admin_units::level
        .eq("commune")
        .and(admin_units::valid_to.is_null())
        .and(admin_units::province_code.eq_any(provinces)))
    .order(admin_units::code)
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

const COMMUNES_PAGE: &str = include_str!("sql/communes_page.sql");
const COMMUNES_COUNT: &str = include_str!("sql/communes_count.sql");
const COMMUNE_BY_CODE: &str = include_str!("sql/commune_by_code.sql");

/// A page of communes in force ordered by id, and the number matching the filter.
pub fn commune_page(
    conn: &mut PgConnection,
    bbox: Option<[f64; 4]>,
    after: i64,
    limit: i64,
) -> QueryResult<(Vec<CommuneRow>, i64)> {
    let [x0, y0, x1, y1] = bbox.map_or([None; 4], |b| b.map(Some));
    let rows: Vec<CommuneRow> = diesel::sql_query(COMMUNES_PAGE)
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
    let count: Count = diesel::sql_query(COMMUNES_COUNT)
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .get_result(conn)?;
    Ok((rows, count.n))
}

/// One commune in force by code.
pub fn commune_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<CommuneRow>> {
    diesel::sql_query(COMMUNE_BY_CODE).bind::<Text, _>(code).get_result(conn).optional()
}
