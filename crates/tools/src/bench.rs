//! `diachinh-tools bench`: load-tests the two busiest public endpoints and measures, next to
//! each, what PostgreSQL alone does with the same SQL — measured, not asserted.
//!
//! For each dataset (the sample communes, and optionally N synthetic parcels) it
//! 1. creates or reuses a database on the same server as [`config::owner_database_url`]
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
//!   statements unnamed, parsed and planned every time (as `sql_query` would send them; the
//!   server now sends them through the query builder, prepared once per connection).
//!
//! Each endpoint is one statement, a call of a function of migration 000018
//! (`store::parcels::statements::PUBLIC_CALL`, `PAGE_CALL`): pgbench calls it exactly as the
//! server does, with the same constant arguments.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, BigInt, Double, Integer, Text};
use diesel::{QueryableByName, RunQueryDsl};

use diachinh::config;
use diachinh::service::Settings;

use crate::harness::dataset::{self, count_current_parcels, DatasetSpec, LoadInfo};
use crate::harness::db::{exec, with_fixed_seed};
use crate::harness::machine::{load_average, wait_for_quiet_machine, Facts};
use crate::harness::options::LoadTestOptions;
use crate::harness::pgbench::{PgMode, Pgbench, PgbenchInput, PgbenchRun};
use crate::harness::process::WorkDir;
use crate::harness::report;
use crate::harness::server::BenchServer;
use crate::harness::stats::{median_of, thousands};
use crate::harness::wrk::{Wrk, WrkRun, WARM_UP_SECONDS};

/// The benchmark's name: its messages' prefix.
const WHO: &str = "bench";

/// Parcels drawn per dataset to build the request lists.
const SAMPLE_SIZE: i64 = 1_000;
/// Half the side of a bbox request, metres.
const BOX_HALF_SIDE_M: f64 = 100.0;
/// Page size of the bbox requests.
pub(crate) const PAGE_LIMIT: i64 = 100;
/// Requests of the list that pgbench runs (one script file each; pgbench's limit is 128).
const PGBENCH_SCRIPTS: usize = 100;

// The SQL the endpoints run: the store's own statements, so pgbench runs exactly what the
// server sends.

use diachinh::service::parcels::MATCH_COUNT_LIMIT;
use domain::restriction::RestrictionKind;
use store::parcels::statements::{PAGE_CALL, PUBLIC_CALL};

/// The constant arguments of `parcel_public` as the server passes them: the mortgage kind and
/// the kinds that restrict (`store::parcels::public_by_national_id`), as SQL literals.
fn public_call_constants() -> (String, String) {
    let restricting: Vec<&str> = RestrictionKind::ALL.iter().filter(|k| k.restricts()).map(|k| k.as_str()).collect();
    (format!("'{}'", RestrictionKind::Mortgage.as_str()), format!("'{{{}}}'", restricting.join(",")))
}

// ---------------------------------------------------------------------------------------

/// Runs the whole benchmark and writes the report.
/// Runs the benchmark, writes its section of `opts.out`, and returns each (dataset, endpoint)'s
/// median p50.
pub fn run(opts: &LoadTestOptions) -> Result<Vec<report::Latency>> {
    opts.validate()?;
    let tools = Tools { wrk: Wrk::find()?, pgbench: Pgbench::find()? };
    let base_url = config::owner_database_url()?;
    let settings = diachinh::config::Config::load(None)?.settings()?;

    let mut datasets = Vec::new();
    for spec in DatasetSpec::chosen(opts.parcels, opts.no_sample) {
        datasets.push(
            prepare_dataset(&base_url, &spec, opts, &settings)
                .with_context(|| format!("while preparing database {}", spec.db_name))?,
        );
    }

    let work = WorkDir::create(WHO)?;
    let mut results = Vec::new();
    for dataset in &datasets {
        results.push(
            measure_dataset(dataset, opts, &settings, &tools, &work)
                .with_context(|| format!("while measuring {}", dataset.db_name))?,
        );
    }

    let facts = Facts::collect(&base_url);
    let section = render_section(opts, &facts, &datasets, &results);
    report::publish(WHO, &opts.out, report::BENCH, &section)?;
    Ok(results
        .iter()
        .flat_map(|r| &r.measurements)
        .map(|m| report::Latency {
            dataset: m.dataset.clone(),
            what: m.endpoint.label().to_string(),
            p50_ms: median_of(&m.http, |w| w.p50_us) / 1e3,
        })
        .collect())
}

/// The external load generators.
struct Tools {
    wrk: Wrk,
    pgbench: Pgbench,
}

// ---------------------------------------------------------------------------------------
// Datasets

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

