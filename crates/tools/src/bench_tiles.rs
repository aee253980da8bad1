//! `diachinh-tools bench-tiles`: vector-tile throughput — parcel tiles at zoom 14–17 through our
//! server (wrk) — next to `pgbench` running the same `ST_AsMVT` SQL straight against
//! PostgreSQL (the limit). Measured, not asserted; the section goes into BENCHMARKS.md between
//! its own markers, beside the section `diachinh-tools bench` writes.
//!
//! The dataset is the one `diachinh-tools bench` uses (`diachinh_bench_<N>` on the cluster of
//! [`config::database_url`], marked complete by a database comment) so the two share the
//! million-parcel load; a missing one is loaded the same way.
//!
//! The tile set: for each zoom 14–17, the tiles holding [`PARCELS_PER_ZOOM`] random current
//! parcels (seeded, so the same database gives the same set), duplicates dropped. wrk sends
//! no `If-None-Match`, so every request builds its tile: the worst case (a revalidation is one
//! index scan, the stamp). Two pgbench scripts, `-M prepared`, each drawing a tile of the set
//! from the table `bench_tiles` with `\gset`:
//! - **tile SQL** — `store::tiles::sql(Parcels)` alone: the limit;
//! - **as served** — what a request runs: a read-only repeatable-read transaction with the
//!   ETag stamp and the tile.

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener};
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
use domain::tiles::{Layer, TileCoord};

/// What `diachinh-tools bench-tiles` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Synthetic parcels in the dataset (0 = the sample data only).
    pub parcels: usize,
    pub seconds: u64,
    /// wrk connections = pgbench clients = pool size.
    pub connections: u32,
    pub repeats: usize,
    pub out: PathBuf,
    pub sample_dir: PathBuf,
}

const ZOOMS: [u8; 4] = [14, 15, 16, 17];
/// Random parcels whose tiles enter the set, per zoom.
const PARCELS_PER_ZOOM: i64 = 250;
/// Tiles per zoom whose size and feature count the report lists.
const PROFILED_PER_ZOOM: usize = 25;
const PER_COMMUNE: usize = 5_000;
/// Shared with `diachinh-tools bench`: a database with this comment is completely loaded.
const MARKER: &str = "diachinh bench dataset: complete";
/// Shared with `diachinh-tools bench`: the session advisory lock held while checking and loading.
const LOAD_LOCK: &str = "diachinh bench load";
const SECTION_START: &str = "<!-- bench-tiles:start -->";
const SECTION_END: &str = "<!-- bench-tiles:end -->";
const WARM_UP_SECONDS: u64 = 3;
const GRACE: Duration = Duration::from_secs(90);

/// Runs the tile benchmark and writes its section of the report.
pub fn run(opts: &Options) -> Result<()> {
    if !(1..=3_600).contains(&opts.seconds)
        || !(1..=150).contains(&opts.connections)
        || !(1..=25).contains(&opts.repeats)
    {
        bail!("--seconds 1..=3600, --connections 1..=150, --repeats 1..=25");
    }
    let wrk = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("wrk")).find(|p| p.is_file()))
        .ok_or_else(|| anyhow!("wrk is not installed: scripts/bench-prereqs.sh (make bench-prereqs)"))?;
    let pgbench = Path::new(PG_BIN).join("pgbench");
    if !pgbench.is_file() {
        bail!("{} is missing: scripts/bench-prereqs.sh (postgresql-contrib)", pgbench.display());
    }
    let base_url = config::database_url()?;
    let settings = Settings::from_env()?;
    let db_name = if opts.parcels == 0 {
        "diachinh_bench_sample".to_string()
    } else {
        format!("diachinh_bench_{}", opts.parcels)
    };
    let url = with_database(&base_url, &db_name)?;
    let load_note = prepare(&base_url, &url, &db_name, opts, &settings)?;

    let mut conn = PgConnection::establish(&url)?;
    let parcels = scalar(&mut conn, "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL")?;
    let tiles = draw_tiles(&mut conn)?;
    let profile = profile_tiles(&mut conn, &tiles)?;
    eprintln!("bench-tiles: {db_name}: {parcels} current parcels, {} tiles in the set", tiles.len());

    let work = std::env::temp_dir().join(format!("diachinh-bench-tiles-{}", std::process::id()));
    fs::create_dir_all(&work)?;
    let load_before = load_average();
    let result = measure(&url, &tiles, opts, &settings, &wrk, &pgbench, &work);
    let _ = fs::remove_dir_all(&work);
    let runs = result?;
    let load = (load_before, load_average());

    let section = render(opts, &db_name, parcels, &load_note, &tiles, &profile, &runs, load, &mut conn);
    println!("\n{section}");
    write_section(&opts.out, &section)?;
    eprintln!("bench-tiles: results written to {}", opts.out.display());
    Ok(())
}

