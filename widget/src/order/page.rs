//! The order page as the customer sees it: a timeline of steps, the ship
//! range, what happened after a slip, the items, the open offer's options,
//! and a pop-up when something changes.

use leptos::prelude::*;
use shared::lifecycle::{
    CancelCause, Choice, Happening, LineState, OfferId, OfferView, OfferedOption, OrderView, Stage,
};
use shared::text::MerchantText;
use shared::{Money, Sku, Timestamp};

use super::{Actions, Answer, Ui};
use crate::intl::{format_date, format_moment, format_money, format_window};
use crate::words::{OrderWords, Speech, fill};

pub const STYLE: &str = include_str!("order.css");

/// The whole page, drawn from its state.
pub fn page(ui: &Ui, speech: &Speech, actions: Actions) -> impl IntoView + use<> {
    let view = ui.view.clone();
    let words = speech.order();
    let offline = ui
        .offline
        .then(|| view! { <p class="offline">{words.offline}</p> });
    let content = view.map(|view| {
        view! {
            <Summary view=view.clone() speech=speech.clone() />
            {chooser(&view, ui, speech, actions)}
        }
    });
    view! {
        <div
            class="order"
            lang=speech.lang()
            dir=speech.dir()
            data-stage=ui.view.as_ref().map(|view| Stage::code(view.stage))
            data-live=if ui.offline { "offline" } else { "online" }
        >
            {content}
            {offline}
        </div>
    }
}

/// What changed, in the pop-up's live region: it never takes the focus.
pub fn popup(news: &str, speech: &Speech, actions: Actions) -> impl IntoView + use<> {
    view! {
        <div class="popup">
            <p><strong>{speech.order().popup_label}</strong> " " {news.to_owned()}</p>
            <button type="button" class="dismiss" data-key="dismiss" on:click=move |_| actions.dismiss()>
                {speech.order().dismiss}
            </button>
        </div>
    }
}

/// What the customer calls an item: the store's name for it, else its SKU.
pub fn item<'a>(view: &'a OrderView, sku: &'a Sku) -> &'a str {
    view.names
        .iter()
        .find(|(known, _)| known == sku)
        .map_or(sku.as_str(), |(_, name)| name.as_str())
}

/// The moment of the last timeline entry that `is` picks out.
fn last_at(view: &OrderView, is: impl Fn(&Happening) -> bool) -> Option<Timestamp> {
    view.timeline
        .iter()
        .rev()
        .find(|entry| is(&entry.happening))
        .map(|entry| entry.at)
}

