//! Vector tiles: the XYZ tile grid (Web Mercator, EPSG:3857, as MapLibre and every web map use
//! it) and the layers we publish, with the zoom levels at which each one is drawn.

/// Highest zoom we serve; beyond it the client over-zooms the last tile.
pub const MAX_ZOOM: u8 = 22;

/// One tile of the XYZ grid: `x` grows eastward and `y` southward from the north-west corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A tile address outside the grid; `parameter` names the path segment at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct TileError {
    pub parameter: &'static str,
    pub message: String,
}

impl TileCoord {
    /// Parses the path segments `z`, `x` and `y` and checks them against the grid at zoom `z`.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<TileCoord, TileError> {
        let z: u8 = z.parse().ok().filter(|z| *z <= MAX_ZOOM).ok_or_else(|| TileError {
            parameter: "z",
            message: format!("zoom '{z}' is not an integer in 0..={MAX_ZOOM}"),
        })?;
        let n = 1u64 << z;
        let axis = |name: &'static str, text: &str| -> Result<u32, TileError> {
            text.parse::<u64>().ok().filter(|v| *v < n).map(|v| v as u32).ok_or_else(|| TileError {
                parameter: name,
                message: format!("'{text}' is not a tile {name} at zoom {z} (0..={})", n - 1),
            })
        };
        Ok(TileCoord { z, x: axis("x", x)?, y: axis("y", y)? })
    }

    /// The tile's bounds in WGS 84 lon/lat: [west, south, east, north].
    pub fn bounds_wgs84(&self) -> [f64; 4] {
        let n = (1u64 << self.z) as f64;
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        [lon(self.x as f64), lat(self.y as f64 + 1.0), lon(self.x as f64 + 1.0), lat(self.y as f64)]
    }

    /// The tile containing a WGS 84 point at zoom `z` (for tests and benchmarks).
    pub fn containing(lon: f64, lat: f64, z: u8) -> TileCoord {
        let n = (1u64 << z) as f64;
        let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, n - 1.0);
        let lat = lat.to_radians();
        let y =
            ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor().clamp(0.0, n - 1.0);
        TileCoord { z, x: x as u32, y: y as u32 }
    }
}

/// A published vector-tile layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// Thửa đất: current parcel versions.
    Parcels,
    /// Vùng quy hoạch: zones of approved land-use plans.
    PlanningZones,
}

impl Layer {
    pub const ALL: [Layer; 2] = [Layer::Parcels, Layer::PlanningZones];

    pub fn parse(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Name in URLs and of the layer inside the MVT.
    pub fn name(&self) -> &'static str {
        match self {
            Layer::Parcels => "parcels",
            Layer::PlanningZones => "planning-zones",
        }
    }

    /// Below this zoom the layer is not drawn and its tiles are empty (204) without touching
    /// the database: a z10 parcel tile would carry a whole province's parcels (hundreds of
    /// thousands), each smaller than a pixel.
    pub fn min_zoom(&self) -> u8 {
        match self {
            Layer::Parcels => 14,
            Layer::PlanningZones => 10,
        }
    }

    /// Highest zoom with new detail (TileJSON `maxzoom`); clients over-zoom beyond it. Tiles
    /// are still served up to [`MAX_ZOOM`].
    pub fn max_detail_zoom(&self) -> u8 {
        match self {
            Layer::Parcels => 20,
            Layer::PlanningZones => 18,
        }
    }

    /// Whether tile `t` of this layer can have features at all.
    pub fn drawn_at(&self, t: &TileCoord) -> bool {
        t.z >= self.min_zoom()
    }

    /// The attributes of the layer with the zoom from which each is present (properties are
    /// chosen per zoom to keep low-zoom tiles small) and its TileJSON type/description.
    pub fn fields(&self) -> &'static [(&'static str, u8, &'static str)] {
        match self {
            Layer::Parcels => &[
                ("national_id", 14, "String: mã định danh thửa đất (12-character GeoHash)"),
                ("land_use", 14, "String: main land-use code (mã loại đất), the purpose with the largest area"),
                ("commune", 16, "String: commune code"),
                ("sheet", 16, "Number: tờ bản đồ số"),
                ("parcel", 16, "Number: thửa đất số"),
                ("area_m2", 17, "Number: legal area (diện tích), m², VN-2000 TM-3 plane"),
            ],
            Layer::PlanningZones => &[
                ("zone_id", 10, "Number: planning zone id"),
                ("plan_id", 10, "Number: plan id"),
                ("land_use", 10, "String: planned land-use code (mã loại đất quy hoạch)"),
                ("name", 13, "String: zone name"),
                ("plan_name", 13, "String: plan name"),
                ("decision_no", 13, "String: approving decision number"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_the_grid() {
        assert_eq!(TileCoord::parse("0", "0", "0"), Ok(TileCoord { z: 0, x: 0, y: 0 }));
        assert_eq!(TileCoord::parse("14", "13014", "7739"), Ok(TileCoord { z: 14, x: 13014, y: 7739 }));
        for (z, x, y, bad) in [
            ("23", "0", "0", "z"),
            ("-1", "0", "0", "z"),
            ("a", "0", "0", "z"),
            ("1", "2", "0", "x"),
            ("1", "0", "2", "y"),
            ("3", "-1", "0", "x"),
            ("3", "1.5", "0", "x"),
            ("22", "0", "4194304", "y"),
        ] {
            assert_eq!(TileCoord::parse(z, x, y).unwrap_err().parameter, bad, "{z}/{x}/{y}");
        }
    }

    #[test]
    fn bounds_and_containing_agree() {
        let t = TileCoord::containing(105.9739, 9.6025, 16);
        let [w, s, e, n] = t.bounds_wgs84();
        assert!(w <= 105.9739 && 105.9739 < e && s <= 9.6025 && 9.6025 < n, "{t:?} {w} {s} {e} {n}");
        let world = TileCoord { z: 0, x: 0, y: 0 }.bounds_wgs84();
        assert!((world[0] + 180.0).abs() < 1e-9 && (world[3] - 85.051_128_779_806_6).abs() < 1e-9);
    }

    #[test]
    fn layers() {
        assert_eq!(Layer::parse("parcels"), Some(Layer::Parcels));
        assert_eq!(Layer::parse("planning-zones"), Some(Layer::PlanningZones));
        assert_eq!(Layer::parse("communes"), None);
        assert!(!Layer::Parcels.drawn_at(&TileCoord { z: 13, x: 0, y: 0 }));
        assert!(Layer::Parcels.drawn_at(&TileCoord { z: 14, x: 0, y: 0 }));
    }
}
