//! The order's view, read from the edge's JSON field by field (`json.rs`)
//! instead of serde: serde's deserialisers for the view's types cost
//! shoppers 54 KB of gzipped wasm (measured: the order module was 153 KB
//! gzip with them, 99 KB without). Anything that does not read as
//! the edge writes it gives `None`, so a bad answer shows nothing rather
//! than nonsense; the end-to-end tests hold this reader to the edge's real
//! answers.

use js_sys::{Array, JSON};
use shared::lifecycle::{
    CancelCause, Choice, CreditView, Happening, LineState, LineView, Locale, OfferId, OfferView,
    OfferedOption, OptionKind, OrderView, Stage, TimelineEntry,
};
use shared::text::MerchantText;
use shared::{Currency, Date, Money, OrderId, ShipWindow, Sku, Timestamp};
use wasm_bindgen::JsValue;

use crate::json::{field, ship_window, text};

/// A view from its JSON text.
pub fn view(text: &str) -> Option<OrderView> {
    order_view(&JSON::parse(text).ok()?)
}

/// A JSON value from its text, for error bodies.
pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

fn number(object: &JsValue, name: &str) -> Option<f64> {
    field(object, name)?.as_f64()
}

fn whole(object: &JsValue, name: &str) -> Option<u64> {
    let value = number(object, name)?;
    (value >= 0.0 && value.fract() == 0.0 && value < 9_007_199_254_740_992.0)
        .then_some(value as u64)
}

fn list(object: &JsValue, name: &str) -> Option<Array> {
    let value = field(object, name)?;
    Array::is_array(&value).then(|| Array::from(&value))
}

/// Every item of a list, or `None` if any does not read.
fn each<T>(object: &JsValue, name: &str, read: impl Fn(&JsValue) -> Option<T>) -> Option<Vec<T>> {
    list(object, name)?.iter().map(|item| read(&item)).collect()
}

fn sku(object: &JsValue, name: &str) -> Option<Sku> {
    Sku::parse(&text(object, name)?).ok()
}

fn date(object: &JsValue, name: &str) -> Option<Date> {
    text(object, name)?.parse().ok()
}

fn at(object: &JsValue, name: &str) -> Option<Timestamp> {
    let seconds = number(object, name)?;
    (seconds.fract() == 0.0).then(|| Timestamp::from_unix_seconds(seconds as i64))
}

fn window(object: &JsValue, name: &str) -> Option<Option<ShipWindow>> {
    match field(object, name) {
        None => Some(None),
        Some(window) => Some(Some(ship_window(&window)?)),
    }
}

fn money(object: &JsValue, name: &str) -> Option<Money> {
    let money = field(object, name)?;
    Some(Money::new(
        Currency::parse(&text(&money, "currency")?).ok()?,
        whole(&money, "minor")?,
    ))
}

pub fn choice(object: &JsValue) -> Option<Choice> {
    Some(match OptionKind::from_code(&text(object, "option")?)? {
        OptionKind::KeepWaiting => Choice::KeepWaiting,
        OptionKind::SwitchItem => Choice::SwitchItem {
            sku: sku(object, "sku")?,
        },
        OptionKind::ShipAvailableNow => Choice::ShipAvailableNow,
        OptionKind::StoreCredit => Choice::StoreCredit,
        OptionKind::Cancel => Choice::Cancel,
    })
}

fn option(object: &JsValue) -> Option<OfferedOption> {
    Some(match OptionKind::from_code(&text(object, "option")?)? {
        OptionKind::KeepWaiting => OfferedOption::KeepWaiting {
            expedited: field(object, "expedited")?.as_bool()?,
        },
        OptionKind::SwitchItem => OfferedOption::SwitchItem {
            alternatives: each(object, "alternatives", |pair| {
                let pair = Array::from(pair);
                Some((
                    Sku::parse(&pair.get(0).as_string()?).ok()?,
                    Sku::parse(&pair.get(1).as_string()?).ok()?,
                ))
            })?,
        },
        OptionKind::ShipAvailableNow => OfferedOption::ShipAvailableNow {
            skus: each(object, "skus", |item| Sku::parse(&item.as_string()?).ok())?,
        },
        OptionKind::StoreCredit => OfferedOption::StoreCredit {
            value: money(object, "value")?,
            bonus: money(object, "bonus")?,
        },
        OptionKind::Cancel => OfferedOption::Cancel {
            refund: money(object, "refund")?,
        },
    })
}