/// Reuses a complete dataset or loads it. Holds `diachinh-tools bench`'s session advisory lock on the
/// dataset while checking and loading, so the two benches never load one database at once.
fn prepare(base_url: &str, url: &str, db_name: &str, opts: &Options, settings: &Settings) -> Result<String> {
    let mut admin = PgConnection::establish(base_url)?;
    if scalar_bind(&mut admin, "SELECT count(*) AS n FROM pg_database WHERE datname = $1", db_name)? == 0 {
        diesel::sql_query(format!("CREATE DATABASE {db_name}")).execute(&mut admin)?;
    }
    let mut conn = PgConnection::establish(url)?;
    // The lock ends with `conn`.
    exec(&mut conn, &format!("SELECT pg_advisory_lock(hashtext('{LOAD_LOCK}'))"))?;
    if let Some(comment) = comment(&mut conn)?.filter(|c| c.starts_with(MARKER)) {
        store::migrate(&mut conn)?;
        return Ok(format!("reused ({comment})"));
    }
    let t = Instant::now();
    exec(&mut conn, "CREATE EXTENSION IF NOT EXISTS postgis")?;
    store::migrate(&mut conn)?;
    seed::seed(&mut conn, settings, &opts.sample_dir)?;
    if opts.parcels > 0 {
        crate::samples::load_synthetic(&mut conn, opts.parcels, PER_COMMUNE, |done, total| {
            if done % 100_000 < 2_000 || done == total {
                eprintln!("bench-tiles: synthetic {done}/{total}");
            }
        })?;
    }
    exec(&mut conn, "VACUUM ANALYZE")?;
    let n = scalar(&mut conn, "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL")?;
    let note = format!(
        "{MARKER}; {n} current parcels; loaded in {:.0} s on {}",
        t.elapsed().as_secs_f64(),
        chrono::Local::now().format("%Y-%m-%d")
    );
    exec(&mut conn, &format!("COMMENT ON DATABASE {db_name} IS '{}'", note.replace('\'', "''")))?;
    Ok(format!("loaded ({note})"))
}

