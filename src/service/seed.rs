//! Reference and sample data: the 2025 administrative units, land-use types, the four sample
//! communes (synthetic geometry, labelled as such), and large synthetic sets for benchmarks.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use diesel::{Connection, PgConnection};

use serde_json::Value;

use super::certificates as certificate_service;
use super::parcels::{self, LandUseInput, NewParcel, Recorder};
use super::{Error, Settings};
use domain::crs::Crs;
use store::{admin_units, parcels as parcel_db, reference, rights};

/// What kind of land the generator lays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// A phường: city blocks of small residential lots (frontage 4–10 m,
    /// depth 12–25 m, two back-to-back rows per block); about one block in
    /// eight is a single commercial, school, clinic, office or park parcel.
    Urban,
    /// A xã: blocks of fields (15–60 m × 30–120 m; mostly LUC rice, some CLN,
    /// HNK and NTS) separated by canals and paths, and on every sheet one row
    /// of blocks along a road where at least one block (about half of them)
    /// is a strip of residential lots (about 20 m × 40 m) with gardens
    /// (mostly CLN) behind them.
    Rural,
}

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
    SampleCommune {
        code: "30742",
        province_code: "91",
        zone_epsg: 9207,
        centre: (105.0800, 10.0125),
        setting: Setting::Urban,
        seed: 91,
        parcels: 240,
        predecessor: None,
    },
    // Cần Thơ (ex-Sóc Trăng): Phường Sóc Trăng, TM-3 105°30′.
    SampleCommune {
        code: "31507",
        province_code: "92",
        zone_epsg: 9209,
        centre: (105.9739, 9.6025),
        setting: Setting::Urban,
        seed: 92,
        parcels: 240,
        predecessor: None,
    },
    // Khánh Hòa: Phường Nha Trang, TM-3 108°15′.
    SampleCommune {
        code: "22366",
        province_code: "56",
        zone_epsg: 9217,
        centre: (109.1900, 12.2450),
        setting: Setting::Urban,
        seed: 56,
        parcels: 240,
        predecessor: None,
    },
    // Tây Ninh (ex-Long An): Xã Thủ Thừa, TM-3 105°45′, with a synthetic predecessor commune.
    SampleCommune {
        code: "28036",
        province_code: "80",
        zone_epsg: 9210,
        centre: (106.4000, 10.6020),
        setting: Setting::Rural,
        seed: 80,
        parcels: 240,
        predecessor: Some(("99001", "Xã Thủ Thừa (trước 2025) — tổng hợp / synthetic predecessor")),
    },
];

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

/// Sample dossiers per sample commune, spread over the year before [`sample_dossiers_until`].
const SAMPLE_DOSSIERS_PER_COMMUNE: usize = 90;

/// The instant the simulated dossier history ends: 17:00 in Vietnam on Monday 23/11/2026.
/// Fixed, not the wall clock, so the sample (early, on-time and late dossiers, apologies)
/// is the same whatever day it is seeded; dossiers still open then stay open.
pub fn sample_dossiers_until() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-23T17:00:00+07:00").expect("a valid instant").to_utc()
}

/// Loads reference data and the sample communes from `dir`; idempotent.
pub fn seed(conn: &mut PgConnection, settings: &Settings, dir: &Path) -> anyhow::Result<SeedReport> {
    let mut report = load_reference(conn, dir)?;
    for sample in &SAMPLE_COMMUNES {
        let path = dir.join("parcels").join(format!("{}-{}.geojson", sample.province_code, sample.code));
        let (parcels, certificates) = load_sample_file(conn, settings, &path)?;
        report.parcels += parcels;
        report.certificates += certificates;
    }
    certificate_service::sync_registry_counters(conn).map_err(|e| anyhow!("{e}: {e:?}"))?;
    super::planning::sample::load_samples(conn, settings, dir)?;
    report.dossiers =
        super::dossiers::seed_samples(conn, settings, sample_dossiers_until(), SAMPLE_DOSSIERS_PER_COMMUNE)?;
    Ok(report)
}

