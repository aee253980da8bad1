//! Reference and sample data: the 2025 administrative units, land-use types, the four sample
//! communes (synthetic geometry, labelled as such), and large synthetic sets for benchmarks.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use diesel::{Connection, PgConnection};
use geo_types::{Coord, MultiPolygon};
use serde_json::{json, Value};

use super::certificates as certificate_service;
use super::parcels::{self, LandUseInput, NewParcel, Recorder};
use super::{Error, Settings};
use crate::domain::crs::Crs;
use crate::domain::parcel::measure;
use crate::persistence::{admin, parcels as parcel_db, reference, rights};
use crate::synthetic::{self, Layout, Setting};

/// One of the sample communes of the seed reports.
pub struct SampleCommune {
    pub code: &'static str,
    pub province_code: &'static str,
    /// VN-2000 TM-3 zone the sample is laid out in (the former province's meridian).
    pub zone_epsg: u32,
    /// Roughly where the synthetic blocks are put (lon, lat).
    pub centre: (f64, f64),
    pub setting: Setting,
    pub seed: u64,
    pub parcels: usize,
    /// A synthetic pre-2025 predecessor (code, name) under which sheet 1 was registered.
    pub predecessor: Option<(&'static str, &'static str)>,
}

/// The four sample communes: one in each province of the seed reports.
pub const SAMPLE_COMMUNES: [SampleCommune; 4] = [
    // An Giang (ex-Kiên Giang): Phường Rạch Giá, TM-3 104°30′.
    SampleCommune { code: "30742", province_code: "91", zone_epsg: 9207, centre: (105.0800, 10.0125), setting: Setting::Urban, seed: 91, parcels: 240, predecessor: None },
    // Cần Thơ (ex-Sóc Trăng): Phường Sóc Trăng, TM-3 105°30′.
    SampleCommune { code: "31507", province_code: "92", zone_epsg: 9209, centre: (105.9739, 9.6025), setting: Setting::Urban, seed: 92, parcels: 240, predecessor: None },
    // Khánh Hòa: Phường Nha Trang, TM-3 108°15′.
    SampleCommune { code: "22366", province_code: "56", zone_epsg: 9217, centre: (109.1900, 12.2450), setting: Setting::Urban, seed: 56, parcels: 240, predecessor: None },
    // Tây Ninh (ex-Long An): Xã Thủ Thừa, TM-3 105°45′, with a synthetic predecessor commune.
    SampleCommune { code: "28036", province_code: "80", zone_epsg: 9210, centre: (106.4000, 10.6020), setting: Setting::Rural, seed: 80, parcels: 240,
        predecessor: Some(("99001", "Xã Thủ Thừa (trước 2025) — tổng hợp / synthetic predecessor")) },
];

/// Printed in the QR codes of sample certificates when DIACHINH_PUBLIC_URL is not set.
const SAMPLE_BASE_URL: &str = "http://127.0.0.1:8080";

/// What `seed` did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub units: usize,
    pub land_use_types: usize,
    pub parcels: usize,
    pub certificates: usize,
    pub procedures: usize,
    pub calendar_days: usize,
    pub dossiers: usize,
}

/// Sample dossiers per sample commune, spread over the past year.
const SAMPLE_DOSSIERS_PER_COMMUNE: usize = 90;

/// Loads reference data and the sample communes from `dir`; idempotent.
pub fn seed(conn: &mut PgConnection, settings: &Settings, dir: &Path) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        report.land_use_types = load_land_use_types(conn, &dir.join("land-use-types.csv"))?;
        report.units = load_units(conn, &dir.join("admin-units-2025.csv"))?;
        report.units += load_legacy_units(conn, &dir.join("legacy-units.csv"))?;
        load_province_crs(conn, &dir.join("province-crs.csv"))?;
        (report.procedures, report.calendar_days) = super::dossiers::load_reference(conn, dir)?;
        super::checks::load_reference(conn, dir)?;
        Ok(())
    })?;
    for sample in &SAMPLE_COMMUNES {
        let path = dir.join("parcels").join(format!("{}-{}.geojson", sample.province_code, sample.code));
        let (parcels, certificates) = load_sample_file(conn, settings, &path)?;
        report.parcels += parcels;
        report.certificates += certificates;
    }
    certificate_service::sync_registry_counters(conn).map_err(|e| anyhow!("{e}: {e:?}"))?;
    super::planning::sample::load_samples(conn, settings, dir)?;
    report.dossiers = super::dossiers::seed_samples(conn, settings, chrono::Utc::now(), SAMPLE_DOSSIERS_PER_COMMUNE)?;
    Ok(report)
}