/// The tile set, also written to the table `bench_tiles(i, z, x, y)` for pgbench.
fn draw_tiles(conn: &mut PgConnection) -> Result<Vec<TileCoord>> {
    #[derive(QueryableByName)]
    struct P {
        #[diesel(sql_type = Double)]
        lon: f64,
        #[diesel(sql_type = Double)]
        lat: f64,
    }
    exec(conn, "SET max_parallel_workers_per_gather = 0")?;
    exec(conn, "SELECT setseed(0.5)")?;
    let points: Vec<P> = diesel::sql_query(
        "WITH pick AS (SELECT id, random() AS k FROM parcel_versions WHERE valid_to IS NULL ORDER BY k LIMIT $1) \
         SELECT ST_X(s.pt) AS lon, ST_Y(s.pt) AS lat FROM pick JOIN parcel_versions v ON v.id = pick.id \
         CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.geom) AS pt) s ORDER BY pick.k",
    )
    .bind::<BigInt, _>(PARCELS_PER_ZOOM * ZOOMS.len() as i64)
    .load(conn)?;
    exec(conn, "RESET max_parallel_workers_per_gather")?;
    let mut tiles: Vec<TileCoord> = Vec::new();
    for (k, p) in points.iter().enumerate() {
        let t = TileCoord::containing(p.lon, p.lat, ZOOMS[k % ZOOMS.len()]);
        if !tiles.contains(&t) {
            tiles.push(t);
        }
    }
    exec(conn, "DROP TABLE IF EXISTS bench_tiles")?;
    exec(
        conn,
        "CREATE UNLOGGED TABLE bench_tiles (i int PRIMARY KEY, z int NOT NULL, x int NOT NULL, y int NOT NULL)",
    )?;
    diesel::sql_query("INSERT INTO bench_tiles SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[])")
        .bind::<Array<Integer>, _>((1..=tiles.len() as i32).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(tiles.iter().map(|t| t.z as i32).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(tiles.iter().map(|t| t.x as i32).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(tiles.iter().map(|t| t.y as i32).collect::<Vec<_>>())
        .execute(conn)?;
    exec(conn, "ANALYZE bench_tiles")?;
    Ok(tiles)
}

/// Per zoom: tiles in the set, median MVT bytes and median parcels in the tile's envelope
/// (of the first PROFILED_PER_ZOOM tiles).
fn profile_tiles(conn: &mut PgConnection, tiles: &[TileCoord]) -> Result<Vec<(u8, usize, usize, i64)>> {
    let mut out = Vec::new();
    for z in ZOOMS {
        let of_zoom: Vec<&TileCoord> = tiles.iter().filter(|t| t.z == z).collect();
        let mut bytes = Vec::new();
        let mut rows = Vec::new();
        for t in of_zoom.iter().take(PROFILED_PER_ZOOM) {
            bytes.push(store::tiles::tile(conn, Layer::Parcels, **t)?.len());
            rows.push(store::tiles::stamp(conn, Layer::Parcels, **t)?.n);
        }
        bytes.sort_unstable();
        rows.sort_unstable();
        out.push((
            z,
            of_zoom.len(),
            bytes.get(bytes.len() / 2).copied().unwrap_or(0),
            rows.get(rows.len() / 2).copied().unwrap_or(0),
        ));
    }
    Ok(out)
}

/// One measurement round.
#[derive(Debug, Clone, Default)]
struct Round {
    http_tps: f64,
    p50_ms: f64,
    p99_ms: f64,
    http_errors: u64,
    tile_sql_tps: f64,
    as_served_tps: f64,
}

fn measure(
    url: &str,
    tiles: &[TileCoord],
    opts: &Options,
    settings: &Settings,
    wrk: &Path,
    pgbench: &Path,
    work: &Path,
) -> Result<Vec<Round>> {
    let list = work.join("tiles.requests");
    fs::write(
        &list,
        tiles.iter().map(|t| format!("/tiles/parcels/{}/{}/{}.mvt\n", t.z, t.x, t.y)).collect::<String>(),
    )?;
    let lua = work.join("tiles.lua");
    fs::write(&lua, wrk_script(&list))?;
    let draw = format!("\\set i random(1, {})\nSELECT z, x, y FROM bench_tiles WHERE i = :i \\gset\n", tiles.len());
    let params = |sql: &str| strip_comments(sql).replace("$1", ":z").replace("$2", ":x").replace("$3", ":y");
    let tile_sql = work.join("tile.sql");
    fs::write(&tile_sql, format!("{draw}{};\n", params(store::tiles::sql(Layer::Parcels))))?;
    let as_served = work.join("as-served.sql");
    fs::write(
        &as_served,
        format!(
            "{draw}BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n{};\n{};\nCOMMIT;\n",
            params(store::tiles::stamp_sql(Layer::Parcels)),
            params(store::tiles::sql(Layer::Parcels))
        ),
    )?;

    let pool = store::pool(url, opts.connections)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let state = http::AppState { pool, settings: settings.clone() };
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = http::serve(listener, state, None)?;
            let _ = tx.send(server.handle());
            server.await
        })
    });
    let handle = rx.recv_timeout(Duration::from_secs(30)).context("the benchmark server did not start")?;
    let outcome = (|| -> Result<Vec<Round>> {
        run_wrk(wrk, &lua, addr, opts.connections, WARM_UP_SECONDS, work)?;
        let mut rounds = Vec::new();
        for round in 1..=opts.repeats {
            let (http_tps, p50_ms, p99_ms, http_errors) =
                run_wrk(wrk, &lua, addr, opts.connections, opts.seconds, work)?;
            let tile_sql_tps = run_pgbench(pgbench, &tile_sql, url, opts.connections, opts.seconds, work)?;
            let as_served_tps = run_pgbench(pgbench, &as_served, url, opts.connections, opts.seconds, work)?;
            eprintln!(
                "bench-tiles [{round}/{}]: http {http_tps:.0} tiles/s (p50 {p50_ms:.1} ms, p99 {p99_ms:.1} ms, {http_errors} errors) · pgbench tile SQL {tile_sql_tps:.0} tps · as served {as_served_tps:.0} tps",
                opts.repeats
            );
            rounds.push(Round { http_tps, p50_ms, p99_ms, http_errors, tile_sql_tps, as_served_tps });
        }
        Ok(rounds)
    })();
    actix_web::rt::System::new().block_on(handle.stop(true));
    let _ = server.join();
    outcome
}

