//! Communes (xã, phường, đặc khu) as an OGC API collection.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::PgConnection;
use serde_json::{json, Value};

use super::{DbContext, Error};

#[derive(QueryableByName)]
struct CommuneRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    division_type: String,
    #[diesel(sql_type = Text)]
    province_code: String,
    #[diesel(sql_type = Text)]
    province_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    boundary_source: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    geometry: Option<String>,
}

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

const SELECT: &str = "SELECT u.id, u.code, u.name, u.division_type, u.province_code, p.name AS province_name, \
      u.boundary_source, ST_AsGeoJSON(u.boundary, 8) AS geometry \
    FROM admin_units u JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL \
    WHERE u.level = 'commune' AND u.valid_to IS NULL";
const FILTER: &str = "AND ($1::float8 IS NULL OR ST_Intersects(u.boundary, ST_MakeEnvelope($1, $2, $3, $4, 4326)))";

/// A page of communes in force, ordered by internal id; returns features, count and last id.
pub fn page(conn: &mut PgConnection, bbox: Option<[f64; 4]>, after: i64, limit: i64) -> Result<(Vec<Value>, i64, Option<i64>), Error> {
    let [x0, y0, x1, y1] = bbox.map_or([None; 4], |b| b.map(Some));
    let rows: Vec<CommuneRow> = diesel::sql_query(format!("{SELECT} {FILTER} AND u.id > $5 ORDER BY u.id LIMIT $6"))
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .context_db("loading communes")?;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM ({SELECT} {FILTER}) c"))
        .bind::<Nullable<Double>, _>(x0)
        .bind::<Nullable<Double>, _>(y0)
        .bind::<Nullable<Double>, _>(x1)
        .bind::<Nullable<Double>, _>(y1)
        .get_result(conn)
        .context_db("counting communes")?;
    let last = rows.last().map(|r| r.id as i64);
    Ok((rows.iter().map(feature).collect(), count.n, last))
}

/// One commune in force by code.
pub fn get(conn: &mut PgConnection, code: &str) -> Result<Value, Error> {
    let row: Option<CommuneRow> = diesel::sql_query(format!("{SELECT} AND u.code = $1"))
        .bind::<Text, _>(code)
        .get_result(conn)
        .optional()
        .context_db("loading the commune")?;
    row.map(|r| feature(&r)).ok_or_else(|| Error::NotFound(format!("commune {code}")))
}
