//! `diachinh-tools bench-import`: the bulk import (`diachinh import`, every feature validated as
//! `POST /parcels` validates one) against the limit the issue sets it, a plain
//! `ogr2ogr -f PostgreSQL` of the same GeoPackage into an unvalidated table.
//!
//! The delivery is SYNTHETIC: N parcels of the synthetic generator (`synthetic.rs`) in the
//! VN-2000 zone of a commune of Cần Thơ, written as GeoJSON text sequences and turned into a
//! GeoPackage by ogr2ogr; the commune gets a synthetic rectangular boundary around them, so the
//! inside-the-commune check does its work. Each run uses a database of its own
//! (`diachinh_bench_import`, migrated and seeded from `sample-data/`), dropped at the end.
//! Repeats alternate the two loads (the imported parcels are removed in between) and the
//! medians are compared.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use diesel::{Connection, PgConnection};
use geo_types::Coord;

use crate::deliveries;
use crate::harness::db;
use crate::synthetic::{self, Layout};
use domain::crs::Crs;
use domain::import::Mode;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Synthetic parcels in the delivery.
    #[arg(long, default_value_t = 100_000)]
    pub parcels: usize,
    /// Times each load is run (alternating); the medians are compared.
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Where the GeoPackage is written (and kept, to run again).
    #[arg(long, default_value = "var/bench/import")]
    pub dir: PathBuf,
    #[arg(long, default_value = "sample-data")]
    pub sample_dir: PathBuf,
}

const DB_NAME: &str = "diachinh_bench_import";
/// A commune of Cần Thơ without sample parcels; its province's zone is EPSG:5897 (105°00′).
const COMMUNE: &str = "31120";