fn strip_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// wrk Lua: each thread cycles through the tile list from its own offset; `done` prints one
/// parseable line.
fn wrk_script(list: &Path) -> String {
    format!(
        r#"-- Generated by `diachinh-tools bench-tiles`.
local paths = {{}}
for line in io.lines("{}") do
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
  io.write(string.format("DIACHINH_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"#,
        list.display()
    )
}

/// Runs a command with its output in files, killed after `limit`; returns stdout.
pub(crate) fn run_bounded(mut cmd: Command, work: &Path, name: &str, limit: Duration) -> Result<String> {
    let (out_path, err_path) = (work.join(format!("{name}.stdout")), work.join(format!("{name}.stderr")));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path)?)
        .stderr(fs::File::create(&err_path)?)
        .spawn()
        .with_context(|| format!("while starting {name}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{name} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = fs::read_to_string(&out_path)?;
    if !status.success() {
        bail!("{name} failed: {stdout}\n{}", fs::read_to_string(&err_path).unwrap_or_default());
    }
    Ok(stdout)
}

/// (tiles/s, p50 ms, p99 ms, errors) of one wrk run.
fn run_wrk(
    wrk: &Path,
    lua: &Path,
    addr: SocketAddr,
    connections: u32,
    seconds: u64,
    work: &Path,
) -> Result<(f64, f64, f64, u64)> {
    let mut cmd = Command::new(wrk);
    cmd.arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "-s"])
        .arg(lua)
        .arg(format!("http://{addr}"));
    let out = run_bounded(cmd, work, "wrk", Duration::from_secs(seconds) + GRACE)?;
    let line =
        out.lines().find(|l| l.starts_with("DIACHINH_WRK ")).ok_or_else(|| anyhow!("unexpected wrk output: {out}"))?;
    let field = |key: &str| -> f64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let seconds = field("duration_us") / 1e6;
    Ok((field("requests") / seconds.max(1e-9), field("p50_us") / 1e3, field("p99_us") / 1e3, field("errors") as u64))
}

/// Transactions per second of one `pgbench -M prepared` run.
fn run_pgbench(pgbench: &Path, script: &Path, url: &str, connections: u32, seconds: u64, work: &Path) -> Result<f64> {
    let mut cmd = Command::new(pgbench);
    cmd.args(["-n", "-M", "prepared"])
        .arg(format!("-c{connections}"))
        .arg(format!("-j{}", connections.min(2)))
        .arg(format!("-T{seconds}"))
        .arg("-f")
        .arg(script)
        .arg(url);
    let out = run_bounded(cmd, work, "pgbench", Duration::from_secs(seconds) + GRACE)?;
    let line = out
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection time"))
        .ok_or_else(|| anyhow!("unexpected pgbench output: {out}"))?;
    line["tps = ".len()..].split_whitespace().next().unwrap_or("").parse().context("bad tps")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The 1-minute load average (NaN if unknown): wrk, our server, PostgreSQL and pgbench share
/// the machine, and so may other work.
fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg").ok().and_then(|t| t.split_whitespace().next()?.parse().ok()).unwrap_or(f64::NAN)
}

