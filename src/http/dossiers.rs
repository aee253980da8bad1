//! Dossier endpoints: receipt at the one-stop desk, the route between the units, apologies,
//! printable slips and letters, public tracking, the timeliness figures and the desk's queue.

use actix_web::{get, http::header, post, put, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{limit, NoParams, Query};
use super::{printable, with_conn, with_conn_notifying, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::dossiers::{
    self, ApologyInput, EventInput, ListQuery, NewDossier, ProcedureInput, QueueQuery, StatsQuery,
};
use crate::service::{Actor, Error};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/dossiers/{id}`.
    cfg.service(track)
        .service(list)
        .service(receive)
        .service(get)
        .service(event)
        .service(apologise)
        .service(receipt_slip)
        .service(apology_letter)
        .service(timeliness)
        .service(queue)
        .service(procedures)
        .service(put_procedure);
}

fn json(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8")).body(body)
}

fn dossier_id(text: &str) -> Result<i64, Problem> {
    super::query::path_id(text, "a dossier")
}

/// Receives a dossier (officer): returns the receipt number and the promised date, computed in
/// working days from the procedure's statutory limit (weekends, holidays and the yearly
/// decisions excluded; after the procedure's cut-off — the office's when it has none — the
/// clock starts the next working day). Listed documents are compared with the procedure's
/// required documents: an incomplete dossier is a 422 naming the missing ones
/// (`errors[0].detail.missing`), unless `incomplete_note` accepts it.
#[utoipa::path(post, path = "/dossiers", tag = "dossiers", request_body = NewDossier, security(("bearer" = [])),
    responses((status = 201, description = "the dossier, with receipt_no and due_on", body = dossiers::DossierView), (status = 422, description = "invalid field, or documents missing")))]
#[post("/dossiers")]
pub async fn receive(
    actor: Actor,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
    body: web::Json<NewDossier>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, settings| dossiers::receive(conn, settings, &actor, &body, now)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/dossiers/{}", view.id))).json(view))
}

/// The query of the officers' queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Dossier state.
    #[param(
        pattern = "^(received|supplement_requested|appraising|at_commune|at_tax_office|awaiting_payment|approved|rejected|result_ready|returned|withdrawn)$"
    )]
    pub state: Option<String>,
    /// Only overdue dossiers (true or false): open, past the due date, and not paused since
    /// before it.
    pub overdue: Option<bool>,
    /// Province code.
    pub province: Option<String>,
    /// Commune code.
    pub commune: Option<String>,
    /// Procedure code.
    pub procedure: Option<String>,
    /// Page size, 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// From `next_cursor`.
    #[param(minimum = 0)]
    pub cursor: Option<i64>,
}

/// The query of the timeliness KPIs.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Province code.
    pub province: Option<String>,
    /// Commune code.
    pub commune: Option<String>,
    /// Procedure code.
    pub procedure: Option<String>,
    /// Channel of receipt.
    #[param(pattern = "^(counter|online|postal)$")]
    pub channel: Option<String>,
    /// First day of receipt, YYYY-MM-DD.
    pub from: Option<NaiveDate>,
    /// Last day of receipt, YYYY-MM-DD.
    pub to: Option<NaiveDate>,
}

/// The officers' queue: `state`, `overdue=true`, `province`, `commune`, `procedure`, keyset paging.
#[utoipa::path(get, path = "/dossiers", tag = "dossiers", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, description = "{items, next_cursor}", body = dossiers::DossierList)))]
#[get("/dossiers")]
pub async fn list(actor: Actor, query: Query<ListParams>, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = query.0;
    if p.cursor.is_some_and(|c| c < 0) {
        return Err(Error::bad_parameter("cursor", "not a cursor from next_cursor").into());
    }
    let q = ListQuery {
        province: p.province,
        commune: p.commune,
        procedure: p.procedure,
        state: p.state,
        overdue: p.overdue.unwrap_or(false),
        after: p.cursor.unwrap_or(0),
        limit: limit(p.limit, 100, 1000)?,
    };
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, _| dossiers::list(conn, &actor, q, now)).await?))
}

/// One dossier with its timeline (staff of its province).
#[utoipa::path(get, path = "/dossiers/{id}", tag = "dossiers", operation_id = "get_dossier", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id")), responses((status = 200, description = "the dossier", body = dossiers::DossierView), (status = 404, description = "not found")))]
#[get("/dossiers/{id}")]
pub async fn get(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = dossier_id(&path)?;
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, _| dossiers::get(conn, &actor, id, now)).await?))
}

/// One step of the route: a handover between the desk, the registration office, the commune and
/// the tax office, a supplement request, a tax notice or a payment, a decision, the result. 409
/// lists the actions allowed now, or says which rule of the procedure refused the step (the
/// supplement limit, a posting not over, a required commune task not done).
#[utoipa::path(post, path = "/dossiers/{id}/events", tag = "dossiers", request_body = EventInput, security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    responses((status = 200, description = "the dossier after the step", body = dossiers::DossierView), (status = 409, description = "not allowed in this state")))]
#[post("/dossiers/{id}/events")]
pub async fn event(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<EventInput>,
) -> Result<HttpResponse, Problem> {
    let id = dossier_id(&path)?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    Ok(json(with_conn_notifying(&state, move |conn, _| dossiers::act(conn, &actor, id, &body, now)).await?))
}

/// Records the apology (form 04, văn bản xin lỗi và hẹn lại ngày trả kết quả) with the new
/// promised date: while the dossier is open, once; required at the latest one working day
/// before the due date (Decree 61/2018 Art. 19(9)) — later it is recorded with `in_time: false`.
#[utoipa::path(post, path = "/dossiers/{id}/apologies", tag = "dossiers", request_body = ApologyInput, security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id")),
    responses((status = 201, description = "the apology", body = dossiers::ApologyCreated), (status = 409, description = "the result is ready, or an apology already re-set the date")))]
#[post("/dossiers/{id}/apologies")]
pub async fn apologise(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ApologyInput>,
) -> Result<HttpResponse, Problem> {
    let id = dossier_id(&path)?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    let created = with_conn_notifying(&state, move |conn, _| dossiers::apologise(conn, &actor, id, &body, now)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Printable receipt slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
#[utoipa::path(get, path = "/dossiers/{id}/receipt", tag = "dossiers", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id")), responses((status = 200, description = "HTML")))]
#[get("/dossiers/{id}/receipt")]
pub async fn receipt_slip(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = dossier_id(&path)?;
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, _| dossiers::receipt(conn, &actor, id, now)).await?;
    Ok(html(printable::receipt_slip(&view)))
}

/// Printable apology letter (văn bản xin lỗi và hẹn lại ngày trả kết quả).
#[utoipa::path(get, path = "/dossiers/{id}/apologies/{apology}", tag = "dossiers", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "dossier id"), ("apology" = i64, Path, minimum = 1, description = "apology id")), responses((status = 200, description = "HTML")))]
#[get("/dossiers/{id}/apologies/{apology}")]
pub async fn apology_letter(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (id, apology) = path.into_inner();
    let id = dossier_id(&id)?;
    let apology = dossier_id(&apology)?;
    let now = chrono::Utc::now();
    let (view, letter) = with_conn(&state, move |conn, _| dossiers::apology(conn, &actor, id, apology, now)).await?;
    Ok(html(printable::apology_letter(&view, &letter)))
}

/// The query of public tracking.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrackParams {
    /// Mã tra cứu: the 6-character code printed on the receipt slip (case, spaces and hyphens
    /// ignored). Without it, or with a wrong one, the answer is 404 as for an unknown receipt.
    #[param(example = "K7M9PQ", max_length = 32)]
    pub code: Option<String>,
}

/// Public tracking by receipt number and the tracking code of the receipt slip: state,
/// promised date, late or not; no personal data beyond a masked name.
#[utoipa::path(get, path = "/dossiers/track/{receipt_no}", tag = "public",
    params(("receipt_no" = String, Path, pattern = "^[0-9]{2}\\.[0-9]{6}\\.[0-9]{4,6}$", description = "receipt number: province code, received day (YYMMDD) and sequence, e.g. 92.261123.0001"), TrackParams),
    responses((status = 200, description = "tracking view", body = dossiers::TrackingView), (status = 404, description = "unknown receipt number, or the tracking code is missing or wrong")))]
#[get("/dossiers/track/{receipt_no}")]
pub async fn track(
    query: Query<TrackParams>,
    path: web::Path<domain::ids::ReceiptNo>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let receipt = path.into_inner();
    let code = query.0.code;
    let now = chrono::Utc::now();
    Ok(json(
        with_read_conn(&state, from, move |conn, _| dossiers::track(conn, receipt.as_ref(), code.as_deref(), now))
            .await?,
    ))
}

/// Timeliness of dossiers received in a period, counted the way each yardstick counts: the
/// office's rate, the service index's progress criterion, the Circular 01/2018 score, the late
/// flag and the apologies, each with its source; by month, quarter and year of receipt, per
/// procedure, commune and channel.
#[utoipa::path(get, path = "/stats/timeliness", tag = "public",
    params(StatsParams),
    responses((status = 200, description = "figures", body = dossiers::stats::TimelinessView), (status = 400, description = "bad parameter")))]
#[get("/stats/timeliness")]
pub async fn timeliness(
    query: Query<StatsParams>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = query.0;
    let q = StatsQuery {
        province: p.province,
        commune: p.commune,
        procedure: p.procedure,
        channel: p.channel,
        from: p.from,
        to: p.to,
    };
    let now = chrono::Utc::now();
    Ok(json(with_read_conn(&state, from, move |conn, settings| dossiers::timeliness(conn, settings, &q, now)).await?))
}

/// The query of the desk's queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// Province code.
    pub province: Option<String>,
    /// Commune code.
    pub commune: Option<String>,
    /// Procedure code.
    pub procedure: Option<String>,
}

/// The open dossiers: how many each unit holds (paused, overdue), the overdue ones by working
/// days overdue, and those whose apology is due today. No personal data.
#[utoipa::path(get, path = "/stats/queue", tag = "public",
    params(QueueParams),
    responses((status = 200, description = "the queue", body = dossiers::stats::QueueView)))]
#[get("/stats/queue")]
pub async fn queue(
    query: Query<QueueParams>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = query.0;
    let q = QueueQuery { province: p.province, commune: p.commune, procedure: p.procedure };
    let now = chrono::Utc::now();
    Ok(json(with_read_conn(&state, from, move |conn, _| dossiers::queue(conn, &q, now)).await?))
}

/// The procedure catalogue with statutory working days.
#[utoipa::path(get, path = "/procedures", tag = "public", responses((status = 200, description = "procedures", body = dossiers::ProceduresView)))]
#[get("/procedures")]
pub async fn procedures(
    _query: Query<NoParams>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Ok(json(with_read_conn(&state, from, |conn, _| dossiers::procedures(conn)).await?))
}

/// Adds or edits a procedure (admin): time limits change by decree, not by release.
#[utoipa::path(put, path = "/procedures/{code}", tag = "staff", request_body = ProcedureInput, security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[0-9]\\.[0-9]{6}$", description = "TTHC code, e.g. 1.012783")), responses((status = 200, description = "the procedure", body = dossiers::ProcedureView)))]
#[put("/procedures/{code}")]
pub async fn put_procedure(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ProcedureInput>,
) -> Result<HttpResponse, Problem> {
    let (code, body) = (path.into_inner(), body.into_inner());
    Ok(json(with_conn(&state, move |conn, _| dossiers::put_procedure(conn, &actor, &code, &body)).await?))
}
