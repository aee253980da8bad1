//! Bulk imports (`diachinh import`, `POST /imports`): the job row, and the temporary staging
//! table a delivery is copied into (COPY) and checked in (set-wise SQL) before its good features
//! become parcels in one `INSERT … SELECT`.
//!
//! The staging table is `TEMP`: it belongs to the importing session, needs no grant beyond the
//! database's default `TEMPORARY`, and vanishes with the session whatever happens.

use std::cell::RefCell;
use std::io::Write;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Nullable, Text};
use serde_json::Value;

use crate::schema::import_jobs;

define_sql_function!(
    /// The time the current statement started (`now()` is the transaction's).
    fn statement_timestamp() -> diesel::sql_types::Timestamptz
);

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    /// The session's staging table (`sql/import_staging_create.sql`).
    import_staging (seq) {
        seq -> Int4,
        fid -> Int8,
        sheet_no -> Nullable<Int4>,
        parcel_no -> Nullable<Int4>,
        land_use -> Nullable<Text>,
        declared_area -> Nullable<Float8>,
        address -> Nullable<Text>,
        legal_area -> Nullable<Float8>,
        national_id -> Nullable<Text>,
        geom -> Nullable<Geometry>,
        src -> Nullable<Text>,
        early_codes -> Nullable<Text>,
        early_reasons -> Nullable<Text>,
    }
}

const CREATE_STAGING: &str = include_str!("sql/import_staging_create.sql");
const INDEX_STAGING: &str = include_str!("sql/import_staging_index.sql");
const DROP_STAGING: &str = include_str!("sql/import_staging_drop.sql");
const LONG_STATEMENTS: &str = include_str!("sql/import_long_statements.sql");
const RESET_STATEMENT_LIMIT: &str = include_str!("sql/import_statement_limit_reset.sql");
const CHECK_LAND_USE: &str = include_str!("sql/import_check_land_use.sql");
const CHECK_OUTSIDE: &str = include_str!("sql/import_check_outside.sql");
const CHECK_DUPLICATES_DELIVERY: &str = include_str!("sql/import_check_duplicates_delivery.sql");
const CHECK_DUPLICATES_REGISTER: &str = include_str!("sql/import_check_duplicates_register.sql");
const CHECK_OVERLAPS_REGISTER: &str = include_str!("sql/import_check_overlaps_register.sql");
const PROVINCES_NEAR: &str = include_str!("sql/import_register_provinces_near.sql");
const CHECK_OVERLAPS_DELIVERY: &str = include_str!("sql/import_check_overlaps_delivery.sql");
const OUTSIDE_POINTS: &str = include_str!("sql/import_outside_points.sql");
const POINTS_INSIDE: &str = include_str!("sql/import_points_inside.sql");
const ADD_REASON: &str = include_str!("sql/import_add_reason.sql");
const TAKEN_IDS: &str = include_str!("sql/import_taken_national_ids.sql");
const SET_NATIONAL_ID: &str = include_str!("sql/import_set_national_id.sql");
const COUNT_REJECTED: &str = include_str!("sql/import_count_rejected.sql");
const REJECTED_BY_CODE: &str = include_str!("sql/import_rejected_by_code.sql");
const REJECTED_PAGE: &str = include_str!("sql/import_rejected_page.sql");
const INSERT_PARCELS: &str = include_str!("sql/import_insert_parcels.sql");

// ---- The staging table ---------------------------------------------------------------------

/// One feature as the import read it: what its attributes say, and its geometry measured — or,
/// when it was rejected before the database saw it, why (`early_*`).
#[derive(Debug, Clone, Default)]
pub struct StagedFeature {
    /// Position in the file (1-based), the staging key.
    pub seq: i32,
    /// The feature id in the source file (GDAL's FID).
    pub fid: i64,
    pub sheet_no: Option<i32>,
    pub parcel_no: Option<i32>,
    pub land_use: Option<String>,
    pub declared_area_m2: Option<f64>,
    pub address: Option<String>,
    pub legal_area_m2: Option<f64>,
    pub national_id: Option<String>,
    /// The geometry in WGS 84 (None when rejected early).
    pub wgs84: Option<geo_types::MultiPolygon<f64>>,
    /// The geometry exactly as the file gave it (GeoJSON, source CRS), for the rejected report.
    pub source_geojson: Option<String>,
    /// Codes and reasons of a rejection found before staging (comma- and "; "-joined).
    pub early_codes: Option<String>,
    pub early_reasons: Option<String>,
}

