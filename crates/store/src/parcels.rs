//! Parcels and their versions. PostGIS does the spatial predicates; geometry crosses the
//! boundary as GeoJSON text (reads) or a postgis_diesel value (writes).

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz};
use domain::certificate::Status;
use postgis_diesel::sql_types::Geometry;

use super::geometry::to_postgis;
use crate::enums::Stored;
use crate::schema::{admin_units, certificates, parcel_versions, parcels, rrrs};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

/// A parcel version with what public responses show of it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ParcelRow {
    #[diesel(sql_type = BigInt)]
    pub parcel_id: i64,
    #[diesel(sql_type = BigInt)]
    pub version_id: i64,
    #[diesel(sql_type = Text)]
    pub national_id: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Integer)]
    pub commune_id: i32,
    #[diesel(sql_type = Text)]
    pub commune_code: String,
    #[diesel(sql_type = Text)]
    pub commune_name: String,
    #[diesel(sql_type = Integer)]
    pub registered_commune_id: i32,
    #[diesel(sql_type = Text)]
    pub registered_commune_code: String,
    #[diesel(sql_type = Integer)]
    pub sheet_no: i32,
    #[diesel(sql_type = Integer)]
    pub parcel_no: i32,
    #[diesel(sql_type = Double)]
    pub legal_area_m2: f64,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub valid_from: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub valid_to: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub change_reason: String,
    #[diesel(sql_type = Bool)]
    pub is_synthetic: bool,
    #[diesel(sql_type = Integer)]
    pub source_crs_epsg: i32,
    /// JSON array of {code, area_m2, use_until}.
    #[diesel(sql_type = Text)]
    pub land_uses: String,
    /// GeoJSON geometry, WGS 84, 8 decimals (≈ 1 mm).
    #[diesel(sql_type = Text)]
    pub geometry: String,
}

/// The statements the public parcel endpoints send, public so that benchmarks run exactly
/// these through pgbench (no copies to drift apart).
pub mod statements {
    /// The parcel columns and joins every parcel read starts with.
    pub const PARCEL_SELECT: &str = include_str!("sql/parcel_select.sql");
    /// The current version of one parcel by national id (`$1`).
    pub const BY_ID_FILTER: &str = include_str!("sql/parcel_by_id_filter.sql");
    /// Current holders of the use right of a parcel (`$1` parcel id).
    pub const HOLDERS: &str = include_str!("sql/parcel_holders.sql");
    /// The newest certificate over the parcel's rights (`$1` parcel id).
    pub const LATEST_CERTIFICATE: &str = include_str!("sql/parcel_latest_certificate.sql");
    /// A page's filter: bbox `$1..$4` (or NULLs), as-of instant `$5` (or NULL for current).
    pub const PAGE_FILTER: &str = include_str!("sql/parcel_page_filter.sql");
    /// Keyset paging after `$6`, `$7` rows.
    pub const PAGE_TAIL: &str = include_str!("sql/parcel_page_tail.sql");
    /// Counting what a page's filter matches.
    pub const COUNT_HEAD: &str = include_str!("sql/parcel_count_head.sql");
}

/// `PARCEL_SELECT BY_ID_FILTER`, as the benchmarks join them.
const CURRENT_BY_NATIONAL_ID: &str =
    concat!(include_str!("sql/parcel_select.sql"), " ", include_str!("sql/parcel_by_id_filter.sql"));
/// `PARCEL_SELECT PAGE_FILTER PAGE_TAIL`, as the benchmarks join them.
const PAGE: &str = concat!(
    include_str!("sql/parcel_select.sql"),
    " ",
    include_str!("sql/parcel_page_filter.sql"),
    " ",
    include_str!("sql/parcel_page_tail.sql")
);
/// `COUNT_HEAD PAGE_FILTER`, as the benchmarks join them.
const PAGE_COUNT: &str =
    concat!(include_str!("sql/parcel_count_head.sql"), " ", include_str!("sql/parcel_page_filter.sql"));
