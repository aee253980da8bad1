//! Test fixtures shared by the rules' tests: plane coordinates near a real parcel and the
//! shipped reference tables.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::{AreaToleranceTable, MinSplitAreaTable};

pub(super) const E: f64 = 553_000.0;
pub(super) const N: f64 = 1_061_500.0;

/// A polygon from offsets (metres) from (E, N); rings are closed here.
pub(super) fn poly(rings: &[&[(f64, f64)]]) -> Polygon<f64> {
    let ring = |r: &[(f64, f64)]| {
        let mut c: Vec<Coord<f64>> = r.iter().map(|(x, y)| Coord { x: E + x, y: N + y }).collect();
        c.push(c[0]);
        LineString(c)
    };
    Polygon::new(ring(rings[0]), rings[1..].iter().map(|r| ring(r)).collect())
}

pub(super) fn mp(rings: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
    MultiPolygon(vec![poly(rings)])
}

pub(super) fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    mp(&[&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]])
}

pub(super) fn area_table() -> AreaToleranceTable {
    AreaToleranceTable::from_csv(include_str!("../../../../sample-data/area-tolerance.csv")).unwrap()
}

pub(super) fn split_table() -> MinSplitAreaTable {
    MinSplitAreaTable::from_csv(include_str!("../../../../sample-data/min-split-area.csv")).unwrap()
}
