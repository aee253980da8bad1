//! OGC API – Features Part 1 (Core, GeoJSON) for `parcels`, `communes` and `planning-zones`,
//! and Part 2 (CRS by reference) for all three: `crs` and `bbox-crs` take CRS84, EPSG:4326
//! (latitude first), EPSG:3857 and the VN-2000 TM-3 zones; responses say `Content-Crs`.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::MaybeActor;
use super::query::{check_format, limit as limit_param, parse_bbox, FormatParams, Query};
use super::{base_url, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::features::{self, FeatureCollection, ItemsQuery, Link};
use crate::service::Error;
use domain::crs::ogc::OgcCrs;
use domain::crs::CRS84_URI;
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

/// A view written straight to text: features carry their geometry as the database wrote it,
/// which a detour through `Value` would parse and write again.
fn geojson_response(view: &impl Serialize) -> HttpResponse {
    let body = serde_json::to_string(view).expect("views serialise");
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, GEOJSON)).body(body)
}

/// The landing page (OGC API – Features Part 1, `/`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LandingPage {
    pub title: String,
    pub description: String,
    /// self, service-desc (the OpenAPI document), conformance and data (the collections).
    pub links: Vec<Link>,
}

/// The conformance classes the service implements (`/conformance`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Conformance {
    #[serde(rename = "conformsTo")]
    pub conforms_to: Vec<String>,
}

/// The collections (`/collections`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Collections {
    pub links: Vec<Link>,
    pub collections: Vec<Collection>,
}

/// One collection: its CRSs, extent and links to its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Always `feature`.
    #[serde(rename = "itemType")]
    pub item_type: String,
    /// The CRSs `crs` and `bbox-crs` accept (OGC URIs).
    pub crs: Vec<String>,
    #[serde(rename = "storageCrs")]
    pub storage_crs: String,
    pub extent: Extent,
    pub links: Vec<Link>,
}

/// The extent of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Extent {
    pub spatial: SpatialExtent,
}

/// The spatial extent of a collection: one bounding box (minLon, minLat, maxLon, maxLat).
#[derive(Debug, Serialize, ToSchema)]
pub struct SpatialExtent {
    pub bbox: Vec<[f64; 4]>,
    pub crs: String,
}

fn link(href: String, rel: &str, media_type: &str, title: Option<&str>) -> Link {
    Link { title: title.map(str::to_string), ..Link::new(href, rel, media_type) }
}

fn json_view(view: impl Serialize, content_type: &str) -> HttpResponse {
    json_response(serde_json::to_value(view).expect("views serialise"), content_type)
}

/// Landing page.
#[utoipa::path(get, path = "/", tag = "ogc", params(FormatParams), responses((status = 200, description = "landing page", body = LandingPage)))]
#[get("/")]
pub async fn landing(query: Query<FormatParams>, req: HttpRequest) -> Result<HttpResponse, Problem> {
    query.check()?;
    let base = base_url(&req);
    let json = "application/json";
    Ok(json_view(
        LandingPage {
            title: "diachinh — cơ sở dữ liệu địa chính".into(),
            description: "Land-records database service for Vietnam: OGC API – Features for parcels, communes and planning zones; vector tiles; the web map at /map.".into(),
            links: vec![
                link(format!("{base}/"), "self", json, Some("this document")),
                link(format!("{base}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.1", Some("OpenAPI definition")),
                link(format!("{base}/conformance"), "conformance", json, Some("conformance classes")),
                link(format!("{base}/collections"), "data", json, Some("collections")),
            ],
        },
        json,
    ))
}

/// Conformance classes.
#[utoipa::path(get, path = "/conformance", tag = "ogc", params(FormatParams), responses((status = 200, description = "conformance classes", body = Conformance)))]
#[get("/conformance")]
pub async fn conformance(query: Query<FormatParams>) -> Result<HttpResponse, Problem> {
    query.check()?;
    let conforms_to = CONFORMANCE.iter().map(|c| c.to_string()).collect();
    Ok(json_view(Conformance { conforms_to }, "application/json"))
}

/// The OpenAPI 3 definition of this service.
#[utoipa::path(get, path = "/api", tag = "ogc", params(FormatParams), responses((status = 200, description = "OpenAPI document")))]
#[get("/api")]
pub async fn api(query: Query<FormatParams>) -> Result<HttpResponse, Problem> {
    query.check()?;
    Ok(json_response(super::openapi::document(), "application/vnd.oai.openapi+json;version=3.1"))
}

fn collection_view(base: &str, id: &str, title: &str, description: &str) -> Collection {
    Collection {
        id: id.into(),
        title: title.into(),
        description: description.into(),
        item_type: "feature".into(),
        crs: OgcCrs::all().iter().map(OgcCrs::uri).collect(),
        storage_crs: CRS84_URI.into(),
        extent: Extent { spatial: SpatialExtent { bbox: vec![VIETNAM_EXTENT], crs: CRS84_URI.into() } },
        links: vec![
            Link::new(format!("{base}/collections/{id}"), "self", "application/json"),
            link(format!("{base}/collections/{id}/items"), "items", GEOJSON, Some("features")),
        ],
    }
}

fn find_collection(id: &str) -> Result<&'static (&'static str, &'static str, &'static str), Problem> {
    COLLECTIONS.iter().find(|c| c.0 == id).ok_or_else(|| Problem(Error::NotFound(format!("collection {id}"))))
}

