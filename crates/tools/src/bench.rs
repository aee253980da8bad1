//! `diachinh-tools bench`: load-tests the two busiest public endpoints and measures, next to
//! each, what PostgreSQL alone does with the same SQL — measured, not asserted.
//!
//! For each dataset (the sample communes, and optionally N synthetic parcels) it
//! 1. creates or reuses a database on the same server as [`config::database_url`]
//!    (`diachinh_bench_sample`, `diachinh_bench_<N>`), completed ones are marked with a
//!    database comment so re-runs skip the load;
//! 2. starts our HTTP server in-process on `127.0.0.1:0`, with a pool of `connections`;
//! 3. draws up to 1,000 random current parcels: national ids for `GET
//!    /collections/parcels/items/{id}`, and ~200 m × 200 m boxes around a point inside each
//!    parcel for `GET /collections/parcels/items?bbox=…&limit=100`;
//! 4. alternates `wrk` (a Lua script cycling through the request list) and two `pgbench`
//!    runs of the same SQL text as `store::parcels` with parameters from the same
//!    list, `repeats` times, and reports medians.
//!
//! The two pgbench runs:
//! - **prepared** (`-M prepared`, the limit): one script; each transaction picks a random
//!   row of the table `bench_params` (the request list) with `\set` and a `\gset` lookup,
//!   then runs the endpoint's statements, whose plans PostgreSQL can cache. The lookup is
//!   one extra cheap statement per transaction; a lookup-only run measures what it costs.
//! - **unprepared** (`-M extended`): one script per request (the first [`PGBENCH_SCRIPTS`]
//!   of the list; pgbench allows 128), parameters as `-D` variables, nothing extra — the
//!   statements exactly as diesel's `sql_query` sends them (unnamed, parsed and planned
//!   every time, since diesel never caches `sql_query` statements).

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use diachinh::cluster::PG_BIN;
use diachinh::service::{seed, Settings};
use diachinh::{config, http};

/// What `diachinh-tools bench` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Synthetic parcels in the large dataset; 0 = sample data only.
    pub parcels: usize,
    /// Duration of each measurement.
    pub seconds: u64,
    /// Concurrent HTTP connections = pgbench clients = pool size.
    pub connections: u32,
    /// Measurements per (dataset, endpoint); the median is reported.
    pub repeats: usize,
    /// Markdown file that receives the results table.
    pub out: PathBuf,
    /// Sample data directory (`sample-data/`).
    pub sample_dir: PathBuf,
}

/// Parcels drawn per dataset to build the request lists.
const SAMPLE_SIZE: i64 = 1_000;
/// Half the side of a bbox request, metres.
const BOX_HALF_SIDE_M: f64 = 100.0;
/// Page size of the bbox requests.
const PAGE_LIMIT: i64 = 100;
/// Synthetic parcels per commune (200 communes for 1,000,000).
const PER_COMMUNE: usize = 5_000;
/// Requests of the list that pgbench runs (one script file each; pgbench's limit is 128).
const PGBENCH_SCRIPTS: usize = 100;
/// Untimed load before the first measurement of each endpoint (fills the caches).
const WARM_UP_SECONDS: u64 = 3;
/// Extra time a wrk or pgbench run may take beyond its duration before it is killed.
const GRACE: Duration = Duration::from_secs(90);
/// The database comment that marks a dataset as completely loaded.
const MARKER: &str = "diachinh bench dataset: complete";
/// Session advisory lock (in the bench database) held while checking and loading it.
const LOAD_LOCK: &str = "diachinh bench load";
const SECTION_START: &str = "<!-- bench:start -->";
const SECTION_END: &str = "<!-- bench:end -->";

// The SQL the endpoints run: the store's own statements, so pgbench runs exactly what the
// server sends.

use store::parcels::statements::{
    BY_ID_FILTER, COUNT_HEAD, HOLDERS as HOLDERS_SQL, LATEST_CERTIFICATE as CERTIFICATE_SQL, PAGE_FILTER, PAGE_TAIL,
    PARCEL_SELECT,
};

// ---------------------------------------------------------------------------------------

/// Runs the whole benchmark and writes the report.
pub fn run(opts: &Options) -> Result<()> {
    validate(opts)?;
    let tools = Tools::find()?;
    let base_url = config::database_url()?;
    let settings = Settings::from_env()?;

    let mut specs = vec![DatasetSpec { db_name: "diachinh_bench_sample".into(), synthetic: 0 }];
    if opts.parcels > 0 {
        specs.push(DatasetSpec { db_name: format!("diachinh_bench_{}", opts.parcels), synthetic: opts.parcels });
    }
    let mut datasets = Vec::new();
    for spec in &specs {
        datasets.push(
            prepare_dataset(&base_url, spec, opts, &settings)
                .with_context(|| format!("while preparing database {}", spec.db_name))?,
        );
    }

    let work = WorkDir::create()?;
    let mut results = Vec::new();
    for dataset in &datasets {
        results.push(
            measure_dataset(dataset, opts, &settings, &tools, &work)
                .with_context(|| format!("while measuring {}", dataset.db_name))?,
        );
    }

    let facts = Facts::collect(&base_url);
    let section = render_section(opts, &facts, &datasets, &results);
    println!("\n{section}");
    write_report(&opts.out, &section)?;
    eprintln!("bench: results written to {}", opts.out.display());
    Ok(())
}

fn validate(opts: &Options) -> Result<()> {
    if !(1..=3_600).contains(&opts.seconds) {
        bail!("--seconds must be between 1 and 3600");
    }
    if !(1..=150).contains(&opts.connections) {
        bail!("--connections must be between 1 and 150 (the private cluster allows 200 connections)");
    }
    if !(1..=25).contains(&opts.repeats) {
        bail!("--repeats must be between 1 and 25");
    }
    Ok(())
}

/// The external load generators.
struct Tools {
    wrk: PathBuf,
    pgbench: PathBuf,
}

