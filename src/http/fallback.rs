//! Answers for requests that match no route's method: 405 with `Allow` for another method on a path
//! that exists (the paths and their methods come from the OpenAPI document, so the two cannot
//! disagree), as an RFC 9457 problem.

use std::sync::{Arc, OnceLock};

use actix_web::dev::ResourceDef;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{openapi, request_context};

/// The documented paths, fixed segments before parameters (so `/parcels/lookup` is tried
/// before `/parcels/{id}`), each with the methods it answers.
pub fn allowed_methods() -> &'static [(String, String)] {
    static ALLOWED: OnceLock<Vec<(String, String)>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let doc = openapi::document();
        let mut paths: Vec<(String, String)> = doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let methods: Vec<String> = item
                            .as_object()
                            .into_iter()
                            .flat_map(|m| m.keys())
                            .filter(|m| {
                                ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
                                    .contains(&m.as_str())
                            })
                            .map(|m| m.to_ascii_uppercase())
                            .collect();
                        (path.clone(), methods.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        paths.sort_by(|a, b| route_order(&a.0).cmp(&route_order(&b.0)).then_with(|| a.0.cmp(&b.0)));
        paths
    })
}

/// Segment by segment: a literal sorts before a parameter.
fn route_order(path: &str) -> Vec<u8> {
    path.split('/').map(|s| u8::from(s.contains('{'))).collect()
}

fn problem(status: StatusCode, title: &str, kind: &str, detail: String) -> HttpResponse {
    let mut body = json!({
        "type": format!("https://diachinh.invalid/problems/{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(id) = request_context::current() {
        body["request_id"] = json!(id);
    }
    HttpResponse::build(status).insert_header((header::CONTENT_TYPE, "application/problem+json")).body(body.to_string())
}

/// Registers, before every route, one resource per documented path that takes the requests
/// whose path is that documented path and whose method it does not answer. A path is the first
/// documented path that matches it (fixed segments first), so `GET /parcels/merge` is another
/// method on `/parcels/merge` (405), not a parcel id for `GET /parcels/{id}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let defs: Arc<Vec<ResourceDef>> =
        Arc::new(allowed_methods().iter().map(|(p, _)| ResourceDef::new(p.as_str())).collect());
    for (i, (path, allow)) in allowed_methods().iter().enumerate() {
        let methods: Vec<Method> = allow.split(", ").filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect();
        let defs = defs.clone();
        let other_method = guard::fn_guard(move |ctx| {
            let path = ctx.head().uri.path();
            defs.iter().position(|d| d.is_match(path)) == Some(i) && !methods.contains(&ctx.head().method)
        });
        let allow = allow.clone();
        cfg.service(web::resource(path.as_str()).guard(other_method).to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move {
                let mut response = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method not allowed",
                    "method-not-allowed",
                    format!("{} is not allowed on {}; allowed: {allow}", req.method(), req.path()),
                );
                if let Ok(value) = header::HeaderValue::from_str(&allow) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_paths_come_before_parameters() {
        let paths: Vec<&str> = super::allowed_methods().iter().map(|(p, _)| p.as_str()).collect();
        let pos = |p: &str| paths.iter().position(|x| *x == p).unwrap_or_else(|| panic!("{p} missing"));
        assert!(pos("/parcels/lookup") < pos("/parcels/{id}"));
        assert!(pos("/certificates/keys") < pos("/certificates/{serial}"));
        assert!(pos("/dossiers/track/{receipt_no}") < pos("/dossiers/{id}/checks"));
    }
}
