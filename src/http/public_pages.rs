//! `GET /citizen`: the citizen's pages, in Vietnamese (cổng dịch vụ công của văn phòng đăng ký):
//! submit a dossier online with its documents, follow a submission or a dossier, verify a
//! certificate (paste the QR text or type the serial), find a parcel's status. A static page
//! (web/citizen.html, citizen.js, citizen.css) served like the dashboard, from a fixed list of
//! files, under a CSP that allows nothing from another site; it calls the public JSON endpoints
//! with `Accept-Language: vi`, so problems come back in Vietnamese.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::map::web_dir;
use super::query::{NoParams, Query};
use super::{AppState, Problem};
use crate::service::Error;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}

/// URL name under /citizen/, path under the web directory, content type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("citizen.js", "citizen.js", "text/javascript; charset=utf-8"),
    ("citizen.css", "citizen.css", "text/css; charset=utf-8"),
];

/// Scripts, styles and data only from here; forms post only here.
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
            tracing::warn!(file = relative, dir = %dir.display(), "citizen page file missing");
            Problem(Error::NotFound(format!("page file {relative}")))
        })
}

fn respond(bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

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
    let mut response = respond(read(&state, "citizen.html").await?, "text/html; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    Ok(response)
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
    let name = path.into_inner();
    let (_, relative, content_type) = ASSETS
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| Problem(Error::NotFound(format!("no page file '{name}'"))))?;
    Ok(respond(read(&state, relative).await?, content_type))
}
