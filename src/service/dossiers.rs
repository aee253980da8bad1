//! One-stop dossiers (hồ sơ một cửa): receipt with the documents compared against the
//! procedure's list and a promised date in working days; the route through the units that hold
//! the dossier in turn (desk, registration office, commune, tax office) with supplements and
//! financial obligations that stop the clock; return of results; public tracking; apologies
//! before a dossier goes late. The timeliness figures and the desk's queue are in [`stats`];
//! the sample history in [`sample`].

pub mod sample;
pub mod stats;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{authorize, authorize_dossier, authorize_role, Action as Authz};
use super::{audit_json, notices, Actor, DbContext, Error, FieldError, Settings};
use domain::calendar::{self, Calendar, DueDateInput};
use domain::dossier::documents::{self, HandedIn};
use domain::dossier::notice::{NoticeFacts, NoticeKind};
use domain::dossier::route::{self, ProcedureRules, RouteError, Step};
use domain::dossier::{self as machine, tracking_code, Action, CommuneTask, PauseReason, State, Unit};
use domain::privacy::mask_person_name;
use domain::restriction::ProcedureOutcome;
use domain::timeliness::{self as clock_rules, ApologyRequest, Standing};
use store::dossiers::{self as db, DossierRow};
use store::{admin_units, audit, parcels as parcel_db, rights};

pub use sample::seed_samples;
pub use stats::{queue, timeliness, QueueQuery, StatsQuery};

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

/// The documents handed in against the procedure's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletenessView {
    /// Whether the desk listed the documents and compared them at receipt (false for a dossier
    /// received without a list).
    pub checked: bool,
    /// Nothing required was missing.
    pub complete: bool,
    /// Required documents missing at receipt.
    pub missing: Vec<String>,
    /// The officer's note accepting the dossier with documents missing.
    pub officer_note: Option<String>,
}

/// Who holds a dossier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderView {
    /// one_stop, registration_office, commune, tax_office or applicant.
    #[schema(example = "registration_office")]
    pub unit: String,
    /// The unit's Vietnamese name.
    #[schema(example = "Văn phòng đăng ký đất đai")]
    pub label: String,
}

impl From<Unit> for HolderView {
    fn from(unit: Unit) -> HolderView {
        HolderView { unit: unit.as_str().to_string(), label: unit.label_vi().to_string() }
    }
}

/// A stop of the clock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PauseView {
    /// supplement, financial_obligation or posting.
    pub reason: String,
    pub from: NaiveDate,
    /// Null while the clock is stopped.
    pub to: Option<NaiveDate>,
}

/// A tax notice and its payment (nghĩa vụ tài chính).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObligationView {
    /// Số thông báo nộp tiền.
    pub notice_no: String,
    /// In đồng.
    pub amount: i64,
    pub notice_on: NaiveDate,
    /// Null until paid.
    pub paid_on: Option<NaiveDate>,
}

/// An apology with the new promised date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApologyView {
    pub id: i64,
    pub reason: String,
    /// The due date the apology was issued against (null for letters recorded before it was kept).
    pub previous_due_on: Option<NaiveDate>,
    pub new_due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// Issued at the latest one working day before the due date (Decree 61/2018 Art. 19(9)).
    pub in_time: bool,
    /// Username of the staff member; null when not recorded.
    pub issued_by: Option<String>,
}

/// A step of the route.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub action: String,
    /// Null for the receipt.
    pub from: Option<String>,
    pub to: String,
    /// Who holds the dossier after the step.
    pub holder: HolderView,
    /// For a handover to the commune: site_verification or posting.
    pub purpose: Option<String>,
    /// The commune's own due date for a site verification, or the first day a posting may
    /// come down.
    pub step_due_on: Option<NaiveDate>,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Supplement requests made and allowed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplementsView {
    pub asked: usize,
    /// The procedure's limit.
    pub allowed: i32,
}

/// The officers' view of a dossier: everything, including the applicant and the route.
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
    /// The state in Vietnamese.
    pub state_label: String,
    /// Who has the dossier in hand now.
    pub holder: HolderView,
    /// Actions the state machine allows now.
    pub allowed_actions: Vec<String>,
    pub received_at: DateTime<Utc>,
    /// The cut-off that applied at receipt (HH:MM, Vietnam time).
    pub cutoff: String,
    pub statutory_working_days: i32,
    pub remote_commune: bool,
    /// Ngày hẹn trả kết quả: counted from the receipt with every pause; while the clock is
    /// stopped, the date it would be if the clock ran again tomorrow.
    pub due_on: NaiveDate,
    /// running, paused or stopped (the result is ready, or the dossier was withdrawn).
    pub clock: String,
    /// early, on_time, late (resolved); in_time, paused, overdue (open); null when withdrawn.
    pub standing: Option<String>,
    pub late: bool,
    /// Whether the clock is stopped today.
    pub paused: bool,
    /// Working days left before the due date while open (negative past it).
    pub working_days_left: Option<i64>,
    /// Working days past the due date while open and late.
    pub overdue_working_days: Option<i64>,
    /// The last day an apology is in time (one working day before the due date).
    pub apology_deadline: NaiveDate,
    /// The deadline has come, no apology was sent, and the dossier is not yet late.
    pub apology_due_today: bool,
    /// Late without an apology sent in time: flagged.
    pub late_without_apology: bool,
    /// The date promised now: the apology's, else the due date.
    pub promised_date: NaiveDate,
    pub supplements: SupplementsView,
    pub completeness: CompletenessView,
    pub result_ready_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_method: Option<String>,
    /// Số hiệu bưu gửi of a result returned by post.
    pub return_tracking_number: Option<String>,
    /// The address the applicant asked the result to be posted to (online submissions).
    pub return_address: Option<String>,
    pub documents: Vec<DocumentView>,
    pub pauses: Vec<PauseView>,
    pub obligations: Vec<ObligationView>,
    pub apologies: Vec<ApologyView>,
    pub events: Vec<EventView>,
}

/// A step of the public timeline: the state reached, who holds the dossier, and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineStep {
    pub state: String,
    pub state_label: String,
    /// The unit holding the dossier after the step (never a person).
    pub holder: HolderView,
    /// For a handover to the commune: site_verification or posting.
    pub purpose: Option<String>,
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
    pub state_label: String,
    /// Who has the dossier in hand now.
    pub holder: HolderView,
    pub received_at: DateTime<Utc>,
    /// The date promised now: the apology's, else the due date.
    pub promised_date: NaiveDate,
    pub due_on: NaiveDate,
    /// running, paused or stopped.
    pub clock: String,
    pub late: bool,
    pub paused: bool,
    pub working_days_left: Option<i64>,
    pub apology_issued: bool,
    pub return_method: Option<String>,
    /// Số hiệu bưu gửi: follow the result with the postal service.
    pub return_tracking_number: Option<String>,
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
    /// The due date the apology extends.
    pub previous_due_on: NaiveDate,
    pub new_due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// The last day it was in time.
    pub deadline: NaiveDate,
    /// Sent at the latest one working day before the due date.
    pub in_time: bool,
}

