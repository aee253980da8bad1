//! What a certificate check reads from the database (neighbours, zones, legal facts) and the
//! reports it keeps.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Jsonb, Nullable, Text, Timestamptz};

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
    /// Current parcels within `$3` metres of the GeoJSON `$1`, except parcel `$2`.
    pub const NEIGHBOURS: &str = "WITH c AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) \
         SELECT p.national_id AS id, '' AS code, ST_AsGeoJSON(v.geom, 9) AS geometry \
           FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id, c \
          WHERE v.valid_to IS NULL AND v.parcel_id <> $2 \
            AND v.geom && ST_Expand(c.g, $3 / 100000.0) AND ST_DWithin(v.geom::geography, c.g::geography, $3) \
          ORDER BY p.national_id LIMIT 500";
    /// Zones of approved plans that the GeoJSON `$1` intersects.
    pub const APPROVED_ZONES: &str = "WITH c AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) \
         SELECT z.id::text AS id, z.land_use_code AS code, ST_AsGeoJSON(z.geom, 9) AS geometry \
           FROM planning_zones z JOIN planning_plans pl ON pl.id = z.plan_id, c \
          WHERE pl.status = 'approved' AND z.geom && c.g AND ST_Intersects(z.geom, c.g) ORDER BY z.id LIMIT 200";
}

/// Current parcels within `distance_m` of the geometry (for overlaps and gaps), except one.
pub fn neighbours(
    conn: &mut PgConnection,
    geojson: &str,
    except_parcel: Option<i64>,
    distance_m: f64,
) -> QueryResult<Vec<Shape>> {
    diesel::sql_query(statements::NEIGHBOURS)
        .bind::<Text, _>(geojson)
        .bind::<BigInt, _>(except_parcel.unwrap_or(0))
        .bind::<Double, _>(distance_m)
        .load(conn)
}

/// Zones of approved plans that the geometry intersects.
pub fn approved_zones(conn: &mut PgConnection, geojson: &str) -> QueryResult<Vec<Shape>> {
    diesel::sql_query(statements::APPROVED_ZONES).bind::<Text, _>(geojson).load(conn)
}

/// The commune boundary as GeoJSON, if known.
pub fn commune_boundary(conn: &mut PgConnection, commune_id: i32) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct B {
        #[diesel(sql_type = Nullable<Text>)]
        geometry: Option<String>,
    }
    let b: B = diesel::sql_query("SELECT ST_AsGeoJSON(boundary, 9) AS geometry FROM admin_units WHERE id = $1")
        .bind::<diesel::sql_types::Integer, _>(commune_id)
        .get_result(conn)?;
    Ok(b.geometry)
}

/// A certificate over the parcel's current rights.
#[derive(Debug, Clone, QueryableByName)]
pub struct CertificateFact {
    #[diesel(sql_type = Text)]
    pub serial: String,
    #[diesel(sql_type = Bool)]
    pub valid: bool,
}

pub fn certificates_of(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<CertificateFact>> {
    diesel::sql_query(
        "SELECT c.serial, c.status = 'valid' AS valid FROM certificates c JOIN rrrs r ON r.id = c.rrr_id \
          WHERE r.parcel_id = $1 AND r.valid_to IS NULL ORDER BY c.id",
    )
    .bind::<BigInt, _>(parcel_id)
    .load(conn)
}

/// Restrictions and disputes in force on the parcel.
#[derive(Debug, Clone, QueryableByName)]
pub struct RestrictionFact {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Bool)]
    pub blocking: bool,
}

pub fn restrictions_of(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<RestrictionFact>> {
    diesel::sql_query(
        "SELECT kind, source_document AS reference, blocking FROM rrrs \
          WHERE parcel_id = $1 AND valid_to IS NULL AND kind IN ('restriction', 'dispute', 'mortgage') ORDER BY id",
    )
    .bind::<BigInt, _>(parcel_id)
    .load(conn)
}

/// A reference document's CSV text.
pub fn reference_document(conn: &mut PgConnection, name: &str) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct D {
        #[diesel(sql_type = Text)]
        content: String,
    }
    Ok(diesel::sql_query("SELECT content FROM reference_documents WHERE name = $1")
        .bind::<Text, _>(name)
        .get_result::<D>(conn)
        .optional()?
        .map(|d| d.content))
}

pub fn put_reference_document(conn: &mut PgConnection, name: &str, content: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO reference_documents (name, content) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET content = excluded.content, updated_at = now()",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(content)
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
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let r: Id = diesel::sql_query(
        "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report, checked_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind::<Nullable<BigInt>, _>(dossier_id)
    .bind::<Nullable<BigInt>, _>(parcel_id)
    .bind::<Text, _>(outcome)
    .bind::<Jsonb, _>(report)
    .bind::<Timestamptz, _>(at)
    .get_result(conn)?;
    Ok(r.id)
}
