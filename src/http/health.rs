//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};

use super::{with_conn, AppState, Problem};
use crate::service::Error;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers (503 otherwise).
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    with_conn(&state, |conn, _| store::ping(conn).map_err(|e| Error::Unavailable(e.into()))).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
