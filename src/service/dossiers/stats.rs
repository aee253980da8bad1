//! The timeliness figures (`GET /stats/timeliness`) counted the way each yardstick counts
//! (DOMAIN-RRR §5–6), and the desk's queue (`GET /stats/queue`): where the open dossiers are,
//! which are overdue and by how many working days. Both public and without personal data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use serde::Serialize;

use super::{load_calendar, local_day, ClockData, HolderView};
use crate::service::{DbContext, Error, Settings};
use domain::dossier::{State, Unit};
use domain::timeliness::{self as rules, DossierRecord, Period, Standing, Tally, YARDSTICKS};
use store::dossiers as db;

/// Query of `GET /stats/timeliness`.
pub type StatsQuery = db::StatsFilter;

/// The filter a statistic was computed with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatsFilterView {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub channel: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// What the timeliness figures count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessDefinitions {
    pub population: String,
    pub completed: String,
    pub due_date: String,
    pub processing_working_days: String,
    pub periods: String,
}

/// The summary KPIs (percentages to 0.1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessKpis {
    pub received: usize,
    pub completed: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    /// Open and past the due date (paused dossiers within their time are not).
    pub overdue_open: usize,
    /// Open with the clock stopped today.
    pub paused_open: usize,
    /// Late with an apology sent at the latest one working day before the due date.
    pub late_with_apology: usize,
    /// Late without one: flagged.
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

impl From<rules::Timeliness> for TimelinessKpis {
    fn from(t: rules::Timeliness) -> Self {
        TimelinessKpis {
            received: t.received,
            completed: t.completed,
            early: t.early,
            on_time: t.on_time,
            late: t.late,
            overdue_open: t.overdue_open,
            paused_open: t.paused_open,
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

/// What a yardstick is and on whose authority.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YardstickLabel {
    /// Its name on the dashboard.
    pub label_vi: String,
    pub formula: String,
    /// The source, tagged [C] confirmed, [S] secondary, [U] unconfirmed.
    pub source: String,
}

fn label(id: &str) -> YardstickLabel {
    let y = YARDSTICKS.iter().find(|y| y.id == id).expect("every reported yardstick is defined");
    YardstickLabel { label_vi: y.label_vi.into(), formula: y.formula.into(), source: y.source.into() }
}

/// The land office's own rate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeRate {
    #[serde(flatten)]
    pub about: YardstickLabel,
    /// Early + on time.
    pub numerator: usize,
    /// Resolved.
    pub denominator: usize,
    /// Null without a resolved dossier.
    pub pct: Option<f64>,
}

/// The service index's progress criterion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndexProgress {
    #[serde(flatten)]
    pub about: YardstickLabel,
    /// Resolved early or on time + open and within time (paused included).
    pub numerator: usize,
    /// Received.
    pub denominator: usize,
    pub pct: Option<f64>,
    /// 20 × the ratio, to 0.01.
    pub points: Option<f64>,
}

/// The per-dossier score of Circular 01/2018.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircularScore {
    #[serde(flatten)]
    pub about: YardstickLabel,
    /// 2 per early, 1 per on-time dossier.
    pub score_sum: u64,
    pub resolved: usize,
    /// Mean over the resolved dossiers (0–2), to 0.01.
    pub mean: Option<f64>,
}

/// The late flag.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LateFlag {
    #[serde(flatten)]
    pub about: YardstickLabel,
    pub late: usize,
    pub resolved: usize,
    pub pct: Option<f64>,
    pub threshold_pct: f64,
    pub flagged: bool,
}

/// Apologies owed by late dossiers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApologyCompliance {
    #[serde(flatten)]
    pub about: YardstickLabel,
    /// Late dossiers: resolved late or overdue.
    pub late: usize,
    pub with_apology_in_time: usize,
    pub without_apology: usize,
    /// Some late dossier lacks an apology sent in time.
    pub flagged: bool,
}

/// Each yardstick, counted its own way.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Yardsticks {
    pub office_rate: OfficeRate,
    pub service_index_progress: IndexProgress,
    pub circular_01_score: CircularScore,
    pub late_flag: LateFlag,
    pub apology: ApologyCompliance,
}

