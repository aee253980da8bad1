//! R6 Phù hợp quy hoạch — `planning_consistent`: planning zones whose planned use differs from
//! the parcel's current uses.

use geo::{unary_union, Area, BooleanOps};
use geo_types::{Geometry, MultiPolygon};
use serde_json::json;

use super::{non_empty, percent_of, round4, Outcome, RuleResult};
use crate::geometry::planar_area;
use crate::planning::conflicts_with_current;

/// R6: intersections with a planning zone below this (m²) are drawing noise along a shared
/// boundary; a certificate prints areas to 0.1 m².
pub const PLANNING_NEGLIGIBLE_M2: f64 = 0.1;

/// R6 Phù hợp quy hoạch — planning zones `(zone id, planned land-use code, geometry)` whose
/// planned use conflicts with the parcel's current uses (`planning::conflicts_with_current`:
/// ONT/ODT and the two rice codes count as one use) and that cover part of the parcel: their
/// area and share of the parcel. Warn (the officer decides; planning never blocks a
/// certificate of an existing right by itself), never Fail; none → Pass. Intersections below
/// [`PLANNING_NEGLIGIBLE_M2`] are ignored.
pub fn planning_consistent(
    parcel: &MultiPolygon<f64>,
    current_uses: &[&str],
    zones: &[(String, String, MultiPolygon<f64>)],
) -> RuleResult {
    let parcel_area = planar_area(parcel);
    let current = current_uses.join("+");
    let conflicts: Vec<(&String, &String, f64, MultiPolygon<f64>)> = zones
        .iter()
        .filter(|(_, planned, _)| conflicts_with_current(current_uses, planned))
        .map(|(id, planned, zone)| {
            let part = parcel.intersection(zone);
            (id, planned, part.unsigned_area(), part)
        })
        .filter(|c| c.2 >= PLANNING_NEGLIGIBLE_M2)
        .collect();
    if conflicts.is_empty() {
        return RuleResult::new(
            "R6",
            "planning_consistent",
            Outcome::Pass,
            format!("No planning zone with a use other than {current}"),
        )
        .measure(0.0, None, "m2");
    }
    // Zones may overlap each other: the total is the area of their union inside the parcel.
    let covered = unary_union(conflicts.iter().map(|c| &c.3));
    let total = covered.unsigned_area();
    let items: Vec<String> = conflicts
        .iter()
        .map(|c| format!("{} {:.2} m² ({:.1} %) in zone {}", c.1, c.2, 100.0 * c.2 / parcel_area, c.0))
        .collect();
    RuleResult::new(
        "R6",
        "planning_consistent",
        Outcome::Warn,
        format!("Planned for another use than {current}: {}", items.join("; ")),
    )
    .measure(total, None, "m2")
    .geometry(non_empty(covered).map(Geometry::from))
    .details(json!({
        "current_uses": current_uses,
        "total_m2": round4(total),
        "total_percent": round4(percent_of(total, parcel)),
        "zones": conflicts.iter().map(|c| json!({
            "zone_id": c.0, "planned_use": c.1, "area_m2": round4(c.2), "percent": round4(100.0 * c.2 / parcel_area),
        })).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::rect;

    type Zones = Vec<(String, String, MultiPolygon<f64>)>;

    #[test]
    fn r6_table() {
        let lot = rect(0., 0., 10., 20.);
        let zone = |id: &str, code: &str, g: MultiPolygon<f64>| (id.to_string(), code.to_string(), g);
        let odt: &[&str] = &["ODT"];
        let cases: Vec<(&str, &[&str], Zones, Outcome, f64)> = vec![
            ("no zones", odt, vec![], Outcome::Pass, 0.0),
            ("same use", odt, vec![zone("z", "ODT", rect(-50., -50., 50., 50.))], Outcome::Pass, 0.0),
            (
                "ONT lot in an ODT zone is the same use",
                &["ONT"],
                vec![zone("z", "ODT", rect(-50., -50., 50., 50.))],
                Outcome::Pass,
                0.0,
            ),
            (
                "mixed ODT + CLN lot in a CLN zone",
                &["ODT", "CLN"],
                vec![zone("z", "CLN", rect(-50., -50., 50., 50.))],
                Outcome::Pass,
                0.0,
            ),
            ("road strip", odt, vec![zone("r", "DGT", rect(-50., -10., 50., 3.))], Outcome::Warn, 30.0),
            ("adjacent only", odt, vec![zone("r", "DGT", rect(-50., -10., 50., 0.))], Outcome::Pass, 0.0),
            (
                "overlapping zones count once",
                odt,
                vec![zone("a", "DGT", rect(-50., -10., 50., 3.)), zone("b", "DTL", rect(-50., 0., 50., 4.))],
                Outcome::Warn,
                40.0,
            ),
        ];
        for (name, uses, zones, outcome, measured) in cases {
            let r = planning_consistent(&lot, uses, &zones);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert!((r.measured.unwrap() - measured).abs() < 0.01, "{name}: {:?}", r.measured);
        }
        let r = planning_consistent(&lot, odt, &[zone("r", "DGT", rect(-50., -10., 50., 3.))]);
        assert_eq!(r.details["zones"][0]["percent"], 15.0);
    }
}
