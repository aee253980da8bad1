//! Parcel use cases: public lookups (no personal data) and staff writes (validated, audited).

use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::authz::{authorize, authorize_all, Action};
use super::{audit_json, Actor, DbContext, Error, FieldError, Settings};
use domain::checks;
use domain::crs::{nearest_zone, Crs, Tm3Zone};
use domain::dossier::State;
use domain::geometry::{parse_polygonal, GeometryError};
use domain::ids::NationalId;
use domain::parcel::{is_land_use_code, measure, MeasuredGeometry};
use domain::privacy;
use domain::restriction::ProcedureOutcome;
use store::{admin_units, audit, parcels as db, rights};

/// `POST /parcels`: register a parcel (đăng ký thửa đất mới).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParcel {
    /// Current commune code (5 digits, 2025 codes).
    pub commune: String,
    /// Pre-2025 commune code under which the sheet and parcel numbers were assigned, if any.
    pub registered_commune: Option<String>,
    /// Tờ bản đồ số.
    pub sheet: i32,
    /// Thửa đất số.
    pub parcel: i32,
    /// CRS of `geometry` as an OGC URI; default CRS84. VN-2000 TM-3 zones: EPSG 5896–5899, 9205–9218.
    pub crs: Option<String>,
    /// GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Land-use purposes; with one purpose its area may be omitted (the whole parcel).
    pub land_uses: Vec<LandUseInput>,
    pub address: Option<String>,
}

/// A land-use purpose (mục đích sử dụng) with its area.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LandUseInput {
    /// Mã loại đất, e.g. ODT, ONT, LUC, CLN.
    pub code: String,
    pub area_m2: Option<f64>,
    /// Thời hạn sử dụng; omitted = long-term (lâu dài). In a split, a merge or a boundary
    /// change, omitted = as recorded for the same code (none of them changes a term).
    pub use_until: Option<chrono::NaiveDate>,
    /// Nguồn gốc sử dụng; in a split, a merge or a boundary change, omitted = as recorded for
    /// the same code.
    pub origin: Option<String>,
}

/// `PUT /parcels/{id}/geometry`: a corrected or re-surveyed boundary.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeometryChange {
    pub crs: Option<String>,
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Why the boundary changed (kept in the version history).
    pub reason: String,
    /// The land uses of the new version. Omitted: as recorded — a single use takes the new
    /// area; otherwise residential land (ODT, ONT) keeps its recorded area and the other uses
    /// share the change in proportion; needed when the new area no longer holds the
    /// residential land.
    pub land_uses: Option<Vec<LandUseInput>>,
}

// ---- Views: what the parcel use cases return. ----

/// A land-use purpose of a parcel version as stored.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LandUseView {
    /// Mã loại đất, e.g. ODT.
    pub code: String,
    /// Area of this purpose (m², legal area).
    #[schema(value_type = f64)]
    pub area_m2: serde_json::Number,
    /// Thời hạn sử dụng; null = long-term (lâu dài).
    pub use_until: Option<chrono::NaiveDate>,
}

/// The public properties of a parcel version (no personal data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelProperties {
    /// Mã định danh thửa đất: 12-character GeoHash.
    pub national_id: String,
    pub province_code: String,
    /// Current (2025) commune code.
    pub commune_code: String,
    pub commune_name: String,
    /// Commune under which the sheet and parcel numbers were assigned (pre-2025 code or current).
    pub registered_commune_code: String,
    /// Tờ bản đồ số.
    pub sheet: i32,
    /// Thửa đất số.
    pub parcel: i32,
    /// Legal area (m²), measured in the VN-2000 TM-3 plane.
    pub legal_area_m2: f64,
    /// Largest first. As the database wrote it (passed through, not parsed).
    #[schema(value_type = Vec<LandUseView>)]
    pub land_uses: Box<RawValue>,
    pub address: Option<String>,
    pub version: i32,
    pub valid_from: chrono::DateTime<chrono::Utc>,
    /// Null while the version is in force.
    pub valid_to: Option<chrono::DateTime<chrono::Utc>>,
    /// CRS the geometry was surveyed in (OGC URI).
    pub source_crs: Option<String>,
    /// Generated sample data, not a real parcel.
    pub synthetic: bool,
}

/// The public GeoJSON Feature of a parcel version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    /// The national parcel id.
    pub id: String,
    /// GeoJSON Polygon or MultiPolygon (WGS 84), 8 decimals.
    #[schema(value_type = Object)]
    pub geometry: Box<RawValue>,
    pub properties: ParcelProperties,
}

/// A holder of the parcel's use right, name masked for persons.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaskedHolder {
    /// `person` or `organisation`.
    pub kind: String,
    /// Masked for a person (initials), in full for an organisation.
    pub name: String,
    /// Share of the right (0–1).
    pub share: f64,
}

/// The certificate last issued for the parcel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateBrief {
    pub serial: String,
    pub status: String,
    pub issued_on: chrono::NaiveDate,
}

/// A parcel's current version with its masked holders and certificate status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelDetailProperties {
    #[serde(flatten)]
    pub parcel: ParcelProperties,
    pub holders: Vec<MaskedHolder>,
    /// Null when no certificate was ever issued.
    pub certificate: Option<CertificateBrief>,
    /// The current use right has no valid certificate yet: e.g. a part of a split waiting for
    /// the split dossier to issue (`POST /dossiers/{id}/certificate`).
    pub certificate_pending: bool,
    /// A mortgage is registered on the land (never who holds it, the contract or the amount).
    pub has_mortgage: bool,
    /// A restriction in force limits what may be done with the land (mortgage, seizure, court
    /// measure, enforcement hold, dispute); staff see which in `GET /parcels/{id}/restrictions`.
    pub restricted: bool,
}

/// `GET /parcels/{id}`: the current version as a GeoJSON Feature, holders masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelDetailFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    pub id: String,
    /// GeoJSON Polygon or MultiPolygon (WGS 84), 8 decimals.
    #[schema(value_type = Object)]
    pub geometry: Box<RawValue>,
    pub properties: ParcelDetailProperties,
}

/// A parcel version with the reason it was made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelVersionProperties {
    #[serde(flatten)]
    pub parcel: ParcelProperties,
    pub change_reason: String,
}

/// One version of a parcel as a GeoJSON Feature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelVersionFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Feature")]
    pub kind: &'static str,
    pub id: String,
    /// GeoJSON Polygon or MultiPolygon (WGS 84), 8 decimals.
    #[schema(value_type = Object)]
    pub geometry: Box<RawValue>,
    pub properties: ParcelVersionProperties,
}

/// Every version of a parcel, oldest first (`GET /parcels/{id}/history`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelHistory {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "FeatureCollection")]
    pub kind: &'static str,
    pub features: Vec<ParcelVersionFeature>,
    /// Changes registered after issuance (đăng ký biến động), oldest first: what changed, when,
    /// under which dossier, between which versions; no personal data.
    pub changes: Vec<super::changes::HistoryChange>,
}

/// `POST /parcels/{id}/split`: the retired parcel and the new parts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SplitResult {
    /// National id of the retired parcel.
    pub retired: String,
    pub parcels: Vec<ParcelFeature>,
    /// Receipt number of the tách/hợp thửa dossier the split was made under (its certificates
    /// for the parts are issued with `POST /dossiers/{id}/certificate`).
    pub dossier: Option<String>,
    /// Restrictions in force carried to the parts (each part gets its own copy).
    pub restrictions_carried: usize,
}

/// `POST /parcels/merge`: the retired parcels and the merged one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergeResult {
    /// National ids of the retired parcels (sorted).
    pub retired: Vec<String>,
    pub parcel: ParcelFeature,
    /// Receipt number of the tách/hợp thửa dossier the merge was made under.
    pub dossier: Option<String>,
    /// Restrictions in force carried to the merged parcel.
    pub restrictions_carried: usize,
}

