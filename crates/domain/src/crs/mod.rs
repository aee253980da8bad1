//! Coordinate reference systems: WGS 84 and the VN-2000 provincial TM-3 zones.
//!
//! Geometry is stored in EPSG:4326. Surveys arrive in VN-2000 (hệ tọa độ quốc gia VN-2000),
//! projected on the province's 3° transverse Mercator zone; the legal area (diện tích) is
//! measured in that plane, never on the ellipsoid.
//!
//! The datum shift is EPSG:6960 "VN-2000 to WGS 84 (2)" (QĐ 05/2007/QĐ-BTNMT), written as an
//! explicit PROJ pipeline with the *coordinate frame* convention so the published rotation
//! signs are used as they are. PROJ is never asked to pick an operation itself: in the Mekong
//! delta it would prefer EPSG:5194, about 0.8 m away.

use std::cell::RefCell;
use std::collections::HashMap;

use geo_types::{Coord, MultiPolygon};
use proj::Proj;

pub mod ogc;
pub mod projection;

/// OGC URI of WGS 84 with longitude/latitude axis order (the GeoJSON default).
pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG_URI_PREFIX: &str = "http://www.opengis.net/def/crs/EPSG/0/";

/// EPSG:6960 parameters, as published (coordinate frame rotation, arc-seconds, ppm).
const VN2000_TO_WGS84: &str = "+proj=helmert +x=-191.90441429 +y=-39.30318279 +z=-111.45032835 \
     +rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 +convention=coordinate_frame";

/// A VN-2000 3° transverse Mercator zone as defined in the EPSG registry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tm3Zone {
    pub epsg: u32,
    /// Central meridian (kinh tuyến trục), decimal degrees.
    pub central_meridian: f64,
}

/// The VN-2000 TM-3 zones in the EPSG registry (k0 = 0.9999, FE = 500 000 m, FN = 0).
/// EPSG has no separate 105°00′ code in the 9205–9218 series: 5897 (zone 482) serves.
pub const TM3_ZONES: &[Tm3Zone] = &[
    Tm3Zone { epsg: 5896, central_meridian: 102.0 },
    Tm3Zone { epsg: 5897, central_meridian: 105.0 },
    Tm3Zone { epsg: 5898, central_meridian: 108.0 },
    Tm3Zone { epsg: 5899, central_meridian: 107.75 },
    Tm3Zone { epsg: 9205, central_meridian: 103.0 },
    Tm3Zone { epsg: 9206, central_meridian: 104.0 },
    Tm3Zone { epsg: 9207, central_meridian: 104.5 },
    Tm3Zone { epsg: 9208, central_meridian: 104.75 },
    Tm3Zone { epsg: 9209, central_meridian: 105.5 },
    Tm3Zone { epsg: 9210, central_meridian: 105.75 },
    Tm3Zone { epsg: 9211, central_meridian: 106.0 },
    Tm3Zone { epsg: 9212, central_meridian: 106.25 },
    Tm3Zone { epsg: 9213, central_meridian: 106.5 },
    Tm3Zone { epsg: 9214, central_meridian: 107.0 },
    Tm3Zone { epsg: 9215, central_meridian: 107.25 },
    Tm3Zone { epsg: 9216, central_meridian: 107.5 },
    Tm3Zone { epsg: 9217, central_meridian: 108.25 },
    Tm3Zone { epsg: 9218, central_meridian: 108.5 },
];

/// The range [min E, min N, max E, max N] (metres) that a VN-2000 TM-3 coordinate of a
/// Vietnamese parcel falls in: ±4° of longitude around any zone's central meridian, 6°N–24°N
/// (Trường Sa to Hà Giang). A sanity range, not a boundary: it catches degrees sent as metres,
/// and a parcel measured in a zone whose central meridian is too far away to cover it. The
/// certificate check's R1 (`checks::geometry_valid`) and registration (`parcel::measure`)
/// both hold coordinates to it.
pub const VN2000_PLANE_RANGE: [f64; 4] = [100_000.0, 600_000.0, 900_000.0, 2_700_000.0];

/// A coordinate reference system the service accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crs {
    /// WGS 84 longitude/latitude (CRS84 or EPSG:4326 in GeoJSON axis order).
    Wgs84,
    /// VN-2000 provincial TM-3: easting, northing in metres.
    Vn2000(Tm3Zone),
}

/// The CRS named in a request is not one we know.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown or unsupported CRS '{0}'; use CRS84, EPSG:4326 or a VN-2000 TM-3 zone (EPSG:5896-5899, 9205-9218)")]
pub struct UnknownCrs(pub String);

