//! Ngày hẹn trả kết quả — the due date of a dossier: its time limit in working days counted on
//! the [`Calendar`], from the receipt and the office's cut-off, minus the pauses.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use super::Calendar;

/// What the due date of a dossier depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDateInput {
    /// Thời điểm tiếp nhận: when the complete, valid dossier was received, local time (UTC+7).
    pub received_at: NaiveDateTime,
    /// The office's afternoon cut-off (e.g. 16:30, or 15:00 for data requests): a dossier
    /// received at or after it counts from the next working day.
    pub cutoff: NaiveTime,
    /// Thời hạn giải quyết: the procedure's time limit in working days (0 for same-day).
    pub working_days: u32,
    /// Days the clock is stopped (supplement requested, financial obligations pending):
    /// inclusive date ranges; a range whose end is before its start is empty. Ranges may
    /// overlap.
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
}

impl DueDateInput {
    fn is_paused(&self, d: NaiveDate) -> bool {
        self.pauses.iter().any(|&(from, to)| from <= d && d <= to)
    }
}

/// Day 0 of the clock: the receipt day when it is a working day and the dossier came in before
/// the cut-off; otherwise the next working day after the receipt day.
pub fn clock_start(cal: &Calendar, received_at: NaiveDateTime, cutoff: NaiveTime) -> NaiveDate {
    let day = received_at.date();
    if cal.is_working_day(day) && received_at.time() < cutoff {
        day
    } else {
        cal.next_working_day(day + Days::new(1))
    }
}

