//! Planning endpoints: plans and zone imports (planner, admin), a plan, and a parcel's
//! planning impact (public).

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};

use super::auth::MaybeActor;
use super::query::{NoParams, Query};
use super::{base_url, with_conn, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::planning::{self, NewPlan, PlanStatusChange, ZoneImport};
use crate::service::{Actor, Error};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_plan).service(get_plan).service(change_status).service(import_zones).service(parcel_planning);
}

fn json(status: actix_web::http::StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    let text = serde_json::to_string(body).expect("views serialise");
    HttpResponse::build(status).insert_header((header::CONTENT_TYPE, "application/json")).body(text)
}

fn plan_id(text: &str) -> Result<i32, Problem> {
    text.parse::<i32>().ok().filter(|id| *id > 0).ok_or_else(|| Problem(Error::NotFound(format!("plan {text}"))))
}

/// Creates a land-use plan (quy hoạch sử dụng đất) for a province or commune: level, period,
/// approving decision and status (draft by default). Planner of the unit's province, or admin.
#[utoipa::path(post, path = "/planning/plans", tag = "staff", request_body = NewPlan,
    security(("bearer" = [])),
    responses((status = 201, description = "the plan", body = planning::PlanView), (status = 400, description = "malformed"),
              (status = 401, description = "no token"), (status = 403, description = "wrong role or province"),
              (status = 409, description = "the unit already has an approved plan of this level"),
              (status = 422, description = "invalid field (problem+json lists each)")))]
#[post("/planning/plans")]
pub async fn create_plan(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewPlan>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let plan = with_conn(&state, move |conn, _| planning::create_plan(conn, &actor, &body)).await?;
    let location = format!("{}/planning/plans/{}", base_url(&req), plan.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(serde_json::to_string(&plan).expect("views serialise")))
}

/// A plan with its unit, period, decision, status and number of zones.
#[utoipa::path(get, path = "/planning/plans/{id}", tag = "planning",
    params(("id" = i32, Path, minimum = 1, description = "plan id")),
    security((), ("bearer" = [])),
    responses((status = 200, description = "the plan (a draft only for its planners; bearer token optional)", body = planning::PlanView), (status = 401, description = "a bearer token that does not authenticate"), (status = 404, description = "no such plan, or a draft you may not see")))]
#[get("/planning/plans/{id}")]
pub async fn get_plan(
    viewer: MaybeActor,
    from: ReadFrom,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = plan_id(&path)?;
    let plan = with_read_conn(&state, from, move |conn, _| planning::get_plan(conn, id, viewer.0.as_ref())).await?;
    Ok(json(actix_web::http::StatusCode::OK, &plan))
}

/// Approves a plan (superseding the unit's approved plan of the same level in the same
/// transaction) or supersedes it. Planner of the plan's province, or admin.
#[utoipa::path(post, path = "/planning/plans/{id}/status", tag = "staff", request_body = PlanStatusChange,
    params(("id" = i32, Path, minimum = 1, description = "plan id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the plan, with `superseded`: ids of plans it replaced", body = planning::PlanStatusView),
              (status = 401, description = "no token"), (status = 403, description = "wrong role or province"),
              (status = 404, description = "no such plan"), (status = 409, description = "not allowed from the current status"),
              (status = 422, description = "missing decision")))]
#[post("/planning/plans/{id}/status")]
pub async fn change_status(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<PlanStatusChange>,
) -> Result<HttpResponse, Problem> {
    let id = plan_id(&path)?;
    let body = body.into_inner();
    let plan = with_conn(&state, move |conn, _| planning::change_status(conn, &actor, id, &body)).await?;
    Ok(json(actix_web::http::StatusCode::OK, &plan))
}

/// Imports planning zones: a GeoJSON FeatureCollection in WGS 84 (default) or a VN-2000 TM-3
/// zone named by a top-level `crs` OGC URI, each feature with its planned land-use code in
/// `properties.land_use`. One transaction: if any feature is bad (geometry, code, outside the
/// unit, overlapping another zone of the plan) the answer is 422 listing every bad feature
/// (`errors[].pointer` = `/features/{index}/…`, `errors[].detail.index`) and nothing is written.
#[utoipa::path(post, path = "/planning/plans/{id}/zones", tag = "staff", request_body = ZoneImport,
    params(("id" = i32, Path, minimum = 1, description = "plan id")),
    security(("bearer" = [])),
    responses((status = 201, description = "{plan_id, imported, zones: [{id, index, land_use, area_m2}]}", body = planning::ZoneImportSummary),
              (status = 401, description = "no token"), (status = 403, description = "wrong role or province"),
              (status = 404, description = "no such plan"), (status = 409, description = "the plan is superseded"),
              (status = 422, description = "bad features, every one listed; nothing imported")))]
#[post("/planning/plans/{id}/zones")]
pub async fn import_zones(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ZoneImport>,
) -> Result<HttpResponse, Problem> {
    let id = plan_id(&path)?;
    let body = body.into_inner();
    let result =
        with_conn(&state, move |conn, settings| planning::import_zones(conn, settings, &actor, id, &body)).await?;
    let location = format!("{}/collections/planning-zones/items?plan={id}", base_url(&req));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(serde_json::to_string(&result).expect("views serialise")))
}

/// Planning impact of a parcel (thông tin quy hoạch): each zone of an approved plan that
/// overlaps the parcel, with the planned land use, the overlap in m² and as % of the parcel,
/// and whether it conflicts with the current use; and, plan by plan (`by_plan`, province level
/// first), how much of the parcel the plan zones and for another use. Plans of different
/// levels zone the same ground: their figures are never added up. Areas are on the ellipsoid
/// (ST_Area of the WGS 84 geography), not in the VN-2000 plane of the legal area
/// (`area_basis` says so).
#[utoipa::path(get, path = "/parcels/{id}/planning", tag = "parcels",
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id: 12-character GeoHash")),
    responses((status = 200, description = "{by_plan: [{level, planned_area_m2, conflicting_area_m2, …}], plans, zones: [{plan_level, land_use, area_m2, percent, conflicts_with_current}], area_basis, …}", body = planning::ParcelPlanning),
              (status = 404, description = "no such parcel")))]
#[get("/parcels/{id}/planning")]
pub async fn parcel_planning(
    _query: Query<NoParams>,
    path: web::Path<domain::ids::NationalId>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let impact =
        with_read_conn(&state, from, move |conn, settings| planning::parcel_impact(conn, settings, id.as_ref()))
            .await?;
    Ok(json(actix_web::http::StatusCode::OK, &impact))
}
