//! Dossiers (hồ sơ), their events, pauses, documents and apology letters; the procedure
//! catalogue and the working-day calendar data.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Jsonb, Nullable, Text, Timestamptz};
use domain::dossier::State;

use crate::enums::Stored;

#[derive(Debug, Clone, QueryableByName)]
pub struct ProcedureRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Integer)]
    pub working_days: i32,
    #[diesel(sql_type = Integer)]
    pub remote_extra_days: i32,
    #[diesel(sql_type = Text)]
    pub online_level: String,
    #[diesel(sql_type = Jsonb)]
    pub required_documents: serde_json::Value,
}

pub fn procedure(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ProcedureRow>> {
    diesel::sql_query("SELECT code, name, working_days, remote_extra_days, online_level, required_documents FROM procedures WHERE code = $1")
        .bind::<Text, _>(code)
        .get_result(conn)
        .optional()
}

pub fn procedures(conn: &mut PgConnection) -> QueryResult<Vec<ProcedureRow>> {
    diesel::sql_query("SELECT code, name, working_days, remote_extra_days, online_level, required_documents FROM procedures ORDER BY code")
        .load(conn)
}

pub fn upsert_procedure(conn: &mut PgConnection, p: &ProcedureRow) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO procedures (code, name, working_days, remote_extra_days, online_level, required_documents) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         working_days = excluded.working_days, remote_extra_days = excluded.remote_extra_days, \
         online_level = excluded.online_level, required_documents = excluded.required_documents",
    )
    .bind::<Text, _>(&p.code)
    .bind::<Text, _>(&p.name)
    .bind::<Integer, _>(p.working_days)
    .bind::<Integer, _>(p.remote_extra_days)
    .bind::<Text, _>(&p.online_level)
    .bind::<Jsonb, _>(&p.required_documents)
    .execute(conn)
}

/// A row of the calendar data: a day off or a (weekend) working day decided for that year.
#[derive(Debug, Clone, QueryableByName)]
pub struct CalendarDayRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub note: String,
}

pub fn calendar_days(conn: &mut PgConnection) -> QueryResult<Vec<CalendarDayRow>> {
    diesel::sql_query("SELECT day, kind, note FROM calendar_days ORDER BY day").load(conn)
}

pub fn upsert_calendar_day(conn: &mut PgConnection, day: NaiveDate, kind: &str, note: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3) \
         ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note",
    )
    .bind::<Date, _>(day)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(note)
    .execute(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct DossierRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub receipt_no: String,
    #[diesel(sql_type = Text)]
    pub procedure_code: String,
    #[diesel(sql_type = Text)]
    pub procedure_name: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub commune_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub commune_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = BigInt)]
    pub applicant_party_id: i64,
    #[diesel(sql_type = Text)]
    pub applicant_kind: String,
    #[diesel(sql_type = Text)]
    pub applicant_name: String,
    #[diesel(sql_type = Text, deserialize_as = Stored<State>)]
    pub state: State,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub statutory_days: i32,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Bool)]
    pub remote_commune: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub return_method: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub returned_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub decided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub paused_since: Option<DateTime<Utc>>,
    /// National ids of the dossier's parcels.
    #[diesel(sql_type = Array<Text>)]
    pub parcels: Vec<String>,
    #[diesel(sql_type = BigInt)]
    pub apologies: i64,
}

const DOSSIER_SELECT: &str =
    "SELECT d.id, d.receipt_no, d.procedure_code, pr.name AS procedure_name, d.province_code, \
       c.code AS commune_code, c.name AS commune_name, d.channel, d.applicant_party_id, pa.kind AS applicant_kind, \
       pa.full_name AS applicant_name, d.state, d.received_at, d.statutory_days, d.due_on, d.remote_commune, \
       d.return_method, d.returned_at, d.decided_at, d.result_ready_at, d.paused_since, \
       ARRAY(SELECT p.national_id FROM dossier_parcels dp JOIN parcels p ON p.id = dp.parcel_id \
             WHERE dp.dossier_id = d.id ORDER BY p.national_id) AS parcels, \
       (SELECT count(*) FROM apology_letters a WHERE a.dossier_id = d.id) AS apologies \
  FROM dossiers d JOIN procedures pr ON pr.code = d.procedure_code JOIN parties pa ON pa.id = d.applicant_party_id \
  LEFT JOIN admin_units c ON c.id = d.commune_id";

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<DossierRow>> {
    diesel::sql_query(format!("{DOSSIER_SELECT} WHERE d.id = $1")).bind::<BigInt, _>(id).get_result(conn).optional()
}

/// Locks the dossier row for the rest of the transaction (state changes are serialised).
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::sql_query("SELECT 1 FROM dossiers WHERE id = $1 FOR UPDATE").bind::<BigInt, _>(id).execute(conn)? == 1)
}

pub fn by_receipt(conn: &mut PgConnection, receipt_no: &str) -> QueryResult<Option<DossierRow>> {
    diesel::sql_query(format!("{DOSSIER_SELECT} WHERE d.receipt_no = $1"))
        .bind::<Text, _>(receipt_no)
        .get_result(conn)
        .optional()
}

