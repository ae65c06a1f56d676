//! Properties of the lifecycle over random event sequences: whatever the
//! store, the customer and the clock do, these hold after every event.

use proptest::prelude::*;
use shared::lifecycle::{
    Choice, Consent, Effect, Email, Event, OfferId, OfferOutcome, OfferedOption, Order,
    RawShopPolicy, Rejection, ShopPolicy, Stage, apply,
};
use shared::{Date, Money, ShipWindow, Timestamp};

use crate::journey::{sku, tent_and_lantern};

/// One step of a random history.
#[derive(Clone, Debug)]
enum Step {
    /// Some hours pass, then this happens.
    After(u32, Happening),
    /// The wake-up the order asked for arrives.
    WakeUp,
}

#[derive(Clone, Debug)]
enum Happening {
    Stock(usize),
    Window {
        sku: usize,
        window: Option<(i64, i64)>,
    },
    Processed,
    Shipped,
    Delivered,
    Chose {
        offer: u32,
        choice: usize,
    },
    TimePassed,
    Cancelled,
}

const SKUS: [&str; 3] = ["TENT", "LANTERN", "KAYAK"];

fn happening() -> impl Strategy<Value = Happening> {
    prop_oneof![
        1 => (0..3usize).prop_map(Happening::Stock),
        2 => (0..3usize, proptest::option::of((-10i64..60, 0i64..30)))
            .prop_map(|(sku, window)| Happening::Window { sku, window }),
        1 => Just(Happening::Processed),
        1 => Just(Happening::Shipped),
        1 => Just(Happening::Delivered),
        // Offer 0 stands for the newest one, so that many choices land.
        3 => (0..4u32, 0..6usize).prop_map(|(offer, choice)| Happening::Chose { offer, choice }),
        1 => Just(Happening::TimePassed),
        1 => Just(Happening::Cancelled),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..24 * 20u32, happening()).prop_map(|(hours, h)| Step::After(hours, h)),
        2 => (0..24u32, happening()).prop_map(|(hours, h)| Step::After(hours, h)),
        2 => Just(Step::WakeUp),
    ]
}

fn shop_policy() -> impl Strategy<Value = ShopPolicy> {
    (10..=14u8, any::<bool>(), any::<[bool; 5]>(), 0..=50u8)
        .prop_flat_map(|(nurture, us, enabled, bonus)| {
            (Just((nurture, us, enabled, bonus)), 1..nurture)
        })
        .prop_map(|((nurture, us, enabled, bonus), lifetime)| {
            let mut raw = RawShopPolicy {
                nurture_every_days: nurture,
                offer_lifetime_days: lifetime,
                store_credit_bonus_percent: bonus,
                country: if us { "US".into() } else { "IT".into() },
                alternatives: serde_json::from_str(
                    r#"[{"for_sku": "TENT", "sku": "KAYAK"}, {"for_sku": "LANTERN", "sku": "KAYAK", "months": [7]}]"#,
                )
                .expect("valid alternatives"),
                ..RawShopPolicy::default()
            };
            raw.options.keep_waiting = enabled[0];
            raw.options.switch_item = enabled[1];
            raw.options.ship_available_now = enabled[2];
            raw.options.store_credit = enabled[3];
            raw.options.cancel = enabled[4] || us || !enabled[..4].contains(&true);
            ShopPolicy::parse(raw).expect("the generated policy is valid")
        })
}

fn start() -> Timestamp {
    Timestamp::start_of("2027-01-04".parse::<Date>().expect("valid"))
}

fn window_from(now: Timestamp, start_days: i64, length: i64) -> Option<ShipWindow> {
    let earliest = now.date().add_days(start_days)?;
    ShipWindow::new(earliest, earliest.add_days(length)?).ok()
}

fn event_for(happening: &Happening, now: Timestamp, order: Option<&Order>) -> Event {
    let choices = |index: usize| match index {
        0 => Choice::KeepWaiting,
        1 => Choice::SwitchItem { sku: sku("KAYAK") },
        2 => Choice::ShipAvailableNow,
        3 => Choice::StoreCredit,
        4 => Choice::Cancel,
        _ => Choice::SwitchItem { sku: sku("TENT") },
    };
    match happening {
        Happening::Stock(index) => Event::StockArrived {
            sku: sku(SKUS[*index]),
        },
        Happening::Window { sku: index, window } => Event::WindowChanged {
            sku: sku(SKUS[*index]),
            window: window.and_then(|(start, length)| window_from(now, start, length)),
            reason: "The supplier is late.".into(),
            fix: "We are on it.".into(),
            in_stock: vec![sku("KAYAK")],
        },
        Happening::Processed => Event::Processed,
        Happening::Shipped => Event::Shipped {
            carrier: "UPS".into(),
            tracking: "1Z".into(),
        },
        Happening::Delivered => Event::Delivered,
        Happening::Chose { offer, choice } => {
            let newest = order.and_then(|o| o.offers().last()).map_or(1, |o| o.id.0);
            let offer = if *offer == 0 { newest } else { *offer };
            Event::Chose {
                offer: OfferId(offer),
                choice: choices(*choice),
            }
        }
        Happening::TimePassed => Event::TimePassed,
        Happening::Cancelled => Event::CustomerCancelled,
    }
}

