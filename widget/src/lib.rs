//! The storefront widget. The loader script (`widget/loader/boot.js`, which
//! `scripts/build` wraps around wasm-bindgen's glue) reads every
//! `<div data-backorder-product="SKU">` on the page, asks the edge about all
//! of them in one batch read while this module downloads, and then calls
//! [`start_widget`] with the answer, which mounts a notice into each.

mod edge;
mod intl;
mod notice;

use leptos::prelude::*;
use shared::Sku;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::edge::Answers;
use crate::notice::AvailabilityNotice;

/// The attribute that marks a host element and names its SKU.
const HOST_ATTRIBUTE: &str = "data-backorder-product";

/// Mounts a notice into every host element on the page, from `answers`: the
/// edge's batch read (`null` if it could not be had). Never throws: a widget
/// that cannot start leaves the merchant's page exactly as it was.
#[wasm_bindgen]
pub fn start_widget(answers: JsValue) {
    let answers = Answers::new(answers);
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let Ok(hosts) = document.query_selector_all(&format!("[{HOST_ATTRIBUTE}]")) else {
        return;
    };
    for index in 0..hosts.length() {
        let Some(host) = hosts
            .item(index)
            .and_then(|node| node.dyn_into::<HtmlElement>().ok())
        else {
            continue;
        };
        mount_into(&document, &host, &answers);
    }
}

/// Mounts one notice into a shadow root on `host`, so that the merchant's CSS
/// and ours cannot touch each other. The host's own children stay in place
/// and show through a `<slot>` until the notice has something better to say.
fn mount_into(document: &web_sys::Document, host: &HtmlElement, answers: &Answers) {
    let sku_text = host.get_attribute(HOST_ATTRIBUTE).unwrap_or_default();
    let Ok(sku) = Sku::parse(sku_text.trim()) else {
        warn(&format!(
            "backorder widget: {sku_text:?} is not a valid SKU"
        ));
        return;
    };
    // A host that already has a shadow root was mounted before (the script
    // was included twice) or belongs to someone else: leave it alone.
    let Ok(shadow) = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)) else {
        return;
    };
    let Some(container) = document
        .create_element("div")
        .ok()
        .and_then(|element| element.dyn_into::<HtmlElement>().ok())
    else {
        return;
    };
    if shadow.append_child(&container).is_err() {
        return;
    }
    let answer = answers.about(sku.as_str());
    leptos::mount::mount_to(container, move || view! { <AvailabilityNotice answer /> }).forget();
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