/// The reference data alone (administrative units, land-use types, procedures, calendar, the
/// checks' and restrictions' tables), in one transaction; idempotent. Every node of a federation
/// loads the same (docs/FEDERATION.md): the register refers to admin units by id.
pub fn load_reference(conn: &mut PgConnection, dir: &Path) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        report.land_use_types = load_land_use_types(conn, &dir.join("land-use-types.csv"))?;
        report.units = load_units(conn, &dir.join("admin-units-2025.csv"))?;
        report.units += load_legacy_units(conn, &dir.join("legacy-units.csv"))?;
        load_province_crs(conn, &dir.join("province-crs.csv"))?;
        (report.procedures, report.calendar_days) = super::dossiers::load_reference(conn, dir)?;
        super::checks::load_reference(conn, dir)?;
        super::restrictions::load_reference(conn, dir)?;
        super::changes::load_reference(conn, dir)?;
        Ok(())
    })?;
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
        let [level, code, name, division_type, parent] = row.as_slice() else {
            bail!("{}: expected 5 columns", path.display())
        };
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
            bail!(
                "{}: expected code,name,division_type,province_code,valid_from,valid_to,successor_code",
                path.display()
            )
        };
        n += reference::upsert_units(
            conn,
            &[reference::UnitRecord {
                level: "commune".into(),
                code: code.clone(),
                name: name.clone(),
                division_type: division_type.clone(),
                province_code: province.clone(),
                valid_from: valid_from.parse()?,
                valid_to: Some(valid_to.parse()?),
                default_crs_epsg: None,
            }],
        )?;
        reference::link_predecessor(conn, successor, code)?;
    }
    Ok(n)
}

fn load_province_crs(conn: &mut PgConnection, path: &Path) -> anyhow::Result<()> {
    for row in read_csv(path)? {
        let (Some(province), Some(epsg)) = (row.first(), row.get(1)) else {
            bail!("{}: expected province_code,epsg,…", path.display())
        };
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
    let commune = admin_units::current_commune(conn, commune_code)?
        .ok_or_else(|| anyhow!("commune {commune_code} is not loaded"))?;
    if parcel_db::page(conn, &parcel_db::PageQuery { limit: 1, ..Default::default() }).map(|(_, _)| ()).is_err() {
        bail!("cannot query parcels");
    }
    if parcel_count_in(conn, commune.id)? > 0 {
        return Ok((0, 0));
    }
    let by = Recorder { user_id: None, name: "seed" };
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        if let Some(boundary) = file.get("commune_boundary") {
            let geometry: geojson::Geometry = serde_json::from_value(boundary.clone())?;
            let mp = domain::geometry::parse_polygonal(&geometry)?;
            let wgs84 = crs.to_wgs84(&mp)?;
            reference::set_boundary(
                conn,
                "commune",
                commune_code,
                &geojson::Geometry::from(&wgs84).to_string(),
                "synthetic",
            )?;
        }
        let commune = admin_units::current_commune(conn, commune_code)?.expect("loaded above");
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
                land_uses: vec![LandUseInput {
                    code: p["land_use"].as_str().unwrap_or("").to_string(),
                    area_m2: None,
                    use_until: None,
                    origin: None,
                }],
                address: p["address"].as_str().map(str::to_string),
            };
            let (crs, geometry) = parcels::parse_new_parcel_geometry(&req).map_err(|e| describe(path, i, e))?;
            let (parcel_id, _) = parcels::register(conn, settings, &by, &commune, &req, crs, &geometry, true)
                .map_err(|e| describe(path, i, e))?;
            parcels_in += 1;
            if let Some(holders) = p["holders"].as_array() {
                let rrr = rights::insert_use_right(
                    conn,
                    parcel_id,
                    if holders.len() > 1 { "joint" } else { "sole" },
                    "synthetic sample record",
                )?;
                for h in holders {
                    let party = rights::insert_party(
                        conn,
                        h["kind"].as_str().unwrap_or("person"),
                        h["name"].as_str().unwrap_or("?"),
                        h["id_number"].as_str(),
                        None,
                    )?;
                    rights::insert_share(conn, rrr, party, h["share"].as_f64().unwrap_or(1.0))?;
                }
                if let Some(c) = p.get("certificate").filter(|c| c.is_object()) {
                    let id = rights::insert_certificate(
                        conn,
                        &rights::NewCertificate {
                            serial: c["serial"].as_str().unwrap_or_default(),
                            registry_no: c["registry_no"].as_str().unwrap_or_default(),
                            province_code: &commune.province_code,
                            rrr_id: rrr,
                            issued_on: c["issued_on"].as_str().unwrap_or_default().parse()?,
                            issuing_authority: c["authority"].as_str().unwrap_or("Văn phòng đăng ký đất đai"),
                        },
                    )?;
                    // Signed like any certificate, its serial recorded as an issued blank.
                    certificate_service::seal_recorded(conn, settings, id, &settings.public_base_url)
                        .map_err(|e| describe(path, i, e))?;
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
