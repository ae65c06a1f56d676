//! One scenario per journey of the brief: events in, effects out.

use expect_test::expect;
use shared::lifecycle::{Choice, Consent, Event, OfferId, Stage};

use crate::journey::{Journey, policy, sku, tent_and_lantern, window};

/// A US shop with a tent backordered to ship 1–14 February 2027.
fn placed() -> Journey {
    let mut journey = Journey::new(policy("{}"), "2027-01-04");
    journey.event(Event::Placed(tent_and_lantern(window(
        "2027-02-01",
        "2027-02-14",
    ))));
    journey
}

/// The supplier moves the tent to 20 February – 1 March (15 days past the
/// promise) on 25 January; the shelter is in stock as an alternative. The
/// log starts after the delay notice (`first_slip_...` shows it).
fn slipped(json_policy: &str) -> Journey {
    let mut journey = slipped_with_log(json_policy);
    journey.log_from_here();
    journey
}

fn slipped_with_log(json_policy: &str) -> Journey {
    let mut journey = Journey::new(policy(json_policy), "2027-01-04");
    journey
        .event(Event::Placed(tent_and_lantern(window(
            "2027-02-01",
            "2027-02-14",
        ))))
        .on_day("2027-01-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: Some(window("2027-02-20", "2027-03-01")),
            reason: "The ship carrying our tents was held at port.".into(),
            fix: "We booked the first truck out of the port.".into(),
            in_stock: vec![sku("SHELTER")],
        });
    journey
}

const WITH_SHELTER: &str = r#"{"alternatives": [
    {"for_sku": "TENT", "sku": "SHELTER"},
    {"for_sku": "TENT", "sku": "HAMMOCK", "months": [6, 7, 8]}
]}"#;

#[test]
fn happy_backorder_from_receipt_to_win_back() {
    let mut journey = placed();
    journey
        .on_day("2027-01-30")
        .event(Event::StockArrived { sku: sku("TENT") })
        .on_day("2027-01-31")
        .event(Event::Processed)
        .event(Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z999".into(),
        })
        .on_day("2027-02-03")
        .event(Event::Delivered)
        .wake()
        .wake();
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-30T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-02-15T00:00Z }
        2027-01-31T09:00Z processed
          Send(Processed)
          ShowStatus(PublicStatus { stage: Processed, window: None, live_offer: None })
        2027-01-31T09:00Z shipped
          Send(Shipped { carrier: "UPS", tracking: "1Z999", expedited: false })
          ShowStatus(PublicStatus { stage: Shipped, window: None, live_offer: None })
        2027-02-03T09:00Z delivered
          ShowStatus(PublicStatus { stage: Delivered, window: None, live_offer: None })
          WakeUpAt { at: 2027-02-08T09:00Z }
        2027-02-08T09:00Z time_passed
          Send(FollowUp)
          WakeUpAt { at: 2027-04-04T09:00Z }
        2027-04-04T09:00Z time_passed
          Send(WinBack)
    "#]]);
}

#[test]
fn restock_of_one_line_tells_the_customer_and_waits_for_the_rest() {
    let mut order = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    order.lines[1].backorder = Some(window("2027-02-05", "2027-02-10"));
    let mut journey = Journey::new(policy("{}"), "2027-01-04");
    journey
        .event(Event::Placed(order))
        .on_day("2027-01-20")
        .event(Event::StockArrived {
            sku: sku("LANTERN"),
        })
        .on_day("2027-01-22")
        .event(Event::StockArrived { sku: sku("TENT") })
        .event(Event::StockArrived { sku: sku("TENT") });
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14), (LANTERN, 2027-02-05..2027-02-10)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-20T09:00Z stock_arrived
          Send(Restocked { sku: LANTERN, order_complete: false })
          Send(Nurture { window: Some(2027-02-01..2027-02-14), offer: None })
          WakeUpAt { at: 2027-02-01T09:00Z }
        2027-01-22T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-02-15T00:00Z }
        2027-01-22T09:00Z stock_arrived
          rejected: stock_arrived cannot happen while the order is Processing
    "#]]);
}

