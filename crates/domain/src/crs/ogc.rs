//! CRSs offered by OGC API – Features Part 2 (`crs`, `bbox-crs`, `Content-Crs`): WGS 84 in both
//! axis orders, Web Mercator and the VN-2000 provincial TM-3 zones.
//!
//! Axis order is the CRS's own, as the EPSG registry defines it and Part 2 requires:
//! - CRS84: longitude, latitude (the GeoJSON default);
//! - EPSG:4326: **latitude, longitude**;
//! - EPSG:3857: easting (X), northing (Y);
//! - VN-2000 TM-3 (EPSG:5896–5899, 9205–9218): easting (E), northing (N) — checked against the
//!   EPSG database with pyproj (`CRS.from_epsg(9209).axis_info` lists E east, N north).
//!
//! The VN-2000 transforms are `domain::crs`'s (EPSG:6960 pinned), so what the API returns
//! agrees with what registration measured. Web Mercator is the spherical formula of EPSG:3857
//! on the WGS 84 semi-major axis, computed here rather than through spatial_ref_sys.

use geo_types::Coord;
use serde_json::Value;

use super::{Crs, Tm3Zone, TransformError, CRS84_URI, TM3_ZONES};

const EPSG_URI_PREFIX: &str = "http://www.opengis.net/def/crs/EPSG/0/";
/// WGS 84 semi-major axis: the sphere radius of EPSG:3857.
const WEB_MERCATOR_RADIUS: f64 = 6_378_137.0;

/// A CRS a client may ask for in `crs` or `bbox-crs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OgcCrs {
    /// OGC CRS84: WGS 84 longitude, latitude.
    Crs84,
    /// EPSG:4326: WGS 84 latitude, longitude.
    Epsg4326,
    /// EPSG:3857 Web Mercator, metres.
    WebMercator,
    /// VN-2000 provincial TM-3 zone, easting, northing in metres.
    Vn2000(Tm3Zone),
}

/// The CRS named in `crs` or `bbox-crs` is not one we offer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown or unsupported CRS '{0}'; offered: CRS84, EPSG:4326, EPSG:3857 and the VN-2000 TM-3 zones EPSG:5896-5899, 9205-9218 (as OGC URIs, e.g. http://www.opengis.net/def/crs/EPSG/0/9209)")]
pub struct UnsupportedCrs(pub String);

impl OgcCrs {
    /// Every CRS we offer, CRS84 first (the default and the storage CRS).
    pub fn all() -> Vec<OgcCrs> {
        let mut v = vec![OgcCrs::Crs84, OgcCrs::Epsg4326, OgcCrs::WebMercator];
        v.extend(TM3_ZONES.iter().map(|z| OgcCrs::Vn2000(*z)));
        v
    }

    /// Parses an OGC URI, a safe CURIE (`[EPSG:9209]`), `EPSG:9209` or a URN.
    pub fn parse(text: &str) -> Result<OgcCrs, UnsupportedCrs> {
        let t = text.trim();
        let t = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(t);
        if t == CRS84_URI
            || t.eq_ignore_ascii_case("CRS84")
            || t.eq_ignore_ascii_case("OGC:CRS84")
            || t == "urn:ogc:def:crs:OGC:1.3:CRS84"
        {
            return Ok(OgcCrs::Crs84);
        }
        let code = t
            .strip_prefix(EPSG_URI_PREFIX)
            .or_else(|| t.strip_prefix("EPSG:"))
            .or_else(|| t.strip_prefix("epsg:"))
            .or_else(|| t.strip_prefix("urn:ogc:def:crs:EPSG::"))
            .and_then(|c| c.parse::<u32>().ok())
            .ok_or_else(|| UnsupportedCrs(text.to_string()))?;
        match code {
            4326 => Ok(OgcCrs::Epsg4326),
            3857 => Ok(OgcCrs::WebMercator),
            _ => match Crs::from_epsg(code) {
                Some(Crs::Vn2000(z)) => Ok(OgcCrs::Vn2000(z)),
                _ => Err(UnsupportedCrs(text.to_string())),
            },
        }
    }

    /// The OGC URI (what `Content-Crs` and the collections' `crs` lists carry).
    pub fn uri(&self) -> String {
        match self {
            OgcCrs::Crs84 => CRS84_URI.to_string(),
            OgcCrs::Epsg4326 => format!("{EPSG_URI_PREFIX}4326"),
            OgcCrs::WebMercator => format!("{EPSG_URI_PREFIX}3857"),
            OgcCrs::Vn2000(z) => format!("{EPSG_URI_PREFIX}{}", z.epsg),
        }
    }

    /// Decimals that keep about a millimetre: 8 for degrees, 3 for metres.
    pub fn decimals(&self) -> i32 {
        match self {
            OgcCrs::Crs84 | OgcCrs::Epsg4326 => 8,
            OgcCrs::WebMercator | OgcCrs::Vn2000(_) => 3,
        }
    }

