//! What must be done after an event: the edge carries these out (mail, KV,
//! alarms, the store's APIs). The core only describes them.

use serde::{Deserialize, Serialize};

use crate::text::MerchantText;

use crate::date::Date;
use crate::ids::Sku;
use crate::lifecycle::offer::{Choice, OfferId, OfferOutcome, OfferedOption};
use crate::lifecycle::order::Stage;
use crate::money::Money;
use crate::time::Timestamp;
use crate::window::ShipWindow;

/// The terms that 16 CFR 435.2(b) requires a delay option notice to state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsRuleTerms {
    /// A renewed notice (435.2(b)(2)) rather than the first (435.2(b)(1)).
    pub renewed: bool,
    /// The definite revised ship-by date, or `None`: "we cannot say".
    pub revised_ship_by: Option<Date>,
    /// Silence counts as consent (first delay of at most 30 days only).
    pub silence_is_consent: bool,
    /// Without consent by then, the order is cancelled and refunded.
    pub consent_by: Option<Timestamp>,
    /// With an unknown date, the customer may cancel any time until it ships.
    pub cancel_any_time_until_shipped: bool,
}

/// The apology and choice sent the moment an order slips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayNotice {
    /// What happened, in the merchant's words.
    pub reason: MerchantText,
    /// What is being done about it.
    pub fix: MerchantText,
    /// The new window, or `None`, said plainly as "we don't know yet".
    pub window: Option<ShipWindow>,
    pub offer: OfferId,
    pub options: Vec<OfferedOption>,
    pub offer_expires_at: Timestamp,
    pub us_rule: Option<UsRuleTerms>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelCause {
    /// The customer chose to cancel.
    CustomerChose,
    /// The US rule needed the customer's consent to a delay and none came
    /// (16 CFR 435.2(c)).
    NoConsentToDelay,
}

/// A receipt's money: each line's amount, the shipping, the total paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// `(sku, quantity, unit price × quantity)`, in the order's order.
    pub items: Vec<(Sku, u32, Money)>,
    pub shipping: Money,
    pub total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "email", rename_all = "snake_case")]
pub enum Email {
    /// Thank you, and the receipt, with every backordered line's window.
    Receipt {
        lines: Vec<(Sku, ShipWindow)>,
        ship: Option<ShipWindow>,
        delivery: Option<ShipWindow>,
        /// What was bought and paid, in the order's currency (absent from
        /// receipts queued before it was added).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bill: Option<Bill>,
    },
    /// Stock arrived: "your order is being processed now" when nothing
    /// else waits.
    Restocked {
        sku: Sku,
        order_complete: bool,
    },
    Processed,
    Shipped {
        carrier: String,
        tracking: String,
        /// Sent expedited, free, as the customer was promised for waiting.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        expedited: bool,
    },
    /// "How do you like it?", some days after delivery.
    FollowUp,
    WinBack,
    /// Helpful content during a long wait, every 10–14 days at most. While
    /// the US rule still needs consent it carries a fresh offer.
    Nurture {
        window: Option<ShipWindow>,
        offer: Option<OfferId>,
    },
    DelayNotice(DelayNotice),
    ChoiceConfirmed {
        choice: Choice,
        /// What the customer got for it, where it is money or a service:
        /// the store credit (its value and the bonus on top)…
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credit: Option<(Money, Money)>,
        /// …or free expedited shipping for waiting.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        expedited: bool,
    },
    Cancelled {
        cause: CancelCause,
        refund: Money,
        refund_by: Date,
    },
    /// A fresh link to the order's page, asked for from a page whose link
    /// had expired. The shell sends it; the lifecycle never does.
    OrderLink,
    /// "Confirm that you want to hear when it is back": the double opt-in
    /// of a shopper who asked to be told of a sold-out product. Sent by the
    /// shell to a watcher, not an order (its `order` is the watcher's id).
    WatchConfirm {
        sku: Sku,
    },
    /// The product a confirmed watcher asked about can be ordered again:
    /// sent once, when it is restocked. Also the shell's, to a watcher.
    BackInStock {
        sku: Sku,
    },
}

