//! One-stop dossiers (hồ sơ một cửa): receipt with a promised date in working days, the state
//! machine, supplements that stop the clock, return of results, public tracking, apologies for
//! late dossiers and the timeliness KPIs.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{authorize, authorize_dossier, authorize_role, Action as Authz};
use super::{audit_json, Actor, DbContext, Error, FieldError, Role, Settings};
use domain::calendar::{self, Calendar, DueDateInput};
use domain::dossier::{self as machine, tracking_code, Action, State};
use domain::privacy::mask_person_name;
use store::dossiers::{self as db, DossierRow};
use store::{admin_units, audit, parcels as parcel_db, rights};

/// Vietnam keeps one time zone, UTC+7, without daylight saving.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The day in Vietnam of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&vietnam()).date_naive()
}

// ---- Views ----

/// A procedure (thủ tục hành chính) by code and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcedureRef {
    pub code: String,
    pub name: String,
}

/// The commune a dossier belongs to (null code and name when none).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommuneRef {
    pub code: Option<String>,
    pub name: Option<String>,
}

/// The applicant as recorded (staff only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicantView {
    /// person, household or organisation.
    pub kind: String,
    pub name: String,
}

/// A document handed in with the dossier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub position: i32,
    pub title: String,
    pub copies: i32,
}

/// A stop of the clock (e.g. waiting for a supplement).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PauseView {
    pub reason: String,
    pub from: NaiveDate,
    /// Null while the clock is stopped.
    pub to: Option<NaiveDate>,
}

/// An apology for lateness with the new promised date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApologyView {
    pub id: i64,
    pub reason: String,
    pub new_due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// Username of the staff member; null when not recorded.
    pub issued_by: Option<String>,
}

/// A step of the state machine.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub action: String,
    /// Null for the receipt.
    pub from: Option<String>,
    pub to: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The officers' view of a dossier: everything, including the applicant and the timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierView {
    pub id: i64,
    /// Số biên nhận: province.yymmdd.sequence.
    pub receipt_no: String,
    /// Mã tra cứu: the secret printed on the receipt slip; public tracking asks for it with the
    /// receipt number (`GET /dossiers/track/{receipt_no}?code=`).
    #[schema(example = "K7M9PQ")]
    pub tracking_code: String,
    pub procedure: ProcedureRef,
    pub province_code: String,
    pub commune: CommuneRef,
    /// counter, online or postal.
    pub channel: String,
    pub applicant: ApplicantView,
    /// National ids of the dossier's parcels.
    pub parcels: Vec<String>,
    pub state: String,
    /// Actions the state machine allows now.
    pub allowed_actions: Vec<String>,
    pub received_at: DateTime<Utc>,
    pub statutory_working_days: i32,
    pub remote_commune: bool,
    /// Promised date (ngày hẹn trả kết quả), moved by pauses.
    pub due_on: NaiveDate,
    pub late: bool,
    /// Whether the clock is stopped.
    pub paused: bool,
    pub result_ready_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_method: Option<String>,
    pub documents: Vec<DocumentView>,
    pub pauses: Vec<PauseView>,
    pub apologies: Vec<ApologyView>,
    pub events: Vec<EventView>,
}

/// A step of the public timeline: the state reached and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineStep {
    pub state: String,
    pub at: DateTime<Utc>,
}

/// `GET /dossiers/track/{receipt_no}`: what the public may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrackingView {
    pub receipt_no: String,
    pub procedure: ProcedureRef,
    /// The applicant's name, masked for a person.
    pub applicant: String,
    pub channel: String,
    pub state: String,
    pub received_at: DateTime<Utc>,
    /// The date now promised: the last apology's, else the due date.
    pub promised_date: NaiveDate,
    pub due_on: NaiveDate,
    pub late: bool,
    pub apology_issued: bool,
    pub return_method: Option<String>,
    /// Steps without actors or notes.
    pub timeline: Vec<TimelineStep>,
}

/// `POST /dossiers/{id}/apologies`: the apology recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApologyCreated {
    pub id: i64,
    pub dossier_id: i64,
    pub receipt_no: String,
    pub reason: String,
    pub new_due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
}

/// A dossier in the officers' queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierListItem {
    pub id: i64,
    pub receipt_no: String,
    /// Procedure code.
    pub procedure: String,
    pub state: String,
    pub channel: String,
    /// The applicant's name (staff only).
    pub applicant: String,
    /// Commune code.
    pub commune: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub late: bool,
    /// Days since the due date while late without a result.
    pub overdue_working_days: Option<i64>,
    /// Apologies issued.
    pub apologies: i64,
}

/// `GET /dossiers`: a page of the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierList {
    pub items: Vec<DossierListItem>,
    /// Cursor of the next page; null on the last.
    pub next_cursor: Option<i64>,
}

/// The filter a statistic was computed with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatsFilterView {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// What the timeliness figures count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessDefinitions {
    pub population: String,
    pub completed: String,
    pub processing_working_days: String,
}

