//! SYNTHETIC survey deliveries, and the benchmark datasets loaded through the import path.
//!
//! A delivery is one commune's parcels from the generator (`synthetic.rs`) in a VN-2000 plane,
//! written as a GeoJSON text sequence with the attribute names a contractor's file carries
//! (`SoTo`, `SoThua`, `LoaiDat`, `DienTich`); the commune gets a synthetic rectangular boundary
//! around them, so the inside-the-commune check does its work. [`load_synthetic`] builds the
//! large benchmark registers (1,000,000 and 10,000,000 parcels) this way, one `diachinh import`
//! per commune through the library the command calls, so every parcel passes the same checks
//! as a real delivery.
//!
//! Where the communes go: every commune's parcels are laid out at a point of one lattice in
//! longitude and latitude (inland from the south-central coast, away from the sample communes),
//! each province in a block of its own (as real provinces are apart), so communes of different
//! provinces and zones never overlap, in a VN-2000 zone that a
//! surveyor there would use (see [`zone_at`]). Nothing about the places is real except the
//! commune and province codes.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use diesel::PgConnection;
use geo_types::{Coord, MultiPolygon};

use crate::synthetic::{self, Layout, Setting, SyntheticParcel};
use diachinh::service::imports::{self, ImportRequest, Outcome, ProgressSink, ProgressUpdate, Requester};
use diachinh::service::seed::SAMPLE_COMMUNES;
use diachinh::service::Settings;
use domain::crs::{nearest_zone, Crs, Tm3Zone};
use domain::import::Mode;
use store::admin_units as admin;

/// A delivery written to disk: how many features, and their bounding box in the plane.
pub struct Delivery {
    pub features: usize,
    pub bbox: [f64; 4],
}

/// Writes `parcels` as a GeoJSON text sequence (one feature per line, coordinates in the plane).
pub fn write_sequence(path: &Path, parcels: impl Iterator<Item = SyntheticParcel>) -> Result<Delivery> {
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut features = 0;
    for p in parcels {
        for c in p.polygon.exterior().0.iter() {
            bbox = [bbox[0].min(c.x), bbox[1].min(c.y), bbox[2].max(c.x), bbox[3].max(c.y)];
        }
        let area = domain::geometry::planar_area(&MultiPolygon(vec![p.polygon.clone()]));
        let ring: Vec<[f64; 2]> = p.polygon.exterior().0.iter().map(|c| [c.x, c.y]).collect();
        let feature = serde_json::json!({
            "type": "Feature",
            "properties": {"SoTo": p.sheet, "SoThua": p.parcel_no, "LoaiDat": p.land_use,
                           "DienTich": (area * 10.0).round() / 10.0},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        });
        writeln!(out, "{feature}")?;
        features += 1;
    }
    out.flush()?;
    Ok(Delivery { features, bbox })
}

/// Gives commune `code` a synthetic rectangular boundary `margin` metres around `bbox` (in
/// `crs`'s plane).
pub fn set_synthetic_boundary(
    conn: &mut PgConnection,
    code: &str,
    crs: Crs,
    [x0, y0, x1, y1]: [f64; 4],
    margin: f64,
    source: &str,
) -> Result<()> {
    let m = margin;
    let ring: Vec<(f64, f64)> =
        vec![(x0 - m, y0 - m), (x1 + m, y0 - m), (x1 + m, y1 + m), (x0 - m, y1 + m), (x0 - m, y0 - m)];
    let plane = MultiPolygon(vec![geo_types::Polygon::new(geo_types::LineString::from(ring), vec![])]);
    let wgs84 = crs.to_wgs84(&plane)?;
    let changed =
        store::reference::set_boundary(conn, "commune", code, &geojson::Geometry::from(&wgs84).to_string(), source)?;
    if changed == 0 {
        bail!("commune {code} is not in the seeded units");
    }
    Ok(())
}

