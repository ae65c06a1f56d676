//! What a customer may see of their order: its stage, window, lines, the open
//! offer and a timeline of what happened. No customer PII is in any of it, so
//! the edge may publish it where the order page reads it. A wire contract:
//! add fields with defaults, never rename.

use serde::{Deserialize, Serialize};

use crate::text::MerchantText;

use crate::date::Date;
use crate::ids::{OrderId, Sku};
use crate::lifecycle::effect::{CancelCause, Effect, Email};
use crate::lifecycle::event::Event;
use crate::lifecycle::offer::{Choice, OfferId, OfferOutcome, OfferedOption};
use crate::lifecycle::order::{Consent, LineState, Order, Stage};
use crate::money::Money;
use crate::time::Timestamp;
use crate::window::ShipWindow;

/// Something that happened to the order, as the customer is told it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Happening {
    Placed {
        window: Option<ShipWindow>,
    },
    Restocked {
        sku: Sku,
    },
    /// Better news about a SKU's window (not a delay).
    WindowNews {
        sku: Sku,
        window: Option<ShipWindow>,
    },
    Delayed {
        reason: MerchantText,
        fix: MerchantText,
        window: Option<ShipWindow>,
        /// The language the texts are in, once picked for the customer
        /// (`None`: as the merchant wrote them, once).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<crate::lifecycle::Locale>,
    },
    Processed,
    Shipped {
        carrier: String,
        tracking: String,
    },
    Delivered,
    Chose {
        choice: Choice,
    },
    OfferExpired {
        offer: OfferId,
    },
    Cancelled {
        cause: CancelCause,
        refund: Money,
        refund_by: Date,
    },
    CancelledByStore,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    #[serde(flatten)]
    pub happening: Happening,
}

/// The timeline entries that an accepted `event` and its `effects` add.
pub fn timeline_entries(event: &Event, effects: &[Effect], now: Timestamp) -> Vec<TimelineEntry> {
    let mut happenings = Vec::new();
    for effect in effects {
        match effect {
            Effect::Send(email) => match email {
                Email::Receipt { ship, .. } => happenings.push(Happening::Placed { window: *ship }),
                Email::Restocked { sku, .. } => {
                    happenings.push(Happening::Restocked { sku: sku.clone() });
                }
                Email::DelayNotice(notice) => happenings.push(Happening::Delayed {
                    reason: notice.reason.clone(),
                    fix: notice.fix.clone(),
                    window: notice.window,
                    lang: None,
                }),
                Email::Processed => happenings.push(Happening::Processed),
                Email::Shipped {
                    carrier, tracking, ..
                } => happenings.push(Happening::Shipped {
                    carrier: carrier.clone(),
                    tracking: tracking.clone(),
                }),
                Email::Cancelled {
                    cause,
                    refund,
                    refund_by,
                } => happenings.push(Happening::Cancelled {
                    cause: *cause,
                    refund: *refund,
                    refund_by: *refund_by,
                }),
                _ => {}
            },
            Effect::OfferClosed { offer, outcome } => match outcome {
                OfferOutcome::Chosen { choice, .. } => happenings.push(Happening::Chose {
                    choice: choice.clone(),
                }),
                OfferOutcome::Expired { .. } => {
                    happenings.push(Happening::OfferExpired { offer: *offer });
                }
                OfferOutcome::Superseded { .. } | OfferOutcome::Withdrawn { .. } => {}
            },
            _ => {}
        }
    }
    match event {
        Event::Delivered => happenings.push(Happening::Delivered),
        Event::CancelledByStore => happenings.push(Happening::CancelledByStore),
        Event::WindowChanged { sku, window, .. }
            if !happenings
                .iter()
                .any(|h| matches!(h, Happening::Delayed { .. })) =>
        {
            happenings.push(Happening::WindowNews {
                sku: sku.clone(),
                window: *window,
            });
        }
        _ => {}
    }
    happenings
        .into_iter()
        .map(|happening| TimelineEntry { at: now, happening })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub sku: Sku,
    pub quantity: u32,
    /// What the line cost: its unit price times its quantity.
    pub amount: Money,
    pub state: LineState,
    pub window: Option<ShipWindow>,
    /// The SKU this line replaced, when the customer switched items.
    pub replaces: Option<Sku>,
}

/// The offer a customer can answer now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub id: OfferId,
    pub expires_at: Timestamp,
    pub options: Vec<OfferedOption>,
}

/// The order as its customer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub order: OrderId,
    /// The order's sequence number: a newer view has a larger one.
    pub seq: u64,
    pub stage: Stage,
    /// The window for everything still waiting; `None` when unknown or when
    /// nothing waits.
    pub window: Option<ShipWindow>,
    pub lines: Vec<LineView>,
    pub offer: Option<OfferView>,
    /// The answer to the newest offer, once given.
    pub chosen: Option<Choice>,
    pub timeline: Vec<TimelineEntry>,
    /// What cancelling everything not shipped yet refunds now; absent once
    /// nothing is left to cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellable: Option<Money>,
    /// The shop's language (a BCP 47 tag), for a page that names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// What the order's shipping cost, and what was paid in all.
    pub shipping: Money,
    pub paid: Money,
    /// The names of the order's items and of the alternatives it may be
    /// offered, by SKU, as the store calls them; a SKU without one is shown
    /// as itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<(Sku, String)>,
    /// Under the US mail-order rule, the moment by which the customer must
    /// say they keep waiting, or the order is cancelled and refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_by: Option<Timestamp>,
    /// The store credit the customer chose: its value and the bonus on top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<CreditView>,
    /// Whether what waits travels by expedited shipping, free, as the
    /// customer was promised for waiting.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expedited: bool,
}

/// Store credit given for an answer: `value` plus a `bonus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditView {
    pub value: Money,
    pub bonus: Money,
}

impl OrderView {
    pub fn of(order: &Order, timeline: &[TimelineEntry], now: Timestamp) -> OrderView {
        OrderView {
            order: order.id().clone(),
            seq: order.seq(),
            stage: order.stage(),
            window: if order.stage() == Stage::Waiting {
                order.window()
            } else {
                None
            },
            lines: order
                .lines()
                .iter()
                .map(|line| LineView {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                    amount: line.value(),
                    state: line.state,
                    window: line.window,
                    replaces: line.replaces.clone(),
                })
                .collect(),
            offer: order.live_offer(now).map(|offer| OfferView {
                id: offer.id,
                expires_at: offer.expires_at,
                options: offer.options.clone(),
            }),
            chosen: order
                .offers()
                .last()
                .and_then(|offer| match &offer.outcome {
                    Some(OfferOutcome::Chosen { choice, .. }) => Some(choice.clone()),
                    _ => None,
                }),
            timeline: timeline.to_vec(),
            cancellable: order.cancellable(),
            locale: None,
            shipping: order.shipping(),
            paid: order.paid(),
            names: Vec::new(),
            consent_by: match order.consent() {
                Consent::Required { by } if order.stage().is_open() => Some(by),
                _ => None,
            },
            credit: order.offers().iter().find_map(|offer| {
                let Some(OfferOutcome::Chosen {
                    choice: Choice::StoreCredit,
                    ..
                }) = offer.outcome
                else {
                    return None;
                };
                offer.options.iter().find_map(|option| match option {
                    OfferedOption::StoreCredit { value, bonus } => Some(CreditView {
                        value: *value,
                        bonus: *bonus,
                    }),
                    _ => None,
                })
            }),
            expedited: order.expedited(),
        }
    }
}
