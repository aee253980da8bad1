//! Our VN-2000 → WGS 84 transform against an independent implementation (pyproj with the
//! EPSG database, operation pinned to EPSG:6960), at points in several provinces: agreement
//! within 1 cm. `make test` puts a venv with pyproj first on PATH (scripts/prereqs.sh).

use std::io::Write;
use std::process::{Command, Stdio};

use domain::crs::Crs;
use geo_types::Coord;

/// (province, EPSG zone, longitude, latitude) of places to test around.
const PLACES: &[(&str, u32, f64, f64)] = &[
    ("An Giang (ex-Kiên Giang), Rạch Giá", 9207, 105.08, 10.01),
    ("An Giang, Long Xuyên", 9208, 105.43, 10.38),
    ("Cần Thơ (ex-Sóc Trăng), Sóc Trăng", 9209, 105.97, 9.60),
    ("Cần Thơ, Ninh Kiều", 5897, 105.78, 10.03),
    ("Tây Ninh (ex-Long An), Tân An", 9210, 106.41, 10.54),
    ("Khánh Hòa, Nha Trang", 9217, 109.19, 12.24),
    ("Hà Nội, Hoàn Kiếm", 5897, 105.85, 21.03),
];

fn pyproj(points: &[(u32, f64, f64)]) -> Vec<(f64, f64)> {
    let python = std::env::var("DIACHINH_PYTHON").unwrap_or_else(|_| "python".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vn2000_reference.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (make test provides var/venv with pyproj): {e}"));
    let input: Vec<_> = points.iter().map(|&(e, x, y)| serde_json::json!([e, x, y])).collect();
    child.stdin.take().unwrap().write_all(serde_json::to_string(&input).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pyproj reference failed");
    let v: Vec<(f64, f64)> = serde_json::from_slice(&out.stdout).unwrap();
    v
}

/// Ground distance in metres between two nearby lon/lat points.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = a.1.to_radians();
    let dy = (a.1 - b.1) * 110_574.0;
    let dx = (a.0 - b.0) * 111_320.0 * lat.cos();
    (dx * dx + dy * dy).sqrt()
}

#[test]
fn our_transform_agrees_with_pyproj_epsg_6960_within_a_centimetre() {
    // A 5 × 5 grid of points, 2 km apart, around each place, in that place's TM-3 plane.
    let mut points = Vec::new();
    for &(_, epsg, lon, lat) in PLACES {
        let crs = Crs::from_epsg(epsg).unwrap();
        let centre = crs.point_from_wgs84(Coord { x: lon, y: lat }).unwrap();
        for i in -2..=2 {
            for j in -2..=2 {
                points.push((epsg, centre.x + 2_000.0 * i as f64 + 0.123, centre.y + 2_000.0 * j as f64 + 0.456));
            }
        }
    }
    let reference = pyproj(&points);
    assert_eq!(reference.len(), points.len());
    let mut worst: (f64, usize) = (0.0, 0);
    for (k, (&(epsg, x, y), &expected)) in points.iter().zip(&reference).enumerate() {
        let ours = Crs::from_epsg(epsg).unwrap().point_to_wgs84(Coord { x, y }).unwrap();
        let d = metres((ours.x, ours.y), expected);
        if d > worst.0 {
            worst = (d, k);
        }
        assert!(d < 0.01, "EPSG:{epsg} ({x}, {y}): ours {ours:?} vs pyproj {expected:?}: {d:.4} m");
    }
    eprintln!("worst disagreement over {} points in {} places: {:.3e} m", points.len(), PLACES.len(), worst.0);
}

#[test]
fn the_widely_copied_towgs84_with_published_signs_would_fail_this_check() {
    // Guard that the check above can fail: the coordinate-frame rotations applied with
    // position-vector signs put Sóc Trăng roughly half a metre off.
    let bad = proj::Proj::new(
        "+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 \
         +step +proj=cart +ellps=WGS84 \
         +step +proj=helmert +x=-191.90441429 +y=-39.30318279 +z=-111.45032835 +rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 +convention=position_vector \
         +step +inv +proj=cart +ellps=WGS84 +step +proj=unitconvert +xy_in=rad +xy_out=deg",
    )
    .unwrap();
    let crs = Crs::from_epsg(9209).unwrap();
    let p = crs.point_from_wgs84(Coord { x: 105.97, y: 9.60 }).unwrap();
    let reference = pyproj(&[(9209, p.x, p.y)])[0];
    let wrong = bad.convert((p.x, p.y)).unwrap();
    let d = metres(wrong, reference);
    assert!(d > 0.3, "sign error only {d} m");
}
