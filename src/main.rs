//! The `diachinh` command: serve, migrate, seed, manage the private cluster, users, OpenAPI.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use diachinh::config::{Config, Embedded};
use diachinh::http;
use diachinh::service::{auth, imports, seed, Role};
use diesel::Connection;
use domain::import::Mode;

#[derive(Parser)]
#[command(name = "diachinh", version, about = "Land-records (cadastral) database service for Vietnam")]
struct Cli {
    /// Configuration file (TOML); default DIACHINH_CONFIG, else ./diachinh.toml if present.
    /// The environment overrides it; `diachinh config` prints the result.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
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
        /// Development: without a configured database URL, use (and start) the private
        /// cluster under ./var/. Without it, `serve` refuses to run with no database URL.
        #[arg(long)]
        dev: bool,
    },
    /// Print the effective configuration (file + environment) as TOML, passwords masked.
    Config,
    /// Apply pending database migrations.
    Migrate,
    /// Load reference data and the sample communes from `sample-data/` (large synthetic sets
    /// for benchmarks: `diachinh-tools seed-synthetic`).
    Seed {
        #[arg(long, default_value = "sample-data")]
        dir: PathBuf,
    },
    /// Import a survey delivery (any vector format GDAL reads: GeoPackage, Shapefile or a .zip
    /// of one, DXF, …) into a commune: every feature checked as `POST /parcels` checks one, the
    /// good ones registered, the rejected ones written with their reasons to a GeoPackage.
    Import {
        /// The delivery.
        file: PathBuf,
        /// The commune (5 digits, in force).
        #[arg(long)]
        commune: String,
        /// The source CRS: a VN-2000 TM-3 zone (EPSG:9209, or the code alone), EPSG:4326, or
        /// `auto` (read from the file's .prj or GeoPackage srs).
        #[arg(long, default_value = "auto")]
        crs: String,
        /// Field mapping over the defaults, e.g. `sheet=SoTo,parcel=SoThua,land_use=LoaiDat,area=DienTich,address=DiaChi`.
        #[arg(long)]
        map: Option<String>,
        /// One rejected feature and nothing is loaded (default: the good features are loaded).
        #[arg(long)]
        all_or_nothing: bool,
        /// Where to write the rejected features (default: FILE's name + `-rejected.gpkg`, here).
        #[arg(long)]
        rejected: Option<PathBuf>,
        /// Mark the parcels as generated data (benchmarks, tests), never a survey.
        #[arg(long)]
        synthetic: bool,
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
    /// The hash-chained audit log: recompute it, seal its head outside the database.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Province federation over logical replication (docs/FEDERATION.md): a province's node
    /// publishes its register, the national node subscribes to every province.
    Federation {
        #[command(subcommand)]
        action: FederationAction,
    },
}

