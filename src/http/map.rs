//! `GET /map`: the web map for citizens and planners (web/map.html, map.js, map.css) with
//! MapLibre GL JS, which `scripts/prereqs.sh` installs from npm and copies into `web/vendor/`
//! (not committed). Nothing is loaded from another site at run time: no CDN, no basemap.
//!
//! Files come from a fixed list, so no request path ever reaches the file system. The web
//! directory is DIACHINH_WEB_DIR, else `./web` when the server runs from a checkout, else the
//! `web/` of the source tree the binary was built from.

use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::query::{NoParams, Query};
use super::{AppState, Problem};
use crate::service::{Error, Settings};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}

/// URL name under /map/, path under the web directory, content type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("map.js", "map.js", "text/javascript; charset=utf-8"),
    ("map.css", "map.css", "text/css; charset=utf-8"),
    ("maplibre-gl.js", "vendor/maplibre-gl.js", "text/javascript; charset=utf-8"),
    ("maplibre-gl.css", "vendor/maplibre-gl.css", "text/css; charset=utf-8"),
];

/// Scripts and styles only from here; MapLibre builds its worker from a blob: URL.
const CSP: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; \
    img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'";

/// Where the web map's files are: the configured directory (`web_dir`, DIACHINH_WEB_DIR), else
/// `./web`, else the source tree's.
pub fn web_dir(settings: &Settings) -> PathBuf {
    if let Some(dir) = &settings.web_dir {
        return dir.clone();
    }
    let local = PathBuf::from("web");
    if local.join("map.html").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

async fn read(state: &web::Data<AppState>, relative: &'static str) -> Result<Vec<u8>, Problem> {
    let dir = web_dir(&state.settings);
    let path = dir.join(relative);
    web::block(move || std::fs::read(&path))
        .await
        .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
        .map_err(|_| {
            // The cause (and the server's directories) go to the log, not to the client.
            tracing::warn!(file = relative, dir = %dir.display(), "web map file missing");
            let hint = if relative.starts_with("vendor/") {
                "; MapLibre GL JS is vendored at build time: run `make prereqs` (npm ci, then copy into web/vendor/)"
            } else {
                ""
            };
            Problem(Error::NotFound(format!("web map file {relative}{hint}")))
        })
}

fn respond(bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

/// The web map (bản đồ): parcels and planning layers, parcel cards, search, dossier tracking.
#[utoipa::path(get, path = "/map", tag = "map", responses((status = 200, description = "HTML page")))]
#[get("/map")]
pub async fn page(state: web::Data<AppState>, _query: Query<NoParams>) -> Result<HttpResponse, Problem> {
    let mut response = respond(read(&state, "map.html").await?, "text/html; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    Ok(response)
}

/// A file of the web map: map.js, map.css, maplibre-gl.js, maplibre-gl.css.
#[utoipa::path(get, path = "/map/{file}", tag = "map",
    params(("file" = String, Path, pattern = "^(map\\.js|map\\.css|maplibre-gl\\.js|maplibre-gl\\.css)$", description = "map.js, map.css, maplibre-gl.js or maplibre-gl.css")),
    responses((status = 200, description = "the file"), (status = 404, description = "not one of the map's files")))]
#[get("/map/{file}")]
pub async fn asset(
    state: web::Data<AppState>,
    _query: Query<NoParams>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let name = path.into_inner();
    let (_, relative, content_type) = ASSETS
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| Problem(Error::NotFound(format!("no map file '{name}'"))))?;
    Ok(respond(read(&state, relative).await?, content_type))
}
