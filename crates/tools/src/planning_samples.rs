//! Synthetic sample land-use plans for the four sample communes (one approved commune-level
//! plan each, its zones partitioning the commune's synthetic boundary rectangle, with a
//! planned 16 m road laid where it crosses the most residential sample parcels). Written by
//! `diachinh-tools sample-data` to `sample-data/planning/`. Nothing here describes a real
//! plan or decision.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use diachinh::service::seed::{Setting, SAMPLE_COMMUNES};
use domain::crs::Crs;
use domain::geometry::parse_polygonal;
use geo::{Area, BooleanOps, BoundingRect};
use geo_types::{Coord, MultiPolygon, Polygon, Rect};
use serde_json::{json, Value};

use diachinh::service::planning::sample::sample_path;

/// Width of the planned road (lộ giới), metres.
const ROAD_WIDTH_M: f64 = 16.0;
/// The road keeps at least this far from the boundary's edges, so each side keeps zones.
const ROAD_MARGIN_M: f64 = 40.0;
/// Depth of the residential strip planned along the road in a xã.
const RURAL_STRIP_M: f64 = 40.0;

/// Names of the sample communes (README, `sample-data/admin-units-2025.csv`).
fn commune_name(code: &str) -> &'static str {
    match code {
        "30742" => "Phường Rạch Giá",
        "31507" => "Phường Sóc Trăng",
        "22366" => "Phường Nha Trang",
        "28036" => "Xã Thủ Thừa",
        _ => "xã/phường mẫu",
    }
}

/// A rectangle in a frame whose first axis (u) runs along the road and whose second (v) across it.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// The road runs along the easting (true) or the northing (false).
    along_x: bool,
}

impl Frame {
    fn rect(&self, u0: f64, v0: f64, u1: f64, v1: f64) -> Polygon<f64> {
        let r = |v: f64| (v * 1000.0).round() / 1000.0;
        let (a, b) = if self.along_x {
            (Coord { x: r(u0), y: r(v0) }, Coord { x: r(u1), y: r(v1) })
        } else {
            (Coord { x: r(v0), y: r(u0) }, Coord { x: r(v1), y: r(u1) })
        };
        Rect::new(a, b).to_polygon()
    }
    /// (u range, v range) of the boundary in this frame.
    fn ranges(&self, b: &Rect<f64>) -> ((f64, f64), (f64, f64)) {
        let (x, y) = ((b.min().x, b.max().x), (b.min().y, b.max().y));
        if self.along_x {
            (x, y)
        } else {
            (y, x)
        }
    }
}

/// One generated zone: planned land-use code, name, polygon in the commune's VN-2000 plane.
type Zone = (&'static str, &'static str, Polygon<f64>);

/// Lays the road where it crosses the most residential parcels (by more than 5 m² each);
/// ties go to the road along the boundary's longer side, then to the one nearest the middle.
fn choose_road(boundary: &Rect<f64>, residential: &[MultiPolygon<f64>]) -> (Frame, f64) {
    let mut best: Option<(usize, bool, f64, Frame, f64)> = None;
    for along_x in [true, false] {
        let frame = Frame { along_x };
        let ((u0, u1), (v0, v1)) = frame.ranges(boundary);
        let longer = (u1 - u0) >= (v1 - v0);
        let middle = (v0 + v1) / 2.0;
        let mut v = v0 + ROAD_MARGIN_M;
        while v <= v1 - ROAD_MARGIN_M {
            let strip = MultiPolygon(vec![frame.rect(u0, v - ROAD_WIDTH_M / 2.0, u1, v + ROAD_WIDTH_M / 2.0)]);
            let crossed = residential.iter().filter(|p| p.intersection(&strip).unsigned_area() > 5.0).count();
            let key = (crossed, longer, -(v - middle).abs());
            if best.as_ref().is_none_or(|b| (key.0, key.1, key.2) > (b.0, b.1, b.2)) {
                best = Some((crossed, longer, key.2, frame, v));
            }
            v += 2.0;
        }
    }
    let (_, _, _, frame, v) = best.expect("the boundary is wider than twice the road margin");
    (frame, v)
}