#[derive(Subcommand)]
enum FederationAction {
    /// Make the (new, empty) database the node `[federation]` describes (mode, province):
    /// migrate, load the reference data every node shares, then set the scope (the province's
    /// guards and id ranges, or the national node's read-only guards). Before any account.
    Init {
        #[arg(long, default_value = "sample-data")]
        seed_dir: PathBuf,
    },
    /// Province: publish the register (publication `diachinh_<code>`) and make the login the
    /// national node subscribes as; its password from DIACHINH_FEDERATION_PASSWORD or stdin.
    Publish {
        #[arg(long, default_value = "diachinh_federation")]
        login: String,
    },
    /// National: subscribe to a province's publication (or refresh the subscription after a
    /// migration added tables). The URL names the province's database as the publish login.
    Subscribe {
        /// The province's 2-digit code.
        #[arg(long)]
        province: String,
        /// e.g. postgres://diachinh_federation:…@province-92.example:5432/diachinh
        #[arg(long)]
        url: String,
    },
    /// The node's scope, publications, replication slots and subscriptions, as JSON.
    Status,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Recompute every hash and link in Rust and check the newest seal; exits non-zero naming
    /// the first bad entry.
    Verify {
        /// Directory of the seals (one signed JSON file each).
        #[arg(long, default_value = "var/audit-seals")]
        seal_dir: PathBuf,
    },
    /// Verify, then sign the chain's head (id, hash, time) with `{key_dir}/audit.ed25519` and
    /// write it as a new file under the seal directory.
    Seal {
        #[arg(long, default_value = "var/audit-seals")]
        seal_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum DbAction {
    Start,
    Stop,
    Status,
    /// Create or update the login the service connects as (a member of `diachinh_app`, owning
    /// nothing) and apply the service's grants, connected as the owner (DATABASE_OWNER_URL or
    /// DATABASE_URL). The password is read from DIACHINH_SERVICE_PASSWORD or stdin. Then run
    /// `serve` with DATABASE_URL naming that login and DATABASE_OWNER_URL the owner.
    Roles {
        #[arg(long, default_value = diachinh::cluster::SERVICE_ROLE)]
        login: String,
    },
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
    /// Deactivate an account: it can no longer sign in, and every token it holds is revoked
    /// (audited as `user.deactivate`).
    Deactivate {
        #[arg(long)]
        username: String,
    },
    /// Set a new password (from DIACHINH_PASSWORD or the first line of stdin), revoke every
    /// token of the account and forget its failed sign-ins (audited as `user.reset_password`,
    /// without the password). A deactivated account stays deactivated.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config => print!("{}", cfg.to_toml()),
        Command::Db { action } => {
            let cluster = cfg.private_cluster();
            match action {
                DbAction::Start => {
                    cluster.start()?;
                    println!("cluster running: {}", cluster.display_url(diachinh::cluster::APP_DB));
                }
                DbAction::Stop => cluster.stop()?,
                DbAction::Roles { login } => {
                    let password = read_secret("DIACHINH_SERVICE_PASSWORD")?;
                    let mut conn = connect(&cfg)?;
                    store::migrate(&mut conn)?;
                    store::roles::ensure_login(&mut conn, &login, &password)?;
                    println!("login {login} ready with the service's grants (member of {})", store::roles::APP_GROUP);
                }
                DbAction::Status => println!("{}", cluster.status()?),
            }
        }
        Command::Openapi => print!("{}", http::openapi::document_text()),
        Command::Audit { action } => audit(&cfg, action)?,
        Command::Federation { action } => federation(&cfg, action)?,
        Command::Migrate => {
            let mut conn = connect(&cfg)?;
            let applied = store::migrate(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
        }
        Command::Seed { dir } => {
            let mut conn = connect(&cfg)?;
            store::migrate(&mut conn)?;
            let report = seed::seed(&mut conn, &cfg.settings()?, &dir)?;
            println!(
                "seeded: {} units, {} land-use types, {} procedures, {} calendar days, {} sample parcels (synthetic geometry), {} certificates, {} sample dossiers",
                report.units, report.land_use_types, report.procedures, report.calendar_days, report.parcels, report.certificates, report.dossiers
            );
        }
        Command::Import { file, commune, crs, map, all_or_nothing, rejected, synthetic } => {
            let mode = if all_or_nothing { Mode::AllOrNothing } else { Mode::LoadValid };
            let req = imports::ImportRequest {
                commune,
                crs: Some(crs),
                map,
                mode,
                synthetic,
                source_name: file
                    .file_name()
                    .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into()),
            };
            import(&cfg, &file, &req, rejected)?;
        }
        Command::User { action: UserAction::Add { username, full_name, role, province } } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role}: officer, approver, planner or admin"))?;
            let password = read_secret("DIACHINH_PASSWORD")?;
            let mut conn = connect(&cfg)?;
            store::migrate(&mut conn)?;
            let id = auth::add_user(&mut conn, &username, &full_name, &password, role, province.as_deref())
                .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("user {username} created (id {id})");
        }
        Command::User { action: UserAction::Deactivate { username } } => {
            let mut conn = connect(&cfg)?;
            store::migrate(&mut conn)?;
            let revoked = auth::deactivate_user(&mut conn, &username).map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("user {username} deactivated ({revoked} token(s) revoked)");
        }
        Command::User { action: UserAction::ResetPassword { username } } => {
            let password = read_secret("DIACHINH_PASSWORD")?;
            let mut conn = connect(&cfg)?;
            store::migrate(&mut conn)?;
            let revoked =
                auth::reset_password(&mut conn, &username, &password).map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("password of {username} reset ({revoked} token(s) revoked)");
        }
        Command::Serve { bind, workers, dev } => {
            let embedded = if dev { Embedded::Allowed } else { Embedded::Refused };
            // Migrate as the owner, then serve as the login that owns nothing.
            let mut owner = diesel::PgConnection::establish(&cfg.owner_database_url(embedded)?)
                .context("while connecting to the database as its owner")?;
            store::migrate(&mut owner)?;
            diachinh::service::federation::ensure(&mut owner, &cfg.federation_scope()?)?;
            // Imports that were running when the last server (or a command-line import) stopped.
            match diachinh::service::imports::sweep_interrupted(&mut owner) {
                Ok(ids) if !ids.is_empty() => {
                    tracing::warn!(imports = ?ids, "imports interrupted by a stop: marked failed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not look for interrupted imports"),
            }
            drop(owner);
            let pool = store::pool(&cfg.service_database_url(embedded)?, 16)?;
            let listener = TcpListener::bind(&bind).with_context(|| format!("while binding {bind}"))?;
            tracing::info!("serving on http://{bind}");
            // Replicas are optional: one that is down now is tried again later (public reads
            // then run on the primary).
            let replicas = store::Replicas::connect(&cfg.database_replica_urls, 16);
            if !replicas.is_empty() {
                tracing::info!("anonymous public reads go to {} read replica(s)", replicas.len());
            }
            let state = http::AppState { pool, replicas, settings: cfg.settings()? };
            actix_web::rt::System::new().block_on(async move { http::serve(listener, state, workers)?.await })?;
        }
    }
    Ok(())
}

