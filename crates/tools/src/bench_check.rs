//! `diachinh-tools bench-check`: latency of the certificate check `POST /certificate-checks` for
//! 200-vertex requests, and where its time goes — measured, not asserted. The section goes
//! into BENCHMARKS.md between its own markers, beside those of `diachinh-tools bench` and
//! `diachinh-tools bench-tiles`.
//!
//! Datasets: the ones `diachinh-tools bench` uses (`diachinh_bench_sample`, and
//! `diachinh_bench_<N>` for `--parcels N`) on the server of [`config::owner_database_url`], marked
//! complete by a database comment and checked/loaded under the same session advisory lock, so
//! the three bench commands never load one database twice. On a reused dataset this command
//! adds what the check needs and an older load may lack: the check reference documents
//! (`area-tolerance`, `min-split-area`, from `sample-data/`) and a staff account
//! (`bench-checker`, admin), both only when missing.
//!
//! Requests: `--requests` random current parcels (fixed seed: the same database gives the same
//! list), each sent as its own boundary in its own VN-2000 zone (`source_crs_epsg`), resampled
//! to exactly [`VERTICES`] distinct vertices (every original vertex kept, the others spread
//! along the edges by length, millimetre coordinates) — the same land, so R4 (Hausdorff), R5
//! (neighbours) and R6 (zones) do their real work. Map scale 1:500, declared area = the legal
//! area, one holder with share 1. Bodies are built before any timing.
//!
//! Measurements, per dataset:
//! 1. HTTP, our release build in-process on 127.0.0.1:0 (pool of `--clients`), a plain
//!    HTTP/1.1 keep-alive client: [`WARM_UP`] untimed requests, then every request once, one
//!    after another (latency), then `--clients` clients for `--seconds` (throughput). Every
//!    response must be 200; outcomes are counted.
//! 2. In-process, sequential, no HTTP: `service::checks::check_request` (the whole service
//!    call); then the service's loads replicated through `persistence` (its `check` is
//!    private), stage by stage — the parcel, the neighbours, the zones, the other reads,
//!    the projections, the rules, the report — which also yields one prepared
//!    `CheckInput` per request; then `domain::checks::run` alone on those inputs (after
//!    [`WARM_UP`] untimed runs): the pure rules.
//! 3. pgbench (`-M prepared`) running the SQL the check depends on — the registered parcel
//!    (`parcels::current_by_national_id`), `checks::neighbours` and `checks::approved_zones`
//!    — with each request's own parameters (table `bench_check_params`, `\gset`): with
//!    `--clients` clients (the raw-SQL limit) and with one (its latency).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use geo_types::{Coord, MultiPolygon};
use serde_json::{json, Value};

use diachinh::config;
use diachinh::service::checks::CheckRequest;
use diachinh::service::{auth, Role, Settings};
use domain::checks::{
    self as rules, AreaToleranceTable, CheckInput, LegalFacts, MinSplitAreaTable, Outcome, Tolerances,
};
use domain::crs::projection::{plane_to_wgs84, wgs84_text_to_plane};
use domain::crs::{Crs, Tm3Zone};
use store::{admin_units as admin, checks as check_db, parcels as parcel_db, users};

use crate::harness::dataset::{self, count_current_parcels, DatasetSpec};
use crate::harness::db::{exec, scalar_i64, with_fixed_seed};
use crate::harness::http::{Client, Response};
use crate::harness::machine::{load_average, wait_for_quiet_machine, Facts};
use crate::harness::pgbench::{PgMode, Pgbench, PgbenchInput, PgbenchRun};
use crate::harness::process::WorkDir;
use crate::harness::report;
use crate::harness::server::BenchServer;
use crate::harness::stats::thousands;

/// The benchmark's name: its messages' prefix.
const WHO: &str = "bench-check";

/// What `diachinh-tools bench-check` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Synthetic parcels in the large dataset; 0 = the sample dataset only.
    pub parcels: usize,
    /// Only the large dataset, not the sample data too.
    pub no_sample: bool,
    /// Random parcels, i.e. distinct requests, per dataset.
    pub requests: usize,
    /// Concurrent clients of the throughput run = pgbench clients = pool size.
    pub clients: u32,
    /// Duration of the throughput run and of each pgbench run.
    pub seconds: u64,
    pub out: PathBuf,
    pub sample_dir: PathBuf,
}

/// Distinct vertices of every request polygon.
pub const VERTICES: usize = 200;
/// Untimed requests (and rule runs) before timing.
const WARM_UP: usize = 20;
const MAP_SCALE: u32 = 500;
/// The distance within which the service looks for neighbours (service::checks).
const NEIGHBOUR_DISTANCE_M: f64 = 5.0;
const USERNAME: &str = "bench-checker";
/// The bench account's password: a local benchmark database only.
const PASSWORD: &str = "bench-checker-local-only";
/// Seed of the parcel draw (`setseed`).
const SEED: f64 = 0.2718;
/// Bounds: the sequential phases; the throughput run's request count.
const PHASE_LIMIT: Duration = Duration::from_secs(1_200);
const MAX_CONCURRENT_REQUESTS: usize = 200_000;
/// Extra time a pgbench run may take beyond its duration before it is killed.
/// Above this 1-minute load average the section says the machine was busy.
const BUSY_LOAD: f64 = 4.0;

// ---------------------------------------------------------------------------------------
// The SQL the check runs, for pgbench: the store's own statements.

use store::checks::statements::{APPROVED_ZONES as ZONES_SQL, NEIGHBOURS_CALL as NEIGHBOURS_SQL};
use store::parcels::statements::CURRENT_CALL as PARCEL_SQL;