/// What the checks remember across a history.
struct Watch {
    answered: bool,
    last_nurture: Option<Timestamp>,
    money_out: u64,
}

fn check_step(
    policy: &ShopPolicy,
    order: &Order,
    effects: &[Effect],
    now: Timestamp,
    watch: &mut Watch,
) -> Result<(), TestCaseError> {
    let live = order
        .offers()
        .iter()
        .filter(|offer| offer.is_live(now))
        .count();
    prop_assert!(live <= 1, "{live} live offers at {now}");
    for effect in effects {
        match effect {
            Effect::OfferClosed {
                outcome: OfferOutcome::Chosen { .. },
                ..
            } => watch.answered = true,
            Effect::Send(Email::DelayNotice(notice)) => {
                watch.answered = false;
                prop_assert!(
                    notice
                        .reason
                        .texts()
                        .iter()
                        .chain(&notice.fix.texts())
                        .all(|t| !t.trim().is_empty())
                );
                prop_assert!(!notice.options.is_empty(), "a delay notice without options");
                if policy.us_mail_order_rule() {
                    let can_cancel = notice
                        .options
                        .iter()
                        .any(|o| matches!(o, OfferedOption::Cancel { .. }));
                    prop_assert!(can_cancel, "16 CFR 435.2(b): cancel must be offered");
                    if let Some(terms) = &notice.us_rule {
                        prop_assert_eq!(terms.revised_ship_by, notice.window.map(|w| w.latest()));
                        prop_assert_eq!(terms.silence_is_consent, terms.consent_by.is_none());
                    }
                }
            }
            Effect::Send(email @ Email::Nurture { .. }) => {
                prop_assert!(
                    !(email.is_sequence() && watch.answered),
                    "a sequence email after the customer chose"
                );
                if let Some(last) = watch.last_nurture {
                    let gap = now.unix_seconds() - last.unix_seconds();
                    let least = i64::from(policy.nurture_every_days()) * 86_400;
                    prop_assert!(gap >= least, "nurture emails {gap} s apart");
                }
                watch.last_nurture = Some(now);
            }
            Effect::Refund { amount, by } => {
                watch.money_out += amount.minor;
                // A prompt refund: 7 working days span at most 11 calendar days.
                prop_assert!(*by <= now.date().add_days(11).unwrap_or(*by));
            }
            Effect::IssueStoreCredit { value, .. } => watch.money_out += value.minor,
            _ => {}
        }
    }
    prop_assert!(
        watch.money_out <= order.paid().minor,
        "more given back than was paid"
    );
    prop_assert_eq!(
        order.returned(),
        Money::new(order.currency(), watch.money_out)
    );
    if let Consent::Required { by } = order.consent()
        && order.stage().is_open()
    {
        prop_assert!(
            by > now,
            "consent was due at {by} and the order is still open at {now}"
        );
        prop_assert!(
            order.wake_up().is_some_and(|at| at <= by),
            "no wake-up before {by}"
        );
    }
    Ok(())
}