impl Tools {
    fn find() -> Result<Tools> {
        let hint = "install it with scripts/bench-prereqs.sh (`make bench` does)";
        let wrk = find_on_path("wrk").ok_or_else(|| anyhow!("wrk is not installed: {hint}"))?;
        let pgbench = Path::new(PG_BIN).join("pgbench");
        if !pgbench.is_file() {
            bail!("{} is missing (Debian package postgresql-contrib): {hint}", pgbench.display());
        }
        Ok(Tools { wrk, pgbench })
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------
// Datasets

struct DatasetSpec {
    db_name: String,
    /// Synthetic parcels on top of the sample data.
    synthetic: usize,
}

/// A loaded database and the requests drawn from it.
struct Dataset {
    db_name: String,
    url: String,
    /// Current parcels in the database.
    parcels: i64,
    /// How the data got there.
    load: LoadInfo,
    samples: Vec<Sample>,
    bbox_stats: BboxStats,
}

enum LoadInfo {
    Loaded { seconds: f64 },
    Reused { note: String },
}

/// One sampled current parcel.
#[derive(Debug, Clone)]
struct Sample {
    national_id: String,
    parcel_id: i64,
    /// minLon, minLat, maxLon, maxLat around a point on the parcel's surface.
    bbox: [f64; 4],
}

/// How many current parcels the bbox requests match.
#[derive(Debug, Clone, Default, QueryableByName)]
struct BboxStats {
    #[diesel(sql_type = BigInt)]
    p50: i64,
    #[diesel(sql_type = BigInt)]
    p90: i64,
    #[diesel(sql_type = BigInt)]
    max: i64,
    /// Share of boxes matching at most one page (≤ 100).
    #[diesel(sql_type = Double)]
    within_page: f64,
}

fn prepare_dataset(base_url: &str, spec: &DatasetSpec, opts: &Options, settings: &Settings) -> Result<Dataset> {
    let url = url_with_database(base_url, &spec.db_name)?;
    create_database_if_missing(base_url, &spec.db_name)?;
    let mut conn = PgConnection::establish(&url).with_context(|| format!("while connecting to {}", spec.db_name))?;
    // Another bench run may be loading this database: wait for it (the lock ends with `conn`).
    exec(&mut conn, &format!("SELECT pg_advisory_lock(hashtext({}))", quote_literal(LOAD_LOCK)))?;
    let load = match database_comment(&mut conn)? {
        Some(comment) if comment.starts_with(MARKER) => {
            eprintln!("bench: reusing {} ({comment})", spec.db_name);
            // Cheap, and keeps a reused database in step with the code.
            store::migrate(&mut conn)?;
            LoadInfo::Reused { note: comment }
        }
        _ => {
            let seconds = load_dataset(&mut conn, spec, opts, settings)?;
            LoadInfo::Loaded { seconds }
        }
    };
    let parcels = count_current_parcels(&mut conn)?;
    let samples = draw_samples(&mut conn)?;
    if samples.is_empty() {
        bail!("{} has no current parcels to request", spec.db_name);
    }
    write_params_table(&mut conn, &samples)?;
    let bbox_stats = bbox_stats(&mut conn, &samples)?;
    eprintln!(
        "bench: {}: {parcels} current parcels, {} sampled; bbox matches p50 {} p90 {} max {}",
        spec.db_name,
        samples.len(),
        bbox_stats.p50,
        bbox_stats.p90,
        bbox_stats.max
    );
    Ok(Dataset { db_name: spec.db_name.clone(), url, parcels, load, samples, bbox_stats })
}

/// Migrate, seed the sample data, add the synthetic parcels, VACUUM ANALYZE, mark complete.
/// Returns the seconds it took.
fn load_dataset(conn: &mut PgConnection, spec: &DatasetSpec, opts: &Options, settings: &Settings) -> Result<f64> {
    let started = Instant::now();
    exec(conn, "CREATE EXTENSION IF NOT EXISTS postgis").context("while creating the postgis extension")?;
    store::migrate(conn)?;
    eprintln!("bench: {}: loading the sample data from {}", spec.db_name, opts.sample_dir.display());
    seed::seed(conn, settings, &opts.sample_dir).context("while seeding the sample data")?;
    if spec.synthetic > 0 {
        load_synthetic(conn, spec)?;
    }
    eprintln!("bench: {}: VACUUM ANALYZE", spec.db_name);
    exec(conn, "VACUUM ANALYZE").context("while running VACUUM ANALYZE")?;
    let seconds = started.elapsed().as_secs_f64();
    let parcels = count_current_parcels(conn)?;
    let comment = format!(
        "{MARKER}; {parcels} current parcels; loaded in {seconds:.0} s on {}",
        chrono::Local::now().format("%Y-%m-%d")
    );
    exec(conn, &format!("COMMENT ON DATABASE {} IS {}", spec.db_name, quote_literal(&comment)))?;
    eprintln!("bench: {}: loaded in {seconds:.1} s", spec.db_name);
    Ok(seconds)
}

fn load_synthetic(conn: &mut PgConnection, spec: &DatasetSpec) -> Result<()> {
    let started = Instant::now();
    let mut last_report = 0usize;
    let loaded = crate::samples::load_synthetic(conn, spec.synthetic, PER_COMMUNE, |done, total| {
        // One line per ~50,000 parcels (and the last one), not one per batch.
        if done >= last_report + 50_000 || done == total {
            last_report = done;
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
            eprintln!(
                "bench: {}: synthetic {done}/{total} parcels ({:.0}%), {rate:.0}/s",
                spec.db_name,
                100.0 * done as f64 / total.max(1) as f64
            );
        }
    })
    .context("while loading synthetic parcels")?;
    // load_synthetic resumes commune by commune; a commune interrupted half-way would be
    // counted as done, so check what is really there.
    let synthetic = count_synthetic_parcels(conn)?;
    if synthetic < spec.synthetic as i64 {
        bail!(
            "{} holds {synthetic} synthetic parcels after loading {loaded}, expected {}; an earlier load was probably \
             interrupted — drop it (DROP DATABASE {}) and run the bench again",
            spec.db_name,
            spec.synthetic,
            spec.db_name
        );
    }
    eprintln!("bench: {}: {loaded} synthetic parcels in {:.1} s", spec.db_name, started.elapsed().as_secs_f64());
    Ok(())
}

/// `url` with its database name replaced (query string kept).
fn url_with_database(url: &str, db_name: &str) -> Result<String> {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let scheme_end = main.find("://").map(|i| i + 3).ok_or_else(|| anyhow!("database URL {url} has no scheme"))?;
    let host_part = &main[scheme_end..];
    let base = match host_part.find('/') {
        Some(slash) => &main[..scheme_end + slash],
        None => main,
    };
    Ok(match query {
        Some(q) => format!("{base}/{db_name}?{q}"),
        None => format!("{base}/{db_name}"),
    })
}

fn create_database_if_missing(base_url: &str, db_name: &str) -> Result<()> {
    let mut conn = PgConnection::establish(base_url).context("while connecting to the main database")?;
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let found: Exists = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(db_name)
        .get_result(&mut conn)?;
    if found.n == 0 {
        eprintln!("bench: creating database {db_name}");
        exec(&mut conn, &format!("CREATE DATABASE {db_name}"))
            .with_context(|| format!("while creating database {db_name}"))?;
    }
    Ok(())
}

fn database_comment(conn: &mut PgConnection) -> Result<Option<String>> {
    #[derive(QueryableByName)]
    struct Comment {
        #[diesel(sql_type = Nullable<Text>)]
        comment: Option<String>,
    }
    let c: Comment = diesel::sql_query(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()",
    )
    .get_result(conn)
    .context("while reading the database comment")?;
    Ok(c.comment)
}

fn count_current_parcels(conn: &mut PgConnection) -> Result<i64> {
    scalar_i64(conn, "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL")
}

/// Parcels written by `load_synthetic` (its bulk insert's change reason).
fn count_synthetic_parcels(conn: &mut PgConnection) -> Result<i64> {
    scalar_i64(conn, "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL AND change_reason = 'synthetic benchmark data'")
}

/// Up to SAMPLE_SIZE random current parcels, each with a box around a point inside it.
/// Serial plan + fixed seed: the same database gives the same list.
fn draw_samples(conn: &mut PgConnection) -> Result<Vec<Sample>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        national_id: String,
        #[diesel(sql_type = BigInt)]
        parcel_id: i64,
        #[diesel(sql_type = Double)]
        lon: f64,
        #[diesel(sql_type = Double)]
        lat: f64,
    }
    exec(conn, "SET max_parallel_workers_per_gather = 0")?;
    exec(conn, "SELECT setseed(0.42)")?;
    let rows: Vec<Row> = diesel::sql_query(
        "WITH pick AS (SELECT id, random() AS k FROM parcel_versions WHERE valid_to IS NULL ORDER BY k LIMIT $1) \
         SELECT p.national_id, v.parcel_id, ST_X(s.pt) AS lon, ST_Y(s.pt) AS lat \
           FROM pick JOIN parcel_versions v ON v.id = pick.id JOIN parcels p ON p.id = v.parcel_id \
           CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.geom) AS pt) s \
          ORDER BY pick.k",
    )
    .bind::<BigInt, _>(SAMPLE_SIZE)
    .load(conn)
    .context("while drawing random parcels")?;
    exec(conn, "RESET max_parallel_workers_per_gather")?;
    Ok(rows
        .into_iter()
        .map(|r| Sample {
            national_id: r.national_id,
            parcel_id: r.parcel_id,
            bbox: bbox_around(r.lon, r.lat, BOX_HALF_SIDE_M),
        })
        .collect())
}

