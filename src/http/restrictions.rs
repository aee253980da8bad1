//! Restriction endpoints: registration through a dossier, release, consent, staff reads.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};

use super::query::{NoParams, Query};
use super::{base_url, with_conn, AppState, Problem};
use crate::service::restrictions::{
    self, ConsentRequest, ConsentView, RegisterRestrictionRequest, RegisteredView, ReleaseRequest, RestrictionList,
    RestrictionView,
};
use crate::service::Actor;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register).service(release).service(consent).service(get).service(of_parcel);
}

/// Registers what an approved dossier of a register procedure records (its outcome
/// `register:<kind>` in `GET /procedures`: a mortgage, lease, seizure, injunction, enforcement
/// hold or dispute) on each of the dossier's parcels, unless a restriction in force blocks that
/// procedure per the blocking table (409 naming R7.2 and each blocking record). Mortgages and
/// leases are endorsed on the parcel's valid certificate. Approver of the land's province.
#[utoipa::path(post, path = "/dossiers/{id}/restrictions", tag = "restrictions", request_body = RegisterRestrictionRequest,
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    security(("bearer" = [])),
    responses((status = 201, description = "the records made", body = RegisteredView),
              (status = 403, description = "not an approver of the land's province"), (status = 404, description = "no such dossier"),
              (status = 409, description = "not approved, not a register procedure, already registered, or blocked (R7.2)"),
              (status = 422, description = "a field the kind needs is missing or invalid")))]
#[post("/dossiers/{id}/restrictions")]
pub async fn register(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<i64>,
    state: web::Data<AppState>,
    body: web::Json<RegisterRestrictionRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let view = with_conn(&state, move |conn, settings| {
        restrictions::register(conn, settings, &actor, id, &body, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Releases a restriction in force through an approved dossier of the procedure that releases
/// its kind (`release:<kind>`) naming its parcel; the release is endorsed on the certificate
/// where the registration was. Approver of the land's province.
#[utoipa::path(post, path = "/restrictions/{id}/release", tag = "restrictions", request_body = ReleaseRequest,
    params(("id" = i64, Path, minimum = 1, description = "restriction id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the record, ended", body = RestrictionView),
              (status = 403, description = "not an approver of the land's province"), (status = 404, description = "no such restriction"),
              (status = 409, description = "already ended, dossier not approved, or blocked (R7.2)"),
              (status = 422, description = "the dossier is not a release of this kind or does not name the parcel")))]
#[post("/restrictions/{id}/release")]
pub async fn release(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<i64>,
    state: web::Data<AppState>,
    body: web::Json<ReleaseRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let view = with_conn(&state, move |conn, settings| {
        restrictions::release(conn, settings, &actor, id, &body, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Records the restriction's right-holder's consent (the mortgagee's) to one dossier's
/// procedure, where the blocking table says `blocks_unless_consent`. Officer or approver.
#[utoipa::path(post, path = "/restrictions/{id}/consents", tag = "restrictions", request_body = ConsentRequest,
    params(("id" = i64, Path, minimum = 1, description = "restriction id")),
    security(("bearer" = [])),
    responses((status = 201, description = "the consent", body = ConsentView),
              (status = 403, description = "not staff of the land's province"), (status = 404, description = "no such restriction"),
              (status = 409, description = "ended, dossier finished, or already recorded"),
              (status = 422, description = "the dossier does not name the parcel, or consent does not bear on its procedure")))]
#[post("/restrictions/{id}/consents")]
pub async fn consent(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<i64>,
    state: web::Data<AppState>,
    body: web::Json<ConsentRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let view = with_conn(&state, move |conn, _| restrictions::consent(conn, &actor, id, &body)).await?;
    let location = format!("{}/restrictions/{}", base_url(&req), view.restriction);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(view))
}

/// A restriction record with its parties, amounts, documents and consents (staff of the
/// land's province).
#[utoipa::path(get, path = "/restrictions/{id}", tag = "restrictions",
    params(("id" = i64, Path, minimum = 1, description = "restriction id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the record", body = RestrictionView),
              (status = 403, description = "not staff of the land's province"), (status = 404, description = "no such restriction")))]
#[get("/restrictions/{id}")]
pub async fn get(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(with_conn(&state, move |conn, _| restrictions::get(conn, &actor, id)).await?))
}

/// Every restriction record of a parcel, in force first, ended ones after (staff of the
/// parcel's province). The public parcel view says only whether a mortgage is registered and
/// whether the right is restricted.
#[utoipa::path(get, path = "/parcels/{id}/restrictions", tag = "restrictions",
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the records", body = RestrictionList),
              (status = 403, description = "not staff of the parcel's province"), (status = 404, description = "no such parcel")))]
#[get("/parcels/{id}/restrictions")]
pub async fn of_parcel(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(with_conn(&state, move |conn, _| restrictions::of_parcel(conn, &actor, &id)).await?))
}
