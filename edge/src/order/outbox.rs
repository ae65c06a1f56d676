//! The pure half of the order's shell: which events a piece of news means
//! for the order now, and which outbox entries an accepted event leaves.
//! No I/O here, so every rule is unit-tested natively.

use serde::{Deserialize, Serialize};
use shared::lifecycle::{Effect, Email, Event, LineState, Order, Stage};
use shared::{OrderId, ShopId};

use crate::calls::News;

pub const OUTBOX: &str = "outbox/";

/// One piece of work an accepted event left, kept until it is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Entry {
    /// Write the public view to KV, as it is when the entry runs.
    Publish,
    /// Tell the shop's records the order's stage and what it waits for. The
    /// caller of a command indexes its answer at once; this entry is the
    /// safety net, run by the alarm a little later (idempotent by `seq`).
    Index,
    /// Queue an email for the customer.
    Email {
        key: String,
        email: Email,
    },
    /// An email queued by a command, whose caller logs it from the answer:
    /// the alarm tells the shop's log again with the index, so that the
    /// log knows it even if that caller never did (and the shop's sweep
    /// can send it if its queue message is lost).
    Logged {
        key: String,
        email: Email,
    },
    Action {
        key: String,
        effect: Effect,
    },
    /// An action queued by a command: kept, like `Logged`, until the alarm
    /// has told the shop's action list.
    LoggedAction {
        key: String,
        effect: Effect,
    },
}

impl Entry {
    /// Entries a command leaves for the order's alarm: the index and what
    /// the shop must be told was queued.
    pub fn waits_for_the_alarm(&self) -> bool {
        matches!(
            self,
            Entry::Index | Entry::Logged { .. } | Entry::LoggedAction { .. }
        )
    }

    /// What a queued email or action is kept as until the shop knows it.
    pub fn logged(&self) -> Option<Entry> {
        match self {
            Entry::Email { key, email } => Some(Entry::Logged {
                key: key.clone(),
                email: email.clone(),
            }),
            Entry::Action { key, effect } => Some(Entry::LoggedAction {
                key: key.clone(),
                effect: effect.clone(),
            }),
            Entry::Publish | Entry::Index | Entry::Logged { .. } | Entry::LoggedAction { .. } => {
                None
            }
        }
    }
}

pub fn outbox_key(seq: u64, index: usize) -> String {
    format!("{OUTBOX}{seq:012}/{index:04}")
}

/// The events a piece of news means for this order now (`None`: not
/// placed). Empty when the news cannot apply to an order never placed.
pub fn events_for(order: Option<&Order>, news: &News) -> Vec<Event> {
    let order = match (news, order) {
        (News::Place { order: new, .. }, _) => return vec![Event::Placed(new.clone())],
        (News::Event { event }, _) => return vec![event.clone()],
        (News::Ship { .. } | News::Deliver, None) => return Vec::new(),
        (News::Ship { .. } | News::Deliver, Some(order)) => order,
    };
    let (carrier, tracking) = carrier_of(news);
    let stage = order.stage();
    let mut events = Vec::new();
    if stage == Stage::Waiting {
        let mut skus: Vec<_> = order
            .lines()
            .iter()
            .filter(|line| line.state == LineState::Waiting)
            .map(|line| line.sku.clone())
            .collect();
        skus.sort();
        skus.dedup();
        events.extend(skus.into_iter().map(|sku| Event::StockArrived { sku }));
    }
    if matches!(stage, Stage::Waiting | Stage::Processing) {
        events.push(Event::Processed);
    }
    let deliver = matches!(news, News::Deliver);
    // A shipment for an order already shipped goes to the core too, which
    // refuses it and says why.
    if stage.is_open() || !deliver {
        events.push(Event::Shipped { carrier, tracking });
    }
    if deliver {
        events.push(Event::Delivered);
    }
    events
}