/// The phases an import went through, with when each began (from its progress reports).
pub struct PhaseClock {
    pub started: Instant,
    pub phases: Vec<(&'static str, Duration)>,
}

impl PhaseClock {
    pub fn new() -> PhaseClock {
        PhaseClock { started: Instant::now(), phases: Vec::new() }
    }

    /// "reading 5.7 s, checking 1.1 s, …" (each phase up to the next one's start).
    pub fn describe(&self) -> String {
        let phases: Vec<String> =
            self.phases.windows(2).map(|w| format!("{} {:.1} s", w[0].0, (w[1].1 - w[0].1).as_secs_f64())).collect();
        phases.join(", ")
    }
}

impl ProgressSink for PhaseClock {
    fn interval(&self) -> Duration {
        Duration::from_millis(100)
    }
    fn report(&mut self, u: &ProgressUpdate) {
        if self.phases.last().map(|(p, _)| *p) != Some(u.phase) {
            self.phases.push((u.phase, self.started.elapsed()));
        }
    }
}

/// One `diachinh import` of `path` into commune `code`, in this process (the library the command
/// calls), the parcels marked synthetic.
pub fn import(
    conn: &mut PgConnection,
    settings: &Settings,
    who: &'static str,
    code: &str,
    crs: Crs,
    path: &Path,
    mode: Mode,
) -> Result<(Outcome, PhaseClock)> {
    let requester = Requester::Command(who);
    let req = ImportRequest {
        commune: code.into(),
        crs: Some(format!("EPSG:{}", crs.epsg())),
        map: None,
        mode,
        synthetic: true,
        source_name: path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
    };
    let failed = |e: diachinh::service::Error| anyhow!("the import into {code} failed: {}", imports::describe(&e));
    let mut clock = PhaseClock::new();
    let prepared = imports::prepare(conn, requester, &req, path).map_err(failed)?;
    let job = imports::queue(conn, requester, &prepared).map_err(failed)?;
    let outcome = imports::run(conn, settings, requester, job, &prepared, None, &mut clock).map_err(failed)?;
    Ok((outcome, clock))
}

/// Who the benchmark registers' imports are recorded as (`import_jobs.requested_by`).
pub const LOADER: &str = "bench-dataset";

/// South-west corner of the lattice the synthetic communes sit on (longitude, latitude).
const LATTICE_ORIGIN: (f64, f64) = (106.90, 12.45);
/// Width of the lattice in degrees of longitude.
const LATTICE_WIDTH_DEG: f64 = 2.0;
/// Northernmost latitude the lattice may reach.
const LATTICE_NORTH_LIMIT: f64 = 17.0;
/// Gap between neighbouring communes' parcels, on top of the largest extent.
const COMMUNE_GAP_M: f64 = 1_500.0;

/// Where commune number `index` of a load goes: the lattice point (longitude, latitude) of its
/// south-west corner.
#[derive(Debug, Clone, Copy)]
pub struct Lattice {
    step_lon: f64,
    step_lat: f64,
    columns: usize,
}

impl Lattice {
    /// A lattice whose cells hold a commune of `per_commune` generated parcels, urban or rural.
    pub fn for_communes_of(per_commune: usize) -> Lattice {
        let extent = [Setting::Urban, Setting::Rural]
            .into_iter()
            .map(|setting| {
                let layout = Layout { origin: (500_000.0, 1_000_000.0), setting, seed: 1, residential_code: "ODT" };
                let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for p in synthetic::generate(&layout).take(per_commune.max(1)) {
                    for c in p.polygon.exterior().0.iter() {
                        bbox = [bbox[0].min(c.x), bbox[1].min(c.y), bbox[2].max(c.x), bbox[3].max(c.y)];
                    }
                }
                (bbox[2] - bbox[0]).max(bbox[3] - bbox[1])
            })
            .fold(0.0, f64::max);
        // A layout grows by whole sheets: another seed may need one more ring of them.
        let spacing = extent + synthetic::SHEET_SIZE_M + COMMUNE_GAP_M;
        let step_lat = spacing / 110_574.0;
        let step_lon = spacing / (111_320.0 * LATTICE_NORTH_LIMIT.to_radians().cos());
        let columns = ((LATTICE_WIDTH_DEG / step_lon) as usize).max(1);
        Lattice { step_lon, step_lat, columns }
    }

