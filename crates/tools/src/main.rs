//! `diachinh-tools`: the synthetic data generator and the benchmarks. A separate binary, so
//! that nothing here is linked into the server.

mod bench;
mod bench_check;
mod bench_tiles;
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
    /// Latency of the certificate check (POST /certificate-checks) for 200-vertex requests:
    /// p50/p95/p99 from one client, req/s from several, the rules alone and the SQL alone
    /// (pgbench); shares `bench`'s datasets. Writes its section of --out.
    BenchCheck {
        /// Synthetic parcels in the large dataset (0 = sample data only).
        #[arg(long, default_value_t = 1_000_000)]
        parcels: usize,
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
        Command::Bench(opts) => bench::run(&opts)?,
        Command::BenchTiles(opts) => bench_tiles::run(&opts)?,
        Command::BenchCheck { parcels, requests, clients, seconds, out, dir } => {
            bench_check::run(&bench_check::Options { parcels, requests, clients, seconds, out, sample_dir: dir })?;
        }
    }
    Ok(())
}
