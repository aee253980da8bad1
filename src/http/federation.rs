//! The national read-only copy (docs/FEDERATION.md): the one place a national server refuses
//! writes. Every request that is not a read (GET, HEAD, OPTIONS) is answered 405 before any
//! handler, token check or body read, naming the read methods the path has in `Allow`. The
//! database refuses them too (no write grant for the service, triggers for everyone else).

use super::problem::{self, current_lang, Lang};
use super::{fallback, AppState};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use store::federation::Scope;

/// The problem type of a write refused by the national copy.
pub const READ_ONLY_COPY: &str = "https://diachinh.invalid/problems/read-only-copy";
const READ_ONLY_KIND: &str = "read-only-copy";

/// The middleware: on a national server, a write is refused here; anything else goes on.
pub async fn read_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let national =
        req.app_data::<web::Data<AppState>>().is_some_and(|state| state.settings.federation == Scope::National);
    if !national || [Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let response = refusal(req.method(), req.path());
    Ok(req.into_response(response).map_into_right_body())
}

/// 405 as problem+json, in the request's language.
fn refusal(method: &Method, path: &str) -> HttpResponse {
    let (title, detail) = match current_lang() {
        Lang::Vi => (
            "Bản sao quốc gia chỉ để tra cứu",
            format!(
                "Đây là bản sao quốc gia của cơ sở dữ liệu đất đai, chỉ để tra cứu: không nhận {method} {path}. \
                 Việc đăng ký, nộp hồ sơ và mọi thay đổi thực hiện trên hệ thống của tỉnh, thành phố."
            ),
        ),
        Lang::En => (
            "National read-only copy",
            format!(
                "this is the national read-only copy of the land register: {method} {path} is refused here; \
                 registrations, dossiers and every other write go to the province's own server"
            ),
        ),
    };
    let mut response = problem::answer(StatusCode::METHOD_NOT_ALLOWED, READ_ONLY_KIND, title, detail);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(lang_tag(current_lang())));
    if let Ok(allow) = header::HeaderValue::from_str(&read_methods(path)) {
        headers.insert(header::ALLOW, allow);
    }
    response
}

fn lang_tag(lang: Lang) -> &'static str {
    if lang == Lang::Vi {
        "vi"
    } else {
        "en"
    }
}

/// The read methods of the documented path `path` matches ("" when it has none).
fn read_methods(path: &str) -> String {
    let methods = fallback::documented(path).map_or("", |d| d.allow);
    let reads: Vec<&str> = methods.split(", ").filter(|m| ["GET", "HEAD"].contains(m)).collect();
    reads.join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn allow_names_the_read_methods_of_the_path() {
        assert_eq!(super::read_methods("/parcels/lookup"), "GET");
        assert_eq!(super::read_methods("/parcels/merge"), "");
        assert_eq!(super::read_methods("/dossiers"), "GET");
    }
}
