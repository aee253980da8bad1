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
//!   nothing but may mention what was tolerated (slivers, replaced certificates).
//! - R1 runs first. When it fails, the rules marked "yes" above are not evaluated: each is
//!   reported as `Fail` with `details.skipped = true` and a "not checked" message, because a
//!   rule that could not run must not look passed. The legal sub-rules still run.
//! - A rule missing reference data it needs (the commune boundary, a tolerance row for the map
//!   scale, a minimum-area row) reports `Warn` naming what to add: it cannot pass, and the
//!   applicant is not at fault.
//! - R7 is one result per sub-check (R7.1–R7.4) so every refusal names its own reason.
//! - Values DOMAIN.md marks unconfirmed [U] are data (the CSV tables) or parameters
//!   ([`Tolerances`]), never literals in a rule; `threshold_source` says where each came from.

use std::f64::consts::PI;

use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{
    unary_union, Area, BooleanOps, BoundingRect, Buffer, CoordsIter, Distance, Euclidean, Intersects,
    RemoveRepeatedPoints, Validation,
};
use geo_types::{
    Coord, Geometry, GeometryCollection, Line, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::certificate::SHARE_TOLERANCE;
use super::geometry;
use super::planning::conflicts_with_current;

/// R1: consecutive vertices closer than this (metres) are duplicates.
pub const DUPLICATE_VERTEX_M: f64 = 0.001;

/// R1: a vertex whose two edges make an angle below this (degrees) is a spike (gai): the
/// boundary runs out and comes back along nearly the same line. Measured after merging
/// duplicate vertices, in both directions (an outward spike and an inward slit look alike).
pub const SPIKE_ANGLE_DEG: f64 = 1.0;

/// R1: the range [min E, min N, max E, max N] (metres) that a VN-2000 TM-3 coordinate of a
/// Vietnamese parcel falls in: ±4° of longitude around any zone's central meridian, 6°N–24°N
/// (Trường Sa to Hà Giang). A sanity range, not a boundary: it catches degrees sent as metres.
pub const VN2000_PLANE_RANGE: [f64; 4] = [100_000.0, 600_000.0, 900_000.0, 2_700_000.0];

/// R6: intersections with a planning zone below this (m²) are drawing noise along a shared
/// boundary; a certificate prints areas to 0.1 m².
pub const PLANNING_NEGLIGIBLE_M2: f64 = 0.1;

/// Kết quả — a rule's verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

/// What one rule found, shaped for the officer's screen and the map.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Rule id: "R1" … "R6", "R7.1" … "R7.4", "S1".
    pub rule: &'static str,
    /// Stable machine name, e.g. "geometry_valid".
    pub name: &'static str,
    pub outcome: Outcome,
    /// The measured quantity the outcome turned on, rounded to 4 decimals.
    pub measured: Option<f64>,
    /// The limit it was compared with.
    pub threshold: Option<f64>,
    /// "m2", "m", "deg", "ratio".
    pub unit: Option<&'static str>,
    /// Where the threshold comes from: a data row (with its legal source) or a parameter.
    pub threshold_source: Option<String>,
    /// One or two short sentences an officer can act on.
    pub message: String,
    /// The problem geometry (overlaps, the self-intersection point…) in the input plane.
    pub geometry: Option<geojson::Geometry>,
    /// Rule-specific facts, e.g. per-neighbour overlaps. Never coordinates: those go in
    /// `geometry`, which the service transforms.
    pub details: Value,
}

impl RuleResult {
    fn new(rule: &'static str, name: &'static str, outcome: Outcome, message: impl Into<String>) -> Self {
        RuleResult {
            rule,
            name,
            outcome,
            measured: None,
            threshold: None,
            unit: None,
            threshold_source: None,
            message: message.into(),
            geometry: None,
            details: json!({}),
        }
    }

    fn measure(mut self, measured: f64, threshold: Option<f64>, unit: &'static str) -> Self {
        self.measured = Some(round4(measured));
        self.threshold = threshold.map(round4);
        self.unit = Some(unit);
        self
    }

    fn source(mut self, source: impl Into<String>) -> Self {
        self.threshold_source = Some(source.into());
        self
    }

    /// Names where the threshold came from, if the rule used one.
    fn cite(self, source: String) -> Self {
        if self.threshold.is_some() {
            self.source(source)
        } else {
            self
        }
    }

    fn geometry(mut self, geometry: Option<Geometry<f64>>) -> Self {
        self.geometry = geometry.map(|g| geojson::Geometry::new(geojson::GeometryValue::from(&g)));
        self
    }

    fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// All results of one check run, in rule order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub results: Vec<RuleResult>,
}

impl Report {
    /// The worst outcome: the request may be signed only when this is not `Fail`.
    pub fn outcome(&self) -> Outcome {
        self.results.iter().map(|r| r.outcome).max().unwrap_or(Outcome::Pass)
    }

    /// The result of one rule, by id.
    pub fn get(&self, rule: &str) -> Option<&RuleResult> {
        self.results.iter().find(|r| r.rule == rule)
    }
}

/// Tolerances that are engineering choices rather than law: DOMAIN.md §8 found no Vietnamese
/// numeric tolerance for overlaps, gaps or commune boundaries [U]. The service loads them from
/// its configuration; `source` is quoted in every `threshold_source` that uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances {
    /// R2: parcel area allowed outside the commune boundary, m² (commune boundaries are often
    /// drawn at a coarser scale than parcels).
    pub commune_outside_m2: f64,
    /// R5: an overlap with a neighbour at or below this is a sliver (tolerated), m²; also the
    /// smallest gap area worth a warning.
    pub sliver_m2: f64,
    /// R5: a neighbour nearer than this without touching leaves a strip of no-man's land, m.
    pub gap_m: f64,
    /// R4: Hausdorff distance allowed, as a multiple of the boundary-point accuracy of the map
    /// scale (two independent surveys, each within the accuracy).
    pub hausdorff_factor: f64,
    /// R4: symmetric-difference area allowed, as a multiple of perimeter × point accuracy
    /// (the band the boundary may move within).
    pub symdiff_factor: f64,
    /// S1: gap, excess or overlap area allowed between a split's parts and the old parcel, m²
    /// (SOLA's "union area = sum of areas within map-tolerance").
    pub partition_m2: f64,
    /// Where these values come from (config file and section, or "built-in defaults").
    pub source: String,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            commune_outside_m2: 1.0,
            sliver_m2: 0.1,
            gap_m: 0.5,
            hausdorff_factor: 2.0,
            symdiff_factor: 1.0,
            partition_m2: 0.1,
            source: "built-in default [U] (no Vietnamese tolerance found)".into(),
        }
    }
}

