//! What a certificate check reads from the database (neighbours, zones, legal facts) and the
//! reports it keeps.

use chrono::{DateTime, Utc};
use diesel::dsl::now;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use diesel::upsert::excluded;
use domain::certificate::Status;

use crate::schema::{certificates, geometry_checks, reference_documents, rrrs};

/// A geometry with an identifier, as GeoJSON in WGS 84.
#[derive(Debug, Clone, QueryableByName)]
pub struct Shape {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub geometry: String,
}

/// The statements of the certificate check, public so that benchmarks run exactly these.
pub mod statements {
    /// Current parcels within `$3` metres of the GeoJSON `$1`, except parcel `$2`: the body of
    /// the function `check_neighbours` (migrations 000024, 000025), which runs it in its
    /// generic plan.
    pub const NEIGHBOURS: &str = include_str!("sql/check_neighbours.sql");
    /// The call of that function, as the check sends it.
    pub const NEIGHBOURS_CALL: &str = include_str!("sql/check_neighbours_call.sql");
    /// Zones of approved plans that the GeoJSON `$1` intersects.
    pub const APPROVED_ZONES: &str = include_str!("sql/check_approved_zones.sql");
    /// Communes in force other than unit `$2` whose boundary shares area with the GeoJSON `$1`.
    pub const COMMUNES_AT: &str = include_str!("sql/checks_communes_at.sql");
}

const COMMUNE_BOUNDARY: &str = include_str!("sql/commune_boundary.sql");

/// Current parcels within `distance_m` of the geometry (for overlaps and gaps), except one.
pub fn neighbours(
    conn: &mut PgConnection,
    geojson: &str,
    except_parcel: Option<i64>,
    distance_m: f64,
) -> QueryResult<Vec<Shape>> {
    diesel::sql_query(statements::NEIGHBOURS_CALL)
        .bind::<Text, _>(geojson)
        .bind::<BigInt, _>(except_parcel.unwrap_or(0))
        .bind::<Double, _>(distance_m)
        .load(conn)
}

/// Zones of approved plans that the geometry intersects.
pub fn approved_zones(conn: &mut PgConnection, geojson: &str) -> QueryResult<Vec<Shape>> {
    diesel::sql_query(statements::APPROVED_ZONES).bind::<Text, _>(geojson).load(conn)
}

/// A commune the geometry lies (partly) in: its code, name and the part of the geometry
/// inside its boundary, as GeoJSON in WGS 84.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommunePart {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub geometry: String,
}

/// The communes in force, other than `except_unit`, whose boundary on record shares area with
/// the geometry (GeoJSON, WGS 84), each with that shared part; no rows for a geometry PostGIS
/// finds invalid.
pub fn communes_at(conn: &mut PgConnection, geojson: &str, except_unit: i32) -> QueryResult<Vec<CommunePart>> {
    diesel::sql_query(statements::COMMUNES_AT).bind::<Text, _>(geojson).bind::<Integer, _>(except_unit).load(conn)
}

/// The commune boundary as GeoJSON, if known.
pub fn commune_boundary(conn: &mut PgConnection, commune_id: i32) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct B {
        #[diesel(sql_type = Nullable<Text>)]
        geometry: Option<String>,
    }
    let b: B = diesel::sql_query(COMMUNE_BOUNDARY).bind::<Integer, _>(commune_id).get_result(conn)?;
    Ok(b.geometry)
}

/// A certificate over the parcel's current rights.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certificates, check_for_backend(Pg))]
pub struct CertificateFact {
    pub serial: String,
    /// Whether the certificate's status is [`Status::Valid`].
    #[diesel(
        select_expression = certificates::status.eq(Status::Valid.as_str()),
        select_expression_type = diesel::dsl::Eq<certificates::status, &'static str>,
    )]
    pub valid: bool,
}

pub fn certificates_of(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<CertificateFact>> {
    certificates::table
        .inner_join(rrrs::table)
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::valid_to.is_null())
        .order(certificates::id)
        .select(CertificateFact::as_select())
        .load(conn)
}

/// A reference document's CSV text.
pub fn reference_document(conn: &mut PgConnection, name: &str) -> QueryResult<Option<String>> {
    reference_documents::table.find(name).select(reference_documents::content).first(conn).optional()
}

pub fn put_reference_document(conn: &mut PgConnection, name: &str, content: &str) -> QueryResult<usize> {
    diesel::insert_into(reference_documents::table)
        .values((reference_documents::name.eq(name), reference_documents::content.eq(content)))
        .on_conflict(reference_documents::name)
        .do_update()
        .set((
            reference_documents::content.eq(excluded(reference_documents::content)),
            reference_documents::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Stores a check report; returns its id.
pub fn insert_check(
    conn: &mut PgConnection,
    dossier_id: Option<i64>,
    parcel_id: Option<i64>,
    outcome: &str,
    report: &serde_json::Value,
    at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(geometry_checks::table)
        .values((
            geometry_checks::dossier_id.eq(dossier_id),
            geometry_checks::parcel_id.eq(parcel_id),
            geometry_checks::outcome.eq(outcome),
            geometry_checks::report.eq(report),
            geometry_checks::checked_at.eq(at),
        ))
        .returning(geometry_checks::id)
        .get_result(conn)
}
