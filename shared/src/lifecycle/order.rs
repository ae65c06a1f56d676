//! The state of one order, as stored between events.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::ids::{CustomerId, OrderId, Sku};
use crate::lifecycle::offer::{Choice, Offer, OfferOutcome, OfferedOption};
use crate::money::{Currency, Money};
use crate::time::Timestamp;
use crate::window::ShipWindow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// In stock and waiting to ship with the rest of the order.
    Ready,
    /// On backorder, expected within `Line::window` (unknown when `None`).
    Waiting,
    Shipped,
    /// Cancelled for a refund or store credit.
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub sku: Sku,
    pub quantity: u32,
    pub unit_price: Money,
    pub state: LineState,
    pub window: Option<ShipWindow>,
    /// The SKU this line replaced, when the customer switched items.
    pub replaces: Option<Sku>,
}

impl Line {
    /// Price times quantity; the order's totals were checked at placement,
    /// so this cannot overflow for a stored order.
    /// Not shipped yet, nor cancelled: waiting, or ready to ship.
    pub fn is_unshipped(&self) -> bool {
        matches!(self.state, LineState::Ready | LineState::Waiting)
    }

    pub fn value(&self) -> Money {
        Money::new(
            self.unit_price.currency,
            self.unit_price
                .minor
                .saturating_mul(u64::from(self.quantity)),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Some lines wait for stock.
    Waiting,
    /// Everything is in stock; the warehouse is processing the order.
    Processing,
    /// Ready to ship.
    Processed,
    Shipped,
    Delivered,
    Cancelled,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Waiting,
        Stage::Processing,
        Stage::Processed,
        Stage::Shipped,
        Stage::Delivered,
        Stage::Cancelled,
    ];

    /// The stage's wire code (its serde name): in the order's view, the
    /// shop's index and the merchant's filters.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::Processing => "processing",
            Stage::Processed => "processed",
            Stage::Shipped => "shipped",
            Stage::Delivered => "delivered",
            Stage::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Stage> {
        // A match rather than a search of `ALL`: the widget decodes with it,
        // and a match costs it fewer bytes. The tests check both agree.
        Some(match code {
            "waiting" => Stage::Waiting,
            "processing" => Stage::Processing,
            "processed" => Stage::Processed,
            "shipped" => Stage::Shipped,
            "delivered" => Stage::Delivered,
            "cancelled" => Stage::Cancelled,
            _ => return None,
        })
    }

    /// Whether the order can still be shipped, and so still be late.
    pub fn is_open(self) -> bool {
        matches!(self, Stage::Waiting | Stage::Processing | Stage::Processed)
    }
}

/// Whether the customer must agree to a delay before the shop may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "consent", rename_all = "snake_case")]
pub enum Consent {
    /// Silence counts as consent, or the shop is not under the US rule.
    NotNeeded,
    /// Without express consent by `by`, the order is cancelled and refunded.
    Required {
        by: Timestamp,
    },
    Given {
        at: Timestamp,
        indefinite: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// One order's state. Only [`crate::lifecycle::apply`] changes it, so its
/// invariants (one live offer at most, money given back never above what was
/// paid) hold for every stored order; the shell reads it through methods.
/// It is also the storage record: add fields with defaults, never rename.
pub struct Order {
    /// Bumped by every accepted event that changes the order, so that a
    /// shell can key each effect by order, sequence and index.
    #[serde(default)]
    pub(crate) seq: u64,
    pub(crate) id: OrderId,
    pub(crate) customer: CustomerId,
    pub(crate) currency: Currency,
    pub(crate) lines: Vec<Line>,
    pub(crate) shipping: Money,
    pub(crate) paid: Money,
    pub(crate) stage: Stage,
    pub(crate) placed_at: Timestamp,
    /// The ship-by date first promised (16 CFR 435.2(a)'s "time stated").
    pub(crate) original_ship_by: Date,
    /// The ship-by date in force: the original, or the latest revised one;
    /// `None` when the newest notice said the date is unknown.
    pub(crate) ship_by: Option<Date>,
    pub(crate) delay_notices: u32,
    pub(crate) consent: Consent,
    pub(crate) offers: Vec<Offer>,
    pub(crate) nurture_due: Option<Timestamp>,
    pub(crate) last_nurture: Option<Timestamp>,
    /// Refunds and store credit given back so far (bonus not included).
    pub(crate) returned: Money,
    pub(crate) follow_up_due: Option<Timestamp>,
    pub(crate) win_back_due: Option<Timestamp>,
    pub(crate) first_backorder_of_customer: bool,
    pub(crate) last_event_at: Timestamp,
    pub(crate) wake_up: Option<Timestamp>,
}

impl Order {
    pub fn id(&self) -> &OrderId {
        &self.id
    }

    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// The number of accepted events that changed this order.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn paid(&self) -> Money {
        self.paid
    }

    pub fn shipping(&self) -> Money {
        self.shipping
    }

    /// Refunds and store credit given back so far (bonus not included).
    pub fn returned(&self) -> Money {
        self.returned
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn placed_at(&self) -> Timestamp {
        self.placed_at
    }

    pub fn ship_by(&self) -> Option<Date> {
        self.ship_by
    }

    /// The ship-by date first promised.
    pub fn original_ship_by(&self) -> Date {
        self.original_ship_by
    }

    /// How many times the customer was told of a later date.
    pub fn delay_notices(&self) -> u32 {
        self.delay_notices
    }

    pub fn consent(&self) -> Consent {
        self.consent
    }

    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    /// When the order next wants `Event::TimePassed`.
    pub fn wake_up(&self) -> Option<Timestamp> {
        self.wake_up
    }

    pub fn last_event_at(&self) -> Timestamp {
        self.last_event_at
    }

    pub fn live_offer(&self, now: Timestamp) -> Option<&Offer> {
        self.offers.iter().find(|offer| offer.is_live(now))
    }

    pub fn waiting_lines(&self) -> impl Iterator<Item = &Line> {
        self.lines
            .iter()
            .filter(|line| line.state == LineState::Waiting)
    }

    /// What cancelling the lines that `cancelled` picks would give back:
    /// their value, plus shipping when nothing at all would ship, never more
    /// than is left of what was paid.
    pub fn refund_for(&self, cancelled: impl Fn(&Line) -> bool) -> Money {
        let currency = self.currency;
        let mut value = Money::zero(currency);
        let mut anything_ships = false;
        for line in &self.lines {
            if line.state == LineState::Cancelled {
                continue;
            }
            if cancelled(line) {
                value = value.checked_add(line.value()).unwrap_or(value);
            } else {
                anything_ships = true;
            }
        }
        if !anything_ships {
            value = value.checked_add(self.shipping).unwrap_or(value);
        }
        let left = self
            .paid
            .checked_sub(self.returned)
            .unwrap_or(Money::zero(currency));
        if value.minor > left.minor {
            left
        } else {
            value
        }
    }

    /// Whether the customer was promised free expedited shipping: they
    /// chose to keep waiting from an offer that came with it.
    pub fn expedited(&self) -> bool {
        self.offers.iter().any(|offer| {
            matches!(
                offer.outcome,
                Some(OfferOutcome::Chosen {
                    choice: Choice::KeepWaiting,
                    ..
                })
            ) && offer
                .options
                .iter()
                .any(|option| matches!(option, OfferedOption::KeepWaiting { expedited: true }))
        })
    }

    /// The refund for cancelling everything not shipped yet, while the
    /// customer may still do so (until it ships: the brief, and 16 CFR
    /// 435.2(b)); `None` once nothing is left to cancel.
    pub fn cancellable(&self) -> Option<Money> {
        (self.stage.is_open() && self.lines.iter().any(Line::is_unshipped))
            .then(|| self.refund_for(Line::is_unshipped))
    }

    /// The window for everything still waiting, or `None` if any of it has no
    /// known date (or nothing waits).
    pub fn window(&self) -> Option<ShipWindow> {
        let mut combined: Option<ShipWindow> = None;
        for line in self.waiting_lines() {
            let window = line.window?;
            combined = Some(match combined {
                None => window,
                Some(so_far) => ShipWindow::new(
                    so_far.earliest().min(window.earliest()),
                    so_far.latest().max(window.latest()),
                )
                .unwrap_or(so_far),
            });
        }
        combined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_codes_agree_with_serde() {
        for stage in Stage::ALL {
            let json = serde_json::to_value(stage).expect("serialises");
            assert_eq!(json, serde_json::Value::from(stage.code()));
            assert_eq!(Stage::from_code(stage.code()), Some(stage));
        }
        assert_eq!(Stage::from_code("lost"), None);
    }
}
