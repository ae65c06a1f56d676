//! The storefront widget, built as two modules so that a product page never
//! downloads the order page's code:
//!
//! - **shelf** (feature `shelf`, product pages): the loader script
//!   (`widget/loader/boot.js`, which `scripts/build` wraps around
//!   wasm-bindgen's glue) reads every `<div data-backorder-product="SKU">`
//!   on the page, asks the edge about all of them in one batch read while
//!   this module downloads, and then calls [`start_widget`] with the answer,
//!   which mounts a notice into each.
//! - **order** (feature `order`, order pages): `widget/loader/order.js`
//!   mounts [`order::OrderPage`] into `<div data-backorder-order="ORDER">`
//!   and feeds it each view the edge pushes (see `order/mod.rs`).
//!
//! All their words come from one catalogue (`words.rs`).

#[cfg(feature = "shelf")]
mod edge;
mod intl;
mod json;
#[cfg(feature = "shelf")]
mod notice;
#[cfg(feature = "order")]
pub mod order;
#[cfg(feature = "shelf")]
mod shelf;
mod words;

#[cfg(feature = "shelf")]
pub use crate::shelf::start_widget;

/// A fresh shadow root on `host`, with an element to mount into, so that the
/// merchant's CSS and ours cannot touch each other. `None` for a host that
/// already has one: it was mounted before (the script was included twice)
/// or belongs to someone else, and is left alone.
fn shadow_container(host: &web_sys::HtmlElement) -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let shadow = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .ok()?;
    let container = host
        .owner_document()?
        .create_element("div")
        .ok()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()?;
    shadow.append_child(&container).ok()?;
    Some(container)
}

/// The language the page says `host` is written in (its nearest `lang`).
fn page_lang(host: &web_sys::Element) -> Option<String> {
    host.closest("[lang]")
        .ok()
        .flatten()
        .and_then(|element| element.get_attribute("lang"))
        .filter(|lang| !lang.trim().is_empty())
}

#[cfg(feature = "shelf")]
fn warn(message: &str) {
    web_sys::console::warn_1(&wasm_bindgen::JsValue::from_str(message));
}
