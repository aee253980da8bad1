//! The citizen's channel (public service "toàn trình" / "một phần"): a citizen submits a dossier
//! online with its documents as files; the desk accepts it — it becomes a dossier, and the
//! statutory clock starts then, not at submission — or refuses it with the grounds, which the
//! citizen reads in Vietnamese. Submitting, accepting and refusing each run in one transaction
//! with their audit entry and their notice in the outbox ([`super::notices`]).
//!
//! A refusal deletes the uploaded files: the audit entry keeps their names, sizes and SHA-256,
//! nothing else of them. Files are never served publicly.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::authz::{authorize, authorize_role, Action as Authz};
use super::dossiers::{self, ApplicantInput, DocumentInput, DossierView, Intake, NewDossier, ProcedureRef};
use super::notices::{self, Subject};
use super::{audit_json, Actor, DbContext, Error, FieldError, Settings};
use domain::dossier::notice::{NoticeFacts, NoticeKind};
use domain::dossier::submission::{self as rules, secret, FileKind, RefusalGround, SubmissionState};
use domain::dossier::ReturnMethod;
use store::submissions as db;
use store::{admin_units, audit, parcels as parcel_db};

// ---- Input, as the HTTP layer reads it from multipart/form-data ----

/// One uploaded file part.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field (`document_1`, `document_2`, …).
    pub field: String,
    /// The name the browser sent (kept for the desk; never trusted for the type).
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A submission form: text fields by name, and the files.
#[derive(Debug, Clone, Default)]
pub struct SubmissionForm {
    pub text: BTreeMap<String, String>,
    pub files: Vec<Upload>,
}

/// The text fields a submission form has (anything else is refused, naming it).
pub const TEXT_FIELDS: &[&str] = &[
    "procedure",
    "commune",
    "parcel",
    "sheet",
    "parcel_no",
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "applicant_address",
    "email",
    "phone",
    "return_method",
    "postal_address",
];

/// The file field for the procedure's required document at `position` (from 1).
pub fn document_field(position: usize) -> String {
    format!("document_{position}")
}

fn document_position(field: &str) -> Option<usize> {
    field.strip_prefix("document_")?.parse().ok().filter(|n| (1..=99).contains(n))
}

/// `POST /submissions` (multipart/form-data), described for the OpenAPI document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SubmissionFormSchema {
    /// Mã thủ tục: a procedure whose `online_level` is full or partial (GET /procedures).
    #[schema(example = "1.012756")]
    procedure: String,
    /// The commune (5 digits) the land lies in.
    #[schema(example = "31507")]
    commune: String,
    /// The parcel's national id (picked on the map); or give `sheet` and `parcel_no`.
    parcel: Option<String>,
    /// Số tờ bản đồ, with `parcel_no`.
    sheet: Option<String>,
    /// Số thửa, with `sheet`.
    parcel_no: Option<String>,
    /// person (default), household or organisation.
    applicant_kind: Option<String>,
    applicant_name: String,
    /// Số định danh cá nhân / CCCD.
    applicant_id_number: Option<String>,
    applicant_address: Option<String>,
    /// Where notices go.
    email: String,
    phone: Option<String>,
    /// counter, postal or online.
    #[schema(example = "postal")]
    return_method: String,
    /// Required when return_method is postal: where the result is posted.
    postal_address: Option<String>,
    /// The procedure's first required document: a PDF, JPEG or PNG (checked by its content).
    /// `document_2`, `document_3`, … likewise; a field may be repeated for a document of several
    /// pages.
    #[schema(value_type = String, format = Binary)]
    document_1: Vec<u8>,
    #[schema(value_type = Option<String>, format = Binary)]
    document_2: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    document_3: Option<Vec<u8>>,
}

/// `POST /submissions/{id}/accept`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// A remote commune gets the procedure's extra days.
    #[serde(default)]
    pub remote: bool,
}

/// `POST /submissions/{id}/refuse`: Phiếu từ chối tiếp nhận.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseInput {
    /// incomplete, illegible, wrong_procedure, not_competent, duplicate or other.
    #[schema(example = "illegible")]
    pub ground: String,
    /// What exactly is wrong, as the citizen will read it (Vietnamese).
    #[schema(example = "Ảnh chụp đơn bị mờ, không đọc được chữ ký.")]
    pub note: String,
}

