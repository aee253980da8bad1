//! R1 Hình học hợp lệ — `geometry_valid`: the request geometry is a usable polygon.

use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{BooleanOps, CoordsIter, RemoveRepeatedPoints};
use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use serde_json::{json, Value};

use crate::geometry::{envelope, parse_polygonal, validation_errors, SegmentIndex};

use super::{capitalise, distance, non_empty, Outcome, RuleResult};

/// R1: consecutive vertices closer than this (metres) are duplicates.
pub const DUPLICATE_VERTEX_M: f64 = 0.001;

/// R1: a vertex whose two edges make an angle below this (degrees) is a spike (gai): the
/// boundary runs out and comes back along nearly the same line. Measured after merging
/// duplicate vertices, in both directions (an outward spike and an inward slit look alike).
pub const SPIKE_ANGLE_DEG: f64 = 1.0;

/// R1: the range (metres) every VN-2000 coordinate must fall in; defined beside the zones,
/// where registration (`parcel::measure`) holds coordinates to it too.
pub use crate::crs::VN2000_PLANE_RANGE;

/// One thing wrong with the request geometry.
struct Problem {
    check: &'static str,
    outcome: Outcome,
    message: String,
    pointer: Option<String>,
    location: Option<Geometry<f64>>,
}

impl Problem {
    fn new(check: &'static str, outcome: Outcome, message: String, location: Option<Geometry<f64>>) -> Self {
        Problem { check, outcome, message, pointer: None, location }
    }
}

/// R1 Hình học hợp lệ — the request geometry is a usable polygon:
/// - `coordinate_range` (Fail): every coordinate lies in [`VN2000_PLANE_RANGE`]; otherwise
///   the geometry was almost certainly sent in degrees, and nothing else is checked;
/// - `distinct_vertices` (Fail): every ring has ≥ 3 vertices after merging duplicates;
/// - `ogc_valid` (Fail): OGC simple-features validity (`geo::Validation`), with the reason and
///   where it is (crossing point, shared edge, overlapping area);
/// - `spike` (Fail): a vertex whose edges make an angle below [`SPIKE_ANGLE_DEG`];
/// - `duplicate_vertex` (Warn): a vertex within [`DUPLICATE_VERTEX_M`] of the previous one —
///   harmless to every computation here, but dirty data worth cleaning.
///
/// Closed rings and polygonal type are checked by [`geometry_valid_from_geojson`]: a `MultiPolygon` value
/// cannot carry an unclosed ring.
pub fn geometry_valid(parcel: &MultiPolygon<f64>) -> RuleResult {
    geometry_result(geometry_problems(parcel))
}

/// R1 on the raw GeoJSON of the request: a non-polygonal type, an unclosed ring, a short
/// ring or a non-finite coordinate fails here (with the JSON pointer in `details`), then
/// [`geometry_valid`] runs on the parsed geometry. The geometry is returned only when R1 did not fail,
/// i.e. exactly when the other geometric rules may run on it.
pub fn geometry_valid_from_geojson(request: &geojson::Geometry) -> (RuleResult, Option<MultiPolygon<f64>>) {
    match parse_polygonal(request) {
        Err(e) => {
            // geometry.rs words its refusals; classify them for `details` only.
            let check = if e.pointer == "/type" {
                "polygonal"
            } else if e.message.contains("not closed") {
                "closed_rings"
            } else if e.message.contains("positions") {
                "distinct_vertices"
            } else {
                "geojson"
            };
            let mut p = Problem::new(check, Outcome::Fail, capitalise(&e.message), None);
            p.pointer = Some(e.pointer);
            (geometry_result(vec![p]), None)
        }
        Ok(mp) => {
            let result = geometry_valid(&mp);
            let usable = result.outcome != Outcome::Fail;
            (result, usable.then_some(mp))
        }
    }
}

