//! Parcel endpoints: public lookups and staff writes.

use actix_web::{get, http::header, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::query::{NoParams, Query};
use super::{base_url, with_conn, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::parcels::{self, GeometryChange, MergeRequest, NewParcel, SplitRequest};
use crate::service::{Actor, Error};
use domain::ids::NationalId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/parcels/{id}` so "lookup" and "at" are not taken for ids.
    cfg.service(lookup)
        .service(at)
        .service(create)
        .service(get)
        .service(history)
        .service(replace_geometry)
        .service(merge)
        .service(split);
}

fn geojson(body: impl Serialize) -> HttpResponse {
    let text = serde_json::to_string(&body).expect("views serialise");
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/geo+json")).body(text)
}

/// The query of `/parcels/lookup`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    /// Commune code, current or pre-2025 (5 digits).
    #[param(pattern = "^[0-9]{2,5}$")]
    pub commune: String,
    /// Tờ bản đồ số (map sheet number).
    pub sheet: i32,
    /// Thửa đất số (parcel number on the sheet).
    pub parcel: i32,
}

/// The query of `/parcels/at`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtParams {
    /// Longitude, WGS 84.
    #[param(minimum = -180.0, maximum = 180.0)]
    pub lon: f64,
    /// Latitude, WGS 84.
    #[param(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
}

/// Finds a parcel by commune code + map sheet (tờ) + parcel number (thửa). The commune may be
/// a 2025 code or, for parcels registered before July 2025, the former commune's code.
#[utoipa::path(get, path = "/parcels/lookup", tag = "parcels",
    params(LookupParams),
    responses((status = 200, description = "GeoJSON Feature, holders masked", body = parcels::ParcelDetailFeature, content_type = "application/geo+json"), (status = 404, description = "no such parcel"),
              (status = 409, description = "ambiguous after a commune merger: candidates listed")))]
#[get("/parcels/lookup")]
pub async fn lookup(
    query: Query<LookupParams>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let LookupParams { commune, sheet, parcel } = query.0;
    let commune = commune.trim().to_string();
    if !(2..=5).contains(&commune.len()) || !commune.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::bad_parameter("commune", "a commune code is 5 digits").into());
    }
    Ok(geojson(with_read_conn(&state, from, move |conn, _| parcels::lookup(conn, &commune, sheet, parcel)).await?))
}

/// The parcel at a WGS 84 point (a click on the map).
#[utoipa::path(get, path = "/parcels/at", tag = "parcels",
    params(AtParams),
    responses((status = 200, description = "GeoJSON Feature", body = parcels::ParcelDetailFeature, content_type = "application/geo+json"), (status = 404, description = "no parcel there")))]
#[get("/parcels/at")]
pub async fn at(query: Query<AtParams>, from: ReadFrom, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let AtParams { lon, lat } = query.0;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Error::bad_parameter("lon", "longitude must lie in [-180, 180]").into());
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Error::bad_parameter("lat", "latitude must lie in [-90, 90]").into());
    }
    Ok(geojson(with_read_conn(&state, from, move |conn, _| parcels::at(conn, lon, lat)).await?))
}

/// A parcel by national id (mã định danh thửa đất): current version, masked holders,
/// certificate status (and whether the right is pending one), whether the land is mortgaged or
/// otherwise restricted (never by whom, under which contract or for how much). Legal area is
/// measured in the VN-2000 TM-3 plane.
#[utoipa::path(get, path = "/parcels/{id}", tag = "parcels", operation_id = "get_parcel",
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id: 12-character GeoHash")),
    responses((status = 200, description = "GeoJSON Feature", body = parcels::ParcelDetailFeature, content_type = "application/geo+json"), (status = 404, description = "not found")))]
#[get("/parcels/{id}")]
pub async fn get(
    _query: Query<NoParams>,
    path: web::Path<NationalId>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    Ok(geojson(with_read_conn(&state, from, move |conn, _| parcels::get(conn, id.as_ref())).await?))
}

/// Every version of a parcel, oldest first.
#[utoipa::path(get, path = "/parcels/{id}/history", tag = "parcels",
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id: 12-character GeoHash")),
    responses((status = 200, description = "GeoJSON FeatureCollection of versions", body = parcels::ParcelHistory, content_type = "application/geo+json"), (status = 404, description = "not found")))]
#[get("/parcels/{id}/history")]
pub async fn history(
    _query: Query<NoParams>,
    path: web::Path<NationalId>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    Ok(geojson(with_read_conn(&state, from, move |conn, _| parcels::history(conn, id.as_ref())).await?))
}

/// Registers a parcel (officer). The geometry must be OGC-valid and polygonal, in a known CRS,
/// inside its commune where the boundary is known, and overlap no active parcel beyond the
/// sliver tolerance. Legal area is computed in the VN-2000 TM-3 plane.
#[utoipa::path(post, path = "/parcels", tag = "staff", request_body = NewParcel,
    security(("bearer" = [])),
    responses((status = 201, description = "created: GeoJSON Feature", body = parcels::ParcelFeature, content_type = "application/geo+json"), (status = 400, description = "malformed"),
              (status = 401, description = "no token"), (status = 403, description = "wrong role or province"),
              (status = 409, description = "overlap or duplicate number"), (status = 422, description = "invalid geometry or field")))]
#[post("/parcels")]
pub async fn create(
    actor: Actor,
    _query: Query<NoParams>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewParcel>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let created = with_conn(&state, move |conn, settings| parcels::create(conn, settings, &actor, &body)).await?;
    let location = format!("{}/parcels/{}", base_url(&req), created.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CONTENT_TYPE, "application/geo+json"))
        .body(serde_json::to_string(&created).expect("views serialise")))
}

/// Replaces a parcel's boundary (officer): closes the current version, opens a new one. The land
/// uses keep their terms and origins; residential land (ODT, ONT) keeps its recorded area and
/// the other uses share the change, unless `land_uses` states them (needed when the new area is
/// smaller than the residential land).
#[utoipa::path(put, path = "/parcels/{id}/geometry", tag = "staff", request_body = GeometryChange,
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id: 12-character GeoHash")),
    security(("bearer" = [])),
    responses((status = 200, description = "the new version", body = parcels::ParcelFeature, content_type = "application/geo+json"), (status = 404, description = "not found"),
              (status = 409, description = "overlap"), (status = 422, description = "invalid geometry, or land uses to state")))]
#[put("/parcels/{id}/geometry")]
pub async fn replace_geometry(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<NationalId>,
    state: web::Data<AppState>,
    body: web::Json<GeometryChange>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    Ok(geojson(
        with_conn(&state, move |conn, settings| parcels::replace_geometry(conn, settings, &actor, id.as_ref(), &body))
            .await?,
    ))
}

/// Splits a parcel (tách thửa, officer; approver when it revokes a certificate): the parts must
/// exactly partition it (union equal within the sliver tolerance, no overlaps), each above the
/// province's minimum area. The old parcel is retired and its certificate revoked; each part
/// keeps its holders (pending certificate), its land use's term and origin, and a copy of every
/// restriction in force. Refused (409, R7.2) when a restriction blocks tách/hợp thửa. Under an
/// approved 1.012784 `dossier` naming the parcel, the parts join the dossier, and
/// `POST /dossiers/{id}/certificate` issues their certificates in one go.
#[utoipa::path(post, path = "/parcels/{id}/split", tag = "staff", request_body = SplitRequest,
    params(("id" = String, Path, pattern = "^[0-9b-hjkmnp-z]{12}$", description = "national parcel id: 12-character GeoHash")), security(("bearer" = [])),
    responses((status = 201, description = "{retired, parcels, dossier, restrictions_carried}", body = parcels::SplitResult), (status = 422, description = "not a partition, below the minimum area, invalid geometry, land uses to state, unsuitable dossier"),
              (status = 409, description = "overlap, duplicate number, blocked by a restriction (R7.2), dossier not approved or already issued")))]
#[post("/parcels/{id}/split")]
pub async fn split(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<NationalId>,
    state: web::Data<AppState>,
    body: web::Json<SplitRequest>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let result =
        with_conn(&state, move |conn, settings| parcels::split(conn, settings, &actor, id.as_ref(), &body)).await?;
    Ok(HttpResponse::Created().json(result))
}

/// Merges adjacent parcels of the same holders (hợp thửa, officer; approver when it revokes
/// certificates). The merged parcel keeps the holders (pending certificate), the land uses with
/// their terms and origins, and a copy of every restriction in force on any of the parcels.
/// Refused (409, R7.2) when a restriction blocks tách/hợp thửa. Under an approved 1.012784
/// `dossier` naming every parcel, the merged parcel joins the dossier for its certificate.
#[utoipa::path(post, path = "/parcels/merge", tag = "staff", request_body = MergeRequest, security(("bearer" = [])),
    responses((status = 201, description = "{retired, parcel, dossier, restrictions_carried}", body = parcels::MergeResult), (status = 422, description = "not adjacent, different holders, land uses to state, unsuitable dossier"),
              (status = 409, description = "overlap, duplicate number, blocked by a restriction (R7.2), dossier not approved or already issued")))]
#[post("/parcels/merge")]
pub async fn merge(
    actor: Actor,
    _query: Query<NoParams>,
    state: web::Data<AppState>,
    body: web::Json<MergeRequest>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let result = with_conn(&state, move |conn, settings| parcels::merge(conn, settings, &actor, &body)).await?;
    Ok(HttpResponse::Created().json(result))
}
