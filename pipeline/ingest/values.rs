//! The ranges a value must lie in before it reaches the lake. Compute works
//! on periods between the first and the last date it sees, and on sums of
//! amounts, so one date in year 1000 or 9000, or one amount beyond the
//! lake's decimal type, would stall or break the quarter for everyone: such
//! records go to quarantine here instead.

use super::rules;
use super::source::Fault;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Message dates (allocations, care, declarations, surveys) lie in this span.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).expect("a valid date");
/// How many systems write "no end date".
pub const OPEN_END: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
/// Birth dates may lie before 2000, but not before anyone alive was born.
pub const FIRST_BIRTH_DATE: NaiveDate = NaiveDate::from_ymd_opt(1880, 1, 1).expect("a valid date");

/// iWmo amounts in cents: € 999.999.999,99 is far beyond any Wmo amount.
pub const MAX_CENTS: i64 = 99_999_999_999;
/// iWmo volumes (units, hours, minutes) are at most eight digits.
pub const MAX_VOLUME: i64 = 99_999_999;
/// Amounts in reference files: what `decimal(18,2)` holds.
pub const MAX_EURO: Decimal = Decimal::from_parts(0xA763_FFFF, 0x0DE0_B6B3, 0, false, 2);

/// A message date inside [`FIRST_DATE`, `LAST_DATE`].
pub fn message_date(date: NaiveDate, what: &str) -> Result<NaiveDate, Fault> {
    if (FIRST_DATE..=LAST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(Fault::new(&rules::DATE_RANGE, format!("{what} {date} lies outside {FIRST_DATE} to {LAST_DATE}")))
    }
}

/// An end date: 9999-12-31 means open-ended; any other must be a message date.
pub fn end_date(date: NaiveDate, what: &str) -> Result<Option<NaiveDate>, Fault> {
    if date == OPEN_END { Ok(None) } else { message_date(date, what).map(Some) }
}

/// A birth date; the message never repeats it.
pub fn birth_date(date: NaiveDate, what: &str) -> Result<NaiveDate, Fault> {
    if (FIRST_BIRTH_DATE..=LAST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(Fault::new(&rules::DATE_RANGE, format!("{what} lies outside {FIRST_BIRTH_DATE} to {LAST_DATE}")))
    }
}

/// A whole number that must lie in `0..=max` (amounts in cents, volumes).
pub fn bounded(value: i64, max: i64, what: &str) -> Result<i64, Fault> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else if value < 0 {
        Err(Fault::new(&rules::NUMBER_RANGE, format!("{what} {value} may not be negative")))
    } else {
        Err(Fault::new(&rules::NUMBER_RANGE, format!("{what} {value} is larger than {max}")))
    }
}

/// A euro amount of a reference file that fits `decimal(18,2)`.
pub fn euro(value: Decimal, what: &str) -> Result<Decimal, Fault> {
    if value.abs() <= MAX_EURO {
        Ok(value)
    } else {
        Err(Fault::new(&rules::NUMBER_RANGE, format!("{what} {value} is beyond what the lake holds ({MAX_EURO})")))
    }
}

/// A year in the span of message dates.
pub fn year(value: i64, what: &str) -> Result<i64, Fault> {
    let span = i64::from(chrono::Datelike::year(&FIRST_DATE))..=i64::from(chrono::Datelike::year(&LAST_DATE));
    if span.contains(&value) {
        Ok(value)
    } else {
        Err(Fault::new(&rules::DATE_RANGE, format!("{what} {value} lies outside {} to {}", span.start(), span.end())))
    }
}
