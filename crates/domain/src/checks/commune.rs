//! R2 Thuộc địa giới xã — `inside_commune`: the parcel lies in the stated commune.

use geo::{Area, BooleanOps};
use geo_types::{Geometry, MultiPolygon};
use serde_json::json;

use super::{non_empty, percent_of, round4, Outcome, RuleResult};

/// R2 Thuộc địa giới xã — the parcel lies in the commune (xã/phường) stated in the request.
/// Fail when more than `tolerance_m2` lies outside the boundary (the outside part is the
/// geometry); no boundary on file → Warn "commune boundary unknown".
pub fn inside_commune(
    parcel: &MultiPolygon<f64>,
    commune_boundary: Option<&MultiPolygon<f64>>,
    tolerance_m2: f64,
) -> RuleResult {
    const RULE: &str = "R2";
    const NAME: &str = "inside_commune";
    let Some(commune) = commune_boundary else {
        return RuleResult::new(
            RULE,
            NAME,
            Outcome::Warn,
            "Commune boundary unknown: could not check that the parcel lies in the stated commune",
        )
        .details(json!({"commune_boundary": false}));
    };
    let outside = parcel.difference(commune);
    let area = outside.unsigned_area();
    let percent = percent_of(area, parcel);
    let (outcome, message) = if area > tolerance_m2 {
        (
            Outcome::Fail,
            format!("{area:.2} m² ({percent:.1} %) of the parcel lies outside the stated commune (tolerance {tolerance_m2} m²)"),
        )
    } else if area > 0.0 {
        (
            Outcome::Pass,
            format!("Inside the stated commune ({area:.2} m² outside, within the {tolerance_m2} m² tolerance)"),
        )
    } else {
        (Outcome::Pass, "Inside the stated commune".to_string())
    };
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(area, Some(tolerance_m2), "m2")
        .source("parameter tolerance_m2")
        .geometry(non_empty(outside).map(Geometry::from))
        .details(json!({"outside_m2": round4(area), "outside_percent": round4(percent)}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::rect;

    #[test]
    fn r2_table() {
        let lot = rect(0., 0., 10., 20.);
        let cases = [
            ("inside", Some(rect(-100., -100., 100., 100.)), 1.0, Outcome::Pass, 0.0),
            ("on the boundary", Some(rect(0., 0., 10., 20.)), 1.0, Outcome::Pass, 0.0),
            ("0.5 m² out, tolerated", Some(rect(-100., -100., 9.975, 100.)), 1.0, Outcome::Pass, 0.5),
            ("80 m² out", Some(rect(-100., -100., 6., 100.)), 1.0, Outcome::Fail, 80.0),
            ("elsewhere", Some(rect(1000., 1000., 2000., 2000.)), 1.0, Outcome::Fail, 200.0),
            ("no boundary", None, 1.0, Outcome::Warn, f64::NAN),
        ];
        for (name, commune, tol, outcome, outside) in cases {
            let r = inside_commune(&lot, commune.as_ref(), tol);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            if outside.is_finite() {
                assert!((r.measured.unwrap() - outside).abs() < 1e-3, "{name}: {:?}", r.measured);
                assert_eq!(r.geometry.is_some(), outside > 0.0, "{name}");
            }
        }
    }
}