/// A view as JSON, for the audit log.
fn properties(row: &db::ParcelRow) -> ParcelProperties {
    ParcelProperties {
        national_id: row.national_id.clone(),
        province_code: row.province_code.clone(),
        commune_code: row.commune_code.clone(),
        commune_name: row.commune_name.clone(),
        registered_commune_code: row.registered_commune_code.clone(),
        sheet: row.sheet_no,
        parcel: row.parcel_no,
        legal_area_m2: row.legal_area_m2,
        land_uses: raw_json(&row.land_uses, "[]"),
        address: row.address.clone(),
        version: row.version,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        source_crs: Crs::from_epsg(row.source_crs_epsg as u32).map(|c| c.uri()),
        synthetic: row.is_synthetic,
    }
}

/// JSON text the database wrote, passed through as it is (`fallback` if it is not JSON).
fn raw_json(text: &str, fallback: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string())
        .unwrap_or_else(|_| RawValue::from_string(fallback.to_string()).expect("the fallback is JSON"))
}

fn stored_geojson(row: &db::ParcelRow) -> Box<RawValue> {
    raw_json(&row.geometry, "null")
}

/// The public properties of a current parcel read by `parcel_public` or `parcels_page`.
fn public_properties(row: db::PublicParcel) -> (String, Box<RawValue>, ParcelProperties) {
    let properties = ParcelProperties {
        national_id: row.national_id.clone(),
        province_code: row.province_code,
        commune_code: row.commune_code,
        commune_name: row.commune_name,
        registered_commune_code: row.registered_commune_code,
        sheet: row.sheet_no,
        parcel: row.parcel_no,
        legal_area_m2: row.legal_area_m2,
        land_uses: row.land_uses,
        address: row.address,
        version: row.version,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        source_crs: Crs::from_epsg(row.source_crs_epsg as u32).map(|c| c.uri()),
        synthetic: row.is_synthetic,
    };
    (row.national_id, row.geometry, properties)
}

/// The public GeoJSON Feature of a current parcel read by `parcels_page`.
pub fn public_feature(row: db::PublicParcel) -> ParcelFeature {
    let (id, geometry, properties) = public_properties(row);
    ParcelFeature { kind: "Feature", id, geometry, properties }
}

/// The public GeoJSON Feature of a parcel version: no personal data.
pub fn feature(row: &db::ParcelRow) -> ParcelFeature {
    ParcelFeature {
        kind: "Feature",
        id: row.national_id.clone(),
        geometry: stored_geojson(row),
        properties: properties(row),
    }
}

fn not_found(national_id: &str) -> Error {
    Error::NotFound(format!("parcel {national_id}"))
}

/// The HTTP edge parses `/parcels/{id}` as a `NationalId`; OGC item ids and merge bodies
/// arrive here as text.
fn check_national_id(national_id: &str) -> Result<(), Error> {
    national_id.parse::<NationalId>().map(|_| ()).map_err(|e| Error::bad_parameter("id", e.to_string()))
}

/// `GET /parcels/{id}`: the current version with masked holders and certificate status, read
/// in one statement (`parcel_public`).
pub fn get(conn: &mut PgConnection, national_id: &str) -> Result<ParcelDetailFeature, Error> {
    check_national_id(national_id)?;
    let row = db::public_by_national_id(conn, national_id)
        .context_db("loading the parcel")?
        .ok_or_else(|| not_found(national_id))?;
    let holders = row
        .holders
        .into_iter()
        .map(|h| {
            let name = match domain::certificate::HolderKind::parse(&h.kind) {
                Some(kind) => domain::certificate::public_name(kind, &h.full_name),
                None => privacy::mask_person_name(&h.full_name),
            };
            MaskedHolder { kind: h.kind, name, share: h.share }
        })
        .collect();
    let certificate = row.certificate.map(|c| CertificateBrief {
        serial: c.serial,
        status: c.status.as_str().to_string(),
        issued_on: c.issued_on,
    });
    let (id, geometry, parcel) = public_properties(row.parcel);
    Ok(ParcelDetailFeature {
        kind: "Feature",
        id,
        geometry,
        properties: ParcelDetailProperties {
            parcel,
            holders,
            certificate,
            certificate_pending: row.certificate_pending,
            has_mortgage: row.has_mortgage,
            restricted: row.restricted,
        },
    })
}

/// `GET /parcels/{id}/history`: every version, oldest first.
pub fn history(conn: &mut PgConnection, national_id: &str) -> Result<ParcelHistory, Error> {
    check_national_id(national_id)?;
    let rows = db::history(conn, national_id).context_db("loading the history")?;
    if rows.is_empty() {
        return Err(not_found(national_id));
    }
    let changes = super::changes::history(conn, rows[0].parcel_id)?;
    Ok(ParcelHistory {
        kind: "FeatureCollection",
        changes,
        features: rows
            .iter()
            .map(|r| ParcelVersionFeature {
                kind: "Feature",
                id: r.national_id.clone(),
                geometry: stored_geojson(r),
                properties: ParcelVersionProperties { parcel: properties(r), change_reason: r.change_reason.clone() },
            })
            .collect(),
    })
}

/// `GET /parcels/lookup`: by commune code (current or pre-2025) + sheet + parcel number.
pub fn lookup(conn: &mut PgConnection, commune: &str, sheet: i32, parcel: i32) -> Result<ParcelDetailFeature, Error> {
    let units = admin_units::communes_with_code(conn, commune).context_db("finding the commune")?;
    if units.is_empty() {
        return Err(Error::NotFound(format!("commune {commune}")));
    }
    // The key as registered (legacy or current) comes first; a current commune also finds
    // parcels whose numbers were assigned under one of its predecessors.
    let ids: Vec<i32> = units.iter().map(|u| u.id).collect();
    let mut rows = db::by_key(conn, &ids, sheet, parcel).context_db("looking the parcel up")?;
    if rows.is_empty() {
        if let Some(current) = units.iter().find(|u| u.valid_to.is_none()) {
            rows = db::by_current_commune(conn, current.id, sheet, parcel).context_db("looking the parcel up")?;
        }
    }
    match rows.len() {
        0 => Err(Error::NotFound(format!("parcel {parcel} on sheet {sheet} of commune {commune}"))),
        1 => get(conn, &rows[0].national_id),
        _ => Err(Error::Conflict {
            message: "several parcels carry this number: the commune was merged; give the pre-2025 commune code".into(),
            errors: rows
                .iter()
                .map(|r| {
                    FieldError::parameter(
                        "commune",
                        format!("candidate under former commune {}", r.registered_commune_code),
                    )
                    .with_detail(
                        json!({"national_id": r.national_id, "registered_commune_code": r.registered_commune_code}),
                    )
                })
                .collect(),
        }),
    }
}

/// `GET /parcels/at`: the current parcel at a WGS 84 point.
pub fn at(conn: &mut PgConnection, lon: f64, lat: f64) -> Result<ParcelDetailFeature, Error> {
    let rows = db::at_point(conn, lon, lat).context_db("finding the parcel at a point")?;
    let first = rows.first().ok_or_else(|| Error::NotFound(format!("parcel at ({lon}, {lat})")))?;
    get(conn, &first.national_id)
}

/// On the first page of current parcels, `numberMatched` is counted up to this many matches
/// (or the page size, if larger); beyond, it is left out (OGC API – Features allows it):
/// counting 45,000 matches costs a hundred times the page.
pub const MATCH_COUNT_LIMIT: i64 = 1_000;

