//! Parcel geometry: parsing GeoJSON strictly, OGC validity, planar area and the interior point.

mod segments;

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::algorithm::validation::{GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{Area, BoundingRect, HasDimensions, Intersects, PreparedGeometry, Relate, RemoveRepeatedPoints};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

pub(crate) use segments::{envelope, IndexedPolygonal, SegmentIndex};

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

/// The number of positions in a GeoJSON geometry, all parts and rings (and members of a
/// collection) counted, closing positions included.
pub fn vertex_count(geometry: &geojson::Geometry) -> usize {
    use geojson::GeometryValue as V;
    match &geometry.value {
        V::Point { .. } => 1,
        V::MultiPoint { coordinates } | V::LineString { coordinates } => coordinates.len(),
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => coordinates.iter().map(Vec::len).sum(),
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        V::GeometryCollection { geometries } => geometries.iter().map(vertex_count).sum(),
    }
}

/// Refuses a geometry with more than [`MAX_VERTICES_PER_GEOMETRY`] positions. Linear in the
/// positions and nothing else, so a caller runs it before projecting or validating anything.
/// The error points at the whole geometry (`pointer` is empty).
pub fn check_vertex_count(geometry: &geojson::Geometry) -> Result<(), GeometryError> {
    let n = vertex_count(geometry);
    if n > MAX_VERTICES_PER_GEOMETRY {
        return Err(GeometryError::at(
            "",
            format!(
                "the geometry has {n} positions; at most {MAX_VERTICES_PER_GEOMETRY} are accepted \
                 (MAX_VERTICES_PER_GEOMETRY): simplify it or submit it in parts"
            ),
        ));
    }
    Ok(())
}

/// Reads a GeoJSON geometry as a MultiPolygon, refusing what `geo`'s conversion would quietly
/// repair: unclosed rings, non-polygonal types, non-finite or short positions — and, first of
/// all, more than [`MAX_VERTICES_PER_GEOMETRY`] positions ([`check_vertex_count`]).
pub fn parse_polygonal(geometry: &geojson::Geometry) -> Result<MultiPolygon<f64>, GeometryError> {
    use geojson::GeometryValue as V;
    check_vertex_count(geometry)?;
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
    if let Some(problem) = validation_errors(mp).into_iter().next() {
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

/// OGC validity problems, exactly as `geo::Validation::validation_errors` reports them (same
/// errors, same order), in O(n log n): geo tests each ring for self-intersection by comparing
/// every edge with every other (10⁸ pairs at [`MAX_VERTICES_PER_GEOMETRY`]) and relates every
/// pair of holes and of parts; here edges and rings are compared only with those whose
/// bounding boxes meet (rings with disjoint boxes can neither overlap nor share an edge).
pub fn validation_errors(mp: &MultiPolygon<f64>) -> Vec<InvalidMultiPolygon> {
    let mut errors = Vec::new();
    let boxes: Vec<Option<geo_types::Rect<f64>>> = mp.0.iter().map(BoundingRect::bounding_rect).collect();
    for (i, polygon) in mp.0.iter().enumerate() {
        errors.extend(
            polygon_errors(polygon).into_iter().map(|e| InvalidMultiPolygon::InvalidPolygon(GeometryIndex(i), e)),
        );
        for j in (i + 1)..mp.0.len() {
            if !boxes_meet(boxes[i], boxes[j]) {
                continue;
            }
            let im = polygon.relate(&mp.0[j]);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                errors.push(InvalidMultiPolygon::ElementsOverlaps(GeometryIndex(i), GeometryIndex(j)));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                errors.push(InvalidMultiPolygon::ElementsTouchOnALine(GeometryIndex(i), GeometryIndex(j)));
            }
        }
    }
    errors
}

/// Whether two bounding boxes (closed) meet; an empty geometry meets nothing.
fn boxes_meet(a: Option<geo_types::Rect<f64>>, b: Option<geo_types::Rect<f64>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
        }
        _ => false,
    }
}

