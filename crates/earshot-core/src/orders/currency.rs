//! Currencies and amounts: the ISO 4217 codes in use with their minor-unit exponents, and
//! exact decimal parsing and formatting of amounts in minor units (cents, yen, fils).
//!
//! Amounts never pass through a float: `199.90` is read digit by digit into `19990`, and
//! `19.999` dollars is refused rather than rounded.

use thiserror::Error;

/// ISO 4217 list one (currencies and funds in use), with the number of digits after the
/// decimal point of each. Codes without minor units in the standard's sense (precious
/// metals, SDR, the testing codes) are not here: nobody sells for them. Sorted by code.
static CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// Longest run of digits read (more is certainly an overflow of `i64`, or nonsense).
const MAX_DIGITS: usize = 40;

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// A leading `-`: refunds are a status, not a negative total.
    #[error("amount is negative")]
    Negative,
    /// The currency is not an ISO 4217 code this table knows.
    #[error("currency `{0}` is not an ISO 4217 code")]
    UnknownCurrency(String),
    /// Not a plain decimal in the currency: the reason, for people.
    #[error("{0}")]
    Malformed(String),
}

/// The number of digits after the decimal point in `code` (`USD` 2, `JPY` 0, `KWD` 3), or
/// `None` when it is not exactly three upper-case letters of a known currency. Callers
/// upper-case first.
pub fn exponent(code: &str) -> Option<u32> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| CURRENCIES[i].1)
}

/// Whether `code` (upper case) is a currency [`exponent`] knows.
pub fn is_known(code: &str) -> bool {
    exponent(code).is_some()
}

/// Every known code, in order (for help texts and tests).
pub fn codes() -> impl Iterator<Item = &'static str> {
    CURRENCIES.iter().map(|(c, _)| *c)
}

/// Reads `text` (`199`, `199.9`, `199.90`, `0.5`, surrounding spaces allowed) as an amount in
/// minor units of `currency`: `199.9` USD is `19990`. Exact: more fractional digits than the
/// currency has are refused unless they are zeros (`19.990` USD is `1999`, `19.999` is an
/// error). Thousands separators, decimal commas, signs, exponent notation (`1e3`) and values
/// beyond `i64` are [`AmountError::Malformed`]; a leading `-` is [`AmountError::Negative`].
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, AmountError> {
    let exp = exponent(currency).ok_or_else(|| AmountError::UnknownCurrency(currency.into()))?;
    let s = text.trim();
    if s.is_empty() {
        return Err(AmountError::Malformed("the amount is empty".into()));
    }
    if s.starts_with('-') {
        return Err(AmountError::Negative);
    }
    if s.starts_with('+') {
        return Err(malformed("a sign is not allowed; write the plain number"));
    }
    if s.contains(['e', 'E']) {
        return Err(malformed(
            "exponent notation is not allowed; write the plain decimal (1500.00)",
        ));
    }
    if s.contains(',') {
        return Err(malformed(
            if s.contains('.') || s.matches(',').count() > 1 {
                "thousands separators are not allowed (write 1234.50)"
            } else {
                "the decimal separator is a point (write 19.99), and thousands separators are not allowed"
            },
        ));
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() {
        return Err(malformed(
            "digits are needed before the decimal point (0.50)",
        ));
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(if int.contains([' ', '\'', '_', '\u{a0}']) {
            "thousands separators are not allowed (write 1234.50)"
        } else {
            "only digits and one decimal point are allowed"
        }));
    }
    if int.len() > MAX_DIGITS {
        return Err(malformed("the amount is too large"));
    }
    let frac = match frac {
        None => "",
        Some("") => return Err(malformed("digits are needed after the decimal point")),
        Some(f) if !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(malformed("only digits and one decimal point are allowed"))
        }
        Some(f) => f,
    };
    let exp = exp as usize;
    let (kept, rest) = frac.split_at(frac.len().min(exp));
    if rest.bytes().any(|b| b != b'0') {
        return Err(AmountError::Malformed(match exp {
            0 => format!("{currency} has no minor unit: no fractional part is allowed"),
            1 => format!("{currency} has 1 digit after the decimal point"),
            n => format!("{currency} has {n} digits after the decimal point"),
        }));
    }
    let too_large = || malformed("the amount is too large");
    let mut minor: i64 = 0;
    let digits = int
        .bytes()
        .chain(kept.bytes())
        .chain(std::iter::repeat_n(b'0', exp - kept.len()));
    for b in digits {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(too_large)?;
    }
    if minor > MAX_MINOR {
        return Err(too_large());
    }
    Ok(minor)
}

/// The largest amount taken, in minor units (10¹⁵: ten trillion dollars): sums of a
/// customer's orders stay far inside 64 bits on both databases.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

fn malformed(reason: &str) -> AmountError {
    AmountError::Malformed(reason.into())
}

