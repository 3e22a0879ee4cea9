//! Numbers for people and spreadsheets: floats without binary noise.
//!
//! A figure computed in binary floating point is rarely the decimal it
//! stands for: `0.151 × 3` is `0.45299999999999996`. JSON and JSON Lines
//! keep every bit (they round-trip exactly, which `merge` relies on); the
//! CSV files (sweep and merge `--csv`, `run --metrics`, the CloudWatch CSV)
//! write [`clean`] numbers instead: **rounded to 12 significant digits**,
//! then written in the shortest form that reads back as that value. Twelve
//! digits keep far more than any figure here means (a latency to the
//! femtosecond, a cost to the micro-cent) and drop the last three or four,
//! where the noise of a few floating-point operations lives.
//!
//! The same value always gives the same text, so a sweep merged from
//! shards is still byte-identical to the whole run.

/// Significant decimal digits a [`clean`] number keeps.
pub const SIGNIFICANT_DIGITS: usize = 12;

/// `x` rounded to [`SIGNIFICANT_DIGITS`] significant decimal digits: the
/// double nearest to that decimal, whose shortest representation (Rust's
/// `{}`, or JSON's) has at most 12 digits. Integers below 10¹² stay as
/// they are; NaN and infinities are returned unchanged.
///
/// ```
/// assert_eq!(0.1 + 0.2, 0.30000000000000004);
/// assert_eq!(mmesim::fmt::clean(0.1 + 0.2), 0.3);
/// assert_eq!(mmesim::fmt::clean(0.151 * 3.0).to_string(), "0.453");
/// ```
pub fn clean(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // Rust formats floats exactly (correctly rounded), and parsing is
    // correctly rounded too: this is decimal rounding, not a scaled
    // multiplication with its own error.
    format!("{x:.*e}", SIGNIFICANT_DIGITS - 1).parse().unwrap_or(x)
}

/// A [`clean`] number for a CSV field, written as JSON writes numbers
/// (`1.0`, `0.453`, `1e-7`): what a sweep's CSV holds.
pub fn csv_json_style(x: f64) -> String {
    match serde_json::Number::from_f64(clean(x)) {
        Some(n) => n.to_string(),
        // JSON has no NaN or infinity; its writer would say null.
        None => "null".to_string(),
    }
}

/// Displays its number [`clean`]ed, as Rust's `{}` writes it (`1`,
/// `0.453`, `0.0000001`): what the per-minute metrics CSVs hold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clean(pub f64);

impl std::fmt::Display for Clean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", clean(self.0))
    }
}

/// `x` rounded to a whole number, with a comma every three digits, as the
/// tables and the docs' prose write counts and sizes (`15,109`, `-3,689`).
///
/// ```
/// assert_eq!(mmesim::fmt::thousands(3689.0), "3,689");
/// assert_eq!(mmesim::fmt::thousands(15108.6), "15,109");
/// assert_eq!(mmesim::fmt::thousands(-1234567.0), "-1,234,567");
/// ```
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if x < 0.0 && digits != "0" {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates_by_three() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(-0.2), "0");
    }

    #[test]
    fn noisy_sums_come_out_as_the_decimal_they_stand_for() {
        assert_eq!((0.1f64 + 0.2).to_string(), "0.30000000000000004");
        assert_eq!(Clean(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(csv_json_style(0.1 + 0.2), "0.3");
        // The sweep CSV's cost column of guide §11.5: 3 × 0.151 USD.
        assert_eq!((3.0 * 0.151f64).to_string(), "0.45299999999999996");
        assert_eq!(csv_json_style(3.0 * 0.151), "0.453");
        assert_eq!(Clean(1.0 - 0.9).to_string(), "0.1");
        assert_eq!(Clean(-(0.7 + 0.1)).to_string(), "-0.8");
    }

    #[test]
    fn twelve_significant_digits_are_kept_and_no_more() {
        assert_eq!(Clean(0.9738820367487593).to_string(), "0.973882036749");
        assert_eq!(csv_json_style(27.237106321428566), "27.2371063214");
        assert_eq!(Clean(5138.022399).to_string(), "5138.022399");
        assert_eq!(Clean(123456789012345.0).to_string(), "123456789012000");
        assert_eq!(csv_json_style(1.234e-9 / 3.0), "4.11333333333e-10");
    }

    #[test]
    fn integers_and_specials_stay_as_they_are() {
        assert_eq!(Clean(1036.0).to_string(), "1036");
        assert_eq!(csv_json_style(1.0), "1.0");
        assert_eq!(csv_json_style(0.0), "0.0");
        assert_eq!(Clean(-0.0).to_string(), "-0");
        assert_eq!(clean(999_999_999_999.0), 999_999_999_999.0);
        assert!(clean(f64::NAN).is_nan());
        assert_eq!(clean(f64::INFINITY), f64::INFINITY);
        assert_eq!(csv_json_style(f64::NAN), "null");
        assert_eq!(clean(f64::MAX), 1.79769313486e308);
        assert_eq!(clean(f64::MIN_POSITIVE), 2.22507385851e-308);
    }

    #[test]
    fn cleaning_is_idempotent_and_never_moves_a_value_by_more_than_its_12th_digit() {
        let mut x = 0.7f64;
        for _ in 0..10_000 {
            x = (x * 3.7 + 0.13) % 1000.0 + 1e-6;
            let c = clean(x);
            assert_eq!(clean(c), c);
            assert!((c - x).abs() <= x.abs() * 5e-12, "{x} → {c}");
            assert!(c.to_string().trim_start_matches("0.").trim_start_matches('0').replace('.', "").len() <= 12);
        }
    }
}