/// A page of parcels: features, the number matching the filter (when cheap: see
/// [`MATCH_COUNT_LIMIT`]; always for `as_of` pages) and the last parcel id (the cursor).
pub struct ParcelPage {
    pub features: Vec<ParcelFeature>,
    pub matched: Option<i64>,
    pub last_id: Option<i64>,
}

/// `GET /collections/parcels/items`: current parcels in one prepared statement; versions at
/// an instant (`as_of`) through the general statement.
pub fn page(conn: &mut PgConnection, q: &db::PageQuery) -> Result<ParcelPage, Error> {
    if q.as_of.is_some() {
        // History pages are rare: the general statement, with an exact count.
        let (rows, matched) = db::page(conn, q).context_db("loading a page of parcels")?;
        let last_id = rows.last().map(|r| r.parcel_id);
        return Ok(ParcelPage { features: rows.iter().map(feature).collect(), matched: Some(matched), last_id });
    }
    let after = q.after.unwrap_or(0);
    let count_up_to = (after == 0).then_some(q.limit.max(MATCH_COUNT_LIMIT));
    let (rows, matched) =
        db::current_page(conn, q.bbox, after, q.limit, count_up_to).context_db("loading a page of parcels")?;
    let last_id = rows.last().map(|r| r.parcel_id);
    Ok(ParcelPage { features: rows.into_iter().map(public_feature).collect(), matched, last_id })
}

/// Parses `crs` and the GeoJSON geometry of a write request.
fn parse_geometry(crs: Option<&str>, geometry: &Value) -> Result<(Crs, geo_types::MultiPolygon<f64>), Error> {
    let crs = match crs {
        None => Crs::Wgs84,
        Some(text) => Crs::parse(text).map_err(|e| Error::invalid("/crs", e.to_string()))?,
    };
    let geojson: geojson::Geometry = serde_json::from_value(geometry.clone())
        .map_err(|e| Error::invalid("/geometry", format!("not a GeoJSON geometry: {e}")))?;
    let mp = parse_polygonal(&geojson).map_err(geometry_error)?;
    Ok((crs, mp))
}

fn geometry_error(e: GeometryError) -> Error {
    let mut fe = FieldError::pointer(format!("/geometry{}", e.pointer), e.message);
    if let Some(c) = e.location {
        fe = fe.with_detail(json!({"location": {"type": "Point", "coordinates": [c.x, c.y]}}));
    }
    Error::Invalid(vec![fe])
}

fn area_zone(unit: &admin_units::UnitRow, geometry: &geo_types::MultiPolygon<f64>, crs: Crs) -> Tm3Zone {
    if let Some(Crs::Vn2000(z)) = unit.default_crs_epsg.and_then(|e| Crs::from_epsg(e as u32)) {
        return z;
    }
    use geo::BoundingRect;
    let lon = geometry.bounding_rect().map(|r| r.center().x).unwrap_or(105.0);
    match crs {
        Crs::Vn2000(z) => z,
        Crs::Wgs84 => nearest_zone(lon),
    }
}

/// Serialises this write with every other one placing parcels in `commune` (its advisory
/// lock, held to the end of the transaction), then locks the rows of the parcels it read
/// before, in id order. A parcel changed or retired since it was read is a 409: the edit was
/// made against a version that is no longer current.
fn lock_for_change(conn: &mut PgConnection, commune_id: i32, read: &[&db::ParcelRow]) -> Result<(), Error> {
    db::lock_commune(conn, commune_id).context_db("waiting for the commune's placement lock")?;
    let mut rows = read.to_vec();
    rows.sort_by_key(|r| r.parcel_id);
    for r in rows {
        let now = db::lock_current_version(conn, r.parcel_id).context_db("locking the parcel")?;
        if now != Some(r.version) {
            let what = match now {
                Some(v) => format!("version {} is now current, not {}", v, r.version),
                None => "it is no longer current".to_string(),
            };
            return Err(Error::Conflict {
                message: format!(
                    "parcel {} was changed by another request while this one was processed ({what}); \
                     reload it and try again",
                    r.national_id
                ),
                errors: vec![],
            });
        }
    }
    Ok(())
}

/// Checks that the geometry lies in the commune and overlaps no active parcel.
fn check_placement(
    conn: &mut PgConnection,
    settings: &Settings,
    commune: &admin_units::UnitRow,
    measured: &MeasuredGeometry,
    except_parcels: &[i64],
) -> Result<(), Error> {
    let geojson = geojson::Geometry::from(&measured.wgs84).to_string();
    if let Some(outside) =
        admin_units::area_outside(conn, commune.id, &geojson).context_db("checking the commune boundary")?
    {
        if outside > settings.boundary_tolerance_m2 {
            return Err(Error::invalid(
                "/geometry",
                format!("{outside:.1} m² of the parcel lie outside commune {} ({})", commune.code, commune.name),
            ));
        }
    }
    let overlaps =
        db::overlaps(conn, &geojson, except_parcels, settings.sliver_tolerance_m2).context_db("checking overlaps")?;
    if !overlaps.is_empty() {
        return Err(Error::Conflict {
            message: format!(
                "the parcel overlaps {} active parcel(s) by more than {} m²",
                overlaps.len(),
                settings.sliver_tolerance_m2
            ),
            errors: overlaps
                .into_iter()
                .map(|o| {
                    FieldError::pointer(
                        "/geometry",
                        format!("overlaps parcel {} by {:.2} m²", o.national_id, o.area_m2),
                    )
                    .with_detail(json!({
                        "national_id": o.national_id,
                        "area_m2": o.area_m2,
                        "overlap": serde_json::from_str::<Value>(&o.geometry).unwrap_or(Value::Null),
                    }))
                })
                .collect(),
        });
    }
    Ok(())
}