/// `bench_params(i, national_id, parcel_id, x0, y0, x1, y1)`, i = 1..n: the request list,
/// where the prepared pgbench runs draw their parameters from. A plain (unlogged) table,
/// since pgbench's sessions cannot see another session's temporary table.
fn write_params_table(conn: &mut PgConnection, samples: &[Sample]) -> Result<()> {
    exec(conn, "DROP TABLE IF EXISTS bench_params")?;
    exec(
        conn,
        "CREATE UNLOGGED TABLE bench_params (i int PRIMARY KEY, national_id text NOT NULL, parcel_id bigint NOT NULL, \
         x0 float8 NOT NULL, y0 float8 NOT NULL, x1 float8 NOT NULL, y1 float8 NOT NULL)",
    )?;
    let column = |k: usize| samples.iter().map(|s| s.bbox[k]).collect::<Vec<_>>();
    diesel::sql_query(
        "INSERT INTO bench_params SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[])",
    )
    .bind::<Array<Integer>, _>((1..=samples.len() as i32).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(samples.iter().map(|s| s.national_id.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(samples.iter().map(|s| s.parcel_id).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(column(0))
    .bind::<Array<Double>, _>(column(1))
    .bind::<Array<Double>, _>(column(2))
    .bind::<Array<Double>, _>(column(3))
    .execute(conn)
    .context("while writing bench_params")?;
    exec(conn, "ANALYZE bench_params")?;
    Ok(())
}

/// A box of ±`half_side_m` metres around (lon, lat), rounded to 1e-7° (≈ 1 cm).
fn bbox_around(lon: f64, lat: f64, half_side_m: f64) -> [f64; 4] {
    const M_PER_DEGREE: f64 = 111_320.0;
    let dlat = half_side_m / M_PER_DEGREE;
    let dlon = half_side_m / (M_PER_DEGREE * lat.to_radians().cos());
    let round = |v: f64| (v * 1e7).round() / 1e7;
    [round(lon - dlon), round(lat - dlat), round(lon + dlon), round(lat + dlat)]
}

fn bbox_stats(conn: &mut PgConnection, samples: &[Sample]) -> Result<BboxStats> {
    let column = |k: usize| samples.iter().map(|s| s.bbox[k]).collect::<Vec<_>>();
    diesel::sql_query(format!(
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS p50, percentile_disc(0.9) WITHIN GROUP (ORDER BY n) AS p90, \
                max(n) AS max, avg((n <= {PAGE_LIMIT})::int)::float8 AS within_page \
           FROM (SELECT (SELECT count(*) FROM parcel_versions v WHERE v.valid_to IS NULL \
                           AND ST_Intersects(v.geom, ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, 4326))) AS n \
                   FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[]) AS b(x0, y0, x1, y1)) s"
    ))
    .bind::<Array<Double>, _>(column(0))
    .bind::<Array<Double>, _>(column(1))
    .bind::<Array<Double>, _>(column(2))
    .bind::<Array<Double>, _>(column(3))
    .get_result(conn)
    .context("while counting what the bbox requests match")
}

// ---------------------------------------------------------------------------------------
// Measuring

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    ById,
    Bbox,
}

impl Endpoint {
    const ALL: [Endpoint; 2] = [Endpoint::ById, Endpoint::Bbox];

    fn label(self) -> &'static str {
        match self {
            Endpoint::ById => "parcel by id",
            Endpoint::Bbox => "bbox page of 100",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Endpoint::ById => "by-id",
            Endpoint::Bbox => "bbox",
        }
    }

    fn http_path(self, s: &Sample) -> String {
        match self {
            Endpoint::ById => format!("/collections/parcels/items/{}", s.national_id),
            Endpoint::Bbox => {
                let [x0, y0, x1, y1] = s.bbox;
                format!("/collections/parcels/items?bbox={x0},{y0},{x1},{y1}&limit={PAGE_LIMIT}")
            }
        }
    }

    /// The endpoint's statements for pgbench, each parameter a variable named like the
    /// `bench_params` column plus `suffix` (`:national_id_7`, `:x0`, …).
    fn pgbench_statements(self, suffix: &str) -> String {
        match self {
            Endpoint::ById => format!(
                "{};\n{};\n{};\n",
                format!("{PARCEL_SELECT} {BY_ID_FILTER}").replace("$1", &format!(":national_id{suffix}")),
                HOLDERS_SQL.replace("$1", &format!(":parcel_id{suffix}")),
                CERTIFICATE_SQL.replace("$1", &format!(":parcel_id{suffix}")),
            ),
            Endpoint::Bbox => {
                // $5 (datetime) is NULL for these requests; pgbench has no NULL variables,
                // so it is written as a literal. $6 (cursor) and $7 (limit) are constants.
                let params = |sql: &str| {
                    sql.replace("$1", &format!(":x0{suffix}"))
                        .replace("$2", &format!(":y0{suffix}"))
                        .replace("$3", &format!(":x1{suffix}"))
                        .replace("$4", &format!(":y1{suffix}"))
                        .replace("$5", "NULL")
                        .replace("$6", ":after")
                        .replace("$7", ":page_limit")
                };
                format!(
                    "{};\n{};\n",
                    params(&format!("{PARCEL_SELECT} {PAGE_FILTER} {PAGE_TAIL}")),
                    params(&format!("{COUNT_HEAD} {PAGE_FILTER}")),
                )
            }
        }
    }

    /// The `bench_params` columns this endpoint's statements use.
    fn param_columns(self) -> &'static [&'static str] {
        match self {
            Endpoint::ById => &["national_id", "parcel_id"],
            Endpoint::Bbox => &["x0", "y0", "x1", "y1"],
        }
    }

    /// `-D name=value` definitions of one request's parameters, names suffixed with `suffix`.
    fn pgbench_variables(self, suffix: &str, s: &Sample) -> Vec<String> {
        match self {
            Endpoint::ById => {
                vec![format!("national_id{suffix}={}", s.national_id), format!("parcel_id{suffix}={}", s.parcel_id)]
            }
            Endpoint::Bbox => {
                let [x0, y0, x1, y1] = s.bbox;
                vec![
                    format!("x0{suffix}={x0}"),
                    format!("y0{suffix}={y0}"),
                    format!("x1{suffix}={x1}"),
                    format!("y1{suffix}={y1}"),
                ]
            }
        }
    }

    /// Variables every script of this endpoint shares.
    fn pgbench_constants(self) -> Vec<String> {
        match self {
            Endpoint::ById => Vec::new(),
            Endpoint::Bbox => vec!["after=0".into(), format!("page_limit={PAGE_LIMIT}")],
        }
    }
}

