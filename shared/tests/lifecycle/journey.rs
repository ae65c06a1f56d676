//! A small driver that feeds events to `apply` and writes down what came out,
//! one line an effect, for snapshot expectations.

use std::fmt::Write;

use expect_test::Expect;
use shared::lifecycle::{Event, NewLine, NewOrder, Order, RawShopPolicy, ShopPolicy, apply};
use shared::{Currency, CustomerId, Date, OrderId, ShipWindow, Sku, Timestamp};

pub fn date(text: &str) -> Date {
    text.parse().expect("a valid test date")
}

pub fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("a valid test SKU")
}

pub fn window(earliest: &str, latest: &str) -> ShipWindow {
    ShipWindow::new(date(earliest), date(latest)).expect("an ordered test window")
}

/// A policy from JSON over the defaults (a US shop: the rule applies).
pub fn policy(json: &str) -> ShopPolicy {
    let raw: RawShopPolicy = serde_json::from_str(json).expect("valid policy JSON");
    ShopPolicy::parse(raw).expect("a valid test policy")
}

/// An order of one backordered tent (USD 189.00, ships in `tent_window`) and
/// one lantern in stock (USD 24.00), with USD 6.00 shipping.
pub fn tent_and_lantern(tent_window: ShipWindow) -> NewOrder {
    NewOrder {
        id: OrderId::parse("1001").expect("valid"),
        customer: CustomerId::parse("cust-7").expect("valid"),
        currency: Currency::parse("USD").expect("valid"),
        lines: vec![
            NewLine {
                sku: sku("TENT"),
                quantity: 1,
                unit_price_minor: 18_900,
                backorder: Some(tent_window),
            },
            NewLine {
                sku: sku("LANTERN"),
                quantity: 1,
                unit_price_minor: 2_400,
                backorder: None,
            },
        ],
        shipping_minor: 600,
        paid_minor: 21_900,
        customer_completed_backorders: 0,
    }
}

pub struct Journey {
    pub policy: ShopPolicy,
    pub order: Option<Order>,
    pub now: Timestamp,
    log: String,
}

impl Journey {
    pub fn new(policy: ShopPolicy, start: &str) -> Journey {
        Journey {
            policy,
            order: None,
            now: nine_am(date(start)),
            log: String::new(),
        }
    }

    /// Moves the clock to 09:00 UTC on `day`.
    pub fn on_day(&mut self, day: &str) -> &mut Journey {
        self.now = nine_am(date(day));
        self
    }

    /// Applies `event` now and writes down the outcome.
    pub fn event(&mut self, event: Event) -> &mut Journey {
        let _ = writeln!(self.log, "{} {}", self.now, event.name());
        match apply(self.order.as_ref(), &event, self.now, &self.policy) {
            Ok((order, effects)) => {
                if effects.is_empty() {
                    let _ = writeln!(self.log, "  (nothing)");
                }
                for effect in effects {
                    let _ = writeln!(self.log, "  {effect:?}");
                }
                self.order = Some(order);
            }
            Err(rejection) => {
                let _ = writeln!(self.log, "  rejected: {rejection}");
            }
        }
        self
    }

    /// Lets time pass until the wake-up the order asked for, and applies it.
    pub fn wake(&mut self) -> &mut Journey {
        match self.order.as_ref().and_then(|o| o.wake_up()) {
            Some(at) => {
                self.now = at;
                self.event(Event::TimePassed)
            }
            None => {
                let _ = writeln!(self.log, "(no wake-up asked for)");
                self
            }
        }
    }

    /// Forgets what was written so far: a scenario that builds on a shared
    /// start shows only what follows it.
    pub fn log_from_here(&mut self) -> &mut Journey {
        self.log.clear();
        self
    }

    #[track_caller]
    pub fn check(&self, expect: Expect) {
        expect.assert_eq(&self.log);
    }

    pub fn order(&self) -> &Order {
        self.order.as_ref().expect("the order was placed")
    }
}

fn nine_am(day: Date) -> Timestamp {
    Timestamp::start_of(day).plus_seconds(9 * 3600)
}
