//! `diachinh-tools bench-peers`: our server next to the servers a planning office would run
//! instead, on the same PostgreSQL, the same database and the same parcels, in one run:
//!
//! - **OGC API Features** — tipg and pygeoapi (each with gunicorn, two workers, its documented
//!   production settings) serving `bench_peer_parcels`, a view of the current parcels with the
//!   same properties as our `/collections/parcels/items`; the same list of bbox pages of 100
//!   (`bench`'s list: ~200 m boxes around random parcels, fixed seed) through wrk, interleaved
//!   with ours and with pgbench running our page statement prepared.
//! - **Vector tiles** — Martin (cache off) serving `bench_martin_parcels(z, x, y)`, a function
//!   source around our own tile function `parcel_tile` (migration 000018), so both servers
//!   send the same tile SQL and return the same bytes (checked tile by tile: feature counts
//!   and bytes); and the same Martin serving `bench_martin_layer`, a view of the current
//!   parcels with our zoom-17 tile properties, as a table source (tile SQL of Martin's own
//!   making: what an office pointing Martin at its data would run; feature counts checked);
//!   `bench-tiles`' tile list through wrk, interleaved with ours and pgbench.
//! - **GDAL** — `ogr2ogr` harvesting the whole `parcels` collection through our OGC API
//!   (`OAPIF:`, our maximum page size) versus `ogr2ogr` reading the view straight from PostGIS
//!   (`PG:`), to the same format; and, to see where the harvest's time goes, the same pages
//!   fetched by a plain HTTP client (no GDAL) and read through the store alone (no HTTP).
//!
//! The peers are installed by scripts/bench-prereqs.sh under `var/bench/` (pinned versions);
//! every peer listens on 127.0.0.1 only and is stopped (its whole process group) at the end.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use diesel::pg::PgConnection;

use diachinh::config;
use domain::tiles::{Layer, TileCoord};

use crate::bench::{self, Endpoint, Sample, PAGE_LIMIT};
use crate::bench_tiles;
use crate::harness::dataset::{self, count_current_parcels, DatasetSpec};
use crate::harness::db::{exec, url_with_database};
use crate::harness::http::Client;
use crate::harness::machine::{load_average, wait_for_quiet_machine, Facts};
use crate::harness::peers::{free_port, DbParts, PeerInstall, PeerServer};
use crate::harness::pgbench::{self, PgMode, Pgbench, PgbenchInput};
use crate::harness::process::{find_on_path, run_bounded, WorkDir};
use crate::harness::report;
use crate::harness::server::BenchServer;
use crate::harness::stats::{median, thousands};
use crate::harness::wrk::{Wrk, WrkRun, WARM_UP_SECONDS};

/// The benchmark's name: its messages' prefix.
const WHO: &str = "bench-peers";
/// The view the OGC peers serve and GDAL reads straight from PostGIS.
const VIEW: &str = "bench_peer_parcels";
/// The function source Martin serves.
const MARTIN_FUNCTION: &str = "bench_martin_parcels";
/// The view Martin also serves as a table source, with SQL of its own making.
const MARTIN_TABLE: &str = "bench_martin_layer";
/// pygeoapi's collection id.
const PYGEOAPI_COLLECTION: &str = "parcels";
/// Bound of a peer's start-up (tipg and pygeoapi read the catalogue first).
const START_LIMIT: Duration = Duration::from_secs(180);
/// Bound of one ogr2ogr harvest.
const HARVEST_LIMIT: Duration = Duration::from_secs(1_800);
/// Bound of the plain-HTTP and store-only harvests (pages).
const MAX_HARVEST_PAGES: usize = 100_000;

/// What `diachinh-tools bench-peers` was asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Synthetic parcels in the dataset (0 = sample data only).
    #[arg(long, default_value_t = 1_000_000)]
    pub parcels: usize,
    /// Seconds per wrk and pgbench measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent connections (wrk), clients (pgbench), our pool and Martin's pool.
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// Measurements per server; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Worker processes of tipg's and pygeoapi's gunicorn, and Martin's workers.
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// Page size of the GDAL harvest through our OGC API (our maximum `limit`).
    #[arg(long, default_value_t = 10_000)]
    pub harvest_page_size: i64,
    /// Skip the GDAL harvests (minutes at 1,000,000 parcels).
    #[arg(long)]
    pub no_harvest: bool,
    /// Boxes whose pages are compared across ours, tipg and pygeoapi before the load.
    #[arg(long, default_value_t = 100)]
    pub compared_boxes: usize,
    /// Where scripts/bench-prereqs.sh installed the peers.
    #[arg(long, default_value = "var/bench")]
    pub peers_dir: PathBuf,
    /// Markdown file for the results (only this command's section is replaced).
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// Sample data directory.
    #[arg(long = "dir", value_name = "DIR", default_value = "sample-data")]
    pub sample_dir: PathBuf,
}

