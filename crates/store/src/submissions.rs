//! Online submissions (nộp hồ sơ trực tuyến) and their uploaded files.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use domain::dossier::submission::SubmissionState;

use crate::enums::Stored;
use crate::schema::{admin_units, online_submissions, parcels, procedures, submission_files};

define_sql_function!(fn nextval(sequence: diesel::sql_types::Text) -> diesel::sql_types::BigInt);

/// The next submission id, taken before the insert so the number can be written with the row.
pub fn next_id(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::select(nextval("online_submissions_id_seq")).get_result(conn)
}

/// What a new submission row holds.
pub struct NewSubmission<'a> {
    pub id: i64,
    pub submission_no: &'a str,
    pub secret_sha256: &'a str,
    pub procedure_code: &'a str,
    pub province_code: &'a str,
    pub commune_id: i32,
    pub parcel_id: Option<i64>,
    pub applicant_kind: &'a str,
    pub applicant_name: &'a str,
    pub applicant_id_number: Option<&'a str>,
    pub applicant_address: Option<&'a str>,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub return_method: &'a str,
    pub postal_address: Option<&'a str>,
    pub submitted_at: DateTime<Utc>,
    pub respond_by: NaiveDate,
}

pub fn insert(conn: &mut PgConnection, s: &NewSubmission) -> QueryResult<usize> {
    diesel::insert_into(online_submissions::table)
        .values((
            online_submissions::id.eq(s.id),
            online_submissions::submission_no.eq(s.submission_no),
            online_submissions::secret_sha256.eq(s.secret_sha256),
            online_submissions::procedure_code.eq(s.procedure_code),
            online_submissions::province_code.eq(s.province_code),
            online_submissions::commune_id.eq(s.commune_id),
            online_submissions::parcel_id.eq(s.parcel_id),
            online_submissions::applicant_kind.eq(s.applicant_kind),
            online_submissions::applicant_name.eq(s.applicant_name),
            online_submissions::applicant_id_number.eq(s.applicant_id_number),
            online_submissions::applicant_address.eq(s.applicant_address),
            online_submissions::email.eq(s.email),
            online_submissions::phone.eq(s.phone),
            online_submissions::return_method.eq(s.return_method),
            online_submissions::postal_address.eq(s.postal_address),
            online_submissions::state.eq(SubmissionState::Submitted.as_str()),
            online_submissions::submitted_at.eq(s.submitted_at),
            online_submissions::respond_by.eq(s.respond_by),
        ))
        .execute(conn)
}

/// An uploaded file, checked before it gets here.
pub struct NewFile<'a> {
    pub requirement: i32,
    pub file_name: &'a str,
    pub media_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
}

pub fn insert_file(conn: &mut PgConnection, submission_id: i64, f: &NewFile) -> QueryResult<i64> {
    diesel::insert_into(submission_files::table)
        .values((
            submission_files::submission_id.eq(submission_id),
            submission_files::requirement.eq(f.requirement),
            submission_files::file_name.eq(f.file_name),
            submission_files::media_type.eq(f.media_type),
            submission_files::size_bytes.eq(i32::try_from(f.content.len()).unwrap_or(i32::MAX)),
            submission_files::sha256.eq(f.sha256),
            submission_files::content.eq(f.content),
        ))
        .returning(submission_files::id)
        .get_result(conn)
}

/// A submission as the desk and the tracking page read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = online_submissions, check_for_backend(Pg))]
pub struct SubmissionRow {
    pub id: i64,
    pub submission_no: String,
    pub secret_sha256: String,
    pub procedure_code: String,
    #[diesel(select_expression = procedures::name, select_expression_type = procedures::name)]
    pub procedure_name: String,
    pub province_code: String,
    #[diesel(select_expression = admin_units::code, select_expression_type = admin_units::code)]
    pub commune_code: String,
    #[diesel(select_expression = admin_units::name, select_expression_type = admin_units::name)]
    pub commune_name: String,
    #[diesel(select_expression = parcels::national_id.nullable(), select_expression_type = diesel::dsl::Nullable<parcels::national_id>)]
    pub parcel: Option<String>,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_id_number: Option<String>,
    pub applicant_address: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub return_method: String,
    pub postal_address: Option<String>,
    #[diesel(deserialize_as = Stored<SubmissionState>)]
    pub state: SubmissionState,
    pub submitted_at: DateTime<Utc>,
    pub respond_by: NaiveDate,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_ground: Option<String>,
    pub refusal_note: Option<String>,
    pub dossier_id: Option<i64>,
}