    /// Where each commune of a load goes, as a lattice index for [`Lattice::point`], given each
    /// commune's province in load order: every province gets one rectangular block of cells
    /// (its communes row by row inside it), so provinces are compact and apart, as real ones
    /// are. Reads that prune by a province's extent then see what they would on real data; a
    /// province striped across the lattice would have an extent covering everyone's.
    pub fn province_blocks(&self, provinces: &[&str]) -> Vec<usize> {
        let mut codes: Vec<&str> = provinces.to_vec();
        codes.sort_unstable();
        codes.dedup();
        let most = codes.iter().map(|c| provinces.iter().filter(|p| *p == c).count()).max().unwrap_or(1);
        let width = ((most as f64).sqrt().ceil() as usize).clamp(1, self.columns);
        let height = most.div_ceil(width);
        let blocks_per_row = (self.columns / width).max(1);
        let mut taken = std::collections::HashMap::<&str, usize>::new();
        provinces
            .iter()
            .map(|p| {
                let block = codes.binary_search(p).unwrap_or_default();
                let within = taken.entry(p).or_default();
                let (col, row) = (
                    (block % blocks_per_row) * width + *within % width,
                    (block / blocks_per_row) * height + *within / width,
                );
                *within += 1;
                row * self.columns + col
            })
            .collect()
    }