fn read_csv(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        // Names in the source data sometimes carry doubled spaces ("Xã  Phú Hữu").
        .map(|l| l.split(',').map(|f| f.split_whitespace().collect::<Vec<_>>().join(" ")).collect())
        .collect())
}

fn load_land_use_types(conn: &mut PgConnection, path: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for row in read_csv(path)? {
        let [code, category, name] = row.as_slice() else { bail!("{}: expected code,category,name", path.display()) };
        n += reference::upsert_land_use_type(conn, code, name, category)?;
    }
    Ok(n)
}

const REFORM_DATE: &str = "2025-07-01";

fn load_units(conn: &mut PgConnection, path: &Path) -> anyhow::Result<usize> {
    let valid_from = REFORM_DATE.parse()?;
    let rows = read_csv(path)?;
    let mut provinces = Vec::new();
    let mut communes = Vec::new();
    for row in rows {
        let [level, code, name, division_type, parent] = row.as_slice() else { bail!("{}: expected 5 columns", path.display()) };
        let record = reference::UnitRecord {
            level: level.clone(),
            code: code.clone(),
            name: name.clone(),
            division_type: division_type.clone(),
            province_code: if level == "province" { code.clone() } else { parent.clone() },
            valid_from,
            valid_to: None,
            default_crs_epsg: None,
        };
        match level.as_str() {
            "province" => provinces.push(record),
            "commune" => communes.push(record),
            other => bail!("{}: unknown level {other}", path.display()),
        }
    }
    // Provinces first: communes link to them.
    Ok(reference::upsert_units(conn, &provinces)? + reference::upsert_units(conn, &communes)?)
}

fn load_legacy_units(conn: &mut PgConnection, path: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for row in read_csv(path)? {
        let [code, name, division_type, province, valid_from, valid_to, successor] = row.as_slice() else {
            bail!("{}: expected code,name,division_type,province_code,valid_from,valid_to,successor_code", path.display())
        };
        n += reference::upsert_units(conn, &[reference::UnitRecord {
            level: "commune".into(),
            code: code.clone(),
            name: name.clone(),
            division_type: division_type.clone(),
            province_code: province.clone(),
            valid_from: valid_from.parse()?,
            valid_to: Some(valid_to.parse()?),
            default_crs_epsg: None,
        }])?;
        reference::link_predecessor(conn, successor, code)?;
    }
    Ok(n)
}

fn load_province_crs(conn: &mut PgConnection, path: &Path) -> anyhow::Result<()> {
    for row in read_csv(path)? {
        let (Some(province), Some(epsg)) = (row.first(), row.get(1)) else { bail!("{}: expected province_code,epsg,…", path.display()) };
        let epsg: i32 = epsg.parse()?;
        if Crs::from_epsg(epsg as u32).is_none() {
            bail!("{}: EPSG:{epsg} is not a supported VN-2000 zone", path.display());
        }
        reference::set_province_crs(conn, province, epsg)?;
    }
    Ok(())
}