/// The zones of a sample plan: the road, and each side of it split into planned uses.
fn sample_zones(boundary: &Rect<f64>, residential: &[MultiPolygon<f64>], setting: Setting) -> Vec<Zone> {
    let (frame, vc) = choose_road(boundary, residential);
    let ((u0, u1), (v0, v1)) = frame.ranges(boundary);
    let (ra, rb) = (vc - ROAD_WIDTH_M / 2.0, vc + ROAD_WIDTH_M / 2.0);
    let um = ((u0 + u1) / 2.0).round();
    let mut zones: Vec<Zone> =
        vec![("DGT", "Đường quy hoạch mở mới, lộ giới 16 m (tổng hợp / synthetic)", frame.rect(u0, ra, u1, rb))];
    match setting {
        Setting::Urban => {
            let third = ((u1 - u0) / 3.0).round();
            zones.push(("ODT", "Khu dân cư hiện hữu chỉnh trang (tổng hợp / synthetic)", frame.rect(u0, v0, um, ra)));
            zones.push(("DGD", "Trường học quy hoạch (tổng hợp / synthetic)", frame.rect(um, v0, u1, ra)));
            zones.push((
                "DKV",
                "Công viên cây xanh quy hoạch (tổng hợp / synthetic)",
                frame.rect(u0, rb, u0 + third, v1),
            ));
            zones.push((
                "TMD",
                "Khu thương mại dịch vụ quy hoạch (tổng hợp / synthetic)",
                frame.rect(u0 + third, rb, u1 - third, v1),
            ));
            zones.push(("ODT", "Khu dân cư hiện hữu (tổng hợp / synthetic)", frame.rect(u1 - third, rb, u1, v1)));
        }
        Setting::Rural => {
            let (sa, sb) = ((ra - RURAL_STRIP_M).max(v0), (rb + RURAL_STRIP_M).min(v1));
            zones.push((
                "ONT",
                "Khu dân cư nông thôn dọc tuyến đường (tổng hợp / synthetic)",
                frame.rect(u0, sa, u1, ra),
            ));
            zones.push((
                "ONT",
                "Khu dân cư nông thôn dọc tuyến đường (tổng hợp / synthetic)",
                frame.rect(u0, rb, u1, sb),
            ));
            if sa > v0 + 1.0 {
                zones.push(("LUC", "Vùng lúa chuyên canh (tổng hợp / synthetic)", frame.rect(u0, v0, um, sa)));
                zones.push(("CLN", "Vùng cây lâu năm (tổng hợp / synthetic)", frame.rect(um, v0, u1, sa)));
            }
            if sb < v1 - 1.0 {
                zones.push(("LUC", "Vùng lúa chuyên canh (tổng hợp / synthetic)", frame.rect(u0, sb, um, v1)));
                zones.push(("NTS", "Vùng nuôi trồng thủy sản (tổng hợp / synthetic)", frame.rect(um, sb, u1, v1)));
            }
        }
    }
    node(zones)
}

