//! Pure rules: no database, no HTTP, no clock. Everything here is tested on its own.

pub mod crs;
pub mod geohash;
pub mod geometry;
pub mod parcel;
pub mod privacy;