impl Tolerances {
    fn cite(&self, key: &str) -> String {
        format!("tolerances.{key} — {}", self.source)
    }
}

// ───────────────────────────── reference tables (CSV) ─────────────────────────────

/// A reference table could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("{table}: the first line must be the header `{expected}`")]
    Header { table: &'static str, expected: String },
    #[error("{table} line {line}: {message}")]
    Row { table: &'static str, line: usize, message: String },
    #[error("{table}: no data rows")]
    Empty { table: &'static str },
}

/// Splits CSV text with a header line, `#` comment lines and blank lines. The last column
/// (a source citation) takes the rest of the line, commas included; no quoting.
fn read_csv<'t>(table: &'static str, text: &'t str, header: &[&str]) -> Result<Vec<(usize, Vec<&'t str>)>, DataError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let first = lines.by_ref().find(|(_, l)| !l.is_empty()).map(|(_, l)| l).unwrap_or("");
    let got: Vec<&str> = first.split(',').map(str::trim).collect();
    if got != header {
        return Err(DataError::Header { table, expected: header.join(",") });
    }
    let mut rows = Vec::new();
    for (line, text) in lines.filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = text.splitn(header.len(), ',').map(str::trim).collect();
        if fields.len() != header.len() {
            return Err(DataError::Row { table, line, message: format!("expected {} columns", header.len()) });
        }
        rows.push((line, fields));
    }
    if rows.is_empty() {
        return Err(DataError::Empty { table });
    }
    Ok(rows)
}

fn positive(table: &'static str, line: usize, column: &str, text: &str) -> Result<f64, DataError> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(DataError::Row { table, line, message: format!("{column} must be a positive number, not '{text}'") }),
    }
}

/// Độ chính xác đo đạc theo tỷ lệ bản đồ — survey accuracy at one cadastral map scale.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaTolerance {
    /// The scale denominator M (500 for 1:500).
    pub map_scale: u32,
    /// Boundary-point accuracy (sai số vị trí điểm ranh giới), metres.
    pub point_accuracy_m: f64,
    /// k in the allowed area difference ΔP = k·M·√P.
    pub formula_k: f64,
    /// The legal source as written in the table, with its confirmation mark.
    pub source: String,
}

impl AreaTolerance {
    /// The allowed |Δ| (m²) between two areas of a parcel of `area_m2` surveyed at this scale.
    pub fn allowed_m2(&self, area_m2: f64) -> f64 {
        self.formula_k * f64::from(self.map_scale) * area_m2.max(0.0).sqrt()
    }
}

/// The survey-accuracy table, `sample-data/area-tolerance.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaToleranceTable {
    pub rows: Vec<AreaTolerance>,
}

impl AreaToleranceTable {
    pub const HEADER: [&'static str; 4] = ["map_scale", "point_accuracy_m", "formula_k", "source"];
    const NAME: &'static str = "area-tolerance.csv";

    /// Reads `map_scale,point_accuracy_m,formula_k,source`; one row per scale.
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        let table = Self::NAME;
        let mut rows: Vec<AreaTolerance> = Vec::new();
        for (line, f) in read_csv(table, text, &Self::HEADER)? {
            let map_scale = f[0].parse::<u32>().ok().filter(|m| *m > 0).ok_or_else(|| DataError::Row {
                table,
                line,
                message: format!("map_scale must be a positive whole number, not '{}'", f[0]),
            })?;
            if rows.iter().any(|r| r.map_scale == map_scale) {
                return Err(DataError::Row { table, line, message: format!("map scale 1:{map_scale} appears twice") });
            }
            rows.push(AreaTolerance {
                map_scale,
                point_accuracy_m: positive(table, line, "point_accuracy_m", f[1])?,
                formula_k: positive(table, line, "formula_k", f[2])?,
                source: f[3].to_string(),
            });
        }
        Ok(AreaToleranceTable { rows })
    }

    /// The row for a map scale denominator.
    pub fn for_scale(&self, map_scale: u32) -> Option<&AreaTolerance> {
        self.rows.iter().find(|r| r.map_scale == map_scale)
    }
}

/// Diện tích tối thiểu được tách thửa — a province's minimum for parcels resulting from a split.
#[derive(Debug, Clone, PartialEq)]
pub struct MinSplitArea {
    /// Two-digit province code (Decision 19/2025/QĐ-TTg).
    pub province_code: String,
    /// Land-use code (mã loại đất) the minimum applies to, e.g. ODT.
    pub land_category: String,
    pub min_area_m2: f64,
    /// Minimum frontage (chiều rộng mặt tiền) where the decision sets one.
    pub min_frontage_m: Option<f64>,
    pub source: String,
}

/// The minimum-split-area table, `sample-data/min-split-area.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinSplitAreaTable {
    pub rows: Vec<MinSplitArea>,
}

