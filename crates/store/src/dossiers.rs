//! Dossiers (hồ sơ), their events, pauses, documents and apology letters; the procedure
//! catalogue and the working-day calendar data.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Jsonb, Nullable, Text, Time, Timestamptz};
use diesel::upsert::excluded;
use domain::dossier::State;

use crate::enums::Stored;
use crate::schema::{
    apology_letters, calendar_days, dossier_documents, dossier_events, dossier_obligations, dossier_parcels,
    dossier_pauses, dossiers, parcels, procedures, users,
};

define_sql_function!(fn greatest(x: Date, y: Date) -> Date);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procedures, check_for_backend(Pg))]
pub struct ProcedureRow {
    pub code: String,
    pub name: String,
    pub working_days: i32,
    pub remote_extra_days: i32,
    pub online_level: String,
    pub required_documents: serde_json::Value,
    /// What the result does to the register (`domain::restriction::ProcedureOutcome::from_columns`).
    pub outcome: String,
    pub restriction_kind: Option<String>,
    /// The procedure's cut-off; None: the office's.
    pub cutoff: Option<NaiveTime>,
    pub max_supplements: i32,
    /// `domain::dossier::PauseReason` texts.
    pub pause_reasons: Vec<String>,
    pub site_verification_days: i32,
    pub posting_days: i32,
}

