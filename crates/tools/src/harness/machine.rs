//! The machine the benchmarks run on: how busy it is, and the facts a report states.

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};

/// The 1-minute load average (NaN if unknown).
pub fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg").ok().and_then(|t| t.split_whitespace().next()?.parse().ok()).unwrap_or(f64::NAN)
}

/// Logical cores (1 if unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Waits (at most a minute) for the 1-minute load average to drop to the number of cores,
/// so that our own previous runs and other work interfere less. Goes ahead regardless.
pub fn wait_for_quiet_machine(who: &str) {
    let cores = cores() as f64;
    let started = Instant::now();
    while load_average() > cores && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_secs(5));
    }
    let load = load_average();
    if load > cores {
        eprintln!(
            "{who}: the machine is busy (load average {load:.1} on {cores} cores); measuring anyway, expect noise"
        );
    }
}

/// Facts about the machine and the code measured.
#[derive(Debug, Clone)]
pub struct Facts {
    pub date: String,
    pub commit: String,
    pub cores: usize,
    pub cpu: String,
    pub memory: String,
    pub postgres: String,
}

impl Facts {
    /// `base_url`: the database server whose versions are stated.
    pub fn collect(base_url: &str) -> Facts {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Facts {
            date: chrono::Local::now().format("%Y-%m-%d %H:%M %:z").to_string(),
            commit: git_commit().unwrap_or_else(|| "unknown".into()),
            cores: cores(),
            cpu: proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".into()),
            memory: proc_field(&meminfo, "MemTotal")
                .and_then(|kb| kb.split_whitespace().next()?.parse::<f64>().ok())
                .map_or_else(|| "unknown".into(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0)),
            postgres: server_versions(base_url).unwrap_or_else(|e| format!("PostgreSQL (version unknown: {e})")),
        }
    }

    /// "2026-11-23 13:20 +00:00 · commit `826b36e` · 2 × AMD EPYC · 23.5 GiB · PostgreSQL 15.20 …, PostGIS 3.3.2".
    pub fn summary(&self) -> String {
        format!(
            "{} · commit `{}` · {} × {} · {} · {}",
            self.date, self.commit, self.cores, self.cpu, self.memory, self.postgres
        )
    }
}

/// The value of the first `name: value` line of a /proc file.
pub fn proc_field(text: &str, name: &str) -> Option<String> {
    text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string())
}

/// `git rev-parse --short HEAD`, with `-dirty` when tracked files have changes.
pub fn git_commit() -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short", "HEAD"]).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    Some(if dirty { format!("{commit}-dirty") } else { commit })
}

/// "PostgreSQL 15.20 (Debian 15.20-0+deb12u1), PostGIS 3.3.2".
pub fn server_versions(base_url: &str) -> Result<String> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        pg: String,
        #[diesel(sql_type = Text)]
        postgis: String,
    }
    let mut conn = PgConnection::establish(base_url)?;
    let v: V = diesel::sql_query("SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis")
        .get_result(&mut conn)?;
    Ok(format!("PostgreSQL {}, PostGIS {}", v.pg, v.postgis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2000\nmodel name\t: second\n";
        assert_eq!(proc_field(cpuinfo, "model name").as_deref(), Some("AMD EPYC"));
        assert_eq!(proc_field("MemTotal:       24641772 kB\n", "MemTotal").as_deref(), Some("24641772 kB"));
        assert_eq!(proc_field(cpuinfo, "flags"), None);
    }

    #[test]
    fn summary_line() {
        let facts = Facts {
            date: "2026-11-23 13:20 +00:00".into(),
            commit: "826b36e-dirty".into(),
            cores: 2,
            cpu: "AMD EPYC".into(),
            memory: "23.5 GiB".into(),
            postgres: "PostgreSQL 15.20, PostGIS 3.3.2".into(),
        };
        assert_eq!(
            facts.summary(),
            "2026-11-23 13:20 +00:00 · commit `826b36e-dirty` · 2 × AMD EPYC · 23.5 GiB · PostgreSQL 15.20, PostGIS 3.3.2"
        );
    }
}
