//! OGC API – Features: a page of items or one item of `parcels`, `communes` or
//! `planning-zones`, in the CRS the client asked for (Part 2: `crs`, `bbox-crs`). Geometry is
//! stored and read in WGS 84 and transformed here, through `domain::crs::ogc`, so VN-2000 output
//! comes from the same EPSG:6960 pipeline that registration used.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::Value;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::communes::{CommuneFeature, CommuneProperties};
use super::parcels::{ParcelDetailFeature, ParcelDetailProperties, ParcelFeature, ParcelProperties};
use super::planning::{ZoneFeature, ZoneProperties};
use super::{communes, parcels, planning, Actor, Error};
use domain::crs::ogc::OgcCrs;
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

/// A page of features with the number matching (when known) and the last id (for the `next`
/// link).
#[derive(Debug, Clone)]
pub struct ItemsPage {
    pub features: Vec<Feature>,
    pub matched: Option<i64>,
    pub last_id: Option<i64>,
}

// ---- Views ----

/// A link (OGC API – Features, RFC 8288).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub href: String,
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type")]
    pub media_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Link {
    pub fn new(href: impl Into<String>, rel: &str, media_type: &str) -> Link {
        Link { href: href.into(), rel: rel.into(), media_type: media_type.into(), title: None }
    }
}

/// The id of a feature: a national parcel id, a commune code (strings) or a zone id (integer).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FeatureId {
    Text(String),
    Number(i64),
}

impl std::fmt::Display for FeatureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureId::Text(s) => f.write_str(s),
            FeatureId::Number(n) => write!(f, "{n}"),
        }
    }
}

/// The properties of a feature of one of the collections.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FeatureProperties {
    Parcel(ParcelProperties),
    /// One parcel (`/items/{id}`): with masked holders and certificate status.
    ParcelDetail(ParcelDetailProperties),
    Commune(CommuneProperties),
    Zone(ZoneProperties),
}

// anyOf rather than the oneOf that a derive would give: one parcel's properties (with holders)
// are also valid as a page's parcel properties.
impl PartialSchema for FeatureProperties {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(ParcelProperties::name()))
            .item(Ref::from_schema_name(CommuneProperties::name()))
            .item(Ref::from_schema_name(ZoneProperties::name()))
            .description(Some("properties of a parcel, a commune or a planning zone"))
            .into()
    }
}

impl ToSchema for FeatureProperties {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ParcelProperties::name().into(), ParcelProperties::schema()));
        ParcelProperties::schemas(schemas);
        schemas.push((CommuneProperties::name().into(), CommuneProperties::schema()));
        CommuneProperties::schemas(schemas);
        schemas.push((ZoneProperties::name().into(), ZoneProperties::schema()));
        ZoneProperties::schemas(schemas);
    }
}

/// A GeoJSON Feature of `parcels`, `communes` or `planning-zones`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Feature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    pub id: FeatureId,
    /// GeoJSON geometry in the requested CRS; null for a commune whose boundary is not known.
    /// Written as the database wrote it when no reprojection is asked for.
    #[schema(value_type = Option<Object>)]
    pub geometry: Box<RawValue>,
    pub properties: FeatureProperties,
    /// `self` and `collection` links (one feature only; absent in a page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
}

impl From<ParcelFeature> for Feature {
    fn from(f: ParcelFeature) -> Self {
        let properties = FeatureProperties::Parcel(f.properties);
        Feature { kind: "Feature", id: FeatureId::Text(f.id), geometry: f.geometry, properties, links: None }
    }
}

impl From<ParcelDetailFeature> for Feature {
    fn from(f: ParcelDetailFeature) -> Self {
        let properties = FeatureProperties::ParcelDetail(f.properties);
        Feature { kind: "Feature", id: FeatureId::Text(f.id), geometry: f.geometry, properties, links: None }
    }
}

fn raw(geometry: &Value) -> Box<RawValue> {
    to_raw_value(geometry).expect("a JSON value serialises")
}

impl From<CommuneFeature> for Feature {
    fn from(f: CommuneFeature) -> Self {
        let properties = FeatureProperties::Commune(f.properties);
        Feature { kind: "Feature", id: FeatureId::Text(f.id), geometry: raw(&f.geometry), properties, links: None }
    }
}

