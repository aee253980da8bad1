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

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

// ---------------------------------------------------------------------------------------------
// Lunar calendar
// ---------------------------------------------------------------------------------------------

/// Hours east of UTC of the meridian the Vietnamese calendar is reckoned on.
const VIETNAM_UTC_OFFSET_HOURS: f64 = 7.0;

/// Years for which the lunar conversion and the holiday rules are computed: from 1968, when
/// the Vietnamese calendar moved to the UTC+7 meridian (earlier years were reckoned on UTC+8),
/// to the end of the 22nd century, where ΔT (the clock correction) is still extrapolation.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 1968..=2199;

/// Ngày âm lịch — a date in the Vietnamese lunisolar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LunarDate {
    /// Day of the month, 1–30 (a month has 29 or 30 days).
    pub day: u8,
    /// Month, 1–12 (tháng Giêng = 1, tháng Chạp = 12).
    pub month: u8,
    /// The lunar year, named by the solar year in which its first day falls.
    pub year: i32,
    /// Tháng nhuận: this is the intercalary month repeating `month`'s number.
    pub leap: bool,
}

impl LunarDate {
    /// A date in an ordinary (non-leap) month.
    pub const fn new(day: u8, month: u8, year: i32) -> LunarDate {
        LunarDate { day, month, year, leap: false }
    }
}

/// The solar (Gregorian) date of a lunar date, or `None` when it does not exist (day 30 of a
/// 29-day month, a leap flag on a month that is not leap that year, a year outside
/// [`SUPPORTED_YEARS`]).
pub fn lunar_to_solar(date: LunarDate) -> Option<NaiveDate> {
    lunar_to_solar_at(date, VIETNAM_UTC_OFFSET_HOURS)
}

/// The lunar date of a solar date, or `None` outside [`SUPPORTED_YEARS`].
pub fn solar_to_lunar(date: NaiveDate) -> Option<LunarDate> {
    solar_to_lunar_at(date, VIETNAM_UTC_OFFSET_HOURS)
}

fn lunar_to_solar_at(date: LunarDate, utc_offset: f64) -> Option<NaiveDate> {
    if !SUPPORTED_YEARS.contains(&date.year) || !(1..=12).contains(&date.month) || date.day == 0 {
        return None;
    }
    // Months 11 and 12 of lunar year Y follow the solstice of December Y; months 1–10 follow
    // the solstice of December Y−1.
    let solstice_year = if date.month >= 11 { date.year } else { date.year - 1 };
    let month = months_from_solstice(solstice_year, utc_offset)
        .into_iter()
        .find(|m| m.number == date.month && m.leap == date.leap)?;
    if date.day > month.length {
        return None;
    }
    date_from_jdn(month.start + i64::from(date.day) - 1)
}

fn solar_to_lunar_at(date: NaiveDate, utc_offset: f64) -> Option<LunarDate> {
    if !SUPPORTED_YEARS.contains(&date.year()) {
        return None;
    }
    let day = jdn(date);
    let (_, this_month11) = month11_start(date.year(), utc_offset);
    let solstice_year = if day >= this_month11 { date.year() } else { date.year() - 1 };
    let month = months_from_solstice(solstice_year, utc_offset).into_iter().rev().find(|m| m.start <= day)?;
    Some(LunarDate {
        day: u8::try_from(day - month.start + 1).ok()?,
        month: month.number,
        // Month 11 and 12 (leap or not) come before month 1 in the list.
        year: if month.number >= 11 { solstice_year } else { solstice_year + 1 },
        leap: month.leap,
    })
}

/// One lunar month: its number, leap flag, first day (Julian day number) and length in days.
#[derive(Debug, Clone, Copy)]
struct LunarMonth {
    number: u8,
    leap: bool,
    start: i64,
    length: u8,
}

