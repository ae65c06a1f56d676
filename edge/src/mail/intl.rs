//! Dates, ranges, instants and money written the way the customer's
//! language writes them, by `Intl` in workerd (full ICU data: PLATFORM.md
//! §9b). Nothing here formats by hand. Only callable inside workerd.

use js_sys::{Array, Function, Intl, Object, Reflect};
use shared::{Date, Money, ShipWindow, Timestamp};
use wasm_bindgen::{JsCast, JsValue};

const DAY_MS: f64 = 86_400_000.0;

fn options(pairs: &[(&str, &str)]) -> Object {
    let options = Object::new();
    for (name, value) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(
            &options,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    options
}

fn locales(locale: &str) -> Array {
    Array::of1(&JsValue::from_str(locale))
}

fn js_date(millis: f64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(millis))
}

fn day_millis(date: Date) -> f64 {
    // Days since 1970 fit an f64 exactly.
    date.days_since_epoch() as f64 * DAY_MS
}

fn call(function: &Function, this: &JsValue, args: &[JsValue]) -> String {
    let array = Array::new();
    for arg in args {
        array.push(arg);
    }
    function
        .apply(this, &array)
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

fn date_format(locale: &str) -> Intl::DateTimeFormat {
    // Calendar days, not instants: read them in UTC so no zone moves them.
    Intl::DateTimeFormat::new(
        &locales(locale),
        &options(&[("dateStyle", "long"), ("timeZone", "UTC")]),
    )
}

/// "7 June 2030", "7 giugno 2030", "7 يونيو 2030".
pub fn date(locale: &str, date: Date) -> String {
    let format = date_format(locale);
    call(
        &format.format(),
        &JsValue::UNDEFINED,
        &[js_date(day_millis(date)).into()],
    )
}

/// "June 7 – 11, 2030", "7–11 giugno 2030": `formatRange` shares what the
/// two ends have in common, as each language does (without the zeros its
/// Italian pattern pads days with).
pub fn range(locale: &str, window: &ShipWindow) -> String {
    let format = date_format(locale);
    let Ok(format_range) = Reflect::get(&format, &JsValue::from_str("formatRange"))
        .and_then(|value| value.dyn_into::<Function>())
    else {
        return format!(
            "{} – {}",
            date(locale, window.earliest()),
            date(locale, window.latest())
        );
    };
    let range = call(
        &format_range,
        &format,
        &[
            js_date(day_millis(window.earliest())).into(),
            js_date(day_millis(window.latest())).into(),
        ],
    );
    shared::date::unpadded(&range)
}

/// A moment, to the minute, in the shop's time zone and with the zone
/// named, on a 24-hour clock so that midnight is never an ambiguous
/// "12:00 AM": "June 7, 2030 at 14:00 CEST". A zone `Intl` does not know
/// is written as UTC.
pub fn instant(locale: &str, at: Timestamp, time_zone: &str) -> String {
    let format = instant_format(locale, time_zone)
        .or_else(|| instant_format(locale, "UTC"))
        .unwrap_or_else(|| Intl::DateTimeFormat::new(&locales(locale), &Object::new()));
    let millis = at.unix_seconds() as f64 * 1000.0;
    call(
        &format.format(),
        &JsValue::UNDEFINED,
        &[js_date(millis).into()],
    )
}

/// `Intl.DateTimeFormat` for instants in `time_zone`, or `None` where the
/// constructor throws (an unknown zone): built through `Reflect`, since
/// `Intl::DateTimeFormat::new` cannot catch.
fn instant_format(locale: &str, time_zone: &str) -> Option<Intl::DateTimeFormat> {
    let options = options(&[
        ("year", "numeric"),
        ("month", "long"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
        ("timeZone", time_zone),
        ("timeZoneName", "short"),
    ]);
    let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl"))
        .and_then(|intl| Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let args = Array::of2(&locales(locale), &options);
    Reflect::construct(&constructor, &args)
        .ok()
        .map(JsCast::unchecked_into)
}

/// "$129.00", "129,00 €", "‏129.00 US$": the currency's own minor unit, as
/// ICU knows it.
pub fn money(locale: &str, amount: Money) -> String {
    let format = Intl::NumberFormat::new(
        &locales(locale),
        &options(&[
            ("style", "currency"),
            ("currency", amount.currency.as_str()),
        ]),
    );
    let digits = Reflect::get(
        &format.resolved_options(),
        &JsValue::from_str("maximumFractionDigits"),
    )
    .ok()
    .and_then(|value| value.as_f64())
    .unwrap_or(2.0);
    let value = amount.minor as f64 / 10f64.powf(digits);
    call(
        &format.format(),
        &JsValue::UNDEFINED,
        &[JsValue::from_f64(value)],
    )
}
