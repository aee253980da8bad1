//! Vector tiles built by PostGIS (`ST_AsMVT`), and the stamps their ETags are made of.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Integer, Nullable, Text, Timestamptz};

use domain::tiles::{Layer, TileCoord};

const PARCELS: &str = include_str!("sql/tiles_parcels.sql");
const PLANNING_ZONES: &str = include_str!("sql/tiles_planning_zones.sql");
const PARCELS_STAMP: &str = include_str!("sql/tiles_parcels_stamp.sql");
const PLANNING_ZONES_STAMP: &str = include_str!("sql/tiles_planning_zones_stamp.sql");
const PARCELS_CALL: &str = include_str!("sql/tiles_parcels_call.sql");
const PLANNING_ZONES_CALL: &str = include_str!("sql/tiles_planning_zones_call.sql");
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
/// (pgbench): `$1` zoom, `$2` x, `$3` y. The body of the layer's tile function.
pub fn sql(layer: Layer) -> &'static str {
    tile_sql(layer)
}

/// The statement the server sends for a tile: `$1` zoom, `$2` x, `$3` y, `$4` the stamps the
/// client holds (text[], see [`stamped_tile`]).
pub fn call_sql(layer: Layer) -> &'static str {
    match layer {
        Layer::Parcels => PARCELS_CALL,
        Layer::PlanningZones => PLANNING_ZONES_CALL,
    }
}

// Migration 000018: the stamp and the tile in one statement, prepared once per connection by
// diesel (the query builder caches it, `sql_query` would not), the bodies' plans kept by the
// session. Both read one snapshot (the functions are STABLE).
define_sql_function!(
    /// `sql/tiles_parcels_stamp.sql`, then `sql/tiles_parcels.sql` unless skipped.
    fn parcel_tile(z: Integer, x: Integer, y: Integer, known: Array<Text>) -> diesel::pg::sql_types::Record<(BigInt, Timestamptz, Nullable<Bytea>)>
);
define_sql_function!(
    /// `sql/tiles_planning_zones_stamp.sql`, then `sql/tiles_planning_zones.sql` unless skipped.
    fn planning_zone_tile(z: Integer, x: Integer, y: Integer, known: Array<Text>) -> diesel::pg::sql_types::Record<(BigInt, Timestamptz, Nullable<Bytea>)>
);

/// The key of a stamp as `known` takes it: `<n>-<changed in µs since 1970>`.
pub fn stamp_key(stamp: &Stamp) -> String {
    format!("{}-{}", stamp.n, stamp.changed.timestamp_micros())
}

/// A tile's stamp and, unless the stamp is one of `known` (keys as [`stamp_key`] writes
/// them, or `*` for any) or no row lies in the tile, its MVT bytes (empty when no feature
/// falls in it; `None` when not built) — in one round trip.
pub fn stamped_tile(
    conn: &mut PgConnection,
    layer: Layer,
    t: TileCoord,
    known: &[String],
) -> QueryResult<(Stamp, Option<Vec<u8>>)> {
    let (z, x, y) = (t.z as i32, t.x as i32, t.y as i32);
    let (n, changed, mvt): (i64, DateTime<Utc>, Option<Vec<u8>>) = match layer {
        Layer::Parcels => diesel::select(parcel_tile(z, x, y, known)).get_result(conn)?,
        Layer::PlanningZones => diesel::select(planning_zone_tile(z, x, y, known)).get_result(conn)?,
    };
    Ok((Stamp { n, changed }, mvt))
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

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;

    use super::*;

    /// `call_sql` is what benchmarks send as "the statement the server sends".
    #[test]
    fn call_statements_are_what_the_query_builder_sends() {
        let known: Vec<String> = Vec::new();
        let parcels = diesel::debug_query::<Pg, _>(&diesel::select(parcel_tile(14, 1, 2, &known))).to_string();
        assert!(parcels.starts_with(&format!("{} -- binds", call_sql(Layer::Parcels).trim())), "{parcels}");
        let zones = diesel::debug_query::<Pg, _>(&diesel::select(planning_zone_tile(14, 1, 2, &known))).to_string();
        assert!(zones.starts_with(&format!("{} -- binds", call_sql(Layer::PlanningZones).trim())), "{zones}");
    }

    #[test]
    fn stamp_keys_are_count_and_microseconds() {
        let changed = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(stamp_key(&Stamp { n: 3, changed }), "3-1700000000123456");
    }
}
