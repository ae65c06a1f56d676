//! An instant in UTC, as whole seconds since the Unix epoch. The core never
//! reads a clock: callers pass `now` in as one of these.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;

const SECONDS_PER_DAY: i64 = 86_400;

/// A moment in time, to the second, in UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Timestamp {
    pub const fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Midnight UTC at the start of `date`.
    pub fn start_of(date: Date) -> Timestamp {
        Timestamp(date.days_since_epoch() * SECONDS_PER_DAY)
    }

    /// The calendar day (UTC) this instant falls on.
    /// Instants beyond the years 1–9999 give the first or last day.
    pub fn date(self) -> Date {
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        Date::from_days_since_epoch(days).unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
    }

    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(SECONDS_PER_DAY)))
    }

    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds_of_day = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{}T{:02}:{:02}Z",
            self.date(),
            seconds_of_day / 3600,
            (seconds_of_day % 3600) / 60
        )
    }
}
