//! Quy hoạch sử dụng đất — land-use planning use cases: plans, zone imports (one transaction,
//! every bad feature reported), the public planning-zones collection and a parcel's planning
//! impact.
//!
//! Areas here are on the ellipsoid (`ST_Area` of `geography`, WGS 84, m²), not in the VN-2000
//! plane of the legal area: planning impact is an overlay for information, and both the
//! overlap and the parcel area it is a share of are measured the same way. The two measures
//! differ by the TM-3 scale factor, about 0.01–0.02 % in the sample provinces.

pub mod sample;

use std::collections::BTreeSet;

use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{authorize, Action};
use super::parcels::Recorder;
use super::{audit_json, Actor, DbContext, Error, FieldError, Settings};
use domain::crs::Crs;
use domain::geometry::parse_polygonal;
use domain::ids::NationalId;
use domain::parcel::is_land_use_code;
use domain::planning::{self as rules, PlanLevel, PlanPeriod, PlanStatus};
use store::planning as db;
use store::{admin_units, audit, parcels as parcel_db};

/// Most features one import may carry.
pub const MAX_ZONES_PER_IMPORT: usize = 10_000;

/// What the impact report says about how areas are measured.
pub const AREA_BASIS: &str = "ellipsoid: ST_Area of the WGS 84 geography, m² (the legal area, diện tích, is measured in the VN-2000 TM-3 plane; the two differ by about 0.01–0.02 %)";

/// `POST /planning/plans`: a land-use plan (quy hoạch sử dụng đất) for a province or commune.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// `province` (cấp tỉnh) or `commune` (cấp xã).
    pub level: String,
    /// Code of the province (2 digits) or commune (5 digits) the plan is made for.
    pub unit: String,
    /// Tên quy hoạch.
    pub name: String,
    /// First year of the plan period (kỳ quy hoạch), e.g. 2021.
    pub period_start: i32,
    /// Last year of the plan period, e.g. 2030.
    pub period_end: i32,
    /// Số quyết định phê duyệt; required unless the status is `draft`.
    pub decision_no: Option<String>,
    /// Ngày quyết định phê duyệt; required unless the status is `draft`.
    pub decision_date: Option<chrono::NaiveDate>,
    /// `draft` (default), `approved` or `superseded`. At most one approved plan per unit and level.
    pub status: Option<String>,
}

/// `POST /planning/plans/{id}/status`: approve or supersede a plan.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStatusChange {
    /// `approved` or `superseded`. Approving supersedes the unit's approved plan of the same level.
    pub status: String,
    /// The approving decision, if the plan does not carry it yet.
    pub decision_no: Option<String>,
    pub decision_date: Option<chrono::NaiveDate>,
}

/// `POST /planning/plans/{id}/zones`: a GeoJSON FeatureCollection of planning zones.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneImport {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// CRS of every geometry as an OGC URI (default CRS84), e.g.
    /// `http://www.opengis.net/def/crs/EPSG/0/9209` for VN-2000 TM-3 105°30′; the GeoJSON 2008
    /// named-CRS object `{"type": "name", "properties": {"name": …}}` is accepted too.
    #[schema(value_type = Option<String>)]
    pub crs: Option<Value>,
    pub name: Option<String>,
    /// Features with a Polygon or MultiPolygon geometry and properties `land_use` (planned
    /// land-use code, required) and `name` (optional); other properties are ignored.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<Value>,
    #[schema(value_type = Option<Vec<f64>>)]
    pub bbox: Option<Value>,
}

// ---- Views ----

/// The administrative unit a plan covers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanUnit {
    pub code: String,
    pub name: String,
    pub province_code: String,
}

/// A plan's period, in years.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanPeriodView {
    pub start: i32,
    pub end: i32,
}

