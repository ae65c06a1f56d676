//! The edges of what the lifecycle takes, one table each: what a new order
//! may hold, what a delay must say, what counts as a delay. Written against
//! the mutants `cargo mutants` found surviving (ARCHITECTURE.md, tests).

use shared::lifecycle::{Choice, Event, OfferId, Order, Rejection, ShopPolicy, apply};
use shared::{ShipWindow, Timestamp};

use crate::journey::{policy, sku, tent_and_lantern, window};

fn start() -> Timestamp {
    Timestamp::start_of("2027-01-04".parse().expect("a date"))
}

fn us() -> ShopPolicy {
    policy("{}")
}

fn placed(tent: ShipWindow) -> Order {
    apply(None, &Event::Placed(tent_and_lantern(tent)), start(), &us())
        .expect("placed")
        .0
}

fn later(days: i64) -> Timestamp {
    start().plus_days(days)
}

fn news(window: Option<ShipWindow>, reason: &str, fix: &str) -> Event {
    Event::WindowChanged {
        sku: sku("TENT"),
        window,
        reason: reason.into(),
        fix: fix.into(),
        in_stock: vec![],
    }
}

#[track_caller]
fn refused_as(result: Result<(Order, Vec<shared::lifecycle::Effect>), Rejection>, expect: &str) {
    match result {
        Ok(_) => panic!("taken, but should be refused as {expect}"),
        Err(rejection) => assert!(
            rejection.to_string().starts_with(expect),
            "{rejection} should start {expect:?}"
        ),
    }
}

#[test]
fn an_order_holds_one_to_two_hundred_lines() {
    let mut new = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    new.lines.clear();
    refused_as(
        apply(None, &Event::Placed(new.clone()), start(), &us()),
        "invalid order: an order has 1 to 200 lines",
    );
    let line = |index: usize| shared::lifecycle::NewLine {
        sku: sku(&format!("PART-{index}")),
        quantity: 1,
        unit_price_minor: 100,
        backorder: Some(window("2027-02-01", "2027-02-14")),
    };
    new.lines = (0..200).map(line).collect();
    new.shipping_minor = 0;
    new.paid_minor = 200 * 100;
    assert!(apply(None, &Event::Placed(new.clone()), start(), &us()).is_ok());
    new.lines.push(line(200));
    new.paid_minor += 100;
    refused_as(
        apply(None, &Event::Placed(new), start(), &us()),
        "invalid order: an order has 1 to 200 lines",
    );
}

#[test]
fn a_delay_must_say_what_happened_and_what_is_done_in_at_most_a_thousand_characters() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    let late = Some(window("2027-03-01", "2027-03-10"));
    let longest = "x".repeat(1000);
    let too_long = "x".repeat(1001);
    for (reason, fix, taken) in [
        ("Late ship.", "Next ship.", true),
        (longest.as_str(), longest.as_str(), true),
        ("", "Next ship.", false),
        ("Late ship.", "   ", false),
        (too_long.as_str(), "Next ship.", false),
        ("Late ship.", too_long.as_str(), false),
        ("Late\u{202E} ship.", "Next ship.", false),
    ] {
        let result = apply(Some(&order), &news(late, reason, fix), later(20), &us());
        match taken {
            true => assert!(result.is_ok(), "{reason:.20} / {fix:.20}: {result:?}"),
            false => refused_as(result, "a delay needs a"),
        }
    }
}

#[test]
fn only_a_later_date_is_a_delay_and_a_first_date_is_news() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    let is_delay = |order: &Order, window: Option<ShipWindow>| {
        let (next, effects) = apply(
            Some(order),
            &news(window, "Why.", "What."),
            later(20),
            &us(),
        )
        .expect("taken");
        let delayed = effects
            .iter()
            .any(|effect| matches!(effect, shared::lifecycle::Effect::OfferOpened { .. }));
        (next, delayed)
    };
    // Sooner or on the promised day: news, not a delay.
    assert!(!is_delay(&order, Some(window("2027-02-01", "2027-02-10"))).1);
    assert!(!is_delay(&order, Some(window("2027-02-05", "2027-02-14"))).1);
    // A day past the promise, or no date at all: a delay.
    assert!(is_delay(&order, Some(window("2027-02-05", "2027-02-15"))).1);
    let (unknown, delayed) = is_delay(&order, None);
    assert!(delayed);
    assert_eq!(unknown.ship_by(), None);
    // From no date: a date again is news that sets the promise, and still
    // no date is nothing new.
    let answered = apply(
        Some(&unknown),
        &Event::Chose {
            offer: OfferId(1),
            choice: Choice::KeepWaiting,
        },
        later(20),
        &us(),
    )
    .expect("chose")
    .0;
    let (dated, delayed) = is_delay(&answered, Some(window("2027-03-01", "2027-03-09")));
    assert!(!delayed);
    assert_eq!(dated.ship_by(), Some("2027-03-09".parse().expect("a date")));
    let (still, delayed) = is_delay(&answered, None);
    assert!(!delayed);
    assert_eq!(still.ship_by(), None);
}