pub fn procedure(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ProcedureRow>> {
    procedures::table.find(code).select(ProcedureRow::as_select()).first(conn).optional()
}

pub fn procedures(conn: &mut PgConnection) -> QueryResult<Vec<ProcedureRow>> {
    procedures::table.order(procedures::code).select(ProcedureRow::as_select()).load(conn)
}

pub fn upsert_procedure(conn: &mut PgConnection, p: &ProcedureRow) -> QueryResult<usize> {
    diesel::insert_into(procedures::table)
        .values((
            procedures::code.eq(&p.code),
            procedures::name.eq(&p.name),
            procedures::working_days.eq(p.working_days),
            procedures::remote_extra_days.eq(p.remote_extra_days),
            procedures::online_level.eq(&p.online_level),
            procedures::required_documents.eq(&p.required_documents),
            procedures::outcome.eq(&p.outcome),
            procedures::restriction_kind.eq(&p.restriction_kind),
            procedures::cutoff.eq(p.cutoff),
            procedures::max_supplements.eq(p.max_supplements),
            procedures::pause_reasons.eq(&p.pause_reasons),
            procedures::site_verification_days.eq(p.site_verification_days),
            procedures::posting_days.eq(p.posting_days),
        ))
        .on_conflict(procedures::code)
        .do_update()
        .set((
            procedures::name.eq(excluded(procedures::name)),
            procedures::working_days.eq(excluded(procedures::working_days)),
            procedures::remote_extra_days.eq(excluded(procedures::remote_extra_days)),
            procedures::online_level.eq(excluded(procedures::online_level)),
            procedures::required_documents.eq(excluded(procedures::required_documents)),
            procedures::outcome.eq(excluded(procedures::outcome)),
            procedures::restriction_kind.eq(excluded(procedures::restriction_kind)),
            procedures::cutoff.eq(excluded(procedures::cutoff)),
            procedures::max_supplements.eq(excluded(procedures::max_supplements)),
            procedures::pause_reasons.eq(excluded(procedures::pause_reasons)),
            procedures::site_verification_days.eq(excluded(procedures::site_verification_days)),
            procedures::posting_days.eq(excluded(procedures::posting_days)),
        ))
        .execute(conn)
}

/// A row of the calendar data: a day off or a (weekend) working day decided for that year.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_days, check_for_backend(Pg))]
pub struct CalendarDayRow {
    pub day: NaiveDate,
    pub kind: String,
    pub note: String,
}

pub fn calendar_days(conn: &mut PgConnection) -> QueryResult<Vec<CalendarDayRow>> {
    calendar_days::table.order(calendar_days::day).select(CalendarDayRow::as_select()).load(conn)
}

pub fn upsert_calendar_day(conn: &mut PgConnection, day: NaiveDate, kind: &str, note: &str) -> QueryResult<usize> {
    diesel::insert_into(calendar_days::table)
        .values((calendar_days::day.eq(day), calendar_days::kind.eq(kind), calendar_days::note.eq(note)))
        .on_conflict(calendar_days::day)
        .do_update()
        .set((
            calendar_days::kind.eq(excluded(calendar_days::kind)),
            calendar_days::note.eq(excluded(calendar_days::note)),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct DossierRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub receipt_no: String,
    /// The secret printed on the receipt slip that public tracking asks for.
    #[diesel(sql_type = Text)]
    pub tracking_code: String,
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
    /// The cut-off that applied at receipt.
    #[diesel(sql_type = Time)]
    pub cutoff: NaiveTime,
    #[diesel(sql_type = Integer)]
    pub statutory_days: i32,
    /// The due date as of the last step (exact while no pause is open).
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Bool)]
    pub remote_commune: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub return_method: Option<String>,
    /// The postal item number of a result returned by post.
    #[diesel(sql_type = Nullable<Text>)]
    pub return_tracking_no: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub returned_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub decided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub paused_since: Option<DateTime<Utc>>,
    /// Whether the desk compared the documents with the procedure's list at receipt.
    #[diesel(sql_type = Bool)]
    pub documents_checked: bool,
    /// Required documents missing at receipt (a JSON array of titles).
    #[diesel(sql_type = Jsonb)]
    pub missing_documents: serde_json::Value,
    /// The officer's note accepting a dossier with missing documents.
    #[diesel(sql_type = Nullable<Text>)]
    pub incomplete_note: Option<String>,
    /// Where the applicant asked the result to be posted (online submissions).
    #[diesel(sql_type = Nullable<Text>)]
    pub return_address: Option<String>,
    /// Where notices about the dossier go (online submissions); None: the desk tells the
    /// applicant in person.
    #[diesel(sql_type = Nullable<Text>)]
    pub contact_email: Option<String>,
    /// National ids of the dossier's parcels.
    #[diesel(sql_type = Array<Text>)]
    pub parcels: Vec<String>,
    /// The pauses' first days and last days (None while open), in order.
    #[diesel(sql_type = Array<Date>)]
    pub pause_from: Vec<NaiveDate>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub pause_to: Vec<Option<NaiveDate>>,
    #[diesel(sql_type = BigInt)]
    pub apologies: i64,
    /// When the (only) apology was issued.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub apology_at: Option<DateTime<Utc>>,
}

const DOSSIERS_SELECT: &str = include_str!("sql/dossiers_select.sql");
const TIMELINESS: &str = include_str!("sql/timeliness.sql");
const QUEUE: &str = include_str!("sql/dossiers_queue.sql");

/// Dossiers matching the filter (see `sql/dossiers_select.sql` for the parameters).
fn select(
    conn: &mut PgConnection,
    id: Option<i64>,
    receipt_no: Option<&str>,
    f: &ListFilter,
) -> QueryResult<Vec<DossierRow>> {
    diesel::sql_query(DOSSIERS_SELECT)
        .bind::<Nullable<BigInt>, _>(id)
        .bind::<Nullable<Text>, _>(receipt_no)
        .bind::<Nullable<Text>, _>(f.province.as_deref())
        .bind::<Nullable<Text>, _>(f.commune.as_deref())
        .bind::<Nullable<Text>, _>(f.procedure.as_deref())
        .bind::<Nullable<Text>, _>(f.state.map(State::as_str))
        .bind::<Nullable<Date>, _>(f.overdue_on)
        .bind::<BigInt, _>(f.after)
        .bind::<BigInt, _>(f.limit)
        .load(conn)
}

/// The filter that lets one dossier through (looked up by id or receipt number).
fn any_one() -> ListFilter {
    ListFilter { after: i64::MIN, limit: 1, ..ListFilter::default() }
}

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<DossierRow>> {
    Ok(select(conn, Some(id), None, &any_one())?.into_iter().next())
}

/// Locks the dossier row for the rest of the transaction (state changes are serialised).
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(dossiers::table.find(id).select(dossiers::id).for_update().first::<i64>(conn).optional()?.is_some())
}

pub fn by_receipt(conn: &mut PgConnection, receipt_no: &str) -> QueryResult<Option<DossierRow>> {
    Ok(select(conn, None, Some(receipt_no), &any_one())?.into_iter().next())
}

/// Filters of the officers' dossier list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub state: Option<State>,
    /// Only dossiers overdue on this day: past their due date, not finished, not paused since
    /// before it.
    pub overdue_on: Option<NaiveDate>,
    pub after: i64,
    pub limit: i64,
}

