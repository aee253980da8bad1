//! OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) for `parcels` and `communes`.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::query::Params;
use super::{base_url, with_conn, AppState, Problem};
use crate::domain::crs::CRS84_URI;
use crate::domain::parcel::VIETNAM_EXTENT;
use crate::persistence::parcels::PageQuery;
use crate::service::{communes, parcels, Error};

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
];
// Not oas30: utoipa generates OpenAPI 3.1 (nullable types as type arrays), which is not a
// valid 3.0 document; claiming the class would be untrue.

/// The collections we publish, with a Vietnamese description.
const COLLECTIONS: &[(&str, &str, &str)] = &[
    ("parcels", "Thửa đất — cadastral parcels", "Current versions of cadastral parcels (no personal data). Legal area is measured in the VN-2000 TM-3 plane of the parcel's province."),
    ("communes", "Xã, phường, đặc khu — communes", "Communes in force since the 2025 reorganisation; boundaries where known."),
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
            "description": "Land-records database service for Vietnam: OGC API – Features for parcels and communes.",
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
        "crs": [CRS84_URI],
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

/// Features, keyset-paged: follow the `next` link.
#[utoipa::path(get, path = "/collections/{collection}/items", tag = "ogc",
    params(
        ("collection" = String, Path, description = "parcels or communes"),
        ("bbox" = Option<String>, Query, description = "minLon,minLat,maxLon,maxLat (CRS84)"),
        ("limit" = Option<i64>, Query, description = "page size, 1..=10000, default 100"),
        ("cursor" = Option<i64>, Query, description = "opaque paging cursor from a next link"),
        ("datetime" = Option<String>, Query, description = "parcels: versions in force at this RFC 3339 instant"),
        ("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "GeoJSON FeatureCollection"), (status = 400, description = "bad parameter (problem+json)")))]
#[get("/collections/{collection}/items")]
pub async fn items(req: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (id, ..) = find_collection(&path)?;
    let params = Params::parse(&req, &["bbox", "limit", "cursor", "datetime", "f"])?;
    params.check_format()?;
    let bbox = params.bbox()?;
    let limit = params.limit(state.settings.default_limit, state.settings.max_limit)?;
    let after = params.number::<i64>("cursor")?.unwrap_or(0);
    if after < 0 {
        return Err(Error::bad_parameter("cursor", "not a cursor from a next link").into());
    }
    let base = base_url(&req);
    let (features, matched, last_id) = match *id {
        "parcels" => {
            let as_of = params
                .get("datetime")
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map(|d| d.with_timezone(&chrono::Utc))
                        .map_err(|_| Error::bad_parameter("datetime", "an RFC 3339 instant, e.g. 2025-07-01T00:00:00Z (intervals are not supported)"))
                })
                .transpose()?;
            let q = PageQuery { bbox, after: Some(after), limit, as_of };
            let (rows, matched) = with_conn(&state, move |conn, _| parcels::page(conn, &q)).await?;
            let last = rows.last().map(|r| r.parcel_id);
            (rows.iter().map(parcels::feature).collect::<Vec<_>>(), matched, last)
        }
        _ => {
            if params.get("datetime").is_some() {
                return Err(Error::bad_parameter("datetime", "communes have no time filter").into());
            }
            with_conn(&state, move |conn, _| communes::page(conn, bbox, after, limit)).await?
        }
    };
    let returned = features.len() as i64;
    let self_url = format!("{base}{}", req.uri());
    let mut links = vec![
        json!({"href": self_url, "rel": "self", "type": GEOJSON}),
        json!({"href": format!("{base}/collections/{id}"), "rel": "collection", "type": "application/json"}),
    ];
    if let (Some(last), true) = (last_id, returned == limit) {
        let mut next: Vec<(String, String)> = vec![("limit".into(), limit.to_string()), ("cursor".into(), last.to_string())];
        for key in ["bbox", "datetime"] {
            if let Some(v) = params.get(key) {
                next.push((key.into(), v.into()));
            }
        }
        let qs = serde_urlencoded::to_string(&next).expect("strings encode");
        links.push(json!({"href": format!("{base}/collections/{id}/items?{qs}"), "rel": "next", "type": GEOJSON}));
    }
    Ok(json_response(
        json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "links": links,
            "features": features,
        }),
        GEOJSON,
    ))
}

/// One feature: a parcel by national id, a commune by code.
#[utoipa::path(get, path = "/collections/{collection}/items/{id}", tag = "ogc",
    params(("collection" = String, Path, description = "parcels or communes"), ("id" = String, Path, description = "national parcel id or commune code")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 404, description = "not found")))]
#[get("/collections/{collection}/items/{id}")]
pub async fn item(req: HttpRequest, path: web::Path<(String, String)>, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (collection_id, id) = path.into_inner();
    let (cid, ..) = find_collection(&collection_id)?;
    Params::parse(&req, &["f"])?.check_format()?;
    let base = base_url(&req);
    let mut feature = match *cid {
        "parcels" => with_conn(&state, move |conn, _| parcels::get(conn, &id)).await?,
        _ => with_conn(&state, move |conn, _| communes::get(conn, &id)).await?,
    };
    let fid = feature["id"].as_str().unwrap_or_default().to_string();
    feature["links"] = json!([
        {"href": format!("{base}/collections/{cid}/items/{fid}"), "rel": "self", "type": GEOJSON},
        {"href": format!("{base}/collections/{cid}"), "rel": "collection", "type": "application/json"},
    ]);
    Ok(json_response(feature, GEOJSON))
}