// ---- Views ----

/// The receipt a citizen gets at once: keep the secret, it is shown only here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionReceipt {
    /// Số hồ sơ trực tuyến.
    #[schema(example = "TT.92.261127.00001")]
    pub submission_no: String,
    /// Mã bí mật: with the number, it opens the tracking page. Not stored; not shown again.
    #[schema(example = "K7M9-PQ2R-STUV")]
    pub secret: String,
    pub procedure: ProcedureRef,
    pub submitted_at: DateTime<Utc>,
    /// The desk answers (accepts or refuses) by this working day; the statutory time limit
    /// runs from acceptance.
    pub respond_by: NaiveDate,
    pub state: String,
    pub state_label: String,
    /// The documents received, by the procedure's list.
    pub documents: Vec<PublicFileView>,
}

/// A file as the citizen sees it listed (no content, ever).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicFileView {
    /// Position in the procedure's required documents.
    pub requirement: i32,
    pub title: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i32,
    pub sha256: String,
}

/// A refusal as the citizen reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusalView {
    pub ground: String,
    /// The ground in Vietnamese.
    pub ground_label: String,
    pub note: String,
    /// Ground and note, one sentence (Vietnamese).
    pub text: String,
}

/// `GET /submissions/track/{submission_no}?secret=`: no personal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionTrackingView {
    pub submission_no: String,
    pub procedure: ProcedureRef,
    pub state: String,
    pub state_label: String,
    pub submitted_at: DateTime<Utc>,
    pub respond_by: NaiveDate,
    pub decided_at: Option<DateTime<Utc>>,
    pub return_method: String,
    pub refusal: Option<RefusalView>,
    /// Once accepted: the dossier as public tracking shows it.
    pub dossier: Option<dossiers::TrackingView>,
}

/// The applicant as they filled the form (staff only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionApplicant {
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub address: Option<String>,
    pub email: String,
    pub phone: Option<String>,
}

/// A submission as the desk sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub id: i64,
    pub submission_no: String,
    pub procedure: ProcedureRef,
    pub province_code: String,
    pub commune: dossiers::CommuneRef,
    /// National id of the parcel named, if any.
    pub parcel: Option<String>,
    pub applicant: SubmissionApplicant,
    pub return_method: String,
    pub postal_address: Option<String>,
    pub state: String,
    pub state_label: String,
    pub submitted_at: DateTime<Utc>,
    /// The working day by which the desk must answer.
    pub respond_by: NaiveDate,
    /// Still waiting after `respond_by`.
    pub response_overdue: bool,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal: Option<RefusalView>,
    /// The dossier it became.
    pub dossier_id: Option<i64>,
    /// The files (none left after a refusal).
    pub files: Vec<PublicFileView>,
}

/// `GET /submissions`: a page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionList {
    pub items: Vec<SubmissionView>,
    pub next_cursor: Option<i64>,
}

/// `POST /submissions/{id}/accept`: the submission and the dossier it became.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AcceptedView {
    pub submission: SubmissionView,
    pub dossier: DossierView,
}

// ---- Submit ----

fn field_error(field: &str, code: &str, message: impl Into<String>, extra: serde_json::Value) -> FieldError {
    let mut detail = json!({"code": code});
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    FieldError::pointer(format!("/{field}"), message).with_detail(detail)
}

/// The typed fields of a form, once its text has been checked.
#[derive(Debug)]
struct Checked<'a> {
    procedure: &'a str,
    commune: &'a str,
    parcel: Option<&'a str>,
    sheet_parcel: Option<(i32, i32)>,
    kind: &'a str,
    name: &'a str,
    id_number: Option<&'a str>,
    address: Option<&'a str>,
    email: String,
    phone: Option<String>,
    return_method: ReturnMethod,
    postal_address: Option<&'a str>,
}