impl Yardsticks {
    fn of(t: &Tally, threshold_pct: f64) -> Yardsticks {
        Yardsticks {
            office_rate: OfficeRate {
                about: label("office_rate"),
                numerator: t.early + t.on_time,
                denominator: t.resolved,
                pct: t.office_rate_pct(),
            },
            service_index_progress: IndexProgress {
                about: label("service_index_progress"),
                numerator: t.index_progress_count(),
                denominator: t.received,
                pct: t.index_progress_pct(),
                points: t.index_points(),
            },
            circular_01_score: CircularScore {
                about: label("circular_01_score"),
                score_sum: t.score_sum,
                resolved: t.resolved,
                mean: t.mean_score(),
            },
            late_flag: LateFlag {
                about: label("late_flag"),
                late: t.late,
                resolved: t.resolved,
                pct: t.late_pct(),
                threshold_pct,
                flagged: t.late_flag(threshold_pct),
            },
            apology: ApologyCompliance {
                about: label("apology"),
                late: t.late + t.overdue,
                with_apology_in_time: t.late_with_apology,
                without_apology: t.late_without_apology,
                flagged: t.late_without_apology > 0,
            },
        }
    }
}

/// The figures of one group (a period, a procedure, a commune, a channel).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TallyView {
    /// The period ("2026-03", "2026-Q1", "2026"), procedure code, commune code or channel.
    pub key: String,
    /// The procedure's or commune's name.
    pub label: Option<String>,
    pub received: usize,
    pub resolved: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    pub in_time: usize,
    pub paused: usize,
    pub overdue: usize,
    pub late_with_apology: usize,
    pub late_without_apology: usize,
    /// (early + on time) ÷ resolved.
    pub office_rate_pct: Option<f64>,
    /// (on time or early + within time) ÷ received.
    pub index_progress_pct: Option<f64>,
    pub index_points: Option<f64>,
    /// Circular 01/2018 mean score.
    pub mean_score: Option<f64>,
    pub late_pct: Option<f64>,
    pub late_flag: bool,
}

fn tally_view(key: String, label: Option<String>, t: &Tally, threshold_pct: f64) -> TallyView {
    TallyView {
        key,
        label,
        received: t.received,
        resolved: t.resolved,
        early: t.early,
        on_time: t.on_time,
        late: t.late,
        in_time: t.in_time,
        paused: t.paused,
        overdue: t.overdue,
        late_with_apology: t.late_with_apology,
        late_without_apology: t.late_without_apology,
        office_rate_pct: t.office_rate_pct(),
        index_progress_pct: t.index_progress_pct(),
        index_points: t.index_points(),
        mean_score: t.mean_score(),
        late_pct: t.late_pct(),
        late_flag: t.late_flag(threshold_pct),
    }
}

/// `GET /stats/timeliness`: public figures of dossiers received in a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessView {
    pub filter: StatsFilterView,
    /// The day (Vietnam) the figures were computed.
    pub as_of: NaiveDate,
    pub definitions: TimelinessDefinitions,
    pub kpis: TimelinessKpis,
    /// Each yardstick as its source counts it.
    pub yardsticks: Yardsticks,
    /// By month, quarter and year of receipt.
    pub by_month: Vec<TallyView>,
    pub by_quarter: Vec<TallyView>,
    pub by_year: Vec<TallyView>,
    pub by_procedure: Vec<TallyView>,
    pub by_commune: Vec<TallyView>,
    pub by_channel: Vec<TallyView>,
}

