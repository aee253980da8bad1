//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};

use super::{with_conn, AppState, Problem};
use crate::service::Error;

/// What a probe answers: `ok` (alive) or `ready` (the database answers).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: HealthStatus,
}

/// `ok` from `/healthz`, `ready` from `/readyz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Ready,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: HealthStatus::Ok })
}

/// The database answers (503 otherwise).
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "ready", body = Health), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    with_conn(&state, |conn, _| store::ping(conn).map_err(|e| Error::Unavailable(e.into()))).await?;
    Ok(HttpResponse::Ok().json(Health { status: HealthStatus::Ready }))
}
