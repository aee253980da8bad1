//! Kiểm tra trước khi ký Giấy chứng nhận — the checks run on a certificate request before an
//! officer signs: pure rules over geometries already projected to the VN-2000 TM-3 plane
//! (metres) and plain data. No database, no clock, no I/O: the service loads the cadastral
//! map from PostGIS, projects it, calls [`run`] and transforms the problem geometries (same
//! plane coordinates as the input) back for the map.
//!
//! | id   | name                                | needs a valid geometry |
//! |------|-------------------------------------|------------------------|
//! | R1   | `geometry_valid`                    | —                      |
//! | R2   | `inside_commune`                    | yes                    |
//! | R3   | `area_within_tolerance`             | yes                    |
//! | R4   | `same_land_as_registered`           | yes                    |
//! | R5   | `no_overlap_with_neighbours`        | yes                    |
//! | R6   | `planning_consistent`               | yes                    |
//! | S1   | `split_partition` (tách thửa only)  | yes                    |
//! | R7.1 | `no_conflicting_certificate`        | no                     |
//! | R7.2 | `no_blocking_restriction_or_dispute`| no                     |
//! | R7.3 | `shares_sum_to_one`                 | no                     |
//! | R7.4 | `split_parts_above_minimum` (split) | no (measures the parts)|
//!
//! Decisions that hold for every rule:
//! - `Fail` blocks signing until resolved; `Warn` needs the officer's judgement; `Pass` needs
//!   nothing but may mention what was tolerated (negligible overlaps, replaced certificates).
//! - R1 runs first. When it fails, the rules marked "yes" above are not evaluated: each is
//!   reported as `Fail` with `details.skipped = true` and a "not checked" message, because a
//!   rule that could not run must not look passed. The legal sub-rules still run.
//! - A rule missing reference data it needs (the commune boundary, a tolerance row for the map
//!   scale, a minimum-area row) reports `Warn` naming what to add: it cannot pass, and the
//!   applicant is not at fault. Two exceptions where other data still decides: R2 fails when
//!   another commune's boundary on record shows where the parcel lies, and R5 without a point
//!   accuracy keeps its area rule (no overlap passes for lack of data) and names the row.
//! - Rules read each other only where the law ties them: R3 reads R4, because with the
//!   boundary unchanged the measured area is the one certified (DOMAIN.md §8), so a declared
//!   or registered figure beyond ΔP warns instead of failing.
//! - R7 is one result per sub-check (R7.1–R7.4) so every refusal names its own reason.
//! - Values DOMAIN.md marks unconfirmed [U] are data (the CSV tables) or parameters
//!   ([`Tolerances`]), never literals in a rule; `threshold_source` says where each came from.

mod area;
mod commune;
mod geometry;
mod legal;
mod neighbours;
mod planning;
mod report;
mod same_land;
mod split;
#[cfg(test)]
mod testing;
mod tolerances;

use geo_types::{Coord, MultiPolygon};
use serde_json::json;

use neighbours::neighbours_for_scale;
use same_land::same_land_for_scale;

pub use area::{area_for_boundary, area_within_tolerance, BoundaryFinding, MEASURED_AREA_RULES};
pub use commune::{inside_commune, inside_stated_commune, CommunePart};
pub use geometry::{
    geometry_valid, geometry_valid_from_geojson, DUPLICATE_VERTEX_M, SPIKE_ANGLE_DEG, VN2000_PLANE_RANGE,
};
pub use legal::{
    legal_checks, no_blocking_restriction_or_dispute, no_conflicting_certificate, shares_sum_to_one,
    split_parts_above_minimum, Dispute, ExistingCertificate, Holder, LegalFacts, Restriction, SplitPart, SplitRequest,
};
pub use neighbours::{no_overlap_with_neighbours, no_overlap_within_accuracy};
pub use planning::{planning_consistent, PLANNING_NEGLIGIBLE_M2};
pub use report::{Outcome, Report, RuleResult};
pub use same_land::same_land_as_registered;
pub use split::partition;
pub use tolerances::{AreaTolerance, AreaToleranceTable, DataError, MinSplitArea, MinSplitAreaTable, Tolerances};