#[test]
fn long_wait_gets_a_nurture_email_every_twelve_days_and_no_more() {
    let mut journey = Journey::new(policy("{}"), "2027-01-04");
    journey
        .event(Event::Placed(tent_and_lantern(window(
            "2027-03-20",
            "2027-04-10",
        ))))
        .wake()
        .on_day("2027-01-20")
        .event(Event::TimePassed)
        .wake()
        .wake()
        .on_day("2027-02-20")
        .event(Event::StockArrived { sku: sku("TENT") });
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-03-20..2027-04-10)], ship: Some(2027-03-20..2027-04-10), delivery: Some(2027-03-22..2027-04-15), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-03-20..2027-04-10), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-16T09:00Z time_passed
          Send(Nurture { window: Some(2027-03-20..2027-04-10), offer: None })
          WakeUpAt { at: 2027-01-28T09:00Z }
        2027-01-20T09:00Z time_passed
          (nothing)
        2027-01-28T09:00Z time_passed
          Send(Nurture { window: Some(2027-03-20..2027-04-10), offer: None })
          WakeUpAt { at: 2027-02-09T09:00Z }
        2027-02-09T09:00Z time_passed
          Send(Nurture { window: Some(2027-03-20..2027-04-10), offer: None })
          WakeUpAt { at: 2027-02-21T09:00Z }
        2027-02-20T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-04-11T00:00Z }
    "#]]);
}

#[test]
fn first_slip_apologises_at_once_with_every_option() {
    let journey = slipped_with_log(WITH_SHELTER);
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-25T09:00Z window_changed
          OfferOpened { offer: OfferId(1), expires_at: 2027-02-01T09:00Z }
          Send(DelayNotice(DelayNotice { reason: One("The ship carrying our tents was held at port."), fix: One("We booked the first truck out of the port."), window: Some(2027-02-20..2027-03-01), offer: OfferId(1), options: [KeepWaiting { expedited: true }, SwitchItem { alternatives: [(TENT, SHELTER)] }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }, Cancel { refund: USD 219.00 }], offer_expires_at: 2027-02-01T09:00Z, us_rule: Some(UsRuleTerms { renewed: false, revised_ship_by: Some(2027-03-01), silence_is_consent: true, consent_by: None, cancel_any_time_until_shipped: false }) }))
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-20..2027-03-01), live_offer: Some(OfferId(1)) })
          WakeUpAt { at: 2027-02-01T09:00Z }
    "#]]);
}

#[test]
fn keep_waiting_gets_free_expedited_shipping_and_plain_news_after() {
    let mut journey = slipped(WITH_SHELTER);
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::KeepWaiting,
        })
        .wake()
        .on_day("2027-02-20")
        .event(Event::StockArrived { sku: sku("TENT") })
        .event(Event::Processed)
        .event(Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z777".into(),
        });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: KeepWaiting, at: 2027-01-26T09:00Z } }
          ExpediteShipping
          Send(ChoiceConfirmed { choice: KeepWaiting, credit: None, expedited: true })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-20..2027-03-01), live_offer: None })
        2027-02-01T09:00Z time_passed
          Send(Nurture { window: Some(2027-02-20..2027-03-01), offer: None })
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-20T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
        2027-02-20T09:00Z processed
          Send(Processed)
          ShowStatus(PublicStatus { stage: Processed, window: None, live_offer: None })
        2027-02-20T09:00Z shipped
          Send(Shipped { carrier: "UPS", tracking: "1Z777", expedited: true })
          ShowStatus(PublicStatus { stage: Shipped, window: None, live_offer: None })
    "#]]);
}

