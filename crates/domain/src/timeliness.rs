//! Timeliness of one-stop dossiers, counted the way each yardstick counts (DOMAIN-RRR §5–6):
//! where a dossier stands against its due date ([`standing`]), the apology a late dossier owes
//! ([`check_apology`]), and the figures of a set of dossiers ([`tally`], [`compute`]) — the land
//! office's own on-time rate, the service index's progress criterion, the per-dossier score of
//! Circular 01/2018 and the late flag. Pure: the caller passes the records, the calendar and
//! today.
//!
//! The due date a record carries is the dossier's *live* due date: the statutory limit counted
//! from day 0 with every pause (an open pause counted through today), so a paused dossier is
//! never late for the days it is paused.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::calendar::Calendar;

/// Where a dossier stands against its due date on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Trước hạn: resolved before the due date.
    Early,
    /// Đúng hạn: resolved on the due date.
    OnTime,
    /// Quá hạn: resolved after the due date.
    Late,
    /// Trong hạn: open, the due date not passed.
    InTime,
    /// Tạm dừng: open, the clock stopped today (waiting for a supplement, a payment, a posting);
    /// within time.
    Paused,
    /// Quá hạn, chưa giải quyết: open and past the due date.
    Overdue,
}

impl Standing {
    /// The name in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Early => "early",
            Standing::OnTime => "on_time",
            Standing::Late => "late",
            Standing::InTime => "in_time",
            Standing::Paused => "paused",
            Standing::Overdue => "overdue",
        }
    }

    /// Whether the dossier is resolved (its result is ready).
    pub const fn is_resolved(self) -> bool {
        matches!(self, Standing::Early | Standing::OnTime | Standing::Late)
    }

    /// Whether it is late: resolved late, or open past its due date.
    pub const fn is_late(self) -> bool {
        matches!(self, Standing::Late | Standing::Overdue)
    }

    /// The per-dossier score of Circular 01/2018/TT-VPCP Art. 13, index 1 [C]: 2 early, 1 on
    /// time, 0 late; None while open.
    pub const fn score(self) -> Option<u8> {
        match self {
            Standing::Early => Some(2),
            Standing::OnTime => Some(1),
            Standing::Late => Some(0),
            Standing::InTime | Standing::Paused | Standing::Overdue => None,
        }
    }
}

/// Where a dossier due on `due_on` stands on `today`: by the day its result was ready when it
/// is resolved, else by whether `today` is past the due date (a paused dossier that is not past
/// it is [`Standing::Paused`]).
pub fn standing(due_on: NaiveDate, completed_on: Option<NaiveDate>, paused: bool, today: NaiveDate) -> Standing {
    match completed_on {
        Some(done) if done < due_on => Standing::Early,
        Some(done) if done == due_on => Standing::OnTime,
        Some(_) => Standing::Late,
        None if today > due_on => Standing::Overdue,
        None if paused => Standing::Paused,
        None => Standing::InTime,
    }
}

/// Working days a dossier due on `due_on` is overdue on `until`: the working days in
/// (`due_on`, `until`], never negative. A dossier due on a Friday is late on the Saturday with
/// 0 working days overdue.
pub fn overdue_working_days(cal: &Calendar, due_on: NaiveDate, until: NaiveDate) -> i64 {
    cal.working_days_between(due_on, until).max(0)
}

/// Working days left before the due date on `today` (0 on the due date, negative past it).
pub fn working_days_left(cal: &Calendar, due_on: NaiveDate, today: NaiveDate) -> i64 {
    cal.working_days_between(today, due_on)
}

// ---- Apologies (Decree 61/2018 Art. 19(9)) ----

/// How many working days before the due date the apology must go out at the latest: Decree
/// 61/2018 Art. 19(9) "chậm nhất 01 ngày trước ngày hết hạn" [C: PD]; late-2025 land rules keep
/// it [S]. [U] The decree says "ngày" without "làm việc": it is read as a working day, so a
/// dossier due on a Monday owes its apology by the Friday.
pub const APOLOGY_LEAD_WORKING_DAYS: u32 = 1;

/// The last day an apology for a dossier due on `due_on` is in time.
pub fn apology_deadline(cal: &Calendar, due_on: NaiveDate) -> NaiveDate {
    cal.sub_working_days(due_on, APOLOGY_LEAD_WORKING_DAYS)
}

