//! Bulk import of a survey delivery (dữ liệu đo đạc địa chính): which attribute of a feature
//! holds the sheet, parcel number, land use, area and address; how those values are read; the
//! source CRS a file declares; and why a feature is rejected. The geometry rules are those of a
//! single registration (`geometry`, `parcel::measure`); this module adds only what a file brings.

use std::collections::BTreeMap;
use std::fmt;

use geo_types::{Coord, MultiPolygon};

use crate::crs::{Crs, TM3_ZONES};
use crate::parcel::is_land_use_code;

/// What an attribute means to the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Tờ bản đồ số.
    Sheet,
    /// Thửa đất số.
    Parcel,
    /// Mã loại đất (mục đích sử dụng).
    LandUse,
    /// Diện tích as the surveyor declared it (m²).
    Area,
    /// Địa chỉ thửa đất.
    Address,
}

impl Target {
    pub const ALL: [Target; 5] = [Target::Sheet, Target::Parcel, Target::LandUse, Target::Area, Target::Address];

    /// The name used in `--map sheet=FIELD,…` and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::Sheet => "sheet",
            Target::Parcel => "parcel",
            Target::LandUse => "land_use",
            Target::Area => "area",
            Target::Address => "address",
        }
    }

    fn parse(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Without sheet, parcel number and land use a feature cannot be registered; a declared
    /// area is checked when there is one, an address kept when there is one.
    pub const fn required(self) -> bool {
        matches!(self, Target::Sheet | Target::Parcel | Target::LandUse)
    }
}

/// Field names common in deliveries, tried in this order, case-insensitively. Shapefiles cut
/// names to 10 characters, so the cut forms are listed too. Data, not logic: extend freely.
pub const DEFAULT_FIELDS: &[(Target, &[&str])] = &[
    (Target::Sheet, &["SoTo", "SHBANDO", "so_to", "SoHieuToBanDo", "SoHieuToBa", "SHToBanDo", "ToBanDo", "to_ban_do"]),
    (Target::Parcel, &["SoThua", "SHTHUA", "so_thua", "SoThuTuThua", "SoThuTuThu", "ThuaDat", "thua"]),
    (Target::LandUse, &["LoaiDat", "MucDich", "KHLOAIDAT", "loai_dat", "MaLoaiDat", "MucDichSD", "muc_dich"]),
    (Target::Area, &["DienTich", "dien_tich", "DienTichPL", "DienTichPhapLy", "DienTichPh", "DTPL"]),
    (Target::Address, &["DiaChi", "dia_chi", "DiaChiThua"]),
];

/// A problem with the field mapping (`--map`, or what the file offers).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("'{0}' is not of the form target=FIELD (targets: sheet, parcel, land_use, area, address)")]
    Syntax(String),
    #[error("unknown target '{0}' (targets: sheet, parcel, land_use, area, address)")]
    UnknownTarget(String),
    #[error("'{0}' is mapped twice")]
    Twice(String),
    #[error("the file has no field '{field}' (mapped to {target}); its fields are: {available}")]
    NoSuchField { target: &'static str, field: String, available: String },
    #[error("no field for {target}: none of {tried} is in the file (its fields are: {available}); name it with --map {target}=FIELD")]
    Missing { target: &'static str, tried: String, available: String },
}

/// Which source field feeds each target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap(pub BTreeMap<Target, String>);

impl FieldMap {
    /// Parses `sheet=SoTo,parcel=SoThua,…` (spaces around names ignored).
    pub fn parse_overrides(text: &str) -> Result<FieldMap, MappingError> {
        let mut map = BTreeMap::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (target, field) = item.split_once('=').ok_or_else(|| MappingError::Syntax(item.to_string()))?;
            let (target, field) = (target.trim(), field.trim());
            if field.is_empty() {
                return Err(MappingError::Syntax(item.to_string()));
            }
            let t = Target::parse(target).ok_or_else(|| MappingError::UnknownTarget(target.to_string()))?;
            if map.insert(t, field.to_string()).is_some() {
                return Err(MappingError::Twice(target.to_string()));
            }
        }
        Ok(FieldMap(map))
    }

    /// The mapping for a file with `fields`: the overrides (each must exist in the file), then
    /// for every other target the first default name the file has. Required targets must be found.
    pub fn resolve(fields: &[String], overrides: &FieldMap) -> Result<FieldMap, MappingError> {
        let available = || fields.join(", ");
        let find = |name: &str| fields.iter().find(|f| f.eq_ignore_ascii_case(name)).cloned();
        let mut map = BTreeMap::new();
        for (target, names) in DEFAULT_FIELDS {
            let found = match overrides.0.get(target) {
                Some(field) => Some(find(field).ok_or_else(|| MappingError::NoSuchField {
                    target: target.as_str(),
                    field: field.clone(),
                    available: available(),
                })?),
                None => names.iter().find_map(|n| find(n)),
            };
            match found {
                Some(f) => {
                    map.insert(*target, f);
                }
                None if target.required() => {
                    return Err(MappingError::Missing {
                        target: target.as_str(),
                        tried: names.join(", "),
                        available: available(),
                    })
                }
                None => {}
            }
        }
        Ok(FieldMap(map))
    }

    pub fn field(&self, target: Target) -> Option<&str> {
        self.0.get(&target).map(String::as_str)
    }

    /// `{"sheet": "SoTo", …}`, for the job record and the audit entry.
    pub fn to_json(&self) -> serde_json::Value {
        self.0.iter().map(|(t, f)| (t.as_str().to_string(), serde_json::Value::String(f.clone()))).collect()
    }
}

