//! Liveness, readiness, and the health of each database (primary and read replicas).

use actix_web::{get, web, HttpResponse};

use super::{with_read_conn, AppState, Problem, ReadFrom};
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

/// What `/health` answers: each database the service uses, probed now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DatabasesHealth {
    pub status: DatabasesStatus,
    pub primary: DatabaseProbe,
    /// The read replicas, in the order of `database_replica_urls`; empty without replicas.
    pub replicas: Vec<DatabaseProbe>,
}

/// `ok`: the primary and every replica answer. `degraded`: one of them does not, but reads
/// are served (anonymous public reads from a replica or the primary; writes and staff
/// requests only while the primary answers).
#[derive(Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatabasesStatus {
    Ok,
    Degraded,
}

/// One database, as a probe found it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DatabaseProbe {
    /// `primary`, or `replica-1`, `replica-2`… in configuration order (never its address).
    pub name: String,
    /// It gave a connection and answered a query.
    pub up: bool,
    /// A replica that answers: seconds its replay is behind what it received from the primary
    /// (0 when it has replayed everything). Absent for the primary, a replica that is down,
    /// and a server that is not in recovery (a misconfigured or promoted replica).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_lag_s: Option<f64>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(health);
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
    // A read: once more on another connection if the database had closed the first (a restart).
    with_read_conn(&state, ReadFrom::Primary, |conn, _| store::ping(conn).map_err(|e| Error::Unavailable(e.into())))
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: HealthStatus::Ready }))
}

/// Each database separately: the primary and every read replica, probed at once (each waits at
/// most its pool's connection timeout). 200 while any of them answers (public reads are
/// served), 503 when none does.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, description = "at least one database answers; `status` says whether all do", body = DatabasesHealth), (status = 503, description = "no database answers")))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let pool = state.pool.clone();
    // `web::block` starts each probe at once; they are awaited in turn.
    let primary = web::block(move || store::pool::read(&pool, |c| store::ping(c)).is_ok());
    let replicas: Vec<_> = state
        .replicas
        .pools()
        .cloned()
        .map(|pool| web::block(move || store::pool::read(&pool, |c| store::replicas::replay_lag(c)).ok()))
        .collect();
    let blocked = |e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}")));
    let primary = DatabaseProbe { name: "primary".into(), up: primary.await.map_err(blocked)?, replay_lag_s: None };
    let mut probes = Vec::with_capacity(replicas.len());
    for (i, probe) in replicas.into_iter().enumerate() {
        let answer = probe.await.map_err(blocked)?;
        probes.push(DatabaseProbe {
            name: format!("replica-{}", i + 1),
            up: answer.is_some(),
            replay_lag_s: answer.flatten(),
        });
    }
    if !primary.up && !probes.iter().any(|p| p.up) {
        return Err(Error::Unavailable(anyhow::anyhow!("neither the primary nor a replica answers")).into());
    }
    let status =
        if primary.up && probes.iter().all(|p| p.up) { DatabasesStatus::Ok } else { DatabasesStatus::Degraded };
    Ok(HttpResponse::Ok().json(DatabasesHealth { status, primary, replicas: probes }))
}