#[test]
fn us_rule_a_revised_date_passing_without_renewed_consent_cancels() {
    // 16 CFR 435.2(b)(2): consent to the first delay covers the revised date
    // only; when that passes unshipped with no renewed consent, the order is
    // cancelled and refunded.
    let mut journey = slipped("{}");
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::KeepWaiting,
        })
        .on_day("2027-03-02")
        .event(Event::TimePassed);
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: KeepWaiting, at: 2027-01-26T09:00Z } }
          ExpediteShipping
          Send(ChoiceConfirmed { choice: KeepWaiting, credit: None, expedited: true })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-20..2027-03-01), live_offer: None })
        2027-03-02T09:00Z time_passed
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-03-11 }
          Send(Cancelled { cause: NoConsentToDelay, refund: USD 219.00, refund_by: 2027-03-11 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Cancelled);
}

#[test]
fn switching_to_an_in_stock_item_in_season() {
    let mut journey = slipped(WITH_SHELTER);
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::SwitchItem {
                sku: sku("HAMMOCK"),
            },
        })
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::SwitchItem {
                sku: sku("SHELTER"),
            },
        });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          rejected: offer 1 does not include that
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: SwitchItem { sku: SHELTER }, at: 2027-01-26T09:00Z } }
          SwitchItem { from: TENT, to: SHELTER }
          Send(ChoiceConfirmed { choice: SwitchItem { sku: SHELTER }, credit: None, expedited: false })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Processing);
}

#[test]
fn split_shipment_sends_the_in_stock_part_now() {
    let mut journey = slipped("{}");
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::ShipAvailableNow,
        })
        .on_day("2027-02-21")
        .event(Event::StockArrived { sku: sku("TENT") });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: ShipAvailableNow, at: 2027-01-26T09:00Z } }
          ShipNow { skus: [LANTERN] }
          Send(ChoiceConfirmed { choice: ShipAvailableNow, credit: None, expedited: false })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-20..2027-03-01), live_offer: None })
        2027-02-21T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
    "#]]);
}

#[test]
fn store_credit_for_the_waiting_part_with_a_bonus() {
    let mut journey = slipped("{}");
    journey.on_day("2027-01-26").event(Event::Chose {
        offer: OfferId(1),
        choice: Choice::StoreCredit,
    });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: StoreCredit, at: 2027-01-26T09:00Z } }
          CancelLines { skus: [TENT] }
          IssueStoreCredit { value: USD 189.00, bonus: USD 18.90 }
          Send(ChoiceConfirmed { choice: StoreCredit, credit: Some((USD 189.00, USD 18.90)), expedited: false })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
    "#]]);
}

#[test]
fn cancel_refunds_everything_unshipped_by_the_legal_deadline() {
    let mut journey = slipped("{}");
    journey.on_day("2027-01-26").event(Event::Chose {
        offer: OfferId(1),
        choice: Choice::Cancel,
    });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: Cancel, at: 2027-01-26T09:00Z } }
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-02-04 }
          Send(Cancelled { cause: CustomerChose, refund: USD 219.00, refund_by: 2027-02-04 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Cancelled);
}

#[test]
fn double_click_and_a_second_different_choice() {
    let mut journey = slipped("{}");
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::StoreCredit,
        })
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::StoreCredit,
        })
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::Cancel,
        });
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: StoreCredit, at: 2027-01-26T09:00Z } }
          CancelLines { skus: [TENT] }
          IssueStoreCredit { value: USD 189.00, bonus: USD 18.90 }
          Send(ChoiceConfirmed { choice: StoreCredit, credit: Some((USD 189.00, USD 18.90)), expedited: false })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
        2027-01-26T09:00Z chose
          (nothing)
        2027-01-26T09:00Z chose
          rejected: offer 1 was answered already (StoreCredit)
    "#]]);
}