/// The timeliness KPIs (percentages to 0.1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessKpis {
    pub received: usize,
    pub completed: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    pub overdue_open: usize,
    pub late_with_apology: usize,
    pub late_without_apology: usize,
    pub apologies_issued: i64,
    pub early_pct: f64,
    pub on_time_pct: f64,
    pub late_pct: f64,
    pub avg_processing_working_days: Option<f64>,
    pub p90_processing_working_days: Option<f64>,
    pub online_pct: f64,
    pub postal_pct: f64,
    pub counter_pct: f64,
    /// Whether the late share reached the threshold.
    pub late_flag: bool,
    pub late_flag_threshold_pct: f64,
}

impl From<domain::timeliness::Timeliness> for TimelinessKpis {
    fn from(t: domain::timeliness::Timeliness) -> Self {
        TimelinessKpis {
            received: t.received,
            completed: t.completed,
            early: t.early,
            on_time: t.on_time,
            late: t.late,
            overdue_open: t.overdue_open,
            late_with_apology: t.late_with_apology,
            late_without_apology: t.late_without_apology,
            apologies_issued: t.apologies_issued,
            early_pct: t.early_pct,
            on_time_pct: t.on_time_pct,
            late_pct: t.late_pct,
            avg_processing_working_days: t.avg_processing_working_days,
            p90_processing_working_days: t.p90_processing_working_days,
            online_pct: t.online_pct,
            postal_pct: t.postal_pct,
            counter_pct: t.counter_pct,
            late_flag: t.late_flag,
            late_flag_threshold_pct: t.late_flag_threshold_pct,
        }
    }
}

/// `GET /stats/timeliness`: public KPIs of dossiers received in a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessView {
    pub filter: StatsFilterView,
    /// The day (Vietnam) the figures were computed.
    pub as_of: NaiveDate,
    pub definitions: TimelinessDefinitions,
    pub kpis: TimelinessKpis,
}

/// A procedure of the catalogue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcedureView {
    /// TTHC code, e.g. 1.012783.
    pub code: String,
    pub name: String,
    /// Statutory time limit in working days.
    pub working_days: i32,
    /// Extra days for remote communes.
    pub remote_extra_days: i32,
    /// full, partial or none.
    pub online_level: String,
    #[schema(value_type = Vec<String>)]
    pub required_documents: Value,
}

/// `GET /procedures`: the catalogue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProceduresView {
    pub procedures: Vec<ProcedureView>,
}

/// `POST /dossiers`: a dossier received at the desk, online or by post.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDossier {
    /// Mã thủ tục hành chính, e.g. 1.012783.
    pub procedure: String,
    /// counter (một cửa), online (dịch vụ công trực tuyến) or postal (bưu chính công ích).
    pub channel: String,
    /// The commune the dossier concerns (5 digits).
    pub commune: String,
    pub applicant: ApplicantInput,
    /// National ids of the parcels concerned.
    #[serde(default)]
    pub parcels: Vec<String>,
    /// Documents handed in, as listed on the receipt slip.
    #[serde(default)]
    pub documents: Vec<DocumentInput>,
    /// A remote commune gets the procedure's extra days.
    #[serde(default)]
    pub remote: bool,
    /// When the complete dossier was received (default: now). Not in the future.
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    /// person, household or organisation
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    pub title: String,
    #[serde(default = "one")]
    pub copies: i32,
}

fn one() -> i32 {
    1
}

/// `POST /dossiers/{id}/events`: an action of the state machine.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// request_supplement, receive_supplement, start_appraisal, approve, reject,
    /// mark_result_ready, return_result, withdraw
    pub action: String,
    /// For return_result: counter, postal or online.
    pub method: Option<String>,
    pub note: Option<String>,
}

/// `POST /dossiers/{id}/apologies`: văn bản xin lỗi và hẹn lại ngày trả kết quả.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApologyInput {
    pub reason: String,
    /// The new promised date (a working day after today).
    pub new_due_on: NaiveDate,
}

/// The office's working-day calendar: rules plus the yearly decisions kept in `calendar_days`.
pub fn load_calendar(conn: &mut PgConnection) -> Result<Calendar, Error> {
    let rows = db::calendar_days(conn).context_db("loading the calendar")?;
    Calendar::from_rows(rows.iter().map(|r| (r.day, r.kind.as_str(), r.note.as_str())))
        .map_err(|e| Error::Internal(anyhow::anyhow!("the calendar data is inconsistent: {e}")))
}

fn pauses_of(rows: &[db::PauseRow], today: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    rows.iter().map(|p| (p.from_day, p.to_day.unwrap_or(today))).collect()
}

fn compute_due(
    cal: &Calendar,
    settings: &Settings,
    received_at: DateTime<Utc>,
    working_days: u32,
    pauses: Vec<(NaiveDate, NaiveDate)>,
) -> NaiveDate {
    calendar::due_date(
        cal,
        &DueDateInput {
            received_at: received_at.with_timezone(&vietnam()).naive_local(),
            cutoff: settings.office_cutoff,
            working_days,
            pauses,
        },
    )
}

fn statutory_days(p: &db::ProcedureRow, remote: bool) -> i32 {
    p.working_days + if remote { p.remote_extra_days } else { 0 }
}

