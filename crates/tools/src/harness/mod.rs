//! What the benchmarks (`bench`, `bench-tiles`, `bench-check`, `bench-peers`) share, one copy each:
//!
//! - [`options`]: the load-test options of `bench` and `bench-tiles` and their bounds;
//! - [`dataset`]: the benchmark databases — created, loaded (sample data + synthetic parcels)
//!   and marked complete under one advisory lock, reused when marked;
//! - [`db`]: small SQL helpers on one connection;
//! - [`server`]: our HTTP server, in-process on `127.0.0.1:0`;
//! - [`process`]: the scratch directory and the bounded child-process runner;
//! - [`http`]: a minimal HTTP/1.1 client for single requests;
//! - [`peers`]: the peer servers (tipg, pygeoapi, Martin) as child processes, and GDAL's ogr2ogr;
//! - [`wrk`] and [`pgbench`]: the two load generators, their runs and their output;
//! - [`machine`]: the load average and the facts a report states (date, commit, CPU, versions);
//! - [`stats`]: medians and number formatting;
//! - [`report`]: BENCHMARKS.md, where each benchmark replaces only its own marked section.
//!
//! Each benchmark keeps what is its own: its requests and SQL, its measurements and the
//! rendering of its section.

pub mod dataset;
pub mod db;
pub mod http;
pub mod machine;
pub mod options;
pub mod peers;
pub mod pgbench;
pub mod process;
pub mod report;
pub mod server;
pub mod stats;
pub mod wrk;
