//! Quy hoạch sử dụng đất — land-use planning: plan levels, periods and statuses, and when a
//! planned land use conflicts with a parcel's current one.

use chrono::NaiveDate;
use geo_types::MultiPolygon;

use super::crs::{Crs, TransformError};
use super::geometry::{self, GeometryError};
use super::parcel::VIETNAM_EXTENT;

/// Cấp quy hoạch — the administrative level a plan is made for, ordered from the higher
/// level down (a planner reads the province plan before the commune plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanLevel {
    /// Quy hoạch cấp tỉnh.
    Province,
    /// Quy hoạch cấp xã (two-tier government since 2025: no district level).
    Commune,
}

impl PlanLevel {
    /// `province` or `commune`.
    pub fn parse(text: &str) -> Option<PlanLevel> {
        match text {
            "province" => Some(PlanLevel::Province),
            "commune" => Some(PlanLevel::Commune),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanLevel::Province => "province",
            PlanLevel::Commune => "commune",
        }
    }
    /// Digits of the unit code at this level (province 2, commune 5).
    pub fn code_len(&self) -> usize {
        match self {
            PlanLevel::Province => 2,
            PlanLevel::Commune => 5,
        }
    }
}

/// Trạng thái — a plan's legal status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStatus {
    /// Dự thảo: being prepared or consulted on.
    Draft,
    /// Đã phê duyệt: in force; at most one per unit and level.
    Approved,
    /// Đã thay thế: replaced by a later plan (kept for the record).
    Superseded,
}

impl PlanStatus {
    pub fn parse(text: &str) -> Option<PlanStatus> {
        match text {
            "draft" => Some(PlanStatus::Draft),
            "approved" => Some(PlanStatus::Approved),
            "superseded" => Some(PlanStatus::Superseded),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Approved => "approved",
            PlanStatus::Superseded => "superseded",
        }
    }
}

impl TryFrom<String> for PlanStatus {
    type Error = String;
    /// Reads the stored text (how the store maps the `planning_plans.status` column).
    fn try_from(text: String) -> Result<PlanStatus, String> {
        PlanStatus::parse(&text).ok_or_else(|| format!("unknown plan status {text:?}"))
    }
}

/// Why a plan's fields or a status change are refused; `field` names the request member.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> PlanError {
    PlanError { field, message: message.into() }
}

/// Kỳ quy hoạch — the plan period in whole years, e.g. 2021–2030.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPeriod {
    pub start: i32,
    pub end: i32,
}

impl PlanPeriod {
    /// Land Law 2024 plans run ten years (with a five-year vision beyond); anything between
    /// one and thirty years is accepted so that older and vision-long plans can be recorded.
    pub fn new(start: i32, end: i32) -> Result<PlanPeriod, PlanError> {
        if !(2000..=2100).contains(&start) {
            return Err(err("period_start", format!("{start} is not a plausible first year (2000–2100)")));
        }
        if end < start {
            return Err(err("period_end", format!("the period ends ({end}) before it starts ({start})")));
        }
        if end - start > 30 {
            return Err(err(
                "period_end",
                format!("a {}-year period is longer than any land-use plan (at most 30 years)", end - start),
            ));
        }
        Ok(PlanPeriod { start, end })
    }
}

/// Quyết định phê duyệt — the approving decision: both its number and date, or neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub number: String,
    pub date: NaiveDate,
}

/// Checks the decision against the status: an approved or superseded plan must name the
/// decision that approved it; a draft may already carry one (approval pending publication).
pub fn decision_for(
    status: PlanStatus,
    number: Option<&str>,
    date: Option<NaiveDate>,
) -> Result<Option<Decision>, PlanError> {
    let number = number.map(str::trim).filter(|n| !n.is_empty());
    match (number, date) {
        (Some(n), Some(d)) => Ok(Some(Decision { number: n.to_string(), date: d })),
        (None, None) if status == PlanStatus::Draft => Ok(None),
        (None, None) => Err(err(
            "decision_no",
            format!("a {} plan needs the approving decision's number and date", status.as_str()),
        )),
        (Some(_), None) => Err(err("decision_date", "the decision's date is missing")),
        (None, Some(_)) => Err(err("decision_no", "the decision's number is missing")),
    }
}

/// The status changes a plan may go through: draft → approved → superseded, and a draft may
/// be abandoned (superseded) without ever being approved. Nothing leaves `superseded`.
pub fn transition(from: PlanStatus, to: PlanStatus) -> Result<(), PlanError> {
    use PlanStatus::*;
    match (from, to) {
        (Draft, Approved) | (Approved, Superseded) | (Draft, Superseded) => Ok(()),
        (a, b) if a == b => Err(err("status", format!("the plan is already {}", a.as_str()))),
        (a, b) => Err(err("status", format!("a plan cannot go from {} to {}", a.as_str(), b.as_str()))),
    }
}

