//! `POST /auth/token` (throttled), `POST /auth/logout` and bearer-token authentication for
//! staff endpoints.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{http::header, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::query::{NoParams, Query};
use super::{json_config, with_conn, with_read_conn, AppState, Problem, ReadFrom, PUBLIC_JSON_LIMIT};
use crate::service::{auth, Actor, Error, Settings};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Public: its body gets the public limit, not the staff one.
    cfg.service(web::resource("/auth/token").app_data(json_config(PUBLIC_JSON_LIMIT)).route(web::post().to(token)))
        .service(logout);
}

/// Credentials for a bearer token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

/// A bearer token: send it as `Authorization: Bearer <access_token>` until `expires_at`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Opaque.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The client's address for the sign-in throttle: the TCP peer, or the first `X-Forwarded-For`
/// (or `Forwarded`) address only when `trust_forwarded_for` is configured (behind a proxy that
/// overwrites the header; otherwise a client could pick its own address).
pub(crate) fn client_address(req: &HttpRequest, settings: &Settings) -> String {
    let forwarded =
        settings.trust_forwarded_for.then(|| req.connection_info().realip_remote_addr().map(str::to_string));
    let address = match forwarded.flatten() {
        Some(a) => a
            .parse::<std::net::SocketAddr>()
            .map(|s| s.ip().to_string())
            .unwrap_or_else(|_| a.trim_matches(['[', ']']).to_string()),
        None => req.peer_addr().map_or_else(|| "unknown".to_string(), |a| a.ip().to_string()),
    };
    address.chars().take(64).collect()
}

/// Signs a staff member in: returns an opaque bearer token that expires. After 5 failed
/// sign-ins for an account name, or 20 from one client address, within 15 minutes, the answer
/// is 429 with `Retry-After` (the password is not checked, even a right one) until the oldest
/// failure is 15 minutes old. A wrong password, an unknown account and a deactivated one all
/// answer the same 401. The body may be at most 64 KiB (413).
#[utoipa::path(post, path = "/auth/token", tag = "staff", request_body = TokenRequest,
    responses((status = 200, description = "a bearer token", body = TokenResponse), (status = 401, description = "wrong credentials"),
              (status = 413, description = "the body is larger than 64 KiB"),
              (status = 429, description = "too many failed sign-ins for this account or from this address; try again after `Retry-After` seconds",
               headers(("Retry-After" = u64, description = "seconds to wait")))))]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, Problem> {
    let TokenRequest { username, password } = body.into_inner();
    let client = client_address(&req, &state.settings);
    // Three steps, so that no pooled connection is held while argon2 runs.
    let attempt = with_conn(&state, move |conn, settings| {
        auth::begin_sign_in(conn, settings, &username, &client, chrono::Utc::now())
    })
    .await?;
    let (attempt, verified) = web::block(move || {
        let verified = auth::verify_password(&attempt, &password);
        (attempt, verified)
    })
    .await
    .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?;
    let issued = with_conn(&state, move |conn, settings| {
        auth::finish_sign_in(conn, settings, attempt, verified, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer".into(),
        expires_at: issued.expires_at,
    }))
}

/// Signs out: revokes the bearer token the request presents.
#[utoipa::path(post, path = "/auth/logout", tag = "staff", security(("bearer" = [])),
    responses((status = 204, description = "the token is revoked"), (status = 401, description = "no valid bearer token")))]
#[post("/auth/logout")]
pub async fn logout(
    _actor: Actor,
    req: HttpRequest,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let bearer = bearer(&req)?;
    with_conn(&state, move |conn, _| auth::sign_out(conn, &bearer)).await?;
    Ok(HttpResponse::NoContent().insert_header((header::CACHE_CONTROL, "no-store")).finish())
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
            // A read (of the token's user): after a restart of the database it runs once more
            // on another connection, so the staff member's request goes on.
            with_read_conn(&state, ReadFrom::Primary, move |conn, _| auth::authenticate(conn, &bearer)).await
        })
    }
}

/// The staff member when the request carries an `Authorization` header, for public routes that
/// show staff more (draft plans to planners). No header: anonymous. A header that does not
/// authenticate is still a 401, so a typo is not silently served the public view.
pub struct MaybeActor(pub Option<Actor>);

impl FromRequest for MaybeActor {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<MaybeActor, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().get(header::AUTHORIZATION).is_none() {
            return Box::pin(async { Ok(MaybeActor(None)) });
        }
        let actor = Actor::from_request(req, payload);
        Box::pin(async move { Ok(MaybeActor(Some(actor.await?))) })
    }
}
