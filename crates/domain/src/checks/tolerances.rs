//! The thresholds the rules compare with: [`Tolerances`] (engineering parameters from the
//! configuration) and the reference tables read from CSV (survey accuracy per map scale,
//! minimum split area per province).

/// Tolerances that are engineering choices rather than law: DOMAIN.md §8 found no Vietnamese
/// numeric tolerance for overlaps, gaps or commune boundaries [U]. The service loads them from
/// its configuration; `source` is quoted in every `threshold_source` that uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances {
    /// R2: parcel area allowed outside the commune boundary, m² (commune boundaries are often
    /// drawn at a coarser scale than parcels).
    pub commune_outside_m2: f64,
    /// R5: an overlap with a neighbour at or below this is negligible (Pass, listed), m²; also
    /// the smallest gap area worth a warning.
    pub sliver_m2: f64,
    /// R5: an overlap no wider than this multiple of the boundary-point accuracy of the map
    /// scale is a sliver of survey error (Warn, drawn), whatever its area: two surveys of one
    /// boundary line may each be off by the accuracy, and along a long shared edge even a
    /// centimetre adds up to more than `sliver_m2`.
    pub sliver_width_factor: f64,
    /// R5: a neighbour nearer than this without touching leaves a strip of no-man's land, m.
    pub gap_m: f64,
    /// R4: Hausdorff distance allowed, as a multiple of the boundary-point accuracy of the map
    /// scale (two independent surveys, each within the accuracy).
    pub hausdorff_factor: f64,
    /// R4: symmetric-difference area allowed, as a multiple of perimeter × point accuracy
    /// (the band the boundary may move within).
    pub symdiff_factor: f64,
    /// S1: gap, excess or overlap area allowed between a split's parts and the old parcel, m²
    /// (SOLA's "union area = sum of areas within map-tolerance").
    pub partition_m2: f64,
    /// Where these values come from (config file and section, or "built-in defaults").
    pub source: String,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            commune_outside_m2: 1.0,
            sliver_m2: 0.1,
            sliver_width_factor: 1.0,
            gap_m: 0.5,
            hausdorff_factor: 2.0,
            symdiff_factor: 1.0,
            partition_m2: 0.1,
            source: "built-in default [U] (no Vietnamese tolerance found)".into(),
        }
    }
}

impl Tolerances {
    pub(super) fn cite(&self, key: &str) -> String {
        format!("tolerances.{key} — {}", self.source)
    }
}

// ───────────────────────────── reference tables (CSV) ─────────────────────────────

/// A reference table could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("{table}: the first line must be the header `{expected}`")]
    Header { table: &'static str, expected: String },
    #[error("{table} line {line}: {message}")]
    Row { table: &'static str, line: usize, message: String },
    #[error("{table}: no data rows")]
    Empty { table: &'static str },
}

/// Splits CSV text with a header line, `#` comment lines and blank lines. The last column
/// (a source citation) takes the rest of the line, commas included; no quoting.
fn read_csv<'t>(table: &'static str, text: &'t str, header: &[&str]) -> Result<Vec<(usize, Vec<&'t str>)>, DataError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let first = lines.by_ref().find(|(_, l)| !l.is_empty()).map(|(_, l)| l).unwrap_or("");
    let got: Vec<&str> = first.split(',').map(str::trim).collect();
    if got != header {
        return Err(DataError::Header { table, expected: header.join(",") });
    }
    let mut rows = Vec::new();
    for (line, text) in lines.filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = text.splitn(header.len(), ',').map(str::trim).collect();
        if fields.len() != header.len() {
            return Err(DataError::Row { table, line, message: format!("expected {} columns", header.len()) });
        }
        rows.push((line, fields));
    }
    if rows.is_empty() {
        return Err(DataError::Empty { table });
    }
    Ok(rows)
}

fn positive(table: &'static str, line: usize, column: &str, text: &str) -> Result<f64, DataError> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(DataError::Row { table, line, message: format!("{column} must be a positive number, not '{text}'") }),
    }
}

/// Độ chính xác đo đạc theo tỷ lệ bản đồ — survey accuracy at one cadastral map scale.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaTolerance {
    /// The scale denominator M (500 for 1:500).
    pub map_scale: u32,
    /// Boundary-point accuracy (sai số vị trí điểm ranh giới), metres.
    pub point_accuracy_m: f64,
    /// k in the allowed area difference ΔP = k·M·√P.
    pub formula_k: f64,
    /// The legal source as written in the table, with its confirmation mark.
    pub source: String,
}

impl AreaTolerance {
    /// The allowed |Δ| (m²) between two areas of a parcel of `area_m2` surveyed at this scale.
    pub fn allowed_m2(&self, area_m2: f64) -> f64 {
        self.formula_k * f64::from(self.map_scale) * area_m2.max(0.0).sqrt()
    }
}

/// The survey-accuracy table, `sample-data/area-tolerance.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaToleranceTable {
    pub rows: Vec<AreaTolerance>,
}

