//! What authorisation and issuance need to know about the land a request touches: the province
//! of each parcel (jurisdiction follows the land, not the dossier), the newest check of one
//! parcel within a dossier, and when a parcel's restrictions last changed.

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::schema::{dossier_parcels, geometry_checks, parcels, rrrs};

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

/// A stored check as issuance reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = geometry_checks, check_for_backend(Pg))]
pub struct CheckRow {
    pub id: i64,
    pub outcome: String,
    pub checked_at: DateTime<Utc>,
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

/// When a restriction, dispute or mortgage on the parcel was last recorded or lifted.
pub fn last_restriction_change(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<DateTime<Utc>>> {
    let kinds = ["restriction", "dispute", "mortgage"];
    let recorded: Option<DateTime<Utc>> = rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq_any(kinds))
        .select(max(rrrs::valid_from))
        .first(conn)?;
    let lifted: Option<DateTime<Utc>> = rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq_any(kinds))
        .select(max(rrrs::valid_to))
        .first(conn)?;
    Ok(recorded.max(lifted))
}
