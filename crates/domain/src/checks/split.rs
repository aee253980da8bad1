//! S1 Tách thửa — `split_partition`: the parts of a split exactly partition the old parcel.

use geo::{unary_union, Area, BooleanOps};
use geo_types::{Geometry, MultiPolygon, Polygon};
use serde_json::json;

use super::{capitalise, non_empty, round4, Outcome, RuleResult};
use crate::geometry::{planar_area, validate};

/// S1 Tách thửa — the parts of a split exactly partition the old parcel: no part invalid,
/// the union of the parts equals the old parcel (uncovered and excess area each within
/// `tolerance_m2`), and no two parts overlap by more than `tolerance_m2`. The problem
/// polygons (gap, excess, overlaps) are the geometry; `measured` is their total area.
pub fn partition(old: &MultiPolygon<f64>, parts: &[MultiPolygon<f64>], tolerance_m2: f64) -> RuleResult {
    const RULE: &str = "S1";
    const NAME: &str = "split_partition";
    if parts.len() < 2 {
        return RuleResult::new(
            RULE,
            NAME,
            Outcome::Fail,
            format!("A split needs at least two parts, not {}", parts.len()),
        );
    }
    let invalid: Vec<String> = parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| validate(p).err().map(|e| format!("part {}: {}", i + 1, e.message)))
        .collect();
    if !invalid.is_empty() {
        return RuleResult::new(RULE, NAME, Outcome::Fail, capitalise(&invalid.join("; ")))
            .details(json!({"invalid_parts": invalid}));
    }
    let union = unary_union(parts.iter());
    let uncovered = old.difference(&union);
    let excess = union.difference(old);
    let mut overlaps = Vec::new();
    for i in 0..parts.len() {
        for j in i + 1..parts.len() {
            let o = parts[i].intersection(&parts[j]);
            let a = o.unsigned_area();
            if a > 0.0 {
                overlaps.push((i + 1, j + 1, a, o));
            }
        }
    }
    let (gap_m2, excess_m2) = (uncovered.unsigned_area(), excess.unsigned_area());
    let overlap_m2: f64 = overlaps.iter().map(|o| o.2).sum();
    let mut problems = Vec::new();
    if gap_m2 > tolerance_m2 {
        problems.push(format!("the parts leave {gap_m2:.2} m² of the old parcel uncovered"));
    }
    if excess_m2 > tolerance_m2 {
        problems.push(format!("the parts cover {excess_m2:.2} m² outside the old parcel"));
    }
    for (i, j, a, _) in overlaps.iter().filter(|o| o.2 > tolerance_m2) {
        problems.push(format!("parts {i} and {j} overlap by {a:.2} m²"));
    }
    let total = gap_m2 + excess_m2 + overlap_m2;
    let (outcome, message) = if problems.is_empty() {
        (Outcome::Pass, format!("The {} parts cover the old parcel exactly (difference {total:.2} m²)", parts.len()))
    } else {
        (Outcome::Fail, capitalise(&problems.join("; ")))
    };
    let polygons: Vec<Polygon<f64>> =
        uncovered.0.iter().chain(&excess.0).chain(overlaps.iter().flat_map(|o| &o.3 .0)).cloned().collect();
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(total, Some(tolerance_m2), "m2")
        .source("parameter tolerance_m2")
        .geometry(if problems.is_empty() { None } else { non_empty(MultiPolygon(polygons)).map(Geometry::from) })
        .details(json!({
            "old_area_m2": round4(planar_area(old)),
            "parts_area_m2": parts.iter().map(|p| round4(planar_area(p))).collect::<Vec<_>>(),
            "uncovered_m2": round4(gap_m2), "outside_m2": round4(excess_m2),
            "overlaps": overlaps.iter().map(|o| json!({"parts": [o.0, o.1], "area_m2": round4(o.2)})).collect::<Vec<_>>(),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{mp, rect};

    #[test]
    fn partition_table() {
        let old = rect(0., 0., 10., 20.);
        let cases: Vec<(&str, Vec<MultiPolygon<f64>>, Outcome, f64)> = vec![
            ("halves", vec![rect(0., 0., 5., 20.), rect(5., 0., 10., 20.)], Outcome::Pass, 0.0),
            (
                "three strips",
                vec![rect(0., 0., 10., 5.), rect(0., 5., 10., 12.), rect(0., 12., 10., 20.)],
                Outcome::Pass,
                0.0,
            ),
            ("0.5 m gap", vec![rect(0., 0., 5., 20.), rect(5.5, 0., 10., 20.)], Outcome::Fail, 10.0),
            ("1 m overlap", vec![rect(0., 0., 6., 20.), rect(5., 0., 10., 20.)], Outcome::Fail, 20.0),
            ("sticks out 1 m", vec![rect(0., 0., 5., 20.), rect(5., 0., 11., 20.)], Outcome::Fail, 20.0),
            ("sliver gap tolerated", vec![rect(0., 0., 5., 20.), rect(5.002, 0., 10., 20.)], Outcome::Pass, 0.04),
            ("one part", vec![old.clone()], Outcome::Fail, f64::NAN),
            (
                "invalid part",
                vec![mp(&[&[(0., 0.), (5., 20.), (5., 0.), (0., 20.)]]), rect(5., 0., 10., 20.)],
                Outcome::Fail,
                f64::NAN,
            ),
        ];
        for (name, parts, outcome, measured) in cases {
            let r = partition(&old, &parts, 0.1);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            if measured.is_finite() {
                assert!((r.measured.unwrap() - measured).abs() < 0.01, "{name}: {:?}", r.measured);
            }
            assert_eq!(r.geometry.is_some(), outcome == Outcome::Fail && measured.is_finite(), "{name}");
        }
    }
}