impl Options {
    fn validate(&self) -> Result<()> {
        if !(1..=3_600).contains(&self.seconds) {
            bail!("--seconds must be between 1 and 3600");
        }
        if !(1..=64).contains(&self.connections) {
            bail!("--connections must be between 1 and 64 (four servers share the cluster's 200 connections)");
        }
        if !(1..=25).contains(&self.repeats) {
            bail!("--repeats must be between 1 and 25");
        }
        if !(1..=8).contains(&self.workers) {
            bail!("--workers must be between 1 and 8");
        }
        if !(1..=10_000).contains(&self.harvest_page_size) {
            bail!("--harvest-page-size must be between 1 and 10000 (our maximum limit)");
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The SQL objects the peers serve

/// The current parcels with the properties of our `/collections/parcels/items` (same names,
/// same values; `land_uses` as the same JSON array) and the geometry. Land uses are matched on
/// the province too, as our own statements do, so each peer reads one partition of them.
fn view_sql() -> String {
    format!(
        "CREATE OR REPLACE VIEW {VIEW} AS \
         SELECT p.national_id, p.province_code, c.code AS commune_code, c.name AS commune_name, \
                rc.code AS registered_commune_code, v.sheet_no AS sheet, v.parcel_no AS parcel, \
                v.legal_area_m2::float8 AS legal_area_m2, \
                (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2, \
                                                            'use_until', lu.use_until) \
                                          ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]') \
                   FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id \
                                                    AND lu.province_code = v.province_code) AS land_uses, \
                v.address, v.version, v.valid_from, v.valid_to, \
                'http://www.opengis.net/def/crs/EPSG/0/' || v.source_crs_epsg AS source_crs, \
                v.is_synthetic AS synthetic, v.geom \
           FROM parcel_versions v \
           JOIN parcels p ON p.id = v.parcel_id \
           JOIN admin_units c ON c.id = v.commune_id \
           JOIN admin_units rc ON rc.id = v.registered_commune_id \
          WHERE v.valid_to IS NULL"
    )
}

/// Martin's table source: the current parcels with the properties our tile carries at zoom 17
/// (a table source has one set of properties at every zoom), the geometry in 4326 as stored.
/// What a planning office would point Martin at, letting Martin write the tile SQL.
fn martin_layer_sql() -> String {
    format!(
        "CREATE OR REPLACE VIEW {MARTIN_TABLE} AS \
         SELECT v.parcel_id AS fid, p.national_id, \
                (SELECT lu.land_use_code FROM parcel_land_uses lu \
                  WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code \
                  ORDER BY lu.area_m2 DESC, lu.land_use_code LIMIT 1) AS land_use, \
                c.code AS commune, v.sheet_no AS sheet, v.parcel_no AS parcel, v.legal_area_m2::float8 AS area_m2, v.geom \
           FROM parcel_versions v \
           JOIN parcels p ON p.id = v.parcel_id \
           JOIN admin_units c ON c.id = v.commune_id \
          WHERE v.valid_to IS NULL"
    )
}

/// Martin's function source: our tile function, as a `(z, x, y) RETURNS bytea` Martin
/// publishes. The same statement our server sends (no client stamp), so the same work in the
/// database and the same bytes.
fn martin_function_sql() -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {MARTIN_FUNCTION}(z integer, x integer, y integer) RETURNS bytea \
         LANGUAGE sql STABLE PARALLEL SAFE AS \
         $$ SELECT coalesce(t.mvt, ''::bytea) FROM parcel_tile(z, x, y, '{{}}'::text[]) AS t $$"
    )
}

// ---------------------------------------------------------------------------------------

/// Runs the side-by-side benchmark and writes its section of the report.
pub fn run(opts: &Options) -> Result<()> {
    opts.validate()?;
    let wrk = Wrk::find()?;
    let pgbench = Pgbench::find()?;
    let install = PeerInstall::find(&opts.peers_dir)?;
    let ogr2ogr = find_on_path("ogr2ogr");
    if ogr2ogr.is_none() && !opts.no_harvest {
        bail!("ogr2ogr is not installed: install gdal-bin (scripts/bench-prereqs.sh), or pass --no-harvest");
    }
    let base_url = config::owner_database_url()?;
    let settings = config::Config::load(None)?.settings()?;
    let spec = DatasetSpec::for_parcels(opts.parcels);
    let versions = Versions::collect(&install);

    let dataset::OpenDataset { url, mut conn, load } =
        dataset::open(WHO, &base_url, &spec, &opts.sample_dir, &settings)?;
    exec(&mut conn, &view_sql())?;
    exec(&mut conn, &martin_function_sql())?;
    exec(&mut conn, &martin_layer_sql())?;
    let parcels = count_current_parcels(&mut conn)?;
    let samples = bench::draw_samples(&mut conn)?;
    if samples.is_empty() {
        bail!("{} has no current parcels to request", spec.db_name);
    }
    bench::write_params_table(&mut conn, &samples)?;
    let tiles = bench_tiles::draw_tiles(&mut conn)?;
    // Ends the session and its load lock before measuring.
    drop(conn);
    eprintln!("{WHO}: {}: {parcels} current parcels, {} boxes, {} tiles", spec.db_name, samples.len(), tiles.len());

    let work = WorkDir::create(WHO)?;
    let db = DbParts::parse(&url_with_database(&base_url, &spec.db_name)?)?;
    wait_for_quiet_machine(WHO);
    let load_before = load_average();
    let ours = BenchServer::start(WHO, &url, opts.connections, settings.clone())?;
    let outcome = (|| -> Result<(Measured, Option<Harvest>)> {
        let measured = {
            let mut tipg = start_tipg(&install, &work, &url, opts)?;
            let mut pygeoapi = start_pygeoapi(&install, &work, &db, opts)?;
            let mut martin = start_martin(&install, &work, &url, opts)?;
            let servers = Servers { ours: ours.addr, tipg: tipg.addr, pygeoapi: pygeoapi.addr, martin: martin.addr };
            let result = measure(&servers, &samples, &tiles, &url, opts, &wrk, &pgbench, &work);
            for peer in [&mut tipg, &mut pygeoapi, &mut martin] {
                peer.stop();
            }
            result?
        };
        let harvest = match (&ogr2ogr, opts.no_harvest) {
            (Some(ogr2ogr), false) => Some(harvest(ogr2ogr, ours.addr, &url, &db, opts, &work)?),
            _ => None,
        };
        Ok((measured, harvest))
    })();
    ours.stop();
    let (measured, harvest) = outcome?;
    let load_after = load_average();

    let facts = Facts::collect(&base_url);
    let context = ReportContext {
        opts,
        facts: &facts,
        db_name: &spec.db_name,
        parcels,
        load: load.describe(),
        versions: &versions,
        boxes: samples.len(),
        tiles: tiles.len(),
        load_average: (load_before, load_after),
    };
    let section = render(&context, &measured, harvest.as_ref());
    report::publish(WHO, &opts.out, report::BENCH_PEERS, &section)?;
    Ok(())
}

/// The peers' versions, as installed.
struct Versions {
    martin: String,
    tipg: String,
    pygeoapi: String,
    gunicorn: String,
    uvicorn: String,
    gdal: String,
}

impl Versions {
    fn collect(install: &PeerInstall) -> Versions {
        let gdal = Command::new("ogr2ogr")
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().trim_start_matches("GDAL ").to_string())
            .and_then(|v| v.split(',').next().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        Versions {
            martin: install.martin_version(),
            tipg: PeerInstall::python_version(&install.tipg_venv, "tipg"),
            pygeoapi: PeerInstall::python_version(&install.pygeoapi_venv, "pygeoapi"),
            gunicorn: PeerInstall::python_version(&install.tipg_venv, "gunicorn"),
            uvicorn: PeerInstall::python_version(&install.tipg_venv, "uvicorn"),
            gdal,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The peers

fn start_tipg(install: &PeerInstall, work: &WorkDir, url: &str, opts: &Options) -> Result<PeerServer> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let mut cmd = Command::new(install.tipg_bin("gunicorn"));
    // tipg's own container image: gunicorn with uvicorn workers, WEB_CONCURRENCY of them.
    cmd.args(["-k", "uvicorn_worker.UvicornWorker", "tipg.main:app", "--bind"])
        .arg(addr.to_string())
        .arg("--workers")
        .arg(opts.workers.to_string())
        .current_dir(work.path(""))
        .env("DATABASE_URL", url)
        .env("TIPG_DEBUG", "false")
        .env("TIPG_DB_SCHEMAS", "[\"public\"]")
        .env("TIPG_DB_TABLES", format!("[\"public.{VIEW}\"]"))
        .env("TIPG_DB_FUNCTIONS", "[]")
        // Extents at start-up would scan the million rows; not what the requests measure.
        .env("TIPG_DB_SPATIAL_EXTENT", "false")
        .env("TIPG_DB_DATETIME_EXTENT", "false")
        .env(format!("TIPG_TABLE_CONFIG__public_{VIEW}__pk"), "national_id")
        .env(format!("TIPG_TABLE_CONFIG__public_{VIEW}__geomcol"), "geom");
    PeerServer::start("tipg", cmd, work, addr, &format!("/collections/public.{VIEW}"), START_LIMIT)
}

/// pygeoapi's configuration: one collection, the PostgreSQL provider on the view, logging at
/// ERROR, no pretty printing; the password comes from the environment (`${…}`), not the file.
fn pygeoapi_config(addr: SocketAddr, db: &DbParts) -> String {
    format!(
        "server:
  bind:
    host: 127.0.0.1
    port: {port}
  url: http://{addr}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  gzip: false
  languages: [en-US]
  pretty_print: false
  limits:
    default_items: 100
    max_items: 10000
  map:
    url: http://127.0.0.1/tiles/{{z}}/{{x}}/{{y}}.png
    attribution: none
logging:
  level: ERROR
metadata:
  identification:
    title: diachinh benchmark peer
    description: current parcels of the benchmark database
    keywords: [parcels]
    keywords_type: theme
    terms_of_service: none
    url: http://{addr}
  license:
    name: none
    url: http://{addr}
  provider:
    name: diachinh benchmark
    url: http://{addr}
  contact:
    name: diachinh benchmark
    url: http://{addr}
resources:
  {PYGEOAPI_COLLECTION}:
    type: collection
    title: Parcels
    description: current parcels (view {VIEW})
    keywords: [parcels]
    links: []
    extents:
      spatial:
        bbox: [102.0, 8.0, 110.0, 24.0]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: {host}
          port: {db_port}
          dbname: {dbname}
          user: {user}
          password: ${{DIACHINH_BENCH_PG_PASSWORD}}
          search_path: [public]
        id_field: national_id
        table: {VIEW}
        geom_field: geom
",
        port = addr.port(),
        host = db.host,
        db_port = db.port,
        dbname = db.dbname,
        user = db.user,
    )
}

fn start_pygeoapi(install: &PeerInstall, work: &WorkDir, db: &DbParts, opts: &Options) -> Result<PeerServer> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let config = work.write("pygeoapi-config.yml", &pygeoapi_config(addr, db))?;
    let openapi = work.path("pygeoapi-openapi.yml");
    let env = |cmd: &mut Command| {
        cmd.current_dir(work.path(""))
            .env("PYGEOAPI_CONFIG", &config)
            .env("PYGEOAPI_OPENAPI", &openapi)
            .env("DIACHINH_BENCH_PG_PASSWORD", &db.password);
    };
    let mut generate = Command::new(install.pygeoapi_bin("pygeoapi"));
    generate.args(["openapi", "generate"]).arg(&config).arg("--output-file").arg(&openapi);
    env(&mut generate);
    let out = run_bounded(generate, work, "pygeoapi-openapi", START_LIMIT)?;
    if !out.success {
        bail!("pygeoapi openapi generate failed: {}", out.text());
    }
    let mut cmd = Command::new(install.pygeoapi_bin("gunicorn"));
    cmd.args(["--workers", &opts.workers.to_string(), "--bind", &addr.to_string(), "pygeoapi.flask_app:APP"]);
    env(&mut cmd);
    PeerServer::start("pygeoapi", cmd, work, addr, &format!("/collections/{PYGEOAPI_COLLECTION}?f=json"), START_LIMIT)
}

/// Martin's configuration: the function source and the table source, cache off, our pool size; the
/// connection string from the environment (`${…}`), not the file.
fn martin_config(addr: SocketAddr, opts: &Options) -> String {
    format!(
        "listen_addresses: \"{addr}\"
worker_processes: {workers}
cache:
  size_mb: 0
postgres:
  connection_string: ${{DIACHINH_BENCH_DATABASE_URL}}
  pool_size: {pool}
  auto_publish: false
  functions:
    {MARTIN_FUNCTION}:
      schema: public
      function: {MARTIN_FUNCTION}
      minzoom: 0
      maxzoom: 22
  tables:
    {MARTIN_TABLE}:
      schema: public
      table: {MARTIN_TABLE}
      srid: 4326
      geometry_column: geom
      geometry_type: MULTIPOLYGON
      id_column: fid
      extent: 4096
      buffer: 64
      clip_geom: true
      minzoom: 0
      maxzoom: 22
      properties:
        national_id: text
        land_use: text
        commune: text
        sheet: int4
        parcel: int4
        area_m2: float8
",
        workers = opts.workers,
        pool = opts.connections,
    )
}

fn start_martin(install: &PeerInstall, work: &WorkDir, url: &str, opts: &Options) -> Result<PeerServer> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let config = work.write("martin.yaml", &martin_config(addr, opts))?;
    let mut cmd = Command::new(&install.martin);
    cmd.arg("--config").arg(&config).env("DIACHINH_BENCH_DATABASE_URL", url).env("RUST_LOG", "warn");
    PeerServer::start("martin", cmd, work, addr, "/health", START_LIMIT)
}

// ---------------------------------------------------------------------------------------
// Requests

struct Servers {
    ours: SocketAddr,
    tipg: SocketAddr,
    pygeoapi: SocketAddr,
    martin: SocketAddr,
}

/// The servers of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Ours,
    Tipg,
    Pygeoapi,
    Martin,
    /// The same Martin serving [`MARTIN_TABLE`] as a table source.
    MartinTable,
}

