//! R3 Diện tích — `area_within_tolerance`: the measured area against the declared and
//! registered areas, within the survey accuracy of the map scale.

use geo_types::MultiPolygon;
use serde_json::{json, Value};

use super::{round4, AreaToleranceTable, Outcome, RuleResult};
use crate::geometry::planar_area;

/// Where the rule "the measured area rules when the boundary is unchanged" comes from.
pub const MEASURED_AREA_RULES: &str = "boundary unchanged and undisputed: the certificate uses the measured area \
     (Land Law 2013 Art. 98(5); 2024 equivalent Art. 135 [U]) — DOMAIN.md §8";

/// What R4 found about the boundary, as R3 reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundaryFinding {
    /// R4 passed against a registered geometry: the request is the registered boundary within
    /// the map scale's positional tolerance.
    Unchanged,
    /// A first registration, a changed boundary, or no tolerance to tell.
    NotShownUnchanged,
}

/// R3 as [`area_for_boundary`] when nothing shows the boundary unchanged.
pub fn area_within_tolerance(
    parcel: &MultiPolygon<f64>,
    declared_m2: Option<f64>,
    registered_m2: Option<f64>,
    map_scale: u32,
    table: &AreaToleranceTable,
) -> RuleResult {
    area_for_boundary(parcel, declared_m2, registered_m2, map_scale, table, BoundaryFinding::NotShownUnchanged)
}