// ───────────────────────────── run ─────────────────────────────

/// Everything one check needs, loaded and projected to the VN-2000 plane by the service.
#[derive(Debug, Clone)]
pub struct CheckInput<'a> {
    /// The requested parcel geometry as submitted (raw, so R1 can report unclosed rings).
    pub parcel: geojson::Geometry,
    /// Địa giới hành chính of the commune stated in the request.
    pub commune_boundary: Option<MultiPolygon<f64>>,
    /// The registered parcel's geometry (none for a first registration).
    pub registered_geometry: Option<MultiPolygon<f64>>,
    /// The registered legal area (diện tích pháp lý), m².
    pub registered_area_m2: Option<f64>,
    /// The applicant's declared area, m².
    pub declared_area_m2: Option<f64>,
    /// Scale denominator of the cadastral map sheet (tờ bản đồ) the parcel is on.
    pub map_scale: u32,
    /// Current land-use codes of the parcel (mục đích sử dụng; several for a mixed-use lot).
    pub current_uses: Vec<String>,
    /// Active neighbouring parcels: (national id, geometry).
    pub neighbours: Vec<(String, MultiPolygon<f64>)>,
    /// Land-use planning zones: (zone id, planned land-use code, geometry).
    pub zones: Vec<(String, String, MultiPolygon<f64>)>,
    pub legal: LegalFacts,
    /// Present for a split (tách thửa).
    pub split: Option<SplitRequest>,
    pub tolerances: Tolerances,
    pub area_tolerances: &'a AreaToleranceTable,
    pub min_split_areas: &'a MinSplitAreaTable,
}

/// The rules skipped when R1 fails, in report order.
const GEOMETRIC_RULES: [(&str, &str); 5] = [
    ("R2", "inside_commune"),
    ("R3", "area_within_tolerance"),
    ("R4", "same_land_as_registered"),
    ("R5", "no_overlap_with_neighbours"),
    ("R6", "planning_consistent"),
];

/// [`run_with_communes`] knowing no other commune's boundary: R2 then only warns when the
/// stated commune has no boundary on record.
pub fn run(input: &CheckInput) -> Report {
    run_with_communes(input, &[])
}

/// Runs every rule in order: R1, R2–R6, S1 (split), R7.1–R7.3, R7.4 (split). If R1 fails,
/// R2–R6 and S1 are reported as `Fail` with `details.skipped = true` (see the module notes).
/// For a split, the request geometry is the parcel being split (R4 compares it with the
/// registered one) and S1 checks the parts against it. R4's tolerances and R5's sliver width
/// come from the map scale's point accuracy in `area_tolerances` and the factors in
/// `tolerances`. R3 reads R4: when the boundary is the registered one, the measured area rules.
/// `other_communes`: the communes in force, other than the stated one, whose boundary on
/// record takes in part of the parcel (R2 names them).
pub fn run_with_communes(input: &CheckInput, other_communes: &[CommunePart]) -> Report {
    let t = &input.tolerances;
    let (r1_result, parcel) = geometry_valid_from_geojson(&input.parcel);
    let mut results = vec![r1_result];
    match &parcel {
        Some(p) => {
            results.push(
                inside_stated_commune(p, input.commune_boundary.as_ref(), other_communes, t.commune_outside_m2)
                    .cite(t.cite("commune_outside_m2")),
            );
            let same_land =
                same_land_for_scale(p, input.registered_geometry.as_ref(), input.map_scale, input.area_tolerances, t);
            // "Boundary unchanged" is R4 passing against a registered geometry (a first
            // registration passes R4 with nothing to compare, which shows nothing).
            let boundary = if input.registered_geometry.is_some() && same_land.outcome == Outcome::Pass {
                BoundaryFinding::Unchanged
            } else {
                BoundaryFinding::NotShownUnchanged
            };
            results.push(area_for_boundary(
                p,
                input.declared_area_m2,
                input.registered_area_m2,
                input.map_scale,
                input.area_tolerances,
                boundary,
            ));
            results.push(same_land);
            results.push(neighbours_for_scale(p, &input.neighbours, input.map_scale, input.area_tolerances, t));
            let uses: Vec<&str> = input.current_uses.iter().map(String::as_str).collect();
            results.push(planning_consistent(p, &uses, &input.zones));
            if let Some(split) = &input.split {
                let parts: Vec<MultiPolygon<f64>> = split.parts.iter().map(|s| s.geometry.clone()).collect();
                results.push(partition(p, &parts, t.partition_m2).cite(t.cite("partition_m2")));
            }
        }
        None => {
            results.extend(GEOMETRIC_RULES.iter().map(|(rule, name)| skipped(rule, name)));
            if input.split.is_some() {
                results.push(skipped("S1", "split_partition"));
            }
        }
    }
    results.extend(legal_checks(&input.legal));
    if let Some(split) = &input.split {
        results.push(split_parts_above_minimum(split, input.min_split_areas));
    }
    Report { results }
}

