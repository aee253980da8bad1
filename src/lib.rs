//! diachinh — a land-records (cadastral) database service for Vietnam: the server.
//!
//! Layers are crates: [`domain`] (pure rules) and [`store`] (PostgreSQL) below, this crate's
//! `service` (use cases) and `http` (handlers, views, OpenAPI) above. See ARCHITECTURE.md.

pub mod cluster;
pub mod config;
pub mod http;
pub mod service;
