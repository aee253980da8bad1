//! OGC API – Features Part 1 (Core, GeoJSON) for `parcels`, `communes` and `planning-zones`,
//! and Part 2 (CRS by reference) for all three: `crs` and `bbox-crs` take CRS84, EPSG:4326
//! (latitude first), EPSG:3857 and the VN-2000 TM-3 zones; responses say `Content-Crs`.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::query::Params;
use super::{base_url, with_conn, AppState, Problem};
use crate::service::features::{self, ItemsQuery};
use crate::service::Error;
use domain::crs::CRS84_URI;
use domain::ogc_crs::OgcCrs;
use domain::parcel::VIETNAM_EXTENT;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(landing)
        .service(conformance)
        .service(api)
        .service(collections)
        .service(collection)
        .service(items)
        .service(item);
}

const GEOJSON: &str = "application/geo+json";

/// The conformance classes we implement.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];
// Not oas30: utoipa generates OpenAPI 3.1 (nullable types as type arrays), which is not a
// valid 3.0 document; claiming the class would be untrue.

/// The collections we publish, with a Vietnamese description.
const COLLECTIONS: &[(&str, &str, &str)] = &[
    ("parcels", "Thửa đất — cadastral parcels", "Current versions of cadastral parcels (no personal data). Legal area is measured in the VN-2000 TM-3 plane of the parcel's province."),
    ("communes", "Xã, phường, đặc khu — communes", "Communes in force since the 2025 reorganisation; boundaries where known."),
    ("planning-zones", "Vùng quy hoạch sử dụng đất — planning zones", "Zones of approved land-use plans with the planned land-use code (filter `plan` for one plan's zones, any status). Areas on the ellipsoid."),
];

fn json_response(body: Value, content_type: &str) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, content_type)).body(body.to_string())
}

/// Landing page.
#[utoipa::path(get, path = "/", tag = "ogc", responses((status = 200, description = "landing page")))]
#[get("/")]
pub async fn landing(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &["f"])?.check_format()?;
    let base = base_url(&req);
    Ok(json_response(
        json!({
            "title": "diachinh — cơ sở dữ liệu địa chính",
            "description": "Land-records database service for Vietnam: OGC API – Features for parcels, communes and planning zones; vector tiles; the web map at /map.",
            "links": [
                {"href": format!("{base}/"), "rel": "self", "type": "application/json", "title": "this document"},
                {"href": format!("{base}/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.1", "title": "OpenAPI definition"},
                {"href": format!("{base}/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
                {"href": format!("{base}/collections"), "rel": "data", "type": "application/json", "title": "collections"},
            ]
        }),
        "application/json",
    ))
}

/// Conformance classes.
#[utoipa::path(get, path = "/conformance", tag = "ogc", responses((status = 200, description = "conformance classes")))]
#[get("/conformance")]
pub async fn conformance(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &["f"])?.check_format()?;
    Ok(json_response(json!({"conformsTo": CONFORMANCE}), "application/json"))
}

/// The OpenAPI 3 definition of this service.
#[utoipa::path(get, path = "/api", tag = "ogc", responses((status = 200, description = "OpenAPI document")))]
#[get("/api")]
pub async fn api(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &["f"])?.check_format()?;
    Ok(json_response(super::openapi::document(), "application/vnd.oai.openapi+json;version=3.1"))
}

fn collection_json(base: &str, id: &str, title: &str, description: &str) -> Value {
    json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": OgcCrs::all().iter().map(OgcCrs::uri).collect::<Vec<_>>(),
        "storageCrs": CRS84_URI,
        "extent": {"spatial": {"bbox": [VIETNAM_EXTENT], "crs": CRS84_URI}},
        "links": [
            {"href": format!("{base}/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/collections/{id}/items"), "rel": "items", "type": GEOJSON, "title": "features"},
        ]
    })
}

fn find_collection(id: &str) -> Result<&'static (&'static str, &'static str, &'static str), Problem> {
    COLLECTIONS.iter().find(|c| c.0 == id).ok_or_else(|| Problem(Error::NotFound(format!("collection {id}"))))
}