/// Filters of the officers' dossier list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub state: Option<State>,
    /// Only dossiers past their due date and not finished, as of this day.
    pub overdue_on: Option<NaiveDate>,
    pub after: i64,
    pub limit: i64,
}

pub fn list(conn: &mut PgConnection, f: &ListFilter) -> QueryResult<Vec<DossierRow>> {
    diesel::sql_query(format!(
        "{DOSSIER_SELECT} WHERE ($1::text IS NULL OR d.province_code = $1) AND ($2::text IS NULL OR c.code = $2) \
         AND ($3::text IS NULL OR d.procedure_code = $3) AND ($4::text IS NULL OR d.state = $4) \
         AND ($5::date IS NULL OR (d.due_on < $5 AND d.result_ready_at IS NULL AND d.state NOT IN ('returned', 'withdrawn', 'result_ready'))) \
         AND d.id > $6 ORDER BY d.id LIMIT $7"
    ))
    .bind::<Nullable<Text>, _>(f.province.as_deref())
    .bind::<Nullable<Text>, _>(f.commune.as_deref())
    .bind::<Nullable<Text>, _>(f.procedure.as_deref())
    .bind::<Nullable<Text>, _>(f.state.map(State::as_str))
    .bind::<Nullable<Date>, _>(f.overdue_on)
    .bind::<BigInt, _>(f.after)
    .bind::<BigInt, _>(f.limit)
    .load(conn)
}

/// What a new dossier row holds.
pub struct NewDossier<'a> {
    pub receipt_no: &'a str,
    pub procedure_code: &'a str,
    pub province_code: &'a str,
    pub commune_id: Option<i32>,
    pub channel: &'a str,
    pub applicant_party_id: i64,
    pub received_at: DateTime<Utc>,
    pub statutory_days: i32,
    pub due_on: NaiveDate,
    pub remote_commune: bool,
    pub created_by: Option<i32>,
}

pub fn insert(conn: &mut PgConnection, d: &NewDossier) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id = diesel::sql_query(
        "INSERT INTO dossiers (receipt_no, procedure_code, province_code, commune_id, channel, applicant_party_id, \
           state, received_at, statutory_days, due_on, remote_commune, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind::<Text, _>(d.receipt_no)
    .bind::<Text, _>(d.procedure_code)
    .bind::<Text, _>(d.province_code)
    .bind::<Nullable<Integer>, _>(d.commune_id)
    .bind::<Text, _>(d.channel)
    .bind::<BigInt, _>(d.applicant_party_id)
    .bind::<Timestamptz, _>(d.received_at)
    .bind::<Integer, _>(d.statutory_days)
    .bind::<Date, _>(d.due_on)
    .bind::<Bool, _>(d.remote_commune)
    .bind::<Nullable<Integer>, _>(d.created_by)
    .get_result(conn)?;
    Ok(row.id)
}

pub fn link_parcel(conn: &mut PgConnection, dossier_id: i64, parcel_national_id: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO dossier_parcels (dossier_id, parcel_id) SELECT $1, id FROM parcels WHERE national_id = $2",
    )
    .bind::<BigInt, _>(dossier_id)
    .bind::<Text, _>(parcel_national_id)
    .execute(conn)
}

pub fn add_document(
    conn: &mut PgConnection,
    dossier_id: i64,
    position: i32,
    title: &str,
    copies: i32,
) -> QueryResult<usize> {
    diesel::sql_query("INSERT INTO dossier_documents (dossier_id, position, title, copies) VALUES ($1, $2, $3, $4)")
        .bind::<BigInt, _>(dossier_id)
        .bind::<Integer, _>(position)
        .bind::<Text, _>(title)
        .bind::<Integer, _>(copies)
        .execute(conn)
}

#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct DocumentRow {
    #[diesel(sql_type = Integer)]
    pub position: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Integer)]
    pub copies: i32,
}

pub fn documents(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<DocumentRow>> {
    diesel::sql_query("SELECT position, title, copies FROM dossier_documents WHERE dossier_id = $1 ORDER BY position")
        .bind::<BigInt, _>(dossier_id)
        .load(conn)
}

/// The state and clock fields an event may change.
pub struct StateUpdate {
    pub state: State,
    pub due_on: NaiveDate,
    pub paused_since: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub result_ready_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_method: Option<String>,
}

pub fn update_state(conn: &mut PgConnection, id: i64, u: &StateUpdate) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE dossiers SET state = $2, due_on = $3, paused_since = $4, decided_at = $5, result_ready_at = $6, \
           returned_at = $7, return_method = $8 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(u.state.as_str())
    .bind::<Date, _>(u.due_on)
    .bind::<Nullable<Timestamptz>, _>(u.paused_since)
    .bind::<Nullable<Timestamptz>, _>(u.decided_at)
    .bind::<Nullable<Timestamptz>, _>(u.result_ready_at)
    .bind::<Nullable<Timestamptz>, _>(u.returned_at)
    .bind::<Nullable<Text>, _>(u.return_method.as_deref())
    .execute(conn)
}

