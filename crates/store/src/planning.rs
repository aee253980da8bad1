//! Quy hoạch sử dụng đất: plans, their zones, and parcel ⟂ zone overlays. Geometry crosses
//! the boundary as GeoJSON text in WGS 84; areas are computed by PostGIS on the ellipsoid
//! (`ST_Area` of `geography`, m²).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz};

/// An administrative unit in force that a plan can be made for.
#[derive(Debug, Clone, QueryableByName)]
pub struct UnitRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
}

/// The unit in force with this level (`province` or `commune`) and code.
pub fn unit_in_force(conn: &mut PgConnection, level: &str, code: &str) -> QueryResult<Option<UnitRow>> {
    diesel::sql_query(
        "SELECT id, code, name, province_code FROM admin_units WHERE level = $1 AND code = $2 AND valid_to IS NULL",
    )
    .bind::<Text, _>(level)
    .bind::<Text, _>(code)
    .get_result(conn)
    .optional()
}

/// A plan with its unit and number of zones.
#[derive(Debug, Clone, QueryableByName)]
pub struct PlanRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = Integer)]
    pub admin_unit_id: i32,
    #[diesel(sql_type = Text)]
    pub unit_code: String,
    #[diesel(sql_type = Text)]
    pub unit_name: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Integer)]
    pub period_start: i32,
    #[diesel(sql_type = Integer)]
    pub period_end: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub decision_no: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub decision_date: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub is_synthetic: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub zone_count: i64,
}

const PLAN_SELECT: &str =
    "SELECT pl.id, pl.level, pl.admin_unit_id, u.code AS unit_code, u.name AS unit_name, u.province_code, \
       pl.name, pl.period_start, pl.period_end, pl.decision_no, pl.decision_date, pl.status, pl.is_synthetic, \
       pl.created_at, pl.updated_at, (SELECT count(*) FROM planning_zones z WHERE z.plan_id = pl.id) AS zone_count \
  FROM planning_plans pl JOIN admin_units u ON u.id = pl.admin_unit_id";

/// A plan by id; `for_update` locks it for the rest of the transaction (zone imports and
/// status changes of one plan then run one after the other).
pub fn plan(conn: &mut PgConnection, id: i32, for_update: bool) -> QueryResult<Option<PlanRow>> {
    if for_update {
        diesel::sql_query("SELECT id FROM planning_plans WHERE id = $1 FOR UPDATE")
            .bind::<Integer, _>(id)
            .execute(conn)?;
    }
    diesel::sql_query(format!("{PLAN_SELECT} WHERE pl.id = $1")).bind::<Integer, _>(id).get_result(conn).optional()
}

/// Plans of a unit and level with the given status.
pub fn plans_of_unit(
    conn: &mut PgConnection,
    admin_unit_id: i32,
    level: &str,
    status: &str,
) -> QueryResult<Vec<PlanRow>> {
    diesel::sql_query(format!(
        "{PLAN_SELECT} WHERE pl.admin_unit_id = $1 AND pl.level = $2 AND pl.status = $3 ORDER BY pl.id"
    ))
    .bind::<Integer, _>(admin_unit_id)
    .bind::<Text, _>(level)
    .bind::<Text, _>(status)
    .load(conn)
}

/// What a new plan consists of.
pub struct NewPlan<'a> {
    pub level: &'a str,
    pub admin_unit_id: i32,
    pub name: &'a str,
    pub period_start: i32,
    pub period_end: i32,
    pub decision_no: Option<&'a str>,
    pub decision_date: Option<NaiveDate>,
    pub status: &'a str,
    pub is_synthetic: bool,
}

