//! Bulk import of a survey delivery (issue 15): `diachinh import` and `POST /imports`.
//!
//! A delivery is read by GDAL (`gdal`), never parsed here. Each feature goes through the rules
//! of one registration (`POST /parcels`): its attributes and geometry in Rust, on worker
//! threads, as the features stream out of `ogr2ogr` (`domain::import`, `parcel::measure`), and
//! the overlaps within the file on an R-tree (`domain::import::overlapping_pairs`); then
//! everything that needs the register — inside the commune, overlaps with the register, sheet
//! and parcel numbers, land-use codes — set-wise in SQL over a staging table filled by one COPY
//! (`store::imports`). The good features become parcels in one
//! statement, under the commune's placement lock, with one audit entry for the import. In
//! all-or-nothing mode one rejection loads nothing. The rejected features go back to the
//! sender as a GeoPackage in the file's own CRS with their reasons.
//!
//! An import whose process dies (the server killed, the command line interrupted, the machine
//! restarted) cannot say so itself. Its runner holds an advisory lock keyed on the job for as
//! long as it runs ([`run`]; `store::imports`, "Who runs an import"), which PostgreSQL releases
//! with the runner's session; a job `running` (or `queued` for longer than [`QUEUED_GRACE`])
//! whose lock is free has no runner, and a sweep marks it failed, kind `interrupted`, saying
//! whether it had registered anything ([`sweep_interrupted`] when the server starts, and each
//! read of a job's status).

pub mod gdal;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use diesel::{Connection, PgConnection};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::authz::{authorize, Action};
use super::parcels::{resolve_commune, Recorder};
use super::{Actor, DbContext, Error, Location, Settings};
use domain::crs::{nearest_zone, Crs, Tm3Zone, TM3_ZONES};
use domain::geometry::{parse_polygonal, GeometryError};
use domain::import::{self as rules, FieldMap, Mode, Rejection, RejectionCode};
use domain::parcel::{measure, MeasuredGeometry};
use store::admin_units::UnitRow;
use store::imports as db;

/// An import as asked: the command line's flags or the upload form's fields.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The commune (5 digits, in force) the delivery is for.
    pub commune: String,
    /// `EPSG:9209`, an OGC URI, or None / `auto`: the CRS the file declares.
    pub crs: Option<String>,
    /// `sheet=FIELD,parcel=FIELD,…` over the defaults (`domain::import::DEFAULT_FIELDS`).
    pub map: Option<String>,
    pub mode: Mode,
    /// Mark the parcels as generated data (benchmarks, tests), never a survey.
    pub synthetic: bool,
    /// The file's name as its sender knows it (for the reports).
    pub source_name: String,
}

/// Who asks for an import.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// A staff member over HTTP: authorised against the commune's province.
    Staff(&'a Actor),
    /// The command line, run by whoever holds the database owner's credentials.
    Command(&'a str),
}

impl Requester<'_> {
    fn recorder(&self) -> Recorder<'_> {
        match self {
            Requester::Staff(a) => Recorder::from(*a),
            Requester::Command(name) => Recorder { user_id: None, name },
        }
    }
}

/// An import checked before it runs: the commune, what GDAL says about the file, the CRS and
/// the field mapping.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub commune: UnitRow,
    pub source: gdal::SourceInfo,
    pub crs: Crs,
    pub map: FieldMap,
    pub mode: Mode,
    pub synthetic: bool,
    pub source_name: String,
}

fn file_error(e: gdal::GdalError) -> Error {
    match e {
        gdal::GdalError::Unreadable(message) => Error::invalid("/file", message),
        gdal::GdalError::Tool(message) => Error::Internal(anyhow::anyhow!(message)),
    }
}

/// Checks an import before anything is written: the commune, the requester's jurisdiction
/// over it, the field mapping and CRS given, and the file (read by `ogrinfo`). Every refusal
/// names its field (`/commune`, `/crs`, `/map`, `/file`).
pub fn prepare(
    conn: &mut PgConnection,
    requester: Requester,
    req: &ImportRequest,
    path: &Path,
) -> Result<Prepared, Error> {
    let commune = resolve_commune(conn, req.commune.trim(), "/commune")?;
    if let Requester::Staff(actor) = requester {
        authorize(actor, Action::ParcelImport, &commune.province_code)?;
    }
    let overrides = FieldMap::parse_overrides(req.map.as_deref().unwrap_or(""))
        .map_err(|e| Error::invalid("/map", e.to_string()))?;
    let given_crs = match req.crs.as_deref().map(str::trim) {
        None | Some("") | Some("auto") => None,
        Some(text) => Some(Crs::parse(text).map_err(|e| Error::invalid("/crs", e.to_string()))?),
    };
    let source = gdal::inspect(path).map_err(file_error)?;
    let crs = match (given_crs, &source.proj4) {
        (Some(crs), _) => crs,
        (None, Some(proj4)) => rules::crs_from_proj4(proj4).map_err(|e| Error::invalid("/crs", e.to_string()))?,
        (None, None) => {
            return Err(Error::invalid(
                "/crs",
                "the file declares no CRS (no .prj, no srs): give its VN-2000 zone, e.g. EPSG:9209",
            ))
        }
    };
    let map = FieldMap::resolve(&source.fields, &overrides).map_err(|e| Error::invalid("/map", e.to_string()))?;
    Ok(Prepared {
        commune,
        source,
        crs,
        map,
        mode: req.mode,
        synthetic: req.synthetic,
        source_name: req.source_name.clone(),
    })
}

