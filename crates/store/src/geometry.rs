//! Conversions between `geo` geometries and `postgis_diesel` values (the crate has none).

use geo_types::{Coord, LineString, MultiPolygon as GeoMultiPolygon, Polygon as GeoPolygon};
use postgis_diesel::types::{MultiPolygon, Point, Polygon};

pub const WGS84_SRID: u32 = 4326;

/// A geo MultiPolygon in lon/lat as a PostGIS value with SRID 4326.
pub fn to_postgis(mp: &GeoMultiPolygon<f64>) -> MultiPolygon<Point> {
    let polygons =
        mp.0.iter()
            .map(|p| Polygon {
                rings: std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|ring| ring.0.iter().map(|c| Point::new(c.x, c.y, Some(WGS84_SRID))).collect())
                    .collect(),
                srid: Some(WGS84_SRID),
            })
            .collect();
    MultiPolygon { polygons, srid: Some(WGS84_SRID) }
}

/// A PostGIS MultiPolygon as a geo MultiPolygon.
pub fn from_postgis(mp: &MultiPolygon<Point>) -> GeoMultiPolygon<f64> {
    let ring = |points: &Vec<Point>| LineString(points.iter().map(|p| Coord { x: p.x, y: p.y }).collect());
    GeoMultiPolygon(
        mp.polygons
            .iter()
            .filter(|p| !p.rings.is_empty())
            .map(|p| GeoPolygon::new(ring(&p.rings[0]), p.rings[1..].iter().map(ring).collect()))
            .collect(),
    )
}
