//! `GET /dashboard`: the one-stop dashboard for leadership and the desk (bảng điều hành một
//! cửa), in Vietnamese — on-time rates by month and procedure, the overdue queue by working days
//! overdue, the dossiers each unit holds. A static page (web/dashboard.html, dashboard.js,
//! dashboard.css) served like the web map, from a fixed list of files, under a CSP that allows
//! nothing from another site; its charts are SVG drawn by dashboard.js, so there is no chart
//! library to vendor. It reads the public `GET /stats/timeliness` and `GET /stats/queue`.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{NoParams, Query};
use super::static_page;
use super::{AppState, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}

/// URL name under /dashboard/, path under the web directory, content type.
const ASSETS: static_page::Assets = &[
    ("dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
    ("dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
];

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
    static_page::html(&state, "dashboard.html").await
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
    static_page::asset(&state, ASSETS, &path.into_inner()).await
}
