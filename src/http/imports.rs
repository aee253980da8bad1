//! Bulk imports (staff): `POST /imports` takes a survey delivery as multipart/form-data and
//! runs it as a background job; `GET /imports/{id}` says where it stands; `GET
//! /imports/{id}/rejected` hands back the rejected features. The upload is streamed to a
//! temporary file under a size limit; what the fields mean is the service's.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::query::{NoParams, Query};
use super::{with_conn, AppState, Problem};
use crate::service::imports::{self, gdal::TempFile, ImportRequest, Requester};
use crate::service::{Actor, Error, FieldError};
use domain::import::Mode;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(start).service(get).service(rejected);
}

/// The largest delivery accepted over HTTP (a province's commune is tens of MB; larger loads
/// go through `diachinh import` on the server).
pub const IMPORT_UPLOAD_LIMIT: usize = 512 * 1024 * 1024;
/// Text fields beside the file.
const TEXT_FIELD_LIMIT: usize = 8 * 1024;

fn bad(pointer: &str, message: impl Into<String>) -> Problem {
    Problem(Error::BadRequest(vec![FieldError::pointer(pointer, message)]))
}

fn invalid(pointer: &str, message: impl Into<String>) -> Problem {
    Problem(Error::invalid(pointer, message))
}

/// The upload's extension as GDAL needs it to pick a driver (`.zip`, `.gpkg`, `.geojson`…).
fn extension(file_name: &str) -> String {
    let ext = std::path::Path::new(file_name).extension().and_then(|e| e.to_str()).unwrap_or("");
    if !ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!(".{}", ext.to_ascii_lowercase())
    } else {
        ".bin".into()
    }
}

/// The form: the file streamed to a temporary file, the text fields as an [`ImportRequest`].
async fn read_form(req: &HttpRequest, payload: web::Payload) -> Result<(ImportRequest, TempFile), Problem> {
    let too_large = || Problem(Error::TooLarge(format!("a delivery may be at most {IMPORT_UPLOAD_LIMIT} bytes")));
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > IMPORT_UPLOAD_LIMIT + TEXT_FIELD_LIMIT * 8) {
        return Err(too_large());
    }
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut text = std::collections::BTreeMap::new();
    let mut upload: Option<(String, TempFile)> = None;
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| bad("", format!("not a multipart/form-data body: {e}")))?;
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                if upload.is_some() {
                    return Err(invalid("/file", "send one file"));
                }
                let file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("").to_string();
                let temp = TempFile::new(&extension(&file_name));
                let mut out = std::fs::File::create(&temp.0)
                    .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("cannot store the upload: {e}"))))?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| bad("/file", format!("the upload cannot be read: {e}")))?;
                    total += chunk.len();
                    if total > IMPORT_UPLOAD_LIMIT {
                        return Err(too_large());
                    }
                    out.write_all(&chunk)
                        .map_err(|e| Problem(Error::Internal(anyhow::anyhow!("cannot store the upload: {e}"))))?;
                }
                upload = Some((file_name, temp));
            }
            "commune" | "crs" | "map" | "mode" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| bad(&format!("/{name}"), format!("cannot be read: {e}")))?;
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > TEXT_FIELD_LIMIT {
                        return Err(invalid(&format!("/{name}"), "too long"));
                    }
                }
                let value = String::from_utf8(bytes).map_err(|_| invalid(&format!("/{name}"), "not UTF-8 text"))?;
                if text.insert(name.clone(), value).is_some() {
                    return Err(invalid(&format!("/{name}"), format!("'{name}' is given more than once")));
                }
            }
            "" => return Err(bad("", "every part of the form needs a name")),
            other => return Err(bad(&format!("/{other}"), format!("unknown field '{other}'"))),
        }
    }
    let commune = text.remove("commune").ok_or_else(|| invalid("/commune", "name the commune (5 digits)"))?;
    let (file_name, file) = upload.ok_or_else(|| invalid("/file", "attach the delivery as the `file` field"))?;
    let mode = match text.remove("mode").as_deref().map(str::trim) {
        None | Some("") => Mode::LoadValid,
        Some(m) => Mode::parse(m).ok_or_else(|| invalid("/mode", "load_valid or all_or_nothing"))?,
    };
    let request = ImportRequest {
        commune,
        crs: text.remove("crs"),
        map: text.remove("map"),
        mode,
        synthetic: false,
        source_name: if file_name.is_empty() { "upload".into() } else { file_name },
    };
    Ok((request, file))
}