/// A refusal must be justified by the order as it was: the lifecycle may
/// not refuse what it should take. (Only time that is not yet due is
/// assumed: an order whose wake-up has come may change first.)
fn check_rejection(
    order: &Order,
    event: &Event,
    now: Timestamp,
    rejection: &Rejection,
) -> Result<(), TestCaseError> {
    prop_assert!(
        !matches!(event, Event::TimePassed),
        "time passing was refused: {rejection}"
    );
    let settled = order.wake_up().is_none_or(|at| at > now);
    let offer_of = |id: &OfferId| order.offers().iter().find(|offer| offer.id == *id);
    match (rejection, event) {
        (Rejection::TimeWentBackwards { last }, _) => {
            prop_assert!(now < *last && *last == order.last_event_at());
        }
        _ if now < order.last_event_at() => {
            prop_assert!(false, "went back in time and was refused for {rejection}");
        }
        // A wake-up that has come may change the order (an offer opens or
        // lapses, the order is cancelled) before the event meets it.
        _ if !settled => {}
        (Rejection::UnknownOffer(id), Event::Chose { offer, .. }) => {
            prop_assert!(id == offer && offer_of(id).is_none(), "{id:?} exists");
        }
        (Rejection::AlreadyChose { offer, chosen }, Event::Chose { choice, .. }) => {
            let recorded = offer_of(offer).and_then(|offer| offer.outcome.clone());
            prop_assert!(
                matches!(recorded, Some(OfferOutcome::Chosen { choice: ref was, .. }) if was == chosen && was != choice),
                "{offer:?} was not answered with {chosen:?}"
            );
        }
        (Rejection::NotOffered(id), Event::Chose { choice, .. }) => {
            let offer = offer_of(id);
            prop_assert!(offer.is_some(), "{id:?} does not exist");
            let offered =
                offer.is_some_and(|offer| offer.options.iter().any(|o| o.matches(choice)));
            prop_assert!(!offered, "{choice:?} was offered in {id:?}");
        }
        (Rejection::OfferClosed(id), Event::Chose { .. }) => {
            let live = offer_of(id).is_some_and(|offer| offer.is_live(now));
            prop_assert!(!live, "{id:?} was live at {now}");
        }
        (
            Rejection::NotWaitingFor(sku),
            Event::StockArrived { .. } | Event::WindowChanged { .. },
        ) if settled => {
            let waits = order.waiting_lines().any(|line| line.sku == *sku);
            prop_assert!(!waits, "the order waits for {sku}");
        }
        (Rejection::WrongStage { .. }, _) => {
            // Only the store's own steps come in an order the lifecycle
            // enforces; news and choices never meet a wrong stage while the
            // order waits for stock.
            let store_step = matches!(
                event,
                Event::Processed | Event::Shipped { .. } | Event::Delivered
            );
            prop_assert!(
                store_step || order.stage() != Stage::Waiting,
                "{event:?} refused while the order waits: {rejection}"
            );
        }
        _ => prop_assert!(false, "{event:?} refused as {rejection}"),
    }
    Ok(())
}

proptest! {
    // 2,000 histories by default (a few seconds); PROPTEST_CASES=200000
    // searches longer.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_over_random_histories(
        policy in shop_policy(),
        tent in (5i64..60, 0i64..20),
        lantern_waits in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let mut now = start();
        let mut new_order = tent_and_lantern(window_from(now, tent.0, tent.1).expect("in range"));
        if lantern_waits {
            new_order.lines[1].backorder = window_from(now, tent.0 + 3, tent.1);
        }
        let (mut order, effects) =
            apply(None, &Event::Placed(new_order), now, &policy).expect("a valid order");
        let mut watch = Watch { answered: false, last_nurture: None, money_out: 0 };
        check_step(&policy, &order, &effects, now, &mut watch)?;
        for step in steps {
            let event = match &step {
                Step::WakeUp => match order.wake_up() {
                    Some(at) => {
                        now = now.max(at);
                        Event::TimePassed
                    }
                    None => continue,
                },
                Step::After(hours, happening) => {
                    now = now.plus_seconds(i64::from(*hours) * 3600);
                    event_for(happening, now, Some(&order))
                }
            };
            match apply(Some(&order), &event, now, &policy) {
                Ok((next, effects)) => {
                    check_step(&policy, &next, &effects, now, &mut watch)?;
                    order = next;
                }
                Err(rejection) => check_rejection(&order, &event, now, &rejection)?,
            }
        }
    }

    #[test]
    fn a_repeated_choice_changes_nothing(choice in 0..5usize, lantern_waits in any::<bool>()) {
        // Only choices the offer holds: each case repeats a choice that was
        // taken, rather than passing through when the first was refused.
        let policy = ShopPolicy::parse(RawShopPolicy::default()).expect("valid");
        let now = start();
        let mut new_order = tent_and_lantern(window_from(now, 20, 10).expect("in range"));
        if lantern_waits {
            new_order.lines[1].backorder = window_from(now, 25, 10);
        }
        let (order, _) = apply(None, &Event::Placed(new_order), now, &policy).expect("valid");
        let slip = event_for(&Happening::Window { sku: 0, window: Some((50, 10)) }, now, None);
        let (order, _) = apply(Some(&order), &slip, now, &policy).expect("a slip");
        let offer = order.offers().last().expect("the slip opened an offer");
        let options = &offer.options;
        let option = &options[choice % options.len()];
        let picked = (0..6)
            .map(|index| event_for(&Happening::Chose { offer: 1, choice: index }, now, None))
            .find(|event| matches!(event, Event::Chose { choice, .. } if option.matches(choice)));
        let choose = picked.expect("every offered option has a choice that takes it");
        let (chosen, effects) = apply(Some(&order), &choose, now, &policy).expect("offered");
        prop_assert!(!effects.is_empty(), "the first choice did nothing");
        let later = now.plus_seconds(60);
        let (again, effects) = apply(Some(&chosen), &choose, later, &policy).expect("accepted");
        prop_assert_eq!(again, chosen);
        prop_assert!(effects.is_empty(), "a repeated choice did something: {effects:?}");
    }
}