/// A dossier in the officers' queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierListItem {
    pub id: i64,
    pub receipt_no: String,
    /// Procedure code.
    pub procedure: String,
    pub state: String,
    /// Unit holding the dossier (one_stop, registration_office, commune, tax_office, applicant).
    pub holder: String,
    pub channel: String,
    /// The applicant's name (staff only).
    pub applicant: String,
    /// Commune code.
    pub commune: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    /// early, on_time, late, in_time, paused, overdue; null when withdrawn.
    pub standing: Option<String>,
    pub late: bool,
    pub paused: bool,
    /// Working days past the due date while open and late.
    pub overdue_working_days: Option<i64>,
    /// Apologies issued.
    pub apologies: i64,
    pub apology_due_today: bool,
    /// Late without an apology sent in time.
    pub late_without_apology: bool,
}

/// `GET /dossiers`: a page of the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierList {
    pub items: Vec<DossierListItem>,
    /// Cursor of the next page; null on the last.
    pub next_cursor: Option<i64>,
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
    /// What the result does to the register: first_registration, transfer, split_merge,
    /// reissue, correction, change, information, or register:<kind> / release:<kind> of a
    /// restriction (mortgage, lease, sublease, seizure, injunction, enforcement_hold, dispute).
    pub outcome: String,
    /// The afternoon cut-off (HH:MM): received at or after it, the clock starts the next working
    /// day. Null: the office's.
    #[schema(example = "15:00")]
    pub cutoff: Option<String>,
    /// How many times the applicant may be asked to supplement the dossier.
    pub max_supplements: i32,
    /// The waits that stop the clock: supplement, financial_obligation, posting.
    pub pause_reasons: Vec<String>,
    /// Working days the commune has for a site verification; > 0: required before a decision.
    pub site_verification_days: i32,
    /// Days a notice stays posted at the commune; > 0: required before a decision.
    pub posting_days: i32,
}

/// `GET /procedures`: the catalogue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProceduresView {
    pub procedures: Vec<ProcedureView>,
}

// ---- Inputs ----

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
    /// Documents handed in, as listed on the receipt slip. When listed they are compared with
    /// the procedure's required documents and an incomplete dossier is refused with the missing
    /// items (422), unless `incomplete_note` accepts it. Omitted: not listed, not compared.
    pub documents: Option<Vec<DocumentInput>>,
    /// The officer's note accepting a dossier with documents missing (why it is received anyway).
    pub incomplete_note: Option<String>,
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
    /// The position (from 1) in the procedure's `required_documents` this document fulfils,
    /// when its title differs; otherwise the title is matched (case and spacing ignored,
    /// particulars after the required title allowed).
    #[schema(minimum = 1)]
    pub requirement: Option<usize>,
}

fn one() -> i32 {
    1
}

/// The tax office's notice (thông báo nộp tiền).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxNoticeInput {
    /// Số thông báo.
    pub number: String,
    /// In đồng.
    #[schema(minimum = 0)]
    pub amount: i64,
    /// The notice's date; the clock stops from it when the procedure pauses for financial
    /// obligations.
    pub issued_on: NaiveDate,
}

/// `POST /dossiers/{id}/events`: a step of the route.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// request_supplement, receive_supplement, start_appraisal, send_to_commune,
    /// send_to_tax_office, return_to_registration_office, record_tax_notice, record_payment,
    /// approve, reject, mark_result_ready, return_result, withdraw
    pub action: String,
    /// For return_result: counter, postal or online.
    pub method: Option<String>,
    /// For return_result by post: the postal item number (số hiệu bưu gửi), e.g. EB123456789VN.
    pub tracking_number: Option<String>,
    /// For send_to_commune: site_verification or posting.
    pub purpose: Option<String>,
    /// For record_tax_notice.
    pub tax_notice: Option<TaxNoticeInput>,
    /// For record_payment: the day the obligations were paid (on the receipt); the clock runs
    /// again from the next day.
    pub paid_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `POST /dossiers/{id}/apologies`: văn bản xin lỗi và hẹn lại ngày trả kết quả (form 04).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApologyInput {
    pub reason: String,
    /// The new promised date: a working day after the due date and after today. Set once.
    pub new_due_on: NaiveDate,
}

// ---- The clock ----

/// The office's working-day calendar: rules plus the yearly decisions kept in `calendar_days`.
pub fn load_calendar(conn: &mut PgConnection) -> Result<Calendar, Error> {
    let rows = db::calendar_days(conn).context_db("loading the calendar")?;
    Calendar::from_rows(rows.iter().map(|r| (r.day, r.kind.as_str(), r.note.as_str())))
        .map_err(|e| Error::Internal(anyhow::anyhow!("the calendar data is inconsistent: {e}")))
}

/// What a dossier's clock is made of, as stored.
pub(crate) struct ClockData<'a> {
    pub received_at: DateTime<Utc>,
    pub cutoff: NaiveTime,
    pub statutory_days: i32,
    /// The due date stored at the last step (exact while no pause is open).
    pub stored_due: NaiveDate,
    pub pause_from: &'a [NaiveDate],
    pub pause_to: &'a [Option<NaiveDate>],
}

/// A dossier's clock read on a day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// The live due date.
    pub due_on: NaiveDate,
    /// Whether the clock is stopped that day.
    pub paused: bool,
}

impl ClockData<'_> {
    fn pauses(&self, today: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        self.pause_from.iter().zip(self.pause_to).map(|(&from, to)| (from, to.unwrap_or(today).max(from))).collect()
    }

    /// The live due date on `today`: the stored one, unless a pause is open — then the limit
    /// counted again with the open pause lasting through today, so the days it lasts never
    /// count against the office.
    pub fn read(&self, cal: &Calendar, today: NaiveDate) -> Reading {
        let pauses = self.pauses(today);
        // Stopped today: an open pause, or one known to go on after today (a posting). The day
        // a wait ends is not counted either, but the dossier is moving again.
        let paused = self
            .pause_from
            .iter()
            .zip(self.pause_to)
            .any(|(&from, to)| from <= today && to.is_none_or(|to| today < to));
        let open = self.pause_to.iter().any(Option::is_none);
        let due_on = if open {
            compute_due(cal, self.received_at, self.cutoff, self.statutory_days, pauses)
        } else {
            self.stored_due
        };
        Reading { due_on, paused }
    }
}

