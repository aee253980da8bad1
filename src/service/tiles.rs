//! Vector tiles with ETags that follow the data: a tile's tag is made of what it is built from
//! (row count and latest change in its envelope), checked before the tile is built, so a
//! conditional GET costs one index scan and a GET after an edit never gets a stale tile.

use diesel::PgConnection;

use super::{DbContext, Error};
use domain::tiles::{Layer, TileCoord};
use store::tiles as db;

/// Bumped whenever the tile SQL (properties, extent, buffer) changes, so caches drop old tiles.
const TILE_FORMAT: &str = "v1";

/// What a tile request comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TileBody {
    /// The client's copy (If-None-Match) is current.
    NotModified,
    /// No feature falls in the tile (or the layer is not drawn at this zoom).
    Empty,
    /// Mapbox Vector Tile bytes.
    Mvt(Vec<u8>),
}

/// A tile and its entity tag (weak: the same tile may be sent compressed or not).
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub etag: String,
    pub body: TileBody,
}

/// Whether an If-None-Match header value matches `etag` (weak comparison, RFC 9110 §13.1.2).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| opaque(t) == opaque(etag))
}

/// A tile of `layer` at `t`; `if_none_match` is the request's header, if any.
pub fn tile(conn: &mut PgConnection, layer: Layer, t: TileCoord, if_none_match: Option<&str>) -> Result<Tile, Error> {
    if !layer.drawn_at(&t) {
        // Below the layer's minimum zoom: empty by definition, without touching the database.
        let etag = format!("W/\"{}-{TILE_FORMAT}-below-z{}\"", layer.name(), layer.min_zoom());
        let body =
            if if_none_match.is_some_and(|h| matches(h, &etag)) { TileBody::NotModified } else { TileBody::Empty };
        return Ok(Tile { etag, body });
    }
    // Stamp and tile in one statement, from one snapshot: an edit between them cannot pair a
    // new tile with an old tag (which would then be served as current forever). The database
    // skips building the tile when the client's copy is current.
    let known = if_none_match.map(|h| known_stamps(layer, h)).unwrap_or_default();
    let (stamp, mvt) = db::stamped_tile(conn, layer, t, &known).context_db("building the tile")?;
    let etag = format!("W/\"{}-{TILE_FORMAT}-{}\"", layer.name(), db::stamp_key(&stamp));
    let body = match mvt {
        _ if if_none_match.is_some_and(|h| matches(h, &etag)) => TileBody::NotModified,
        Some(bytes) if !bytes.is_empty() => TileBody::Mvt(bytes),
        Some(_) => TileBody::Empty,
        None if stamp.n == 0 => TileBody::Empty,
        None => {
            return Err(Error::Internal(anyhow::anyhow!("tile {t:?} not built for a stamp the client does not hold")))
        }
    };
    Ok(Tile { etag, body })
}

/// The stamps of `layer` an If-None-Match header names (`*` for any), as the database
/// compares them: what follows `{layer}-{TILE_FORMAT}-` in each of our tags — read exactly as
/// [`matches`] reads a tag, so the database skips a tile only when the answer is a 304.
fn known_stamps(layer: Layer, if_none_match: &str) -> Vec<String> {
    if if_none_match.trim() == "*" {
        return vec!["*".to_string()];
    }
    let prefix = format!("\"{}-{TILE_FORMAT}-", layer.name());
    if_none_match
        .split(',')
        .filter_map(|t| t.trim().trim_start_matches("W/").strip_prefix(&prefix)?.strip_suffix('"').map(str::to_string))
        .collect()
}

/// The query plan of a tile's SQL (for tests and operators checking index use).
pub fn explain(conn: &mut PgConnection, layer: Layer, t: TileCoord) -> Result<String, Error> {
    db::explain(conn, layer, t).context_db("explaining the tile query")
}

#[cfg(test)]
mod tests {
    use super::{known_stamps, matches};
    use domain::tiles::Layer;

    #[test]
    fn known_stamps_are_our_tags_of_the_layer() {
        let h = "W/\"parcels-v1-3-42\", \"parcels-v1-0-0\", W/\"planning-zones-v1-1-2\", \"parcels-v0-1-1\", parcels-v1-5-5";
        assert_eq!(known_stamps(Layer::Parcels, h), ["3-42", "0-0"]);
        assert_eq!(known_stamps(Layer::PlanningZones, h), ["1-2"]);
        assert_eq!(known_stamps(Layer::Parcels, " * "), ["*"]);
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let tag = "W/\"parcels-v1-3-42\"";
        assert!(matches(tag, tag));
        assert!(matches("\"parcels-v1-3-42\"", tag));
        assert!(matches("\"x\", W/\"parcels-v1-3-42\"", tag));
        assert!(matches("*", tag));
        assert!(!matches("W/\"parcels-v1-3-43\"", tag));
    }
}
