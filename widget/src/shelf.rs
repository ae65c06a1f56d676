//! Product pages: a notice in every `<div data-backorder-product="SKU">`.

use leptos::prelude::*;
use shared::Sku;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::edge::Answers;
use crate::notice::AvailabilityNotice;
use crate::words::Speech;
use crate::{page_lang, shadow_container, warn};

/// The attribute that marks a host element and names its SKU.
const HOST_ATTRIBUTE: &str = "data-backorder-product";

/// Mounts a notice into every host element on the page, from `answers`: the
/// edge's batch read (`null` if it could not be had). Never throws: a widget
/// that cannot start leaves the merchant's page exactly as it was.
#[wasm_bindgen]
pub fn start_widget(answers: JsValue) {
    let answers = Answers::new(answers);
    let shop_lang = answers.shop_locale();
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
        mount_into(&host, &answers, shop_lang.as_deref());
    }
}

/// The words the loader needs for the shop's banner and the product news
/// pop-up (it draws those itself: a few lines of DOM cost shoppers far fewer
/// bytes in JavaScript than in the module), in the page's language, else
/// `shop_lang`, with the language's tag and direction.
#[wasm_bindgen]
pub fn shelf_words(shop_lang: Option<String>) -> JsValue {
    let page = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
        .and_then(|root| page_lang(&root));
    let speech = Speech::choose(page.as_deref(), shop_lang.as_deref());
    let words = speech.shelf();
    let object = js_sys::Object::new();
    for (key, value) in [
        ("lang", speech.lang()),
        ("tag", speech.tag.as_str()),
        ("dir", speech.dir()),
        ("banner_label", words.banner_label),
        ("news_label", words.news_label),
        ("news_restocked", words.news_restocked),
        ("news_window", words.news_window),
        ("dismiss", words.dismiss),
    ] {
        let _ = js_sys::Reflect::set(&object, &key.into(), &value.into());
    }
    object.into()
}

/// Mounts one notice into a shadow root on `host`. The host's own children
/// stay in place and show through a `<slot>` until the notice has something
/// better to say.
fn mount_into(host: &HtmlElement, answers: &Answers, shop_lang: Option<&str>) -> Option<()> {
    let sku_text = host.get_attribute(HOST_ATTRIBUTE).unwrap_or_default();
    let Ok(sku) = Sku::parse(sku_text.trim()) else {
        warn(&format!(
            "backorder widget: {sku_text:?} is not a valid SKU"
        ));
        return None;
    };
    let container = shadow_container(host)?;
    let speech = Speech::choose(page_lang(host).as_deref(), shop_lang);
    let answer = answers.about(sku.as_str(), speech.locale);
    leptos::mount::mount_to(
        container,
        move || view! { <AvailabilityNotice answer speech /> },
    )
    .forget();
    Some(())
}