/// geo's `Validation for Polygon`, step for step, with the quadratic parts indexed.
fn polygon_errors(polygon: &Polygon<f64>) -> Vec<InvalidPolygon> {
    let mut errors = Vec::new();
    if polygon.is_empty() {
        return errors;
    }
    for (ring_idx, ring) in std::iter::once(polygon.exterior()).chain(polygon.interiors()).enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let role = if ring_idx == 0 { RingRole::Exterior } else { RingRole::Interior(ring_idx - 1) };
        if ring.remove_repeated_points().0.len() < 4 {
            errors.push(InvalidPolygon::TooFewPointsInRing(role));
        }
        if ring_has_self_intersection(ring) {
            errors.push(InvalidPolygon::SelfIntersection(role));
        }
        for (k, c) in ring.0.iter().enumerate() {
            if !(c.x.is_finite() && c.y.is_finite()) {
                errors.push(InvalidPolygon::NonFiniteCoord(role, geo::algorithm::validation::CoordIndex(k)));
            }
        }
    }
    if !polygon.interiors().iter().any(|r| !r.0.is_empty()) {
        return errors;
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let prepared_exterior = PreparedGeometry::from(&exterior);
    let holes: Vec<Polygon<f64>> = polygon.interiors().iter().map(|r| Polygon::new(r.clone(), vec![])).collect();
    let boxes: Vec<Option<geo_types::Rect<f64>>> = holes.iter().map(BoundingRect::bounding_rect).collect();
    for (h1, hole_1) in holes.iter().enumerate() {
        if hole_1.exterior().0.is_empty() {
            continue;
        }
        let role_1 = RingRole::Interior(h1);
        let prepared_1 = PreparedGeometry::from(hole_1);
        let with_exterior = prepared_exterior.relate(&prepared_1);
        if !with_exterior.is_contains() {
            errors.push(InvalidPolygon::InteriorRingNotContainedInExteriorRing(role_1));
        }
        if with_exterior.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            errors.push(InvalidPolygon::IntersectingRingsOnALine(RingRole::Exterior, role_1));
        }
        for (h2, hole_2) in holes.iter().enumerate().skip(h1 + 1) {
            if hole_2.exterior().0.is_empty() || !boxes_meet(boxes[h1], boxes[h2]) {
                continue;
            }
            let role_2 = RingRole::Interior(h2);
            let im = prepared_1.relate(hole_2);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                errors.push(InvalidPolygon::IntersectingRingsOnAnArea(role_1, role_2));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                errors.push(InvalidPolygon::IntersectingRingsOnALine(role_1, role_2));
            }
        }
    }
    errors
}

/// geo's ring self-intersection test (two edges meet other than end to start) on the edges
/// whose bounding boxes meet: two segments that meet have boxes that meet.
fn ring_has_self_intersection(ring: &LineString<f64>) -> bool {
    let index = SegmentIndex::of_rings([ring]);
    ring.lines().enumerate().any(|(i, line)| {
        index.near(&envelope(&line)).any(|other| {
            let o = other.line;
            other.index != i && line.intersects(&o) && line.start != o.end && line.end != o.start
        })
    })
}

/// The first point where two non-adjacent edges of a ring meet, if any: the pair (i, j),
/// i < j, first in that order, as a scan of all pairs would find it; only edges whose
/// bounding boxes meet are compared.
pub fn self_intersection(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let edges: Vec<geo_types::Line<f64>> = ring.lines().collect();
    let n = edges.len();
    let index = SegmentIndex::new(edges.iter().copied());
    for (i, edge) in edges.iter().enumerate() {
        let mut candidates: Vec<usize> = index
            .near(&envelope(edge))
            .map(|s| s.index)
            .filter(|&j| j >= i + 2 && !(i == 0 && j == n - 1)) // first and last edge share the closing vertex
            .collect();
        candidates.sort_unstable();
        for j in candidates {
            if let Some(hit) = geo::line_intersection::line_intersection(*edge, edges[j]) {
                return Some(match hit {
                    geo::LineIntersection::SinglePoint { intersection, .. } => intersection,
                    geo::LineIntersection::Collinear { intersection } => intersection.start,
                });
            }
        }
    }
    None
}

/// The distance between two polygonal geometries, 0 when they meet (as geo's
/// `Euclidean.distance`, which compares every pair of edges to find whether they meet), with
/// every query indexed. To measure one geometry against many, prepare it once with
/// [`IndexedPolygonal`].
pub fn polygonal_distance(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    IndexedPolygonal::new(a).distance(&IndexedPolygonal::new(b))
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
    fn new(centre: Coord<f64>, half: f64, polygon: &SegmentIndex) -> Cell {
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
    let boundary = SegmentIndex::of_rings(std::iter::once(polygon.exterior()).chain(polygon.interiors()));
    let mut queue = BinaryHeap::new();
    let mut x = rect.min().x;
    while x < rect.max().x {
        let mut y = rect.min().y;
        while y < rect.max().y {
            queue.push(Cell::new(Coord { x: x + half, y: y + half }, half, &boundary));
            y += size;
        }
        x += size;
    }
    let mut best = {
        use geo::Centroid;
        let c = polygon.centroid()?.0;
        Cell::new(c, 0.0, &boundary)
    };
    // Bounded: each split quarters a cell, and cells stop once they cannot beat `best` by `precision`.
    let mut budget = 100_000;
    while let Some(cell) = queue.pop() {
        if cell.distance > best.distance {
            best = Cell::new(cell.centre, 0.0, &boundary);
        }
        if cell.potential - best.distance <= precision || budget == 0 {
            continue;
        }
        budget -= 1;
        let q = cell.half / 2.0;
        for (dx, dy) in [(-q, -q), (q, -q), (-q, q), (q, q)] {
            queue.push(Cell::new(Coord { x: cell.centre.x + dx, y: cell.centre.y + dy }, q, &boundary));
        }
    }
    Some(best.centre)
}

/// Distance from `p` to the polygon's boundary (its indexed segments), positive inside,
/// negative outside (inside: the even-odd rule).
fn signed_distance(p: Coord<f64>, boundary: &SegmentIndex) -> f64 {
    let inside = boundary.odd_crossings_east(p);
    let d = boundary.distance_sq(p).sqrt();
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