pub fn list(conn: &mut PgConnection, f: &ListFilter) -> QueryResult<Vec<DossierRow>> {
    select(conn, None, None, f)
}

/// What a new dossier row holds.
pub struct NewDossier<'a> {
    pub receipt_no: &'a str,
    pub tracking_code: &'a str,
    pub procedure_code: &'a str,
    pub province_code: &'a str,
    pub commune_id: Option<i32>,
    pub channel: &'a str,
    pub applicant_party_id: i64,
    pub received_at: DateTime<Utc>,
    pub cutoff: NaiveTime,
    pub statutory_days: i32,
    pub due_on: NaiveDate,
    pub remote_commune: bool,
    pub created_by: Option<i32>,
    pub documents_checked: bool,
    pub missing_documents: &'a [String],
    pub incomplete_note: Option<&'a str>,
    pub return_address: Option<&'a str>,
    pub contact_email: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, d: &NewDossier) -> QueryResult<i64> {
    diesel::insert_into(dossiers::table)
        .values((
            dossiers::receipt_no.eq(d.receipt_no),
            dossiers::tracking_code.eq(d.tracking_code),
            dossiers::procedure_code.eq(d.procedure_code),
            dossiers::province_code.eq(d.province_code),
            dossiers::commune_id.eq(d.commune_id),
            dossiers::channel.eq(d.channel),
            dossiers::applicant_party_id.eq(d.applicant_party_id),
            dossiers::state.eq(State::Received.as_str()),
            dossiers::received_at.eq(d.received_at),
            dossiers::cutoff.eq(d.cutoff),
            dossiers::statutory_days.eq(d.statutory_days),
            dossiers::due_on.eq(d.due_on),
            dossiers::remote_commune.eq(d.remote_commune),
            dossiers::created_by.eq(d.created_by),
            dossiers::documents_checked.eq(d.documents_checked),
            dossiers::missing_documents.eq(serde_json::json!(d.missing_documents)),
            dossiers::incomplete_note.eq(d.incomplete_note),
            dossiers::return_address.eq(d.return_address),
            dossiers::contact_email.eq(d.contact_email),
        ))
        .returning(dossiers::id)
        .get_result(conn)
}

pub fn link_parcel(conn: &mut PgConnection, dossier_id: i64, parcel_national_id: &str) -> QueryResult<usize> {
    diesel::insert_into(dossier_parcels::table)
        .values(
            parcels::table
                .filter(parcels::national_id.eq(parcel_national_id))
                .select((dossier_id.into_sql::<BigInt>(), parcels::id)),
        )
        .into_columns((dossier_parcels::dossier_id, dossier_parcels::parcel_id))
        .execute(conn)
}