/// Creates (or empties) the session's staging table.
pub fn create_staging(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(CREATE_STAGING)
}

/// Indexes and analyses the staging table once it is loaded (an index built after the COPY is
/// cheaper than one kept up during it).
pub fn index_staging(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(INDEX_STAGING)
}

/// Drops the staging table (it would go with the session anyway; a pooled session stays).
pub fn drop_staging(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(DROP_STAGING)
}

/// Streams features into the staging table with one COPY. `next` is called until it returns
/// None; an `Err` from it aborts the COPY (nothing is staged) and is returned as is.
pub fn copy_features<E>(
    conn: &mut PgConnection,
    next: impl FnMut() -> Option<Result<StagedFeature, E>>,
) -> Result<usize, CopyError<E>> {
    use self::import_staging as t;
    let source = RefCell::new(next);
    let failure: RefCell<Option<E>> = RefCell::new(None);
    let copied = diesel::copy_from(t::table)
        .from_raw_data(
            (
                t::seq,
                t::fid,
                t::sheet_no,
                t::parcel_no,
                t::land_use,
                t::declared_area,
                t::address,
                t::legal_area,
                t::national_id,
                t::geom,
                t::src,
                t::early_codes,
                t::early_reasons,
            ),
            |out: &mut dyn Write| -> Result<(), diesel::result::Error> {
                let mut line = String::with_capacity(1024);
                let mut next = source.borrow_mut();
                while let Some(item) = next() {
                    let feature = match item {
                        Ok(f) => f,
                        Err(e) => {
                            *failure.borrow_mut() = Some(e);
                            return Err(diesel::result::Error::RollbackTransaction);
                        }
                    };
                    line.clear();
                    copy_line(&feature, &mut line);
                    out.write_all(line.as_bytes())
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                }
                Ok(())
            },
        )
        .execute(conn);
    match (copied, failure.into_inner()) {
        (_, Some(e)) => Err(CopyError::Source(e)),
        (Ok(n), None) => Ok(n),
        (Err(e), None) => Err(CopyError::Database(e)),
    }
}

/// Why a COPY stopped: the features' source failed, or the database refused.
#[derive(Debug)]
pub enum CopyError<E> {
    Source(E),
    Database(diesel::result::Error),
}

