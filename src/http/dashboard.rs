//! `GET /dashboard`: the one-stop dashboard for leadership and the desk (bảng điều hành một
//! cửa), in Vietnamese — on-time rates by month and procedure, the overdue queue by working days
//! overdue, the dossiers each unit holds. A static page (web/dashboard.html, dashboard.js,
//! dashboard.css) served like the web map, from a fixed list of files, under a CSP that allows
//! nothing from another site; its charts are SVG drawn by dashboard.js, so there is no chart
//! library to vendor. It reads the public `GET /stats/timeliness` and `GET /stats/queue`.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::map::web_dir;
use super::query::{NoParams, Query};
use super::{AppState, Problem};
use crate::service::Error;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}

/// URL name under /dashboard/, path under the web directory, content type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
    ("dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
];

/// Scripts, styles and data only from here.
const CSP: &str = "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn read(state: &web::Data<AppState>, relative: &'static str) -> Result<Vec<u8>, Problem> {
    let dir = web_dir(&state.settings);
    let path = dir.join(relative);
    web::block(move || std::fs::read(&path))
        .await
        .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
        .map_err(|_| {
            // The server's directories go to the log, not to the client.
            tracing::warn!(file = relative, dir = %dir.display(), "dashboard file missing");
            Problem(Error::NotFound(format!("dashboard file {relative}")))
        })
}

fn respond(bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

/// What the dashboard shows; the page reads its own query string and passes it on to
/// `/stats/timeliness` and `/stats/queue` (the server only refuses what they would refuse).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DashboardParams {
    /// Province code.
    pub province: Option<String>,
    /// Commune code.
    pub commune: Option<String>,
    /// Procedure code.
    pub procedure: Option<String>,
    /// First day of receipt, YYYY-MM-DD.
    pub from: Option<NaiveDate>,
    /// Last day of receipt, YYYY-MM-DD.
    pub to: Option<NaiveDate>,
}

/// The one-stop dashboard (bảng điều hành một cửa).
#[utoipa::path(get, path = "/dashboard", tag = "map", params(DashboardParams), responses((status = 200, description = "HTML page")))]
#[get("/dashboard")]
pub async fn page(state: web::Data<AppState>, _query: Query<DashboardParams>) -> Result<HttpResponse, Problem> {
    let mut response = respond(read(&state, "dashboard.html").await?, "text/html; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    Ok(response)
}

/// A file of the dashboard: dashboard.js or dashboard.css.
#[utoipa::path(get, path = "/dashboard/{file}", tag = "map",
    params(("file" = String, Path, pattern = "^(dashboard\\.js|dashboard\\.css)$", description = "dashboard.js or dashboard.css")),
    responses((status = 200, description = "the file"), (status = 404, description = "not one of the dashboard's files")))]
#[get("/dashboard/{file}")]
pub async fn asset(
    state: web::Data<AppState>,
    _query: Query<NoParams>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let name = path.into_inner();
    let (_, relative, content_type) = ASSETS
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| Problem(Error::NotFound(format!("no dashboard file '{name}'"))))?;
    Ok(respond(read(&state, relative).await?, content_type))
}
