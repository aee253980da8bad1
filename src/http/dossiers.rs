//! Dossier endpoints: receipt at the one-stop desk, the state machine, apologies, printable
//! slips and letters, public tracking and the timeliness KPIs.

use actix_web::{get, http::header, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde_json::Value;

use super::query::Params;
use super::{auth, printable, with_conn, AppState, Problem};
use crate::service::dossiers::{self, ApologyInput, EventInput, ListQuery, NewDossier, ProcedureInput, StatsQuery};
use crate::service::Error;

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
        .service(procedures)
        .service(put_procedure);
}

fn json(body: Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8")).body(body)
}

fn dossier_id(text: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(Error::bad_parameter("id", "a dossier id is a positive integer")))
}

/// Receives a dossier (officer): returns the receipt number and the promised date, computed in
/// working days from the procedure's statutory limit (weekends, holidays and the yearly
/// decisions excluded; after the office's cut-off the clock starts the next working day).
#[utoipa::path(post, path = "/dossiers", tag = "dossiers", request_body = NewDossier, security(("bearer" = [])),
    responses((status = 201, description = "the dossier, with receipt_no and due_on"), (status = 422, description = "invalid field")))]
#[post("/dossiers")]
pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewDossier>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let body = body.into_inner();
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, settings| dossiers::receive(conn, settings, &actor, &body, now)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/dossiers/{}", view["id"]))).json(view))
}

/// The officers' queue: `state`, `overdue=true`, `province`, `commune`, `procedure`, keyset paging.
#[utoipa::path(get, path = "/dossiers", tag = "dossiers", security(("bearer" = [])),
    params(("state" = Option<String>, Query, description = "dossier state"), ("overdue" = Option<bool>, Query, description = "only overdue"),
           ("province" = Option<String>, Query, description = "province code"), ("commune" = Option<String>, Query, description = "commune code"),
           ("procedure" = Option<String>, Query, description = "procedure code"), ("limit" = Option<i64>, Query, description = "1..=1000, default 100"),
           ("cursor" = Option<i64>, Query, description = "from next_cursor")),
    responses((status = 200, description = "{items, next_cursor}")))]
#[get("/dossiers")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = Params::parse(&req, &["state", "overdue", "province", "commune", "procedure", "limit", "cursor"])?;
    let overdue = match p.get("overdue") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Error::bad_parameter("overdue", "true or false").into()),
    };
    let q = ListQuery {
        province: p.get("province").map(str::to_string),
        commune: p.get("commune").map(str::to_string),
        procedure: p.get("procedure").map(str::to_string),
        state: p.get("state").map(str::to_string),
        overdue,
        after: p.number::<i64>("cursor")?.unwrap_or(0),
        limit: p.limit(100, 1000)?,
    };
    let actor = auth::actor(&req, &state).await?;
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, _| dossiers::list(conn, &actor, q, now)).await?))
}

/// One dossier with its timeline (staff of its province).
#[utoipa::path(get, path = "/dossiers/{id}", tag = "dossiers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "dossier id")), responses((status = 200, description = "the dossier"), (status = 404, description = "not found")))]
#[get("/dossiers/{id}")]
pub async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = dossier_id(&path)?;
    let actor = auth::actor(&req, &state).await?;
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, _| dossiers::get(conn, &actor, id, now)).await?))
}

/// One step of the state machine; 409 lists the actions allowed now.
#[utoipa::path(post, path = "/dossiers/{id}/events", tag = "dossiers", request_body = EventInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "dossier id")),
    responses((status = 200, description = "the dossier after the step"), (status = 409, description = "not allowed in this state")))]
#[post("/dossiers/{id}/events")]
pub async fn event(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<EventInput>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = dossier_id(&path)?;
    let actor = auth::actor(&req, &state).await?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    Ok(json(with_conn(&state, move |conn, settings| dossiers::act(conn, settings, &actor, id, &body, now)).await?))
}

/// Records the apology letter of a late dossier with a new promised date.
#[utoipa::path(post, path = "/dossiers/{id}/apologies", tag = "dossiers", request_body = ApologyInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "dossier id")),
    responses((status = 201, description = "the apology"), (status = 409, description = "the dossier is not late")))]