/// One row of COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
fn copy_line(f: &StagedFeature, out: &mut String) {
    use std::fmt::Write as _;
    fn text(out: &mut String, v: Option<&str>) {
        match v {
            None => out.push_str("\\N"),
            Some(s) => {
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    fn num<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
        match v {
            None => out.push_str("\\N"),
            Some(v) => {
                let _ = write!(out, "{v}");
            }
        }
    }
    num(out, Some(f.seq));
    out.push('\t');
    num(out, Some(f.fid));
    out.push('\t');
    num(out, f.sheet_no);
    out.push('\t');
    num(out, f.parcel_no);
    out.push('\t');
    text(out, f.land_use.as_deref());
    out.push('\t');
    // `{}` of an f64 prints the shortest text that reads back to the same value.
    num(out, f.declared_area_m2);
    out.push('\t');
    text(out, f.address.as_deref());
    out.push('\t');
    num(out, f.legal_area_m2);
    out.push('\t');
    text(out, f.national_id.as_deref());
    out.push('\t');
    match &f.wgs84 {
        Some(mp) => ewkb_hex(mp, crate::geometry::WGS84_SRID, out),
        None => out.push_str("\\N"),
    }
    out.push('\t');
    text(out, f.source_geojson.as_deref());
    out.push('\t');
    text(out, f.early_codes.as_deref());
    out.push('\t');
    text(out, f.early_reasons.as_deref());
    out.push('\n');
}

/// A MultiPolygon as hex EWKB (little-endian, with SRID): PostGIS reads it fastest.
fn ewkb_hex(mp: &geo_types::MultiPolygon<f64>, srid: u32, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut push = |bytes: &[u8]| {
        for b in bytes {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    };
    const SRID_FLAG: u32 = 0x2000_0000;
    push(&[1]);
    push(&(6 | SRID_FLAG).to_le_bytes());
    push(&srid.to_le_bytes());
    push(&(mp.0.len() as u32).to_le_bytes());
    for polygon in &mp.0 {
        push(&[1]);
        push(&3u32.to_le_bytes());
        push(&(1 + polygon.interiors().len() as u32).to_le_bytes());
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            push(&(ring.0.len() as u32).to_le_bytes());
            for c in &ring.0 {
                push(&c.x.to_le_bytes());
                push(&c.y.to_le_bytes());
            }
        }
    }
}

/// Statements of the importing session may run longer than the service's 30 s limit (a
/// delivery is bounded by its upload size, not by a request's patience) until
/// [`reset_statement_limit`].
pub fn allow_long_statements(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(LONG_STATEMENTS)
}

/// The session's statement limit back to its login's.
pub fn reset_statement_limit(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(RESET_STATEMENT_LIMIT)
}

/// The staged features' checks against the commune, the register and each other's numbers, each
/// adding its code and reason to the features it rejects. `commune_id` is also the registered
/// commune, in province `province_code`. (Overlaps among the features are found in Rust:
/// [`add_delivery_overlaps`].)
pub fn run_checks(
    conn: &mut PgConnection,
    commune_id: i32,
    province_code: &str,
    boundary_tolerance_m2: f64,
    sliver_tolerance_m2: f64,
) -> QueryResult<()> {
    diesel::sql_query(CHECK_LAND_USE).execute(conn)?;
    diesel::sql_query(CHECK_OUTSIDE)
        .bind::<Integer, _>(commune_id)
        .bind::<Double, _>(boundary_tolerance_m2)
        .execute(conn)?;
    diesel::sql_query(CHECK_DUPLICATES_DELIVERY).execute(conn)?;
    diesel::sql_query(CHECK_DUPLICATES_REGISTER)
        .bind::<Integer, _>(commune_id)
        .bind::<Text, _>(province_code)
        .execute(conn)?;
    #[derive(QueryableByName)]
    struct Near {
        #[diesel(sql_type = Array<Text>)]
        provinces: Vec<String>,
    }
    let near: Near = diesel::sql_query(PROVINCES_NEAR).get_result(conn)?;
    diesel::sql_query(CHECK_OVERLAPS_REGISTER)
        .bind::<Double, _>(sliver_tolerance_m2)
        .bind::<Array<Text>, _>(&near.provinces)
        .execute(conn)?;
    Ok(())
}

/// Records the overlaps among the file's features (found by the caller): pairs of positions
/// `a[i]`, `b[i]` overlapping by `area[i]` m².
pub fn add_delivery_overlaps(conn: &mut PgConnection, a: &[i32], b: &[i32], area: &[f64]) -> QueryResult<()> {
    if a.is_empty() {
        return Ok(());
    }
    diesel::sql_query(CHECK_OVERLAPS_DELIVERY)
        .bind::<Array<Integer>, _>(a)
        .bind::<Array<Integer>, _>(b)
        .bind::<Array<Double>, _>(area)
        .execute(conn)?;
    Ok(())
}

/// A point on the surface of a feature found outside its commune, in the file's coordinates.
#[derive(Debug, Clone, QueryableByName)]
pub struct OutsidePoint {
    #[diesel(sql_type = Integer)]
    pub seq: i32,
    #[diesel(sql_type = Double)]
    pub x: f64,
    #[diesel(sql_type = Double)]
    pub y: f64,
}

/// Features rejected as outside the commune, each with a point inside it (source CRS).
pub fn outside_points(conn: &mut PgConnection) -> QueryResult<Vec<OutsidePoint>> {
    diesel::sql_query(OUTSIDE_POINTS).load(conn)
}

/// Which of the WGS 84 points (`lon`, `lat`, by index) lie inside unit `unit_id`'s boundary.
pub fn points_inside(conn: &mut PgConnection, unit_id: i32, lon: &[f64], lat: &[f64]) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = Integer)]
        i: i32,
    }
    let hits: Vec<Hit> = diesel::sql_query(POINTS_INSIDE)
        .bind::<Integer, _>(unit_id)
        .bind::<Array<Double>, _>(lon)
        .bind::<Array<Double>, _>(lat)
        .load(conn)?;
    Ok(hits.into_iter().map(|h| h.i).collect())
}