    /// A WGS 84 lon/lat coordinate in this CRS, in the CRS's axis order.
    pub fn from_wgs84(&self, c: Coord<f64>) -> Result<Coord<f64>, TransformError> {
        match self {
            OgcCrs::Crs84 => Ok(c),
            OgcCrs::Epsg4326 => Ok(Coord { x: c.y, y: c.x }),
            OgcCrs::WebMercator => {
                let y = (std::f64::consts::FRAC_PI_4 + c.y.to_radians() / 2.0).tan().ln() * WEB_MERCATOR_RADIUS;
                let out = Coord { x: c.x.to_radians() * WEB_MERCATOR_RADIUS, y };
                if out.x.is_finite() && out.y.is_finite() {
                    Ok(out)
                } else {
                    Err(TransformError { x: c.x, y: c.y, reason: "outside the domain of EPSG:3857 (poles)".into() })
                }
            }
            OgcCrs::Vn2000(z) => Crs::Vn2000(*z).point_from_wgs84(c),
        }
    }

    /// A coordinate of this CRS (in its axis order) as WGS 84 lon/lat.
    pub fn to_wgs84(&self, c: Coord<f64>) -> Result<Coord<f64>, TransformError> {
        match self {
            OgcCrs::Crs84 => Ok(c),
            OgcCrs::Epsg4326 => Ok(Coord { x: c.y, y: c.x }),
            OgcCrs::WebMercator => Ok(Coord {
                x: (c.x / WEB_MERCATOR_RADIUS).to_degrees(),
                y: (2.0 * (c.y / WEB_MERCATOR_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
            }),
            OgcCrs::Vn2000(z) => Crs::Vn2000(*z).point_to_wgs84(c),
        }
    }

    /// Rewrites a GeoJSON geometry (a JSON value in WGS 84 lon/lat) into this CRS, in place,
    /// rounded to [`OgcCrs::decimals`]. Heights, if any, are kept as they are.
    pub fn reproject_geojson(&self, geometry: &mut Value) -> Result<(), TransformError> {
        if *self == OgcCrs::Crs84 || geometry.is_null() {
            return Ok(());
        }
        if let Some(parts) = geometry.get_mut("geometries").and_then(Value::as_array_mut) {
            for g in parts {
                self.reproject_geojson(g)?;
            }
            return Ok(());
        }
        match geometry.get_mut("coordinates") {
            Some(coordinates) => self.reproject_positions(coordinates),
            None => Ok(()),
        }
    }

    fn reproject_positions(&self, v: &mut Value) -> Result<(), TransformError> {
        let Some(items) = v.as_array_mut() else { return Ok(()) };
        if items.first().is_some_and(Value::is_number) {
            // A position: [x, y] or [x, y, z].
            let x = items[0].as_f64().unwrap_or(f64::NAN);
            let y = items.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let out = self.from_wgs84(Coord { x, y })?;
            let scale = 10f64.powi(self.decimals());
            items[0] = Value::from((out.x * scale).round() / scale);
            if items.len() > 1 {
                items[1] = Value::from((out.y * scale).round() / scale);
            }
            return Ok(());
        }
        for item in items {
            self.reproject_positions(item)?;
        }
        Ok(())
    }

    /// A `bbox` given in this CRS (two corners, in the CRS's axis order) as a WGS 84
    /// [minLon, minLat, maxLon, maxLat] envelope.
    ///
    /// A rectangle in a transverse Mercator plane is slightly rotated in lon/lat (grid
    /// convergence, about 0.1° half a degree off the central meridian): its edges are densified
    /// and the envelope of the transformed outline is used, so features up to a few metres
    /// outside the box's corners may also be selected; nothing inside it is missed.
    pub fn bbox_to_wgs84(&self, b: [f64; 4]) -> Result<[f64; 4], String> {
        let [a0, b0, a1, b1] = b;
        if a0 > a1 || b0 > b1 {
            return Err(format!(
                "the lower corner ({a0}, {b0}) is above or right of the upper corner ({a1}, {b1}) in {}",
                self.uri()
            ));
        }
        const STEPS: usize = 16;
        let mut env = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for i in 0..=STEPS {
            let t = i as f64 / STEPS as f64;
            let along_a = a0 + (a1 - a0) * t;
            let along_b = b0 + (b1 - b0) * t;
            for c in [
                Coord { x: along_a, y: b0 },
                Coord { x: along_a, y: b1 },
                Coord { x: a0, y: along_b },
                Coord { x: a1, y: along_b },
            ] {
                let w = self.to_wgs84(c).map_err(|e| e.to_string())?;
                env = [env[0].min(w.x), env[1].min(w.y), env[2].max(w.x), env[3].max(w.y)];
            }
        }
        if !(-180.0..=180.0).contains(&env[0])
            || !(-180.0..=180.0).contains(&env[2])
            || !(-90.0..=90.0).contains(&env[1])
            || !(-90.0..=90.0).contains(&env[3])
        {
            return Err(format!("the box lies outside the world when read in {}: check the axis order", self.uri()));
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_curies_and_codes() {
        assert_eq!(OgcCrs::parse(CRS84_URI), Ok(OgcCrs::Crs84));
        assert_eq!(OgcCrs::parse("[OGC:CRS84]"), Ok(OgcCrs::Crs84));
        assert_eq!(OgcCrs::parse("http://www.opengis.net/def/crs/EPSG/0/4326"), Ok(OgcCrs::Epsg4326));
        assert_eq!(OgcCrs::parse("EPSG:3857"), Ok(OgcCrs::WebMercator));
        assert!(matches!(OgcCrs::parse("[EPSG:9209]"), Ok(OgcCrs::Vn2000(z)) if z.epsg == 9209));
        assert!(matches!(OgcCrs::parse("urn:ogc:def:crs:EPSG::5897"), Ok(OgcCrs::Vn2000(z)) if z.epsg == 5897));
        for bad in ["EPSG:6956", "EPSG:32648", "EPSG:", "http://www.opengis.net/def/crs/EPSG/0/abc", "nonsense", ""] {
            assert!(OgcCrs::parse(bad).is_err(), "{bad}");
        }
        for c in OgcCrs::all() {
            assert_eq!(OgcCrs::parse(&c.uri()), Ok(c));
        }
    }

    #[test]
    fn epsg_4326_is_latitude_first() {
        let p = OgcCrs::Epsg4326.from_wgs84(Coord { x: 105.97, y: 9.60 }).unwrap();
        assert_eq!((p.x, p.y), (9.60, 105.97));
        assert_eq!(OgcCrs::Epsg4326.bbox_to_wgs84([9.5, 105.9, 9.7, 106.0]), Ok([105.9, 9.5, 106.0, 9.7]));
    }

    #[test]
    fn web_mercator_matches_known_values_and_round_trips() {
        // EPSG:3857 of (180°, 0) is half the equator; 85.0511…° is the square's edge.
        let edge = OgcCrs::WebMercator.from_wgs84(Coord { x: 180.0, y: 85.051_128_779_806_6 }).unwrap();
        assert!(
            (edge.x - 20_037_508.342_789_244).abs() < 1e-6 && (edge.y - 20_037_508.342_789_244).abs() < 1e-3,
            "{edge:?}"
        );
        let p = Coord { x: 105.9739, y: 9.6025 };
        let back = OgcCrs::WebMercator.to_wgs84(OgcCrs::WebMercator.from_wgs84(p).unwrap()).unwrap();
        assert!((back.x - p.x).abs() < 1e-12 && (back.y - p.y).abs() < 1e-12);
    }

    #[test]
    fn vn2000_uses_the_foundation_transform() {
        let c = OgcCrs::parse("EPSG:9209").unwrap();
        let p = Coord { x: 105.9739, y: 9.6025 };
        assert_eq!(c.from_wgs84(p).unwrap(), Crs::from_epsg(9209).unwrap().point_from_wgs84(p).unwrap());
    }

    #[test]
    fn reprojects_nested_geojson_and_rounds() {
        let mut g = serde_json::json!({"type": "MultiPolygon", "coordinates": [[[[105.97, 9.6], [105.971, 9.6], [105.971, 9.601], [105.97, 9.6]]]]});
        OgcCrs::Epsg4326.reproject_geojson(&mut g).unwrap();
        assert_eq!(g["coordinates"][0][0][1], serde_json::json!([9.6, 105.971]));
        let mut g = serde_json::json!({"type": "Point", "coordinates": [105.97, 9.6, 3.5]});
        OgcCrs::parse("EPSG:9209").unwrap().reproject_geojson(&mut g).unwrap();
        let x = g["coordinates"][0].as_f64().unwrap();
        assert!((x * 1000.0 - (x * 1000.0).round()).abs() < 1e-6 && x > 500_000.0);
        assert_eq!(g["coordinates"][2], 3.5);
    }

    #[test]
    fn bbox_checks() {
        assert!(OgcCrs::Crs84.bbox_to_wgs84([106.0, 9.0, 105.0, 10.0]).is_err());
        // Degrees sent as EPSG:4326 in lon/lat order land outside the world.
        assert!(OgcCrs::Epsg4326.bbox_to_wgs84([105.9, 9.5, 106.0, 9.7]).is_err());
        let vn = OgcCrs::parse("EPSG:9209").unwrap();
        let b = vn.bbox_to_wgs84([551_500.0, 1_061_600.0, 552_100.0, 1_061_900.0]).unwrap();
        assert!(b[0] > 105.9 && b[2] < 106.1 && b[1] > 9.5 && b[3] < 9.7, "{b:?}");
    }
}