/// The kind of an email: its wire code is the `email` tag of [`Email`], and
/// the name of its templates (`{code}.html`, `{code}.txt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Receipt,
    Restocked,
    Processed,
    Shipped,
    FollowUp,
    WinBack,
    Nurture,
    DelayNotice,
    ChoiceConfirmed,
    Cancelled,
    OrderLink,
    WatchConfirm,
    BackInStock,
}

impl EmailKind {
    pub const ALL: [EmailKind; 13] = [
        EmailKind::Receipt,
        EmailKind::Restocked,
        EmailKind::Processed,
        EmailKind::Shipped,
        EmailKind::FollowUp,
        EmailKind::WinBack,
        EmailKind::Nurture,
        EmailKind::DelayNotice,
        EmailKind::ChoiceConfirmed,
        EmailKind::Cancelled,
        EmailKind::OrderLink,
        EmailKind::WatchConfirm,
        EmailKind::BackInStock,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EmailKind::Receipt => "receipt",
            EmailKind::Restocked => "restocked",
            EmailKind::Processed => "processed",
            EmailKind::Shipped => "shipped",
            EmailKind::FollowUp => "follow_up",
            EmailKind::WinBack => "win_back",
            EmailKind::Nurture => "nurture",
            EmailKind::DelayNotice => "delay_notice",
            EmailKind::ChoiceConfirmed => "choice_confirmed",
            EmailKind::Cancelled => "cancelled",
            EmailKind::OrderLink => "order_link",
            EmailKind::WatchConfirm => "watch_confirm",
            EmailKind::BackInStock => "back_in_stock",
        }
    }

    pub fn from_code(code: &str) -> Option<EmailKind> {
        EmailKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

impl Email {
    pub fn kind(&self) -> EmailKind {
        match self {
            Email::Receipt { .. } => EmailKind::Receipt,
            Email::Restocked { .. } => EmailKind::Restocked,
            Email::Processed => EmailKind::Processed,
            Email::Shipped { .. } => EmailKind::Shipped,
            Email::FollowUp => EmailKind::FollowUp,
            Email::WinBack => EmailKind::WinBack,
            Email::Nurture { .. } => EmailKind::Nurture,
            Email::DelayNotice(_) => EmailKind::DelayNotice,
            Email::ChoiceConfirmed { .. } => EmailKind::ChoiceConfirmed,
            Email::Cancelled { .. } => EmailKind::Cancelled,
            Email::OrderLink => EmailKind::OrderLink,
            Email::WatchConfirm { .. } => EmailKind::WatchConfirm,
            Email::BackInStock { .. } => EmailKind::BackInStock,
        }
    }

    /// Emails of the offer sequence: they press an offer on the customer,
    /// and a customer who has answered leaves that sequence at once (a new
    /// delay notice starts a new one). Plain nurture content is not of it.
    pub fn is_sequence(&self) -> bool {
        matches!(self, Email::Nurture { offer: Some(_), .. })
    }

    /// Emails to a shopper who asked to hear of a product, not to an
    /// order's customer.
    pub fn is_to_watcher(&self) -> bool {
        matches!(self, Email::WatchConfirm { .. } | Email::BackInStock { .. })
    }
}

/// What the widget may show about an order: no customer PII.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub stage: Stage,
    pub window: Option<ShipWindow>,
    pub live_offer: Option<OfferId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    Send(Email),
    /// Call back with `Event::TimePassed` at this moment.
    WakeUpAt {
        at: Timestamp,
    },
    OfferOpened {
        offer: OfferId,
        expires_at: Timestamp,
    },
    OfferClosed {
        offer: OfferId,
        outcome: OfferOutcome,
    },
    IssueStoreCredit {
        value: Money,
        bonus: Money,
    },
    /// 16 CFR 435.1: a prompt refund, by `by` at the latest.
    Refund {
        amount: Money,
        by: Date,
    },
    ExpediteShipping,
    SwitchItem {
        from: Sku,
        to: Sku,
    },
    ShipNow {
        skus: Vec<Sku>,
    },
    CancelLines {
        skus: Vec<Sku>,
    },
    TagOrder {
        tag: String,
    },
    TagCustomer {
        tag: String,
    },
    ShowStatus(PublicStatus),
}