/// The collections.
#[utoipa::path(get, path = "/collections", tag = "ogc", responses((status = 200, description = "collections")))]
#[get("/collections")]
pub async fn collections(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &["f"])?.check_format()?;
    let base = base_url(&req);
    Ok(json_response(
        json!({
            "links": [{"href": format!("{base}/collections"), "rel": "self", "type": "application/json"}],
            "collections": COLLECTIONS.iter().map(|(id, t, d)| collection_json(&base, id, t, d)).collect::<Vec<_>>(),
        }),
        "application/json",
    ))
}

/// One collection.
#[utoipa::path(get, path = "/collections/{collection}", tag = "ogc",
    params(("collection" = String, Path, description = "parcels or communes")),
    responses((status = 200, description = "collection"), (status = 404, description = "unknown collection")))]
#[get("/collections/{collection}")]
pub async fn collection(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Problem> {
    Params::parse(&req, &["f"])?.check_format()?;
    let (id, title, description) = find_collection(&path)?;
    Ok(json_response(collection_json(&base_url(&req), id, title, description), "application/json"))
}

/// A CRS parameter (`crs` or `bbox-crs`); CRS84 when absent.
fn crs_param(params: &Params, name: &str) -> Result<OgcCrs, Error> {
    params
        .get(name)
        .map_or(Ok(OgcCrs::Crs84), |text| OgcCrs::parse(text).map_err(|e| Error::bad_parameter(name, e.to_string())))
}

/// `bbox`: checked as lon/lat for CRS84; for another `bbox-crs`, four numbers that the service
/// transforms (and checks) once it knows the CRS.
fn bbox_param(params: &Params, bbox_crs: OgcCrs) -> Result<Option<[f64; 4]>, Error> {
    let Some(text) = params.get("bbox") else {
        return match params.get("bbox-crs") {
            Some(_) => Err(Error::bad_parameter("bbox-crs", "bbox-crs is given without a bbox")),
            None => Ok(None),
        };
    };
    if bbox_crs == OgcCrs::Crs84 {
        return params.bbox();
    }
    let numbers: Vec<f64> =
        text.split(',').filter_map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    match numbers.as_slice() {
        [a, b, c, d] if text.split(',').count() == 4 => Ok(Some([*a, *b, *c, *d])),
        _ => Err(Error::bad_parameter(
            "bbox",
            format!("expected 4 comma-separated numbers in {} axis order", bbox_crs.uri()),
        )),
    }
}

/// Adds `Content-Crs: <uri>` (OGC API – Features Part 2).
fn with_content_crs(mut response: HttpResponse, crs: OgcCrs) -> HttpResponse {
    let value = header::HeaderValue::from_str(&format!("<{}>", crs.uri())).expect("CRS URIs are ASCII");
    response.headers_mut().insert(header::HeaderName::from_static("content-crs"), value);
    response
}

/// Features, keyset-paged: follow the `next` link.
#[utoipa::path(get, path = "/collections/{collection}/items", tag = "ogc",
    params(
        ("collection" = String, Path, description = "parcels, communes or planning-zones"),
        ("bbox" = Option<String>, Query, description = "minLon,minLat,maxLon,maxLat (CRS84), or the two corners in bbox-crs and its axis order"),
        ("bbox-crs" = Option<String>, Query, description = "CRS of bbox (OGC URI): CRS84 (default), EPSG:4326 (lat,lon), EPSG:3857, VN-2000 TM-3 EPSG:5896-5899, 9205-9218 (easting,northing)"),
        ("crs" = Option<String>, Query, description = "CRS of the response geometry (OGC URI), from the same list; the response says Content-Crs"),
        ("limit" = Option<i64>, Query, description = "page size, 1..=10000, default 100"),
        ("cursor" = Option<i64>, Query, description = "opaque paging cursor from a next link"),
        ("datetime" = Option<String>, Query, description = "parcels: versions in force at this RFC 3339 instant"),
        ("plan" = Option<i32>, Query, description = "planning-zones: one plan's zones (any status) instead of the approved plans'"),
        ("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "GeoJSON FeatureCollection"), (status = 400, description = "bad parameter (problem+json)")))]
#[get("/collections/{collection}/items")]
pub async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (id, ..) = find_collection(&path)?;
    let params = Params::parse(&req, &["bbox", "bbox-crs", "crs", "limit", "cursor", "datetime", "plan", "f"])?;
    params.check_format()?;
    let crs = crs_param(&params, "crs")?;
    let bbox_crs = crs_param(&params, "bbox-crs")?;
    let bbox = bbox_param(&params, bbox_crs)?;
    let limit = params.limit(state.settings.default_limit, state.settings.max_limit)?;
    let after = params.number::<i64>("cursor")?.unwrap_or(0);
    if after < 0 {
        return Err(Error::bad_parameter("cursor", "not a cursor from a next link").into());
    }
    let as_of = match (params.get("datetime"), *id) {
        (None, _) => None,
        (Some(t), "parcels") => {
            Some(chrono::DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&chrono::Utc)).map_err(|_| {
                Error::bad_parameter(
                    "datetime",
                    "an RFC 3339 instant, e.g. 2025-07-01T00:00:00Z (intervals are not supported)",
                )
            })?)
        }
        (Some(_), other) => return Err(Error::bad_parameter("datetime", format!("{other} have no time filter")).into()),
    };
    let plan = match (params.number::<i32>("plan")?, *id) {
        (None, _) => None,
        (Some(p), "planning-zones") => Some(p),
        (Some(_), other) => return Err(Error::bad_parameter("plan", format!("{other} have no plan filter")).into()),
    };
    let base = base_url(&req);
    let q = ItemsQuery { collection: id, bbox, bbox_crs, crs, after, limit, as_of, plan };
    let page = with_conn(&state, move |conn, _| features::items(conn, &q)).await?;
    let returned = page.features.len() as i64;
    let self_url = format!("{base}{}", req.uri());
    let mut links = vec![
        json!({"href": self_url, "rel": "self", "type": GEOJSON}),
        json!({"href": format!("{base}/collections/{id}"), "rel": "collection", "type": "application/json"}),
    ];
    if let (Some(last), true) = (page.last_id, returned == limit) {
        let mut next: Vec<(String, String)> =
            vec![("limit".into(), limit.to_string()), ("cursor".into(), last.to_string())];
        for key in ["bbox", "bbox-crs", "crs", "datetime", "plan"] {
            if let Some(v) = params.get(key) {
                next.push((key.into(), v.into()));
            }
        }
        let qs = serde_urlencoded::to_string(&next).expect("strings encode");
        links.push(json!({"href": format!("{base}/collections/{id}/items?{qs}"), "rel": "next", "type": GEOJSON}));
    }
    let response = json_response(
        json!({
            "type": "FeatureCollection",
            "numberMatched": page.matched,
            "numberReturned": returned,
            "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "links": links,
            "features": page.features,
        }),
        GEOJSON,
    );
    Ok(with_content_crs(response, crs))
}

