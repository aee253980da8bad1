//! RFC 9457 problem details: the one place where errors become HTTP responses.
//!
//! Language: a citizen reads problems in Vietnamese. A request without a bearer token (the
//! public's) gets `title` and `detail` in Vietnamese unless it asks for English with
//! `Accept-Language`; a staff request (with a token) gets English unless it asks for `vi`. The
//! Vietnamese texts come from [`catalogue`], keyed by the problem's kind and, for a field error,
//! by the `code` in its `detail`; `errors[].message` is translated when its code is known.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
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
        // A province node's triggers (migration 000020): land or records of another province.
        Error::Database { source: StoreError::Check { constraint: Some(c) }, .. } if c == "federation_scope" => {
            (StatusCode::FORBIDDEN, "Forbidden", "forbidden")
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

/// The language of problem texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request being served on this task (English outside a request).
pub fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::En)
}

/// `Accept-Language` decides between vi and en (the higher q, then the first); otherwise the
/// audience does: the public (no bearer token) reads Vietnamese, staff English.
pub fn choose_lang(accept_language: Option<&str>, staff: bool) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for item in accept_language.unwrap_or("").split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("vi") => Lang::Vi,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map_or(if staff { Lang::En } else { Lang::Vi }, |(_, l)| l)
}

/// The middleware: the request's problem language, for [`Problem::error_response`].
pub async fn language(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let staff = req.headers().contains_key(header::AUTHORIZATION);
    LANG.scope(choose_lang(accept.as_deref(), staff), next.call(req)).await
}

/// Vietnamese texts of problems (titles by kind, details by kind or by a field error's code).
pub mod catalogue {
    use serde_json::Value;

    /// The title of a problem kind.
    pub fn title(kind: &str) -> &'static str {
        match kind {
            "bad-request" => "Yêu cầu không đúng định dạng",
            "invalid" => "Thông tin chưa hợp lệ",
            "not-found" => "Không tìm thấy",
            "conflict" => "Không thực hiện được do xung đột",
            "unauthenticated" => "Cần đăng nhập",
            "forbidden" => "Không có quyền",
            "too-many-requests" => "Quá nhiều yêu cầu",
            "content-too-large" => "Dữ liệu gửi lên quá lớn",
            "unavailable" => "Dịch vụ tạm thời gián đoạn",
            _ => "Lỗi hệ thống",
        }
    }

    /// The field's name as the citizen's forms label it.
    pub fn field_label(pointer: &str) -> String {
        let name = pointer.trim_start_matches('/');
        let label = match name {
            "procedure" => "Thủ tục hành chính",
            "commune" => "Xã, phường, đặc khu",
            "parcel" => "Mã thửa đất",
            "sheet" => "Số tờ bản đồ",
            "parcel_no" | "parcel_number" => "Số thửa",
            "applicant_kind" => "Loại người nộp",
            "applicant_name" => "Họ và tên người nộp",
            "applicant_id_number" => "Số định danh cá nhân",
            "applicant_address" => "Địa chỉ người nộp",
            "email" => "Thư điện tử",
            "phone" => "Số điện thoại",
            "return_method" => "Hình thức nhận kết quả",
            "postal_address" => "Địa chỉ nhận kết quả qua bưu chính",
            "secret" => "Mã bí mật",
            "code" => "Mã tra cứu",
            "receipt_no" => "Số biên nhận",
            "submission_no" => "Số hồ sơ trực tuyến",
            "serial" => "Số phát hành Giấy chứng nhận",
            _ => {
                if let Some(n) = name.strip_prefix("document_") {
                    return format!("Giấy tờ số {n}");
                }
                return format!("«{name}»");
            }
        };
        label.to_string()
    }

    fn mib(bytes: Option<u64>) -> String {
        bytes.map_or_else(|| "?".into(), |b| format!("{:.1}", b as f64 / (1024.0 * 1024.0)).replace('.', ","))
    }

    /// A field error in Vietnamese, from its code and facts; None for a code not in the catalogue.
    pub fn field_message(pointer: &str, detail: Option<&Value>) -> Option<String> {
        let d = detail?;
        let label = field_label(pointer);
        let file = d["file_name"].as_str().unwrap_or("");
        Some(match d["code"].as_str()? {
            "required" => format!("Chưa nhập {label}."),
            "invalid" => format!("{label} không hợp lệ."),
            "unknown_field" => format!("Trường {label} không có trong biểu mẫu này."),
            "file_type" => format!("{label}: tệp «{file}» không phải PDF, JPEG hoặc PNG."),
            "file_empty" => format!("{label}: tệp «{file}» rỗng."),
            "file_too_large" => format!(
                "{label}: tệp «{file}» có dung lượng {} MB, vượt quá giới hạn {} MB mỗi tệp.",
                mib(d["size_bytes"].as_u64()),
                mib(d["limit_bytes"].as_u64())
            ),
            "too_many_files" => format!("Vượt quá số tệp cho phép ({} tệp mỗi hồ sơ).", d["limit"]),
            "document_missing" => {
                format!("Thiếu giấy tờ bắt buộc ({label}): {}.", d["title"].as_str().unwrap_or(""))
            }
            "not_online" => {
                "Thủ tục này chưa cung cấp dịch vụ công trực tuyến; vui lòng nộp hồ sơ tại Bộ phận Một cửa.".to_string()
            }
            "unknown_procedure" => "Không có thủ tục hành chính với mã đã chọn.".to_string(),
            "unknown_commune" => "Không có xã, phường, đặc khu với mã đã nhập.".to_string(),
            "unknown_parcel" => "Không tìm thấy thửa đất đã nhập trong cơ sở dữ liệu đất đai.".to_string(),
            _ => return None,
        })
    }

    /// The detail of a problem with no field error the catalogue knows.
    pub fn detail(kind: &str, first_field: Option<&str>, retry_after: Option<u64>) -> String {
        match kind {
            "bad-request" | "invalid" => match first_field {
                Some(f) if !f.is_empty() => format!("{} không hợp lệ; vui lòng kiểm tra lại.", field_label(f)),
                _ => "Thông tin gửi lên không hợp lệ; vui lòng kiểm tra lại.".to_string(),
            },
            "not-found" => "Không tìm thấy thông tin theo số, mã đã nhập; vui lòng kiểm tra lại.".to_string(),
            "conflict" => "Yêu cầu không thực hiện được với tình trạng hiện tại của hồ sơ.".to_string(),
            "unauthenticated" => "Cần đăng nhập để thực hiện thao tác này.".to_string(),
            "forbidden" => "Tài khoản không có quyền thực hiện thao tác này.".to_string(),
            "too-many-requests" => {
                format!("Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau {} giây.", retry_after.unwrap_or(60))
            }
            "content-too-large" => {
                "Dữ liệu gửi lên vượt quá dung lượng cho phép; vui lòng gửi ít tệp hơn hoặc tệp nhỏ hơn.".to_string()
            }
            "unavailable" => "Hệ thống đang gián đoạn; vui lòng thử lại sau ít phút.".to_string(),
            _ => "Đã xảy ra lỗi hệ thống; lỗi đã được ghi lại.".to_string(),
        }
    }
}

