//! The benchmark databases, shared by the three benchmarks: `diachinh_bench_sample` (the sample
//! communes) and `diachinh_bench_<N>` (plus N synthetic parcels), on the server of
//! [`diachinh::config::owner_database_url`]. A database whose comment starts with [`MARKER`] is
//! completely loaded and is reused; any other is loaded (again). Checking and loading happen
//! under one session advisory lock, so two benchmarks never load one database at once.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use diesel::pg::PgConnection;
use diesel::Connection;

use diachinh::service::{seed, Settings};

use super::db::{create_database_if_missing, database_comment, exec, quote_literal, scalar_i64, url_with_database};

/// The database comment that marks a dataset as completely loaded.
pub const MARKER: &str = "diachinh bench dataset: complete";
/// Session advisory lock (in the bench database) held while checking and loading it.
pub const LOAD_LOCK: &str = "diachinh bench load";
/// Synthetic parcels per commune (200 communes for 1,000,000).
pub const PER_COMMUNE: usize = 5_000;

/// Which benchmark database, and what goes into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSpec {
    pub db_name: String,
    /// Synthetic parcels on top of the sample data.
    pub synthetic: usize,
}

impl DatasetSpec {
    /// The sample data alone for 0, the sample data and `parcels` synthetic parcels otherwise.
    pub fn for_parcels(parcels: usize) -> DatasetSpec {
        if parcels == 0 {
            DatasetSpec { db_name: "diachinh_bench_sample".into(), synthetic: 0 }
        } else {
            DatasetSpec { db_name: format!("diachinh_bench_{parcels}"), synthetic: parcels }
        }
    }

    /// [`DatasetSpec::sample_and`], or only the large dataset when `no_sample` (and `parcels` > 0).
    pub fn chosen(parcels: usize, no_sample: bool) -> Vec<DatasetSpec> {
        if no_sample && parcels > 0 {
            vec![DatasetSpec::for_parcels(parcels)]
        } else {
            DatasetSpec::sample_and(parcels)
        }
    }

    /// The sample dataset, then the one with `parcels` synthetic parcels unless that is 0.
    pub fn sample_and(parcels: usize) -> Vec<DatasetSpec> {
        let mut specs = vec![DatasetSpec::for_parcels(0)];
        if parcels > 0 {
            specs.push(DatasetSpec::for_parcels(parcels));
        }
        specs
    }
}

/// How the data got there.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadInfo {
    /// Loaded by this run; `comment` is the marker comment it wrote.
    Loaded { seconds: f64, comment: String },
    /// Found complete; `comment` is its marker comment.
    Reused { comment: String },
}

impl LoadInfo {
    /// "loaded by this run in 12 s" or "reused (diachinh bench dataset: complete; …)".
    pub fn describe(&self) -> String {
        match self {
            LoadInfo::Loaded { seconds, .. } => format!("loaded by this run in {seconds:.0} s"),
            LoadInfo::Reused { comment } => format!("reused ({comment})"),
        }
    }
}

/// A complete benchmark database.
pub struct OpenDataset {
    pub url: String,
    /// Holds [`LOAD_LOCK`] until dropped: what the caller adds through it is also
    /// serialised with the other benchmarks.
    pub conn: PgConnection,
    pub load: LoadInfo,
}

/// Creates the database if missing, takes [`LOAD_LOCK`], and reuses the dataset when marked
/// complete (migrated, which is cheap and keeps it in step with the code) or loads it:
/// migrate, seed the sample data from `sample_dir`, add the synthetic parcels, VACUUM
/// ANALYZE, mark complete. `who` prefixes the progress lines.
pub fn open(
    who: &str,
    base_url: &str,
    spec: &DatasetSpec,
    sample_dir: &Path,
    settings: &Settings,
) -> Result<OpenDataset> {
    let url = url_with_database(base_url, &spec.db_name)?;
    create_database_if_missing(who, base_url, &spec.db_name)?;
    let mut conn = PgConnection::establish(&url).with_context(|| format!("while connecting to {}", spec.db_name))?;
    // Another benchmark may be loading this database: wait for it (the lock ends with `conn`).
    exec(&mut conn, &format!("SELECT pg_advisory_lock(hashtext({}))", quote_literal(LOAD_LOCK)))?;
    let load = match database_comment(&mut conn)? {
        Some(comment) if comment.starts_with(MARKER) => {
            eprintln!("{who}: reusing {} ({comment})", spec.db_name);
            let applied = store::migrate(&mut conn)?;
            if !applied.is_empty() {
                // A migration that rewrote tables leaves them without statistics.
                let started = Instant::now();
                exec(&mut conn, "VACUUM ANALYZE").context("while running VACUUM ANALYZE after migrating")?;
                eprintln!(
                    "{who}: {}: migrated ({}) and analysed in {:.1} s",
                    spec.db_name,
                    applied.join(", "),
                    started.elapsed().as_secs_f64()
                );
            }
            LoadInfo::Reused { comment }
        }
        _ => load(who, &mut conn, spec, sample_dir, settings)?,
    };
    Ok(OpenDataset { url, conn, load })
}

