//! `diachinh-tools bench-scale`: does latency stay flat as the register grows? The same reads —
//! parcel by id and bbox pages (`bench`), tiles (`bench-tiles`), certificate checks
//! (`bench-check`) — on registers of different sizes (by default 1,000,000 and 10,000,000
//! SYNTHETIC parcels, each loaded through the import path: see `deliveries.rs`), one size
//! right after the other, then one table of their p50s with the disk the register takes per
//! million parcels and the time its import took.
//!
//! Each benchmark's own section, per size, goes to `<scratch>/<N>.md` (kept, for the detail);
//! this command writes only its section of `--out`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use diesel::sql_types::{BigInt, Double, Nullable};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

use crate::harness::dataset::{self, DatasetSpec};
use crate::harness::db::url_with_database;
use crate::harness::machine::Facts;
use crate::harness::options::LoadTestOptions;
use crate::harness::report::{self, Latency};
use crate::harness::stats::thousands;
use crate::{bench, bench_check, bench_tiles};

const WHO: &str = "bench-scale";
/// The goal: p50 at the larger size within this factor of the smaller's.
const FLAT: f64 = 1.2;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Register sizes (synthetic parcels), smallest first.
    #[arg(long, value_delimiter = ',', default_value = "1000000,10000000")]
    pub sizes: Vec<usize>,
    /// Seconds per measurement (bench, bench-tiles) and of the check's throughput run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Measurements per endpoint; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Concurrent connections (wrk connections, pgbench clients, pool size).
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// Where each size's detailed sections are written.
    #[arg(long, default_value = "var/bench/scale")]
    pub scratch: PathBuf,
    #[arg(long = "dir", value_name = "DIR", default_value = "sample-data")]
    pub sample_dir: PathBuf,
}

/// What one register size gave.
struct SizeResult {
    parcels: usize,
    db_name: String,
    latencies: Vec<Latency>,
    disk: Disk,
    import: Option<ImportTime>,
}

/// Bytes the register takes, tables with their indexes (all partitions).
#[derive(QueryableByName)]
struct Disk {
    #[diesel(sql_type = BigInt)]
    database: i64,
    #[diesel(sql_type = BigInt)]
    register: i64,
    #[diesel(sql_type = BigInt)]
    current_parcels: i64,
}

/// The imports that loaded the synthetic parcels.
#[derive(QueryableByName)]
struct ImportTime {
    #[diesel(sql_type = BigInt)]
    imports: i64,
    #[diesel(sql_type = BigInt)]
    parcels: i64,
    /// From the first import's start to the last one's end.
    #[diesel(sql_type = Nullable<Double>)]
    wall_s: Option<f64>,
    /// The imports' own durations, summed (the wall time less the delivery writing between them).
    #[diesel(sql_type = Nullable<Double>)]
    busy_s: Option<f64>,
}

pub fn run(o: &Options) -> Result<()> {
    if o.sizes.len() < 2 || o.sizes.windows(2).any(|w| w[0] >= w[1]) || o.sizes[0] == 0 {
        bail!("--sizes needs at least two sizes, smallest first, none 0");
    }
    let base_url = diachinh::config::owner_database_url()?;
    let settings = diachinh::config::Config::load(None)?.settings()?;
    std::fs::create_dir_all(&o.scratch).with_context(|| format!("creating {}", o.scratch.display()))?;
    // Load every size first (the slow part), so the measurements follow one another.
    for &n in &o.sizes {
        let spec = DatasetSpec::for_parcels(n);
        let opened = dataset::open(WHO, &base_url, &spec, &o.sample_dir, &settings)?;
        eprintln!("{WHO}: {}: {}", spec.db_name, opened.load.describe());
    }
    let mut results = Vec::new();
    for &n in &o.sizes {
        let out = o.scratch.join(format!("{n}.md"));
        let load_test = LoadTestOptions {
            parcels: n,
            no_sample: true,
            seconds: o.seconds,
            connections: o.connections,
            repeats: o.repeats,
            out: out.clone(),
            sample_dir: o.sample_dir.clone(),
        };
        let mut latencies = bench::run(&load_test)?;
        latencies.extend(bench_tiles::run(&load_test)?);
        latencies.extend(bench_check::run(&bench_check::Options {
            parcels: n,
            no_sample: true,
            requests: 300,
            clients: 4,
            seconds: o.seconds,
            out,
            sample_dir: o.sample_dir.clone(),
        })?);
        let db_name = DatasetSpec::for_parcels(n).db_name;
        let mut conn = PgConnection::establish(&url_with_database(&base_url, &db_name)?)
            .with_context(|| format!("connecting to {db_name}"))?;
        results.push(SizeResult {
            parcels: n,
            disk: disk(&mut conn)?,
            import: import_time(&mut conn)?,
            latencies,
            db_name,
        });
    }
    let section = render(o, &Facts::collect(&base_url), &results);
    report::publish(WHO, &o.out, report::BENCH_SCALE, &section)?;
    Ok(())
}

fn disk(conn: &mut PgConnection) -> Result<Disk> {
    // pg_partition_tree lists a plain table as its own tree, so this holds before and after the
    // register is partitioned.
    Ok(diesel::sql_query(
        "SELECT pg_database_size(current_database()) AS database, \
                (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint \
                   FROM unnest(ARRAY['parcels', 'parcel_versions', 'parcel_land_uses']) AS r(name) \
                   CROSS JOIN LATERAL pg_partition_tree(r.name::regclass) AS t) AS register, \
                (SELECT count(*) FROM parcel_versions WHERE valid_to IS NULL) AS current_parcels",
    )
    .get_result(conn)?)
}