/// Ngày hẹn trả kết quả — the due date of a dossier:
///
/// 1. day 0 is [`clock_start`]: the receipt day if it is a working day and the dossier came in
///    before the cut-off, else the next working day;
/// 2. a *counted* day is a working day outside every pause;
/// 3. for N = `working_days` ≥ 1 the due date is the N-th counted day after day 0 (day 0 itself
///    is never counted, paused or not);
/// 4. for N = 0 (same-day procedures) it is the first counted day on or after day 0: day 0
///    unless the clock is stopped that day.
///
/// So the due date is always a working day outside the pauses, and it never moves earlier when
/// the receipt is later, N is larger or a pause is added.
pub fn due_date(cal: &Calendar, input: &DueDateInput) -> NaiveDate {
    let counted = |d: NaiveDate| cal.is_working_day(d) && !input.is_paused(d);
    let day0 = clock_start(cal, input.received_at, input.cutoff);
    let mut day = day0;
    if input.working_days == 0 {
        while !counted(day) {
            day = day + Days::new(1);
        }
        return day;
    }
    let mut left = input.working_days;
    loop {
        day = day + Days::new(1);
        if counted(day) {
            left -= 1;
            if left == 0 {
                return day;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::testing::*;
    use proptest::prelude::*;

    fn due(cal: &Calendar, received: &str, n: u32, pauses: &[(&str, &str)]) -> NaiveDate {
        due_date(
            cal,
            &DueDateInput {
                received_at: at(received),
                cutoff: NaiveTime::from_hms_opt(16, 30, 0).unwrap(),
                working_days: n,
                pauses: pauses.iter().map(|&(a, b)| (date(a), date(b))).collect(),
            },
        )
    }

    #[test]
    fn due_dates_table() {
        let cal = shipped();
        /// (case, received at, N, pauses, due)
        type Row = (&'static str, &'static str, u32, &'static [(&'static str, &'static str)], &'static str);
        let table: [Row; 17] = [
            ("ordinary week", "2026-03-02 09:00", 5, &[], "2026-03-09"),
            ("day 0 is the receipt day", "2026-03-02 09:00", 1, &[], "2026-03-03"),
            ("after the cut-off: day 0 is the next day", "2026-03-02 16:45", 1, &[], "2026-03-04"),
            ("exactly at the cut-off counts as after", "2026-03-02 16:30", 1, &[], "2026-03-04"),
            ("Sunday receipt: day 0 is Monday", "2026-03-01 10:00", 1, &[], "2026-03-03"),
            ("same day", "2026-03-02 09:00", 0, &[], "2026-03-02"),
            ("same day, after the cut-off", "2026-03-02 17:00", 0, &[], "2026-03-03"),
            ("same day on a Friday evening", "2026-03-06 17:00", 0, &[], "2026-03-09"),
            ("across Tết 2026 (14–22/2)", "2026-02-12 10:00", 5, &[], "2026-02-26"),
            ("received the day before Tết 2026, late", "2026-02-13 16:40", 3, &[], "2026-02-26"),
            ("received during Tết 2026", "2026-02-18 08:00", 1, &[], "2026-02-24"),
            ("across Tết 2027 (rules: 5–11/2)", "2027-02-04 09:00", 3, &[], "2027-02-16"),
            ("Saturday 10/1/2026 is a working day", "2026-01-09 09:00", 1, &[], "2026-01-10"),
            ("receipt on Saturday 10/1/2026 counts that day", "2026-01-10 09:00", 1, &[], "2026-01-12"),
            ("New Year 2026 (1–4/1)", "2025-12-31 10:00", 2, &[], "2026-01-06"),
            ("paused 3 working days", "2026-03-02 09:00", 5, &[("2026-03-04", "2026-03-06")], "2026-03-12"),
            (
                "pause over a weekend costs only its working days",
                "2026-03-02 09:00",
                5,
                &[("2026-03-06", "2026-03-09")],
                "2026-03-11",
            ),
        ];
        for (case, received, n, pauses, expected) in table {
            assert_eq!(due(cal, received, n, pauses), date(expected), "{case}");
        }
    }

    fn due_with_cutoff(received: &str, cutoff: &str, n: u32, pauses: &[(&str, &str)]) -> NaiveDate {
        due_date(
            shipped(),
            &DueDateInput {
                received_at: at(received),
                cutoff: NaiveTime::parse_from_str(cutoff, "%H:%M").unwrap(),
                working_days: n,
                pauses: pauses.iter().map(|&(a, b)| (date(a), date(b))).collect(),
            },
        )
    }

    #[test]
    fn per_procedure_cutoffs_and_pauses() {
        /// (case, received at, cut-off, N, pauses, due)
        type Row =
            (&'static str, &'static str, &'static str, u32, &'static [(&'static str, &'static str)], &'static str);
        let table: [Row; 9] = [
            // A land-data request (same day; after 15:00 the next working day, DOMAIN §3).
            ("data request before 15:00", "2026-03-02 14:59", "15:00", 0, &[], "2026-03-02"),
            ("data request at 15:00", "2026-03-02 15:00", "15:00", 0, &[], "2026-03-03"),
            ("data request at 15:10", "2026-03-02 15:10", "15:00", 0, &[], "2026-03-03"),
            ("data request on a Friday at 15:30", "2026-03-06 15:30", "15:00", 0, &[], "2026-03-09"),
            ("the office's 16:30 keeps 15:10 the same day", "2026-03-02 15:10", "16:30", 0, &[], "2026-03-02"),
            // A 10-working-day dossier, and the same paused 4 working days for a supplement
            // (Wednesday 4/3 to Monday 9/3: 4, 5, 6 and 9 March): due 4 working days later.
            ("10 working days", "2026-03-02 09:00", "16:30", 10, &[], "2026-03-16"),
            (
                "10 working days paused 4",
                "2026-03-02 09:00",
                "16:30",
                10,
                &[("2026-03-04", "2026-03-09")],
                "2026-03-20",
            ),
            // Paused after the due date: the days already late stay late.
            ("paused after due", "2026-03-02 09:00", "16:30", 10, &[("2026-03-17", "2026-03-19")], "2026-03-16"),
            // Paused on the due date itself: that day no longer counts.
            ("paused on the due date", "2026-03-02 09:00", "16:30", 10, &[("2026-03-16", "2026-03-16")], "2026-03-17"),
        ];
        for (case, received, cutoff, n, pauses, expected) in table {
            assert_eq!(due_with_cutoff(received, cutoff, n, pauses), date(expected), "{case}");
        }
        let cal = shipped();
        assert_eq!(cal.working_days_between(date("2026-03-16"), date("2026-03-20")), 4);
    }

    #[test]
    fn the_same_receipt_under_rules_only_misses_the_2026_swap() {
        // Without the decision Friday 2/1 is a working day and Saturday 10/1 is not.
        assert_eq!(due(rules(), "2026-01-02 09:00", 5, &[]), date("2026-01-09"));
        // With it the clock starts on Monday 5/1 and the fifth day is the working Saturday.
        assert_eq!(due(shipped(), "2026-01-02 09:00", 5, &[]), date("2026-01-10"));
        assert_eq!(due(rules(), "2026-01-07 09:00", 3, &[]), date("2026-01-12"));
        assert_eq!(due(shipped(), "2026-01-07 09:00", 3, &[]), date("2026-01-10"));
    }

    #[test]
    fn paused_receipt_day_and_same_day_procedures() {
        let cal = shipped();
        // A pause covering day 0 does not move day 0 (it is never counted)…
        assert_eq!(due(cal, "2026-03-02 09:00", 1, &[("2026-03-02", "2026-03-02")]), date("2026-03-03"));
        // …but a same-day procedure waits for the clock to run.
        assert_eq!(due(cal, "2026-03-02 09:00", 0, &[("2026-03-02", "2026-03-03")]), date("2026-03-04"));
        // An inverted range is empty.
        assert_eq!(due(cal, "2026-03-02 09:00", 1, &[("2026-03-05", "2026-03-03")]), date("2026-03-03"));
    }

    /// A receipt moment between late 2024 and 2028, minute precision.
    fn moment() -> impl Strategy<Value = NaiveDateTime> {
        (0u64..1_300, 0u32..24 * 60).prop_map(|(day, minute)| {
            (date("2024-12-01") + Days::new(day)).and_hms_opt(minute / 60, minute % 60, 0).unwrap()
        })
    }

    fn pauses() -> impl Strategy<Value = Vec<(NaiveDate, NaiveDate)>> {
        proptest::collection::vec((0u64..1_330, 0u64..40), 0..3).prop_map(|v| {
            v.into_iter()
                .map(|(start, len)| {
                    let from = date("2024-12-01") + Days::new(start);
                    (from, from + Days::new(len))
                })
                .collect()
        })
    }

    fn input(received_at: NaiveDateTime, working_days: u32, pauses: Vec<(NaiveDate, NaiveDate)>) -> DueDateInput {
        DueDateInput { received_at, cutoff: NaiveTime::from_hms_opt(16, 30, 0).unwrap(), working_days, pauses }
    }

    proptest! {
        #[test]
        fn due_date_is_a_working_day_outside_pauses(at in moment(), n in 0u32..35, p in pauses()) {
            let inp = input(at, n, p);
            let d = due_date(shipped(), &inp);
            prop_assert!(shipped().is_working_day(d));
            prop_assert!(!inp.is_paused(d));
            prop_assert!(d >= at.date());
        }

        #[test]
        fn later_receipt_never_gives_an_earlier_due_date(a in moment(), b in moment(), n in 0u32..35, p in pauses()) {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(due_date(shipped(), &input(early, n, p.clone())) <= due_date(shipped(), &input(late, n, p)));
        }

        #[test]
        fn more_working_days_never_give_an_earlier_date(at in moment(), n in 0u32..35, extra in 0u32..10, p in pauses()) {
            prop_assert!(due_date(shipped(), &input(at, n, p.clone())) <= due_date(shipped(), &input(at, n + extra, p)));
        }

        #[test]
        fn pauses_never_make_it_earlier(at in moment(), n in 0u32..35, p in pauses(), q in pauses()) {
            let mut more = p.clone();
            more.extend(q);
            prop_assert!(due_date(shipped(), &input(at, n, p)) <= due_date(shipped(), &input(at, n, more)));
        }

        #[test]
        fn without_pauses_the_due_date_is_n_working_days_after_day_0(at in moment(), n in 1u32..35) {
            let start = clock_start(shipped(), at, NaiveTime::from_hms_opt(16, 30, 0).unwrap());
            let d = due_date(shipped(), &input(at, n, Vec::new()));
            prop_assert_eq!(d, shipped().add_working_days(start, n));
            prop_assert_eq!(shipped().working_days_between(start, d), i64::from(n));
        }
    }
}