/// The status, the range or the shipment, what went wrong, the items.
#[component]
fn Summary(view: OrderView, speech: Speech) -> impl IntoView {
    let words = speech.order();
    let tag = speech.tag.clone();
    let day = |at: Option<Timestamp>| at.map(|at| format_date(at.date(), &tag));
    let reached = match view.stage {
        Stage::Waiting => 1,
        Stage::Processing => 2,
        Stage::Processed => 3,
        Stage::Shipped => 4,
        Stage::Delivered => 5,
        Stage::Cancelled => 0,
    };
    let mut steps = vec![
        (
            words.step_placed,
            day(last_at(&view, |h| matches!(h, Happening::Placed { .. }))),
        ),
        // A delay stays on the timeline after the stock came.
        match last_at(&view, |h| matches!(h, Happening::Delayed { .. })) {
            Some(at) => (words.step_delayed, day(Some(at))),
            None => (words.step_waiting, None),
        },
        (
            words.step_restocked,
            day(last_at(&view, |h| matches!(h, Happening::Restocked { .. }))),
        ),
        (
            words.step_processed,
            day(last_at(&view, |h| matches!(h, Happening::Processed))),
        ),
        (
            words.step_shipped,
            day(last_at(&view, |h| matches!(h, Happening::Shipped { .. }))),
        ),
        (
            words.step_delivered,
            day(last_at(&view, |h| matches!(h, Happening::Delivered))),
        ),
    ];
    if view.stage == Stage::Cancelled {
        steps.truncate(1);
        steps.push((
            words.step_cancelled,
            day(last_at(&view, |h| {
                matches!(h, Happening::Cancelled { .. } | Happening::CancelledByStore)
            })),
        ));
    }
    let current = if view.stage == Stage::Cancelled {
        steps.len() - 1
    } else {
        reached
    };
    let steps = steps
        .into_iter()
        .enumerate()
        .map(|(index, (label, when))| {
            let class = if index < current {
                "done"
            } else if index == current {
                "current"
            } else {
                "todo"
            };
            view! {
                <li class=class aria-current=(index == current).then_some("step")>
                    <span class="step">{label}</span>
                    {when.map(|when| view! { " " <span class="when">{when}</span> })}
                    {(index == current).then(|| view! { " " <span class="sr">{words.now}</span> })}
                </li>
            }
        })
        .collect_view();

    let status = status_line(&view, &speech);
    let delay = delay_box(&view, words);
    // The US rule's deadline, beside the offer's own: both are shown.
    let consent = view.consent_by.map(|by| {
        let deadline = format_moment(by, &speech.tag);
        view! { <p class="consent">{fill(words.us_rule_consent, &[("deadline", &deadline)])}</p> }
    });
    let lines = view
        .lines
        .iter()
        .map(|line| {
            let state = match (line.state, line.window) {
                (LineState::Ready, _) => words.line_ready.to_owned(),
                (LineState::Waiting, Some(window)) => fill(
                    words.line_waiting,
                    &[("range", &format_window(&window, &speech.tag))],
                ),
                (LineState::Waiting, None) => words.line_waiting_unknown.to_owned(),
                // Sent ahead of the rest: on its way, not the order.
                (LineState::Shipped, _) if view.stage.is_open() => words.line_sent_ahead.to_owned(),
                (LineState::Shipped, _) if view.stage == Stage::Delivered => {
                    words.line_delivered.to_owned()
                }
                (LineState::Shipped, _) => words.line_shipped.to_owned(),
                (LineState::Cancelled, _) => words.line_cancelled.to_owned(),
            };
            let replaces = line.replaces.as_ref().map(|sku| {
                format!(
                    " ({})",
                    fill(words.line_replaces, &[("sku", item(&view, sku))])
                )
            });
            view! {
                <li>
                    <bdi class="sku">{item(&view, &line.sku).to_owned()}</bdi>
                    {format!(" × {}: {state}", line.quantity)}
                    {replaces}
                    " · " <bdi class="amount">{format_money(&line.amount, &speech.tag)}</bdi>
                </li>
            }
        })
        .collect_view();
    let money = |words: &str, amount: &Money| {
        fill(words, &[("amount", &format_money(amount, &speech.tag))])
    };
    let shipping = money(words.bill_shipping, &view.shipping);
    let paid = money(words.bill_total, &view.paid);
    // What the answer meant is about waiting: said while the order waits.
    let chosen = view
        .chosen
        .as_ref()
        .filter(|_| view.offer.is_none() && view.stage == Stage::Waiting)
        .map(|choice| {
            view! { <p class="chosen">{chose_words(&view, &speech, choice)}</p> }
        });
    // The store credit an answer brought, whatever became of the order: how
    // much, and how to spend it, as its confirmation email says.
    let credit = view.credit.map(|credit| {
        let total = with_bonus(&credit.value, &credit.bonus);
        let money = |amount: &Money| format_money(amount, &speech.tag);
        let text = fill(
            words.chose_credit,
            &[
                ("total", &money(&total)),
                ("value", &money(&credit.value)),
                ("bonus", &money(&credit.bonus)),
            ],
        );
        view! { <p class="credit">{text}</p> }
    });
    view! {
        <h2 class="title">{fill(words.title, &[("order", view.order.as_str())])}</h2>
        <ol class="steps" aria-label=words.steps_label>{steps}</ol>
        {status}
        {delay}
        {consent}
        {chosen}
        {credit}
        <h3>{words.items}</h3>
        <ul class="lines">{lines}</ul>
        <p class="bill">{shipping}<br />{paid}</p>
    }
}

