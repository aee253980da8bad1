//! `diachinh-tools bench-tiles`: vector-tile throughput — parcel tiles at zoom 14–17 through our
//! server (wrk) — next to `pgbench` running the same `ST_AsMVT` SQL straight against
//! PostgreSQL (the limit). Measured, not asserted; the section goes into BENCHMARKS.md between
//! its own markers, beside the section `diachinh-tools bench` writes.
//!
//! The dataset is the one `diachinh-tools bench` uses (`diachinh_bench_<N>` on the cluster of
//! [`config::owner_database_url`], marked complete by a database comment) so the two share the
//! million-parcel load; a missing one is loaded the same way.
//!
//! The tile set: for each zoom 14–17, the tiles holding [`PARCELS_PER_ZOOM`] random current
//! parcels (seeded, so the same database gives the same set), duplicates dropped. wrk sends
//! no `If-None-Match`, so every request builds its tile: the worst case (a revalidation is one
//! index scan, the stamp). Two pgbench scripts, `-M prepared`, each drawing a tile of the set
//! from the table `bench_tiles` with `\gset`:
//! - **tile SQL** — `store::tiles::sql(Parcels)` alone: the limit;
//! - **as served** — what a request runs: one call of the layer's tile function (migration
//!   000018, `store::tiles::call_sql`), the ETag stamp and the tile from one snapshot, with
//!   no stamp held by the client (as wrk sends it).

use std::fmt::Write as _;

use anyhow::Result;
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, BigInt, Double, Integer};
use diesel::{QueryableByName, RunQueryDsl};

use diachinh::config;
use diachinh::service::Settings;
use domain::tiles::{Layer, TileCoord};

use crate::harness::dataset::{self, count_current_parcels, DatasetSpec, LoadInfo};
use crate::harness::db::{exec, with_fixed_seed};
use crate::harness::machine::{load_average, Facts};
use crate::harness::options::LoadTestOptions;
use crate::harness::pgbench::{PgMode, Pgbench, PgbenchInput, GENERIC_PLAN};
use crate::harness::process::WorkDir;
use crate::harness::report;
use crate::harness::server::BenchServer;
use crate::harness::stats::median_of;
use crate::harness::wrk::{Wrk, WARM_UP_SECONDS};

/// The benchmark's name: its messages' prefix.
const WHO: &str = "bench-tiles";

pub(crate) const ZOOMS: [u8; 4] = [14, 15, 16, 17];
/// Random parcels whose tiles enter the set, per zoom.
const PARCELS_PER_ZOOM: i64 = 250;
/// Tiles per zoom whose size and feature count the report lists.
const PROFILED_PER_ZOOM: usize = 25;

/// Runs the tile benchmark and writes its section of the report.
/// Runs the benchmark, writes its section of `opts.out`, and returns the median p50.
pub fn run(opts: &LoadTestOptions) -> Result<Vec<report::Latency>> {
    opts.validate()?;
    let (wrk, pgbench) = (Wrk::find()?, Pgbench::find()?);
    let base_url = config::owner_database_url()?;
    let settings = diachinh::config::Config::load(None)?.settings()?;
    let spec = DatasetSpec::for_parcels(opts.parcels);
    let db_name = spec.db_name.as_str();
    let dataset::OpenDataset { url, mut conn, load } =
        dataset::open(WHO, &base_url, &spec, &opts.sample_dir, &settings)?;
    let load_note = match load {
        LoadInfo::Loaded { comment, .. } => format!("loaded ({comment})"),
        LoadInfo::Reused { comment } => format!("reused ({comment})"),
    };
    let parcels = count_current_parcels(&mut conn)?;
    let tiles = draw_tiles(&mut conn)?;
    let profile = profile_tiles(&mut conn, &tiles)?;
    // Ends the session and its load lock before measuring.
    drop(conn);
    eprintln!("bench-tiles: {db_name}: {parcels} current parcels, {} tiles in the set", tiles.len());

    let work = WorkDir::create(WHO)?;
    let load_before = load_average();
    let runs = measure(&url, &tiles, opts, &settings, &wrk, &pgbench, &work)?;
    drop(work);
    let load = (load_before, load_average());

    let facts = Facts::collect(&base_url);
    let section = render(opts, &facts, db_name, parcels, &load_note, &tiles, &profile, &runs, load);
    report::publish(WHO, &opts.out, report::BENCH_TILES, &section)?;
    Ok(vec![report::Latency {
        dataset: db_name.to_string(),
        what: "MVT tile z14–17".into(),
        p50_ms: median_of(&runs, |r| r.p50_ms),
    }])
}

