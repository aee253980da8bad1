//! Communes (xã, phường, đặc khu) as an OGC API collection.

use diesel::PgConnection;
use serde_json::{json, Value};

use super::{DbContext, Error};
use store::admin::{self, CommuneRow};

fn feature(r: &CommuneRow) -> Value {
    json!({
        "type": "Feature",
        "id": r.code,
        "geometry": r.geometry.as_deref().and_then(|g| serde_json::from_str::<Value>(g).ok()),
        "properties": {
            "code": r.code,
            "name": r.name,
            "division_type": r.division_type,
            "province_code": r.province_code,
            "province_name": r.province_name,
            "boundary_source": r.boundary_source,
        }
    })
}

/// A page of communes in force, ordered by internal id; returns features, count and last id.
pub fn page(
    conn: &mut PgConnection,
    bbox: Option<[f64; 4]>,
    after: i64,
    limit: i64,
) -> Result<(Vec<Value>, i64, Option<i64>), Error> {
    let (rows, count) = admin::commune_page(conn, bbox, after, limit).context_db("loading communes")?;
    let last = rows.last().map(|r| r.id as i64);
    Ok((rows.iter().map(feature).collect(), count, last))
}

/// One commune in force by code.
pub fn get(conn: &mut PgConnection, code: &str) -> Result<Value, Error> {
    let row = admin::commune_by_code(conn, code).context_db("loading the commune")?;
    row.map(|r| feature(&r)).ok_or_else(|| Error::NotFound(format!("commune {code}")))
}
