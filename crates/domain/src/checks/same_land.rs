//! R4 Cùng thửa đất — `same_land_as_registered`: the request describes the same land as the
//! registered parcel (symmetric difference and Hausdorff distance between the boundaries).

use geo::{Area, BooleanOps};
use geo_types::{Coord, Geometry, Line, MultiPolygon};
use serde_json::json;

use crate::geometry::SegmentIndex;

use super::{
    distance, non_empty, point_segment_distance, round4, AreaToleranceTable, Outcome, RuleResult, Tolerances,
    DUPLICATE_VERTEX_M,
};

/// R4 Cùng thửa đất — the request describes the same land as the registered parcel: the
/// symmetric difference (land changing hands) within `symdiff_max_m2` and the Hausdorff
/// distance between the boundaries within `hausdorff_max_m`. Otherwise Fail: the boundary
/// changed and the boundary-change procedure applies. No registered geometry (first
/// registration) → Pass, nothing to compare. `measured` is the Hausdorff distance.
///
/// The Hausdorff distance is taken between the whole boundaries, not their vertices only
/// (geo's own compares vertices, which a re-digitised boundary defeats), to within a
/// twentieth of the tolerance below the true value.
pub fn same_land_as_registered(
    parcel: &MultiPolygon<f64>,
    registered: Option<&MultiPolygon<f64>>,
    hausdorff_max_m: f64,
    symdiff_max_m2: f64,
) -> RuleResult {
    let Some(registered) = registered else {
        return RuleResult::new(
            "R4",
            "same_land_as_registered",
            Outcome::Pass,
            "No registered geometry (first registration): nothing to compare",
        )
        .details(json!({"registered": false}));
    };
    let m = compare_boundaries(parcel, registered, (hausdorff_max_m / 10.0).max(DUPLICATE_VERTEX_M));
    let changed = m.hausdorff_m > hausdorff_max_m || m.symdiff_m2 > symdiff_max_m2;
    let (outcome, message) = if changed {
        (
            Outcome::Fail,
            format!(
                "Boundary changed (moved up to {:.2} m, limit {hausdorff_max_m:.2}; {:.2} m² differ, limit {symdiff_max_m2:.2}): use the boundary-change procedure",
                m.hausdorff_m, m.symdiff_m2
            ),
        )
    } else {
        (
            Outcome::Pass,
            format!("Same land as registered (boundary within {:.2} m, {:.2} m² differ)", m.hausdorff_m, m.symdiff_m2),
        )
    };
    RuleResult::new("R4", "same_land_as_registered", outcome, message)
        .measure(m.hausdorff_m, Some(hausdorff_max_m), "m")
        .source("parameters hausdorff_max_m, symdiff_max_m2")
        .geometry(if changed { non_empty(m.symdiff).map(Geometry::from) } else { None })
        .details(json!({
            "hausdorff_m": round4(m.hausdorff_m), "hausdorff_max_m": round4(hausdorff_max_m),
            "symdiff_m2": round4(m.symdiff_m2), "symdiff_max_m2": round4(symdiff_max_m2),
        }))
}

struct BoundaryComparison {
    symdiff: MultiPolygon<f64>,
    symdiff_m2: f64,
    hausdorff_m: f64,
}

fn compare_boundaries(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, step: f64) -> BoundaryComparison {
    let symdiff = a.xor(b);
    let (ea, eb) = (boundary_lines(a), boundary_lines(b));
    // A step of at least a 50,000th of the perimeter, whatever the tolerance: bounded work.
    let step = step.max(perimeter(a).max(perimeter(b)) / 50_000.0);
    let hausdorff_m = directed_hausdorff(&ea, &eb, step).max(directed_hausdorff(&eb, &ea, step));
    BoundaryComparison { symdiff_m2: symdiff.unsigned_area(), symdiff, hausdorff_m }
}

fn boundary_lines(mp: &MultiPolygon<f64>) -> Vec<Line<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .filter(|l| l.start != l.end)
        .collect()
}

fn perimeter(mp: &MultiPolygon<f64>) -> f64 {
    boundary_lines(mp).iter().map(|l| distance(l.start, l.end)).sum()
}

