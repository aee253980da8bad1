//! Parcels and their versions. PostGIS does the spatial predicates; geometry crosses the
//! boundary as GeoJSON text (reads) or a postgis_diesel value (writes).

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz};
use domain::certificate::Status;
use postgis_diesel::sql_types::Geometry;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::geometry::to_postgis;
use crate::schema::{admin_units, parcel_versions, parcels};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

// The public reads (migration 000018): called through the query builder, so each is one
// statement that diesel prepares once per connection; their bodies keep their plans too.
define_sql_function!(
    /// `sql/parcel_public.sql`: the public view of one current parcel, JSON text.
    fn parcel_public(national_id: Text, mortgage: Text, restricting: Array<Text>) -> Nullable<Text>
);
define_sql_function!(
    /// `sql/parcel_page_current*.sql`: a page of current parcels, then maybe their count.
    fn parcels_page(
        x0: Nullable<Double>,
        y0: Nullable<Double>,
        x1: Nullable<Double>,
        y1: Nullable<Double>,
        after: BigInt,
        limit: BigInt,
        count_up_to: Nullable<BigInt>,
    ) -> diesel::pg::sql_types::Record<(Nullable<Text>, Nullable<BigInt>)>
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
    /// [`current_by_national_id`](super::current_by_national_id) as the server sends it: `$1`
    /// national id.
    pub const CURRENT_CALL: &str = include_str!("sql/parcel_current_call.sql");
    /// `PARCEL_SELECT BY_ID_FILTER`: the body of `parcel_current` (migration 000025), which
    /// keeps its plan pruned at run time to the parcel's province.
    pub const CURRENT_BODY: &str =
        concat!(include_str!("sql/parcel_select.sql"), " ", include_str!("sql/parcel_by_id_filter.sql"));
    /// `GET /parcels/{id}` and `/collections/parcels/items/{id}` as the server sends it:
    /// `$1` national id, `$2` the mortgage kind, `$3` the kinds that restrict (text[]).
    pub const PUBLIC_CALL: &str = include_str!("sql/parcel_public_call.sql");
    /// The body of `parcel_public` (the statement its plan is cached for).
    pub const PUBLIC_BODY: &str = include_str!("sql/parcel_public.sql");
    /// A page of current parcels as the server sends it: bbox `$1..$4` (or NULLs), ids above
    /// `$5`, `$6` rows, count up to `$7` on the first page (or NULL).
    pub const PAGE_CALL: &str = include_str!("sql/parcels_page_call.sql");
    /// The bodies of `parcels_page`: the page without and with a bbox, and the bounded counts.
    pub const PAGE_CURRENT: &str = include_str!("sql/parcel_page_current.sql");
    pub const PAGE_CURRENT_BBOX: &str = include_str!("sql/parcel_page_current_bbox.sql");
    pub const COUNT_CURRENT: &str = include_str!("sql/parcel_count_current.sql");
    pub const COUNT_CURRENT_BBOX: &str = include_str!("sql/parcel_count_current_bbox.sql");
    /// A page's filter (as-of pages): bbox `$1..$4` (or NULLs), as-of instant `$5` (or NULL for current).
    pub const PAGE_FILTER: &str = include_str!("sql/parcel_page_filter.sql");
    /// Keyset paging after `$6`, `$7` rows.
    pub const PAGE_TAIL: &str = include_str!("sql/parcel_page_tail.sql");
    /// Counting what a page's filter matches.
    pub const COUNT_HEAD: &str = include_str!("sql/parcel_count_head.sql");
}

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

/// One page of parcel versions in force at `as_of` (or current), ordered by id, and the
/// number matching the filter: the general form, through `sql_query`. Current pages, the
/// busy ones, go through [`current_page`].
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