/// Whether an apology issued on `issued_on` was in time for a dossier due on `due_on`.
pub fn apology_in_time(cal: &Calendar, due_on: NaiveDate, issued_on: NaiveDate) -> bool {
    issued_on <= apology_deadline(cal, due_on)
}

/// Whether the desk must send the apology today: the dossier is open and not resolved, the
/// deadline has come, none was sent, and the due date has not passed (after it the dossier is
/// late and flagged instead).
pub fn apology_due_today(cal: &Calendar, due_on: NaiveDate, today: NaiveDate, open: bool, has_apology: bool) -> bool {
    open && !has_apology && apology_deadline(cal, due_on) <= today && today <= due_on
}

/// An apology the office wants to record (văn bản xin lỗi và hẹn lại ngày trả kết quả).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApologyRequest {
    /// The dossier's live due date.
    pub due_on: NaiveDate,
    /// Today.
    pub today: NaiveDate,
    /// Whether the office's work is done (result ready, returned, withdrawn).
    pub finished: bool,
    /// The new date of an apology already issued, if any.
    pub earlier: Option<NaiveDate>,
    /// The new promised date.
    pub new_due_on: NaiveDate,
}

/// Why an apology was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApologyRefusal {
    /// Nothing left to apologise for: the result is ready, returned, or the dossier withdrawn.
    #[error("the office's work on this dossier is done: there is no new date to promise")]
    Finished,
    /// Decree 61/2018 Art. 19(9): the date is re-set once only.
    #[error("an apology already set the new date {0}; the date may be re-set only once (Decree 61/2018 Art. 19(9))")]
    AlreadyIssued(NaiveDate),
    /// The new date does not extend the time limit.
    #[error("the new date must be a working day after the due date {due_on} and after today {today}")]
    NewDate {
        /// The current due date.
        due_on: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
}

impl ApologyRefusal {
    /// Whether the refusal is about the dossier's state (a conflict) rather than the request's
    /// new date (an invalid field).
    pub const fn is_conflict(&self) -> bool {
        matches!(self, ApologyRefusal::Finished | ApologyRefusal::AlreadyIssued(_))
    }
}

/// May the apology be recorded? Any time while the dossier is open — it is *required* by the
/// deadline ([`apology_deadline`]), not only allowed after it — once, with a new date that is a
/// working day after both the due date and today. Ok(in time or not).
pub fn check_apology(cal: &Calendar, req: &ApologyRequest) -> Result<bool, ApologyRefusal> {
    if req.finished {
        return Err(ApologyRefusal::Finished);
    }
    if let Some(date) = req.earlier {
        return Err(ApologyRefusal::AlreadyIssued(date));
    }
    if req.new_due_on <= req.due_on || req.new_due_on <= req.today || !cal.is_working_day(req.new_due_on) {
        return Err(ApologyRefusal::NewDate { due_on: req.due_on, today: req.today });
    }
    Ok(apology_in_time(cal, req.due_on, req.today))
}

// ---- Figures of a set of dossiers ----

/// One dossier, as the statistics see it (days are Vietnam days).
#[derive(Debug, Clone)]
pub struct DossierRecord {
    /// Procedure code.
    pub procedure: String,
    /// Commune code, if any.
    pub commune: Option<String>,
    /// counter, online or postal.
    pub channel: String,
    /// The day of receipt.
    pub received_on: NaiveDate,
    /// The live due date (see the module documentation).
    pub due_on: NaiveDate,
    /// The day the result was ready (the office's work is done); None while in progress.
    pub completed_on: Option<NaiveDate>,
    /// Whether the clock is stopped today.
    pub paused: bool,
    /// The day the apology was issued, if one was.
    pub apology_on: Option<NaiveDate>,
    /// Apology letters issued (at most one since re-dating is allowed once).
    pub apologies: i64,
    /// Clock stops, inclusive day ranges.
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
}

impl DossierRecord {
    /// Where the dossier stands on `today`.
    pub fn standing(&self, today: NaiveDate) -> Standing {
        standing(self.due_on, self.completed_on, self.paused, today)
    }

    /// Whether it is late without an apology sent in time (the flag of DOMAIN-RRR §5).
    pub fn late_without_apology(&self, cal: &Calendar, today: NaiveDate) -> bool {
        self.standing(today).is_late() && !self.apology_on.is_some_and(|on| apology_in_time(cal, self.due_on, on))
    }
}