/// The largest distance from a point of boundary `a` to boundary `b`, to within `step / 2`
/// below the true value.
///
/// Branch and bound over `a`'s segments, asking an R-tree over `b`'s for the nearest segment.
/// The distance to one segment is convex along a straight piece of `a`, so its largest value
/// on the piece is at an end: when the segment nearest one end of a piece is also within the
/// largest distance found so far of the other end, no point of the piece can beat it and the
/// piece is settled (to within `step / 2`). Otherwise the piece is split where that segment
/// ends (kept to the piece's middle half), down to `step`, where the distance, 1-Lipschitz,
/// can exceed its ends' by at most half the piece. A boundary re-digitised along the same
/// edges settles in one query per vertex or so, where sampling every `step` took thousands.
fn directed_hausdorff(a: &[Line<f64>], b: &[Line<f64>], step: f64) -> f64 {
    let index = SegmentIndex::new(b.iter().copied());
    // The nearest segment of `b` to a point, and the distance to it.
    let nearest = |p: Coord<f64>| {
        index.nearest(p).map(|s| {
            let line = s.line;
            (line, point_segment_distance(p, line.start, line.end))
        })
    };
    let slack = step / 2.0;
    let mut worst: f64 = 0.0;
    let mut pieces = Vec::new();
    for line in a {
        let (Some(start), Some(end)) = (nearest(line.start), nearest(line.end)) else { return f64::INFINITY };
        pieces.push(((line.start, start), (line.end, end)));
    }
    // Every vertex is a lower bound: start from the largest, so most pieces settle at once.
    for ((_, (_, dp)), (_, (_, dq))) in &pieces {
        worst = worst.max(*dp).max(*dq);
    }
    while let Some(((p, (tp, dp)), (q, (tq, dq)))) = pieces.pop() {
        let bound = dp
            .max(point_segment_distance(q, tp.start, tp.end))
            .min(dq.max(point_segment_distance(p, tq.start, tq.end)));
        if bound <= worst + slack || distance(p, q) <= step {
            continue;
        }
        // Split where the end of `tp` towards `q` projects onto the piece (kept to its middle
        // half): along a re-digitised edge that settles both halves in one split per vertex.
        let v = if distance(tp.start, q) < distance(tp.end, q) { tp.start } else { tp.end };
        let d = q - p;
        let t = (((v.x - p.x) * d.x + (v.y - p.y) * d.y) / (d.x * d.x + d.y * d.y)).clamp(0.25, 0.75);
        let m = p + d * t;
        let Some(at_m) = nearest(m) else { return f64::INFINITY };
        worst = worst.max(at_m.1);
        pieces.push(((p, (tp, dp)), (m, at_m)));
        pieces.push(((m, at_m), (q, (tq, dq))));
    }
    worst
}

