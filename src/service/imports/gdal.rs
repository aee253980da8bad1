//! The GDAL command-line tools (Debian's gdal-bin) as the import's only reader and writer of
//! vector formats: `ogrinfo` says what a file holds, `gdalsrsinfo` its CRS, `ogr2ogr` streams
//! its features as GeoJSON text sequences and writes the rejected features' GeoPackage. No
//! format is parsed here beyond the tools' own plain output.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What `ogrinfo` says about the first layer of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// The name GDAL opens the file by (`/vsizip/…` for a zipped Shapefile).
    pub dataset: String,
    pub layer: String,
    /// None when the driver cannot count without reading everything (GDAL prints -1).
    pub feature_count: Option<i64>,
    pub fields: Vec<String>,
    /// The layer's CRS as a PROJ.4 definition; None when the file has none.
    pub proj4: Option<String>,
}

/// A GDAL tool failed, or is not installed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GdalError {
    /// GDAL cannot read the file (not a vector format it knows, damaged, empty).
    #[error("{0}")]
    Unreadable(String),
    /// The tool itself could not run (gdal-bin missing) or failed on our own output.
    #[error("{0}")]
    Tool(String),
}

/// The name GDAL should open: a `.zip` (a Shapefile with its .shx/.dbf/.prj, as deliveries are
/// sent) through GDAL's zip reader.
pub fn dataset_name(path: &Path) -> String {
    let text = path.to_string_lossy().to_string();
    let zipped = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if zipped {
        format!("/vsizip/{text}")
    } else {
        text
    }
}

fn run(tool: &str, args: &[&str]) -> Result<(bool, String, String), GdalError> {
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GdalError::Tool(format!("{tool} cannot be run ({e}); install Debian's gdal-bin")))?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The first layer of `path`: name, feature count, fields and CRS.
pub fn inspect(path: &Path) -> Result<SourceInfo, GdalError> {
    let dataset = dataset_name(path);
    let (ok, out, err) = run("ogrinfo", &["-ro", "-so", "-al", "-nomd", &dataset])?;
    if !ok {
        return Err(GdalError::Unreadable(format!(
            "GDAL cannot read the file as vector data: {}",
            first_line(&err).unwrap_or("no reason given")
        )));
    }
    let (layer, feature_count, fields) = parse_ogrinfo(&out).map_err(GdalError::Unreadable)?;
    let (ok, srs, _) = run("gdalsrsinfo", &["-o", "proj4", &dataset])?;
    let proj4 = srs.lines().map(str::trim).find(|l| l.starts_with('+')).filter(|_| ok).map(str::to_string);
    Ok(SourceInfo { dataset, layer, feature_count, fields, proj4 })
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("Warning"))
}

/// Reads `ogrinfo -so -al` output: the first layer's name, feature count and field names.
fn parse_ogrinfo(text: &str) -> Result<(String, Option<i64>, Vec<String>), String> {
    let mut layer = None;
    let mut count = None;
    let mut fields = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            if layer.is_some() {
                break; // only the first layer is imported
            }
            layer = Some(name.trim().to_string());
        } else if layer.is_none() {
            continue;
        } else if let Some(n) = line.strip_prefix("Feature Count: ") {
            count = n.trim().parse::<i64>().ok().filter(|n| *n >= 0);
        } else if let Some(name) = field_name(line) {
            fields.push(name);
        }
    }
    let layer = layer.ok_or_else(|| "the file holds no vector layer".to_string())?;
    if count == Some(0) {
        return Err(format!("layer '{layer}' of the file has no features"));
    }
    Ok((layer, count, fields))
}

/// A field line of ogrinfo: `NAME: Type (width.precision)`, maybe `Type(Subtype)`, maybe
/// followed by `NOT NULL` or `DEFAULT …`. WKT lines and the layer summary do not have this shape.
fn field_name(line: &str) -> Option<String> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (name, rest) = line.split_once(": ")?;
    let mut words = rest.split(' ');
    let kind = words.next()?;
    let width = words.next()?;
    let kind_ok = !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '(' || c == ')');
    let width_ok = width.starts_with('(') && width.ends_with(')') && width.contains('.');
    (kind_ok && width_ok && !name.is_empty()).then(|| name.to_string())
}

