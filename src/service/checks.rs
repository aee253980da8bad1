//! Certificate-request checks (kiểm tra hồ sơ trước khi ký GCN): load the parcel's context from
//! PostGIS, project everything into the VN-2000 plane, run the pure rules of
//! `domain::checks`, and return the report with problem geometry in CRS84 for the map.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{authorize, authorize_role, Action};
use super::{Actor, DbContext, Error, Settings};
use domain::checks::{self, AreaToleranceTable, CheckInput, LegalFacts, MinSplitAreaTable, Outcome, Tolerances};
use domain::crs::projection::{plane_to_wgs84, to_plane_raw, wgs84_text_to_plane};
use domain::crs::{nearest_zone, Crs};
use store::parcels::ParcelRow;
use store::{admin_units, audit, checks as db, dossiers as dossier_db, parcels as parcel_db};

/// The body of `POST /certificate-checks` and `POST /dossiers/{id}/checks`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// National id of the registered parcel the request is about (none for a first registration;
    /// a dossier's parcel is used when omitted).
    pub parcel: Option<String>,
    /// The commune stated in the request (default: the registered parcel's commune).
    pub commune: Option<String>,
    /// CRS of the geometries as an OGC URI (default CRS84); VN-2000 TM-3 zones accepted.
    pub crs: Option<String>,
    /// The requested parcel geometry (GeoJSON Polygon or MultiPolygon).
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Diện tích kê khai: the area the applicant declared, m².
    pub declared_area_m2: Option<f64>,
    /// Scale denominator of the cadastral map (200, 500, 1000, 2000); default 1000.
    pub map_scale: Option<u32>,
    /// Co-holders and their shares.
    #[serde(default)]
    pub holders: Vec<HolderInput>,
    /// The certificate this procedure replaces (cấp đổi, cấp lại, chuyển nhượng …), if any.
    pub replaces_serial: Option<String>,
    /// Present for a split (tách thửa): the new parts.
    pub split: Option<SplitInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderInput {
    pub name: String,
    pub share: f64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitInput {
    pub parts: Vec<SplitPartInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitPartInput {
    pub id: String,
    /// Land-use category of the part, e.g. ODT.
    pub land_category: String,
    #[schema(value_type = Object)]
    pub geometry: Value,
    pub frontage_m: Option<f64>,
}

/// Reads a request geometry and refuses one over the vertex cap
/// (`domain::geometry::MAX_VERTICES_PER_GEOMETRY`) with a 422 before it is projected or checked.
fn parse_geometry(value: &Value, pointer: &str) -> Result<geojson::Geometry, Error> {
    let g: geojson::Geometry = serde_json::from_value(value.clone())
        .map_err(|e| Error::invalid(pointer, format!("not a GeoJSON geometry: {e}")))?;
    domain::geometry::check_vertex_count(&g)
        .map_err(|e| Error::invalid(format!("{pointer}{}", e.pointer), e.message))?;
    Ok(g)
}

fn load_tables(conn: &mut PgConnection) -> Result<(AreaToleranceTable, MinSplitAreaTable), Error> {
    // A table not loaded yet (`diachinh seed` loads them) is empty: the rules that need it
    // warn that the data is missing instead of failing the request.
    let area = match db::reference_document(conn, "area-tolerance").context_db("loading the area tolerances")? {
        Some(text) => AreaToleranceTable::from_csv(&text).map_err(|e| anyhow::anyhow!("area-tolerance data: {e}"))?,
        None => AreaToleranceTable { rows: vec![] },
    };
    let split = load_min_split_areas(conn)?;
    Ok((area, split))
}

/// The minimum split areas (empty when not loaded).
pub fn load_min_split_areas(conn: &mut PgConnection) -> Result<MinSplitAreaTable, Error> {
    Ok(match db::reference_document(conn, "min-split-area").context_db("loading the minimum split areas")? {
        Some(text) => MinSplitAreaTable::from_csv(&text).map_err(|e| anyhow::anyhow!("min-split-area data: {e}"))?,
        None => MinSplitAreaTable { rows: vec![] },
    })
}

// ---- Views ----

/// A geometry and legal check report: the overall outcome and one entry per rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    /// pass, warn or fail: the worst of the rules' outcomes.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// National id of the registered parcel the request was matched with.
    pub parcel: Option<String>,
    /// Commune code.
    pub commune: String,
    /// The VN-2000 TM-3 plane the checks were computed in (OGC URI).
    pub plane_crs: String,
    /// CRS of the problem geometries in `results` (CRS84).
    pub geometry_crs: String,
    pub map_scale: u32,
    /// One entry per rule: rule, outcome, message, measured value, threshold and its source,
    /// problem geometry (CRS84) where there is one.
    #[schema(value_type = Vec<Object>)]
    pub results: Value,
    /// Stored reports only: the report id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Stored reports only: the dossier checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier_id: Option<i64>,
    /// Stored reports only: when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
}

/// The registered parcel a check is about, by national id: a named parcel that is not current
/// is the request's error.
fn registered_parcel(conn: &mut PgConnection, national_id: Option<&str>) -> Result<Option<ParcelRow>, Error> {
    let Some(id) = national_id else { return Ok(None) };
    match parcel_db::current_by_national_id(conn, id).context_db("loading the registered parcel")? {
        Some(parcel) => Ok(Some(parcel)),
        None => Err(Error::invalid("/parcel", format!("no current parcel has national id '{id}'"))),
    }
}

/// Runs the check about `registered` (the parcel the request or its dossier names, loaded once
/// by the caller, which authorises on it); `dossier` is the dossier's (procedure code, id),
/// which decides what blocks (R7.2).
fn check(
    conn: &mut PgConnection,
    settings: &Settings,
    req: &CheckRequest,
    registered: Option<ParcelRow>,
    dossier: Option<(&str, i64)>,
) -> Result<(CheckReport, Outcome, Option<i64>), Error> {
    let source = match &req.crs {
        None => Crs::Wgs84,
        Some(text) => Crs::parse(text).map_err(|e| Error::invalid("/crs", e.to_string()))?,
    };
    let map_scale = req.map_scale.unwrap_or(1000);
    let raw = parse_geometry(&req.geometry, "/geometry")?;
    let commune_code = req
        .commune
        .clone()
        .or_else(|| registered.as_ref().map(|r| r.commune_code.clone()))
        .ok_or_else(|| Error::invalid("/commune", "name the commune (or the registered parcel)"))?;
    let commune = admin_units::current_commune(conn, &commune_code)
        .context_db("finding the commune")?
        .ok_or_else(|| Error::invalid("/commune", format!("no commune in force has code '{commune_code}'")))?;
    // The plane: the submitted VN-2000 zone, else the registered parcel's, else the province's.
    let zone = match source {
        Crs::Vn2000(z) => z,
        Crs::Wgs84 => registered
            .as_ref()
            .and_then(|r| match Crs::from_epsg(r.source_crs_epsg as u32) {
                Some(Crs::Vn2000(z)) => Some(z),
                _ => None,
            })
            .or_else(|| match commune.default_crs_epsg.and_then(|e| Crs::from_epsg(e as u32)) {
                Some(Crs::Vn2000(z)) => Some(z),
                _ => None,
            })
            .unwrap_or_else(|| nearest_zone(105.0)),
    };
    let plane_request = to_plane_raw(&raw, source, zone)
        .ok_or_else(|| Error::invalid("/geometry", "a coordinate cannot be transformed from the given CRS"))?;
    // The request in WGS 84 to find its context (neighbours, zones); a geometry too broken to
    // convert still gets its R1 report, with no context.
    let wgs84_text = plane_to_wgs84(&plane_request, zone).map(|g| g.to_string());
    let (area_table, split_table) = load_tables(conn)?;
    let boundary = db::commune_boundary(conn, commune.id)
        .context_db("loading the commune boundary")?
        .and_then(|b| wgs84_text_to_plane(&b, zone));
    let registered_geometry = registered.as_ref().and_then(|r| wgs84_text_to_plane(&r.geometry, zone));
    let (neighbours, zones) = match &wgs84_text {
        Some(text)
            if matches!(
                raw.value,
                geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. }
            ) =>
        {
            let n = db::neighbours(conn, text, registered.as_ref().map(|r| r.parcel_id), 5.0).unwrap_or_default();
            let z = db::approved_zones(conn, text).unwrap_or_default();
            (n, z)
        }
        _ => (vec![], vec![]),
    };
    let neighbours: Vec<(String, MultiPolygon<f64>)> =
        neighbours.iter().filter_map(|s| Some((s.id.clone(), wgs84_text_to_plane(&s.geometry, zone)?))).collect();
    // R2 names the commune the parcel lies in when that is not the stated one, even when the
    // stated commune has no boundary on record. Only for closed polygons (what PostGIS reads;
    // R1 reports anything less, and the query skips what PostGIS finds invalid).
    let other_communes: Vec<checks::CommunePart> = match &wgs84_text {
        Some(text) if domain::geometry::parse_polygonal(&plane_request).is_ok() => {
            db::communes_at(conn, text, commune.id)
                .context_db("finding the communes the parcel lies in")?
                .into_iter()
                .filter_map(|c| {
                    let part = wgs84_text_to_plane(&c.geometry, zone)?;
                    Some(checks::CommunePart { code: c.code, name: c.name, part })
                })
                .collect()
        }
        _ => vec![],
    };
    let zones: Vec<(String, String, MultiPolygon<f64>)> = zones
        .iter()
        .filter_map(|s| Some((s.id.clone(), s.code.clone(), wgs84_text_to_plane(&s.geometry, zone)?)))
        .collect();
    let current_uses: Vec<String> = registered
        .as_ref()
        .and_then(|r| serde_json::from_str::<Vec<Value>>(&r.land_uses).ok())
        .map(|l| l.iter().filter_map(|u| u["code"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let restrictions = match &registered {
        Some(r) => recorded_restrictions(conn, r.parcel_id, dossier)?,
        None => vec![],
    };
    let legal = match &registered {
        Some(r) => LegalFacts {
            replaces_serial: req.replaces_serial.clone(),
            existing_certificates: db::certificates_of(conn, r.parcel_id)
                .context_db("loading certificates")?
                .into_iter()
                .map(|c| checks::ExistingCertificate { serial: c.serial, valid: c.valid })
                .collect(),
            restrictions,
            disputes: vec![],
            holders: req.holders.iter().map(|h| checks::Holder { party: h.name.clone(), share: h.share }).collect(),
        },
        None => LegalFacts {
            replaces_serial: req.replaces_serial.clone(),
            existing_certificates: vec![],
            restrictions: vec![],
            disputes: vec![],
            holders: req.holders.iter().map(|h| checks::Holder { party: h.name.clone(), share: h.share }).collect(),
        },
    };
    let split = match &req.split {
        None => None,
        Some(s) => {
            let mut parts = Vec::new();
            for (i, part) in s.parts.iter().enumerate() {
                let pointer = format!("/split/parts/{i}/geometry");
                let g = parse_geometry(&part.geometry, &pointer)?;
                let plane =
                    to_plane_raw(&g, source, zone).ok_or_else(|| Error::invalid(&pointer, "cannot be transformed"))?;
                let mp = domain::geometry::parse_polygonal(&plane)
                    .map_err(|e| Error::invalid(format!("{pointer}{}", e.pointer), e.message))?;
                parts.push(checks::SplitPart {
                    id: part.id.clone(),
                    land_category: part.land_category.clone(),
                    geometry: mp,
                    frontage_m: part.frontage_m,
                });
            }
            Some(checks::SplitRequest { province_code: commune.province_code.clone(), parts })
        }
    };
    let tolerances = Tolerances {
        sliver_m2: settings.sliver_tolerance_m2,
        commune_outside_m2: settings.boundary_tolerance_m2,
        ..Tolerances::default()
    };
    let input = CheckInput {
        parcel: plane_request,
        commune_boundary: boundary,
        registered_geometry,
        registered_area_m2: registered.as_ref().map(|r| r.legal_area_m2),
        declared_area_m2: req.declared_area_m2,
        map_scale,
        current_uses,
        neighbours,
        zones,
        legal,
        split,
        tolerances,
        area_tolerances: &area_table,
        min_split_areas: &split_table,
    };
    let report = checks::run_with_communes(&input, &other_communes);
    let outcome = report.outcome();
    let mut results =
        serde_json::to_value(&report.results).map_err(|e| anyhow::anyhow!("serialising the report: {e}"))?;
    // Problem geometry goes to the map in CRS84.
    if let Some(list) = results.as_array_mut() {
        for r in list.iter_mut() {
            if let Some(g) = r.get("geometry").and_then(|g| serde_json::from_value::<geojson::Geometry>(g.clone()).ok())
            {
                r["geometry"] = plane_to_wgs84(&g, zone).map(|g| json!(g)).unwrap_or(Value::Null);
            }
        }
    }
    let view = CheckReport {
        outcome,
        parcel: registered.as_ref().map(|r| r.national_id.clone()),
        commune: commune.code.clone(),
        plane_crs: Crs::Vn2000(zone).uri(),
        geometry_crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84".into(),
        map_scale,
        results,
        id: None,
        dossier_id: None,
        checked_at: None,
    };
    Ok((view, outcome, registered.map(|r| r.parcel_id)))
}

/// The restrictions in force on a parcel as R7.2 reads them, each marked blocking when the
/// blocking table says it stops the dossier's procedure (`dossier`: procedure code and id, whose
/// consents count). Without a dossier, what blocks every procedure is marked blocking.
/// Disputes are restrictions of kind `dispute` here: the table decides what they block.
pub(crate) fn recorded_restrictions(
    conn: &mut PgConnection,
    parcel_id: i64,
    dossier: Option<(&str, i64)>,
) -> Result<Vec<checks::Restriction>, Error> {
    let recorded =
        store::restrictions::in_force(conn, parcel_id, dossier.map(|(_, id)| id)).context_db("loading restrictions")?;
    let table = store::restrictions::blocking_table(conn).context_db("loading the blocking table")?;
    let blocking: Vec<i64> = match dossier {
        Some((procedure, _)) => table.blockers(procedure, None, &recorded).iter().map(|b| b.restriction.id).collect(),
        None => recorded.iter().filter(|r| table.blocks_every_procedure(r.kind)).map(|r| r.id).collect(),
    };
    Ok(recorded
        .iter()
        .map(|r| {
            let rule = dossier.and_then(|(p, _)| table.rule(r.kind, p));
            checks::Restriction {
                kind: r.kind.as_str().to_string(),
                reference: r.reference.clone(),
                blocking: blocking.contains(&r.id),
                id: Some(r.id),
                legal_basis: rule.map(|x| x.legal_basis.clone()).or_else(|| r.legal_basis.clone()),
            }
        })
        .collect())
}

/// `POST /certificate-checks`: the check for a request body, before any dossier exists. The
/// report shows restrictions and neighbours: staff who work with them only, and for a
/// registered parcel only in the province the parcel lies in.
pub fn check_request(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &CheckRequest,
) -> Result<CheckReport, Error> {
    authorize_role(actor, Action::CheckRun)?;
    let registered = registered_parcel(conn, req.parcel.as_deref())?;
    if let Some(parcel) = &registered {
        authorize(actor, Action::CheckRun, &parcel.province_code)?;
    }
    check(conn, settings, req, registered, None).map(|(view, ..)| view)
}

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
    }
}

/// `POST /dossiers/{id}/checks`: checks the dossier's request and keeps the report (issuance
/// requires the latest one to have no failure and to be newer than the parcel's last change).
pub fn check_dossier(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier_id: i64,
    req: &CheckRequest,
    now: DateTime<Utc>,
) -> Result<CheckReport, Error> {
    conn.transaction(|conn| {
        let d = dossier_db::by_id(conn, dossier_id)
            .context_db("loading the dossier")?
            .ok_or_else(|| Error::NotFound(format!("dossier {dossier_id}")))?;
        authorize(actor, Action::CheckRun, &d.province_code)?;
        // A dossier's check is about one of the dossier's parcels, and is run by staff of the
        // province that parcel lies in.
        let land = super::authz::dossier_land(conn, dossier_id)?;
        let subject = match (&req.parcel, land.first()) {
            (Some(named), _) => Some(land.iter().find(|l| &l.national_id == named).ok_or_else(|| {
                Error::invalid(
                    "/parcel",
                    format!(
                        "parcel {named} is not one of dossier {}'s parcels ({}); a dossier's check is about its own parcels",
                        d.receipt_no,
                        if land.is_empty() {
                            "it names none".to_string()
                        } else {
                            land.iter().map(|l| l.national_id.as_str()).collect::<Vec<_>>().join(", ")
                        }
                    ),
                )
            })?),
            (None, first) => first,
        };
        if let Some(l) = subject {
            authorize(actor, Action::CheckRun, &l.province_code)?;
        }
        let registered = registered_parcel(conn, subject.map(|l| l.national_id.as_str()))?;
        let (mut view, outcome, parcel_id) = check(conn, settings, req, registered, Some((&d.procedure_code, d.id)))?;
        let stored = serde_json::to_value(&view).map_err(|e| anyhow::anyhow!("serialising the report: {e}"))?;
        let id = db::insert_check(conn, Some(dossier_id), parcel_id, outcome_text(outcome), &stored, now)
            .context_db("storing the report")?;
        view.id = Some(id);
        view.dossier_id = Some(dossier_id);
        view.checked_at = Some(now);
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "dossier.check",
                entity: "dossier",
                entity_id: &d.receipt_no,
                before: None,
                after: Some(json!({"check_id": id, "outcome": outcome_text(outcome)})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

/// Loads the reference documents from `dir` (area tolerances, minimum split areas), validating them.
pub fn load_reference(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<()> {
    for (name, parse) in [
        (
            "area-tolerance",
            (|t: &str| AreaToleranceTable::from_csv(t).map(|_| ()).map_err(|e| e.to_string()))
                as fn(&str) -> Result<(), String>,
        ),
        ("min-split-area", |t: &str| MinSplitAreaTable::from_csv(t).map(|_| ()).map_err(|e| e.to_string())),
    ] {
        let path = dir.join(format!("{name}.csv"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("while reading {}: {e}", path.display()))?;
        parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        db::put_reference_document(conn, name, &text)?;
    }
    Ok(())
}