/// The register's fields of one feature, read from its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    pub sheet: i32,
    pub parcel: i32,
    pub land_use: String,
    pub declared_area_m2: Option<f64>,
    pub address: Option<String>,
}

/// Reads a feature's attributes through the mapping. Numbers may come as numbers or text (a
/// decimal comma is accepted, as Vietnamese software writes it). The errors are reasons.
pub fn read_attributes(
    map: &FieldMap,
    properties: &serde_json::Map<String, serde_json::Value>,
) -> Result<Attributes, Vec<Rejection>> {
    let value = |t: Target| map.field(t).and_then(|f| properties.get(f)).filter(|v| !v.is_null());
    let mut problems = Vec::new();
    let mut positive_int = |t: Target, what: &str| -> i32 {
        let field = map.field(t).unwrap_or("?");
        match value(t).map(as_number) {
            Some(Some(n)) if n.fract() == 0.0 && n >= 1.0 && n <= i32::MAX as f64 => n as i32,
            Some(_) => {
                problems.push(Rejection::attribute(format!("{what} ({field}) is not a positive whole number")));
                0
            }
            None => {
                problems.push(Rejection::attribute(format!("{what} ({field}) is empty")));
                0
            }
        }
    };
    let sheet = positive_int(Target::Sheet, "the map sheet number");
    let parcel = positive_int(Target::Parcel, "the parcel number");
    let land_use = match value(Target::LandUse).map(as_text) {
        Some(code) if is_land_use_code(code.trim().to_ascii_uppercase().as_str()) => code.trim().to_ascii_uppercase(),
        Some(code) => {
            problems.push(Rejection::attribute(format!(
                "the land-use code '{code}' is not three letters (e.g. ODT); one purpose per feature"
            )));
            String::new()
        }
        None => {
            problems.push(Rejection::attribute("the land-use code is empty".to_string()));
            String::new()
        }
    };
    let declared_area_m2 = match value(Target::Area).map(as_number) {
        None => None,
        Some(Some(a)) if a.is_finite() && a > 0.0 => Some(a),
        Some(_) => {
            problems.push(Rejection::attribute("the declared area is not a positive number".to_string()));
            None
        }
    };
    let address = value(Target::Address).map(as_text).map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if problems.is_empty() {
        Ok(Attributes { sheet, parcel, land_use, declared_area_m2, address })
    } else {
        Err(problems)
    }
}

fn as_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A declared area may differ from the legal area measured in the VN-2000 plane by the
/// rounding of printed areas (0.05 m² per figure) — the allowance `POST /parcels` gives a
/// land use's stated area against the parcel's (`service::parcels::area_tolerance` for one use).
pub const DECLARED_AREA_TOLERANCE_M2: f64 = 0.1;

/// The declared area against the measured legal area.
pub fn check_declared_area(declared_m2: f64, legal_area_m2: f64) -> Result<(), Rejection> {
    // Both are tenths of m²: the epsilon keeps 600.1 − 600.0 (0.1000…02 in binary) inside.
    if (declared_m2 - legal_area_m2).abs() > DECLARED_AREA_TOLERANCE_M2 + 1e-9 {
        return Err(Rejection {
            code: RejectionCode::AreaMismatch,
            message: format!(
                "the declared area is {declared_m2:.1} m² but the parcel measures {legal_area_m2:.1} m² in the VN-2000 plane (allowed ±{DECLARED_AREA_TOLERANCE_M2} m²)"
            ),
        });
    }
    Ok(())
}