pub fn run(o: &Options) -> Result<()> {
    if o.parcels == 0 || o.repeats == 0 {
        bail!("--parcels and --repeats must be at least 1");
    }
    let base_url = diachinh::config::owner_database_url()?;
    let url = db::url_with_database(&base_url, DB_NAME)?;
    let settings = diachinh::config::Config::load(None)?.settings()?;
    std::fs::create_dir_all(&o.dir).with_context(|| format!("creating {}", o.dir.display()))?;
    let gpkg = o.dir.join(format!("synthetic-{}.gpkg", o.parcels));

    eprintln!("bench-import: a fresh {DB_NAME}, migrated and seeded");
    {
        let mut admin = PgConnection::establish(&base_url).context("connecting to the main database")?;
        db::exec(&mut admin, &format!("DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))?;
        db::exec(&mut admin, &format!("CREATE DATABASE {DB_NAME}"))?;
    }
    let mut conn = PgConnection::establish(&url).context("connecting to the benchmark database")?;
    db::exec(&mut conn, "CREATE EXTENSION IF NOT EXISTS postgis")?;
    store::migrate(&mut conn)?;
    diachinh::service::seed::seed(&mut conn, &settings, &o.sample_dir)?;
    let commune = store::admin_units::current_commune(&mut conn, COMMUNE)?
        .with_context(|| format!("commune {COMMUNE} is not in the seeded units"))?;
    let crs = Crs::from_epsg(commune.default_crs_epsg.unwrap_or(5897) as u32).context("the commune's zone")?;

    let started = Instant::now();
    let bbox = write_delivery(&gpkg, o.parcels, crs)?;
    eprintln!(
        "bench-import: {} synthetic parcels written to {} in {:.1} s",
        o.parcels,
        gpkg.display(),
        started.elapsed().as_secs_f64()
    );
    deliveries::set_synthetic_boundary(
        &mut conn,
        COMMUNE,
        crs,
        bbox,
        50.0,
        "synthetic benchmark boundary (diachinh-tools bench-import)",
    )?;
    db::exec(&mut conn, "VACUUM ANALYZE")?;

    let (mut plain, mut import) = (Vec::new(), Vec::new());
    for round in 0..o.repeats {
        let t = plain_load(&url, &gpkg)?;
        eprintln!("bench-import: round {}: ogr2ogr -f PostgreSQL {:.2} s", round + 1, t);
        plain.push(t);
        db::exec(&mut conn, "DROP TABLE IF EXISTS bench_import_plain")?;
        let started = Instant::now();
        let (outcome, clock) =
            deliveries::import(&mut conn, &settings, "bench-import", COMMUNE, crs, &gpkg, Mode::LoadValid)?;
        let t = started.elapsed().as_secs_f64();
        eprintln!(
            "bench-import: round {}: diachinh import {:.2} s ({} loaded, {} rejected; {})",
            round + 1,
            t,
            outcome.loaded,
            outcome.rejected,
            clock.describe()
        );
        if outcome.loaded != o.parcels as i64 {
            bail!("the import loaded {} of {} parcels: {:?}", outcome.loaded, o.parcels, outcome.rejected_by_code);
        }
        import.push(t);
        if round + 1 < o.repeats {
            remove_imported(&mut conn)?;
        }
    }
    let (p, i) = (median(&mut plain), median(&mut import));
    let n = o.parcels as f64;
    println!(
        "bench-import: {} synthetic parcels (GeoPackage, {}), {} round(s), medians",
        o.parcels,
        crs.uri(),
        o.repeats
    );
    println!("  ogr2ogr -f PostgreSQL (unvalidated table): {p:.2} s, {:.0} parcels/s", n / p);
    println!("  diachinh import (validated, registered, audited): {i:.2} s, {:.0} parcels/s", n / i);
    println!("  ratio (import rate / ogr2ogr rate): {:.3}", p / i);
    drop(conn);
    let mut admin = PgConnection::establish(&base_url)?;
    db::exec(&mut admin, &format!("DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))?;
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Writes the delivery: a GeoJSON text sequence from the generator, then a GeoPackage by
/// ogr2ogr. Returns the parcels' bounding box in the plane.
fn write_delivery(gpkg: &Path, n: usize, crs: Crs) -> Result<[f64; 4]> {
    // Near Cần Thơ, as the sample data places the province's communes.
    let origin = crs.point_from_wgs84(Coord { x: 105.50, y: 9.55 })?;
    let layout =
        Layout { origin: (origin.x, origin.y), setting: synthetic::Setting::Urban, seed: 15, residential_code: "ODT" };
    let seq = gpkg.with_extension("geojsonl");
    let delivery = deliveries::write_sequence(&seq, synthetic::generate(&layout).take(n))?;
    let _ = std::fs::remove_file(gpkg);
    let srs = format!("EPSG:{}", crs.epsg());
    let status = Command::new("ogr2ogr")
        .args(["-f", "GPKG", &gpkg.to_string_lossy(), &seq.to_string_lossy(), "-a_srs", &srs, "-nln", "thua_dat"])
        .status()
        .context("running ogr2ogr (Debian gdal-bin)")?;
    if !status.success() {
        bail!("ogr2ogr could not write {}", gpkg.display());
    }
    let _ = std::fs::remove_file(&seq);
    Ok(delivery.bbox)
}

/// The plain load: ogr2ogr's PostgreSQL driver (COPY, a GiST index) into a new table.
fn plain_load(url: &str, gpkg: &Path) -> Result<f64> {
    let started = Instant::now();
    let status = Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", &pg_conninfo(url)?, &gpkg.to_string_lossy(), "-nln", "bench_import_plain"])
        .args(["-overwrite", "-lco", "SPATIAL_INDEX=GIST"])
        .status()
        .context("running ogr2ogr (Debian gdal-bin)")?;
    if !status.success() {
        bail!("ogr2ogr -f PostgreSQL failed");
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Removes the imported parcels (as the owner), so that the next round imports into the same
/// register as the first.
fn remove_imported(conn: &mut PgConnection) -> Result<()> {
    conn.transaction(|conn| {
        db::exec(conn, "CREATE TEMP TABLE bench_imported AS SELECT parcel_id, id FROM parcel_versions WHERE change_reason LIKE '%(import %' AND is_synthetic")?;
        db::exec(conn, "DELETE FROM parcel_land_uses WHERE parcel_version_id IN (SELECT id FROM bench_imported)")?;
        db::exec(conn, "DELETE FROM parcel_versions WHERE id IN (SELECT id FROM bench_imported)")?;
        db::exec(conn, "DELETE FROM parcels WHERE id IN (SELECT parcel_id FROM bench_imported)")?;
        db::exec(conn, "DROP TABLE bench_imported")
    })?;
    db::exec(conn, "VACUUM ANALYZE parcels, parcel_versions, parcel_land_uses")
}

/// `postgres://user:password@host:port/db` as GDAL's `PG:key=value …` (GDAL appends options of
/// its own to the string, which a URI does not survive).
fn pg_conninfo(url: &str) -> Result<String> {
    let rest = url.split_once("://").map(|(_, r)| r).context("the database URL has no scheme")?;
    let rest = rest.split('?').next().unwrap_or(rest);
    let (userinfo, hostpart) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (hostport, db) = hostpart.split_once('/').context("the database URL names no database")?;
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    let quote = |v: &str| format!("'{}'", percent_decode(v).replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = vec![format!("host={}", quote(host)), format!("port={port}"), format!("dbname={}", quote(db))];
    if !user.is_empty() {
        parts.push(format!("user={}", quote(user)));
    }
    if !password.is_empty() {
        parts.push(format!("password={}", quote(password)));
    }
    Ok(format!("PG:{}", parts.join(" ")))
}

/// `%XX` escapes of a URL component decoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%').then(|| s.get(i + 1..i + 3)).flatten();
        match escaped.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
