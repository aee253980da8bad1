//! Where the database is: `DATABASE_URL`, or the project's own cluster under `./var/`.

use std::path::PathBuf;

use crate::cluster::{Cluster, APP_DB};

/// The private cluster described by DIACHINH_PG_DIR (default `var/pg`), DIACHINH_PG_PORT
/// (default 54320) and DIACHINH_PG_DURABLE (default 1; 0 turns fsync off for tests).
pub fn private_cluster() -> anyhow::Result<Cluster> {
    let dir = std::env::var("DIACHINH_PG_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("var/pg"));
    let port = match std::env::var("DIACHINH_PG_PORT") {
        Ok(p) => p.parse::<u16>().map_err(|e| anyhow::anyhow!("DIACHINH_PG_PORT={p}: {e}"))?,
        Err(_) => 54320,
    };
    let durable = std::env::var("DIACHINH_PG_DURABLE").map(|v| v != "0").unwrap_or(true);
    Ok(Cluster::new(dir, port, durable))
}

/// The database to use: DATABASE_URL when set; otherwise the private cluster, started if
/// needed (so `diachinh serve` works on a machine with nothing else running).
pub fn database_url() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Ok(url);
    }
    let cluster = private_cluster()?;
    cluster.start()?;
    Ok(cluster.url(APP_DB))
}