/// A step of a dossier's route, as recorded in `dossier_events`.
pub struct NewEvent<'a> {
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub actor_id: Option<i32>,
    pub at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

pub fn insert_event(conn: &mut PgConnection, dossier_id: i64, e: &NewEvent) -> QueryResult<usize> {
    let NewEvent { action, from, to, actor_id, at, note } = *e;
    diesel::sql_query(
        "INSERT INTO dossier_events (dossier_id, action, from_state, to_state, actor_id, at, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<BigInt, _>(dossier_id)
    .bind::<Text, _>(action)
    .bind::<Nullable<Text>, _>(from)
    .bind::<Text, _>(to)
    .bind::<Nullable<Integer>, _>(actor_id)
    .bind::<Timestamptz, _>(at)
    .bind::<Nullable<Text>, _>(note)
    .execute(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_state: Option<String>,
    #[diesel(sql_type = Text)]
    pub to_state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
}

pub fn events(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<EventRow>> {
    diesel::sql_query(
        "SELECT e.action, e.from_state, e.to_state, u.username AS actor, e.at, e.note FROM dossier_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.dossier_id = $1 ORDER BY e.at, e.id",
    )
    .bind::<BigInt, _>(dossier_id)
    .load(conn)
}

pub fn open_pause(conn: &mut PgConnection, dossier_id: i64, reason: &str, from: NaiveDate) -> QueryResult<usize> {
    diesel::sql_query("INSERT INTO dossier_pauses (dossier_id, reason, from_day) VALUES ($1, $2, $3)")
        .bind::<BigInt, _>(dossier_id)
        .bind::<Text, _>(reason)
        .bind::<Date, _>(from)
        .execute(conn)
}

pub fn close_pause(conn: &mut PgConnection, dossier_id: i64, to: NaiveDate) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE dossier_pauses SET to_day = greatest(from_day, $2) WHERE dossier_id = $1 AND to_day IS NULL",
    )
    .bind::<BigInt, _>(dossier_id)
    .bind::<Date, _>(to)
    .execute(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PauseRow {
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Date)]
    pub from_day: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    pub to_day: Option<NaiveDate>,
}

pub fn pauses(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<PauseRow>> {
    diesel::sql_query("SELECT reason, from_day, to_day FROM dossier_pauses WHERE dossier_id = $1 ORDER BY from_day, id")
        .bind::<BigInt, _>(dossier_id)
        .load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ApologyRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Date)]
    pub new_due_on: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    pub issued_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub issued_by: Option<String>,
}

pub fn insert_apology(
    conn: &mut PgConnection,
    dossier_id: i64,
    reason: &str,
    new_due_on: NaiveDate,
    at: DateTime<Utc>,
    by: Option<i32>,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let r: Id = diesel::sql_query("INSERT INTO apology_letters (dossier_id, reason, new_due_on, issued_at, issued_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind::<BigInt, _>(dossier_id)
        .bind::<Text, _>(reason)
        .bind::<Date, _>(new_due_on)
        .bind::<Timestamptz, _>(at)
        .bind::<Nullable<Integer>, _>(by)
        .get_result(conn)?;
    Ok(r.id)
}

pub fn apologies(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<ApologyRow>> {
    diesel::sql_query(
        "SELECT a.id, a.reason, a.new_due_on, a.issued_at, u.username AS issued_by FROM apology_letters a \
         LEFT JOIN users u ON u.id = a.issued_by WHERE a.dossier_id = $1 ORDER BY a.issued_at, a.id",
    )
    .bind::<BigInt, _>(dossier_id)
    .load(conn)
}

/// One dossier as the timeliness statistics need it.
#[derive(Debug, Clone, QueryableByName)]
pub struct TimelinessRow {
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text, deserialize_as = Stored<State>)]
    pub state: State,
    #[diesel(sql_type = BigInt)]
    pub apologies: i64,
    /// Pauses as [from, to] pairs flattened: from0, to0, from1, to1 … (open pauses end today).
    #[diesel(sql_type = Array<Date>)]
    pub pause_days: Vec<NaiveDate>,
}

/// Filters for the timeliness statistics; dates are days of receipt (Vietnam time), inclusive.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn timeliness_rows(conn: &mut PgConnection, f: &StatsFilter, today: NaiveDate) -> QueryResult<Vec<TimelinessRow>> {
    diesel::sql_query(include_str!("sql/timeliness.sql"))
        .bind::<Nullable<Text>, _>(f.province.as_deref())
        .bind::<Nullable<Text>, _>(f.commune.as_deref())
        .bind::<Nullable<Text>, _>(f.procedure.as_deref())
        .bind::<Nullable<Date>, _>(f.from)
        .bind::<Nullable<Date>, _>(f.to)
        .bind::<Date, _>(today)
        .load(conn)
}
