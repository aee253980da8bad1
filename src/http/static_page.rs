//! The pages we serve as static files from the web directory (the dashboard, the citizen's
//! pages): a fixed list of files per page, never a path from the request, and a CSP that allows
//! nothing from another site.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::map::web_dir;
use super::{AppState, Problem};
use crate::service::Error;

/// Scripts, styles and data only from here; forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A page's files: URL name under the page's path, path under the web directory, content type.
pub type Assets = &'static [(&'static str, &'static str, &'static str)];

async fn read(state: &web::Data<AppState>, relative: &'static str) -> Result<Vec<u8>, Problem> {
    let dir = web_dir(&state.settings);
    let path = dir.join(relative);
    web::block(move || std::fs::read(&path))
        .await
        .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
        .map_err(|_| {
            // The server's directories go to the log, not to the client.
            tracing::warn!(file = relative, dir = %dir.display(), "page file missing");
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

/// The page's HTML under [`CSP`].
pub async fn html(state: &web::Data<AppState>, relative: &'static str) -> Result<HttpResponse, Problem> {
    let mut response = respond(read(state, relative).await?, "text/html; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    Ok(response)
}

/// One of the page's files by its URL name; 404 for any other name.
pub async fn asset(state: &web::Data<AppState>, assets: Assets, name: &str) -> Result<HttpResponse, Problem> {
    let (_, relative, content_type) = assets
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| Problem(Error::NotFound(format!("no page file '{name}'"))))?;
    Ok(respond(read(state, relative).await?, content_type))
}
