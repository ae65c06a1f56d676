//! The availability notice shown on a product page.

use leptos::prelude::*;
use shared::Availability;
use shared::estimate::Uncertainty;
use shared::text::MerchantText;

use crate::edge::Answer;
use crate::intl::format_window;
use crate::words::{Shelf, Speech, around, fill};

// notice.css ships to every shopper as is, so its reasons live here: a
// range (`.window`) does not wrap, so that its dash never starts a line.
const STYLE: &str = include_str!("notice.css");

fn why(words: &Shelf, uncertainty: Uncertainty) -> &'static str {
    match uncertainty {
        Uncertainty::NoPromisedDate => words.why_no_promised_date,
        Uncertainty::ThinHistory => words.why_thin_history,
        Uncertainty::StaleHistory => words.why_stale_history,
        Uncertainty::Overdue => words.why_overdue,
        Uncertainty::TooWide => words.why_too_wide,
    }
}

/// Says "backorder" and the honest ship window where the store would say
/// "sold out", and "in stock" for what the edge knows is in stock. When the
/// edge does not know the product or could not answer, the merchant's own
/// content (the host's children) shows through the slot unchanged.
///
/// The answer is there before the notice mounts (the loader fetched it while
/// the wasm downloaded), so the notice is drawn once, with no signal.
#[component]
pub fn AvailabilityNotice(answer: Answer, speech: Speech) -> impl IntoView {
    let words = speech.shelf();
    // What the notice shows, for the merchant's CSS and for tests to wait on.
    let state = match &answer {
        Answer::Unreachable => "error",
        Answer::Unknown => "unknown",
        Answer::Known(Availability::InStock) => "in_stock",
        Answer::Known(Availability::Backorder { .. }) => "backorder",
        Answer::Known(Availability::Unavailable) => "unavailable",
    };
    let content = match answer {
        Answer::Known(Availability::Backorder {
            window,
            reason,
            uncertain,
            ..
        }) => {
            let when = window.map(|window| format_window(&window, &speech.tag));
            let caveat = uncertain.map(|uncertainty| {
                let template = if when.is_some() {
                    words.estimate
                } else {
                    words.no_date
                };
                fill(template, &[("why", why(words, uncertainty))])
            });
            let (before, after) = around(words.ships, "range");
            view! {
                <p class="backorder" part="notice">
                    <strong class="label">{words.backorder}</strong>
                    {match when {
                        Some(when) => view! {
                            {before}
                            <span class="window">{when}</span>
                            {after}
                        }
                        .into_any(),
                        None => words.ships_unknown.into_any(),
                    }}
                    {caveat.map(|caveat| view! { <span class="caveat">{caveat}</span> })}
                    {reason.map(|reason| {
                        // Picked for this reader already (`edge::pick`), and
                        // marked with its language: the page's for a text
                        // written once.
                        let (text, lang) = match reason {
                            MerchantText::One(text) => (text, speech.lang()),
                            MerchantText::ByLanguage(mut picked) => picked
                                .pop()
                                .map(|(locale, text)| (text, locale.code()))
                                .unwrap_or_default(),
                        };
                        view! { <span class="reason" lang=lang dir="auto">{text}</span> }
                    })}
                </p>
            }
            .into_any()
        }
        // What the edge knows beats a page the theme drew earlier (a cached
        // "Sold out" after a restock, say).
        Answer::Known(Availability::InStock) => view! {
            <p class="in-stock" part="notice"><strong class="label">{words.in_stock}</strong></p>
        }
        .into_any(),
        Answer::Known(Availability::Unavailable) => view! {
            <p class="unavailable" part="notice">
                <strong class="label">{words.unavailable}</strong>
                {words.unavailable_detail}
            </p>
        }
        .into_any(),
        _ => view! { <slot></slot> }.into_any(),
    };
    view! {
        <style>{STYLE}</style>
        <div class="notice" data-state=state lang=speech.lang() dir=speech.dir()>{content}</div>
    }
}