/// Adds a reason (with its code) to feature `seq`.
pub fn add_reason(conn: &mut PgConnection, seq: i32, code: &str, reason: &str) -> QueryResult<()> {
    diesel::sql_query(ADD_REASON)
        .bind::<Integer, _>(seq)
        .bind::<Text, _>(code)
        .bind::<Text, _>(reason)
        .execute(conn)?;
    Ok(())
}

/// A feature that will be loaded but whose national id is already issued (or taken twice
/// within the file): its geometry, to find the next candidate.
#[derive(Debug, Clone, QueryableByName)]
pub struct TakenId {
    #[diesel(sql_type = Integer)]
    pub seq: i32,
    #[diesel(sql_type = Text)]
    pub src: String,
}

/// Good features whose national id is taken (the later of two equal ones in the file).
pub fn taken_national_ids(conn: &mut PgConnection) -> QueryResult<Vec<TakenId>> {
    diesel::sql_query(TAKEN_IDS).load(conn)
}

/// Gives feature `seq` another national id.
pub fn set_national_id(conn: &mut PgConnection, seq: i32, id: &str) -> QueryResult<()> {
    diesel::sql_query(SET_NATIONAL_ID).bind::<Integer, _>(seq).bind::<Text, _>(id).execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The number of staged features with at least one reason.
pub fn count_rejected(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::sql_query(COUNT_REJECTED).get_result::<Count>(conn).map(|c| c.n)
}

/// Rejected features per reason code (a feature counts once under each of its codes).
#[derive(Debug, Clone, QueryableByName)]
pub struct CodeCount {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

pub fn rejected_by_code(conn: &mut PgConnection) -> QueryResult<Vec<CodeCount>> {
    diesel::sql_query(REJECTED_BY_CODE).load(conn)
}

/// A rejected feature as the report shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct RejectedFeature {
    #[diesel(sql_type = Integer)]
    pub seq: i32,
    #[diesel(sql_type = BigInt)]
    pub fid: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pub sheet_no: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub parcel_no: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub land_use: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub declared_area: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    /// The geometry as the file gave it (GeoJSON, source CRS).
    #[diesel(sql_type = Nullable<Text>)]
    pub src: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub codes: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub reasons: Vec<String>,
}

/// Rejected features after position `after_seq`, in file order, `limit` at a time.
pub fn rejected_page(conn: &mut PgConnection, after_seq: i32, limit: i64) -> QueryResult<Vec<RejectedFeature>> {
    diesel::sql_query(REJECTED_PAGE).bind::<Integer, _>(after_seq).bind::<BigInt, _>(limit).load(conn)
}

/// What the load wrote: the new parcels' ids as runs of consecutive ids.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct IdRun {
    #[diesel(sql_type = BigInt)]
    pub first: i64,
    #[diesel(sql_type = BigInt)]
    pub last: i64,
}

/// What a load needs to know besides the staged features.
pub struct LoadTarget<'a> {
    pub province_code: &'a str,
    pub commune_id: i32,
    pub source_crs_epsg: i32,
    pub change_reason: &'a str,
    pub is_synthetic: bool,
}

