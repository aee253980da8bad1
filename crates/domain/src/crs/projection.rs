//! Moving GeoJSON between WGS 84 and a VN-2000 plane position by position, keeping its
//! structure, so a malformed request stays malformed for the rules to report.

use geo_types::MultiPolygon;

use super::{Crs, Tm3Zone};

/// Applies `f` to every position of a GeoJSON geometry (any type); the structure is kept, so
/// a malformed polygon stays malformed for rule R1 to report.
pub fn map_positions(g: &geojson::Geometry, f: &dyn Fn(f64, f64) -> Option<(f64, f64)>) -> Option<geojson::Geometry> {
    use geojson::{GeometryValue as V, Position};
    let p = |pos: &Position| -> Option<Position> {
        let s = pos.as_slice();
        if s.len() < 2 {
            return Some(pos.clone());
        }
        let (x, y) = f(s[0], s[1])?;
        Some(Position::from(vec![x, y]))
    };
    let line = |l: &Vec<Position>| l.iter().map(p).collect::<Option<Vec<_>>>();
    let poly = |r: &Vec<Vec<Position>>| r.iter().map(line).collect::<Option<Vec<_>>>();
    let value = match &g.value {
        V::Point { coordinates } => V::Point { coordinates: p(coordinates)? },
        V::MultiPoint { coordinates } => V::MultiPoint { coordinates: line(coordinates)? },
        V::LineString { coordinates } => V::LineString { coordinates: line(coordinates)? },
        V::MultiLineString { coordinates } => V::MultiLineString { coordinates: poly(coordinates)? },
        V::Polygon { coordinates } => V::Polygon { coordinates: poly(coordinates)? },
        V::MultiPolygon { coordinates } => {
            V::MultiPolygon { coordinates: coordinates.iter().map(poly).collect::<Option<Vec<_>>>()? }
        }
        V::GeometryCollection { geometries } => V::GeometryCollection {
            geometries: geometries.iter().map(|g| map_positions(g, f)).collect::<Option<Vec<_>>>()?,
        },
    };
    Some(geojson::Geometry::new(value))
}

/// A raw GeoJSON geometry from `source` into the plane of `zone`, positions only.
pub fn to_plane_raw(g: &geojson::Geometry, source: Crs, zone: Tm3Zone) -> Option<geojson::Geometry> {
    match source {
        Crs::Vn2000(z) if z == zone => Some(g.clone()),
        _ => map_positions(g, &|x, y| {
            let wgs = source.point_to_wgs84(geo_types::Coord { x, y }).ok()?;
            let c = Crs::Vn2000(zone).point_from_wgs84(wgs).ok()?;
            Some((c.x, c.y))
        }),
    }
}

/// A geometry in the plane of `zone` back to WGS 84 lon/lat.
pub fn plane_to_wgs84(g: &geojson::Geometry, zone: Tm3Zone) -> Option<geojson::Geometry> {
    map_positions(g, &|x, y| Crs::Vn2000(zone).point_to_wgs84(geo_types::Coord { x, y }).ok().map(|c| (c.x, c.y)))
}

/// A stored WGS 84 GeoJSON (Multi)Polygon as a MultiPolygon in the plane of `zone`.
pub fn wgs84_text_to_plane(text: &str, zone: Tm3Zone) -> Option<MultiPolygon<f64>> {
    let g: geojson::Geometry = serde_json::from_str(text).ok()?;
    let mp = match geo_types::Geometry::<f64>::try_from(g.value).ok()? {
        geo_types::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo_types::Geometry::MultiPolygon(mp) => mp,
        _ => return None,
    };
    Crs::Vn2000(zone).from_wgs84(&mp).ok()
}
