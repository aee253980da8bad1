//! Thửa đất — what a surveyed parcel geometry becomes before it is stored: WGS 84 geometry,
//! legal area in the VN-2000 plane, and the national parcel id.

use geo_types::{Coord, MultiPolygon};

use super::crs::{Crs, Tm3Zone};
use super::geohash;
use super::geometry::{self, GeometryError};

/// Vietnam's mainland and islands with a margin; a geometry outside it was almost certainly
/// sent in the wrong CRS (e.g. VN-2000 metres labelled as degrees, or axes swapped).
pub const VIETNAM_EXTENT: [f64; 4] = [101.0, 6.0, 118.0, 24.0];

/// How precisely (metres) the interior point behind the national id is located.
const INTERIOR_POINT_PRECISION_M: f64 = 0.01;

/// A parcel geometry checked and measured, ready to store.
#[derive(Debug, Clone)]
pub struct MeasuredGeometry {
    /// EPSG:4326, lon/lat.
    pub wgs84: MultiPolygon<f64>,
    /// The CRS the geometry was submitted in.
    pub source: Crs,
    /// The VN-2000 zone the legal area was measured in.
    pub area_zone: Tm3Zone,
    /// Diện tích pháp lý, m², in the VN-2000 TM-3 plane, rounded to 0.1 m² as printed.
    pub legal_area_m2: f64,
    /// Mã định danh thửa đất: GeoHash-12 of the interior point.
    pub national_id: String,
    /// The geometry in the VN-2000 plane of `area_zone`, and its interior point there.
    pub planar: MultiPolygon<f64>,
    pub interior: Coord<f64>,
}