/// `diachinh audit verify|seal`: a short report; a broken chain is an error naming its first bad entry.
fn audit(cfg: &Config, action: AuditAction) -> anyhow::Result<()> {
    use diachinh::service::audit;
    let key_dir = cfg.settings()?.key_dir;
    let mut conn = connect(cfg)?;
    match action {
        AuditAction::Seal { seal_dir } => {
            let (path, seal) = audit::seal(&mut conn, &key_dir, &seal_dir, chrono::Utc::now())?;
            println!(
                "sealed entry {} ({} entries), hash {}, at {}, key {}\n  {}",
                seal.head_id,
                seal.entries,
                seal.head_hash,
                seal.sealed_at,
                seal.key_id,
                path.display()
            );
        }
        AuditAction::Verify { seal_dir } => {
            let checked = audit::verify_sealed(&mut conn, &key_dir, &seal_dir)?;
            let v = &checked.verification;
            match &checked.seal {
                Some((path, s)) => println!(
                    "newest seal: entry {} hash {} sealed at {} ({})",
                    s.head_id,
                    s.head_hash,
                    s.sealed_at,
                    path.display()
                ),
                None => {
                    println!("no seal under {}: a removed tail is caught only by the chain head", seal_dir.display())
                }
            }
            if let Some(bad) = &v.first_bad {
                println!("BROKEN after {} good entries", v.entries);
                eprintln!("the audit chain is broken at entry {}: {}", bad.id, bad.problem);
                std::process::exit(1);
            }
            println!(
                "audit chain intact: {} entries, head entry {} hash {}",
                v.entries,
                v.head_id.map_or("-".into(), |id| id.to_string()),
                v.head_hash.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}

/// `diachinh federation …`, as the database's owner.
fn federation(cfg: &Config, action: FederationAction) -> anyhow::Result<()> {
    use diachinh::service::federation;
    let mut conn = connect(cfg)?;
    match action {
        FederationAction::Init { seed_dir } => {
            store::migrate(&mut conn)?;
            let node = federation::init(&mut conn, &cfg.federation_scope()?, &seed_dir)?;
            println!(
                "this database is the {} node (schema {}, reference data {})",
                node.scope,
                node.schema_version.as_deref().unwrap_or("-"),
                node.reference_fingerprint
            );
        }
        FederationAction::Publish { login } => {
            let password = read_secret("DIACHINH_FEDERATION_PASSWORD")?;
            let tables = federation::publish(&mut conn, &login, &password)?;
            println!("published {} tables; the national node subscribes as {login}", tables.len());
        }
        FederationAction::Subscribe { province, url } => {
            federation::subscribe(&mut conn, &province, &url)?;
            println!("subscribed to province {province}: `diachinh federation status` shows its progress");
        }
        FederationAction::Status => {
            println!("{}", serde_json::to_string_pretty(&federation::status(&mut conn)?)?);
        }
    }
    Ok(())
}

/// A password from the environment variable `var`, else the first line of stdin.
fn read_secret(var: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(!line.is_empty(), "no password: set {var} or write it on stdin");
    Ok(line)
}

/// One connection for the CLI's own work (migrate, seed, users): the configured database, or
/// the private cluster on a developer's machine.
fn connect(cfg: &Config) -> anyhow::Result<diesel::PgConnection> {
    let url = cfg.owner_database_url(Embedded::Allowed)?;
    diesel::PgConnection::establish(&url).with_context(|| "while connecting to the database".to_string())
}

/// `diachinh import`: as the database's owner, recorded as `cli:<user>`; a progress line on
/// stderr; exits non-zero when the file cannot be imported at all.
fn import(
    cfg: &Config,
    file: &std::path::Path,
    req: &imports::ImportRequest,
    rejected: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut conn = connect(cfg)?;
    store::migrate(&mut conn)?;
    let who = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let requester = imports::Requester::Command(&who);
    let fail = |e: diachinh::service::Error| anyhow::anyhow!("import refused: {}", imports::describe(&e));
    let prepared = imports::prepare(&mut conn, requester, req, file).map_err(fail)?;
    let job = imports::queue(&mut conn, requester, &prepared).map_err(fail)?;
    let stem = file.file_stem().map_or_else(|| "import".into(), |s| s.to_string_lossy().to_string());
    let out = rejected.unwrap_or_else(|| PathBuf::from(format!("{stem}-rejected.gpkg")));
    eprintln!(
        "import {job}: {} layer '{}' ({} features) into commune {} as {}, fields {}",
        file.display(),
        prepared.source.layer,
        prepared.source.feature_count.map_or("?".into(), |n| n.to_string()),
        prepared.commune.code,
        prepared.crs.uri(),
        prepared.map.to_json()
    );
    let mut progress = TerminalProgress { started: std::time::Instant::now() };
    let settings = cfg.settings()?;
    let o = imports::run(&mut conn, &settings, requester, job, &prepared, Some(&out), &mut progress).map_err(fail)?;
    eprintln!();
    let codes: Vec<String> = o.rejected_by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!(
        "import {job}: {} features read, {} parcels loaded, {} rejected{}{}",
        o.read,
        o.loaded,
        o.rejected,
        if codes.is_empty() { String::new() } else { format!(" ({})", codes.join(", ")) },
        if o.loaded == 0 && o.rejected > 0 && req.mode == Mode::AllOrNothing {
            "; all-or-nothing: nothing loaded"
        } else {
            ""
        }
    );
    if let Some(path) = &o.rejected_file {
        println!("rejected features: {}", path.display());
    }
    if let Some(id) = o.audit_id {
        println!("audit entry {id}: parcel ids {:?}", o.parcel_ids);
    }
    Ok(())
}

/// One progress line on stderr, rewritten at most five times a second.
struct TerminalProgress {
    started: std::time::Instant,
}

impl imports::ProgressSink for TerminalProgress {
    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(200)
    }
    fn report(&mut self, u: &imports::ProgressUpdate) {
        let seconds = self.started.elapsed().as_secs_f64();
        let of = u.total.map(|t| format!("/{t}")).unwrap_or_default();
        let rate = u.counts.read as f64 / seconds.max(1e-3);
        eprint!(
            "\r{:<9} read {}{of}  validated {}  loaded {}  rejected {}  {:.0}/s  {:.1} s   ",
            u.phase, u.counts.read, u.counts.validated, u.counts.loaded, u.counts.rejected, rate, seconds
        );
    }
}
