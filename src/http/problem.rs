//! RFC 9457 problem details: the one place where errors become HTTP responses.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::service::{Error, FieldError};
use store::StoreError;

/// A service error on its way out as `application/problem+json`.
#[derive(Debug)]
pub struct Problem(pub Error);

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem(e)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Status, short title and problem type for each error.
pub fn classify(e: &Error) -> (StatusCode, &'static str, &'static str) {
    match e {
        Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad request", "bad-request"),
        Error::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", "invalid"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "Not found", "not-found"),
        Error::Conflict { .. } => (StatusCode::CONFLICT, "Conflict", "conflict"),
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "Authentication required", "unauthenticated"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden", "forbidden"),
        Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "Too many requests", "too-many-requests"),
        Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Content too large", "content-too-large"),
        Error::Database { source: StoreError::Unique { .. }, .. } => (StatusCode::CONFLICT, "Conflict", "conflict"),
        // The database's own blocking rule (trigger `refuse_blocked_write`): a conflict with the
        // register's state, as the service's check would have said.
        Error::Database { source: StoreError::Check { constraint: Some(c) }, .. } if c == "restriction_blocks" => {
            (StatusCode::CONFLICT, "Conflict", "conflict")
        }
        Error::Database { source: StoreError::Unavailable | StoreError::Timeout, .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable", "unavailable")
        }
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable", "unavailable"),
        Error::Database { .. } | Error::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "internal")
        }
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        classify(&self.0).0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, title, kind) = classify(&self.0);
        let mut body = json!({
            "type": format!("https://diachinh.invalid/problems/{kind}"),
            "title": title,
            "status": status.as_u16(),
        });
        match &self.0 {
            // The cause chain goes to the log, never to the client.
            Error::Database { .. } | Error::Internal(_) | Error::Unavailable(_) => {
                tracing::error!(error = ?self.0, "request failed");
                body["detail"] = json!(match status {
                    StatusCode::SERVICE_UNAVAILABLE => "the database is unavailable; try again shortly",
                    StatusCode::CONFLICT => {
                        "the database refused the write as conflicting with the register (a concurrent change, \
                         or a restriction in force that blocks it: R7.2); nothing was written"
                    }
                    _ => "an internal error occurred; it has been logged",
                });
            }
            Error::BadRequest(errors) | Error::Invalid(errors) => {
                body["detail"] = json!(summary(errors));
                body["errors"] = json!(errors);
            }
            Error::Conflict { message, errors } => {
                body["detail"] = json!(message);
                if !errors.is_empty() {
                    body["errors"] = json!(errors);
                }
            }
            other => body["detail"] = json!(other.to_string()),
        }
        if let Some(id) = super::request_context::current() {
            body["request_id"] = json!(id);
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // The pool gave up after a couple of seconds; the database usually comes back.
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if let Error::TooManyRequests { retry_after } = &self.0 {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(body.to_string())
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors.first().map_or_else(|| "the request is not valid".to_string(), |e| e.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let cases: Vec<(Error, u16)> = vec![
            (Error::bad_parameter("bbox", "x"), 400),
            (Error::invalid("/geometry", "x"), 422),
            (Error::NotFound("parcel".into()), 404),
            (Error::Conflict { message: "x".into(), errors: vec![] }, 409),
            (Error::Unauthenticated, 401),
            (Error::Forbidden("x".into()), 403),
            (Error::TooManyRequests { retry_after: 60 }, 429),
            (Error::TooLarge("x".into()), 413),
            (Error::Unavailable(anyhow::anyhow!("down")), 503),
            (Error::Internal(anyhow::anyhow!("boom")), 500),
            (Error::Database { context: "x", source: StoreError::Unique { constraint: None } }, 409),
            (Error::Database { context: "x", source: StoreError::Timeout }, 503),
            (Error::Database { context: "x", source: StoreError::ForeignKey { constraint: None } }, 500),
        ];
        for (e, status) in cases {
            assert_eq!(classify(&e).0.as_u16(), status, "{e:?}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let r = Problem(Error::Internal(anyhow::anyhow!("password=secret"))).error_response();
        let bytes = actix_web::rt::System::new().block_on(actix_web::body::to_bytes(r.into_body())).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
    }

    #[test]
    fn field_errors_are_listed() {
        let r = Problem(Error::Invalid(vec![FieldError::pointer("/geometry/coordinates/0", "not closed")]))
            .error_response();
        assert_eq!(r.headers().get("content-type").unwrap(), "application/problem+json");
        let body = actix_web::rt::System::new().block_on(actix_web::body::to_bytes(r.into_body())).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["pointer"], "/geometry/coordinates/0");
    }
}
