//! The yearly decisions (the data an office can correct without a release: the Tết span, extra
//! days off, swapped working days; layer 3) and the [`Calendar`] of working days they make
//! with the rules.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};

use super::holidays::{is_weekend, rule_days_off_except};
use super::{Holiday, SUPPORTED_YEARS};

/// What a row of the yearly decisions says about a day (the `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// `off`: a day off on top of the rules (an extra or swapped day, a bridge day).
    Off,
    /// `working`: a working day even on a weekend or a rule holiday (ngày làm bù, a swapped
    /// Saturday; or the rule's default National Day adjacent day when the decision chose the
    /// other one).
    Working,
    /// `tet`: a day of the Tết span the decision fixed. When a solar year has any `tet` row,
    /// those rows are its whole Tết holiday: the rule-generated Tết days and their
    /// compensatory days for that year are dropped.
    Tet,
}

impl DayKind {
    /// Every kind.
    pub const ALL: [DayKind; 3] = [DayKind::Off, DayKind::Working, DayKind::Tet];

    /// The text of the `kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            DayKind::Off => "off",
            DayKind::Working => "working",
            DayKind::Tet => "tet",
        }
    }

    /// The kind written `s`, or `None`.
    pub fn parse(s: &str) -> Option<DayKind> {
        DayKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One row of the yearly decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Off, working or Tết.
    pub kind: DayKind,
    /// Source and remarks; `[U]` marks an unconfirmed row.
    pub note: String,
}

/// Why the calendar data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The first line that is neither blank nor a comment must be the header.
    #[error("calendar CSV: expected the header `{expected}`, found `{found}`")]
    Header {
        /// The header required.
        expected: &'static str,
        /// What the file had.
        found: String,
    },
    /// A CSV row with too few columns.
    #[error("calendar CSV line {line}: expected `date,kind,note`, found `{text}`")]
    Columns {
        /// The line number, from 1.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// A CSV date not in ISO form (YYYY-MM-DD).
    #[error("calendar CSV line {line}: `{value}` is not a date (YYYY-MM-DD)")]
    Date {
        /// The line number, from 1.
        line: usize,
        /// The offending value.
        value: String,
    },
    /// A kind other than `off`, `working` or `tet`.
    #[error("calendar data for {date}: kind `{value}` is not one of off, working, tet")]
    Kind {
        /// The row's date.
        date: NaiveDate,
        /// The offending value.
        value: String,
    },
    /// The same date on two rows.
    #[error("calendar data: {date} appears on two rows")]
    Duplicate {
        /// The repeated date.
        date: NaiveDate,
    },
}

/// The working-day calendar: the statutory rules plus the yearly decisions.
///
/// A day is a working day when, in this order of precedence:
/// 1. a decision row for that date says `working` (yes) or `off` / `tet` (no); otherwise
/// 2. it is a Saturday or Sunday (no); otherwise
/// 3. it is a rule day off ([`rule_days_off`]) — minus the Tết days of a year that has `tet`
///    rows — (no);
/// 4. otherwise yes.
///
/// Compensatory days are placed by the rules; in a year with `tet` rows they also step over
/// those rows, but never over `off` rows, which a decision sets knowing the rule days anyway.
///
/// Rule holidays are generated for [`SUPPORTED_YEARS`]; outside them only weekends and
/// decision rows apply.
#[derive(Debug, Clone)]
pub struct Calendar {
    decisions: BTreeMap<NaiveDate, Decision>,
    /// Rule days off of every supported year, after the decisions' Tết replacements.
    rule_days_off: BTreeSet<NaiveDate>,
}

/// The header line of the calendar CSV.
pub const CSV_HEADER: &str = "date,kind,note";

impl Calendar {
    /// The calendar of the statutory rules alone, with no yearly decision.
    pub fn rules_only() -> Calendar {
        Calendar::with_decisions(BTreeMap::new())
    }

