//! Thửa đất — what a surveyed parcel geometry becomes before it is stored: WGS 84 geometry,
//! legal area in the VN-2000 plane, and the national parcel id.

use geo_types::{Coord, MultiPolygon};

use super::crs::{Crs, Tm3Zone, VN2000_PLANE_RANGE};
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
/// plane). In that plane every coordinate must lie in [`VN2000_PLANE_RANGE`], as the
/// certificate check's R1 requires.
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
    check_in_plane_range(geom, &planar, source, zone)?;
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

/// Every coordinate of `planar` (the geometry in `zone`, where its legal area is measured)
/// lies in [`VN2000_PLANE_RANGE`]. A parcel too far from the zone's central meridian would be
/// registered, then fail every certificate check (R1), and its legal area would carry the
/// plane's scale error there (~0.4 % at 4°). The error's location is the offending position as
/// submitted (`submitted` and `planar` have the same positions in the same order).
fn check_in_plane_range(
    submitted: &MultiPolygon<f64>,
    planar: &MultiPolygon<f64>,
    source: Crs,
    zone: Tm3Zone,
) -> Result<(), GeometryError> {
    use geo::CoordsIter;
    let [e0, n0, e1, n1] = VN2000_PLANE_RANGE;
    let outside = |p: &Coord<f64>| !(e0..=e1).contains(&p.x) || !(n0..=n1).contains(&p.y);
    let Some((at, p)) = submitted.coords_iter().zip(planar.coords_iter()).find(|(_, p)| outside(p)) else {
        return Ok(());
    };
    let range = format!("E {e0:.0}–{e1:.0} m, N {n0:.0}–{n1:.0} m");
    let message = match source {
        Crs::Vn2000(_) => format!(
            "coordinate ({:.3}, {:.3}) is outside the VN-2000 plane range ({range}) of EPSG:{} (TM-3, central \
             meridian {}°): the parcel lies too far from that zone's central meridian; submit it in the \
             VN-2000 TM-3 zone that covers it",
            p.x, p.y, zone.epsg, zone.central_meridian
        ),
        Crs::Wgs84 => format!(
            "position ({:.6}, {:.6}) falls at ({:.3}, {:.3}) in EPSG:{} (VN-2000 TM-3, central meridian {}°), the \
             province's zone the legal area is measured in, outside its plane range ({range}): that zone does \
             not cover the parcel, which lies too far from its central meridian; submit it in the VN-2000 \
             TM-3 zone that covers it",
            at.x, at.y, p.x, p.y, zone.epsg, zone.central_meridian
        ),
    };
    Err(GeometryError { pointer: "/coordinates".into(), message, location: Some(at) })
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

    /// A 20 m square around (lon, lat), in `zone`'s plane.
    fn square_in(zone: Tm3Zone, lon: f64, lat: f64) -> MultiPolygon<f64> {
        let c = Crs::Vn2000(zone).point_from_wgs84(Coord { x: lon, y: lat }).unwrap();
        let (e, n) = (c.x - 10.0, c.y - 10.0);
        MultiPolygon(vec![
            polygon![(x: e, y: n), (x: e + 20.0, y: n), (x: e + 20.0, y: n + 20.0), (x: e, y: n + 20.0), (x: e, y: n)],
        ])
    }

    #[test]
    fn too_far_from_the_zones_meridian_is_refused() {
        // 108.9°E, 15°N (Quảng Ngãi) is 3.9° from 105°: easting past 900 km in EPSG:5897.
        let lot = square_in(zone(5897), 108.9, 15.0);
        assert!(lot.0[0].exterior().0.iter().any(|c| c.x > VN2000_PLANE_RANGE[2]), "{lot:?}");
        let err = measure(&lot, Crs::from_epsg(5897).unwrap(), zone(5897)).unwrap_err();
        assert_eq!(err.pointer, "/coordinates");
        assert!(err.message.contains("EPSG:5897") && err.message.contains("central meridian 105°"), "{err}");
        assert!(err.message.contains("too far"), "{err}");
        let at = err.location.expect("the offending coordinate");
        assert!(at.x > VN2000_PLANE_RANGE[2], "{at:?}");
        assert!(lot.0[0].exterior().0.contains(&at), "{at:?} is a submitted position");
    }

    #[test]
    fn the_same_lot_in_a_near_zone_is_accepted() {
        let lot = square_in(zone(9218), 108.9, 15.0);
        let m = measure(&lot, Crs::from_epsg(9218).unwrap(), zone(5897)).unwrap();
        assert_eq!(m.area_zone.epsg, 9218, "a VN-2000 submission is measured in its own plane");
        assert_eq!(m.legal_area_m2, 400.0);
    }

    #[test]
    fn wgs84_outside_the_provinces_zone_is_refused() {
        let lot = Crs::Vn2000(zone(9218)).to_wgs84(&square_in(zone(9218), 108.9, 15.0)).unwrap();
        let err = measure(&lot, Crs::Wgs84, zone(5897)).unwrap_err();
        assert_eq!(err.pointer, "/coordinates");
        assert!(err.message.contains("EPSG:5897") && err.message.contains("does not cover"), "{err}");
        let at = err.location.expect("the offending position");
        assert!((at.x - 108.9).abs() < 0.01 && (at.y - 15.0).abs() < 0.01, "{at:?} is in WGS 84, as submitted");
        // Measured in the zone that covers it, the same WGS 84 lot is accepted.
        assert!(measure(&lot, Crs::Wgs84, zone(9218)).is_ok());
    }

    #[test]
    fn land_use_codes() {
        assert!(is_land_use_code("ODT"));
        assert!(!is_land_use_code("odt"));
        assert!(!is_land_use_code("OD"));
    }
}