/// Records the import as queued; returns its id.
pub fn queue(conn: &mut PgConnection, requester: Requester, p: &Prepared) -> Result<i64, Error> {
    let recorder = requester.recorder();
    db::insert_job(
        conn,
        &db::NewJob {
            commune_id: p.commune.id,
            province_code: &p.commune.province_code,
            user_id: recorder.user_id,
            requested_by: recorder.name,
            source_name: &p.source_name,
            layer: &p.source.layer,
            source_crs_epsg: p.crs.epsg() as i32,
            field_map: p.map.to_json(),
            mode: p.mode.as_str(),
            features_total: p.source.feature_count,
        },
    )
    .context_db("recording the import")
}

// ---- Progress ------------------------------------------------------------------------------

/// Where a running import reports: the terminal (CLI) or the job row (HTTP).
pub trait ProgressSink: Send {
    /// The shortest time between two reports.
    fn interval(&self) -> Duration;
    fn report(&mut self, update: &ProgressUpdate);
}

/// A snapshot of a running import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressUpdate {
    /// reading, checking, loading, reporting, done.
    pub phase: &'static str,
    /// Features the file declares, when known.
    pub total: Option<i64>,
    pub counts: db::Progress,
}

/// The counters the pipeline's threads move and the reporter reads.
#[derive(Default)]
struct Counters {
    read: AtomicI64,
    validated: AtomicI64,
    loaded: AtomicI64,
    rejected: AtomicI64,
    phase: Mutex<&'static str>,
    finished: AtomicBool,
}

impl Counters {
    fn snapshot(&self, total: Option<i64>) -> ProgressUpdate {
        ProgressUpdate {
            phase: *self.phase.lock().unwrap_or_else(|e| e.into_inner()),
            total,
            counts: db::Progress {
                read: self.read.load(Ordering::Relaxed),
                validated: self.validated.load(Ordering::Relaxed),
                loaded: self.loaded.load(Ordering::Relaxed),
                rejected: self.rejected.load(Ordering::Relaxed),
            },
        }
    }
    fn set_phase(&self, phase: &'static str) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }
}

/// Progress kept in the job row, for `GET /imports/{id}`, over a connection of its own (the
/// import's own runs inside its transaction, invisible until commit).
pub struct JobProgress {
    pub conn: store::DbConn,
    pub job_id: i64,
}

impl ProgressSink for JobProgress {
    fn interval(&self) -> Duration {
        Duration::from_millis(500)
    }
    fn report(&mut self, u: &ProgressUpdate) {
        if let Err(e) = db::set_progress(&mut self.conn, self.job_id, u.phase, u.counts) {
            tracing::warn!(job = self.job_id, error = %e, "could not record an import's progress");
        }
    }
}

// ---- Running -------------------------------------------------------------------------------

/// What an import did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub job_id: i64,
    pub read: i64,
    pub loaded: i64,
    pub rejected: i64,
    pub rejected_by_code: BTreeMap<String, i64>,
    /// The new parcels' ids as runs of consecutive ids.
    pub parcel_ids: Vec<[i64; 2]>,
    pub audit_id: Option<i64>,
    /// Where the rejected features' GeoPackage was written (when some were rejected).
    pub rejected_file: Option<PathBuf>,
}

/// Runs a queued import to its end on `conn` and records the outcome (or the failure) in its
/// job row. `rejected_out`: where to write the rejected features' GeoPackage (a temporary file
/// when None; either way it is kept in the job row too).
pub fn run(
    conn: &mut PgConnection,
    settings: &Settings,
    requester: Requester,
    job_id: i64,
    p: &Prepared,
    rejected_out: Option<&Path>,
    sink: &mut dyn ProgressSink,
) -> Result<Outcome, Error> {
    // Held until the outcome is recorded: while it is, no sweep takes the job for abandoned.
    if let Err(e) = db::lock_runner(conn, job_id) {
        let e = Error::db("taking the import's runner lock", e);
        record_failure(conn, job_id, &e);
        return Err(e);
    }
    let mut runner = RunnerLock { conn, job_id };
    let conn: &mut PgConnection = &mut runner;
    // Started only if still queued: a sweep may have found it waiting too long and failed it.
    if !db::start(conn, job_id).context_db("starting the import")? {
        return Err(Error::Conflict {
            message: format!("import {job_id} is no longer queued: it has run, or was failed as never started"),
            errors: vec![],
        });
    }
    let counters = Counters::default();
    counters.set_phase("reading");
    let total = p.source.feature_count;
    let result = std::thread::scope(|scope| {
        let reporter = scope.spawn(|| {
            let mut last = None;
            loop {
                let finished = counters.finished.load(Ordering::Acquire);
                let now = counters.snapshot(total);
                if last != Some(now) {
                    sink.report(&now);
                    last = Some(now);
                }
                if finished {
                    break;
                }
                std::thread::park_timeout(sink.interval());
            }
        });
        // Stops the reporter however the import ends: were it still waiting when a panic
        // unwinds, the scope would wait for it for ever, the runner lock held.
        let stop = StopReporter { counters: &counters, reporter: reporter.thread().clone() };
        let result = import(conn, settings, requester, job_id, p, rejected_out, &counters);
        drop(stop);
        let _ = reporter.join();
        result
    });
    let _ = db::drop_staging(conn);
    let _ = db::reset_statement_limit(conn);
    if let Err(e) = &result {
        record_failure(conn, job_id, e);
    }
    // `runner` goes now, the outcome recorded: the lock is released.
    result
}

/// Tells the progress reporter the import is done, when dropped.
struct StopReporter<'a> {
    counters: &'a Counters,
    reporter: std::thread::Thread,
}

impl Drop for StopReporter<'_> {
    fn drop(&mut self) {
        self.counters.set_phase("done");
        self.counters.finished.store(true, Ordering::Release);
        self.reporter.unpark();
    }
}

