//! Quy hoạch sử dụng đất: plans, their zones, and parcel ⟂ zone overlays. Geometry crosses
//! the boundary as GeoJSON text in WGS 84; areas are computed by PostGIS on the ellipsoid
//! (`ST_Area` of `geography`, m²).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz};
use domain::planning::PlanStatus;

use crate::enums::Stored;
use crate::schema::{admin_units, land_use_types, planning_plans};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

const PLANS_SELECT: &str = include_str!("sql/planning_plans_select.sql");
const ZONE_INSERT: &str = include_str!("sql/planning_zone_insert.sql");
const ZONE_AREAS: &str = include_str!("sql/planning_zone_areas.sql");
const ZONE_OVERLAPS: &str = include_str!("sql/planning_zone_overlaps.sql");
const ZONES_SELECT: &str = include_str!("sql/planning_zones_select.sql");
const ZONES_COUNT: &str = include_str!("sql/planning_zones_count.sql");
const IMPACT: &str = include_str!("sql/planning_impact.sql");
const PARCEL_AREA: &str = include_str!("sql/parcel_version_area.sql");

/// An administrative unit in force that a plan can be made for.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admin_units, check_for_backend(Pg))]
pub struct UnitRow {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub province_code: String,
}

/// The unit in force with this level (`province` or `commune`) and code.
pub fn unit_in_force(conn: &mut PgConnection, level: &str, code: &str) -> QueryResult<Option<UnitRow>> {
    admin_units::table
        .filter(admin_units::level.eq(level))
        .filter(admin_units::code.eq(code))
        .filter(admin_units::valid_to.is_null())
        .select(UnitRow::as_select())
        .first(conn)
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
    #[diesel(sql_type = Text, deserialize_as = Stored<PlanStatus>)]
    pub status: PlanStatus,
    #[diesel(sql_type = Bool)]
    pub is_synthetic: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub zone_count: i64,
}

/// Filters of `sql/planning_plans_select.sql`, each `None` for "any".
#[derive(Default)]
struct PlanFilter<'a> {
    id: Option<i32>,
    ids: Option<&'a [i32]>,
    admin_unit_id: Option<i32>,
    level: Option<&'a str>,
    status: Option<PlanStatus>,
}

fn select_plans(conn: &mut PgConnection, f: &PlanFilter) -> QueryResult<Vec<PlanRow>> {
    diesel::sql_query(PLANS_SELECT)
        .bind::<Nullable<Integer>, _>(f.id)
        .bind::<Nullable<Array<Integer>>, _>(f.ids)
        .bind::<Nullable<Integer>, _>(f.admin_unit_id)
        .bind::<Nullable<Text>, _>(f.level)
        .bind::<Nullable<Text>, _>(f.status.map(|s| s.as_str()))
        .load(conn)
}

/// A plan by id; `for_update` locks it for the rest of the transaction (zone imports and
/// status changes of one plan then run one after the other).
pub fn plan(conn: &mut PgConnection, id: i32, for_update: bool) -> QueryResult<Option<PlanRow>> {
    if for_update {
        planning_plans::table.find(id).select(planning_plans::id).for_update().first::<i32>(conn).optional()?;
    }
    Ok(select_plans(conn, &PlanFilter { id: Some(id), ..PlanFilter::default() })?.into_iter().next())
}

/// Plans of a unit and level with the given status.
pub fn plans_of_unit(
    conn: &mut PgConnection,
    admin_unit_id: i32,
    level: &str,
    status: PlanStatus,
) -> QueryResult<Vec<PlanRow>> {
    select_plans(
        conn,
        &PlanFilter {
            admin_unit_id: Some(admin_unit_id),
            level: Some(level),
            status: Some(status),
            ..PlanFilter::default()
        },
    )
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
    pub status: PlanStatus,
    pub is_synthetic: bool,
}

/// Inserts a plan; returns its id. A second approved plan for one unit and level violates
/// `planning_plans_one_approved` (unique violation).
pub fn insert_plan(conn: &mut PgConnection, p: &NewPlan) -> QueryResult<i32> {
    diesel::insert_into(planning_plans::table)
        .values((
            planning_plans::level.eq(p.level),
            planning_plans::admin_unit_id.eq(p.admin_unit_id),
            planning_plans::name.eq(p.name),
            planning_plans::period_start.eq(p.period_start),
            planning_plans::period_end.eq(p.period_end),
            planning_plans::decision_no.eq(p.decision_no),
            planning_plans::decision_date.eq(p.decision_date),
            planning_plans::status.eq(p.status.as_str()),
            planning_plans::is_synthetic.eq(p.is_synthetic),
        ))
        .returning(planning_plans::id)
        .get_result(conn)
}

