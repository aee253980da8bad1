//! pgbench, PostgreSQL's load generator: the same SQL as our server, straight against the
//! database, as the limit a benchmark compares with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use diachinh::cluster::PG_BIN;

use super::process::{run_bounded, WorkDir, GRACE};
use super::wrk::INSTALL_HINT;

/// `PGOPTIONS` for a statement run as our SQL functions run theirs (migration 000023): always the
/// generic plan, pruned at run time. Left to choose, PostgreSQL re-plans a statement over 34
/// partitions on every execution at 10,000,000 parcels, and the "limit" is then slower than
/// the server.
pub const GENERIC_PLAN: &str = "-c plan_cache_mode=force_generic_plan";

/// The pgbench executable of the cluster's PostgreSQL.
pub struct Pgbench {
    path: PathBuf,
}

/// How pgbench sends the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgMode {
    /// `-M prepared`: parsed once per connection, plans cacheable.
    Prepared,
    /// `-M extended`: unnamed statements, parsed and planned every time (as diesel does).
    Unprepared,
}

impl PgMode {
    /// The `-M` argument.
    pub fn flag(self) -> &'static str {
        match self {
            PgMode::Prepared => "prepared",
            PgMode::Unprepared => "extended",
        }
    }
}

/// The script files and `-D` definitions of one pgbench run.
#[derive(Debug, Clone)]
pub struct PgbenchInput {
    pub mode: PgMode,
    /// With several, each transaction runs one, chosen at random (equal weights).
    pub scripts: Vec<PathBuf>,
    /// `name=value`.
    pub variables: Vec<String>,
    /// Session settings (`PGOPTIONS`, e.g. `-c plan_cache_mode=force_generic_plan`), empty for none.
    pub options: String,
}

impl PgbenchInput {
    /// One script, no variables.
    pub fn script(mode: PgMode, script: PathBuf) -> PgbenchInput {
        PgbenchInput { mode, scripts: vec![script], variables: Vec::new(), options: String::new() }
    }
}

/// What one pgbench run measured (the overall figures).
#[derive(Debug, Clone, PartialEq)]
pub struct PgbenchRun {
    pub mode: PgMode,
    /// Transactions per second, without the initial connection time.
    pub tps: f64,
    /// Average transaction latency (NaN if not printed).
    pub latency_ms: f64,
    pub failed: u64,
}

impl Pgbench {
    pub fn find() -> Result<Pgbench> {
        let path = Path::new(PG_BIN).join("pgbench");
        if !path.is_file() {
            bail!("{} is missing (Debian package postgresql-contrib): {INSTALL_HINT}", path.display());
        }
        Ok(Pgbench { path })
    }

    /// `clients` clients (on at most 2 threads) for `seconds` against `url`, in `input.mode`.
    pub fn run(
        &self,
        work: &WorkDir,
        input: &PgbenchInput,
        url: &str,
        clients: u32,
        seconds: u64,
    ) -> Result<PgbenchRun> {
        let mode = input.mode.flag();
        let mut cmd = Command::new(&self.path);
        cmd.args(["-n", "-M", mode])
            .arg(format!("-c{clients}"))
            .arg(format!("-j{}", clients.min(2)))
            .arg(format!("-T{seconds}"));
        for script in &input.scripts {
            cmd.arg("-f").arg(script);
        }
        for variable in &input.variables {
            cmd.arg("-D").arg(variable);
        }
        cmd.arg(url);
        if !input.options.is_empty() {
            cmd.env("PGOPTIONS", &input.options);
        }
        let out = run_bounded(cmd, work, "pgbench", Duration::from_secs(seconds) + GRACE)?;
        if !out.success {
            bail!("pgbench -M {mode} failed: {}", out.text());
        }
        parse_pgbench(&out.stdout, input.mode).with_context(|| format!("unexpected pgbench output: {}", out.text()))
    }
}

/// `tps = … (without initial connection time)`, the average latency and the failed
/// transactions: the overall figures (per-script lines start with ` - `).
pub fn parse_pgbench(stdout: &str, mode: PgMode) -> Result<PgbenchRun> {
    let after =
        |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|v| v.split_whitespace().next());
    let tps_line = stdout
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection time"))
        .ok_or_else(|| anyhow!("no tps line"))?;
    let tps: f64 = tps_line["tps = ".len()..].split_whitespace().next().unwrap_or("").parse().context("bad tps")?;
    let latency_ms = after("latency average = ").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    let failed = after("number of failed transactions: ").and_then(|n| n.parse().ok()).unwrap_or(0);
    Ok(PgbenchRun { mode, tps, latency_ms, failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_output_with_scripts() {
        let out = "transaction type: by-id.sql
number of transactions actually processed: 1000
number of failed transactions: 0 (0.000%)
latency average = 2.000 ms
initial connection time = 10.000 ms
tps = 1234.567890 (without initial connection time)
SQL script 1: /tmp/x/by-id.0.sql
 - weight: 1 (targets 50.0% of total)
 - 500 transactions (50.0% of total, tps = 617.283945)
 - number of failed transactions: 3 (0.000%)
";
        let run = parse_pgbench(out, PgMode::Unprepared).unwrap();
        assert!((run.tps - 1234.56789).abs() < 1e-9);
        assert_eq!((run.mode, run.latency_ms, run.failed), (PgMode::Unprepared, 2.0, 0));
        assert!(parse_pgbench("no tps here", PgMode::Prepared).is_err());
    }

    #[test]
    fn pgbench_output_with_failures() {
        let out = "latency average = 2.500 ms\ninitial connection time = 3.1 ms\ntps = 400.123 (without initial connection time)\nnumber of failed transactions: 2 (0.1%)\n";
        let run = parse_pgbench(out, PgMode::Prepared).unwrap();
        assert_eq!(run, PgbenchRun { mode: PgMode::Prepared, tps: 400.123, latency_ms: 2.5, failed: 2 });
        let without_latency = parse_pgbench("tps = 10 (without initial connection time)\n", PgMode::Prepared).unwrap();
        assert!(without_latency.latency_ms.is_nan());
        assert!(parse_pgbench("tps = many (without initial connection time)\n", PgMode::Prepared).is_err());
    }

    #[test]
    fn mode_flags() {
        assert_eq!(PgMode::Prepared.flag(), "prepared");
        assert_eq!(PgMode::Unprepared.flag(), "extended");
    }
}