/// The range while the order waits, the shipment once it left, or how it
/// ended.
fn status_line(view: &OrderView, speech: &Speech) -> AnyView {
    let words = speech.order();
    let date = |at: Option<Timestamp>| at.map(|at| format_date(at.date(), &speech.tag));
    let text = match view.stage {
        Stage::Waiting => Some(match view.window {
            Some(window) => fill(
                words.ships,
                &[("range", &format_window(&window, &speech.tag))],
            ),
            None => words.ships_unknown.to_owned(),
        }),
        Stage::Processing | Stage::Processed => Some(words.preparing.to_owned()),
        Stage::Delivered => {
            let on = date(last_at(view, |h| matches!(h, Happening::Delivered)));
            Some(fill(
                words.delivered_on,
                &[("date", &on.unwrap_or_default())],
            ))
        }
        Stage::Shipped => return shipment(view, words),
        Stage::Cancelled => view
            .timeline
            .iter()
            .rev()
            .find_map(|entry| match &entry.happening {
                Happening::Cancelled {
                    cause,
                    refund,
                    refund_by,
                } => {
                    let why = match cause {
                        CancelCause::CustomerChose => words.cancelled_chosen,
                        CancelCause::NoConsentToDelay => words.cancelled_no_consent,
                    };
                    let refund = fill(
                        words.cancelled_refund,
                        &[
                            ("refund", &format_money(refund, &speech.tag)),
                            ("by", &format_date(*refund_by, &speech.tag)),
                        ],
                    );
                    Some(format!("{why} {refund}"))
                }
                Happening::CancelledByStore => Some(words.cancelled_by_store.to_owned()),
                _ => None,
            }),
    };
    text.map(|text| view! { <p class="status">{text}</p> })
        .into_any()
}

/// The shipment: carrier, number and, for carriers we know, a link.
fn shipment(view: &OrderView, words: &'static OrderWords) -> AnyView {
    let shipped = view
        .timeline
        .iter()
        .rev()
        .find_map(|entry| match &entry.happening {
            Happening::Shipped { carrier, tracking } => Some((carrier.clone(), tracking.clone())),
            _ => None,
        });
    shipped
        .map(|(carrier, tracking)| {
            let link = shared::tracking::tracking_url(&carrier, &tracking).map(|url| {
                view! {
                    " "
                    <a href=url target="_blank" rel="noopener noreferrer">{words.track}</a>
                }
            });
            view! {
                <p class="status shipment">
                    {fill(words.shipped_with, &[("carrier", &carrier), ("tracking", &tracking)])}
                    {link}
                </p>
            }
        })
        .into_any()
}

/// After a slip the order is still waiting for: what happened and what is
/// being done, in the merchant's words.
fn delay_box(view: &OrderView, words: &'static OrderWords) -> Option<AnyView> {
    if view.stage != Stage::Waiting {
        return None;
    }
    // The newest news about the window decides: a delay, unless better
    // news came after it.
    let (reason, fix, lang) =
        view.timeline
            .iter()
            .rev()
            .find_map(|entry| match &entry.happening {
                Happening::Delayed {
                    reason, fix, lang, ..
                } => Some(Some((one(reason), one(fix), lang.map(|lang| lang.code())))),
                Happening::WindowNews { .. } | Happening::Restocked { .. } => Some(None),
                _ => None,
            })??;
    Some(
        view! {
            <div class="delay">
                <p><strong>{words.late}</strong></p>
                <p><strong>{words.delay_what_happened}</strong> " " <span dir="auto" lang=lang>{reason}</span></p>
                <p><strong>{words.delay_what_we_do}</strong> " " <span dir="auto" lang=lang>{fix}</span></p>
            </div>
        }
        .into_any(),
    )
}

/// A merchant's text as the edge sends it to a page: one, already picked
/// for the customer.
pub fn one(text: &MerchantText) -> String {
    match text {
        MerchantText::One(text) => text.clone(),
        MerchantText::ByLanguage(_) => String::new(),
    }
}

