//! The `diachinh` command: serve, migrate, seed, manage the private cluster, users, OpenAPI.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use diachinh::service::{auth, seed, Role, Settings};
use diachinh::{config, http};

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
    /// Load reference data and the sample communes from `sample-data/` (large synthetic sets
    /// for benchmarks: `diachinh-tools seed-synthetic`).
    Seed {
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
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
        Command::Migrate => {
            let mut conn = connect()?;
            let applied = store::migrate(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
        }
        Command::Seed { dir } => {
            let mut conn = connect()?;
            store::migrate(&mut conn)?;
            let report = seed::seed(&mut conn, &Settings::from_env()?, &dir)?;
            println!(
                "seeded: {} units, {} land-use types, {} procedures, {} calendar days, {} sample parcels (synthetic geometry), {} certificates, {} sample dossiers",
                report.units, report.land_use_types, report.procedures, report.calendar_days, report.parcels, report.certificates, report.dossiers
            );
        }
        Command::User { action: UserAction::Add { username, full_name, role, province } } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role}: officer, approver, planner or admin"))?;
            let password = match std::env::var("DIACHINH_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let mut conn = connect()?;
            store::migrate(&mut conn)?;
            let id = auth::add_user(&mut conn, &username, &full_name, &password, role, province.as_deref())
                .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("user {username} created (id {id})");
        }
        Command::Serve { bind, workers } => {
            let url = config::database_url()?;
            let pool = store::pool(&url, 16)?;
            store::migrate(&mut *pool.get()?)?;
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