/// Loads one sample file through the same registration path as `POST /parcels`; returns
/// (parcels, certificates) inserted. Skips the file if its commune already has parcels.
fn load_sample_file(conn: &mut PgConnection, settings: &Settings, path: &Path) -> anyhow::Result<(usize, usize)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))?;
    let file: Value = serde_json::from_str(&text).with_context(|| format!("while parsing {}", path.display()))?;
    let commune_code = file["commune"].as_str().ok_or_else(|| anyhow!("{}: no commune", path.display()))?;
    let crs_name = file["crs"]["properties"]["name"].as_str().ok_or_else(|| anyhow!("{}: no crs", path.display()))?;
    let crs = Crs::parse(crs_name)?;
    let commune = admin::current_commune(conn, commune_code)?.ok_or_else(|| anyhow!("commune {commune_code} is not loaded"))?;
    if !parcel_db::page(conn, &parcel_db::PageQuery { limit: 1, ..Default::default() })
        .map(|(_, _)| ())
        .is_ok()
    {
        bail!("cannot query parcels");
    }
    if parcel_count_in(conn, commune.id)? > 0 {
        return Ok((0, 0));
    }
    let by = Recorder { user_id: None, name: "seed" };
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        if let Some(boundary) = file.get("commune_boundary") {
            let geometry: geojson::Geometry = serde_json::from_value(boundary.clone())?;
            let mp = crate::domain::geometry::parse_polygonal(&geometry)?;
            let wgs84 = crs.to_wgs84(&mp)?;
            reference::set_boundary(conn, "commune", commune_code, &geojson::Geometry::from(&wgs84).to_string(), "synthetic")?;
        }
        let commune = admin::current_commune(conn, commune_code)?.expect("loaded above");
        let features = file["features"].as_array().ok_or_else(|| anyhow!("{}: no features", path.display()))?;
        let (mut parcels_in, mut certificates) = (0, 0);
        for (i, f) in features.iter().enumerate() {
            let p = &f["properties"];
            let req = NewParcel {
                commune: commune_code.to_string(),
                registered_commune: p["registered_commune"].as_str().map(str::to_string),
                sheet: p["sheet"].as_i64().unwrap_or(0) as i32,
                parcel: p["parcel"].as_i64().unwrap_or(0) as i32,
                crs: Some(crs_name.to_string()),
                geometry: f["geometry"].clone(),
                land_uses: vec![LandUseInput { code: p["land_use"].as_str().unwrap_or("").to_string(), area_m2: None, use_until: None, origin: None }],
                address: p["address"].as_str().map(str::to_string),
            };
            let (crs, geometry) = parcels::parse_new_parcel_geometry(&req).map_err(|e| describe(path, i, e))?;
            let (parcel_id, _) = parcels::register(conn, settings, &by, &commune, &req, crs, &geometry, true)
                .map_err(|e| describe(path, i, e))?;
            parcels_in += 1;
            if let Some(holders) = p["holders"].as_array() {
                let rrr = rights::insert_use_right(conn, parcel_id, if holders.len() > 1 { "joint" } else { "sole" }, "synthetic sample record")?;
                for h in holders {
                    let party = rights::insert_party(conn, h["kind"].as_str().unwrap_or("person"), h["name"].as_str().unwrap_or("?"), h["id_number"].as_str(), None)?;
                    rights::insert_share(conn, rrr, party, h["share"].as_f64().unwrap_or(1.0))?;
                }
                if let Some(c) = p.get("certificate").filter(|c| c.is_object()) {
                    let id = rights::insert_certificate(conn, &rights::NewCertificate {
                        serial: c["serial"].as_str().unwrap_or_default(),
                        registry_no: c["registry_no"].as_str().unwrap_or_default(),
                        province_code: &commune.province_code,
                        rrr_id: rrr,
                        issued_on: c["issued_on"].as_str().unwrap_or_default().parse()?,
                        issuing_authority: c["authority"].as_str().unwrap_or("Văn phòng đăng ký đất đai"),
                    })?;
                    // Signed like any certificate, its serial recorded as an issued blank.
                    let base = settings.public_base_url.as_deref().unwrap_or(SAMPLE_BASE_URL);
                    certificate_service::seal_recorded(conn, settings, id, base).map_err(|e| describe(path, i, e))?;
                    certificates += 1;
                }
            }
        }
        Ok((parcels_in, certificates))
    })
}

fn describe(path: &Path, index: usize, e: Error) -> anyhow::Error {
    let detail = match &e {
        Error::Invalid(errs) | Error::BadRequest(errs) | Error::Conflict { errors: errs, .. } => {
            errs.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")
        }
        _ => String::new(),
    };
    anyhow!("{} feature {index}: {e} {detail}", path.display())
}

fn parcel_count_in(conn: &mut PgConnection, commune_id: i32) -> anyhow::Result<i64> {
    Ok(parcel_db::count_current_in_commune(conn, commune_id)?)
}

