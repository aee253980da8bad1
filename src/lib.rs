//! diachinh — a land-records (cadastral) database service for Vietnam.
//!
//! Layers point downward only: `http` → `service` → `domain` / `persistence`.

pub mod bench;
pub mod bench_check;
pub mod bench_tiles;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod http;
pub mod persistence;
pub mod service;
pub mod synthetic;