fn record_failure(conn: &mut PgConnection, job_id: i64, e: &Error) {
    if let Err(db_error) = db::fail(conn, job_id, &error_document(e)) {
        tracing::error!(job = job_id, error = %db_error, "could not record an import's failure");
    }
}

/// The runner lock of import `job_id` (`store::imports`, "Who runs an import"), taken on the
/// connection that runs the import (`db::lock_runner`), released when this is dropped: on every
/// return, and while a panic unwinds, so that a pooled connection never goes back to its pool
/// holding it.
/// When releasing fails, the connection is one the database has closed (the lock went with
/// its session) or one in a transaction a panic left open, which the pool drops as broken
/// (diesel's r2d2 manager counts a connection returned while panicking as broken): either way
/// no session keeps the lock.
struct RunnerLock<'c> {
    conn: &'c mut PgConnection,
    job_id: i64,
}

impl Deref for RunnerLock<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn
    }
}

impl DerefMut for RunnerLock<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
    }
}

impl Drop for RunnerLock<'_> {
    fn drop(&mut self) {
        match db::unlock_runner(self.conn, self.job_id) {
            Ok(true) => {}
            Ok(false) => tracing::error!(job = self.job_id, "an import's runner lock was not held at its end"),
            Err(e) => tracing::warn!(job = self.job_id, error = %e, "could not release an import's runner lock"),
        }
    }
}

// ---- Imports without a runner ----------------------------------------------------------------

/// How long a queued import may wait for its runner to take its lock before a sweep counts it
/// abandoned. Between [`queue`] and [`run`] there is, over HTTP, a thread to start and two
/// connections to take from the pool (each waited for at most `store::POOL_WAIT`, 1.5 s, after
/// which the import fails as `unavailable`), and on the command line nothing: a minute is far
/// beyond both. A sweep cannot race a runner either way: it fails a job only holding its lock,
/// and a runner takes the lock first and then starts the job only if it is still queued
/// ([`db::start`]), so a job is never both run and failed as never started.
pub const QUEUED_GRACE: Duration = Duration::from_secs(60);

/// Marks failed every import that lost its runner: `running` with its runner lock free, or
/// `queued` longer than [`QUEUED_GRACE`] with nobody holding it. Returns their ids. Run when the
/// server starts (after the migrations); reads of a job sweep that job ([`get`]).
pub fn sweep_interrupted(conn: &mut PgConnection) -> Result<Vec<i64>, Error> {
    let candidates =
        db::unfinished_jobs(conn, QUEUED_GRACE.as_secs_f64()).context_db("listing the unfinished imports")?;
    let mut failed = Vec::new();
    for job in candidates {
        if sweep_job(conn, job.id)? {
            failed.push(job.id);
        }
    }
    Ok(failed)
}

/// Marks import `id` failed if it lost its runner (see [`sweep_interrupted`]); true when it did.
/// The runner lock is tried for the sweep's own transaction only: nothing stays held on the
/// connection, and a runner about to start the job waits for the transaction to end.
fn sweep_job(conn: &mut PgConnection, id: i64) -> Result<bool, Error> {
    let swept = conn.transaction(|conn| {
        if !db::try_lock_runner_for_transaction(conn, id).context_db("looking for an import's runner")? {
            return Ok(None); // it runs (or is starting)
        }
        // Read again under the lock: the runner may have recorded its outcome and let go since.
        let job = db::unfinished_job_for_update(conn, id, QUEUED_GRACE.as_secs_f64())
            .context_db("loading an unfinished import")?;
        let Some(job) = job else { return Ok(None) };
        let failed = db::fail_interrupted(conn, id, &job.status, &interrupted_document(&job))
            .context_db("recording an interrupted import")?;
        Ok::<_, Error>(failed.then_some(job))
    })?;
    if let Some(job) = &swept {
        tracing::warn!(
            job = id,
            was = %job.status,
            registered = job.audit_id.is_some(),
            "an import had lost its runner: marked failed"
        );
    }
    Ok(swept.is_some())
}

/// Why an abandoned import failed, as [`error_document`] writes a failure: kind `interrupted`,
/// and what it left behind. The parcels are registered in one transaction (checks, parcels, the
/// audit entry, and `db::record_load` in the job's row), in either mode: an import interrupted
/// before it committed registered nothing; one interrupted after it (writing its report of
/// the rejected features) registered every parcel it counts.
fn interrupted_document(job: &db::Unfinished) -> Value {
    let detail = match (job.status.as_str(), job.audit_id) {
        ("queued", _) => "the import never started: the server stopped, or lost its database, before running it. \
                          Nothing of it was registered; it can be sent again."
            .to_string(),
        (_, None) => "the import was interrupted: the server running it stopped, or the database did, or the \
                      connection between them was lost. Nothing of it was registered (its parcels are registered \
                      in one transaction at its end, which had not committed); it can be run again."
            .to_string(),
        (_, Some(audit_id)) => format!(
            "the import was interrupted after registering {} parcels (audit entry {audit_id}), while it wrote \
             its report: the server running it stopped, or the database did, or the connection between them \
             was lost. Those parcels stay registered; the report of the rejected features is lost. Running the \
             same file again would find them already in the register.",
            job.features_loaded
        ),
    };
    json!({"kind": "interrupted", "detail": detail, "errors": []})
}