#[test]
fn a_late_choice_on_an_expired_offer_is_refused() {
    let mut journey = slipped("{}");
    journey
        .wake()
        .on_day("2027-02-03")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::Cancel,
        })
        .event(Event::Chose {
            offer: OfferId(9),
            choice: Choice::Cancel,
        });
    journey.check(expect![[r#"
        2027-02-01T09:00Z time_passed
          OfferClosed { offer: OfferId(1), outcome: Expired { at: 2027-02-01T09:00Z } }
          Send(Nurture { window: Some(2027-02-20..2027-03-01), offer: None })
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-03T09:00Z chose
          rejected: offer 1 is no longer open
        2027-02-03T09:00Z chose
          rejected: offer 9 was never made
    "#]]);
}

#[test]
fn us_rule_a_first_delay_of_at_most_30_days_takes_silence_as_consent() {
    // The 15-day slip above, unanswered: the order keeps waiting.
    let mut journey = slipped("{}");
    journey
        .wake()
        .on_day("2027-02-21")
        .event(Event::StockArrived { sku: sku("TENT") });
    journey.check(expect![[r#"
        2027-02-01T09:00Z time_passed
          OfferClosed { offer: OfferId(1), outcome: Expired { at: 2027-02-01T09:00Z } }
          Send(Nurture { window: Some(2027-02-20..2027-03-01), offer: None })
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-21T09:00Z stock_arrived
          Send(Restocked { sku: TENT, order_complete: true })
          ShowStatus(PublicStatus { stage: Processing, window: None, live_offer: None })
          WakeUpAt { at: 2027-03-02T00:00Z }
    "#]]);
}

#[test]
fn us_rule_a_longer_delay_without_consent_cancels_and_refunds() {
    let mut journey = placed();
    journey
        .on_day("2027-01-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: Some(window("2027-03-10", "2027-03-31")),
            reason: "Our supplier's factory is closed for a fortnight.".into(),
            fix: "We ordered from a second factory as well.".into(),
            in_stock: vec![],
        })
        .wake()
        .wake()
        .wake()
        .on_day("2027-03-17")
        .event(Event::TimePassed);
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-25T09:00Z window_changed
          OfferOpened { offer: OfferId(1), expires_at: 2027-02-01T09:00Z }
          Send(DelayNotice(DelayNotice { reason: One("Our supplier's factory is closed for a fortnight."), fix: One("We ordered from a second factory as well."), window: Some(2027-03-10..2027-03-31), offer: OfferId(1), options: [KeepWaiting { expedited: true }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }, Cancel { refund: USD 219.00 }], offer_expires_at: 2027-02-01T09:00Z, us_rule: Some(UsRuleTerms { renewed: false, revised_ship_by: Some(2027-03-31), silence_is_consent: false, consent_by: Some(2027-03-17T00:00Z), cancel_any_time_until_shipped: false }) }))
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-03-10..2027-03-31), live_offer: Some(OfferId(1)) })
          WakeUpAt { at: 2027-02-01T09:00Z }
        2027-02-01T09:00Z time_passed
          OfferClosed { offer: OfferId(1), outcome: Expired { at: 2027-02-01T09:00Z } }
          OfferOpened { offer: OfferId(2), expires_at: 2027-02-08T09:00Z }
          Send(Nurture { window: Some(2027-03-10..2027-03-31), offer: Some(OfferId(2)) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-03-10..2027-03-31), live_offer: Some(OfferId(2)) })
          WakeUpAt { at: 2027-02-08T09:00Z }
        2027-02-08T09:00Z time_passed
          OfferClosed { offer: OfferId(2), outcome: Expired { at: 2027-02-08T09:00Z } }
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-13T09:00Z time_passed
          OfferOpened { offer: OfferId(3), expires_at: 2027-02-20T09:00Z }
          Send(Nurture { window: Some(2027-03-10..2027-03-31), offer: Some(OfferId(3)) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-03-10..2027-03-31), live_offer: Some(OfferId(3)) })
          WakeUpAt { at: 2027-02-20T09:00Z }
        2027-03-17T09:00Z time_passed
          OfferClosed { offer: OfferId(3), outcome: Expired { at: 2027-02-20T09:00Z } }
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-03-26 }
          Send(Cancelled { cause: NoConsentToDelay, refund: USD 219.00, refund_by: 2027-03-26 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Cancelled);
}