pub(crate) fn compute_due(
    cal: &Calendar,
    received_at: DateTime<Utc>,
    cutoff: NaiveTime,
    working_days: i32,
    pauses: Vec<(NaiveDate, NaiveDate)>,
) -> NaiveDate {
    calendar::due_date(
        cal,
        &DueDateInput {
            received_at: received_at.with_timezone(&vietnam()).naive_local(),
            cutoff,
            working_days: u32::try_from(working_days).unwrap_or(0),
            pauses,
        },
    )
}

/// Where an open or resolved dossier stands; None for a withdrawn one.
fn standing_of(
    state: State,
    reading: Reading,
    result_ready_at: Option<DateTime<Utc>>,
    today: NaiveDate,
) -> Option<Standing> {
    (state != State::Withdrawn)
        .then(|| clock_rules::standing(reading.due_on, result_ready_at.map(local_day), reading.paused, today))
}

fn clock_label(state: State, result_ready_at: Option<DateTime<Utc>>, paused: bool) -> &'static str {
    if result_ready_at.is_some() || state.is_finished() {
        "stopped"
    } else if paused {
        "paused"
    } else {
        "running"
    }
}

fn rules_of(p: &db::ProcedureRow) -> ProcedureRules {
    ProcedureRules {
        max_supplements: u32::try_from(p.max_supplements).unwrap_or(0),
        pause_reasons: p.pause_reasons.iter().filter_map(|r| PauseReason::parse(r)).collect(),
        site_verification_days: u32::try_from(p.site_verification_days).unwrap_or(0),
        posting_days: u32::try_from(p.posting_days).unwrap_or(0),
    }
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

pub(crate) fn required_documents(p: &db::ProcedureRow) -> Vec<String> {
    p.required_documents.as_array().into_iter().flatten().filter_map(|d| d.as_str().map(str::to_string)).collect()
}

// ---- Receipt ----

/// `POST /dossiers`: receives a dossier; returns its receipt number and promised date.
pub fn receive(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &NewDossier,
    now: DateTime<Utc>,
) -> Result<DossierView, Error> {
    let received_at = check_new_dossier(req, now)?;
    conn.transaction(|conn| record_receipt(conn, settings, actor, req, received_at, now, &Intake::default()))
}

/// What a dossier brings beyond the desk's request: from an online submission, the postal
/// address the result goes to and the contact notices go to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Intake<'a> {
    pub return_address: Option<&'a str>,
    pub contact_email: Option<&'a str>,
}

/// The checks of a new dossier that need no database; returns when it counts as received.
pub(crate) fn check_new_dossier(req: &NewDossier, now: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    parse_channel(&req.channel, "/channel")?;
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
    for (i, d) in req.documents.iter().flatten().enumerate() {
        if d.title.trim().is_empty() || d.copies < 1 {
            return Err(Error::invalid(format!("/documents/{i}"), "a document needs a title and at least one copy"));
        }
    }
    let note = req.incomplete_note.as_deref().map(str::trim);
    if note.is_some_and(str::is_empty) {
        return Err(Error::invalid("/incomplete_note", "say why the dossier is received with documents missing"));
    }
    if note.is_some() && req.documents.is_none() {
        return Err(Error::invalid(
            "/incomplete_note",
            "list the documents handed in (documents) to accept them as incomplete",
        ));
    }
    Ok(received_at)
}

/// Records a received dossier inside the caller's transaction: the procedure, the commune and
/// the parcels checked, the documents compared, the clock started at `received_at`, the audit
/// entry written.
pub(crate) fn record_receipt(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    req: &NewDossier,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
    intake: &Intake<'_>,
) -> Result<DossierView, Error> {
    let channel = parse_channel(&req.channel, "/channel")?;
    let note = req.incomplete_note.as_deref().map(str::trim);
    {
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
        // The documents against the procedure's list: refused when incomplete, unless the
        // officer accepts it so in writing.
        let missing = match &req.documents {
            Some(docs) => {
                let required = required_documents(&procedure);
                let handed: Vec<HandedIn> =
                    docs.iter().map(|d| HandedIn { title: d.title.trim(), requirement: d.requirement }).collect();
                let missing = documents::missing(&required, &handed)
                    .map_err(|e| Error::invalid(format!("/documents/{}/requirement", e.index), e.to_string()))?;
                if !missing.is_empty() && note.is_none() {
                    return Err(Error::Invalid(vec![FieldError::pointer(
                        "/documents",
                        format!(
                            "the dossier is incomplete for procedure {}: missing {}; hand them in, or accept the dossier \
                             with incomplete_note",
                            procedure.code,
                            missing.join("; ")
                        ),
                    )
                    .with_detail(json!({"missing": missing, "required": required}))]));
                }
                missing
            }
            None => Vec::new(),
        };
        let cal = load_calendar(conn)?;
        let days = statutory_days(&procedure, req.remote);
        let cutoff = procedure.cutoff.unwrap_or(settings.office_cutoff);
        let due_on = compute_due(&cal, received_at, cutoff, days, vec![]);
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
                cutoff,
                statutory_days: days,
                due_on,
                remote_commune: req.remote,
                created_by: Some(actor.user_id),
                documents_checked: req.documents.is_some(),
                missing_documents: &missing,
                incomplete_note: if missing.is_empty() { None } else { note },
                return_address: intake.return_address,
                contact_email: intake.contact_email,
            },
        )
        .context_db("recording the dossier")?;
        for national_id in &req.parcels {
            db::link_parcel(conn, id, national_id).context_db("linking the parcel")?;
        }
        for (i, d) in req.documents.iter().flatten().enumerate() {
            db::add_document(conn, id, i as i32 + 1, d.title.trim(), d.copies).context_db("listing the documents")?;
        }
        let event = db::NewEvent {
            action: "receive",
            from: None,
            to: State::Received.as_str(),
            actor_id: Some(actor.user_id),
            at: received_at,
            note: None,
            purpose: None,
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
    }
}

fn load(conn: &mut PgConnection, id: i64) -> Result<DossierRow, Error> {
    db::by_id(conn, id).context_db("loading the dossier")?.ok_or_else(|| Error::NotFound(format!("dossier {id}")))
}