/// The lunar months from month 11 of `year` (the one containing the December solstice) up to,
/// not including, the next month 11: 12 months, or 13 in a leap year.
///
/// The rules (shared with the Chinese calendar, only the meridian differs): a month begins on
/// the local day of the new moon; month 11 contains the winter solstice; when 13 new moons
/// begin between two months 11, the first month after month 11 that contains no principal
/// solar term (trung khí: the Sun's longitude crossing a multiple of 30°) is the leap month and
/// repeats the number of the month before it.
fn months_from_solstice(year: i32, utc_offset: f64) -> Vec<LunarMonth> {
    let (k_first, _) = month11_start(year, utc_offset);
    let (k_next, _) = month11_start(year + 1, utc_offset);
    let count = k_next - k_first; // 12 or 13
    let starts: Vec<i64> = (0..=count).map(|i| new_moon_day(k_first + i, utc_offset)).collect();
    // A month [start, next start) contains a principal term when the 30° sector of the Sun's
    // longitude at its first midnight differs from that at the next month's first midnight.
    let has_principal_term = |i: usize| solar_sector(starts[i], utc_offset) != solar_sector(starts[i + 1], utc_offset);
    let leap_index = if count == 13 { (1..13).find(|&i| !has_principal_term(i)) } else { None };

    let mut months = Vec::with_capacity(starts.len() - 1);
    let mut number = 11u8;
    for i in 0..starts.len() - 1 {
        let leap = Some(i) == leap_index;
        if i > 0 && !leap {
            number = number % 12 + 1;
        }
        months.push(LunarMonth {
            number,
            leap,
            start: starts[i],
            // A synodic month is 29 or 30 days, so this always fits.
            length: u8::try_from(starts[i + 1] - starts[i]).unwrap_or(30),
        });
    }
    months
}

/// The new moon index `k` (see [`new_moon_jde`]) and first day of month 11 of `year`: the last
/// new-moon day on or before the local day of the December solstice.
fn month11_start(year: i32, utc_offset: f64) -> (i64, i64) {
    // The solstice is on 20–23 December; find the day whose next midnight is past 270°.
    let mut solstice = jdn_ymd(year, 12, 18);
    while sun_longitude_at_midnight(solstice + 1, utc_offset) < 270.0 {
        solstice += 1;
    }
    let mut k = ((solstice as f64 - 2_451_550.1) / SYNODIC_MONTH).floor() as i64;
    while new_moon_day(k + 1, utc_offset) <= solstice {
        k += 1;
    }
    while new_moon_day(k, utc_offset) > solstice {
        k -= 1;
    }
    (k, new_moon_day(k, utc_offset))
}

/// Mean length of the synodic month, days.
const SYNODIC_MONTH: f64 = 29.530_588_861;

/// Julian day number of the local (UTC + `utc_offset` h) civil day of new moon number `k`.
fn new_moon_day(k: i64, utc_offset: f64) -> i64 {
    let jde = new_moon_jde(k as f64);
    let jd_ut = jde - delta_t_days(jde);
    (jd_ut + 0.5 + utc_offset / 24.0).floor() as i64
}

/// The 30° sector (0–11) of the Sun's apparent longitude at local midnight starting day `jdn`.
fn solar_sector(jdn: i64, utc_offset: f64) -> i64 {
    (sun_longitude_at_midnight(jdn, utc_offset) / 30.0).floor() as i64
}

/// The Sun's apparent longitude, degrees in [0, 360), at the local midnight that starts day
/// `jdn`.
fn sun_longitude_at_midnight(jdn: i64, utc_offset: f64) -> f64 {
    let jd_ut = jdn as f64 - 0.5 - utc_offset / 24.0;
    sun_apparent_longitude(jd_ut + delta_t_days(jd_ut))
}

fn rad(degrees: f64) -> f64 {
    degrees.rem_euclid(360.0).to_radians()
}