/// Registers every staged feature without a reason: parcel identities, first versions and
/// their land use, in file order. Returns the new parcel ids as runs.
pub fn insert_parcels(conn: &mut PgConnection, t: &LoadTarget) -> QueryResult<Vec<IdRun>> {
    diesel::sql_query(INSERT_PARCELS)
        .bind::<Text, _>(t.province_code)
        .bind::<Integer, _>(t.commune_id)
        .bind::<Integer, _>(t.source_crs_epsg)
        .bind::<Text, _>(t.change_reason)
        .bind::<Bool, _>(t.is_synthetic)
        .load(conn)
}

// ---- The job row ---------------------------------------------------------------------------

/// A new import as it is queued.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = import_jobs)]
pub struct NewJob<'a> {
    pub commune_id: i32,
    pub province_code: &'a str,
    pub user_id: Option<i32>,
    pub requested_by: &'a str,
    pub source_name: &'a str,
    pub layer: &'a str,
    pub source_crs_epsg: i32,
    pub field_map: Value,
    pub mode: &'a str,
    pub features_total: Option<i64>,
}

/// Queues an import; returns its id.
pub fn insert_job(conn: &mut PgConnection, job: &NewJob) -> QueryResult<i64> {
    diesel::insert_into(import_jobs::table).values(job).returning(import_jobs::id).get_result(conn)
}