/// Codes that name the same use for planning purposes: since Decree 49/2026 ONT/ODT follow
/// the commune type (xã/phường), so residential land planned as ODT over a parcel recorded as
/// ONT (or the reverse) is not a change of use; the two rice codes are one use too.
const SAME_USE: &[&[&str]] = &[&["ONT", "ODT"], &["LUC", "LUK"]];

fn same_use(a: &str, b: &str) -> bool {
    a == b || SAME_USE.iter().any(|group| group.contains(&a) && group.contains(&b))
}

/// Whether a planned land use (mã loại đất quy hoạch) conflicts with a parcel's current
/// purposes: it does unless it is the same use as one of them. A planned road (DGT) across a
/// residential lot (ODT) conflicts; ODT planned over ODT + CLN does not.
pub fn conflicts_with_current(current: &[&str], planned: &str) -> bool {
    !current.iter().any(|c| same_use(c, planned))
}

/// A zone of an approved plan over a parcel, as the parcel's planning impact reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneOverlap {
    pub plan_id: i32,
    pub level: PlanLevel,
    /// Area of parcel ∩ zone, m².
    pub area_m2: f64,
    /// Whether the zone's planned use conflicts with the parcel's current uses
    /// ([`conflicts_with_current`]).
    pub conflicts: bool,
}

/// What one approved plan plans for a parcel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanCoverage {
    pub plan_id: i32,
    pub level: PlanLevel,
    /// The part of the parcel the plan zones, m² (at most the parcel's area).
    pub planned_m2: f64,
    /// The part zoned for a use other than the current ones, m².
    pub conflicting_m2: f64,
}

/// A parcel's planning impact plan by plan, higher level first, then by plan id. The zones of
/// one plan never overlap (a zone import refuses overlaps above the sliver tolerance), so
/// within a plan their overlaps with the parcel add up; the sum is capped at the parcel's
/// area, which those tolerated slivers could just exceed. Different plans are never added:
/// a province plan and a commune plan zone the same ground, and their sum would count the
/// parcel twice.
pub fn coverage_by_plan(parcel_area_m2: f64, zones: &[ZoneOverlap]) -> Vec<PlanCoverage> {
    let mut plans: Vec<PlanCoverage> = Vec::new();
    for z in zones {
        let i = match plans.iter().position(|p| p.plan_id == z.plan_id) {
            Some(i) => i,
            None => {
                plans.push(PlanCoverage { plan_id: z.plan_id, level: z.level, planned_m2: 0.0, conflicting_m2: 0.0 });
                plans.len() - 1
            }
        };
        plans[i].planned_m2 += z.area_m2;
        if z.conflicts {
            plans[i].conflicting_m2 += z.area_m2;
        }
    }
    let cap = parcel_area_m2.max(0.0);
    for p in &mut plans {
        p.planned_m2 = p.planned_m2.min(cap);
        p.conflicting_m2 = p.conflicting_m2.min(p.planned_m2);
    }
    plans.sort_by_key(|p| (p.level, p.plan_id));
    plans
}