/// Julian Ephemeris Day of true new moon number `k` (k = 0 is the new moon of 6 January 2000),
/// Meeus ch. 49: the mean phase plus the periodic terms of the Moon's and Sun's anomalies and
/// the Moon's argument of latitude, plus the 14 planetary arguments. Accurate to well under a
/// minute over these centuries.
fn new_moon_jde(k: f64) -> f64 {
    let t = k / 1236.85; // Julian centuries from J2000.0
    let (t2, t3, t4) = (t * t, t * t * t, t * t * t * t);
    let mean = 2_451_550.097_66 + 29.530_588_861 * k + 0.000_154_37 * t2 - 0.000_000_150 * t3 + 0.000_000_000_73 * t4;
    // Eccentricity of the Earth's orbit, which scales the terms in the Sun's anomaly.
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let m = rad(2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3);
    let mp = rad(201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4);
    let f = rad(160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4);
    let omega = rad(124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3);

    let periodic = -0.40720 * mp.sin()
        + 0.17241 * e * m.sin()
        + 0.01608 * (2.0 * mp).sin()
        + 0.01039 * (2.0 * f).sin()
        + 0.00739 * e * (mp - m).sin()
        - 0.00514 * e * (mp + m).sin()
        + 0.00208 * e * e * (2.0 * m).sin()
        - 0.00111 * (mp - 2.0 * f).sin()
        - 0.00057 * (mp + 2.0 * f).sin()
        + 0.00056 * e * (2.0 * mp + m).sin()
        - 0.00042 * (3.0 * mp).sin()
        + 0.00042 * e * (m + 2.0 * f).sin()
        + 0.00038 * e * (m - 2.0 * f).sin()
        - 0.00024 * e * (2.0 * mp - m).sin()
        - 0.00017 * omega.sin()
        - 0.00007 * (mp + 2.0 * m).sin()
        + 0.00004 * (2.0 * mp - 2.0 * f).sin()
        + 0.00004 * (3.0 * m).sin()
        + 0.00003 * (mp + m - 2.0 * f).sin()
        + 0.00003 * (2.0 * mp + 2.0 * f).sin()
        - 0.00003 * (mp + m + 2.0 * f).sin()
        + 0.00003 * (mp - m + 2.0 * f).sin()
        - 0.00002 * (mp - m - 2.0 * f).sin()
        - 0.00002 * (3.0 * mp + m).sin()
        + 0.00002 * (4.0 * mp).sin();

    // (coefficient in days, argument at k = 0 in degrees, degrees per lunation)
    const PLANETARY: [(f64, f64, f64); 13] = [
        (0.000_165, 251.88, 0.016_321),
        (0.000_164, 251.83, 26.651_886),
        (0.000_126, 349.42, 36.412_478),
        (0.000_110, 84.66, 18.206_239),
        (0.000_062, 141.74, 53.303_771),
        (0.000_060, 207.14, 2.453_732),
        (0.000_056, 154.84, 7.306_860),
        (0.000_047, 34.52, 27.261_239),
        (0.000_042, 207.19, 0.121_824),
        (0.000_040, 291.34, 1.844_379),
        (0.000_037, 161.72, 24.198_154),
        (0.000_035, 239.56, 25.513_099),
        (0.000_023, 331.55, 3.592_518),
    ];
    // The first planetary argument also has a T² term.
    let a1 = 0.000_325 * rad(299.77 + 0.107_408 * k - 0.009_173 * t2).sin();
    let planetary: f64 = a1 + PLANETARY.iter().map(|&(c, a0, rate)| c * rad(a0 + rate * k).sin()).sum::<f64>();

    mean + periodic + planetary
}

/// The Sun's apparent geocentric longitude, degrees in [0, 360), at Julian Ephemeris Day
/// `jde`: Meeus ch. 25, the low-accuracy method (about 0.01°, i.e. a quarter of an hour in the
/// time of a solar term) with the correction for nutation and aberration.
fn sun_apparent_longitude(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let mean_longitude = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let m = rad(357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t);
    let centre = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * m.sin()
        + (0.019_993 - 0.000_101 * t) * (2.0 * m).sin()
        + 0.000_289 * (3.0 * m).sin();
    let omega = rad(125.04 - 1_934.136 * t);
    (mean_longitude + centre - 0.005_69 - 0.004_78 * omega.sin()).rem_euclid(360.0)
}

