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
        super::health::healthz, super::health::readyz,
        super::ogc::landing, super::ogc::conformance, super::ogc::api, super::ogc::collections,
        super::ogc::collection, super::ogc::items, super::ogc::item,
        super::parcels::lookup, super::parcels::at, super::parcels::get, super::parcels::history,
        super::parcels::create, super::parcels::replace_geometry, super::parcels::split, super::parcels::merge,
        super::auth::token,
        super::certificates::register_blanks, super::certificates::void_blank, super::certificates::issue,
        super::certificates::keys, super::certificates::verify, super::certificates::get, super::certificates::print,
        super::certificates::revoke, super::certificates::replace, super::certificates::transfer,
        super::planning::create_plan, super::planning::get_plan, super::planning::change_status,
        super::planning::import_zones, super::planning::parcel_planning,
        super::tiles::tile, super::tiles::tilejson, super::map::page, super::map::asset,
        super::checks::check_request, super::checks::check_dossier,
        super::dossiers::receive, super::dossiers::list, super::dossiers::get, super::dossiers::event,
        super::dossiers::apologise, super::dossiers::receipt_slip, super::dossiers::apology_letter,
        super::dossiers::track, super::dossiers::timeliness, super::dossiers::procedures, super::dossiers::put_procedure,
    ),
    components(schemas(
        crate::service::parcels::SplitRequest, crate::service::parcels::SplitPart, crate::service::parcels::MergeRequest,
        crate::service::checks::CheckRequest, crate::service::checks::HolderInput, crate::service::checks::SplitInput, crate::service::checks::SplitPartInput,
        crate::service::dossiers::NewDossier, crate::service::dossiers::ApplicantInput, crate::service::dossiers::DocumentInput,
        crate::service::dossiers::EventInput, crate::service::dossiers::ApologyInput, crate::service::dossiers::ProcedureInput,
        crate::service::parcels::NewParcel, crate::service::parcels::LandUseInput,
        crate::service::parcels::GeometryChange, super::auth::TokenRequest,
        crate::service::certificates::IssueRequest, crate::service::certificates::HolderInput,
        crate::service::certificates::LandUseTerm, crate::service::certificates::BlankRangeRequest,
        crate::service::certificates::ReasonRequest, crate::service::certificates::ReplaceRequest,
        crate::service::certificates::TransferRequest,
        crate::service::planning::NewPlan, crate::service::planning::PlanStatusChange, crate::service::planning::ZoneImport,
    )),
    modifiers(&BearerAuth),
    tags((name = "ogc", description = "OGC API – Features"), (name = "parcels", description = "public parcel lookups"),
         (name = "staff", description = "staff endpoints (bearer token)"), (name = "dossiers", description = "one-stop dossiers (bearer token)"), (name = "public", description = "public tracking and statistics"), (name = "health", description = "probes"),
         (name = "certificates", description = "giấy chứng nhận: blank stock, issuance, verification (public), QR keys (public), print"),
         (name = "planning", description = "land-use plans (quy hoạch sử dụng đất)"),
         (name = "tiles", description = "vector tiles (MVT) and TileJSON"), (name = "map", description = "the web map"))
)]
struct ApiDoc;

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
    doc
}

/// Pretty-printed, with a final newline, as committed in `schema/openapi.json`.
pub fn document_text() -> String {
    serde_json::to_string_pretty(&document()).expect("serialises") + "\n"
}
