//! The OpenAPI 3 document, generated from the handlers' annotations. `schema/openapi.json`
//! is a copy checked by a test, so the published contract cannot drift from the code.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "diachinh", description = "Land-records (cadastral) database service for Vietnam. \
        Public responses carry no personal data. Legal areas (diện tích) are computed in the VN-2000 \
        provincial TM-3 plane of the parcel (EPSG:5896-5899, 9205-9218), not on the ellipsoid. \
        Errors are RFC 9457 problem+json."),
    paths(
        super::health::healthz, super::health::readyz, super::health::health,
        super::ogc::landing, super::ogc::conformance, super::ogc::api, super::ogc::collections,
        super::ogc::collection, super::ogc::items, super::ogc::item,
        super::parcels::lookup, super::parcels::at, super::parcels::get, super::parcels::history,
        super::parcels::create, super::parcels::replace_geometry, super::parcels::split, super::parcels::merge,
        super::imports::start, super::imports::get, super::imports::rejected,
        super::auth::token, super::auth::logout, super::audit::verify,
        super::certificates::register_blanks, super::certificates::void_blank, super::certificates::issue,
        super::certificates::keys, super::certificates::verify, super::certificates::get, super::certificates::print,
        super::certificates::revoke, super::certificates::replace, super::certificates::transfer, super::changes::record,
        super::restrictions::register, super::restrictions::release, super::restrictions::consent,
        super::restrictions::get, super::restrictions::of_parcel,
        super::planning::create_plan, super::planning::get_plan, super::planning::change_status,
        super::planning::import_zones, super::planning::parcel_planning,
        super::tiles::tile, super::tiles::tilejson, super::map::page, super::map::asset,
        super::checks::check_request, super::checks::check_dossier,
        super::dossiers::receive, super::dossiers::list, super::dossiers::get, super::dossiers::event,
        super::dossiers::apologise, super::dossiers::receipt_slip, super::dossiers::apology_letter,
        super::dossiers::track, super::dossiers::timeliness, super::dossiers::procedures, super::dossiers::put_procedure,
        super::dossiers::queue, super::dashboard::page, super::dashboard::asset,
        super::submissions::submit, super::submissions::track, super::submissions::list, super::submissions::get,
        super::submissions::accept, super::submissions::refuse, super::public_pages::page, super::public_pages::asset,
    ),
    components(schemas(
        ProblemSchema, ProblemFieldSchema,
        crate::service::parcels::SplitRequest, crate::service::parcels::SplitPart, crate::service::parcels::MergeRequest,
        crate::service::checks::CheckRequest, crate::service::checks::HolderInput, crate::service::checks::SplitInput, crate::service::checks::SplitPartInput,
        crate::service::dossiers::NewDossier, crate::service::dossiers::ApplicantInput, crate::service::dossiers::DocumentInput,
        crate::service::dossiers::EventInput, crate::service::dossiers::ApologyInput, crate::service::dossiers::ProcedureInput,
        crate::service::submissions::AcceptInput, crate::service::submissions::RefuseInput,
        crate::service::parcels::NewParcel, crate::service::parcels::LandUseInput,
        crate::service::parcels::GeometryChange, super::auth::TokenRequest,
        crate::service::certificates::IssueRequest, crate::service::certificates::HolderInput,
        crate::service::certificates::LandUseTerm, crate::service::certificates::BlankRangeRequest,
        crate::service::certificates::ReasonRequest, crate::service::certificates::ReplaceRequest,
        crate::service::certificates::TransferRequest, crate::service::certificates::MemberInput, crate::service::changes::Change,
        crate::service::restrictions::RegisterRestrictionRequest, crate::service::restrictions::ReleaseRequest,
        crate::service::restrictions::ConsentRequest,
        crate::service::planning::NewPlan, crate::service::planning::PlanStatusChange, crate::service::planning::ZoneImport,
    )),
    modifiers(&BearerAuth),
    tags((name = "ogc", description = "OGC API – Features"), (name = "parcels", description = "public parcel lookups"),
         (name = "staff", description = "staff endpoints (bearer token)"), (name = "dossiers", description = "one-stop dossiers (bearer token)"), (name = "public", description = "public tracking and statistics"), (name = "health", description = "probes"),
         (name = "certificates", description = "giấy chứng nhận: blank stock, issuance, verification (public), QR keys (public), print"),
         (name = "restrictions", description = "mortgages, leases, seizures, injunctions, holds and disputes on the land (bearer token)"),
         (name = "planning", description = "land-use plans (quy hoạch sử dụng đất)"),
         (name = "tiles", description = "vector tiles (MVT) and TileJSON"), (name = "map", description = "the web map"))
)]
struct ApiDoc;

