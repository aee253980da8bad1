//! Numbers an office hands out — registry book numbers (số vào sổ) per year, dossier receipt
//! numbers per day — counted in the database so two transactions never get the same number.
//! The counter row stays locked until commit, and a rolled-back transaction gives its number
//! back.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::schema::{receipt_counters, registry_counters};

/// Which sequence of a province's office.
#[derive(Debug, Clone, Copy)]
pub enum Counter<'a> {
    /// Certificates entered in the registry book in a year.
    Registry { province: &'a str, year: i32 },
    /// Dossiers received on a day.
    Receipt { province: &'a str, day: NaiveDate },
}

/// The next number of the sequence (1 for the first).
pub fn next(conn: &mut PgConnection, counter: Counter) -> QueryResult<i32> {
    match counter {
        Counter::Registry { province, year } => {
            use registry_counters::dsl as c;
            diesel::insert_into(c::registry_counters)
                .values((c::province_code.eq(province), c::year.eq(year), c::last_no.eq(1)))
                .on_conflict((c::province_code, c::year))
                .do_update()
                .set(c::last_no.eq(c::last_no + 1))
                .returning(c::last_no)
                .get_result(conn)
        }
        Counter::Receipt { province, day } => {
            use receipt_counters::dsl as c;
            diesel::insert_into(c::receipt_counters)
                .values((c::province_code.eq(province), c::day.eq(day), c::last_no.eq(1)))
                .on_conflict((c::province_code, c::day))
                .do_update()
                .set(c::last_no.eq(c::last_no + 1))
                .returning(c::last_no)
                .get_result(conn)
        }
    }
}