impl Server {
    fn label(self) -> &'static str {
        match self {
            Server::Ours => "ours",
            Server::Tipg => "tipg",
            Server::Pygeoapi => "pygeoapi",
            Server::Martin => "Martin",
            Server::MartinTable => "Martin-table",
        }
    }

    fn addr(self, servers: &Servers) -> SocketAddr {
        match self {
            Server::Ours => servers.ours,
            Server::Tipg => servers.tipg,
            Server::Pygeoapi => servers.pygeoapi,
            Server::Martin | Server::MartinTable => servers.martin,
        }
    }

    /// The bbox page of 100 around `s`.
    fn bbox_path(self, s: &Sample) -> String {
        let [x0, y0, x1, y1] = s.bbox;
        match self {
            Server::Ours => Endpoint::Bbox.http_path(s),
            Server::Tipg => {
                format!("/collections/public.{VIEW}/items?bbox={x0},{y0},{x1},{y1}&limit={PAGE_LIMIT}&f=geojson")
            }
            Server::Pygeoapi => {
                format!("/collections/{PYGEOAPI_COLLECTION}/items?bbox={x0},{y0},{x1},{y1}&limit={PAGE_LIMIT}&f=json")
            }
            Server::Martin | Server::MartinTable => unreachable!("Martin serves tiles only"),
        }
    }

    fn tile_path(self, t: &TileCoord) -> String {
        match self {
            Server::Ours => format!("/tiles/parcels/{}/{}/{}.mvt", t.z, t.x, t.y),
            Server::Martin => format!("/{MARTIN_FUNCTION}/{}/{}/{}", t.z, t.x, t.y),
            Server::MartinTable => format!("/{MARTIN_TABLE}/{}/{}/{}", t.z, t.x, t.y),
            _ => unreachable!("tiles from ours and Martin only"),
        }
    }
}

const OGC_SERVERS: [Server; 3] = [Server::Ours, Server::Tipg, Server::Pygeoapi];
const TILE_SERVERS: [Server; 3] = [Server::Ours, Server::Martin, Server::MartinTable];