/// The checks that need no database: every field and every file; all the errors at once.
fn check_form<'a>(form: &'a SubmissionForm, limits: &rules::UploadLimits) -> Result<Checked<'a>, Error> {
    let mut errors = Vec::new();
    for name in form.text.keys() {
        if !TEXT_FIELDS.contains(&name.as_str()) {
            errors.push(field_error(name, "unknown_field", format!("'{name}' is not a field of this form"), json!({})));
        }
    }
    for (name, value) in &form.text {
        if value.contains('\0') || value.len() > 2000 {
            errors.push(field_error(name, "invalid", "at most 2000 characters, without NUL characters", json!({})));
        }
    }
    let get = |name: &str| form.text.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let required = |name: &'static str, errors: &mut Vec<FieldError>| {
        let v = get(name);
        if v.is_none() {
            errors.push(field_error(name, "required", format!("{name} is required"), json!({})));
        }
        v
    };
    let procedure = required("procedure", &mut errors).unwrap_or("");
    let commune = required("commune", &mut errors).unwrap_or("");
    let name = required("applicant_name", &mut errors).unwrap_or("");
    let email_text = required("email", &mut errors);
    let return_text = required("return_method", &mut errors);
    let kind = get("applicant_kind").unwrap_or("person");
    if !matches!(kind, "person" | "household" | "organisation") {
        errors.push(field_error("applicant_kind", "invalid", "one of person, household, organisation", json!({})));
    }
    let email = email_text.and_then(|e| {
        let v = rules::normalize_email(e);
        if v.is_none() {
            errors.push(field_error("email", "invalid", "an email address such as ten@example.vn", json!({})));
        }
        v
    });
    let phone = get("phone").and_then(|p| {
        let v = rules::normalize_phone(p);
        if v.is_none() {
            errors.push(field_error("phone", "invalid", "a phone number of 9–15 digits", json!({})));
        }
        v
    });
    let return_method = return_text.and_then(|m| {
        let v = ReturnMethod::parse(m);
        if v.is_none() {
            errors.push(field_error("return_method", "invalid", "one of counter, postal, online", json!({})));
        }
        v
    });
    let postal_address = get("postal_address");
    match (return_method, postal_address) {
        (Some(ReturnMethod::Postal), None) => errors.push(field_error(
            "postal_address",
            "required",
            "a result returned by post needs the address it goes to",
            json!({}),
        )),
        (Some(m), Some(_)) if m != ReturnMethod::Postal => errors.push(field_error(
            "postal_address",
            "invalid",
            "only a result returned by post has a postal address",
            json!({}),
        )),
        _ => {}
    }
    let sheet_parcel = match (get("sheet"), get("parcel_no")) {
        (None, None) => None,
        (Some(s), Some(p)) => match (s.parse::<i32>(), p.parse::<i32>()) {
            (Ok(s), Ok(p)) if s > 0 && p > 0 => Some((s, p)),
            _ => {
                errors.push(field_error("sheet", "invalid", "sheet and parcel_no are positive numbers", json!({})));
                None
            }
        },
        (s, _) => {
            let missing = if s.is_none() { "sheet" } else { "parcel_no" };
            errors.push(field_error(missing, "required", "give both sheet and parcel_no", json!({})));
            None
        }
    };
    let parcel = get("parcel");
    if parcel.is_some() && sheet_parcel.is_some() {
        errors.push(field_error(
            "parcel",
            "invalid",
            "give the parcel's national id, or sheet and parcel_no",
            json!({}),
        ));
    }
    let commune_shaped = commune.len() == 5 && commune.bytes().all(|b| b.is_ascii_digit());
    if !commune.is_empty() && !commune_shaped {
        errors.push(field_error("commune", "invalid", "a commune code has 5 digits", json!({})));
    }
    // The files: count, size, type; each named by its field.
    if form.files.len() > limits.files {
        errors.push(field_error(
            "document_1",
            "too_many_files",
            format!("at most {} files in one submission", limits.files),
            json!({"limit": limits.files}),
        ));
    }
    for f in &form.files {
        if document_position(&f.field).is_none() {
            errors.push(field_error(
                &f.field,
                "unknown_field",
                format!("'{}' is not a field of this form (documents are document_1, document_2, …)", f.field),
                json!({}),
            ));
        } else if f.bytes.is_empty() {
            errors.push(field_error(&f.field, "file_empty", "the file is empty", json!({"file_name": f.file_name})));
        } else if f.bytes.len() > limits.file_bytes {
            errors.push(field_error(
                &f.field,
                "file_too_large",
                format!(
                    "'{}' is {} bytes; a file may have at most {} bytes",
                    f.file_name,
                    f.bytes.len(),
                    limits.file_bytes
                ),
                json!({"file_name": f.file_name, "size_bytes": f.bytes.len(), "limit_bytes": limits.file_bytes}),
            ));
        } else if FileKind::sniff(&f.bytes).is_none() {
            errors.push(field_error(
                &f.field,
                "file_type",
                format!("'{}' is not a PDF, JPEG or PNG file (judged by its content, not its name)", f.file_name),
                json!({"file_name": f.file_name}),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Checked {
        procedure,
        commune,
        parcel,
        sheet_parcel,
        kind,
        name,
        id_number: get("applicant_id_number"),
        address: get("applicant_address"),
        email: email.unwrap_or_default(),
        phone,
        return_method: return_method.unwrap_or(ReturnMethod::Counter),
        postal_address,
    })
}

/// A file name as shown to the desk: the last path component, without control characters.
fn clean_file_name(name: &str, field: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        field.to_string()
    } else {
        cleaned.trim().to_string()
    }
}

/// `POST /submissions`: checks the form and its files, then records the submission, its files,
/// its audit entry and the "received" notice in one transaction. Nothing is stored when anything
/// is wrong.
pub fn submit(
    conn: &mut PgConnection,
    settings: &Settings,
    form: &SubmissionForm,
    now: DateTime<Utc>,
) -> Result<SubmissionReceipt, Error> {
    let c = check_form(form, &settings.upload_limits)?;
    let secret_text = secret::from_bytes(rand::random());
    let digest = secret::digest(&secret_text).expect("a generated secret is well-formed");
    conn.transaction(|conn| {
        let procedure = dossiers::procedure_row(conn, c.procedure)?.ok_or_else(|| {
            Error::Invalid(vec![field_error(
                "procedure",
                "unknown_procedure",
                format!("unknown procedure '{}' (see GET /procedures)", c.procedure),
                json!({}),
            )])
        })?;
        if !rules::accepts_online(&procedure.online_level) {
            return Err(Error::Invalid(vec![field_error(
                "procedure",
                "not_online",
                format!("procedure {} is not offered online; file it at the one-stop desk", procedure.code),
                json!({"online_level": procedure.online_level}),
            )]));
        }
        let commune =
            admin_units::current_commune(conn, c.commune).context_db("finding the commune")?.ok_or_else(|| {
                Error::Invalid(vec![field_error(
                    "commune",
                    "unknown_commune",
                    format!("no commune in force has code '{}'", c.commune),
                    json!({}),
                )])
            })?;
        let parcel = resolve_parcel(conn, &c, &commune)?;
        // Every required document needs at least one file; a position past the list is unknown.
        let required = dossiers::required_documents(&procedure);
        let mut errors = Vec::new();
        for f in &form.files {
            let n = document_position(&f.field).unwrap_or(0);
            if n > required.len() {
                errors.push(field_error(
                    &f.field,
                    "unknown_field",
                    format!("procedure {} lists {} document(s)", procedure.code, required.len()),
                    json!({}),
                ));
            }
        }
        for (i, title) in required.iter().enumerate() {
            let field = document_field(i + 1);
            if !form.files.iter().any(|f| f.field == field) {
                errors.push(field_error(
                    &field,
                    "document_missing",
                    format!("missing required document: {title}"),
                    json!({"title": title}),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let cal = dossiers::load_calendar(conn)?;
        let cutoff = procedure.cutoff.unwrap_or(settings.office_cutoff);
        let respond_by = dossiers::compute_due(&cal, now, cutoff, 0, vec![]);
        let id = db::next_id(conn).context_db("numbering the submission")?;
        let submission_no = rules::submission_no(&commune.province_code, dossiers::local_day(now), id);
        db::insert(
            conn,
            &db::NewSubmission {
                id,
                submission_no: &submission_no,
                secret_sha256: &digest,
                procedure_code: &procedure.code,
                province_code: &commune.province_code,
                commune_id: commune.id,
                parcel_id: parcel,
                applicant_kind: c.kind,
                applicant_name: c.name,
                applicant_id_number: c.id_number,
                applicant_address: c.address,
                email: &c.email,
                phone: c.phone.as_deref(),
                return_method: c.return_method.as_str(),
                postal_address: c.postal_address,
                submitted_at: now,
                respond_by,
            },
        )
        .context_db("recording the submission")?;
        for f in &form.files {
            let kind = FileKind::sniff(&f.bytes).expect("checked above");
            let requirement = document_position(&f.field).expect("checked above") as i32;
            db::insert_file(
                conn,
                id,
                &db::NewFile {
                    requirement,
                    file_name: &clean_file_name(&f.file_name, &f.field),
                    media_type: kind.media_type(),
                    sha256: &rules::sha256_hex(&f.bytes),
                    content: &f.bytes,
                },
            )
            .context_db("storing the file")?;
        }
        let view = view_of(conn, id, now)?;
        notices::enqueue(
            conn,
            NoticeKind::SubmissionReceived,
            Subject { submission_id: Some(id), dossier_id: None },
            &c.email,
            &NoticeFacts { submission_no: Some(&submission_no), procedure_name: &procedure.name, ..Default::default() },
            now,
        )?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: None,
                actor: "citizen (online)",
                action: "submission.submit",
                entity: "submission",
                entity_id: &submission_no,
                before: None,
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(SubmissionReceipt {
            submission_no,
            secret: secret_text.clone(),
            procedure: view.procedure,
            submitted_at: now,
            respond_by,
            state: view.state,
            state_label: view.state_label,
            documents: view.files,
        })
    })
}

fn resolve_parcel(
    conn: &mut PgConnection,
    c: &Checked<'_>,
    commune: &admin_units::UnitRow,
) -> Result<Option<i64>, Error> {
    let unknown =
        |field: &str, message: String| Error::Invalid(vec![field_error(field, "unknown_parcel", message, json!({}))]);
    if let Some(national_id) = c.parcel {
        let found = parcel_db::current_by_national_id(conn, national_id).context_db("finding the parcel")?;
        let Some(found) = found else {
            return Err(unknown("parcel", format!("no current parcel has national id '{national_id}'")));
        };
        if found.province_code != commune.province_code {
            return Err(unknown(
                "parcel",
                format!(
                    "parcel {national_id} lies in province {}, not in commune {}'s",
                    found.province_code, commune.code
                ),
            ));
        }
        return Ok(Some(found.parcel_id));
    }
    let Some((sheet, number)) = c.sheet_parcel else { return Ok(None) };
    let units = admin_units::communes_with_code(conn, &commune.code).context_db("finding the commune")?;
    let ids: Vec<i32> = units.iter().map(|u| u.id).collect();
    let mut rows = parcel_db::by_key(conn, &ids, sheet, number).context_db("looking the parcel up")?;
    if rows.is_empty() {
        rows = parcel_db::by_current_commune(conn, commune.id, sheet, number).context_db("looking the parcel up")?;
    }
    match rows.first() {
        Some(row) => Ok(Some(row.parcel_id)),
        None => Err(unknown("parcel_no", format!("no parcel {number} on sheet {sheet} in commune {}", commune.code))),
    }
}

// ---- Views ----

fn refusal_of(row: &db::SubmissionRow) -> Option<RefusalView> {
    let ground = RefusalGround::parse(row.refusal_ground.as_deref()?)?;
    let note = row.refusal_note.clone().unwrap_or_default();
    Some(RefusalView {
        ground: ground.as_str().to_string(),
        ground_label: ground.label_vi().to_string(),
        text: rules::refusal_text_vi(ground, &note),
        note,
    })
}

fn load_row(conn: &mut PgConnection, id: i64) -> Result<db::SubmissionRow, Error> {
    db::by_id(conn, id).context_db("loading the submission")?.ok_or_else(|| Error::NotFound(format!("submission {id}")))
}

fn view_of(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<SubmissionView, Error> {
    let row = load_row(conn, id)?;
    view_from(conn, row, now)
}

fn view_from(conn: &mut PgConnection, row: db::SubmissionRow, now: DateTime<Utc>) -> Result<SubmissionView, Error> {
    let procedure = dossiers::procedure_row(conn, &row.procedure_code)?;
    let required = procedure.as_ref().map(dossiers::required_documents).unwrap_or_default();
    let files = db::files(conn, row.id).context_db("loading the files")?;
    Ok(SubmissionView {
        id: row.id,
        submission_no: row.submission_no.clone(),
        procedure: ProcedureRef { code: row.procedure_code.clone(), name: row.procedure_name.clone() },
        province_code: row.province_code.clone(),
        commune: dossiers::CommuneRef { code: Some(row.commune_code.clone()), name: Some(row.commune_name.clone()) },
        parcel: row.parcel.clone(),
        applicant: SubmissionApplicant {
            kind: row.applicant_kind.clone(),
            name: row.applicant_name.clone(),
            id_number: row.applicant_id_number.clone(),
            address: row.applicant_address.clone(),
            email: row.email.clone(),
            phone: row.phone.clone(),
        },
        return_method: row.return_method.clone(),
        postal_address: row.postal_address.clone(),
        state: row.state.as_str().to_string(),
        state_label: row.state.label_vi().to_string(),
        submitted_at: row.submitted_at,
        respond_by: row.respond_by,
        response_overdue: row.state == SubmissionState::Submitted && dossiers::local_day(now) > row.respond_by,
        decided_at: row.decided_at,
        refusal: refusal_of(&row),
        dossier_id: row.dossier_id,
        files: files
            .into_iter()
            .map(|f| PublicFileView {
                title: usize::try_from(f.requirement - 1)
                    .ok()
                    .and_then(|i| required.get(i).cloned())
                    .unwrap_or_default(),
                requirement: f.requirement,
                file_name: f.file_name,
                media_type: f.media_type,
                size_bytes: f.size_bytes,
                sha256: f.sha256,
            })
            .collect(),
    })
}

// ---- Public tracking ----

/// `GET /submissions/track/{no}?secret=`: the same 404 for an unknown number and a wrong or
/// missing secret (no oracle).
pub fn track(
    conn: &mut PgConnection,
    submission_no: &str,
    secret_text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SubmissionTrackingView, Error> {
    let unknown = || Error::NotFound(format!("submission {submission_no} with this secret"));
    let digest = secret_text.and_then(secret::digest);
    let row = db::by_no(conn, submission_no).context_db("finding the submission")?.ok_or_else(unknown)?;
    if !digest.is_some_and(|d| secret::digests_match(&row.secret_sha256, &d)) {
        return Err(unknown());
    }
    let dossier = match row.dossier_id {
        Some(id) => Some(dossiers::track_by_id(conn, id, now)?),
        None => None,
    };
    Ok(SubmissionTrackingView {
        submission_no: row.submission_no.clone(),
        procedure: ProcedureRef { code: row.procedure_code.clone(), name: row.procedure_name.clone() },
        state: row.state.as_str().to_string(),
        state_label: row.state.label_vi().to_string(),
        submitted_at: row.submitted_at,
        respond_by: row.respond_by,
        decided_at: row.decided_at,
        return_method: row.return_method.clone(),
        refusal: refusal_of(&row),
        dossier,
    })
}

// ---- The desk ----

/// `GET /submissions`: the desk's list; an officer sees their own province.
pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    province: Option<String>,
    state: Option<&str>,
    after: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<SubmissionList, Error> {
    authorize_role(actor, Authz::SubmissionRead)?;
    let province = match (&actor.province_code, province) {
        (_, Some(asked)) => {
            authorize(actor, Authz::SubmissionRead, &asked)?;
            Some(asked)
        }
        (Some(own), None) => Some(own.clone()),
        (None, None) => None,
    };
    let state = match state {
        Some(s) => Some(
            SubmissionState::parse(s)
                .ok_or_else(|| Error::bad_parameter("state", "one of submitted, accepted, refused"))?,
        ),
        None => None,
    };
    let rows = db::list(conn, province.as_deref(), state, after, limit).context_db("listing submissions")?;
    let next = if rows.len() as i64 == limit { rows.last().map(|r| r.id) } else { None };
    let items = rows.into_iter().map(|r| view_from(conn, r, now)).collect::<Result<Vec<_>, _>>()?;
    Ok(SubmissionList { items, next_cursor: next })
}

/// `GET /submissions/{id}`.
pub fn get(conn: &mut PgConnection, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<SubmissionView, Error> {
    let row = load_row(conn, id)?;
    authorize(actor, Authz::SubmissionRead, &row.province_code)?;
    view_from(conn, row, now)
}

fn pending(row: &db::SubmissionRow) -> Result<(), Error> {
    if row.state == SubmissionState::Submitted {
        Ok(())
    } else {
        Err(Error::Conflict {
            message: format!("submission {} was already {}", row.submission_no, row.state.as_str()),
            errors: vec![],
        })
    }
}

/// `POST /submissions/{id}/accept`: the submission becomes a dossier received now — the
/// statutory clock starts at acceptance — with its files listed as the documents, the return
/// the citizen asked for, and a notice with the receipt number, tracking code and promised date.
pub fn accept(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: i64,
    input: &AcceptInput,
    now: DateTime<Utc>,
) -> Result<AcceptedView, Error> {
    conn.transaction(|conn| {
        if !db::lock(conn, id).context_db("locking the submission")? {
            return Err(Error::NotFound(format!("submission {id}")));
        }
        let row = load_row(conn, id)?;
        authorize(actor, Authz::SubmissionDecide, &row.province_code)?;
        pending(&row)?;
        let before = view_from(conn, row.clone(), now)?;
        // One document per requirement, naming the files that fulfil it.
        let mut by_requirement: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for f in &before.files {
            by_requirement.entry(f.requirement).or_default().push(f.file_name.clone());
        }
        let documents: Vec<DocumentInput> = by_requirement
            .into_iter()
            .map(|(n, names)| {
                let title = before.files.iter().find(|f| f.requirement == n).map_or("", |f| f.title.as_str());
                DocumentInput {
                    title: format!("{title} (tệp: {})", names.join(", ")),
                    copies: 1,
                    requirement: usize::try_from(n).ok(),
                }
            })
            .collect();
        let req = NewDossier {
            procedure: row.procedure_code.clone(),
            channel: "online".into(),
            commune: row.commune_code.clone(),
            applicant: ApplicantInput {
                kind: row.applicant_kind.clone(),
                name: row.applicant_name.clone(),
                id_number: row.applicant_id_number.clone(),
                address: row.applicant_address.clone(),
            },
            parcels: row.parcel.iter().cloned().collect(),
            documents: Some(documents),
            incomplete_note: None,
            remote: input.remote,
            received_at: Some(now),
        };
        let received_at = dossiers::check_new_dossier(&req, now)?;
        let intake = Intake { return_address: row.postal_address.as_deref(), contact_email: Some(&row.email) };
        let dossier = dossiers::record_receipt(conn, settings, actor, &req, received_at, now, &intake)?;
        db::mark_accepted(conn, id, dossier.id, now, actor.user_id).context_db("accepting the submission")?;
        notices::enqueue(
            conn,
            NoticeKind::SubmissionAccepted,
            Subject { submission_id: Some(id), dossier_id: Some(dossier.id) },
            &row.email,
            &NoticeFacts {
                submission_no: Some(&row.submission_no),
                receipt_no: Some(&dossier.receipt_no),
                tracking_code: Some(&dossier.tracking_code),
                procedure_name: &row.procedure_name,
                date: Some(dossier.promised_date),
                ..Default::default()
            },
            now,
        )?;
        let submission = view_of(conn, id, now)?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "submission.accept",
                entity: "submission",
                entity_id: &row.submission_no,
                before: Some(json!({"state": before.state})),
                after: Some(
                    json!({"state": submission.state, "dossier": dossier.receipt_no, "due_on": dossier.due_on}),
                ),
            },
        )
        .context_db("writing the audit log")?;
        Ok(AcceptedView { submission, dossier })
    })
}

/// `POST /submissions/{id}/refuse`: refuses with a ground the citizen reads in Vietnamese and the
/// officer's note; the uploaded files are deleted (the audit entry keeps their names, sizes and
/// hashes).
pub fn refuse(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    input: &RefuseInput,
    now: DateTime<Utc>,
) -> Result<SubmissionView, Error> {
    let ground = RefusalGround::parse(input.ground.trim()).ok_or_else(|| {
        Error::invalid("/ground", "one of incomplete, illegible, wrong_procedure, not_competent, duplicate, other")
    })?;
    let note = input.note.trim();
    if note.is_empty() || note.len() > 2000 {
        return Err(Error::invalid(
            "/note",
            "say what is wrong, as the citizen will read it (at most 2000 characters)",
        ));
    }
    conn.transaction(|conn| {
        if !db::lock(conn, id).context_db("locking the submission")? {
            return Err(Error::NotFound(format!("submission {id}")));
        }
        let row = load_row(conn, id)?;
        authorize(actor, Authz::SubmissionDecide, &row.province_code)?;
        pending(&row)?;
        let before = view_from(conn, row.clone(), now)?;
        db::delete_files(conn, id).context_db("deleting the uploaded files")?;
        db::mark_refused(conn, id, ground.as_str(), note, now, actor.user_id).context_db("refusing the submission")?;
        let text = rules::refusal_text_vi(ground, note);
        notices::enqueue(
            conn,
            NoticeKind::SubmissionRefused,
            Subject { submission_id: Some(id), dossier_id: None },
            &row.email,
            &NoticeFacts {
                submission_no: Some(&row.submission_no),
                procedure_name: &row.procedure_name,
                reason: Some(&text),
                ..Default::default()
            },
            now,
        )?;
        let view = view_of(conn, id, now)?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "submission.refuse",
                entity: "submission",
                entity_id: &row.submission_no,
                before: Some(json!({"state": before.state, "files": before.files.iter().map(|f| json!({
                    "requirement": f.requirement, "file_name": f.file_name, "media_type": f.media_type,
                    "size_bytes": f.size_bytes, "sha256": f.sha256,
                })).collect::<Vec<_>>()})),
                after: Some(json!({"state": view.state, "ground": ground.as_str(), "note": note, "text": text})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(files: Vec<(&str, &str, Vec<u8>)>) -> SubmissionForm {
        let mut text = BTreeMap::new();
        for (k, v) in [
            ("procedure", "1.012756"),
            ("commune", "31507"),
            ("applicant_name", "Nguyễn Văn An"),
            ("email", "an@example.vn"),
            ("return_method", "postal"),
            ("postal_address", "12 Lê Lợi, Sóc Trăng"),
        ] {
            text.insert(k.to_string(), v.to_string());
        }
        SubmissionForm {
            text,
            files: files
                .into_iter()
                .map(|(f, n, b)| Upload { field: f.into(), file_name: n.into(), bytes: b })
                .collect(),
        }
    }

    fn codes(e: Error) -> Vec<(String, String)> {
        let Error::Invalid(errors) = e else { panic!("{e:?}") };
        errors
            .into_iter()
            .map(|e| {
                let pointer = match e.location {
                    super::super::Location::Pointer(p) => p,
                    super::super::Location::Parameter(p) => p,
                };
                (pointer, e.detail.unwrap()["code"].as_str().unwrap().to_string())
            })
            .collect()
    }

    #[test]
    fn each_bad_file_is_named_by_its_field() {
        let limits = rules::UploadLimits { file_bytes: 100, total_bytes: 1000, files: 3 };
        let pdf = b"%PDF-1.4 tiny".to_vec();
        assert!(check_form(&form(vec![("document_1", "a.pdf", pdf.clone())]), &limits).is_ok());
        let e = check_form(
            &form(vec![
                ("document_1", "a.pdf", b"MZ not a pdf".to_vec()),
                ("document_2", "b.pdf", [b"%PDF-".to_vec(), vec![0; 200]].concat()),
                ("scan", "c.pdf", pdf.clone()),
            ]),
            &limits,
        )
        .unwrap_err();
        assert_eq!(
            codes(e),
            [
                ("/document_1".into(), "file_type".into()),
                ("/document_2".into(), "file_too_large".into()),
                ("/scan".into(), "unknown_field".into())
            ]
        );
        let many = (0..4).map(|_| ("document_1", "p.pdf", pdf.clone())).collect();
        assert_eq!(codes(check_form(&form(many), &limits).unwrap_err())[0].1, "too_many_files");
    }

    #[test]
    fn fields_are_checked_together() {
        let limits = rules::UploadLimits::default();
        let mut f = form(vec![]);
        f.text.remove("postal_address");
        f.text.insert("email".into(), "not-an-email".into());
        f.text.insert("colour".into(), "red".into());
        let got = codes(check_form(&f, &limits).unwrap_err());
        assert!(got.contains(&("/postal_address".into(), "required".into())), "{got:?}");
        assert!(got.contains(&("/email".into(), "invalid".into())), "{got:?}");
        assert!(got.contains(&("/colour".into(), "unknown_field".into())), "{got:?}");
        assert_eq!(clean_file_name("C:\\Users\\an\\đơn.pdf", "document_1"), "đơn.pdf");
        assert_eq!(clean_file_name("", "document_1"), "document_1");
    }
}
