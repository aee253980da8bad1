//! `POST /auth/token` and bearer-token authentication for staff endpoints.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{http::header, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{with_conn, AppState, Problem};
use crate::service::{auth, Actor, Error};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(token);
}

/// Credentials for a bearer token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

/// Signs a staff member in: returns an opaque bearer token that expires.
#[utoipa::path(post, path = "/auth/token", tag = "staff", request_body = TokenRequest,
    responses((status = 200, description = "{access_token, token_type, expires_at}"), (status = 401, description = "wrong credentials")))]
#[post("/auth/token")]
pub async fn token(state: web::Data<AppState>, body: web::Json<TokenRequest>) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let issued = with_conn(&state, move |conn, settings| {
        auth::issue_token(conn, settings, &body.username, &body.password, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_at": issued.expires_at,
    })))
}

/// The bearer token of a request, or 401 when the header is missing or garbled.
fn bearer(req: &HttpRequest) -> Result<String, Problem> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 512 && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(Problem(Error::Unauthenticated))
}

/// The staff member behind the request's `Authorization: Bearer …` header. Put it first among
/// a handler's arguments: a missing or garbled header is refused (401) on the first poll,
/// before the query, path or body is looked at.
impl FromRequest for Actor {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Actor, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let bearer = bearer?;
            let state = state.ok_or_else(|| Problem(Error::Internal(anyhow::anyhow!("no application state"))))?;
            with_conn(&state, move |conn, _| auth::authenticate(conn, &bearer)).await
        })
    }
}