fn geometry_result(problems: Vec<Problem>) -> RuleResult {
    let Some(worst) = problems.iter().map(|p| p.outcome).max() else {
        return RuleResult::new("R1", "geometry_valid", Outcome::Pass, "The geometry is a valid polygon");
    };
    let headline = problems.iter().find(|p| p.outcome == worst).expect("worst comes from the list");
    let mut message = headline.message.clone();
    if problems.len() > 1 {
        message.push_str(&format!(" (+{} more)", problems.len() - 1));
    }
    let mut locations: Vec<Geometry<f64>> =
        problems.iter().filter(|p| p.outcome == worst).filter_map(|p| p.location.clone()).collect();
    let geometry = match locations.len() {
        0 => None,
        1 => locations.pop(),
        _ => Some(Geometry::GeometryCollection(GeometryCollection(locations))),
    };
    let listed: Vec<Value> = problems
        .iter()
        .map(|p| json!({"check": p.check, "outcome": p.outcome, "message": p.message, "pointer": p.pointer}))
        .collect();
    RuleResult::new("R1", "geometry_valid", worst, message).geometry(geometry).details(json!({ "problems": listed }))
}

fn geometry_problems(mp: &MultiPolygon<f64>) -> Vec<Problem> {
    if mp.0.is_empty() {
        return vec![Problem::new("polygonal", Outcome::Fail, "The geometry is empty".into(), None)];
    }
    let [e0, n0, e1, n1] = VN2000_PLANE_RANGE;
    if let Some(c) = mp.coords_iter().find(|c| !(e0..=e1).contains(&c.x) || !(n0..=n1).contains(&c.y)) {
        let message = format!(
            "Coordinate ({}, {}) is not a VN-2000 easting/northing in metres: were degrees sent in a metre CRS?",
            c.x, c.y
        );
        return vec![Problem::new("coordinate_range", Outcome::Fail, message, Some(Point(c).into()))];
    }
    let (mut degenerate, mut spikes, mut duplicates) = (Vec::new(), Vec::new(), Vec::new());
    for (pi, polygon) in mp.0.iter().enumerate() {
        for (ri, ring) in std::iter::once(polygon.exterior()).chain(polygon.interiors()).enumerate() {
            let label = ring_label(mp.0.len(), pi, ri);
            let repeated = duplicate_vertices(ring);
            if !repeated.is_empty() {
                let message = format!(
                    "{} repeats {} vertex(es) within {} mm of the previous one: harmless, but clean the data",
                    capitalise(&label),
                    repeated.len(),
                    DUPLICATE_VERTEX_M * 1000.0
                );
                duplicates.push(Problem::new(
                    "duplicate_vertex",
                    Outcome::Warn,
                    message,
                    Some(MultiPoint::from(repeated).into()),
                ));
            }
            let distinct = distinct_vertices(ring);
            if distinct.len() < 3 {
                let message =
                    format!("{} has only {} distinct vertices; a polygon needs 3", capitalise(&label), distinct.len());
                degenerate.push(Problem::new("distinct_vertices", Outcome::Fail, message, None));
                continue;
            }
            for (at, angle) in spike_vertices(&distinct) {
                let message = format!(
                    "Spike on {label} at E {:.2} N {:.2}: its edges fold back at {angle:.2}° (limit {SPIKE_ANGLE_DEG}°)",
                    at.x, at.y
                );
                spikes.push(Problem::new("spike", Outcome::Fail, message, Some(Point(at).into())));
            }
        }
    }
    let mut problems = degenerate;
    if problems.is_empty() {
        // geo's validation reports too-few-points itself; after the check above it cannot.
        problems.extend(validation_errors(mp).into_iter().map(|e| ogc_problem(mp, e)));
    }
    problems.extend(spikes);
    problems.extend(duplicates);
    problems
}

fn ring_label(parts: usize, polygon: usize, ring: usize) -> String {
    match (parts, ring) {
        (1, 0) => "the outer boundary".into(),
        (1, r) => format!("hole {r}"),
        (_, 0) => format!("the outer boundary of part {}", polygon + 1),
        (_, r) => format!("hole {r} of part {}", polygon + 1),
    }
}

fn role_label(role: &RingRole) -> String {
    match role {
        RingRole::Exterior => "the outer boundary".into(),
        RingRole::Interior(i) => format!("hole {}", i + 1),
    }
}

/// Vertices that repeat the previous one within [`DUPLICATE_VERTEX_M`] (the closing vertex
/// of a closed ring is not a repeat).
fn duplicate_vertices(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    ring.0.windows(2).filter(|w| distance(w[0], w[1]) <= DUPLICATE_VERTEX_M).map(|w| w[1]).collect()
}