/// The collections.
#[utoipa::path(get, path = "/collections", tag = "ogc", params(FormatParams), responses((status = 200, description = "collections", body = Collections)))]
#[get("/collections")]
pub async fn collections(query: Query<FormatParams>, req: HttpRequest) -> Result<HttpResponse, Problem> {
    query.check()?;
    let base = base_url(&req);
    Ok(json_view(
        Collections {
            links: vec![Link::new(format!("{base}/collections"), "self", "application/json")],
            collections: COLLECTIONS.iter().map(|(id, t, d)| collection_view(&base, id, t, d)).collect(),
        },
        "application/json",
    ))
}

/// One collection.
#[utoipa::path(get, path = "/collections/{collection}", tag = "ogc",
    params(("collection" = String, Path, pattern = "^(parcels|communes|planning-zones)$", description = "parcels, communes or planning-zones"), FormatParams),
    responses((status = 200, description = "collection", body = Collection), (status = 404, description = "unknown collection")))]
#[get("/collections/{collection}")]
pub async fn collection(
    query: Query<FormatParams>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    query.check()?;
    let (id, title, description) = find_collection(&path)?;
    Ok(json_view(collection_view(&base_url(&req), id, title, description), "application/json"))
}

/// A CRS parameter (`crs` or `bbox-crs`); CRS84 when absent.
fn crs_param(value: Option<&str>, name: &str) -> Result<OgcCrs, Error> {
    value.map_or(Ok(OgcCrs::Crs84), |text| OgcCrs::parse(text).map_err(|e| Error::bad_parameter(name, e.to_string())))
}

/// `bbox`: checked as lon/lat for CRS84; for another `bbox-crs`, four numbers that the service
/// transforms (and checks) once it knows the CRS.
fn bbox_param(q: &ItemsParams, bbox_crs: OgcCrs) -> Result<Option<[f64; 4]>, Error> {
    let Some(text) = q.bbox.as_deref() else {
        return match q.bbox_crs {
            Some(_) => Err(Error::bad_parameter("bbox-crs", "bbox-crs is given without a bbox")),
            None => Ok(None),
        };
    };
    if bbox_crs == OgcCrs::Crs84 {
        return parse_bbox(text).map(Some).map_err(|m| Error::bad_parameter("bbox", m));
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

/// The query of `/collections/{collection}/items`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsParams {
    /// minLon,minLat,maxLon,maxLat (CRS84), or the two corners in bbox-crs and its axis order.
    pub bbox: Option<String>,
    /// CRS of bbox (OGC URI): CRS84 (default), EPSG:4326 (lat,lon), EPSG:3857, VN-2000 TM-3
    /// EPSG:5896-5899, 9205-9218 (easting,northing).
    #[serde(rename = "bbox-crs")]
    pub bbox_crs: Option<String>,
    /// CRS of the response geometry (OGC URI), from the same list; the response says Content-Crs.
    pub crs: Option<String>,
    /// Page size, 1..=10000, default 100.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
    /// Opaque paging cursor from a next link.
    #[param(minimum = 0)]
    pub cursor: Option<i64>,
    /// parcels: versions in force at this RFC 3339 instant (intervals are not supported).
    #[param(format = DateTime)]
    pub datetime: Option<String>,
    /// planning-zones: one plan's zones (any status) instead of the approved plans'.
    pub plan: Option<i32>,
    /// Response format: json (the only one offered).
    #[param(pattern = "^(json|geojson|application/json|application/geo\\+json)$")]
    pub f: Option<String>,
}

/// The query of `/collections/{collection}/items/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemParams {
    /// CRS of the response geometry (OGC URI); the response says Content-Crs.
    pub crs: Option<String>,
    /// Response format: json (the only one offered).
    #[param(pattern = "^(json|geojson|application/json|application/geo\\+json)$")]
    pub f: Option<String>,
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
        ("collection" = String, Path, pattern = "^(parcels|communes|planning-zones)$", description = "parcels, communes or planning-zones"),
        ItemsParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "GeoJSON FeatureCollection; with `plan`, a draft plan's zones only for its planners (bearer token optional)", body = FeatureCollection, content_type = "application/geo+json"), (status = 400, description = "bad parameter (problem+json)"), (status = 401, description = "a bearer token that does not authenticate")))]