const VERSIONS: &str = concat!(include_str!("sql/parcel_select.sql"), include_str!("sql/parcel_versions_filter.sql"));
const AT_POINT: &str = concat!(include_str!("sql/parcel_select.sql"), include_str!("sql/parcel_at_point_filter.sql"));
const OVERLAPS: &str = include_str!("sql/overlaps.sql");
const INSERT_VERSION: &str = include_str!("sql/parcel_version_insert.sql");
const INSERT_LAND_USE: &str = include_str!("sql/parcel_land_use_insert.sql");
const COPY_VERSION: &str = include_str!("sql/parcel_version_copy.sql");
const LAND_USES: &str = include_str!("sql/parcel_land_uses.sql");
const BULK_INSERT: &str = include_str!("sql/bulk_insert.sql");
const ANALYZE: &str = include_str!("sql/parcels_analyze.sql");

/// Filters for a page of current parcels (OGC API items).
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    pub bbox: Option<[f64; 4]>,
    /// Only parcels with id greater than this (keyset paging).
    pub after: Option<i64>,
    pub limit: i64,
    /// Versions in force at this instant instead of the current ones.
    pub as_of: Option<DateTime<Utc>>,
}

/// One page of parcels ordered by id, and the number matching the filter.
pub fn page(conn: &mut PgConnection, q: &PageQuery) -> QueryResult<(Vec<ParcelRow>, i64)> {
    let [x0, y0, x1, y1] = q.bbox.map_or([None; 4], |b| b.map(Some));
    let rows = diesel::sql_query(PAGE)
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .bind::<Nullable<Timestamptz>, _>(q.as_of)
        .bind::<BigInt, _>(q.after.unwrap_or(0))
        .bind::<BigInt, _>(q.limit)
        .load(conn)?;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(PAGE_COUNT)
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .bind::<Nullable<Timestamptz>, _>(q.as_of)
        .get_result(conn)?;
    Ok((rows, count.n))
}

/// The current version of a parcel by national id.
pub fn current_by_national_id(conn: &mut PgConnection, national_id: &str) -> QueryResult<Option<ParcelRow>> {
    diesel::sql_query(CURRENT_BY_NATIONAL_ID).bind::<Text, _>(national_id).get_result(conn).optional()
}

/// Filters of parcel versions, each `None` for "any".
#[derive(Debug, Clone, Default)]
pub struct VersionFilter<'a> {
    pub version_id: Option<i64>,
    pub parcel_id: Option<i64>,
    pub version: Option<i32>,
    pub national_id: Option<&'a str>,
    pub registered_commune_ids: Option<&'a [i32]>,
    pub commune_id: Option<i32>,
    pub sheet_no: Option<i32>,
    pub parcel_no: Option<i32>,
    /// Only current versions.
    pub current: bool,
}

/// Parcel versions matching the filter, by parcel id and version.
pub fn versions(conn: &mut PgConnection, f: &VersionFilter) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(VERSIONS)
        .bind::<Nullable<BigInt>, _>(f.version_id)
        .bind::<Nullable<BigInt>, _>(f.parcel_id)
        .bind::<Nullable<Integer>, _>(f.version)
        .bind::<Nullable<Text>, _>(f.national_id)
        .bind::<Nullable<Array<Integer>>, _>(f.registered_commune_ids)
        .bind::<Nullable<Integer>, _>(f.commune_id)
        .bind::<Nullable<Integer>, _>(f.sheet_no)
        .bind::<Nullable<Integer>, _>(f.parcel_no)
        .bind::<Bool, _>(f.current)
        .load(conn)
}

/// Every version of a parcel, oldest first.
pub fn history(conn: &mut PgConnection, national_id: &str) -> QueryResult<Vec<ParcelRow>> {
    versions(conn, &VersionFilter { national_id: Some(national_id), ..VersionFilter::default() })
}

/// Current parcels by the legacy key: sheet and parcel numbers under any of these communes.
pub fn by_key(
    conn: &mut PgConnection,
    registered_commune_ids: &[i32],
    sheet: i32,
    parcel: i32,
) -> QueryResult<Vec<ParcelRow>> {
    versions(
        conn,
        &VersionFilter {
            registered_commune_ids: Some(registered_commune_ids),
            sheet_no: Some(sheet),
            parcel_no: Some(parcel),
            current: true,
            ..VersionFilter::default()
        },
    )
}