/// A failure as the job row keeps it: the kind, what happened, and the fields at fault.
fn error_document(e: &Error) -> Value {
    let (kind, errors) = match e {
        Error::BadRequest(errors) => ("bad-request", errors.clone()),
        Error::Invalid(errors) => ("invalid", errors.clone()),
        Error::Conflict { errors, .. } => ("conflict", errors.clone()),
        Error::Forbidden(_) => ("forbidden", vec![]),
        Error::Database { .. } | Error::Unavailable(_) => ("unavailable", vec![]),
        _ => ("internal", vec![]),
    };
    let detail = match e {
        // The cause of an internal error goes to the log, not to the requester.
        Error::Internal(cause) => {
            tracing::error!(error = %cause, "an import failed");
            "the import failed on the server; its log says why".to_string()
        }
        other => other.to_string(),
    };
    json!({"kind": kind, "detail": detail, "errors": errors})
}

/// What the workers share to judge a feature.
struct Judge<'a> {
    map: &'a FieldMap,
    crs: Crs,
    /// The zone a WGS 84 delivery is measured in (the commune's), as for one registration.
    default_zone: Option<Tm3Zone>,
}

impl Judge<'_> {
    /// The legal area's zone, as `POST /parcels` picks it (`service::parcels::area_zone`): the
    /// commune's zone, or else the zone of the geometry's own longitude. A VN-2000 delivery
    /// is measured in its own plane whatever this says.
    fn zone_for(&self, mp: &geo_types::MultiPolygon<f64>) -> Tm3Zone {
        use geo::BoundingRect;
        if let Some(z) = self.default_zone {
            return z;
        }
        match self.crs {
            Crs::Vn2000(z) => z,
            Crs::Wgs84 => nearest_zone(mp.bounding_rect().map(|r| r.center().x).unwrap_or(105.0)),
        }
    }

    fn measure(&self, geometry: Option<&RawValue>) -> Result<MeasuredGeometry, Rejection> {
        let invalid = |m: String| Rejection::new(RejectionCode::InvalidGeometry, m);
        let raw = geometry.ok_or_else(|| invalid("the feature has no geometry".into()))?;
        let g: geojson::Geometry =
            serde_json::from_str(raw.get()).map_err(|e| invalid(format!("the geometry cannot be read: {e}")))?;
        let mp = parse_polygonal(&g).map_err(geometry_rejection)?;
        measure(&mp, self.crs, self.zone_for(&mp)).map_err(geometry_rejection)
    }

    /// One line of `ogr2ogr`'s output judged: its attributes and geometry read and measured,
    /// or the reasons it is refused. An unreadable line is GDAL's failure, not the feature's.
    fn stage(&self, seq: i32, line: &str) -> Result<Staged, Error> {
        #[derive(serde::Deserialize)]
        struct RawFeature<'a> {
            id: Option<i64>,
            properties: Option<serde_json::Map<String, Value>>,
            #[serde(borrow)]
            geometry: Option<&'a RawValue>,
        }
        let raw: RawFeature = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("ogr2ogr wrote a line that is not a GeoJSON feature: {e}"))?;
        let geometry = raw.geometry.filter(|g| g.get() != "null");
        let mut f = db::StagedFeature {
            seq,
            fid: raw.id.unwrap_or(seq as i64),
            source_geojson: geometry.map(|g| g.get().to_string()),
            ..db::StagedFeature::default()
        };
        let mut problems = Vec::new();
        let mut planar = None;
        let empty = serde_json::Map::new();
        match rules::read_attributes(self.map, raw.properties.as_ref().unwrap_or(&empty)) {
            Ok(a) => {
                f.sheet_no = Some(a.sheet);
                f.parcel_no = Some(a.parcel);
                f.land_use = Some(a.land_use);
                f.declared_area_m2 = a.declared_area_m2;
                f.address = a.address;
            }
            Err(p) => problems.extend(p),
        }
        match self.measure(geometry) {
            Ok(m) => {
                if let Some(declared) = f.declared_area_m2 {
                    problems.extend(rules::check_declared_area(declared, m.legal_area_m2).err());
                }
                f.legal_area_m2 = Some(m.legal_area_m2);
                f.national_id = Some(m.national_id);
                f.wgs84 = Some(m.wgs84);
                planar = Some(m.planar);
            }
            Err(r) => problems.push(r),
        }
        if !problems.is_empty() {
            // Refused here: the set-wise checks leave it alone (its numbers still count).
            f.wgs84 = None;
            f.national_id = None;
            f.early_codes = Some(problems.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(","));
            f.early_reasons =
                Some(problems.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join(REASON_SEPARATOR));
            planar = None;
        }
        Ok((f, planar))
    }
}

/// A judged feature, with its geometry in the plane when it passed (for the overlap check).
type Staged = (db::StagedFeature, Option<geo_types::MultiPolygon<f64>>);

/// Joins the early reasons of a feature in the staging table (`sql/import_rejected_page.sql`
/// splits on it): a character no reason contains.
const REASON_SEPARATOR: &str = "\u{1f}";

fn geometry_rejection(e: GeometryError) -> Rejection {
    let at = e.location.map(|c| format!(" at ({:.3}, {:.3})", c.x, c.y)).unwrap_or_default();
    Rejection::new(RejectionCode::InvalidGeometry, format!("{}{at}", e.message))
}

/// Features read per message between the pipeline's threads.
const CHUNK: usize = 256;

