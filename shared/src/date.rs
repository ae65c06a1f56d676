//! A calendar date without a time zone, written `YYYY-MM-DD` on the wire.
//!
//! Ship windows are whole days in the shop's calendar, so a date here never
//! carries a time or a zone; turning it into words is the widget's job (Intl).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid proleptic Gregorian calendar date between the years 1 and 9999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text or a triple of numbers is not a calendar date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    Format,
    /// The numbers do not name a day that exists (e.g. 2026-02-30).
    OutOfRange,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Format => f.write_str("a date must be written YYYY-MM-DD"),
            DateError::OutOfRange => f.write_str("no such day in the calendar"),
        }
    }
}

impl std::error::Error for DateError {}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The date with this year, month (1–12) and day of month, if it exists.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(DateError::OutOfRange);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::OutOfRange);
        }
        Ok(Date {
            year: year as u16,
            month,
            day,
        })
    }

    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    ///
    /// This is the well-known "days from civil" conversion on a calendar whose
    /// years start in March, so that the leap day falls at the end of a year.
    pub fn days_since_epoch(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (month + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01, if it lies within the years 1–9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        let year = i32::try_from(year).ok()?;
        Date::from_ymd(year, month as u8, day as u8).ok()
    }

    /// The date `days` later (or earlier, when negative), if it exists.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// Monday is 0, Sunday is 6.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }

    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    /// The day `count` working days (Monday to Friday) after this one.
    pub fn add_working_days(self, count: u32) -> Option<Date> {
        let mut day = self;
        let mut left = count;
        while left > 0 {
            day = day.add_days(1)?;
            if !day.is_weekend() {
                left -= 1;
            }
        }
        Some(day)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !well_formed {
            return Err(DateError::Format);
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            text[range].parse().map_err(|_| DateError::Format)
        };
        let month = u8::try_from(number(5..7)?).map_err(|_| DateError::OutOfRange)?;
        let day = u8::try_from(number(8..10)?).map_err(|_| DateError::OutOfRange)?;
        Date::from_ymd(i32::from(number(0..4)?), month, day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse()
            .map_err(|err| serde::de::Error::custom(format_args!("invalid date {text:?}: {err}")))
    }
}

/// A written date or range without the leading zeros some languages' range
/// patterns put on day numbers (ICU writes Italian "03–09 gennaio 2027"
/// where every other date says "3 gennaio"): a `0` that starts a number
/// and is followed by another digit goes.
pub fn unpadded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        let starts_number = !previous.is_some_and(|p| p.is_ascii_digit());
        let digit_follows = chars.peek().is_some_and(char::is_ascii_digit);
        if !(ch == '0' && starts_number && digit_follows) {
            out.push(ch);
        }
        previous = Some(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn check(text: &str, expect: Result<(i32, u8, u8), DateError>) {
        let parsed = text.parse::<Date>().map(|d| (d.year(), d.month(), d.day()));
        assert_eq!(parsed, expect, "parsing {text:?}");
    }

    #[test]
    fn parses_only_real_days() {
        check("2026-03-12", Ok((2026, 3, 12)));
        check("2024-02-29", Ok((2024, 2, 29)));
        check("2026-02-29", Err(DateError::OutOfRange));
        check("2100-02-29", Err(DateError::OutOfRange));
        check("2000-02-29", Ok((2000, 2, 29)));
        check("2026-13-01", Err(DateError::OutOfRange));
        check("2026-04-31", Err(DateError::OutOfRange));
        check("0000-01-01", Err(DateError::OutOfRange));
        check("2026-3-12", Err(DateError::Format));
        check("2026-03-12T00:00", Err(DateError::Format));
        check("+026-03-12", Err(DateError::Format));
        check("", Err(DateError::Format));
    }

    #[test]
    fn epoch_days_match_known_dates() {
        let day = |t: &str| t.parse::<Date>().map(Date::days_since_epoch);
        assert_eq!(day("1970-01-01"), Ok(0));
        assert_eq!(day("2000-03-01"), Ok(11_017));
        assert_eq!(day("1969-12-31"), Ok(-1));
    }

    #[test]
    fn weekdays_and_working_days() {
        let day = |t: &str| t.parse::<Date>().expect("valid");
        assert_eq!(day("2026-11-23").weekday(), 0, "a Monday");
        assert_eq!(day("2026-11-22").weekday(), 6, "a Sunday");
        // Friday plus one working day is Monday.
        assert_eq!(
            day("2026-11-27").add_working_days(1),
            Some(day("2026-11-30"))
        );
        assert_eq!(
            day("2026-11-23").add_working_days(7),
            Some(day("2026-12-02"))
        );
    }

    #[test]
    fn serde_uses_iso_text() {
        let date = Date::from_ymd(2026, 3, 9).expect("valid");
        assert_eq!(
            serde_json::to_string(&date).expect("serialises"),
            "\"2026-03-09\""
        );
        let err = serde_json::from_str::<Date>("\"2026-02-30\"").expect_err("rejected");
        assert!(err.to_string().contains("2026-02-30"), "{err}");
    }

    proptest! {
        #[test]
        fn epoch_days_round_trip(days in -719_162i64..2_932_896) {
            let date = Date::from_days_since_epoch(days).expect("in range");
            prop_assert_eq!(date.days_since_epoch(), days);
            prop_assert_eq!(date.to_string().parse::<Date>(), Ok(date));
        }

        #[test]
        fn adding_a_day_moves_forward(days in -719_162i64..2_932_800) {
            let date = Date::from_days_since_epoch(days).expect("in range");
            let next = date.add_days(1).expect("in range");
            prop_assert!(next > date);
            prop_assert_eq!(date.days_until(next), 1);
        }
    }

    #[test]
    fn day_numbers_lose_their_padding_and_years_keep_their_zeros() {
        assert_eq!(unpadded("03–09 gennaio 2027"), "3–9 gennaio 2027");
        assert_eq!(
            unpadded("03 gennaio – 09 febbraio 2030"),
            "3 gennaio – 9 febbraio 2030"
        );
        assert_eq!(unpadded("10–20 marzo 2030"), "10–20 marzo 2030");
        assert_eq!(unpadded("January 3 – 9, 2027"), "January 3 – 9, 2027");
    }
}
