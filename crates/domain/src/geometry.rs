//! Parcel geometry: parsing GeoJSON strictly, OGC validity, planar area and the interior point.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::{Area, BoundingRect, Validation};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// The most positions (vertices, closing positions included, over all rings and parts) one
/// submitted geometry may have. A cadastral parcel is surveyed as tens to a few hundred
/// boundary points (the largest rural lots, traced along a river, reach a few thousand), so a
/// real parcel never reaches 10 000; the cap bounds the work one request can cause: every
/// check is then near O(n log n) on at most this many vertices (under a second in a release
/// build, see `checks` tests), and a planning zone import is bounded per feature. Counted
/// before anything else is done with the geometry ([`check_vertex_count`]).
pub const MAX_VERTICES_PER_GEOMETRY: usize = 10_000;

/// Why a submitted geometry was refused. `pointer` is a JSON pointer relative to the geometry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct GeometryError {
    pub pointer: String,
    pub message: String,
    /// Where the problem is (e.g. the self-intersection), in the geometry's own CRS.
    pub location: Option<Coord<f64>>,
}

impl GeometryError {
    fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        GeometryError { pointer: pointer.into(), message: message.into(), location: None }
    }
}

/// Reads a GeoJSON geometry as a MultiPolygon, refusing what `geo`'s conversion would quietly
/// repair: unclosed rings, non-polygonal types, non-finite or short positions.
pub fn parse_polygonal(geometry: &geojson::Geometry) -> Result<MultiPolygon<f64>, GeometryError> {
    use geojson::GeometryValue as V;
    let polygons: Vec<(String, &Vec<Vec<geojson::Position>>)> = match &geometry.value {
        V::Polygon { coordinates } => vec![("/coordinates".to_string(), coordinates)],
        V::MultiPolygon { coordinates } => {
            coordinates.iter().enumerate().map(|(i, p)| (format!("/coordinates/{i}"), p)).collect()
        }
        other => {
            return Err(GeometryError::at(
                "/type",
                format!("a parcel must be a Polygon or MultiPolygon, not {}", other.type_name()),
            ))
        }
    };
    if polygons.is_empty() {
        return Err(GeometryError::at("/coordinates", "the MultiPolygon is empty"));
    }
    let mut out = Vec::with_capacity(polygons.len());
    for (pointer, rings) in polygons {
        if rings.is_empty() {
            return Err(GeometryError::at(pointer, "a polygon needs an exterior ring"));
        }
        let mut parsed = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            parsed.push(parse_ring(&format!("{pointer}/{r}"), ring)?);
        }
        let exterior = parsed.remove(0);
        out.push(Polygon::new(exterior, parsed));
    }
    Ok(MultiPolygon(out))
}

fn parse_ring(pointer: &str, positions: &[geojson::Position]) -> Result<LineString<f64>, GeometryError> {
    let mut coords = Vec::with_capacity(positions.len());
    for (i, pos) in positions.iter().enumerate() {
        let pos = pos.as_slice();
        if pos.len() < 2 || pos.len() > 3 {
            return Err(GeometryError::at(format!("{pointer}/{i}"), "a position has 2 or 3 numbers"));
        }
        if !pos.iter().all(|v| v.is_finite()) {
            return Err(GeometryError::at(format!("{pointer}/{i}"), "a coordinate is not a finite number"));
        }
        coords.push(Coord { x: pos[0], y: pos[1] });
    }
    if coords.len() < 4 {
        return Err(GeometryError::at(
            pointer,
            "a linear ring needs at least 4 positions (3 distinct and the closing one)",
        ));
    }
    if coords.first() != coords.last() {
        return Err(GeometryError::at(pointer, "the ring is not closed: its first and last positions differ"));
    }
    Ok(LineString(coords))
}

/// Checks OGC validity (simple rings, holes inside their shell, parts not overlapping) and
/// reports the first problem with, where it can be found, its location.
pub fn validate(mp: &MultiPolygon<f64>) -> Result<(), GeometryError> {
    if let Err(problem) = mp.check_validation() {
        let location =
            mp.0.iter().find_map(|p| std::iter::once(p.exterior()).chain(p.interiors()).find_map(self_intersection));
        return Err(GeometryError {
            pointer: "/coordinates".into(),
            message: format!("the geometry is not OGC-valid: {problem}"),
            location,
        });
    }
    Ok(())
}

/// The first point where two non-adjacent edges of a ring meet, if any (O(n²): rings of a
/// parcel have tens to hundreds of vertices).
pub fn self_intersection(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let edges: Vec<geo_types::Line<f64>> = ring.lines().collect();
    let n = edges.len();
    for i in 0..n {
        for j in (i + 2)..n {
            if i == 0 && j == n - 1 {
                continue; // first and last edge share the closing vertex
            }
            if let Some(hit) = geo::line_intersection::line_intersection(edges[i], edges[j]) {
                return Some(match hit {
                    geo::LineIntersection::SinglePoint { intersection, .. } => intersection,
                    geo::LineIntersection::Collinear { intersection } => intersection.start,
                });
            }
        }
    }
    None
}

/// Area in the plane of the geometry's coordinates (m² for a projected CRS).
pub fn planar_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.unsigned_area()
}

/// The pole of inaccessibility of the largest part (polylabel), within `precision` units:
/// a point well inside the parcel, unlike the centroid of an L-shaped lot.
pub fn interior_point(mp: &MultiPolygon<f64>, precision: f64) -> Option<Coord<f64>> {
    let largest = mp.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    polylabel(largest, precision)
}

struct Cell {
    centre: Coord<f64>,
    half: f64,
    distance: f64,
    potential: f64,
}