/// The catalogue row of a procedure, if there is one.
pub(crate) fn procedure_row(conn: &mut PgConnection, code: &str) -> Result<Option<db::ProcedureRow>, Error> {
    db::procedure(conn, code).context_db("loading the procedure")
}

fn load_procedure(conn: &mut PgConnection, code: &str) -> Result<db::ProcedureRow, Error> {
    db::procedure(conn, code)
        .context_db("loading the procedure")?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("procedure {code} of a dossier is missing")))
}

fn clock_of(d: &DossierRow) -> ClockData<'_> {
    ClockData {
        received_at: d.received_at,
        cutoff: d.cutoff,
        statutory_days: d.statutory_days,
        stored_due: d.due_on,
        pause_from: &d.pause_from,
        pause_to: &d.pause_to,
    }
}

/// The steps of the route as the domain's route rules read them.
fn steps(events: &[db::EventRow]) -> Vec<Step<'_>> {
    events
        .iter()
        .map(|e| Step {
            action: e.action.as_str(),
            purpose: e.purpose.as_deref().and_then(CommuneTask::parse),
            on: local_day(e.at),
        })
        .collect()
}

/// The commune's due date of a step: its site-verification limit, or the end of a posting.
fn step_due(cal: &Calendar, rules: &ProcedureRules, e: &db::EventRow) -> Option<NaiveDate> {
    let sent_on = local_day(e.at);
    match e.purpose.as_deref().and_then(CommuneTask::parse)? {
        CommuneTask::SiteVerification => route::site_verification_due(cal, rules, sent_on),
        CommuneTask::Posting => (rules.posting_days > 0).then(|| route::posting_period(rules, sent_on).1),
    }
}

fn holder_of(to_state: &str) -> HolderView {
    State::parse(to_state).map_or(Unit::OneStop, State::holder).into()
}