/// Writes the sample files for the four communes into `dir/parcels/` (deterministic).
pub fn write_sample_files(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let out_dir = dir.join("parcels");
    std::fs::create_dir_all(&out_dir)?;
    let mut written = Vec::new();
    let mut serial = 1u32;
    for sample in &SAMPLE_COMMUNES {
        let crs = Crs::from_epsg(sample.zone_epsg).ok_or_else(|| anyhow!("EPSG:{}", sample.zone_epsg))?;
        let centre = crs.point_from_wgs84(Coord { x: sample.centre.0, y: sample.centre.1 })?;
        // Sheets are 500 m squares growing from the origin; start a little south-west of the centre.
        let origin = ((centre.x - 250.0).round(), (centre.y - 250.0).round());
        let (residential, setting) = match sample.setting {
            Setting::Urban => ("ODT", Setting::Urban),
            Setting::Rural => ("ONT", Setting::Rural),
        };
        let layout = Layout { origin, setting, seed: sample.seed, residential_code: residential };
        let mut names = NameGenerator::new(sample.seed);
        let mut features = Vec::new();
        let (mut min, mut max) = (Coord { x: f64::MAX, y: f64::MAX }, Coord { x: f64::MIN, y: f64::MIN });
        for (i, p) in synthetic::generate(&layout).take(sample.parcels).enumerate() {
            for c in p.polygon.exterior().coords() {
                min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
                max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
            }
            let mut props = json!({
                "sheet": p.sheet,
                "parcel": p.parcel_no,
                "land_use": p.land_use,
                "address": format!("Thửa {} tờ {} (địa chỉ tổng hợp / synthetic address)", p.parcel_no, p.sheet),
            });
            if let (Some((code, _)), 1) = (sample.predecessor, p.sheet) {
                props["registered_commune"] = json!(code);
            }
            props["holders"] = names.holders(p.land_use);
            // Six parcels in ten already hold a certificate.
            if i % 10 < 6 {
                props["certificate"] = json!({
                    "serial": format!("ZZ{serial:08}"),
                    "registry_no": format!("CS {:05}", serial),
                    "issued_on": format!("{}-{:02}-{:02}", 2015 + (i % 10), 1 + (i % 12), 1 + (i % 28)),
                    "authority": "Văn phòng đăng ký đất đai (mẫu tổng hợp / synthetic sample)",
                });
                serial += 1;
            }
            features.push(json!({
                "type": "Feature",
                "geometry": geojson::Geometry::from(&MultiPolygon(vec![p.polygon.clone()])),
                "properties": props,
            }));
        }
        let margin = 30.0;
        let boundary = geo_types::Rect::new(
            Coord { x: min.x - margin, y: min.y - margin },
            Coord { x: max.x + margin, y: max.y + margin },
        )
        .to_polygon();
        let doc = json!({
            "type": "FeatureCollection",
            "name": format!("diachinh sample parcels, commune {}", sample.code),
            "synthetic": true,
            "note": "SYNTHETIC DATA: geometry, holders, addresses and certificates were generated by `diachinh sample-data`; \
                     they describe no real land or person. Commune and province codes are the real 2025 codes. \
                     The commune boundary is a synthetic rectangle around the generated blocks.",
            "crs": {"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{}", sample.zone_epsg)}},
            "commune": sample.code,
            "commune_boundary": geojson::Geometry::from(&boundary),
            "features": features,
        });
        let path = out_dir.join(format!("{}-{}.geojson", sample.province_code, sample.code));
        let mut text = serde_json::to_string(&doc)?;
        // One feature per line keeps diffs of the committed files readable.
        text = text.replace("},{\"type\":\"Feature\"", "},\n{\"type\":\"Feature\"");
        std::fs::write(&path, text + "\n")?;
        written.push(path);
    }
    written.extend(super::planning::sample::write_sample_files(dir)?);
    Ok(written)
}

/// Deterministic synthetic Vietnamese names for sample holders.
struct NameGenerator {
    state: u64,
}