/// `GET /stats/timeliness`: public figures of dossiers received in a period.
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
    if q.channel.as_deref().is_some_and(|c| !matches!(c, "counter" | "online" | "postal")) {
        return Err(Error::bad_parameter("channel", "one of counter, online, postal"));
    }
    let today = local_day(now);
    let rows = db::timeliness_rows(conn, q).context_db("loading dossiers for the statistics")?;
    let cal = load_calendar(conn)?;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let records: Vec<DossierRecord> = rows
        .iter()
        .map(|r| {
            names.entry(r.procedure_code.clone()).or_insert_with(|| r.procedure_name.clone());
            if let (Some(code), Some(name)) = (&r.commune_code, &r.commune_name) {
                names.entry(code.clone()).or_insert_with(|| name.clone());
            }
            let data = ClockData {
                received_at: r.received_at,
                cutoff: r.cutoff,
                statutory_days: r.statutory_days,
                stored_due: r.due_on,
                pause_from: &r.pause_from,
                pause_to: &r.pause_to,
            };
            let reading = data.read(&cal, today);
            DossierRecord {
                procedure: r.procedure_code.clone(),
                commune: r.commune_code.clone(),
                channel: r.channel.clone(),
                received_on: local_day(r.received_at),
                due_on: reading.due_on,
                completed_on: r.result_ready_at.map(local_day),
                paused: reading.paused && r.result_ready_at.is_none(),
                apology_on: r.apology_at.map(local_day),
                apologies: r.apologies,
                pauses: data.pauses(today),
            }
        })
        .collect();
    let threshold = settings.late_flag_pct;
    let kpis = rules::compute(&records, &cal, today, threshold);
    let all = rules::tally(&records, &cal, today);
    let grouped = |key: &dyn Fn(&DossierRecord) -> String, labelled: bool| -> Vec<TallyView> {
        rules::tally_by(&records, &cal, today, key)
            .into_iter()
            .map(|(k, t)| {
                let label = labelled.then(|| names.get(&k).cloned()).flatten();
                tally_view(k, label, &t, threshold)
            })
            .collect()
    };
    Ok(TimelinessView {
        filter: StatsFilterView {
            province: q.province.clone(),
            commune: q.commune.clone(),
            procedure: q.procedure.clone(),
            channel: q.channel.clone(),
            from: q.from,
            to: q.to,
        },
        as_of: today,
        definitions: TimelinessDefinitions {
            population: "dossiers received in the period (Vietnam days), withdrawn ones excluded".into(),
            completed: "the result is ready (mark_result_ready); early/on time/late compare that day with the due date"
                .into(),
            due_date: "the statutory working days counted from day 0 (the receipt day before the procedure's cut-off, \
                       else the next working day) with every pause of the clock; an open pause counts through today, so \
                       a paused dossier is never late for its paused days"
                .into(),
            processing_working_days:
                "working days after the day of receipt up to the result, days of paused clock excluded".into(),
            periods: "by_month, by_quarter and by_year group dossiers by the period of their receipt; open dossiers \
                      count as within time or overdue as of as_of"
                .into(),
        },
        kpis: kpis.into(),
        yardsticks: Yardsticks::of(&all, threshold),
        by_month: grouped(&|r| Period::Month.key(r.received_on), false),
        by_quarter: grouped(&|r| Period::Quarter.key(r.received_on), false),
        by_year: grouped(&|r| Period::Year.key(r.received_on), false),
        by_procedure: grouped(&|r| r.procedure.clone(), true),
        by_commune: grouped(&|r| r.commune.clone().unwrap_or_default(), true),
        by_channel: grouped(&|r| r.channel.clone(), false),
    })
}

// ---- The queue ----

/// Query of `GET /stats/queue`.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
}

/// Open dossiers held by one unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderCount {
    #[serde(flatten)]
    pub holder: HolderView,
    pub open: usize,
    /// Of which with the clock stopped today.
    pub paused: usize,
    /// Of which past their due date.
    pub overdue: usize,
}

/// Open dossiers in one state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateCount {
    pub state: String,
    pub label: String,
    pub holder: String,
    pub count: usize,
}

/// Overdue dossiers by working days overdue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueBucket {
    #[schema(example = "3–5")]
    pub label: String,
    pub min_working_days: i64,
    /// Null for the last, open-ended bucket.
    pub max_working_days: Option<i64>,
    pub count: usize,
}

/// An open dossier of the queue (no personal data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub receipt_no: String,
    /// Procedure code.
    pub procedure: String,
    /// Commune code.
    pub commune: Option<String>,
    pub state: String,
    pub state_label: String,
    pub holder: HolderView,
    pub due_on: NaiveDate,
    /// Working days past the due date.
    pub overdue_working_days: i64,
    pub apology_issued: bool,
    /// Late without an apology sent in time.
    pub late_without_apology: bool,
}