// ---------------------------------------------------------------------------------------
// Same answers?

/// The bbox pages of the first boxes, compared with ours.
#[derive(Debug, Default)]
struct PageCheck {
    boxes: usize,
    /// Per peer: boxes with the same number of features as ours, and (of the boxes whose
    /// matches fit in one page) with the same feature ids.
    same_count: Vec<(Server, usize)>,
    same_ids: Vec<(Server, usize)>,
    boxes_within_page: usize,
    /// Per server: the property names of its first feature.
    properties: Vec<(Server, Vec<String>)>,
    problems: Vec<String>,
}

fn page_ids(body: &[u8]) -> Result<(Vec<String>, Vec<String>)> {
    let v: serde_json::Value = serde_json::from_slice(body).context("a page that is not JSON")?;
    let features = v["features"].as_array().context("a page without features")?;
    let mut ids: Vec<String> = features
        .iter()
        .map(|f| match &f["id"] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    ids.sort();
    let mut props: Vec<String> = features
        .first()
        .and_then(|f| f["properties"].as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    props.sort();
    Ok((ids, props))
}

fn check_pages(servers: &Servers, samples: &[Sample], boxes: usize) -> Result<PageCheck> {
    let mut check = PageCheck { boxes: boxes.min(samples.len()), ..PageCheck::default() };
    let mut clients: Vec<(Server, Client)> = OGC_SERVERS.iter().map(|&s| (s, Client::new(s.addr(servers)))).collect();
    let mut same_count = [0usize; 3];
    let mut same_ids = [0usize; 3];
    for s in samples.iter().take(check.boxes) {
        let mut answers = Vec::new();
        for (server, client) in &mut clients {
            let path = server.bbox_path(s);
            let response = client.get(&path)?;
            if response.status != 200 {
                bail!("{} answered {} to {path}: {}", server.label(), response.status, response.body_excerpt(300));
            }
            let (ids, props) = page_ids(&response.body).with_context(|| format!("{} {path}", server.label()))?;
            if check.properties.len() < OGC_SERVERS.len()
                && !props.is_empty()
                && !check.properties.iter().any(|(k, _)| k == server)
            {
                check.properties.push((*server, props));
            }
            answers.push(ids);
        }
        let ours = &answers[0];
        let fits = ours.len() < PAGE_LIMIT as usize;
        if fits {
            check.boxes_within_page += 1;
        }
        for (k, ids) in answers.iter().enumerate() {
            if ids.len() == ours.len() {
                same_count[k] += 1;
            } else if check.problems.len() < 5 {
                check.problems.push(format!(
                    "{}: {} features where ours has {} ({})",
                    OGC_SERVERS[k].label(),
                    ids.len(),
                    ours.len(),
                    OGC_SERVERS[0].bbox_path(s)
                ));
            }
            if fits && ids == ours {
                same_ids[k] += 1;
            }
        }
    }
    for (k, server) in OGC_SERVERS.iter().enumerate().skip(1) {
        check.same_count.push((*server, same_count[k]));
        check.same_ids.push((*server, same_ids[k]));
    }
    Ok(check)
}

/// Every tile of the list from ours and from Martin.
#[derive(Debug, Default)]
struct TileCheck {
    tiles: usize,
    same_features: usize,
    same_bytes: usize,
    features: usize,
    problems: Vec<String>,
}

fn check_tiles(servers: &Servers, tiles: &[TileCoord], peer: Server) -> Result<TileCheck> {
    let mut check = TileCheck { tiles: tiles.len(), ..TileCheck::default() };
    let mut ours = Client::new(servers.ours);
    let mut martin = Client::new(peer.addr(servers));
    for t in tiles {
        let a = ours.get(&Server::Ours.tile_path(t))?;
        let b = martin.get(&peer.tile_path(t))?;
        let body = |r: &crate::harness::http::Response, who: Server| -> Result<Vec<u8>> {
            match r.status {
                200 => Ok(r.body.clone()),
                204 => Ok(Vec::new()),
                other => {
                    bail!("{} answered {other} to tile {}/{}/{}: {}", who.label(), t.z, t.x, t.y, r.body_excerpt(300))
                }
            }
        };
        let (a, b) = (body(&a, Server::Ours)?, body(&b, peer)?);
        let (na, nb) = (mvt_feature_count(&a)?, mvt_feature_count(&b)?);
        check.features += na;
        if na == nb {
            check.same_features += 1;
        } else if check.problems.len() < 5 {
            check.problems.push(format!("tile {}/{}/{}: ours {na} features, {} {nb}", t.z, t.x, t.y, peer.label()));
        }
        if a == b {
            check.same_bytes += 1;
        }
    }
    Ok(check)
}

/// The protobuf fields of `buf`: (field number, wire type, payload of a length-delimited field).
fn proto_fields(buf: &[u8]) -> Result<Vec<(u64, u8, &[u8])>> {
    fn varint(buf: &[u8], at: &mut usize) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = buf.get(*at) else { bail!("truncated varint") };
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("varint too long")
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let key = varint(buf, &mut at)?;
        let (field, wire) = (key >> 3, (key & 7) as u8);
        let payload: &[u8] = match wire {
            0 => {
                varint(buf, &mut at)?;
                &[]
            }
            1 => {
                at += 8;
                &[]
            }
            2 => {
                let len = varint(buf, &mut at)? as usize;
                let end = at.checked_add(len).filter(|&e| e <= buf.len()).context("truncated field")?;
                let p = &buf[at..end];
                at = end;
                p
            }
            5 => {
                at += 4;
                &[]
            }
            other => bail!("unsupported wire type {other}"),
        };
        if at > buf.len() {
            bail!("truncated field");
        }
        out.push((field, wire, payload));
    }
    Ok(out)
}

/// Features over all layers of a Mapbox Vector Tile (Tile.layers = 3, Layer.features = 2).
fn mvt_feature_count(tile: &[u8]) -> Result<usize> {
    let mut n = 0;
    for (field, wire, layer) in proto_fields(tile)? {
        if field == 3 && wire == 2 {
            n += proto_fields(layer)?.iter().filter(|(f, w, _)| *f == 2 && *w == 2).count();
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Load

/// What the load runs measured, per server, in run order.
struct Measured {
    pages: PageCheck,
    /// Per Martin source, its tiles compared with ours.
    tiles: Vec<(Server, TileCheck)>,
    bbox: Vec<(Server, Vec<WrkRun>)>,
    bbox_pgbench: Vec<f64>,
    tile: Vec<(Server, Vec<WrkRun>)>,
    tile_pgbench: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn measure(
    servers: &Servers,
    samples: &[Sample],
    tiles: &[TileCoord],
    url: &str,
    opts: &Options,
    wrk: &Wrk,
    pgbench: &Pgbench,
    work: &WorkDir,
) -> Result<Measured> {
    let pages = check_pages(servers, samples, opts.compared_boxes)?;
    eprintln!(
        "{WHO}: pages of {} boxes compared: same counts {:?}, same ids {:?} ({} within a page)",
        pages.boxes, pages.same_count, pages.same_ids, pages.boxes_within_page
    );
    let tile_check: Vec<(Server, TileCheck)> =
        TILE_SERVERS[1..].iter().map(|&peer| Ok((peer, check_tiles(servers, tiles, peer)?))).collect::<Result<_>>()?;
    for (peer, check) in &tile_check {
        eprintln!(
            "{WHO}: {} tiles compared with {}: same feature count {}, same bytes {}",
            check.tiles,
            peer.label(),
            check.same_features,
            check.same_bytes
        );
    }

    let bbox_scripts: Vec<(Server, PathBuf)> = OGC_SERVERS
        .iter()
        .map(|&s| {
            let paths: Vec<String> = samples.iter().map(|x| s.bbox_path(x)).collect();
            Ok((s, Wrk::write_script(work, &format!("bbox-{}", s.label()), &paths)?))
        })
        .collect::<Result<_>>()?;
    let tile_scripts: Vec<(Server, PathBuf)> = TILE_SERVERS
        .iter()
        .map(|&s| {
            let paths: Vec<String> = tiles.iter().map(|t| s.tile_path(t)).collect();
            Ok((s, Wrk::write_script(work, &format!("tiles-{}", s.label()), &paths)?))
        })
        .collect::<Result<_>>()?;
    let bbox_pgbench_input = bench::write_prepared_input(work, "bbox", Endpoint::Bbox, samples.len())?;
    let draw = format!("\\set i random(1, {})\nSELECT z, x, y FROM bench_tiles WHERE i = :i \\gset\n", tiles.len());
    let tile_sql = bench_tiles::strip_comments(store::tiles::sql(Layer::Parcels))
        .replace("$1", ":z")
        .replace("$2", ":x")
        .replace("$3", ":y");
    // Planned as `parcel_tile()` plans it.
    let tile_pgbench_input = PgbenchInput {
        options: pgbench::GENERIC_PLAN.into(),
        ..PgbenchInput::script(PgMode::Prepared, work.write("tile.sql", &format!("{draw}{tile_sql};\n"))?)
    };

    for (server, lua) in bbox_scripts.iter().chain(&tile_scripts) {
        eprintln!("{WHO}: warming up {} for {WARM_UP_SECONDS} s", server.label());
        wrk.run(work, lua, server.addr(servers), opts.connections, WARM_UP_SECONDS)
            .with_context(|| format!("while warming up {}", server.label()))?;
    }

    let mut bbox: Vec<(Server, Vec<WrkRun>)> = OGC_SERVERS.iter().map(|&s| (s, Vec::new())).collect();
    let mut tile: Vec<(Server, Vec<WrkRun>)> = TILE_SERVERS.iter().map(|&s| (s, Vec::new())).collect();
    let (mut bbox_pgbench, mut tile_pgbench) = (Vec::new(), Vec::new());
    for round in 1..=opts.repeats {
        for ((server, lua), (_, runs)) in bbox_scripts.iter().zip(&mut bbox) {
            let w = wrk
                .run(work, lua, server.addr(servers), opts.connections, opts.seconds)
                .with_context(|| format!("while running wrk against {}", server.label()))?;
            eprintln!(
                "{WHO} [{round}/{}] bbox {}: {:.0} req/s, p50 {:.1} ms, {} errors",
                opts.repeats,
                server.label(),
                w.rps(),
                w.p50_us / 1e3,
                w.errors()
            );
            runs.push(w);
        }
        let p = pgbench.run(work, &bbox_pgbench_input, url, opts.connections, opts.seconds)?;
        eprintln!("{WHO} [{round}/{}] bbox pgbench prepared: {:.0} tps", opts.repeats, p.tps);
        bbox_pgbench.push(p.tps);
        for ((server, lua), (_, runs)) in tile_scripts.iter().zip(&mut tile) {
            let w = wrk
                .run(work, lua, server.addr(servers), opts.connections, opts.seconds)
                .with_context(|| format!("while running wrk against {}", server.label()))?;
            eprintln!(
                "{WHO} [{round}/{}] tiles {}: {:.0} tiles/s, p50 {:.1} ms, {} errors",
                opts.repeats,
                server.label(),
                w.rps(),
                w.p50_us / 1e3,
                w.errors()
            );
            runs.push(w);
        }
        let p = pgbench.run(work, &tile_pgbench_input, url, opts.connections, opts.seconds)?;
        eprintln!("{WHO} [{round}/{}] tile SQL pgbench prepared: {:.0} tps", opts.repeats, p.tps);
        tile_pgbench.push(p.tps);
    }
    Ok(Measured { pages, tiles: tile_check, bbox, bbox_pgbench, tile, tile_pgbench })
}

// ---------------------------------------------------------------------------------------
// Harvest

/// One timed harvest of every current parcel.
#[derive(Debug, Clone)]
struct Timed {
    seconds: f64,
    features: i64,
    pages: usize,
}

struct Harvest {
    page_size: i64,
    /// ogr2ogr from PostGIS (the view).
    direct: Timed,
    /// ogr2ogr through our OGC API.
    ours: Timed,
    /// The same pages by a plain HTTP client, no GDAL.
    http_only: Timed,
    /// The same pages through the store alone (`parcels_page` and the rows' JSON), no HTTP.
    store_only: Timed,
    format: &'static str,
}

const HARVEST_FORMAT: &str = "FlatGeobuf";

fn harvest(
    ogr2ogr: &Path,
    ours: SocketAddr,
    url: &str,
    db: &DbParts,
    opts: &Options,
    work: &WorkDir,
) -> Result<Harvest> {
    let run_ogr = |name: &str, source: &str, layer: &str, extra: &[&str]| -> Result<Timed> {
        let out = work.path(&format!("{name}.fgb"));
        let _ = std::fs::remove_file(&out);
        let mut cmd = Command::new(ogr2ogr);
        cmd.args(["-f", HARVEST_FORMAT, "-lco", "SPATIAL_INDEX=NO"])
            .arg(&out)
            .arg(source)
            .arg(layer)
            .args(extra)
            .env("PGPASSWORD", &db.password);
        eprintln!("{WHO}: harvest {name}: ogr2ogr … {source} {layer} {}", extra.join(" "));
        let started = Instant::now();
        let result = run_bounded(cmd, work, &format!("ogr2ogr-{name}"), HARVEST_LIMIT)?;
        let seconds = started.elapsed().as_secs_f64();
        if !result.success {
            bail!("ogr2ogr ({name}) failed: {}", result.text());
        }
        let features = fgb_feature_count(work, &out)?;
        let _ = std::fs::remove_file(&out);
        eprintln!("{WHO}: harvest {name}: {features} features in {seconds:.1} s");
        Ok(Timed { seconds, features, pages: 0 })
    };
    let page_size = opts.harvest_page_size.to_string();
    let direct = run_ogr("direct", &format!("PG:{}", db.libpq_without_password()), VIEW, &[])?;
    let mut through_us =
        run_ogr("ours", &format!("OAPIF:http://{ours}"), "parcels", &["-oo", &format!("PAGE_SIZE={page_size}")])?;
    through_us.pages = (through_us.features as usize).div_ceil(opts.harvest_page_size as usize);
    let http_only = harvest_http(ours, opts.harvest_page_size)?;
    eprintln!("{WHO}: harvest over plain HTTP: {} features in {:.1} s", http_only.features, http_only.seconds);
    let store_only = harvest_store(url, opts.harvest_page_size)?;
    eprintln!("{WHO}: harvest through the store: {} features in {:.1} s", store_only.features, store_only.seconds);
    Ok(Harvest {
        page_size: opts.harvest_page_size,
        direct,
        ours: through_us,
        http_only,
        store_only,
        format: HARVEST_FORMAT,
    })
}

/// `ogrinfo -so`'s feature count of the harvested file.
fn fgb_feature_count(work: &WorkDir, path: &Path) -> Result<i64> {
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-so", "-al"]).arg(path);
    let out = run_bounded(cmd, work, "ogrinfo", Duration::from_secs(300))?;
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no feature count from ogrinfo: {}", out.text()))
}

/// Every page of `/collections/parcels/items?limit=N`, following the `next` links.
fn harvest_http(ours: SocketAddr, page_size: i64) -> Result<Timed> {
    #[derive(serde::Deserialize)]
    struct Link {
        rel: String,
        href: String,
    }
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(rename = "numberReturned")]
        returned: i64,
        links: Vec<Link>,
    }
    let mut client = Client::new(ours);
    let started = Instant::now();
    let mut path = format!("/collections/parcels/items?limit={page_size}");
    let (mut features, mut pages) = (0i64, 0usize);
    loop {
        let r = client.get(&path)?;
        if r.status != 200 {
            bail!("GET {path} answered {}: {}", r.status, r.body_excerpt(300));
        }
        let page: Page = serde_json::from_slice(&r.body).with_context(|| format!("GET {path}"))?;
        features += page.returned;
        pages += 1;
        let Some(next) = page.links.into_iter().find(|l| l.rel == "next") else { break };
        let after_host = next.href.split_once("://").map_or(next.href.as_str(), |(_, rest)| rest);
        path = after_host.find('/').map_or_else(|| "/".to_string(), |k| after_host[k..].to_string());
        if pages >= MAX_HARVEST_PAGES {
            bail!("more than {MAX_HARVEST_PAGES} pages");
        }
    }
    Ok(Timed { seconds: started.elapsed().as_secs_f64(), features, pages })
}

/// The same pages straight through `store::parcels::current_page` (what the handler calls).
fn harvest_store(url: &str, page_size: i64) -> Result<Timed> {
    use diesel::Connection;
    let mut conn = PgConnection::establish(url).context("while connecting for the store harvest")?;
    let started = Instant::now();
    let (mut after, mut features, mut pages) = (0i64, 0i64, 0usize);
    loop {
        let count_up_to = (after == 0).then_some(page_size.max(diachinh::service::parcels::MATCH_COUNT_LIMIT));
        let (rows, _) = store::parcels::current_page(&mut conn, None, after, page_size, count_up_to)?;
        pages += 1;
        features += rows.len() as i64;
        match rows.last() {
            Some(last) if rows.len() as i64 == page_size => after = last.parcel_id,
            _ => break,
        }
        if pages >= MAX_HARVEST_PAGES {
            bail!("more than {MAX_HARVEST_PAGES} pages");
        }
    }
    Ok(Timed { seconds: started.elapsed().as_secs_f64(), features, pages })
}

// ---------------------------------------------------------------------------------------
// Report

struct ReportContext<'a> {
    opts: &'a Options,
    facts: &'a Facts,
    db_name: &'a str,
    parcels: i64,
    load: String,
    versions: &'a Versions,
    boxes: usize,
    tiles: usize,
    load_average: (f64, f64),
}

fn median_rps(runs: &[WrkRun]) -> f64 {
    median(&mut runs.iter().map(WrkRun::rps).collect::<Vec<_>>())
}

fn median_p50(runs: &[WrkRun]) -> f64 {
    median(&mut runs.iter().map(|w| w.p50_us / 1e3).collect::<Vec<_>>())
}

fn runs_of(list: &[(Server, Vec<WrkRun>)], server: Server) -> &[WrkRun] {
    list.iter().find(|(s, _)| *s == server).map_or(&[], |(_, r)| r.as_slice())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**not met**"
    }
}

fn render(c: &ReportContext, m: &Measured, h: Option<&Harvest>) -> String {
    let o = c.opts;
    let v = c.versions;
    let mut s = String::new();
    let _ = writeln!(s, "## Side by side: ours, tipg, pygeoapi, Martin, GDAL and pgbench\n");
    let _ = writeln!(s, "{}\n", c.facts.summary());
    let _ = writeln!(
        s,
        "`diachinh-tools bench-peers --parcels {} --seconds {} --connections {} --repeats {} --workers {} --harvest-page-size {}`: \
         `{}` ({} current parcels), one run, every server on the same PostgreSQL and database, on 127.0.0.1; \
         {} connections (wrk) = pgbench clients, {} s per measurement, median of {}, the servers interleaved round by round.\n",
        o.parcels,
        o.seconds,
        o.connections,
        o.repeats,
        o.workers,
        o.harvest_page_size,
        c.db_name,
        thousands(c.parcels),
        o.connections,
        o.seconds,
        o.repeats
    );
    let ours_bbox = median_rps(runs_of(&m.bbox, Server::Ours));
    let tipg_bbox = median_rps(runs_of(&m.bbox, Server::Tipg));
    let pygeoapi_bbox = median_rps(runs_of(&m.bbox, Server::Pygeoapi));
    let bbox_limit = median(&mut m.bbox_pgbench.clone());
    let ours_tiles = median_rps(runs_of(&m.tile, Server::Ours));
    let martin_tiles = median_rps(runs_of(&m.tile, Server::Martin));
    let martin_table_tiles = median_rps(runs_of(&m.tile, Server::MartinTable));
    let tile_limit = median(&mut m.tile_pgbench.clone());

    let _ = writeln!(s, "| task | server (version, settings) | figure | p50 ms | ours ÷ it | goal | |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---|");
    let bbox_task = format!("bbox page of {PAGE_LIMIT} ({} boxes)", c.boxes);
    let _ = writeln!(
        s,
        "| {bbox_task} | **ours** (release, in-process, pool {}) | **{ours_bbox:.0} req/s** | {:.1} | — | | |",
        o.connections,
        median_p50(runs_of(&m.bbox, Server::Ours))
    );
    let _ = writeln!(
        s,
        "| {bbox_task} | tipg {} (gunicorn {} + uvicorn {} workers × {}) | {tipg_bbox:.0} req/s | {:.1} | {:.1}× | ≥ 5× | {} |",
        v.tipg,
        v.gunicorn,
        v.uvicorn,
        o.workers,
        median_p50(runs_of(&m.bbox, Server::Tipg)),
        ours_bbox / tipg_bbox,
        verdict(ours_bbox / tipg_bbox >= 5.0)
    );
    let _ = writeln!(
        s,
        "| {bbox_task} | pygeoapi {} (gunicorn {} × {}, PostgreSQL provider) | {pygeoapi_bbox:.0} req/s | {:.1} | {:.1}× | ≥ 10× | {} |",
        v.pygeoapi,
        v.gunicorn,
        o.workers,
        median_p50(runs_of(&m.bbox, Server::Pygeoapi)),
        ours_bbox / pygeoapi_bbox,
        verdict(ours_bbox / pygeoapi_bbox >= 10.0)
    );
    let _ = writeln!(
        s,
        "| {bbox_task} | pgbench, our page statement (`parcels_page`), `-M prepared` | {bbox_limit:.0} TPS | | {:.2} | ≥ 0.80 | {} |",
        ours_bbox / bbox_limit,
        verdict(ours_bbox / bbox_limit >= 0.8)
    );
    let tile_task = format!("MVT tile z14–17 ({} tiles)", c.tiles);
    let _ = writeln!(
        s,
        "| {tile_task} | **ours** (release, in-process, pool {}) | **{ours_tiles:.0} tiles/s** | {:.1} | — | | |",
        o.connections,
        median_p50(runs_of(&m.tile, Server::Ours))
    );
    let _ = writeln!(
        s,
        "| {tile_task} | Martin {} (cache off, {} workers, pool {}, function source on `parcel_tile`) | {martin_tiles:.0} tiles/s | {:.1} | {:.2}× | ≥ 1.2× | {} |",
        v.martin,
        o.workers,
        o.connections,
        median_p50(runs_of(&m.tile, Server::Martin)),
        ours_tiles / martin_tiles,
        verdict(ours_tiles / martin_tiles >= 1.2)
    );
    let _ = writeln!(
        s,
        "| {tile_task} | Martin {} (cache off, {} workers, pool {}, table source on a view of current parcels, its own SQL) | {martin_table_tiles:.0} tiles/s | {:.1} | {:.2}× | ≥ 1.2× | {} |",
        v.martin,
        o.workers,
        o.connections,
        median_p50(runs_of(&m.tile, Server::MartinTable)),
        ours_tiles / martin_table_tiles,
        verdict(ours_tiles / martin_table_tiles >= 1.2)
    );
    let _ = writeln!(
        s,
        "| {tile_task} | pgbench, tile SQL (`store::tiles::sql`), `-M prepared` | {tile_limit:.0} TPS | | {:.2} | ≥ 0.95 | {} |",
        ours_tiles / tile_limit,
        verdict(ours_tiles / tile_limit >= 0.95)
    );
    if let Some(h) = h {
        let ratio = h.ours.seconds / h.direct.seconds;
        let _ = writeln!(
            s,
            "| harvest all parcels to {} | GDAL {} `ogr2ogr` through **our** OGC API (`OAPIF:`, `PAGE_SIZE={}`) | **{:.1} s** ({} features) | | — | | |",
            h.format,
            v.gdal,
            h.page_size,
            h.ours.seconds,
            thousands(h.ours.features)
        );
        let _ = writeln!(
            s,
            "| harvest all parcels to {} | GDAL {} `ogr2ogr` straight from PostGIS (`PG:`, the view) | {:.1} s ({} features) | | {ratio:.1}× the time | ≤ 2× | {} |",
            h.format,
            v.gdal,
            h.direct.seconds,
            thousands(h.direct.features),
            verdict(ratio <= 2.0)
        );
    }
    let _ = writeln!(s);

    let list = |runs: &[WrkRun]| runs.iter().map(|w| format!("{:.0}", w.rps())).collect::<Vec<_>>().join(", ");
    let tps = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "Every run, in the order of the rounds:\n");
    for (server, runs) in &m.bbox {
        let errors: u64 = runs.iter().map(WrkRun::errors).sum();
        let _ = writeln!(s, "- bbox, {}: {} req/s ({errors} errors)", server.label(), list(runs));
    }
    let _ = writeln!(s, "- bbox, pgbench prepared: {} TPS", tps(&m.bbox_pgbench));
    for (server, runs) in &m.tile {
        let errors: u64 = runs.iter().map(WrkRun::errors).sum();
        let _ = writeln!(s, "- tiles, {}: {} tiles/s ({errors} errors)", server.label(), list(runs));
    }
    let _ = writeln!(s, "- tiles, pgbench tile SQL: {} TPS", tps(&m.tile_pgbench));

    let _ = writeln!(s, "\nSame answers:\n");
    let p = &m.pages;
    let counts = p.same_count.iter().map(|(k, n)| format!("{} {n}/{}", k.label(), p.boxes)).collect::<Vec<_>>();
    let ids = p.same_ids.iter().map(|(k, n)| format!("{} {n}/{}", k.label(), p.boxes_within_page)).collect::<Vec<_>>();
    let _ = writeln!(
        s,
        "- bbox pages, the first {} boxes of the list: the same number of features as ours — {}; the same feature ids, \
         of the {} boxes whose matches fit in one page — {} (a fuller box returns 100 from each, in each server's own order).",
        p.boxes,
        counts.join(", "),
        p.boxes_within_page,
        ids.join(", ")
    );
    for (server, props) in &p.properties {
        let _ = writeln!(s, "  {} properties: {}.", server.label(), props.join(", "));
    }
    for problem in &p.problems {
        let _ = writeln!(s, "  Differs: {problem}.");
    }
    for (peer, t) in &m.tiles {
        let source = if *peer == Server::MartinTable { "table source" } else { "function source" };
        let _ = writeln!(
            s,
            "- tiles, every tile of the list: the same feature count from Martin's {source} as from ours for {}/{} tiles \
             ({} features in all), byte-identical {}/{}.",
            t.same_features,
            t.tiles,
            thousands(t.features as i64),
            t.same_bytes,
            t.tiles
        );
        for problem in &t.problems {
            let _ = writeln!(s, "  Differs: {problem}.");
        }
    }
    if let Some(h) = h {
        let _ = writeln!(s, "\nWhere the harvest's time goes ({} features a page):\n", h.page_size);
        let _ = writeln!(
            s,
            "| harvest of every current parcel | seconds | features | pages |\n|---|---:|---:|---:|\n\
             | `ogr2ogr` through our OGC API (HTTP, our JSON, GDAL's GeoJSON reader, {fmt} writer) | {:.1} | {} | {} |\n\
             | the same pages, plain HTTP client, only `links` parsed (our server alone) | {:.1} | {} | {} |\n\
             | the same pages through `store::parcels::current_page` (the page SQL and its rows, no HTTP) | {:.1} | {} | {} |\n\
             | `ogr2ogr` straight from PostGIS (the view, {fmt} writer) | {:.1} | {} | — |\n",
            h.ours.seconds,
            thousands(h.ours.features),
            h.ours.pages,
            h.http_only.seconds,
            thousands(h.http_only.features),
            h.http_only.pages,
            h.store_only.seconds,
            thousands(h.store_only.features),
            h.store_only.pages,
            h.direct.seconds,
            thousands(h.direct.features),
            fmt = h.format,
        );
    }

    let _ = writeln!(s, "\nSettings:\n");
    let _ = writeln!(
        s,
        "- **ours**: the release build in-process (`harness::server`), actix's default workers, a pool of {} connections; \
         `GET /collections/parcels/items?bbox=…&limit={PAGE_LIMIT}` and `GET /tiles/parcels/{{z}}/{{x}}/{{y}}.mvt`, as `bench` and `bench-tiles` send them.",
        o.connections
    );
    let _ = writeln!(
        s,
        "- **tipg {}**: `gunicorn -k uvicorn_worker.UvicornWorker tipg.main:app --workers {}` (its container image's command), \
         `TIPG_DEBUG=false`, the view only (`TIPG_DB_TABLES`), no functions, pk `national_id`, default pool (asyncpg, up to 10 \
         connections a worker), no extents computed at start-up; `GET /collections/public.{VIEW}/items?bbox=…&limit={PAGE_LIMIT}&f=geojson`.",
        v.tipg, o.workers
    );
    let _ = writeln!(
        s,
        "- **pygeoapi {}**: `pygeoapi openapi generate`, then `gunicorn --workers {} pygeoapi.flask_app:APP`; PostgreSQL provider \
         on the view (`id_field: national_id`), logging at ERROR, `pretty_print: false`, `gzip: false`; \
         `GET /collections/{PYGEOAPI_COLLECTION}/items?bbox=…&limit={PAGE_LIMIT}&f=json`. It counts every match for `numberMatched`, \
         tipg too; ours counts up to 1,000 on a first page.",
        v.pygeoapi, o.workers
    );
    let _ = writeln!(
        s,
        "- **Martin {}**: `martin --config` with the one function source `{MARTIN_FUNCTION}(z, x, y) RETURNS bytea` = \
         `parcel_tile(z, x, y, '{{}}')`'s tile (the statement our server sends, without a client stamp), \
         `cache.size_mb: 0` (cache off), `worker_processes: {}`, `pool_size: {}`; wrk sends no `Accept-Encoding`, so neither server compresses. \
         The same Martin also serves the view `{MARTIN_TABLE}` as a table source (srid 4326, extent 4096, buffer 64, clipped, id `fid`): \
         the current parcels with the properties our tiles carry at zoom 17 (a table source has the same properties at every zoom; \
         ours drops some below zooms 16 and 17), its tile SQL written by Martin. Built with `cargo install martin@{} --locked --no-default-features --features postgres`.",
        v.martin, o.workers, o.connections, v.martin
    );
    let _ = writeln!(
        s,
        "- **GDAL {}**: `ogr2ogr -f {HARVEST_FORMAT} -lco SPATIAL_INDEX=NO out.fgb OAPIF:http://<ours> parcels -oo PAGE_SIZE={}` \
         versus `ogr2ogr -f {HARVEST_FORMAT} -lco SPATIAL_INDEX=NO out.fgb PG:\"…\" {VIEW}`; the output's feature count is checked with `ogrinfo`.",
        v.gdal, o.harvest_page_size
    );
    let _ = writeln!(
        s,
        "- **pgbench**: `-M prepared`, {} clients; the bbox script draws its box from `bench_params` (the same list) and runs \
         `parcels_page` as the server calls it; the tile script draws its tile from `bench_tiles` and runs the tile SQL alone.",
        o.connections
    );
    let _ = writeln!(
        s,
        "\nThe view `{VIEW}` has the properties of our items (national_id as the id). Dataset: {}. 1-minute load average {:.1} \
         before, {:.1} after ({} cores, shared with other work): compare the ratios, not the absolute figures.",
        c.load, c.load_average.0, c.load_average.1, c.facts.cores
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mvt_features_are_counted_over_layers() {
        // Tile { layers: [Layer { name: "a", features: [{}, {}] }, Layer { features: [{}] }] }
        let feature = [0x12u8, 0x00]; // field 2, wire 2, length 0
        let mut layer1 = vec![0x0a, 0x01, b'a'];
        layer1.extend(feature);
        layer1.extend(feature);
        layer1.extend([0x78, 0x02]); // version = 2 (field 15, varint)
        let mut layer2 = feature.to_vec();
        layer2.extend([0x28, 0x80, 0x20]); // extent = 4096 (field 5, varint)
        let mut tile = vec![0x1a, layer1.len() as u8];
        tile.extend(&layer1);
        tile.extend([0x1a, layer2.len() as u8]);
        tile.extend(&layer2);
        assert_eq!(mvt_feature_count(&tile).unwrap(), 3);
        assert_eq!(mvt_feature_count(&[]).unwrap(), 0);
        assert!(mvt_feature_count(&[0x1a, 0x05, 0x00]).is_err());
    }

    #[test]
    fn peer_configs_hold_no_password() {
        let db = DbParts {
            user: "postgres".into(),
            password: "secret".into(),
            host: "127.0.0.1".into(),
            port: 54320,
            dbname: "diachinh_bench_1000000".into(),
        };
        let addr: SocketAddr = "127.0.0.1:9999".parse().unwrap();
        let pygeoapi = pygeoapi_config(addr, &db);
        assert!(!pygeoapi.contains("secret"));
        assert!(pygeoapi.contains("password: ${DIACHINH_BENCH_PG_PASSWORD}"));
        assert!(pygeoapi.contains("table: bench_peer_parcels"));
        let opts = Options {
            parcels: 0,
            seconds: 1,
            connections: 8,
            repeats: 1,
            workers: 2,
            harvest_page_size: 10_000,
            no_harvest: true,
            compared_boxes: 1,
            peers_dir: "var/bench".into(),
            out: "x.md".into(),
            sample_dir: "sample-data".into(),
        };
        let martin = martin_config(addr, &opts);
        assert!(martin.contains("connection_string: ${DIACHINH_BENCH_DATABASE_URL}\n"));
        assert!(martin.contains("size_mb: 0"));
        assert!(martin.contains("listen_addresses: \"127.0.0.1:9999\""));
        assert!(opts.validate().is_ok());
    }

    #[test]
    fn request_paths() {
        let s = Sample { national_id: "w3gvk1m2n3p4".into(), parcel_id: 1, bbox: [105.5, 10.25, 105.75, 10.5] };
        assert_eq!(
            Server::Tipg.bbox_path(&s),
            "/collections/public.bench_peer_parcels/items?bbox=105.5,10.25,105.75,10.5&limit=100&f=geojson"
        );
        assert_eq!(
            Server::Pygeoapi.bbox_path(&s),
            "/collections/parcels/items?bbox=105.5,10.25,105.75,10.5&limit=100&f=json"
        );
        assert_eq!(Server::Ours.bbox_path(&s), "/collections/parcels/items?bbox=105.5,10.25,105.75,10.5&limit=100");
        let t = TileCoord { z: 15, x: 26000, y: 15000 };
        assert_eq!(Server::Martin.tile_path(&t), "/bench_martin_parcels/15/26000/15000");
        assert_eq!(Server::MartinTable.tile_path(&t), "/bench_martin_layer/15/26000/15000");
        assert_eq!(Server::Ours.tile_path(&t), "/tiles/parcels/15/26000/15000.mvt");
    }
}