#[test]
fn us_rule_a_longer_delay_with_consent_keeps_the_order() {
    let mut journey = placed();
    journey
        .on_day("2027-01-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: None,
            reason: "Our supplier stopped answering.".into(),
            fix: "We are looking for another supplier.".into(),
            in_stock: vec![],
        })
        .on_day("2027-01-27")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::KeepWaiting,
        })
        .on_day("2027-03-30")
        .event(Event::TimePassed);
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-25T09:00Z window_changed
          OfferOpened { offer: OfferId(1), expires_at: 2027-02-01T09:00Z }
          Send(DelayNotice(DelayNotice { reason: One("Our supplier stopped answering."), fix: One("We are looking for another supplier."), window: None, offer: OfferId(1), options: [KeepWaiting { expedited: true }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }, Cancel { refund: USD 219.00 }], offer_expires_at: 2027-02-01T09:00Z, us_rule: Some(UsRuleTerms { renewed: false, revised_ship_by: None, silence_is_consent: false, consent_by: Some(2027-03-17T00:00Z), cancel_any_time_until_shipped: true }) }))
          ShowStatus(PublicStatus { stage: Waiting, window: None, live_offer: Some(OfferId(1)) })
          WakeUpAt { at: 2027-02-01T09:00Z }
        2027-01-27T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: KeepWaiting, at: 2027-01-27T09:00Z } }
          ExpediteShipping
          Send(ChoiceConfirmed { choice: KeepWaiting, credit: None, expedited: true })
          ShowStatus(PublicStatus { stage: Waiting, window: None, live_offer: None })
        2027-03-30T09:00Z time_passed
          Send(Nurture { window: None, offer: None })
          WakeUpAt { at: 2027-04-11T09:00Z }
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Waiting);
}

#[test]
fn a_missed_date_without_news_is_a_delay_too() {
    let mut journey = placed();
    journey.on_day("2027-02-15").event(Event::TimePassed);
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-02-15T09:00Z time_passed
          OfferOpened { offer: OfferId(1), expires_at: 2027-02-22T09:00Z }
          Send(DelayNotice(DelayNotice { reason: One("The stock we expected has not reached us by the date we promised."), fix: One("We are chasing our supplier and will write again as soon as we know more."), window: None, offer: OfferId(1), options: [KeepWaiting { expedited: true }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }, Cancel { refund: USD 219.00 }], offer_expires_at: 2027-02-22T09:00Z, us_rule: Some(UsRuleTerms { renewed: false, revised_ship_by: None, silence_is_consent: false, consent_by: Some(2027-03-17T00:00Z), cancel_any_time_until_shipped: true }) }))
          ShowStatus(PublicStatus { stage: Waiting, window: None, live_offer: Some(OfferId(1)) })
          WakeUpAt { at: 2027-02-22T09:00Z }
    "#]]);
}

