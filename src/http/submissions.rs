//! Online submissions: the citizen's public `POST /submissions` (multipart/form-data) and
//! tracking by number and secret; the desk's list, accept and refuse. The multipart body is read
//! here under the upload limits (a body past the total is refused while it is read, 413); what
//! the fields and files mean is the service's (`service::submissions`).

use actix_multipart::{Field, Multipart};
use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{limit, NoParams, Query};
use super::{with_conn, with_conn_notifying, AppState, Problem};
use crate::service::submissions::{self, AcceptInput, RefuseInput, SubmissionForm, Upload};
use crate::service::{Actor, Error, FieldError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/submissions/{id}`.
    cfg.service(track).service(submit).service(list).service(get).service(accept).service(refuse);
}

/// Room for the text fields beside the files.
const TEXT_ALLOWANCE: usize = 64 * 1024;
/// Most parts in one form (fields and files).
const MAX_PARTS: usize = 64;

fn bad_body(message: impl Into<String>) -> Problem {
    Problem(Error::BadRequest(vec![FieldError::pointer("", message)]))
}

/// Reads one part into memory, counting against the request's total; a file past the per-file
/// limit keeps only one byte more than the limit (enough for the service to say it is too large).
async fn read_part(field: &mut Field, keep: usize, total: &mut usize, total_max: usize) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| bad_body(format!("the multipart body cannot be read: {e}")))?;
        *total += chunk.len();
        if *total > total_max {
            return Err(Problem(Error::TooLarge(format!(
                "the submission is larger than {total_max} bytes in all; send fewer or smaller files"
            ))));
        }
        if bytes.len() < keep {
            let room = keep - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }
    Ok(bytes)
}

/// The form as parts: text fields by name (each once), files in the `document_N` fields.
async fn read_form(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<SubmissionForm, Problem> {
    let limits = state.settings.upload_limits;
    let total_max = limits.total_bytes + TEXT_ALLOWANCE;
    if let Some(length) = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if length > total_max {
            return Err(Problem(Error::TooLarge(format!(
                "the submission is larger than {total_max} bytes in all; send fewer or smaller files"
            ))));
        }
    }
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut form = SubmissionForm::default();
    let (mut total, mut parts) = (0usize, 0usize);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| bad_body(format!("not a multipart/form-data body: {e}")))?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(bad_body(format!("at most {MAX_PARTS} fields and files in one form")));
        }
        let name = field.name().unwrap_or("").to_string();
        if name.is_empty() {
            return Err(bad_body("every part of the form needs a name"));
        }
        if name.starts_with("document_") {
            let file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("").to_string();
            let bytes = read_part(&mut field, limits.file_bytes + 1, &mut total, total_max).await?;
            form.files.push(Upload { field: name, file_name, bytes });
        } else {
            let bytes = read_part(&mut field, 8 * 1024, &mut total, total_max).await?;
            let text = String::from_utf8(bytes).map_err(|_| {
                Problem(Error::Invalid(vec![FieldError::pointer(format!("/{name}"), "not UTF-8 text")
                    .with_detail(serde_json::json!({"code": "invalid"}))]))
            })?;
            if form.text.insert(name.clone(), text).is_some() {
                return Err(Problem(Error::Invalid(vec![FieldError::pointer(
                    format!("/{name}"),
                    format!("'{name}' is given more than once"),
                )
                .with_detail(serde_json::json!({"code": "invalid"}))])));
            }
        }
    }
    Ok(form)
}

/// Submits a dossier online (public; toàn trình or một phần procedures only): applicant, commune
/// and parcel, return method, and each required document as a file field `document_N` (N = its
/// position in the procedure's `required_documents`; repeat a field for several pages). Files
/// are PDF, JPEG or PNG by content, within the size and count limits. Answers at once with the
/// submission number and a secret (shown only here) to track it; the statutory time limit runs
/// from the desk's acceptance. Every refusal names the field; nothing is stored then.
#[utoipa::path(post, path = "/submissions", tag = "public",
    request_body(content = inline(submissions::SubmissionFormSchema), content_type = "multipart/form-data"),
    responses((status = 201, description = "the submission receipt, with the secret", body = submissions::SubmissionReceipt),
              (status = 413, description = "the files together are larger than the upload limit (25 MiB by default)"),
              (status = 422, description = "a field or file is invalid or missing; `errors` names each")))]
#[post("/submissions")]
pub async fn submit(
    req: HttpRequest,
    _query: Query<NoParams>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let form = read_form(&req, payload, &state).await?;
    let now = chrono::Utc::now();
    let receipt =
        with_conn_notifying(&state, move |conn, settings| submissions::submit(conn, settings, &form, now)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::LOCATION, format!("/submissions/track/{}", receipt.submission_no)))
        .json(receipt))
}

/// The query of submission tracking.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrackParams {
    /// Mã bí mật from the submission receipt (case, spaces and hyphens ignored).
    #[param(example = "K7M9-PQ2R-STUV", max_length = 64)]
    pub secret: Option<String>,
}

/// Tracks an online submission by its number and secret: waiting, accepted (with the dossier's
/// public tracking) or refused (with the grounds in Vietnamese). No personal data. A wrong or
/// missing secret is the same 404 as an unknown number.
#[utoipa::path(get, path = "/submissions/track/{submission_no}", tag = "public",
    params(("submission_no" = String, Path, pattern = "^TT\\.[0-9]{2}\\.[0-9]{6}\\.[0-9]{5,12}$", description = "submission number, e.g. TT.92.261127.00001"), TrackParams),
    responses((status = 200, description = "where the submission stands", body = submissions::SubmissionTrackingView), (status = 404, description = "unknown number, or the secret is missing or wrong")))]
#[get("/submissions/track/{submission_no}")]
pub async fn track(
    query: Query<TrackParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let no = path.into_inner();
    if !domain::dossier::submission::is_submission_no(&no) {
        return Err(Error::bad_parameter("submission_no", "a submission number looks like TT.92.261127.00001").into());
    }
    let secret = query.0.secret;
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, _| submissions::track(conn, &no, secret.as_deref(), now)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(view))
}

/// The query of the desk's list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// submitted, accepted or refused.
    #[param(pattern = "^(submitted|accepted|refused)$")]
    pub state: Option<String>,
    /// Province code.
    pub province: Option<String>,
    /// Page size, 1..=500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From `next_cursor`.
    #[param(minimum = 0)]
    pub cursor: Option<i64>,
}

/// The desk's online submissions, with the working day each must be answered by.
#[utoipa::path(get, path = "/submissions", tag = "dossiers", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "{items, next_cursor}", body = submissions::SubmissionList)))]
#[get("/submissions")]
pub async fn list(actor: Actor, query: Query<ListParams>, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = query.0;
    if p.cursor.is_some_and(|c| c < 0) {
        return Err(Error::bad_parameter("cursor", "not a cursor from next_cursor").into());
    }
    let limit = limit(p.limit, 100, 500)?;
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, _| {
        submissions::list(conn, &actor, p.province, p.state.as_deref(), p.cursor.unwrap_or(0), limit, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

fn submission_id(text: &str) -> Result<i64, Problem> {
    super::query::path_id(text, "a submission")
}

/// One online submission (staff of its province): applicant, return, files (names, types,
/// sizes, SHA-256).
#[utoipa::path(get, path = "/submissions/{id}", tag = "dossiers", operation_id = "get_submission", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "submission id")),
    responses((status = 200, description = "the submission", body = submissions::SubmissionView)))]
#[get("/submissions/{id}")]
pub async fn get(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = submission_id(&path)?;
    let now = chrono::Utc::now();
    Ok(HttpResponse::Ok().json(with_conn(&state, move |conn, _| submissions::get(conn, &actor, id, now)).await?))
}

/// Accepts an online submission (officer): it becomes a dossier received now, so the statutory
/// clock starts at acceptance; the citizen is notified with the receipt number, tracking code
/// and promised date. 409 when it was already decided.
#[utoipa::path(post, path = "/submissions/{id}/accept", tag = "dossiers", request_body = AcceptInput, security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "submission id")),
    responses((status = 201, description = "the submission and its dossier", body = submissions::AcceptedView), (status = 409, description = "already accepted or refused")))]
#[post("/submissions/{id}/accept")]
pub async fn accept(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<AcceptInput>,
) -> Result<HttpResponse, Problem> {
    let id = submission_id(&path)?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    let view =
        with_conn_notifying(&state, move |conn, settings| submissions::accept(conn, settings, &actor, id, &body, now))
            .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/dossiers/{}", view.dossier.id))).json(view))
}

/// Refuses an online submission (officer) with a ground and a note the citizen reads in
/// Vietnamese; the uploaded files are deleted (the audit entry keeps their hashes). 409 when it
/// was already decided.
#[utoipa::path(post, path = "/submissions/{id}/refuse", tag = "dossiers", request_body = RefuseInput, security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "submission id")),
    responses((status = 200, description = "the refused submission", body = submissions::SubmissionView), (status = 409, description = "already accepted or refused")))]
#[post("/submissions/{id}/refuse")]
pub async fn refuse(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<RefuseInput>,
) -> Result<HttpResponse, Problem> {
    let id = submission_id(&path)?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    let view = with_conn_notifying(&state, move |conn, _| submissions::refuse(conn, &actor, id, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}
