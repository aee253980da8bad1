//! `GET /citizen`: the citizen's pages, in Vietnamese (cổng dịch vụ công của văn phòng đăng ký):
//! submit a dossier online with its documents, follow a submission or a dossier, verify a
//! certificate (paste the QR text or type the serial), find a parcel's status. A static page
//! (web/citizen.html, citizen.js, citizen.css) served like the dashboard, from a fixed list of
//! files, under a CSP that allows nothing from another site; it calls the public JSON endpoints
//! with `Accept-Language: vi`, so problems come back in Vietnamese.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{NoParams, Query};
use super::static_page;
use super::{AppState, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}

/// URL name under /citizen/, path under the web directory, content type.
const ASSETS: static_page::Assets = &[
    ("citizen.js", "citizen.js", "text/javascript; charset=utf-8"),
    ("citizen.css", "citizen.css", "text/css; charset=utf-8"),
];

/// What the page is opened with: a parcel picked on the map fills the submission form (the page
/// reads its own query string; the server only refuses other parameters).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// The national id of a parcel picked on the map.
    pub parcel: Option<String>,
    /// Its commune code.
    pub commune: Option<String>,
}

/// The citizen's pages: online submission, tracking, certificate verification, parcel status.
#[utoipa::path(get, path = "/citizen", tag = "map", params(PageParams), responses((status = 200, description = "HTML page")))]
#[get("/citizen")]
pub async fn page(state: web::Data<AppState>, _query: Query<PageParams>) -> Result<HttpResponse, Problem> {
    static_page::html(&state, "citizen.html").await
}

/// A file of the citizen's pages: citizen.js or citizen.css.
#[utoipa::path(get, path = "/citizen/{file}", tag = "map",
    params(("file" = String, Path, pattern = "^(citizen\\.js|citizen\\.css)$", description = "citizen.js or citizen.css")),
    responses((status = 200, description = "the file"), (status = 404, description = "not one of the page's files")))]
#[get("/citizen/{file}")]
pub async fn asset(
    state: web::Data<AppState>,
    _query: Query<NoParams>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    static_page::asset(&state, ASSETS, &path.into_inner()).await
}
