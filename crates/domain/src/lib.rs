//! Pure rules: no database, no HTTP, no clock. Everything here is tested on its own.

pub mod calendar;
pub mod certificate;
pub mod checks;
pub mod crs;
pub mod dossier;
pub mod geohash;
pub mod geometry;
pub mod ogc_crs;
pub mod parcel;
pub mod planning;
pub mod privacy;
pub mod projection;
pub mod tiles;
pub mod timeliness;