fn import(
    conn: &mut PgConnection,
    settings: &Settings,
    requester: Requester,
    job_id: i64,
    p: &Prepared,
    rejected_out: Option<&Path>,
    counters: &Counters,
) -> Result<Outcome, Error> {
    db::allow_long_statements(conn).context_db("preparing the import's session")?;
    db::create_staging(conn).context_db("creating the staging table")?;
    let (staged, planar) = stage_file(conn, p, counters)?;
    if staged == 0 {
        return Err(Error::invalid("/file", "the file has no features"));
    }
    counters.set_phase("checking");
    db::index_staging(conn).context_db("indexing the staged features")?;
    // Overlaps within the file, in the plane (an R-tree and exact clipping: PostGIS's
    // ST_Relate over every pair of neighbours costs far more).
    let (seqs, geometries): (Vec<i32>, Vec<geo_types::MultiPolygon<f64>>) = planar.into_iter().unzip();
    let pairs = rules::overlapping_pairs(&geometries, settings.sliver_tolerance_m2);
    drop(geometries);
    let a: Vec<i32> = pairs.iter().map(|p| seqs[p.0]).collect();
    let b: Vec<i32> = pairs.iter().map(|p| seqs[p.1]).collect();
    let area: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    db::add_delivery_overlaps(conn, &a, &b, &area).context_db("recording overlaps within the file")?;
    let recorder = requester.recorder();
    let (rejected, rejected_by_code, parcel_ids, audit_id) = conn.transaction(|conn| {
        // Placements in the commune wait for the import (and it for them): the register the
        // checks see is the one the load writes into.
        store::parcels::lock_commune(conn, p.commune.id).context_db("waiting for the commune's placement lock")?;
        db::run_checks(
            conn,
            p.commune.id,
            &p.commune.province_code,
            settings.boundary_tolerance_m2,
            settings.sliver_tolerance_m2,
        )
        .context_db("checking the features against the register")?;
        mark_wrong_zones(conn, p)?;
        reissue_taken_ids(conn, p)?;
        let rejected = db::count_rejected(conn).context_db("counting the rejected features")?;
        let by_code: BTreeMap<String, i64> = db::rejected_by_code(conn)
            .context_db("counting the rejections")?
            .into_iter()
            .map(|c| (c.code, c.n))
            .collect();
        counters.validated.store(staged as i64, Ordering::Relaxed);
        counters.rejected.store(rejected, Ordering::Relaxed);
        let load = (p.mode == Mode::LoadValid || rejected == 0) && rejected < staged as i64;
        if !load {
            return Ok((rejected, by_code, Vec::new(), None));
        }
        counters.set_phase("loading");
        let reason = format!("đăng ký lần đầu (first registration): nhập từ tệp {} (import {job_id})", p.source_name);
        let runs: Vec<[i64; 2]> = db::insert_parcels(
            conn,
            &db::LoadTarget {
                province_code: &p.commune.province_code,
                commune_id: p.commune.id,
                source_crs_epsg: p.crs.epsg() as i32,
                change_reason: &reason,
                is_synthetic: p.synthetic,
            },
        )
        .map_err(|e| Error::db("registering the parcels", e))?
        .into_iter()
        .map(|r| [r.first, r.last])
        .collect();
        let loaded: i64 = runs.iter().map(|[a, b]| b - a + 1).sum();
        counters.loaded.store(loaded, Ordering::Relaxed);
        store::audit::append(
            conn,
            store::audit::AuditEntry {
                actor_id: recorder.user_id,
                actor: recorder.name,
                action: "parcel.import",
                entity: "import",
                entity_id: &job_id.to_string(),
                before: None,
                after: Some(json!({
                    "import": job_id,
                    "file": p.source_name,
                    "layer": p.source.layer,
                    "commune": p.commune.code,
                    "source_crs": p.crs.uri(),
                    "mode": p.mode.as_str(),
                    "field_map": p.map.to_json(),
                    "features": staged,
                    "loaded": loaded,
                    "rejected": rejected,
                    "rejected_by_code": by_code,
                    "parcel_ids": runs,
                    "synthetic": p.synthetic,
                })),
            },
        )
        .context_db("writing the audit log")?;
        // The head is locked by this transaction until it commits: its id is this entry's.
        let audit_id = store::audit::recorded_head(conn).context_db("reading the audit head")?.last_id;
        // Committed with the parcels or not at all: what a sweep reads of an interrupted import.
        db::record_load(conn, job_id, audit_id, loaded).context_db("recording the load in the import's row")?;
        Ok::<_, Error>((rejected, by_code, runs, Some(audit_id)))
    })?;
    let loaded: i64 = parcel_ids.iter().map(|[a, b]| b - a + 1).sum();
    counters.set_phase("reporting");
    let (gpkg, rejected_file) = if rejected > 0 {
        let temp = gdal::TempFile::new(".gpkg");
        let out = rejected_out.unwrap_or(&temp.0);
        write_rejected(conn, p, out)?;
        let bytes = std::fs::read(out).map_err(|e| anyhow::anyhow!("reading back {}: {e}", out.display()))?;
        (Some(bytes), rejected_out.map(Path::to_path_buf))
    } else {
        (None, None)
    };
    let progress = db::Progress { read: staged as i64, validated: staged as i64, loaded, rejected };
    db::finish(
        conn,
        job_id,
        &db::Finished { progress, audit_id, rejected_by_code: json!(rejected_by_code), rejected_gpkg: gpkg.as_deref() },
    )
    .context_db("recording the import's outcome")?;
    Ok(Outcome { job_id, read: staged as i64, loaded, rejected, rejected_by_code, parcel_ids, audit_id, rejected_file })
}

/// The good-so-far features' positions and geometries in the plane.
type Planar = Vec<(i32, geo_types::MultiPolygon<f64>)>;

