//! Loading the synthetic sample land-use plans of `sample-data/planning/` (written by
//! `diachinh-tools sample-data`) through the same checks as the staff endpoints.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use diesel::PgConnection;
use domain::planning::PlanLevel;
use serde_json::Value;

use super::{NewPlan, ZoneImport};
use crate::service::seed::SAMPLE_COMMUNES;
use crate::service::Settings;

/// Where the sample plan of a commune is kept under the sample-data directory.
pub fn sample_path(dir: &Path, province: &str, commune: &str) -> PathBuf {
    dir.join("planning").join(format!("{province}-{commune}.geojson"))
}

/// Loads the sample plans through the same checks as `POST /planning/plans` and
/// `POST /planning/plans/{id}/zones`, recorded as "seed"; skips a commune that already has an
/// approved plan. Returns the number of zones loaded.
pub fn load_samples(conn: &mut PgConnection, settings: &Settings, dir: &Path) -> anyhow::Result<usize> {
    let mut zones = 0;
    for sample in &SAMPLE_COMMUNES {
        let path = sample_path(dir, sample.province_code, sample.code);
        if !path.exists() {
            tracing::warn!(path = %path.display(), "no sample plan: run `diachinh-tools sample-data`");
            continue;
        }
        if super::has_approved_plan(conn, PlanLevel::Commune, sample.code).map_err(|e| anyhow!("{e}"))? {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("while reading {}", path.display()))?;
        let file: Value = serde_json::from_str(&text).with_context(|| format!("while parsing {}", path.display()))?;
        let plan: NewPlan =
            serde_json::from_value(file["plan"].clone()).with_context(|| format!("{}: plan", path.display()))?;
        let import = ZoneImport {
            kind: "FeatureCollection".into(),
            crs: file.get("crs").cloned(),
            name: file["name"].as_str().map(str::to_string),
            features: file["features"].as_array().cloned().unwrap_or_default(),
            bbox: None,
        };
        let view = super::create_synthetic_plan_with_zones(conn, settings, &plan, &import)
            .map_err(|e| anyhow!("{}: {e}: {e:?}", path.display()))?;
        zones += view.zone_count as usize;
    }
    tracing::info!(zones, "sample land-use plans loaded (synthetic)");
    Ok(zones)
}