fn happening(object: &JsValue) -> Option<Happening> {
    Some(match text(object, "what")?.as_str() {
        "placed" => Happening::Placed {
            window: window(object, "window")?,
        },
        "restocked" => Happening::Restocked {
            sku: sku(object, "sku")?,
        },
        "window_news" => Happening::WindowNews {
            sku: sku(object, "sku")?,
            window: window(object, "window")?,
        },
        // The edge picked the merchant's words for this customer already.
        "delayed" => Happening::Delayed {
            reason: MerchantText::One(text(object, "reason")?),
            fix: MerchantText::One(text(object, "fix")?),
            window: window(object, "window")?,
            lang: text(object, "lang").and_then(|tag| Locale::from_tag(&tag)),
        },
        "processed" => Happening::Processed,
        "shipped" => Happening::Shipped {
            carrier: text(object, "carrier")?,
            tracking: text(object, "tracking")?,
        },
        "delivered" => Happening::Delivered,
        "chose" => Happening::Chose {
            choice: choice(&field(object, "choice")?)?,
        },
        "offer_expired" => Happening::OfferExpired {
            offer: OfferId(u32::try_from(whole(object, "offer")?).ok()?),
        },
        "cancelled" => Happening::Cancelled {
            cause: match text(object, "cause")?.as_str() {
                "customer_chose" => CancelCause::CustomerChose,
                "no_consent_to_delay" => CancelCause::NoConsentToDelay,
                _ => return None,
            },
            refund: money(object, "refund")?,
            refund_by: date(object, "refund_by")?,
        },
        "cancelled_by_store" => Happening::CancelledByStore,
        _ => return None,
    })
}

fn line(object: &JsValue) -> Option<LineView> {
    Some(LineView {
        sku: sku(object, "sku")?,
        quantity: u32::try_from(whole(object, "quantity")?).ok()?,
        amount: money(object, "amount")?,
        state: match text(object, "state")?.as_str() {
            "ready" => LineState::Ready,
            "waiting" => LineState::Waiting,
            "shipped" => LineState::Shipped,
            "cancelled" => LineState::Cancelled,
            _ => return None,
        },
        window: window(object, "window")?,
        replaces: match field(object, "replaces") {
            None => None,
            Some(_) => Some(sku(object, "replaces")?),
        },
    })
}

fn order_view(object: &JsValue) -> Option<OrderView> {
    Some(OrderView {
        order: OrderId::parse(&text(object, "order")?).ok()?,
        seq: whole(object, "seq")?,
        stage: Stage::from_code(&text(object, "stage")?)?,
        window: window(object, "window")?,
        lines: each(object, "lines", line)?,
        offer: match field(object, "offer") {
            None => None,
            Some(offer) => Some(OfferView {
                id: OfferId(u32::try_from(whole(&offer, "id")?).ok()?),
                expires_at: at(&offer, "expires_at")?,
                options: each(&offer, "options", option)?,
            }),
        },
        chosen: match field(object, "chosen") {
            None => None,
            Some(chosen) => Some(choice(&chosen)?),
        },
        timeline: each(object, "timeline", |entry| {
            Some(TimelineEntry {
                at: at(entry, "at")?,
                happening: happening(entry)?,
            })
        })?,
        cancellable: match field(object, "cancellable") {
            None => None,
            Some(_) => Some(money(object, "cancellable")?),
        },
        locale: text(object, "locale"),
        consent_by: match field(object, "consent_by") {
            None => None,
            Some(_) => Some(at(object, "consent_by")?),
        },
        shipping: money(object, "shipping")?,
        paid: money(object, "paid")?,
        credit: match field(object, "credit") {
            None => None,
            Some(credit) => Some(CreditView {
                value: money(&credit, "value")?,
                bonus: money(&credit, "bonus")?,
            }),
        },
        expedited: field(object, "expedited").is_some_and(|value| value.is_truthy()),
        names: match field(object, "names") {
            None => Vec::new(),
            Some(_) => each(object, "names", |pair| {
                let pair = Array::from(pair);
                Some((
                    Sku::parse(&pair.get(0).as_string()?).ok()?,
                    pair.get(1).as_string()?,
                ))
            })?,
        },
    })
}