/// One sampled current parcel.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) national_id: String,
    pub(crate) parcel_id: i64,
    /// minLon, minLat, maxLon, maxLat around a point on the parcel's surface.
    pub(crate) bbox: [f64; 4],
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
fn prepare_dataset(base_url: &str, spec: &DatasetSpec, opts: &LoadTestOptions, settings: &Settings) -> Result<Dataset> {
    let dataset::OpenDataset { url, mut conn, load } = dataset::open(WHO, base_url, spec, &opts.sample_dir, settings)?;
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

/// Up to SAMPLE_SIZE random current parcels, each with a box around a point inside it.
/// Serial plan + fixed seed: the same database gives the same list.
pub(crate) fn draw_samples(conn: &mut PgConnection) -> Result<Vec<Sample>> {
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
    let rows: Vec<Row> = with_fixed_seed(conn, 0.42, |conn| {
        diesel::sql_query(
            "WITH pick AS (SELECT id, random() AS k FROM parcel_versions WHERE valid_to IS NULL ORDER BY k LIMIT $1) \
         SELECT p.national_id, v.parcel_id, ST_X(s.pt) AS lon, ST_Y(s.pt) AS lat \
           FROM pick JOIN parcel_versions v ON v.id = pick.id JOIN parcels p ON p.id = v.parcel_id \
           CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.geom) AS pt) s \
          ORDER BY pick.k",
        )
        .bind::<BigInt, _>(SAMPLE_SIZE)
        .load(conn)
        .context("while drawing random parcels")
    })?;
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
pub(crate) fn write_params_table(conn: &mut PgConnection, samples: &[Sample]) -> Result<()> {
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
pub(crate) enum Endpoint {
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

    pub(crate) fn http_path(self, s: &Sample) -> String {
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
            Endpoint::ById => {
                let (mortgage, restricting) = public_call_constants();
                format!(
                    "{};\n",
                    PUBLIC_CALL
                        .trim()
                        .replace("$1", &format!(":national_id{suffix}"))
                        .replace("$2", &mortgage)
                        .replace("$3", &restricting)
                )
            }
            Endpoint::Bbox => {
                // The first page: cursor $5 is 0, $6 the page size, $7 the count's limit.
                format!(
                    "{};\n",
                    PAGE_CALL
                        .trim()
                        .replace("$1", &format!(":x0{suffix}"))
                        .replace("$2", &format!(":y0{suffix}"))
                        .replace("$3", &format!(":x1{suffix}"))
                        .replace("$4", &format!(":y1{suffix}"))
                        .replace("$5", ":after")
                        .replace("$6", ":page_limit")
                        .replace("$7", ":count_up_to")
                )
            }
        }
    }

    /// The `bench_params` columns this endpoint's statements use.
    fn param_columns(self) -> &'static [&'static str] {
        match self {
            Endpoint::ById => &["national_id"],
            Endpoint::Bbox => &["x0", "y0", "x1", "y1"],
        }
    }

    /// `-D name=value` definitions of one request's parameters, names suffixed with `suffix`.
    fn pgbench_variables(self, suffix: &str, s: &Sample) -> Vec<String> {
        match self {
            Endpoint::ById => vec![format!("national_id{suffix}={}", s.national_id)],
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
            Endpoint::Bbox => vec![
                "after=0".into(),
                format!("page_limit={PAGE_LIMIT}"),
                format!("count_up_to={}", PAGE_LIMIT.max(MATCH_COUNT_LIMIT)),
            ],
        }
    }
}

/// `\set i random(1, rows)` and a `\gset` of `columns` from that row of bench_params.
fn draw_params(columns: &[&str], rows: usize) -> String {
    format!("\\set i random(1, {rows})\nSELECT {} FROM bench_params WHERE i = :i \\gset\n", columns.join(", "))
}

/// One script: draw a request of the list from bench_params, run the endpoint's statements.
pub(crate) fn write_prepared_input(
    work: &WorkDir,
    stem: &str,
    endpoint: Endpoint,
    rows: usize,
) -> Result<PgbenchInput> {
    let text = format!("{}{}", draw_params(endpoint.param_columns(), rows), endpoint.pgbench_statements(""));
    let script = work.write(&format!("{stem}.prepared.sql"), &text)?;
    Ok(PgbenchInput {
        mode: PgMode::Prepared,
        scripts: vec![script],
        variables: endpoint.pgbench_constants(),
        options: String::new(),
    })
}

/// One script per request for the first PGBENCH_SCRIPTS samples, parameters as `-D`.
fn write_unprepared_input(work: &WorkDir, stem: &str, endpoint: Endpoint, samples: &[Sample]) -> Result<PgbenchInput> {
    let mut input = PgbenchInput {
        mode: PgMode::Unprepared,
        scripts: Vec::new(),
        variables: endpoint.pgbench_constants(),
        options: String::new(),
    };
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
    Ok(PgbenchInput::script(PgMode::Prepared, script))
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

fn measure_dataset(
    dataset: &Dataset,
    opts: &LoadTestOptions,
    settings: &Settings,
    tools: &Tools,
    work: &WorkDir,
) -> Result<DatasetResults> {
    wait_for_quiet_machine(WHO);
    let load_before = load_average();
    let measurements = BenchServer::serve_while(WHO, &dataset.url, opts.connections, settings.clone(), |addr| {
        measure_endpoints(dataset, opts, tools, work, addr)
    })?;
    let lookup = write_lookup_input(work, &dataset.db_name, dataset.samples.len())?;
    let lookup_tps = run_pgbench(tools, work, &lookup, &dataset.url, opts.connections, opts.seconds)
        .with_context(|| format!("while running pgbench for the parameter lookup on {}", dataset.db_name))?
        .tps;
    eprintln!("bench: {} bench_params lookup alone: {lookup_tps:.0} tps", dataset.db_name);
    Ok(DatasetResults { measurements, lookup_tps, load_before, load_after: load_average() })
}

fn measure_endpoints(
    dataset: &Dataset,
    opts: &LoadTestOptions,
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
        let lua = Wrk::write_script(work, &stem, &paths)?;
        let prepared = write_prepared_input(work, &stem, endpoint, dataset.samples.len())?;
        let unprepared = write_unprepared_input(work, &stem, endpoint, &dataset.samples)?;

        eprintln!("bench: {} {}: warming up for {WARM_UP_SECONDS} s", dataset.db_name, endpoint.label());
        tools.wrk.run(work, &lua, addr, opts.connections, WARM_UP_SECONDS).context("while warming up")?;

        let mut m = Measurement {
            dataset: dataset.db_name.clone(),
            endpoint,
            http: Vec::new(),
            prepared: Vec::new(),
            unprepared: Vec::new(),
        };
        let what = |round: usize| format!("{} {} [{round}/{}]", dataset.db_name, endpoint.label(), opts.repeats);
        for round in 1..=opts.repeats {
            let w = tools
                .wrk
                .run(work, &lua, addr, opts.connections, opts.seconds)
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
                eprintln!("bench: {} pgbench -M {}: {:.0} tps", what(round), p.mode.flag(), p.tps);
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

/// pgbench in the input's mode; when `-M prepared` fails, the same with `-M extended` (the
/// run's `mode` says which ran, and the report says so).
fn run_pgbench(
    tools: &Tools,
    work: &WorkDir,
    input: &PgbenchInput,
    url: &str,
    connections: u32,
    seconds: u64,
) -> Result<PgbenchRun> {
    tools.pgbench.run(work, input, url, connections, seconds).or_else(|e| {
        if input.mode != PgMode::Prepared {
            return Err(e);
        }
        eprintln!("bench: pgbench -M prepared did not work ({e:#}); retrying with -M extended");
        let extended = PgbenchInput { mode: PgMode::Unprepared, ..input.clone() };
        tools.pgbench.run(work, &extended, url, connections, seconds)
    })
}

// ---------------------------------------------------------------------------------------
// Report

fn dataset_label(d: &Dataset) -> String {
    format!("`{}` ({} parcels)", d.db_name, thousands(d.parcels))
}

fn render_section(opts: &LoadTestOptions, facts: &Facts, datasets: &[Dataset], results: &[DatasetResults]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Results\n");
    let _ = writeln!(s, "{}\n", facts.summary());
    let _ = writeln!(
        s,
        "`diachinh-tools bench --parcels {}{} --seconds {} --connections {} --repeats {}`: {} connections (wrk) = clients (pgbench) = pool size, \
         {} s per measurement, median of {}.\n",
        opts.parcels, if opts.no_sample { " --no-sample" } else { "" }, opts.seconds, opts.connections, opts.repeats, opts.connections, opts.seconds, opts.repeats
    );
    let _ = writeln!(
        s,
        "| dataset | endpoint | our req/s | p50 ms | p99 ms | pgbench TPS (same SQL, prepared) | ours / limit | pgbench TPS (same SQL, unprepared) | ours / unprepared |"
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
        let fallback = if m.prepared.iter().all(|p| p.mode == PgMode::Prepared) {
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
        let load = d.load.describe();
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

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(script.matches(';').count(), 1);
        }
        let bbox = Endpoint::Bbox.pgbench_statements("_7");
        assert_eq!(bbox, "SELECT parcels_page(:x0_7, :y0_7, :x1_7, :y1_7, :after, :page_limit, :count_up_to);\n");
        let by_id = Endpoint::ById.pgbench_statements("");
        assert!(by_id.starts_with("SELECT parcel_public(:national_id, 'mortgage', '{mortgage,"), "{by_id}");
        assert!(!by_id.contains("lease"), "{by_id}");
    }

    #[test]
    fn pgbench_variables_match_the_statements() {
        let s = Sample { national_id: "w3gvk1m2n3p4".into(), parcel_id: 42, bbox: [105.5, 10.25, 105.75, 10.5] };
        assert_eq!(Endpoint::ById.pgbench_variables("_3", &s), ["national_id_3=w3gvk1m2n3p4"]);
        assert_eq!(
            Endpoint::Bbox.pgbench_variables("_3", &s),
            ["x0_3=105.5", "y0_3=10.25", "x1_3=105.75", "y1_3=10.5"]
        );
        assert_eq!(Endpoint::Bbox.pgbench_constants(), ["after=0", "page_limit=100", "count_up_to=1000"]);
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
}