/// The counts of a set of dossiers and the yardsticks computed from them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Dossiers received (withdrawn ones are never counted).
    pub received: usize,
    /// Resolved: early + on time + late.
    pub resolved: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    /// Open and within time, clock running.
    pub in_time: usize,
    /// Open and within time, clock stopped today.
    pub paused: usize,
    /// Open and past the due date.
    pub overdue: usize,
    /// Late (resolved late or overdue) with an apology sent in time.
    pub late_with_apology: usize,
    /// Late without an apology sent in time: flagged.
    pub late_without_apology: usize,
    pub apologies_issued: i64,
    /// Sum of the Circular 01/2018 scores of the resolved dossiers.
    pub score_sum: u64,
}

fn ratio_pct(n: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| (1000.0 * n as f64 / of as f64).round() / 10.0)
}

impl Tally {
    fn add(&mut self, record: &DossierRecord, cal: &Calendar, today: NaiveDate) {
        let standing = record.standing(today);
        self.received += 1;
        match standing {
            Standing::Early => self.early += 1,
            Standing::OnTime => self.on_time += 1,
            Standing::Late => self.late += 1,
            Standing::InTime => self.in_time += 1,
            Standing::Paused => self.paused += 1,
            Standing::Overdue => self.overdue += 1,
        }
        if standing.is_resolved() {
            self.resolved += 1;
        }
        self.score_sum += u64::from(standing.score().unwrap_or(0));
        if standing.is_late() {
            if record.late_without_apology(cal, today) {
                self.late_without_apology += 1;
            } else {
                self.late_with_apology += 1;
            }
        }
        self.apologies_issued += record.apologies;
    }

    /// The land office's own rate: (early + on time) ÷ resolved, in % to 0.1; None without a
    /// resolved dossier.
    pub fn office_rate_pct(&self) -> Option<f64> {
        ratio_pct(self.early + self.on_time, self.resolved)
    }

    /// The service index's progress criterion 2.1: resolved on time or still within time ÷
    /// received, in % to 0.1.
    pub fn index_progress_pct(&self) -> Option<f64> {
        ratio_pct(self.index_progress_count(), self.received)
    }

    /// The numerator of [`Tally::index_progress_pct`]: early + on time + open within time
    /// (paused included).
    pub fn index_progress_count(&self) -> usize {
        self.early + self.on_time + self.in_time + self.paused
    }

    /// The portal's points for the criterion: 20 × the ratio, to 0.01.
    pub fn index_points(&self) -> Option<f64> {
        (self.received > 0)
            .then(|| (2000.0 * self.index_progress_count() as f64 / self.received as f64).round() / 100.0)
    }

    /// The mean Circular 01/2018 score of the resolved dossiers (0–2), to 0.01.
    pub fn mean_score(&self) -> Option<f64> {
        (self.resolved > 0).then(|| (100.0 * self.score_sum as f64 / self.resolved as f64).round() / 100.0)
    }

    /// Late ÷ resolved, in % to 0.1.
    pub fn late_pct(&self) -> Option<f64> {
        ratio_pct(self.late, self.resolved)
    }

    /// Whether the late share reached `threshold_pct` (5 % costs an office its rating).
    pub fn late_flag(&self, threshold_pct: f64) -> bool {
        self.late_pct().is_some_and(|p| p >= threshold_pct)
    }
}

/// The figures of `records` on `today`.
pub fn tally<'a>(records: impl IntoIterator<Item = &'a DossierRecord>, cal: &Calendar, today: NaiveDate) -> Tally {
    let mut t = Tally::default();
    for r in records {
        t.add(r, cal, today);
    }
    t
}

/// The reporting periods of the service index (month, quarter, year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// "2026-03".
    Month,
    /// "2026-Q1".
    Quarter,
    /// "2026".
    Year,
}

impl Period {
    /// The period `day` falls in, as its key.
    pub fn key(self, day: NaiveDate) -> String {
        match self {
            Period::Month => format!("{}-{:02}", day.year(), day.month()),
            Period::Quarter => format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1),
            Period::Year => day.year().to_string(),
        }
    }
}

