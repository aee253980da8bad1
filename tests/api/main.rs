//! The integration tests, one binary (one link): each test talks to a real PostGIS database
//! cloned from a migrated, seeded template, and most to a real HTTP server on a random port.

mod common;

mod audit;
mod availability;
mod browser;
mod certificates;
mod changes;
mod checks_http;
mod citizen;
mod contract;
mod dashboard;
mod database_roles;
mod dossiers;
mod federation;
mod imports;
mod jurisdiction;
mod lifecycle;
mod ogc_clients;
mod partitions;
mod planning;
mod public_api;
mod qr_scan;
mod races;
mod replicas;
mod restrictions;
mod schemathesis;
mod sign_in;
mod staff_writes;
mod tiles;
mod vn2000_transform;
