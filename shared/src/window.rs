//! A ship window: the days between which a backordered item is expected to
//! ship. Both the estimator and what a product page says are made of it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// The days between which a backordered item is expected to ship, both
/// included. It is a range on purpose: we never promise a false exact date.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawShipWindow")]
pub struct ShipWindow {
    earliest: Date,
    latest: Date,
}

impl fmt::Debug for ShipWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.earliest, self.latest)
    }
}

/// Why two dates do not make a ship window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShipWindowError {
    /// The latest day comes before the earliest.
    Reversed { earliest: Date, latest: Date },
}

impl fmt::Display for ShipWindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShipWindowError::Reversed { earliest, latest } => {
                write!(f, "latest ({latest}) is before earliest ({earliest})")
            }
        }
    }
}

impl std::error::Error for ShipWindowError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShipWindow {
    earliest: Date,
    latest: Date,
}

impl TryFrom<RawShipWindow> for ShipWindow {
    type Error = ShipWindowError;

    fn try_from(raw: RawShipWindow) -> Result<ShipWindow, ShipWindowError> {
        ShipWindow::new(raw.earliest, raw.latest)
    }
}

impl ShipWindow {
    pub fn new(earliest: Date, latest: Date) -> Result<ShipWindow, ShipWindowError> {
        if latest < earliest {
            return Err(ShipWindowError::Reversed { earliest, latest });
        }
        Ok(ShipWindow { earliest, latest })
    }

    pub fn earliest(&self) -> Date {
        self.earliest
    }

    pub fn latest(&self) -> Date {
        self.latest
    }

    /// How many days the window spans, counting both ends.
    pub fn days(&self) -> i64 {
        self.earliest.days_until(self.latest) + 1
    }

    pub fn contains(&self, day: Date) -> bool {
        self.earliest <= day && day <= self.latest
    }
}
