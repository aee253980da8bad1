//! R5 Không chồng lấn thửa liền kề — `no_overlap_with_neighbours`: overlaps with, and gaps to,
//! the neighbouring parcels.

use std::f64::consts::PI;

use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::{Area, BooleanOps, BoundingRect, Buffer};
use geo_types::{Geometry, MultiPolygon};
use serde_json::json;

use super::{non_empty, round4, AreaToleranceTable, Outcome, RuleResult, Tolerances, DUPLICATE_VERTEX_M};
use crate::geometry::{polygonal_distance, IndexedPolygonal};

/// R5 as [`no_overlap_within_accuracy`] with no positional accuracy to go by: every overlap
/// above `sliver_m2` fails, however narrow.
pub fn no_overlap_with_neighbours(
    parcel: &MultiPolygon<f64>,
    neighbours: &[(String, MultiPolygon<f64>)],
    sliver_m2: f64,
    gap_m: f64,
) -> RuleResult {
    no_overlap_within_accuracy(parcel, neighbours, sliver_m2, None, gap_m)
}

/// R5 Không chồng lấn thửa liền kề — overlaps with the active neighbouring parcels
/// (`(national id, geometry)`):
/// - an overlap at or below `sliver_m2` is negligible → Pass, listed in `details.negligible`;
/// - an overlap no wider than `sliver_width_m` (the map scale's positional accuracy) is a
///   sliver of survey error, whatever its area → Warn, drawn, in `details.slivers`;
/// - any other overlap → Fail, with the neighbour's id, area and width in `details.overlaps`
///   and the overlap polygons as the geometry. Without `sliver_width_m` every overlap above
///   `sliver_m2` fails;
/// - a neighbour within `gap_m` that does not touch leaves a strip of no-man's land; above
///   `sliver_m2` of it → Warn with the strip as the geometry.
///
/// `measured` is the widest overlap's width (m) against `sliver_width_m` when the outcome
/// turned on overlaps and a width limit is known; otherwise an area (m²) against `sliver_m2`.
///
/// `neighbours` must not include the parcel itself, its registered version or, for a split,
/// the old parcel. The strip is the morphological closing of the two parcels (grown then shrunk by half of
/// `gap_m`, mitred corners) minus both parcels, keeping only the pieces that touch both.
pub fn no_overlap_within_accuracy(
    parcel: &MultiPolygon<f64>,
    neighbours: &[(String, MultiPolygon<f64>)],
    sliver_m2: f64,
    sliver_width_m: Option<f64>,
    gap_m: f64,
) -> RuleResult {
    const RULE: &str = "R5";
    const NAME: &str = "no_overlap_with_neighbours";
    let (mut overlaps, mut slivers, mut negligible, mut gaps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
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
            let width = width(&overlap, sliver_width_m);
            let found = Overlap { id, area, width, geometry: overlap };
            if sliver_width_m.is_some_and(|limit| width <= limit) {
                slivers.push(found);
            } else {
                overlaps.push(found);
            }
        } else if area > 0.0 {
            negligible.push(Overlap { id, area, width: f64::NAN, geometry: overlap });
        } else {
            let apart = polygonal_distance(parcel, neighbour);
            if apart > 0.0 && apart <= gap_m {
                let strip = gap_between(parcel, neighbour, gap_m);
                gaps.push((id, apart, strip.unsigned_area(), strip));
            }
        }
    }
    let wide_gaps: Vec<_> = gaps.iter().filter(|g| g.2 > sliver_m2).collect();
    let widest = |v: &[Overlap]| v.iter().map(|o| o.width).fold(0.0, f64::max);
    let total = |v: &[Overlap]| v.iter().map(|o| o.area).sum::<f64>();
    let list = |v: &[Overlap]| {
        v.iter()
            .map(|o| {
                if o.width.is_nan() {
                    format!("{} ({:.2} m²)", o.id, o.area)
                } else {
                    format!("{} ({:.2} m², {:.3} m wide)", o.id, o.area, o.width)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let union = |v: Vec<&MultiPolygon<f64>>| non_empty(MultiPolygon(v.into_iter().flat_map(|m| m.0.clone()).collect()));
    let sliver_text = |limit: f64| {
        format!(
            "Overlaps neighbour(s) by slivers no wider than the {limit:.3} m positional accuracy: {}; the two \
             surveys place the shared boundary apart within their accuracy: make the boundaries coincide",
            list(&slivers)
        )
    };
    let (outcome, message, measure, geometry) = if !overlaps.is_empty() {
        let beyond = match sliver_width_m {
            Some(limit) => format!("wider than the {limit:.3} m positional accuracy"),
            None => format!("beyond the {sliver_m2} m² sliver tolerance"),
        };
        let mut message = format!("Overlaps {} neighbour(s) {beyond}: {}", overlaps.len(), list(&overlaps));
        if !slivers.is_empty() {
            message.push_str(&format!("; slivers within the accuracy: {}", list(&slivers)));
        }
        (
            Outcome::Fail,
            message,
            match sliver_width_m {
                Some(limit) => (widest(&overlaps), limit, "m"),
                None => (total(&overlaps), sliver_m2, "m2"),
            },
            union(overlaps.iter().chain(&slivers).map(|o| &o.geometry).collect()),
        )
    } else if !slivers.is_empty() || !wide_gaps.is_empty() {
        let mut parts = Vec::new();
        if let (false, Some(limit)) = (slivers.is_empty(), sliver_width_m) {
            parts.push(sliver_text(limit));
        }
        if !wide_gaps.is_empty() {
            let names: Vec<String> =
                wide_gaps.iter().map(|g| format!("{} ({:.2} m apart, {:.2} m²)", g.0, g.1, g.2)).collect();
            parts.push(format!(
                "Leaves a gap to neighbour(s) {}: check whether the boundaries should meet",
                names.join(", ")
            ));
        }
        let measure = match sliver_width_m {
            Some(limit) if !slivers.is_empty() => (widest(&slivers), limit, "m"),
            _ => (wide_gaps.iter().map(|g| g.2).sum(), sliver_m2, "m2"),
        };
        (
            Outcome::Warn,
            parts.join(". "),
            measure,
            union(slivers.iter().map(|o| &o.geometry).chain(wide_gaps.iter().map(|g| &g.3)).collect()),
        )
    } else if !negligible.is_empty() {
        (
            Outcome::Pass,
            format!(
                "No overlap beyond the {sliver_m2} m² sliver tolerance; negligible overlaps: {}",
                list(&negligible)
            ),
            (total(&negligible), sliver_m2, "m2"),
            union(negligible.iter().map(|o| &o.geometry).collect()),
        )
    } else {
        (Outcome::Pass, "No overlap with neighbouring parcels".to_string(), (0.0, sliver_m2, "m2"), None)
    };
    let row = |o: &Overlap| json!({"neighbour_id": o.id, "area_m2": round4(o.area), "width_m": round4(o.width)});
    let (measured, threshold, unit) = measure;
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(measured, Some(threshold), unit)
        .source("parameters sliver_m2, gap_m")
        .geometry(geometry.map(Geometry::from))
        .details(json!({
            "overlaps": overlaps.iter().map(row).collect::<Vec<_>>(),
            "slivers": slivers.iter().map(row).collect::<Vec<_>>(),
            "negligible": negligible.iter().map(|o| json!({"neighbour_id": o.id, "area_m2": round4(o.area)})).collect::<Vec<_>>(),
            "gaps": gaps.iter().map(|g| json!({"neighbour_id": g.0, "distance_m": round4(g.1), "area_m2": round4(g.2)})).collect::<Vec<_>>(),
            "sliver_m2": sliver_m2, "sliver_width_m": sliver_width_m, "gap_m": gap_m,
        }))
}

/// R5 at the request's map scale, as `run` applies it: slivers up to
/// `sliver_width_factor` × the scale's boundary-point accuracy are tolerated. A scale with no
/// row leaves only the area tolerance, and the message says which row to add.
pub(super) fn neighbours_for_scale(
    parcel: &MultiPolygon<f64>,
    neighbours: &[(String, MultiPolygon<f64>)],
    map_scale: u32,
    table: &AreaToleranceTable,
    t: &Tolerances,
) -> RuleResult {
    match table.for_scale(map_scale) {
        Some(row) => {
            let width = t.sliver_width_factor * row.point_accuracy_m;
            no_overlap_within_accuracy(parcel, neighbours, t.sliver_m2, Some(width), t.gap_m).source(format!(
                "slivers up to {}× the {} m point accuracy at 1:{map_scale} ({}: {}); {}",
                t.sliver_width_factor,
                row.point_accuracy_m,
                AreaToleranceTable::NAME,
                row.source,
                t.cite("sliver_width_factor, sliver_m2, gap_m")
            ))
        }
        None => {
            let mut r =
                no_overlap_with_neighbours(parcel, neighbours, t.sliver_m2, t.gap_m).cite(t.cite("sliver_m2, gap_m"));
            if r.outcome == Outcome::Fail {
                r.message.push_str(&format!(
                    " (no point accuracy for map scale 1:{map_scale}: add it to area-tolerance.csv so that slivers \
                     of survey error are told from encroachments)"
                ));
            }
            r
        }
    }
}

/// One neighbour's overlap with the parcel.
struct Overlap<'a> {
    id: &'a String,
    area: f64,
    /// See [`width`]; NaN when not measured (negligible overlaps).
    width: f64,
    geometry: MultiPolygon<f64>,
}

/// The width of an overlap: the diameter of the largest circle that fits inside it, found as
/// twice the largest r for which eroding the overlap by r (shrinking it r all round) leaves
/// something; within 0.05 mm or 0.1 %. This is how far the two boundaries cross at the worst
/// point, which is what the survey's positional accuracy bounds, whatever the overlap's
/// length or direction. Area ÷ half the perimeter (2A/P) was the cheaper candidate, but it is
/// the full width of a strip yet half that of a compact piece, and it averages a one-metre
/// bump into a long centimetre strip ((0.23 + 1) m² over 48 m of edge = 5 cm): an
/// encroachment passed off as a sliver. Erosion by `limit`/2 is tried first, so the width
/// reported and the verdict (width ≤ `limit`) agree.
fn width(overlap: &MultiPolygon<f64>, limit: Option<f64>) -> f64 {
    // Erosion leaves slivers of rounding error where the circle just fits.
    const EMPTY_M2: f64 = 1e-9;
    let survives = |r: f64| overlap.buffer(-r).unsigned_area() > EMPTY_M2;
    let Some(bbox) = overlap.bounding_rect() else { return 0.0 };
    // No circle inside is wider than the box, nor larger in area than the overlap.
    let mut hi = (bbox.width().min(bbox.height()) / 2.0).min((overlap.unsigned_area() / PI).sqrt());
    let mut lo = 0.0;
    if let Some(limit) = limit.filter(|l| l / 2.0 < hi) {
        if survives(limit / 2.0) {
            lo = limit / 2.0;
        } else {
            hi = limit / 2.0;
        }
    }
    while hi - lo > (0.001 * lo).max(0.000_05) {
        let mid = (lo + hi) / 2.0;
        if survives(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo + hi
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

    /// The lot of issue 10: 23 m along a shared edge, at 1:500 (7 cm point accuracy).
    fn lot_and_neighbour_shifted(shift: f64) -> (MultiPolygon<f64>, Neighbours) {
        let lot = rect(0., 0., 10., 23.);
        // The neighbour east of the lot, its west edge `shift` metres inside the lot.
        (lot, vec![("east".to_string(), rect(10. - shift, 0., 25., 23.))])
    }

    #[test]
    fn r5_a_centimetre_along_a_long_edge_is_a_sliver_two_metres_are_not() {
        let (lot, one_cm) = lot_and_neighbour_shifted(0.01);
        // Area alone fails it: 0.23 m² > 0.1 m².
        let by_area = no_overlap_with_neighbours(&lot, &one_cm, 0.1, 0.5);
        assert_eq!(by_area.outcome, Outcome::Fail, "{}", by_area.message);
        let r = no_overlap_within_accuracy(&lot, &one_cm, 0.1, Some(0.07), 0.5);
        assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
        assert_eq!((r.unit, r.threshold), (Some("m"), Some(0.07)));
        assert!((r.measured.unwrap() - 0.01).abs() < 0.0015, "width {:?}", r.measured);
        assert!((r.details["slivers"][0]["area_m2"].as_f64().unwrap() - 0.23).abs() < 1e-6, "{}", r.details);
        assert_eq!(r.details["slivers"][0]["neighbour_id"], "east");
        assert!(r.geometry.is_some(), "the strip is drawn");
        assert!(r.message.contains("0.23 m²") && r.message.contains("east"), "{}", r.message);

        let (lot, two_m) = lot_and_neighbour_shifted(2.0);
        let r = no_overlap_within_accuracy(&lot, &two_m, 0.1, Some(0.07), 0.5);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert!((r.measured.unwrap() - 2.0).abs() < 0.002, "width {:?}", r.measured);
        assert!((r.details["overlaps"][0]["area_m2"].as_f64().unwrap() - 46.0).abs() < 1e-6);
        assert!(r.geometry.is_some());
    }

    #[test]
    fn r5_width_is_the_deepest_crossing_whatever_the_shape_or_direction() {
        let lot = rect(0., 0., 10., 23.);
        let limit = Some(0.07);
        let judge = |neighbour: MultiPolygon<f64>| {
            no_overlap_within_accuracy(&lot, &[("n".into(), neighbour)], 0.1, limit, 0.5)
        };
        // A 1 m bump on a 1 cm strip: 2A/P would call it 5 cm wide; it is an encroachment.
        let bump =
            mp(&[&[(9.99, 0.), (25., 0.), (25., 23.), (9.99, 23.), (9.99, 12.), (9., 12.), (9., 11.), (9.99, 11.)]]);
        let r = judge(bump);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert!((r.measured.unwrap() - 1.0).abs() < 0.01, "{:?}", r.measured);
        // A neighbour whose corner point sits 5 cm inside the lot: a thin triangle 5 cm deep,
        // within the accuracy; 15 cm deep is not.
        for (depth, outcome) in [(0.05, Outcome::Warn), (0.15, Outcome::Fail)] {
            let corner = mp(&[&[(10., 0.), (25., 0.), (25., 23.), (10., 23.), (10. - depth, 11.5)]]);
            let r = judge(corner);
            assert_eq!(r.outcome, outcome, "{depth}: {}", r.message);
            assert!((r.measured.unwrap() - depth).abs() < 0.01 * depth + 0.0015, "{depth}: {:?}", r.measured);
        }
        // The same 1 cm sliver along a diagonal edge (a lot turned 30°).
        let (s, c) = (30f64.to_radians().sin(), 30f64.to_radians().cos());
        let turn = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            pts.iter().map(|(x, y)| (x * c - y * s, x * s + y * c)).collect()
        };
        let turned_lot = mp(&[turn(&[(0., 0.), (10., 0.), (10., 23.), (0., 23.)]).as_slice()]);
        let turned_neighbour = mp(&[turn(&[(9.99, 0.), (25., 0.), (25., 23.), (9.99, 23.)]).as_slice()]);
        let r = no_overlap_within_accuracy(&turned_lot, &[("n".into(), turned_neighbour)], 0.1, limit, 0.5);
        assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
        assert!((r.measured.unwrap() - 0.01).abs() < 0.0015, "{:?}", r.measured);
    }

    #[test]
    fn r5_slivers_rank_below_overlaps_and_beside_gaps() {
        let lot = rect(0., 0., 10., 23.);
        let sliver = ("east".to_string(), rect(9.99, 0., 25., 23.));
        let gap = ("west".to_string(), rect(-10., 0., -0.3, 23.));
        let overlap = ("north".to_string(), rect(0., 22.5, 10., 40.));
        let negligible = ("south".to_string(), rect(0., -5., 10., 0.002));
        // Below the area tolerance: negligible, whatever its width.
        let r = no_overlap_within_accuracy(&lot, std::slice::from_ref(&negligible), 0.1, Some(0.07), 0.5);
        assert_eq!(r.outcome, Outcome::Pass, "{}", r.message);
        assert_eq!(r.details["negligible"][0]["neighbour_id"], "south");
        // A sliver and a gap: one warning naming both, both drawn.
        let r = no_overlap_within_accuracy(&lot, &[sliver.clone(), gap], 0.1, Some(0.07), 0.5);
        assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
        assert!(r.message.contains("slivers") && r.message.contains("gap"), "{}", r.message);
        let Some(geojson::GeometryValue::MultiPolygon { coordinates }) = r.geometry.map(|g| g.value) else {
            panic!("no geometry")
        };
        assert_eq!(coordinates.len(), 2);
        // An overlap fails, and the message still lists the sliver.
        let r = no_overlap_within_accuracy(&lot, &[sliver, overlap], 0.1, Some(0.07), 0.5);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert_eq!(r.details["overlaps"][0]["neighbour_id"], "north");
        assert_eq!(r.details["slivers"][0]["neighbour_id"], "east");
        assert!((r.measured.unwrap() - 0.5).abs() < 0.002, "{:?}", r.measured);
    }

    #[test]
    fn r5_at_a_scale_without_accuracy_falls_back_to_the_area_and_says_so() {
        let table = crate::checks::testing::area_table();
        let (lot, one_cm) = lot_and_neighbour_shifted(0.01);
        let t = Tolerances::default();
        let r = neighbours_for_scale(&lot, &one_cm, 500, &table, &t);
        assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
        assert!(r.threshold_source.unwrap().contains("1:500"));
        let r = neighbours_for_scale(&lot, &one_cm, 5000, &table, &t);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert!(r.message.contains("add it to area-tolerance.csv"), "{}", r.message);
    }
}