fn import_time(conn: &mut PgConnection) -> Result<Option<ImportTime>> {
    let t: ImportTime = diesel::sql_query(
        "SELECT count(*) AS imports, coalesce(sum(features_loaded), 0)::bigint AS parcels, \
                extract(epoch FROM max(finished_at) - min(started_at))::float8 AS wall_s, \
                extract(epoch FROM sum(finished_at - started_at))::float8 AS busy_s \
           FROM import_jobs WHERE status = 'succeeded' AND requested_by = $1",
    )
    .bind::<diesel::sql_types::Text, _>(crate::deliveries::LOADER)
    .get_result(conn)?;
    Ok((t.imports > 0).then_some(t))
}

fn render(o: &Options, facts: &Facts, results: &[SizeResult]) -> String {
    let mut s = String::new();
    let (first, last) = (&results[0], &results[results.len() - 1]);
    let _ = writeln!(s, "## Latency as the register grows\n");
    let _ = writeln!(
        s,
        "{} · commit `{}` · {} × {} · {}\n",
        facts.date, facts.commit, facts.cores, facts.cpu, facts.postgres
    );
    let _ = writeln!(
        s,
        "`diachinh-tools bench-scale --sizes {} --seconds {} --repeats {} --connections {}`: each size's register loaded \
         through the import path (one all-or-nothing `diachinh import` per commune of 5,000 synthetic parcels, communes \
         of every province in turn, each province's in a block of its own, each surveyed in a VN-2000 zone near it), then `bench`, `bench-tiles` and `bench-check` on each, one size right after the \
         other. p50 in ms: parcel by id and bbox pages with {} connections (median of the runs' p50s), tiles the same, \
         certificate checks from one client. The detail of each size is in `{}/<size>.md`.\n",
        o.sizes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","),
        o.seconds,
        o.repeats,
        o.connections,
        o.connections,
        o.scratch.display()
    );
    let _ = write!(s, "| p50 |");
    for r in results {
        let _ = write!(s, " {} parcels |", thousands(r.disk.current_parcels));
    }
    let _ = writeln!(s, " {} ÷ {} | within {:.0} % |", short(last.parcels), short(first.parcels), (FLAT - 1.0) * 100.0);
    let _ = writeln!(s, "|---|{}---:|---|", "---:|".repeat(results.len()));
    for l in &first.latencies {
        let _ = write!(s, "| {} |", l.what);
        let mut values = Vec::new();
        for r in results {
            let v = r.latencies.iter().find(|x| x.what == l.what && x.dataset == r.db_name).map(|x| x.p50_ms);
            values.push(v);
            match v {
                Some(v) => {
                    let _ = write!(s, " {v:.2} ms |");
                }
                None => {
                    let _ = write!(s, " — |");
                }
            }
        }
        match (values[0], values[values.len() - 1]) {
            (Some(a), Some(b)) if a > 0.0 => {
                let _ = writeln!(s, " {:.2} | {} |", b / a, if b / a <= FLAT { "yes" } else { "**no**" });
            }
            _ => {
                let _ = writeln!(s, " — | |");
            }
        }
    }
    let _ =
        writeln!(s, "\n| register | {} |", results.iter().map(|r| short(r.parcels)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(s, "|---|{}", "---:|".repeat(results.len()));
    let per_million =
        |bytes: i64, r: &SizeResult| bytes as f64 / (r.disk.current_parcels as f64 / 1e6) / 1024f64.powi(3);
    let row = |label: &str, f: &dyn Fn(&SizeResult) -> String| -> String {
        format!("| {label} | {} |", results.iter().map(f).collect::<Vec<_>>().join(" | "))
    };
    let gib = |b: i64| b as f64 / 1024f64.powi(3);
    let _ = writeln!(s, "{}", row("database on disk", &|r| format!("{:.2} GiB", gib(r.disk.database))));
    let _ = writeln!(
        s,
        "{}",
        row("parcels, versions, land uses with their indexes", &|r| format!("{:.2} GiB", gib(r.disk.register)))
    );
    let _ = writeln!(
        s,
        "{}",
        row("the same, per million parcels", &|r| format!("{:.2} GiB", per_million(r.disk.register, r)))
    );
    let _ = writeln!(
        s,
        "{}",
        row("import: communes, parcels", &|r| match &r.import {
            Some(t) => format!("{} imports, {}", t.imports, thousands(t.parcels)),
            None => "not loaded by imports".into(),
        })
    );
    let _ = writeln!(
        s,
        "{}",
        row("import: first start to last end (parcels/s)", &|r| match &r.import {
            Some(ImportTime { wall_s: Some(w), parcels, .. }) if *w > 0.0 => {
                format!("{:.0} s ({:.0}/s)", w, *parcels as f64 / w)
            }
            _ => "—".into(),
        })
    );
    let _ = writeln!(
        s,
        "{}",
        row("import: the imports' own time (parcels/s)", &|r| match &r.import {
            Some(ImportTime { busy_s: Some(b), parcels, .. }) if *b > 0.0 => {
                format!("{:.0} s ({:.0}/s)", b, *parcels as f64 / b)
            }
            _ => "—".into(),
        })
    );
    s
}

/// 1000000 → "1M", 100000 → "100k".
fn short(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sizes() {
        assert_eq!(short(1_000_000), "1M");
        assert_eq!(short(10_000_000), "10M");
        assert_eq!(short(100_000), "100k");
        assert_eq!(short(1_234), "1234");
    }
}