/// Current parcels under a commune (by its current code) and sheet/parcel numbers.
pub fn by_current_commune(
    conn: &mut PgConnection,
    commune_id: i32,
    sheet: i32,
    parcel: i32,
) -> QueryResult<Vec<ParcelRow>> {
    versions(
        conn,
        &VersionFilter {
            commune_id: Some(commune_id),
            sheet_no: Some(sheet),
            parcel_no: Some(parcel),
            current: true,
            ..VersionFilter::default()
        },
    )
}

/// The current parcel containing a WGS 84 point (boundary points count as inside).
pub fn at_point(conn: &mut PgConnection, lon: f64, lat: f64) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(AT_POINT).bind::<Double, _>(lon).bind::<Double, _>(lat).load(conn)
}

/// A current parcel that overlaps the given geometry, with the overlap area.
#[derive(Debug, Clone, QueryableByName)]
pub struct Overlap {
    #[diesel(sql_type = Text)]
    pub national_id: String,
    /// Overlap area on the ellipsoid, m².
    #[diesel(sql_type = Double)]
    pub area_m2: f64,
    /// The overlap itself as GeoJSON.
    #[diesel(sql_type = Text)]
    pub geometry: String,
}

/// Current parcels (other than those in `except`) whose interiors overlap `geojson` by more than `min_area_m2`.
pub fn overlaps(conn: &mut PgConnection, geojson: &str, except: &[i64], min_area_m2: f64) -> QueryResult<Vec<Overlap>> {
    diesel::sql_query(OVERLAPS)
        .bind::<Text, _>(geojson)
        .bind::<Array<BigInt>, _>(except)
        .bind::<Double, _>(min_area_m2)
        .load(conn)
}

/// What a new parcel version consists of.
pub struct NewVersion<'a> {
    pub commune_id: i32,
    pub registered_commune_id: i32,
    pub sheet_no: i32,
    pub parcel_no: i32,
    pub geometry_wgs84: &'a geo_types::MultiPolygon<f64>,
    pub source_crs_epsg: i32,
    pub legal_area_m2: f64,
    pub address: Option<&'a str>,
    pub change_reason: &'a str,
    pub is_synthetic: bool,
    pub land_uses: &'a [NewLandUse],
}

/// A land-use purpose with its area, its term and its origin, as written and as read back by
/// [`land_uses_of_version`].
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct NewLandUse {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Double)]
    pub area_m2: f64,
    #[diesel(sql_type = Nullable<Date>)]
    pub use_until: Option<chrono::NaiveDate>,
    /// Nguồn gốc sử dụng.
    #[diesel(sql_type = Nullable<Text>)]
    pub origin: Option<String>,
}

/// Every field of a version's land uses (the public row's `land_uses` leaves out the origin):
/// what a new version derived from this one must carry over.
pub fn land_uses_of_version(conn: &mut PgConnection, version_id: i64) -> QueryResult<Vec<NewLandUse>> {
    diesel::sql_query(LAND_USES).bind::<BigInt, _>(version_id).load(conn)
}

/// Creates a parcel identity; returns its id.
pub fn insert_parcel(conn: &mut PgConnection, national_id: &str, province_code: &str) -> QueryResult<i64> {
    diesel::insert_into(parcels::table)
        .values((parcels::national_id.eq(national_id), parcels::province_code.eq(province_code)))
        .returning(parcels::id)
        .get_result(conn)
}

const LOCK_COMMUNE: &str = include_str!("sql/parcel_lock_commune.sql");

/// Takes the commune's placement lock (transaction-scoped advisory lock; see
/// `sql/parcel_lock_commune.sql`). Take it before the overlap check of any write that places a
/// parcel in the commune, and before locking parcel rows (one order, no deadlocks).
pub fn lock_commune(conn: &mut PgConnection, commune_id: i32) -> QueryResult<()> {
    diesel::sql_query(LOCK_COMMUNE).bind::<Integer, _>(commune_id).execute(conn)?;
    Ok(())
}