/// An RFC 9457 problem: the body of every error response (`application/problem+json`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
struct ProblemSchema {
    /// URI of the problem type, e.g. https://diachinh.invalid/problems/bad-request.
    #[serde(rename = "type")]
    kind: String,
    /// Short summary of the problem type.
    title: String,
    /// The HTTP status code.
    status: u16,
    /// What went wrong with this request.
    detail: Option<String>,
    /// Validation errors, one per offending field or parameter.
    errors: Option<Vec<ProblemFieldSchema>>,
    /// The request's id (also in the `X-Request-Id` header), to find its log lines.
    request_id: Option<String>,
}

/// One offending field (JSON pointer into the body) or parameter (query or path).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = ProblemField)]
#[allow(dead_code)]
struct ProblemFieldSchema {
    /// JSON pointer into the request body.
    pointer: Option<String>,
    /// Name of a query or path parameter.
    parameter: Option<String>,
    message: String,
    /// Extra facts (a location on the map, overlapping parcels …).
    detail: Option<serde_json::Value>,
}

/// Operations that never touch the database (so never answer 503).
const WITHOUT_DATABASE: &[&str] = &[
    "/healthz",
    "/",
    "/conformance",
    "/api",
    "/collections",
    "/collections/{collection}",
    "/tiles/{layer}.json",
    "/map",
    "/map/{file}",
    "/dashboard",
    "/dashboard/{file}",
    "/citizen",
    "/citizen/{file}",
];

/// Statuses every operation of a kind can answer, declared once here rather than on each
/// handler: 400 (every endpoint refuses unknown, repeated or unreadable parameters, and
/// unreadable bodies), 401/403 on staff endpoints, 413 where a body is read, 404 where a path names a resource, 503 when
/// the database is unreachable. Every error response carries the Problem schema.
fn declare_common_responses(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (_method, op) in item.iter_mut() {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let has_body = op.get("requestBody").is_some();
            let responses = op["responses"].as_object_mut().expect("every operation has responses");
            let mut add = |status: &str, description: &str| {
                responses.entry(status).or_insert_with(|| serde_json::json!({"description": description}));
            };
            add("400", "malformed request: an unknown, repeated or unreadable parameter, or an unreadable body");
            if secured {
                add("401", "no bearer token, or an unknown or expired one");
                add("403", "the account's role or jurisdiction does not allow this");
            }
            if has_body {
                add(
                    "413",
                    &format!(
                        "the body is larger than the route accepts ({} KiB on public routes, {} MiB on staff routes)",
                        super::PUBLIC_JSON_LIMIT / 1024,
                        super::STAFF_JSON_LIMIT / (1024 * 1024)
                    ),
                );
                add("422", "the body is well-formed but not valid: every offending field is listed");
            }
            if path.contains('{') {
                add("404", "no such resource");
            }
            if !WITHOUT_DATABASE.contains(&path.as_str()) {
                add("503", "the database is unreachable; try again shortly");
            }
            for (status, response) in responses.iter_mut() {
                if status.starts_with('4') || status.starts_with('5') {
                    response["content"] = serde_json::json!({
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    });
                }
            }
            // Sorted by status, so the committed document reads in order.
            let sorted: serde_json::Map<String, serde_json::Value> = {
                let mut entries: Vec<_> = std::mem::take(responses).into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.into_iter().collect()
            };
            *responses = sorted;
        }
    }
}

/// `crs` and `bbox-crs` take one of the CRSs we offer (OGC API – Features Part 2): the list
/// comes from the domain, so the document names exactly what the server parses.
fn enumerate_crs_parameters(doc: &mut serde_json::Value) {
    let uris: Vec<String> = domain::crs::ogc::OgcCrs::all().iter().map(|c| c.uri()).collect();
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for op in paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut()) {
        let Some(parameters) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) else { continue };
        for p in parameters.iter_mut().filter(|p| p["in"] == "query" && (p["name"] == "crs" || p["name"] == "bbox-crs"))
        {
            p["schema"] = serde_json::json!({"type": "string", "enum": uris});
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document as JSON.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    // The version is the crate's, so the committed copy changes only when the contract does.
    doc["info"]["version"] = serde_json::json!(env!("CARGO_PKG_VERSION"));
    declare_common_responses(&mut doc);
    enumerate_crs_parameters(&mut doc);
    doc
}

/// Pretty-printed, with a final newline, as committed in `schema/openapi.json`.
pub fn document_text() -> String {
    serde_json::to_string_pretty(&document()).expect("serialises") + "\n"
}