/// R3 Diện tích — the measured (planar) area against the applicant's declared area and the
/// registered legal area, each allowed to differ by ΔP = k·M·√P (P the measured area, M the
/// map scale, k and the source from `table`). A difference beyond ΔP fails, unless the
/// boundary is unchanged (`boundary`, from R4): then the measured area is the one to certify
/// ([`MEASURED_AREA_RULES`]) and the rule warns, giving both figures, so the officer records
/// why the certificate's area differs from the papers. Warn when the scale has no row or
/// there is nothing to compare. `measured` is the largest |Δ|.
pub fn area_for_boundary(
    parcel: &MultiPolygon<f64>,
    declared_m2: Option<f64>,
    registered_m2: Option<f64>,
    map_scale: u32,
    table: &AreaToleranceTable,
    boundary: BoundaryFinding,
) -> RuleResult {
    const RULE: &str = "R3";
    const NAME: &str = "area_within_tolerance";
    let measured = planar_area(parcel);
    let compared: Vec<(&str, f64)> = [("declared", declared_m2), ("registered", registered_m2)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let base = json!({"measured_m2": round4(measured), "declared_m2": declared_m2, "registered_m2": registered_m2, "map_scale": map_scale});
    if compared.is_empty() {
        return RuleResult::new(
            RULE,
            NAME,
            Outcome::Warn,
            format!("Measured {measured:.1} m²; no declared or registered area to compare with"),
        )
        .details(base);
    }
    let worst = compared.iter().map(|(_, v)| (measured - v).abs()).fold(0.0, f64::max);
    let Some(row) = table.for_scale(map_scale) else {
        return RuleResult::new(
            RULE,
            NAME,
            Outcome::Warn,
            format!("No area tolerance for map scale 1:{map_scale}: add it to area-tolerance.csv (largest difference {worst:.2} m²)"),
        )
        .measure(worst, None, "m2")
        .details(base);
    };
    let allowed = row.allowed_m2(measured);
    let comparisons: Vec<Value> = compared
        .iter()
        .map(|(against, v)| {
            let diff = measured - v;
            json!({"against": against, "area_m2": v, "difference_m2": round4(diff), "within": diff.abs() <= allowed})
        })
        .collect();
    let beyond: Vec<&(&str, f64)> = compared.iter().filter(|(_, v)| (measured - v).abs() > allowed).collect();
    let over: Vec<String> =
        beyond.iter().map(|(against, v)| format!("{against} {v:.1} m² (Δ {:+.2} m²)", measured - v)).collect();
    let unchanged = boundary == BoundaryFinding::Unchanged;
    let (outcome, message) = if over.is_empty() {
        (Outcome::Pass, format!("Measured {measured:.1} m² agrees within {allowed:.2} m² (1:{map_scale})"))
    } else if unchanged {
        let papers: Vec<String> = beyond.iter().map(|(against, v)| format!("{against} {v:.1} m²")).collect();
        (
            Outcome::Warn,
            format!(
                "Boundary unchanged (R4), so the measured area rules: certify the measured {measured:.1} m², not \
                 the {} (differing by up to {worst:.2} m², beyond the {allowed:.2} m² allowed at 1:{map_scale}); \
                 record why the figures differ",
                papers.join(" or ")
            ),
        )
    } else {
        (
            Outcome::Fail,
            format!(
                "Measured {measured:.1} m² differs from the {} beyond the {allowed:.2} m² allowed at 1:{map_scale}",
                over.join(" and ")
            ),
        )
    };
    let mut details = base;
    details["boundary_unchanged"] = json!(unchanged);
    if unchanged && !over.is_empty() {
        details["area_to_certify_m2"] = json!(round4(measured));
        details["basis"] = json!(MEASURED_AREA_RULES);
    }
    details["allowed_m2"] = json!(round4(allowed));
    details["formula"] = json!(format!("{}·M·√P", row.formula_k));
    details["comparisons"] = Value::Array(comparisons);
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(worst, Some(allowed), "m2")
        .source(format!("{} 1:{map_scale}: {}", AreaToleranceTable::NAME, row.source))
        .details(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{area_table, rect};

    #[test]
    fn r3_table() {
        let table = area_table();
        let lot = rect(0., 0., 10., 20.); // 200 m²; ΔP at 1:500 = 0.2·√200 = 2.828 m²
        let cases = [
            ("exact", Some(200.0), Some(200.0), 500, Outcome::Pass),
            ("1 % declared", Some(202.0), Some(200.0), 500, Outcome::Pass),
            ("2 % declared at 1:500", Some(204.0), Some(200.0), 500, Outcome::Fail),
            ("2 % declared at 1:1000", Some(204.0), Some(200.0), 1000, Outcome::Pass),
            ("just inside", Some(202.82), None, 500, Outcome::Pass),
            ("just outside", Some(197.17), None, 500, Outcome::Fail),
            ("registered off", Some(200.0), Some(190.0), 500, Outcome::Fail),
            ("registered only", None, Some(201.0), 200, Outcome::Pass),
            ("nothing to compare", None, None, 500, Outcome::Warn),
            ("unknown scale", Some(200.0), None, 5000, Outcome::Warn),
        ];
        for (name, declared, registered, scale, outcome) in cases {
            let r = area_within_tolerance(&lot, declared, registered, scale, &table);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let r = area_within_tolerance(&lot, Some(204.0), None, 500, &table);
        assert_eq!(r.threshold, Some(2.8284));
        assert_eq!(r.measured, Some(4.0));
        assert!(r.threshold_source.unwrap().contains("[U]"));
    }

    #[test]
    fn r3_unchanged_boundary_lets_the_measured_area_rule() {
        let table = area_table();
        let lot = rect(0., 0., 10., 20.); // 200 m²; ΔP at 1:500 = 2.828 m²
        let unchanged = |declared, registered| {
            area_for_boundary(&lot, declared, registered, 500, &table, BoundaryFinding::Unchanged)
        };
        // Only the declared figure differs: the measured area rules, with both figures shown.
        let r = unchanged(Some(204.0), Some(200.0));
        assert_eq!(r.outcome, Outcome::Warn, "{}", r.message);
        assert!(r.message.contains("200.0 m²") && r.message.contains("204.0 m²"), "{}", r.message);
        assert_eq!((r.details["measured_m2"].as_f64(), r.details["declared_m2"].as_f64()), (Some(200.0), Some(204.0)));
        assert_eq!(r.details["area_to_certify_m2"], 200.0);
        assert_eq!(r.details["boundary_unchanged"], true);
        assert!(r.details["basis"].as_str().unwrap().contains("Art. 98(5)"));
        assert_eq!((r.measured, r.threshold), (Some(4.0), Some(2.8284)));
        // An old legal area on the register, same boundary: the same (cấp đổi with remapped sizes).
        assert_eq!(unchanged(Some(200.0), Some(190.0)).outcome, Outcome::Warn);
        // Within ΔP nothing changes; an unknown scale still asks for its row.
        assert_eq!(unchanged(Some(202.0), Some(200.0)).outcome, Outcome::Pass);
        let unknown = area_for_boundary(&lot, Some(204.0), None, 5000, &table, BoundaryFinding::Unchanged);
        assert!(unknown.message.contains("No area tolerance"), "{}", unknown.message);
        // Without R4's word the same figures fail, as before.
        let r = area_for_boundary(&lot, Some(204.0), Some(200.0), 500, &table, BoundaryFinding::NotShownUnchanged);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.message);
        assert_eq!(r.details["boundary_unchanged"], false);
    }
}