/// Store credit in all: its value and the bonus on top.
fn with_bonus(value: &Money, bonus: &Money) -> Money {
    Money::new(value.currency, value.minor.saturating_add(bonus.minor))
}

/// What the customer chose, with the free expedited shipping it brought.
fn chose_words(view: &OrderView, speech: &Speech, choice: &Choice) -> String {
    let words = speech.order();
    match choice {
        Choice::KeepWaiting if view.expedited => {
            format!("{} {}", words.chose_keep_waiting, words.chose_expedited)
        }
        Choice::KeepWaiting => words.chose_keep_waiting.to_owned(),
        Choice::SwitchItem { sku } => fill(words.chose_switch_item, &[("sku", item(view, sku))]),
        Choice::ShipAvailableNow => words.chose_ship_available_now.to_owned(),
        Choice::StoreCredit => words.chose_store_credit.to_owned(),
        Choice::Cancel => words.chose_cancel.to_owned(),
    }
}

/// One button of the chooser: its title, its terms, and the choice it makes.
struct Option_ {
    title: String,
    terms: String,
    choice: Choice,
    /// Cancelling asks once more, with the refund.
    confirm: Option<String>,
}

fn options_of(view: &OrderView, offer: &OfferView, speech: &Speech) -> Vec<Option_> {
    let words = speech.order();
    let money = |money: &Money| format_money(money, &speech.tag);
    let mut out = Vec::new();
    for option in &offer.options {
        match option {
            OfferedOption::KeepWaiting { expedited } => out.push(Option_ {
                title: words.option_keep_waiting.to_owned(),
                terms: if *expedited {
                    words.option_keep_waiting_expedited
                } else {
                    words.option_keep_waiting_plain
                }
                .to_owned(),
                choice: Choice::KeepWaiting,
                confirm: None,
            }),
            OfferedOption::SwitchItem { alternatives } => {
                for (from, to) in alternatives {
                    out.push(Option_ {
                        title: fill(words.option_switch_item, &[("to", item(view, to))]),
                        terms: fill(
                            words.option_switch_item_terms,
                            &[("from", item(view, from)), ("to", item(view, to))],
                        ),
                        choice: Choice::SwitchItem { sku: to.clone() },
                        confirm: None,
                    });
                }
            }
            OfferedOption::ShipAvailableNow { skus } => {
                let skus: Vec<&str> = skus.iter().map(|sku| item(view, sku)).collect();
                out.push(Option_ {
                    title: words.option_ship_available_now.to_owned(),
                    terms: fill(
                        words.option_ship_available_now_terms,
                        &[("skus", &skus.join(", "))],
                    ),
                    choice: Choice::ShipAvailableNow,
                    confirm: None,
                });
            }
            OfferedOption::StoreCredit { value, bonus } => {
                let total = with_bonus(value, bonus);
                out.push(Option_ {
                    title: words.option_store_credit.to_owned(),
                    terms: fill(
                        words.option_store_credit_terms,
                        &[
                            ("total", &money(&total)),
                            ("value", &money(value)),
                            ("bonus", &money(bonus)),
                        ],
                    ),
                    choice: Choice::StoreCredit,
                    confirm: None,
                });
            }
            OfferedOption::Cancel { refund } => out.push(Option_ {
                title: words.option_cancel.to_owned(),
                terms: fill(words.option_cancel_terms, &[("refund", &money(refund))]),
                choice: Choice::Cancel,
                confirm: Some(fill(words.cancel_confirm, &[("refund", &money(refund))])),
            }),
        }
    }
    out
}