/// Streams the file through `ogr2ogr` → a reader thread → judging workers → one COPY into the
/// staging table. Returns the number of features staged, and the geometries of those that
/// passed the per-feature rules.
fn stage_file(conn: &mut PgConnection, p: &Prepared, counters: &Counters) -> Result<(usize, Planar), Error> {
    let mut child = gdal::stream(&p.source).map_err(file_error)?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("ogr2ogr has no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| anyhow::anyhow!("ogr2ogr has no stderr"))?;
    let judge = Judge {
        map: &p.map,
        crs: p.crs,
        default_zone: p.commune.default_crs_epsg.and_then(|e| match Crs::from_epsg(e as u32) {
            Some(Crs::Vn2000(z)) => Some(z),
            _ => None,
        }),
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let copied = std::thread::scope(|scope| {
        let gdal_messages = scope.spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let (line_tx, line_rx) = mpsc::sync_channel::<Vec<(i32, String)>>(workers * 4);
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut seq = 0i32;
            let mut chunk = Vec::with_capacity(CHUNK);
            for line in BufReader::with_capacity(1 << 20, stdout).lines() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                seq += 1;
                chunk.push((seq, line));
                if chunk.len() == CHUNK {
                    counters.read.fetch_add(CHUNK as i64, Ordering::Relaxed);
                    if line_tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
                        return Ok(()); // the COPY stopped; ogr2ogr is stopped below
                    }
                }
            }
            counters.read.fetch_add(chunk.len() as i64, Ordering::Relaxed);
            let _ = line_tx.send(chunk);
            Ok(())
        });
        let line_rx = Arc::new(Mutex::new(line_rx));
        let (row_tx, row_rx) = mpsc::sync_channel::<Result<Vec<Staged>, Error>>(workers * 4);
        for _ in 0..workers {
            let (line_rx, row_tx, judge) = (line_rx.clone(), row_tx.clone(), &judge);
            scope.spawn(move || loop {
                let next = line_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(chunk) = next else { break };
                let n = chunk.len() as i64;
                let rows = chunk.into_iter().map(|(seq, line)| judge.stage(seq, &line)).collect();
                counters.validated.fetch_add(n, Ordering::Relaxed);
                if row_tx.send(rows).is_err() {
                    break;
                }
            });
        }
        drop(row_tx);
        let mut pending = Vec::<Staged>::new().into_iter();
        let mut planar = Vec::new();
        let copied = db::copy_features(conn, || loop {
            if let Some((f, g)) = pending.next() {
                if let Some(g) = g {
                    planar.push((f.seq, g));
                }
                return Some(Ok(f));
            }
            match row_rx.recv() {
                Ok(Ok(rows)) => pending = rows.into_iter(),
                Ok(Err(e)) => return Some(Err(e)),
                Err(_) => return None,
            }
        });
        // Whatever stopped the COPY, the other threads must not wait on it.
        drop(row_rx);
        if copied.is_err() {
            let _ = child.kill();
        }
        let read = reader.join().unwrap_or(Err(std::io::Error::other("the reading thread panicked")));
        let status = child.wait();
        let messages = gdal_messages.join().unwrap_or_default();
        (copied, read, status, messages, planar)
    });
    let (copied, read, status, messages, planar) = copied;
    let copied = match copied {
        Ok(n) => n,
        Err(db::CopyError::Source(e)) => return Err(e),
        Err(db::CopyError::Database(e)) => return Err(Error::db("staging the features", e)),
    };
    let gdal_failed = !status.as_ref().is_ok_and(|s| s.success()) || read.is_err();
    if gdal_failed {
        let why = messages
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("ERROR") || l.starts_with("FAILURE"))
            .map(str::to_string)
            .or_else(|| read.err().map(|e| e.to_string()))
            .unwrap_or_else(|| "ogr2ogr stopped without a reason".into());
        return Err(Error::invalid("/file", format!("GDAL could not read every feature of the file: {why}")));
    }
    Ok((copied, planar))
}

/// Features outside the commune that would lie inside it read in another TM-3 zone: a
/// contractor's wrong central meridian, said so beside the outside reason.
fn mark_wrong_zones(conn: &mut PgConnection, p: &Prepared) -> Result<(), Error> {
    let Crs::Vn2000(declared) = p.crs else { return Ok(()) };
    let points = db::outside_points(conn).context_db("finding the features outside the commune")?;
    let (mut lon, mut lat, mut candidates) = (Vec::new(), Vec::new(), Vec::new());
    for pt in &points {
        for zone in TM3_ZONES.iter().filter(|z| z.epsg != declared.epsg) {
            if let Ok(w) = Crs::Vn2000(*zone).point_to_wgs84(geo_types::Coord { x: pt.x, y: pt.y }) {
                lon.push(w.x);
                lat.push(w.y);
                candidates.push((pt.seq, *zone));
            }
        }
    }
    if candidates.is_empty() {
        return Ok(());
    }
    let inside = db::points_inside(conn, p.commune.id, &lon, &lat).context_db("trying the other zones")?;
    let mut marked = HashSet::new();
    for i in inside {
        let Some((seq, zone)) = candidates.get((i - 1) as usize) else { continue };
        if marked.insert(*seq) {
            let reason = format!(
                "read as EPSG:{} (VN-2000 TM-3, central meridian {}°) the feature lies inside commune {}: \
                 it was probably surveyed in that zone, not in the file's EPSG:{}",
                zone.epsg, zone.central_meridian, p.commune.code, declared.epsg
            );
            db::add_reason(conn, *seq, RejectionCode::WrongZone.as_str(), &reason)
                .context_db("recording a wrong zone")?;
        }
    }
    Ok(())
}