/// Starts `ogr2ogr` writing the layer's features to its stdout as GeoJSON text sequences, one
/// feature a line, with their FIDs and in the file's own coordinates: no SRS is attached
/// (`-a_srs NONE`), so GDAL reprojects nothing and the VN-2000 transform stays ours.
pub fn stream(source: &SourceInfo) -> Result<Child, GdalError> {
    Command::new("ogr2ogr")
        .args(["-f", "GeoJSONSeq", "/vsistdout/", &source.dataset, &source.layer])
        .args(["-a_srs", "NONE", "-preserve_fid", "-lco", "RS=NO", "-lco", "COORDINATE_PRECISION=9"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GdalError::Tool(format!("ogr2ogr cannot be run ({e}); install Debian's gdal-bin")))
}

/// Writes the GeoJSON FeatureCollection at `geojson` as a GeoPackage layer `rejected` at `out`
/// (replaced whole), its CRS `srs` (`EPSG:9209`).
pub fn write_geopackage(geojson: &Path, out: &Path, srs: &str) -> Result<(), GdalError> {
    let partial = out.with_extension("gpkg.partial");
    let _ = std::fs::remove_file(&partial);
    let (ok, _, err) = run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            &partial.to_string_lossy(),
            &geojson.to_string_lossy(),
            "-nln",
            "rejected",
            "-a_srs",
            srs,
            "-nlt",
            "PROMOTE_TO_MULTI",
        ],
    )?;
    if !ok {
        let _ = std::fs::remove_file(&partial);
        return Err(GdalError::Tool(format!(
            "ogr2ogr could not write the rejected features: {}",
            first_line(&err).unwrap_or("no reason given")
        )));
    }
    std::fs::rename(&partial, out)
        .map_err(|e| GdalError::Tool(format!("cannot move the GeoPackage to {}: {e}", out.display())))
}

/// A file removed when dropped (uploads, intermediate GeoJSON).
#[derive(Debug)]
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// A fresh path in the system's temporary directory, ending in `suffix`.
    pub fn new(suffix: &str) -> TempFile {
        use rand::Rng;
        let name = format!("diachinh-import-{}-{:016x}{suffix}", std::process::id(), rand::thread_rng().gen::<u64>());
        TempFile(std::env::temp_dir().join(name))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPKG: &str = "INFO: Open of `a.gpkg'\n      using driver `GPKG' successful.\n\nLayer name: parcels\n\
Geometry: Polygon\nFeature Count: 2\nExtent: (553000.000000, 1061500.000000) - (553020.000000, 1061630.000000)\n\
Layer SRS WKT:\nPROJCRS[\"VN-2000 / TM-3 105-30\",\n    BASEGEOGCRS[\"VN-2000\",\n        ID[\"EPSG\",4756]],\n    ID[\"EPSG\",9209]]\n\
Data axis to CRS axis mapping: 1,2\nFID Column = fid\nGeometry Column = geom\nSoTo: Integer (0.0)\nSoThua: Integer64 (0.0)\n\
LoaiDat: String (0.0) NOT NULL\nDienTich: Real (24.15)\nflag: Integer(Boolean) (0.0)\nDiaChi: String (80.0)\n\
Layer name: second\nFeature Count: 5\nOther: String (0.0)\n";

    #[test]
    fn reads_the_first_layer_of_ogrinfo() {
        let (layer, count, fields) = parse_ogrinfo(GPKG).unwrap();
        assert_eq!(layer, "parcels");
        assert_eq!(count, Some(2));
        assert_eq!(fields, ["SoTo", "SoThua", "LoaiDat", "DienTich", "flag", "DiaChi"]);
    }

    #[test]
    fn unknown_counts_and_empty_layers() {
        let (_, count, _) = parse_ogrinfo("Layer name: x\nFeature Count: -1\n").unwrap();
        assert_eq!(count, None);
        assert!(parse_ogrinfo("Layer name: x\nFeature Count: 0\n").unwrap_err().contains("no features"));
        assert!(parse_ogrinfo("INFO: nothing\n").is_err());
    }

    #[test]
    fn zips_are_opened_through_vsizip() {
        assert_eq!(dataset_name(Path::new("/tmp/a.ZIP")), "/vsizip//tmp/a.ZIP");
        assert_eq!(dataset_name(Path::new("/tmp/a.gpkg")), "/tmp/a.gpkg");
    }
}
