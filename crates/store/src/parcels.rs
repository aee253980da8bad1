//! Parcels and their versions. PostGIS does the spatial predicates; geometry crosses the
//! boundary as GeoJSON text (reads) or a postgis_diesel value (writes).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use postgis_diesel::sql_types::Geometry;

use super::geometry::to_postgis;

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
    pub const BY_ID_FILTER: &str = "WHERE p.national_id = $1 AND v.valid_to IS NULL";
    /// Current holders of the use right of a parcel (`$1` parcel id).
    pub const HOLDERS: &str = "SELECT pa.kind, pa.full_name, s.share::float8 AS share FROM rrrs r \
         JOIN rrr_shares s ON s.rrr_id = r.id JOIN parties pa ON pa.id = s.party_id \
         WHERE r.parcel_id = $1 AND r.kind = 'use_right' AND r.valid_to IS NULL ORDER BY s.share DESC, pa.id";
    /// The newest certificate over the parcel's rights (`$1` parcel id).
    pub const LATEST_CERTIFICATE: &str =
        "SELECT c.serial, c.status, c.issued_on FROM certificates c JOIN rrrs r ON r.id = c.rrr_id \
         WHERE r.parcel_id = $1 ORDER BY (c.status = 'valid') DESC, c.issued_on DESC, c.id DESC LIMIT 1";
    /// A page's filter: bbox `$1..$4` (or NULLs), as-of instant `$5` (or NULL for current).
    pub const PAGE_FILTER: &str = "WHERE (CASE WHEN $5::timestamptz IS NULL THEN v.valid_to IS NULL \
        ELSE v.valid_from <= $5 AND (v.valid_to IS NULL OR v.valid_to > $5) END) \
      AND ($1::float8 IS NULL OR ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)))";
    /// Keyset paging after `$6`, `$7` rows.
    pub const PAGE_TAIL: &str = "AND v.parcel_id > $6 ORDER BY v.parcel_id LIMIT $7";
    /// Counting what a page's filter matches.
    pub const COUNT_HEAD: &str = "SELECT count(*) AS n FROM parcel_versions v";
}
use statements::{BY_ID_FILTER, COUNT_HEAD, PAGE_FILTER, PAGE_TAIL, PARCEL_SELECT};

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
    let rows = diesel::sql_query(format!("{PARCEL_SELECT} {PAGE_FILTER} {PAGE_TAIL}"))
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
    let count: Count = diesel::sql_query(format!("{COUNT_HEAD} {PAGE_FILTER}"))
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
    diesel::sql_query(format!("{PARCEL_SELECT} {BY_ID_FILTER}"))
        .bind::<Text, _>(national_id)
        .get_result(conn)
        .optional()
}

/// Every version of a parcel, oldest first.
pub fn history(conn: &mut PgConnection, national_id: &str) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!("{PARCEL_SELECT} WHERE p.national_id = $1 ORDER BY v.version"))
        .bind::<Text, _>(national_id)
        .load(conn)
}

/// Current parcels by the legacy key: sheet and parcel numbers under any of these communes.
pub fn by_key(
    conn: &mut PgConnection,
    registered_commune_ids: &[i32],
    sheet: i32,
    parcel: i32,
) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!(
        "{PARCEL_SELECT} WHERE v.valid_to IS NULL AND v.registered_commune_id = ANY($1) \
         AND v.sheet_no = $2 AND v.parcel_no = $3"
    ))
    .bind::<diesel::sql_types::Array<Integer>, _>(registered_commune_ids)
    .bind::<Integer, _>(sheet)
    .bind::<Integer, _>(parcel)
    .load(conn)
}

/// Current parcels under a commune (by its current code) and sheet/parcel numbers.
pub fn by_current_commune(
    conn: &mut PgConnection,
    commune_id: i32,
    sheet: i32,
    parcel: i32,
) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!(
        "{PARCEL_SELECT} WHERE v.valid_to IS NULL AND v.commune_id = $1 AND v.sheet_no = $2 AND v.parcel_no = $3"
    ))
    .bind::<Integer, _>(commune_id)
    .bind::<Integer, _>(sheet)
    .bind::<Integer, _>(parcel)
    .load(conn)
}

