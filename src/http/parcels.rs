//! Parcel endpoints: public lookups and staff writes.

use actix_web::{get, http::header, post, put, web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::query::Params;
use super::{auth, base_url, with_conn, AppState, Problem};
use crate::service::parcels::{self, GeometryChange, MergeRequest, NewParcel, SplitRequest};
use crate::service::Error;

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

fn geojson(body: Value) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/geo+json")).body(body.to_string())
}

/// Finds a parcel by commune code + map sheet (tờ) + parcel number (thửa). The commune may be
/// a 2025 code or, for parcels registered before July 2025, the former commune's code.
#[utoipa::path(get, path = "/parcels/lookup", tag = "parcels",
    params(("commune" = String, Query, description = "commune code, current or pre-2025"),
           ("sheet" = i32, Query, description = "tờ bản đồ số"), ("parcel" = i32, Query, description = "thửa đất số")),
    responses((status = 200, description = "GeoJSON Feature, holders masked"), (status = 404, description = "no such parcel"),
              (status = 409, description = "ambiguous after a commune merger: candidates listed")))]
#[get("/parcels/lookup")]
pub async fn lookup(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = Params::parse(&req, &["commune", "sheet", "parcel"])?;
    let commune = p.required("commune")?.trim().to_string();
    if !(2..=5).contains(&commune.len()) || !commune.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::bad_parameter("commune", "a commune code is 5 digits").into());
    }
    let sheet = p.number::<i32>("sheet")?.ok_or_else(|| Error::bad_parameter("sheet", "this parameter is required"))?;
    let parcel =
        p.number::<i32>("parcel")?.ok_or_else(|| Error::bad_parameter("parcel", "this parameter is required"))?;
    Ok(geojson(with_conn(&state, move |conn, _| parcels::lookup(conn, &commune, sheet, parcel)).await?))
}

/// The parcel at a WGS 84 point (a click on the map).
#[utoipa::path(get, path = "/parcels/at", tag = "parcels",
    params(("lon" = f64, Query, description = "longitude, WGS 84"), ("lat" = f64, Query, description = "latitude, WGS 84")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 404, description = "no parcel there")))]
#[get("/parcels/at")]
pub async fn at(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = Params::parse(&req, &["lon", "lat"])?;
    let lon = p.number::<f64>("lon")?.ok_or_else(|| Error::bad_parameter("lon", "this parameter is required"))?;
    let lat = p.number::<f64>("lat")?.ok_or_else(|| Error::bad_parameter("lat", "this parameter is required"))?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Error::bad_parameter("lon", "longitude must lie in [-180, 180]").into());
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Error::bad_parameter("lat", "latitude must lie in [-90, 90]").into());
    }
    Ok(geojson(with_conn(&state, move |conn, _| parcels::at(conn, lon, lat)).await?))
}

/// A parcel by national id (mã định danh thửa đất): current version, masked holders,
/// certificate status. Legal area is measured in the VN-2000 TM-3 plane.
#[utoipa::path(get, path = "/parcels/{id}", tag = "parcels",
    params(("id" = String, Path, description = "national parcel id: 12-character GeoHash")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 404, description = "not found")))]
#[get("/parcels/{id}")]
pub async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = path.into_inner();
    Ok(geojson(with_conn(&state, move |conn, _| parcels::get(conn, &id)).await?))
}

/// Every version of a parcel, oldest first.
#[utoipa::path(get, path = "/parcels/{id}/history", tag = "parcels",
    params(("id" = String, Path, description = "national parcel id")),
    responses((status = 200, description = "GeoJSON FeatureCollection of versions"), (status = 404, description = "not found")))]
#[get("/parcels/{id}/history")]
pub async fn history(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let id = path.into_inner();
    Ok(geojson(with_conn(&state, move |conn, _| parcels::history(conn, &id)).await?))
}

/// Registers a parcel (officer). The geometry must be OGC-valid and polygonal, in a known CRS,
/// inside its commune where the boundary is known, and overlap no active parcel beyond the
/// sliver tolerance. Legal area is computed in the VN-2000 TM-3 plane.
#[utoipa::path(post, path = "/parcels", tag = "staff", request_body = NewParcel,
    security(("bearer" = [])),
    responses((status = 201, description = "created: GeoJSON Feature"), (status = 400, description = "malformed"),
              (status = 401, description = "no token"), (status = 403, description = "wrong role or province"),
              (status = 409, description = "overlap or duplicate number"), (status = 422, description = "invalid geometry or field")))]
#[post("/parcels")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewParcel>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let body = body.into_inner();
    let created = with_conn(&state, move |conn, settings| parcels::create(conn, settings, &actor, &body)).await?;
    let location = format!("{}/parcels/{}", base_url(&req), created["id"].as_str().unwrap_or_default());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CONTENT_TYPE, "application/geo+json"))
        .body(created.to_string()))
}

/// Replaces a parcel's boundary (officer): closes the current version, opens a new one.
#[utoipa::path(put, path = "/parcels/{id}/geometry", tag = "staff", request_body = GeometryChange,
    params(("id" = String, Path, description = "national parcel id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the new version"), (status = 404, description = "not found"),
              (status = 409, description = "overlap"), (status = 422, description = "invalid geometry")))]
#[put("/parcels/{id}/geometry")]
pub async fn replace_geometry(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<GeometryChange>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let (id, body) = (path.into_inner(), body.into_inner());
    Ok(geojson(
        with_conn(&state, move |conn, settings| parcels::replace_geometry(conn, settings, &actor, &id, &body)).await?,
    ))
}

/// Splits a parcel (tách thửa, officer): the parts must exactly partition it (union equal within
/// the sliver tolerance, no overlaps), each above the province's minimum area. The old parcel
/// is retired and its certificate revoked; the parts keep its holders.
#[utoipa::path(post, path = "/parcels/{id}/split", tag = "staff", request_body = SplitRequest,
    params(("id" = String, Path, description = "national parcel id")), security(("bearer" = [])),
    responses((status = 201, description = "{retired, parcels}"), (status = 422, description = "not a partition, below the minimum area, invalid geometry"),
              (status = 409, description = "overlap or duplicate number")))]
#[post("/parcels/{id}/split")]
pub async fn split(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Json<SplitRequest>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let (id, body) = (path.into_inner(), body.into_inner());
    let result = with_conn(&state, move |conn, settings| parcels::split(conn, settings, &actor, &id, &body)).await?;
    Ok(HttpResponse::Created().json(result))
}

/// Merges adjacent parcels of the same holders (hợp thửa, officer).
#[utoipa::path(post, path = "/parcels/merge", tag = "staff", request_body = MergeRequest, security(("bearer" = [])),
    responses((status = 201, description = "{retired, parcel}"), (status = 422, description = "not adjacent, different holders")))]
#[post("/parcels/merge")]
pub async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<MergeRequest>,
) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &[])?;
    let actor = auth::actor(&req, &state).await?;
    let body = body.into_inner();
    let result = with_conn(&state, move |conn, settings| parcels::merge(conn, settings, &actor, &body)).await?;
    Ok(HttpResponse::Created().json(result))
}
