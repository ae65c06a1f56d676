//! Dates in the shopper's language, by the browser's own `Intl`: no locale
//! data ships in the widget.

use js_sys::{Array, Object, Reflect};
use shared::{Date, ShipWindow};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type DateTimeFormat;

    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locales: &Array, options: &Object) -> Result<DateTimeFormat, JsValue>;

    #[wasm_bindgen(method, catch, js_name = formatRange)]
    fn format_range(
        this: &DateTimeFormat,
        start: &js_sys::Date,
        end: &js_sys::Date,
    ) -> Result<String, JsValue>;
}

/// The language the page is written in, else the browser's, else English.
pub fn page_locale() -> String {
    let window = web_sys::window();
    let page_lang = window
        .as_ref()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("lang"))
        .filter(|lang| !lang.trim().is_empty());
    page_lang
        .or_else(|| window.and_then(|w| w.navigator().language()))
        .unwrap_or_else(|| "en".to_owned())
}

/// Midnight UTC of a calendar day; formatting it in UTC gives back that day
/// whatever the shopper's time zone.
fn utc_midnight(day: Date) -> js_sys::Date {
    let millis = day.days_since_epoch() as f64 * 86_400_000.0;
    js_sys::Date::new(&JsValue::from_f64(millis))
}

fn formatter(locale: &str) -> Option<DateTimeFormat> {
    let options = Object::new();
    for (key, value) in [
        ("day", "numeric"),
        ("month", "long"),
        ("year", "numeric"),
        ("timeZone", "UTC"),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    // An invalid language tag makes Intl throw; fall back to English then.
    DateTimeFormat::new(&Array::of1(&locale.into()), &options)
        .or_else(|_| DateTimeFormat::new(&Array::of1(&"en".into()), &options))
        .ok()
}

/// A ship window as the shopper reads it, e.g. "12–26 March 2027" in en-GB,
/// "March 12 – 26, 2027" in en-US; falls back to ISO dates without Intl.
pub fn format_window(window: &ShipWindow, locale: &str) -> String {
    formatter(locale)
        .and_then(|format| {
            format
                .format_range(
                    &utc_midnight(window.earliest()),
                    &utc_midnight(window.latest()),
                )
                .ok()
        })
        .unwrap_or_else(|| format!("{} – {}", window.earliest(), window.latest()))
}