#[test]
fn a_second_slip_sends_a_renewed_notice_where_silence_is_not_consent() {
    let mut journey = slipped("{}");
    journey
        .wake()
        .on_day("2027-02-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: Some(window("2027-03-05", "2027-03-12")),
            reason: "The truck broke down.".into(),
            fix: "A second truck is on its way.".into(),
            in_stock: vec![],
        })
        .wake()
        .wake();
    journey.check(expect![[r#"
        2027-02-01T09:00Z time_passed
          OfferClosed { offer: OfferId(1), outcome: Expired { at: 2027-02-01T09:00Z } }
          Send(Nurture { window: Some(2027-02-20..2027-03-01), offer: None })
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-25T09:00Z window_changed
          OfferOpened { offer: OfferId(2), expires_at: 2027-03-02T00:00Z }
          Send(DelayNotice(DelayNotice { reason: One("The truck broke down."), fix: One("A second truck is on its way."), window: Some(2027-03-05..2027-03-12), offer: OfferId(2), options: [KeepWaiting { expedited: true }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }, Cancel { refund: USD 219.00 }], offer_expires_at: 2027-03-02T00:00Z, us_rule: Some(UsRuleTerms { renewed: true, revised_ship_by: Some(2027-03-12), silence_is_consent: false, consent_by: Some(2027-03-02T00:00Z), cancel_any_time_until_shipped: false }) }))
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-03-05..2027-03-12), live_offer: Some(OfferId(2)) })
          WakeUpAt { at: 2027-03-02T00:00Z }
        2027-03-02T00:00Z time_passed
          OfferClosed { offer: OfferId(2), outcome: Expired { at: 2027-03-02T00:00Z } }
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-03-11 }
          Send(Cancelled { cause: NoConsentToDelay, refund: USD 219.00, refund_by: 2027-03-11 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
        (no wake-up asked for)
    "#]]);
}

#[test]
fn non_us_shops_keep_waiting_on_silence_and_may_turn_cancel_off() {
    let mut journey = Journey::new(
        policy(r#"{"country": "IT", "options": {"cancel": false}}"#),
        "2027-01-04",
    );
    journey
        .event(Event::Placed(tent_and_lantern(window(
            "2027-02-01",
            "2027-02-14",
        ))))
        .on_day("2027-01-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: None,
            reason: "Customs are holding the shipment.".into(),
            fix: "Our broker is on it.".into(),
            in_stock: vec![],
        })
        .wake()
        .wake();
    journey.check(expect![[r#"
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-25T09:00Z window_changed
          OfferOpened { offer: OfferId(1), expires_at: 2027-02-01T09:00Z }
          Send(DelayNotice(DelayNotice { reason: One("Customs are holding the shipment."), fix: One("Our broker is on it."), window: None, offer: OfferId(1), options: [KeepWaiting { expedited: true }, ShipAvailableNow { skus: [LANTERN] }, StoreCredit { value: USD 189.00, bonus: USD 18.90 }], offer_expires_at: 2027-02-01T09:00Z, us_rule: None }))
          ShowStatus(PublicStatus { stage: Waiting, window: None, live_offer: Some(OfferId(1)) })
          WakeUpAt { at: 2027-02-01T09:00Z }
        2027-02-01T09:00Z time_passed
          OfferClosed { offer: OfferId(1), outcome: Expired { at: 2027-02-01T09:00Z } }
          Send(Nurture { window: None, offer: None })
          WakeUpAt { at: 2027-02-13T09:00Z }
        2027-02-13T09:00Z time_passed
          Send(Nurture { window: None, offer: None })
          WakeUpAt { at: 2027-02-25T09:00Z }
    "#]]);
}

#[test]
fn bad_events_are_refused_and_change_nothing() {
    let mut journey = Journey::new(policy("{}"), "2027-01-04");
    let mut wrong_total = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    wrong_total.paid_minor = 1;
    let mut nothing_backordered = tent_and_lantern(window("2027-02-01", "2027-02-14"));
    nothing_backordered.lines[0].backorder = None;
    journey
        .event(Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z".into(),
        })
        .event(Event::Placed(wrong_total))
        .event(Event::Placed(nothing_backordered))
        .event(Event::Placed(tent_and_lantern(window(
            "2027-02-01",
            "2027-02-14",
        ))));
    let placed = journey.order().clone();
    journey
        .event(Event::Placed(tent_and_lantern(window(
            "2027-02-01",
            "2027-02-14",
        ))))
        .event(Event::StockArrived { sku: sku("KAYAK") })
        .event(Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z".into(),
        })
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: None,
            reason: " ".into(),
            fix: "x".into(),
            in_stock: vec![],
        })
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::Cancel,
        });
    assert_eq!(
        journey.order(),
        &placed,
        "a refused event changed the order"
    );
    journey.on_day("2027-01-03").event(Event::TimePassed);
    journey.check(expect![[r#"
        2027-01-04T09:00Z shipped
          rejected: no such order has been placed
        2027-01-04T09:00Z placed
          rejected: invalid order: paid USD 0.01, but the lines and shipping add up to USD 219.00
        2027-01-04T09:00Z placed
          rejected: invalid order: no line is on backorder
        2027-01-04T09:00Z placed
          TagOrder { tag: "backorder" }
          TagCustomer { tag: "backorder-customer" }
          Send(Receipt { lines: [(TENT, 2027-02-01..2027-02-14)], ship: Some(2027-02-01..2027-02-14), delivery: Some(2027-02-03..2027-02-19), bill: Some(Bill { items: [(TENT, 1, USD 189.00), (LANTERN, 1, USD 24.00)], shipping: USD 6.00, total: USD 219.00 }) })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-01..2027-02-14), live_offer: None })
          WakeUpAt { at: 2027-01-16T09:00Z }
        2027-01-04T09:00Z placed
          rejected: this order was placed already
        2027-01-04T09:00Z stock_arrived
          rejected: the order has no line waiting for KAYAK
        2027-01-04T09:00Z shipped
          rejected: shipped cannot happen while the order is Waiting
        2027-01-04T09:00Z window_changed
          rejected: a delay needs a reason (1 to 1000 characters, without control, bidi control or other invisible characters)
        2027-01-04T09:00Z chose
          rejected: offer 1 was never made
        2027-01-03T09:00Z time_passed
          rejected: the order already saw 2027-01-04T09:00Z; events cannot go back in time
    "#]]);
}