fn land_uses(inputs: &[LandUseInput], legal_area_m2: f64) -> Result<Vec<db::NewLandUse>, Error> {
    if inputs.is_empty() {
        return Err(Error::invalid("/land_uses", "at least one land-use purpose is required"));
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (i, lu) in inputs.iter().enumerate() {
        if !is_land_use_code(&lu.code) {
            return Err(Error::invalid(
                format!("/land_uses/{i}/code"),
                "a land-use code is three capital letters, e.g. ODT",
            ));
        }
        let area = match (lu.area_m2, inputs.len()) {
            (Some(a), _) if !(a.is_finite() && a > 0.0) => {
                return Err(Error::invalid(format!("/land_uses/{i}/area_m2"), "the area must be a positive number"))
            }
            (Some(a), _) => a,
            (None, 1) => legal_area_m2,
            (None, _) => {
                return Err(Error::invalid(
                    format!("/land_uses/{i}/area_m2"),
                    "with several purposes each needs its area",
                ))
            }
        };
        out.push(db::NewLandUse {
            code: lu.code.clone(),
            area_m2: area,
            use_until: lu.use_until,
            origin: lu.origin.clone(),
        });
    }
    let total: f64 = out.iter().map(|l| l.area_m2).sum();
    if (total - legal_area_m2).abs() > area_tolerance(out.len()) {
        return Err(Error::invalid(
            "/land_uses",
            format!("the purposes' areas add up to {total:.1} m² but the parcel measures {legal_area_m2:.1} m²"),
        ));
    }
    Ok(out)
}

/// Areas are printed to 0.1 m²: land uses that should add up to an area may miss it by the
/// rounding of each.
fn area_tolerance(uses: usize) -> f64 {
    0.05 * uses as f64 + 0.05
}

/// Residential land (đất ở: ODT in urban, ONT in rural communes) is a legally recognised
/// figure: a new boundary or a merge never rescales it.
fn is_residential(code: &str) -> bool {
    matches!(code, "ODT" | "ONT")
}

fn term_text(t: Option<chrono::NaiveDate>) -> String {
    t.map_or_else(|| "long-term".to_string(), |d| d.to_string())
}

/// The one value every item agrees on, or the different values found.
fn agreed<T: PartialEq>(values: impl IntoIterator<Item = T>) -> Result<Option<T>, Vec<T>> {
    let mut distinct: Vec<T> = Vec::new();
    for v in values {
        if !distinct.contains(&v) {
            distinct.push(v);
        }
    }
    match distinct.len() {
        0 => Ok(None),
        1 => Ok(distinct.pop()),
        _ => Err(distinct),
    }
}

/// Fills what stated land uses leave out (term, origin) from the recorded land uses of the same
/// code: a split, a merge or a new boundary changes neither. When the recorded ones disagree
/// (merged parcels with different terms), nothing is picked: 422 at the field to state.
fn carry_recorded(uses: &mut [db::NewLandUse], recorded: &[db::NewLandUse]) -> Result<(), Error> {
    for (i, lu) in uses.iter_mut().enumerate() {
        let same: Vec<&db::NewLandUse> = recorded.iter().filter(|r| r.code == lu.code).collect();
        if lu.use_until.is_none() {
            match agreed(same.iter().map(|r| r.use_until)) {
                Ok(t) => lu.use_until = t.flatten(),
                Err(terms) => {
                    return Err(Error::invalid(
                        format!("/land_uses/{i}/use_until"),
                        format!(
                            "the parcels record {} with different terms ({}): state this one",
                            lu.code,
                            terms.into_iter().map(term_text).collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }
            }
        }
        if lu.origin.is_none() {
            match agreed(same.iter().map(|r| r.origin.clone())) {
                Ok(o) => lu.origin = o.flatten(),
                Err(_) => {
                    return Err(Error::invalid(
                        format!("/land_uses/{i}/origin"),
                        format!("the parcels record {} with different origins: state this one", lu.code),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Recorded land uses fitted to a new legal area: residential land kept as recorded, the other
/// uses sharing the rest in proportion, terms and origins kept. When the residential land no
/// longer fits, or leaves nothing for the other uses, 422 asks for the land uses explicitly.
/// A parcel of a single land use is that use whatever its area: there is nothing to apportion.
fn rescale_land_uses(recorded: Vec<db::NewLandUse>, new_area: f64, what: &str) -> Result<Vec<db::NewLandUse>, Error> {
    if let [only] = recorded.as_slice() {
        return Ok(vec![db::NewLandUse { area_m2: (new_area * 10.0).round() / 10.0, ..only.clone() }]);
    }
    let residential: f64 = recorded.iter().filter(|l| is_residential(&l.code)).map(|l| l.area_m2).sum();
    let others: f64 = recorded.iter().filter(|l| !is_residential(&l.code)).map(|l| l.area_m2).sum();
    let rest = new_area - residential;
    let explicit = |why: String| {
        Error::invalid(
            "/land_uses",
            format!("{why}; residential land is kept as recorded: give the land uses explicitly"),
        )
    };
    if rest < -area_tolerance(recorded.len()) {
        return Err(explicit(format!(
            "the new area of {what} ({new_area:.1} m²) is less than its recorded residential land ({residential:.1} m²)"
        )));
    }
    let uses: Vec<db::NewLandUse> = recorded
        .into_iter()
        .map(|l| {
            let area_m2 = if is_residential(&l.code) || others <= 0.0 {
                l.area_m2
            } else {
                (l.area_m2 / others * rest * 10.0).round() / 10.0
            };
            db::NewLandUse { area_m2, ..l }
        })
        .collect();
    if let Some(gone) = uses.iter().find(|l| l.area_m2 < 0.1) {
        return Err(explicit(format!(
            "the recorded residential land of {what} ({residential:.1} m²) leaves nothing of its new area \
             ({new_area:.1} m²) for {}",
            gone.code
        )));
    }
    Ok(uses)
}

/// The land uses of merged parcels: per code the areas summed with their term and origin (422
/// when the parcels disagree on them), then fitted to the merged area as a new boundary is.
fn combined_land_uses(recorded: &[Vec<db::NewLandUse>], new_area: f64) -> Result<Vec<db::NewLandUse>, Error> {
    let mut combined: Vec<db::NewLandUse> = Vec::new();
    for lu in recorded.iter().flatten() {
        let Some(c) = combined.iter_mut().find(|c| c.code == lu.code) else {
            combined.push(lu.clone());
            continue;
        };
        let differ = if c.use_until != lu.use_until {
            format!("different terms ({}, {})", term_text(c.use_until), term_text(lu.use_until))
        } else if c.origin != lu.origin {
            "different origins".to_string()
        } else {
            c.area_m2 += lu.area_m2;
            continue;
        };
        return Err(Error::invalid(
            "/land_uses",
            format!("the parcels record {} with {differ}: give the merged parcel's land uses explicitly", lu.code),
        ));
    }
    rescale_land_uses(combined, new_area, "the merged parcel")
}

/// The land uses of one part of a split: as stated, terms and origins carried from the parcel's
/// same code; omitted, the parcel's only land use over the whole part.
fn part_land_uses(
    inputs: Option<&[LandUseInput]>,
    recorded: &[db::NewLandUse],
    area: f64,
    national_id: &str,
) -> Result<Vec<db::NewLandUse>, Error> {
    match (inputs, recorded) {
        (Some(inputs), _) => {
            let mut uses = land_uses(inputs, area)?;
            carry_recorded(&mut uses, recorded)?;
            Ok(uses)
        }
        (None, [only]) => Ok(vec![db::NewLandUse { area_m2: area, ..only.clone() }]),
        (None, _) => Err(Error::invalid(
            "/land_uses",
            format!(
                "parcel {national_id} records {} land uses ({}): say which this part has",
                recorded.len(),
                recorded.iter().map(|l| l.code.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The national id to issue: the GeoHash of the interior point, or, when a parcel (current or
/// retired) already holds it, the first free alternative.
fn unused_national_id(conn: &mut PgConnection, measured: &MeasuredGeometry) -> Result<String, Error> {
    let taken = |conn: &mut PgConnection, id: &str| -> Result<bool, Error> {
        db::national_id_taken(conn, id).context_db("checking the national id")
    };
    if !taken(conn, &measured.national_id)? {
        return Ok(measured.national_id.clone());
    }
    for id in measured.alternative_national_ids(20) {
        if !taken(conn, &id)? {
            return Ok(id);
        }
    }
    Err(Error::Conflict { message: format!("no free national id near {}", measured.national_id), errors: vec![] })
}

/// Who a write is recorded against in the audit log.
pub struct Recorder<'a> {
    pub user_id: Option<i32>,
    pub name: &'a str,
}

impl<'a> From<&'a Actor> for Recorder<'a> {
    fn from(a: &'a Actor) -> Self {
        Recorder { user_id: Some(a.user_id), name: &a.username }
    }
}

fn check_numbers(req: &NewParcel) -> Result<(), Error> {
    if req.sheet <= 0 {
        return Err(Error::invalid("/sheet", "the map sheet number is a positive integer"));
    }
    if req.parcel <= 0 {
        return Err(Error::invalid("/parcel", "the parcel number is a positive integer"));
    }
    Ok(())
}

/// `POST /parcels`. One transaction: validate, measure, place, insert, audit.
pub fn create(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &NewParcel,
) -> Result<ParcelFeature, Error> {
    check_numbers(req)?;
    let (crs, geometry) = parse_geometry(req.crs.as_deref(), &req.geometry)?;
    conn.transaction(|conn| {
        let commune = resolve_commune(conn, &req.commune, "/commune")?;
        authorize(actor, Action::ParcelRegister, &commune.province_code)?;
        register(conn, settings, &actor.into(), &commune, req, crs, &geometry, false).map(|(_, view)| view)
    })
}

/// Registers a parcel inside the caller's transaction; returns its id and public view.
/// Used by `POST /parcels` and by the sample-data loader (which records itself as "seed").
#[allow(clippy::too_many_arguments)]
pub fn register(
    conn: &mut PgConnection,
    settings: &Settings,
    by: &Recorder,
    commune: &admin_units::UnitRow,
    req: &NewParcel,
    crs: Crs,
    geometry: &geo_types::MultiPolygon<f64>,
    synthetic: bool,
) -> Result<(i64, ParcelFeature), Error> {
    let registered = match &req.registered_commune {
        None => commune.clone(),
        Some(code) => admin_units::legacy_commune(conn, code)
            .context_db("finding the former commune")?
            .ok_or_else(|| Error::invalid("/registered_commune", format!("no pre-2025 commune has code '{code}'")))?,
    };
    let measured = measure(geometry, crs, area_zone(commune, geometry, crs)).map_err(geometry_error)?;
    let land_uses = land_uses(&req.land_uses, measured.legal_area_m2)?;
    // Two registrations in one commune are serialised: the second sees the first's parcel.
    lock_for_change(conn, commune.id, &[])?;
    check_placement(conn, settings, commune, &measured, &[])?;
    if !db::by_key(conn, &[registered.id], req.sheet, req.parcel).context_db("checking the parcel number")?.is_empty() {
        return Err(Error::Conflict {
            message: format!(
                "parcel {} on sheet {} of commune {} already exists",
                req.parcel, req.sheet, registered.code
            ),
            errors: vec![FieldError::pointer("/parcel", "this parcel number is taken on this sheet")],
        });
    }
    let national_id = unused_national_id(conn, &measured)?;
    let parcel_id = db::insert_parcel(conn, &national_id, &commune.province_code).map_err(|e| {
        let e = store::StoreError::from(e);
        if matches!(e, store::StoreError::Unique { .. }) {
            Error::Conflict {
                message: format!("national parcel id {national_id} is already issued"),
                errors: vec![FieldError::pointer("/geometry", "another parcel has the same interior point")],
            }
        } else {
            Error::db("inserting the parcel", e)
        }
    })?;
    db::insert_version(
        conn,
        parcel_id,
        1,
        &db::NewVersion {
            commune_id: commune.id,
            registered_commune_id: registered.id,
            sheet_no: req.sheet,
            parcel_no: req.parcel,
            geometry_wgs84: &measured.wgs84,
            source_crs_epsg: measured.source.epsg() as i32,
            legal_area_m2: measured.legal_area_m2,
            address: req.address.as_deref(),
            change_reason: "đăng ký lần đầu (first registration)",
            is_synthetic: synthetic,
            land_uses: &land_uses,
        },
    )
    .map_err(|e| foreign_key_or_db(e, "inserting the parcel version"))?;
    let created = db::current_by_national_id(conn, &national_id)
        .context_db("reading the parcel back")?
        .ok_or_else(|| anyhow::anyhow!("parcel vanished inside its own transaction"))?;
    let view = feature(&created);
    audit::append(
        conn,
        audit::AuditEntry {
            actor_id: by.user_id,
            actor: by.name,
            action: "parcel.create",
            entity: "parcel",
            entity_id: &national_id,
            before: None,
            after: Some(audit_json(&view)?),
        },
    )
    .context_db("writing the audit log")?;
    Ok((parcel_id, view))
}

/// Parses the geometry of a `NewParcel` (exposed for loaders that build requests themselves).
pub fn parse_new_parcel_geometry(req: &NewParcel) -> Result<(Crs, geo_types::MultiPolygon<f64>), Error> {
    check_numbers(req)?;
    parse_geometry(req.crs.as_deref(), &req.geometry)
}

/// The commune in force with this code, or a validation error at `pointer`.
pub fn resolve_commune(conn: &mut PgConnection, code: &str, pointer: &str) -> Result<admin_units::UnitRow, Error> {
    admin_units::current_commune(conn, code)
        .context_db("finding the commune")?
        .ok_or_else(|| Error::invalid(pointer, format!("no commune in force has code '{code}'")))
}

/// `PUT /parcels/{id}/geometry`: closes the current version and opens a new one.
pub fn replace_geometry(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    national_id: &str,
    req: &GeometryChange,
) -> Result<ParcelFeature, Error> {
    check_national_id(national_id)?;
    if req.reason.trim().is_empty() {
        return Err(Error::invalid("/reason", "say why the boundary changed"));
    }
    let (crs, geometry) = parse_geometry(req.crs.as_deref(), &req.geometry)?;
    conn.transaction(|conn| {
        let current = db::current_by_national_id(conn, national_id)
            .context_db("loading the parcel")?
            .ok_or_else(|| not_found(national_id))?;
        authorize(actor, Action::ParcelChangeGeometry, &current.province_code)?;
        let updated = new_boundary_version(
            conn,
            settings,
            &current,
            crs,
            &geometry,
            req.land_uses.as_deref(),
            req.reason.trim(),
            "",
        )?;
        let view = feature(&updated);
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "parcel.geometry.replace",
                entity: "parcel",
                entity_id: national_id,
                before: Some(audit_json(&feature(&current))?),
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

/// A boundary given in a request (`crs` + GeoJSON `geometry`), checked: pointers `{prefix}/crs`,
/// `{prefix}/geometry…`.
pub(crate) fn parse_boundary(
    prefix: &str,
    crs: Option<&str>,
    geometry: &Value,
) -> Result<(Crs, geo_types::MultiPolygon<f64>), Error> {
    parse_geometry(crs, geometry).map_err(|e| nest_pointers(prefix, e))
}

/// Moves each body pointer of an `Invalid` error under `prefix` (a boundary nested in a change).
fn nest_pointers(prefix: &str, e: Error) -> Error {
    match e {
        Error::Invalid(errors) => Error::Invalid(
            errors
                .into_iter()
                .map(|f| match f.location {
                    super::Location::Pointer(p) => {
                        FieldError { location: super::Location::Pointer(format!("{prefix}{p}")), ..f }
                    }
                    _ => f,
                })
                .collect(),
        ),
        e => e,
    }
}

/// Inside the caller's transaction: the parcel `current` gets a new version with this
/// boundary (measured, in its commune, overlapping no other parcel), its land uses rescaled or
/// as given; returns the new current version. A change after issuance (re-survey) and
/// `PUT /parcels/{id}/geometry` share it. `pointer` prefixes the land uses' pointers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_boundary_version(
    conn: &mut PgConnection,
    settings: &Settings,
    current: &db::ParcelRow,
    crs: Crs,
    geometry: &geo_types::MultiPolygon<f64>,
    land_uses_in: Option<&[LandUseInput]>,
    reason: &str,
    pointer: &str,
) -> Result<db::ParcelRow, Error> {
    let national_id = current.national_id.as_str();
    let commune =
        admin_units::current_commune(conn, &current.commune_code).context_db("finding the commune")?.ok_or_else(
            || anyhow::anyhow!("commune {} of parcel {national_id} is no longer in force", current.commune_code),
        )?;
    let measured = measure(geometry, crs, area_zone(&commune, geometry, crs))
        .map_err(|e| nest_pointers(pointer, geometry_error(e)))?;
    lock_for_change(conn, commune.id, &[current])?;
    check_placement(conn, settings, &commune, &measured, &[current.parcel_id])?;
    let recorded = db::land_uses_of_version(conn, current.version_id).context_db("loading the land uses")?;
    let land_uses = match land_uses_in {
        Some(inputs) => {
            let mut uses = land_uses(inputs, measured.legal_area_m2)?;
            carry_recorded(&mut uses, &recorded)?;
            uses
        }
        None => rescale_land_uses(recorded, measured.legal_area_m2, &format!("parcel {national_id}"))?,
    };
    let version = db::close_current_version(conn, current.parcel_id).context_db("closing the current version")?;
    db::insert_version(
        conn,
        current.parcel_id,
        version + 1,
        &db::NewVersion {
            commune_id: commune.id,
            registered_commune_id: current.registered_commune_id,
            sheet_no: current.sheet_no,
            parcel_no: current.parcel_no,
            geometry_wgs84: &measured.wgs84,
            source_crs_epsg: measured.source.epsg() as i32,
            legal_area_m2: measured.legal_area_m2,
            address: current.address.as_deref(),
            change_reason: reason,
            is_synthetic: false,
            land_uses: &land_uses,
        },
    )
    .map_err(|e| foreign_key_or_db(e, "inserting the new version"))?;
    db::current_by_national_id(conn, national_id)
        .context_db("reading the parcel back")?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("parcel vanished inside its own transaction")))
}

fn foreign_key_or_db(e: diesel::result::Error, context: &'static str) -> Error {
    match store::StoreError::from(e) {
        store::StoreError::ForeignKey { constraint: Some(c) } if c.contains("land_use") => {
            Error::invalid("/land_uses", "unknown land-use code (see the land_use_types reference table)")
        }
        e => Error::db(context, e),
    }
}

/// `POST /parcels/{id}/split` (tách thửa): the new parts must exactly partition the parcel.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    /// CRS of the parts' geometry (default CRS84).
    pub crs: Option<String>,
    pub parts: Vec<SplitPart>,
    pub reason: String,
    /// Id of the approved tách/hợp thửa dossier (procedure 1.012784) naming the parcel: the
    /// parts join its parcels, and `POST /dossiers/{id}/certificate` then issues a certificate
    /// for each part in one go.
    #[schema(minimum = 1)]
    pub dossier: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitPart {
    /// Map sheet of the new parcel (default: the old parcel's).
    pub sheet: Option<i32>,
    /// Its new parcel number.
    pub parcel: i32,
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// The part's land uses. Omitted: the parcel's only land use, with its term and origin
    /// (a parcel with several must say each part's).
    pub land_uses: Option<Vec<LandUseInput>>,
}

/// `POST /parcels/merge` (hợp thửa): adjacent parcels with the same holders become one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// National ids of the parcels to merge (two or more).
    pub parcels: Vec<String>,
    /// Map sheet of the merged parcel (default: the first parcel's).
    pub sheet: Option<i32>,
    /// Its new parcel number.
    pub parcel: i32,
    /// Land uses of the merged parcel. Omitted: those of the parcels summed per code, with
    /// their terms and origins, residential land (ODT, ONT) at its recorded area and the other
    /// uses sharing any difference of the measured area in proportion.
    pub land_uses: Option<Vec<LandUseInput>>,
    pub reason: String,
    /// Id of the approved tách/hợp thửa dossier (procedure 1.012784) naming every parcel
    /// merged: the merged parcel joins its parcels, and `POST /dossiers/{id}/certificate`
    /// then issues its certificate.
    #[schema(minimum = 1)]
    pub dossier: Option<i64>,
}

/// A stored parcel's geometry (WGS 84).
fn stored_geometry(row: &db::ParcelRow) -> Result<geo_types::MultiPolygon<f64>, Error> {
    let g: geojson::Geometry = serde_json::from_str(&row.geometry)
        .map_err(|e| anyhow::anyhow!("stored geometry of {}: {e}", row.national_id))?;
    Ok(parse_polygonal(&g).map_err(|e| anyhow::anyhow!("stored geometry of {}: {e}", row.national_id))?)
}

fn plane_of(row: &db::ParcelRow, zone: Tm3Zone) -> Result<geo_types::MultiPolygon<f64>, Error> {
    Crs::Vn2000(zone).from_wgs84(&stored_geometry(row)?).map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))
}

/// The plane a stored parcel is measured in: its survey's zone, else its province's.
fn zone_of(row: &db::ParcelRow, commune: &admin_units::UnitRow) -> Result<Tm3Zone, Error> {
    Ok(match Crs::from_epsg(row.source_crs_epsg as u32) {
        Some(Crs::Vn2000(z)) => z,
        _ => area_zone(commune, &stored_geometry(row)?, Crs::Wgs84),
    })
}

/// Tách thửa hoặc hợp thửa đất (DOMAIN §3): the procedure a split or merge made without a
/// dossier is checked against in the blocking table.
const SPLIT_MERGE_PROCEDURE: &str = "1.012784";

/// The approved tách/hợp thửa dossier a split or merge is made under (`dossier` in the body):
/// locked against a concurrent issuance, of the land's province, naming every parcel changed,
/// and with no certificate issued yet (the new parcels' certificates are issued through it).
fn split_merge_dossier(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    dossier_id: i64,
    parcels: &[&db::ParcelRow],
) -> Result<store::certificates::DossierRow, Error> {
    let dossier = store::certificates::dossier_for_issue(conn, dossier_id)
        .context_db("loading the dossier")?
        .ok_or_else(|| Error::invalid("/dossier", format!("no dossier has id {dossier_id}")))?;
    authorize(actor, action, &dossier.province_code)?;
    let outcome = store::restrictions::procedure_outcome(conn, &dossier.procedure_code)
        .context_db("loading the dossier's procedure")?;
    if outcome != Some(ProcedureOutcome::SplitMerge) {
        return Err(Error::invalid(
            "/dossier",
            format!(
                "dossier {} is of procedure {}, which does not split or merge parcels (e.g. {SPLIT_MERGE_PROCEDURE} does)",
                dossier.receipt_no, dossier.procedure_code
            ),
        ));
    }
    if let Some(p) = parcels.iter().find(|p| p.province_code != dossier.province_code) {
        return Err(Error::invalid(
            "/dossier",
            format!(
                "parcel {} lies in province {}, not in the dossier's province {}",
                p.national_id, p.province_code, dossier.province_code
            ),
        ));
    }
    if dossier.state != State::Approved {
        return Err(Error::Conflict {
            message: format!(
                "dossier {} is {}, not approved: parcels are split or merged under a dossier once it is approved",
                dossier.receipt_no, dossier.state
            ),
            errors: vec![FieldError::pointer("/dossier", "not approved")],
        });
    }
    let named = store::certificates::dossier_parcels(conn, dossier.id).context_db("loading the dossier's parcels")?;
    if let Some(p) = parcels.iter().find(|p| !named.contains(&p.parcel_id)) {
        return Err(Error::invalid(
            "/dossier",
            format!("dossier {} does not name parcel {}", dossier.receipt_no, p.national_id),
        ));
    }
    if let Some(serial) =
        store::certificates::serial_of_dossier(conn, dossier.id).context_db("looking for the dossier's certificates")?
    {
        return Err(Error::Conflict {
            message: format!(
                "dossier {} has already issued its certificates ({serial}): its parcels cannot change under it any more",
                dossier.receipt_no
            ),
            errors: vec![FieldError::pointer("/dossier", "already issued")],
        });
    }
    Ok(dossier)
}

/// Registers one new parcel born of a split or merge. The old right continues on it *pending
/// certificate*: same holders and shares, registered by the dossier (if any) and pointing at the
/// right it continues, with no certificate until the dossier issues one.
#[allow(clippy::too_many_arguments)]
fn register_successor(
    conn: &mut PgConnection,
    commune: &admin_units::UnitRow,
    sheet: i32,
    parcel: i32,
    measured: &MeasuredGeometry,
    land_uses: &[db::NewLandUse],
    reason: &str,
    right: Option<&rights::CurrentRight>,
    dossier_id: Option<i64>,
) -> Result<(i64, ParcelFeature), Error> {
    if !db::by_key(conn, &[commune.id], sheet, parcel).context_db("checking the parcel number")?.is_empty() {
        return Err(Error::Conflict {
            message: format!("parcel {parcel} on sheet {sheet} of commune {} already exists", commune.code),
            errors: vec![FieldError::pointer("/parcel", "this parcel number is taken on this sheet")],
        });
    }
    let national_id = unused_national_id(conn, measured)?;
    let parcel_id = db::insert_parcel(conn, &national_id, &commune.province_code).map_err(|e| {
        let e = store::StoreError::from(e);
        if matches!(e, store::StoreError::Unique { .. }) {
            Error::Conflict { message: format!("national parcel id {national_id} is already issued"), errors: vec![] }
        } else {
            Error::db("inserting the parcel", e)
        }
    })?;
    db::insert_version(
        conn,
        parcel_id,
        1,
        &db::NewVersion {
            commune_id: commune.id,
            registered_commune_id: commune.id,
            sheet_no: sheet,
            parcel_no: parcel,
            geometry_wgs84: &measured.wgs84,
            source_crs_epsg: measured.source.epsg() as i32,
            legal_area_m2: measured.legal_area_m2,
            address: None,
            change_reason: reason,
            is_synthetic: false,
            land_uses,
        },
    )
    .map_err(|e| foreign_key_or_db(e, "inserting the parcel version"))?;
    if let Some(rights::CurrentRight { id, use_form, shares, .. }) = right {
        let rrr = rights::insert_use_right_from(conn, parcel_id, use_form, reason, dossier_id, Some(*id))
            .context_db("moving the use right")?;
        for (party, share) in shares {
            rights::insert_share(conn, rrr, *party, *share).context_db("moving the shares")?;
        }
    }
    if let Some(d) = dossier_id {
        store::dossiers::link_parcel(conn, d, &national_id).context_db("adding the parcel to the dossier")?;
    }
    let row = db::current_by_national_id(conn, &national_id)
        .context_db("reading the parcel back")?
        .ok_or_else(|| anyhow::anyhow!("parcel vanished inside its own transaction"))?;
    Ok((parcel_id, feature(&row)))
}

/// Splits a parcel: the old one is retired, its right ended (its valid certificate revoked),
/// each part registered with the old holders pending certificate and its own copy of every
/// restriction in force (restrictions follow the land). Under a tách/hợp thửa dossier the parts
/// join the dossier, which then issues their certificates. One transaction, audited.
pub fn split(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    national_id: &str,
    req: &SplitRequest,
) -> Result<SplitResult, Error> {
    check_national_id(national_id)?;
    if req.parts.len() < 2 {
        return Err(Error::invalid("/parts", "a split needs at least two parts"));
    }
    if req.reason.trim().is_empty() {
        return Err(Error::invalid("/reason", "say why the parcel is split"));
    }
    let mut geometries = Vec::with_capacity(req.parts.len());
    let mut crs = Crs::Wgs84;
    for (i, part) in req.parts.iter().enumerate() {
        let (c, g) =
            parse_geometry(req.crs.as_deref(), &part.geometry).map_err(|e| repoint(e, &format!("/parts/{i}")))?;
        crs = c;
        geometries.push(g);
    }
    conn.transaction(|conn| {
        let old = db::current_by_national_id(conn, national_id)
            .context_db("loading the parcel")?
            .ok_or_else(|| not_found(national_id))?;
        authorize(actor, Action::ParcelSplit, &old.province_code)?;
        let dossier = match req.dossier {
            Some(id) => Some(split_merge_dossier(conn, actor, Action::ParcelSplit, id, &[&old])?),
            None => None,
        };
        let commune = resolve_commune(conn, &old.commune_code, "/commune")?;
        let zone = match crs {
            Crs::Vn2000(z) => z,
            Crs::Wgs84 => zone_of(&old, &commune)?,
        };
        let recorded = db::land_uses_of_version(conn, old.version_id).context_db("loading the land uses")?;
        let mut measured = Vec::new();
        let mut planar_parts = Vec::new();
        let mut uses = Vec::new();
        for (i, (g, part)) in geometries.iter().zip(&req.parts).enumerate() {
            let m = measure(g, crs, zone).map_err(|e| repoint(geometry_error(e), &format!("/parts/{i}")))?;
            planar_parts.push(
                Crs::Vn2000(zone)
                    .from_wgs84(&m.wgs84)
                    .map_err(|e| Error::invalid(format!("/parts/{i}/geometry"), e.to_string()))?,
            );
            uses.push(
                part_land_uses(part.land_uses.as_deref(), &recorded, m.legal_area_m2, national_id)
                    .map_err(|e| repoint(e, &format!("/parts/{i}")))?,
            );
            measured.push(m);
        }
        let old_plane = plane_of(&old, zone)?;
        let partition = checks::partition(&old_plane, &planar_parts, settings.sliver_tolerance_m2);
        if partition.outcome == checks::Outcome::Fail {
            return Err(Error::Invalid(vec![FieldError::pointer("/parts", partition.message.clone())
                .with_detail(json!({"measured_m2": partition.measured, "threshold_m2": partition.threshold}))]));
        }
        let table = super::checks::load_min_split_areas(conn)?;
        let split_request = checks::SplitRequest {
            province_code: old.province_code.clone(),
            parts: req
                .parts
                .iter()
                .zip(&planar_parts)
                .zip(&uses)
                .map(|((p, g), u)| checks::SplitPart {
                    id: p.parcel.to_string(),
                    land_category: u.first().map(|l| l.code.clone()).unwrap_or_default(),
                    geometry: g.clone(),
                    frontage_m: None,
                })
                .collect(),
        };
        let minimum = checks::split_parts_above_minimum(&split_request, &table);
        if minimum.outcome == checks::Outcome::Fail {
            return Err(Error::Invalid(vec![FieldError::pointer("/parts", minimum.message.clone())
                .with_detail(json!({"threshold_source": minimum.threshold_source}))]));
        }
        lock_for_change(conn, commune.id, &[&old])?;
        // A seizure, a court measure, an accepted dispute… stop a split (blocking table, R7.2).
        let procedure = dossier.as_ref().map_or(SPLIT_MERGE_PROCEDURE, |d| d.procedure_code.as_str());
        super::restrictions::ensure_unblocked(conn, old.parcel_id, procedure, dossier.as_ref().map(|d| d.id))?;
        for (i, m) in measured.iter().enumerate() {
            check_placement(conn, settings, &commune, m, &[old.parcel_id])
                .map_err(|e| repoint(e, &format!("/parts/{i}")))?;
        }
        let right = rights::current_use_right(conn, old.parcel_id).context_db("loading the use right")?;
        let reason = format!(
            "tách thửa từ thửa {} tờ {} ({}): {}{}",
            old.parcel_no,
            old.sheet_no,
            old.national_id,
            req.reason.trim(),
            dossier.as_ref().map(|d| format!(" (hồ sơ {})", d.receipt_no)).unwrap_or_default()
        );
        // Ending the right revokes its valid certificate: that takes the approver role.
        let revoked = match &right {
            Some(r) => super::certificates::to_revoke(conn, actor, r.id)?,
            None => None,
        };
        db::retire(conn, old.parcel_id).context_db("retiring the parcel")?;
        if let Some(r) = &right {
            rights::end_right(conn, r.id, &reason).context_db("ending the use right")?;
        }
        if let Some(certificate) = &revoked {
            super::certificates::audit_revoked(conn, actor, certificate, &reason)?;
        }
        let mut created = Vec::new();
        let mut part_ids = Vec::new();
        for (i, ((part, m), uses)) in req.parts.iter().zip(&measured).zip(&uses).enumerate() {
            let (id, view) = register_successor(
                conn,
                &commune,
                part.sheet.unwrap_or(old.sheet_no),
                part.parcel,
                m,
                uses,
                &reason,
                right.as_ref(),
                dossier.as_ref().map(|d| d.id),
            )
            .map_err(|e| repoint(e, &format!("/parts/{i}")))?;
            part_ids.push(id);
            created.push(view);
        }
        // Restrictions follow the land: a mortgage on the parcel binds every part.
        let carried = store::restrictions::carry(conn, &[old.parcel_id], &part_ids, &reason)
            .context_db("carrying the restrictions to the parts")?;
        let result = SplitResult {
            retired: old.national_id.clone(),
            parcels: created,
            dossier: dossier.map(|d| d.receipt_no),
            restrictions_carried: carried,
        };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "parcel.split",
                entity: "parcel",
                entity_id: national_id,
                before: Some(audit_json(&feature(&old))?),
                after: Some(audit_json(&result)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(result)
    })
}

/// Merges adjacent parcels with the same holders into one: the old rights end (their valid
/// certificates revoked), the merged parcel gets the holders pending certificate, the land uses
/// with their terms and origins, and a copy of every restriction in force on any of the parcels.
/// Under a tách/hợp thửa dossier the merged parcel joins it. One transaction, audited.
pub fn merge(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &MergeRequest,
) -> Result<MergeResult, Error> {
    use geo::BooleanOps;
    let mut ids = req.parcels.clone();
    ids.sort();
    ids.dedup();
    if ids.len() < 2 {
        return Err(Error::invalid("/parcels", "name two or more different parcels"));
    }
    for id in &ids {
        check_national_id(id).map_err(|_| Error::invalid("/parcels", format!("'{id}' is not a national parcel id")))?;
    }
    if req.reason.trim().is_empty() {
        return Err(Error::invalid("/reason", "say why the parcels are merged"));
    }
    conn.transaction(|conn| {
        let mut rows = Vec::new();
        for id in &ids {
            rows.push(
                db::current_by_national_id(conn, id)
                    .context_db("loading the parcel")?
                    .ok_or_else(|| Error::invalid("/parcels", format!("no current parcel has national id '{id}'")))?,
            );
        }
        if rows.iter().any(|r| r.commune_code != rows[0].commune_code) {
            return Err(Error::invalid("/parcels", "the parcels lie in different communes"));
        }
        authorize_all(actor, Action::ParcelMerge, rows.iter().map(|r| r.province_code.as_str()))?;
        let dossier = match req.dossier {
            Some(id) => {
                Some(split_merge_dossier(conn, actor, Action::ParcelMerge, id, &rows.iter().collect::<Vec<_>>())?)
            }
            None => None,
        };
        let commune = resolve_commune(conn, &rows[0].commune_code, "/parcels")?;
        let zone = zone_of(&rows[0], &commune)?;
        let mut union = plane_of(&rows[0], zone)?;
        for r in &rows[1..] {
            union = union.union(&plane_of(r, zone)?);
        }
        if union.0.len() != 1 {
            return Err(Error::invalid(
                "/parcels",
                format!("the parcels are not adjacent: their union has {} separate parts", union.0.len()),
            ));
        }
        // Holders must be the same people with the same shares.
        let mut rights_of = Vec::new();
        for r in &rows {
            rights_of.push(rights::current_use_right(conn, r.parcel_id).context_db("loading the use right")?);
        }
        let holders = |x: &Option<rights::CurrentRight>| {
            x.as_ref().map(|r| r.shares.iter().map(|(p, sh)| (*p, (sh * 1e8).round() as i64)).collect::<Vec<_>>())
        };
        if rights_of.iter().any(|r| holders(r) != holders(&rights_of[0])) {
            return Err(Error::invalid(
                "/parcels",
                "the parcels have different holders or shares; merge only parcels of the same holders",
            ));
        }
        let measured = measure(&union, Crs::Vn2000(zone), zone).map_err(geometry_error)?;
        let all_ids: Vec<i64> = rows.iter().map(|r| r.parcel_id).collect();
        lock_for_change(conn, commune.id, &rows.iter().collect::<Vec<_>>())?;
        let procedure = dossier.as_ref().map_or(SPLIT_MERGE_PROCEDURE, |d| d.procedure_code.as_str());
        for r in &rows {
            super::restrictions::ensure_unblocked(conn, r.parcel_id, procedure, dossier.as_ref().map(|d| d.id))?;
        }
        check_placement(conn, settings, &commune, &measured, &all_ids)?;
        let mut recorded = Vec::new();
        for r in &rows {
            recorded.push(db::land_uses_of_version(conn, r.version_id).context_db("loading the land uses")?);
        }
        let uses = match &req.land_uses {
            Some(inputs) => {
                let mut uses = land_uses(inputs, measured.legal_area_m2)?;
                carry_recorded(&mut uses, &recorded.concat())?;
                uses
            }
            None => combined_land_uses(&recorded, measured.legal_area_m2)?,
        };
        let reason = format!(
            "hợp thửa {}: {}{}",
            ids.join(", "),
            req.reason.trim(),
            dossier.as_ref().map(|d| format!(" (hồ sơ {})", d.receipt_no)).unwrap_or_default()
        );
        // Ending the rights revokes their valid certificates: that takes the approver role.
        let mut revoked = Vec::new();
        for right in rights_of.iter().flatten() {
            revoked.extend(super::certificates::to_revoke(conn, actor, right.id)?);
        }
        for (r, right) in rows.iter().zip(&rights_of) {
            db::retire(conn, r.parcel_id).context_db("retiring a parcel")?;
            if let Some(right) = right {
                rights::end_right(conn, right.id, &reason).context_db("ending a use right")?;
            }
        }
        for certificate in &revoked {
            super::certificates::audit_revoked(conn, actor, certificate, &reason)?;
        }
        let (merged_id, merged) = register_successor(
            conn,
            &commune,
            req.sheet.unwrap_or(rows[0].sheet_no),
            req.parcel,
            &measured,
            &uses,
            &reason,
            rights_of[0].as_ref(),
            dossier.as_ref().map(|d| d.id),
        )?;
        let carried = store::restrictions::carry(conn, &all_ids, &[merged_id], &reason)
            .context_db("carrying the restrictions to the merged parcel")?;
        let result = MergeResult {
            retired: ids,
            parcel: merged,
            dossier: dossier.map(|d| d.receipt_no),
            restrictions_carried: carried,
        };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "parcel.merge",
                entity: "parcel",
                entity_id: &result.parcel.id,
                before: Some(audit_json(&rows.iter().map(feature).collect::<Vec<_>>())?),
                after: Some(audit_json(&result)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(result)
    })
}

/// Prefixes the pointers of a validation error with where the sub-document sits.
fn repoint(e: Error, prefix: &str) -> Error {
    let fix = |mut errors: Vec<FieldError>| {
        for f in &mut errors {
            if let super::Location::Pointer(p) = &mut f.location {
                *p = format!("{prefix}{p}");
            }
        }
        errors
    };
    match e {
        Error::Invalid(errors) => Error::Invalid(fix(errors)),
        Error::BadRequest(errors) => Error::BadRequest(fix(errors)),
        Error::Conflict { message, errors } => Error::Conflict { message, errors: fix(errors) },
        other => other,
    }
}