/// Good features whose national id is already issued take the next candidate, as one
/// registration does (`MeasuredGeometry::alternative_national_ids`).
fn reissue_taken_ids(conn: &mut PgConnection, p: &Prepared) -> Result<(), Error> {
    let taken = db::taken_national_ids(conn).context_db("checking the national ids")?;
    let judge = Judge { map: &p.map, crs: p.crs, default_zone: None };
    let mut given = HashSet::new();
    for t in taken {
        let raw = RawValue::from_string(t.src).map_err(|e| anyhow::anyhow!("staged geometry: {e}"))?;
        let Ok(m) = judge.measure(Some(&raw)) else { continue };
        let mut chosen = None;
        for id in m.alternative_national_ids(20) {
            if !given.contains(&id)
                && !store::parcels::national_id_taken(conn, &id).context_db("checking a national id")?
            {
                chosen = Some(id);
                break;
            }
        }
        match chosen {
            Some(id) => {
                db::set_national_id(conn, t.seq, &id).context_db("giving a feature another national id")?;
                given.insert(id);
            }
            None => db::add_reason(
                conn,
                t.seq,
                RejectionCode::NationalIdTaken.as_str(),
                &format!("no free national id near {}", m.national_id),
            )
            .context_db("recording a taken national id")?,
        }
    }
    Ok(())
}

/// Writes the rejected features, in the file's CRS with their reasons, as a GeoPackage at `out`
/// (through a GeoJSON file that `ogr2ogr` converts).
fn write_rejected(conn: &mut PgConnection, p: &Prepared, out: &Path) -> Result<(), Error> {
    let temp = gdal::TempFile::new(".geojson");
    let file = std::fs::File::create(&temp.0).map_err(|e| anyhow::anyhow!("creating {}: {e}", temp.0.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let crs_name = match p.crs {
        Crs::Wgs84 => "urn:ogc:def:crs:OGC:1.3:CRS84".to_string(),
        Crs::Vn2000(z) => format!("urn:ogc:def:crs:EPSG::{}", z.epsg),
    };
    let io = |e: std::io::Error| Error::Internal(anyhow::anyhow!("writing the rejected features: {e}"));
    write!(w, r#"{{"type":"FeatureCollection","name":"rejected","crs":{{"type":"name","properties":{{"name":"{crs_name}"}}}},"features":["#)
        .map_err(io)?;
    let mut after = 0;
    let mut first = true;
    loop {
        let page = db::rejected_page(conn, after, 5_000).context_db("reading the rejected features")?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for r in page {
            let properties = json!({
                "source_fid": r.fid,
                "sheet": r.sheet_no,
                "parcel": r.parcel_no,
                "land_use": r.land_use,
                "area": r.declared_area,
                "address": r.address,
                "reason": r.reasons.join("; "),
                "reason_code": r.codes.join(","),
            });
            let geometry = r.src.as_deref().unwrap_or("null");
            write!(
                w,
                r#"{}{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#,
                if first { "" } else { ",\n" }
            )
            .map_err(io)?;
            first = false;
        }
    }
    writeln!(w, "]}}").map_err(io)?;
    w.flush().map_err(io)?;
    drop(w);
    let srs = match p.crs {
        Crs::Wgs84 => "EPSG:4326".to_string(),
        Crs::Vn2000(z) => format!("EPSG:{}", z.epsg),
    };
    gdal::write_geopackage(&temp.0, out, &srs).map_err(|e| Error::Internal(anyhow::anyhow!(e.to_string())))
}

/// Runs a queued import on the server's blocking side, on connections of its own (one for the
/// import, one for its progress), and deletes the uploaded file when done.
pub fn run_in_background(
    pool: store::DbPool,
    settings: Settings,
    actor: Actor,
    job_id: i64,
    prepared: Prepared,
    upload: gdal::TempFile,
) {
    std::thread::spawn(move || {
        let _upload = upload;
        let connections = pool.get().and_then(|main| Ok((main, pool.get()?)));
        let (mut conn, progress_conn) = match connections {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(job = job_id, error = %e, "no connection for an import");
                if let Ok(mut c) = pool.get() {
                    let _ = db::fail(
                        &mut c,
                        job_id,
                        &json!({"kind": "unavailable", "detail": "no database connection was free; try again", "errors": []}),
                    );
                }
                return;
            }
        };
        let mut sink = JobProgress { conn: progress_conn, job_id };
        let started = std::time::Instant::now();
        match run(&mut conn, &settings, Requester::Staff(&actor), job_id, &prepared, None, &mut sink) {
            Ok(o) => tracing::info!(
                job = job_id,
                loaded = o.loaded,
                rejected = o.rejected,
                seconds = started.elapsed().as_secs_f64(),
                "import finished"
            ),
            Err(e) => tracing::warn!(job = job_id, error = %e, "import failed"),
        }
    });
}

// ---- Views ---------------------------------------------------------------------------------

/// Counters of an import.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportProgressView {
    /// Features the file declares (null when its format cannot say without reading it all).
    pub total: Option<i64>,
    /// Features read from the file so far.
    pub read: i64,
    /// Features judged by the per-feature rules (geometry, attributes); the set-wise checks
    /// (commune, register, overlaps, numbers) follow once all are read.
    pub validated: i64,
    /// Parcels registered (written when the import commits).
    pub loaded: i64,
    /// Features refused, known once the set-wise checks have run.
    pub rejected: i64,
}

/// What a finished import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResultView {
    pub loaded: i64,
    pub rejected: i64,
    /// Rejected features per reason code (a feature counts under each of its codes):
    /// invalid_geometry, attribute, unknown_land_use, area_mismatch, outside_commune,
    /// wrong_zone, overlaps_register, overlaps_delivery, duplicate_in_register,
    /// duplicate_in_delivery, national_id_taken.
    pub rejected_by_code: BTreeMap<String, i64>,
    /// The audit entry of the import (null when nothing was loaded).
    pub audit_id: Option<i64>,
    /// Where the rejected features are (a GeoPackage in the file's CRS with a `reason` field);
    /// null when none were rejected.
    pub rejected_features: Option<String>,
}