impl AreaToleranceTable {
    pub const HEADER: [&'static str; 4] = ["map_scale", "point_accuracy_m", "formula_k", "source"];
    pub(super) const NAME: &'static str = "area-tolerance.csv";

    /// Reads `map_scale,point_accuracy_m,formula_k,source`; one row per scale.
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        let table = Self::NAME;
        let mut rows: Vec<AreaTolerance> = Vec::new();
        for (line, f) in read_csv(table, text, &Self::HEADER)? {
            let map_scale = f[0].parse::<u32>().ok().filter(|m| *m > 0).ok_or_else(|| DataError::Row {
                table,
                line,
                message: format!("map_scale must be a positive whole number, not '{}'", f[0]),
            })?;
            if rows.iter().any(|r| r.map_scale == map_scale) {
                return Err(DataError::Row { table, line, message: format!("map scale 1:{map_scale} appears twice") });
            }
            rows.push(AreaTolerance {
                map_scale,
                point_accuracy_m: positive(table, line, "point_accuracy_m", f[1])?,
                formula_k: positive(table, line, "formula_k", f[2])?,
                source: f[3].to_string(),
            });
        }
        Ok(AreaToleranceTable { rows })
    }

    /// The row for a map scale denominator.
    pub fn for_scale(&self, map_scale: u32) -> Option<&AreaTolerance> {
        self.rows.iter().find(|r| r.map_scale == map_scale)
    }
}

/// Diện tích tối thiểu được tách thửa — a province's minimum for parcels resulting from a split.
#[derive(Debug, Clone, PartialEq)]
pub struct MinSplitArea {
    /// Two-digit province code (Decision 19/2025/QĐ-TTg).
    pub province_code: String,
    /// Land-use code (mã loại đất) the minimum applies to, e.g. ODT.
    pub land_category: String,
    pub min_area_m2: f64,
    /// Minimum frontage (chiều rộng mặt tiền) where the decision sets one.
    pub min_frontage_m: Option<f64>,
    pub source: String,
}

/// The minimum-split-area table, `sample-data/min-split-area.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinSplitAreaTable {
    pub rows: Vec<MinSplitArea>,
}

impl MinSplitAreaTable {
    pub const HEADER: [&'static str; 5] = ["province_code", "land_category", "min_area_m2", "min_frontage_m", "source"];
    pub(super) const NAME: &'static str = "min-split-area.csv";

    /// Reads `province_code,land_category,min_area_m2,min_frontage_m,source`; an empty
    /// frontage means the decision sets none.
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        let table = Self::NAME;
        let mut rows: Vec<MinSplitArea> = Vec::new();
        for (line, f) in read_csv(table, text, &Self::HEADER)? {
            if f[0].is_empty() || f[1].is_empty() {
                return Err(DataError::Row {
                    table,
                    line,
                    message: "province_code and land_category are required".into(),
                });
            }
            if rows.iter().any(|r| r.province_code == f[0] && r.land_category == f[1]) {
                return Err(DataError::Row { table, line, message: format!("{} {} appears twice", f[0], f[1]) });
            }
            rows.push(MinSplitArea {
                province_code: f[0].to_string(),
                land_category: f[1].to_string(),
                min_area_m2: positive(table, line, "min_area_m2", f[2])?,
                min_frontage_m: if f[3].is_empty() {
                    None
                } else {
                    Some(positive(table, line, "min_frontage_m", f[3])?)
                },
                source: f[4].to_string(),
            });
        }
        Ok(MinSplitAreaTable { rows })
    }

    /// The row for a province and land-use code.
    pub fn lookup(&self, province_code: &str, land_category: &str) -> Option<&MinSplitArea> {
        self.rows.iter().find(|r| r.province_code == province_code && r.land_category == land_category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{area_table, split_table};

    #[test]
    fn tables_parse_and_refuse_bad_rows() {
        let t = area_table();
        assert_eq!(t.rows.iter().map(|r| r.map_scale).collect::<Vec<_>>(), vec![200, 500, 1000, 2000]);
        assert!(t.rows.iter().all(|r| r.source.contains("[U]")));
        assert!((t.for_scale(500).unwrap().allowed_m2(200.0) - 2.8284).abs() < 1e-4);
        let s = split_table();
        assert!(s.rows.iter().all(|r| r.source.starts_with("[U] placeholder")));
        assert_eq!(s.lookup("92", "ODT").unwrap().min_frontage_m, Some(4.0));

        let header = "map_scale,point_accuracy_m,formula_k,source\n";
        let bad = [
            ("scale,accuracy\n500,0.07", "header"),
            ("map_scale,point_accuracy_m,formula_k,source\n# only comments\n", "no data rows"),
            (&*format!("{header}500,0.07,0.0004"), "line 2: expected 4 columns"),
            (&*format!("{header}# c\n500,-1,0.0004,x"), "line 3: point_accuracy_m must be a positive"),
            (&*format!("{header}1:500,0.07,0.0004,x"), "map_scale must be"),
            (&*format!("{header}500,0.07,0.0004,x\n500,0.07,0.0004,y"), "appears twice"),
        ];
        for (text, expected) in bad {
            let err = AreaToleranceTable::from_csv(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // The source column keeps its commas.
        let t = AreaToleranceTable::from_csv(&format!("{header}500,0.07,0.0004,Art. 7, amended by 33/2017")).unwrap();
        assert_eq!(t.rows[0].source, "Art. 7, amended by 33/2017");
        let s =
            MinSplitAreaTable::from_csv("province_code,land_category,min_area_m2,min_frontage_m,source\n92,ODT,40,,x")
                .unwrap();
        assert_eq!(s.rows[0].min_frontage_m, None);
    }
}