#[get("/collections/{collection}/items")]
pub async fn items(
    viewer: MaybeActor,
    from: ReadFrom,
    query: Query<ItemsParams>,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (id, ..) = find_collection(&path)?;
    let params = query.0;
    check_format(params.f.as_deref())?;
    let crs = crs_param(params.crs.as_deref(), "crs")?;
    let bbox_crs = crs_param(params.bbox_crs.as_deref(), "bbox-crs")?;
    let bbox = bbox_param(&params, bbox_crs)?;
    let limit = limit_param(params.limit, state.settings.default_limit, state.settings.max_limit)?;
    let after = params.cursor.unwrap_or(0);
    if after < 0 {
        return Err(Error::bad_parameter("cursor", "not a cursor from a next link").into());
    }
    let as_of = match (params.datetime.as_deref(), *id) {
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
    let plan = match (params.plan, *id) {
        (None, _) => None,
        (Some(p), "planning-zones") => Some(p),
        (Some(_), other) => return Err(Error::bad_parameter("plan", format!("{other} have no plan filter")).into()),
    };
    let base = base_url(&req);
    let q = ItemsQuery { collection: id, bbox, bbox_crs, crs, after, limit, as_of, plan };
    let page = with_read_conn(&state, from, move |conn, _| features::items(conn, &q, viewer.0.as_ref())).await?;
    let returned = page.features.len() as i64;
    let self_url = format!("{base}{}", req.uri());
    let mut links = vec![
        Link::new(self_url, "self", GEOJSON),
        Link::new(format!("{base}/collections/{id}"), "collection", "application/json"),
    ];
    if let (Some(last), true) = (page.last_id, returned == limit) {
        let mut next: Vec<(String, String)> =
            vec![("limit".into(), limit.to_string()), ("cursor".into(), last.to_string())];
        let plan = params.plan.map(|p| p.to_string());
        for (key, value) in [
            ("bbox", &params.bbox),
            ("bbox-crs", &params.bbox_crs),
            ("crs", &params.crs),
            ("datetime", &params.datetime),
            ("plan", &plan),
        ] {
            if let Some(v) = value {
                next.push((key.into(), v.clone()));
            }
        }
        let qs = serde_urlencoded::to_string(&next).expect("strings encode");
        links.push(Link::new(format!("{base}/collections/{id}/items?{qs}"), "next", GEOJSON));
    }
    Ok(with_content_crs(geojson_response(&FeatureCollection::new(page, links)), crs))
}

/// One feature: a parcel by national id, a commune by code, a planning zone by id.
#[utoipa::path(get, path = "/collections/{collection}/items/{id}", tag = "ogc",
    params(("collection" = String, Path, pattern = "^(parcels|communes|planning-zones)$", description = "parcels, communes or planning-zones"),
           ("id" = String, Path, description = "national parcel id, commune code or zone id"),
           ItemParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "GeoJSON Feature (a draft plan's zone only for its planners)", body = features::Feature, content_type = "application/geo+json"), (status = 400, description = "bad parameter"), (status = 401, description = "a bearer token that does not authenticate"), (status = 404, description = "not found")))]
#[get("/collections/{collection}/items/{id}")]
pub async fn item(
    viewer: MaybeActor,
    from: ReadFrom,
    query: Query<ItemParams>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (collection_id, id) = path.into_inner();
    let (cid, ..) = find_collection(&collection_id)?;
    check_format(query.f.as_deref())?;
    let crs = crs_param(query.crs.as_deref(), "crs")?;
    let base = base_url(&req);
    let collection_id: &'static str = cid;
    let mut feature =
        with_read_conn(&state, from, move |conn, _| features::item(conn, collection_id, &id, crs, viewer.0.as_ref()))
            .await?;
    let fid = feature.id.to_string();
    feature.links = Some(vec![
        Link::new(format!("{base}/collections/{cid}/items/{fid}"), "self", GEOJSON),
        Link::new(format!("{base}/collections/{cid}"), "collection", "application/json"),
    ]);
    Ok(with_content_crs(geojson_response(&feature), crs))
}
