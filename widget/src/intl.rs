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

    #[wasm_bindgen(method, catch)]
    fn format(this: &DateTimeFormat, date: &js_sys::Date) -> Result<String, JsValue>;

    #[wasm_bindgen(method, catch, js_name = formatRange)]
    fn format_range(
        this: &DateTimeFormat,
        start: &js_sys::Date,
        end: &js_sys::Date,
    ) -> Result<String, JsValue>;
}

/// Midnight UTC of a calendar day; formatting it in UTC gives back that day
/// whatever the shopper's time zone.
fn utc_midnight(day: Date) -> js_sys::Date {
    let millis = day.days_since_epoch() as f64 * 86_400_000.0;
    js_sys::Date::new(&JsValue::from_f64(millis))
}

fn options(pairs: &[(&str, &str)]) -> Option<Object> {
    let options = Object::new();
    for (key, value) in pairs {
        Reflect::set(&options, &(*key).into(), &(*value).into()).ok()?;
    }
    Some(options)
}

fn formatter(locale: &str) -> Option<DateTimeFormat> {
    dates(
        locale,
        &[
            ("day", "numeric"),
            ("month", "long"),
            ("year", "numeric"),
            ("timeZone", "UTC"),
        ],
    )
}

fn dates(locale: &str, pairs: &[(&str, &str)]) -> Option<DateTimeFormat> {
    let options = options(pairs)?;
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
        .map(|range| shared::date::unpadded(&range))
        .unwrap_or_else(|| format!("{} – {}", window.earliest(), window.latest()))
}

/// A calendar day, e.g. "26 March 2027"; ISO without Intl.
#[cfg(feature = "order")]
pub fn format_date(day: Date, locale: &str) -> String {
    formatter(locale)
        .and_then(|format| format.format(&utc_midnight(day)).ok())
        .unwrap_or_else(|| day.to_string())
}

/// A deadline in the shopper's own time zone, named, on a 24-hour clock,
/// with the month spelled out as every other date: "7 December 2026 at
/// 09:30 GMT", never an ambiguous "12:00 AM".
#[cfg(feature = "order")]
pub fn format_moment(at: shared::Timestamp, locale: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.unix_seconds() as f64 * 1000.0));
    dates(
        locale,
        &[
            ("day", "numeric"),
            ("month", "long"),
            ("year", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("hourCycle", "h23"),
            ("timeZoneName", "short"),
        ],
    )
    .and_then(|format| format.format(&date).ok())
    .unwrap_or_else(|| at.to_string())
}

/// An amount in its currency, e.g. "£189.00", "189,00 €"; falls back to the
/// code and the minor units as a decimal.
#[cfg(feature = "order")]
pub fn format_money(money: &shared::Money, locale: &str) -> String {
    let currency = String::from(money.currency);
    let fallback = || format!("{currency} {}.{:02}", money.minor / 100, money.minor % 100);
    let Some(options) = options(&[("style", "currency"), ("currency", &currency)]) else {
        return fallback();
    };
    let Ok(format) = js_sys::Intl::NumberFormat::new(&Array::of1(&locale.into()), &options)
        .dyn_into::<js_sys::Intl::NumberFormat>()
    else {
        return fallback();
    };
    // The currency's own number of minor digits (2 for GBP, 0 for JPY).
    let digits = Reflect::get(&format.resolved_options(), &"maximumFractionDigits".into())
        .ok()
        .and_then(|value| value.as_f64())
        .unwrap_or(2.0);
    let amount = money.minor as f64 / 10f64.powi(digits as i32);
    format
        .format()
        .call1(&format, &JsValue::from_f64(amount))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(fallback)
}