/// `minor` as a person reads it in `currency`: `19990` USD is `199.90`, `1500` JPY is `1500`,
/// `1234` KWD is `1.234`; negative amounts get a `-`. An unknown currency is written with
/// two decimals.
pub fn format_minor(minor: i64, currency: &str) -> String {
    let exp = exponent(currency).unwrap_or(2) as usize;
    let sign = if minor < 0 { "-" } else { "" };
    let digits = minor.unsigned_abs().to_string();
    if exp == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = exp + 1);
    let (int, frac) = padded.split_at(padded.len() - exp);
    format!("{sign}{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_well_formed() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CURRENCIES.len() > 140, "{}", CURRENCIES.len());
        for (code, exp) in CURRENCIES {
            assert_eq!(exponent(code), Some(*exp), "{code}");
            assert!(*exp <= 4);
        }
    }

    #[test]
    fn exponents_follow_iso_4217() {
        for (code, exp) in [
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("CLP", 0),
            ("ISK", 0),
            ("VND", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("OMR", 3),
            ("JOD", 3),
            ("TND", 3),
            ("LYD", 3),
            ("IQD", 3),
            ("CLF", 4),
        ] {
            assert_eq!(exponent(code), Some(exp), "{code}");
        }
        for bad in ["usd", "US", "USDX", "XYZ", "XAU", "", "ÜSD"] {
            assert_eq!(exponent(bad), None, "{bad}");
        }
        assert!(is_known("CHF") && !is_known("chf"));
        assert_eq!(codes().count(), CURRENCIES.len());
    }

    #[test]
    fn amounts_are_read_exactly() {
        assert_eq!(parse_amount("199", "USD"), Ok(19900));
        assert_eq!(parse_amount("199.9", "USD"), Ok(19990));
        assert_eq!(parse_amount("199.90", "USD"), Ok(19990));
        assert_eq!(parse_amount("0.5", "USD"), Ok(50));
        assert_eq!(parse_amount("  12.34 ", "EUR"), Ok(1234));
        assert_eq!(parse_amount("19.990", "USD"), Ok(1999));
        assert_eq!(parse_amount("007.10", "USD"), Ok(710));
        assert_eq!(parse_amount("1500", "JPY"), Ok(1500));
        assert_eq!(parse_amount("1500.00", "JPY"), Ok(1500));
        assert_eq!(parse_amount("1.234", "KWD"), Ok(1234));
        assert_eq!(parse_amount("0", "USD"), Ok(0));
        // 0.1 + 0.2 would not survive a float; here it is just digits.
        assert_eq!(parse_amount("0.30", "USD"), Ok(30));
        // Up to ten trillion dollars; more could overflow a customer's sum of orders.
        assert_eq!(parse_amount("10000000000000.00", "USD"), Ok(MAX_MINOR));
        assert_eq!(
            parse_amount("10000000000000.01", "USD"),
            Err(AmountError::Malformed("the amount is too large".into()))
        );
    }

    #[test]
    fn bad_amounts_are_refused() {
        assert_eq!(parse_amount("-5", "USD"), Err(AmountError::Negative));
        assert_eq!(parse_amount(" -0.01", "USD"), Err(AmountError::Negative));
        assert_eq!(
            parse_amount("5", "XYZ"),
            Err(AmountError::UnknownCurrency("XYZ".into()))
        );
        for bad in [
            "",
            "  ",
            "19.999",
            "1,999.00",
            "19,99",
            "1 999",
            "1e3",
            "1E3",
            "12.",
            ".5",
            "+5",
            "abc",
            "1.2.3",
            "$5",
            "5$",
            "١٢",
            "92233720368547758.08",
            "99999999999999999999999999999999999999999999",
        ] {
            assert!(
                matches!(parse_amount(bad, "USD"), Err(AmountError::Malformed(_))),
                "{bad:?}: {:?}",
                parse_amount(bad, "USD")
            );
        }
        assert!(matches!(
            parse_amount("1500.5", "JPY"),
            Err(AmountError::Malformed(_))
        ));
        assert!(matches!(
            parse_amount("1.2345", "KWD"),
            Err(AmountError::Malformed(_))
        ));
        let AmountError::Malformed(reason) = parse_amount("19.999", "USD").unwrap_err() else {
            unreachable!()
        };
        assert!(reason.contains("USD has 2 digits"), "{reason}");
    }

    #[test]
    fn amounts_are_formatted_per_currency() {
        assert_eq!(format_minor(19990, "USD"), "199.90");
        assert_eq!(format_minor(5, "USD"), "0.05");
        assert_eq!(format_minor(0, "EUR"), "0.00");
        assert_eq!(format_minor(1500, "JPY"), "1500");
        assert_eq!(format_minor(1234, "KWD"), "1.234");
        assert_eq!(format_minor(7, "KWD"), "0.007");
        assert_eq!(format_minor(-250, "USD"), "-2.50");
        assert_eq!(format_minor(-3, "JPY"), "-3");
        assert_eq!(format_minor(i64::MIN, "USD"), "-92233720368547758.08");
        assert_eq!(format_minor(12345, "CLF"), "1.2345");
        for (minor, cur) in [(19990, "USD"), (1500, "JPY"), (1234, "KWD"), (1, "CLF")] {
            assert_eq!(parse_amount(&format_minor(minor, cur), cur), Ok(minor));
        }
    }
}