/// The officers' view: everything, including the applicant and the route.
pub fn staff_view(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<DossierView, Error> {
    let d = load(conn, id)?;
    let procedure = load_procedure(conn, &d.procedure_code)?;
    let rules = rules_of(&procedure);
    let events = db::events(conn, id).context_db("loading the events")?;
    let pauses = db::pauses(conn, id).context_db("loading the pauses")?;
    let documents = db::documents(conn, id).context_db("loading the documents")?;
    let apologies = db::apologies(conn, id).context_db("loading the apologies")?;
    let obligations = db::obligations(conn, id).context_db("loading the financial obligations")?;
    let cal = load_calendar(conn)?;
    let today = local_day(now);
    let reading = clock_of(&d).read(&cal, today);
    let state = d.state;
    let standing = standing_of(state, reading, d.result_ready_at, today);
    let open = !state.is_final() && d.result_ready_at.is_none();
    let late = standing.is_some_and(Standing::is_late);
    let apology_ok =
        apologies.first().is_some_and(|a| clock_rules::apology_in_time(&cal, reading.due_on, local_day(a.issued_at)));
    let missing: Vec<String> = serde_json::from_value(d.missing_documents.clone()).unwrap_or_default();
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
        state_label: state.label_vi().to_string(),
        holder: state.holder().into(),
        allowed_actions: machine::allowed_actions(state).into_iter().map(String::from).collect(),
        received_at: d.received_at,
        cutoff: d.cutoff.format("%H:%M").to_string(),
        statutory_working_days: d.statutory_days,
        remote_commune: d.remote_commune,
        due_on: reading.due_on,
        clock: clock_label(state, d.result_ready_at, reading.paused).to_string(),
        standing: standing.map(|s| s.as_str().to_string()),
        late,
        paused: open && reading.paused,
        working_days_left: open.then(|| clock_rules::working_days_left(&cal, reading.due_on, today)),
        overdue_working_days: (open && late).then(|| clock_rules::overdue_working_days(&cal, reading.due_on, today)),
        apology_deadline: clock_rules::apology_deadline(&cal, reading.due_on),
        apology_due_today: clock_rules::apology_due_today(&cal, reading.due_on, today, open, !apologies.is_empty()),
        late_without_apology: late && !apology_ok,
        promised_date: apologies.last().map_or(reading.due_on, |a| a.new_due_on),
        supplements: SupplementsView {
            asked: events.iter().filter(|e| e.action == "request_supplement").count(),
            allowed: procedure.max_supplements,
        },
        completeness: CompletenessView {
            checked: d.documents_checked,
            complete: missing.is_empty(),
            missing,
            officer_note: d.incomplete_note,
        },
        result_ready_at: d.result_ready_at,
        returned_at: d.returned_at,
        return_method: d.return_method,
        return_tracking_number: d.return_tracking_no,
        return_address: d.return_address,
        documents: documents
            .into_iter()
            .map(|x| DocumentView { position: x.position, title: x.title, copies: x.copies })
            .collect(),
        pauses: pauses.into_iter().map(|p| PauseView { reason: p.reason, from: p.from_day, to: p.to_day }).collect(),
        obligations: obligations
            .into_iter()
            .map(|o| ObligationView {
                notice_no: o.notice_no,
                amount: o.amount,
                notice_on: o.notice_on,
                paid_on: o.paid_on,
            })
            .collect(),
        apologies: apologies
            .into_iter()
            .map(|a| ApologyView {
                id: a.id,
                reason: a.reason,
                previous_due_on: a.previous_due_on,
                new_due_on: a.new_due_on,
                in_time: clock_rules::apology_in_time(&cal, reading.due_on, local_day(a.issued_at)),
                issued_at: a.issued_at,
                issued_by: a.issued_by,
            })
            .collect(),
        events: events
            .iter()
            .map(|e| EventView {
                action: e.action.clone(),
                from: e.from_state.clone(),
                to: e.to_state.clone(),
                holder: holder_of(&e.to_state),
                purpose: e.purpose.clone(),
                step_due_on: step_due(&cal, &rules, e),
                actor: e.actor.clone(),
                at: e.at,
                note: e.note.clone(),
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
/// a masked name, units instead of people. Without the tracking code of the receipt slip, or
/// with a wrong one, the answer is the same 404 as for an unknown receipt number (no oracle).
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
    tracking_view(conn, d, now)
}

/// The public tracking view of a dossier the caller already may see (the citizen who holds its
/// online submission's secret).
pub(crate) fn track_by_id(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<TrackingView, Error> {
    let d = load(conn, id)?;
    tracking_view(conn, d, now)
}

fn tracking_view(conn: &mut PgConnection, d: DossierRow, now: DateTime<Utc>) -> Result<TrackingView, Error> {
    let events = db::events(conn, d.id).context_db("loading the events")?;
    let apologies = db::apologies(conn, d.id).context_db("loading the apologies")?;
    let cal = load_calendar(conn)?;
    let today = local_day(now);
    let reading = clock_of(&d).read(&cal, today);
    let standing = standing_of(d.state, reading, d.result_ready_at, today);
    let open = !d.state.is_final() && d.result_ready_at.is_none();
    let applicant =
        if d.applicant_kind == "organisation" { d.applicant_name.clone() } else { mask_person_name(&d.applicant_name) };
    Ok(TrackingView {
        receipt_no: d.receipt_no,
        procedure: ProcedureRef { code: d.procedure_code, name: d.procedure_name },
        applicant,
        channel: d.channel,
        state: d.state.as_str().to_string(),
        state_label: d.state.label_vi().to_string(),
        holder: d.state.holder().into(),
        received_at: d.received_at,
        promised_date: apologies.last().map_or(reading.due_on, |a| a.new_due_on),
        due_on: reading.due_on,
        clock: clock_label(d.state, d.result_ready_at, reading.paused).to_string(),
        late: standing.is_some_and(Standing::is_late),
        paused: open && reading.paused,
        working_days_left: open.then(|| clock_rules::working_days_left(&cal, reading.due_on, today)),
        apology_issued: !apologies.is_empty(),
        return_method: d.return_method,
        return_tracking_number: d.return_tracking_no,
        // Steps without actors or notes: those are internal.
        timeline: events
            .into_iter()
            .map(|e| {
                let state = State::parse(&e.to_state);
                TimelineStep {
                    state_label: state.map_or("", State::label_vi).to_string(),
                    holder: holder_of(&e.to_state),
                    state: e.to_state,
                    purpose: e.purpose,
                    at: e.at,
                }
            })
            .collect(),
    })
}

// ---- The route ----

/// The action and its data, checked against each other before anything is loaded: each field
/// belongs to one action, and what an action needs is there.
struct ParsedEvent {
    action: Action,
    tracking_number: Option<String>,
}

fn parse_event(input: &EventInput) -> Result<ParsedEvent, Error> {
    let action = Action::parse(&input.action, input.method.as_deref(), input.purpose.as_deref())
        .map_err(|message| Error::invalid("/action", message))?;
    let name = action.name();
    let mut errors = Vec::new();
    let mut only_for = |present: bool, pointer: &str, owner: &str| {
        if present && name != owner {
            errors.push(FieldError::pointer(pointer, format!("only {owner} takes {}", &pointer[1..])));
        }
    };
    only_for(input.method.is_some(), "/method", "return_result");
    only_for(input.purpose.is_some(), "/purpose", "send_to_commune");
    only_for(input.tracking_number.is_some(), "/tracking_number", "return_result");
    only_for(input.tax_notice.is_some(), "/tax_notice", "record_tax_notice");
    only_for(input.paid_on.is_some(), "/paid_on", "record_payment");
    let mut tracking_number = None;
    match action {
        Action::ReturnResult { method } if method.needs_tracking_number() => {
            match input.tracking_number.as_deref().map(machine::normalize_tracking_number) {
                Some(Some(number)) => tracking_number = Some(number),
                Some(None) => errors.push(FieldError::pointer(
                    "/tracking_number",
                    "a postal item number is 6–40 letters, digits or hyphens, e.g. EB123456789VN",
                )),
                None => errors.push(FieldError::pointer(
                    "/tracking_number",
                    "a result returned by post needs the postal item number (số hiệu bưu gửi)",
                )),
            }
        }
        Action::ReturnResult { .. } if input.tracking_number.is_some() => errors
            .push(FieldError::pointer("/tracking_number", "only a result returned by post has a postal item number")),
        Action::RecordTaxNotice => match &input.tax_notice {
            None => {
                errors.push(FieldError::pointer("/tax_notice", "the tax office's notice: number, amount, issued_on"))
            }
            Some(n) => {
                if n.number.trim().is_empty() || n.number.len() > 100 {
                    errors
                        .push(FieldError::pointer("/tax_notice/number", "the notice's number, at most 100 characters"));
                }
                if n.amount < 0 {
                    errors.push(FieldError::pointer("/tax_notice/amount", "an amount in đồng, not negative"));
                }
            }
        },
        Action::RecordPayment if input.paid_on.is_none() => {
            errors.push(FieldError::pointer("/paid_on", "the day the obligations were paid"))
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(ParsedEvent { action, tracking_number })
    } else {
        Err(Error::Invalid(errors))
    }
}

/// A route rule that refused the step: the dates given are the request's fault (422), the
/// rest a conflict with where the dossier stands (409).
fn route_refusal(e: RouteError) -> Error {
    match e {
        RouteError::NoticeDate { .. } => Error::invalid("/tax_notice/issued_on", e.to_string()),
        RouteError::PaymentDate { .. } => Error::invalid("/paid_on", e.to_string()),
        RouteError::SupplementLimit { .. } | RouteError::PostingNotOver { .. } | RouteError::CommuneTaskMissing(_) => {
            Error::Conflict { message: e.to_string(), errors: vec![FieldError::pointer("/action", e.to_string())] }
        }
    }
}

/// `POST /dossiers/{id}/events`: one step of the route; an action not allowed in the current
/// state is a 409 that lists the allowed ones.
pub fn act(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<DossierView, Error> {
    let ParsedEvent { action, tracking_number } = parse_event(input)?;
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
        let procedure = load_procedure(conn, &d.procedure_code)?;
        let rules = rules_of(&procedure);
        let events = db::events(conn, id).context_db("loading the events")?;
        let mut update = db::StateUpdate {
            state: to,
            due_on: d.due_on,
            paused_since: d.paused_since,
            decided_at: d.decided_at,
            result_ready_at: d.result_ready_at,
            returned_at: d.returned_at,
            return_method: d.return_method.clone(),
            return_tracking_no: d.return_tracking_no.clone(),
        };
        let has_open_pause = d.pause_to.iter().any(Option::is_none);
        let mut detail = json!({});
        match &action {
            Action::RequestSupplement => {
                let asked = events.iter().filter(|e| e.action == "request_supplement").count();
                route::check_supplement(&rules, asked).map_err(route_refusal)?;
                if rules.pauses(PauseReason::Supplement) {
                    db::open_pause(conn, id, PauseReason::Supplement.as_str(), today).context_db("stopping the clock")?;
                    update.paused_since = Some(now);
                }
            }
            Action::ReceiveSupplement => {
                if has_open_pause {
                    db::close_pause(conn, id, today).context_db("restarting the clock")?;
                }
                update.paused_since = None;
            }
            Action::SendToCommune { purpose } => {
                if *purpose == CommuneTask::Posting {
                    if let Some((first, last)) = route::posting_pause(&rules, today) {
                        db::add_pause(conn, id, PauseReason::Posting.as_str(), first, last)
                            .context_db("stopping the clock for the posting")?;
                    }
                }
            }
            Action::ReturnToRegistrationOffice => {
                if from == State::AtCommune {
                    if let Some(visit) = route::commune_visits(steps(&events)).last() {
                        route::check_return_from_commune(&rules, visit, today).map_err(route_refusal)?;
                    }
                }
            }
            Action::RecordTaxNotice => {
                let notice = input.tax_notice.as_ref().expect("parse_event requires the notice");
                let sent_on = events
                    .iter()
                    .rev()
                    .find(|e| e.action == "send_to_tax_office")
                    .map_or(local_day(d.received_at), |e| local_day(e.at));
                route::check_tax_notice(sent_on, notice.issued_on, today).map_err(route_refusal)?;
                db::insert_obligation(conn, id, notice.number.trim(), notice.amount, notice.issued_on, Some(actor.user_id))
                    .context_db("recording the tax notice")?;
                if rules.pauses(PauseReason::FinancialObligation) {
                    db::open_pause(conn, id, PauseReason::FinancialObligation.as_str(), notice.issued_on)
                        .context_db("stopping the clock")?;
                    update.paused_since = Some(now);
                }
                detail = json!({"tax_notice": {"number": notice.number.trim(), "amount": notice.amount, "issued_on": notice.issued_on}});
            }
            Action::RecordPayment => {
                let paid_on = input.paid_on.expect("parse_event requires the payment date");
                let obligations = db::obligations(conn, id).context_db("loading the tax notices")?;
                let unpaid = obligations
                    .iter()
                    .find(|o| o.paid_on.is_none())
                    .ok_or_else(|| Error::Internal(anyhow::anyhow!("dossier {id} awaits payment without a notice")))?;
                route::check_payment(unpaid.notice_on, paid_on, today).map_err(route_refusal)?;
                db::pay_obligation(conn, id, paid_on).context_db("recording the payment")?;
                if has_open_pause {
                    db::close_pause(conn, id, paid_on).context_db("restarting the clock")?;
                }
                update.paused_since = None;
                detail = json!({"paid_on": paid_on});
            }
            Action::Approve => {
                route::check_decision(&rules, &route::commune_visits(steps(&events))).map_err(route_refusal)?;
                update.decided_at = Some(now);
            }
            Action::Reject => update.decided_at = Some(now),
            Action::MarkResultReady => update.result_ready_at = Some(now),
            Action::ReturnResult { method } => {
                update.returned_at = Some(now);
                update.return_method = Some(method.as_str().to_string());
                update.return_tracking_no = tracking_number.clone();
            }
            Action::Withdraw => {
                // The clock ends: a wait still open ends today.
                if has_open_pause {
                    db::close_pause(conn, id, today).context_db("ending the pause")?;
                }
                update.paused_since = None;
            }
            Action::StartAppraisal | Action::SendToTaxOffice => {}
        }
        // The due date moves with every pause: recompute it from the receipt and all pauses
        // (an open one through today).
        let pauses = db::pauses(conn, id).context_db("loading the pauses")?;
        let cal = load_calendar(conn)?;
        let ranges: Vec<(NaiveDate, NaiveDate)> =
            pauses.iter().map(|p| (p.from_day, p.to_day.unwrap_or(today).max(p.from_day))).collect();
        update.due_on = compute_due(&cal, d.received_at, d.cutoff, d.statutory_days, ranges);
        db::update_state(conn, id, &update).context_db("updating the dossier")?;
        let purpose = match action {
            Action::SendToCommune { purpose } => Some(purpose.as_str()),
            _ => None,
        };
        let event = db::NewEvent {
            action: action.name(),
            from: Some(from.as_str()),
            to: to.as_str(),
            actor_id: Some(actor.user_id),
            at: now,
            note: input.note.as_deref(),
            purpose,
        };
        db::insert_event(conn, id, &event).context_db("recording the event")?;
        // What the applicant hears about, in the step's transaction.
        let notice = match action {
            Action::RequestSupplement => Some(NoticeKind::SupplementRequested),
            Action::MarkResultReady => Some(NoticeKind::ResultReady),
            Action::ReturnResult { method } if method.needs_tracking_number() => Some(NoticeKind::SentByPost),
            _ => None,
        };
        if let (Some(kind), Some(email)) = (notice, d.contact_email.as_deref()) {
            let facts = NoticeFacts {
                receipt_no: Some(&d.receipt_no),
                procedure_name: &d.procedure_name,
                reason: input.note.as_deref(),
                postal_tracking_no: tracking_number.as_deref(),
                ..Default::default()
            };
            notices::enqueue(conn, kind, notices::Subject { submission_id: None, dossier_id: Some(id) }, email, &facts, now)?;
        }
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: &format!("dossier.{}", action.name()),
                entity: "dossier",
                entity_id: &d.receipt_no,
                before: Some(json!({"state": from.as_str(), "holder": from.holder().as_str(), "due_on": d.due_on})),
                after: Some(json!({
                    "state": to.as_str(), "holder": to.holder().as_str(), "due_on": update.due_on, "note": input.note,
                    "purpose": purpose, "tracking_number": tracking_number, "detail": detail,
                })),
            },
        )
        .context_db("writing the audit log")?;
        staff_view(conn, id, now)
    })
}

/// `POST /dossiers/{id}/apologies`: records the apology (form 04) with the new promised date,
/// once, while the dossier is open — required by one working day before the due date, and
/// flagged as not in time after that.
pub fn apologise(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    input: &ApologyInput,
    now: DateTime<Utc>,
) -> Result<ApologyCreated, Error> {
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("/reason", "say why the dossier cannot be resolved by its due date"));
    }
    conn.transaction(|conn| {
        if !db::lock(conn, id).context_db("locking the dossier")? {
            return Err(Error::NotFound(format!("dossier {id}")));
        }
        let d = load(conn, id)?;
        authorize_dossier(conn, actor, Authz::DossierApologise, id, &d.province_code)?;
        let today = local_day(now);
        let cal = load_calendar(conn)?;
        let reading = clock_of(&d).read(&cal, today);
        let earlier = db::apologies(conn, id).context_db("loading the apologies")?;
        let request = ApologyRequest {
            due_on: reading.due_on,
            today,
            finished: d.state.is_finished() || d.result_ready_at.is_some(),
            earlier: earlier.first().map(|a| a.new_due_on),
            new_due_on: input.new_due_on,
        };
        let in_time = clock_rules::check_apology(&cal, &request).map_err(|refusal| {
            if refusal.is_conflict() {
                Error::Conflict { message: format!("dossier {}: {refusal}", d.receipt_no), errors: vec![] }
            } else {
                Error::invalid("/new_due_on", refusal.to_string())
            }
        })?;
        let apology = db::insert_apology(
            conn,
            id,
            &db::NewApology {
                reason,
                previous_due_on: reading.due_on,
                new_due_on: input.new_due_on,
                at: now,
                by: Some(actor.user_id),
            },
        )
        .context_db("recording the apology")?;
        if let Some(email) = d.contact_email.as_deref() {
            let facts = NoticeFacts {
                receipt_no: Some(&d.receipt_no),
                procedure_name: &d.procedure_name,
                reason: Some(reason),
                date: Some(input.new_due_on),
                ..Default::default()
            };
            notices::enqueue(
                conn,
                NoticeKind::Apology,
                notices::Subject { submission_id: None, dossier_id: Some(id) },
                email,
                &facts,
                now,
            )?;
        }
        let deadline = clock_rules::apology_deadline(&cal, reading.due_on);
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "dossier.apologise",
                entity: "dossier",
                entity_id: &d.receipt_no,
                before: Some(json!({"due_on": reading.due_on})),
                after: Some(json!({
                    "apology_id": apology, "reason": reason, "new_due_on": input.new_due_on,
                    "deadline": deadline, "in_time": in_time,
                })),
            },
        )
        .context_db("writing the audit log")?;
        Ok(ApologyCreated {
            id: apology,
            dossier_id: id,
            receipt_no: d.receipt_no,
            reason: reason.to_string(),
            previous_due_on: reading.due_on,
            new_due_on: input.new_due_on,
            issued_at: now,
            deadline,
            in_time,
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
    let cal = load_calendar(conn)?;
    let items: Vec<DossierListItem> = rows
        .iter()
        .map(|d| {
            let reading = clock_of(d).read(&cal, today);
            let standing = standing_of(d.state, reading, d.result_ready_at, today);
            let open = !d.state.is_final() && d.result_ready_at.is_none();
            let late = standing.is_some_and(Standing::is_late);
            let apology_ok =
                d.apology_at.is_some_and(|at| clock_rules::apology_in_time(&cal, reading.due_on, local_day(at)));
            DossierListItem {
                id: d.id,
                receipt_no: d.receipt_no.clone(),
                procedure: d.procedure_code.clone(),
                state: d.state.as_str().to_string(),
                holder: d.state.holder().as_str().to_string(),
                channel: d.channel.clone(),
                applicant: d.applicant_name.clone(),
                commune: d.commune_code.clone(),
                received_at: d.received_at,
                due_on: reading.due_on,
                standing: standing.map(|s| s.as_str().to_string()),
                late,
                paused: open && reading.paused,
                overdue_working_days: (open && late)
                    .then(|| clock_rules::overdue_working_days(&cal, reading.due_on, today)),
                apologies: d.apologies,
                apology_due_today: clock_rules::apology_due_today(&cal, reading.due_on, today, open, d.apologies > 0),
                late_without_apology: late && !apology_ok,
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

// ---- The procedure catalogue ----

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
        outcome: ProcedureOutcome::from_columns(&p.outcome, p.restriction_kind.as_deref())
            .map_or_else(|| p.outcome.clone(), ProcedureOutcome::as_text),
        cutoff: p.cutoff.map(|t| t.format("%H:%M").to_string()),
        max_supplements: p.max_supplements,
        pause_reasons: p.pause_reasons.clone(),
        site_verification_days: p.site_verification_days,
        posting_days: p.posting_days,
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
    /// What the result does to the register (see `ProcedureView::outcome`); omitted: as
    /// recorded, or `information` for a new procedure.
    pub outcome: Option<String>,
    /// The afternoon cut-off, HH:MM; omitted: as recorded, or the office's; "" clears it.
    #[schema(example = "15:00")]
    pub cutoff: Option<String>,
    /// Supplement requests allowed; omitted: as recorded, or 1.
    #[schema(minimum = 0)]
    pub max_supplements: Option<i32>,
    /// The waits that stop the clock (supplement, financial_obligation, posting); omitted: as
    /// recorded, or supplement and financial_obligation.
    pub pause_reasons: Option<Vec<String>>,
    /// The commune's working days for a site verification, 0 when none is required; omitted:
    /// as recorded, or 0.
    #[schema(minimum = 0)]
    pub site_verification_days: Option<i32>,
    /// Days a notice stays posted, 0 when no posting is required; omitted: as recorded, or 0.
    #[schema(minimum = 0)]
    pub posting_days: Option<i32>,
}

/// The route rules a catalogue row gets by default.
const DEFAULT_PAUSE_REASONS: [PauseReason; 2] = [PauseReason::Supplement, PauseReason::FinancialObligation];

fn parse_pause_reasons(reasons: &[String], pointer: &str) -> Result<Vec<String>, Error> {
    let mut parsed: Vec<PauseReason> = Vec::new();
    for (i, r) in reasons.iter().enumerate() {
        let reason = PauseReason::parse(r.trim()).ok_or_else(|| {
            Error::invalid(format!("{pointer}/{i}"), "one of supplement, financial_obligation, posting")
        })?;
        if !parsed.contains(&reason) {
            parsed.push(reason);
        }
    }
    Ok(parsed.iter().map(|r| r.as_str().to_string()).collect())
}

pub fn put_procedure(
    conn: &mut PgConnection,
    actor: &Actor,
    code: &str,
    input: &ProcedureInput,
) -> Result<ProcedureView, Error> {
    authorize_role(actor, Authz::ProcedureEdit)?;
    if !domain::restriction::is_procedure_code(code) {
        return Err(Error::bad_parameter("code", "a procedure code looks like 1.012783"));
    }
    if input.working_days < 0 || input.remote_extra_days < 0 {
        return Err(Error::invalid("/working_days", "days cannot be negative"));
    }
    if !matches!(input.online_level.as_str(), "full" | "partial" | "none") {
        return Err(Error::invalid("/online_level", "one of full, partial, none"));
    }
    let outcome = match input.outcome.as_deref() {
        Some(text) => Some(ProcedureOutcome::parse(text).ok_or_else(|| {
            Error::invalid(
                "/outcome",
                "one of first_registration, transfer, split_merge, reissue, correction, change, information, \
                 register:<kind>, release:<kind> (kind: mortgage, lease, sublease, seizure, injunction, enforcement_hold, dispute)",
            )
        })?),
        None => None,
    };
    let cutoff = match input.cutoff.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => {
            Some(Some(parse_cutoff(text).ok_or_else(|| Error::invalid("/cutoff", "a time of day, HH:MM, e.g. 15:00"))?))
        }
    };
    for (value, pointer) in [
        (input.max_supplements, "/max_supplements"),
        (input.site_verification_days, "/site_verification_days"),
        (input.posting_days, "/posting_days"),
    ] {
        if value.is_some_and(|v| !(0..=366).contains(&v)) {
            return Err(Error::invalid(pointer, "between 0 and 366"));
        }
    }
    let pause_reasons = input.pause_reasons.as_deref().map(|r| parse_pause_reasons(r, "/pause_reasons")).transpose()?;
    conn.transaction(|conn| {
        let before = db::procedure(conn, code).context_db("loading the procedure")?;
        let (outcome, restriction_kind) = match (outcome, &before) {
            (Some(o), _) => o.columns(),
            (None, Some(b)) => ProcedureOutcome::from_columns(&b.outcome, b.restriction_kind.as_deref())
                .unwrap_or(ProcedureOutcome::Information)
                .columns(),
            (None, None) => ProcedureOutcome::Information.columns(),
        };
        let row = db::ProcedureRow {
            code: code.to_string(),
            name: input.name.clone(),
            working_days: input.working_days,
            remote_extra_days: input.remote_extra_days,
            online_level: input.online_level.clone(),
            required_documents: json!(input.required_documents),
            outcome: outcome.to_string(),
            restriction_kind: restriction_kind.map(str::to_string),
            cutoff: cutoff.unwrap_or_else(|| before.as_ref().and_then(|b| b.cutoff)),
            max_supplements: input.max_supplements.or(before.as_ref().map(|b| b.max_supplements)).unwrap_or(1),
            pause_reasons: pause_reasons.clone().unwrap_or_else(|| {
                before.as_ref().map_or_else(
                    || DEFAULT_PAUSE_REASONS.iter().map(|r| r.as_str().to_string()).collect(),
                    |b| b.pause_reasons.clone(),
                )
            }),
            site_verification_days: input
                .site_verification_days
                .or(before.as_ref().map(|b| b.site_verification_days))
                .unwrap_or(0),
            posting_days: input.posting_days.or(before.as_ref().map(|b| b.posting_days)).unwrap_or(0),
        };
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

/// The columns of `procedures.csv`; the first seven are required, the route rules after them
/// may be left out (a shorter header, or empty cells) and then take the catalogue's defaults.
const PROCEDURE_COLUMNS: [&str; 12] = [
    "code",
    "working_days",
    "remote_extra_days",
    "online_level",
    "outcome",
    "name",
    "required_documents",
    "cutoff",
    "max_supplements",
    "pause_reasons",
    "site_verification_days",
    "posting_days",
];

/// One row of `procedures.csv` read by its header.
fn procedure_from_csv(header: &[&str], line: &str) -> anyhow::Result<db::ProcedureRow> {
    // A row may stop after the seven required cells: the route rules then take their defaults.
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    if cells.len() > header.len() || cells.len() < 7 {
        anyhow::bail!("procedures.csv: {} cells where the header has {}: {line}", cells.len(), header.len());
    }
    let cell = |name: &str| {
        header.iter().position(|h| *h == name).and_then(|i| cells.get(i).copied()).filter(|c| !c.is_empty())
    };
    let code = cell("code").ok_or_else(|| anyhow::anyhow!("procedures.csv: no code in {line}"))?;
    let int = |name: &str, default: i32| -> anyhow::Result<i32> {
        cell(name)
            .map_or(Ok(default), |v| v.parse().map_err(|_| anyhow::anyhow!("procedures.csv: {code}: {name} '{v}'")))
    };
    let outcome = cell("outcome").unwrap_or("information");
    let (outcome, restriction_kind) = ProcedureOutcome::parse(outcome)
        .ok_or_else(|| anyhow::anyhow!("procedures.csv: {code}: unknown outcome '{outcome}'"))?
        .columns();
    let cutoff = cell("cutoff")
        .map(|t| parse_cutoff(t).ok_or_else(|| anyhow::anyhow!("procedures.csv: {code}: cutoff '{t}' is not HH:MM")))
        .transpose()?;
    let pause_reasons = match cell("pause_reasons") {
        Some(list) => {
            let reasons: Vec<String> = list.split('|').map(str::to_string).collect();
            parse_pause_reasons(&reasons, "/pause_reasons")
                .map_err(|_| anyhow::anyhow!("procedures.csv: {code}: pause_reasons '{list}'"))?
        }
        None => DEFAULT_PAUSE_REASONS.iter().map(|r| r.as_str().to_string()).collect(),
    };
    Ok(db::ProcedureRow {
        code: code.to_string(),
        name: cell("name").ok_or_else(|| anyhow::anyhow!("procedures.csv: {code}: no name"))?.to_string(),
        working_days: int("working_days", -1)?,
        remote_extra_days: int("remote_extra_days", 0)?,
        online_level: cell("online_level").unwrap_or("none").to_string(),
        required_documents: json!(cell("required_documents")
            .unwrap_or("")
            .split('|')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .collect::<Vec<_>>()),
        outcome: outcome.to_string(),
        restriction_kind: restriction_kind.map(str::to_string),
        cutoff,
        max_supplements: int("max_supplements", 1)?,
        pause_reasons,
        site_verification_days: int("site_verification_days", 0)?,
        posting_days: int("posting_days", 0)?,
    })
}

/// Loads the procedure catalogue and the calendar decisions from `dir` (idempotent).
pub fn load_reference(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<(usize, usize)> {
    use anyhow::Context;
    let text = std::fs::read_to_string(dir.join("procedures.csv")).context("while reading procedures.csv")?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').map(str::trim).collect();
    if header.len() < 7
        || header[..7] != PROCEDURE_COLUMNS[..7]
        || header.iter().any(|h| !PROCEDURE_COLUMNS.contains(h))
    {
        anyhow::bail!(
            "procedures.csv: the header must start {} and may add {}",
            PROCEDURE_COLUMNS[..7].join(","),
            PROCEDURE_COLUMNS[7..].join(",")
        );
    }
    let mut procedures = 0;
    for line in lines {
        let row = procedure_from_csv(&header, line)?;
        if row.working_days < 0 {
            anyhow::bail!("procedures.csv: {}: working_days is required", row.code);
        }
        db::upsert_procedure(conn, &row)?;
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