/// Sets a plan's status (and its decision when given); bumps `updated_at`.
pub fn set_status(
    conn: &mut PgConnection,
    id: i32,
    status: PlanStatus,
    decision_no: Option<&str>,
    decision_date: Option<NaiveDate>,
) -> QueryResult<usize> {
    diesel::update(planning_plans::table.find(id))
        .set((
            planning_plans::status.eq(status.as_str()),
            decision_no.map(|n| planning_plans::decision_no.eq(n)),
            decision_date.map(|d| planning_plans::decision_date.eq(d)),
            planning_plans::updated_at.eq(clock_timestamp()),
        ))
        .execute(conn)
}

/// Land-use codes among `codes` that are in the reference table.
pub fn known_land_use_codes(conn: &mut PgConnection, codes: &[String]) -> QueryResult<Vec<String>> {
    land_use_types::table.filter(land_use_types::code.eq_any(codes)).select(land_use_types::code).load(conn)
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
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Inserted = diesel::sql_query(ZONE_INSERT)
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
    let rows: Vec<A> = diesel::sql_query(ZONE_AREAS).bind::<Array<BigInt>, _>(ids).load(conn)?;
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
    diesel::sql_query(ZONE_OVERLAPS)
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
    #[diesel(sql_type = Text, deserialize_as = Stored<PlanStatus>)]
    pub plan_status: PlanStatus,
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

fn select_zones(conn: &mut PgConnection, id: Option<i64>, q: &ZoneQuery) -> QueryResult<Vec<ZoneRow>> {
    let [x0, y0, x1, y1] = q.bbox.map_or([None; 4], |b| b.map(Some));
    diesel::sql_query(ZONES_SELECT)
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .bind::<Nullable<Integer>, _>(q.plan_id)
        .bind::<BigInt, _>(q.after)
        .bind::<BigInt, _>(q.limit)
        .bind::<Nullable<BigInt>, _>(id)
        .load(conn)
}

/// One page of zones ordered by id, and the number matching the filter.
pub fn zones_page(conn: &mut PgConnection, q: &ZoneQuery) -> QueryResult<(Vec<ZoneRow>, i64)> {
    let rows = select_zones(conn, None, q)?;
    let [x0, y0, x1, y1] = q.bbox.map_or([None; 4], |b| b.map(Some));
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(ZONES_COUNT)
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
    let any = ZoneQuery { after: i64::MIN, limit: 1, ..ZoneQuery::default() };
    Ok(select_zones(conn, Some(id), &any)?.into_iter().next())
}

/// A zone of an approved plan overlapping a parcel version, with the overlap's area.
#[derive(Debug, Clone, QueryableByName)]
pub struct ImpactRow {
    #[diesel(sql_type = BigInt)]
    pub zone_id: i64,
    #[diesel(sql_type = Integer)]
    pub plan_id: i32,
    /// The plan's level: `province` or `commune`.
    #[diesel(sql_type = Text)]
    pub plan_level: String,
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
/// `min_area_m2` (m², ellipsoid), by plan level (province first), plan, then largest overlap.
pub fn impact(conn: &mut PgConnection, parcel_version_id: i64, min_area_m2: f64) -> QueryResult<Vec<ImpactRow>> {
    diesel::sql_query(IMPACT).bind::<BigInt, _>(parcel_version_id).bind::<Double, _>(min_area_m2).load(conn)
}

/// Area of a parcel version on the ellipsoid (m²), the base of the impact percentages.
pub fn parcel_area_on_ellipsoid(conn: &mut PgConnection, parcel_version_id: i64) -> QueryResult<f64> {
    #[derive(QueryableByName)]
    struct A {
        #[diesel(sql_type = Double)]
        area_m2: f64,
    }
    let a: A = diesel::sql_query(PARCEL_AREA).bind::<BigInt, _>(parcel_version_id).get_result(conn)?;
    Ok(a.area_m2)
}

/// Plans by id (for the impact report's plan list), by level then id.
pub fn plans_by_ids(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<Vec<PlanRow>> {
    select_plans(conn, &PlanFilter { ids: Some(ids), ..PlanFilter::default() })
}
