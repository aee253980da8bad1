//! Âm lịch — the Vietnamese lunisolar calendar, computed from the true new moons and the Sun's
//! longitude for the UTC+7 meridian (layer 1, astronomy).

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::testing::date;
    use chrono::Days;
    use proptest::prelude::*;

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

    proptest! {
        #[test]
        fn lunar_round_trip(day in 0u64..60_000) {
            let d = date("1968-03-01") + Days::new(day);
            let lunar = solar_to_lunar(d).unwrap();
            prop_assert_eq!(lunar_to_solar(lunar), Some(d));
        }
    }
}