#[derive(QueryableByName)]
struct IntId {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct BigId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Inserts a plan; returns its id. A second approved plan for one unit and level violates
/// `planning_plans_one_approved` (unique violation).
pub fn insert_plan(conn: &mut PgConnection, p: &NewPlan) -> QueryResult<i32> {
    let row: IntId = diesel::sql_query(
        "INSERT INTO planning_plans (level, admin_unit_id, name, period_start, period_end, decision_no, decision_date, status, is_synthetic) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind::<Text, _>(p.level)
    .bind::<Integer, _>(p.admin_unit_id)
    .bind::<Text, _>(p.name)
    .bind::<Integer, _>(p.period_start)
    .bind::<Integer, _>(p.period_end)
    .bind::<Nullable<Text>, _>(p.decision_no)
    .bind::<Nullable<Date>, _>(p.decision_date)
    .bind::<Text, _>(p.status)
    .bind::<Bool, _>(p.is_synthetic)
    .get_result(conn)?;
    Ok(row.id)
}

/// Sets a plan's status (and its decision when given); bumps `updated_at`.
pub fn set_status(
    conn: &mut PgConnection,
    id: i32,
    status: &str,
    decision_no: Option<&str>,
    decision_date: Option<NaiveDate>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE planning_plans SET status = $2, decision_no = coalesce($3, decision_no), \
                decision_date = coalesce($4, decision_date), updated_at = clock_timestamp() WHERE id = $1",
    )
    .bind::<Integer, _>(id)
    .bind::<Text, _>(status)
    .bind::<Nullable<Text>, _>(decision_no)
    .bind::<Nullable<Date>, _>(decision_date)
    .execute(conn)
}

/// Land-use codes among `codes` that are in the reference table.
pub fn known_land_use_codes(conn: &mut PgConnection, codes: &[String]) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = Text)]
        code: String,
    }
    let rows: Vec<Code> = diesel::sql_query("SELECT code FROM land_use_types WHERE code = ANY($1)")
        .bind::<Array<Text>, _>(codes)
        .load(conn)?;
    Ok(rows.into_iter().map(|c| c.code).collect())
}

/// A zone to insert: geometry as GeoJSON in WGS 84.
pub struct NewZone<'a> {
    pub land_use_code: &'a str,
    pub name: Option<&'a str>,
    pub geojson: &'a str,
    pub source_crs_epsg: i32,
    pub is_synthetic: bool,
}

/// Inserts one zone of a plan; returns its id.
pub fn insert_zone(conn: &mut PgConnection, plan_id: i32, z: &NewZone) -> QueryResult<i64> {
    let row: BigId = diesel::sql_query(
        "INSERT INTO planning_zones (plan_id, land_use_code, name, geom, source_crs_epsg, is_synthetic, created_at) \
         VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326)), $5, $6, clock_timestamp()) RETURNING id",
    )
    .bind::<Integer, _>(plan_id)
    .bind::<Text, _>(z.land_use_code)
    .bind::<Nullable<Text>, _>(z.name)
    .bind::<Text, _>(z.geojson)
    .bind::<Integer, _>(z.source_crs_epsg)
    .bind::<Bool, _>(z.is_synthetic)
    .get_result(conn)?;
    Ok(row.id)
}

/// Area (m², ellipsoid) of each given zone, by id.
pub fn zone_areas(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<(i64, f64)>> {
    #[derive(QueryableByName)]
    struct A {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Double)]
        area_m2: f64,
    }
    let rows: Vec<A> =
        diesel::sql_query("SELECT id, ST_Area(geom::geography) AS area_m2 FROM planning_zones WHERE id = ANY($1)")
            .bind::<Array<BigInt>, _>(ids)
            .load(conn)?;
    Ok(rows.into_iter().map(|a| (a.id, a.area_m2)).collect())
}

/// Two zones of one plan whose interiors overlap.
#[derive(Debug, Clone, QueryableByName)]
pub struct ZoneOverlap {
    #[diesel(sql_type = BigInt)]
    pub zone_a: i64,
    #[diesel(sql_type = BigInt)]
    pub zone_b: i64,
    #[diesel(sql_type = Double)]
    pub area_m2: f64,
}

/// Overlaps above `min_area_m2` between zones of `plan_id` where one of the pair is in `ids`.
pub fn zone_overlaps(
    conn: &mut PgConnection,
    plan_id: i32,
    ids: &[i64],
    min_area_m2: f64,
) -> QueryResult<Vec<ZoneOverlap>> {
    diesel::sql_query(include_str!("sql/planning_zone_overlaps.sql"))
        .bind::<Integer, _>(plan_id)
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Double, _>(min_area_m2)
        .load(conn)
}

/// A zone as the OGC collection shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ZoneRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub plan_id: i32,
    #[diesel(sql_type = Text)]
    pub plan_name: String,
    #[diesel(sql_type = Text)]
    pub plan_level: String,
    #[diesel(sql_type = Text)]
    pub plan_status: String,
    #[diesel(sql_type = Text)]
    pub unit_code: String,
    #[diesel(sql_type = Text)]
    pub unit_name: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Integer)]
    pub period_start: i32,
    #[diesel(sql_type = Integer)]
    pub period_end: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub decision_no: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub decision_date: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    pub land_use_code: String,
    #[diesel(sql_type = Text)]
    pub land_use_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Double)]
    pub area_m2: f64,
    #[diesel(sql_type = Integer)]
    pub source_crs_epsg: i32,
    #[diesel(sql_type = Bool)]
    pub is_synthetic: bool,
    /// GeoJSON, WGS 84, 8 decimals.
    #[diesel(sql_type = Text)]
    pub geometry: String,
}

