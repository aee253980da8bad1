//! R5 Không chồng lấn thửa liền kề — `no_overlap_with_neighbours`: overlaps with, and gaps to,
//! the neighbouring parcels.

use std::f64::consts::PI;

use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::{Area, BooleanOps, BoundingRect, Buffer};
use geo_types::{Geometry, MultiPolygon};
use serde_json::json;

use super::{non_empty, round4, Outcome, RuleResult, DUPLICATE_VERTEX_M};
use crate::geometry::{polygonal_distance, IndexedPolygonal};

/// R5 Không chồng lấn thửa liền kề — overlaps with the active neighbouring parcels
/// (`(national id, geometry)`):
/// - an overlap above `sliver_m2` → Fail, with the neighbour's id and area in `details` and
///   the overlap polygons as the geometry;
/// - overlaps at or below `sliver_m2` → tolerated (Pass), listed in `details`;
/// - a neighbour within `gap_m` that does not touch leaves a strip of no-man's land; above
///   `sliver_m2` of it → Warn with the strip as the geometry.
///
/// `neighbours` must not include the parcel itself, its registered version or, for a split,
/// the old parcel. The strip is the morphological closing of the two parcels (grown then shrunk by half of
/// `gap_m`, mitred corners) minus both parcels, keeping only the pieces that touch both.
pub fn no_overlap_with_neighbours(
    parcel: &MultiPolygon<f64>,
    neighbours: &[(String, MultiPolygon<f64>)],
    sliver_m2: f64,
    gap_m: f64,
) -> RuleResult {
    const RULE: &str = "R5";
    const NAME: &str = "no_overlap_with_neighbours";
    let (mut overlaps, mut slivers, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let Some(own_box) = parcel.bounding_rect() else {
        return RuleResult::new(RULE, NAME, Outcome::Fail, "The parcel has no geometry");
    };
    for (id, neighbour) in neighbours {
        let Some(their_box) = neighbour.bounding_rect() else { continue };
        let apart_x = (their_box.min().x - own_box.max().x).max(own_box.min().x - their_box.max().x);
        let apart_y = (their_box.min().y - own_box.max().y).max(own_box.min().y - their_box.max().y);
        if apart_x > gap_m || apart_y > gap_m {
            continue;
        }
        let overlap = parcel.intersection(neighbour);
        let area = overlap.unsigned_area();
        if area > sliver_m2 {
            overlaps.push((id, area, overlap));
        } else if area > 0.0 {
            slivers.push((id, area, overlap));
        } else {
            let apart = polygonal_distance(parcel, neighbour);
            if apart > 0.0 && apart <= gap_m {
                let strip = gap_between(parcel, neighbour, gap_m);
                gaps.push((id, apart, strip.unsigned_area(), strip));
            }
        }
    }
    let wide_gaps: Vec<_> = gaps.iter().filter(|g| g.2 > sliver_m2).collect();
    let total = |v: &[(&String, f64, MultiPolygon<f64>)]| v.iter().map(|o| o.1).sum::<f64>();
    let list = |v: &[(&String, f64, MultiPolygon<f64>)]| {
        v.iter().map(|o| format!("{} ({:.2} m²)", o.0, o.1)).collect::<Vec<_>>().join(", ")
    };
    let union = |v: Vec<&MultiPolygon<f64>>| non_empty(MultiPolygon(v.into_iter().flat_map(|m| m.0.clone()).collect()));
    let (outcome, message, measured, geometry) = if !overlaps.is_empty() {
        (
            Outcome::Fail,
            format!(
                "Overlaps {} neighbour(s) beyond the {sliver_m2} m² sliver tolerance: {}",
                overlaps.len(),
                list(&overlaps)
            ),
            total(&overlaps),
            union(overlaps.iter().map(|o| &o.2).collect()),
        )
    } else if !wide_gaps.is_empty() {
        let names: Vec<String> =
            wide_gaps.iter().map(|g| format!("{} ({:.2} m apart, {:.2} m²)", g.0, g.1, g.2)).collect();
        (
            Outcome::Warn,
            format!("Leaves a gap to neighbour(s) {}: check whether the boundaries should meet", names.join(", ")),
            wide_gaps.iter().map(|g| g.2).sum(),
            union(wide_gaps.iter().map(|g| &g.3).collect()),
        )
    } else if !slivers.is_empty() {
        (
            Outcome::Pass,
            format!("No overlap beyond the sliver tolerance; tolerated slivers: {}", list(&slivers)),
            total(&slivers),
            union(slivers.iter().map(|o| &o.2).collect()),
        )
    } else {
        (Outcome::Pass, "No overlap with neighbouring parcels".to_string(), 0.0, None)
    };
    let row = |o: &(&String, f64, MultiPolygon<f64>)| json!({"neighbour_id": o.0, "area_m2": round4(o.1)});
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(measured, Some(sliver_m2), "m2")
        .source("parameters sliver_m2, gap_m")
        .geometry(geometry.map(Geometry::from))
        .details(json!({
            "overlaps": overlaps.iter().map(row).collect::<Vec<_>>(),
            "slivers": slivers.iter().map(row).collect::<Vec<_>>(),
            "gaps": gaps.iter().map(|g| json!({"neighbour_id": g.0, "distance_m": round4(g.1), "area_m2": round4(g.2)})).collect::<Vec<_>>(),
            "sliver_m2": sliver_m2, "gap_m": gap_m,
        }))
}

/// The strip of no-man's land between two parcels less than `width` apart.
fn gap_between(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, width: f64) -> MultiPolygon<f64> {
    let both = a.union(b);
    let r = width / 2.0 + DUPLICATE_VERTEX_M;
    let style = |d: f64| BufferStyle::new(d).line_join(LineJoin::Miter(PI / 8.0));
    let closed = both.buffer_with_style(style(r)).buffer_with_style(style(-r));
    let filled = closed.difference(&both);
    // Closing also rounds off concave corners of either parcel: keep what lies between both.
    let (ia, ib) = (IndexedPolygonal::new(a), IndexedPolygonal::new(b));
    let touches = |p: &IndexedPolygonal, m: &IndexedPolygonal| p.within(m, DUPLICATE_VERTEX_M);
    MultiPolygon(
        filled
            .0
            .into_iter()
            .filter(|p| {
                let piece = IndexedPolygonal::new(&MultiPolygon(vec![p.clone()]));
                touches(&piece, &ia) && touches(&piece, &ib)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{mp, rect};

    type Neighbours = Vec<(String, MultiPolygon<f64>)>;

    #[test]
    fn r5_table() {
        let lot = rect(0., 0., 10., 20.);
        let west = |x1: f64| ("west".to_string(), rect(-10., 0., x1, 20.));
        let cases: Vec<(&str, Neighbours, Outcome, f64)> = vec![
            ("none", vec![], Outcome::Pass, 0.0),
            ("shared edge", vec![west(0.0)], Outcome::Pass, 0.0),
            ("corner only", vec![("ne".into(), rect(10., 20., 20., 30.))], Outcome::Pass, 0.0),
            ("0.05 m² sliver", vec![west(0.0025)], Outcome::Pass, 0.05),
            ("5 m² overlap", vec![west(0.25)], Outcome::Fail, 5.0),
            ("6 m² gap", vec![west(-0.3)], Outcome::Warn, 6.0),
            ("gap below sliver", vec![("w".into(), rect(-10., 19.9, -0.3, 20.))], Outcome::Pass, 0.0),
            ("2 m path", vec![west(-2.0)], Outcome::Pass, 0.0),
            ("overlap beats gap", vec![west(-0.3), ("east".into(), rect(9.75, 0., 20., 20.))], Outcome::Fail, 5.0),
            ("neighbour inside", vec![("in".into(), rect(2., 2., 4., 4.))], Outcome::Fail, 4.0),
        ];
        for (name, neighbours, outcome, measured) in cases {
            let r = no_overlap_with_neighbours(&lot, &neighbours, 0.1, 0.5);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert!((r.measured.unwrap() - measured).abs() < 0.01, "{name}: {:?} {}", r.measured, r.message);
        }
        let r = no_overlap_with_neighbours(&lot, &[west(0.25)], 0.1, 0.5);
        assert_eq!(r.details["overlaps"][0]["neighbour_id"], "west");
        assert!(r.geometry.is_some());
    }

    #[test]
    fn r5_gap_ignores_the_parcels_own_corners() {
        // An L-shaped lot 0.3 m from a neighbour: the closing also fills the L's inner corner,
        // which is not between the two and must not count.
        let l = mp(&[&[(0., 0.), (10., 0.), (10., 5.), (5., 5.), (5., 20.), (0., 20.)]]);
        let r = no_overlap_with_neighbours(&l, &[("w".into(), rect(-10., 0., -0.3, 20.))], 0.1, 0.5);
        assert_eq!(r.outcome, Outcome::Warn);
        assert!((r.measured.unwrap() - 6.0).abs() < 0.01, "{:?}", r.measured);
    }
}