/// The public view of a land-use plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: i32,
    /// province or commune.
    pub level: String,
    pub unit: PlanUnit,
    pub name: String,
    pub period: PlanPeriodView,
    /// Số quyết định phê duyệt.
    pub decision_no: Option<String>,
    pub decision_date: Option<chrono::NaiveDate>,
    /// draft, approved or superseded.
    pub status: String,
    pub zone_count: i64,
    pub synthetic: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /planning/plans/{id}/status`: the plan after the change and the plans it superseded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanStatusView {
    #[serde(flatten)]
    pub plan: PlanView,
    /// Ids of the plans superseded by this approval.
    pub superseded: Vec<i32>,
}

/// One imported zone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedZone {
    pub id: i64,
    /// Index of the feature in the request.
    pub index: usize,
    pub land_use: String,
    pub name: Option<String>,
    /// Area on the ellipsoid (m², to 0.1).
    pub area_m2: f64,
}

/// `POST /planning/plans/{id}/zones`: what was imported.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneImportSummary {
    pub plan_id: i32,
    /// Zones imported.
    pub imported: usize,
    /// CRS of the request (OGC URI).
    pub source_crs: String,
    pub zones: Vec<ImportedZone>,
}

/// A planning zone overlapping a parcel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneImpact {
    pub zone_id: i64,
    pub plan_id: i32,
    /// The plan's level (cấp quy hoạch): province or commune.
    pub plan_level: String,
    /// Planned land-use code.
    pub land_use: String,
    pub land_use_name: String,
    pub name: Option<String>,
    /// Overlap with the parcel (m², ellipsoid, to 0.1).
    pub area_m2: f64,
    /// Overlap as % of the parcel's ellipsoidal area.
    pub percent: f64,
    /// Whether the planned use conflicts with the parcel's current purposes.
    pub conflicts_with_current: bool,
    pub synthetic: bool,
}

/// What one approved plan zones of a parcel. Plans are reported one by one and never added
/// up: a province plan and a commune plan zone the same ground.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanImpact {
    pub plan_id: i32,
    /// Cấp quy hoạch: province or commune.
    pub level: String,
    pub plan_name: String,
    /// The part of the parcel this plan zones (m², ellipsoid, to 0.1); never more than the
    /// parcel's area.
    pub planned_area_m2: f64,
    /// `planned_area_m2` as % of the parcel's ellipsoidal area.
    pub planned_percent: f64,
    /// The part this plan zones for a use other than the parcel's current ones (m², to 0.1).
    pub conflicting_area_m2: f64,
    pub conflicting_percent: f64,
    pub in_conflict: bool,
    /// This plan's zones in `zones`.
    pub zone_ids: Vec<i64>,
}

/// `GET /parcels/{id}/planning`: the approved plans' zones over a parcel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelPlanning {
    pub national_id: String,
    pub commune_code: String,
    pub sheet: i32,
    pub parcel: i32,
    /// Land-use codes of the parcel's current version.
    pub current_land_uses: Vec<String>,
    /// Legal area (VN-2000 TM-3 plane).
    pub legal_area_m2: f64,
    /// How the areas below are measured.
    pub area_basis: String,
    /// The parcel's area on the ellipsoid.
    pub parcel_area_m2: f64,
    /// Whether any approved plan zones part of the parcel for another use.
    pub in_conflict: bool,
    /// One entry per approved plan over the parcel, province level first. Each is a share of
    /// the whole parcel: do not add them up.
    pub by_plan: Vec<PlanImpact>,
    pub plans: Vec<PlanView>,
    /// The zones, plan by plan (province level first), largest overlap first.
    pub zones: Vec<ZoneImpact>,
    pub synthetic: bool,
}

/// The public view of a plan.
pub fn plan_view(p: &db::PlanRow) -> PlanView {
    PlanView {
        id: p.id,
        level: p.level.clone(),
        unit: PlanUnit { code: p.unit_code.clone(), name: p.unit_name.clone(), province_code: p.province_code.clone() },
        name: p.name.clone(),
        period: PlanPeriodView { start: p.period_start, end: p.period_end },
        decision_no: p.decision_no.clone(),
        decision_date: p.decision_date,
        status: p.status.as_str().to_string(),
        zone_count: p.zone_count,
        synthetic: p.is_synthetic,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

fn plan_not_found(id: i32) -> Error {
    Error::NotFound(format!("plan {id}"))
}

/// Drafts are working papers: only staff who may make plans in the unit's province (and
/// admins) see them. To anyone else a draft is as absent as an unknown id.
fn may_see(viewer: Option<&Actor>, status: PlanStatus, province_code: &str) -> bool {
    status != PlanStatus::Draft || viewer.is_some_and(|a| authorize(a, Action::PlanCreate, province_code).is_ok())
}

/// `GET /planning/plans/{id}`; a draft only for those who may see it.
pub fn get_plan(conn: &mut PgConnection, id: i32, viewer: Option<&Actor>) -> Result<PlanView, Error> {
    let plan = db::plan(conn, id, false)
        .context_db("loading the plan")?
        .filter(|p| may_see(viewer, p.status, &p.province_code))
        .ok_or_else(|| plan_not_found(id))?;
    Ok(plan_view(&plan))
}

/// May `viewer` list the zones of plan `id`? An unknown plan lists nothing either way.
pub fn plan_listable(conn: &mut PgConnection, id: i32, viewer: Option<&Actor>) -> Result<bool, Error> {
    let plan = db::plan(conn, id, false).context_db("loading the plan")?;
    Ok(plan.is_none_or(|p| may_see(viewer, p.status, &p.province_code)))
}

/// A plan request checked field by field (every problem reported at once).
struct CheckedPlan {
    level: PlanLevel,
    status: PlanStatus,
    period: PlanPeriod,
    decision: Option<rules::Decision>,
}

fn check_plan(req: &NewPlan) -> Result<CheckedPlan, Error> {
    let mut errors = Vec::new();
    let level = PlanLevel::parse(&req.level);
    if level.is_none() {
        errors.push(FieldError::pointer("/level", "the level is `province` or `commune`"));
    }
    let status = match req.status.as_deref() {
        None => Some(PlanStatus::Draft),
        Some(s) => PlanStatus::parse(s),
    };
    if status.is_none() {
        errors.push(FieldError::pointer("/status", "the status is `draft`, `approved` or `superseded`"));
    }
    if let Some(level) = level {
        if req.unit.len() != level.code_len() || !req.unit.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::pointer(
                "/unit",
                format!("a {} code has {} digits", level.as_str(), level.code_len()),
            ));
        }
    }
    if req.name.trim().is_empty() {
        errors.push(FieldError::pointer("/name", "the plan needs a name"));
    }
    let period = PlanPeriod::new(req.period_start, req.period_end)
        .map_err(|e| errors.push(FieldError::pointer(format!("/{}", e.field), e.message)))
        .ok();
    let decision = status.and_then(|s| {
        rules::decision_for(s, req.decision_no.as_deref(), req.decision_date)
            .map_err(|e| errors.push(FieldError::pointer(format!("/{}", e.field), e.message)))
            .ok()
    });
    match (level, status, period, decision, errors.is_empty()) {
        (Some(level), Some(status), Some(period), Some(decision), true) => {
            Ok(CheckedPlan { level, status, period, decision })
        }
        _ => Err(Error::Invalid(errors)),
    }
}

/// `POST /planning/plans` (planner of the unit's province, or admin). One transaction, audited.
pub fn create_plan(conn: &mut PgConnection, actor: &Actor, req: &NewPlan) -> Result<PlanView, Error> {
    let checked = check_plan(req)?;
    conn.transaction(|conn| {
        let unit = find_unit(conn, checked.level, &req.unit)?;
        authorize(actor, Action::PlanCreate, &unit.province_code)?;
        insert_plan(conn, &actor.into(), req, &checked, &unit, false)
    })
}

fn find_unit(conn: &mut PgConnection, level: PlanLevel, code: &str) -> Result<db::UnitRow, Error> {
    db::unit_in_force(conn, level.as_str(), code)
        .context_db("finding the unit")?
        .ok_or_else(|| Error::invalid("/unit", format!("no {} in force has code '{code}'", level.as_str())))
}

fn insert_plan(
    conn: &mut PgConnection,
    by: &Recorder,
    req: &NewPlan,
    c: &CheckedPlan,
    unit: &db::UnitRow,
    synthetic: bool,
) -> Result<PlanView, Error> {
    let id = db::insert_plan(
        conn,
        &db::NewPlan {
            level: c.level.as_str(),
            admin_unit_id: unit.id,
            name: req.name.trim(),
            period_start: c.period.start,
            period_end: c.period.end,
            decision_no: c.decision.as_ref().map(|d| d.number.as_str()),
            decision_date: c.decision.as_ref().map(|d| d.date),
            status: c.status,
            is_synthetic: synthetic,
        },
    )
    .map_err(|e| approved_conflict(e, unit, c.level))?;
    let plan = db::plan(conn, id, false).context_db("reading the plan back")?.ok_or_else(|| plan_not_found(id))?;
    let view = plan_view(&plan);
    audit::append(
        conn,
        audit::AuditEntry {
            actor_id: by.user_id,
            actor: by.name,
            action: "planning.plan.create",
            entity: "planning_plan",
            entity_id: &id.to_string(),
            before: None,
            after: Some(audit_json(&view)?),
        },
    )
    .context_db("writing the audit log")?;
    Ok(view)
}

fn approved_conflict(e: diesel::result::Error, unit: &db::UnitRow, level: PlanLevel) -> Error {
    match store::StoreError::from(e) {
        store::StoreError::Unique { constraint: Some(c) } if c == "planning_plans_one_approved" => {
            Error::Conflict {
                message: format!("{} {} ({}) already has an approved {} plan: approve the new plan through POST /planning/plans/{{id}}/status, which supersedes the old one", level.as_str(), unit.code, unit.name, level.as_str()),
                errors: vec![FieldError::pointer("/status", "another plan of this unit and level is approved")],
            }
        }
        e => Error::db("inserting the plan", e),
    }
}

/// `POST /planning/plans/{id}/status`: approve (superseding the unit's approved plan of the
/// same level in the same transaction) or supersede a plan.
pub fn change_status(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i32,
    req: &PlanStatusChange,
) -> Result<PlanStatusView, Error> {
    let to = PlanStatus::parse(&req.status)
        .filter(|s| *s != PlanStatus::Draft)
        .ok_or_else(|| Error::invalid("/status", "the new status is `approved` or `superseded`"))?;
    conn.transaction(|conn| {
        let plan = db::plan(conn, id, true).context_db("loading the plan")?.ok_or_else(|| plan_not_found(id))?;
        authorize(actor, Action::PlanStatus, &plan.province_code)?;
        let from = plan.status;
        rules::transition(from, to).map_err(|e| Error::Conflict {
            message: e.message,
            errors: vec![FieldError::pointer("/status", "not allowed from the plan's current status")],
        })?;
        let number = req.decision_no.as_deref().or(plan.decision_no.as_deref());
        let date = req.decision_date.or(plan.decision_date);
        let decision =
            rules::decision_for(to, number, date).map_err(|e| Error::invalid(format!("/{}", e.field), e.message))?;
        let mut superseded = Vec::new();
        if to == PlanStatus::Approved {
            for old in db::plans_of_unit(conn, plan.admin_unit_id, &plan.level, PlanStatus::Approved)
                .context_db("finding the approved plan")?
            {
                db::set_status(conn, old.id, PlanStatus::Superseded, None, None)
                    .context_db("superseding the old plan")?;
                audit::append(
                    conn,
                    audit::AuditEntry {
                        actor_id: Some(actor.user_id),
                        actor: &actor.username,
                        action: "planning.plan.supersede",
                        entity: "planning_plan",
                        entity_id: &old.id.to_string(),
                        before: Some(audit_json(&plan_view(&old))?),
                        after: Some(json!({"status": "superseded", "superseded_by": id})),
                    },
                )
                .context_db("writing the audit log")?;
                superseded.push(old.id);
            }
        }
        db::set_status(conn, id, to, decision.as_ref().map(|d| d.number.as_str()), decision.as_ref().map(|d| d.date))
            .context_db("changing the plan's status")?;
        let after = db::plan(conn, id, false).context_db("reading the plan back")?.ok_or_else(|| plan_not_found(id))?;
        let view = plan_view(&after);
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "planning.plan.status",
                entity: "planning_plan",
                entity_id: &id.to_string(),
                before: Some(audit_json(&plan_view(&plan))?),
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(PlanStatusView { plan: view, superseded })
    })
}

/// A feature that passed the checks that need no database.
struct ParsedZone {
    index: usize,
    land_use: String,
    name: Option<String>,
    /// GeoJSON geometry in WGS 84.
    geojson: String,
}

fn feature_error(index: usize, pointer: &str, message: impl std::fmt::Display) -> FieldError {
    FieldError::pointer(format!("/features/{index}{pointer}"), format!("feature {index}: {message}"))
        .with_detail(json!({"index": index}))
}

/// The `crs` member: an OGC URI string or a GeoJSON 2008 named CRS; WGS 84 when absent.
fn import_crs(member: Option<&Value>) -> Result<Crs, Error> {
    let text = match member {
        None | Some(Value::Null) => return Ok(Crs::Wgs84),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => other["properties"]["name"].as_str().ok_or_else(|| {
            Error::invalid("/crs", "crs is an OGC URI string, e.g. http://www.opengis.net/def/crs/EPSG/0/9209")
        })?,
    };
    Crs::parse(text).map_err(|e| Error::invalid("/crs", e.to_string()))
}

fn parse_feature(index: usize, f: &Value, crs: Crs, errors: &mut Vec<FieldError>) -> Option<ParsedZone> {
    let before = errors.len();
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        errors.push(feature_error(index, "/type", "not a GeoJSON Feature"));
        return None;
    }
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let land_use = match props.get("land_use") {
        Some(Value::String(code)) if is_land_use_code(code) => Some(code.clone()),
        Some(Value::String(code)) => {
            errors.push(feature_error(
                index,
                "/properties/land_use",
                format!("'{code}' is not a land-use code (three capital letters, e.g. DGT)"),
            ));
            None
        }
        _ => {
            errors.push(feature_error(
                index,
                "/properties/land_use",
                "the planned land-use code (property land_use) is missing",
            ));
            None
        }
    };
    let name = match props.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n.trim().to_string()).filter(|n| !n.is_empty()),
        Some(_) => {
            errors.push(feature_error(index, "/properties/name", "the zone name is a string"));
            None
        }
    };
    let geometry = match serde_json::from_value::<geojson::Geometry>(f.get("geometry").cloned().unwrap_or(Value::Null))
    {
        Err(e) => {
            errors.push(feature_error(index, "/geometry", format!("not a GeoJSON geometry: {e}")));
            None
        }
        Ok(g) => match parse_polygonal(&g).and_then(|mp| rules::zone_to_wgs84(&mp, crs)) {
            Ok(wgs84) => Some(geojson::Geometry::from(&wgs84).to_string()),
            Err(e) => {
                let mut fe = feature_error(index, &format!("/geometry{}", e.pointer), &e.message);
                if let Some(c) = e.location {
                    fe = fe
                        .with_detail(json!({"index": index, "location": {"type": "Point", "coordinates": [c.x, c.y]}}));
                }
                errors.push(fe);
                None
            }
        },
    };
    match (land_use, geometry) {
        (Some(land_use), Some(geojson)) if errors.len() == before => {
            Some(ParsedZone { index, land_use, name, geojson })
        }
        _ => None,
    }
}

/// `POST /planning/plans/{id}/zones` (planner of the plan's province, or admin). One
/// transaction: either every feature is imported or none, and a refusal lists every bad
/// feature with its index and reason.
pub fn import_zones(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    plan_id: i32,
    req: &ZoneImport,
) -> Result<ZoneImportSummary, Error> {
    import(conn, settings, &actor.into(), Some(actor), plan_id, req, false)
}

fn import(
    conn: &mut PgConnection,
    settings: &Settings,
    by: &Recorder,
    actor: Option<&Actor>,
    plan_id: i32,
    req: &ZoneImport,
    synthetic: bool,
) -> Result<ZoneImportSummary, Error> {
    if req.kind != "FeatureCollection" {
        return Err(Error::invalid("/type", "the body is a GeoJSON FeatureCollection"));
    }
    let crs = import_crs(req.crs.as_ref())?;
    if req.features.is_empty() {
        return Err(Error::invalid("/features", "the collection has no features"));
    }
    if req.features.len() > MAX_ZONES_PER_IMPORT {
        return Err(Error::invalid(
            "/features",
            format!("at most {MAX_ZONES_PER_IMPORT} zones per import; split the file"),
        ));
    }
    conn.transaction(|conn| {
        let plan =
            db::plan(conn, plan_id, true).context_db("loading the plan")?.ok_or_else(|| plan_not_found(plan_id))?;
        if let Some(actor) = actor {
            authorize(actor, Action::PlanZones, &plan.province_code)?;
            // What was approved is what the decision says: zones go into a draft plan.
            if plan.status == PlanStatus::Approved {
                return Err(Error::Conflict {
                    message: format!(
                        "plan {plan_id} is approved: its zones are those of its decision; create a new draft plan \
                         (POST /planning/plans), add zones to it and approve it to supersede this one"
                    ),
                    errors: vec![],
                });
            }
        }
        if plan.status == PlanStatus::Superseded {
            return Err(Error::Conflict {
                message: format!("plan {plan_id} is superseded: its zones are closed"),
                errors: vec![],
            });
        }
        let mut errors = Vec::new();
        let parsed: Vec<ParsedZone> =
            req.features.iter().enumerate().filter_map(|(i, f)| parse_feature(i, f, crs, &mut errors)).collect();
        let codes: Vec<String> =
            parsed.iter().map(|z| z.land_use.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let known = db::known_land_use_codes(conn, &codes).context_db("checking land-use codes")?;
        for z in &parsed {
            if !known.contains(&z.land_use) {
                errors.push(feature_error(
                    z.index,
                    "/properties/land_use",
                    format!("unknown land-use code '{}' (see the land_use_types reference table)", z.land_use),
                ));
                continue;
            }
            if let Some(outside) = admin_units::area_outside(conn, plan.admin_unit_id, &z.geojson)
                .context_db("checking the unit boundary")?
            {
                if outside > settings.boundary_tolerance_m2 {
                    errors.push(feature_error(
                        z.index,
                        "/geometry",
                        format!("{outside:.1} m² of the zone lie outside {} ({})", plan.unit_code, plan.unit_name),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.detail.as_ref().and_then(|d| d["index"].as_u64()).unwrap_or(0));
            return Err(Error::Invalid(errors));
        }
        let mut ids = Vec::with_capacity(parsed.len());
        for z in &parsed {
            ids.push(
                db::insert_zone(
                    conn,
                    plan_id,
                    &db::NewZone {
                        land_use_code: &z.land_use,
                        name: z.name.as_deref(),
                        geojson: &z.geojson,
                        source_crs_epsg: crs.epsg() as i32,
                        is_synthetic: synthetic,
                    },
                )
                .context_db("inserting a zone")?,
            );
        }
        let overlaps = db::zone_overlaps(conn, plan_id, &ids, settings.sliver_tolerance_m2)
            .context_db("checking zone overlaps")?;
        if !overlaps.is_empty() {
            let index_of = |id: i64| ids.iter().position(|x| *x == id);
            let errors = overlaps
                .iter()
                .map(|o| {
                    let (new, other) = match (index_of(o.zone_a), index_of(o.zone_b)) {
                        (_, Some(b)) => (b, o.zone_a),
                        (Some(a), None) => (a, o.zone_b),
                        (None, None) => unreachable!("the overlap query only returns pairs with a new zone"),
                    };
                    let with = match index_of(other) {
                        Some(i) => format!("feature {i}"),
                        None => format!("zone {other} already in the plan"),
                    };
                    feature_error(
                        new,
                        "/geometry",
                        format!("overlaps {with} by {:.1} m²: a point of a plan has one planned use", o.area_m2),
                    )
                })
                .collect();
            return Err(Error::Invalid(errors));
        }
        let areas = db::zone_areas(conn, &ids).context_db("measuring the zones")?;
        let zones: Vec<ImportedZone> = parsed
            .iter()
            .zip(&ids)
            .map(|(z, id)| {
                let area = areas.iter().find(|(a, _)| a == id).map_or(0.0, |(_, m2)| (m2 * 10.0).round() / 10.0);
                ImportedZone {
                    id: *id,
                    index: z.index,
                    land_use: z.land_use.clone(),
                    name: z.name.clone(),
                    area_m2: area,
                }
            })
            .collect();
        let summary = ZoneImportSummary { plan_id, imported: ids.len(), source_crs: crs.uri(), zones };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: by.user_id,
                actor: by.name,
                action: "planning.zones.import",
                entity: "planning_plan",
                entity_id: &plan_id.to_string(),
                before: None,
                after: Some(audit_json(&summary)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(summary)
    })
}

/// The public properties of a planning zone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneProperties {
    pub zone_id: i64,
    /// Planned land-use code.
    pub land_use: String,
    pub land_use_name: String,
    pub name: Option<String>,
    /// Area on the ellipsoid (m², to 0.1).
    pub area_m2: f64,
    pub plan_id: i32,
    pub plan_name: String,
    pub plan_level: String,
    pub plan_status: String,
    pub unit_code: String,
    pub unit_name: String,
    pub province_code: String,
    pub period_start: i32,
    pub period_end: i32,
    pub decision_no: Option<String>,
    pub decision_date: Option<chrono::NaiveDate>,
    /// CRS the zone was imported in (OGC URI).
    pub source_crs: Option<String>,
    pub synthetic: bool,
}

/// A planning zone as a GeoJSON Feature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    /// The zone id.
    pub id: i64,
    /// GeoJSON Polygon or MultiPolygon (WGS 84).
    #[schema(value_type = Object)]
    pub geometry: Value,
    pub properties: ZoneProperties,
}

/// The public GeoJSON Feature of a planning zone (WGS 84).
pub fn zone_feature(z: &db::ZoneRow) -> ZoneFeature {
    ZoneFeature {
        kind: "Feature",
        id: z.id,
        geometry: serde_json::from_str::<Value>(&z.geometry).unwrap_or(Value::Null),
        properties: ZoneProperties {
            zone_id: z.id,
            land_use: z.land_use_code.clone(),
            land_use_name: z.land_use_name.clone(),
            name: z.name.clone(),
            area_m2: (z.area_m2 * 10.0).round() / 10.0,
            plan_id: z.plan_id,
            plan_name: z.plan_name.clone(),
            plan_level: z.plan_level.clone(),
            plan_status: z.plan_status.as_str().to_string(),
            unit_code: z.unit_code.clone(),
            unit_name: z.unit_name.clone(),
            province_code: z.province_code.clone(),
            period_start: z.period_start,
            period_end: z.period_end,
            decision_no: z.decision_no.clone(),
            decision_date: z.decision_date,
            source_crs: Crs::from_epsg(z.source_crs_epsg as u32).map(|c| c.uri()),
            synthetic: z.is_synthetic,
        },
    }
}

/// A page of zones (approved plans', or one plan's) as features; with the count and last id.
pub fn zones_page(conn: &mut PgConnection, q: &db::ZoneQuery) -> Result<(Vec<ZoneFeature>, i64, Option<i64>), Error> {
    let (rows, matched) = db::zones_page(conn, q).context_db("loading planning zones")?;
    let last = rows.last().map(|r| r.id);
    Ok((rows.iter().map(zone_feature).collect(), matched, last))
}

/// One zone by id (as the text of an OGC feature id).
pub fn zone(conn: &mut PgConnection, id: &str, viewer: Option<&Actor>) -> Result<ZoneFeature, Error> {
    let not_found = || Error::NotFound(format!("planning zone {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    db::zone(conn, id)
        .context_db("loading the planning zone")?
        .filter(|z| may_see(viewer, z.plan_status, &z.province_code))
        .map(|z| zone_feature(&z))
        .ok_or_else(not_found)
}

/// `GET /parcels/{id}/planning`: every zone of an approved plan that overlaps the parcel's
/// current version, with the planned use, the overlap in m² and as % of the parcel, and
/// whether the planned use conflicts with the parcel's current purposes; and per approved
/// plan, how much of the parcel it zones and for another use (`domain::planning::coverage_by_plan`).
pub fn parcel_impact(conn: &mut PgConnection, settings: &Settings, national_id: &str) -> Result<ParcelPlanning, Error> {
    national_id.parse::<NationalId>().map_err(|e| Error::bad_parameter("id", e.to_string()))?;
    let parcel = parcel_db::current_by_national_id(conn, national_id)
        .context_db("loading the parcel")?
        .ok_or_else(|| Error::NotFound(format!("parcel {national_id}")))?;
    let rows =
        db::impact(conn, parcel.version_id, settings.sliver_tolerance_m2).context_db("overlaying planning zones")?;
    let parcel_area = db::parcel_area_on_ellipsoid(conn, parcel.version_id).context_db("measuring the parcel")?;
    #[derive(Deserialize)]
    struct Lu {
        code: String,
    }
    let current: Vec<String> =
        serde_json::from_str::<Vec<Lu>>(&parcel.land_uses).unwrap_or_default().into_iter().map(|l| l.code).collect();
    let current_refs: Vec<&str> = current.iter().map(String::as_str).collect();
    let plan_ids: Vec<i32> = rows.iter().map(|r| r.plan_id).collect::<BTreeSet<_>>().into_iter().collect();
    let mut plans = db::plans_by_ids(conn, &plan_ids).context_db("loading the plans")?;
    plans.sort_by_key(|p| (PlanLevel::parse(&p.level), p.id));
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let pct = |v: f64| if parcel_area > 0.0 { (v / parcel_area * 10_000.0).round() / 100.0 } else { 0.0 };
    let mut overlaps = Vec::with_capacity(rows.len());
    let zones: Vec<ZoneImpact> = rows
        .iter()
        .map(|r| {
            let conflict = rules::conflicts_with_current(&current_refs, &r.land_use_code);
            let level = PlanLevel::parse(&r.plan_level)
                .ok_or_else(|| anyhow::anyhow!("plan {} has an unknown level {:?}", r.plan_id, r.plan_level))?;
            overlaps.push(rules::ZoneOverlap { plan_id: r.plan_id, level, area_m2: r.area_m2, conflicts: conflict });
            Ok(ZoneImpact {
                zone_id: r.zone_id,
                plan_id: r.plan_id,
                plan_level: r.plan_level.clone(),
                land_use: r.land_use_code.clone(),
                land_use_name: r.land_use_name.clone(),
                name: r.zone_name.clone(),
                area_m2: round1(r.area_m2),
                percent: pct(r.area_m2),
                conflicts_with_current: conflict,
                synthetic: r.is_synthetic,
            })
        })
        .collect::<Result<_, Error>>()?;
    let by_plan: Vec<PlanImpact> = rules::coverage_by_plan(parcel_area, &overlaps)
        .into_iter()
        .map(|c| PlanImpact {
            plan_id: c.plan_id,
            level: c.level.as_str().to_string(),
            plan_name: plans.iter().find(|p| p.id == c.plan_id).map(|p| p.name.clone()).unwrap_or_default(),
            planned_area_m2: round1(c.planned_m2),
            planned_percent: pct(c.planned_m2),
            conflicting_area_m2: round1(c.conflicting_m2),
            conflicting_percent: pct(c.conflicting_m2),
            in_conflict: c.conflicting_m2 > 0.0,
            zone_ids: rows.iter().filter(|r| r.plan_id == c.plan_id).map(|r| r.zone_id).collect(),
        })
        .collect();
    Ok(ParcelPlanning {
        national_id: parcel.national_id,
        commune_code: parcel.commune_code,
        sheet: parcel.sheet_no,
        parcel: parcel.parcel_no,
        current_land_uses: current,
        legal_area_m2: parcel.legal_area_m2,
        area_basis: AREA_BASIS.to_string(),
        parcel_area_m2: round1(parcel_area),
        in_conflict: by_plan.iter().any(|p| p.in_conflict),
        by_plan,
        plans: plans.iter().map(plan_view).collect(),
        zones,
        synthetic: parcel.is_synthetic,
    })
}

/// Creates a plan and imports its zones in the caller's name but without a staff account
/// (the sample loader records itself as "seed"); the zones are flagged synthetic.
pub(crate) fn create_synthetic_plan_with_zones(
    conn: &mut PgConnection,
    settings: &Settings,
    plan: &NewPlan,
    zones: &ZoneImport,
) -> Result<PlanView, Error> {
    let checked = check_plan(plan)?;
    let by = Recorder { user_id: None, name: "seed" };
    conn.transaction(|conn| {
        let unit = find_unit(conn, checked.level, &plan.unit)?;
        let view = insert_plan(conn, &by, plan, &checked, &unit, true)?;
        let id = view.id;
        import(conn, settings, &by, None, id, zones, true)?;
        // The loader's own read: it made the plan, whatever its status.
        let plan = db::plan(conn, id, false).context_db("loading the plan")?.ok_or_else(|| plan_not_found(id))?;
        Ok(plan_view(&plan))
    })
}

/// Whether a unit already has an approved plan of this level (the sample loader is idempotent).
pub(crate) fn has_approved_plan(conn: &mut PgConnection, level: PlanLevel, unit_code: &str) -> Result<bool, Error> {
    let Some(unit) = db::unit_in_force(conn, level.as_str(), unit_code).context_db("finding the unit")? else {
        return Ok(false);
    };
    Ok(!db::plans_of_unit(conn, unit.id, level.as_str(), PlanStatus::Approved).context_db("finding plans")?.is_empty())
}