/// Imports a survey delivery into a commune (officer of its province): each feature is checked
/// as `POST /parcels` checks one — geometry, inside the commune, overlaps with the register and
/// within the file, sheet and parcel numbers, land-use code, declared area — and the good ones
/// are registered in one transaction with one audit entry (`all_or_nothing`: none, if any is
/// rejected). Answers at once (202) once the file is read and understood; the import runs in
/// the background: follow `Location`. Field mapping defaults: SoTo/SHBANDO/so_to → sheet,
/// SoThua/SHTHUA/so_thua → parcel, LoaiDat/MucDich/KHLOAIDAT → land use, DienTich/dien_tich →
/// area, DiaChi → address.
#[utoipa::path(post, path = "/imports", tag = "staff", security(("bearer" = [])),
    request_body(content = inline(imports::ImportFormSchema), content_type = "multipart/form-data"),
    responses((status = 202, description = "the import is queued; `Location` names it", body = imports::ImportJobView),
              (status = 413, description = "the file is larger than the upload limit (512 MiB)"),
              (status = 422, description = "the commune, CRS, mapping or file cannot be used; `errors` names the field")))]
#[post("/imports")]
pub async fn start(
    actor: Actor,
    req: HttpRequest,
    _query: Query<NoParams>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (request, file) = read_form(&req, payload).await?;
    let pool = state.pool.clone();
    let view = with_conn(&state, move |conn, settings| {
        let requester = Requester::Staff(&actor);
        let prepared = imports::prepare(conn, requester, &request, &file.0)?;
        let id = imports::queue(conn, requester, &prepared)?;
        let view = imports::get(conn, &actor, id)?;
        imports::run_in_background(pool, settings.clone(), actor, id, prepared, file);
        Ok(view)
    })
    .await?;
    Ok(HttpResponse::Accepted().insert_header((header::LOCATION, format!("/imports/{}", view.id))).json(view))
}

fn import_id(text: &str) -> Result<i64, Problem> {
    super::query::path_id(text, "an import")
}

/// An import: status (queued, running, succeeded, failed), phase, progress (features read,
/// validated, loaded, rejected) and, once finished, the result with the rejections by reason.
/// An import whose server or database stopped while it ran is failed, kind `interrupted`.
#[utoipa::path(get, path = "/imports/{id}", tag = "staff", operation_id = "get_import", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "import id")),
    responses((status = 200, description = "the import", body = imports::ImportJobView)))]
#[get("/imports/{id}")]
pub async fn get(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = import_id(&path)?;
    let view = with_conn(&state, move |conn, _| imports::get(conn, &actor, id)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(view))
}

/// The rejected features of a finished import: a GeoPackage (layer `rejected`) in the file's
/// own CRS, each feature with its `source_fid`, the attributes read, `reason` and `reason_code`.
#[utoipa::path(get, path = "/imports/{id}/rejected", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "import id")),
    responses((status = 200, description = "the rejected features", content_type = "application/geopackage+sqlite3",
               body = Vec<u8>)))]
#[get("/imports/{id}/rejected")]
pub async fn rejected(
    actor: Actor,
    _query: Query<NoParams>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let id = import_id(&path)?;
    let bytes = with_conn(&state, move |conn, _| imports::rejected(conn, &actor, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/geopackage+sqlite3"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"import-{id}-rejected.gpkg\"")))
        .body(bytes))
}