/// Locks the parcel's row for the rest of the transaction and returns its current version
/// number now (None when the parcel is retired or unknown). A writer that read the parcel
/// before compares the two: a different number means someone changed it meanwhile.
pub fn lock_current_version(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<i32>> {
    parcels::table.find(parcel_id).select(parcels::id).for_update().first::<i64>(conn).optional()?;
    parcel_versions::table
        .filter(parcel_versions::parcel_id.eq(parcel_id))
        .filter(parcel_versions::valid_to.is_null())
        .select(parcel_versions::version)
        .first(conn)
        .optional()
}

/// Closes the current version of a parcel; returns its version number.
pub fn close_current_version(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<i32> {
    diesel::update(
        parcel_versions::table
            .filter(parcel_versions::parcel_id.eq(parcel_id))
            .filter(parcel_versions::valid_to.is_null()),
    )
    .set(parcel_versions::valid_to.eq(clock_timestamp().nullable()))
    .returning(parcel_versions::version)
    .get_result(conn)
}

/// Writes a version (number `version`) and its land uses; returns the version id.
pub fn insert_version(conn: &mut PgConnection, parcel_id: i64, version: i32, v: &NewVersion) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Inserted = diesel::sql_query(INSERT_VERSION)
        .bind::<BigInt, _>(parcel_id)
        .bind::<Integer, _>(version)
        .bind::<Integer, _>(v.commune_id)
        .bind::<Integer, _>(v.registered_commune_id)
        .bind::<Integer, _>(v.sheet_no)
        .bind::<Integer, _>(v.parcel_no)
        .bind::<Geometry, _>(to_postgis(v.geometry_wgs84))
        .bind::<Integer, _>(v.source_crs_epsg)
        .bind::<Double, _>(v.legal_area_m2)
        .bind::<Nullable<Text>, _>(v.address)
        .bind::<Text, _>(v.change_reason)
        .bind::<Bool, _>(v.is_synthetic)
        .get_result(conn)?;
    for lu in v.land_uses {
        diesel::sql_query(INSERT_LAND_USE)
            .bind::<BigInt, _>(row.id)
            .bind::<Text, _>(&lu.code)
            .bind::<Double, _>(lu.area_m2)
            .bind::<Nullable<Date>, _>(lu.use_until)
            .bind::<Nullable<Text>, _>(lu.origin.as_deref())
            .execute(conn)?;
    }
    Ok(row.id)
}

/// Writes version `version` as a copy of version `from_version_id` (closed just before) with
/// other land uses, keeping geometry and numbers; returns the new version's id.
pub fn copy_version(
    conn: &mut PgConnection,
    from_version_id: i64,
    version: i32,
    change_reason: &str,
    address: Option<&str>,
    land_uses: &[NewLandUse],
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Inserted = diesel::sql_query(COPY_VERSION)
        .bind::<BigInt, _>(from_version_id)
        .bind::<Integer, _>(version)
        .bind::<Text, _>(change_reason)
        .bind::<Nullable<Text>, _>(address)
        .get_result(conn)?;
    for lu in land_uses {
        diesel::sql_query(INSERT_LAND_USE)
            .bind::<BigInt, _>(row.id)
            .bind::<Text, _>(&lu.code)
            .bind::<Double, _>(lu.area_m2)
            .bind::<Nullable<Date>, _>(lu.use_until)
            .bind::<Nullable<Text>, _>(lu.origin.as_deref())
            .execute(conn)?;
    }
    Ok(row.id)
}

/// Holders of the parcel's current use right.
#[derive(Debug, Clone, QueryableByName)]
pub struct HolderRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Double)]
    pub share: f64,
}