/// The current version of a parcel by national id, through `parcel_current` (migration
/// 000025): sent unnamed, the statement itself was planned over every partition on each call.
pub fn current_by_national_id(conn: &mut PgConnection, national_id: &str) -> QueryResult<Option<ParcelRow>> {
    diesel::sql_query(statements::CURRENT_CALL).bind::<Text, _>(national_id).get_result(conn).optional()
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

/// A current parcel's public row as `parcel_public` and `parcels_page` write it: the
/// geometry (GeoJSON, WGS 84, 8 decimals) and the land uses stay the JSON text PostgreSQL
/// wrote, for the server to pass through without parsing them into values.
#[derive(Debug, Deserialize)]
pub struct PublicParcel {
    pub parcel_id: i64,
    pub national_id: String,
    pub province_code: String,
    pub commune_code: String,
    pub commune_name: String,
    pub registered_commune_code: String,
    pub sheet_no: i32,
    pub parcel_no: i32,
    pub legal_area_m2: f64,
    pub address: Option<String>,
    pub version: i32,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub is_synthetic: bool,
    pub source_crs_epsg: i32,
    /// JSON array of {code, area_m2, use_until}, largest first.
    pub land_uses: Box<RawValue>,
    pub geometry: Box<RawValue>,
}

/// A holder of the parcel's current use right, name in full (the service masks it).
#[derive(Debug, Clone, Deserialize)]
pub struct HolderRow {
    pub kind: String,
    pub full_name: String,
    pub share: f64,
}

/// The newest certificate over the parcel's rights (a valid one first).
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateRow {
    pub serial: String,
    #[serde(deserialize_with = "status")]
    pub status: Status,
    pub issued_on: chrono::NaiveDate,
}

fn status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
    Status::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// `parcel_public`: the parcel with what the public view adds to it.
#[derive(Debug, Deserialize)]
pub struct PublicParcelDetail {
    pub parcel: PublicParcel,
    /// Largest share first.
    pub holders: Vec<HolderRow>,
    pub certificate: Option<CertificateRow>,
    /// The current use right has no valid certificate.
    pub certificate_pending: bool,
    pub has_mortgage: bool,
    /// A restriction that the public may learn of is in force (`RestrictionKind::restricts`).
    pub restricted: bool,
}

fn from_json<'a, T: Deserialize<'a>>(text: &'a str) -> QueryResult<T> {
    serde_json::from_str(text).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// The public view of a current parcel by national id, in one statement.
pub fn public_by_national_id(conn: &mut PgConnection, national_id: &str) -> QueryResult<Option<PublicParcelDetail>> {
    use domain::restriction::RestrictionKind;
    let restricting: Vec<&str> = RestrictionKind::ALL.iter().filter(|k| k.restricts()).map(|k| k.as_str()).collect();
    let text: Option<String> =
        diesel::select(parcel_public(national_id, RestrictionKind::Mortgage.as_str(), restricting)).get_result(conn)?;
    text.as_deref().map(from_json).transpose()
}

/// A page of current parcels: `limit` of them with an id above `after`, in `bbox` if given,
/// in one statement. With `count_up_to` and `after` 0 (the first page) also the number
/// matching the filter, unless more than `count_up_to` match (then `None`: counting them
/// would cost more than the page).
pub fn current_page(
    conn: &mut PgConnection,
    bbox: Option<[f64; 4]>,
    after: i64,
    limit: i64,
    count_up_to: Option<i64>,
) -> QueryResult<(Vec<PublicParcel>, Option<i64>)> {
    let [x0, y0, x1, y1] = bbox.map_or([None; 4], |b| b.map(Some));
    let rows: Vec<(Option<String>, Option<i64>)> =
        diesel::select(parcels_page(x0, y0, x1, y1, after, limit, count_up_to)).load(conn)?;
    let mut parcels = Vec::with_capacity(rows.len());
    let mut matched = None;
    for (feature, n) in rows {
        match feature {
            Some(text) => parcels.push(from_json(&text)?),
            // The count row, last.
            None => matched = n,
        }
    }
    Ok((parcels, matched))
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

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;

    use super::*;

    /// The benchmarks send `statements::PUBLIC_CALL` and `PAGE_CALL` to pgbench as the
    /// statements the server sends: they must be what the query builder writes.
    #[test]
    fn call_statements_are_what_the_query_builder_sends() {
        let by_id = diesel::select(parcel_public("w3gvk1m2n3p4", "mortgage", vec!["mortgage"]));
        let sql = diesel::debug_query::<Pg, _>(&by_id).to_string();
        assert!(sql.starts_with(&format!("{} -- binds", statements::PUBLIC_CALL.trim())), "{sql}");
        let page =
            diesel::select(parcels_page(None::<f64>, None::<f64>, None::<f64>, None::<f64>, 0i64, 100i64, None::<i64>));
        let sql = diesel::debug_query::<Pg, _>(&page).to_string();
        assert!(sql.starts_with(&format!("{} -- binds", statements::PAGE_CALL.trim())), "{sql}");
    }
}