impl MeasuredGeometry {
    /// Further candidate national ids, for when the first one was already issued (an id is
    /// never reused: a parcel merged back to the shape of a retired one needs a new id).
    /// Points on a spiral of 5 cm steps around the interior point, kept while they stay well
    /// inside the parcel; deterministic, so the choice can be reproduced.
    pub fn alternative_national_ids(&self, count: usize) -> Vec<String> {
        use geo::Contains;
        let mut out = Vec::with_capacity(count);
        let zone = Crs::Vn2000(self.area_zone);
        for step in 1..=2_000 {
            if out.len() == count {
                break;
            }
            // Golden-angle spiral: evenly spread, no repeats.
            let r = 0.05 * (step as f64).sqrt();
            let a = step as f64 * 2.399_963_229_728_653;
            let p = Coord { x: self.interior.x + r * a.cos(), y: self.interior.y + r * a.sin() };
            if !self.planar.contains(&geo_types::Point(p)) {
                continue;
            }
            if let Ok(w) = zone.point_to_wgs84(p) {
                let id = geohash::encode(w.x, w.y, 12);
                if id != self.national_id && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }
}

/// Validates a polygonal geometry in `source` and measures it. `area_zone` is the VN-2000 zone
/// used to measure geometries submitted in WGS 84 (a VN-2000 submission is measured in its own
/// plane).
pub fn measure(geom: &MultiPolygon<f64>, source: Crs, area_zone: Tm3Zone) -> Result<MeasuredGeometry, GeometryError> {
    geometry::validate(geom)?;
    let transform_error = |e: super::crs::TransformError| GeometryError {
        pointer: "/coordinates".into(),
        message: e.to_string(),
        location: Some(Coord { x: e.x, y: e.y }),
    };
    let wgs84 = source.to_wgs84(geom).map_err(transform_error)?;
    check_in_vietnam(&wgs84, source)?;
    let (planar, zone) = match source {
        Crs::Vn2000(zone) => (geom.clone(), zone),
        Crs::Wgs84 => (Crs::Vn2000(area_zone).from_wgs84(&wgs84).map_err(transform_error)?, area_zone),
    };
    let legal_area_m2 = (geometry::planar_area(&planar) * 10.0).round() / 10.0;
    if legal_area_m2 <= 0.0 {
        return Err(GeometryError {
            pointer: "/coordinates".into(),
            message: "the parcel has no area (under 0.05 m²)".into(),
            location: None,
        });
    }
    let inside = geometry::interior_point(&planar, INTERIOR_POINT_PRECISION_M).ok_or_else(|| GeometryError {
        pointer: "/coordinates".into(),
        message: "no interior point could be found".into(),
        location: None,
    })?;
    let inside_wgs84 = Crs::Vn2000(zone).point_to_wgs84(inside).map_err(transform_error)?;
    Ok(MeasuredGeometry {
        wgs84,
        source,
        area_zone: zone,
        legal_area_m2,
        national_id: geohash::encode(inside_wgs84.x, inside_wgs84.y, 12),
        planar,
        interior: inside,
    })
}

fn check_in_vietnam(wgs84: &MultiPolygon<f64>, source: Crs) -> Result<(), GeometryError> {
    use geo::BoundingRect;
    let [x0, y0, x1, y1] = VIETNAM_EXTENT;
    let Some(rect) = wgs84.bounding_rect() else { return Ok(()) };
    if rect.min().x < x0 || rect.max().x > x1 || rect.min().y < y0 || rect.max().y > y1 {
        return Err(GeometryError {
            pointer: "/coordinates".into(),
            message: format!(
                "the geometry lies outside Vietnam when read as {}; check the CRS and the axis order (longitude first)",
                source.uri()
            ),
            location: Some(rect.min()),
        });
    }
    Ok(())
}

/// A land-use code (mã loại đất) has three capital letters; whether it is in force is data.
pub fn is_land_use_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn zone(epsg: u32) -> Tm3Zone {
        match Crs::from_epsg(epsg).unwrap() {
            Crs::Vn2000(z) => z,
            Crs::Wgs84 => unreachable!(),
        }
    }

    #[test]
    fn vn2000_square_keeps_its_planar_area() {
        // 20 m × 30 m lot near Sóc Trăng in TM-3 105°30′.
        let (e, n) = (553_000.0, 1_061_500.0);
        let lot = MultiPolygon(vec![
            polygon![(x: e, y: n), (x: e + 20.0, y: n), (x: e + 20.0, y: n + 30.0), (x: e, y: n + 30.0), (x: e, y: n)],
        ]);
        let m = measure(&lot, Crs::from_epsg(9209).unwrap(), zone(9209)).unwrap();
        assert_eq!(m.legal_area_m2, 600.0);
        assert_eq!(m.national_id.len(), 12);
        // The same lot sent as WGS 84 and measured in the same zone gives the same area.
        let again = measure(&m.wgs84, Crs::Wgs84, zone(9209)).unwrap();
        assert!((again.legal_area_m2 - 600.0).abs() <= 0.1, "{}", again.legal_area_m2);
        assert_eq!(again.national_id, m.national_id);
    }

    #[test]
    fn alternative_ids_are_distinct_and_inside() {
        let (e, n) = (553_000.0, 1_061_500.0);
        let lot = MultiPolygon(vec![
            polygon![(x: e, y: n), (x: e + 20.0, y: n), (x: e + 20.0, y: n + 30.0), (x: e, y: n + 30.0), (x: e, y: n)],
        ]);
        let m = measure(&lot, Crs::from_epsg(9209).unwrap(), zone(9209)).unwrap();
        let alternatives = m.alternative_national_ids(5);
        assert_eq!(alternatives.len(), 5);
        assert!(!alternatives.contains(&m.national_id));
        let again = measure(&lot, Crs::from_epsg(9209).unwrap(), zone(9209)).unwrap().alternative_national_ids(5);
        assert_eq!(alternatives, again, "deterministic");
    }

    #[test]
    fn metres_labelled_as_degrees_are_refused() {
        let lot = MultiPolygon(vec![
            polygon![(x: 553_000.0, y: 1_061_500.0), (x: 553_020.0, y: 1_061_500.0), (x: 553_020.0, y: 1_061_530.0), (x: 553_000.0, y: 1_061_500.0)],
        ]);
        let err = measure(&lot, Crs::Wgs84, zone(9209)).unwrap_err();
        assert!(err.message.contains("outside Vietnam"), "{err}");
    }

    #[test]
    fn swapped_axes_are_refused() {
        let lot = MultiPolygon(vec![
            polygon![(x: 9.60, y: 105.97), (x: 9.601, y: 105.97), (x: 9.601, y: 105.971), (x: 9.60, y: 105.97)],
        ]);
        assert!(measure(&lot, Crs::Wgs84, zone(9209)).is_err());
    }

    #[test]
    fn land_use_codes() {
        assert!(is_land_use_code("ODT"));
        assert!(!is_land_use_code("odt"));
        assert!(!is_land_use_code("OD"));
    }
}
