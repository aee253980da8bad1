//! Certificate endpoints (giấy chứng nhận): blank stock, issuance, revocation, replacement,
//! transfer, public verification and keys, and the printable sheet.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};

use super::query::{NoParams, Query};
use super::{base_url, with_conn, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::certificates::{
    self, BlankRangeRequest, CertificateView, IssueRequest, IssuedView, ReasonRequest, ReplaceRequest, RevokeRequest,
    TransferRequest,
};
use crate::service::{Actor, Error};
use domain::ids::CertificateSerial;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/certificates/{serial}` so "keys" and "verify" are not taken for serials.
    cfg.service(keys)
        .service(verify)
        .service(register_blanks)
        .service(void_blank)
        .service(issue)
        .service(get)
        .service(print)
        .service(revoke)
        .service(replace)
        .service(transfer);
}

fn created(req: &HttpRequest, view: CertificateView) -> HttpResponse {
    let location = format!("{}/certificates/{}", base_url(req), view.serial);
    HttpResponse::Created().insert_header((header::LOCATION, location)).json(view)
}

/// Registers a range of unused certificate blanks (phôi) for a province (admin). Serials are
/// two capital letters (A–Z, Đ) and 8 digits; a range overlapping any serial on record is refused.
#[utoipa::path(post, path = "/certificate-blanks", tag = "certificates", request_body = BlankRangeRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "{province, prefix, first, last, count}", body = certificates::BlankRangeView), (status = 403, description = "not an admin"),
              (status = 409, description = "overlaps serials on record"), (status = 422, description = "bad prefix or range")))]
#[post("/certificate-blanks")]
pub async fn register_blanks(
    actor: Actor,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
    body: web::Json<BlankRangeRequest>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let view = with_conn(&state, move |conn, _| certificates::register_blanks(conn, &actor, &body)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Records a spoiled blank (admin or the province's approver); it is never issued.
#[utoipa::path(post, path = "/certificate-blanks/{serial}/void", tag = "certificates", request_body = ReasonRequest,
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{8}$", description = "serial of the blank: two capital letters (A–Z, Đ) and 8 digits")),
    security(("bearer" = [])),
    responses((status = 200, description = "voided", body = certificates::VoidedBlankView), (status = 404, description = "no such blank"),
              (status = 409, description = "already voided or issued")))]
#[post("/certificate-blanks/{serial}/void")]
pub async fn void_blank(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, Problem> {
    let (serial, body) = (path.into_inner(), body.into_inner());
    Ok(HttpResponse::Ok()
        .json(with_conn(&state, move |conn, _| certificates::void_blank(conn, &actor, &serial, &body)).await?))
}

/// Issues the certificate(s) of an approved dossier (approver of its province), as its
/// procedure's outcome says: a first registration creates the first use right, a transfer
/// supersedes the current certificate, a split/merge (1.012784) issues one certificate for every
/// new parcel made under the dossier (holders carried over unless named) and answers
/// `{certificates: [...]}`. Each parcel needs the dossier's newest geometry check to be a pass or
/// warning made after its latest change (not the parts a split or merge made under the dossier),
/// and no restriction in force that blocks the procedure (R7.2). One transaction: the use
/// rights and shares, the next unused blanks, the registry numbers (số vào sổ), the signed
/// contents and QR payloads, the audit entries.
#[utoipa::path(post, path = "/dossiers/{id}/certificate", tag = "certificates", request_body = IssueRequest,
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    security(("bearer" = [])),
    responses((status = 201, description = "the certificate (staff view); for a split/merge dossier {certificates: [...]}", body = IssuedView), (status = 403, description = "not an approver of the province"),
              (status = 404, description = "no such dossier"),
              (status = 409, description = "not approved, a procedure whose result is recorded elsewhere, no fresh passing check, blocked by a restriction (R7.2), already issued, current right exists, nothing pending, or no blank stock"),
              (status = 422, description = "holders or shares invalid")))]
#[post("/dossiers/{id}/certificate")]
pub async fn issue(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<i64>,
    state: web::Data<AppState>,
    body: web::Json<IssueRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let view = with_conn(&state, move |conn, settings| {
        certificates::issue(conn, settings, &actor, id, &body, chrono::Utc::now())
    })
    .await?;
    Ok(match view {
        IssuedView::One(view) => created(&req, *view),
        // Several resources: no one of them is "the" created one for `Location`.
        several @ IssuedView::Several(_) => HttpResponse::Created().json(several),
    })
}

/// The offices' Ed25519 public keys (hex), to verify QR payloads offline.
#[utoipa::path(get, path = "/certificates/keys", tag = "certificates",
    responses((status = 200, description = "{algorithm, keys: [{key_id, province_code, public_key}]}", body = certificates::KeysView)))]
#[get("/certificates/keys")]
pub async fn keys(
    _query: Query<NoParams>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(with_read_conn(&state, from, |conn, _| certificates::keys(conn)).await?))
}

/// Public verifications counted per client address in fixed one-minute windows, in memory
/// (each server process counts its own). Serials are sequential: the limit keeps the register
/// of certificates from being walked.
mod verify_limit {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    const WINDOW: Duration = Duration::from_secs(60);
    /// Above this many addresses, windows that ended are swept.
    const SWEEP_ABOVE: usize = 4096;

    static WINDOWS: OnceLock<Mutex<HashMap<String, (Instant, u32)>>> = OnceLock::new();

    /// Counts one request from `client`; `Err(seconds)` to wait when it is over `limit`.
    pub fn take(client: &str, limit: u32, now: Instant) -> Result<(), u64> {
        let mut windows = WINDOWS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            (*start, *count) = (now, 0);
        }
        if *count >= limit {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        }
        *count += 1;
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_window_fills_and_reopens() {
            let t0 = std::time::Instant::now();
            let client = "test-the-window-fills-and-reopens";
            assert!(super::take(client, 2, t0).is_ok());
            assert!(super::take(client, 2, t0).is_ok());
            let wait = super::take(client, 2, t0 + std::time::Duration::from_secs(10)).unwrap_err();
            assert_eq!(wait, 50);
            assert!(super::take(client, 2, t0 + std::time::Duration::from_secs(60)).is_ok());
        }
    }
}

/// `h`, `k` and `s`: the signed reference a scanned QR code adds to the verification URL.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// Content hash from the QR code (base64url, 128 bits): the answer says whether it is the
    /// certificate's current content (`content_current`).
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub h: Option<String>,
    /// Key id from the QR code, for offline verification (checked for shape only).
    #[param(pattern = "^[0-9]{2}-[0-9a-f]{8}$")]
    pub k: Option<String>,
    /// Ed25519 signature from the QR code (base64url), for offline verification (checked for
    /// shape only).
    #[param(pattern = "^[A-Za-z0-9_-]{86}$")]
    pub s: Option<String>,
}

/// Verifies a certificate by serial (public): valid / revoked / replaced (with the replacing
/// serial), issue date, national parcel id and holders with names masked; no id numbers. The
/// URL in a certificate's QR code adds `h`, `k` and `s`: with `h`, the answer says whether the
/// scanned paper shows the current content (false once the certificate was endorsed after it
/// was printed). At most 60 verifications per client address and minute (`verify_per_minute`);
/// past it, 429 with `Retry-After`.
#[utoipa::path(get, path = "/certificates/verify/{serial}", tag = "certificates",
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)"), VerifyParams),
    responses((status = 200, description = "status", body = certificates::VerificationView), (status = 400, description = "malformed serial, h, k or s"), (status = 404, description = "unknown serial"),
              (status = 429, description = "too many verifications from this address; try again after `Retry-After` seconds",
               headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[get("/certificates/verify/{serial}")]
pub async fn verify(
    req: HttpRequest,
    query: Query<VerifyParams>,
    path: web::Path<CertificateSerial>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let client = super::auth::client_address(&req, &state.settings);
    verify_limit::take(&client, state.settings.verify_per_minute, std::time::Instant::now())
        .map_err(|retry_after| Problem(Error::TooManyRequests { retry_after }))?;
    let serial = path.into_inner();
    let Query(VerifyParams { h, k, s }) = query;
    let scanned = certificates::ScannedReference { h, k, s };
    let view =
        with_read_conn(&state, from, move |conn, _| certificates::verify(conn, serial.as_ref(), &scanned)).await?;
    // A revocation must show at once: caches revalidate.
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(view))
}

/// A certificate's full record (officer or approver of its province).
#[utoipa::path(get, path = "/certificates/{serial}", tag = "certificates", operation_id = "get_certificate",
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)")),
    security(("bearer" = [])),
    responses((status = 200, description = "staff view with content and QR payload", body = CertificateView), (status = 404, description = "unknown serial")))]
#[get("/certificates/{serial}")]
pub async fn get(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<CertificateSerial>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let serial = path.into_inner();
    Ok(HttpResponse::Ok()
        .json(with_conn(&state, move |conn, _| certificates::get(conn, &actor, serial.as_ref())).await?))
}

/// The printable certificate (officer or approver of its province): an A4 sheet, two pages,
/// HTML with print CSS, the QR code and the parcel diagram as inline SVG.
#[utoipa::path(get, path = "/certificates/{serial}/print", tag = "certificates",
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)")),
    security(("bearer" = [])),
    responses((status = 200, description = "text/html", content_type = "text/html"), (status = 404, description = "unknown serial")))]
#[get("/certificates/{serial}/print")]
pub async fn print(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<CertificateSerial>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let serial = path.into_inner();
    let html = with_conn(&state, move |conn, _| certificates::print(conn, &actor, serial.as_ref())).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // Nothing in the sheet loads or runs anything: a second fence behind the escaping.
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// Revokes a valid certificate (thu hồi; approver of its province) by a revocation decision,
/// which ends the right it proves: the parcel can then be registered again through a
/// first-registration dossier.
#[utoipa::path(post, path = "/certificates/{serial}/revoke", tag = "certificates", request_body = RevokeRequest,
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)")),
    security(("bearer" = [])),
    responses((status = 200, description = "revoked", body = CertificateView), (status = 404, description = "unknown serial"),
              (status = 409, description = "not valid (already revoked or replaced)")))]
#[post("/certificates/{serial}/revoke")]
pub async fn revoke(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<CertificateSerial>,
    state: web::Data<AppState>,
    body: web::Json<RevokeRequest>,
) -> Result<HttpResponse, Problem> {
    let (serial, body) = (path.into_inner(), body.into_inner());
    Ok(HttpResponse::Ok()
        .json(with_conn(&state, move |conn, _| certificates::revoke(conn, &actor, serial.as_ref(), &body)).await?))
}

/// Re-issues a certificate over the same right with a new serial (cấp lại: lost; cấp đổi:
/// damaged or exchange); the old one becomes replaced.
#[utoipa::path(post, path = "/certificates/{serial}/replace", tag = "certificates", request_body = ReplaceRequest,
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)")),
    security(("bearer" = [])),
    responses((status = 201, description = "the new certificate", body = CertificateView), (status = 404, description = "unknown serial"),
              (status = 409, description = "not valid, or no blank stock"), (status = 422, description = "unknown reason")))]
#[post("/certificates/{serial}/replace")]
pub async fn replace(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<CertificateSerial>,
    state: web::Data<AppState>,
    body: web::Json<ReplaceRequest>,
) -> Result<HttpResponse, Problem> {
    let (serial, body) = (path.into_inner(), body.into_inner());
    let view = with_conn(&state, move |conn, settings| {
        certificates::replace(conn, settings, &actor, serial.as_ref(), &body, chrono::Utc::now())
    })
    .await?;
    Ok(created(&req, view))
}

/// Refused: a transfer (chuyển nhượng / thừa kế / tặng cho) goes through a dossier of a transfer
/// procedure. Receive one naming the certificate's parcel (`POST /dossiers`), check that parcel
/// (`POST /dossiers/{id}/checks`), approve it, and issue with `POST /dossiers/{id}/certificate`:
/// the new certificate supersedes this one. The answer is a 409 problem saying so (403 without
/// jurisdiction over the parcel's province).
#[utoipa::path(post, path = "/certificates/{serial}/transfer", tag = "certificates", request_body = TransferRequest,
    params(("serial" = String, Path, pattern = "^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$", description = "số phát hành: two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)")),
    security(("bearer" = [])),
    responses((status = 403, description = "no jurisdiction over the certificate's parcel, or not an approver"), (status = 404, description = "unknown serial"),
              (status = 409, description = "always, for a known serial: transfers go through a transfer dossier"), (status = 422, description = "unknown kind")))]
#[post("/certificates/{serial}/transfer")]
pub async fn transfer(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<CertificateSerial>,
    state: web::Data<AppState>,
    body: web::Json<TransferRequest>,
) -> Result<HttpResponse, Problem> {
    let (serial, body) = (path.into_inner(), body.into_inner());
    let refused =
        with_conn(&state, move |conn, _| certificates::transfer(conn, &actor, serial.as_ref(), &body)).await?;
    match refused {}
}
