//! Vector tiles built by PostGIS (`ST_AsMVT`), and the stamps their ETags are made of.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Integer, Nullable, Text, Timestamptz};

use domain::tiles::{Layer, TileCoord};

const PARCELS: &str = include_str!("sql/tiles_parcels.sql");
const PLANNING_ZONES: &str = include_str!("sql/tiles_planning_zones.sql");
const PARCELS_STAMP: &str = include_str!("sql/tiles_parcels_stamp.sql");
const PLANNING_ZONES_STAMP: &str = include_str!("sql/tiles_planning_zones_stamp.sql");
const EXPLAIN_PARCELS: &str = concat!("EXPLAIN ", include_str!("sql/tiles_parcels.sql"));
const EXPLAIN_PLANNING_ZONES: &str = concat!("EXPLAIN ", include_str!("sql/tiles_planning_zones.sql"));

fn tile_sql(layer: Layer) -> &'static str {
    match layer {
        Layer::Parcels => PARCELS,
        Layer::PlanningZones => PLANNING_ZONES,
    }
}

/// The SQL of a layer's ETag stamp (`$1` zoom, `$2` x, `$3` y), for benchmarks too.
pub fn stamp_sql(layer: Layer) -> &'static str {
    match layer {
        Layer::Parcels => PARCELS_STAMP,
        Layer::PlanningZones => PLANNING_ZONES_STAMP,
    }
}

/// The tile's SQL with its parameters, for benchmarks that run it without our server
/// (pgbench): `$1` zoom, `$2` x, `$3` y.
pub fn sql(layer: Layer) -> &'static str {
    tile_sql(layer)
}

/// The MVT bytes of a tile (empty when no feature falls in it).
pub fn tile(conn: &mut PgConnection, layer: Layer, t: TileCoord) -> QueryResult<Vec<u8>> {
    #[derive(QueryableByName)]
    struct Tile {
        #[diesel(sql_type = Nullable<Bytea>)]
        tile: Option<Vec<u8>>,
    }
    let row: Tile = diesel::sql_query(tile_sql(layer))
        .bind::<Integer, _>(t.z as i32)
        .bind::<Integer, _>(t.x as i32)
        .bind::<Integer, _>(t.y as i32)
        .get_result(conn)?;
    Ok(row.tile.unwrap_or_default())
}

/// What a tile is built from: row count and latest change in its envelope.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Stamp {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = Timestamptz)]
    pub changed: DateTime<Utc>,
}

pub fn stamp(conn: &mut PgConnection, layer: Layer, t: TileCoord) -> QueryResult<Stamp> {
    diesel::sql_query(stamp_sql(layer))
        .bind::<Integer, _>(t.z as i32)
        .bind::<Integer, _>(t.x as i32)
        .bind::<Integer, _>(t.y as i32)
        .get_result(conn)
}

/// `EXPLAIN` of the tile query (text format), to check that an index finds the rows.
pub fn explain(conn: &mut PgConnection, layer: Layer, t: TileCoord) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let explain = match layer {
        Layer::Parcels => EXPLAIN_PARCELS,
        Layer::PlanningZones => EXPLAIN_PLANNING_ZONES,
    };
    let lines: Vec<Line> = diesel::sql_query(explain)
        .bind::<Integer, _>(t.z as i32)
        .bind::<Integer, _>(t.x as i32)
        .bind::<Integer, _>(t.y as i32)
        .load(conn)?;
    Ok(lines.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n"))
}
