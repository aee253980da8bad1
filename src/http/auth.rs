//! `POST /auth/token` and bearer-token authentication for staff endpoints.

use actix_web::{http::header, post, web, HttpRequest, HttpResponse};
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

/// The staff member behind the request's `Authorization: Bearer …` header.
pub async fn actor(req: &HttpRequest, state: &web::Data<AppState>) -> Result<Actor, Problem> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or(Problem(Error::Unauthenticated))?;
    with_conn(state, move |conn, _| auth::authenticate(conn, &bearer)).await
}