impl MinSplitAreaTable {
    pub const HEADER: [&'static str; 5] = ["province_code", "land_category", "min_area_m2", "min_frontage_m", "source"];
    const NAME: &'static str = "min-split-area.csv";

    /// Reads `province_code,land_category,min_area_m2,min_frontage_m,source`; an empty
    /// frontage means the decision sets none.
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        let table = Self::NAME;
        let mut rows: Vec<MinSplitArea> = Vec::new();
        for (line, f) in read_csv(table, text, &Self::HEADER)? {
            if f[0].is_empty() || f[1].is_empty() {
                return Err(DataError::Row {
                    table,
                    line,
                    message: "province_code and land_category are required".into(),
                });
            }
            if rows.iter().any(|r| r.province_code == f[0] && r.land_category == f[1]) {
                return Err(DataError::Row { table, line, message: format!("{} {} appears twice", f[0], f[1]) });
            }
            rows.push(MinSplitArea {
                province_code: f[0].to_string(),
                land_category: f[1].to_string(),
                min_area_m2: positive(table, line, "min_area_m2", f[2])?,
                min_frontage_m: if f[3].is_empty() {
                    None
                } else {
                    Some(positive(table, line, "min_frontage_m", f[3])?)
                },
                source: f[4].to_string(),
            });
        }
        Ok(MinSplitAreaTable { rows })
    }

    /// The row for a province and land-use code.
    pub fn lookup(&self, province_code: &str, land_category: &str) -> Option<&MinSplitArea> {
        self.rows.iter().find(|r| r.province_code == province_code && r.land_category == land_category)
    }
}

// ───────────────────────────── R1 geometry ─────────────────────────────

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
/// Closed rings and polygonal type are checked by [`r1_from_geojson`]: a `MultiPolygon` value
/// cannot carry an unclosed ring.
pub fn r1(parcel: &MultiPolygon<f64>) -> RuleResult {
    r1_result(geometry_problems(parcel))
}

/// R1 on the raw GeoJSON of the request: a non-polygonal type, an unclosed ring, a short
/// ring or a non-finite coordinate fails here (with the JSON pointer in `details`), then
/// [`r1`] runs on the parsed geometry. The geometry is returned only when R1 did not fail,
/// i.e. exactly when the other geometric rules may run on it.
pub fn r1_from_geojson(request: &geojson::Geometry) -> (RuleResult, Option<MultiPolygon<f64>>) {
    match geometry::parse_polygonal(request) {
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
            (r1_result(vec![p]), None)
        }
        Ok(mp) => {
            let result = r1(&mp);
            let usable = result.outcome != Outcome::Fail;
            (result, usable.then_some(mp))
        }
    }
}