const ZONE_SELECT: &str = include_str!("sql/planning_zones_select.sql");
/// Zones of approved plans, or of one plan (any status) when `$5` is given; optional bbox.
const ZONE_FILTER: &str = "WHERE (CASE WHEN $5::int IS NULL THEN pl.status = 'approved' ELSE pl.id = $5 END) \
      AND ($1::float8 IS NULL OR ST_Intersects(z.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)))";

/// Filters for a page of zones.
#[derive(Debug, Clone, Default)]
pub struct ZoneQuery {
    /// WGS 84 [minLon, minLat, maxLon, maxLat].
    pub bbox: Option<[f64; 4]>,
    /// One plan's zones (whatever its status) instead of all approved plans'.
    pub plan_id: Option<i32>,
    pub after: i64,
    pub limit: i64,
}

/// One page of zones ordered by id, and the number matching the filter.
pub fn zones_page(conn: &mut PgConnection, q: &ZoneQuery) -> QueryResult<(Vec<ZoneRow>, i64)> {
    let [x0, y0, x1, y1] = q.bbox.map_or([None; 4], |b| b.map(Some));
    let rows = diesel::sql_query(format!("{ZONE_SELECT} {ZONE_FILTER} AND z.id > $6 ORDER BY z.id LIMIT $7"))
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .bind::<Nullable<Integer>, _>(q.plan_id)
        .bind::<BigInt, _>(q.after)
        .bind::<BigInt, _>(q.limit)
        .load(conn)?;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM planning_zones z JOIN planning_plans pl ON pl.id = z.plan_id {ZONE_FILTER}"
    ))
    .bind::<Nullable<Double>, _>(x0)
    .bind::<Nullable<Double>, _>(y0)
    .bind::<Nullable<Double>, _>(x1)
    .bind::<Nullable<Double>, _>(y1)
    .bind::<Nullable<Integer>, _>(q.plan_id)
    .get_result(conn)?;
    Ok((rows, count.n))
}

/// One zone by id, whatever its plan's status.
pub fn zone(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ZoneRow>> {
    diesel::sql_query(format!("{ZONE_SELECT} WHERE z.id = $1")).bind::<BigInt, _>(id).get_result(conn).optional()
}

/// A zone of an approved plan overlapping a parcel version, with the overlap's area.
#[derive(Debug, Clone, QueryableByName)]
pub struct ImpactRow {
    #[diesel(sql_type = BigInt)]
    pub zone_id: i64,
    #[diesel(sql_type = Integer)]
    pub plan_id: i32,
    #[diesel(sql_type = Text)]
    pub land_use_code: String,
    #[diesel(sql_type = Text)]
    pub land_use_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub zone_name: Option<String>,
    #[diesel(sql_type = Bool)]
    pub is_synthetic: bool,
    /// Area of parcel ∩ zone, m², on the ellipsoid.
    #[diesel(sql_type = Double)]
    pub area_m2: f64,
}

/// Zones of approved plans whose interiors overlap the parcel version by more than
/// `min_area_m2` (m², ellipsoid), largest overlap first.
pub fn impact(conn: &mut PgConnection, parcel_version_id: i64, min_area_m2: f64) -> QueryResult<Vec<ImpactRow>> {
    diesel::sql_query(include_str!("sql/planning_impact.sql"))
        .bind::<BigInt, _>(parcel_version_id)
        .bind::<Double, _>(min_area_m2)
        .load(conn)
}

/// Area of a parcel version on the ellipsoid (m²), the base of the impact percentages.
pub fn parcel_area_on_ellipsoid(conn: &mut PgConnection, parcel_version_id: i64) -> QueryResult<f64> {
    #[derive(QueryableByName)]
    struct A {
        #[diesel(sql_type = Double)]
        area_m2: f64,
    }
    let a: A = diesel::sql_query("SELECT ST_Area(geom::geography) AS area_m2 FROM parcel_versions WHERE id = $1")
        .bind::<BigInt, _>(parcel_version_id)
        .get_result(conn)?;
    Ok(a.area_m2)
}

/// Plans by id (for the impact report's plan list).
pub fn plans_by_ids(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<Vec<PlanRow>> {
    diesel::sql_query(format!("{PLAN_SELECT} WHERE pl.id = ANY($1) ORDER BY pl.level, pl.id"))
        .bind::<Array<Integer>, _>(ids)
        .load(conn)
}
