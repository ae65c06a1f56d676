//! What a product page may say about a product: in stock, on backorder with an
//! honest ship window, or not orderable. These are wire and storage types: the
//! edge stores them in KV and serves them, the widget renders them, so their
//! JSON form is a versioned contract (add fields with defaults, never rename).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::ids::Sku;

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

/// Whether a product can be ordered now, and when it will ship if not at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Availability {
    /// On the shelf: the widget leaves the merchant's own wording alone.
    InStock,
    /// Can be ordered now and ships later, within `window`.
    Backorder {
        window: ShipWindow,
        /// A short, honest why, in the merchant's words ("new stock is on a
        /// ship from our supplier"). Optional.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Cannot be ordered at all, not even on backorder.
    Unavailable,
}

/// The longest reason we store and show; a product page is not the place for
/// an essay, and it bounds what one request can write.
pub const MAX_REASON_CHARS: usize = 280;

impl Availability {
    /// Checks what serde's types cannot say: the reason's length and content.
    pub fn validate(&self) -> Result<(), String> {
        if let Availability::Backorder {
            reason: Some(reason),
            ..
        } = self
        {
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(format!(
                    "reason must be at most {MAX_REASON_CHARS} characters"
                ));
            }
            if reason.chars().any(char::is_control) {
                return Err("reason must not hold control characters".to_owned());
            }
        }
        Ok(())
    }
}

/// One product's availability as the edge serves it to the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductAvailability {
    pub sku: Sku,
    pub availability: Availability,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("test dates are valid")
    }

    #[test]
    fn backorder_round_trips_through_json() {
        let product = ProductAvailability {
            sku: Sku::parse("TENT-2P").expect("valid"),
            availability: Availability::Backorder {
                window: ShipWindow::new(date("2027-03-12"), date("2027-03-26")).expect("ordered"),
                reason: Some("New stock is at sea".to_owned()),
            },
        };
        let json = serde_json::to_string(&product).expect("serialises");
        assert_eq!(
            json,
            r#"{"sku":"TENT-2P","availability":{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"},"reason":"New stock is at sea"}}"#
        );
        assert_eq!(
            serde_json::from_str::<ProductAvailability>(&json).expect("parses"),
            product
        );
    }

    #[test]
    fn reversed_window_is_rejected_with_both_dates() {
        let err = serde_json::from_str::<Availability>(
            r#"{"status":"backorder","window":{"earliest":"2027-03-26","latest":"2027-03-12"}}"#,
        )
        .expect_err("reversed");
        assert!(
            err.to_string()
                .contains("latest (2027-03-12) is before earliest (2027-03-26)"),
            "{err}"
        );
    }

    #[test]
    fn unknown_status_and_fields_are_rejected() {
        assert!(serde_json::from_str::<Availability>(r#"{"status":"sold_out"}"#).is_err());
        let typo = r#"{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"},"reasn":"x"}"#;
        assert!(
            serde_json::from_str::<Availability>(typo).is_err(),
            "a misspelt field is an error"
        );
        assert!(serde_json::from_str::<Availability>(r#"{"status":"backorder"}"#).is_err());
    }

    #[test]
    fn reason_is_bounded() {
        let window = ShipWindow::new(date("2027-03-12"), date("2027-03-12")).expect("one day");
        assert_eq!(window.days(), 1);
        let long = Availability::Backorder {
            window,
            reason: Some("x".repeat(281)),
        };
        assert!(long.validate().is_err());
        let control = Availability::Backorder {
            window,
            reason: Some("a\u{0}b".to_owned()),
        };
        assert!(control.validate().is_err());
        let fine = Availability::Backorder {
            window,
            reason: Some("x".repeat(280)),
        };
        assert_eq!(fine.validate(), Ok(()));
    }
}