#[post("/dossiers/{id}/apologies")]
pub async fn apologise(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ApologyInput>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = dossier_id(&path)?;
    let actor = auth::actor(&req, &state).await?;
    let (body, now) = (body.into_inner(), chrono::Utc::now());
    let created = with_conn(&state, move |conn, _| dossiers::apologise(conn, &actor, id, &body, now)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Printable receipt slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
#[utoipa::path(get, path = "/dossiers/{id}/receipt", tag = "dossiers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "dossier id")), responses((status = 200, description = "HTML")))]
#[get("/dossiers/{id}/receipt")]
pub async fn receipt_slip(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = dossier_id(&path)?;
    let actor = auth::actor(&req, &state).await?;
    let now = chrono::Utc::now();
    let view = with_conn(&state, move |conn, _| dossiers::receipt(conn, &actor, id, now)).await?;
    Ok(html(printable::receipt_slip(&view)))
}

/// Printable apology letter (văn bản xin lỗi và hẹn lại ngày trả kết quả).
#[utoipa::path(get, path = "/dossiers/{id}/apologies/{apology}", tag = "dossiers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "dossier id"), ("apology" = i64, Path, description = "apology id")), responses((status = 200, description = "HTML")))]
#[get("/dossiers/{id}/apologies/{apology}")]
pub async fn apology_letter(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let (id, apology) = path.into_inner();
    let id = dossier_id(&id)?;
    let apology = dossier_id(&apology)?;
    let actor = auth::actor(&req, &state).await?;
    let now = chrono::Utc::now();
    let (view, letter) = with_conn(&state, move |conn, _| dossiers::apology(conn, &actor, id, apology, now)).await?;
    Ok(html(printable::apology_letter(&view, &letter)))
}

/// Public tracking by receipt number: state, promised date, late or not; no personal data
/// beyond a masked name.
#[utoipa::path(get, path = "/dossiers/track/{receipt_no}", tag = "public",
    params(("receipt_no" = String, Path, description = "receipt number, e.g. 92.261123.0001")),
    responses((status = 200, description = "tracking view"), (status = 404, description = "unknown receipt number")))]
#[get("/dossiers/track/{receipt_no}")]
pub async fn track(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let receipt = path.into_inner();
    if receipt.len() > 32 || !receipt.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(Error::bad_parameter("receipt_no", "a receipt number looks like 92.261123.0001").into());
    }
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, _| dossiers::track(conn, &receipt, now)).await?))
}

fn date_param(p: &Params, name: &str) -> Result<Option<NaiveDate>, Problem> {
    p.get(name)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| Problem(Error::bad_parameter(name, "a date as YYYY-MM-DD")))
        })
        .transpose()
}

/// Timeliness KPIs of dossiers received in a period.
#[utoipa::path(get, path = "/stats/timeliness", tag = "public",
    params(("province" = Option<String>, Query, description = "province code"), ("commune" = Option<String>, Query, description = "commune code"),
           ("procedure" = Option<String>, Query, description = "procedure code"), ("from" = Option<String>, Query, description = "first day of receipt, YYYY-MM-DD"),
           ("to" = Option<String>, Query, description = "last day of receipt, YYYY-MM-DD")),
    responses((status = 200, description = "KPIs"), (status = 400, description = "bad parameter")))]
#[get("/stats/timeliness")]
pub async fn timeliness(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = Params::parse(&req, &["province", "commune", "procedure", "from", "to"])?;
    let q = StatsQuery {
        province: p.get("province").map(str::to_string),
        commune: p.get("commune").map(str::to_string),
        procedure: p.get("procedure").map(str::to_string),
        from: date_param(&p, "from")?,
        to: date_param(&p, "to")?,
    };
    let now = chrono::Utc::now();
    Ok(json(with_conn(&state, move |conn, settings| dossiers::timeliness(conn, settings, &q, now)).await?))
}

/// The procedure catalogue with statutory working days.
#[utoipa::path(get, path = "/procedures", tag = "public", responses((status = 200, description = "procedures")))]
#[get("/procedures")]
pub async fn procedures(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    Ok(json(with_conn(&state, |conn, _| dossiers::procedures(conn)).await?))
}

/// Adds or edits a procedure (admin): time limits change by decree, not by release.
#[utoipa::path(put, path = "/procedures/{code}", tag = "staff", request_body = ProcedureInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "TTHC code, e.g. 1.012783")), responses((status = 200, description = "the procedure")))]
#[put("/procedures/{code}")]
pub async fn put_procedure(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<ProcedureInput>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let (code, body) = (path.into_inner(), body.into_inner());
    Ok(json(with_conn(&state, move |conn, _| dossiers::put_procedure(conn, &actor, &code, &body)).await?))
}
