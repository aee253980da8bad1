//! Pure rules: no database, no HTTP, no clock. Everything here is tested on its own.

pub mod audit;
pub mod calendar;
pub mod certificate;
pub mod change;
pub mod checks;
pub mod crs;
pub mod dossier;
pub mod geohash;
pub mod geometry;
pub mod ids;
pub mod import;
pub mod parcel;
pub mod planning;
pub mod privacy;
pub mod restriction;
pub mod role;
pub mod tiles;
pub mod timeliness;