/// The tile set, also written to the table `bench_tiles(i, z, x, y)` for pgbench.
pub(crate) fn draw_tiles(conn: &mut PgConnection) -> Result<Vec<TileCoord>> {
    #[derive(QueryableByName)]
    struct P {
        #[diesel(sql_type = Double)]
        lon: f64,
        #[diesel(sql_type = Double)]
        lat: f64,
    }
    let points: Vec<P> = with_fixed_seed(conn, 0.5, |conn| {
        Ok(diesel::sql_query(
            "WITH pick AS (SELECT id, random() AS k FROM parcel_versions WHERE valid_to IS NULL ORDER BY k LIMIT $1) \
             SELECT ST_X(s.pt) AS lon, ST_Y(s.pt) AS lat FROM pick JOIN parcel_versions v ON v.id = pick.id \
             CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.geom) AS pt) s ORDER BY pick.k",
        )
        .bind::<BigInt, _>(PARCELS_PER_ZOOM * ZOOMS.len() as i64)
        .load(conn)?)
    })?;
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
    opts: &LoadTestOptions,
    settings: &Settings,
    wrk: &Wrk,
    pgbench: &Pgbench,
    work: &WorkDir,
) -> Result<Vec<Round>> {
    let paths: Vec<String> = tiles.iter().map(|t| format!("/tiles/parcels/{}/{}/{}.mvt", t.z, t.x, t.y)).collect();
    let lua = Wrk::write_script(work, "tiles", &paths)?;
    let draw = format!("\\set i random(1, {})\nSELECT z, x, y FROM bench_tiles WHERE i = :i \\gset\n", tiles.len());
    let params = |sql: &str| strip_comments(sql).replace("$1", ":z").replace("$2", ":x").replace("$3", ":y");
    let tile_sql = work.write("tile.sql", &format!("{draw}{};\n", params(store::tiles::sql(Layer::Parcels))))?;
    // No If-None-Match: no stamp known, `$4` an empty array.
    let call = params(store::tiles::call_sql(Layer::Parcels)).replace("$4", "'{}'");
    let as_served = work.write("as-served.sql", &format!("{draw}{};\n", call.trim()))?;
    // Planned as `parcel_tile()` plans it.
    let tile_sql = PgbenchInput { options: GENERIC_PLAN.into(), ..PgbenchInput::script(PgMode::Prepared, tile_sql) };
    let as_served = PgbenchInput::script(PgMode::Prepared, as_served);

    BenchServer::serve_while(WHO, url, opts.connections, settings.clone(), |addr| {
        wrk.run(work, &lua, addr, opts.connections, WARM_UP_SECONDS)?;
        let mut rounds = Vec::new();
        for round in 1..=opts.repeats {
            let w = wrk.run(work, &lua, addr, opts.connections, opts.seconds)?;
            let tile_sql_tps = pgbench.run(work, &tile_sql, url, opts.connections, opts.seconds)?.tps;
            let as_served_tps = pgbench.run(work, &as_served, url, opts.connections, opts.seconds)?.tps;
            let r = Round {
                http_tps: w.rps(),
                p50_ms: w.p50_us / 1e3,
                p99_ms: w.p99_us / 1e3,
                http_errors: w.errors(),
                tile_sql_tps,
                as_served_tps,
            };
            eprintln!(
                "bench-tiles [{round}/{}]: http {:.0} tiles/s (p50 {:.1} ms, p99 {:.1} ms, {} errors) · pgbench tile SQL {:.0} tps · as served {:.0} tps",
                opts.repeats, r.http_tps, r.p50_ms, r.p99_ms, r.http_errors, r.tile_sql_tps, r.as_served_tps
            );
            rounds.push(r);
        }
        Ok(rounds)
    })
}

pub(crate) fn strip_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(clippy::too_many_arguments)]
fn render(
    opts: &LoadTestOptions,
    facts: &Facts,
    db_name: &str,
    parcels: i64,
    load_note: &str,
    tiles: &[TileCoord],
    profile: &[(u8, usize, usize, i64)],
    runs: &[Round],
    load: (f64, f64),
) -> String {
    let http = median_of(runs, |r| r.http_tps);
    let limit = median_of(runs, |r| r.tile_sql_tps);
    let served = median_of(runs, |r| r.as_served_tps);
    let p50 = median_of(runs, |r| r.p50_ms);
    let p99 = median_of(runs, |r| r.p99_ms);
    let cores = facts.cores;
    let mut s = String::new();
    let _ = writeln!(s, "## Vector tiles\n");
    let _ = writeln!(s, "{} · commit `{}` · {cores} × {} · {}\n", facts.date, facts.commit, facts.cpu, facts.postgres);
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
    let _ = writeln!(s, "\nDataset `{db_name}`: {load_note}. pgbench runs `-M prepared` and draws each tile from the table `bench_tiles` (one extra primary-key lookup per transaction); our server sends one prepared statement per tile, the call of `parcel_tile` (the ETag stamp, then the tile, from one snapshot) — the *as served* column is that same call in pgbench.");
    s
}
