//! The `diachinh` command: serve, migrate, seed, manage the private cluster, users, OpenAPI.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use diachinh::service::{auth, seed, Role, Settings};
use diachinh::{config, http, persistence};

#[derive(Parser)]
#[command(name = "diachinh", version, about = "Land-records (cadastral) database service for Vietnam")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (runs pending migrations first).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Worker threads (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load reference data and the sample communes from `sample-data/`; with --synthetic N,
    /// add N generated parcels for benchmarks.
    Seed {
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
        /// Number of synthetic parcels to generate and load.
        #[arg(long)]
        synthetic: Option<usize>,
        /// Synthetic parcels per commune.
        #[arg(long, default_value_t = 5_000)]
        per_commune: usize,
    },
    /// Regenerate the sample parcel files (synthetic geometry) in `sample-data/parcels/`.
    SampleData {
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
    /// The private PostgreSQL + PostGIS cluster under ./var/.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Load-test the parcel endpoints (wrk) next to the same SQL (pgbench); needs wrk and
    /// pgbench (scripts/bench-prereqs.sh). Writes the results table to --out.
    Bench {
        /// Synthetic parcels in the large dataset (0 = sample data only).
        #[arg(long, default_value_t = 1_000_000)]
        parcels: usize,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections (wrk connections, pgbench clients, pool size).
        #[arg(long, default_value_t = 8)]
        connections: u32,
        /// Measurements per endpoint; the median is reported.
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Markdown file for the results (the section between bench markers is replaced).
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
        /// Sample data directory.
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
    /// Load-test vector tiles: z14–z17 parcel tiles through our server (wrk) next to pgbench
    /// running the same ST_AsMVT SQL; shares `bench`'s datasets. Writes its section of --out.
    BenchTiles {
        /// Synthetic parcels in the dataset (0 = sample data only).
        #[arg(long, default_value_t = 1_000_000)]
        parcels: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 8)]
        connections: u32,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
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

#[derive(Subcommand)]
enum DbAction {
    Start,
    Stop,
    Status,
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from DIACHINH_PASSWORD or the first line of stdin.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// officer, approver, planner or admin
        #[arg(long)]
        role: String,
        /// Province code (2 digits); not for admin.
        #[arg(long)]
        province: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The bench keeps the per-request access log out of its measurements (and its output).
    let default_filter = match cli.command {
        Command::Bench { .. } | Command::BenchTiles { .. } | Command::BenchCheck { .. } => "info,actix_web::middleware::logger=warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()))
        .init();
    match cli.command {
        Command::Db { action } => {
            let cluster = config::private_cluster()?;
            match action {
                DbAction::Start => {
                    cluster.start()?;
                    println!("cluster running: {}", cluster.url(diachinh::cluster::APP_DB));
                }
                DbAction::Stop => cluster.stop()?,
                DbAction::Status => println!("{}", cluster.status()?),
            }
        }
        Command::Openapi => print!("{}", http::openapi::document_text()),
        Command::Bench { parcels, seconds, connections, repeats, out, dir } => {
            diachinh::bench::run(&diachinh::bench::Options { parcels, seconds, connections, repeats, out, sample_dir: dir })?;
        }
        Command::BenchTiles { parcels, seconds, connections, repeats, out, dir } => {
            diachinh::bench_tiles::run(&diachinh::bench_tiles::Options { parcels, seconds, connections, repeats, out, sample_dir: dir })?;
        }
        Command::BenchCheck { parcels, requests, clients, seconds, out, dir } => {
            diachinh::bench_check::run(&diachinh::bench_check::Options { parcels, requests, clients, seconds, out, sample_dir: dir })?;
        }
        Command::SampleData { dir } => {
            for path in seed::write_sample_files(&dir)? {
                println!("wrote {}", path.display());
            }
        }
        Command::Migrate => {
            let mut conn = connect()?;
            let applied = persistence::migrate(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
        }
        Command::Seed { dir, synthetic, per_commune } => {
            let mut conn = connect()?;
            persistence::migrate(&mut conn)?;
            let report = seed::seed(&mut conn, &Settings::from_env()?, &dir)?;
            println!(
                "seeded: {} units, {} land-use types, {} procedures, {} calendar days, {} sample parcels (synthetic geometry), {} certificates, {} sample dossiers",
                report.units, report.land_use_types, report.procedures, report.calendar_days, report.parcels, report.certificates, report.dossiers
            );
            if let Some(n) = synthetic {
                let started = std::time::Instant::now();
                let loaded = seed::load_synthetic(&mut conn, n, per_commune, |done, total| {
                    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    eprintln!("synthetic: {done}/{total} parcels ({:.0}%), {rate:.0}/s", 100.0 * done as f64 / total.max(1) as f64);
                })?;
                println!("synthetic parcels: {loaded} in {:.1} s", started.elapsed().as_secs_f64());
            }
        }
        Command::User { action: UserAction::Add { username, full_name, role, province } } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}: officer, approver, planner or admin"))?;
            let password = match std::env::var("DIACHINH_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let mut conn = connect()?;
            persistence::migrate(&mut conn)?;
            let id = auth::add_user(&mut conn, &username, &full_name, &password, role, province.as_deref())
                .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("user {username} created (id {id})");
        }
        Command::Serve { bind, workers } => {
            let url = config::database_url()?;
            let pool = persistence::pool(&url, 16)?;
            persistence::migrate(&mut *pool.get()?)?;
            let listener = TcpListener::bind(&bind).with_context(|| format!("while binding {bind}"))?;
            tracing::info!("serving on http://{bind}");
            let state = http::AppState { pool, settings: Settings::from_env()? };
            actix_web::rt::System::new().block_on(async move { http::serve(listener, state, workers)?.await })?;
        }
    }
    Ok(())
}

fn connect() -> anyhow::Result<diesel::PgConnection> {
    use diesel::Connection;
    let url = config::database_url()?;
    diesel::PgConnection::establish(&url).with_context(|| "while connecting to the database".to_string())
}
