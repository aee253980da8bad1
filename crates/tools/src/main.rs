//! `diachinh-tools`: the synthetic data generator and the benchmarks. A separate binary, so
//! that nothing here is linked into the server.

mod bench;
mod bench_check;
mod bench_import;
mod bench_peers;
mod bench_scale;
mod bench_tiles;
mod deliveries;
mod harness;
mod planning_samples;
mod samples;
mod synthetic;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::Connection;

use harness::options::LoadTestOptions;

#[derive(Parser)]
#[command(name = "diachinh-tools", version, about = "diachinh's generator and benchmarks (not part of the server)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the sample parcel files (synthetic geometry) in `sample-data/parcels/`.
    SampleData {
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
    /// Add N generated parcels (synthetic geometry) to a seeded database, for benchmarks.
    SeedSynthetic {
        /// Number of synthetic parcels to generate and load.
        #[arg(long)]
        parcels: usize,
        /// Synthetic parcels per commune.
        #[arg(long, default_value_t = 5_000)]
        per_commune: usize,
    },
    /// Load-test the parcel endpoints (wrk) next to the same SQL (pgbench); needs wrk and
    /// pgbench (scripts/bench-prereqs.sh). Writes the results table to --out.
    Bench(LoadTestOptions),
    /// Load-test vector tiles: z14–z17 parcel tiles through our server (wrk) next to pgbench
    /// running the same ST_AsMVT SQL; shares `bench`'s datasets. Writes its section of --out.
    BenchTiles(LoadTestOptions),
    /// `diachinh import` of N synthetic parcels (a GeoPackage) next to a plain
    /// `ogr2ogr -f PostgreSQL` of the same file; prints the ratio.
    BenchImport(bench_import::Options),
    /// Ours next to the peers on the same database and parcels: tipg and pygeoapi (bbox pages),
    /// Martin (tiles), GDAL's ogr2ogr (a whole harvest) and pgbench; needs
    /// scripts/bench-prereqs.sh. Writes its section of --out.
    BenchPeers(bench_peers::Options),
    /// The same reads (parcel by id, bbox pages, tiles, certificate checks) at two register sizes
    /// (1,000,000 and 10,000,000 synthetic parcels, loaded through the import path), with disk
    /// per million parcels and the import's time. Writes its section of --out.
    BenchScale(bench_scale::Options),
    /// Load (or find complete) the benchmark database of `--parcels` synthetic parcels
    /// (`diachinh_bench_<N>`, or `diachinh_bench_sample` for 0) and nothing else: the slow part
    /// of a first benchmark run, on its own.
    BenchDataset {
        /// Synthetic parcels (0 = the sample data only).
        #[arg(long, default_value_t = 1_000_000)]
        parcels: usize,
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
    /// Latency of the certificate check (POST /certificate-checks) for 200-vertex requests:
    /// p50/p95/p99 from one client, req/s from several, the rules alone and the SQL alone
    /// (pgbench); shares `bench`'s datasets. Writes its section of --out.
    BenchCheck {
        /// Synthetic parcels in the large dataset (0 = sample data only).
        #[arg(long, default_value_t = 1_000_000)]
        parcels: usize,
        /// Only the large dataset, not the sample data too.
        #[arg(long)]
        no_sample: bool,
        /// Random parcels (distinct requests) per dataset.
        #[arg(long, default_value_t = 300)]
        requests: usize,
        /// Concurrent clients of the throughput run (= pgbench clients = pool size).
        #[arg(long, default_value_t = 4)]
        clients: u32,
        /// Seconds of the throughput run and of each pgbench run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The per-request access log stays out of the measurements (and the output).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,diachinh::access=warn".into()),
        )
        .init();
    match cli.command {
        Command::SampleData { dir } => {
            for path in samples::write_sample_files(&dir)? {
                println!("wrote {}", path.display());
            }
        }
        Command::SeedSynthetic { parcels, per_commune } => {
            let url = diachinh::config::owner_database_url()?;
            let mut conn = diesel::PgConnection::establish(&url).context("while connecting to the database")?;
            let started = std::time::Instant::now();
            let loaded = samples::load_synthetic(&mut conn, parcels, per_commune, |done, total| {
                let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
                eprintln!(
                    "synthetic: {done}/{total} parcels ({:.0}%), {rate:.0}/s",
                    100.0 * done as f64 / total.max(1) as f64
                );
            })?;
            println!("synthetic parcels: {loaded} in {:.1} s", started.elapsed().as_secs_f64());
        }
        Command::Bench(opts) => drop(bench::run(&opts)?),
        Command::BenchTiles(opts) => drop(bench_tiles::run(&opts)?),
        Command::BenchScale(opts) => bench_scale::run(&opts)?,
        Command::BenchImport(opts) => bench_import::run(&opts)?,
        Command::BenchPeers(opts) => bench_peers::run(&opts)?,
        Command::BenchDataset { parcels, dir } => {
            let base_url = diachinh::config::owner_database_url()?;
            let settings = diachinh::config::Config::load(None)?.settings()?;
            let spec = harness::dataset::DatasetSpec::for_parcels(parcels);
            let opened = harness::dataset::open("bench-dataset", &base_url, &spec, &dir, &settings)?;
            println!("{}: {}", spec.db_name, opened.load.describe());
        }
        Command::BenchCheck { parcels, no_sample, requests, clients, seconds, out, dir } => {
            drop(bench_check::run(&bench_check::Options {
                parcels,
                no_sample,
                requests,
                clients,
                seconds,
                out,
                sample_dir: dir,
            })?);
        }
    }
    Ok(())
}