/// A coordinate could not be transformed (outside the projection's domain, not finite).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("coordinate ({x}, {y}) cannot be transformed: {reason}")]
pub struct TransformError {
    pub x: f64,
    pub y: f64,
    pub reason: String,
}

impl Crs {
    /// Parses an OGC CRS URI (`http://www.opengis.net/def/crs/EPSG/0/9209`), a CURIE
    /// (`[EPSG:9209]`) or `EPSG:9209`.
    pub fn parse(text: &str) -> Result<Crs, UnknownCrs> {
        let trimmed = text.trim().trim_start_matches('[').trim_end_matches(']');
        if trimmed == CRS84_URI
            || trimmed.eq_ignore_ascii_case("CRS84")
            || trimmed.eq_ignore_ascii_case("OGC:CRS84")
            || trimmed == "urn:ogc:def:crs:OGC:1.3:CRS84"
        {
            return Ok(Crs::Wgs84);
        }
        let code = trimmed
            .strip_prefix(EPSG_URI_PREFIX)
            .or_else(|| trimmed.strip_prefix("EPSG:"))
            .or_else(|| trimmed.strip_prefix("epsg:"))
            .or_else(|| trimmed.strip_prefix("urn:ogc:def:crs:EPSG::"))
            .and_then(|c| c.parse::<u32>().ok())
            .ok_or_else(|| UnknownCrs(text.to_string()))?;
        Crs::from_epsg(code).ok_or_else(|| UnknownCrs(text.to_string()))
    }

    /// The CRS for an EPSG code, if we support it.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        if code == 4326 {
            return Some(Crs::Wgs84);
        }
        TM3_ZONES.iter().find(|z| z.epsg == code).map(|z| Crs::Vn2000(*z))
    }

    /// EPSG code (4326 for WGS 84).
    pub fn epsg(&self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Vn2000(zone) => zone.epsg,
        }
    }

    /// OGC URI of this CRS.
    pub fn uri(&self) -> String {
        match self {
            Crs::Wgs84 => CRS84_URI.to_string(),
            Crs::Vn2000(zone) => format!("{EPSG_URI_PREFIX}{}", zone.epsg),
        }
    }
}

impl Tm3Zone {
    /// PROJ pipeline from this zone's easting/northing to WGS 84 lon/lat in degrees.
    fn pipeline(&self) -> String {
        format!(
            "+proj=pipeline \
             +step +inv +proj=tmerc +lat_0=0 +lon_0={cm} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 \
             +step +proj=cart +ellps=WGS84 \
             +step {helmert} \
             +step +inv +proj=cart +ellps=WGS84 \
             +step +proj=unitconvert +xy_in=rad +xy_out=deg",
            cm = self.central_meridian,
            helmert = VN2000_TO_WGS84,
        )
    }
}

thread_local! {
    // `Proj` is neither Send nor Sync and costs milliseconds to build: one per zone per thread.
    static PIPELINES: RefCell<HashMap<u32, Proj>> = RefCell::new(HashMap::new());
}

fn with_pipeline<T>(zone: Tm3Zone, f: impl FnOnce(&Proj) -> T) -> T {
    PIPELINES.with(|cell| {
        let mut map = cell.borrow_mut();
        let proj = map
            .entry(zone.epsg)
            .or_insert_with(|| Proj::new(&zone.pipeline()).expect("the VN-2000 pipeline is a valid PROJ string"));
        f(proj)
    })
}

/// Direction of a transform between a VN-2000 zone and WGS 84.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Direction {
    ToWgs84,
    FromWgs84,
}

fn transform_coord(
    zone: Tm3Zone,
    c: Coord<f64>,
    direction: Direction,
    proj: &Proj,
) -> Result<Coord<f64>, TransformError> {
    let fail = |reason: String| TransformError { x: c.x, y: c.y, reason };
    if !c.x.is_finite() || !c.y.is_finite() {
        return Err(fail("not a finite number".into()));
    }
    let out = match direction {
        Direction::ToWgs84 => proj.convert((c.x, c.y)),
        Direction::FromWgs84 => proj.project((c.x, c.y), true),
    }
    .map_err(|e| fail(e.to_string()))?;
    let (x, y) = out;
    if !x.is_finite() || !y.is_finite() {
        return Err(fail(format!("outside the domain of EPSG:{}", zone.epsg)));
    }
    Ok(Coord { x, y })
}