/// Why a feature was not loaded (one feature may have several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionCode {
    /// Not a polygon, not OGC-valid (a bow-tie), too many vertices, outside Vietnam.
    InvalidGeometry,
    /// A mapped attribute is missing or unreadable.
    Attribute,
    /// The land-use code is not in the catalogue.
    UnknownLandUse,
    AreaMismatch,
    OutsideCommune,
    /// Outside the commune in the declared zone, inside it when read in another TM-3 zone.
    WrongZone,
    OverlapsRegister,
    OverlapsDelivery,
    DuplicateInRegister,
    DuplicateInDelivery,
    /// Every candidate national id near the interior point is already issued.
    NationalIdTaken,
}

impl RejectionCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectionCode::InvalidGeometry => "invalid_geometry",
            RejectionCode::Attribute => "attribute",
            RejectionCode::UnknownLandUse => "unknown_land_use",
            RejectionCode::AreaMismatch => "area_mismatch",
            RejectionCode::OutsideCommune => "outside_commune",
            RejectionCode::WrongZone => "wrong_zone",
            RejectionCode::OverlapsRegister => "overlaps_register",
            RejectionCode::OverlapsDelivery => "overlaps_delivery",
            RejectionCode::DuplicateInRegister => "duplicate_in_register",
            RejectionCode::DuplicateInDelivery => "duplicate_in_delivery",
            RejectionCode::NationalIdTaken => "national_id_taken",
        }
    }
}

/// One reason, with its code.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub code: RejectionCode,
    pub message: String,
}

impl Rejection {
    pub fn new(code: RejectionCode, message: impl Into<String>) -> Self {
        Rejection { code, message: message.into() }
    }
    fn attribute(message: String) -> Self {
        Rejection { code: RejectionCode::Attribute, message }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The CRS a file declares is not one a delivery may be in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the file's CRS is not a VN-2000 TM-3 zone or WGS 84 ({0}); give the zone with --crs EPSG:…")]
pub struct UnsupportedSourceCrs(pub String);

/// VN-2000's datum shift as PROJ prints it for the EPSG TM-3 zones (`+towgs84`, position
/// vector convention), to tell a VN-2000 definition from a TM-3 drawn on WGS 84.
const VN2000_TOWGS84: [f64; 7] =
    [-191.90441429, -39.30318279, -111.45032835, 0.00928836, -0.01975479, 0.00427372, 0.252906278];

/// The CRS of a file from its PROJ.4 definition (`gdalsrsinfo -o proj4`): a transverse Mercator
/// with k = 0.9999, FE 500 000, FN 0 on the WGS 84 ellipsoid is the TM-3 zone of its central
/// meridian — recognised by its parameters, as contractors' `.prj` files seldom carry an EPSG
/// code; a datum shift, if stated, must be VN-2000's. Longitude/latitude on WGS 84 is WGS 84.
pub fn crs_from_proj4(proj4: &str) -> Result<Crs, UnsupportedSourceCrs> {
    let unsupported = || UnsupportedSourceCrs(proj4.trim().to_string());
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    for token in proj4.split_whitespace() {
        let token = token.trim_start_matches('+');
        let (k, v) = token.split_once('=').unwrap_or((token, ""));
        params.insert(k, v);
    }
    let num = |k: &str| params.get(k).and_then(|v| v.parse::<f64>().ok());
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
    let towgs84: Option<Vec<f64>> =
        params.get("towgs84").map(|v| v.split(',').filter_map(|x| x.parse::<f64>().ok()).collect());
    let wgs84_ellipsoid = params.get("ellps") == Some(&"WGS84") || params.get("datum") == Some(&"WGS84");
    let no_shift = towgs84.as_ref().is_none_or(|t| t.iter().all(|x| *x == 0.0));
    match params.get("proj").copied() {
        Some("longlat") if wgs84_ellipsoid && no_shift => Ok(Crs::Wgs84),
        Some("tmerc") => {
            let vn2000_shift = towgs84
                .as_ref()
                .is_some_and(|t| t.len() == 7 && t.iter().zip(VN2000_TOWGS84).all(|(a, b)| (a - b).abs() < 1e-6));
            // A TM-3 with `+datum=WGS84` is a zone drawn on WGS 84, about 100–300 m from VN-2000.
            let datum_ok = params.get("ellps") == Some(&"WGS84") && (towgs84.is_none() || vn2000_shift);
            let units_ok = params.get("units").is_none_or(|u| *u == "m");
            if !(datum_ok
                && units_ok
                && close(num("k").or(num("k_0")), 0.9999)
                && close(num("x_0"), 500_000.0)
                && close(num("y_0").or(Some(0.0)), 0.0)
                && close(num("lat_0").or(Some(0.0)), 0.0))
            {
                return Err(unsupported());
            }
            let cm = num("lon_0").ok_or_else(unsupported)?;
            // EPSG:5899 and the 9205–9218 series share no meridian except 5897/105°: take the
            // provincial series first, as `nearest_zone` does.
            TM3_ZONES
                .iter()
                .filter(|z| (z.central_meridian - cm).abs() < 1e-9)
                .min_by_key(|z| if z.epsg >= 9205 || z.epsg == 5897 { 0 } else { 1 })
                .map(|z| Crs::Vn2000(*z))
                .ok_or_else(unsupported)
        }
        _ => Err(unsupported()),
    }
}

/// How an import treats rejected features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One rejection and nothing is loaded.
    AllOrNothing,
    /// The good features are loaded, the rejected ones reported.
    LoadValid,
}

impl Mode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::AllOrNothing => "all_or_nothing",
            Mode::LoadValid => "load_valid",
        }
    }
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "all_or_nothing" => Some(Mode::AllOrNothing),
            "load_valid" => Some(Mode::LoadValid),
            _ => None,
        }
    }
}