/// The ring's vertices without the closing one, merging runs within [`DUPLICATE_VERTEX_M`].
fn distinct_vertices(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        if out.last().is_none_or(|last| distance(*last, *c) > DUPLICATE_VERTEX_M) {
            out.push(*c);
        }
    }
    while out.len() > 1 && distance(out[0], out[out.len() - 1]) <= DUPLICATE_VERTEX_M {
        out.pop();
    }
    out
}

/// Vertices of a cyclic vertex list whose two edges make an angle below [`SPIKE_ANGLE_DEG`].
fn spike_vertices(ring: &[Coord<f64>]) -> Vec<(Coord<f64>, f64)> {
    let n = ring.len();
    (0..n)
        .filter_map(|i| {
            let (prev, at, next) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            let angle = edge_angle_deg(prev, at, next);
            (angle < SPIKE_ANGLE_DEG).then_some((at, angle))
        })
        .collect()
}

/// The angle at `at` between the edges to `prev` and `next`, 0°–180°; atan2 keeps it exact
/// for the tiny angles that matter here.
fn edge_angle_deg(prev: Coord<f64>, at: Coord<f64>, next: Coord<f64>) -> f64 {
    let (u, w) = (prev - at, next - at);
    let cross = u.x * w.y - u.y * w.x;
    let dot = u.x * w.x + u.y * w.y;
    cross.abs().atan2(dot).to_degrees()
}

fn ogc_problem(mp: &MultiPolygon<f64>, error: InvalidMultiPolygon) -> Problem {
    let (message, location) = match &error {
        InvalidMultiPolygon::InvalidPolygon(index, inner) => {
            let (text, location) = polygon_problem(&mp.0[index.0], inner);
            let text = if mp.0.len() > 1 { format!("part {}: {text}", index.0 + 1) } else { text };
            (text, location)
        }
        InvalidMultiPolygon::ElementsOverlaps(i, j) => (
            format!("parts {} and {} overlap", i.0 + 1, j.0 + 1),
            non_empty(mp.0[i.0].intersection(&mp.0[j.0])).map(Geometry::from),
        ),
        InvalidMultiPolygon::ElementsTouchOnALine(i, j) => (
            format!("parts {} and {} share an edge: make them one polygon", i.0 + 1, j.0 + 1),
            shared_edges(mp.0[i.0].exterior(), mp.0[j.0].exterior()),
        ),
    };
    let mut p = Problem::new("ogc_valid", Outcome::Fail, format!("Not OGC-valid: {message}"), location);
    p.pointer = Some("/coordinates".into());
    p
}

fn polygon_problem(polygon: &Polygon<f64>, error: &InvalidPolygon) -> (String, Option<Geometry<f64>>) {
    let ring = |role: &RingRole| match role {
        RingRole::Exterior => polygon.exterior().clone(),
        RingRole::Interior(i) => polygon.interiors()[*i].clone(),
    };
    match error {
        InvalidPolygon::TooFewPointsInRing(role) => {
            (format!("{} has fewer than 3 distinct vertices", role_label(role)), None)
        }
        InvalidPolygon::NonFiniteCoord(role, _) => {
            (format!("{} has a coordinate that is not a number", role_label(role)), None)
        }
        InvalidPolygon::SelfIntersection(role) => {
            // Exact repeats would make geometry.rs report the repeated vertex as a crossing.
            match crate::geometry::self_intersection(&ring(role).remove_repeated_points()) {
                Some(at) => (
                    format!("{} crosses itself at E {:.2} N {:.2}", role_label(role), at.x, at.y),
                    Some(Point(at).into()),
                ),
                None => (format!("{} touches itself", role_label(role)), None),
            }
        }
        InvalidPolygon::InteriorRingNotContainedInExteriorRing(role) => {
            let hole = Polygon::new(ring(role), vec![]);
            let outside = hole.difference(&Polygon::new(polygon.exterior().clone(), vec![]));
            (format!("{} is not inside the outer boundary", role_label(role)), non_empty(outside).map(Geometry::from))
        }
        InvalidPolygon::IntersectingRingsOnALine(a, b) => (
            format!(
                "{} and {} touch along a line (they may touch at single points only)",
                role_label(a),
                role_label(b)
            ),
            shared_edges(&ring(a), &ring(b)),
        ),
        InvalidPolygon::IntersectingRingsOnAnArea(a, b) => {
            let overlap = Polygon::new(ring(a), vec![]).intersection(&Polygon::new(ring(b), vec![]));
            (format!("{} and {} overlap", role_label(a), role_label(b)), non_empty(overlap).map(Geometry::from))
        }
    }
}

