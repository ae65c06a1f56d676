//! Why the lifecycle refused an event, and the one wire code of each reason.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::Sku;
use crate::lifecycle::offer::{Choice, OfferId};
use crate::lifecycle::order::Stage;
use crate::time::Timestamp;

/// Why an event was refused. A refused event changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// An event for an order that was never placed.
    UnknownOrder,
    AlreadyPlaced,
    InvalidOrder(String),
    /// The order has no line waiting for this SKU.
    NotWaitingFor(Sku),
    /// A delay must say what happened (`reason`) and what is done (`fix`).
    MissingExplanation(&'static str),
    MissingShipmentDetails,
    WrongStage {
        event: &'static str,
        stage: Stage,
    },
    UnknownOffer(OfferId),
    /// The offer expired, or was replaced or withdrawn.
    OfferClosed(OfferId),
    NotOffered(OfferId),
    AlreadyChose {
        offer: OfferId,
        chosen: Choice,
    },
    TimeWentBackwards {
        last: Timestamp,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::UnknownOrder => f.write_str("no such order has been placed"),
            Rejection::AlreadyPlaced => f.write_str("this order was placed already"),
            Rejection::InvalidOrder(why) => write!(f, "invalid order: {why}"),
            Rejection::NotWaitingFor(sku) => write!(f, "the order has no line waiting for {sku}"),
            Rejection::MissingExplanation(field) => {
                write!(
                    f,
                    "a delay needs a {field} (1 to {} characters, without control, bidi control or other invisible characters)",
                    crate::lifecycle::MAX_TEXT_CHARS
                )
            }
            Rejection::MissingShipmentDetails => {
                write!(f, "a shipment needs a carrier and a tracking number")
            }
            Rejection::WrongStage { event, stage } => {
                write!(f, "{event} cannot happen while the order is {stage:?}")
            }
            Rejection::UnknownOffer(offer) => write!(f, "offer {} was never made", offer.0),
            Rejection::OfferClosed(offer) => write!(f, "offer {} is no longer open", offer.0),
            Rejection::NotOffered(offer) => write!(f, "offer {} does not include that", offer.0),
            Rejection::AlreadyChose { offer, chosen } => {
                write!(f, "offer {} was answered already ({chosen:?})", offer.0)
            }
            Rejection::TimeWentBackwards { last } => {
                write!(
                    f,
                    "the order already saw {last}; events cannot go back in time"
                )
            }
        }
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// The reason's one wire code.
    pub fn code(&self) -> RejectionCode {
        match self {
            Rejection::UnknownOrder => RejectionCode::UnknownOrder,
            Rejection::AlreadyPlaced => RejectionCode::AlreadyPlaced,
            Rejection::InvalidOrder(_) => RejectionCode::InvalidOrder,
            Rejection::NotWaitingFor(_) => RejectionCode::NotWaiting,
            Rejection::MissingExplanation(_) => RejectionCode::MissingExplanation,
            Rejection::MissingShipmentDetails => RejectionCode::MissingShipmentDetails,
            Rejection::WrongStage { .. } => RejectionCode::WrongStage,
            Rejection::UnknownOffer(_) => RejectionCode::UnknownOffer,
            Rejection::OfferClosed(_) => RejectionCode::OfferClosed,
            Rejection::NotOffered(_) => RejectionCode::NotOffered,
            Rejection::AlreadyChose { .. } => RejectionCode::AlreadyChosen,
            Rejection::TimeWentBackwards { .. } => RejectionCode::TimeWentBackwards,
        }
    }
}

/// A [`Rejection`] without its details, as it travels: between the worker's
/// parts, to a customer's page in an error's `code`, and back into the
/// widget, which reads it with [`RejectionCode::from_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    UnknownOrder,
    AlreadyPlaced,
    InvalidOrder,
    NotWaiting,
    MissingExplanation,
    MissingShipmentDetails,
    WrongStage,
    UnknownOffer,
    OfferClosed,
    NotOffered,
    AlreadyChosen,
    TimeWentBackwards,
}

impl RejectionCode {
    pub const ALL: [RejectionCode; 12] = [
        RejectionCode::UnknownOrder,
        RejectionCode::AlreadyPlaced,
        RejectionCode::InvalidOrder,
        RejectionCode::NotWaiting,
        RejectionCode::MissingExplanation,
        RejectionCode::MissingShipmentDetails,
        RejectionCode::WrongStage,
        RejectionCode::UnknownOffer,
        RejectionCode::OfferClosed,
        RejectionCode::NotOffered,
        RejectionCode::AlreadyChosen,
        RejectionCode::TimeWentBackwards,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectionCode::UnknownOrder => "unknown_order",
            RejectionCode::AlreadyPlaced => "already_placed",
            RejectionCode::InvalidOrder => "invalid_order",
            RejectionCode::NotWaiting => "not_waiting",
            RejectionCode::MissingExplanation => "missing_explanation",
            RejectionCode::MissingShipmentDetails => "missing_shipment_details",
            RejectionCode::WrongStage => "wrong_stage",
            RejectionCode::UnknownOffer => "unknown_offer",
            RejectionCode::OfferClosed => "offer_closed",
            RejectionCode::NotOffered => "not_offered",
            RejectionCode::AlreadyChosen => "already_chosen",
            RejectionCode::TimeWentBackwards => "time_went_backwards",
        }
    }

    pub fn from_code(code: &str) -> Option<RejectionCode> {
        // A match rather than a search of `ALL`: the widget decodes with it,
        // and a match costs it fewer bytes. The tests check both agree.
        Some(match code {
            "unknown_order" => RejectionCode::UnknownOrder,
            "already_placed" => RejectionCode::AlreadyPlaced,
            "invalid_order" => RejectionCode::InvalidOrder,
            "not_waiting" => RejectionCode::NotWaiting,
            "missing_explanation" => RejectionCode::MissingExplanation,
            "missing_shipment_details" => RejectionCode::MissingShipmentDetails,
            "wrong_stage" => RejectionCode::WrongStage,
            "unknown_offer" => RejectionCode::UnknownOffer,
            "offer_closed" => RejectionCode::OfferClosed,
            "not_offered" => RejectionCode::NotOffered,
            "already_chosen" => RejectionCode::AlreadyChosen,
            "time_went_backwards" => RejectionCode::TimeWentBackwards,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_its_serde_name_and_reads_back() {
        for code in RejectionCode::ALL {
            let json = serde_json::to_value(code).expect("serialises");
            assert_eq!(json, serde_json::Value::from(code.code()));
            assert_eq!(RejectionCode::from_code(code.code()), Some(code));
            let back: RejectionCode = serde_json::from_value(json).expect("parses");
            assert_eq!(back, code);
        }
        assert_eq!(RejectionCode::from_code("already_chose"), None);
    }
}