#[test]
fn news_for_a_sku_the_order_does_not_wait_for_is_refused() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    let lantern = Event::WindowChanged {
        sku: sku("LANTERN"),
        window: None,
        reason: "Why.".into(),
        fix: "What.".into(),
        in_stock: vec![],
    };
    refused_as(
        apply(Some(&order), &lantern, later(1), &us()),
        "the order has no line waiting for LANTERN",
    );
}

#[test]
fn a_repeated_choice_is_answered_from_the_order_only_when_nothing_is_due() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    let (slipped, _) = apply(
        Some(&order),
        &news(Some(window("2027-03-01", "2027-03-10")), "Why.", "What."),
        later(20),
        &us(),
    )
    .expect("slipped");
    let keep = Event::Chose {
        offer: OfferId(1),
        choice: Choice::KeepWaiting,
    };
    let (chosen, _) = apply(Some(&slipped), &keep, later(21), &us()).expect("chosen");
    let due = chosen.wake_up().expect("a wake-up");
    // Just before the wake-up: the very same order, nothing to do.
    let before = Timestamp::from_unix_seconds(due.unix_seconds() - 1);
    let (same, effects) = apply(Some(&chosen), &keep, before, &us()).expect("taken");
    assert_eq!((same, effects), (chosen.clone(), Vec::new()));
    // At the wake-up: time is caught up first, so the order moves on.
    let (moved, _) = apply(Some(&chosen), &keep, due, &us()).expect("taken");
    assert_ne!(moved, chosen);
}

#[test]
fn news_moves_only_the_lines_of_its_sku() {
    let mut new = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    new.lines[1].backorder = Some(window("2027-02-03", "2027-02-10"));
    let order = apply(None, &Event::Placed(new), start(), &us())
        .expect("placed")
        .0;
    let sooner = Some(window("2027-02-02", "2027-02-09"));
    let (next, _) = apply(
        Some(&order),
        &news(sooner, "Why.", "What."),
        later(5),
        &us(),
    )
    .expect("taken");
    let windows: Vec<Option<ShipWindow>> = next.lines().iter().map(|line| line.window).collect();
    assert_eq!(windows, [sooner, Some(window("2027-02-03", "2027-02-10"))]);
}

#[test]
fn a_shipment_names_its_carrier_and_tracking_and_ships_every_ready_line() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    let (stocked, _) = apply(
        Some(&order),
        &Event::StockArrived { sku: sku("TENT") },
        later(20),
        &us(),
    )
    .expect("stocked");
    let (processed, _) =
        apply(Some(&stocked), &Event::Processed, later(20), &us()).expect("processed");
    let ship = |carrier: &str, tracking: &str| Event::Shipped {
        carrier: carrier.into(),
        tracking: tracking.into(),
    };
    let long = "1".repeat(101);
    for (carrier, tracking) in [
        ("", "1Z"),
        ("UPS", " "),
        (long.as_str(), "1Z"),
        ("UPS", long.as_str()),
    ] {
        refused_as(
            apply(Some(&processed), &ship(carrier, tracking), later(21), &us()),
            "a shipment needs a carrier and a tracking number",
        );
    }
    let (shipped, _) = apply(
        Some(&processed),
        &ship(&"U".repeat(100), "1Z"),
        later(21),
        &us(),
    )
    .expect("shipped");
    assert!(
        shipped
            .lines()
            .iter()
            .all(|line| line.state == shared::lifecycle::LineState::Shipped),
        "{:?}",
        shipped.lines()
    );
}

/// The options of the first delay's offer, by kind, for an order of a tent
/// (waiting) and a lantern (in stock, or waiting too), under a policy.
fn offered(policy_json: &str, lantern_waits: bool, in_stock: &[&str]) -> Vec<&'static str> {
    let policy = policy(policy_json);
    let mut new = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    if lantern_waits {
        new.lines[1].backorder = Some(window("2027-02-01", "2027-02-10"));
    }
    let order = apply(None, &Event::Placed(new), start(), &policy)
        .expect("placed")
        .0;
    let slip = Event::WindowChanged {
        sku: sku("TENT"),
        window: Some(window("2027-03-01", "2027-03-10")),
        reason: "Why.".into(),
        fix: "What.".into(),
        in_stock: in_stock.iter().map(|s| sku(s)).collect(),
    };
    let (slipped, _) = apply(Some(&order), &slip, later(20), &policy).expect("slipped");
    let offer = slipped.offers().last().expect("an offer");
    offer.options.iter().map(|o| o.kind().code()).collect()
}

