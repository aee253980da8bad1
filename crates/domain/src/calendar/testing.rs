//! Test fixtures shared by the calendar's tests: date parsing and the two calendars.

use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime};

use super::Calendar;

/// The shipped yearly decisions.
pub(super) const SHIPPED_CSV: &str = include_str!("../../../../sample-data/calendar.csv");

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

pub(super) fn shipped() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(|| Calendar::from_csv(SHIPPED_CSV).expect("the shipped calendar parses"))
}

pub(super) fn rules() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(Calendar::rules_only)
}
