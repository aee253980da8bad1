//! HTTP: actix-web handlers. Each one parses its input, makes one service call inside
//! `web::block` (diesel never runs on the async executor) and shapes the response.

pub mod audit;
pub mod auth;
pub mod certificates;
pub mod changes;
pub mod checks;
pub mod dashboard;
pub mod dossiers;
pub mod fallback;
pub mod federation;
pub mod health;
pub mod imports;
pub mod map;
pub mod ogc;
pub mod openapi;
pub mod parcels;
pub mod planning;
pub mod printable;
pub mod problem;
pub mod public_pages;
pub mod query;
pub mod request_context;
pub mod restrictions;
pub mod static_page;
pub mod submissions;
pub mod tiles;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpRequest, HttpServer};

use crate::service::{Error, FieldError, Settings};
pub use problem::Problem;
use store::{DbConn, DbPool};

/// Shared by all workers.
#[derive(Clone)]
pub struct AppState {
    /// The primary: every write, and every read that is not an anonymous public one.
    pub pool: DbPool,
    /// Read replicas for anonymous public reads ([`with_read_conn`]); may be none.
    pub replicas: store::Replicas,
    pub settings: Settings,
}

/// Runs `f` with a pooled connection on the blocking thread pool, once: when the database had
/// closed the connection under it (a restart, `store::pool::lost`), the answer is a 503 with
/// Retry-After, whatever `f` made of the failure, and `f` is not run again (it may write).
pub async fn with_conn<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Settings) -> Result<T, Error> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        let mut conn = primary_conn(&state)?;
        match f(&mut conn, &state.settings) {
            Err(e) if !matches!(e, Error::Unavailable(_)) && store::pool::lost(&mut conn) => {
                Err(Error::Unavailable(anyhow::anyhow!("the database closed the connection: {e}")))
            }
            done => done,
        }
    })
    .await
    .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
    .map_err(Problem)
}

fn primary_conn(state: &AppState) -> Result<DbConn, Error> {
    state.pool.get().map_err(|e| Error::Unavailable(anyhow::anyhow!("while taking a connection: {e}")))
}

/// Where a read may run. The one rule (ARCHITECTURE.md, "Read replicas"): a request that
/// carries credentials (`Authorization`) reads the primary, so staff see what they just wrote;
/// an anonymous one may read a replica, a moment behind the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    Replica,
    Primary,
}

impl actix_web::FromRequest for ReadFrom {
    type Error = Problem;
    type Future = std::future::Ready<Result<ReadFrom, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let credentials = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
        std::future::ready(Ok(if credentials { ReadFrom::Primary } else { ReadFrom::Replica }))
    }
}

/// Runs the read-only `f` on a replica when `from` allows it and one gives a connection, else
/// on the primary; and once more on the primary when the replica failed it as unavailable (its
/// connection broke, or replay cancelled the read). `f` must not write: a replica refuses
/// writes. With the primary down, public reads still answer from a replica.
///
/// On the primary, a read that failed because the database had closed its pooled connection (a
/// restart: `store::pool::lost`) runs once more on another connection, which the pool has
/// tested; [`with_conn`] never runs its `f` twice.
pub async fn with_read_conn<T, F>(state: &web::Data<AppState>, from: ReadFrom, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: Fn(&mut DbConn, &Settings) -> Result<T, Error> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        if from == ReadFrom::Replica {
            if let Some(mut replica) = state.replicas.get() {
                match f(&mut replica.conn, &state.settings) {
                    Err(Error::Unavailable(_) | Error::Database { source: store::StoreError::Unavailable, .. }) => {
                        tracing::warn!(replica = replica.index + 1, "a replica failed a read; reading the primary");
                        state.replicas.rest(replica.index);
                    }
                    Err(_) if store::pool::lost(&mut replica.conn) => {
                        tracing::warn!(
                            replica = replica.index + 1,
                            "a replica closed a connection; reading the primary"
                        );
                        state.replicas.rest(replica.index);
                    }
                    done => return done,
                }
            }
        }
        read_primary(&state, &f)
    })
    .await
    .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
    .map_err(Problem)
}

/// The read `f` on the primary, once more on another connection when the first one turned out
/// to be closed by the database.
fn read_primary<T>(state: &AppState, f: &impl Fn(&mut DbConn, &Settings) -> Result<T, Error>) -> Result<T, Error> {
    let mut conn = primary_conn(state)?;
    match f(&mut conn, &state.settings) {
        Err(_) if store::pool::lost(&mut conn) => {
            drop(conn);
            tracing::info!("the database had closed a pooled connection; reading again on another");
            f(&mut primary_conn(state)?, &state.settings)
        }
        done => done,
    }
}