/// The figures of `records` grouped by `key`, in key order.
pub fn tally_by<'a, K: Ord>(
    records: impl IntoIterator<Item = &'a DossierRecord>,
    cal: &Calendar,
    today: NaiveDate,
    key: impl Fn(&DossierRecord) -> K,
) -> BTreeMap<K, Tally> {
    let mut groups: BTreeMap<K, Tally> = BTreeMap::new();
    for r in records {
        groups.entry(key(r)).or_default().add(r, cal, today);
    }
    groups
}

/// A yardstick of timeliness: what it counts, and on whose authority (DOMAIN-RRR §5–6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Yardstick {
    /// Its name in the API.
    pub id: &'static str,
    /// Its name on the dashboard.
    pub label_vi: &'static str,
    /// What it counts.
    pub formula: &'static str,
    /// The source, tagged [C] confirmed, [S] secondary, [U] unconfirmed.
    pub source: &'static str,
}

/// The yardsticks `/stats/timeliness` reports, in order.
pub const YARDSTICKS: [Yardstick; 5] = [
    Yardstick {
        id: "office_rate",
        label_vi: "Tỷ lệ giải quyết đúng hạn của văn phòng",
        formula: "(early + on time) ÷ resolved",
        source: "land-office reports [S: dangcam/codeigniter4 public/js/export2excel.js] (DOMAIN-RRR §6)",
    },
    Yardstick {
        id: "service_index_progress",
        label_vi: "Chỉ số tiến độ giải quyết (Bộ chỉ số phục vụ, tiêu chí 2.1)",
        formula: "(resolved on time or early + open and still within time, paused included) ÷ received in the period; points = 20 × the ratio",
        source: "QĐ 766/QĐ-TTg, criterion 'Tiến độ giải quyết' 2.1, 20/100 points, by month, quarter and year [S: third-party QĐ 766 code, dichvucong.gov.vn; official text U] (DOMAIN-RRR §6)",
    },
    Yardstick {
        id: "circular_01_score",
        label_vi: "Điểm đánh giá từng hồ sơ (Thông tư 01/2018)",
        formula: "per resolved dossier 2 early, 1 on time, 0 late; mean over resolved",
        source: "Circular 01/2018/TT-VPCP Art. 13, index 1 [C: PD] (DOMAIN-RRR §6)",
    },
    Yardstick {
        id: "late_flag",
        label_vi: "Cảnh báo tỷ lệ trễ hạn",
        formula: "late ÷ resolved ≥ the threshold (5 %)",
        source: "5 % late costs a land office its rating (the seed reports; DESIGN.md 'Who uses it': ≥ 95 % on time) [S]; the threshold is configurable",
    },
    Yardstick {
        id: "apology",
        label_vi: "Văn bản xin lỗi, hẹn lại ngày trả kết quả",
        formula: "every late dossier needs an apology (form 04) sent at the latest 1 working day before the due date; late without one is flagged",
        source: "Decree 61/2018/NĐ-CP Art. 19(9), Circular 01/2018/TT-VPCP form 04 [C: PD]; 'working day' reading [U] (DOMAIN-RRR §5)",
    },
];

/// The KPIs of a set of dossiers (the original summary of `/stats/timeliness`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeliness {
    pub received: usize,
    pub completed: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    /// Still in progress and already past their due date (paused ones are within time).
    pub overdue_open: usize,
    /// Open and paused today.
    pub paused_open: usize,
    /// Late or overdue dossiers with an apology sent in time, and those without one.
    pub late_with_apology: usize,
    pub late_without_apology: usize,
    pub apologies_issued: i64,
    pub early_pct: f64,
    pub on_time_pct: f64,
    pub late_pct: f64,
    /// Working days from the receipt to the result, pauses excluded.
    pub avg_processing_working_days: Option<f64>,
    pub p90_processing_working_days: Option<f64>,
    pub online_pct: f64,
    pub postal_pct: f64,
    pub counter_pct: f64,
    /// Late share of completed dossiers at or above the threshold (5 % costs an office its rating).
    pub late_flag: bool,
    pub late_flag_threshold_pct: f64,
}

fn pct(n: usize, of: usize) -> f64 {
    ratio_pct(n, of).unwrap_or(0.0)
}

