//! HTTP: actix-web handlers. Each one parses its input, makes one service call inside
//! `web::block` (diesel never runs on the async executor) and shapes the response.

pub mod audit;
pub mod auth;
pub mod certificates;
pub mod checks;
pub mod dossiers;
pub mod fallback;
pub mod health;
pub mod map;
pub mod ogc;
pub mod openapi;
pub mod parcels;
pub mod planning;
pub mod printable;
pub mod problem;
pub mod query;
pub mod request_context;
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
    pub pool: DbPool,
    pub settings: Settings,
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn with_conn<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Settings) -> Result<T, Error> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        let mut conn =
            state.pool.get().map_err(|e| Error::Unavailable(anyhow::anyhow!("while taking a connection: {e}")))?;
        f(&mut conn, &state.settings)
    })
    .await
    .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
    .map_err(Problem)
}

/// Absolute base URL of this server as the client addressed it (links must be absolute for
/// OGC clients that follow them).
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(16 * 1024 * 1024).error_handler(|err, _req| {
        let message = err.to_string();
        Problem(Error::BadRequest(vec![FieldError::pointer(
            "",
            format!("the body is not valid JSON for this request: {message}"),
        )]))
        .into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _req| Problem(Error::bad_parameter("path", err.to_string())).into()),
    )
    // First: another method on a documented path answers 405 with `Allow`.
    .configure(fallback::routes)
    .configure(health::routes)
    .configure(audit::routes)
    .configure(ogc::routes)
    .configure(parcels::routes)
    .configure(certificates::routes)
    .configure(checks::routes)
    .configure(dossiers::routes)
    .configure(planning::routes)
    .configure(tiles::routes)
    .configure(map::routes)
    .configure(auth::routes)
    .default_service(web::to(|req: HttpRequest| async move {
        Err::<actix_web::HttpResponse, _>(Problem(Error::NotFound(format!("no resource at {}", req.path()))))
    }));
}

/// Starts the server on an already-bound listener (tests bind port 0).
pub fn serve(listener: TcpListener, state: AppState, workers: Option<usize>) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(request_context::trace))
            .configure(configure)
    });
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.listen(listener)?.run())
}