/// Pairs of features (by index) whose interiors overlap by more than `tolerance_m2`, with the
/// overlap's area, all in the VN-2000 plane (m²). Candidates come from an R-tree of bounding
/// boxes; neighbours that share an edge — nearly all candidates in a clean delivery — give an
/// empty intersection. Convex lots (most are) are clipped one by the other (Sutherland–Hodgman,
/// exact for a convex clip), other shapes intersected by geo's boolean operations.
pub fn overlapping_pairs(features: &[MultiPolygon<f64>], tolerance_m2: f64) -> Vec<(usize, usize, f64)> {
    use geo::BoundingRect;
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::{RTree, AABB};
    let convex: Vec<Option<Vec<Coord<f64>>>> = features.iter().map(convex_ring).collect();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = features
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let r = f.bounding_rect()?;
            Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let mut pairs = Vec::new();
    for b in &boxes {
        let i = b.data;
        let envelope = AABB::from_corners(b.geom().lower(), b.geom().upper());
        for other in tree.locate_in_envelope_intersecting(&envelope) {
            let j = other.data;
            if j <= i {
                continue;
            }
            let area = match (&convex[i], &convex[j]) {
                (Some(a), Some(c)) => clipped_area(a, c),
                _ => {
                    use geo::{Area, BooleanOps};
                    features[i].intersection(&features[j]).unsigned_area()
                }
            };
            if area > tolerance_m2 {
                pairs.push((i, j, area));
            }
        }
    }
    pairs
}

/// The exterior of a one-part, hole-free, convex polygon, counter-clockwise and open (no
/// repeated closing point); None for any other shape.
fn convex_ring(mp: &MultiPolygon<f64>) -> Option<Vec<Coord<f64>>> {
    let [p] = mp.0.as_slice() else { return None };
    if !p.interiors().is_empty() {
        return None;
    }
    let mut ring: Vec<Coord<f64>> = p.exterior().0.clone();
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring.dedup();
    if ring.len() < 3 {
        return None;
    }
    let n = ring.len();
    let cross = |i: usize| {
        let (a, b, c) = (ring[i], ring[(i + 1) % n], ring[(i + 2) % n]);
        (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)
    };
    let (mut left, mut right) = (false, false);
    for i in 0..n {
        let c = cross(i);
        left |= c > 0.0;
        right |= c < 0.0;
    }
    match (left, right) {
        (true, false) => Some(ring),
        (false, true) => {
            ring.reverse();
            Some(ring)
        }
        _ => None,
    }
}