#[test]
fn an_offer_holds_the_options_the_shop_enables_that_fit_the_order() {
    let alternatives = r#""alternatives": [{"for_sku": "TENT", "sku": "SHELTER", "months": [1]},
                                          {"for_sku": "TENT", "sku": "TARP", "months": [7]}]"#;
    let it = |extra: &str| format!(r#"{{"country": "IT", {alternatives}{extra}}}"#);
    let all = [
        "keep_waiting",
        "switch_item",
        "ship_available_now",
        "store_credit",
        "cancel",
    ];
    assert_eq!(offered(&it(""), false, &["SHELTER"]), all);
    // The alternative must be in stock and in season (January here).
    assert_eq!(
        offered(&it(""), false, &["TARP"]),
        [
            "keep_waiting",
            "ship_available_now",
            "store_credit",
            "cancel"
        ]
    );
    assert_eq!(
        offered(&it(""), false, &[]),
        [
            "keep_waiting",
            "ship_available_now",
            "store_credit",
            "cancel"
        ]
    );
    // Nothing ready to ship now: no "ship what is in stock".
    assert_eq!(
        offered(&it(""), true, &["SHELTER"]),
        ["keep_waiting", "switch_item", "store_credit", "cancel"]
    );
    // What the shop turns off is not offered (outside the US rule, cancel too).
    let off =
        it(r#", "options": {"ship_available_now": false, "store_credit": false, "cancel": false}"#);
    assert_eq!(
        offered(&off, false, &["SHELTER"]),
        ["keep_waiting", "switch_item"]
    );
    let only_cancel = it(
        r#", "options": {"keep_waiting": false, "switch_item": false, "ship_available_now": false, "store_credit": false, "cancel": true}"#,
    );
    assert_eq!(offered(&only_cancel, false, &["SHELTER"]), ["cancel"]);
}

#[test]
fn an_open_offer_holds_back_the_nurture_email_until_it_lapses() {
    // Placed on 4 January: nurture due on the 16th. A slip on the 14th
    // opens an offer until the 21st; nothing else goes out before then.
    let order = placed(window("2027-02-01", "2027-02-14"));
    let slip = news(Some(window("2027-03-01", "2027-03-10")), "Why.", "What.");
    let (slipped, _) = apply(Some(&order), &slip, later(10), &us()).expect("slipped");
    let offer = slipped.offers().last().expect("an offer");
    assert_eq!(slipped.wake_up(), Some(offer.expires_at));
}

#[test]
fn switching_replaces_only_the_waiting_lines_of_that_item() {
    let policy =
        policy(r#"{"country": "IT", "alternatives": [{"for_sku": "TENT", "sku": "SHELTER"}]}"#);
    // The lantern waits too, for its own stock.
    let mut new = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    new.lines[1].backorder = Some(window("2027-02-01", "2027-02-10"));
    let order = apply(None, &Event::Placed(new), start(), &policy)
        .expect("placed")
        .0;
    let slip = Event::WindowChanged {
        sku: sku("TENT"),
        window: Some(window("2027-03-01", "2027-03-10")),
        reason: "Why.".into(),
        fix: "What.".into(),
        in_stock: vec![sku("SHELTER")],
    };
    let (slipped, _) = apply(Some(&order), &slip, later(20), &policy).expect("slipped");
    let switch = Event::Chose {
        offer: OfferId(1),
        choice: Choice::SwitchItem {
            sku: sku("SHELTER"),
        },
    };
    let (switched, _) = apply(Some(&slipped), &switch, later(21), &policy).expect("switched");
    let lines: Vec<(String, Option<String>)> = switched
        .lines()
        .iter()
        .map(|line| {
            (
                line.sku.to_string(),
                line.replaces.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("SHELTER".to_owned(), Some("TENT".to_owned())),
            ("LANTERN".to_owned(), None),
        ]
    );
}

/// What each event adds to the customer's timeline, by kind.
struct Timeline {
    order: Option<Order>,
    policy: ShopPolicy,
}

impl Timeline {
    /// An Italian shop's order, slipped on its second day with an offer.
    fn slipped() -> Timeline {
        let mut timeline = Timeline {
            order: None,
            policy: policy(r#"{"country": "IT"}"#),
        };
        timeline.take(
            Event::Placed(tent_and_lantern(window("2027-02-01", "2027-02-14"))),
            start(),
        );
        timeline.take(
            news(Some(window("2027-03-01", "2027-03-10")), "Why.", "What."),
            later(2),
        );
        timeline
    }

    #[track_caller]
    fn take(&mut self, event: Event, at: Timestamp) -> Vec<String> {
        let (order, effects) = apply(self.order.as_ref(), &event, at, &self.policy).expect("taken");
        self.order = Some(order);
        shared::lifecycle::timeline_entries(&event, &effects, at)
            .iter()
            .map(|entry| {
                let json = serde_json::to_value(entry).expect("serialises");
                json["what"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    }
}

#[test]
fn each_step_adds_what_the_customer_is_told_to_the_timeline() {
    let mut timeline = Timeline {
        order: None,
        policy: policy(r#"{"country": "IT"}"#),
    };
    let placed = Event::Placed(tent_and_lantern(window("2027-02-01", "2027-02-14")));
    let sooner = news(Some(window("2027-02-01", "2027-02-10")), "Why.", "What.");
    let slip = news(Some(window("2027-03-01", "2027-03-10")), "Why.", "What.");
    let keep = Event::Chose {
        offer: OfferId(1),
        choice: Choice::KeepWaiting,
    };
    let stock = Event::StockArrived { sku: sku("TENT") };
    let shipped = Event::Shipped {
        carrier: "UPS".into(),
        tracking: "1Z".into(),
    };
    let steps: Vec<(Event, i64, &[&str])> = vec![
        (placed, 0, &["placed"]),
        (sooner, 1, &["window_news"]),
        (slip, 2, &["delayed"]),
        (keep, 3, &["chose"]),
        (stock, 40, &["restocked"]),
        (Event::Processed, 41, &["processed"]),
        (shipped, 42, &["shipped"]),
        (Event::Delivered, 44, &["delivered"]),
    ];
    for (event, day, expect) in steps {
        let name = event.name();
        assert_eq!(timeline.take(event, later(day)), expect, "{name}");
    }

    // Another order: an offer left to lapse, then the store cancels.
    let mut other = Timeline::slipped();
    assert_eq!(other.take(Event::TimePassed, later(30)), ["offer_expired"]);
    assert_eq!(
        other.take(Event::CancelledByStore, later(31)),
        ["cancelled_by_store"]
    );

    // A customer who cancels is told of the choice and of the refund.
    let mut third = Timeline::slipped();
    let cancel = Event::Chose {
        offer: OfferId(1),
        choice: Choice::Cancel,
    };
    assert_eq!(third.take(cancel, later(3)), ["chose", "cancelled"]);
}

#[test]
fn the_customers_view_shows_the_window_while_waiting_and_the_answer_once_given() {
    let view = |order: &Order, at| shared::lifecycle::OrderView::of(order, &[], at);
    let order = placed(window("2027-02-01", "2027-02-14"));
    let waiting = view(&order, later(1));
    assert_eq!(waiting.window, Some(window("2027-02-01", "2027-02-14")));
    assert_eq!((waiting.offer, waiting.chosen), (None, None));
    let (slipped, _) = apply(
        Some(&order),
        &news(Some(window("2027-03-01", "2027-03-10")), "Why.", "What."),
        later(20),
        &us(),
    )
    .expect("slipped");
    let offered = view(&slipped, later(20));
    assert_eq!(offered.offer.map(|offer| offer.id), Some(OfferId(1)));
    assert_eq!(offered.chosen, None);
    let keep = Event::Chose {
        offer: OfferId(1),
        choice: Choice::KeepWaiting,
    };
    let (answered, _) = apply(Some(&slipped), &keep, later(21), &us()).expect("chosen");
    let answered = view(&answered, later(21));
    assert_eq!(answered.offer, None);
    assert_eq!(answered.chosen, Some(Choice::KeepWaiting));
    // Once nothing waits, no window is shown.
    let (stocked, _) = apply(
        Some(&order),
        &Event::StockArrived { sku: sku("TENT") },
        later(22),
        &us(),
    )
    .expect("stocked");
    assert_eq!(view(&stocked, later(22)).window, None);
}

#[test]
fn an_order_the_store_cancelled_asks_for_no_wake_up_at_its_consent_deadline() {
    let order = placed(window("2027-02-01", "2027-02-14"));
    // A long delay under the US rule: consent is needed by a deadline.
    let (slipped, _) = apply(
        Some(&order),
        &news(Some(window("2027-04-01", "2027-04-30")), "Why.", "What."),
        later(20),
        &us(),
    )
    .expect("slipped");
    assert!(matches!(
        slipped.consent(),
        shared::lifecycle::Consent::Required { .. }
    ));
    let (cancelled, _) =
        apply(Some(&slipped), &Event::CancelledByStore, later(21), &us()).expect("cancelled");
    assert_eq!(cancelled.wake_up(), None);
}
