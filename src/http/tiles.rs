//! Vector tiles (Mapbox Vector Tile, XYZ scheme) and their TileJSON 3.0 descriptions.
//!
//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: 200 with the tile, 204 No Content when no feature
//! falls in it — always so below the layer's minimum zoom (parcels: 14), where the database is
//! not asked at all — and 304 when `If-None-Match` carries the current ETag. Tags follow the
//! data (service::tiles), and `Cache-Control: no-cache` makes caches revalidate, so a map never
//! shows a tile older than the last edit.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};

use super::query::{NoParams, Query};
use super::{base_url, with_read_conn, AppState, Problem, ReadFrom};
use crate::service::tiles::{self, TileBody};
use crate::service::Error;
use domain::parcel::VIETNAM_EXTENT;
use domain::tiles::{Layer, TileCoord};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(tilejson).service(tile);
}

/// Media type of Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
const CACHE_CONTROL: &str = "public, no-cache";

fn layer(name: &str) -> Result<Layer, Problem> {
    Layer::parse(name)
        .ok_or_else(|| Problem(Error::NotFound(format!("tile layer '{name}' (layers: parcels, planning-zones)"))))
}

fn description(layer: Layer) -> &'static str {
    match layer {
        Layer::Parcels => "Thửa đất — current cadastral parcels (no personal data), coloured by main land-use code",
        Layer::PlanningZones => "Vùng quy hoạch — zones of approved land-use plans with the planned land-use code",
    }
}

/// TileJSON 3.0.0 of one layer (what MapLibre reads to find the tiles).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TileJson {
    /// Always `3.0.0`.
    pub tilejson: String,
    pub name: String,
    pub description: String,
    pub version: String,
    pub attribution: String,
    /// Always `xyz`.
    pub scheme: String,
    /// The tile URL template.
    pub tiles: Vec<String>,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// west, south, east, north (CRS84).
    pub bounds: [f64; 4],
    /// longitude, latitude, zoom.
    #[schema(value_type = Vec<f64>, min_items = 3, max_items = 3)]
    pub center: (f64, f64, u8),
    pub vector_layers: Vec<VectorLayer>,
}

/// One vector layer of a TileJSON: its fields and from which zoom each appears.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VectorLayer {
    pub id: String,
    pub description: String,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Field name → description (with the zoom it appears from).
    #[schema(value_type = std::collections::HashMap<String, String>)]
    pub fields: Map<String, Value>,
}

/// A vector tile of `parcels` (from zoom 14) or `planning-zones` (from zoom 10).
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}.mvt", tag = "tiles",
    params(("layer" = String, Path, pattern = "^(parcels|planning-zones)$", description = "parcels or planning-zones"),
           ("z" = u8, Path, minimum = 0, maximum = 22, description = "zoom, 0..=22"), ("x" = u32, Path, description = "column, 0..2^z"),
           ("y" = u32, Path, description = "row from the north, 0..2^z")),
    responses((status = 200, description = "application/vnd.mapbox-vector-tile, with ETag and Cache-Control: public, no-cache"),
              (status = 204, description = "no feature in the tile (always below the layer's minimum zoom)"),
              (status = 304, description = "If-None-Match matches the current ETag"),
              (status = 400, description = "z, x or y outside the grid (problem+json)"),
              (status = 404, description = "unknown layer")))]
#[get("/tiles/{layer}/{z}/{x}/{y}.mvt")]
pub async fn tile(
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<(String, String, String, String)>,
    from: ReadFrom,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (name, z, x, y) = path.into_inner();
    let layer = layer(&name)?;
    let t = TileCoord::parse(&z, &x, &y).map_err(|e| Error::bad_parameter(e.parameter, e.message))?;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    let tile =
        with_read_conn(&state, from, move |conn, _| tiles::tile(conn, layer, t, if_none_match.as_deref())).await?;
    let status = match tile.body {
        TileBody::NotModified => StatusCode::NOT_MODIFIED,
        TileBody::Empty => StatusCode::NO_CONTENT,
        TileBody::Mvt(_) => StatusCode::OK,
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::ETAG, tile.etag)).insert_header((header::CACHE_CONTROL, CACHE_CONTROL));
    Ok(match tile.body {
        TileBody::Mvt(bytes) => response.insert_header((header::CONTENT_TYPE, MVT)).body(bytes),
        _ => response.finish(),
    })
}

/// TileJSON 3.0 of a layer: tile URL template, zoom range, fields per layer.
#[utoipa::path(get, path = "/tiles/{layer}.json", tag = "tiles",
    params(("layer" = String, Path, pattern = "^(parcels|planning-zones)$", description = "parcels or planning-zones")),
    responses((status = 200, description = "TileJSON 3.0.0", body = TileJson), (status = 404, description = "unknown layer")))]
#[get("/tiles/{layer}.json")]
pub async fn tilejson(
    _query: Query<NoParams>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let layer = layer(&path)?;
    let base = base_url(&req);
    let fields: Map<String, Value> = layer
        .fields()
        .iter()
        .map(|(name, from, desc)| (name.to_string(), Value::String(format!("{desc} (from zoom {from})"))))
        .collect();
    let [w, s, e, n] = VIETNAM_EXTENT;
    let body = TileJson {
        tilejson: "3.0.0".into(),
        name: layer.name().into(),
        description: description(layer).into(),
        version: "1.0.0".into(),
        attribution: "diachinh — sample data are synthetic (dữ liệu mẫu tổng hợp)".into(),
        scheme: "xyz".into(),
        tiles: vec![format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", layer.name())],
        minzoom: layer.min_zoom(),
        maxzoom: layer.max_detail_zoom(),
        bounds: [w, s, e, n],
        center: ((w + e) / 2.0, (s + n) / 2.0, layer.min_zoom()),
        vector_layers: vec![VectorLayer {
            id: layer.name().into(),
            description: description(layer).into(),
            minzoom: layer.min_zoom(),
            maxzoom: layer.max_detail_zoom(),
            fields,
        }],
    };
    let body = serde_json::to_string(&body).expect("views serialise");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .body(body))
}
