//! The availability notice shown on a product page.

use leptos::prelude::*;
use shared::Availability;

use crate::edge::Answer;
use crate::intl::{format_window, page_locale};

const STYLE: &str = include_str!("notice.css");

/// Says "backorder" and the honest ship window where the store would say
/// "sold out". When the edge does not know the product or could not answer,
/// and for a product in stock, the merchant's own content (the host's
/// children) shows through the slot unchanged.
///
/// The answer is there before the notice mounts (the loader fetched it while
/// the wasm downloaded), so the notice is drawn once, with no signal.
#[component]
pub fn AvailabilityNotice(answer: Answer) -> impl IntoView {
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
            let when = window.map(|window| format_window(&window, &page_locale()));
            let caveat = uncertain.map(|why| match when {
                Some(_) => format!("This is an estimate: {why}."),
                None => format!("We can't give a ship date yet: {why}."),
            });
            view! {
                <p class="backorder" part="notice">
                    <strong class="label">"Backorder"</strong>
                    {match when {
                        Some(when) => view! {
                            " — order now, ships "
                            <span class="window">{when}</span>
                        }
                        .into_any(),
                        None => " — order now, ships as soon as it arrives".into_any(),
                    }}
                    {caveat.map(|caveat| view! { <span class="caveat">{caveat}</span> })}
                    {reason.map(|reason| view! { <span class="reason">{reason}</span> })}
                </p>
            }
            .into_any()
        }
        Answer::Known(Availability::Unavailable) => view! {
            <p class="unavailable" part="notice">
                <strong class="label">"Unavailable"</strong>
                " — this item cannot be ordered right now"
            </p>
        }
        .into_any(),
        _ => view! { <slot></slot> }.into_any(),
    };
    view! {
        <style>{STYLE}</style>
        <div class="notice" data-state=state>{content}</div>
    }
}
