//! The audit chain, for admins: recompute every hash and link and say where it breaks.

use actix_web::{get, web, HttpResponse};

use super::query::{NoParams, Query};
use super::{with_conn, AppState, Problem};
use crate::service::audit::{self, AuditVerificationView};
use crate::service::Actor;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(verify);
}

/// Recomputes the hash-chained audit log (every entry's hash over its canonical encoding, every
/// link, no gap in the ids) and checks it reaches the head the database records. A broken chain
/// is a 200 with `ok: false` and the first bad entry. Seals kept outside the database are checked
/// by `diachinh audit verify`.
#[utoipa::path(get, path = "/audit/verify", tag = "staff", operation_id = "verify_audit_chain",
    security(("bearer" = [])),
    responses((status = 200, description = "the verdict: {ok, entries, head_id, head_hash, first_bad?}", body = AuditVerificationView),
              (status = 401, description = "no valid bearer token"), (status = 403, description = "not an admin")))]
#[get("/audit/verify")]
pub async fn verify(
    actor: Actor,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(with_conn(&state, move |conn, _| audit::verify(conn, &actor)).await?))
}