/// [`with_conn`] for a step that queues notices for the citizen: they go out once the step's
/// transaction has committed (a failed delivery stays pending for the retry loop).
pub async fn with_conn_notifying<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Settings) -> Result<T, Error> + Send + 'static,
{
    with_conn(state, move |conn, settings| {
        let value = f(conn, settings)?;
        crate::service::notices::deliver_after_commit(conn, settings);
        Ok(value)
    })
    .await
}

/// Absolute base URL of this server as the client addressed it (links must be absolute for
/// OGC clients that follow them).
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Largest JSON body a public route reads (`POST /auth/token` is the only one): 64 KiB.
pub const PUBLIC_JSON_LIMIT: usize = 64 * 1024;
/// Largest JSON body a staff route reads (parcel geometry, splits, merges, zone imports): 4 MiB.
/// Staff routes authenticate first (the `Actor` argument): without a token, no body is read.
pub const STAFF_JSON_LIMIT: usize = 4 * 1024 * 1024;

/// JSON bodies up to `limit` bytes; a larger one is refused with 413 (before it is read when
/// it declares its length), an unreadable one with 400, both as problem+json.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| {
        use actix_web::error::{JsonPayloadError, PayloadError};
        match err {
            JsonPayloadError::Overflow { .. }
            | JsonPayloadError::OverflowKnownLength { .. }
            | JsonPayloadError::Payload(PayloadError::Overflow) => {
                Problem(Error::TooLarge(format!("the body is larger than this route accepts ({limit} bytes)"))).into()
            }
            err => Problem(Error::BadRequest(vec![FieldError::pointer(
                "",
                format!("the body is not valid JSON for this request: {err}"),
            )]))
            .into(),
        }
    })
}

/// A path that does not parse: an identifier (`domain::ids`) of the wrong shape says what it
/// looks like. The problem names the parameter when the route has only one.
fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let message = match &err {
        actix_web::error::PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    let mut names = req.match_info().iter().map(|(name, _)| name);
    let parameter = match (names.next(), names.next()) {
        (Some(name), None) => name.to_string(),
        _ => "path".to_string(),
    };
    Problem(Error::bad_parameter(parameter, message)).into()
}

/// Registers every route. JSON bodies default to the staff limit; the public routes that read
/// a body register the public one on their resource (`auth::routes`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config(STAFF_JSON_LIMIT))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .configure(health::routes)
        .configure(audit::routes)
        .configure(ogc::routes)
        .configure(parcels::routes)
        .configure(imports::routes)
        .configure(certificates::routes)
        .configure(changes::routes)
        .configure(restrictions::routes)
        .configure(checks::routes)
        .configure(dossiers::routes)
        .configure(submissions::routes)
        .configure(planning::routes)
        .configure(tiles::routes)
        .configure(map::routes)
        .configure(dashboard::routes)
        .configure(public_pages::routes)
        .configure(auth::routes)
        .default_service(web::to(|req: HttpRequest| async move {
            Err::<actix_web::HttpResponse, _>(Problem(Error::NotFound(format!("no resource at {}", req.path()))))
        }));
}

/// How often notices that could not be delivered are tried again.
const NOTICE_RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// Notices are delivered right after the step that wrote them commits; this loop retries those
/// a sender refused (a full disk, a relay down), on the server's own runtime, until it stops.
fn retry_notices(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(NOTICE_RETRY).await;
            let result = with_conn(&state, |conn, settings| {
                crate::service::notices::deliver_pending(
                    conn,
                    &crate::service::notices::sender_for(settings),
                    chrono::Utc::now(),
                    100,
                )
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "retrying notices failed");
            }
        }
    });
}

/// Starts the server on an already-bound listener (tests bind port 0).
pub fn serve(listener: TcpListener, state: AppState, workers: Option<usize>) -> std::io::Result<Server> {
    let national = state.settings.federation == store::federation::Scope::National;
    let data = web::Data::new(state);
    if !national {
        // The national copy queues no notices and may not mark any sent.
        retry_notices(data.clone());
    }
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            // Innermost, inside the request's language and id: another method on a documented
            // path answers 405 with `Allow` before any route sees it.
            .wrap(actix_web::middleware::from_fn(fallback::other_method))
            // Then a national copy refuses writes.
            .wrap(actix_web::middleware::from_fn(federation::read_only))
            .wrap(actix_web::middleware::from_fn(problem::language))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(request_context::trace))
            .configure(configure)
    });
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.listen(listener)?.run())
}