pub fn add_document(
    conn: &mut PgConnection,
    dossier_id: i64,
    position: i32,
    title: &str,
    copies: i32,
) -> QueryResult<usize> {
    diesel::insert_into(dossier_documents::table)
        .values((
            dossier_documents::dossier_id.eq(dossier_id),
            dossier_documents::position.eq(position),
            dossier_documents::title.eq(title),
            dossier_documents::copies.eq(copies),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = dossier_documents, check_for_backend(Pg))]
pub struct DocumentRow {
    pub position: i32,
    pub title: String,
    pub copies: i32,
}

pub fn documents(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<DocumentRow>> {
    dossier_documents::table
        .filter(dossier_documents::dossier_id.eq(dossier_id))
        .order(dossier_documents::position)
        .select(DocumentRow::as_select())
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
    pub return_tracking_no: Option<String>,
}

pub fn update_state(conn: &mut PgConnection, id: i64, u: &StateUpdate) -> QueryResult<usize> {
    diesel::update(dossiers::table.find(id))
        .set((
            dossiers::state.eq(u.state.as_str()),
            dossiers::due_on.eq(u.due_on),
            dossiers::paused_since.eq(u.paused_since),
            dossiers::decided_at.eq(u.decided_at),
            dossiers::result_ready_at.eq(u.result_ready_at),
            dossiers::returned_at.eq(u.returned_at),
            dossiers::return_method.eq(u.return_method.as_deref()),
            dossiers::return_tracking_no.eq(u.return_tracking_no.as_deref()),
        ))
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
    /// What a handover to the commune is for (`domain::dossier::CommuneTask`).
    pub purpose: Option<&'a str>,
}

pub fn insert_event(conn: &mut PgConnection, dossier_id: i64, e: &NewEvent) -> QueryResult<usize> {
    let NewEvent { action, from, to, actor_id, at, note, purpose } = *e;
    diesel::insert_into(dossier_events::table)
        .values((
            dossier_events::dossier_id.eq(dossier_id),
            dossier_events::action.eq(action),
            dossier_events::from_state.eq(from),
            dossier_events::to_state.eq(to),
            dossier_events::actor_id.eq(actor_id),
            dossier_events::at.eq(at),
            dossier_events::note.eq(note),
            dossier_events::purpose.eq(purpose),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_events, check_for_backend(Pg))]
pub struct EventRow {
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// The user name of whoever took the step.
    #[diesel(select_expression = users::username.nullable(), select_expression_type = diesel::dsl::Nullable<users::username>)]
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub purpose: Option<String>,
}

pub fn events(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<EventRow>> {
    dossier_events::table
        .left_join(users::table)
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .order((dossier_events::at, dossier_events::id))
        .select(EventRow::as_select())
        .load(conn)
}

pub fn open_pause(conn: &mut PgConnection, dossier_id: i64, reason: &str, from: NaiveDate) -> QueryResult<usize> {
    diesel::insert_into(dossier_pauses::table)
        .values((
            dossier_pauses::dossier_id.eq(dossier_id),
            dossier_pauses::reason.eq(reason),
            dossier_pauses::from_day.eq(from),
        ))
        .execute(conn)
}

/// A pause whose end is known when it starts (a posting period).
pub fn add_pause(
    conn: &mut PgConnection,
    dossier_id: i64,
    reason: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<usize> {
    diesel::insert_into(dossier_pauses::table)
        .values((
            dossier_pauses::dossier_id.eq(dossier_id),
            dossier_pauses::reason.eq(reason),
            dossier_pauses::from_day.eq(from),
            dossier_pauses::to_day.eq(to),
        ))
        .execute(conn)
}

/// Ends the open pause on `to` (at the earliest on its first day).
pub fn close_pause(conn: &mut PgConnection, dossier_id: i64, to: NaiveDate) -> QueryResult<usize> {
    diesel::update(
        dossier_pauses::table
            .filter(dossier_pauses::dossier_id.eq(dossier_id))
            .filter(dossier_pauses::to_day.is_null()),
    )
    .set(dossier_pauses::to_day.eq(greatest(dossier_pauses::from_day, to).nullable()))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_pauses, check_for_backend(Pg))]
pub struct PauseRow {
    pub reason: String,
    pub from_day: NaiveDate,
    pub to_day: Option<NaiveDate>,
}

pub fn pauses(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<PauseRow>> {
    dossier_pauses::table
        .filter(dossier_pauses::dossier_id.eq(dossier_id))
        .order((dossier_pauses::from_day, dossier_pauses::id))
        .select(PauseRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = apology_letters, check_for_backend(Pg))]
pub struct ApologyRow {
    pub id: i64,
    pub reason: String,
    pub new_due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// The user name of whoever issued the letter.
    #[diesel(select_expression = users::username.nullable(), select_expression_type = diesel::dsl::Nullable<users::username>)]
    pub issued_by: Option<String>,
    /// The due date the apology was issued against.
    pub previous_due_on: Option<NaiveDate>,
}

/// What an apology letter records.
pub struct NewApology<'a> {
    pub reason: &'a str,
    pub previous_due_on: NaiveDate,
    pub new_due_on: NaiveDate,
    pub at: DateTime<Utc>,
    pub by: Option<i32>,
}

pub fn insert_apology(conn: &mut PgConnection, dossier_id: i64, a: &NewApology) -> QueryResult<i64> {
    diesel::insert_into(apology_letters::table)
        .values((
            apology_letters::dossier_id.eq(dossier_id),
            apology_letters::reason.eq(a.reason),
            apology_letters::previous_due_on.eq(a.previous_due_on),
            apology_letters::new_due_on.eq(a.new_due_on),
            apology_letters::issued_at.eq(a.at),
            apology_letters::issued_by.eq(a.by),
        ))
        .returning(apology_letters::id)
        .get_result(conn)
}

pub fn apologies(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<ApologyRow>> {
    apology_letters::table
        .left_join(users::table)
        .filter(apology_letters::dossier_id.eq(dossier_id))
        .order((apology_letters::issued_at, apology_letters::id))
        .select(ApologyRow::as_select())
        .load(conn)
}

/// One dossier as the timeliness statistics need it.
#[derive(Debug, Clone, QueryableByName)]
pub struct TimelinessRow {
    #[diesel(sql_type = Text)]
    pub procedure_code: String,
    #[diesel(sql_type = Text)]
    pub procedure_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub commune_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub commune_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Time)]
    pub cutoff: NaiveTime,
    #[diesel(sql_type = Integer)]
    pub statutory_days: i32,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text, deserialize_as = Stored<State>)]
    pub state: State,
    #[diesel(sql_type = BigInt)]
    pub apologies: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub apology_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Date>)]
    pub pause_from: Vec<NaiveDate>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub pause_to: Vec<Option<NaiveDate>>,
}

