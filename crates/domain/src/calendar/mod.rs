//! Lịch làm việc — the working-day calendar that one-stop-shop time limits are counted in, and
//! the due date (ngày hẹn trả kết quả) of a dossier.
//!
//! Three layers, from fixed to yearly:
//!
//! 1. **Astronomy.** The Vietnamese lunisolar calendar (âm lịch), computed from the true new
//!    moons and the Sun's longitude (Jean Meeus, *Astronomical Algorithms*, ch. 25 and 49) for the
//!    UTC+7 meridian. The time zone matters: a new moon between 16:00 and 17:00 UTC falls on
//!    one day in Hà Nội and the next in Beijing, which is why Tết 1985, 2007 and 2030 differ
//!    from China's.
//! 2. **Rules.** The statutory holidays of Labor Code 2019 Art. 112, generated for any year, and
//!    the compensatory day off (nghỉ bù) when one falls on the weekly rest day (Art. 111(3)).
//! 3. **Yearly decisions.** What the Prime Minister approves each year (the Tết span, extra days
//!    off, Saturdays swapped into working days) and anything not yet confirmed in law is *data*:
//!    [`Calendar::from_csv`] and [`Calendar::from_rows`] read it, so an office can correct it
//!    without a release.
//!
//! Working days are Monday to Friday (the 40-hour week of the civil service) minus holidays,
//! plus any weekend day a decision makes a working day.

mod decisions;
mod due;
mod holidays;
mod lunar;
#[cfg(test)]
mod testing;

pub use decisions::{Calendar, CalendarError, DayKind, Decision, CSV_HEADER};
pub use due::{clock_start, due_date, DueDateInput};
pub use holidays::{rule_days_off, Holiday, RuleDayOff};
pub use lunar::{lunar_to_solar, solar_to_lunar, LunarDate, SUPPORTED_YEARS};