fn parse_channel(text: &str, pointer: &str) -> Result<&'static str, Error> {
    match text {
        "counter" => Ok("counter"),
        "online" => Ok("online"),
        "postal" => Ok("postal"),
        _ => Err(Error::invalid(pointer, "one of counter, online, postal")),
    }
}

/// `POST /dossiers`: receives a dossier; returns its receipt number and promised date.
pub fn receive(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &NewDossier,
    now: DateTime<Utc>,
) -> Result<DossierView, Error> {
    let channel = parse_channel(&req.channel, "/channel")?;
    if !matches!(req.applicant.kind.as_str(), "person" | "household" | "organisation") {
        return Err(Error::invalid("/applicant/kind", "one of person, household, organisation"));
    }
    if req.applicant.name.trim().is_empty() {
        return Err(Error::invalid("/applicant/name", "the applicant's name is required"));
    }
    let received_at = req.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        return Err(Error::invalid("/received_at", "a dossier cannot be received in the future"));
    }
    for (i, d) in req.documents.iter().enumerate() {
        if d.title.trim().is_empty() || d.copies < 1 {
            return Err(Error::invalid(format!("/documents/{i}"), "a document needs a title and at least one copy"));
        }
    }
    conn.transaction(|conn| {
        let procedure = db::procedure(conn, &req.procedure).context_db("loading the procedure")?.ok_or_else(|| {
            Error::invalid("/procedure", format!("unknown procedure '{}' (see GET /procedures)", req.procedure))
        })?;
        let commune = admin_units::current_commune(conn, &req.commune)
            .context_db("finding the commune")?
            .ok_or_else(|| Error::invalid("/commune", format!("no commune in force has code '{}'", req.commune)))?;
        authorize(actor, Authz::DossierReceive, &commune.province_code)?;
        // A dossier holds only land of its own province, and jurisdiction follows the land.
        for (i, national_id) in req.parcels.iter().enumerate() {
            let found = parcel_db::current_by_national_id(conn, national_id).context_db("finding the parcel")?;
            let Some(found) = found else {
                return Err(Error::invalid(
                    format!("/parcels/{i}"),
                    format!("no current parcel has national id '{national_id}'"),
                ));
            };
            if found.province_code != commune.province_code {
                return Err(Error::invalid(
                    format!("/parcels/{i}"),
                    format!(
                        "parcel {national_id} lies in province {}, but the dossier is received in commune {} of province {}: \
                         a dossier holds only parcels of its own province",
                        found.province_code, commune.code, commune.province_code
                    ),
                ));
            }
            authorize(actor, Authz::DossierReceive, &found.province_code)?;
        }
        let cal = load_calendar(conn)?;
        let days = statutory_days(&procedure, req.remote);
        let due_on = compute_due(&cal, settings, received_at, days as u32, vec![]);
        let day = local_day(received_at);
        let seq =
            store::counters::next(conn, store::counters::Counter::Receipt { province: &commune.province_code, day })
                .context_db("numbering the receipt")?;
        let receipt_no = format!("{}.{}.{seq:04}", commune.province_code, day.format("%y%m%d"));
        let tracking_code = tracking_code::from_bytes(rand::random());
        let applicant = rights::insert_party(
            conn,
            &req.applicant.kind,
            req.applicant.name.trim(),
            req.applicant.id_number.as_deref(),
            req.applicant.address.as_deref(),
        )
        .context_db("recording the applicant")?;
        let id = db::insert(
            conn,
            &db::NewDossier {
                receipt_no: &receipt_no,
                tracking_code: &tracking_code,
                procedure_code: &procedure.code,
                province_code: &commune.province_code,
                commune_id: Some(commune.id),
                channel,
                applicant_party_id: applicant,
                received_at,
                statutory_days: days,
                due_on,
                remote_commune: req.remote,
                created_by: Some(actor.user_id),
            },
        )
        .context_db("recording the dossier")?;
        for national_id in &req.parcels {
            db::link_parcel(conn, id, national_id).context_db("linking the parcel")?;
        }
        for (i, d) in req.documents.iter().enumerate() {
            db::add_document(conn, id, i as i32 + 1, d.title.trim(), d.copies).context_db("listing the documents")?;
        }
        let event = db::NewEvent {
            action: "receive",
            from: None,
            to: State::Received.as_str(),
            actor_id: Some(actor.user_id),
            at: received_at,
            note: None,
        };
        db::insert_event(conn, id, &event).context_db("recording the event")?;
        let view = staff_view(conn, id, now)?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "dossier.receive",
                entity: "dossier",
                entity_id: &receipt_no,
                before: None,
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

fn load(conn: &mut PgConnection, id: i64) -> Result<DossierRow, Error> {
    db::by_id(conn, id).context_db("loading the dossier")?.ok_or_else(|| Error::NotFound(format!("dossier {id}")))
}

/// Late: past the due date without a result, or a result produced after it.
fn lateness(d: &DossierRow, today: NaiveDate) -> (bool, Option<NaiveDate>) {
    let done = d.result_ready_at.map(local_day);
    let late = match done {
        Some(day) => day > d.due_on,
        None => d.state != State::Withdrawn && today > d.due_on,
    };
    (late, done)
}

/// The officers' view: everything, including the applicant and the timeline.
pub fn staff_view(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<DossierView, Error> {
    let d = load(conn, id)?;
    let events = db::events(conn, id).context_db("loading the events")?;
    let pauses = db::pauses(conn, id).context_db("loading the pauses")?;
    let documents = db::documents(conn, id).context_db("loading the documents")?;
    let apologies = db::apologies(conn, id).context_db("loading the apologies")?;
    let today = local_day(now);
    let (late, _) = lateness(&d, today);
    let state = d.state;
    Ok(DossierView {
        id: d.id,
        receipt_no: d.receipt_no,
        tracking_code: d.tracking_code,
        procedure: ProcedureRef { code: d.procedure_code, name: d.procedure_name },
        province_code: d.province_code,
        commune: CommuneRef { code: d.commune_code, name: d.commune_name },
        channel: d.channel,
        applicant: ApplicantView { kind: d.applicant_kind, name: d.applicant_name },
        parcels: d.parcels,
        state: state.as_str().to_string(),
        allowed_actions: machine::allowed_actions(state).into_iter().map(String::from).collect(),
        received_at: d.received_at,
        statutory_working_days: d.statutory_days,
        remote_commune: d.remote_commune,
        due_on: d.due_on,
        late,
        paused: d.paused_since.is_some(),
        result_ready_at: d.result_ready_at,
        returned_at: d.returned_at,
        return_method: d.return_method,
        documents: documents
            .into_iter()
            .map(|x| DocumentView { position: x.position, title: x.title, copies: x.copies })
            .collect(),
        pauses: pauses.into_iter().map(|p| PauseView { reason: p.reason, from: p.from_day, to: p.to_day }).collect(),
        apologies: apologies
            .into_iter()
            .map(|a| ApologyView {
                id: a.id,
                reason: a.reason,
                new_due_on: a.new_due_on,
                issued_at: a.issued_at,
                issued_by: a.issued_by,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventView {
                action: e.action,
                from: e.from_state,
                to: e.to_state,
                actor: e.actor,
                at: e.at,
                note: e.note,
            })
            .collect(),
    })
}

/// `GET /dossiers/{id}` for staff of the dossier's province.
pub fn get(conn: &mut PgConnection, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<DossierView, Error> {
    let d = load(conn, id)?;
    authorize_dossier(conn, actor, Authz::DossierRead, id, &d.province_code)?;
    staff_view(conn, id, now)
}

/// `GET /dossiers/track/{receipt_no}?code=`: what the public may see — no personal data beyond
/// a masked name. Without the tracking code of the receipt slip, or with a wrong one, the
/// answer is the same 404 as for an unknown receipt number (no oracle).
pub fn track(
    conn: &mut PgConnection,
    receipt_no: &str,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TrackingView, Error> {
    let unknown = || Error::NotFound(format!("dossier with receipt number {receipt_no} and this tracking code"));
    let code = code.and_then(tracking_code::normalize);
    let d = db::by_receipt(conn, receipt_no).context_db("finding the dossier")?.ok_or_else(unknown)?;
    if !code.is_some_and(|c| tracking_code::matches(&d.tracking_code, &c)) {
        return Err(unknown());
    }
    let events = db::events(conn, d.id).context_db("loading the events")?;
    let apologies = db::apologies(conn, d.id).context_db("loading the apologies")?;
    let (late, _) = lateness(&d, local_day(now));
    let applicant =
        if d.applicant_kind == "organisation" { d.applicant_name.clone() } else { mask_person_name(&d.applicant_name) };
    Ok(TrackingView {
        receipt_no: d.receipt_no,
        procedure: ProcedureRef { code: d.procedure_code, name: d.procedure_name },
        applicant,
        channel: d.channel,
        state: d.state.as_str().to_string(),
        received_at: d.received_at,
        promised_date: apologies.last().map_or(d.due_on, |a| a.new_due_on),
        due_on: d.due_on,
        late,
        apology_issued: !apologies.is_empty(),
        return_method: d.return_method,
        // Steps without actors or notes: those are internal.
        timeline: events.into_iter().map(|e| TimelineStep { state: e.to_state, at: e.at }).collect(),
    })
}

/// `POST /dossiers/{id}/events`: one step of the state machine; an action not allowed in the
/// current state is a 409 that lists the allowed ones.
pub fn act(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: i64,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<DossierView, Error> {
    let action = parse_action(input)?;
    conn.transaction(|conn| {
        if !db::lock(conn, id).context_db("locking the dossier")? {
            return Err(Error::NotFound(format!("dossier {id}")));
        }
        let d = load(conn, id)?;
        let what = match action {
            Action::Approve | Action::Reject => Authz::DossierDecide,
            _ => Authz::DossierEvent,
        };
        authorize_dossier(conn, actor, what, id, &d.province_code)?;
        let from = d.state;
        let to = machine::apply(from, &action).map_err(|e| Error::Conflict {
            message: format!("'{}' is not allowed while the dossier is {}", e.action, e.from.as_str()),
            errors: vec![FieldError::pointer("/action", format!("allowed now: {}", e.allowed.join(", ")))
                .with_detail(json!({"allowed_actions": e.allowed}))],
        })?;
        let today = local_day(now);
        let mut update = db::StateUpdate {
            state: to,
            due_on: d.due_on,
            paused_since: d.paused_since,
            decided_at: d.decided_at,
            result_ready_at: d.result_ready_at,
            returned_at: d.returned_at,
            return_method: d.return_method.clone(),
        };
        match &action {
            Action::RequestSupplement => {
                db::open_pause(conn, id, "supplement", today).context_db("stopping the clock")?;
                update.paused_since = Some(now);
            }
            Action::ReceiveSupplement => {
                db::close_pause(conn, id, today).context_db("restarting the clock")?;
                update.paused_since = None;
            }
            Action::Approve | Action::Reject => update.decided_at = Some(now),
            Action::MarkResultReady => update.result_ready_at = Some(now),
            Action::ReturnResult { method } => {
                update.returned_at = Some(now);
                update.return_method = Some(method.as_str().to_string());
            }
            Action::StartAppraisal | Action::Withdraw => {}
        }
        // The due date moves with every pause: recompute it from the receipt and all pauses.
        let pauses = db::pauses(conn, id).context_db("loading the pauses")?;
        let cal = load_calendar(conn)?;
        update.due_on = compute_due(&cal, settings, d.received_at, d.statutory_days as u32, pauses_of(&pauses, today));
        db::update_state(conn, id, &update).context_db("updating the dossier")?;
        let event = db::NewEvent {
            action: action.name(),
            from: Some(from.as_str()),
            to: to.as_str(),
            actor_id: Some(actor.user_id),
            at: now,
            note: input.note.as_deref(),
        };
        db::insert_event(conn, id, &event).context_db("recording the event")?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: &format!("dossier.{}", action.name()),
                entity: "dossier",
                entity_id: &d.receipt_no,
                before: Some(json!({"state": from.as_str(), "due_on": d.due_on})),
                after: Some(json!({"state": to.as_str(), "due_on": update.due_on, "note": input.note})),
            },
        )
        .context_db("writing the audit log")?;
        staff_view(conn, id, now)
    })
}

fn parse_action(input: &EventInput) -> Result<Action, Error> {
    let method = input.method.as_deref();
    Action::parse(&input.action, method).map_err(|message| Error::invalid("/action", message))
}

/// `POST /dossiers/{id}/apologies`: records the apology for a late dossier and the new promised date.
pub fn apologise(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    input: &ApologyInput,
    now: DateTime<Utc>,
) -> Result<ApologyCreated, Error> {
    if input.reason.trim().is_empty() {
        return Err(Error::invalid("/reason", "say why the dossier is late"));
    }
    conn.transaction(|conn| {
        if !db::lock(conn, id).context_db("locking the dossier")? {
            return Err(Error::NotFound(format!("dossier {id}")));
        }
        let d = load(conn, id)?;
        authorize_dossier(conn, actor, Authz::DossierApologise, id, &d.province_code)?;
        let today = local_day(now);
        let (late, _) = lateness(&d, today);
        let will_be_late = d.result_ready_at.is_none() && today >= d.due_on;
        if !late && !will_be_late {
            return Err(Error::Conflict {
                message: format!("dossier {} is not late: it is due on {}", d.receipt_no, d.due_on),
                errors: vec![],
            });
        }
        let cal = load_calendar(conn)?;
        if input.new_due_on <= today || !cal.is_working_day(input.new_due_on) {
            return Err(Error::invalid("/new_due_on", "the new promised date must be a working day after today"));
        }
        let apology = db::insert_apology(conn, id, input.reason.trim(), input.new_due_on, now, Some(actor.user_id))
            .context_db("recording the apology")?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "dossier.apologise",
                entity: "dossier",
                entity_id: &d.receipt_no,
                before: Some(json!({"due_on": d.due_on})),
                after: Some(
                    json!({"apology_id": apology, "reason": input.reason.trim(), "new_due_on": input.new_due_on}),
                ),
            },
        )
        .context_db("writing the audit log")?;
        Ok(ApologyCreated {
            id: apology,
            dossier_id: id,
            receipt_no: d.receipt_no,
            reason: input.reason.trim().to_string(),
            new_due_on: input.new_due_on,
            issued_at: now,
        })
    })
}

/// Query of `GET /dossiers`.
pub struct ListQuery {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub state: Option<String>,
    pub overdue: bool,
    pub after: i64,
    pub limit: i64,
}

/// `GET /dossiers`: the officers' queue, filtered; an officer sees their own province.
pub fn list(conn: &mut PgConnection, actor: &Actor, q: ListQuery, now: DateTime<Utc>) -> Result<DossierList, Error> {
    // The list shows applicants' full names: only roles that work with dossiers see it.
    authorize_role(actor, Authz::DossierRead)?;
    let province = match (&actor.province_code, q.province) {
        (_, Some(asked)) => {
            authorize(actor, Authz::DossierRead, &asked)?;
            Some(asked)
        }
        (Some(own), None) => Some(own.clone()),
        (None, None) => None,
    };
    let state = match &q.state {
        Some(s) => Some(State::parse(s).ok_or_else(|| Error::bad_parameter("state", "not a dossier state"))?),
        None => None,
    };
    let today = local_day(now);
    let rows = db::list(
        conn,
        &db::ListFilter {
            province,
            commune: q.commune,
            procedure: q.procedure,
            state,
            overdue_on: q.overdue.then_some(today),
            after: q.after,
            limit: q.limit,
        },
    )
    .context_db("listing dossiers")?;
    let items: Vec<DossierListItem> = rows
        .iter()
        .map(|d| {
            let (late, _) = lateness(d, today);
            DossierListItem {
                id: d.id,
                receipt_no: d.receipt_no.clone(),
                procedure: d.procedure_code.clone(),
                state: d.state.as_str().to_string(),
                channel: d.channel.clone(),
                applicant: d.applicant_name.clone(),
                commune: d.commune_code.clone(),
                received_at: d.received_at,
                due_on: d.due_on,
                late,
                overdue_working_days: if late && d.result_ready_at.is_none() {
                    Some((today - d.due_on).num_days())
                } else {
                    None
                },
                apologies: d.apologies,
            }
        })
        .collect();
    let next = if rows.len() as i64 == q.limit { rows.last().map(|d| d.id) } else { None };
    Ok(DossierList { items, next_cursor: next })
}

/// Printable data for the receipt slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
pub fn receipt(conn: &mut PgConnection, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<Value, Error> {
    audit_json(&get(conn, actor, id, now)?)
}

/// Printable data for an apology letter.
pub fn apology(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    apology_id: i64,
    now: DateTime<Utc>,
) -> Result<(Value, Value), Error> {
    let view = audit_json(&get(conn, actor, id, now)?)?;
    let letter = view["apologies"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == json!(apology_id)).cloned())
        .ok_or_else(|| Error::NotFound(format!("apology {apology_id} of dossier {id}")))?;
    Ok((view, letter))
}

/// The afternoon cut-off parsed from text such as "16:30".
pub fn parse_cutoff(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

/// Query of `GET /stats/timeliness`.
pub type StatsQuery = db::StatsFilter;

/// `GET /stats/timeliness`: public KPIs of dossiers received in a period.
pub fn timeliness(
    conn: &mut PgConnection,
    settings: &Settings,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<TimelinessView, Error> {
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            return Err(Error::bad_parameter("from", "the period starts after it ends"));
        }
    }
    let today = local_day(now);
    let rows = db::timeliness_rows(conn, q, today).context_db("loading dossiers for the statistics")?;
    let cal = load_calendar(conn)?;
    let records: Vec<domain::timeliness::DossierRecord> = rows
        .iter()
        .map(|r| domain::timeliness::DossierRecord {
            channel: r.channel.clone(),
            received_on: local_day(r.received_at),
            due_on: r.due_on,
            completed_on: r.result_ready_at.map(local_day),
            apologies: r.apologies,
            pauses: r.pause_days.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0], c[1])).collect(),
        })
        .collect();
    let kpis = domain::timeliness::compute(&records, &cal, today, settings.late_flag_pct);
    Ok(TimelinessView {
        filter: StatsFilterView {
            province: q.province.clone(),
            commune: q.commune.clone(),
            procedure: q.procedure.clone(),
            from: q.from,
            to: q.to,
        },
        as_of: today,
        definitions: TimelinessDefinitions {
            population: "dossiers received in the period (Vietnam days), withdrawn ones excluded".into(),
            completed: "the result is ready (mark_result_ready); early/on time/late compare that day with the due date"
                .into(),
            processing_working_days:
                "working days after the day of receipt up to the result, days of paused clock excluded".into(),
        },
        kpis: kpis.into(),
    })
}

