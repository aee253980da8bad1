//! One request id per request: taken from a well-formed incoming `X-Request-Id` or made here,
//! carried by a tracing span (so every log line of the request names it), returned in the
//! `X-Request-Id` header and in problem responses, so a citizen's error report finds its logs.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A client's id is kept if it is short and plain; anything else is replaced.
fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The middleware: span, task-local id, response header, one access-log line.
pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(new_id, str::to_string);
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.call(req)).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "diachinh::access",
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "served"
        )
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_taken_from_clients() {
        assert!(acceptable("0123456789abcdef"));
        assert!(acceptable("req-2026_11_27-x"));
        assert!(!acceptable("short"));
        assert!(!acceptable("has space in it"));
        assert!(!acceptable(&"x".repeat(65)));
        assert!(acceptable(&new_id()));
    }
}