/// An import as its status shows it (everything but the rejected file).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_jobs, check_for_backend(diesel::pg::Pg))]
pub struct JobRow {
    pub id: i64,
    pub commune_id: i32,
    pub province_code: String,
    pub user_id: Option<i32>,
    pub requested_by: String,
    pub source_name: String,
    pub layer: String,
    pub source_crs_epsg: i32,
    pub field_map: Value,
    pub mode: String,
    pub status: String,
    pub phase: String,
    pub features_total: Option<i64>,
    pub features_read: i64,
    pub features_validated: i64,
    pub features_loaded: i64,
    pub features_rejected: i64,
    pub audit_id: Option<i64>,
    pub rejected_by_code: Option<Value>,
    pub error: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// An import with its commune's code, and whether it kept rejected features.
pub fn job(conn: &mut PgConnection, id: i64) -> QueryResult<Option<(JobRow, String, bool)>> {
    import_jobs::table
        .inner_join(crate::schema::admin_units::table)
        .filter(import_jobs::id.eq(id))
        .select((JobRow::as_select(), crate::schema::admin_units::code, import_jobs::rejected_gpkg.is_not_null()))
        .first(conn)
        .optional()
}

/// The rejected features' GeoPackage of a finished import, if it has one.
pub fn rejected_gpkg(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Vec<u8>>> {
    import_jobs::table
        .find(id)
        .select(import_jobs::rejected_gpkg)
        .first::<Option<Vec<u8>>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Counters of a running import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub read: i64,
    pub validated: i64,
    pub loaded: i64,
    pub rejected: i64,
}

// ---- Who runs an import ---------------------------------------------------------------------
//
// The process running an import holds a session-level advisory lock keyed on the job, on the
// connection it runs the import on, from before [`start`] to after [`finish`] or [`fail`]
// (`service::imports::run`). A process that dies, or whose connection is lost, loses it with
// its session: a `running` job whose lock is free has no runner and never will
// ([`unfinished_jobs`], [`try_lock_runner_for_transaction`], [`fail_interrupted`]).
//
// Key space: two int4 keys, (RUNNER_LOCK_CLASS, the job id's low 32 bits). The other advisory
// locks of the code base: the parcel placement lock, (hashtext('diachinh: parcel placement in
// a commune'), commune id), transaction-level (`sql/parcel_lock_commune.sql`), the only other
// one in the two-key space, whose class differs from this one (a test checks); and one-bigint
// keys (the audit chain's hashtext('audit_log_chain'), the benchmark loader's, the tests'
// template lock), a space PostgreSQL keeps apart from the two-key one (`pg_locks.objsubid` 1
// against 2). Job ids 2^32 apart would share a key: the later would wait for the earlier's
// runner to finish before it starts, and a dead one would look alive while the other runs —
// never the reverse.

/// The first key of an import runner's advisory lock ("IMPJ" in ASCII).
pub const RUNNER_LOCK_CLASS: i32 = 0x494D_504A;

/// The second key of job `id`'s runner lock: the id's low 32 bits.
pub fn runner_lock_key(id: i64) -> i32 {
    id as i32
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// Takes job `id`'s runner lock for the rest of the session, waiting while a sweep holds it
/// for an instant. Release it with [`unlock_runner`] before the connection goes back to a pool.
pub fn lock_runner(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_lock($1, $2)")
        .bind::<Integer, _>(RUNNER_LOCK_CLASS)
        .bind::<Integer, _>(runner_lock_key(id))
        .execute(conn)?;
    Ok(())
}

/// Releases job `id`'s runner lock; false when this session did not hold it.
pub fn unlock_runner(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_advisory_unlock($1, $2) AS flag")
        .bind::<Integer, _>(RUNNER_LOCK_CLASS)
        .bind::<Integer, _>(runner_lock_key(id))
        .get_result::<Flag>(conn)
        .map(|f| f.flag)
}

/// Takes job `id`'s runner lock until the current transaction ends, if nobody holds it: true
/// means no process runs the job (or is about to start it) while this transaction lasts.
/// Transaction-level, so nothing is left held on a pooled connection whatever happens.
pub fn try_lock_runner_for_transaction(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_try_advisory_xact_lock($1, $2) AS flag")
        .bind::<Integer, _>(RUNNER_LOCK_CLASS)
        .bind::<Integer, _>(runner_lock_key(id))
        .get_result::<Flag>(conn)
        .map(|f| f.flag)
}

/// An import not finished that may have lost its runner.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_jobs)]
pub struct Unfinished {
    pub id: i64,
    /// queued or running.
    pub status: String,
    /// Set by the load's own transaction ([`record_load`]): the parcels are registered.
    pub audit_id: Option<i64>,
    pub features_loaded: i64,
}

/// `running` jobs, and `queued` ones that have waited longer than `grace_s` seconds.
fn sweepable(grace_s: f64) -> Box<dyn BoxableExpression<import_jobs::table, diesel::pg::Pg, SqlType = Bool>> {
    use diesel::dsl::{now, IntervalDsl};
    let cutoff = now.into_sql::<diesel::sql_types::Timestamptz>() - grace_s.seconds();
    Box::new(
        import_jobs::status.eq("running").or(import_jobs::status.eq("queued").and(import_jobs::created_at.lt(cutoff))),
    )
}

/// Imports `running`, or `queued` for longer than `queued_grace_s` seconds: the candidates of
/// a sweep, in id order.
pub fn unfinished_jobs(conn: &mut PgConnection, queued_grace_s: f64) -> QueryResult<Vec<Unfinished>> {
    import_jobs::table
        .filter(sweepable(queued_grace_s))
        .select(Unfinished::as_select())
        .order(import_jobs::id)
        .load(conn)
}

/// Job `id` if it is a candidate of a sweep ([`unfinished_jobs`]), its row locked until the
/// transaction ends.
pub fn unfinished_job_for_update(
    conn: &mut PgConnection,
    id: i64,
    queued_grace_s: f64,
) -> QueryResult<Option<Unfinished>> {
    import_jobs::table
        .find(id)
        .filter(sweepable(queued_grace_s))
        .select(Unfinished::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Marks job `id` failed with `error` if it is still `from` (queued or running); true when it
/// was. Only while holding its runner lock ([`try_lock_runner_for_transaction`]).
pub fn fail_interrupted(conn: &mut PgConnection, id: i64, from: &str, error: &Value) -> QueryResult<bool> {
    Ok(mark_failed(conn, id, &[from], error)? == 1)
}

/// Marks the import running if it is queued; false when it is not (it ran already, or a sweep
/// found it abandoned and failed it). Call it holding the runner lock ([`lock_runner`]).
pub fn start(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(import_jobs::table.find(id).filter(import_jobs::status.eq("queued")))
        .set((
            import_jobs::status.eq("running"),
            import_jobs::phase.eq("reading"),
            import_jobs::started_at.eq(statement_timestamp().nullable()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records, inside the load's own transaction, that it registered `loaded` parcels under audit
/// entry `audit_id`: committed with them or not at all, so the row says whether an import
/// interrupted after this point registered anything.
pub fn record_load(conn: &mut PgConnection, id: i64, audit_id: i64, loaded: i64) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(id))
        .set((import_jobs::audit_id.eq(audit_id), import_jobs::features_loaded.eq(loaded)))
        .execute(conn)?;
    Ok(())
}

/// The phase and counters of a running import (a job no longer running keeps its own).
pub fn set_progress(conn: &mut PgConnection, id: i64, phase: &str, p: Progress) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(id).filter(import_jobs::status.eq("running")))
        .set((
            import_jobs::phase.eq(phase),
            import_jobs::features_read.eq(p.read),
            import_jobs::features_validated.eq(p.validated),
            import_jobs::features_loaded.eq(p.loaded),
            import_jobs::features_rejected.eq(p.rejected),
        ))
        .execute(conn)?;
    Ok(())
}

/// The outcome of an import that ran to its end (with or without loading).
pub struct Finished<'a> {
    pub progress: Progress,
    pub audit_id: Option<i64>,
    pub rejected_by_code: Value,
    pub rejected_gpkg: Option<&'a [u8]>,
}

pub fn finish(conn: &mut PgConnection, id: i64, f: &Finished) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(id))
        .set((
            import_jobs::status.eq("succeeded"),
            import_jobs::phase.eq("done"),
            import_jobs::features_read.eq(f.progress.read),
            import_jobs::features_validated.eq(f.progress.validated),
            import_jobs::features_loaded.eq(f.progress.loaded),
            import_jobs::features_rejected.eq(f.progress.rejected),
            import_jobs::audit_id.eq(f.audit_id),
            import_jobs::rejected_by_code.eq(&f.rejected_by_code),
            import_jobs::rejected_gpkg.eq(f.rejected_gpkg),
            import_jobs::finished_at.eq(statement_timestamp().nullable()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records why an import failed (a problem document), unless it has finished already.
pub fn fail(conn: &mut PgConnection, id: i64, error: &Value) -> QueryResult<()> {
    mark_failed(conn, id, &["queued", "running"], error)?;
    Ok(())
}

/// Marks job `id` failed with `error` if its status is one of `from`; how many rows changed.
/// Parcels it had not registered (no [`record_load`] committed) are not counted as loaded.
fn mark_failed(conn: &mut PgConnection, id: i64, from: &[&str], error: &Value) -> QueryResult<usize> {
    diesel::update(import_jobs::table.find(id).filter(import_jobs::status.eq_any(from)))
        .set((
            import_jobs::status.eq("failed"),
            import_jobs::phase.eq("done"),
            import_jobs::error.eq(error),
            import_jobs::features_loaded.eq(diesel::dsl::case_when(
                import_jobs::audit_id.is_null(),
                0i64.into_sql::<BigInt>(),
            )
            .otherwise(import_jobs::features_loaded)),
            import_jobs::finished_at.eq(statement_timestamp().nullable()),
        ))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn ewkb_of_a_square_reads_as_postgis_writes_it() {
        let mp = geo_types::MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)],
        ]);
        let mut out = String::new();
        ewkb_hex(&mp, 4326, &mut out);
        // SELECT ST_AsEWKB('SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0)))'::geometry) in hex.
        assert_eq!(
            out,
            "0106000020E610000001000000010300000001000000040000000000000000000000000000000000000000000000\
             0000F03F0000000000000000000000000000F03F000000000000F03F00000000000000000000000000000000"
        );
    }

    #[test]
    fn copy_text_escapes_and_nulls() {
        let f = StagedFeature {
            seq: 3,
            fid: 7,
            address: Some("a\tb\\c\nd".into()),
            early_codes: Some("attribute".into()),
            ..StagedFeature::default()
        };
        let mut line = String::new();
        copy_line(&f, &mut line);
        assert_eq!(line, "3\t7\t\\N\t\\N\t\\N\t\\N\ta\\tb\\\\c\\nd\t\\N\t\\N\t\\N\t\\N\tattribute\t\\N\n");
    }
}