pub(super) fn same_land_for_scale(
    parcel: &MultiPolygon<f64>,
    registered: Option<&MultiPolygon<f64>>,
    map_scale: u32,
    table: &AreaToleranceTable,
    tolerances: &Tolerances,
) -> RuleResult {
    let Some(reg) = registered else { return same_land_as_registered(parcel, None, 0.0, 0.0) };
    match table.for_scale(map_scale) {
        Some(row) => {
            let hausdorff = tolerances.hausdorff_factor * row.point_accuracy_m;
            let symdiff = tolerances.symdiff_factor * row.point_accuracy_m * perimeter(reg);
            same_land_as_registered(parcel, Some(reg), hausdorff, symdiff).source(format!(
                "{}× and perimeter × {}× the {} m point accuracy at 1:{map_scale} ({}: {}; factors: {})",
                tolerances.hausdorff_factor,
                tolerances.symdiff_factor,
                row.point_accuracy_m,
                AreaToleranceTable::NAME,
                row.source,
                tolerances.cite("hausdorff_factor, symdiff_factor")
            ))
        }
        None => {
            let m = compare_boundaries(parcel, reg, 0.01);
            RuleResult::new(
                "R4",
                "same_land_as_registered",
                Outcome::Warn,
                format!(
                    "No point accuracy for map scale 1:{map_scale}: add it to area-tolerance.csv (boundary moved up to {:.2} m, {:.2} m² differ)",
                    m.hausdorff_m, m.symdiff_m2
                ),
            )
            .measure(m.hausdorff_m, None, "m")
            .details(json!({"hausdorff_m": round4(m.hausdorff_m), "symdiff_m2": round4(m.symdiff_m2)}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{mp, rect};
    use geo::Translate;

    #[test]
    fn r4_table() {
        let registered = rect(0., 0., 10., 20.);
        let redigitised = mp(&[&[(0.01, -0.005), (5., 0.01), (10.02, 0.01), (9.99, 20.015), (-0.01, 19.99)]]);
        let cases = [
            ("identical", registered.clone(), Outcome::Pass),
            ("re-digitised within 2 cm", redigitised, Outcome::Pass),
            ("extra vertex on an edge", mp(&[&[(0., 0.), (5., 0.), (10., 0.), (10., 20.), (0., 20.)]]), Outcome::Pass),
            ("shifted 3 m", registered.translate(3.0, 0.0), Outcome::Fail),
            ("shifted 20 cm", registered.translate(0.0, 0.2), Outcome::Fail),
            ("one corner moved 1 m", mp(&[&[(0., 0.), (11., 0.), (10., 20.), (0., 20.)]]), Outcome::Fail),
        ];
        for (name, parcel, outcome) in cases {
            let r = same_land_as_registered(&parcel, Some(&registered), 0.14, 4.2);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let shifted = same_land_as_registered(&registered.translate(3.0, 0.0), Some(&registered), 0.14, 4.2);
        assert!((shifted.measured.unwrap() - 3.0).abs() < 0.02, "{:?}", shifted.measured);
        assert!(shifted.message.contains("boundary-change procedure"));
        assert!(shifted.geometry.is_some());
        assert_eq!(same_land_as_registered(&registered, None, 0.14, 4.2).outcome, Outcome::Pass);
        // Vertex-only Hausdorff would say 5 m here (the new mid-edge vertex); the boundaries coincide.
        let extra = mp(&[&[(0., 0.), (5., 0.), (10., 0.), (10., 20.), (0., 20.)]]);
        assert!(same_land_as_registered(&extra, Some(&registered), 0.14, 4.2).measured.unwrap() < 1e-9);
    }

    /// The largest distance from `a` to `b` by sampling `a` every `step` against every segment.
    fn sampled_hausdorff(a: &[Line<f64>], b: &[Line<f64>], step: f64) -> f64 {
        let mut worst: f64 = 0.0;
        for line in a {
            let n = (distance(line.start, line.end) / step).ceil().max(1.0) as usize;
            for k in 0..=n {
                let p = line.start + (line.end - line.start) * (k as f64 / n as f64);
                let d = b.iter().map(|s| point_segment_distance(p, s.start, s.end)).fold(f64::INFINITY, f64::min);
                worst = worst.max(d);
            }
        }
        worst
    }

    #[test]
    fn branch_and_bound_agrees_with_dense_sampling() {
        let registered = rect(0., 0., 10., 20.);
        // The registered outline resampled to 200 vertices along its edges, every corner kept.
        let mut resampled = vec![];
        for w in [(0., 0.), (10., 0.), (10., 20.), (0., 20.), (0., 0.)].windows(2) {
            for k in 0..50 {
                let t = k as f64 / 50.0;
                resampled.push((w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t));
            }
        }
        // A wavy outline: each vertex pushed out or in by up to 3 cm.
        let wavy: Vec<(f64, f64)> = resampled
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                let push = 0.03 * ((i as f64) * 0.7).sin();
                (x + push * ((i % 3) as f64 - 1.0), y + push)
            })
            .collect();
        let cases = [
            ("resampled", mp(&[&resampled])),
            ("wavy", mp(&[&wavy])),
            ("shifted", registered.translate(0.3, -0.1)),
            ("corner moved", mp(&[&[(0., 0.), (11., 0.), (10., 20.), (0., 20.)]])),
            ("smaller", rect(1., 1., 9., 19.)),
        ];
        let step = 0.014;
        for (name, parcel) in cases {
            let (a, b) = (boundary_lines(&parcel), boundary_lines(&registered));
            for (from, to, direction) in [(&a, &b, "to registered"), (&b, &a, "from registered")] {
                let fast = directed_hausdorff(from, to, step);
                let dense = sampled_hausdorff(from, to, step / 20.0);
                // Dense sampling is itself at most step/40 under the truth; the bound allows step/2.
                assert!(fast <= dense + step / 40.0 + 1e-12, "{name} {direction}: {fast} above {dense}");
                assert!(fast >= dense - step / 2.0, "{name} {direction}: {fast} too far below {dense}");
            }
        }
        assert_eq!(directed_hausdorff(&boundary_lines(&registered), &[], step), f64::INFINITY);
    }
}