/// How pgbench sends the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgMode {
    /// `-M prepared`: parsed once per connection, plans cacheable.
    Prepared,
    /// `-M extended`: unnamed statements, parsed and planned every time (as diesel does).
    Unprepared,
}

impl PgMode {
    fn flag(self) -> &'static str {
        match self {
            PgMode::Prepared => "prepared",
            PgMode::Unprepared => "extended",
        }
    }
}

/// The script files and `-D` definitions of one pgbench run.
struct PgbenchInput {
    mode: PgMode,
    scripts: Vec<PathBuf>,
    variables: Vec<String>,
}

/// `\set i random(1, rows)` and a `\gset` of `columns` from that row of bench_params.
fn draw_params(columns: &[&str], rows: usize) -> String {
    format!("\\set i random(1, {rows})\nSELECT {} FROM bench_params WHERE i = :i \\gset\n", columns.join(", "))
}

/// One script: draw a request of the list from bench_params, run the endpoint's statements.
fn write_prepared_input(work: &WorkDir, stem: &str, endpoint: Endpoint, rows: usize) -> Result<PgbenchInput> {
    let text = format!("{}{}", draw_params(endpoint.param_columns(), rows), endpoint.pgbench_statements(""));
    let script = work.write(&format!("{stem}.prepared.sql"), &text)?;
    Ok(PgbenchInput { mode: PgMode::Prepared, scripts: vec![script], variables: endpoint.pgbench_constants() })
}

/// One script per request for the first PGBENCH_SCRIPTS samples, parameters as `-D`.
fn write_unprepared_input(work: &WorkDir, stem: &str, endpoint: Endpoint, samples: &[Sample]) -> Result<PgbenchInput> {
    let mut input =
        PgbenchInput { mode: PgMode::Unprepared, scripts: Vec::new(), variables: endpoint.pgbench_constants() };
    for (k, sample) in samples.iter().take(PGBENCH_SCRIPTS).enumerate() {
        let suffix = format!("_{k}");
        input.scripts.push(work.write(&format!("{stem}.unprepared.{k}.sql"), &endpoint.pgbench_statements(&suffix))?);
        input.variables.extend(endpoint.pgbench_variables(&suffix, sample));
    }
    Ok(input)
}

/// Just the parameter draw of the prepared runs, to measure what it costs.
fn write_lookup_input(work: &WorkDir, stem: &str, rows: usize) -> Result<PgbenchInput> {
    let text = draw_params(Endpoint::ById.param_columns(), rows);
    let script = work.write(&format!("{stem}.lookup.sql"), &text)?;
    Ok(PgbenchInput { mode: PgMode::Prepared, scripts: vec![script], variables: Vec::new() })
}

/// One (dataset, endpoint) line of the report.
struct Measurement {
    dataset: String,
    endpoint: Endpoint,
    http: Vec<WrkRun>,
    prepared: Vec<PgbenchRun>,
    unprepared: Vec<PgbenchRun>,
}