fn load(
    who: &str,
    conn: &mut PgConnection,
    spec: &DatasetSpec,
    sample_dir: &Path,
    settings: &Settings,
) -> Result<LoadInfo> {
    let started = Instant::now();
    exec(conn, "CREATE EXTENSION IF NOT EXISTS postgis").context("while creating the postgis extension")?;
    store::migrate(conn)?;
    eprintln!("{who}: {}: loading the sample data from {}", spec.db_name, sample_dir.display());
    seed::seed(conn, settings, sample_dir).context("while seeding the sample data")?;
    if spec.synthetic > 0 {
        load_synthetic(who, conn, spec, settings)?;
    }
    eprintln!("{who}: {}: VACUUM ANALYZE", spec.db_name);
    exec(conn, "VACUUM ANALYZE").context("while running VACUUM ANALYZE")?;
    let seconds = started.elapsed().as_secs_f64();
    let parcels = count_current_parcels(conn)?;
    let comment = format!(
        "{MARKER}; {parcels} current parcels; loaded in {seconds:.0} s on {}",
        chrono::Local::now().format("%Y-%m-%d")
    );
    exec(conn, &format!("COMMENT ON DATABASE {} IS {}", spec.db_name, quote_literal(&comment)))?;
    eprintln!("{who}: {}: loaded in {seconds:.1} s", spec.db_name);
    Ok(LoadInfo::Loaded { seconds, comment })
}

fn load_synthetic(who: &str, conn: &mut PgConnection, spec: &DatasetSpec, settings: &Settings) -> Result<()> {
    let started = Instant::now();
    let mut last_report = 0usize;
    let scratch = std::env::temp_dir().join(format!("diachinh-{}", spec.db_name));
    let loaded = crate::deliveries::load_synthetic(
        conn,
        settings,
        &scratch,
        spec.synthetic,
        PER_COMMUNE,
        |done, total, phases| {
            // One line per ~50,000 parcels (and the last one), not one per commune.
            if done >= last_report + 50_000 || done == total {
                last_report = done;
                let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
                eprintln!(
                    "{who}: {}: imported {done}/{total} synthetic parcels ({:.0}%), {rate:.0}/s; last commune: {phases}",
                    spec.db_name,
                    100.0 * done as f64 / total.max(1) as f64
                );
            }
        },
    )
    .context("while importing synthetic parcels")?;
    let _ = std::fs::remove_dir_all(&scratch);
    // Each commune is one all-or-nothing import, but check what is really there.
    let synthetic = count_synthetic_parcels(conn)?;
    if synthetic < spec.synthetic as i64 {
        bail!(
            "{} holds {synthetic} synthetic parcels after loading {loaded}, expected {}; drop it (DROP DATABASE {}) \
             and run the bench again",
            spec.db_name,
            spec.synthetic,
            spec.db_name
        );
    }
    eprintln!("{who}: {}: {loaded} synthetic parcels in {:.1} s", spec.db_name, started.elapsed().as_secs_f64());
    Ok(())
}

/// Current parcels in the database.
pub fn count_current_parcels(conn: &mut PgConnection) -> Result<i64> {
    scalar_i64(conn, "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL")
}

/// Parcels written by `load_synthetic` (its bulk insert's change reason).
fn count_synthetic_parcels(conn: &mut PgConnection) -> Result<i64> {
    scalar_i64(
        conn,
        // The parcels the imports registered (the sample parcels are synthetic too, but seeded).
        "SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL AND is_synthetic AND change_reason LIKE '%(import %'",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names() {
        assert_eq!(DatasetSpec::for_parcels(0), DatasetSpec { db_name: "diachinh_bench_sample".into(), synthetic: 0 });
        assert_eq!(
            DatasetSpec::for_parcels(1_000_000),
            DatasetSpec { db_name: "diachinh_bench_1000000".into(), synthetic: 1_000_000 }
        );
        assert_eq!(DatasetSpec::sample_and(0), [DatasetSpec::for_parcels(0)]);
        assert_eq!(DatasetSpec::sample_and(7), [DatasetSpec::for_parcels(0), DatasetSpec::for_parcels(7)]);
        assert_eq!(DatasetSpec::chosen(7, true), [DatasetSpec::for_parcels(7)]);
        assert_eq!(DatasetSpec::chosen(0, true), [DatasetSpec::for_parcels(0)]);
        assert_eq!(DatasetSpec::chosen(7, false), DatasetSpec::sample_and(7));
    }

    #[test]
    fn load_descriptions() {
        assert_eq!(LoadInfo::Loaded { seconds: 12.4, comment: "c".into() }.describe(), "loaded by this run in 12 s");
        assert_eq!(
            LoadInfo::Reused { comment: format!("{MARKER}; 960") }.describe(),
            format!("reused ({MARKER}; 960)")
        );
    }
}
