//! What authorisation and issuance need to know about the land a request touches: the province
//! of each parcel (jurisdiction follows the land, not the dossier), the newest check of one
//! parcel within a dossier, and when a parcel's restrictions last changed.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::schema::{dossier_parcels, geometry_checks, parcels};

/// A parcel named in a dossier, with the province it lies in.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = parcels, check_for_backend(Pg))]
pub struct LandRow {
    pub id: i64,
    pub national_id: String,
    pub province_code: String,
}

/// The parcels a dossier names, by parcel id.
pub fn dossier_land(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<LandRow>> {
    parcels::table
        .inner_join(dossier_parcels::table.on(dossier_parcels::parcel_id.eq(parcels::id)))
        .filter(dossier_parcels::dossier_id.eq(dossier_id))
        .order(parcels::id)
        .select(LandRow::as_select())
        .load(conn)
}

/// The province of a parcel.
pub fn parcel_province(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<String>> {
    parcels::table.filter(parcels::id.eq(parcel_id)).select(parcels::province_code).first(conn).optional()
}

/// A parcel (current or retired) by its national id.
pub fn parcel_by_national_id(conn: &mut PgConnection, national_id: &str) -> QueryResult<Option<LandRow>> {
    parcels::table.filter(parcels::national_id.eq(national_id)).select(LandRow::as_select()).first(conn).optional()
}

/// The national id of a parcel.
pub fn national_id_of(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<String>> {
    parcels::table.filter(parcels::id.eq(parcel_id)).select(parcels::national_id).first(conn).optional()
}

/// A stored check as issuance reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = geometry_checks, check_for_backend(Pg))]
pub struct CheckRow {
    pub id: i64,
    pub outcome: String,
    pub checked_at: DateTime<Utc>,
    /// The stored report (its `results` name the rules that failed).
    pub report: serde_json::Value,
}

/// The newest check kept for `dossier_id` that is about `parcel_id` (checks of other parcels,
/// or of no parcel, never count).
pub fn latest_check_of_parcel(
    conn: &mut PgConnection,
    dossier_id: i64,
    parcel_id: i64,
) -> QueryResult<Option<CheckRow>> {
    geometry_checks::table
        .filter(geometry_checks::dossier_id.eq(dossier_id))
        .filter(geometry_checks::parcel_id.eq(parcel_id))
        .order((geometry_checks::checked_at.desc(), geometry_checks::id.desc()))
        .select(CheckRow::as_select())
        .first(conn)
        .optional()
}