pub fn current_holders(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<HolderRow>> {
    diesel::sql_query(statements::HOLDERS).bind::<BigInt, _>(parcel_id).load(conn)
}

/// The newest certificate over the parcel's rights.
#[derive(Debug, Clone, QueryableByName)]
pub struct CertificateRow {
    #[diesel(sql_type = Text)]
    pub serial: String,
    #[diesel(sql_type = Text, deserialize_as = Stored<Status>)]
    pub status: Status,
    #[diesel(sql_type = Date)]
    pub issued_on: chrono::NaiveDate,
}

pub fn latest_certificate(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(statements::LATEST_CERTIFICATE).bind::<BigInt, _>(parcel_id).get_result(conn).optional()
}

/// Whether the parcel's current use right has no valid certificate (pending certificate: the
/// parts of a split before their dossier issues, a right recorded without one).
pub fn certificate_pending(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<bool> {
    let uncovered: i64 = rrrs::table
        .left_join(
            certificates::table
                .on(certificates::rrr_id.eq(rrrs::id).and(certificates::status.eq(Status::Valid.as_str()))),
        )
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq("use_right"))
        .filter(rrrs::valid_to.is_null())
        .filter(certificates::id.is_null())
        .count()
        .get_result(conn)?;
    Ok(uncovered > 0)
}

/// A parcel for bulk loading (benchmark sets): already measured and identified.
pub struct BulkParcel {
    pub national_id: String,
    pub sheet_no: i32,
    pub parcel_no: i32,
    /// GeoJSON geometry in WGS 84.
    pub geojson: String,
    pub legal_area_m2: f64,
    pub land_use: &'static str,
}

/// Inserts many parcels of one commune in one statement (identity, version 1, one land use).
/// Rows whose national id already exists are skipped; returns how many were inserted.
pub fn bulk_insert(
    conn: &mut PgConnection,
    province_code: &str,
    commune_id: i32,
    source_crs_epsg: i32,
    rows: &[BulkParcel],
) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(BULK_INSERT)
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.national_id.as_str()).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(rows.iter().map(|r| r.sheet_no).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(rows.iter().map(|r| r.parcel_no).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.geojson.as_str()).collect::<Vec<_>>())
        .bind::<Array<Double>, _>(rows.iter().map(|r| r.legal_area_m2).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.land_use).collect::<Vec<_>>())
        .bind::<Text, _>(province_code)
        .bind::<Integer, _>(commune_id)
        .bind::<Integer, _>(source_crs_epsg)
        .get_result(conn)?;
    Ok(n.n as usize)
}

/// Number of current parcels in a commune.
pub fn count_current_in_commune(conn: &mut PgConnection, commune_id: i32) -> QueryResult<i64> {
    parcel_versions::table
        .filter(parcel_versions::commune_id.eq(commune_id))
        .filter(parcel_versions::valid_to.is_null())
        .count()
        .get_result(conn)
}

/// Marks a parcel as ceased (split or merged away) and closes its current version.
pub fn retire(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<()> {
    close_current_version(conn, parcel_id)?;
    diesel::update(parcels::table.find(parcel_id))
        .set(parcels::retired_at.eq(clock_timestamp().nullable()))
        .execute(conn)?;
    Ok(())
}

/// Has any parcel, current or retired, ever held this national id?
pub fn national_id_taken(conn: &mut PgConnection, national_id: &str) -> QueryResult<bool> {
    diesel::select(exists(parcels::table.filter(parcels::national_id.eq(national_id)))).get_result(conn)
}

/// National ids of a commune's current parcels, by sheet and parcel number.
pub fn current_ids_in_commune(conn: &mut PgConnection, commune_code: &str) -> QueryResult<Vec<String>> {
    parcels::table
        .inner_join(parcel_versions::table)
        .inner_join(admin_units::table.on(admin_units::id.eq(parcel_versions::commune_id)))
        .filter(parcel_versions::valid_to.is_null())
        .filter(admin_units::code.eq(commune_code))
        .filter(admin_units::valid_to.is_null())
        .order((parcel_versions::sheet_no, parcel_versions::parcel_no))
        .select(parcels::national_id)
        .load(conn)
}

/// Refreshes the planner's statistics after a bulk load.
pub fn analyze(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query(ANALYZE).execute(conn)?;
    Ok(())
}