impl From<ZoneFeature> for Feature {
    fn from(f: ZoneFeature) -> Self {
        let properties = FeatureProperties::Zone(f.properties);
        Feature { kind: "Feature", id: FeatureId::Number(f.id), geometry: raw(&f.geometry), properties, links: None }
    }
}

/// A page of features (GeoJSON FeatureCollection), keyset-paged: follow the `next` link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "FeatureCollection")]
    pub kind: &'static str,
    /// Features matching the filter, over all pages. Parcels (current versions): only on the
    /// first page (no `cursor`), and only when at most 1,000 features match (or at most
    /// `limit`, if larger) — otherwise left out, as OGC API – Features allows, since counting
    /// would cost more than the page. Parcels at a `datetime`, communes and planning zones:
    /// always.
    #[serde(rename = "numberMatched", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub number_matched: Option<i64>,
    /// Features in this page.
    #[serde(rename = "numberReturned")]
    pub number_returned: i64,
    /// When the response was made (RFC 3339, seconds).
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// `self`, `collection` and, unless this is the last page, `next`.
    pub links: Vec<Link>,
    pub features: Vec<Feature>,
}

impl FeatureCollection {
    /// The page as a collection made now.
    pub fn new(page: ItemsPage, links: Vec<Link>) -> FeatureCollection {
        FeatureCollection {
            kind: "FeatureCollection",
            number_matched: page.matched,
            number_returned: page.features.len() as i64,
            time_stamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            links,
            features: page.features,
        }
    }
}

fn unknown(collection: &str) -> Error {
    Error::NotFound(format!("collection {collection}"))
}

/// `GET /collections/{collection}/items`.
/// A page of a collection; `viewer`, when signed in, may also see draft plans' zones.
pub fn items(conn: &mut PgConnection, q: &ItemsQuery, viewer: Option<&Actor>) -> Result<ItemsPage, Error> {
    let bbox = q.bbox.map(|b| q.bbox_crs.bbox_to_wgs84(b).map_err(|m| Error::bad_parameter("bbox", m))).transpose()?;
    let (mut features, matched, last_id) = match q.collection {
        "parcels" => {
            let page = parcels::page(conn, &PageQuery { bbox, after: Some(q.after), limit: q.limit, as_of: q.as_of })?;
            (page.features.into_iter().map(Feature::from).collect::<Vec<Feature>>(), page.matched, page.last_id)
        }
        "communes" => {
            let (features, matched, last) = communes::page(conn, bbox, q.after, q.limit)?;
            (features.into_iter().map(Feature::from).collect(), Some(matched), last)
        }
        "planning-zones" => match q.plan {
            // A draft the viewer may not see lists nothing, as an unknown plan does.
            Some(plan) if !planning::plan_listable(conn, plan, viewer)? => (Vec::new(), Some(0), None),
            _ => {
                let (features, matched, last) =
                    planning::zones_page(conn, &ZoneQuery { bbox, plan_id: q.plan, after: q.after, limit: q.limit })?;
                (features.into_iter().map(Feature::from).collect(), Some(matched), last)
            }
        },
        other => return Err(unknown(other)),
    };
    for f in &mut features {
        reproject(f, q.crs)?;
    }
    Ok(ItemsPage { features, matched, last_id })
}

/// `GET /collections/{collection}/items/{id}`.
pub fn item(
    conn: &mut PgConnection,
    collection: &str,
    id: &str,
    crs: OgcCrs,
    viewer: Option<&Actor>,
) -> Result<Feature, Error> {
    let mut feature: Feature = match collection {
        "parcels" => parcels::get(conn, id)?.into(),
        "communes" => communes::get(conn, id)?.into(),
        "planning-zones" => planning::zone(conn, id, viewer)?.into(),
        other => return Err(unknown(other)),
    };
    reproject(&mut feature, crs)?;
    Ok(feature)
}

fn reproject(feature: &mut Feature, crs: OgcCrs) -> Result<(), Error> {
    if crs == OgcCrs::Crs84 {
        // Stored in WGS 84, longitude first: the text passes through unparsed.
        return Ok(());
    }
    let mut geometry: Value = serde_json::from_str(feature.geometry.get())
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored geometry of feature {}: {e}", feature.id)))?;
    crs.reproject_geojson(&mut geometry)
        .map_err(|e| Error::bad_parameter("crs", format!("the feature cannot be expressed in {}: {e}", crs.uri())))?;
    feature.geometry = raw(&geometry);
    Ok(())
}