/// ΔT = TT − UT in days at Julian day `jd` (Espenak & Meeus polynomials; about a minute in
/// this era, so it only matters for a new moon within a minute of midnight).
fn delta_t_days(jd: f64) -> f64 {
    let y = 2000.0 + (jd - 2_451_545.0) / 365.25;
    let seconds = match y {
        y if !(1900.0..2150.0).contains(&y) => {
            let u = (y - 1820.0) / 100.0;
            -20.0 + 32.0 * u * u
        }
        y if y < 1920.0 => {
            let t = y - 1900.0;
            -2.79 + 1.494_119 * t - 0.059_893_9 * t * t + 0.006_196_6 * t.powi(3) - 0.000_197 * t.powi(4)
        }
        y if y < 1941.0 => {
            let t = y - 1920.0;
            21.20 + 0.844_93 * t - 0.076_100 * t * t + 0.002_093_6 * t.powi(3)
        }
        y if y < 1961.0 => {
            let t = y - 1950.0;
            29.07 + 0.407 * t - t * t / 233.0 + t.powi(3) / 2547.0
        }
        y if y < 1986.0 => {
            let t = y - 1975.0;
            45.45 + 1.067 * t - t * t / 260.0 - t.powi(3) / 718.0
        }
        y if y < 2005.0 => {
            let t = y - 2000.0;
            63.86 + 0.3345 * t - 0.060_374 * t * t
                + 0.001_727_5 * t.powi(3)
                + 0.000_651_814 * t.powi(4)
                + 0.000_023_735_99 * t.powi(5)
        }
        y if y < 2050.0 => {
            let t = y - 2000.0;
            62.92 + 0.322_17 * t + 0.005_589 * t * t
        }
        y => {
            let u = (y - 1820.0) / 100.0;
            -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - y)
        }
    };
    seconds / 86_400.0
}

/// Julian day number of a civil date (2000-01-01 is 2 451 545).
fn jdn(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + 1_721_425
}

fn jdn_ymd(year: i32, month: u32, day: u32) -> i64 {
    NaiveDate::from_ymd_opt(year, month, day).map_or(0, jdn)
}

fn date_from_jdn(jdn: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jdn - 1_721_425).ok()?)
}

// ---------------------------------------------------------------------------------------------
// Statutory holidays (rules)
// ---------------------------------------------------------------------------------------------

/// Ngày lễ, tết — a statutory holiday of Labor Code 2019 Art. 112(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Holiday {
    /// Tết Dương lịch, 1 January.
    NewYear,
    /// Tết Âm lịch, 5 days.
    Tet,
    /// Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month.
    HungKings,
    /// Ngày Chiến thắng (Reunification Day), 30 April.
    ReunificationDay,
    /// Ngày Quốc tế Lao động, 1 May.
    LabourDay,
    /// Quốc khánh, 2 September and one adjacent day.
    NationalDay,
}

impl Holiday {
    /// Every holiday, in calendar order.
    pub const ALL: [Holiday; 6] = [
        Holiday::NewYear,
        Holiday::Tet,
        Holiday::HungKings,
        Holiday::ReunificationDay,
        Holiday::LabourDay,
        Holiday::NationalDay,
    ];

    /// A stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::Tet => "tet",
            Holiday::HungKings => "hung_kings",
            Holiday::ReunificationDay => "reunification_day",
            Holiday::LabourDay => "labour_day",
            Holiday::NationalDay => "national_day",
        }
    }
}

/// One day off generated by the rules for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDayOff {
    /// The day.
    pub date: NaiveDate,
    /// The holiday it belongs to.
    pub holiday: Holiday,
    /// Ngày nghỉ bù: a compensatory day for a day of `holiday` that fell on a weekend.
    pub compensatory: bool,
}