/// An email about a step that the store's news implied rather than
/// reported (a shipment for an order still waiting implies its stock came
/// and it was packed): told by the email of what the news reported.
pub fn is_implied_step_email(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::Send(Email::Processed | Email::Restocked { .. })
    )
}

fn carrier_of(news: &News) -> (String, String) {
    match news {
        News::Ship { carrier, tracking } => (carrier.clone(), tracking.clone()),
        _ => ("the carrier".to_owned(), "(no tracking number)".to_owned()),
    }
}

/// Turns an accepted event's effects into outbox entries: one publish and
/// one index per event, every email and action keyed by order, sequence and
/// index of the effect. Tags on the order are also kept in `tags`, for the
/// index. Timers, offers and the public status need no entry: the alarm
/// follows the order, and the view is published whole.
pub fn queue_effects(
    shop: &ShopId,
    order: &OrderId,
    seq: u64,
    effects: Vec<Effect>,
    tags: &mut Vec<String>,
) -> Vec<(String, Entry)> {
    let mut entries = vec![Entry::Publish];
    for (position, effect) in effects.into_iter().enumerate() {
        let key = format!("{shop}/{order}/{seq}/{position}");
        // One arm per effect, no wildcard: a new kind of effect must be
        // decided on here before it can be carried out anywhere.
        match effect {
            Effect::Send(email) => entries.push(Entry::Email { key, email }),
            Effect::WakeUpAt { .. }
            | Effect::OfferOpened { .. }
            | Effect::OfferClosed { .. }
            | Effect::ShowStatus(_) => {}
            Effect::TagOrder { tag } => {
                if !tags.contains(&tag) {
                    tags.push(tag.clone());
                }
                entries.push(Entry::Action {
                    key,
                    effect: Effect::TagOrder { tag },
                });
            }
            effect @ (Effect::IssueStoreCredit { .. }
            | Effect::Refund { .. }
            | Effect::ExpediteShipping
            | Effect::SwitchItem { .. }
            | Effect::ShipNow { .. }
            | Effect::CancelLines { .. }
            | Effect::TagCustomer { .. }) => entries.push(Entry::Action { key, effect }),
        }
    }
    entries.push(Entry::Index);
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| (outbox_key(seq, index), entry))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::lifecycle::{NewLine, NewOrder, RawShopPolicy, ShopPolicy, apply};
    use shared::{Currency, CustomerId, Date, ShipWindow, Sku, Timestamp};

    fn sku(text: &str) -> Sku {
        Sku::parse(text).expect("a SKU")
    }

    fn day(text: &str) -> Date {
        text.parse().expect("a date")
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::start_of(day(text))
    }

    /// An order placed on 2030-05-01 with a tent in stock and a lantern and
    /// a stove on backorder.
    fn placed() -> Order {
        let window = ShipWindow::new(day("2030-06-01"), day("2030-06-10")).ok();
        let line = |text: &str, backorder| NewLine {
            sku: sku(text),
            quantity: 1,
            unit_price_minor: 1000,
            backorder,
        };
        let new = NewOrder {
            id: OrderId::parse("1001").expect("an id"),
            customer: CustomerId::parse("c1").expect("an id"),
            currency: Currency::parse("USD").expect("a currency"),
            lines: vec![
                line("TENT", None),
                line("STOVE", window),
                line("LANTERN", window),
            ],
            shipping_minor: 0,
            paid_minor: 3000,
            customer_completed_backorders: 0,
        };
        let policy = ShopPolicy::parse(RawShopPolicy::default()).expect("defaults");
        apply(None, &Event::Placed(new), at("2030-05-01"), &policy)
            .expect("placed")
            .0
    }

    fn ship() -> News {
        News::Ship {
            carrier: "UPS".into(),
            tracking: "1Z".into(),
        }
    }

    #[test]
    fn a_shipment_of_a_waiting_order_takes_every_step_on_the_way() {
        let events = events_for(Some(&placed()), &ship());
        assert_eq!(
            events,
            vec![
                Event::StockArrived {
                    sku: sku("LANTERN")
                },
                Event::StockArrived { sku: sku("STOVE") },
                Event::Processed,
                Event::Shipped {
                    carrier: "UPS".into(),
                    tracking: "1Z".into()
                },
            ]
        );
    }

    #[test]
    fn a_queued_email_or_action_waits_as_logged_for_the_alarm_and_nothing_else_does() {
        let email = Entry::Email {
            key: "k/1".into(),
            email: Email::Processed,
        };
        let action = Entry::Action {
            key: "k/2".into(),
            effect: Effect::TagOrder {
                tag: "backorder".into(),
            },
        };
        let logged = email.logged().expect("an email is logged");
        assert_eq!(
            logged,
            Entry::Logged {
                key: "k/1".into(),
                email: Email::Processed
            }
        );
        let logged_action = action.logged().expect("an action is logged");
        assert!(matches!(&logged_action, Entry::LoggedAction { key, .. } if key == "k/2"));
        for waits in [Entry::Index, logged, logged_action] {
            assert!(waits.waits_for_the_alarm(), "{waits:?}");
            assert_eq!(waits.logged(), None, "logged once: {waits:?}");
        }
        for runs in [Entry::Publish, email, action] {
            assert!(!runs.waits_for_the_alarm(), "{runs:?}");
        }
    }

    #[test]
    fn a_delivery_ships_first_with_no_tracking_known() {
        let events = events_for(Some(&placed()), &News::Deliver);
        assert_eq!(
            &events[3..],
            &[
                Event::Shipped {
                    carrier: "the carrier".into(),
                    tracking: "(no tracking number)".into()
                },
                Event::Delivered
            ]
        );
    }

    #[test]
    fn news_for_an_order_never_placed_means_nothing_but_a_placement() {
        assert!(events_for(None, &ship()).is_empty());
        assert!(events_for(None, &News::Deliver).is_empty());
        let event = Event::Processed;
        assert_eq!(
            events_for(
                None,
                &News::Event {
                    event: event.clone()
                }
            ),
            vec![event]
        );
    }

    #[test]
    fn effects_become_keyed_entries_between_a_publish_and_an_index() {
        let shop = ShopId::parse("trailhead").expect("a shop");
        let order = OrderId::parse("1001").expect("an id");
        let mut tags = vec!["backorder".to_owned()];
        let effects = vec![
            Effect::TagOrder {
                tag: "backorder".into(),
            },
            Effect::WakeUpAt {
                at: at("2030-06-01"),
            },
            Effect::Send(Email::Processed),
            Effect::TagOrder {
                tag: "delayed".into(),
            },
            Effect::ExpediteShipping,
        ];
        let entries = queue_effects(&shop, &order, 7, effects, &mut tags);
        let keys: Vec<&str> = entries.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "outbox/000000000007/0000",
                "outbox/000000000007/0001",
                "outbox/000000000007/0002",
                "outbox/000000000007/0003",
                "outbox/000000000007/0004",
                "outbox/000000000007/0005",
            ]
        );
        let kinds: Vec<String> = entries
            .iter()
            .map(|(_, entry)| match entry {
                Entry::Publish => "publish".to_owned(),
                Entry::Index => "index".to_owned(),
                Entry::Email { key, .. } => format!("email {key}"),
                Entry::Logged { key, .. } => format!("logged {key}"),
                Entry::LoggedAction { key, .. } => format!("logged action {key}"),
                Entry::Action { key, effect } => format!("{} {key}", effect.code()),
            })
            .collect();
        // Each email and action is keyed by the position of its effect, so
        // a retry of the same event keys it the same.
        assert_eq!(
            kinds,
            [
                "publish",
                "tag_order trailhead/1001/7/0",
                "email trailhead/1001/7/2",
                "tag_order trailhead/1001/7/3",
                "expedite_shipping trailhead/1001/7/4",
                "index",
            ]
        );
        assert_eq!(tags, ["backorder", "delayed"]);
    }
}