fn r1_result(problems: Vec<Problem>) -> RuleResult {
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
        problems.extend(mp.validation_errors().into_iter().map(|e| ogc_problem(mp, e)));
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

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
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
            match geometry::self_intersection(&ring(role).remove_repeated_points()) {
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

/// The stretches where two rings run along each other.
fn shared_edges(a: &LineString<f64>, b: &LineString<f64>) -> Option<Geometry<f64>> {
    let mut shared = Vec::new();
    for la in a.lines() {
        for lb in b.lines() {
            if let Some(geo::LineIntersection::Collinear { intersection }) =
                geo::line_intersection::line_intersection(la, lb)
            {
                if intersection.start != intersection.end {
                    shared.push(LineString::from(vec![intersection.start, intersection.end]));
                }
            }
        }
    }
    (!shared.is_empty()).then(|| MultiLineString(shared).into())
}

// ───────────────────────────── R2 commune ─────────────────────────────

/// R2 Thuộc địa giới xã — the parcel lies in the commune (xã/phường) stated in the request.
/// Fail when more than `tolerance_m2` lies outside the boundary (the outside part is the
/// geometry); no boundary on file → Warn "commune boundary unknown".
pub fn r2(parcel: &MultiPolygon<f64>, commune_boundary: Option<&MultiPolygon<f64>>, tolerance_m2: f64) -> RuleResult {
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

// ───────────────────────────── R3 area ─────────────────────────────

/// R3 Diện tích — the measured (planar) area against the applicant's declared area and the
/// registered legal area, each allowed to differ by ΔP = k·M·√P (P the measured area, M the
/// map scale, k and the source from `table`). Fail when a difference exceeds ΔP; Warn when
/// the scale has no row or there is nothing to compare. `measured` is the largest |Δ|.
pub fn r3(
    parcel: &MultiPolygon<f64>,
    declared_m2: Option<f64>,
    registered_m2: Option<f64>,
    map_scale: u32,
    table: &AreaToleranceTable,
) -> RuleResult {
    const RULE: &str = "R3";
    const NAME: &str = "area_within_tolerance";
    let measured = geometry::planar_area(parcel);
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
    let over: Vec<String> = compared
        .iter()
        .filter(|(_, v)| (measured - v).abs() > allowed)
        .map(|(against, v)| format!("{against} {v:.1} m² (Δ {:+.2} m²)", measured - v))
        .collect();
    let (outcome, message) = if over.is_empty() {
        (Outcome::Pass, format!("Measured {measured:.1} m² agrees within {allowed:.2} m² (1:{map_scale})"))
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
    details["allowed_m2"] = json!(round4(allowed));
    details["formula"] = json!(format!("{}·M·√P", row.formula_k));
    details["comparisons"] = Value::Array(comparisons);
    RuleResult::new(RULE, NAME, outcome, message)
        .measure(worst, Some(allowed), "m2")
        .source(format!("{} 1:{map_scale}: {}", AreaToleranceTable::NAME, row.source))
        .details(details)
}

// ───────────────────────────── R4 same land ─────────────────────────────

/// R4 Cùng thửa đất — the request describes the same land as the registered parcel: the
/// symmetric difference (land changing hands) within `symdiff_max_m2` and the Hausdorff
/// distance between the boundaries within `hausdorff_max_m`. Otherwise Fail: the boundary
/// changed and the boundary-change procedure applies. No registered geometry (first
/// registration) → Pass, nothing to compare. `measured` is the Hausdorff distance.
///
/// The Hausdorff distance is taken between the boundaries densified to a tenth of the
/// tolerance (geo's own compares vertices only, which a re-digitised boundary defeats); it
/// underestimates by at most half that step.
pub fn r4(
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
    // Never more than ~50 000 samples per boundary, whatever the tolerance.
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

/// The largest distance from a point of boundary `a` to boundary `b`, sampling `a` every `step`.
fn directed_hausdorff(a: &[Line<f64>], b: &[Line<f64>], step: f64) -> f64 {
    let mut worst: f64 = 0.0;
    for line in a {
        let n = (distance(line.start, line.end) / step).ceil().max(1.0) as usize;
        for k in 0..=n {
            let t = k as f64 / n as f64;
            let p = line.start + (line.end - line.start) * t;
            let nearest = b.iter().map(|l| point_segment_distance(p, l.start, l.end)).fold(f64::INFINITY, f64::min);
            worst = worst.max(nearest);
        }
    }
    worst
}

fn r4_for_scale(
    parcel: &MultiPolygon<f64>,
    registered: Option<&MultiPolygon<f64>>,
    map_scale: u32,
    table: &AreaToleranceTable,
    tolerances: &Tolerances,
) -> RuleResult {
    let Some(reg) = registered else { return r4(parcel, None, 0.0, 0.0) };
    match table.for_scale(map_scale) {
        Some(row) => {
            let hausdorff = tolerances.hausdorff_factor * row.point_accuracy_m;
            let symdiff = tolerances.symdiff_factor * row.point_accuracy_m * perimeter(reg);
            r4(parcel, Some(reg), hausdorff, symdiff).source(format!(
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

// ───────────────────────────── R5 neighbours ─────────────────────────────

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
pub fn r5(
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
            let apart = multipolygon_distance(parcel, neighbour);
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
    let touches =
        |p: &Polygon<f64>, m: &MultiPolygon<f64>| m.0.iter().any(|q| Euclidean.distance(p, q) <= DUPLICATE_VERTEX_M);
    MultiPolygon(filled.0.into_iter().filter(|p| touches(p, a) && touches(p, b)).collect())
}

fn multipolygon_distance(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    if a.intersects(b) {
        return 0.0;
    }
    b.0.iter().map(|p| Euclidean.distance(a, p)).fold(f64::INFINITY, f64::min)
}

// ───────────────────────────── R6 planning ─────────────────────────────

/// R6 Phù hợp quy hoạch — planning zones `(zone id, planned land-use code, geometry)` whose
/// planned use conflicts with the parcel's current uses (`planning::conflicts_with_current`:
/// ONT/ODT and the two rice codes count as one use) and that cover part of the parcel: their
/// area and share of the parcel. Warn (the officer decides; planning never blocks a
/// certificate of an existing right by itself), never Fail; none → Pass. Intersections below
/// [`PLANNING_NEGLIGIBLE_M2`] are ignored.
pub fn r6(
    parcel: &MultiPolygon<f64>,
    current_uses: &[&str],
    zones: &[(String, String, MultiPolygon<f64>)],
) -> RuleResult {
    let parcel_area = geometry::planar_area(parcel);
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

// ───────────────────────────── R7 legal ─────────────────────────────

/// The legal facts of a request, loaded by the service (no geometry).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalFacts {
    /// Serial (số phát hành) of the certificate the procedure replaces (cấp đổi, cấp lại,
    /// đăng ký biến động with a new certificate), if it replaces one.
    #[serde(default)]
    pub replaces_serial: Option<String>,
    /// Certificates on file for the same right on this parcel.
    #[serde(default)]
    pub existing_certificates: Vec<ExistingCertificate>,
    /// Hạn chế — restrictions registered on the right (mortgage, court order, seizure…).
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
    /// Tranh chấp — land disputes on file for the parcel.
    #[serde(default)]
    pub disputes: Vec<Dispute>,
    /// Người sử dụng đất — the holders named on the new certificate and their shares.
    pub holders: Vec<Holder>,
}

/// A Giấy chứng nhận already issued for the same right.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistingCertificate {
    pub serial: String,
    /// Still in force (not cancelled, revoked or replaced).
    pub valid: bool,
}

/// A restriction on the right; whether it blocks this procedure is decided by the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    pub kind: String,
    pub reference: String,
    pub blocking: bool,
}

/// A land dispute (tranh chấp đất đai) on file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    pub reference: String,
    pub resolved: bool,
}

/// A holder (người sử dụng đất / đồng sở hữu) and their share, a fraction of 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub party: String,
    pub share: f64,
}

/// R7.1–R7.3 on the legal facts, in that order.
pub fn r7(facts: &LegalFacts) -> Vec<RuleResult> {
    vec![r7_certificate(facts), r7_restrictions(facts), r7_shares(&facts.holders)]
}

/// R7.1 — no valid certificate already covers the same right, unless the procedure replaces
/// exactly that one.
pub fn r7_certificate(facts: &LegalFacts) -> RuleResult {
    const NAME: &str = "no_conflicting_certificate";
    let valid: Vec<&ExistingCertificate> = facts.existing_certificates.iter().filter(|c| c.valid).collect();
    let conflicting: Vec<&str> = valid
        .iter()
        .filter(|c| facts.replaces_serial.as_deref() != Some(c.serial.as_str()))
        .map(|c| c.serial.as_str())
        .collect();
    let replaced = facts.replaces_serial.as_deref().filter(|s| valid.iter().any(|c| c.serial == *s));
    let details = json!({"conflicting": conflicting, "replaced": replaced});
    if !conflicting.is_empty() {
        return RuleResult::new(
            "R7.1",
            NAME,
            Outcome::Fail,
            format!(
                "A valid certificate already covers this right: {} (the procedure does not replace it)",
                conflicting.join(", ")
            ),
        )
        .details(details);
    }
    let message = match replaced {
        Some(serial) => format!("Certificate {serial} is replaced by this procedure"),
        None => "No valid certificate covers this right".to_string(),
    };
    RuleResult::new("R7.1", NAME, Outcome::Pass, message).details(details)
}

/// R7.2 — no blocking restriction and no unresolved dispute. Non-blocking restrictions
/// (e.g. a registered mortgage the procedure carries over) are listed, not refused.
pub fn r7_restrictions(facts: &LegalFacts) -> RuleResult {
    const NAME: &str = "no_blocking_restriction_or_dispute";
    let blocking: Vec<String> =
        facts.restrictions.iter().filter(|r| r.blocking).map(|r| format!("{} {}", r.kind, r.reference)).collect();
    let disputes: Vec<&str> = facts.disputes.iter().filter(|d| !d.resolved).map(|d| d.reference.as_str()).collect();
    let carried: Vec<String> =
        facts.restrictions.iter().filter(|r| !r.blocking).map(|r| format!("{} {}", r.kind, r.reference)).collect();
    let details = json!({"blocking": blocking, "disputes": disputes, "non_blocking": carried});
    let mut reasons = Vec::new();
    if !blocking.is_empty() {
        reasons.push(format!("blocking restriction {}", blocking.join(", ")));
    }
    if !disputes.is_empty() {
        reasons.push(format!("unresolved dispute {}", disputes.join(", ")));
    }
    if !reasons.is_empty() {
        return RuleResult::new("R7.2", NAME, Outcome::Fail, capitalise(&reasons.join("; "))).details(details);
    }
    let message = if carried.is_empty() {
        "No restriction or dispute".to_string()
    } else {
        format!("No blocking restriction or dispute; carried over: {}", carried.join(", "))
    };
    RuleResult::new("R7.2", NAME, Outcome::Pass, message).details(details)
}

/// R7.3 — the holders' shares are each in (0, 1] and sum to 1 within
/// `certificate::SHARE_TOLERANCE`, compared exactly as `certificate::check_holders` does so
/// the check and the issuance never disagree (shares are stored to 8 decimals: three holders
/// of 0.33333333 pass). No holder → Fail.
pub fn r7_shares(holders: &[Holder]) -> RuleResult {
    const NAME: &str = "shares_sum_to_one";
    let sum: f64 = holders.iter().map(|h| h.share).sum();
    let bad: Vec<&str> =
        holders.iter().filter(|h| !(h.share > 0.0 && h.share <= 1.0)).map(|h| h.party.as_str()).collect();
    let off = (sum - 1.0).abs();
    let (outcome, message) = if holders.is_empty() {
        (Outcome::Fail, "No holder is named".to_string())
    } else if !bad.is_empty() {
        (Outcome::Fail, format!("Shares must be above 0 and at most 1: {}", bad.join(", ")))
    } else if off > SHARE_TOLERANCE {
        (Outcome::Fail, format!("The {} holders' shares sum to {sum:.6}, not 1", holders.len()))
    } else if holders.len() == 1 {
        (Outcome::Pass, "The sole holder's share is 1".to_string())
    } else {
        (Outcome::Pass, format!("The {} co-holders' shares sum to 1", holders.len()))
    };
    RuleResult::new("R7.3", NAME, outcome, message)
        .measure(sum, Some(1.0), "ratio")
        .source(format!("certificate::SHARE_TOLERANCE {SHARE_TOLERANCE} (shares sum to 1: SOLA business rule)"))
        .details(json!({"sum": sum, "holders": holders.len()}))
}

/// Tách thửa — a split request: the resulting parts.
#[derive(Debug, Clone)]
pub struct SplitRequest {
    /// Province whose minimum-area decision applies (two-digit code).
    pub province_code: String,
    pub parts: Vec<SplitPart>,
}

/// One parcel resulting from a split.
#[derive(Debug, Clone)]
pub struct SplitPart {
    /// The part's label on the split plan (e.g. "A").
    pub id: String,
    /// Land-use code of the part (mã loại đất).
    pub land_category: String,
    /// In the same VN-2000 plane as the request.
    pub geometry: MultiPolygon<f64>,
    /// Frontage on the road (mặt tiền), metres, when the surveyor measured it.
    pub frontage_m: Option<f64>,
}

/// R7.4 — every part of a split reaches the province's minimum area (and frontage, where the
/// decision sets one) from `table`. A part below → Fail. No row for the province and land
/// category, or a frontage minimum with no frontage measured → Warn. `threshold_source`
/// quotes the rows' sources (placeholders say so).
pub fn r7_split_minimum(split: &SplitRequest, table: &MinSplitAreaTable) -> RuleResult {
    const NAME: &str = "split_parts_above_minimum";
    let (mut failures, mut warnings, mut rows, mut sources) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::<String>::new());
    let mut tightest: Option<(f64, f64)> = None; // (area, minimum) of the part nearest its minimum
    for part in &split.parts {
        let area = geometry::planar_area(&part.geometry);
        let Some(row) = table.lookup(&split.province_code, &part.land_category) else {
            let missing = format!(
                "no minimum for province {} and {} in {}",
                split.province_code,
                part.land_category,
                MinSplitAreaTable::NAME
            );
            if !warnings.contains(&missing) {
                warnings.push(missing);
            }
            rows.push(json!({"part": part.id, "area_m2": round4(area), "min_area_m2": null}));
            continue;
        };
        if !sources.contains(&row.source) {
            sources.push(row.source.clone());
        }
        if tightest.is_none_or(|(a, m)| area / row.min_area_m2 < a / m) {
            tightest = Some((area, row.min_area_m2));
        }
        if area < row.min_area_m2 {
            failures.push(format!("part {} has {area:.1} m² < {} m²", part.id, row.min_area_m2));
        }
        match (row.min_frontage_m, part.frontage_m) {
            (Some(min), Some(f)) if f < min => {
                failures.push(format!("part {} has {f:.2} m frontage < {min} m", part.id))
            }
            (Some(min), None) => warnings.push(format!("frontage of part {} not measured (minimum {min} m)", part.id)),
            _ => {}
        }
        rows.push(json!({
            "part": part.id, "land_category": part.land_category, "area_m2": round4(area),
            "min_area_m2": row.min_area_m2, "frontage_m": part.frontage_m, "min_frontage_m": row.min_frontage_m,
        }));
    }
    let (outcome, message) = if !failures.is_empty() {
        (Outcome::Fail, format!("Below the province's minimum for a split: {}", failures.join("; ")))
    } else if !warnings.is_empty() {
        (Outcome::Warn, capitalise(&warnings.join("; ")))
    } else {
        (Outcome::Pass, format!("All {} parts reach the province's minimum", split.parts.len()))
    };
    let mut result = RuleResult::new("R7.4", NAME, outcome, message)
        .details(json!({"province_code": split.province_code, "parts": rows}));
    if let Some((area, min)) = tightest {
        result = result.measure(area, Some(min), "m2");
    }
    if !sources.is_empty() {
        result = result.source(format!(
            "{} province {}: {}",
            MinSplitAreaTable::NAME,
            split.province_code,
            sources.join(" | ")
        ));
    }
    result
}

// ───────────────────────────── S1 split partition ─────────────────────────────

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
        .filter_map(|(i, p)| geometry::validate(p).err().map(|e| format!("part {}: {}", i + 1, e.message)))
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
            "old_area_m2": round4(geometry::planar_area(old)),
            "parts_area_m2": parts.iter().map(|p| round4(geometry::planar_area(p))).collect::<Vec<_>>(),
            "uncovered_m2": round4(gap_m2), "outside_m2": round4(excess_m2),
            "overlaps": overlaps.iter().map(|o| json!({"parts": [o.0, o.1], "area_m2": round4(o.2)})).collect::<Vec<_>>(),
        }))
}

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

/// Runs every rule in order: R1, R2–R6, S1 (split), R7.1–R7.3, R7.4 (split). If R1 fails,
/// R2–R6 and S1 are reported as `Fail` with `details.skipped = true` (see the module notes).
/// For a split, the request geometry is the parcel being split (R4 compares it with the
/// registered one) and S1 checks the parts against it. R4's tolerances come from the map
/// scale's point accuracy in `area_tolerances` and the factors in `tolerances`.
pub fn run(input: &CheckInput) -> Report {
    let t = &input.tolerances;
    let (r1_result, parcel) = r1_from_geojson(&input.parcel);
    let mut results = vec![r1_result];
    match &parcel {
        Some(p) => {
            results
                .push(r2(p, input.commune_boundary.as_ref(), t.commune_outside_m2).cite(t.cite("commune_outside_m2")));
            results.push(r3(
                p,
                input.declared_area_m2,
                input.registered_area_m2,
                input.map_scale,
                input.area_tolerances,
            ));
            results.push(r4_for_scale(
                p,
                input.registered_geometry.as_ref(),
                input.map_scale,
                input.area_tolerances,
                t,
            ));
            results.push(r5(p, &input.neighbours, t.sliver_m2, t.gap_m).cite(t.cite("sliver_m2, gap_m")));
            let uses: Vec<&str> = input.current_uses.iter().map(String::as_str).collect();
            results.push(r6(p, &uses, &input.zones));
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
    results.extend(r7(&input.legal));
    if let Some(split) = &input.split {
        results.push(r7_split_minimum(split, input.min_split_areas));
    }
    Report { results }
}

fn skipped(rule: &'static str, name: &'static str) -> RuleResult {
    RuleResult::new(rule, name, Outcome::Fail, "Not checked: the parcel geometry failed R1; correct it and check again")
        .details(json!({"skipped": true, "because": "R1"}))
}

// ───────────────────────────── small geometry helpers ─────────────────────────────

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
    let total = geometry::planar_area(of);
    if total > 0.0 {
        100.0 * area / total
    } else {
        0.0
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Translate;
    use std::collections::BTreeMap;

    const E: f64 = 553_000.0;
    const N: f64 = 1_061_500.0;

    type Neighbours = Vec<(String, MultiPolygon<f64>)>;
    type Zones = Vec<(String, String, MultiPolygon<f64>)>;

    /// A polygon from offsets (metres) from (E, N); rings are closed here.
    fn poly(rings: &[&[(f64, f64)]]) -> Polygon<f64> {
        let ring = |r: &[(f64, f64)]| {
            let mut c: Vec<Coord<f64>> = r.iter().map(|(x, y)| Coord { x: E + x, y: N + y }).collect();
            c.push(c[0]);
            LineString(c)
        };
        Polygon::new(ring(rings[0]), rings[1..].iter().map(|r| ring(r)).collect())
    }

    fn mp(rings: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
        MultiPolygon(vec![poly(rings)])
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        mp(&[&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]])
    }

    fn area_table() -> AreaToleranceTable {
        AreaToleranceTable::from_csv(include_str!("../../../sample-data/area-tolerance.csv")).unwrap()
    }

    fn split_table() -> MinSplitAreaTable {
        MinSplitAreaTable::from_csv(include_str!("../../../sample-data/min-split-area.csv")).unwrap()
    }

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
            let r = r1(&geometry);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert_eq!(checks(&r), expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{name}: {}", r.message);
        }
    }

    #[test]
    fn r1_locates_problems() {
        let bow = r1(&mp(&[&[(0., 0.), (10., 20.), (10., 0.), (0., 20.)]]));
        assert!(bow.message.contains("crosses itself at E 553005.00 N 1061510.00"), "{}", bow.message);
        assert_eq!(bow.geometry.unwrap().value, geojson::GeometryValue::new_point([E + 5.0, N + 10.0]));
        let line =
            r1(&mp(&[&[(0., 0.), (10., 0.), (10., 20.), (0., 20.)], &[(0., 8.), (4., 8.), (4., 12.), (0., 12.)]]));
        assert!(line.message.contains("touch along a line"), "{}", line.message);
        let geojson::GeometryValue::MultiLineString { coordinates } = line.geometry.unwrap().value else {
            panic!("a line")
        };
        let ends: Vec<(f64, f64)> = coordinates[0].iter().map(|p| (p.as_slice()[0] - E, p.as_slice()[1] - N)).collect();
        assert!(ends.contains(&(0.0, 8.0)) && ends.contains(&(0.0, 12.0)), "{ends:?}");
        let spike = r1(&mp(&[&[(0., 0.), (10., 0.), (10., 10.), (16., 10.02), (10., 10.05), (10., 20.), (0., 20.)]]));
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
            let (r, geometry) = r1_from_geojson(&g(input.clone()));
            assert_eq!(r.outcome, outcome, "{input}: {}", r.message);
            assert_eq!(checks(&r).first().map(String::as_str).unwrap_or(""), check, "{input}");
            assert_eq!(geometry.is_some(), usable, "{input}");
        }
        let (unclosed, _) = r1_from_geojson(&g(
            json!({"type": "Polygon", "coordinates": [[[E, N], [E + 10., N], [E + 10., N + 20.], [E, N + 20.]]]}),
        ));
        assert_eq!(unclosed.details["problems"][0]["pointer"], "/coordinates/0");
    }

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
            let r = r2(&lot, commune.as_ref(), tol);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            if outside.is_finite() {
                assert!((r.measured.unwrap() - outside).abs() < 1e-3, "{name}: {:?}", r.measured);
                assert_eq!(r.geometry.is_some(), outside > 0.0, "{name}");
            }
        }
    }

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
            let r = r3(&lot, declared, registered, scale, &table);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let r = r3(&lot, Some(204.0), None, 500, &table);
        assert_eq!(r.threshold, Some(2.8284));
        assert_eq!(r.measured, Some(4.0));
        assert!(r.threshold_source.unwrap().contains("[U]"));
    }

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
            let r = r4(&parcel, Some(&registered), 0.14, 4.2);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let shifted = r4(&registered.translate(3.0, 0.0), Some(&registered), 0.14, 4.2);
        assert!((shifted.measured.unwrap() - 3.0).abs() < 0.02, "{:?}", shifted.measured);
        assert!(shifted.message.contains("boundary-change procedure"));
        assert!(shifted.geometry.is_some());
        assert_eq!(r4(&registered, None, 0.14, 4.2).outcome, Outcome::Pass);
        // Vertex-only Hausdorff would say 5 m here (the new mid-edge vertex); the boundaries coincide.
        let extra = mp(&[&[(0., 0.), (5., 0.), (10., 0.), (10., 20.), (0., 20.)]]);
        assert!(r4(&extra, Some(&registered), 0.14, 4.2).measured.unwrap() < 1e-9);
    }

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
            let r = r5(&lot, &neighbours, 0.1, 0.5);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert!((r.measured.unwrap() - measured).abs() < 0.01, "{name}: {:?} {}", r.measured, r.message);
        }
        let r = r5(&lot, &[west(0.25)], 0.1, 0.5);
        assert_eq!(r.details["overlaps"][0]["neighbour_id"], "west");
        assert!(r.geometry.is_some());
    }

    #[test]
    fn r5_gap_ignores_the_parcels_own_corners() {
        // An L-shaped lot 0.3 m from a neighbour: the closing also fills the L's inner corner,
        // which is not between the two and must not count.
        let l = mp(&[&[(0., 0.), (10., 0.), (10., 5.), (5., 5.), (5., 20.), (0., 20.)]]);
        let r = r5(&l, &[("w".into(), rect(-10., 0., -0.3, 20.))], 0.1, 0.5);
        assert_eq!(r.outcome, Outcome::Warn);
        assert!((r.measured.unwrap() - 6.0).abs() < 0.01, "{:?}", r.measured);
    }

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
            let r = r6(&lot, uses, &zones);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
            assert!((r.measured.unwrap() - measured).abs() < 0.01, "{name}: {:?}", r.measured);
        }
        let r = r6(&lot, odt, &[zone("r", "DGT", rect(-50., -10., 50., 3.))]);
        assert_eq!(r.details["zones"][0]["percent"], 15.0);
    }

    fn holders(shares: &[f64]) -> Vec<Holder> {
        shares.iter().enumerate().map(|(i, s)| Holder { party: format!("h{i}"), share: *s }).collect()
    }

    #[test]
    fn r7_table() {
        let cert = |serial: &str, valid| ExistingCertificate { serial: serial.into(), valid };
        let facts = |certs: Vec<ExistingCertificate>, replaces: Option<&str>| LegalFacts {
            replaces_serial: replaces.map(String::from),
            existing_certificates: certs,
            holders: holders(&[1.0]),
            ..LegalFacts::default()
        };
        let certificate_cases = [
            ("none", facts(vec![], None), Outcome::Pass),
            ("cancelled only", facts(vec![cert("AB 1", false)], None), Outcome::Pass),
            ("valid", facts(vec![cert("AB 1", true)], None), Outcome::Fail),
            ("valid, replaced", facts(vec![cert("AB 1", true)], Some("AB 1")), Outcome::Pass),
            (
                "two valid, one replaced",
                facts(vec![cert("AB 1", true), cert("AB 2", true)], Some("AB 1")),
                Outcome::Fail,
            ),
        ];
        for (name, f, outcome) in certificate_cases {
            assert_eq!(r7_certificate(&f).outcome, outcome, "{name}");
        }

        let restriction = |blocking| Restriction { kind: "mortgage".into(), reference: "M1".into(), blocking };
        let dispute = |resolved| Dispute { reference: "D1".into(), resolved };
        let with = |restrictions, disputes| LegalFacts {
            restrictions,
            disputes,
            holders: holders(&[1.0]),
            ..LegalFacts::default()
        };
        let restriction_cases = [
            ("clean", with(vec![], vec![]), Outcome::Pass),
            ("non-blocking", with(vec![restriction(false)], vec![]), Outcome::Pass),
            ("blocking", with(vec![restriction(true)], vec![]), Outcome::Fail),
            ("resolved dispute", with(vec![], vec![dispute(true)]), Outcome::Pass),
            ("open dispute", with(vec![], vec![dispute(false)]), Outcome::Fail),
        ];
        for (name, f, outcome) in restriction_cases {
            assert_eq!(r7_restrictions(&f).outcome, outcome, "{name}");
        }

        let share_cases: [(&str, &[f64], Outcome); 9] = [
            ("sole holder", &[1.0], Outcome::Pass),
            ("halves", &[0.5, 0.5], Outcome::Pass),
            ("thirds to 8 places, as stored", &[0.33333333, 0.33333333, 0.33333334], Outcome::Pass),
            ("thirds to 8 places, short by 1e-8", &[0.33333333, 0.33333333, 0.33333333], Outcome::Pass),
            ("thirds to 4 places", &[0.3333, 0.3333, 0.3333], Outcome::Fail),
            ("0.9", &[0.5, 0.4], Outcome::Fail),
            ("1.1", &[0.6, 0.5], Outcome::Fail),
            ("negative", &[1.5, -0.5], Outcome::Fail),
            ("nobody", &[], Outcome::Fail),
        ];
        for (name, shares, outcome) in share_cases {
            assert_eq!(r7_shares(&holders(shares)).outcome, outcome, "{name}");
        }
        assert_eq!(r7(&LegalFacts { holders: holders(&[1.0]), ..LegalFacts::default() }).len(), 3);
    }

    #[test]
    fn r7_split_minimum_table() {
        let table = split_table();
        let part = |id: &str, cat: &str, g: MultiPolygon<f64>, frontage: Option<f64>| SplitPart {
            id: id.into(),
            land_category: cat.into(),
            geometry: g,
            frontage_m: frontage,
        };
        let split = |province: &str, parts| SplitRequest { province_code: province.into(), parts };
        let cases = [
            (
                "both 100 m²",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), Some(5.)),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Pass,
            ),
            (
                "30 m² part",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 10., 3.), Some(10.)),
                        part("B", "ODT", rect(0., 3., 10., 20.), Some(10.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "narrow frontage",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 3., 20.), Some(3.)),
                        part("B", "ODT", rect(3., 0., 10., 20.), Some(7.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "frontage not measured",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), None),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Warn,
            ),
            (
                "ONT minimum is higher",
                split(
                    "92",
                    vec![
                        part("A", "ONT", rect(0., 0., 5., 14.), Some(5.)),
                        part("B", "ONT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "no row for the province",
                split(
                    "01",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), Some(5.)),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Warn,
            ),
        ];
        for (name, s, outcome) in cases {
            let r = r7_split_minimum(&s, &table);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let r = r7_split_minimum(&split("92", vec![part("A", "ODT", rect(0., 0., 10., 3.), Some(10.))]), &table);
        assert!(r.threshold_source.unwrap().contains("[U] placeholder"));
        assert_eq!((r.measured, r.threshold), (Some(30.0), Some(40.0)));
    }

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

    #[test]
    fn tables_parse_and_refuse_bad_rows() {
        let t = area_table();
        assert_eq!(t.rows.iter().map(|r| r.map_scale).collect::<Vec<_>>(), vec![200, 500, 1000, 2000]);
        assert!(t.rows.iter().all(|r| r.source.contains("[U]")));
        assert!((t.for_scale(500).unwrap().allowed_m2(200.0) - 2.8284).abs() < 1e-4);
        let s = split_table();
        assert!(s.rows.iter().all(|r| r.source.starts_with("[U] placeholder")));
        assert_eq!(s.lookup("92", "ODT").unwrap().min_frontage_m, Some(4.0));

        let header = "map_scale,point_accuracy_m,formula_k,source\n";
        let bad = [
            ("scale,accuracy\n500,0.07", "header"),
            ("map_scale,point_accuracy_m,formula_k,source\n# only comments\n", "no data rows"),
            (&*format!("{header}500,0.07,0.0004"), "line 2: expected 4 columns"),
            (&*format!("{header}# c\n500,-1,0.0004,x"), "line 3: point_accuracy_m must be a positive"),
            (&*format!("{header}1:500,0.07,0.0004,x"), "map_scale must be"),
            (&*format!("{header}500,0.07,0.0004,x\n500,0.07,0.0004,y"), "appears twice"),
        ];
        for (text, expected) in bad {
            let err = AreaToleranceTable::from_csv(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // The source column keeps its commas.
        let t = AreaToleranceTable::from_csv(&format!("{header}500,0.07,0.0004,Art. 7, amended by 33/2017")).unwrap();
        assert_eq!(t.rows[0].source, "Art. 7, amended by 33/2017");
        let s =
            MinSplitAreaTable::from_csv("province_code,land_category,min_area_m2,min_frontage_m,source\n92,ODT,40,,x")
                .unwrap();
        assert_eq!(s.rows[0].min_frontage_m, None);
    }

    #[test]
    fn outcome_serialises_lowercase_and_orders_by_severity() {
        assert_eq!(serde_json::to_value(Outcome::Warn).unwrap(), json!("warn"));
        assert!(Outcome::Pass < Outcome::Warn && Outcome::Warn < Outcome::Fail);
        let r = r2(&rect(0., 0., 10., 20.), None, 1.0);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["rule"], "R2");
        assert_eq!(v["outcome"], "warn");
    }

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
        geometry::parse_polygonal(g).expect("reference geometries in the corpus are polygons")
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

    #[test]
    fn corpus() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check-corpus");
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