/// The days off the rules give for solar year `year` (empty outside [`SUPPORTED_YEARS`]),
/// sorted by date, before any yearly decision is applied:
///
/// - 1/1; 30/4; 1/5; Hùng Kings 10/3 lunar;
/// - Tết: the last day of the old lunar year and the first four days of the new one;
/// - 2/9 and one adjacent day: by default the one that joins the nearer weekend, 3/9 when 2/9
///   is a Thursday, Sunday or Monday, 1/9 otherwise (the choice of the yearly decisions of
///   2021–2026). The law leaves it to each year's decision: a year that picks the other day
///   says so in data, `off` on the chosen day and `working` on this default;
/// - nghỉ bù: each of these days that falls on a Saturday or Sunday gives a compensatory day on
///   the next day that is neither a weekend day nor already a day off (Art. 111(3): the weekly
///   rest day moves to the next working day). Several weekend holidays in a row give several
///   compensatory days after the run.
///
/// These are the 2019 Code's rules (in force 2021) for every year; earlier years had fewer
/// days (one National Day day before 2021, three days of the new lunar year before 2013):
/// give a past year's actual days as data if it matters.
pub fn rule_days_off(year: i32) -> Vec<RuleDayOff> {
    rule_days_off_except(year, &BTreeSet::new(), &BTreeSet::new())
}

/// [`rule_days_off`] without the holidays in `replaced` (a decision lists their days instead),
/// with compensatory days also stepping over `other_days_off` (the decision's days for them).
fn rule_days_off_except(
    year: i32,
    replaced: &BTreeSet<Holiday>,
    other_days_off: &BTreeSet<NaiveDate>,
) -> Vec<RuleDayOff> {
    if !SUPPORTED_YEARS.contains(&year) {
        return Vec::new();
    }
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let mut days: Vec<(NaiveDate, Holiday)> = Vec::new();
    let mut push = |date: Option<NaiveDate>, holiday: Holiday| {
        if let Some(date) = date.filter(|_| !replaced.contains(&holiday)) {
            days.push((date, holiday));
        }
    };
    push(ymd(1, 1), Holiday::NewYear);
    if let Some(tet) = lunar_to_solar(LunarDate::new(1, 1, year)) {
        for offset in -1i64..=3 {
            push(tet.checked_add_signed(chrono::Duration::days(offset)), Holiday::Tet);
        }
    }
    push(lunar_to_solar(LunarDate::new(10, 3, year)), Holiday::HungKings);
    push(ymd(4, 30), Holiday::ReunificationDay);
    push(ymd(5, 1), Holiday::LabourDay);
    push(ymd(9, 2), Holiday::NationalDay);
    if let Some(sep2) = ymd(9, 2) {
        let adjacent = match sep2.weekday() {
            Weekday::Thu | Weekday::Sun | Weekday::Mon => 3,
            Weekday::Tue | Weekday::Wed | Weekday::Fri | Weekday::Sat => 1,
        };
        push(ymd(9, adjacent), Holiday::NationalDay);
    }
    days.sort();

    let mut taken: BTreeSet<NaiveDate> = days.iter().map(|&(d, _)| d).chain(other_days_off.iter().copied()).collect();
    let mut out: Vec<RuleDayOff> =
        days.iter().map(|&(date, holiday)| RuleDayOff { date, holiday, compensatory: false }).collect();
    for &(date, holiday) in &days {
        if is_weekend(date) {
            let mut comp = date + Days::new(1);
            while is_weekend(comp) || taken.contains(&comp) {
                comp = comp + Days::new(1);
            }
            taken.insert(comp);
            out.push(RuleDayOff { date: comp, holiday, compensatory: true });
        }
    }
    out.sort_by_key(|d| d.date);
    out
}

/// Saturday and Sunday, the weekly rest days of the civil service.
fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

// ---------------------------------------------------------------------------------------------
// Yearly decisions (data) and the calendar
// ---------------------------------------------------------------------------------------------

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

    /// The number of working days in (`from`, `to`] — `from` excluded, `to` included — and
    /// minus the count over (`to`, `from`] when `to` is before `from`. So
    /// `working_days_between(s, add_working_days(s, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let count = lo.iter_days().skip(1).take_while(|&d| d <= hi).filter(|&d| self.is_working_day(d)).count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }
}

