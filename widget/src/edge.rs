//! What the edge said about the page's products. The loader script asks the
//! edge for every SKU on the page in one batch read, while the wasm is still
//! downloading, and hands the answer to [`crate::start_widget`].
//!
//! The JSON is read field by field through the browser's own parser instead
//! of serde: serde's deserialisers for `shared`'s types cost the shopper about
//! 45 KB of gzipped wasm, more than all of Leptos. The end-to-end tests hold
//! this decoder to the edge's real answers.

use shared::Availability;
use shared::estimate::{Confidence, Uncertainty};
use shared::lifecycle::Locale;
use shared::text::MerchantText;
use wasm_bindgen::JsValue;

use crate::json::{field, ship_window, text};

/// What the edge said about one SKU.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The edge could not be reached, or answered with something unreadable:
    /// the merchant's own wording stays.
    Unreachable,
    /// The shop has no such product: the merchant's own wording stays.
    Unknown,
    Known(Availability),
}

/// The edge's answers for a page: the batch read's `products` and `unknown`
/// lists, merged by the loader over batches of 50 SKUs; `null` when no batch
/// answered.
#[derive(Debug)]
pub struct Answers(JsValue);

impl Answers {
    pub fn new(body: JsValue) -> Answers {
        Answers(body)
    }

    /// The shop's language, for a page that names none the widget speaks.
    pub fn shop_locale(&self) -> Option<String> {
        text(&field(&self.0, "shop")?, "locale")
    }

    /// What the edge said about `sku`, its merchant's words picked for a
    /// reader of `wanted`.
    pub fn about(&self, sku: &str, wanted: Locale) -> Answer {
        let list = |name| {
            field(&self.0, name)
                .map(|value| js_sys::Array::from(&value))
                .unwrap_or_default()
        };
        let products = list("products");
        if let Some(product) = products
            .iter()
            .find(|product| text(product, "sku").as_deref() == Some(sku))
        {
            let shop = self.shop_locale().and_then(|tag| Locale::from_tag(&tag));
            return decode_product(&product, wanted, shop)
                .map_or(Answer::Unreachable, Answer::Known);
        }
        if list("unknown")
            .iter()
            .any(|known| known.as_string().as_deref() == Some(sku))
        {
            return Answer::Unknown;
        }
        Answer::Unreachable
    }
}

/// Reads a `shared::ProductAvailability` in its JSON form; `None` for anything
/// that is not one, so that a bad answer shows nothing rather than nonsense.
fn decode_product(body: &JsValue, wanted: Locale, shop: Option<Locale>) -> Option<Availability> {
    let availability = field(body, "availability")?;
    match text(&availability, "status")?.as_str() {
        "in_stock" => Some(Availability::InStock),
        "unavailable" => Some(Availability::Unavailable),
        "backorder" => Some(Availability::Backorder {
            window: field(&availability, "window").and_then(|window| ship_window(&window)),
            reason: field(&availability, "reason").and_then(|reason| pick(&reason, wanted, shop)),
            confidence: field(&availability, "confidence")
                .and_then(|value| value.as_f64())
                .and_then(|percent| Confidence::try_from(percent as u8).ok()),
            uncertain: text(&availability, "uncertain")
                .and_then(|code| Uncertainty::from_code(&code)),
        }),
        _ => None,
    }
}

/// A merchant's text as the edge sends it (one string, or `{"en", "it",
/// "ar"}`), reduced to the one a reader of `wanted` sees: theirs, else the
/// shop's language's, else the first written, kept with its language.
fn pick(value: &JsValue, wanted: Locale, shop: Option<Locale>) -> Option<MerchantText> {
    if let Some(one) = value.as_string() {
        return Some(MerchantText::One(one));
    }
    let written = |locale: Locale| text(value, locale.code()).map(|text| (locale, text));
    written(wanted)
        .or_else(|| shop.and_then(written))
        .or_else(|| {
            [Locale::En, Locale::It, Locale::Ar]
                .into_iter()
                .find_map(written)
        })
        .map(|picked| MerchantText::ByLanguage(vec![picked]))
}