#[allow(clippy::too_many_arguments)]
fn render(
    opts: &Options,
    db_name: &str,
    parcels: i64,
    load_note: &str,
    tiles: &[TileCoord],
    profile: &[(u8, usize, usize, i64)],
    runs: &[Round],
    load: (f64, f64),
    conn: &mut PgConnection,
) -> String {
    let http = median(runs.iter().map(|r| r.http_tps).collect());
    let limit = median(runs.iter().map(|r| r.tile_sql_tps).collect());
    let served = median(runs.iter().map(|r| r.as_served_tps).collect());
    let p50 = median(runs.iter().map(|r| r.p50_ms).collect());
    let p99 = median(runs.iter().map(|r| r.p99_ms).collect());
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let pg = diesel::sql_query("SELECT split_part(version(), ',', 1) || ', PostGIS ' || postgis_lib_version() AS v")
        .get_result::<V>(conn)
        .map(|v| v.v)
        .unwrap_or_default();
    let mut s = String::new();
    let _ = writeln!(s, "## Vector tiles\n");
    let _ = writeln!(
        s,
        "{} · commit `{commit}` · {cores} × {cpu} · {pg}\n",
        chrono::Local::now().format("%Y-%m-%d %H:%M %:z")
    );
    let _ = writeln!(
        s,
        "`diachinh-tools bench-tiles --parcels {} --seconds {} --connections {} --repeats {}`: `GET /tiles/parcels/{{z}}/{{x}}/{{y}}.mvt` over {} tiles at zoom 14–17 (the tiles of random parcels), {} connections, {} s per measurement, median of {}. No `If-None-Match`: every request builds its tile.\n",
        opts.parcels, opts.seconds, opts.connections, opts.repeats, tiles.len(), opts.connections, opts.seconds, opts.repeats
    );
    let _ = writeln!(s, "| dataset | our tiles/s | p50 ms | p99 ms | pgbench TPS, tile SQL (limit) | ours / limit | pgbench TPS, stamp + tile as served |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| `{db_name}` ({parcels} parcels) | {http:.0} | {p50:.1} | {p99:.1} | {limit:.0} | {:.2} | {served:.0} |\n",
        http / limit
    );
    let _ = writeln!(s, "The tile set, per zoom (median of the first {PROFILED_PER_ZOOM} tiles of each zoom):\n");
    let _ = writeln!(s, "| zoom | tiles | median MVT bytes | median parcel versions in the envelope |");
    let _ = writeln!(s, "|---:|---:|---:|---:|");
    for (z, n, bytes, rows) in profile {
        let _ = writeln!(s, "| {z} | {n} | {bytes} | {rows} |");
    }
    let _ = writeln!(s, "\nEvery run (tiles/s · pgbench tile SQL · as served), in order:\n");
    for (k, r) in runs.iter().enumerate() {
        let _ = writeln!(
            s,
            "- [{}] http {:.0} ({} errors) · {:.0} · {:.0}",
            k + 1,
            r.http_tps,
            r.http_errors,
            r.tile_sql_tps,
            r.as_served_tps
        );
    }
    let _ = writeln!(s, "\n1-minute load average {:.1} before, {:.1} after the measurements ({cores} cores): wrk, our server, PostgreSQL and pgbench share the machine; compare ratios from one run.", load.0, load.1);
    let _ = writeln!(s, "\nDataset `{db_name}`: {load_note}. pgbench runs `-M prepared` and draws each tile from the table `bench_tiles` (one extra primary-key lookup per transaction); our server builds each tile through diesel's `sql_query` (parsed and planned every time), after the ETag stamp, in a read-only repeatable-read transaction — the *as served* column is that same work in pgbench.");
    s
}

fn write_section(path: &Path, section: &str) -> Result<()> {
    let block = format!("{SECTION_START}\n{section}{SECTION_END}\n");
    let text = match fs::read_to_string(path) {
        Ok(text) => match (text.find(SECTION_START), text.find(SECTION_END)) {
            (Some(a), Some(b)) if b > a => {
                format!("{}{block}{}", &text[..a], text[b + SECTION_END.len()..].trim_start_matches('\n'))
            }
            _ => format!("{}\n\n{block}", text.trim_end()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!("# Benchmarks\n\n{block}"),
        Err(e) => return Err(e.into()),
    };
    fs::write(path, text).with_context(|| format!("while writing {}", path.display()))
}

fn with_database(url: &str, db: &str) -> Result<String> {
    let (main, query) = url.split_once('?').map_or((url, None), |(m, q)| (m, Some(q)));
    let scheme = main.find("://").ok_or_else(|| anyhow!("database URL without a scheme"))? + 3;
    let base = main[scheme..].find('/').map_or(main, |i| &main[..scheme + i]);
    Ok(match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn scalar(conn: &mut PgConnection, sql: &str) -> Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
}

fn scalar_bind(conn: &mut PgConnection, sql: &str, value: &str) -> Result<i64> {
    Ok(diesel::sql_query(sql).bind::<Text, _>(value).get_result::<Count>(conn)?.n)
}

fn comment(conn: &mut PgConnection) -> Result<Option<String>> {
    #[derive(QueryableByName)]
    struct C {
        #[diesel(sql_type = Nullable<Text>)]
        c: Option<String>,
    }
    Ok(diesel::sql_query(
        "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()",
    )
    .get_result::<C>(conn)?
    .c)
}

fn exec(conn: &mut PgConnection, sql: &str) -> Result<()> {
    diesel::sql_query(sql).execute(conn).with_context(|| format!("while running {sql}"))?;
    Ok(())
}