/// Inserts into every zone's ring the corners of other zones that lie on its edges. Without
/// this, an edge with a T-junction (a neighbour's corner in its middle) is straight in the
/// VN-2000 plane but its neighbours' two pieces are not collinear with it after the transform
/// to WGS 84, and the zones would overlap by slivers.
fn node(zones: Vec<Zone>) -> Vec<Zone> {
    let corners: Vec<Coord<f64>> = zones.iter().flat_map(|(_, _, p)| p.exterior().0.clone()).collect();
    zones
        .into_iter()
        .map(|(code, name, polygon)| {
            let ring = &polygon.exterior().0;
            let mut noded = Vec::with_capacity(ring.len() * 2);
            for edge in ring.windows(2) {
                let (a, b) = (edge[0], edge[1]);
                noded.push(a);
                // Edges are axis-parallel and corners are rounded the same way: exact tests hold.
                let mut inner: Vec<Coord<f64>> = corners
                    .iter()
                    .copied()
                    .filter(|c| {
                        let between = |p: f64, q: f64, v: f64| p.min(q) < v && v < p.max(q);
                        (a.x == b.x && c.x == a.x && between(a.y, b.y, c.y))
                            || (a.y == b.y && c.y == a.y && between(a.x, b.x, c.x))
                    })
                    .collect();
                inner.sort_by(|p, q| {
                    ((p.x - a.x).abs() + (p.y - a.y).abs()).total_cmp(&((q.x - a.x).abs() + (q.y - a.y).abs()))
                });
                inner.dedup();
                noded.extend(inner);
            }
            noded.push(ring[0]);
            (code, name, Polygon::new(geo_types::LineString(noded), vec![]))
        })
        .collect()
}

/// Writes `dir/planning/<province>-<commune>.geojson` for the four sample communes from their
/// sample parcel files (deterministic: same parcels, same plans).
pub fn write_sample_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir.join("planning"))?;
    let mut written = Vec::new();
    for sample in &SAMPLE_COMMUNES {
        let parcels_path = dir.join("parcels").join(format!("{}-{}.geojson", sample.province_code, sample.code));
        let text = std::fs::read_to_string(&parcels_path)
            .with_context(|| format!("while reading {}", parcels_path.display()))?;
        let file: Value = serde_json::from_str(&text)?;
        let crs = Crs::parse(file["crs"]["properties"]["name"].as_str().unwrap_or_default())?;
        let boundary_json: geojson::Geometry = serde_json::from_value(file["commune_boundary"].clone())?;
        let boundary = parse_polygonal(&boundary_json)?
            .bounding_rect()
            .ok_or_else(|| anyhow!("{}: empty boundary", parcels_path.display()))?;
        let residential_code = if sample.setting == Setting::Urban { "ODT" } else { "ONT" };
        let mut residential = Vec::new();
        for f in file["features"].as_array().into_iter().flatten() {
            if f["properties"]["land_use"].as_str() == Some(residential_code) {
                let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone())?;
                residential.push(parse_polygonal(&g)?);
            }
        }
        let name = commune_name(sample.code);
        let features: Vec<Value> = sample_zones(&boundary, &residential, sample.setting)
            .into_iter()
            .map(|(code, zone_name, polygon)| {
                json!({
                    "type": "Feature",
                    "geometry": geojson::Geometry::from(&polygon),
                    "properties": {"land_use": code, "name": zone_name},
                })
            })
            .collect();
        let doc = json!({
            "type": "FeatureCollection",
            "name": format!("diachinh sample land-use plan, commune {}", sample.code),
            "synthetic": true,
            "note": "SYNTHETIC DATA: this plan, its decision number and its zones were generated by `diachinh sample-data` \
                     around the synthetic sample parcels; they describe no real plan, decision or land. \
                     The planned road (DGT) is placed where it crosses the most residential sample parcels.",
            "plan": {
                "level": "commune",
                "unit": sample.code,
                "name": format!("Quy hoạch sử dụng đất {name} thời kỳ 2021–2030 (mẫu tổng hợp / synthetic)"),
                "period_start": 2021,
                "period_end": 2030,
                "decision_no": format!("MẪU-{}/QĐ-UBND (tổng hợp / synthetic)", sample.code),
                "decision_date": "2024-06-28",
                "status": "approved",
            },
            "crs": crs.uri(),
            "features": features,
        });
        let path = sample_path(dir, sample.province_code, sample.code);
        let text = serde_json::to_string(&doc)?.replace("},{\"type\":\"Feature\"", "},\n{\"type\":\"Feature\"");
        std::fs::write(&path, text + "\n")?;
        written.push(path);
    }
    Ok(written)
}
