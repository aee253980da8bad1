//! Timeliness KPIs of one-stop dossiers: early / on time / late, apologies, processing time in
//! working days, channel mix. Pure: the caller passes the records, the calendar and today.

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::Calendar;

/// One dossier, as the statistics see it (days are Vietnam days).
#[derive(Debug, Clone)]
pub struct DossierRecord {
    pub channel: String,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The day the result was ready (the office's work is done); None while in progress.
    pub completed_on: Option<NaiveDate>,
    pub apologies: i64,
    /// Clock stops, inclusive day ranges.
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
}

/// The KPIs of a set of dossiers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeliness {
    pub received: usize,
    pub completed: usize,
    pub early: usize,
    pub on_time: usize,
    pub late: usize,
    /// Still in progress and already past their due date.
    pub overdue_open: usize,
    /// Late or overdue dossiers for which an apology letter was issued, and those without one.
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
    if of == 0 {
        0.0
    } else {
        (1000.0 * n as f64 / of as f64).round() / 10.0
    }
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
    let (mut early, mut on_time, mut late, mut overdue_open) = (0, 0, 0, 0);
    let (mut late_with, mut late_without) = (0, 0);
    let mut durations = Vec::new();
    for r in records {
        let is_late = match r.completed_on {
            Some(done) => {
                durations.push(processing_working_days(cal, r.received_on, done, &r.pauses));
                match done.cmp(&r.due_on) {
                    std::cmp::Ordering::Less => early += 1,
                    std::cmp::Ordering::Equal => on_time += 1,
                    std::cmp::Ordering::Greater => late += 1,
                }
                done > r.due_on
            }
            None if today > r.due_on => {
                overdue_open += 1;
                true
            }
            None => false,
        };
        if is_late {
            if r.apologies > 0 {
                late_with += 1
            } else {
                late_without += 1
            }
        }
    }
    let completed = early + on_time + late;
    durations.sort_unstable();
    let avg = (!durations.is_empty()).then(|| durations.iter().sum::<i64>() as f64 / durations.len() as f64);
    // Nearest-rank 90th percentile.
    let p90 = (!durations.is_empty()).then(|| {
        let rank = ((0.9 * durations.len() as f64).ceil() as usize).max(1);
        durations[rank - 1] as f64
    });
    let count = |c: &str| records.iter().filter(|r| r.channel == c).count();
    let late_pct = pct(late, completed);
    Timeliness {
        received: records.len(),
        completed,
        early,
        on_time,
        late,
        overdue_open,
        late_with_apology: late_with,
        late_without_apology: late_without,
        apologies_issued: records.iter().map(|r| r.apologies).sum(),
        early_pct: pct(early, completed),
        on_time_pct: pct(on_time, completed),
        late_pct,
        avg_processing_working_days: avg.map(|a| (a * 10.0).round() / 10.0),
        p90_processing_working_days: p90,
        online_pct: pct(count("online"), records.len()),
        postal_pct: pct(count("postal"), records.len()),
        counter_pct: pct(count("counter"), records.len()),
        late_flag: completed > 0 && late_pct >= late_threshold_pct,
        late_flag_threshold_pct: late_threshold_pct,
    }
}