impl Cell {
    fn new(centre: Coord<f64>, half: f64, polygon: &Polygon<f64>) -> Cell {
        let distance = signed_distance(centre, polygon);
        Cell { centre, half, distance, potential: distance + half * std::f64::consts::SQRT_2 }
    }
}
impl PartialEq for Cell {
    fn eq(&self, other: &Self) -> bool {
        self.potential == other.potential
    }
}
impl Eq for Cell {}
impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cell {
    fn cmp(&self, other: &Self) -> Ordering {
        self.potential.total_cmp(&other.potential)
    }
}

fn polylabel(polygon: &Polygon<f64>, precision: f64) -> Option<Coord<f64>> {
    let rect = polygon.bounding_rect()?;
    let (w, h) = (rect.width(), rect.height());
    let size = w.min(h);
    if size <= 0.0 {
        return None;
    }
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    let mut x = rect.min().x;
    while x < rect.max().x {
        let mut y = rect.min().y;
        while y < rect.max().y {
            queue.push(Cell::new(Coord { x: x + half, y: y + half }, half, polygon));
            y += size;
        }
        x += size;
    }
    let mut best = {
        use geo::Centroid;
        let c = polygon.centroid()?.0;
        Cell::new(c, 0.0, polygon)
    };
    // Bounded: each split quarters a cell, and cells stop once they cannot beat `best` by `precision`.
    let mut budget = 100_000;
    while let Some(cell) = queue.pop() {
        if cell.distance > best.distance {
            best = Cell::new(cell.centre, 0.0, polygon);
        }
        if cell.potential - best.distance <= precision || budget == 0 {
            continue;
        }
        budget -= 1;
        let q = cell.half / 2.0;
        for (dx, dy) in [(-q, -q), (q, -q), (-q, q), (q, q)] {
            queue.push(Cell::new(Coord { x: cell.centre.x + dx, y: cell.centre.y + dy }, q, polygon));
        }
    }
    Some(best.centre)
}

/// Distance from `p` to the polygon's boundary, positive inside, negative outside.
fn signed_distance(p: Coord<f64>, polygon: &Polygon<f64>) -> f64 {
    let mut inside = false;
    let mut min_sq = f64::INFINITY;
    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
        for line in ring.lines() {
            let (a, b) = (line.start, line.end);
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            min_sq = min_sq.min(segment_distance_sq(p, a, b));
        }
    }
    let d = min_sq.sqrt();
    if inside {
        d
    } else {
        -d
    }
}

fn segment_distance_sq(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len_sq).clamp(0.0, 1.0) } else { 0.0 };
    let (cx, cy) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    cx * cx + cy * cy
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Contains;
    use serde_json::json;

    fn geometry(v: serde_json::Value) -> geojson::Geometry {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn parses_polygon_and_multipolygon() {
        let square = json!({"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]]]});
        let mp = parse_polygonal(&geometry(square)).unwrap();
        assert_eq!(planar_area(&mp), 100.0);
        let multi =
            json!({"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1],[0,0]]], [[[5,5],[6,5],[6,6],[5,5]]]]});
        assert_eq!(parse_polygonal(&geometry(multi)).unwrap().0.len(), 2);
    }

    #[test]
    fn refuses_what_conversion_would_repair() {
        let cases = [
            (json!({"type": "Point", "coordinates": [1, 2]}), "/type"),
            (json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}), "/coordinates/0"),
            (json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[0,0]]]}), "/coordinates/0"),
            (json!({"type": "Polygon", "coordinates": []}), "/coordinates"),
            (json!({"type": "MultiPolygon", "coordinates": []}), "/coordinates"),
            (json!({"type": "Polygon", "coordinates": [[[0,0],[1],[1,1],[0,0]]]}), "/coordinates/0/1"),
        ];
        for (input, pointer) in cases {
            let err = parse_polygonal(&geometry(input.clone())).unwrap_err();
            assert_eq!(err.pointer, pointer, "{input}: {err}");
        }
    }

    #[test]
    fn bow_tie_is_invalid_with_its_crossing() {
        let bow = json!({"type": "Polygon", "coordinates": [[[0,0],[10,10],[10,0],[0,10],[0,0]]]});
        let err = validate(&parse_polygonal(&geometry(bow)).unwrap()).unwrap_err();
        assert!(err.message.contains("self-intersection"), "{err}");
        assert_eq!(err.location, Some(Coord { x: 5.0, y: 5.0 }));
    }

    #[test]
    fn hole_outside_shell_is_invalid() {
        let v = json!({"type": "Polygon", "coordinates": [
            [[0,0],[10,0],[10,10],[0,10],[0,0]], [[20,20],[21,20],[21,21],[20,20]]]});
        assert!(validate(&parse_polygonal(&geometry(v)).unwrap()).is_err());
    }

    #[test]
    fn interior_point_of_an_l_shape_is_inside() {
        // The centroid of this L falls outside it; polylabel must not.
        let l = json!({"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,1],[1,1],[1,10],[0,10],[0,0]]]});
        let mp = parse_polygonal(&geometry(l)).unwrap();
        let p = interior_point(&mp, 0.01).unwrap();
        assert!(mp.contains(&geo_types::Point(p)), "{p:?}");
    }

    #[test]
    fn interior_point_of_a_rectangle_is_its_centre() {
        let r = json!({"type": "Polygon", "coordinates": [[[0,0],[20,0],[20,10],[0,10],[0,0]]]});
        let p = interior_point(&parse_polygonal(&geometry(r)).unwrap(), 0.001).unwrap();
        assert!((p.y - 5.0).abs() < 0.01, "{p:?}");
    }
}
