//! The command-line options of the load tests (`bench`, `bench-tiles`): the same knobs, the
//! same bounds.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// What a load test (`diachinh-tools bench`, `diachinh-tools bench-tiles`) was asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadTestOptions {
    /// Synthetic parcels in the large dataset (0 = sample data only).
    #[arg(long, default_value_t = 1_000_000)]
    pub parcels: usize,
    /// Only the large dataset, not the sample data too (`bench`; `bench-tiles` uses one anyway).
    #[arg(long)]
    pub no_sample: bool,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent connections (wrk connections, pgbench clients, pool size).
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// Measurements per endpoint; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Markdown file for the results (only this command's section between its markers is replaced).
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// Sample data directory.
    #[arg(long = "dir", value_name = "DIR", default_value = "sample-data")]
    pub sample_dir: PathBuf,
}

impl LoadTestOptions {
    pub fn validate(&self) -> Result<()> {
        if !(1..=3_600).contains(&self.seconds) {
            bail!("--seconds must be between 1 and 3600");
        }
        if !(1..=150).contains(&self.connections) {
            bail!("--connections must be between 1 and 150 (the private cluster allows 200 connections)");
        }
        if !(1..=25).contains(&self.repeats) {
            bail!("--repeats must be between 1 and 25");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seconds: u64, connections: u32, repeats: usize) -> LoadTestOptions {
        LoadTestOptions {
            parcels: 0,
            no_sample: false,
            seconds,
            connections,
            repeats,
            out: "x.md".into(),
            sample_dir: "sample-data".into(),
        }
    }

    #[test]
    fn bounds() {
        assert!(options(10, 8, 3).validate().is_ok());
        assert!(options(0, 8, 3).validate().is_err());
        assert!(options(10, 151, 3).validate().is_err());
        assert!(options(10, 8, 26).validate().is_err());
    }
}
