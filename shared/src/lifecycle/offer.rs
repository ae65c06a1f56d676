//! Offers: what a customer is offered when an order slips, what they chose,
//! and how an offer ended.

use serde::{Deserialize, Serialize};

use crate::ids::Sku;
use crate::money::Money;
use crate::time::Timestamp;

/// What the customer picked from a delay offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "option", rename_all = "snake_case")]
pub enum Choice {
    KeepWaiting,
    SwitchItem { sku: Sku },
    ShipAvailableNow,
    StoreCredit,
    Cancel,
}

/// An offer's number within its order, counting from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OfferId(pub u32);

/// One choice an offer puts before the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "option", rename_all = "snake_case")]
pub enum OfferedOption {
    KeepWaiting {
        expedited: bool,
    },
    /// In-stock replacements, each for a waiting SKU: `(for, replacement)`.
    SwitchItem {
        alternatives: Vec<(Sku, Sku)>,
    },
    ShipAvailableNow {
        skus: Vec<Sku>,
    },
    StoreCredit {
        value: Money,
        bonus: Money,
    },
    Cancel {
        refund: Money,
    },
}

impl OfferedOption {
    /// Whether picking `choice` takes this option.
    pub fn matches(&self, choice: &Choice) -> bool {
        match (self, choice) {
            (OfferedOption::KeepWaiting { .. }, Choice::KeepWaiting)
            | (OfferedOption::ShipAvailableNow { .. }, Choice::ShipAvailableNow)
            | (OfferedOption::StoreCredit { .. }, Choice::StoreCredit)
            | (OfferedOption::Cancel { .. }, Choice::Cancel) => true,
            (OfferedOption::SwitchItem { alternatives }, Choice::SwitchItem { sku }) => {
                alternatives
                    .iter()
                    .any(|(_, replacement)| replacement == sku)
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OfferOutcome {
    Chosen {
        choice: Choice,
        at: Timestamp,
    },
    /// Nobody answered in time.
    Expired {
        at: Timestamp,
    },
    /// A newer offer took its place.
    Superseded {
        at: Timestamp,
    },
    /// The order no longer waits (stock came, it shipped or was cancelled).
    Withdrawn {
        at: Timestamp,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub id: OfferId,
    pub opened_at: Timestamp,
    pub expires_at: Timestamp,
    pub options: Vec<OfferedOption>,
    pub outcome: Option<OfferOutcome>,
}

impl Offer {
    /// Open for a choice at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.outcome.is_none() && now < self.expires_at
    }
}

/// The five kinds of option an offer may hold; each one's wire code is the
/// `option` tag of both [`OfferedOption`] and [`Choice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionKind {
    KeepWaiting,
    SwitchItem,
    ShipAvailableNow,
    StoreCredit,
    Cancel,
}

impl OptionKind {
    pub const ALL: [OptionKind; 5] = [
        OptionKind::KeepWaiting,
        OptionKind::SwitchItem,
        OptionKind::ShipAvailableNow,
        OptionKind::StoreCredit,
        OptionKind::Cancel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OptionKind::KeepWaiting => "keep_waiting",
            OptionKind::SwitchItem => "switch_item",
            OptionKind::ShipAvailableNow => "ship_available_now",
            OptionKind::StoreCredit => "store_credit",
            OptionKind::Cancel => "cancel",
        }
    }

    pub fn from_code(code: &str) -> Option<OptionKind> {
        // A match rather than a search of `ALL`: the widget decodes with it,
        // and a match costs it fewer bytes. The tests check both agree.
        Some(match code {
            "keep_waiting" => OptionKind::KeepWaiting,
            "switch_item" => OptionKind::SwitchItem,
            "ship_available_now" => OptionKind::ShipAvailableNow,
            "store_credit" => OptionKind::StoreCredit,
            "cancel" => OptionKind::Cancel,
            _ => return None,
        })
    }
}

impl Choice {
    pub fn kind(&self) -> OptionKind {
        match self {
            Choice::KeepWaiting => OptionKind::KeepWaiting,
            Choice::SwitchItem { .. } => OptionKind::SwitchItem,
            Choice::ShipAvailableNow => OptionKind::ShipAvailableNow,
            Choice::StoreCredit => OptionKind::StoreCredit,
            Choice::Cancel => OptionKind::Cancel,
        }
    }
}

impl OfferedOption {
    pub fn kind(&self) -> OptionKind {
        match self {
            OfferedOption::KeepWaiting { .. } => OptionKind::KeepWaiting,
            OfferedOption::SwitchItem { .. } => OptionKind::SwitchItem,
            OfferedOption::ShipAvailableNow { .. } => OptionKind::ShipAvailableNow,
            OfferedOption::StoreCredit { .. } => OptionKind::StoreCredit,
            OfferedOption::Cancel { .. } => OptionKind::Cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind's code is the `option` tag both a choice and an offered
    /// option carry, so a choice of each kind matches its option.
    #[test]
    fn option_codes_agree_with_serde_for_choices_and_options() {
        let sku = Sku::parse("TENT").expect("a SKU");
        let money = Money::new(crate::Currency::parse("USD").expect("USD"), 100);
        let pairs = [
            (
                Choice::KeepWaiting,
                OfferedOption::KeepWaiting { expedited: true },
            ),
            (
                Choice::SwitchItem { sku: sku.clone() },
                OfferedOption::SwitchItem {
                    alternatives: vec![(Sku::parse("OLD").expect("a SKU"), sku.clone())],
                },
            ),
            (
                Choice::ShipAvailableNow,
                OfferedOption::ShipAvailableNow { skus: vec![sku] },
            ),
            (
                Choice::StoreCredit,
                OfferedOption::StoreCredit {
                    value: money,
                    bonus: money,
                },
            ),
            (Choice::Cancel, OfferedOption::Cancel { refund: money }),
        ];
        for (kind, (choice, option)) in OptionKind::ALL.into_iter().zip(pairs) {
            assert_eq!((choice.kind(), option.kind()), (kind, kind));
            let tags = [
                serde_json::to_value(&choice).expect("serialises")["option"].clone(),
                serde_json::to_value(&option).expect("serialises")["option"].clone(),
                serde_json::to_value(kind).expect("serialises"),
            ];
            assert!(tags.iter().all(|tag| *tag == kind.code()), "{tags:?}");
            assert_eq!(OptionKind::from_code(kind.code()), Some(kind));
            assert!(option.matches(&choice));
        }
    }
}