/// Puts the body's `title`, `detail` and known `errors[].message` in Vietnamese.
fn to_vietnamese(body: &mut serde_json::Value, kind: &str, retry_after: Option<u64>) {
    body["title"] = json!(catalogue::title(kind));
    let mut first: Option<String> = None;
    let mut first_field: Option<String> = None;
    // `get_mut`, not `body["errors"]`: indexing a missing key mutably would insert a null.
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for e in errors.iter_mut() {
            let field = e["pointer"].as_str().or(e["parameter"].as_str()).unwrap_or("").to_string();
            if let Some(vi) = catalogue::field_message(&field, e.get("detail")) {
                e["message"] = json!(vi);
                first.get_or_insert(vi);
            }
            first_field.get_or_insert(field);
        }
    }
    body["detail"] = json!(first.unwrap_or_else(|| catalogue::detail(kind, first_field.as_deref(), retry_after)));
}

/// A problem answered before any handler runs (a middleware's refusal): `type` from `kind`,
/// the title and detail as given, the request's id; the caller adds its own headers.
pub fn answer(status: StatusCode, kind: &str, title: &str, detail: String) -> HttpResponse {
    let mut body = json!({
        "type": format!("https://diachinh.invalid/problems/{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(id) = super::request_context::current() {
        body["request_id"] = json!(id);
    }
    HttpResponse::build(status).insert_header((header::CONTENT_TYPE, "application/problem+json")).body(body.to_string())
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
                    StatusCode::FORBIDDEN => {
                        "this server keeps the register of one province (federation): land, dossiers and accounts \
                         of another province are written on that province's server; nothing was written"
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
        let lang = current_lang();
        if lang == Lang::Vi {
            let retry = match &self.0 {
                Error::TooManyRequests { retry_after } => Some(*retry_after),
                _ => None,
            };
            to_vietnamese(&mut body, kind, retry);
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CONTENT_LANGUAGE, if lang == Lang::Vi { "vi" } else { "en" }));
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
    fn the_public_reads_vietnamese_and_may_ask_for_english() {
        assert_eq!(choose_lang(None, false), Lang::Vi);
        assert_eq!(choose_lang(None, true), Lang::En);
        assert_eq!(choose_lang(Some("en"), false), Lang::En);
        assert_eq!(choose_lang(Some("en-US,en;q=0.9"), false), Lang::En);
        assert_eq!(choose_lang(Some("vi"), true), Lang::Vi);
        assert_eq!(choose_lang(Some("fr, en;q=0.5, vi;q=0.8"), false), Lang::Vi);
        assert_eq!(choose_lang(Some("de"), false), Lang::Vi, "neither: the audience's default");
        assert_eq!(choose_lang(Some("vi;q=0"), true), Lang::En);
    }

    #[test]
    fn the_catalogue_translates_known_codes_and_every_kind() {
        let mut body = json!({"title": "Invalid request", "detail": "x", "errors": [
            {"pointer": "/document_2", "message": "not a PDF", "detail": {"code": "file_type", "file_name": "a.exe"}},
            {"pointer": "/email", "message": "bad"},
        ]});
        to_vietnamese(&mut body, "invalid", None);
        assert_eq!(body["title"], "Thông tin chưa hợp lệ");
        assert_eq!(body["detail"], "Giấy tờ số 2: tệp «a.exe» không phải PDF, JPEG hoặc PNG.");
        assert_eq!(body["errors"][1]["message"], "bad", "an unknown code keeps its text");
        for kind in [
            "bad-request",
            "invalid",
            "not-found",
            "conflict",
            "unauthenticated",
            "forbidden",
            "too-many-requests",
            "content-too-large",
            "unavailable",
            "internal",
        ] {
            assert!(!catalogue::detail(kind, None, Some(5)).is_empty());
            assert!(!catalogue::title(kind).is_empty());
        }
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