impl Effect {
    /// The effect's wire code: its `effect` tag (for an action, the type of
    /// the webhook the merchant's endpoint gets, `action.{code}`).
    pub fn code(&self) -> &'static str {
        match self {
            Effect::Send(_) => "send",
            Effect::WakeUpAt { .. } => "wake_up_at",
            Effect::OfferOpened { .. } => "offer_opened",
            Effect::OfferClosed { .. } => "offer_closed",
            Effect::IssueStoreCredit { .. } => "issue_store_credit",
            Effect::Refund { .. } => "refund",
            Effect::ExpediteShipping => "expedite_shipping",
            Effect::SwitchItem { .. } => "switch_item",
            Effect::ShipNow { .. } => "ship_now",
            Effect::CancelLines { .. } => "cancel_lines",
            Effect::TagOrder { .. } => "tag_order",
            Effect::TagCustomer { .. } => "tag_customer",
            Effect::ShowStatus(_) => "show_status",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind's wire code is `Email`'s serde tag, and reads back.
    #[test]
    fn email_kind_codes_agree_with_serde() {
        let sku = Sku::parse("TENT").expect("a SKU");
        let money = Money::new(crate::Currency::parse("USD").expect("USD"), 100);
        let day: Date = "2030-01-01".parse().expect("a date");
        let emails = [
            Email::Receipt {
                lines: Vec::new(),
                ship: None,
                delivery: None,
                bill: None,
            },
            Email::Restocked {
                sku,
                order_complete: true,
            },
            Email::Processed,
            Email::Shipped {
                carrier: "UPS".into(),
                tracking: "1Z".into(),
                expedited: false,
            },
            Email::FollowUp,
            Email::WinBack,
            Email::Nurture {
                window: None,
                offer: None,
            },
            Email::DelayNotice(DelayNotice {
                reason: "r".into(),
                fix: "f".into(),
                window: None,
                offer: OfferId(1),
                options: Vec::new(),
                offer_expires_at: Timestamp::from_unix_seconds(0),
                us_rule: None,
            }),
            Email::ChoiceConfirmed {
                choice: Choice::Cancel,
                credit: None,
                expedited: false,
            },
            Email::Cancelled {
                cause: CancelCause::CustomerChose,
                refund: money,
                refund_by: day,
            },
            Email::OrderLink,
        ];
        for (kind, email) in EmailKind::ALL.into_iter().zip(&emails) {
            assert_eq!(email.kind(), kind);
            let json = serde_json::to_value(email).expect("serialises");
            assert_eq!(json["email"], kind.code());
            assert_eq!(serde_json::to_value(kind).expect("serialises"), kind.code());
            assert_eq!(EmailKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(EmailKind::from_code("newsletter"), None);
    }

    /// Only a nurture email that carries an offer presses it on the
    /// customer: that one leaves the sequence once they answer.
    #[test]
    fn only_a_nurture_with_an_offer_is_of_the_sequence() {
        let nurture = |offer| Email::Nurture {
            window: None,
            offer,
        };
        assert!(nurture(Some(OfferId(2))).is_sequence());
        assert!(!nurture(None).is_sequence());
        assert!(!Email::Processed.is_sequence());
    }

    /// Effects travel through storage and queues as JSON: every kind must
    /// serialise (an internally tagged newtype of a string cannot).
    #[test]
    fn effects_round_trip_through_json() {
        let effects = [
            Effect::TagOrder {
                tag: "backorder".into(),
            },
            Effect::ExpediteShipping,
            Effect::WakeUpAt {
                at: Timestamp::from_unix_seconds(86_400),
            },
            Effect::Send(Email::Processed),
        ];
        for effect in effects {
            let json = serde_json::to_string(&effect).expect("serialises");
            let back: Effect = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, effect, "{json}");
            let value: serde_json::Value = serde_json::from_str(&json).expect("parses");
            assert_eq!(value["effect"], effect.code(), "{json}");
        }
    }
}
