//! Changes after issuance (đăng ký biến động): the result of an approved dossier of a change
//! procedure, recorded on the register and on the certificate.

use actix_web::{post, web, HttpResponse};

use super::query::{NoParams, Query};
use super::{with_conn, AppState, Problem};
use crate::service::changes::{self, ChangeRequest, ChangeView};
use crate::service::Actor;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(record);
}

/// Records the change an approved dossier of a change procedure registers (approver of the
/// land's province): a purpose, holder details, term, boundary, inheritance, share transfer or
/// division. One transaction: the right's next version (and the parcel's, for purpose, term and
/// boundary), then an endorsement on the valid certificate or a new certificate replacing it as
/// the procedure's change rules say, the 30-day deadline of Land Law 2024 Art. 133(3) checked,
/// the audit entry.
#[utoipa::path(post, path = "/dossiers/{id}/changes", tag = "certificates", request_body = ChangeRequest,
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    security(("bearer" = [])),
    responses((status = 201, description = "the change registered, with the certificate endorsed or issued", body = ChangeView),
              (status = 400, description = "malformed body"), (status = 401, description = "no bearer token"),
              (status = 403, description = "not an approver of the province"), (status = 404, description = "no such dossier"),
              (status = 409, description = "not a change procedure, not approved, already recorded, no valid certificate, blocked by a restriction (R7.2), or no blank stock"),
              (status = 422, description = "a field of the change is invalid (the problem names it)")))]
#[post("/dossiers/{id}/changes")]
pub async fn record(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<i64>,
    state: web::Data<AppState>,
    body: web::Json<ChangeRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let view: ChangeView =
        with_conn(&state, move |conn, settings| changes::record(conn, settings, &actor, id, &body, chrono::Utc::now()))
            .await?;
    Ok(HttpResponse::Created().json(view))
}