fn skipped(rule: &'static str, name: &'static str) -> RuleResult {
    RuleResult::new(rule, name, Outcome::Fail, "Not checked: the parcel geometry failed R1; correct it and check again")
        .details(json!({"skipped": true, "because": "R1"}))
}

// ───────────────────────────── small helpers ─────────────────────────────

fn distance(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

fn point_segment_distance(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let d = b - a;
    let len_sq = d.x * d.x + d.y * d.y;
    let t = if len_sq > 0.0 { (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len_sq).clamp(0.0, 1.0) } else { 0.0 };
    distance(p, a + d * t)
}

fn non_empty(mp: MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    (!mp.0.is_empty()).then_some(mp)
}

fn percent_of(area: f64, of: &MultiPolygon<f64>) -> f64 {
    let total = crate::geometry::planar_area(of);
    if total > 0.0 {
        100.0 * area / total
    } else {
        0.0
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{area_table, split_table};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    // ───────────── the corpus: tests/check-corpus/*.json ─────────────

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Case {
        name: String,
        description: String,
        crs: String,
        parcel: geojson::Geometry,
        commune: Option<geojson::Geometry>,
        registered: Option<geojson::Geometry>,
        registered_area_m2: Option<f64>,
        declared_area_m2: Option<f64>,
        map_scale: u32,
        current_uses: Vec<String>,
        #[serde(default)]
        neighbours: Vec<CaseNeighbour>,
        #[serde(default)]
        zones: Vec<CaseZone>,
        legal: LegalFacts,
        #[serde(default)]
        split: Option<CaseSplit>,
        /// Rule id → "pass" | "warn" | "fail"; or {"crs": "refused"}.
        expect: BTreeMap<String, String>,
        #[serde(default)]
        expect_measured: BTreeMap<String, f64>,
        #[serde(default)]
        expect_threshold: BTreeMap<String, f64>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseNeighbour {
        id: String,
        geometry: geojson::Geometry,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseZone {
        id: String,
        planned_use: String,
        geometry: geojson::Geometry,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseSplit {
        province_code: String,
        parts: Vec<CasePart>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CasePart {
        id: String,
        land_category: String,
        frontage_m: Option<f64>,
        geometry: geojson::Geometry,
    }

    fn data_geometry(g: &geojson::Geometry) -> MultiPolygon<f64> {
        crate::geometry::parse_polygonal(g).expect("reference geometries in the corpus are polygons")
    }

    /// Runs one corpus case; returns what did not match.
    fn check_case(case: &Case, areas: &AreaToleranceTable, splits: &MinSplitAreaTable) -> Vec<String> {
        let mut wrong = Vec::new();
        // The service refuses a CRS it does not know before any rule runs; everything else in
        // the corpus is in the VN-2000 plane the request names.
        match super::super::crs::Crs::parse(&case.crs) {
            Err(_) => {
                if case.expect.get("crs").map(String::as_str) != Some("refused") {
                    wrong.push(format!("CRS {} is refused but the case expects rules to run", case.crs));
                }
                return wrong;
            }
            Ok(crs) if !crs.is_projected() => {
                wrong.push(format!("CRS {}: corpus geometries must be in a VN-2000 plane", case.crs));
                return wrong;
            }
            Ok(_) if case.expect.contains_key("crs") => {
                wrong.push(format!("CRS {} is accepted but the case expects a refusal", case.crs));
                return wrong;
            }
            Ok(_) => {}
        }
        let input = CheckInput {
            parcel: case.parcel.clone(),
            commune_boundary: case.commune.as_ref().map(data_geometry),
            registered_geometry: case.registered.as_ref().map(data_geometry),
            registered_area_m2: case.registered_area_m2,
            declared_area_m2: case.declared_area_m2,
            map_scale: case.map_scale,
            current_uses: case.current_uses.clone(),
            neighbours: case.neighbours.iter().map(|n| (n.id.clone(), data_geometry(&n.geometry))).collect(),
            zones: case
                .zones
                .iter()
                .map(|z| (z.id.clone(), z.planned_use.clone(), data_geometry(&z.geometry)))
                .collect(),
            legal: case.legal.clone(),
            split: case.split.as_ref().map(|s| SplitRequest {
                province_code: s.province_code.clone(),
                parts: s
                    .parts
                    .iter()
                    .map(|p| SplitPart {
                        id: p.id.clone(),
                        land_category: p.land_category.clone(),
                        geometry: data_geometry(&p.geometry),
                        frontage_m: p.frontage_m,
                    })
                    .collect(),
            }),
            tolerances: Tolerances::default(),
            area_tolerances: areas,
            min_split_areas: splits,
        };
        let report = run(&input);
        let got: BTreeMap<&str, &RuleResult> = report.results.iter().map(|r| (r.rule, r)).collect();
        assert_eq!(got.len(), report.results.len(), "{}: a rule reported twice", case.name);
        for (rule, expected) in &case.expect {
            match got.get(rule.as_str()) {
                None => wrong.push(format!("{rule}: expected {expected}, not reported")),
                Some(r) => {
                    let outcome = serde_json::to_value(r.outcome).unwrap();
                    if outcome != json!(expected) {
                        wrong.push(format!("{rule}: expected {expected}, got {outcome} — {}", r.message));
                    }
                }
            }
        }
        for rule in got.keys().filter(|r| !case.expect.contains_key(**r)) {
            wrong.push(format!("{rule}: reported ({}) but the case has no expectation", got[rule].message));
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 + 1e-3 * b.abs();
        for (field, expected, pick) in [
            ("measured", &case.expect_measured, (|r: &RuleResult| r.measured) as fn(&RuleResult) -> Option<f64>),
            ("threshold", &case.expect_threshold, |r: &RuleResult| r.threshold),
        ] {
            for (rule, value) in expected {
                let actual = got.get(rule.as_str()).and_then(|r| pick(r));
                if !actual.is_some_and(|a| close(a, *value)) {
                    wrong.push(format!("{rule}: expected {field} {value}, got {actual:?}"));
                }
            }
        }
        if report.outcome() != report.results.iter().map(|r| r.outcome).max().unwrap() {
            wrong.push("report outcome is not the worst rule outcome".into());
        }
        wrong
    }

    // ───────────── a geometry at the vertex cap ─────────────

    /// A closed ring of `positions` positions (the last repeats the first) on a circle of
    /// radius `r` metres around (E + dx, N + dy), as GeoJSON in the plane.
    fn circle(positions: usize, r: f64, dx: f64, dy: f64) -> geojson::Geometry {
        use crate::checks::testing::{E, N};
        let n = positions - 1;
        let mut ring: Vec<Vec<f64>> = (0..n)
            .map(|k| {
                let a = std::f64::consts::TAU * k as f64 / n as f64;
                vec![E + dx + r * a.cos(), N + dy + r * a.sin()]
            })
            .collect();
        ring.push(ring[0].clone());
        serde_json::from_value(json!({"type": "Polygon", "coordinates": [ring]})).unwrap()
    }

    /// The parcel, registered geometry (5 cm away), a neighbour 20 cm away and a planning zone
    /// over half of it, each at the vertex cap.
    fn at_the_cap<'a>(areas: &'a AreaToleranceTable, splits: &'a MinSplitAreaTable) -> CheckInput<'a> {
        use crate::geometry::{parse_polygonal, MAX_VERTICES_PER_GEOMETRY as MAX};
        let parcel = circle(MAX, 50.0, 0.0, 0.0);
        let plane = |g: geojson::Geometry| parse_polygonal(&g).unwrap();
        CheckInput {
            commune_boundary: Some(plane(circle(MAX, 500.0, 0.0, 0.0))),
            registered_geometry: Some(plane(circle(MAX, 50.0, 0.05, 0.0))),
            registered_area_m2: Some(7854.0),
            declared_area_m2: Some(7854.0),
            map_scale: 1000,
            current_uses: vec!["ODT".into()],
            neighbours: vec![("east".into(), plane(circle(MAX, 50.0, 100.2, 0.0)))],
            zones: vec![("road".into(), "DGT".into(), plane(circle(MAX, 50.0, 0.0, 60.0)))],
            legal: LegalFacts::default(),
            split: None,
            tolerances: Tolerances::default(),
            area_tolerances: areas,
            min_split_areas: splits,
            parcel,
        }
    }

    /// `run_with_communes` hands R2 the other communes; R3 reads R4; R5 takes the scale's accuracy.
    #[test]
    fn run_ties_r2_to_other_communes_r3_to_r4_and_r5_to_the_scale() {
        use crate::checks::testing::rect;
        let (areas, splits) = (area_table(), split_table());
        let lot = rect(0., 0., 10., 23.);
        let input = CheckInput {
            parcel: geojson::Geometry::new(geojson::GeometryValue::from(&lot)),
            commune_boundary: None,
            registered_geometry: Some(lot.clone()),
            registered_area_m2: Some(230.0),
            declared_area_m2: Some(240.0),
            map_scale: 500,
            current_uses: vec!["ODT".into()],
            neighbours: vec![("east".into(), rect(9.99, 0., 25., 23.))],
            zones: vec![],
            legal: LegalFacts::default(),
            split: None,
            tolerances: Tolerances::default(),
            area_tolerances: &areas,
            min_split_areas: &splits,
        };
        let elsewhere = [CommunePart { code: "31507".into(), name: "Phường Sóc Trăng".into(), part: lot.clone() }];
        let outcome = |report: &Report, rule: &str| report.get(rule).map(|r| r.outcome);
        let report = run_with_communes(&input, &elsewhere);
        assert_eq!(outcome(&report, "R2"), Some(Outcome::Fail));
        assert_eq!(outcome(&report, "R3"), Some(Outcome::Warn), "unchanged boundary: the measured area rules");
        assert_eq!(outcome(&report, "R4"), Some(Outcome::Pass));
        assert_eq!(outcome(&report, "R5"), Some(Outcome::Warn), "a 1 cm sliver at 1:500");
        assert_eq!(outcome(&run(&input), "R2"), Some(Outcome::Warn), "without other communes R2 cannot tell");
        let moved = CheckInput { registered_geometry: Some(rect(0., 1., 10., 24.)), ..input.clone() };
        let report = run(&moved);
        assert_eq!(outcome(&report, "R4"), Some(Outcome::Fail));
        assert_eq!(outcome(&report, "R3"), Some(Outcome::Fail), "a changed boundary: the declared area must agree");
    }

    #[test]
    fn every_rule_runs_on_geometries_at_the_vertex_cap() {
        let (areas, splits) = (area_table(), split_table());
        let input = at_the_cap(&areas, &splits);
        let report = run(&input);
        let got: BTreeMap<&str, &RuleResult> = report.results.iter().map(|r| (r.rule, r)).collect();
        let outcome = |rule: &str| got[rule].outcome;
        assert_eq!(outcome("R1"), Outcome::Pass, "{}", got["R1"].message);
        assert_eq!(outcome("R2"), Outcome::Pass, "{}", got["R2"].message);
        assert_eq!(outcome("R4"), Outcome::Pass, "{}", got["R4"].message);
        // Two circles 5 cm apart: the boundary moved 5 cm, less the densification's underestimate.
        let moved = got["R4"].measured.unwrap();
        assert!((moved - 0.05).abs() < 0.002, "{moved}");
        // 20 cm from the neighbour: a gap worth a look.
        assert_eq!(outcome("R5"), Outcome::Warn, "{}", got["R5"].message);
        assert_eq!(outcome("R6"), Outcome::Warn, "{}", got["R6"].message);
        // One position over the cap is refused before anything else looks at the geometry.
        let over = circle(crate::geometry::MAX_VERTICES_PER_GEOMETRY + 1, 50.0, 0.0, 0.0);
        let (r1, parcel) = geometry_valid_from_geojson(&over);
        assert_eq!((r1.outcome, parcel), (Outcome::Fail, None), "{}", r1.message);
        assert!(r1.message.contains("10000"), "{}", r1.message);
    }

    /// Not a test: prints how long each geometric rule takes at the cap. Run it in release:
    /// `cargo test -p diachinh-domain --release rule_timings_at_the_vertex_cap -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn rule_timings_at_the_vertex_cap() {
        use std::time::Instant;
        let (areas, splits) = (area_table(), split_table());
        let input = at_the_cap(&areas, &splits);
        let t = Instant::now();
        let (_, parcel) = geometry_valid_from_geojson(&input.parcel);
        println!("R1 {:?}", t.elapsed());
        let p = parcel.unwrap();
        let tol = &input.tolerances;
        let t = Instant::now();
        inside_commune(&p, input.commune_boundary.as_ref(), tol.commune_outside_m2);
        println!("R2 {:?}", t.elapsed());
        let t = Instant::now();
        same_land_for_scale(&p, input.registered_geometry.as_ref(), input.map_scale, &areas, tol);
        println!("R4 {:?}", t.elapsed());
        let t = Instant::now();
        no_overlap_with_neighbours(&p, &input.neighbours, tol.sliver_m2, tol.gap_m);
        println!("R5 {:?}", t.elapsed());
        let t = Instant::now();
        planning_consistent(&p, &["ODT"], &input.zones);
        println!("R6 {:?}", t.elapsed());
        let t = Instant::now();
        run(&input);
        println!("run {:?}", t.elapsed());
        let t = Instant::now();
        let _ = crate::geometry::validate(&p);
        println!("geometry::validate {:?}", t.elapsed());
        let t = Instant::now();
        crate::geometry::interior_point(&p, 0.01);
        println!("geometry::interior_point {:?}", t.elapsed());
        let over = circle(50_000, 50.0, 0.0, 0.0);
        let t = Instant::now();
        let (r1, _) = geometry_valid_from_geojson(&over);
        println!("50 000 positions: {:?} ({:?})", t.elapsed(), r1.outcome);
    }

    #[test]
    fn corpus() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/check-corpus");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("tests/check-corpus exists")
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        assert!(paths.len() >= 25, "the corpus has {} cases", paths.len());
        let (areas, splits) = (area_table(), split_table());
        let mut failures = Vec::new();
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap();
            let case: Case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!case.description.is_empty(), "{}: describe the case", case.name);
            for problem in check_case(&case, &areas, &splits) {
                failures.push(format!("{} ({}): {problem}", case.name, path.file_name().unwrap().to_string_lossy()));
            }
        }
        assert!(failures.is_empty(), "{} corpus mismatch(es):\n{}", failures.len(), failures.join("\n"));
    }
}
