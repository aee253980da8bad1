//! R2 Thuộc địa giới xã — `inside_commune`: the parcel lies in the stated commune.

use geo::{Area, BooleanOps};
use geo_types::{Geometry, MultiPolygon};
use serde_json::{json, Value};

use super::{non_empty, percent_of, round4, Outcome, RuleResult};

/// Xã/phường — a commune in force, other than the stated one, whose boundary on record takes
/// in part of the parcel: its code, its name and that part (the service clips the boundary to
/// the parcel; a whole boundary works as well).
#[derive(Debug, Clone, PartialEq)]
pub struct CommunePart {
    pub code: String,
    pub name: String,
    pub part: MultiPolygon<f64>,
}

/// R2 as [`inside_stated_commune`] knowing no other commune's boundary.
pub fn inside_commune(
    parcel: &MultiPolygon<f64>,
    commune_boundary: Option<&MultiPolygon<f64>>,
    tolerance_m2: f64,
) -> RuleResult {
    inside_stated_commune(parcel, commune_boundary, &[], tolerance_m2)
}

/// R2 Thuộc địa giới xã — the parcel lies in the commune (xã/phường) stated in the request.
/// Fail when more than `tolerance_m2` lies outside the stated boundary (the outside part is
/// the geometry), naming the communes of `elsewhere` it lies in. With no boundary on record
/// for the stated commune, ground inside another commune's boundary is still outside the
/// stated one (communes do not overlap): more than `tolerance_m2` of it → Fail naming that
/// commune (code and name); none → Warn "commune boundary unknown".
pub fn inside_stated_commune(
    parcel: &MultiPolygon<f64>,
    stated_boundary: Option<&MultiPolygon<f64>>,
    elsewhere: &[CommunePart],
    tolerance_m2: f64,
) -> RuleResult {
    const RULE: &str = "R2";
    const NAME: &str = "inside_commune";
    // The part of `region` in each other commune, above the tolerance: slivers along a shared
    // commune line are drawing noise, as they are for the stated boundary.
    let located = |region: &MultiPolygon<f64>| -> Vec<(&CommunePart, MultiPolygon<f64>, f64)> {
        elsewhere
            .iter()
            .map(|c| {
                let part = region.intersection(&c.part);
                let area = part.unsigned_area();
                (c, part, area)
            })
            .filter(|(_, _, area)| *area > tolerance_m2)
            .collect()
    };
    let rows = |found: &[(&CommunePart, MultiPolygon<f64>, f64)]| -> Value {
        found
            .iter()
            .map(|(c, _, area)| {
                json!({"code": c.code, "name": c.name, "area_m2": round4(*area), "percent": round4(percent_of(*area, parcel))})
            })
            .collect()
    };
    let names = |found: &[(&CommunePart, MultiPolygon<f64>, f64)]| -> String {
        found
            .iter()
            .map(|(c, _, area)| format!("{} {} ({area:.2} m², {:.1} %)", c.code, c.name, percent_of(*area, parcel)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(commune) = stated_boundary else {
        let found = located(parcel);
        if found.is_empty() {
            return RuleResult::new(
                RULE,
                NAME,
                Outcome::Warn,
                "Commune boundary unknown: could not check that the parcel lies in the stated commune",
            )
            .details(json!({"commune_boundary": false, "in_communes": []}));
        }
        let area: f64 = found.iter().map(|f| f.2).sum();
        let geometry = non_empty(MultiPolygon(found.iter().flat_map(|f| f.1 .0.clone()).collect()));
        return RuleResult::new(
            RULE,
            NAME,
            Outcome::Fail,
            format!(
                "The parcel lies in {}, not in the stated commune (whose boundary is not on record): correct the \
                 commune or the geometry",
                names(&found)
            ),
        )
        .measure(area, Some(tolerance_m2), "m2")
        .source("parameter tolerance_m2")
        .geometry(geometry.map(Geometry::from))
        .details(json!({
            "commune_boundary": false, "outside_m2": round4(area), "outside_percent": round4(percent_of(area, parcel)),
            "in_communes": rows(&found),
        }));
    };
    let outside = parcel.difference(commune);
    let area = outside.unsigned_area();
    let percent = percent_of(area, parcel);
    let found = if area > tolerance_m2 { located(&outside) } else { Vec::new() };
    let (outcome, message) = if area > tolerance_m2 {
        let lies_in = if found.is_empty() { String::new() } else { format!(", in {}", names(&found)) };
        (
            Outcome::Fail,
            format!(
                "{area:.2} m² ({percent:.1} %) of the parcel lies outside the stated commune{lies_in} (tolerance {tolerance_m2} m²)"
            ),
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
        .details(json!({"outside_m2": round4(area), "outside_percent": round4(percent), "in_communes": rows(&found)}))
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

    fn other(code: &str, name: &str, part: MultiPolygon<f64>) -> CommunePart {
        CommunePart { code: code.into(), name: name.into(), part }
    }

    #[test]
    fn r2_names_the_commune_the_parcel_lies_in() {
        let lot = rect(0., 0., 10., 20.);
        let next_door = other("31508", "Xã Bên Cạnh", rect(6., -100., 200., 100.));
        let far = other("31509", "Xã Xa", rect(1000., 1000., 2000., 2000.));
        // The stated commune has no boundary on record, but the lot lies in one that has.
        let whole = other("31507", "Phường Có Ranh", rect(-100., -100., 100., 100.));
        let r = inside_stated_commune(&lot, None, std::slice::from_ref(&whole), 1.0);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert!(r.message.contains("31507 Phường Có Ranh"), "{}", r.message);
        assert_eq!(r.details["in_communes"][0]["code"], "31507");
        assert_eq!(r.details["in_communes"][0]["name"], "Phường Có Ranh");
        assert!((r.measured.unwrap() - 200.0).abs() < 1e-6);
        assert!(r.geometry.is_some());
        // Partly in a known commune (80 m²): still not (all) in the stated one.
        let r = inside_stated_commune(&lot, None, &[next_door.clone(), far.clone()], 1.0);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert_eq!(r.details["in_communes"].as_array().unwrap().len(), 1);
        assert!((r.measured.unwrap() - 80.0).abs() < 1e-6);
        // Only a sliver in a known commune, or none at all: the boundary is simply unknown.
        let sliver = other("31508", "Xã Bên Cạnh", rect(9.975, -100., 200., 100.));
        for elsewhere in [vec![sliver], vec![far.clone()], vec![]] {
            let r = inside_stated_commune(&lot, None, &elsewhere, 1.0);
            assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
            assert_eq!(r.details["commune_boundary"], false);
        }
        // The stated boundary known and the lot half out: the message says where the rest lies.
        let stated = rect(-100., -100., 6., 100.);
        let r = inside_stated_commune(&lot, Some(&stated), &[next_door, far], 1.0);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert!(r.message.contains("in 31508 Xã Bên Cạnh (80.00 m²"), "{}", r.message);
        assert!((r.measured.unwrap() - 80.0).abs() < 1e-6);
    }
}