const FAMILY: &[&str] = &["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
const MIDDLE_M: &[&str] = &["Văn", "Hữu", "Minh", "Thanh", "Quốc", "Đức"];
const MIDDLE_F: &[&str] = &["Thị", "Ngọc", "Thanh", "Kim", "Thu"];
const GIVEN: &[&str] = &["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Phúc", "Quang", "Tâm", "Thảo", "Trang", "Tuấn"];

impl NameGenerator {
    fn new(seed: u64) -> Self {
        NameGenerator { state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 }
    }
    fn next(&mut self, n: usize) -> usize {
        // xorshift64*: plenty for picking names.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
    fn person(&mut self, female: bool) -> String {
        let middle = if female { MIDDLE_F } else { MIDDLE_M };
        format!("{} {} {}", FAMILY[self.next(FAMILY.len())], middle[self.next(middle.len())], GIVEN[self.next(GIVEN.len())])
    }
    fn id_number(&mut self) -> String {
        format!("0{:011}", self.next(1_000_000) as u64 * 100_000 + self.next(100_000) as u64)
    }
    fn holders(&mut self, land_use: &str) -> Value {
        match land_use {
            "TMD" | "DGD" | "DYT" | "TSC" | "DKV" => json!([{
                "kind": "organisation",
                "name": format!("Đơn vị mẫu số {} (tổng hợp / synthetic)", self.next(900) + 100),
                "share": 1.0,
            }]),
            _ => match self.next(10) {
                0..=6 => {
                    let female = self.next(2) == 0;
                    json!([{"kind": "person", "name": self.person(female), "id_number": self.id_number(), "share": 1.0}])
                }
                7 | 8 => json!([
                    {"kind": "person", "name": self.person(false), "id_number": self.id_number(), "share": 0.5},
                    {"kind": "person", "name": self.person(true), "id_number": self.id_number(), "share": 0.5},
                ]),
                _ => json!([{"kind": "household", "name": format!("Hộ ông {}", self.person(false)), "share": 1.0}]),
            },
        }
    }
}

/// Loads `count` synthetic parcels spread over communes of the sample provinces (not the
/// sample communes themselves), `per_commune` parcels each, in batches; calls `progress`
/// after each batch with (done, total).
pub fn load_synthetic(conn: &mut PgConnection, count: usize, per_commune: usize, mut progress: impl FnMut(usize, usize)) -> anyhow::Result<usize> {
    let sample_codes: Vec<&str> = SAMPLE_COMMUNES.iter().map(|s| s.code).collect();
    let communes = admin::communes_in_provinces(conn, &["91", "92", "56", "80"])?;
    let communes: Vec<_> = communes.into_iter().filter(|c| !sample_codes.contains(&c.code.as_str())).collect();
    if communes.is_empty() {
        bail!("no communes loaded: run `diachinh seed` first");
    }
    let per_commune = per_commune.max(1);
    let needed = count.div_ceil(per_commune);
    if needed > communes.len() {
        bail!("{count} parcels at {per_commune} per commune need {needed} communes; {} are available — raise --per-commune", communes.len());
    }
    let started = Instant::now();
    let mut done = 0usize;
    for (index, commune) in communes.iter().take(needed).enumerate() {
        if admin_has_parcels(conn, commune.id)? {
            done += per_commune.min(count - done);
            continue; // loaded by an earlier run
        }
        let zone_epsg = commune.default_crs_epsg.unwrap_or(5897) as u32;
        let crs = Crs::from_epsg(zone_epsg).ok_or_else(|| anyhow!("EPSG:{zone_epsg}"))?;
        let Crs::Vn2000(zone) = crs else { bail!("EPSG:{zone_epsg} is not a VN-2000 zone") };
        // Communes sit on a coarse grid 8 km apart around the zone's meridian; the layout is
        // synthetic, so only plausibility matters (in Vietnam, in the zone, no overlaps).
        let base = province_anchor(&commune.province_code);
        let origin = crs.point_from_wgs84(Coord { x: base.0, y: base.1 })?;
        let origin = (origin.x + (index % 16) as f64 * 8_000.0, origin.y + (index / 16) as f64 * 8_000.0);
        let setting = if commune.division_type == "phường" { Setting::Urban } else { Setting::Rural };
        let residential = if setting == Setting::Urban { "ODT" } else { "ONT" };
        let layout = Layout { origin, setting, seed: 1_000 + index as u64, residential_code: residential };
        let take = per_commune.min(count - done);
        let mut batch = Vec::with_capacity(2_000);
        for p in synthetic::generate(&layout).take(take) {
            let planar = MultiPolygon(vec![p.polygon]);
            let m = measure(&planar, crs, zone).map_err(|e| anyhow!("synthetic parcel {}/{}: {e}", p.sheet, p.parcel_no))?;
            batch.push(parcel_db::BulkParcel {
                national_id: m.national_id,
                sheet_no: p.sheet,
                parcel_no: p.parcel_no,
                geojson: geojson::Geometry::from(&m.wgs84).to_string(),
                legal_area_m2: m.legal_area_m2,
                land_use: p.land_use,
            });
            if batch.len() == 2_000 {
                done += flush(conn, commune, zone_epsg, &mut batch)?;
                progress(done, count);
            }
        }
        done += flush(conn, commune, zone_epsg, &mut batch)?;
        progress(done, count);
    }
    parcel_db::analyze(conn)?;
    tracing::info!(parcels = done, seconds = started.elapsed().as_secs_f64(), "synthetic load finished");
    Ok(done)
}

fn flush(conn: &mut PgConnection, commune: &admin::UnitRow, epsg: u32, batch: &mut Vec<parcel_db::BulkParcel>) -> anyhow::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = parcel_db::bulk_insert(conn, &commune.province_code, commune.id, epsg as i32, batch)?;
    batch.clear();
    Ok(n)
}

fn admin_has_parcels(conn: &mut PgConnection, commune_id: i32) -> anyhow::Result<bool> {
    Ok(parcel_db::count_current_in_commune(conn, commune_id)? > 0)
}

/// A south-western starting point for each sample province's synthetic communes.
fn province_anchor(province: &str) -> (f64, f64) {
    match province {
        "91" => (104.80, 9.95),
        "92" => (105.50, 9.55),
        "56" => (108.60, 11.60),
        _ => (105.90, 10.70),
    }
}