#[test]
fn the_store_cancelling_closes_the_offer_and_sends_nothing() {
    let mut journey = slipped("{}");
    journey
        .on_day("2027-01-26")
        .event(Event::CancelledByStore)
        .event(Event::CancelledByStore);
    journey.check(expect![[r#"
        2027-01-26T09:00Z cancelled_by_store
          OfferClosed { offer: OfferId(1), outcome: Withdrawn { at: 2027-01-26T09:00Z } }
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
        2027-01-26T09:00Z cancelled_by_store
          rejected: cancelled_by_store cannot happen while the order is Cancelled
    "#]]);
    assert_eq!(journey.order().stage(), Stage::Cancelled);
}

#[test]
fn every_handled_event_bumps_the_sequence_and_a_repeat_does_not() {
    let mut journey = slipped("{}");
    let after_slip = journey.order().seq();
    assert_eq!(after_slip, 2, "placed, then the window change");
    let offer = OfferId(1);
    journey.event(Event::Chose {
        offer,
        choice: Choice::KeepWaiting,
    });
    assert_eq!(journey.order().seq(), 3);
    journey.event(Event::Chose {
        offer,
        choice: Choice::KeepWaiting,
    });
    assert_eq!(
        journey.order().seq(),
        3,
        "a repeated choice changes nothing"
    );
}

/// Regression (found by the mended property over random histories): a
/// repeated choice that arrived when the US rule's consent deadline had
/// passed was answered from the order as it was, and the order stayed open
/// past its deadline. Time is now caught up first.
#[test]
fn us_rule_a_repeated_choice_at_the_consent_deadline_still_cancels() {
    let mut journey = placed();
    let ship_now = Event::Chose {
        offer: OfferId(1),
        choice: Choice::ShipAvailableNow,
    };
    journey
        .on_day("2027-01-25")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: Some(window("2027-02-10", "2027-02-20")),
            reason: "The ship is a week late.".into(),
            fix: "We booked the first truck from the port.".into(),
            in_stock: vec![],
        })
        .event(ship_now.clone())
        .on_day("2027-01-26")
        .event(Event::WindowChanged {
            sku: sku("TENT"),
            window: None,
            reason: "The ship turned back.".into(),
            fix: "We are looking for another supplier.".into(),
            in_stock: vec![],
        });
    let Consent::Required { by } = journey.order().consent() else {
        panic!(
            "a second slip needs consent: {:?}",
            journey.order().consent()
        );
    };
    journey.now = by;
    journey.log_from_here().event(ship_now);
    // The lantern went when it was chosen; the tent is cancelled, refunded.
    assert_eq!(journey.order().stage(), Stage::Shipped);
    assert_eq!(journey.order().waiting_lines().count(), 0);
    journey.check(expect![[r#"
        2027-02-21T00:00Z chose
          OfferClosed { offer: OfferId(2), outcome: Expired { at: 2027-02-02T09:00Z } }
          CancelLines { skus: [TENT] }
          Refund { amount: USD 189.00, by: 2027-03-02 }
          Send(Cancelled { cause: NoConsentToDelay, refund: USD 189.00, refund_by: 2027-03-02 })
          ShowStatus(PublicStatus { stage: Shipped, window: None, live_offer: None })
    "#]]);
}

#[test]
fn the_right_to_cancel_outlives_any_answer_until_it_ships() {
    // The customer kept waiting; weeks later they cancel after all: what
    // has not shipped is cancelled and refunded, once, however often they
    // click. Once the rest has shipped, nothing is left to cancel.
    let mut journey = slipped("{}");
    journey
        .on_day("2027-01-26")
        .event(Event::Chose {
            offer: OfferId(1),
            choice: Choice::KeepWaiting,
        })
        .on_day("2027-02-03")
        .event(Event::CustomerCancelled)
        .event(Event::CustomerCancelled);
    assert_eq!(journey.order().cancellable(), None);
    journey.check(expect![[r#"
        2027-01-26T09:00Z chose
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: KeepWaiting, at: 2027-01-26T09:00Z } }
          ExpediteShipping
          Send(ChoiceConfirmed { choice: KeepWaiting, credit: None, expedited: true })
          ShowStatus(PublicStatus { stage: Waiting, window: Some(2027-02-20..2027-03-01), live_offer: None })
        2027-02-03T09:00Z customer_cancelled
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-02-12 }
          Send(Cancelled { cause: CustomerChose, refund: USD 219.00, refund_by: 2027-02-12 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
        2027-02-03T09:00Z customer_cancelled
          (nothing)
    "#]]);

    let mut shipped = placed();
    shipped
        .on_day("2027-02-01")
        .event(Event::StockArrived { sku: sku("TENT") })
        .event(Event::Processed)
        .event(Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z1".into(),
        })
        .log_from_here()
        .event(Event::CustomerCancelled);
    shipped.check(expect![[r#"
        2027-02-01T09:00Z customer_cancelled
          rejected: customer_cancelled cannot happen while the order is Shipped
    "#]]);
}

#[test]
fn cancelling_while_an_offer_is_open_is_that_offers_answer() {
    let mut journey = slipped("{}");
    assert_eq!(
        journey.order().cancellable().map(|refund| refund.minor),
        Some(21_900)
    );
    journey.on_day("2027-01-26").event(Event::CustomerCancelled);
    journey.check(expect![[r#"
        2027-01-26T09:00Z customer_cancelled
          OfferClosed { offer: OfferId(1), outcome: Chosen { choice: Cancel, at: 2027-01-26T09:00Z } }
          CancelLines { skus: [TENT, LANTERN] }
          Refund { amount: USD 219.00, by: 2027-02-04 }
          Send(Cancelled { cause: CustomerChose, refund: USD 219.00, refund_by: 2027-02-04 })
          ShowStatus(PublicStatus { stage: Cancelled, window: None, live_offer: None })
    "#]]);
}
