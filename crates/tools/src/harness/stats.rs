//! Medians and number formatting for the reports.

/// The median (the mean of the two middle values for an even count); NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// The median of `f` over `runs`.
pub fn median_of<T>(runs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(&mut runs.iter().map(f).collect::<Vec<_>>())
}

/// 1234567 → "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut [7.0]), 7.0);
        assert!(median(&mut []).is_nan());
        assert_eq!(median_of(&[(1, 5.0), (2, 1.0), (3, 3.0)], |r| r.1), 3.0);
        assert!(median_of(&[] as &[f64], |x| *x).is_nan());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(960), "960");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_000_960), "1,000,960");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }
}