/// What one dataset's measurements produced.
struct DatasetResults {
    measurements: Vec<Measurement>,
    /// TPS of the bench_params lookup alone (`-M prepared`).
    lookup_tps: f64,
    /// 1-minute load average before and after the measurements.
    load_before: f64,
    load_after: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct WrkRun {
    requests: u64,
    duration_us: u64,
    p50_us: f64,
    p99_us: f64,
    /// Non-2xx/3xx responses.
    status_errors: u64,
    /// connect + read + write + timeout errors.
    socket_errors: u64,
}

impl WrkRun {
    fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6).max(1e-9)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct PgbenchRun {
    tps: f64,
    mode: &'static str,
    failed: u64,
}

fn measure_dataset(
    dataset: &Dataset,
    opts: &Options,
    settings: &Settings,
    tools: &Tools,
    work: &WorkDir,
) -> Result<DatasetResults> {
    wait_for_quiet_machine();
    let load_before = load_average();
    let server = BenchServer::start(&dataset.url, opts.connections, settings.clone())?;
    let outcome = measure_endpoints(dataset, opts, tools, work, server.addr);
    server.stop();
    let measurements = outcome?;
    let lookup = write_lookup_input(work, &dataset.db_name, dataset.samples.len())?;
    let lookup_tps = run_pgbench(tools, work, &lookup, &dataset.url, opts.connections, opts.seconds)
        .with_context(|| format!("while running pgbench for the parameter lookup on {}", dataset.db_name))?
        .tps;
    eprintln!("bench: {} bench_params lookup alone: {lookup_tps:.0} tps", dataset.db_name);
    Ok(DatasetResults { measurements, lookup_tps, load_before, load_after: load_average() })
}

fn measure_endpoints(
    dataset: &Dataset,
    opts: &Options,
    tools: &Tools,
    work: &WorkDir,
    addr: SocketAddr,
) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    for endpoint in Endpoint::ALL {
        let paths: Vec<String> = dataset.samples.iter().map(|s| endpoint.http_path(s)).collect();
        smoke_check(addr, &paths[0])
            .with_context(|| format!("while checking {} on {}", endpoint.label(), dataset.db_name))?;
        let stem = format!("{}-{}", dataset.db_name, endpoint.slug());
        let lua = work.write_wrk_files(&stem, &paths)?;
        let prepared = write_prepared_input(work, &stem, endpoint, dataset.samples.len())?;
        let unprepared = write_unprepared_input(work, &stem, endpoint, &dataset.samples)?;

        eprintln!("bench: {} {}: warming up for {WARM_UP_SECONDS} s", dataset.db_name, endpoint.label());
        run_wrk(tools, work, &lua, addr, opts.connections, WARM_UP_SECONDS).context("while warming up")?;

        let mut m = Measurement {
            dataset: dataset.db_name.clone(),
            endpoint,
            http: Vec::new(),
            prepared: Vec::new(),
            unprepared: Vec::new(),
        };
        let what = |round: usize| format!("{} {} [{round}/{}]", dataset.db_name, endpoint.label(), opts.repeats);
        for round in 1..=opts.repeats {
            let w = run_wrk(tools, work, &lua, addr, opts.connections, opts.seconds)
                .with_context(|| format!("while running wrk for {} on {}", endpoint.label(), dataset.db_name))?;
            eprintln!(
                "bench: {} http: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                what(round),
                w.rps(),
                w.p50_us / 1e3,
                w.p99_us / 1e3
            );
            m.http.push(w);
            for input in [&prepared, &unprepared] {
                let p = run_pgbench(tools, work, input, &dataset.url, opts.connections, opts.seconds).with_context(
                    || {
                        format!(
                            "while running pgbench -M {} for {} on {}",
                            input.mode.flag(),
                            endpoint.label(),
                            dataset.db_name
                        )
                    },
                )?;
                eprintln!("bench: {} pgbench -M {}: {:.0} tps", what(round), p.mode, p.tps);
                match input.mode {
                    PgMode::Prepared => m.prepared.push(p),
                    PgMode::Unprepared => m.unprepared.push(p),
                }
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// The 1-minute load average (NaN if unknown).
fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg").ok().and_then(|t| t.split_whitespace().next()?.parse().ok()).unwrap_or(f64::NAN)
}

/// Waits (at most a minute) for the 1-minute load average to drop to the number of cores,
/// so that our own previous runs and other work interfere less. Goes ahead regardless.
fn wait_for_quiet_machine() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let started = Instant::now();
    while load_average() > cores && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_secs(5));
    }
    let load = load_average();
    if load > cores {
        eprintln!(
            "bench: the machine is busy (load average {load:.1} on {cores} cores); measuring anyway, expect noise"
        );
    }
}

/// Our server, in this process, on its own thread and actix system.
struct BenchServer {
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl BenchServer {
    fn start(url: &str, connections: u32, settings: Settings) -> Result<BenchServer> {
        let pool = store::pool(url, connections)?;
        let listener = TcpListener::bind("127.0.0.1:0").context("while binding 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = http::AppState { pool, settings };
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("bench-server".into()).spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = http::serve(listener, state, None)?;
                // The receiver only goes away if start() already failed.
                let _ = tx.send(server.handle());
                server.await
            })
        })?;
        let handle = rx.recv_timeout(Duration::from_secs(30)).context("the benchmark server did not start")?;
        eprintln!("bench: server on http://{addr} (pool of {connections})");
        Ok(BenchServer { addr, handle, thread })
    }

    fn stop(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        match self.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("bench: server stopped with an error: {e}"),
            Err(_) => eprintln!("bench: server thread panicked"),
        }
    }
}

/// One plain HTTP/1.1 GET: the request must answer 200 before we load-test it.
fn smoke_check(addr: SocketAddr, path: &str) -> Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).with_context(|| format!("while reading the response to {path}"))?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1).unwrap_or("?");
    if status != "200" {
        let body: String = text.split("\r\n\r\n").nth(1).unwrap_or("").chars().take(500).collect();
        bail!("GET {path} answered {status}: {body}");
    }
    Ok(())
}

fn run_wrk(
    tools: &Tools,
    work: &WorkDir,
    lua: &Path,
    addr: SocketAddr,
    connections: u32,
    seconds: u64,
) -> Result<WrkRun> {
    let threads = connections.min(2);
    let mut cmd = Command::new(&tools.wrk);
    cmd.arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "-s"])
        .arg(lua)
        .arg(format!("http://{addr}"));
    let out = run_bounded(cmd, work, "wrk", Duration::from_secs(seconds) + GRACE)?;
    if !out.success {
        bail!("wrk failed: {}", out.text());
    }
    parse_wrk(&out.stdout).with_context(|| format!("unexpected wrk output: {}", out.text()))
}

fn run_pgbench(
    tools: &Tools,
    work: &WorkDir,
    input: &PgbenchInput,
    url: &str,
    connections: u32,
    seconds: u64,
) -> Result<PgbenchRun> {
    let attempt = |mode: &'static str| -> Result<PgbenchRun> {
        let mut cmd = Command::new(&tools.pgbench);
        cmd.args(["-n", "-M", mode])
            .arg(format!("-c{connections}"))
            .arg(format!("-j{}", connections.min(2)))
            .arg(format!("-T{seconds}"));
        for script in &input.scripts {
            // Equal weights: each transaction runs one script, chosen at random.
            cmd.arg("-f").arg(script);
        }
        for variable in &input.variables {
            cmd.arg("-D").arg(variable);
        }
        cmd.arg(url);
        let out = run_bounded(cmd, work, "pgbench", Duration::from_secs(seconds) + GRACE)?;
        if !out.success {
            bail!("pgbench -M {mode} failed: {}", out.text());
        }
        let mut run =
            parse_pgbench(&out.stdout).with_context(|| format!("unexpected pgbench output: {}", out.text()))?;
        run.mode = mode;
        Ok(run)
    };
    match input.mode {
        PgMode::Unprepared => attempt("extended"),
        PgMode::Prepared => attempt("prepared").or_else(|e| {
            eprintln!("bench: pgbench -M prepared did not work ({e:#}); retrying with -M extended");
            attempt("extended")
        }),
    }
}