    pub fn point(&self, index: usize) -> Result<(f64, f64)> {
        let (col, row) = (index % self.columns, index / self.columns);
        let point = (LATTICE_ORIGIN.0 + col as f64 * self.step_lon, LATTICE_ORIGIN.1 + row as f64 * self.step_lat);
        if point.1 + self.step_lat > LATTICE_NORTH_LIMIT {
            bail!("commune {index} would lie north of {LATTICE_NORTH_LIMIT}°: too many communes for the lattice");
        }
        Ok(point)
    }
}

/// The communes a synthetic load fills, in order: every commune in force except the sample
/// communes, taken from the provinces in turn (one from each province, then the next from
/// each, …), so that even a small load spans the whole country's provinces. Within a province
/// the communes come in a fixed pseudo-random order rather than by code: codes list a
/// province's phường (dense urban lots) first, so a small load would be mostly urban and a large
/// one mostly rural, and their reads would not compare.
pub fn communes_in_turn(conn: &mut PgConnection) -> Result<Vec<admin::UnitRow>> {
    #[derive(diesel::QueryableByName)]
    struct Province {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let provinces: Vec<String> = diesel::RunQueryDsl::load::<Province>(
        diesel::sql_query("SELECT code FROM admin_units WHERE level = 'province' AND valid_to IS NULL ORDER BY code"),
        conn,
    )?
    .into_iter()
    .map(|p| p.code)
    .collect();
    if provinces.is_empty() {
        bail!("no provinces loaded: run `diachinh seed` first");
    }
    let sample_codes: Vec<&str> = SAMPLE_COMMUNES.iter().map(|s| s.code).collect();
    let mut by_province: Vec<std::collections::VecDeque<admin::UnitRow>> = provinces
        .iter()
        .map(|p| {
            let mut communes: Vec<admin::UnitRow> = admin::communes_in_provinces(conn, &[p.as_str()])?
                .into_iter()
                .filter(|c| !sample_codes.contains(&c.code.as_str()))
                .collect();
            communes.sort_by_key(|c| (shuffle_key(&c.code), c.code.clone()));
            Ok(communes.into())
        })
        .collect::<Result<_>>()?;
    let mut order = Vec::new();
    while by_province.iter().any(|q| !q.is_empty()) {
        for queue in by_province.iter_mut() {
            if let Some(c) = queue.pop_front() {
                order.push(c);
            }
        }
    }
    Ok(order)
}

/// A fixed pseudo-random sort key for a commune code (FNV-1a, then a 64-bit finaliser): the
/// same order on every machine and run.
fn shuffle_key(code: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Furthest a commune may lie from its zone's central meridian, in degrees of longitude. A
/// province's own TM-3 meridian runs through or near it; 1.5° keeps eastings within about
/// 500 km ± 165 km, well inside the range the certificate check accepts as VN-2000 metres
/// (`checks::VN2000_PLANE_RANGE`, ±4°).
const ZONE_REACH_DEG: f64 = 1.5;

/// The zone a commune placed at longitude `lon` is surveyed in: its province's zone when the
/// place is within [`ZONE_REACH_DEG`] of that zone's meridian, else the zone nearest the place.
/// (The lattice puts communes of every province in one region, so a province's real meridian
/// can be far away; a delivery 4° off its meridian is one no surveyor would make, and the
/// certificate check rightly refuses such coordinates.)
pub fn zone_at(province_epsg: Option<i32>, lon: f64) -> Tm3Zone {
    match province_epsg.and_then(|e| Crs::from_epsg(e as u32)) {
        Some(Crs::Vn2000(zone)) if (zone.central_meridian - lon).abs() <= ZONE_REACH_DEG => zone,
        _ => nearest_zone(lon),
    }
}

/// Loads `count` synthetic parcels through the import path, `per_commune` to a commune (see
/// [`communes_in_turn`] and [`Lattice`]), each commune in one all-or-nothing import. A commune
/// that already holds parcels is taken as loaded by an earlier run (an all-or-nothing import
/// leaves a commune complete or empty). Calls `progress` after each commune with (done, total,
/// the import's phases).
pub fn load_synthetic(
    conn: &mut PgConnection,
    settings: &Settings,
    scratch: &Path,
    count: usize,
    per_commune: usize,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<usize> {
    let per_commune = per_commune.max(1);
    let communes = communes_in_turn(conn)?;
    let needed = count.div_ceil(per_commune);
    if needed > communes.len() {
        bail!("{count} parcels at {per_commune} a commune need {needed} communes; {} are available", communes.len());
    }
    let lattice = Lattice::for_communes_of(per_commune);
    let chosen: Vec<&str> = communes.iter().take(needed).map(|c| c.province_code.as_str()).collect();
    let places = lattice.province_blocks(&chosen);
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let mut done = 0usize;
    for (index, commune) in communes.iter().take(needed).enumerate() {
        let take = per_commune.min(count - done);
        if store::parcels::count_current_in_commune(conn, commune.id)? > 0 {
            done += take;
            continue;
        }
        let (lon, lat) = lattice.point(places[index])?;
        let crs = Crs::Vn2000(zone_at(commune.default_crs_epsg, lon));
        let origin = crs.point_from_wgs84(Coord { x: lon, y: lat })?;
        let setting = if commune.division_type == "phường" { Setting::Urban } else { Setting::Rural };
        let residential = if setting == Setting::Urban { "ODT" } else { "ONT" };
        let layout = Layout {
            origin: (origin.x.round(), origin.y.round()),
            setting,
            seed: 1_000 + index as u64,
            residential_code: residential,
        };
        let path = scratch.join(format!("{}-{}.geojsonl", commune.province_code, commune.code));
        let delivery = write_sequence(&path, synthetic::generate(&layout).take(take))?;
        set_synthetic_boundary(
            conn,
            &commune.code,
            crs,
            delivery.bbox,
            50.0,
            "synthetic benchmark boundary (diachinh-tools, loaded through the import)",
        )?;
        if delivery.features != take {
            bail!("the generator gave {} parcels for commune {}, not {take}", delivery.features, commune.code);
        }
        let imported = import(conn, settings, LOADER, &commune.code, crs, &path, Mode::AllOrNothing);
        let _ = std::fs::remove_file(&path);
        let (outcome, clock) = imported?;
        if outcome.loaded != take as i64 {
            bail!(
                "commune {}: the import loaded {} of {take} synthetic parcels ({:?})",
                commune.code,
                outcome.loaded,
                outcome.rejected_by_code
            );
        }
        done += take;
        progress(done, count, &clock.describe());
    }
    store::parcels::analyze(conn)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commune_order_is_fixed_and_not_by_code() {
        let mut codes: Vec<&str> = vec!["26734", "26737", "26740", "26743", "26746", "26749", "26752", "26755"];
        codes.sort_by_key(|c| shuffle_key(c));
        assert_ne!(codes, vec!["26734", "26737", "26740", "26743", "26746", "26749", "26752", "26755"]);
        assert_eq!(shuffle_key("26734"), shuffle_key("26734"));
    }

    #[test]
    fn a_commune_far_from_its_provinces_meridian_takes_the_nearest_zone() {
        // EPSG:5897 is central meridian 105°; 108.7° E is 3.7° away.
        assert_eq!(zone_at(Some(5897), 108.7).central_meridian, 108.5);
        assert_eq!(zone_at(None, 107.0).central_meridian, 107.0);
        // Near its meridian the province's own zone is kept.
        assert_eq!(zone_at(Some(5897), 106.2).epsg, 5897);
        let [e0, _, e1, _] = domain::checks::VN2000_PLANE_RANGE;
        let lattice = Lattice::for_communes_of(5_000);
        for index in [0, 1, 250, 2_000, 3_000] {
            let (lon, lat) = lattice.point(index).unwrap();
            // A lattice cell is ~0.1° wide at most: test its east edge too.
            for dx in [0.0, 0.1] {
                let zone = zone_at(Some(5897), lon);
                let p = Crs::Vn2000(zone).point_from_wgs84(Coord { x: lon + dx, y: lat }).unwrap();
                assert!((e0..=e1).contains(&p.x), "commune {index} at {lon}° E: easting {}", p.x);
            }
        }
    }

    #[test]
    fn each_province_gets_a_block_of_its_own() {
        let lattice = Lattice::for_communes_of(5_000);
        // 34 provinces in turn, 59 communes each (the 10,000,000 load).
        let codes: Vec<String> = (1..=34).map(|p| format!("{p:02}")).collect();
        let provinces: Vec<&str> = (0..59).flat_map(|_| codes.iter().map(String::as_str)).collect();
        let places = lattice.province_blocks(&provinces);
        let mut seen = places.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), places.len(), "two communes share a cell");
        // Each province's cells, as a rectangle of (column, row); no two rectangles meet.
        let rect = |code: &str| {
            let cells = provinces.iter().zip(&places).filter(|(p, _)| **p == code).map(|(_, i)| *i);
            cells.fold([usize::MAX, usize::MAX, 0, 0], |r, i| {
                let (c, w) = (i % lattice.columns, i / lattice.columns);
                [r[0].min(c), r[1].min(w), r[2].max(c), r[3].max(w)]
            })
        };
        let rects: Vec<[usize; 4]> = codes.iter().map(|c| rect(c)).collect();
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                let apart = a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1];
                assert!(apart, "{a:?} and {b:?} overlap");
            }
        }
        assert!(places.iter().all(|i| lattice.point(*i).is_ok()), "the load does not fit the lattice");
    }

    #[test]
    fn a_lattice_cell_holds_a_commune() {
        let lattice = Lattice::for_communes_of(5_000);
        let (a, b) = (lattice.point(0).unwrap(), lattice.point(1).unwrap());
        // Neighbouring cells are kilometres apart, not metres.
        assert!((b.0 - a.0) > 0.02, "{a:?} {b:?}");
        assert!(lattice.point(100_000).is_err());
    }
}