/// `GET /procedures`: the procedure catalogue.
pub fn procedures(conn: &mut PgConnection) -> Result<ProceduresView, Error> {
    let rows = db::procedures(conn).context_db("loading procedures")?;
    Ok(ProceduresView { procedures: rows.iter().map(procedure_view).collect() })
}

fn procedure_view(p: &db::ProcedureRow) -> ProcedureView {
    ProcedureView {
        code: p.code.clone(),
        name: p.name.clone(),
        working_days: p.working_days,
        remote_extra_days: p.remote_extra_days,
        online_level: p.online_level.clone(),
        required_documents: p.required_documents.clone(),
    }
}

/// `PUT /procedures/{code}`: admin edits the catalogue (time limits change by decree).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureInput {
    pub name: String,
    pub working_days: i32,
    #[serde(default)]
    pub remote_extra_days: i32,
    /// full, partial or none
    pub online_level: String,
    #[serde(default)]
    pub required_documents: Vec<String>,
}

pub fn put_procedure(
    conn: &mut PgConnection,
    actor: &Actor,
    code: &str,
    input: &ProcedureInput,
) -> Result<ProcedureView, Error> {
    authorize_role(actor, Authz::ProcedureEdit)?;
    let valid_code = code.len() == 8
        && code.as_bytes()[1] == b'.'
        && code.bytes().enumerate().all(|(i, b)| i == 1 || b.is_ascii_digit());
    if !valid_code {
        return Err(Error::bad_parameter("code", "a procedure code looks like 1.012783"));
    }
    if input.working_days < 0 || input.remote_extra_days < 0 {
        return Err(Error::invalid("/working_days", "days cannot be negative"));
    }
    if !matches!(input.online_level.as_str(), "full" | "partial" | "none") {
        return Err(Error::invalid("/online_level", "one of full, partial, none"));
    }
    let row = db::ProcedureRow {
        code: code.to_string(),
        name: input.name.clone(),
        working_days: input.working_days,
        remote_extra_days: input.remote_extra_days,
        online_level: input.online_level.clone(),
        required_documents: json!(input.required_documents),
    };
    conn.transaction(|conn| {
        let before = db::procedure(conn, code).context_db("loading the procedure")?;
        db::upsert_procedure(conn, &row).context_db("saving the procedure")?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "procedure.put",
                entity: "procedure",
                entity_id: code,
                before: before.as_ref().map(|p| audit_json(&procedure_view(p))).transpose()?,
                after: Some(audit_json(&procedure_view(&row))?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(procedure_view(&row))
    })
}

/// Loads the procedure catalogue and the calendar decisions from `dir` (idempotent).
pub fn load_reference(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<(usize, usize)> {
    use anyhow::Context;
    let text = std::fs::read_to_string(dir.join("procedures.csv")).context("while reading procedures.csv")?;
    let mut procedures = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = line.splitn(6, ',').collect();
        let [code, days, extra, level, name, docs] = f.as_slice() else {
            anyhow::bail!("procedures.csv: bad line {line}")
        };
        db::upsert_procedure(
            conn,
            &db::ProcedureRow {
                code: code.to_string(),
                name: name.to_string(),
                working_days: days.parse()?,
                remote_extra_days: extra.parse()?,
                online_level: level.to_string(),
                required_documents: json!(docs.split('|').map(str::trim).filter(|d| !d.is_empty()).collect::<Vec<_>>()),
            },
        )?;
        procedures += 1;
    }
    let text = std::fs::read_to_string(dir.join("calendar.csv")).context("while reading calendar.csv")?;
    let mut days = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = line.splitn(3, ',').collect();
        let [day, kind, note] = f.as_slice() else { anyhow::bail!("calendar.csv: bad line {line}") };
        db::upsert_calendar_day(
            conn,
            day.trim().parse().with_context(|| format!("calendar.csv: {day}"))?,
            kind.trim(),
            note.trim(),
        )?;
        days += 1;
    }
    // The rows must make a consistent calendar.
    load_calendar(conn).map_err(|e| anyhow::anyhow!("calendar.csv: {e}"))?;
    Ok((procedures, days))
}