/// Area of the intersection of two convex counter-clockwise rings: `subject` clipped by each
/// edge of `clip` in turn.
fn clipped_area(subject: &[Coord<f64>], clip: &[Coord<f64>]) -> f64 {
    let mut out: Vec<Coord<f64>> = subject.to_vec();
    let n = clip.len();
    for k in 0..n {
        if out.is_empty() {
            return 0.0;
        }
        let (a, b) = (clip[k], clip[(k + 1) % n]);
        let side = |p: Coord<f64>| (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        let input = std::mem::take(&mut out);
        for (i, &p) in input.iter().enumerate() {
            let q = input[(i + 1) % input.len()];
            let (sp, sq) = (side(p), side(q));
            if sp >= 0.0 {
                out.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                out.push(Coord { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) });
            }
        }
    }
    let m = out.len();
    (0..m).map(|i| out[i].x * out[(i + 1) % m].y - out[(i + 1) % m].x * out[i].y).sum::<f64>().abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;
    use serde_json::json;

    fn fields(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn props(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_cover_common_deliveries() {
        let cases: &[(&[&str], [&str; 3])] = &[
            (&["SoTo", "SoThua", "LoaiDat", "DienTich", "DiaChi"], ["SoTo", "SoThua", "LoaiDat"]),
            (&["SHBANDO", "SHTHUA", "KHLOAIDAT", "DIENTICH"], ["SHBANDO", "SHTHUA", "KHLOAIDAT"]),
            (&["so_to", "so_thua", "MucDich", "dien_tich"], ["so_to", "so_thua", "MucDich"]),
        ];
        for (names, [sheet, parcel, land_use]) in cases {
            let map = FieldMap::resolve(&fields(names), &FieldMap::default()).unwrap();
            assert_eq!(map.field(Target::Sheet), Some(*sheet));
            assert_eq!(map.field(Target::Parcel), Some(*parcel));
            assert_eq!(map.field(Target::LandUse), Some(*land_use));
        }
        let map = FieldMap::resolve(&fields(&["SHBANDO", "SHTHUA", "KHLOAIDAT", "DIENTICH"]), &FieldMap::default());
        assert_eq!(map.unwrap().field(Target::Area), Some("DIENTICH"), "case-insensitive, the file's spelling kept");
    }

    #[test]
    fn overrides_win_and_must_exist() {
        let o = FieldMap::parse_overrides("sheet = TO, parcel=THUA ,land_use=LD").unwrap();
        let map = FieldMap::resolve(&fields(&["TO", "THUA", "LD", "DienTich"]), &o).unwrap();
        assert_eq!(map.field(Target::Sheet), Some("TO"));
        assert_eq!(map.field(Target::Area), Some("DienTich"), "defaults fill the rest");
        let err = FieldMap::resolve(&fields(&["TO"]), &o).unwrap_err();
        assert!(matches!(err, MappingError::NoSuchField { target: "parcel", .. }), "{err}");
        assert!(matches!(FieldMap::parse_overrides("sheet"), Err(MappingError::Syntax(_))));
        assert!(matches!(FieldMap::parse_overrides("tờ=SoTo"), Err(MappingError::UnknownTarget(_))));
        assert!(matches!(FieldMap::parse_overrides("sheet=A,sheet=B"), Err(MappingError::Twice(_))));
    }

    #[test]
    fn a_missing_required_field_names_what_was_tried() {
        let err = FieldMap::resolve(&fields(&["SoTo", "LoaiDat"]), &FieldMap::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("parcel") && text.contains("SoThua") && text.contains("--map"), "{text}");
        // Area and address are optional.
        assert!(FieldMap::resolve(&fields(&["SoTo", "SoThua", "LoaiDat"]), &FieldMap::default()).is_ok());
    }

    #[test]
    fn attributes_read_numbers_as_numbers_or_text() {
        let map =
            FieldMap::resolve(&fields(&["SoTo", "SoThua", "LoaiDat", "DienTich", "DiaChi"]), &FieldMap::default())
                .unwrap();
        let a = read_attributes(
            &map,
            &props(json!({"SoTo": "12", "SoThua": 7.0, "LoaiDat": " odt ", "DienTich": "123,4", "DiaChi": "  "})),
        )
        .unwrap();
        assert_eq!(
            a,
            Attributes { sheet: 12, parcel: 7, land_use: "ODT".into(), declared_area_m2: Some(123.4), address: None }
        );
        let errs =
            read_attributes(&map, &props(json!({"SoTo": 0, "SoThua": 7.5, "LoaiDat": "ODT+CLN", "DienTich": -3})))
                .unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs.iter().all(|e| e.code == RejectionCode::Attribute));
        let errs = read_attributes(&map, &props(json!({"SoThua": 1, "LoaiDat": "ODT"}))).unwrap_err();
        assert!(errs[0].message.contains("SoTo") && errs[0].message.contains("empty"), "{errs:?}");
    }

    #[test]
    fn declared_area_uses_the_single_registration_allowance() {
        assert!(check_declared_area(600.0, 600.1).is_ok());
        assert!(check_declared_area(600.0, 599.9).is_ok());
        let e = check_declared_area(612.0, 600.0).unwrap_err();
        assert_eq!(e.code, RejectionCode::AreaMismatch);
        assert!(e.message.contains("612.0") && e.message.contains("600.0"), "{e}");
    }

    #[test]
    fn crs_from_file_definitions() {
        // As gdalsrsinfo prints EPSG:9209 (GeoPackage srs) and an ESRI .prj without a code.
        let epsg = "+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 \
            +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs";
        assert_eq!(crs_from_proj4(epsg).unwrap().epsg(), 9209);
        let prj = "+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs";
        assert_eq!(crs_from_proj4(prj).unwrap().epsg(), 5897);
        assert_eq!(crs_from_proj4("+proj=longlat +datum=WGS84 +no_defs").unwrap(), Crs::Wgs84);
        // UTM 48N (k 0.9996), TM-3 drawn on WGS 84, an unknown meridian, another datum shift.
        assert!(crs_from_proj4("+proj=utm +zone=48 +datum=WGS84 +units=m +no_defs").is_err());
        assert!(crs_from_proj4("+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +datum=WGS84 +units=m")
            .is_err());
        assert!(crs_from_proj4("+proj=tmerc +lat_0=0 +lon_0=105.6 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m")
            .is_err());
        assert!(crs_from_proj4("+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-192,-39,-111,0,0,0,0 +units=m").is_err());
        assert!(crs_from_proj4("").is_err());
    }

    fn square(x: f64, y: f64, w: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + w), (x: x, y: y + w), (x: x, y: y)],
        ])
    }

    #[test]
    fn neighbours_sharing_edges_do_not_overlap() {
        let lots: Vec<_> = (0..9).map(|i| square((i % 3) as f64 * 10.0, (i / 3) as f64 * 10.0, 10.0)).collect();
        assert!(overlapping_pairs(&lots, 0.1).is_empty());
    }

    #[test]
    fn overlaps_are_measured_exactly_above_the_tolerance() {
        let mut lots = vec![square(0.0, 0.0, 10.0), square(5.0, 5.0, 10.0), square(10.0, 0.0, 10.0)];
        // A clockwise copy of the first lot, and an L-shaped (non-convex) lot over the third.
        lots.push(MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 0.0), (x: 0.0, y: 0.0)],
        ]));
        lots.push(MultiPolygon(vec![polygon![(x: 18.0, y: -5.0), (x: 30.0, y: -5.0), (x: 30.0, y: 5.0), (x: 25.0, y: 5.0), (x: 25.0, y: 0.0), (x: 18.0, y: 0.0), (x: 18.0, y: -5.0)]]));
        // A sliver under the tolerance: 0.01 m wide along a 5 m edge (0.05 m²).
        lots.push(square(-4.99, 0.0, 5.0));
        let mut pairs = overlapping_pairs(&lots, 0.1);
        pairs.sort_by_key(|p| (p.0, p.1));
        let rounded: Vec<(usize, usize, f64)> =
            pairs.iter().map(|&(a, b, x)| (a, b, (x * 1e6).round() / 1e6)).collect();
        assert_eq!(rounded, vec![(0, 1, 25.0), (0, 3, 100.0), (1, 2, 25.0), (1, 3, 25.0)], "{pairs:?}");
        // The L touches the third lot only along y = 0: an edge, no area.
        assert!(!pairs.iter().any(|p| p.1 == 4));
    }

    #[test]
    fn clipping_agrees_with_boolean_ops_on_convex_lots() {
        use geo::{Area, BooleanOps};
        let a = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 12.0, y: 1.0), (x: 11.0, y: 9.0), (x: -1.0, y: 8.0), (x: 0.0, y: 0.0)],
        ]);
        let b = MultiPolygon(vec![
            polygon![(x: 6.0, y: -3.0), (x: 15.0, y: 2.0), (x: 9.0, y: 12.0), (x: 4.0, y: 5.0), (x: 6.0, y: -3.0)],
        ]);
        let clipped = clipped_area(&convex_ring(&a).unwrap(), &convex_ring(&b).unwrap());
        let exact = a.intersection(&b).unsigned_area();
        assert!((clipped - exact).abs() < 1e-9, "{clipped} vs {exact}");
    }

    #[test]
    fn modes_round_trip() {
        for m in [Mode::AllOrNothing, Mode::LoadValid] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("partial"), None);
    }
}