/// `GET /stats/queue`: where the open dossiers are and which are overdue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueView {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub procedure: Option<String>,
    pub as_of: NaiveDate,
    /// Open dossiers: not returned, not withdrawn (a result waiting at the desk included).
    pub open: usize,
    /// Every unit, in route order, with what it holds.
    pub by_holder: Vec<HolderCount>,
    pub by_state: Vec<StateCount>,
    pub overdue_buckets: Vec<OverdueBucket>,
    /// The most overdue first (at most 100).
    pub overdue: Vec<QueueItem>,
    /// Dossiers whose apology is due today (the last day it is in time) and not sent.
    pub apology_due_today: Vec<QueueItem>,
}

/// (label, min, max) of the overdue buckets, in working days.
const BUCKETS: [(&str, i64, Option<i64>); 4] =
    [("0–2", 0, Some(2)), ("3–5", 3, Some(5)), ("6–10", 6, Some(10)), ("> 10", 11, None)];

/// `GET /stats/queue`.
pub fn queue(conn: &mut PgConnection, q: &QueueQuery, now: DateTime<Utc>) -> Result<QueueView, Error> {
    let today = local_day(now);
    let rows = db::queue(conn, q.province.as_deref(), q.commune.as_deref(), q.procedure.as_deref())
        .context_db("loading the open dossiers")?;
    let cal = load_calendar(conn)?;
    let mut by_holder: BTreeMap<Unit, HolderCount> =
        Unit::ALL.into_iter().map(|u| (u, HolderCount { holder: u.into(), open: 0, paused: 0, overdue: 0 })).collect();
    let mut by_state: BTreeMap<State, usize> = BTreeMap::new();
    let mut buckets = [0usize; BUCKETS.len()];
    let mut overdue = Vec::new();
    let mut apology_due = Vec::new();
    for r in &rows {
        let data = ClockData {
            received_at: r.received_at,
            cutoff: r.cutoff,
            statutory_days: r.statutory_days,
            stored_due: r.due_on,
            pause_from: &r.pause_from,
            pause_to: &r.pause_to,
        };
        let reading = data.read(&cal, today);
        let resolved = r.result_ready_at.is_some();
        let standing = rules::standing(reading.due_on, r.result_ready_at.map(local_day), reading.paused, today);
        let count = by_holder.get_mut(&r.state.holder()).expect("every unit is listed");
        count.open += 1;
        *by_state.entry(r.state).or_default() += 1;
        let item = |days: i64| QueueItem {
            receipt_no: r.receipt_no.clone(),
            procedure: r.procedure_code.clone(),
            commune: r.commune_code.clone(),
            state: r.state.as_str().into(),
            state_label: r.state.label_vi().into(),
            holder: r.state.holder().into(),
            due_on: reading.due_on,
            overdue_working_days: days,
            apology_issued: r.apology_at.is_some(),
            late_without_apology: standing == Standing::Overdue
                && !r.apology_at.is_some_and(|at| rules::apology_in_time(&cal, reading.due_on, local_day(at))),
        };
        if resolved {
            continue;
        }
        if standing == Standing::Paused {
            count.paused += 1;
        }
        if standing == Standing::Overdue {
            count.overdue += 1;
            let days = rules::overdue_working_days(&cal, reading.due_on, today);
            if let Some(i) = BUCKETS.iter().position(|&(_, min, max)| days >= min && max.is_none_or(|m| days <= m)) {
                buckets[i] += 1;
            }
            overdue.push(item(days));
        } else if rules::apology_due_today(&cal, reading.due_on, today, true, r.apology_at.is_some()) {
            apology_due.push(item(0));
        }
    }
    overdue.sort_by(|a, b| b.overdue_working_days.cmp(&a.overdue_working_days).then(a.receipt_no.cmp(&b.receipt_no)));
    overdue.truncate(100);
    Ok(QueueView {
        province: q.province.clone(),
        commune: q.commune.clone(),
        procedure: q.procedure.clone(),
        as_of: today,
        open: rows.len(),
        by_holder: by_holder.into_values().collect(),
        by_state: by_state
            .into_iter()
            .map(|(s, count)| StateCount {
                state: s.as_str().into(),
                label: s.label_vi().into(),
                holder: s.holder().as_str().into(),
                count,
            })
            .collect(),
        overdue_buckets: BUCKETS
            .iter()
            .zip(buckets)
            .map(|(&(label, min, max), count)| OverdueBucket {
                label: label.into(),
                min_working_days: min,
                max_working_days: max,
                count,
            })
            .collect(),
        overdue,
        apology_due_today: apology_due,
    })
}