/// Working days after `from` up to and including `to`, not counting days inside a pause.
pub fn processing_working_days(
    cal: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
    pauses: &[(NaiveDate, NaiveDate)],
) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().expect("dates stay in range");
        if cal.is_working_day(d) && !pauses.iter().any(|&(a, b)| a <= d && d <= b) {
            n += 1;
        }
    }
    n
}

/// Computes the KPIs; `today` decides which open dossiers are overdue.
pub fn compute(records: &[DossierRecord], cal: &Calendar, today: NaiveDate, late_threshold_pct: f64) -> Timeliness {
    let t = tally(records, cal, today);
    let mut durations: Vec<i64> = records
        .iter()
        .filter_map(|r| r.completed_on.map(|done| processing_working_days(cal, r.received_on, done, &r.pauses)))
        .collect();
    durations.sort_unstable();
    let avg = (!durations.is_empty()).then(|| durations.iter().sum::<i64>() as f64 / durations.len() as f64);
    // Nearest-rank 90th percentile.
    let p90 = (!durations.is_empty()).then(|| {
        let rank = ((0.9 * durations.len() as f64).ceil() as usize).max(1);
        durations[rank - 1] as f64
    });
    let count = |c: &str| records.iter().filter(|r| r.channel == c).count();
    Timeliness {
        received: t.received,
        completed: t.resolved,
        early: t.early,
        on_time: t.on_time,
        late: t.late,
        overdue_open: t.overdue,
        paused_open: t.paused,
        late_with_apology: t.late_with_apology,
        late_without_apology: t.late_without_apology,
        apologies_issued: t.apologies_issued,
        early_pct: pct(t.early, t.resolved),
        on_time_pct: pct(t.on_time, t.resolved),
        late_pct: pct(t.late, t.resolved),
        avg_processing_working_days: avg.map(|a| (a * 10.0).round() / 10.0),
        p90_processing_working_days: p90,
        online_pct: pct(count("online"), records.len()),
        postal_pct: pct(count("postal"), records.len()),
        counter_pct: pct(count("counter"), records.len()),
        late_flag: t.late_flag(late_threshold_pct),
        late_flag_threshold_pct: late_threshold_pct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{due_date, Calendar, DueDateInput};
    use chrono::NaiveTime;

    const SHIPPED_CSV: &str = include_str!("../../../sample-data/calendar.csv");

    fn cal() -> Calendar {
        Calendar::from_csv(SHIPPED_CSV).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn standings_table() {
        let due = date("2026-03-16");
        // (case, completed on, paused, today, standing, score)
        type Row = (&'static str, Option<&'static str>, bool, &'static str, Standing, Option<u8>);
        let table: [Row; 9] = [
            ("resolved the day before", Some("2026-03-13"), false, "2026-03-20", Standing::Early, Some(2)),
            ("resolved on the day", Some("2026-03-16"), false, "2026-03-20", Standing::OnTime, Some(1)),
            ("resolved the day after", Some("2026-03-17"), false, "2026-03-20", Standing::Late, Some(0)),
            ("open before the due date", None, false, "2026-03-13", Standing::InTime, None),
            ("open on the due date", None, false, "2026-03-16", Standing::InTime, None),
            ("open the day after", None, false, "2026-03-17", Standing::Overdue, None),
            ("paused before its due date", None, true, "2026-03-16", Standing::Paused, None),
            ("paused past its due date (paused when already late)", None, true, "2026-03-17", Standing::Overdue, None),
            ("paused does not matter once resolved", Some("2026-03-16"), true, "2026-03-20", Standing::OnTime, Some(1)),
        ];
        for (case, done, paused, today, expected, score) in table {
            let s = standing(due, done.map(date), paused, date(today));
            assert_eq!(s, expected, "{case}");
            assert_eq!(s.score(), score, "{case}");
        }
    }

    #[test]
    fn a_paused_dossier_is_never_late_for_its_paused_days() {
        // 10 working days from Monday 2/3/2026 (due 16/3); a supplement asked on Wednesday
        // 4/3 and still awaited: on every day of the pause the live due date (the open pause
        // counted through that day) is after it, so the dossier stands paused, never overdue.
        let cal = cal();
        let received_at = date("2026-03-02").and_hms_opt(9, 0, 0).unwrap();
        let live_due = |today: NaiveDate| {
            due_date(
                &cal,
                &DueDateInput {
                    received_at,
                    cutoff: NaiveTime::from_hms_opt(16, 30, 0).unwrap(),
                    working_days: 10,
                    pauses: vec![(date("2026-03-04"), today)],
                },
            )
        };
        for today in date("2026-03-04").iter_days().take_while(|d| *d <= date("2026-04-30")) {
            let due = live_due(today);
            assert!(due > today, "{today}: due {due}");
            assert_eq!(standing(due, None, true, today), Standing::Paused, "{today}");
        }
        // The supplement arrives on Monday 9/3 (4 working days paused): due 4 working days
        // later than 16/3, that is Friday 20/3.
        assert_eq!(live_due(date("2026-03-09")), date("2026-03-20"));
        assert_eq!(overdue_working_days(&cal, date("2026-03-20"), date("2026-03-24")), 2);
    }

    #[test]
    fn overdue_counts_working_days() {
        let cal = cal();
        // Due Friday 13/2/2026, the eve of Tết 14–22/2: on Tuesday 24/2 it is 2 working days
        // overdue (23 and 24/2), not 11 calendar days.
        assert_eq!(overdue_working_days(&cal, date("2026-02-13"), date("2026-02-24")), 2);
        assert_eq!(overdue_working_days(&cal, date("2026-02-13"), date("2026-02-14")), 0);
        assert_eq!(overdue_working_days(&cal, date("2026-02-13"), date("2026-02-10")), 0);
        assert_eq!(working_days_left(&cal, date("2026-02-24"), date("2026-02-12")), 3);
    }

    #[test]
    fn apology_deadlines_table() {
        let cal = cal();
        // (due on, the last day for the apology)
        let table = [
            ("2026-03-13", "2026-03-12"), // Friday → Thursday
            ("2026-03-16", "2026-03-13"), // Monday → the Friday before
            ("2026-02-23", "2026-02-13"), // after Tết → the eve of Tết
            ("2026-01-12", "2026-01-10"), // Monday after the working Saturday 10/1
        ];
        for (due, last) in table {
            assert_eq!(apology_deadline(&cal, date(due)), date(last), "due {due}");
            assert!(apology_in_time(&cal, date(due), date(last)));
            assert!(!apology_in_time(&cal, date(due), date(due)));
        }
    }

    #[test]
    fn apologies_may_come_while_on_time_once_with_a_later_date() {
        let cal = cal();
        let due = date("2026-03-16");
        let req = |today: &str, new: &str, finished: bool, earlier: Option<&str>| ApologyRequest {
            due_on: due,
            today: date(today),
            finished,
            earlier: earlier.map(date),
            new_due_on: date(new),
        };
        // (case, request, result)
        let table: [(&str, ApologyRequest, Result<bool, ApologyRefusal>); 8] = [
            ("the working day before the due date", req("2026-03-13", "2026-03-20", false, None), Ok(true)),
            ("a week early", req("2026-03-09", "2026-03-20", false, None), Ok(true)),
            ("on the due date: recorded, not in time", req("2026-03-16", "2026-03-20", false, None), Ok(false)),
            ("after the due date: recorded, not in time", req("2026-03-18", "2026-03-20", false, None), Ok(false)),
            (
                "once only",
                req("2026-03-12", "2026-03-20", false, Some("2026-03-19")),
                Err(ApologyRefusal::AlreadyIssued(date("2026-03-19"))),
            ),
            ("after the result", req("2026-03-12", "2026-03-20", true, None), Err(ApologyRefusal::Finished)),
            (
                "the new date must extend the limit",
                req("2026-03-12", "2026-03-16", false, None),
                Err(ApologyRefusal::NewDate { due_on: due, today: date("2026-03-12") }),
            ),
            (
                "the new date must be a working day",
                req("2026-03-12", "2026-03-21", false, None),
                Err(ApologyRefusal::NewDate { due_on: due, today: date("2026-03-12") }),
            ),
        ];
        for (case, request, expected) in table {
            assert_eq!(check_apology(&cal, &request), expected, "{case}");
        }
        assert!(ApologyRefusal::Finished.is_conflict());
        assert!(!ApologyRefusal::NewDate { due_on: due, today: due }.is_conflict());
        // The desk is told on the last day, not before, and not after the due date.
        assert!(!apology_due_today(&cal, due, date("2026-03-12"), true, false));
        assert!(apology_due_today(&cal, due, date("2026-03-13"), true, false));
        assert!(apology_due_today(&cal, due, date("2026-03-16"), true, false));
        assert!(!apology_due_today(&cal, due, date("2026-03-17"), true, false));
        assert!(!apology_due_today(&cal, due, date("2026-03-13"), true, true));
    }

    fn record(
        channel: &str,
        received: &str,
        due: &str,
        completed: Option<&str>,
        paused: bool,
        apology_on: Option<&str>,
    ) -> DossierRecord {
        DossierRecord {
            procedure: "1.013831".into(),
            commune: Some("31507".into()),
            channel: channel.into(),
            received_on: date(received),
            due_on: date(due),
            completed_on: completed.map(date),
            paused,
            apology_on: apology_on.map(date),
            apologies: i64::from(apology_on.is_some()),
            pauses: vec![],
        }
    }

    #[test]
    fn every_yardstick_counts_its_own_way() {
        let cal = cal();
        let today = date("2026-03-20");
        let records = [
            record("counter", "2026-03-02", "2026-03-09", Some("2026-03-06"), false, None), // early
            record("counter", "2026-03-02", "2026-03-09", Some("2026-03-09"), false, None), // on time
            record("online", "2026-03-02", "2026-03-09", Some("2026-03-11"), false, Some("2026-03-06")), // late, apology in time
            record("postal", "2026-03-02", "2026-03-09", Some("2026-03-10"), false, Some("2026-03-09")), // late, apology too late
            record("counter", "2026-03-10", "2026-03-25", None, false, None),                            // in time
            record("counter", "2026-03-10", "2026-03-27", None, true, None),                             // paused
            record("online", "2026-03-02", "2026-03-13", None, false, None), // overdue, no apology
        ];
        let t = tally(&records, &cal, today);
        assert_eq!((t.received, t.resolved, t.early, t.on_time, t.late), (7, 4, 1, 1, 2));
        assert_eq!((t.in_time, t.paused, t.overdue), (1, 1, 1));
        assert_eq!((t.late_with_apology, t.late_without_apology), (1, 2));
        // The office: 2 of 4 resolved on time. The index: 2 resolved on time + 2 within time
        // of 7 received, 20 × 4/7 points. Circular 01: 2 + 1 + 0 + 0 over 4 resolved.
        assert_eq!(t.office_rate_pct(), Some(50.0));
        assert_eq!(t.index_progress_pct(), Some(57.1));
        assert_eq!(t.index_points(), Some(11.43));
        assert_eq!(t.mean_score(), Some(0.75));
        assert_eq!(t.late_pct(), Some(50.0));
        assert!(t.late_flag(5.0));
        let empty = tally(&[], &cal, today);
        assert_eq!((empty.office_rate_pct(), empty.index_points(), empty.mean_score()), (None, None, None));
        assert!(!empty.late_flag(5.0));

        let by_channel = tally_by(&records, &cal, today, |r| r.channel.clone());
        assert_eq!(by_channel.keys().collect::<Vec<_>>(), ["counter", "online", "postal"]);
        assert_eq!(by_channel["counter"].received, 4);
        assert_eq!(by_channel["online"].overdue, 1);
        let by_quarter = tally_by(&records, &cal, today, |r| Period::Quarter.key(r.received_on));
        assert_eq!(by_quarter["2026-Q1"].received, 7);
        assert_eq!(Period::Month.key(date("2026-11-02")), "2026-11");
        assert_eq!(Period::Quarter.key(date("2026-10-01")), "2026-Q4");
        assert_eq!(Period::Year.key(date("2026-10-01")), "2026");

        let kpis = compute(&records, &cal, today, 5.0);
        assert_eq!((kpis.completed, kpis.overdue_open, kpis.paused_open), (4, 1, 1));
        assert_eq!(kpis.late_pct, 50.0);
        assert_eq!(kpis.counter_pct, 57.1);
    }

    #[test]
    fn the_yardsticks_name_their_sources() {
        for y in YARDSTICKS {
            assert!(y.source.contains("DOMAIN-RRR §") || y.source.contains("DESIGN.md"), "{}", y.id);
            assert!(y.source.contains("[C") || y.source.contains("[S"), "{}", y.id);
        }
    }
}