fn transform_all(
    geom: &MultiPolygon<f64>,
    zone: Tm3Zone,
    direction: Direction,
) -> Result<MultiPolygon<f64>, TransformError> {
    with_pipeline(zone, |proj| {
        use geo::MapCoords;
        geom.try_map_coords(|c| transform_coord(zone, c, direction, proj))
    })
}

impl Crs {
    /// Transforms a geometry in this CRS to WGS 84 lon/lat.
    pub fn to_wgs84(&self, geom: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, TransformError> {
        match self {
            Crs::Wgs84 => Ok(geom.clone()),
            Crs::Vn2000(zone) => transform_all(geom, *zone, Direction::ToWgs84),
        }
    }

    /// Transforms a WGS 84 lon/lat geometry into this CRS.
    pub fn from_wgs84(&self, geom: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, TransformError> {
        match self {
            Crs::Wgs84 => Ok(geom.clone()),
            Crs::Vn2000(zone) => transform_all(geom, *zone, Direction::FromWgs84),
        }
    }

    /// Transforms one coordinate to WGS 84 lon/lat.
    pub fn point_to_wgs84(&self, c: Coord<f64>) -> Result<Coord<f64>, TransformError> {
        match self {
            Crs::Wgs84 => Ok(c),
            Crs::Vn2000(zone) => with_pipeline(*zone, |p| transform_coord(*zone, c, Direction::ToWgs84, p)),
        }
    }

    /// Transforms one WGS 84 lon/lat coordinate into this CRS.
    pub fn point_from_wgs84(&self, c: Coord<f64>) -> Result<Coord<f64>, TransformError> {
        match self {
            Crs::Wgs84 => Ok(c),
            Crs::Vn2000(zone) => with_pipeline(*zone, |p| transform_coord(*zone, c, Direction::FromWgs84, p)),
        }
    }

    /// True for projected CRSs whose units are metres.
    pub fn is_projected(&self) -> bool {
        matches!(self, Crs::Vn2000(_))
    }
}

/// The zone whose central meridian is nearest to a longitude: a fallback for records that
/// come without a CRS of their own and whose province has none configured.
pub fn nearest_zone(lon: f64) -> Tm3Zone {
    *TM3_ZONES
        .iter()
        .filter(|z| z.epsg >= 9205 || z.epsg == 5897)
        .min_by(|a, b| (a.central_meridian - lon).abs().total_cmp(&(b.central_meridian - lon).abs()))
        .expect("zone table is not empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_curies_and_codes() {
        assert_eq!(Crs::parse(CRS84_URI), Ok(Crs::Wgs84));
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/EPSG/0/4326"), Ok(Crs::Wgs84));
        assert_eq!(Crs::parse("EPSG:9209").unwrap().epsg(), 9209);
        assert_eq!(Crs::parse("[EPSG:5897]").unwrap().epsg(), 5897);
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::9217").unwrap().epsg(), 9217);
        assert!(Crs::parse("EPSG:3857").is_err());
        assert!(Crs::parse("EPSG:6956").is_err(), "deprecated zones are refused");
        assert!(Crs::parse("nonsense").is_err());
    }

    #[test]
    fn central_meridian_maps_to_false_easting() {
        // A point on the central meridian projects to E = 500 000 m exactly before the datum
        // shift; after it, within the shift's horizontal size (well under 1 km).
        let zone = Crs::from_epsg(9209).unwrap();
        let p = zone.point_from_wgs84(Coord { x: 105.5, y: 9.6 }).unwrap();
        assert!((p.x - 500_000.0).abs() < 1_000.0, "{p:?}");
        assert!((p.y - 1_061_000.0).abs() < 5_000.0, "{p:?}");
    }

    #[test]
    fn round_trip_is_sub_millimetre() {
        for zone in TM3_ZONES {
            let crs = Crs::Vn2000(*zone);
            let start = Coord { x: 512_345.678, y: 1_234_567.891 };
            let wgs = crs.point_to_wgs84(start).unwrap();
            let back = crs.point_from_wgs84(wgs).unwrap();
            assert!((back.x - start.x).abs() < 1e-3 && (back.y - start.y).abs() < 1e-3, "{zone:?}: {back:?}");
        }
    }

    #[test]
    fn nearest_zone_picks_provincial_meridians() {
        assert_eq!(nearest_zone(105.97).epsg, 9211); // 106°00′
        assert_eq!(nearest_zone(104.76).epsg, 9208);
        assert_eq!(nearest_zone(105.01).epsg, 5897);
    }
}
