//! What a new view adds to the timeline, said in one sentence for the
//! pop-up.

use shared::lifecycle::{Happening, OrderView};

use crate::intl::format_window;
use crate::words::{Speech, fill};

/// The news of the entries after the first `seen`: the last one that has
/// words (a restock and the processing it led to say "packed").
pub fn news(view: &OrderView, seen: usize, speech: &Speech) -> Option<String> {
    let words = speech.order();
    let range = |window: &Option<shared::ShipWindow>| {
        window.map(|window| format_window(&window, &speech.tag))
    };
    view.timeline
        .get(seen..)?
        .iter()
        .rev()
        .find_map(|entry| match &entry.happening {
            Happening::Placed { window } => {
                range(window).map(|range| fill(words.popup_placed, &[("range", &range)]))
            }
            Happening::Restocked { sku } => Some(fill(
                words.popup_restocked,
                &[("sku", super::page::item(view, sku))],
            )),
            Happening::WindowNews { window, .. } => {
                range(window).map(|range| fill(words.popup_window, &[("range", &range)]))
            }
            Happening::Delayed { reason, .. } => Some(fill(
                words.popup_delayed,
                &[("reason", &super::page::one(reason))],
            )),
            Happening::Processed => Some(words.popup_processed.to_owned()),
            Happening::Shipped { carrier, .. } => {
                Some(fill(words.popup_shipped, &[("carrier", carrier)]))
            }
            Happening::Delivered => Some(words.popup_delivered.to_owned()),
            Happening::Chose { .. } => Some(words.popup_chose.to_owned()),
            Happening::OfferExpired { .. } => Some(words.popup_expired.to_owned()),
            Happening::Cancelled { .. } | Happening::CancelledByStore => {
                Some(words.popup_cancelled.to_owned())
            }
        })
}