/// A bulk import and where it stands (`GET /imports/{id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJobView {
    pub id: i64,
    /// queued, running, succeeded or failed.
    #[schema(example = "running")]
    pub status: String,
    /// What a running import is doing: queued, reading, checking, loading, reporting, done.
    pub phase: String,
    /// The commune the delivery is for (5 digits).
    pub commune: String,
    pub province_code: String,
    /// The file as it was sent, and the layer read from it.
    pub file: String,
    pub layer: String,
    /// The CRS the features were read in (OGC URI).
    pub source_crs: String,
    /// all_or_nothing (one rejection loads nothing) or load_valid (the good features are loaded).
    pub mode: String,
    /// Which attribute of the file feeds sheet, parcel, land_use, area and address.
    #[schema(value_type = Object)]
    pub field_map: Value,
    pub requested_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub progress: ImportProgressView,
    /// Set once the import succeeded.
    pub result: Option<ImportResultView>,
    /// Why a failed import failed: {kind, detail, errors: [{pointer, message}]}; kind
    /// `interrupted` when the server or the database stopped while it ran (or before it started),
    /// its detail saying whether it had registered anything.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

fn job_view(row: db::JobRow, commune: String, has_rejected: bool) -> ImportJobView {
    let source_crs = Crs::from_epsg(row.source_crs_epsg as u32)
        .map(|c| c.uri())
        .unwrap_or_else(|| format!("EPSG:{}", row.source_crs_epsg));
    let result = (row.status == "succeeded").then(|| ImportResultView {
        loaded: row.features_loaded,
        rejected: row.features_rejected,
        rejected_by_code: row
            .rejected_by_code
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
        audit_id: row.audit_id,
        rejected_features: has_rejected.then(|| format!("/imports/{}/rejected", row.id)),
    });
    ImportJobView {
        id: row.id,
        status: row.status,
        phase: row.phase,
        commune,
        province_code: row.province_code,
        file: row.source_name,
        layer: row.layer,
        source_crs,
        mode: row.mode,
        field_map: row.field_map,
        requested_by: row.requested_by,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        progress: ImportProgressView {
            total: row.features_total,
            read: row.features_read,
            validated: row.features_validated,
            loaded: row.features_loaded,
            rejected: row.features_rejected,
        },
        result,
        error: row.error,
    }
}

fn load_job(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<(db::JobRow, String, bool), Error> {
    let (row, commune, has_rejected) =
        db::job(conn, id).context_db("loading the import")?.ok_or_else(|| Error::NotFound(format!("import {id}")))?;
    authorize(actor, Action::ParcelImport, &row.province_code)?;
    Ok((row, commune, has_rejected))
}

/// `GET /imports/{id}`: status, progress and result, for staff of the commune's province. An
/// unfinished import that lost its runner is marked failed first ([`sweep_interrupted`]).
pub fn get(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<ImportJobView, Error> {
    let (mut row, mut commune, mut has_rejected) = load_job(conn, actor, id)?;
    if matches!(row.status.as_str(), "queued" | "running") {
        match sweep_job(conn, id) {
            Ok(true) => (row, commune, has_rejected) = load_job(conn, actor, id)?,
            Ok(false) => {}
            // The status as it stands is still the answer.
            Err(e) => tracing::warn!(job = id, error = %e, "could not look for an import's runner"),
        }
    }
    Ok(job_view(row, commune, has_rejected))
}

/// `GET /imports/{id}/rejected`: the rejected features' GeoPackage.
pub fn rejected(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<Vec<u8>, Error> {
    load_job(conn, actor, id)?;
    db::rejected_gpkg(conn, id).context_db("loading the rejected features")?.ok_or_else(|| {
        Error::NotFound(format!("rejected features of import {id} (none were rejected, or it has not finished)"))
    })
}

/// An error as the command line prints it: the fields at fault, or what failed.
pub fn describe(e: &Error) -> String {
    let fields = match e {
        Error::Invalid(errors) | Error::BadRequest(errors) => errors
            .iter()
            .map(|f| match &f.location {
                Location::Pointer(p) => format!("{}: {}", p.trim_start_matches('/'), f.message),
                Location::Parameter(p) => format!("{p}: {}", f.message),
            })
            .collect::<Vec<_>>(),
        _ => vec![],
    };
    if let Error::Database { source, .. } = e {
        // The command line runs as the owner: the database's own words help it.
        return format!("{e}: {source:?}");
    }
    if fields.is_empty() {
        e.to_string()
    } else {
        fields.join("; ")
    }
}

/// `POST /imports` (multipart/form-data), described for the OpenAPI document.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportFormSchema {
    /// The delivery: any vector format GDAL reads — a GeoPackage, a .zip holding a Shapefile
    /// (.shp, .shx, .dbf, .prj), GeoJSON, DXF, …; its first layer is imported.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The commune the delivery is for (5 digits, in force).
    #[schema(example = "31507")]
    commune: String,
    /// The source CRS: a VN-2000 TM-3 zone (EPSG:5896-5899, 9205-9218), EPSG:4326, or `auto`
    /// (default: read from the file).
    #[schema(example = "EPSG:9209")]
    crs: Option<String>,
    /// Field mapping over the defaults, e.g. `sheet=SoTo,parcel=SoThua,land_use=LoaiDat,area=DienTich,address=DiaChi`.
    map: Option<String>,
    /// `load_valid` (default: the good features are loaded) or `all_or_nothing`.
    #[schema(example = "load_valid")]
    mode: Option<String>,
}