// ---------------------------------------------------------------------------------------------
// Due date
// ---------------------------------------------------------------------------------------------

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
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// The shipped yearly decisions.
    const SHIPPED_CSV: &str = include_str!("../../../sample-data/calendar.csv");

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn shipped() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| Calendar::from_csv(SHIPPED_CSV).expect("the shipped calendar parses"))
    }

    fn rules() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(Calendar::rules_only)
    }

    // --- astronomy --------------------------------------------------------------------------

    #[test]
    fn new_moon_matches_meeus_example_49a() {
        // New moon of February 1977: k = −283, JDE 2443192.65118.
        assert!((new_moon_jde(-283.0) - 2_443_192.651_18).abs() < 0.000_05);
    }

    #[test]
    fn sun_longitude_matches_meeus_example_25a() {
        // 1992 October 13.0 TD: apparent longitude 199.90895° (low-accuracy method).
        assert!((sun_apparent_longitude(2_448_908.5) - 199.908_95).abs() < 0.000_1);
    }

    /// Tết (1/1 lunar), from published tables — except 2030: tables give 3 February, which is
    /// China's date. The new moon is on 2 February 2030 at 16:07 UTC, 23:07 in Hà Nội but 00:07
    /// on the 3rd in Beijing, so on the UTC+7 meridian month 1 begins on the 2nd (checked in
    /// `vietnam_reckons_on_utc_plus_7_not_china_utc_plus_8`).
    const TET: [(i32, &str); 16] = [
        (2020, "2020-01-25"),
        (2021, "2021-02-12"),
        (2022, "2022-02-01"),
        (2023, "2023-01-22"),
        (2024, "2024-02-10"),
        (2025, "2025-01-29"),
        (2026, "2026-02-17"),
        (2027, "2027-02-06"),
        (2028, "2028-01-26"),
        (2029, "2029-02-13"),
        (2030, "2030-02-02"),
        (2031, "2031-01-23"),
        (2032, "2032-02-11"),
        (2033, "2033-01-31"),
        (2034, "2034-02-19"),
        (2035, "2035-02-08"),
    ];

    /// Giỗ Tổ Hùng Vương (10/3 lunar), published tables.
    const HUNG_KINGS: [(i32, &str); 11] = [
        (2020, "2020-04-02"),
        (2021, "2021-04-21"),
        (2022, "2022-04-10"),
        (2023, "2023-04-29"),
        (2024, "2024-04-18"),
        (2025, "2025-04-07"),
        (2026, "2026-04-26"),
        (2027, "2027-04-16"),
        (2028, "2028-04-04"),
        (2029, "2029-04-23"),
        (2030, "2030-04-12"),
    ];

    #[test]
    fn tet_2020_to_2035_matches_the_published_table() {
        for (year, expected) in TET {
            assert_eq!(lunar_to_solar(LunarDate::new(1, 1, year)), Some(date(expected)), "Tết {year}");
        }
    }

    #[test]
    fn hung_kings_day_2020_to_2030_matches_the_published_table() {
        for (year, expected) in HUNG_KINGS {
            assert_eq!(lunar_to_solar(LunarDate::new(10, 3, year)), Some(date(expected)), "10/3 {year}");
        }
    }

    #[test]
    fn the_2030_new_moon_is_before_midnight_in_hanoi_and_after_in_beijing() {
        // k = 372 is the new moon of February 2030; published time 16:07 UTC.
        let jde = new_moon_jde(372.0);
        let hours_utc = ((jde - delta_t_days(jde) + 0.5).rem_euclid(1.0)) * 24.0;
        assert!((hours_utc - (16.0 + 7.0 / 60.0)).abs() < 2.0 / 60.0, "{hours_utc}");
        assert_eq!(new_moon_day(372, 7.0), jdn(date("2030-02-02")));
        assert_eq!(new_moon_day(372, 8.0), jdn(date("2030-02-03")));
    }

    #[test]
    fn vietnam_reckons_on_utc_plus_7_not_china_utc_plus_8() {
        // Years whose Tết differs between Hà Nội and Beijing because of the meridian.
        for (year, vietnam, china) in
            [(1985, "1985-01-21", "1985-02-20"), (2007, "2007-02-17", "2007-02-18"), (2030, "2030-02-02", "2030-02-03")]
        {
            let tet = LunarDate::new(1, 1, year);
            assert_eq!(lunar_to_solar_at(tet, 7.0), Some(date(vietnam)), "Vietnam {year}");
            assert_eq!(lunar_to_solar_at(tet, 8.0), Some(date(china)), "China {year}");
        }
    }

    #[test]
    fn leap_months_fall_where_the_published_calendar_has_them() {
        // (year, leap month, first day)
        for (year, month, first) in [(2020, 4, "2020-05-23"), (2023, 2, "2023-03-22"), (2025, 6, "2025-07-25")] {
            let leap = LunarDate { day: 1, month, year, leap: true };
            assert_eq!(lunar_to_solar(leap), Some(date(first)), "leap {month}/{year}");
            // No other month of that year is leap.
            for other in (1..=12).filter(|&m| m != month) {
                assert_eq!(lunar_to_solar(LunarDate { day: 1, month: other, year, leap: true }), None);
            }
        }
        // 2024 has no leap month at all.
        for month in 1..=12 {
            assert_eq!(lunar_to_solar(LunarDate { day: 1, month, year: 2024, leap: true }), None);
        }
    }

    #[test]
    fn the_last_day_of_the_year_before_tet_2026_is_the_29th() {
        // The 2026 decision's span "27 Chạp Ất Tỵ to 6 Giêng Bính Ngọ" is 14–22 February.
        assert_eq!(solar_to_lunar(date("2026-02-14")), Some(LunarDate::new(27, 12, 2025)));
        assert_eq!(solar_to_lunar(date("2026-02-16")), Some(LunarDate::new(29, 12, 2025)));
        assert_eq!(lunar_to_solar(LunarDate::new(30, 12, 2025)), None);
        assert_eq!(solar_to_lunar(date("2026-02-22")), Some(LunarDate::new(6, 1, 2026)));
    }

    #[test]
    fn impossible_lunar_dates_are_none() {
        assert_eq!(lunar_to_solar(LunarDate::new(0, 1, 2026)), None);
        assert_eq!(lunar_to_solar(LunarDate::new(31, 1, 2026)), None);
        assert_eq!(lunar_to_solar(LunarDate::new(1, 13, 2026)), None);
        assert_eq!(lunar_to_solar(LunarDate::new(1, 1, 1967)), None);
        assert_eq!(solar_to_lunar(date("2300-01-01")), None);
    }

    #[test]
    fn solar_to_lunar_and_back_is_the_identity_2015_to_2040() {
        let mut day = date("2015-01-01");
        let mut previous: Option<LunarDate> = None;
        while day <= date("2040-12-31") {
            let lunar = solar_to_lunar(day).unwrap();
            assert_eq!(lunar_to_solar(lunar), Some(day), "{day} -> {lunar:?}");
            // Consecutive days: the next lunar day, or day 1 of a new month.
            if let Some(p) = previous {
                assert!(lunar.day == p.day + 1 || (lunar.day == 1 && (29..=30).contains(&p.day)), "{day}");
            }
            previous = Some(lunar);
            day = day + Days::new(1);
        }
    }

    // --- rules ------------------------------------------------------------------------------

    fn rule_dates(year: i32) -> Vec<(String, Holiday, bool)> {
        rule_days_off(year).into_iter().map(|d| (d.date.to_string(), d.holiday, d.compensatory)).collect()
    }

    #[test]
    fn rules_for_2026() {
        use Holiday::*;
        let expected = [
            ("2026-01-01", NewYear, false),
            ("2026-02-16", Tet, false), // 29 Chạp, the last day of Ất Tỵ
            ("2026-02-17", Tet, false),
            ("2026-02-18", Tet, false),
            ("2026-02-19", Tet, false),
            ("2026-02-20", Tet, false),
            ("2026-04-26", HungKings, false), // a Sunday…
            ("2026-04-27", HungKings, true),  // …observed on Monday
            ("2026-04-30", ReunificationDay, false),
            ("2026-05-01", LabourDay, false),
            ("2026-09-01", NationalDay, false), // 2/9 is a Wednesday: 1/9 joins it
            ("2026-09-02", NationalDay, false),
        ];
        let expected: Vec<_> = expected.iter().map(|&(d, h, c)| (d.to_string(), h, c)).collect();
        assert_eq!(rule_dates(2026), expected);
    }

    #[test]
    fn weekend_holidays_give_compensatory_days_on_the_next_working_days() {
        use Holiday::*;
        // Tết 2027 is Saturday 6/2: the span 5–9/2 has Saturday and Sunday in it, so Wednesday
        // 10/2 and Thursday 11/2 are compensatory days.
        let tet: Vec<_> = rule_dates(2027).into_iter().filter(|d| d.1 == Tet).collect();
        let expected: Vec<_> = [
            ("2027-02-05", false),
            ("2027-02-06", false),
            ("2027-02-07", false),
            ("2027-02-08", false),
            ("2027-02-09", false),
            ("2027-02-10", true),
            ("2027-02-11", true),
        ]
        .iter()
        .map(|&(d, c)| (d.to_string(), Tet, c))
        .collect();
        assert_eq!(tet, expected);
        // 1/5/2027 is a Saturday: Monday 3/5.
        assert!(rule_dates(2027).contains(&("2027-05-03".to_string(), LabourDay, true)));
        // 2023: 1/1 was a Sunday, observed Monday 2/1; 2/9 a Saturday with 1/9 (Friday) beside
        // it, observed Monday 4/9.
        assert!(rule_dates(2023).contains(&("2023-01-02".to_string(), NewYear, true)));
        let national_2023: Vec<_> = rule_dates(2023).into_iter().filter(|d| d.1 == NationalDay).collect();
        assert_eq!(
            national_2023,
            vec![
                ("2023-09-01".to_string(), NationalDay, false),
                ("2023-09-02".to_string(), NationalDay, false),
                ("2023-09-04".to_string(), NationalDay, true),
            ]
        );
        // Weekday holidays give none.
        assert!(rule_days_off(2026).iter().filter(|d| d.compensatory).all(|d| d.holiday == HungKings));
    }

    #[test]
    fn the_national_day_adjacent_day_joins_the_nearer_weekend() {
        // Years whose 2/9 falls on each weekday, with the adjacent day the decisions chose
        // (2021–2026) or the rule gives.
        for (year, adjacent) in [
            (2021, "2021-09-03"), // Thursday
            (2022, "2022-09-01"), // Friday
            (2023, "2023-09-01"), // Saturday
            (2024, "2024-09-03"), // Monday
            (2025, "2025-09-01"), // Tuesday
            (2026, "2026-09-01"), // Wednesday
            (2029, "2029-09-03"), // Sunday
        ] {
            let days: Vec<_> = rule_days_off(year)
                .into_iter()
                .filter(|d| d.holiday == Holiday::NationalDay && !d.compensatory)
                .map(|d| d.date)
                .collect();
            assert!(days.contains(&date(adjacent)), "{year}: {days:?}");
        }
    }

    #[test]
    fn every_rule_year_has_eleven_statutory_days() {
        for year in 2000..=2100 {
            let statutory = rule_days_off(year).iter().filter(|d| !d.compensatory).count();
            assert_eq!(statutory, 11, "{year}");
            for d in rule_days_off(year).iter().filter(|d| d.compensatory) {
                assert!(!is_weekend(d.date), "{year}: {d:?}");
            }
        }
    }

    // --- data -------------------------------------------------------------------------------

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

    // --- working-day arithmetic -------------------------------------------------------------

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
    }

    // --- due dates --------------------------------------------------------------------------

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

    // --- properties -------------------------------------------------------------------------

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

        #[test]
        fn next_working_day_is_the_first_working_day_on_or_after(day in 0u64..1_300) {
            let d = date("2024-12-01") + Days::new(day);
            let next = shipped().next_working_day(d);
            prop_assert!(shipped().is_working_day(next));
            prop_assert!(d.iter_days().take_while(|&x| x < next).all(|x| !shipped().is_working_day(x)));
        }

        #[test]
        fn lunar_round_trip(day in 0u64..60_000) {
            let d = date("1968-03-01") + Days::new(day);
            let lunar = solar_to_lunar(d).unwrap();
            prop_assert_eq!(lunar_to_solar(lunar), Some(d));
        }
    }
}