/// What a finished child process printed.
struct ChildOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

impl ChildOutput {
    fn text(&self) -> String {
        let tail =
            |s: &str| s.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        format!("{}\n{}", tail(&self.stdout), tail(&self.stderr)).trim().to_string()
    }
}

/// Runs `cmd` with its output in files (no pipe can fill up), killing it after `limit`.
fn run_bounded(mut cmd: Command, work: &WorkDir, name: &str, limit: Duration) -> Result<ChildOutput> {
    let stdout_path = work.path(&format!("{name}.stdout"));
    let stderr_path = work.path(&format!("{name}.stderr"));
    let stdout = fs::File::create(&stdout_path).with_context(|| format!("while creating {}", stdout_path.display()))?;
    let stderr = fs::File::create(&stderr_path).with_context(|| format!("while creating {}", stderr_path.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("while starting {name}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{name} did not finish within {} s and was killed", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |p: &Path| fs::read_to_string(p).with_context(|| format!("while reading {}", p.display()));
    Ok(ChildOutput { success: status.success(), stdout: read(&stdout_path)?, stderr: read(&stderr_path)? })
}

/// The line our Lua `done` function prints.
fn parse_wrk(stdout: &str) -> Result<WrkRun> {
    let line =
        stdout.lines().find(|l| l.starts_with("DIACHINH_WRK ")).ok_or_else(|| anyhow!("no DIACHINH_WRK line"))?;
    let mut run = WrkRun::default();
    for field in line.split_whitespace().skip(1) {
        let (key, value) = field.split_once('=').ok_or_else(|| anyhow!("bad field {field}"))?;
        let number: f64 = value.parse().with_context(|| format!("bad number in {field}"))?;
        match key {
            "requests" => run.requests = number as u64,
            "duration_us" => run.duration_us = number as u64,
            "p50_us" => run.p50_us = number,
            "p99_us" => run.p99_us = number,
            "status_errors" => run.status_errors = number as u64,
            "connect_errors" | "read_errors" | "write_errors" | "timeouts" => run.socket_errors += number as u64,
            _ => {}
        }
    }
    if run.duration_us == 0 {
        bail!("wrk reported no duration");
    }
    Ok(run)
}

/// `tps = … (without initial connection time)` and the failed transactions (the overall
/// figures; per-script lines start with ` - `).
fn parse_pgbench(stdout: &str) -> Result<PgbenchRun> {
    let tps_line = stdout
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection time"))
        .ok_or_else(|| anyhow!("no tps line"))?;
    let tps: f64 = tps_line["tps = ".len()..].split_whitespace().next().unwrap_or("").parse().context("bad tps")?;
    let failed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok(PgbenchRun { tps, mode: "prepared", failed })
}

// ---------------------------------------------------------------------------------------
// Scratch files

/// A temporary directory for request lists and scripts, removed on drop.
struct WorkDir {
    dir: PathBuf,
}

impl WorkDir {
    fn create() -> Result<WorkDir> {
        let dir = std::env::temp_dir().join(format!("diachinh-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;
        Ok(WorkDir { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf> {
        let path = self.path(name);
        fs::write(&path, text).with_context(|| format!("while writing {}", path.display()))?;
        Ok(path)
    }

    /// The request list (one path a line) and the Lua script that cycles through it.
    fn write_wrk_files(&self, stem: &str, paths: &[String]) -> Result<PathBuf> {
        let list = self.write(&format!("{stem}.requests"), &(paths.join("\n") + "\n"))?;
        self.write(&format!("{stem}.lua"), &wrk_script(&list))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("bench: could not remove {}: {e}", self.dir.display());
        }
    }
}

/// wrk Lua: each thread cycles through the request list from its own offset; `done`
/// prints one parseable line (latencies in µs).
fn wrk_script(list: &Path) -> String {
    let list = list.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"-- Generated by `diachinh-tools bench`.
local paths = {{}}
for line in io.lines("{list}") do
  if #line > 0 then paths[#paths + 1] = line end
end
local n = 0

local threads = 0
function setup(thread)
  thread:set("offset", threads * 397)
  threads = threads + 1
end

function init(args)
  n = (offset or 0) % #paths
end

function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "DIACHINH_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"#
    )
}

// ---------------------------------------------------------------------------------------
// Report

/// Facts about the machine and the code measured.
struct Facts {
    date: String,
    commit: String,
    nproc: usize,
    cpu: String,
    memory: String,
    postgres: String,
}

impl Facts {
    fn collect(base_url: &str) -> Facts {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Facts {
            date: chrono::Local::now().format("%Y-%m-%d %H:%M %Z").to_string(),
            commit: git_commit().unwrap_or_else(|| "unknown".into()),
            nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu: proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            memory: proc_field(&meminfo, "MemTotal")
                .and_then(|kb| kb.split_whitespace().next()?.parse::<f64>().ok())
                .map_or_else(|| "unknown".into(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0)),
            postgres: server_versions(base_url).unwrap_or_else(|e| format!("unknown ({e})")),
        }
    }
}

fn proc_field(text: &str, name: &str) -> Option<String> {
    text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string())
}

/// `git rev-parse --short HEAD`, with `-dirty` when the tree has changes.
fn git_commit() -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short", "HEAD"]).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    Some(if dirty { format!("{commit}-dirty") } else { commit })
}

fn server_versions(base_url: &str) -> Result<String> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        pg: String,
        #[diesel(sql_type = Text)]
        postgis: String,
    }
    let mut conn = PgConnection::establish(base_url)?;
    let v: V = diesel::sql_query("SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis")
        .get_result(&mut conn)?;
    Ok(format!("PostgreSQL {}, PostGIS {}", v.pg, v.postgis))
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn median_of<T>(runs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(&mut runs.iter().map(f).collect::<Vec<_>>())
}

/// 1234567 → "1,234,567".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn dataset_label(d: &Dataset) -> String {
    format!("`{}` ({} parcels)", d.db_name, thousands(d.parcels))
}

fn render_section(opts: &Options, facts: &Facts, datasets: &[Dataset], results: &[DatasetResults]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Results\n");
    let _ = writeln!(
        s,
        "{} · commit `{}` · {} × {} · {} · {}\n",
        facts.date, facts.commit, facts.nproc, facts.cpu, facts.memory, facts.postgres
    );
    let _ = writeln!(
        s,
        "`diachinh-tools bench --parcels {} --seconds {} --connections {} --repeats {}`: {} connections (wrk) = clients (pgbench) = pool size, \
         {} s per measurement, median of {}.\n",
        opts.parcels, opts.seconds, opts.connections, opts.repeats, opts.connections, opts.seconds, opts.repeats
    );
    let _ = writeln!(
        s,
        "| dataset | endpoint | our req/s | p50 ms | p99 ms | pgbench TPS (same SQL, prepared) | ours / limit | pgbench TPS (unprepared, as diesel sends it) | ours / unprepared |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for m in results.iter().flat_map(|r| &r.measurements) {
        let label = datasets.iter().find(|d| d.db_name == m.dataset).map_or_else(|| m.dataset.clone(), dataset_label);
        let rps = median_of(&m.http, WrkRun::rps);
        let prepared = median_of(&m.prepared, |p| p.tps);
        let unprepared = median_of(&m.unprepared, |p| p.tps);
        let _ = writeln!(
            s,
            "| {label} | {} | {rps:.0} | {:.2} | {:.2} | {prepared:.0} | {:.2} | {unprepared:.0} | {:.2} |",
            m.endpoint.label(),
            median_of(&m.http, |w| w.p50_us) / 1e3,
            median_of(&m.http, |w| w.p99_us) / 1e3,
            rps / prepared,
            rps / unprepared
        );
    }
    let _ = writeln!(s, "\nEvery run, in the order they ran (req/s · prepared TPS · unprepared TPS):\n");
    for m in results.iter().flat_map(|r| &r.measurements) {
        let list = |v: Vec<f64>| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
        let modes: Vec<&str> = m.prepared.iter().map(|p| p.mode).filter(|&mode| mode != "prepared").collect();
        let fallback = if modes.is_empty() {
            String::new()
        } else {
            " (prepared mode failed; these ran with `-M extended`)".into()
        };
        let _ = writeln!(
            s,
            "- `{}` {}: {} · {}{fallback} · {}",
            m.dataset,
            m.endpoint.label(),
            list(m.http.iter().map(WrkRun::rps).collect()),
            list(m.prepared.iter().map(|p| p.tps).collect()),
            list(m.unprepared.iter().map(|p| p.tps).collect()),
        );
    }
    let problems = problem_notes(results);
    if !problems.is_empty() {
        let _ = writeln!(s, "\n**Errors during the runs:**\n");
        for p in problems {
            let _ = writeln!(s, "- {p}");
        }
    }
    let _ = writeln!(s, "\nDatasets and conditions:\n");
    for (d, r) in datasets.iter().zip(results) {
        let load = match &d.load {
            LoadInfo::Loaded { seconds } => format!("loaded by this run in {seconds:.0} s"),
            LoadInfo::Reused { note } => format!("reused ({note})"),
        };
        let _ = writeln!(
            s,
            "- `{}`: {} current parcels, {load}. {} requests per endpoint (unprepared pgbench: the first {}); a ~{:.0} m × {:.0} m \
             bbox matches {} parcels at the median, {} at p90, {} at most ({:.0}% fit in one page of {PAGE_LIMIT}). \
             The `bench_params` lookup of the prepared runs alone: {:.0} TPS. Load average {:.1} before, {:.1} after.",
            d.db_name,
            thousands(d.parcels),
            d.samples.len(),
            d.samples.len().min(PGBENCH_SCRIPTS),
            2.0 * BOX_HALF_SIDE_M,
            2.0 * BOX_HALF_SIDE_M,
            d.bbox_stats.p50,
            d.bbox_stats.p90,
            d.bbox_stats.max,
            d.bbox_stats.within_page * 100.0,
            r.lookup_tps,
            r.load_before,
            r.load_after,
        );
    }
    s
}

fn problem_notes(results: &[DatasetResults]) -> Vec<String> {
    let mut notes = Vec::new();
    for m in results.iter().flat_map(|r| &r.measurements) {
        let status: u64 = m.http.iter().map(|w| w.status_errors).sum();
        let socket: u64 = m.http.iter().map(|w| w.socket_errors).sum();
        let failed: u64 = m.prepared.iter().chain(&m.unprepared).map(|p| p.failed).sum();
        if status + socket + failed > 0 {
            notes.push(format!(
                "`{}` {}: {status} non-2xx responses, {socket} socket errors/timeouts, {failed} failed pgbench transactions",
                m.dataset,
                m.endpoint.label()
            ));
        }
    }
    notes
}

const INTRO: &str = "# Benchmarks

What `make bench` (`diachinh-tools bench`) measures: the two busiest public reads,

- **parcel by id** — `GET /collections/parcels/items/{national_id}`: three queries (the parcel, its holders, its latest certificate);
- **bbox page of 100** — `GET /collections/parcels/items?bbox=…&limit=100` for ~200 m × 200 m boxes: the page query plus the count query behind `numberMatched`;

through our release build (server in-process, one pooled connection per client) with `wrk`, and next to
each the same SQL run by `pgbench` straight against PostgreSQL with as many clients for as long:

- **prepared** (`-M prepared`): the limit the database sets when plans are cached. Each transaction draws
  its parameters from the same request list (table `bench_params`, `\\set` + `\\gset`): one extra cheap
  statement per transaction, so this limit is a little low; the lookup's own TPS is listed.
- **unprepared** (`-M extended`, one script per request, parameters as `-D` variables): the statements
  exactly as diesel's `sql_query` sends them — unnamed, parsed and planned every time.

*ours / limit* is our requests per second over pgbench's transactions per second.

How to reproduce: `make bench` (1,000,000 synthetic parcels: the first run loads them, later runs reuse
the database), or `make bench BENCH_ARGS=\"--parcels 0 --seconds 5 --repeats 1\"` for the sample data only.

Caveats: wrk, our server, PostgreSQL and pgbench share one machine (here 2 cores, shared with other
work: see the load averages), so the figures are noisy — compare runs on the same machine only, and
look at the individual runs before trusting a difference of 10–20 %. wrk sends no `Accept-Encoding`, so
responses are not compressed; the per-request access log is off during the bench.

Each command rewrites only its own section (between its `<!-- …:start -->` and `<!-- …:end -->`
markers); other sections come from `make bench-tiles` and `make bench-check`.
";

/// Replaces the section between the markers in `path` (creating the file if needed).
fn write_report(path: &Path, section: &str) -> Result<()> {
    let block = format!("{SECTION_START}\n{section}{SECTION_END}\n");
    let existing = match fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("while reading {}", path.display())),
    };
    let text = splice_section(existing.as_deref(), &block);
    fs::write(path, text).with_context(|| format!("while writing {}", path.display()))
}

