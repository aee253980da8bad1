//! Answers for requests that match no route's method: 405 with `Allow` for another method on a path
//! that exists (the paths and their methods come from the OpenAPI document, so the two cannot
//! disagree), as an RFC 9457 problem.

use std::sync::OnceLock;

use super::{openapi, problem};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;

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

/// One segment of a documented path: fixed text, or `prefix{name}suffix` (one parameter,
/// matching a non-empty run without `/`, as actix's `{name}` does).
enum Segment {
    Fixed(&'static str),
    Parameter { prefix: &'static str, suffix: &'static str },
}

impl Segment {
    fn parse(text: &'static str) -> Segment {
        match (text.find('{'), text.rfind('}')) {
            (Some(open), Some(close)) if open < close => {
                Segment::Parameter { prefix: &text[..open], suffix: &text[close + 1..] }
            }
            _ => Segment::Fixed(text),
        }
    }

    fn matches(&self, segment: &str) -> bool {
        match self {
            Segment::Fixed(text) => *text == segment,
            Segment::Parameter { prefix, suffix } => {
                segment.len() > prefix.len() + suffix.len() && segment.starts_with(prefix) && segment.ends_with(suffix)
            }
        }
    }
}

/// A documented path, ready to match, with the methods it answers.
pub struct DocumentedPath {
    segments: Vec<Segment>,
    methods: Vec<Method>,
    /// The `Allow` header's value.
    pub allow: &'static str,
}

fn documented_paths() -> &'static [DocumentedPath] {
    static PATHS: OnceLock<Vec<DocumentedPath>> = OnceLock::new();
    PATHS.get_or_init(|| {
        allowed_methods()
            .iter()
            .map(|(path, allow)| DocumentedPath {
                segments: path.split('/').map(Segment::parse).collect(),
                methods: allow.split(", ").filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect(),
                allow: allow.as_str(),
            })
            .collect()
    })
}

/// The first documented path (fixed segments first) that `path` is an instance of. Segment by
/// segment with string comparisons: this runs on every request, and the router's regular
/// expressions, tried path after path, cost a sixth of a worker's time (BENCHMARKS.md).
pub fn documented(path: &str) -> Option<&'static DocumentedPath> {
    let count = path.split('/').count();
    documented_paths()
        .iter()
        .find(|d| d.segments.len() == count && d.segments.iter().zip(path.split('/')).all(|(t, s)| t.matches(s)))
}

/// The middleware, inside the others: a request whose path is a documented path and whose
/// method that path does not answer gets 405 with `Allow` before any route sees it — so
/// `GET /parcels/merge` is another method on `/parcels/merge`, not a parcel id for
/// `GET /parcels/{id}`. Anything else goes on to the routes.
pub async fn other_method(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = documented(req.path()).filter(|d| !d.methods.contains(req.method()));
    let Some(documented) = refused else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = problem::answer(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{} is not allowed on {}; allowed: {}", req.method(), req.path(), documented.allow),
    );
    if let Ok(value) = header::HeaderValue::from_str(documented.allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(req.into_response(response).map_into_right_body())
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

    /// The segment matcher agrees with actix's `ResourceDef` on every documented path, for
    /// instances of each path and for near misses.
    #[test]
    fn documented_finds_what_the_router_would_match() {
        use actix_web::dev::ResourceDef;
        let defs: Vec<ResourceDef> =
            super::allowed_methods().iter().map(|(p, _)| ResourceDef::new(p.as_str())).collect();
        let mut probes: Vec<String> = Vec::new();
        for (path, _) in super::allowed_methods() {
            let instance: String = path
                .split('/')
                .map(|s| if s.contains('{') { s.replace(['{', '}'], "x") } else { s.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            probes.push(instance.clone());
            probes.push(format!("{instance}/"));
            probes.push(format!("{instance}/more"));
            probes.push(instance.replace("/x", "/"));
            probes.push(path.replace("{", "").replace("}", ""));
        }
        probes.extend(
            [
                "/",
                "",
                "/parcels/lookup",
                "/parcels/merge",
                "/tiles/parcels/1/2/3.mvt",
                "/tiles/parcels/1/2/.mvt",
                "/tiles/parcels.json",
                "/tiles/.json",
            ]
            .map(String::from),
        );
        for probe in &probes {
            let router = defs.iter().position(|d| d.is_match(probe)).map(|i| super::allowed_methods()[i].0.as_str());
            let ours = super::documented(probe).map(|d| {
                let i = super::documented_paths().iter().position(|x| std::ptr::eq(x, d)).unwrap();
                super::allowed_methods()[i].0.as_str()
            });
            assert_eq!(ours, router, "{probe}");
        }
        assert!(probes.len() > 300);
    }
}
