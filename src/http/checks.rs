//! Certificate-request checks: `POST /certificate-checks` and `POST /dossiers/{id}/checks`.

use actix_web::{post, web, HttpResponse};

use super::query::{NoParams, Query};
use super::{with_conn, AppState, Problem};
use crate::service::checks::{self, CheckRequest};
use crate::service::{Actor, Error};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(check_request).service(check_dossier);
}

/// Checks are CPU-bound (the rules on up to `MAX_VERTICES_PER_GEOMETRY` positions) and hold a
/// pooled connection while they run. At most one per core runs at a time; the others wait
/// here, holding no connection, so a burst of large checks cannot starve `/readyz` and every
/// other request of connections.
async fn check_slot() -> Result<tokio::sync::SemaphorePermit<'static>, Problem> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots =
        SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
    slots.acquire().await.map_err(|e| Problem(Error::Internal(anyhow::anyhow!("check slots closed: {e}"))))
}

/// Checks a certificate request against the cadastral map before any dossier exists (staff):
/// rules R1–R7 with measured value, threshold and its source, and problem geometry (CRS84).
#[utoipa::path(post, path = "/certificate-checks", tag = "certificates", request_body = CheckRequest, security(("bearer" = [])),
    responses((status = 200, description = "the report: outcome and one entry per rule", body = checks::CheckReport),
              (status = 403, description = "a planner, or a registered parcel outside the account's province"), (status = 422, description = "unreadable request")))]
#[post("/certificate-checks")]
pub async fn check_request(
    actor: Actor,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
    body: web::Json<CheckRequest>,
) -> Result<HttpResponse, Problem> {
    // Staff who work with legal facts only: the report reveals neighbours and restrictions.
    let body = body.into_inner();
    let _slot = check_slot().await?;
    Ok(HttpResponse::Ok()
        .json(with_conn(&state, move |conn, settings| checks::check_request(conn, settings, &actor, &body)).await?))
}

/// Checks a dossier's request and keeps the report; issuance needs a fresh one without failures.
#[utoipa::path(post, path = "/dossiers/{id}/checks", tag = "dossiers", request_body = CheckRequest, security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    responses((status = 201, description = "the stored report", body = checks::CheckReport), (status = 403, description = "no jurisdiction over the dossier's land"),
              (status = 404, description = "no such dossier"), (status = 422, description = "the parcel is not one of the dossier's")))]
#[post("/dossiers/{id}/checks")]
pub async fn check_dossier(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<CheckRequest>,
) -> Result<HttpResponse, Problem> {
    let id = super::query::path_id(&path, "a dossier")?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    let _slot = check_slot().await?;
    let report =
        with_conn(&state, move |conn, settings| checks::check_dossier(conn, settings, &actor, id, &body, now)).await?;
    Ok(HttpResponse::Created().json(report))
}