/// Filters for the timeliness statistics; dates are days of receipt (Vietnam time), inclusive.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub channel: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn timeliness_rows(conn: &mut PgConnection, f: &StatsFilter) -> QueryResult<Vec<TimelinessRow>> {
    diesel::sql_query(TIMELINESS)
        .bind::<Nullable<Text>, _>(f.province.as_deref())
        .bind::<Nullable<Text>, _>(f.commune.as_deref())
        .bind::<Nullable<Text>, _>(f.procedure.as_deref())
        .bind::<Nullable<Text>, _>(f.channel.as_deref())
        .bind::<Nullable<Date>, _>(f.from)
        .bind::<Nullable<Date>, _>(f.to)
        .load(conn)
}

/// An open dossier of the desk's queue (no personal data).
#[derive(Debug, Clone, QueryableByName)]
pub struct QueueRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub receipt_no: String,
    #[diesel(sql_type = Text)]
    pub procedure_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub commune_code: Option<String>,
    #[diesel(sql_type = Text, deserialize_as = Stored<State>)]
    pub state: State,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Time)]
    pub cutoff: NaiveTime,
    #[diesel(sql_type = Integer)]
    pub statutory_days: i32,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub apology_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Date>)]
    pub pause_from: Vec<NaiveDate>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub pause_to: Vec<Option<NaiveDate>>,
}

/// Open dossiers (not returned, not withdrawn) by due date; each filter None for any.
pub fn queue(
    conn: &mut PgConnection,
    province: Option<&str>,
    commune: Option<&str>,
    procedure: Option<&str>,
) -> QueryResult<Vec<QueueRow>> {
    diesel::sql_query(QUEUE)
        .bind::<Nullable<Text>, _>(province)
        .bind::<Nullable<Text>, _>(commune)
        .bind::<Nullable<Text>, _>(procedure)
        .load(conn)
}

/// A tax notice (thông báo nộp tiền) of a dossier and its payment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_obligations, check_for_backend(Pg))]
pub struct ObligationRow {
    pub id: i64,
    pub notice_no: String,
    pub amount: i64,
    pub notice_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

pub fn insert_obligation(
    conn: &mut PgConnection,
    dossier_id: i64,
    notice_no: &str,
    amount: i64,
    notice_on: NaiveDate,
    by: Option<i32>,
) -> QueryResult<i64> {
    diesel::insert_into(dossier_obligations::table)
        .values((
            dossier_obligations::dossier_id.eq(dossier_id),
            dossier_obligations::notice_no.eq(notice_no),
            dossier_obligations::amount.eq(amount),
            dossier_obligations::notice_on.eq(notice_on),
            dossier_obligations::recorded_by.eq(by),
        ))
        .returning(dossier_obligations::id)
        .get_result(conn)
}

/// Records the payment of the dossier's unpaid notice; the number of notices paid (0 or 1).
pub fn pay_obligation(conn: &mut PgConnection, dossier_id: i64, paid_on: NaiveDate) -> QueryResult<usize> {
    diesel::update(
        dossier_obligations::table
            .filter(dossier_obligations::dossier_id.eq(dossier_id))
            .filter(dossier_obligations::paid_on.is_null()),
    )
    .set(dossier_obligations::paid_on.eq(paid_on))
    .execute(conn)
}

pub fn obligations(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<ObligationRow>> {
    dossier_obligations::table
        .filter(dossier_obligations::dossier_id.eq(dossier_id))
        .order((dossier_obligations::notice_on, dossier_obligations::id))
        .select(ObligationRow::as_select())
        .load(conn)
}
