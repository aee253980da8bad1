//! OGC API – Features: a page of items or one item of `parcels`, `communes` or
//! `planning-zones`, in the CRS the client asked for (Part 2: `crs`, `bbox-crs`). Geometry is
//! stored and read in WGS 84 and transformed here, through `domain::ogc_crs`, so VN-2000 output
//! comes from the same EPSG:6960 pipeline that registration used.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde_json::Value;

use super::{communes, parcels, planning, Error};
use domain::ogc_crs::OgcCrs;
use store::parcels::PageQuery;
use store::planning::ZoneQuery;

/// A request for a page of items.
#[derive(Debug, Clone)]
pub struct ItemsQuery {
    /// `parcels`, `communes` or `planning-zones`.
    pub collection: &'static str,
    /// The `bbox` numbers as sent, in `bbox_crs` and its axis order.
    pub bbox: Option<[f64; 4]>,
    pub bbox_crs: OgcCrs,
    /// CRS of the response geometry.
    pub crs: OgcCrs,
    /// Keyset cursor: items with an id above this.
    pub after: i64,
    pub limit: i64,
    /// Parcels: versions in force at this instant.
    pub as_of: Option<DateTime<Utc>>,
    /// Planning zones: one plan's zones (any status) instead of the approved plans'.
    pub plan: Option<i32>,
}

/// A page of features with the number matching and the last id (for the `next` link).
#[derive(Debug, Clone)]
pub struct ItemsPage {
    pub features: Vec<Value>,
    pub matched: i64,
    pub last_id: Option<i64>,
}

fn unknown(collection: &str) -> Error {
    Error::NotFound(format!("collection {collection}"))
}

/// `GET /collections/{collection}/items`.
pub fn items(conn: &mut PgConnection, q: &ItemsQuery) -> Result<ItemsPage, Error> {
    let bbox = q.bbox.map(|b| q.bbox_crs.bbox_to_wgs84(b).map_err(|m| Error::bad_parameter("bbox", m))).transpose()?;
    let (mut features, matched, last_id) = match q.collection {
        "parcels" => {
            let (rows, matched) =
                parcels::page(conn, &PageQuery { bbox, after: Some(q.after), limit: q.limit, as_of: q.as_of })?;
            let last = rows.last().map(|r| r.parcel_id);
            (rows.iter().map(parcels::feature).collect::<Vec<_>>(), matched, last)
        }
        "communes" => communes::page(conn, bbox, q.after, q.limit)?,
        "planning-zones" => {
            planning::zones_page(conn, &ZoneQuery { bbox, plan_id: q.plan, after: q.after, limit: q.limit })?
        }
        other => return Err(unknown(other)),
    };
    for f in &mut features {
        reproject(f, q.crs)?;
    }
    Ok(ItemsPage { features, matched, last_id })
}

/// `GET /collections/{collection}/items/{id}`.
pub fn item(conn: &mut PgConnection, collection: &str, id: &str, crs: OgcCrs) -> Result<Value, Error> {
    let mut feature = match collection {
        "parcels" => parcels::get(conn, id)?,
        "communes" => communes::get(conn, id)?,
        "planning-zones" => planning::zone(conn, id)?,
        other => return Err(unknown(other)),
    };
    reproject(&mut feature, crs)?;
    Ok(feature)
}

fn reproject(feature: &mut Value, crs: OgcCrs) -> Result<(), Error> {
    if let Some(geometry) = feature.get_mut("geometry") {
        crs.reproject_geojson(geometry).map_err(|e| {
            Error::bad_parameter("crs", format!("the feature cannot be expressed in {}: {e}", crs.uri()))
        })?;
    }
    Ok(())
}