fn splice_section(existing: Option<&str>, block: &str) -> String {
    match existing {
        None => format!("{INTRO}\n{block}"),
        Some(text) => match (text.find(SECTION_START), text.find(SECTION_END)) {
            (Some(start), Some(end)) if end > start => {
                let after = &text[end + SECTION_END.len()..];
                let after = after.strip_prefix('\n').unwrap_or(after);
                format!("{}{block}{after}", &text[..start])
            }
            _ => format!("{}\n\n{block}", text.trim_end()),
        },
    }
}

// ---------------------------------------------------------------------------------------

fn exec(conn: &mut PgConnection, sql: &str) -> Result<()> {
    diesel::sql_query(sql).execute(conn).with_context(|| format!("while running {sql}"))?;
    Ok(())
}

fn scalar_i64(conn: &mut PgConnection, sql: &str) -> Result<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(sql).get_result(conn).with_context(|| format!("while running {sql}"))?;
    Ok(n.n)
}

/// A SQL string literal.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_in_url() {
        assert_eq!(url_with_database("postgres://u@h:1/diachinh", "x").unwrap(), "postgres://u@h:1/x");
        assert_eq!(
            url_with_database("postgres://u@h:1/d?sslmode=disable", "x").unwrap(),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://u@h:1", "x").unwrap(), "postgres://u@h:1/x");
        assert!(url_with_database("nonsense", "x").is_err());
    }

    #[test]
    fn bbox_is_about_200_m() {
        let [x0, y0, x1, y1] = bbox_around(106.0, 10.5, 100.0);
        let height = (y1 - y0) * 111_320.0;
        let width = (x1 - x0) * 111_320.0 * 10.5f64.to_radians().cos();
        assert!((height - 200.0).abs() < 0.1, "{height}");
        assert!((width - 200.0).abs() < 0.1, "{width}");
        assert!(x0 < 106.0 && 106.0 < x1 && y0 < 10.5 && 10.5 < y1);
    }

    #[test]
    fn pgbench_statements_have_no_positional_parameters() {
        for e in Endpoint::ALL {
            let script = e.pgbench_statements("_7");
            assert!(!script.contains('$'), "{script}");
        }
        let bbox = Endpoint::Bbox.pgbench_statements("_7");
        assert!(bbox.contains("ST_MakeEnvelope(:x0_7, :y0_7, :x1_7, :y1_7, 4326)"));
        assert!(bbox.contains("v.parcel_id > :after ORDER BY v.parcel_id LIMIT :page_limit;"));
        assert!(bbox.contains("CASE WHEN NULL::timestamptz IS NULL"));
        assert_eq!(bbox.matches(';').count(), 2);
        let by_id = Endpoint::ById.pgbench_statements("");
        assert!(by_id.contains("p.national_id = :national_id AND v.valid_to IS NULL;"));
        assert_eq!(by_id.matches(":parcel_id").count(), 2);
        assert_eq!(by_id.matches(';').count(), 3);
    }

    #[test]
    fn pgbench_variables_match_the_statements() {
        let s = Sample { national_id: "w3gvk1m2n3p4".into(), parcel_id: 42, bbox: [105.5, 10.25, 105.75, 10.5] };
        assert_eq!(Endpoint::ById.pgbench_variables("_3", &s), ["national_id_3=w3gvk1m2n3p4", "parcel_id_3=42"]);
        assert_eq!(
            Endpoint::Bbox.pgbench_variables("_3", &s),
            ["x0_3=105.5", "y0_3=10.25", "x1_3=105.75", "y1_3=10.5"]
        );
        assert_eq!(Endpoint::Bbox.pgbench_constants(), ["after=0", "page_limit=100"]);
        for e in Endpoint::ALL {
            let statements = e.pgbench_statements("");
            for column in e.param_columns() {
                assert!(statements.contains(&format!(":{column}")), "{column}");
            }
        }
        assert_eq!(
            draw_params(&["x0", "y0"], 960),
            "\\set i random(1, 960)\nSELECT x0, y0 FROM bench_params WHERE i = :i \\gset\n"
        );
    }

    #[test]
    fn wrk_line() {
        let out = "Running 1s test\nDIACHINH_WRK requests=5000 duration_us=2000000 p50_us=1200 p99_us=8000 status_errors=1 connect_errors=0 read_errors=2 write_errors=0 timeouts=3\n";
        let run = parse_wrk(out).unwrap();
        assert_eq!(run.requests, 5000);
        assert_eq!(run.rps(), 2500.0);
        assert_eq!(run.p50_us, 1200.0);
        assert_eq!(run.status_errors, 1);
        assert_eq!(run.socket_errors, 5);
        assert!(parse_wrk("nothing").is_err());
    }

    #[test]
    fn pgbench_output() {
        let out = "transaction type: by-id.sql
number of transactions actually processed: 1000
number of failed transactions: 0 (0.000%)
latency average = 2.000 ms
initial connection time = 10.000 ms
tps = 1234.567890 (without initial connection time)
SQL script 1: /tmp/x/by-id.0.sql
 - weight: 1 (targets 50.0% of total)
 - 500 transactions (50.0% of total, tps = 617.283945)
 - number of failed transactions: 3 (0.000%)
";
        let run = parse_pgbench(out).unwrap();
        assert!((run.tps - 1234.56789).abs() < 1e-9);
        assert_eq!(run.failed, 0);
        assert!(parse_pgbench("no tps here").is_err());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(960), "960");
        assert_eq!(thousands(1_000_960), "1,000,960");
        assert_eq!(thousands(-1234), "-1,234");
    }

    #[test]
    fn report_section_is_replaced_in_place() {
        let block = format!("{SECTION_START}\nnew\n{SECTION_END}\n");
        let created = splice_section(None, &block);
        assert!(created.starts_with("# Benchmarks"));
        assert!(created.ends_with(&block));

        let old = format!("# Mine\n\nintro\n\n{SECTION_START}\nold\n{SECTION_END}\n\n## Notes\nkeep\n");
        let replaced = splice_section(Some(&old), &block);
        assert_eq!(replaced, format!("# Mine\n\nintro\n\n{block}\n## Notes\nkeep\n"));

        let appended = splice_section(Some("# Mine\n"), &block);
        assert_eq!(appended, format!("# Mine\n\n{block}"));
    }

    #[test]
    fn lua_script_quotes_the_list_path() {
        let script = wrk_script(Path::new("/tmp/x\"y/list"));
        assert!(script.contains("io.lines(\"/tmp/x\\\"y/list\")"));
        assert!(script.contains("function done(summary, latency, requests)"));
    }
}