macro_rules! submissions {
    () => {
        online_submissions::table
            .inner_join(procedures::table)
            .inner_join(admin_units::table)
            .left_join(parcels::table)
            .select(SubmissionRow::as_select())
    };
}

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<SubmissionRow>> {
    submissions!().filter(online_submissions::id.eq(id)).first(conn).optional()
}

pub fn by_no(conn: &mut PgConnection, no: &str) -> QueryResult<Option<SubmissionRow>> {
    submissions!().filter(online_submissions::submission_no.eq(no)).first(conn).optional()
}

/// The submission an accepted dossier came from.
pub fn by_dossier(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Option<SubmissionRow>> {
    submissions!().filter(online_submissions::dossier_id.eq(dossier_id)).first(conn).optional()
}

/// Locks the row for the rest of the transaction (a decision is taken once).
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(online_submissions::table
        .find(id)
        .select(online_submissions::id)
        .for_update()
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Submissions by id after `after`, of a province (None: all) and state (None: all).
pub fn list(
    conn: &mut PgConnection,
    province: Option<&str>,
    state: Option<SubmissionState>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<SubmissionRow>> {
    let mut q = submissions!().filter(online_submissions::id.gt(after)).into_boxed();
    if let Some(p) = province {
        q = q.filter(online_submissions::province_code.eq(p.to_string()));
    }
    if let Some(s) = state {
        q = q.filter(online_submissions::state.eq(s.as_str()));
    }
    q.order(online_submissions::id).limit(limit).load(conn)
}

/// A file's record without its content.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = submission_files, check_for_backend(Pg))]
pub struct FileRow {
    pub id: i64,
    pub requirement: i32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i32,
    pub sha256: String,
}

pub fn files(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<FileRow>> {
    submission_files::table
        .filter(submission_files::submission_id.eq(submission_id))
        .order((submission_files::requirement, submission_files::id))
        .select(FileRow::as_select())
        .load(conn)
}

/// Deletes a submission's files (a refusal keeps nothing of the uploads); how many.
pub fn delete_files(conn: &mut PgConnection, submission_id: i64) -> QueryResult<usize> {
    diesel::delete(submission_files::table.filter(submission_files::submission_id.eq(submission_id))).execute(conn)
}

pub fn mark_accepted(
    conn: &mut PgConnection,
    id: i64,
    dossier_id: i64,
    at: DateTime<Utc>,
    by: i32,
) -> QueryResult<usize> {
    diesel::update(online_submissions::table.find(id))
        .set((
            online_submissions::state.eq(SubmissionState::Accepted.as_str()),
            online_submissions::dossier_id.eq(dossier_id),
            online_submissions::decided_at.eq(at),
            online_submissions::decided_by.eq(by),
        ))
        .execute(conn)
}

pub fn mark_refused(
    conn: &mut PgConnection,
    id: i64,
    ground: &str,
    note: &str,
    at: DateTime<Utc>,
    by: i32,
) -> QueryResult<usize> {
    diesel::update(online_submissions::table.find(id))
        .set((
            online_submissions::state.eq(SubmissionState::Refused.as_str()),
            online_submissions::refusal_ground.eq(ground),
            online_submissions::refusal_note.eq(note),
            online_submissions::decided_at.eq(at),
            online_submissions::decided_by.eq(by),
        ))
        .execute(conn)
}