/// Cancelling asks once more: `question`, yes or no. Yes answers the
/// offer `offer` with cancel, or with no offer open cancels the rest.
fn confirm_box(
    question: String,
    saving: bool,
    words: &'static OrderWords,
    actions: &Actions,
    offer: Option<OfferId>,
) -> AnyView {
    let (yes, no) = (actions.clone(), actions.clone());
    view! {
        <div class="confirm" tabindex="-1" data-key="confirm">
            <p>{question}</p>
            <button type="button" class="yes" data-key="yes" disabled=saving
                on:click=move |_| match offer {
                    Some(id) => yes.choose(id, Choice::Cancel),
                    None => yes.cancel_rest(),
                }>{words.cancel_yes}</button>
            " "
            <button type="button" class="no" data-key="no"
                on:click=move |_| no.confirm_cancel(false)>{words.cancel_no}</button>
        </div>
    }
    .into_any()
}

/// The open offer's options, one click each (cancel asks once more), and
/// what came of the click.
fn chooser(view: &OrderView, ui: &Ui, speech: &Speech, actions: Actions) -> impl IntoView + use<> {
    let words = speech.order();
    let answer = ui.answer.clone().map(|answer| {
        let text = match answer {
            Answer::Saving => words.saving.to_owned(),
            Answer::Recorded => words.answer_recorded.to_owned(),
            Answer::AlreadyChosen(Some(choice)) => {
                format!(
                    "{} {}",
                    words.answer_already_chosen,
                    chose_words(view, speech, &choice)
                )
            }
            Answer::AlreadyChosen(None) => words.answer_already_chosen.to_owned(),
            Answer::Closed => words.answer_offer_closed.to_owned(),
            Answer::Failed => words.failed.to_owned(),
        };
        view! { <p class="answer" role="status" tabindex="-1" data-key="answer">{text}</p> }
    });
    // An answer that closes the offer hides it, whatever the view says.
    let closed = matches!(ui.answer, Some(Answer::AlreadyChosen(_) | Answer::Closed));
    let saving = matches!(ui.answer, Some(Answer::Saving));
    let offer = view.offer.clone().filter(|_| !closed).map(|offer| {
        let id = offer.id;
        let expires = fill(
            words.choose_until,
            &[("expires", &format_moment(offer.expires_at, &speech.tag))],
        );
        let items = options_of(view, &offer, speech)
            .into_iter()
            .enumerate()
            .map(|(index, option)| {
                let terms_id = format!("terms-{index}");
                let confirm = option.confirm.clone().filter(|_| ui.confirming).map(|question| {
                    confirm_box(question, saving, words, &actions, Some(id))
                });
                let actions = actions.clone();
                let is_cancel = option.confirm.is_some();
                let key = if is_cancel { "cancel".to_owned() } else { format!("option-{index}") };
                let choice = option.choice.clone();
                view! {
                    <li>
                        <button type="button" class="option" data-key=key aria-describedby=terms_id.clone()
                            disabled=saving
                            on:click=move |_| {
                                if is_cancel {
                                    actions.confirm_cancel(true);
                                } else {
                                    actions.choose(id, choice.clone());
                                }
                            }>{option.title}</button>
                        <p class="terms" id=terms_id>{option.terms}</p>
                        {confirm}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="offer" aria-labelledby="offer-title">
                <h3 id="offer-title">{words.pick}</h3>
                <p class="expires">{expires}</p>
                <ul class="options">{items}</ul>
            </section>
        }
    });
    // Until it ships the customer may cancel the rest, whatever they
    // answered before; while an offer is open, its own cancel does it.
    let cancel_rest = view
        .cancellable
        .filter(|_| view.offer.is_none() || closed)
        .map(|refund| {
            let refund = format_money(&refund, &speech.tag);
            let confirm = ui.confirming.then(|| {
                let question = fill(words.cancel_rest_confirm, &[("refund", &refund)]);
                confirm_box(question, saving, words, &actions, None)
            });
            let ask = actions.clone();
            view! {
                <section class="cancel-rest">
                    <button type="button" class="option" data-key="cancel" aria-describedby="cancel-terms"
                        disabled=saving on:click=move |_| ask.confirm_cancel(true)>{words.cancel_rest}</button>
                    <p class="terms" id="cancel-terms">{fill(words.cancel_rest_terms, &[("refund", &refund)])}</p>
                    {confirm}
                </section>
            }
        });
    view! { {offer} {cancel_rest} {answer} }
}