/// One feature: a parcel by national id, a commune by code, a planning zone by id.
#[utoipa::path(get, path = "/collections/{collection}/items/{id}", tag = "ogc",
    params(("collection" = String, Path, description = "parcels, communes or planning-zones"),
           ("id" = String, Path, description = "national parcel id, commune code or zone id"),
           ("crs" = Option<String>, Query, description = "CRS of the response geometry (OGC URI); the response says Content-Crs")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 400, description = "bad parameter"), (status = 404, description = "not found")))]
#[get("/collections/{collection}/items/{id}")]
pub async fn item(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (collection_id, id) = path.into_inner();
    let (cid, ..) = find_collection(&collection_id)?;
    let params = Params::parse(&req, &["crs", "f"])?;
    params.check_format()?;
    let crs = crs_param(&params, "crs")?;
    let base = base_url(&req);
    let collection_id: &'static str = cid;
    let mut feature = with_conn(&state, move |conn, _| features::item(conn, collection_id, &id, crs)).await?;
    let fid = match &feature["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    feature["links"] = json!([
        {"href": format!("{base}/collections/{cid}/items/{fid}"), "rel": "self", "type": GEOJSON},
        {"href": format!("{base}/collections/{cid}"), "rel": "collection", "type": "application/json"},
    ]);
    Ok(with_content_crs(json_response(feature, GEOJSON), crs))
}