/// Sample dossiers spread over the year before `until` in the sample communes, pushed through
/// the same use cases as the API with simulated clocks (synthetic, deterministic). Skipped
/// when dossiers exist.
pub fn seed_samples(
    conn: &mut PgConnection,
    settings: &Settings,
    until: DateTime<Utc>,
    per_commune: usize,
) -> anyhow::Result<usize> {
    if store::reference::count(conn, "dossiers")? > 0 {
        return Ok(0);
    }
    // The sample clerk: an account that cannot sign in (its hash matches no password).
    let clerk = match store::users::by_username(conn, "sample-clerk")? {
        Some(u) => u.id,
        None => store::users::insert(
            conn,
            "sample-clerk",
            "Cán bộ mẫu (tổng hợp / synthetic)",
            "!disabled",
            Role::Admin,
            None,
        )?,
    };
    let actor = Actor { user_id: clerk, username: "sample-clerk".into(), role: Role::Admin, province_code: None };
    let cal = load_calendar(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rng = SampleRng(0x5EED_D055_1E55);
    let procedures = ["1.013831", "1.012783", "1.012786", "1.013833", "1.012784", "1.013992"];
    let mut made = 0;
    for sample in &super::seed::SAMPLE_COMMUNES {
        let parcels = store::parcels::current_ids_in_commune(conn, sample.code)?;
        for i in 0..per_commune {
            // Receipts spread over 365 days, office hours 7:30–17:00 Vietnam time.
            let day = local_day(until) - chrono::Duration::days(365 - (i as i64 * 365 / per_commune as i64));
            if !cal.is_working_day(day) {
                continue;
            }
            let minutes = 7 * 60 + 30 + rng.below(570) as i64;
            let received_at = vietnam_instant(day, minutes);
            let channel = match rng.below(10) {
                0..=5 => "counter",
                6..=8 => "online",
                _ => "postal",
            };
            let req = NewDossier {
                procedure: procedures[rng.below(procedures.len() as u64) as usize].to_string(),
                channel: channel.into(),
                commune: sample.code.into(),
                applicant: ApplicantInput {
                    kind: "person".into(),
                    name: format!("Người nộp mẫu {} (tổng hợp)", i + 1),
                    id_number: None,
                    address: None,
                },
                parcels: parcels.get(i % parcels.len().max(1)).map(|p| vec![p.clone()]).unwrap_or_default(),
                documents: vec![DocumentInput {
                    title: "Đơn đăng ký biến động (Mẫu 18)".into(), copies: 1
                }],
                remote: false,
                received_at: Some(received_at),
            };
            let view = receive(conn, settings, &actor, &req, received_at)
                .map_err(|e| anyhow::anyhow!("sample dossier {i}: {e:?}"))?;
            let id = view.id;
            // Walk the dossier forward along working days; stop at `until` (recent ones stay open).
            let mut clock = received_at;
            let step = |conn: &mut PgConnection,
                        action: &str,
                        method: Option<&str>,
                        days: i64,
                        clock: &mut DateTime<Utc>|
             -> anyhow::Result<bool> {
                let mut d = local_day(*clock);
                for _ in 0..days {
                    d = next_working_day(&cal, d);
                }
                let at = vietnam_instant(d, 9 * 60 + (rng_minutes(id, action)));
                if at > until {
                    return Ok(false);
                }
                *clock = at.max(*clock);
                act(
                    conn,
                    settings,
                    &actor,
                    id,
                    &EventInput { action: action.into(), method: method.map(str::to_string), note: None },
                    *clock,
                )
                .map_err(|e| anyhow::anyhow!("sample dossier {i} {action}: {e:?}"))?;
                Ok(true)
            };
            if rng.below(100) < 15 {
                if !step(conn, "request_supplement", None, 1, &mut clock)? {
                    made += 1;
                    continue;
                }
                if !step(conn, "receive_supplement", None, 2 + rng.below(4) as i64, &mut clock)? {
                    made += 1;
                    continue;
                }
            }
            if !step(conn, "start_appraisal", None, 1, &mut clock)? {
                made += 1;
                continue;
            }
            let decision = if rng.below(100) < 92 { "approve" } else { "reject" };
            if !step(conn, decision, None, 1, &mut clock)? {
                made += 1;
                continue;
            }
            // Most results are ready by the due date; about one in twelve is late by 1–3 days.
            let current_due = load(conn, id).map_err(|e| anyhow::anyhow!("sample dossier {i}: {e:?}"))?.due_on;
            let target = if rng.below(12) == 0 {
                let mut d = current_due;
                for _ in 0..(1 + rng.below(3)) {
                    d = next_working_day(&cal, d);
                }
                d
            } else {
                current_due
            };
            let lead = (target - local_day(clock)).num_days().max(0);
            let ready_in = if lead > 0 { lead - rng.below(lead as u64 + 1).min(lead as u64) as i64 } else { 0 };
            let ready_day = local_day(clock) + chrono::Duration::days(ready_in);
            let ready_day = if cal.is_working_day(ready_day) { ready_day } else { next_working_day(&cal, ready_day) };
            let ready_at = vietnam_instant(ready_day, 14 * 60);
            if ready_at > until {
                made += 1;
                continue;
            }
            if ready_day > current_due && rng.below(10) < 7 {
                let apology_at = vietnam_instant(current_due, 16 * 60);
                let new_due = next_working_day(&cal, ready_day);
                apologise(
                    conn,
                    &actor,
                    id,
                    &ApologyInput {
                        reason: "Hồ sơ phải xác minh thêm nguồn gốc sử dụng đất (mẫu)".into(),
                        new_due_on: new_due,
                    },
                    apology_at,
                )
                .map_err(|e| anyhow::anyhow!("sample apology {i}: {e:?}"))?;
            }
            act(
                conn,
                settings,
                &actor,
                id,
                &EventInput { action: "mark_result_ready".into(), method: None, note: None },
                ready_at,
            )
            .map_err(|e| anyhow::anyhow!("sample dossier {i} ready: {e:?}"))?;
            let method = match channel {
                "postal" => "postal",
                "online" => "online",
                _ => "counter",
            };
            let returned_at = vietnam_instant(next_working_day(&cal, ready_day), 10 * 60);
            if returned_at <= until {
                act(
                    conn,
                    settings,
                    &actor,
                    id,
                    &EventInput { action: "return_result".into(), method: Some(method.into()), note: None },
                    returned_at,
                )
                .map_err(|e| anyhow::anyhow!("sample dossier {i} return: {e:?}"))?;
            }
            made += 1;
        }
    }
    Ok(made)
}

fn next_working_day(cal: &Calendar, d: NaiveDate) -> NaiveDate {
    let mut n = d.succ_opt().expect("date in range");
    while !cal.is_working_day(n) {
        n = n.succ_opt().expect("date in range");
    }
    n
}

fn rng_minutes(id: i64, action: &str) -> i64 {
    (id * 37 + action.len() as i64 * 11) % 420
}

fn vietnam_instant(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).expect("midnight") + chrono::Duration::minutes(minutes);
    local.and_local_timezone(vietnam()).single().expect("UTC+7 has no gaps").with_timezone(&Utc)
}

/// SplitMix64: deterministic sample data without depending on a crate's RNG stream.
struct SampleRng(u64);

impl SampleRng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}
