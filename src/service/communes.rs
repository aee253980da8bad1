//! Communes (xã, phường, đặc khu) as an OGC API collection.

use diesel::PgConnection;
use serde::Serialize;
use serde_json::Value;

use super::{DbContext, Error};
use store::admin_units::{self, CommuneRow};

// ---- Views ----

/// The properties of a commune in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommuneProperties {
    /// Commune code (5 digits, 2025 codes).
    pub code: String,
    pub name: String,
    /// Xã, phường or đặc khu.
    pub division_type: String,
    pub province_code: String,
    pub province_name: String,
    /// Where the boundary comes from; null when unknown.
    pub boundary_source: Option<String>,
}

/// A commune as a GeoJSON Feature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommuneFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    /// The commune code.
    pub id: String,
    /// GeoJSON boundary (WGS 84); null where the boundary is not known.
    #[schema(value_type = Option<Object>)]
    pub geometry: Value,
    pub properties: CommuneProperties,
}

fn feature(r: &CommuneRow) -> CommuneFeature {
    CommuneFeature {
        kind: "Feature",
        id: r.code.clone(),
        geometry: r.geometry.as_deref().and_then(|g| serde_json::from_str::<Value>(g).ok()).unwrap_or(Value::Null),
        properties: CommuneProperties {
            code: r.code.clone(),
            name: r.name.clone(),
            division_type: r.division_type.clone(),
            province_code: r.province_code.clone(),
            province_name: r.province_name.clone(),
            boundary_source: r.boundary_source.clone(),
        },
    }
}

/// A page of communes in force, ordered by internal id; returns features, count and last id.
pub fn page(
    conn: &mut PgConnection,
    bbox: Option<[f64; 4]>,
    after: i64,
    limit: i64,
) -> Result<(Vec<CommuneFeature>, i64, Option<i64>), Error> {
    let (rows, count) = admin_units::commune_page(conn, bbox, after, limit).context_db("loading communes")?;
    let last = rows.last().map(|r| r.id as i64);
    Ok((rows.iter().map(feature).collect(), count, last))
}

/// One commune in force by code.
pub fn get(conn: &mut PgConnection, code: &str) -> Result<CommuneFeature, Error> {
    let row = admin_units::commune_by_code(conn, code).context_db("loading the commune")?;
    row.map(|r| feature(&r)).ok_or_else(|| Error::NotFound(format!("commune {code}")))
}