/// The current parcel containing a WGS 84 point (boundary points count as inside).
pub fn at_point(conn: &mut PgConnection, lon: f64, lat: f64) -> QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!(
        "{PARCEL_SELECT} WHERE v.valid_to IS NULL \
         AND ST_Intersects(v.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY v.parcel_id LIMIT 10"
    ))
    .bind::<Double, _>(lon)
    .bind::<Double, _>(lat)
    .load(conn)
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
    diesel::sql_query(include_str!("sql/overlaps.sql"))
        .bind::<Text, _>(geojson)
        .bind::<diesel::sql_types::Array<BigInt>, _>(except)
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

/// A land-use purpose with its area.
#[derive(Debug, Clone)]
pub struct NewLandUse {
    pub code: String,
    pub area_m2: f64,
    pub use_until: Option<chrono::NaiveDate>,
    pub origin: Option<String>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Creates a parcel identity; returns its id.
pub fn insert_parcel(conn: &mut PgConnection, national_id: &str, province_code: &str) -> QueryResult<i64> {
    let row: Id = diesel::sql_query("INSERT INTO parcels (national_id, province_code) VALUES ($1, $2) RETURNING id")
        .bind::<Text, _>(national_id)
        .bind::<Text, _>(province_code)
        .get_result(conn)?;
    Ok(row.id)
}

/// Closes the current version of a parcel; returns its version number.
pub fn close_current_version(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Integer)]
        version: i32,
    }
    let v: V = diesel::sql_query(
        "UPDATE parcel_versions SET valid_to = clock_timestamp() WHERE parcel_id = $1 AND valid_to IS NULL RETURNING version",
    )
    .bind::<BigInt, _>(parcel_id)
    .get_result(conn)?;
    Ok(v.version)
}

/// Writes a version (number `version`) and its land uses; returns the version id.
pub fn insert_version(conn: &mut PgConnection, parcel_id: i64, version: i32, v: &NewVersion) -> QueryResult<i64> {
    let row: Id = diesel::sql_query(
        "INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, \
           geom, source_crs_epsg, legal_area_m2, address, change_reason, is_synthetic, valid_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, round($9::numeric, 1), $10, $11, $12, clock_timestamp()) RETURNING id",
    )
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
        diesel::sql_query(
            "INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, use_until, origin) \
             VALUES ($1, $2, round($3::numeric, 1), $4, $5)",
        )
        .bind::<BigInt, _>(row.id)
        .bind::<Text, _>(&lu.code)
        .bind::<Double, _>(lu.area_m2)
        .bind::<Nullable<diesel::sql_types::Date>, _>(lu.use_until)
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
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub issued_on: chrono::NaiveDate,
}

pub fn latest_certificate(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(statements::LATEST_CERTIFICATE).bind::<BigInt, _>(parcel_id).get_result(conn).optional()
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
    use diesel::sql_types::Array;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(include_str!("sql/bulk_insert.sql"))
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
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N =
        diesel::sql_query("SELECT count(*) AS n FROM parcel_versions WHERE commune_id = $1 AND valid_to IS NULL")
            .bind::<Integer, _>(commune_id)
            .get_result(conn)?;
    Ok(n.n)
}

/// Marks a parcel as ceased (split or merged away) and closes its current version.
pub fn retire(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<()> {
    close_current_version(conn, parcel_id)?;
    diesel::sql_query("UPDATE parcels SET retired_at = clock_timestamp() WHERE id = $1")
        .bind::<BigInt, _>(parcel_id)
        .execute(conn)?;
    Ok(())
}

/// Has any parcel, current or retired, ever held this national id?
pub fn national_id_taken(conn: &mut PgConnection, national_id: &str) -> QueryResult<bool> {
    Ok(diesel::sql_query("SELECT 1 FROM parcels WHERE national_id = $1").bind::<Text, _>(national_id).execute(conn)?
        > 0)
}

/// National ids of a commune's current parcels, by sheet and parcel number.
pub fn current_ids_in_commune(conn: &mut PgConnection, commune_code: &str) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct P {
        #[diesel(sql_type = Text)]
        national_id: String,
    }
    let rows: Vec<P> = diesel::sql_query(
        "SELECT p.national_id FROM parcels p JOIN parcel_versions v ON v.parcel_id = p.id AND v.valid_to IS NULL \
         JOIN admin_units c ON c.id = v.commune_id WHERE c.code = $1 AND c.valid_to IS NULL ORDER BY v.sheet_no, v.parcel_no",
    )
    .bind::<Text, _>(commune_code)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.national_id).collect())
}

/// Refreshes the planner's statistics after a bulk load.
pub fn analyze(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("ANALYZE parcels, parcel_versions, parcel_land_uses").execute(conn)?;
    Ok(())
}