    /// Reads the yearly decisions from CSV text (the format of `sample-data/calendar.csv`):
    ///
    /// - blank lines and lines starting with `#` are ignored; the first other line is the
    ///   header `date,kind,note`;
    /// - `date` is YYYY-MM-DD; `kind` is `off`, `working` or `tet` (see [`DayKind`]);
    /// - `note` is the rest of the line (commas allowed), free text; `[U]` marks an
    ///   unconfirmed row;
    /// - a date may appear only once.
    ///
    /// E.g. the Tết span decided for 2026 is nine `tet` rows, 14–22 February; Saturday
    /// 10 January 2026 worked in exchange for Friday 2 January is a `working` and an `off` row.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let mut rows: Vec<(NaiveDate, &str, &str)> = Vec::new();
        let mut header_seen = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if !header_seen {
                let found: Vec<&str> = trimmed.split(',').map(str::trim).collect();
                if found.join(",") != CSV_HEADER {
                    return Err(CalendarError::Header { expected: CSV_HEADER, found: trimmed.to_string() });
                }
                header_seen = true;
                continue;
            }
            let fields: Vec<&str> = trimmed.splitn(3, ',').map(str::trim).collect();
            if fields.len() < 2 {
                return Err(CalendarError::Columns { line, text: trimmed.to_string() });
            }
            let date = NaiveDate::parse_from_str(fields[0], "%Y-%m-%d")
                .map_err(|_| CalendarError::Date { line, value: fields[0].to_string() })?;
            rows.push((date, fields[1], fields.get(2).copied().unwrap_or("")));
        }
        if !header_seen {
            return Err(CalendarError::Header { expected: CSV_HEADER, found: String::new() });
        }
        Calendar::from_rows(rows)
    }

    /// Builds the calendar from decision rows `(date, kind, note)` — the shape of a database
    /// table of the same columns. Refuses an unknown kind or a date given twice.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (NaiveDate, &'a str, &'a str)>,
    ) -> Result<Calendar, CalendarError> {
        let mut decisions = BTreeMap::new();
        for (date, kind, note) in rows {
            let kind =
                DayKind::parse(kind.trim()).ok_or_else(|| CalendarError::Kind { date, value: kind.to_string() })?;
            if decisions.insert(date, Decision { kind, note: note.trim().to_string() }).is_some() {
                return Err(CalendarError::Duplicate { date });
            }
        }
        Ok(Calendar::with_decisions(decisions))
    }

    fn with_decisions(decisions: BTreeMap<NaiveDate, Decision>) -> Calendar {
        let mut tet_rows: BTreeMap<i32, BTreeSet<NaiveDate>> = BTreeMap::new();
        for (&date, decision) in &decisions {
            if decision.kind == DayKind::Tet {
                tet_rows.entry(date.year()).or_default().insert(date);
            }
        }
        let tet_only = BTreeSet::from([Holiday::Tet]);
        let (no_holiday, no_days) = (BTreeSet::new(), BTreeSet::new());
        let rule_days_off = SUPPORTED_YEARS
            .flat_map(|year| match tet_rows.get(&year) {
                Some(days) => rule_days_off_except(year, &tet_only, days),
                None => rule_days_off_except(year, &no_holiday, &no_days),
            })
            .map(|d| d.date)
            .collect();
        Calendar { decisions, rule_days_off }
    }

    /// The decision row for `d`, if any.
    pub fn decision(&self, d: NaiveDate) -> Option<&Decision> {
        self.decisions.get(&d)
    }

    /// Ngày làm việc: whether `d` is a working day (see [`Calendar`] for the precedence).
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.decisions.get(&d) {
            Some(decision) => match decision.kind {
                DayKind::Working => true,
                DayKind::Off | DayKind::Tet => false,
            },
            None => !is_weekend(d) && !self.rule_days_off.contains(&d),
        }
    }

    /// The first working day on or after `d` (`d` itself when it is a working day).
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        while !self.is_working_day(day) {
            day = day + Days::new(1);
        }
        day
    }

    /// The `n`-th working day strictly after `start` (`start` itself when `n` is 0, working
    /// day or not). Always a working day for `n` ≥ 1.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        for _ in 0..n {
            day = self.next_working_day(day + Days::new(1));
        }
        day
    }

    /// The `n`-th working day strictly before `end` (`end` itself when `n` is 0): the mirror of
    /// [`Calendar::add_working_days`], e.g. the last working day before a due date.
    pub fn sub_working_days(&self, end: NaiveDate, n: u32) -> NaiveDate {
        let mut day = end;
        for _ in 0..n {
            day = day - Days::new(1);
            while !self.is_working_day(day) {
                day = day - Days::new(1);
            }
        }
        day
    }

    /// The number of working days in (`from`, `to`] — `from` excluded, `to` included — and
    /// minus the count over (`to`, `from`] when `to` is before `from`. So
    /// `working_days_between(s, add_working_days(s, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let count = lo.iter_days().skip(1).take_while(|&d| d <= hi).filter(|&d| self.is_working_day(d)).count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::testing::*;
    use proptest::prelude::*;

    #[test]
    fn shipped_2026_decisions() {
        let cal = shipped();
        // 1–4/1 off: Friday 2/1 off, swapped to Saturday 10/1.
        for d in ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"] {
            assert!(!cal.is_working_day(date(d)), "{d}");
        }
        assert!(cal.is_working_day(date("2026-01-10")));
        // Tết 14–22/2.
        for d in date("2026-02-14").iter_days().take(9) {
            assert!(!cal.is_working_day(d), "{d}");
        }
        assert!(cal.is_working_day(date("2026-02-13")));
        assert!(cal.is_working_day(date("2026-02-23")));
        // Hùng Kings observed Monday 27/4; 30/4 and 1/5.
        for d in ["2026-04-27", "2026-04-30", "2026-05-01"] {
            assert!(!cal.is_working_day(date(d)), "{d}");
        }
        // 31/8 off, swapped from Saturday 22/8; 1–2/9.
        assert!(cal.is_working_day(date("2026-08-22")));
        for d in ["2026-08-31", "2026-09-01", "2026-09-02"] {
            assert!(!cal.is_working_day(date(d)), "{d}");
        }
        assert!(cal.is_working_day(date("2026-09-03")));
        // The rules alone know none of the swaps.
        assert!(rules().is_working_day(date("2026-01-02")));
        assert!(!rules().is_working_day(date("2026-01-10")));
    }

    #[test]
    fn shipped_2025_tet_decision_replaces_the_rule_span() {
        // The rules give 28/1–1/2 with Monday 3/2 for Saturday 1/2; the decision gave 27–31/1
        // and no compensatory day.
        assert!(!rules().is_working_day(date("2025-02-03")));
        assert!(shipped().is_working_day(date("2025-02-03")));
        assert!(rules().is_working_day(date("2025-01-27")));
        assert!(!shipped().is_working_day(date("2025-01-27")));
        // 30/4–4/5: Friday 2/5 off, worked on Saturday 26/4.
        assert!(!shipped().is_working_day(date("2025-05-02")));
        assert!(shipped().is_working_day(date("2025-04-26")));
    }

    #[test]
    fn every_shipped_row_is_effective() {
        let cal = shipped();
        for (&d, decision) in &cal.decisions {
            assert_eq!(cal.is_working_day(d), decision.kind == DayKind::Working, "{d}");
        }
        // The header is the first line, as the reference loader expects.
        assert_eq!(SHIPPED_CSV.lines().next(), Some(CSV_HEADER));
        // Every unconfirmed row says so.
        for line in SHIPPED_CSV.lines().filter(|l| l.contains("Văn hóa")) {
            assert!(line.starts_with('#') || line.contains("[U]"), "{line}");
        }
    }

    #[test]
    fn csv_format_and_errors() {
        let ok =
            "# comment first\n\ndate,kind,note\n# comment\n2030-01-02,off,a, note, with commas\n2030-01-05, working\n";
        let cal = Calendar::from_csv(ok).unwrap();
        assert_eq!(cal.decision(date("2030-01-02")).unwrap().note, "a, note, with commas");
        assert_eq!(cal.decision(date("2030-01-05")).unwrap().kind, DayKind::Working);
        assert!(!cal.is_working_day(date("2030-01-02")));
        assert!(cal.is_working_day(date("2030-01-05")));
        assert_eq!(
            Calendar::from_csv("# only comments\n").unwrap_err(),
            CalendarError::Header { expected: CSV_HEADER, found: String::new() }
        );

        type Case = (&'static str, fn(&CalendarError) -> bool);
        let cases: [Case; 5] = [
            ("date,kind,replaces,note\n", |e| matches!(e, CalendarError::Header { .. })),
            ("date,kind,note\n2030-01-02\n", |e| matches!(e, CalendarError::Columns { line: 2, .. })),
            ("date,kind,note\n2/1/2030,off,\n", |e| matches!(e, CalendarError::Date { line: 2, .. })),
            ("date,kind,note\n2030-01-02,holiday,\n", |e| matches!(e, CalendarError::Kind { .. })),
            ("date,kind,note\n2030-01-02,off,\n#\n2030-01-02,working,\n", |e| {
                matches!(e, CalendarError::Duplicate { .. })
            }),
        ];
        for (text, is_expected) in cases {
            let err = Calendar::from_csv(text).unwrap_err();
            assert!(is_expected(&err), "{text:?} gave {err:?}");
        }
        assert_eq!(
            Calendar::from_csv("date,kind,note\n2030-01-02,holiday,\n").unwrap_err().to_string(),
            "calendar data for 2030-01-02: kind `holiday` is not one of off, working, tet"
        );
    }

    #[test]
    fn from_rows_reads_the_database_shape() {
        let rows =
            [(date("2026-01-02"), "off", "swap"), (date("2026-01-10"), "working", ""), (date("2026-02-16"), "tet", "")];
        let cal = Calendar::from_rows(rows).unwrap();
        assert!(!cal.is_working_day(date("2026-01-02")));
        assert!(cal.is_working_day(date("2026-01-10")));
        // The only `tet` row of 2026 is the whole Tết holiday: 17–20/2 are working days.
        assert!(!cal.is_working_day(date("2026-02-16")));
        assert!(cal.is_working_day(date("2026-02-17")));
        assert_eq!(
            Calendar::from_rows([(date("2026-01-02"), "off", ""), (date("2026-01-02"), "off", "")]).unwrap_err(),
            CalendarError::Duplicate { date: date("2026-01-02") }
        );
        assert!(matches!(Calendar::from_rows([(date("2026-01-02"), "Off", "")]), Err(CalendarError::Kind { .. })));
    }

    #[test]
    fn tet_rows_replace_the_rule_span_of_that_year_only() {
        // Tết 2027 decided (hypothetically) as Thursday 4/2 to Wednesday 10/2: Thursday 11/2,
        // a rule compensatory day, goes back to work.
        let csv = "date,kind,note\n\
                   2027-02-04,tet,\n2027-02-05,tet,\n2027-02-06,tet,\n2027-02-07,tet,\n\
                   2027-02-08,tet,\n2027-02-09,tet,\n2027-02-10,tet,\n";
        let cal = Calendar::from_csv(csv).unwrap();
        assert!(!cal.is_working_day(date("2027-02-04")));
        assert!(cal.is_working_day(date("2027-02-11")));
        assert!(!rules().is_working_day(date("2027-02-11")));
        assert!(rules().is_working_day(date("2027-02-04")));
        // Tết of other years untouched.
        assert!(!cal.is_working_day(date("2028-01-26")));
        // Other holidays of 2027 untouched.
        assert!(!cal.is_working_day(date("2027-04-30")));
        assert!(!cal.is_working_day(date("2027-05-03")));
    }

    #[test]
    fn data_overrides_the_national_day_adjacent_day() {
        // 2/9/2027 is a Thursday: the rule adds Friday 3/9. A decision for Wednesday 1/9
        // instead is two rows.
        assert!(!rules().is_working_day(date("2027-09-03")));
        let cal = Calendar::from_csv("date,kind,note\n2027-09-01,off,\n2027-09-03,working,\n").unwrap();
        assert!(!cal.is_working_day(date("2027-09-01")));
        assert!(!cal.is_working_day(date("2027-09-02")));
        assert!(cal.is_working_day(date("2027-09-03")));
    }

    #[test]
    fn working_day_arithmetic() {
        let cal = shipped();
        // Saturday 10/1/2026 is a working day.
        assert_eq!(cal.next_working_day(date("2026-01-01")), date("2026-01-05"));
        assert_eq!(cal.next_working_day(date("2026-01-10")), date("2026-01-10"));
        assert_eq!(cal.next_working_day(date("2026-01-11")), date("2026-01-12"));
        // Friday 9/1 + 1 is the Saturday; + 2 the Monday.
        assert_eq!(cal.add_working_days(date("2026-01-09"), 1), date("2026-01-10"));
        assert_eq!(cal.add_working_days(date("2026-01-09"), 2), date("2026-01-12"));
        assert_eq!(cal.add_working_days(date("2026-01-03"), 0), date("2026-01-03"));
        // Thursday 12/2 + 2 skips Tết: Friday 13/2, Monday 23/2.
        assert_eq!(cal.add_working_days(date("2026-02-12"), 2), date("2026-02-23"));
        assert_eq!(cal.working_days_between(date("2026-02-12"), date("2026-02-23")), 2);
        assert_eq!(cal.working_days_between(date("2026-02-23"), date("2026-02-12")), -2);
        assert_eq!(cal.working_days_between(date("2026-02-12"), date("2026-02-12")), 0);
        // January 2026: 22 weekdays − 1/1, 2/1 + Saturday 10/1 = 21.
        assert_eq!(cal.working_days_between(date("2025-12-31"), date("2026-01-31")), 21);
        // Backwards: the working day before Monday 12/1 is Saturday 10/1; before Monday 23/2,
        // across Tết, Friday 13/2; before Monday 5/1, across New Year, Wednesday 31/12/2025.
        assert_eq!(cal.sub_working_days(date("2026-01-12"), 1), date("2026-01-10"));
        assert_eq!(cal.sub_working_days(date("2026-02-23"), 1), date("2026-02-13"));
        assert_eq!(cal.sub_working_days(date("2026-01-05"), 1), date("2025-12-31"));
        assert_eq!(cal.sub_working_days(date("2026-01-05"), 0), date("2026-01-05"));
    }

    proptest! {
        #[test]
        fn sub_working_days_undoes_add_working_days(day in 0u64..1_300, n in 1u32..40) {
            let d = shipped().next_working_day(date("2024-12-01") + Days::new(day));
            prop_assert_eq!(shipped().sub_working_days(shipped().add_working_days(d, n), n), d);
        }

        #[test]
        fn next_working_day_is_the_first_working_day_on_or_after(day in 0u64..1_300) {
            let d = date("2024-12-01") + Days::new(day);
            let next = shipped().next_working_day(d);
            prop_assert!(shipped().is_working_day(next));
            prop_assert!(d.iter_days().take_while(|&x| x < next).all(|x| !shipped().is_working_day(x)));
        }
    }
}