/// Checks a zone geometry submitted in `source` (OGC-valid, polygonal: see
/// `geometry::parse_polygonal`) and returns it in WGS 84; refuses a zone that lands outside
/// Vietnam, which almost always means a wrong CRS or swapped axes.
pub fn zone_to_wgs84(geom: &MultiPolygon<f64>, source: Crs) -> Result<MultiPolygon<f64>, GeometryError> {
    geometry::validate(geom)?;
    let wgs84 = source.to_wgs84(geom).map_err(|e: TransformError| GeometryError {
        pointer: "/coordinates".into(),
        message: e.to_string(),
        location: Some(geo_types::Coord { x: e.x, y: e.y }),
    })?;
    use geo::BoundingRect;
    let [x0, y0, x1, y1] = VIETNAM_EXTENT;
    if let Some(r) = wgs84.bounding_rect() {
        if r.min().x < x0 || r.max().x > x1 || r.min().y < y0 || r.max().y > y1 {
            return Err(GeometryError {
                pointer: "/coordinates".into(),
                message: format!(
                    "the zone lies outside Vietnam when read as {}: check the CRS and the axis order",
                    source.uri()
                ),
                location: Some(r.min()),
            });
        }
    }
    Ok(wgs84)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_table() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["ODT"], "DGT", true),
            (&["ODT"], "ODT", false),
            (&["ONT"], "ODT", false),
            (&["ODT", "CLN"], "CLN", false),
            (&["LUC"], "LUK", false),
            (&["LUC"], "ONT", true),
            (&["TMD"], "DKV", true),
            (&[], "ODT", true),
        ];
        for (current, planned, expected) in cases {
            assert_eq!(conflicts_with_current(current, planned), *expected, "{current:?} → {planned}");
        }
    }

    #[test]
    fn coverage_is_per_plan_and_never_added_across_levels() {
        let zone = |plan_id, level, area_m2, conflicts| ZoneOverlap { plan_id, level, area_m2, conflicts };
        use PlanLevel::{Commune, Province};
        // A 200 m² lot: the commune plan (id 3) zones 140 m² ODT and a 60 m² road; the province
        // plan (id 7) zones all of it ODT. Summed across plans it would be 400 m², twice the lot.
        let zones = [zone(3, Commune, 140.0, false), zone(7, Province, 200.0, false), zone(3, Commune, 60.0, true)];
        let by_plan = coverage_by_plan(200.0, &zones);
        assert_eq!(
            by_plan,
            vec![
                PlanCoverage { plan_id: 7, level: Province, planned_m2: 200.0, conflicting_m2: 0.0 },
                PlanCoverage { plan_id: 3, level: Commune, planned_m2: 200.0, conflicting_m2: 60.0 },
            ]
        );
        assert!(by_plan.iter().all(|p| p.planned_m2 <= 200.0));
        // Zones of one plan may touch with tolerated slivers: never more than the parcel.
        let slivers = [zone(3, Commune, 150.05, false), zone(3, Commune, 50.05, false)];
        assert_eq!(coverage_by_plan(200.0, &slivers)[0].planned_m2, 200.0);
        assert!(coverage_by_plan(200.0, &[]).is_empty());
    }

    #[test]
    fn periods() {
        assert_eq!(PlanPeriod::new(2021, 2030), Ok(PlanPeriod { start: 2021, end: 2030 }));
        assert_eq!(PlanPeriod::new(2030, 2021).unwrap_err().field, "period_end");
        assert_eq!(PlanPeriod::new(1990, 2000).unwrap_err().field, "period_start");
        assert!(PlanPeriod::new(2021, 2060).is_err());
    }

    #[test]
    fn decisions() {
        let d = NaiveDate::from_ymd_opt(2024, 5, 2).unwrap();
        assert!(decision_for(PlanStatus::Draft, None, None).unwrap().is_none());
        assert_eq!(decision_for(PlanStatus::Approved, None, None).unwrap_err().field, "decision_no");
        assert_eq!(decision_for(PlanStatus::Approved, Some("123/QĐ-UBND"), None).unwrap_err().field, "decision_date");
        assert_eq!(decision_for(PlanStatus::Approved, Some("  "), Some(d)).unwrap_err().field, "decision_no");
        assert_eq!(
            decision_for(PlanStatus::Approved, Some("123/QĐ-UBND"), Some(d)).unwrap().unwrap().number,
            "123/QĐ-UBND"
        );
    }

    #[test]
    fn transitions() {
        use PlanStatus::*;
        for (from, to, ok) in [
            (Draft, Approved, true),
            (Approved, Superseded, true),
            (Draft, Superseded, true),
            (Approved, Draft, false),
            (Superseded, Approved, false),
            (Approved, Approved, false),
        ] {
            assert_eq!(transition(from, to).is_ok(), ok, "{from:?} → {to:?}");
        }
    }

    #[test]
    fn zones_in_the_wrong_crs_are_refused() {
        use geo_types::polygon;
        let metres = MultiPolygon(vec![
            polygon![(x: 551_600.0, y: 1_061_700.0), (x: 551_700.0, y: 1_061_700.0), (x: 551_700.0, y: 1_061_800.0), (x: 551_600.0, y: 1_061_700.0)],
        ]);
        assert!(zone_to_wgs84(&metres, Crs::Wgs84).unwrap_err().message.contains("outside Vietnam"));
        let zone = zone_to_wgs84(&metres, Crs::from_epsg(9209).unwrap()).unwrap();
        assert!((zone.0[0].exterior().0[0].x - 105.97).abs() < 0.05);
        let bow_tie = MultiPolygon(vec![
            polygon![(x: 105.0, y: 10.0), (x: 105.1, y: 10.1), (x: 105.1, y: 10.0), (x: 105.0, y: 10.1), (x: 105.0, y: 10.0)],
        ]);
        assert!(zone_to_wgs84(&bow_tie, Crs::Wgs84).is_err());
    }

    #[test]
    fn levels_and_statuses_round_trip() {
        for l in [PlanLevel::Province, PlanLevel::Commune] {
            assert_eq!(PlanLevel::parse(l.as_str()), Some(l));
        }
        for s in [PlanStatus::Draft, PlanStatus::Approved, PlanStatus::Superseded] {
            assert_eq!(PlanStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PlanLevel::parse("district"), None);
    }
}