/// The pgbench script: draw a request of the list, run the three statements with its
/// parameters, typed as diesel binds them.
fn pgbench_script(rows: usize) -> String {
    let by_id = PARCEL_SQL.trim_end().replace("$1", "(:national_id)::text");
    let neighbours = NEIGHBOURS_SQL
        .replace("$1", "(:geojson)::text")
        .replace("$2", "(:parcel_id)::int8")
        .replace("$3", "(:distance)::float8");
    let zones = ZONES_SQL.replace("$1", "(:geojson)::text");
    format!(
        "\\set i random(1, {rows})\n\\set distance {NEIGHBOUR_DISTANCE_M:?}\n\
         SELECT national_id, parcel_id, geojson FROM bench_check_params WHERE i = :i \\gset\n\
         {by_id};\n{neighbours};\n{zones};\n"
    )
}

// ---------------------------------------------------------------------------------------

/// Runs the benchmark and writes its section of the report.
/// Runs the benchmark, writes its section of `opts.out`, and returns each dataset's p50 of the
/// sequential (one client) requests.
pub fn run(opts: &Options) -> Result<Vec<report::Latency>> {
    if !(1..=10_000).contains(&opts.requests) || !(1..=64).contains(&opts.clients) || !(1..=600).contains(&opts.seconds)
    {
        bail!("--requests 1..=10000, --clients 1..=64, --seconds 1..=600");
    }
    let pgbench = Pgbench::find()?;
    let base_url = config::owner_database_url()?;
    let settings = diachinh::config::Config::load(None)?.settings()?;
    let work = WorkDir::create(WHO)?;
    let mut results = Vec::new();
    for spec in DatasetSpec::chosen(opts.parcels, opts.no_sample) {
        let db_name = &spec.db_name;
        let prepared =
            prepare(&base_url, &spec, opts, &settings).with_context(|| format!("while preparing {db_name}"))?;
        results.push(
            measure(&prepared, opts, &settings, &pgbench, &work)
                .with_context(|| format!("while measuring {db_name}"))?,
        );
    }
    drop(work);
    let section = render(opts, &Facts::collect(&base_url), &results);
    report::publish(WHO, &opts.out, report::BENCH_CHECK, &section)?;
    Ok(results
        .iter()
        .map(|r| report::Latency {
            dataset: r.prepared.db_name.clone(),
            what: "certificate check, 200 vertices".into(),
            p50_ms: Stats::of(&r.sequential.samples.iter().map(|s| s.ms).collect::<Vec<_>>()).p50,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Datasets

#[derive(Clone)]
struct Prepared {
    db_name: String,
    url: String,
    parcels: i64,
    /// How the data got there, and what this run added.
    notes: Vec<String>,
}

/// Reuses a complete dataset or loads it (see [`dataset::open`]); then, still under the load
/// lock, adds the check's reference documents and the bench account when missing.
fn prepare(base_url: &str, spec: &DatasetSpec, opts: &Options, settings: &Settings) -> Result<Prepared> {
    let dataset::OpenDataset { url, mut conn, load } = dataset::open(WHO, base_url, spec, &opts.sample_dir, settings)?;
    let mut notes = vec![load.describe()];
    if scalar_i64(
        &mut conn,
        "SELECT count(*) AS n FROM reference_documents WHERE name IN ('area-tolerance', 'min-split-area')",
    )? < 2
    {
        diachinh::service::checks::load_reference(&mut conn, &opts.sample_dir)
            .context("while adding the check reference documents")?;
        notes.push(format!(
            "this run added the check reference documents from {} (the dataset predates them)",
            opts.sample_dir.display()
        ));
    }
    if users::by_username(&mut conn, USERNAME)?.is_none() {
        auth::add_user(&mut conn, USERNAME, "Benchmark checker", PASSWORD, Role::Admin, None)
            .map_err(|e| anyhow!("while creating {USERNAME}: {e}: {e:?}"))?;
        notes.push(format!("this run created the staff account `{USERNAME}` (admin)"));
    }
    let parcels = count_current_parcels(&mut conn)?;
    Ok(Prepared { db_name: spec.db_name.clone(), url, parcels, notes })
}

// ---------------------------------------------------------------------------------------
// Requests

/// One request of the list, built before timing.
struct Request {
    national_id: String,
    parcel_id: i64,
    zone: Tm3Zone,
    /// The JSON body of `POST /certificate-checks`.
    body: String,
    /// The request geometry in WGS 84 as the service computes it: the neighbour and zone
    /// queries' parameter.
    wgs84_geojson: String,
}

/// `requests` random current parcels that are one polygon without holes and fewer than
/// [`VERTICES`] vertices (all synthetic and sample parcels), in a known VN-2000 zone.
fn draw_requests(conn: &mut PgConnection, requests: usize) -> Result<(Vec<Request>, usize)> {
    #[derive(QueryableByName)]
    struct Pick {
        #[diesel(sql_type = Text)]
        national_id: String,
    }
    let picks: Vec<Pick> = with_fixed_seed(conn, SEED, |conn| {
        diesel::sql_query(
            "WITH pick AS (SELECT parcel_id, random() AS k FROM parcel_versions WHERE valid_to IS NULL ORDER BY k LIMIT $1) \
             SELECT p.national_id FROM pick JOIN parcels p ON p.id = pick.parcel_id ORDER BY pick.k",
        )
        .bind::<BigInt, _>(2 * requests as i64 + 20)
        .load(conn)
        .context("while drawing random parcels")
    })?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for pick in picks {
        if out.len() == requests {
            break;
        }
        let row = parcel_db::current_by_national_id(conn, &pick.national_id)?
            .ok_or_else(|| anyhow!("parcel {} vanished", pick.national_id))?;
        match build_request(&row) {
            Some(r) => out.push(r),
            None => skipped += 1,
        }
    }
    if out.len() < requests {
        bail!("only {} of the drawn parcels can be requested ({} asked for)", out.len(), requests);
    }
    Ok((out, skipped))
}

fn build_request(row: &parcel_db::ParcelRow) -> Option<Request> {
    let zone = match Crs::from_epsg(row.source_crs_epsg as u32)? {
        Crs::Vn2000(z) => z,
        Crs::Wgs84 => return None,
    };
    // The registered boundary as the service projects it (`wgs84_text_to_plane`).
    let plane = wgs84_text_to_plane(&row.geometry, zone)?;
    if plane.0.len() != 1 || !plane.0[0].interiors().is_empty() {
        return None;
    }
    let ring = resample_ring(&plane.0[0].exterior().0, VERTICES)?;
    let coordinates: Vec<Value> = ring.iter().map(|c| json!([c.x, c.y])).collect();
    let geometry = json!({"type": "Polygon", "coordinates": [coordinates]});
    let body = json!({
        "parcel": row.national_id,
        "crs": Crs::Vn2000(zone).uri(),
        "geometry": geometry,
        "declared_area_m2": row.legal_area_m2,
        "map_scale": MAP_SCALE,
        "holders": [{"name": "Nguyễn Văn An", "share": 1.0}],
    });
    let raw: geojson::Geometry = serde_json::from_value(geometry).ok()?;
    let wgs84_geojson = plane_to_wgs84(&raw, zone)?.to_string();
    Some(Request {
        national_id: row.national_id.clone(),
        parcel_id: row.parcel_id,
        zone,
        body: body.to_string(),
        wgs84_geojson,
    })
}

/// A closed ring (first = last) resampled to exactly `n` distinct vertices: every original
/// vertex kept, `n − m` more spread along the edges in proportion to their length (largest
/// remainder), coordinates rounded to the millimetre. None when the ring has fewer than 3 or
/// more than `n` distinct vertices, or when rounding would merge two vertices.
pub fn resample_ring(ring: &[Coord<f64>], n: usize) -> Option<Vec<Coord<f64>>> {
    let close = |a: Coord<f64>, b: Coord<f64>| (a.x - b.x).hypot(a.y - b.y) <= rules::DUPLICATE_VERTEX_M;
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
    for c in ring {
        if v.last().is_none_or(|last| !close(*last, *c)) {
            v.push(*c);
        }
    }
    while v.len() > 1 && close(v[0], v[v.len() - 1]) {
        v.pop();
    }
    let m = v.len();
    if m < 3 || m > n {
        return None;
    }
    let lengths: Vec<f64> = (0..m).map(|i| (v[(i + 1) % m].x - v[i].x).hypot(v[(i + 1) % m].y - v[i].y)).collect();
    let total: f64 = lengths.iter().sum();
    let extra = n - m;
    let quotas: Vec<f64> = lengths.iter().map(|l| extra as f64 * l / total).collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let rest = extra - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().take(rest) {
        counts[i] += 1;
    }
    let mm = |c: Coord<f64>| Coord { x: (c.x * 1000.0).round() / 1000.0, y: (c.y * 1000.0).round() / 1000.0 };
    let mut out = Vec::with_capacity(n + 1);
    for i in 0..m {
        let (a, b) = (v[i], v[(i + 1) % m]);
        out.push(mm(a));
        for j in 1..=counts[i] {
            let t = j as f64 / (counts[i] + 1) as f64;
            out.push(mm(Coord { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t }));
        }
    }
    if out.len() != n || (0..n).any(|i| close(out[i], out[(i + 1) % n])) {
        return None;
    }
    out.push(out[0]);
    Some(out)
}

/// `bench_check_params(i, national_id, parcel_id, geojson)`, i = 1..n: where pgbench draws
/// each transaction's parameters. Unlogged, so pgbench's sessions see it.
fn write_params_table(conn: &mut PgConnection, requests: &[Request]) -> Result<()> {
    exec(conn, "DROP TABLE IF EXISTS bench_check_params")?;
    exec(conn, "CREATE UNLOGGED TABLE bench_check_params (i int PRIMARY KEY, national_id text NOT NULL, parcel_id bigint NOT NULL, geojson text NOT NULL)")?;
    diesel::sql_query(
        "INSERT INTO bench_check_params SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::text[])",
    )
    .bind::<Array<Integer>, _>((1..=requests.len() as i32).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(requests.iter().map(|r| r.national_id.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(requests.iter().map(|r| r.parcel_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(requests.iter().map(|r| r.wgs84_geojson.as_str()).collect::<Vec<_>>())
    .execute(conn)
    .context("while writing bench_check_params")?;
    exec(conn, "ANALYZE bench_check_params")
}

// ---------------------------------------------------------------------------------------
// Measuring

/// One timed HTTP request.
struct Sample {
    ms: f64,
    status: u16,
    outcome: Option<String>,
    /// Rules that did not pass: "R2 warn".
    flagged: Vec<String>,
}

fn sample(ms: f64, response: &Response) -> Sample {
    let v: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let outcome = v["outcome"].as_str().map(str::to_string);
    let flagged = v["results"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|r| r["outcome"].as_str().is_some_and(|o| o != "pass"))
                .map(|r| format!("{} {}", r["rule"].as_str().unwrap_or("?"), r["outcome"].as_str().unwrap_or("?")))
                .collect()
        })
        .unwrap_or_default();
    Sample { ms, status: response.status, outcome, flagged }
}

/// A request that got no response (status 0).
fn no_response(ms: f64, e: &anyhow::Error) -> Sample {
    eprintln!("bench-check: no response: {e:#}");
    Sample { ms, status: 0, outcome: None, flagged: Vec::new() }
}

/// p50, p95, p99, max of a list of milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Stats {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| -> f64 {
            if v.is_empty() {
                return f64::NAN;
            }
            let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            v[k - 1]
        };
        Stats {
            n: v.len(),
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Milliseconds per stage of one in-process check (the service's loads replicated).
#[derive(Debug, Clone, Copy, Default)]
struct Stages {
    parcel_sql: f64,
    neighbours_sql: f64,
    zones_sql: f64,
    /// Commune, both reference documents (and parsing them), commune boundary,
    /// certificates, restrictions twice.
    other_sql: f64,
    /// Request → WGS 84; registered parcel, boundary, neighbours and zones → the plane.
    projections: f64,
    rules: f64,
    /// Report to JSON, problem geometry back to CRS84.
    report: f64,
}

struct HttpPhase {
    samples: Vec<Sample>,
    wall_s: f64,
}

struct DatasetResult {
    prepared: Prepared,
    requests: usize,
    skipped: usize,
    sequential: HttpPhase,
    concurrent: HttpPhase,
    /// `service::checks::check_request`, in-process.
    service_ms: Vec<f64>,
    stages: Vec<Stages>,
    /// `domain::checks::run` alone, warm.
    rules_ms: Vec<f64>,
    /// Each rule alone, warm (see [`per_rule`]).
    rule_ms: Vec<[f64; RULES.len()]>,
    /// Outcome of the rules on the replicated input = outcome over HTTP.
    agree: usize,
    neighbours: Vec<usize>,
    with_zones: usize,
    /// pgbench with `clients` clients and with one.
    sql_limit: PgbenchRun,
    sql_one: PgbenchRun,
    /// 1-minute load average before, between the phases and after.
    loads: Vec<f64>,
}

fn measure(
    prepared: &Prepared,
    opts: &Options,
    settings: &Settings,
    pgbench: &Pgbench,
    work: &WorkDir,
) -> Result<DatasetResult> {
    let mut conn = PgConnection::establish(&prepared.url)?;
    let (requests, skipped) = draw_requests(&mut conn, opts.requests)?;
    write_params_table(&mut conn, &requests)?;
    eprintln!(
        "bench-check: {}: {} requests of {VERTICES} vertices ({skipped} drawn parcels unsuitable)",
        prepared.db_name,
        requests.len()
    );
    wait_for_quiet_machine(WHO);
    let mut loads = vec![load_average()];

    // 1. HTTP.
    let (sequential, concurrent) =
        BenchServer::serve_while(WHO, &prepared.url, opts.clients, settings.clone(), |addr| {
            http_phases(addr, &requests, opts)
        })?;
    loads.push(load_average());

    // 2. In-process: the service call, the stages, the rules alone.
    let tables = load_tables(&mut conn)?;
    // The benchmark account is an admin (all provinces): authorisation passes, as over HTTP.
    let actor = diachinh::service::Actor {
        user_id: 0,
        username: USERNAME.into(),
        role: diachinh::service::Role::Admin,
        province_code: None,
    };
    let mut service_ms = Vec::new();
    let started = Instant::now();
    for (k, r) in requests.iter().cycle().take(WARM_UP + requests.len()).enumerate() {
        if started.elapsed() > PHASE_LIMIT {
            bail!("the in-process service run took longer than {} s", PHASE_LIMIT.as_secs());
        }
        let req: CheckRequest = serde_json::from_str(&r.body)?;
        let t = Instant::now();
        diachinh::service::checks::check_request(&mut conn, settings, &actor, &req)
            .map_err(|e| anyhow!("in-process check of {}: {e}: {e:?}", r.national_id))?;
        if k >= WARM_UP {
            service_ms.push(ms(t));
        }
    }
    let mut inputs = Vec::new();
    let mut stages = Vec::new();
    let (mut neighbours, mut with_zones, mut agree) = (Vec::new(), 0, 0);
    for (r, s) in requests.iter().zip(&sequential.samples) {
        let (input, st) = load_input(&mut conn, settings, r, &tables)?;
        neighbours.push(input.neighbours.len());
        with_zones += usize::from(!input.zones.is_empty());
        let t = Instant::now();
        let report = rules::run(&input);
        let mut st = Stages { rules: ms(t), ..st };
        let t = Instant::now();
        report_to_json(&report, r.zone)?;
        st.report = ms(t);
        agree += usize::from(s.outcome.as_deref() == Some(outcome_text(report.outcome())));
        stages.push(st);
        inputs.push(input);
    }
    for input in inputs.iter().cycle().take(WARM_UP) {
        std::hint::black_box(rules::run(input));
    }
    let rules_ms: Vec<f64> = inputs
        .iter()
        .map(|input| {
            let t = Instant::now();
            std::hint::black_box(rules::run(input));
            ms(t)
        })
        .collect();
    let rule_ms: Vec<[f64; RULES.len()]> = inputs.iter().map(per_rule).collect();
    drop(inputs);

    loads.push(load_average());

    // 3. pgbench.
    let script = work.write(&format!("{}.sql", prepared.db_name), &pgbench_script(requests.len()))?;
    let script = PgbenchInput::script(PgMode::Prepared, script);
    let sql_limit = pgbench.run(work, &script, &prepared.url, opts.clients, opts.seconds)?;
    let sql_one = pgbench.run(work, &script, &prepared.url, 1, opts.seconds)?;
    eprintln!(
        "bench-check: {}: pgbench {:.0} tps with {} clients, {:.2} ms per transaction with one",
        prepared.db_name, sql_limit.tps, opts.clients, sql_one.latency_ms
    );
    loads.push(load_average());
    Ok(DatasetResult {
        prepared: prepared.clone(),
        requests: requests.len(),
        skipped,
        sequential,
        concurrent,
        service_ms,
        stages,
        rules_ms,
        rule_ms,
        agree,
        neighbours,
        with_zones,
        sql_limit,
        sql_one,
        loads,
    })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Sign in, check one request answers 200, warm up, then the sequential and concurrent runs.
fn http_phases(addr: SocketAddr, requests: &[Request], opts: &Options) -> Result<(HttpPhase, HttpPhase)> {
    let mut client = Client::new(addr);
    let signin = client.post("/auth/token", None, &json!({"username": USERNAME, "password": PASSWORD}).to_string())?;
    if signin.status != 200 {
        bail!("POST /auth/token answered {}: {}", signin.status, String::from_utf8_lossy(&signin.body));
    }
    let token = serde_json::from_slice::<Value>(&signin.body)?["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("no access_token"))?
        .to_string();
    let first = client.post("/certificate-checks", Some(&token), &requests[0].body)?;
    if first.status != 200 {
        let body: String = String::from_utf8_lossy(&first.body).chars().take(800).collect();
        bail!("POST /certificate-checks answered {}: {body}", first.status);
    }
    for r in requests.iter().cycle().take(WARM_UP) {
        client.post("/certificate-checks", Some(&token), &r.body)?;
    }
    eprintln!("bench-check: sequential: {} requests, one client", requests.len());
    let started = Instant::now();
    let mut samples = Vec::with_capacity(requests.len());
    for r in requests {
        if started.elapsed() > PHASE_LIMIT {
            bail!("the sequential run took longer than {} s", PHASE_LIMIT.as_secs());
        }
        let t = Instant::now();
        samples.push(match client.post("/certificate-checks", Some(&token), &r.body) {
            Ok(response) => sample(ms(t), &response),
            Err(e) => no_response(ms(t), &e),
        });
    }
    let sequential = HttpPhase { samples, wall_s: started.elapsed().as_secs_f64() };
    drop(client);

    eprintln!("bench-check: {} clients for {} s", opts.clients, opts.seconds);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(opts.seconds);
    let per_client: Vec<Result<Vec<Sample>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..opts.clients)
            .map(|_| {
                let (next, token) = (&next, &token);
                scope.spawn(move || -> Result<Vec<Sample>> {
                    let mut client = Client::new(addr);
                    let mut out = Vec::new();
                    while Instant::now() < deadline {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= MAX_CONCURRENT_REQUESTS {
                            break;
                        }
                        let t = Instant::now();
                        out.push(
                            match client.post("/certificate-checks", Some(token), &requests[k % requests.len()].body) {
                                Ok(response) => sample(ms(t), &response),
                                Err(e) => no_response(ms(t), &e),
                            },
                        );
                    }
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a client thread panicked")))).collect()
    });
    let wall_s = started.elapsed().as_secs_f64();
    let mut samples = Vec::new();
    for r in per_client {
        samples.extend(r?);
    }
    Ok((sequential, HttpPhase { samples, wall_s }))
}

struct Tables {
    area: AreaToleranceTable,
    split: MinSplitAreaTable,
}

fn load_tables(conn: &mut PgConnection) -> Result<Tables> {
    let area = check_db::reference_document(conn, "area-tolerance")?.unwrap_or_default();
    let split = check_db::reference_document(conn, "min-split-area")?.unwrap_or_default();
    Ok(Tables {
        area: AreaToleranceTable::from_csv(&area).map_err(|e| anyhow!("area-tolerance: {e}"))?,
        split: MinSplitAreaTable::from_csv(&split).map_err(|e| anyhow!("min-split-area: {e}"))?,
    })
}

/// What `service::checks::check` loads and projects for these requests (a registered parcel,
/// its own VN-2000 zone, no split), stage by stage.
fn load_input<'t>(
    conn: &mut PgConnection,
    settings: &Settings,
    r: &Request,
    tables: &'t Tables,
) -> Result<(CheckInput<'t>, Stages)> {
    let mut st = Stages::default();
    let req: CheckRequest = serde_json::from_str(&r.body)?;
    let raw: geojson::Geometry = serde_json::from_value(req.geometry.clone())?;
    let zone = r.zone;

    let t = Instant::now();
    let registered = parcel_db::current_by_national_id(conn, &r.national_id)?
        .ok_or_else(|| anyhow!("no current parcel {}", r.national_id))?;
    st.parcel_sql = ms(t);

    let t = Instant::now();
    let commune = admin::current_commune(conn, &registered.commune_code)?
        .ok_or_else(|| anyhow!("no commune {}", registered.commune_code))?;
    let _ = load_tables(conn)?;
    let boundary_text = check_db::commune_boundary(conn, commune.id)?;
    let certificates = check_db::certificates_of(conn, registered.parcel_id)?;
    let recorded = store::restrictions::in_force(conn, registered.parcel_id, None)?;
    let blocks = store::restrictions::blocking_table(conn)?;
    st.other_sql = ms(t);

    let t = Instant::now();
    let wgs84_text =
        plane_to_wgs84(&raw, zone).map(|g| g.to_string()).ok_or_else(|| anyhow!("request not transformable"))?;
    st.projections += ms(t);

    let t = Instant::now();
    let neighbours = check_db::neighbours(conn, &wgs84_text, Some(registered.parcel_id), NEIGHBOUR_DISTANCE_M)?;
    st.neighbours_sql = ms(t);
    let t = Instant::now();
    let zones = check_db::approved_zones(conn, &wgs84_text)?;
    st.zones_sql = ms(t);

    let t = Instant::now();
    let commune_boundary = boundary_text.and_then(|b| wgs84_text_to_plane(&b, zone));
    let registered_geometry = wgs84_text_to_plane(&registered.geometry, zone);
    let neighbours: Vec<(String, MultiPolygon<f64>)> =
        neighbours.iter().filter_map(|s| Some((s.id.clone(), wgs84_text_to_plane(&s.geometry, zone)?))).collect();
    let zones: Vec<(String, String, MultiPolygon<f64>)> = zones
        .iter()
        .filter_map(|s| Some((s.id.clone(), s.code.clone(), wgs84_text_to_plane(&s.geometry, zone)?)))
        .collect();
    st.projections += ms(t);

    let current_uses: Vec<String> = serde_json::from_str::<Vec<Value>>(&registered.land_uses)
        .map(|l| l.iter().filter_map(|u| u["code"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let legal = LegalFacts {
        replaces_serial: req.replaces_serial.clone(),
        existing_certificates: certificates
            .into_iter()
            .map(|c| rules::ExistingCertificate { serial: c.serial, valid: c.valid })
            .collect(),
        // As the service reads them without a dossier: what blocks every procedure blocks.
        restrictions: recorded
            .iter()
            .map(|x| rules::Restriction {
                kind: x.kind.as_str().to_string(),
                reference: x.reference.clone(),
                blocking: blocks.blocks_every_procedure(x.kind),
                id: Some(x.id),
                legal_basis: x.legal_basis.clone(),
            })
            .collect(),
        disputes: Vec::new(),
        holders: req.holders.iter().map(|h| rules::Holder { party: h.name.clone(), share: h.share }).collect(),
    };
    let tolerances = Tolerances {
        sliver_m2: settings.sliver_tolerance_m2,
        commune_outside_m2: settings.boundary_tolerance_m2,
        ..Tolerances::default()
    };
    let input = CheckInput {
        parcel: raw,
        commune_boundary,
        registered_geometry,
        registered_area_m2: Some(registered.legal_area_m2),
        declared_area_m2: req.declared_area_m2,
        map_scale: req.map_scale.unwrap_or(1000),
        current_uses,
        neighbours,
        zones,
        legal,
        split: None,
        tolerances,
        area_tolerances: &tables.area,
        min_split_areas: &tables.split,
    };
    Ok((input, st))
}

/// The service's last step: the results as JSON, problem geometry back to CRS84.
fn report_to_json(report: &rules::Report, zone: Tm3Zone) -> Result<Value> {
    let mut results = serde_json::to_value(&report.results)?;
    if let Some(list) = results.as_array_mut() {
        for r in list.iter_mut() {
            if let Some(g) = r.get("geometry").and_then(|g| serde_json::from_value::<geojson::Geometry>(g.clone()).ok())
            {
                r["geometry"] = plane_to_wgs84(&g, zone).map(|g| json!(g)).unwrap_or(Value::Null);
            }
        }
    }
    Ok(results)
}

/// The rules `run` applies, timed one by one on a prepared input: R1 (from the GeoJSON), R2,
/// R3, R4 (with the tolerances `run` derives for the map scale), R5, R6, R7.1–R7.3. NaN for a
/// rule that did not run (R1 failed, or no tolerance row for R4).
fn per_rule(input: &CheckInput) -> [f64; RULES.len()] {
    let mut out = [f64::NAN; RULES.len()];
    let t = Instant::now();
    let (_, parcel) = std::hint::black_box(rules::geometry_valid_from_geojson(&input.parcel));
    out[0] = ms(t);
    let Some(p) = parcel else { return out };
    let tol = &input.tolerances;
    let t = Instant::now();
    std::hint::black_box(rules::inside_commune(&p, input.commune_boundary.as_ref(), tol.commune_outside_m2));
    out[1] = ms(t);
    let t = Instant::now();
    std::hint::black_box(rules::area_within_tolerance(
        &p,
        input.declared_area_m2,
        input.registered_area_m2,
        input.map_scale,
        input.area_tolerances,
    ));
    out[2] = ms(t);
    if let (Some(reg), Some(row)) =
        (input.registered_geometry.as_ref(), input.area_tolerances.for_scale(input.map_scale))
    {
        let t = Instant::now();
        let perimeter: f64 = reg
            .0
            .iter()
            .flat_map(|q| std::iter::once(q.exterior()).chain(q.interiors()))
            .flat_map(|r| r.lines())
            .map(|l| l.dx().hypot(l.dy()))
            .sum();
        std::hint::black_box(rules::same_land_as_registered(
            &p,
            Some(reg),
            tol.hausdorff_factor * row.point_accuracy_m,
            tol.symdiff_factor * row.point_accuracy_m * perimeter,
        ));
        out[3] = ms(t);
    }
    let t = Instant::now();
    std::hint::black_box(rules::no_overlap_with_neighbours(&p, &input.neighbours, tol.sliver_m2, tol.gap_m));
    out[4] = ms(t);
    let uses: Vec<&str> = input.current_uses.iter().map(String::as_str).collect();
    let t = Instant::now();
    std::hint::black_box(rules::planning_consistent(&p, &uses, &input.zones));
    out[5] = ms(t);
    let t = Instant::now();
    std::hint::black_box(rules::legal_checks(&input.legal));
    out[6] = ms(t);
    out
}

const RULES: [&str; 7] =
    ["R1 geometry", "R2 commune", "R3 area", "R4 Hausdorff", "R5 neighbours", "R6 zones", "R7 legal"];

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
    }
}
// ---------------------------------------------------------------------------------------
// Report

/// "pass 12 · warn 280 · fail 8", and any non-200 statuses.
fn tally(samples: &[Sample]) -> String {
    let count = |o: &str| samples.iter().filter(|s| s.status == 200 && s.outcome.as_deref() == Some(o)).count();
    let mut text = format!("pass {} · warn {} · fail {}", count("pass"), count("warn"), count("fail"));
    let mut statuses: Vec<(u16, usize)> = Vec::new();
    for s in samples.iter().filter(|s| s.status != 200) {
        match statuses.iter_mut().find(|(st, _)| *st == s.status) {
            Some(e) => e.1 += 1,
            None => statuses.push((s.status, 1)),
        }
    }
    if statuses.is_empty() {
        text.push_str(" — every response 200");
    } else {
        let list: Vec<String> = statuses
            .iter()
            .map(|(s, n)| if *s == 0 { format!("{n} without a response") } else { format!("{n} × {s}") })
            .collect();
        text.push_str(&format!(" — **not 200: {}**", list.join(", ")));
    }
    text
}

/// "R2 warn × 300, R5 warn × 3": the rules that did not pass, most frequent first.
fn flagged(samples: &[Sample]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for f in samples.iter().flat_map(|s| &s.flagged) {
        match counts.iter_mut().find(|(k, _)| k == f) {
            Some(e) => e.1 += 1,
            None => counts.push((f.clone(), 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if counts.is_empty() {
        "none".into()
    } else {
        counts.iter().map(|(k, n)| format!("{k} × {n}")).collect::<Vec<_>>().join(", ")
    }
}

fn stage_stats(stages: &[Stages], f: impl Fn(&Stages) -> f64) -> Stats {
    Stats::of(&stages.iter().map(f).collect::<Vec<_>>())
}

/// The sentence on what dominates, from the medians of the stages.
fn dominant(r: &DatasetResult) -> String {
    let p50 = |f: fn(&Stages) -> f64| stage_stats(&r.stages, f).p50;
    let sql = p50(|s| s.parcel_sql + s.neighbours_sql + s.zones_sql + s.other_sql);
    let parts = [
        ("the rules (`domain::checks::run`)", p50(|s| s.rules)),
        ("the SQL", sql),
        ("the projections (PROJ, point by point)", p50(|s| s.projections)),
        ("the report (JSON, problem geometry back to CRS84)", p50(|s| s.report)),
    ];
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let (name, top) = parts.iter().copied().fold(("", f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
    let http = Stats::of(&r.sequential.samples.iter().map(|s| s.ms).collect::<Vec<_>>()).p50;
    let service = Stats::of(&r.service_ms).p50;
    format!(
        "`{}`: {name} dominate{} — {top:.1} ms of the {total:.1} ms the stages' medians add up to ({:.0} %); the SQL is {sql:.1} ms \
         (neighbours {:.1}, zones {:.1}, parcel {:.1}, the other seven reads {:.1}). The whole service call takes {service:.1} ms in-process and \
         {http:.1} ms over HTTP ({}).",
        r.prepared.db_name,
        if name == "the SQL" || name.starts_with("the report") { "s" } else { "" },
        100.0 * top / total.max(1e-9),
        p50(|s| s.neighbours_sql),
        p50(|s| s.zones_sql),
        p50(|s| s.parcel_sql),
        p50(|s| s.other_sql),
        if http - service >= 0.5 {
            format!("token lookup, HTTP and JSON, the blocking pool: {:.1} ms more", http - service)
        } else {
            format!("{:+.1} ms: the HTTP layer's cost is within the noise of two runs", http - service)
        },
    ) + &format!(" Rule by rule (warm, p50 / p95 ms): {}.", per_rule_text(r))
}

fn per_rule_text(r: &DatasetResult) -> String {
    RULES
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let v: Vec<f64> = r.rule_ms.iter().map(|x| x[k]).filter(|x| x.is_finite()).collect();
            let st = Stats::of(&v);
            format!("{name} {:.2} / {:.2}", st.p50, st.p95)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render(opts: &Options, facts: &Facts, results: &[DatasetResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Certificate checks\n");
    let _ = writeln!(s, "{}\n", facts.summary());
    let _ = writeln!(
        s,
        "`diachinh-tools bench-check --parcels {}{} --requests {} --clients {} --seconds {}`: `POST /certificate-checks` for {} random current parcels \
         (fixed seed), each sent as its own boundary resampled to exactly {VERTICES} distinct vertices in its own VN-2000 zone (metres, \
         every original vertex kept), map scale 1:{MAP_SCALE}, declared area = legal area, one holder. Our release build in-process on \
         127.0.0.1 (pool of {}), a keep-alive HTTP/1.1 client; {WARM_UP} warm-up requests, then every request once from one client \
         (latency), then {} clients for {} s (req/s). *Rules-only*: `domain::checks::run` on the same requests' inputs, prepared once \
         per request, warm. *SQL limit*: pgbench `-M prepared`, {} clients, running the registered parcel, neighbour and zone queries \
         the check runs with each request's parameters.\n",
        opts.parcels,
        if opts.no_sample { " --no-sample" } else { "" }, opts.requests, opts.clients, opts.seconds, opts.requests, opts.clients, opts.clients, opts.seconds, opts.clients
    );
    let _ = writeln!(s, "| dataset | requests | p50 ms | p95 ms | p99 ms | max ms | req/s ({} clients) | rules-only p50 ms | SQL limit TPS ({} clients) |", opts.clients, opts.clients);
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let seq = Stats::of(&r.sequential.samples.iter().map(|x| x.ms).collect::<Vec<_>>());
        let rules_only = Stats::of(&r.rules_ms);
        let _ = writeln!(
            s,
            "| `{}` ({} parcels) | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.0} |",
            r.prepared.db_name,
            thousands(r.prepared.parcels),
            r.requests,
            seq.p50,
            seq.p95,
            seq.p99,
            seq.max,
            r.concurrent.samples.len() as f64 / r.concurrent.wall_s.max(1e-9),
            rules_only.p50,
            r.sql_limit.tps
        );
    }
    let _ = writeln!(s, "\nWhere the time goes: the same requests in-process, one after another, p50 / p95 ms per stage (the service's loads replicated through `persistence`):\n");
    let _ = writeln!(s, "| dataset | over HTTP | service call | parcel SQL | neighbours SQL | zones SQL | 7 other reads | projections | rules | rules, warm | report | pgbench, 3 queries, 1 client |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let pair = |st: Stats| format!("{:.2} / {:.2}", st.p50, st.p95);
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
            r.prepared.db_name,
            pair(Stats::of(&r.sequential.samples.iter().map(|x| x.ms).collect::<Vec<_>>())),
            pair(Stats::of(&r.service_ms)),
            pair(stage_stats(&r.stages, |x| x.parcel_sql)),
            pair(stage_stats(&r.stages, |x| x.neighbours_sql)),
            pair(stage_stats(&r.stages, |x| x.zones_sql)),
            pair(stage_stats(&r.stages, |x| x.other_sql)),
            pair(stage_stats(&r.stages, |x| x.projections)),
            pair(stage_stats(&r.stages, |x| x.rules)),
            pair(Stats::of(&r.rules_ms)),
            pair(stage_stats(&r.stages, |x| x.report)),
            r.sql_one.latency_ms,
        );
    }
    let _ = writeln!(s, "\nWhat dominates:\n");
    for r in results {
        let _ = writeln!(s, "- {}", dominant(r));
    }
    let _ = writeln!(s, "\nOutcomes and conditions:\n");
    for r in results {
        let conc = Stats::of(&r.concurrent.samples.iter().map(|x| x.ms).collect::<Vec<_>>());
        let nb = Stats::of(&r.neighbours.iter().map(|&n| n as f64).collect::<Vec<_>>());
        let peak = r.loads.iter().copied().fold(f64::NAN, f64::max);
        let busy = if peak > BUSY_LOAD {
            format!(" **The machine was busy** (1-minute load up to {peak:.1} on {} cores; other work shares it): the latencies are inflated and noisy.", facts.cores)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "- `{}`: sequential {}; rules that did not pass: {}. {} clients: {} requests in {:.1} s, p50 {:.1} ms, p95 {:.1} ms, {}. \
             The rules on the replicated input agree with the HTTP outcome for {} of {} requests. Neighbours within {NEIGHBOUR_DISTANCE_M} m: \
             {:.0} at the median, {:.0} at most; {} request(s) meet an approved planning zone. pgbench: {:.0} TPS with {} clients, \
             {:.0} TPS ({:.2} ms) with one, {} failed transactions. Load average before, between the phases and after: {}.{busy} Dataset: {}{}.",
            r.prepared.db_name,
            tally(&r.sequential.samples),
            flagged(&r.sequential.samples),
            opts.clients,
            conc.n,
            r.concurrent.wall_s,
            conc.p50,
            conc.p95,
            tally(&r.concurrent.samples),
            r.agree,
            r.requests,
            nb.p50,
            nb.max,
            r.with_zones,
            r.sql_limit.tps,
            opts.clients,
            r.sql_one.tps,
            r.sql_one.latency_ms,
            r.sql_limit.failed + r.sql_one.failed,
            r.loads.iter().map(|l| format!("{l:.1}")).collect::<Vec<_>>().join(", "),
            r.prepared.notes.join("; "),
            if r.skipped > 0 { format!("; {} drawn parcels skipped (multi-part, holes or ≥ {VERTICES} vertices)", r.skipped) } else { String::new() },
        );
    }
    let _ = writeln!(
        s,
        "\nOver HTTP each request also resolves the bearer token (one query) and crosses actix's blocking pool; the service sends its \
         statements unnamed through diesel's `sql_query` (the registered parcel and the neighbour search are calls of functions \
         whose plans are cached per connection; the rest is planned each time) while pgbench runs them prepared, so the SQL limit \
         is an upper bound. Client, server, PostgreSQL and pgbench share the machine."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_script_binds_every_parameter() {
        let script = pgbench_script(300);
        assert!(!script.contains('$'), "{script}");
        assert!(script.starts_with("\\set i random(1, 300)\n\\set distance 5.0\n"));
        // The neighbours as the check sends them: the call of `check_neighbours` (migration 000024).
        assert!(script.contains("FROM check_neighbours((:geojson)::text, (:parcel_id)::int8, (:distance)::float8)"));
        assert!(script.contains("ST_GeomFromGeoJSON((:geojson)::text)"), "the zones statement");
        // The registered parcel as the check reads it: the call of `parcel_current` (migration 000025).
        assert!(script.contains("SELECT * FROM parcel_current((:national_id)::text);\n"), "{script}");
        assert_eq!(script.matches(";\n").count(), 3);
    }

    #[test]
    fn ring_is_resampled_to_exactly_n_distinct_vertices() {
        let square: Vec<Coord<f64>> = [
            (500_000.0, 1_200_000.0),
            (500_030.0, 1_200_000.0),
            (500_030.0, 1_200_010.0),
            (500_000.0, 1_200_010.0),
            (500_000.0, 1_200_000.0),
        ]
        .iter()
        .map(|&(x, y)| Coord { x, y })
        .collect();
        let ring = resample_ring(&square, VERTICES).unwrap();
        assert_eq!(ring.len(), VERTICES + 1);
        assert_eq!(ring[0], ring[VERTICES]);
        for c in &square[..4] {
            assert!(ring.contains(c), "{c:?} kept");
        }
        // Longer edges get more vertices: 3:1 sides, 196 added.
        let on_bottom = ring[..VERTICES].iter().filter(|c| c.y == 1_200_000.0).count();
        let on_right = ring[..VERTICES].iter().filter(|c| c.x == 500_030.0).count();
        assert!(on_bottom > 2 * on_right, "{on_bottom} vs {on_right}");
        // Every vertex on the square's boundary.
        for c in &ring {
            let on = (c.x - 500_000.0).abs() < 1e-6
                || (c.x - 500_030.0).abs() < 1e-6
                || (c.y - 1_200_000.0).abs() < 1e-6
                || (c.y - 1_200_010.0).abs() < 1e-6;
            assert!(on, "{c:?}");
        }
        // R1 sees a valid polygon with no duplicates or spikes.
        let polygon = geo_types::Polygon::new(geo_types::LineString(ring), vec![]);
        let result = rules::geometry_valid(&MultiPolygon(vec![polygon]));
        assert_eq!(result.outcome, Outcome::Pass, "{result:?}");
    }

    #[test]
    fn ring_with_duplicates_and_too_many_vertices() {
        let c = |x: f64, y: f64| Coord { x, y };
        let dup = [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 0.0004), c(10.0, 10.0), c(0.0, 10.0), c(0.0, 0.0)];
        let ring = resample_ring(&dup, 8).unwrap();
        assert_eq!(ring.len(), 9);
        assert!(resample_ring(&dup, 3).is_none());
        assert!(resample_ring(&[c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)], 10).is_none());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Stats::of(&v);
        assert_eq!((s.n, s.p50, s.p95, s.p99, s.max), (100, 50.0, 95.0, 99.0, 100.0));
        assert_eq!(Stats::of(&[3.0]).p99, 3.0);
        assert!(Stats::of(&[]).p50.is_nan());
    }
}