/// The stretches where two rings run along each other, in the order of `a`'s edges then
/// `b`'s; only edges of `b` whose boxes meet the edge of `a` are compared.
fn shared_edges(a: &LineString<f64>, b: &LineString<f64>) -> Option<Geometry<f64>> {
    let index = SegmentIndex::of_rings([b]);
    let mut shared = Vec::new();
    for la in a.lines() {
        let mut near: Vec<_> = index.near(&envelope(&la)).collect();
        near.sort_unstable_by_key(|s| s.index);
        for lb in near {
            if let Some(geo::LineIntersection::Collinear { intersection }) =
                geo::line_intersection::line_intersection(la, lb.line)
            {
                if intersection.start != intersection.end {
                    shared.push(LineString::from(vec![intersection.start, intersection.end]));
                }
            }
        }
    }
    (!shared.is_empty()).then(|| MultiLineString(shared).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{mp, poly, E, N};

    fn checks(r: &RuleResult) -> Vec<String> {
        r.details["problems"]
            .as_array()
            .map(|a| a.iter().map(|p| p["check"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn r1_table() {
        use Outcome::*;
        let lot: &[(f64, f64)] = &[(0., 0.), (10., 0.), (10., 20.), (0., 20.)];
        let cases: Vec<(&str, MultiPolygon<f64>, Outcome, &[&str])> = vec![
            ("square", mp(&[lot]), Pass, &[]),
            ("bow-tie", mp(&[&[(0., 0.), (10., 20.), (10., 0.), (0., 20.)]]), Fail, &["ogc_valid"]),
            (
                "spike 0.48°",
                mp(&[&[(0., 0.), (10., 0.), (10., 10.), (16., 10.02), (10., 10.05), (10., 20.), (0., 20.)]]),
                Fail,
                &["spike"],
            ),
            // Exactly folded back: the ring revisits (10, 10), so it is OGC-invalid as well.
            (
                "zero-width spike",
                mp(&[&[(0., 0.), (10., 0.), (10., 10.), (16., 10.), (10., 10.), (10., 20.), (0., 20.)]]),
                Fail,
                &["ogc_valid", "spike"],
            ),
            (
                "inward slit",
                mp(&[&[(0., 0.), (10., 0.), (10., 10.), (4., 10.02), (10., 10.05), (10., 20.), (0., 20.)]]),
                Fail,
                &["spike"],
            ),
            ("acute but real corner 5°", mp(&[&[(0., 0.), (20., 0.), (0., 1.75)]]), Pass, &[]),
            (
                "exact duplicate",
                mp(&[&[(0., 0.), (10., 0.), (10., 0.), (10., 20.), (0., 20.)]]),
                Warn,
                &["duplicate_vertex"],
            ),
            (
                "near duplicate 0.5 mm",
                mp(&[&[(0., 0.), (10., 0.), (10.0003, 0.0004), (10., 20.), (0., 20.)]]),
                Warn,
                &["duplicate_vertex"],
            ),
            (
                "2 mm apart is not a duplicate",
                mp(&[&[(0., 0.), (10., 0.), (10.002, 0.), (10., 20.), (0., 20.)]]),
                Pass,
                &[],
            ),
            (
                "two distinct vertices",
                mp(&[&[(0., 0.), (10., 0.), (10.0005, 0.0005)]]),
                Fail,
                &["distinct_vertices", "duplicate_vertex"],
            ),
            ("hole touching at a point", mp(&[lot, &[(0., 10.), (4., 8.), (4., 12.)]]), Pass, &[]),
            (
                "hole touching along a line",
                mp(&[lot, &[(0., 8.), (4., 8.), (4., 12.), (0., 12.)]]),
                Fail,
                &["ogc_valid"],
            ),
            ("hole outside", mp(&[lot, &[(30., 8.), (34., 8.), (34., 12.)]]), Fail, &["ogc_valid"]),
            (
                "parts sharing an edge",
                MultiPolygon(vec![
                    poly(&[&[(0., 0.), (5., 0.), (5., 20.), (0., 20.)]]),
                    poly(&[&[(5., 0.), (10., 0.), (10., 20.), (5., 20.)]]),
                ]),
                Fail,
                &["ogc_valid"],
            ),
            (
                "separate parts",
                MultiPolygon(vec![
                    poly(&[&[(0., 0.), (5., 0.), (5., 20.), (0., 20.)]]),
                    poly(&[&[(6., 0.), (10., 0.), (10., 20.), (6., 20.)]]),
                ]),
                Pass,
                &[],
            ),
            (
                "degrees",
                MultiPolygon(vec![Polygon::new(
                    LineString::from(vec![(105.97, 9.6), (105.9701, 9.6), (105.9701, 9.6002), (105.97, 9.6)]),
                    vec![],
                )]),
                Fail,
                &["coordinate_range"],
            ),
        ];
        for (name, geometry, outcome, expected) in cases {
            let r = geometry_valid(&geometry);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert_eq!(checks(&r), expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{name}: {}", r.message);
        }
    }

    #[test]
    fn r1_locates_problems() {
        let bow = geometry_valid(&mp(&[&[(0., 0.), (10., 20.), (10., 0.), (0., 20.)]]));
        assert!(bow.message.contains("crosses itself at E 553005.00 N 1061510.00"), "{}", bow.message);
        assert_eq!(bow.geometry.unwrap().value, geojson::GeometryValue::new_point([E + 5.0, N + 10.0]));
        let line = geometry_valid(&mp(&[
            &[(0., 0.), (10., 0.), (10., 20.), (0., 20.)],
            &[(0., 8.), (4., 8.), (4., 12.), (0., 12.)],
        ]));
        assert!(line.message.contains("touch along a line"), "{}", line.message);
        let geojson::GeometryValue::MultiLineString { coordinates } = line.geometry.unwrap().value else {
            panic!("a line")
        };
        let ends: Vec<(f64, f64)> = coordinates[0].iter().map(|p| (p.as_slice()[0] - E, p.as_slice()[1] - N)).collect();
        assert!(ends.contains(&(0.0, 8.0)) && ends.contains(&(0.0, 12.0)), "{ends:?}");
        let spike = geometry_valid(&mp(&[&[
            (0., 0.),
            (10., 0.),
            (10., 10.),
            (16., 10.02),
            (10., 10.05),
            (10., 20.),
            (0., 20.),
        ]]));
        assert!(spike.message.contains("E 553016.00 N 1061510.02"), "{}", spike.message);
    }

    #[test]
    fn r1_from_geojson_table() {
        let g = |v: Value| -> geojson::Geometry { serde_json::from_value(v).unwrap() };
        let cases = [
            (
                json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E + 10., N + 20.], [E, N + 20.], [E, N]]]}),
                Outcome::Pass,
                "",
                true,
            ),
            (
                json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E + 10., N + 20.], [E, N + 20.]]]}),
                Outcome::Fail,
                "closed_rings",
                false,
            ),
            (json!({"type": "Point", "coordinates": [E, N]}), Outcome::Fail, "polygonal", false),
            (
                json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E, N]]]}),
                Outcome::Fail,
                "distinct_vertices",
                false,
            ),
            (
                json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N + 20.], [E + 10., N], [E, N + 20.], [E, N]]]}),
                Outcome::Fail,
                "ogc_valid",
                false,
            ),
            (
                json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E + 10., N], [E + 10., N + 20.], [E, N]]]}),
                Outcome::Warn,
                "duplicate_vertex",
                true,
            ),
        ];
        for (input, outcome, check, usable) in cases {
            let (r, geometry) = geometry_valid_from_geojson(&g(input.clone()));
            assert_eq!(r.outcome, outcome, "{input}: {}", r.message);
            assert_eq!(checks(&r).first().map(String::as_str).unwrap_or(""), check, "{input}");
            assert_eq!(geometry.is_some(), usable, "{input}");
        }
        let (unclosed, _) = geometry_valid_from_geojson(&g(
            json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E + 10., N + 20.], [E, N + 20.]]]}),
        ));
        assert_eq!(unclosed.details["problems"][0]["pointer"], "/coordinates/0");
    }
}
