//! The availability notice shown on a product page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{Availability, Sku};

use crate::edge::{EdgeClient, FetchError};
use crate::intl::{format_window, page_locale};

const STYLE: &str = include_str!("notice.css");

/// Says "backorder" and the honest ship window where the store would say
/// "sold out". Until the edge answers, and whenever it cannot, the merchant's
/// own content (the host's children) shows through the slot unchanged.
///
/// The answer is loaded with `spawn_local` into a signal rather than a
/// `LocalResource` inside a `Transition`: the resource machinery costs about
/// 14 KB of gzipped wasm, and a notice that only ever loads once needs none
/// of what it adds.
#[component]
pub fn AvailabilityNotice(
    /// Where to ask, and for which shop.
    client: EdgeClient,
    /// The product variant this notice is about.
    sku: Sku,
) -> impl IntoView {
    let answer = RwSignal::new(None::<Result<Availability, FetchError>>);
    spawn_local(async move {
        let result = client.availability(&sku).await;
        answer.set(Some(result));
    });
    // What the notice shows, for the merchant's CSS and for tests to wait on.
    let state = move || match answer.get() {
        None => "loading",
        Some(Err(_)) => "error",
        Some(Ok(Availability::InStock)) => "in_stock",
        Some(Ok(Availability::Backorder { .. })) => "backorder",
        Some(Ok(Availability::Unavailable)) => "unavailable",
    };
    view! {
        <style>{STYLE}</style>
        <div class="notice" data-state=state>
        {move || match answer.get().and_then(Result::ok) {
            Some(Availability::Backorder { window, reason, uncertain, .. }) => {
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
            Some(Availability::Unavailable) => view! {
                <p class="unavailable" part="notice">
                    <strong class="label">"Unavailable"</strong>
                    " — this item cannot be ordered right now"
                </p>
            }
            .into_any(),
            Some(Availability::InStock) | None => view! { <slot></slot> }.into_any(),
        }}
        </div>
    }
}
