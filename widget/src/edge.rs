//! Talking to the edge worker: where it is, for which shop, and how to read a
//! product's availability.
//!
//! The JSON is read field by field through the browser's own parser instead
//! of serde: serde's deserialisers for `shared`'s types cost the shopper about
//! 45 KB of gzipped wasm, more than all of Leptos. The end-to-end tests hold
//! this decoder to the edge's real answers.

use shared::estimate::{Confidence, Uncertainty};
use shared::{Availability, ShipWindow, ShopId, Sku};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The edge worker that serves one shop's availability.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeClient {
    origin: String,
    shop: ShopId,
}

/// Why the widget has nothing to show; the merchant's own wording stays.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    /// The edge could not be reached, or answered with something unreadable.
    Unreachable,
    /// The edge answered with an error status (e.g. 404 for an unknown SKU).
    Status(u16),
}

impl EdgeClient {
    pub fn new(origin: String, shop: ShopId) -> EdgeClient {
        EdgeClient {
            origin: origin.trim_end_matches('/').to_owned(),
            shop,
        }
    }

    /// Reads one product's availability. Shop and SKU are validated ids, so
    /// they need no escaping in the path.
    pub async fn availability(&self, sku: &Sku) -> Result<Availability, FetchError> {
        let url = format!("{}/v1/shops/{}/products/{}", self.origin, self.shop, sku);
        let window = web_sys::window().ok_or(FetchError::Unreachable)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
            .await
            .and_then(JsCast::dyn_into)
            .map_err(|_| FetchError::Unreachable)?;
        if !response.ok() {
            return Err(FetchError::Status(response.status()));
        }
        let body = response.json().map_err(|_| FetchError::Unreachable)?;
        let body = JsFuture::from(body)
            .await
            .map_err(|_| FetchError::Unreachable)?;
        decode_product(&body).ok_or(FetchError::Unreachable)
    }
}

fn uncertainty(code: &str) -> Option<Uncertainty> {
    Some(match code {
        "no_promised_date" => Uncertainty::NoPromisedDate,
        "thin_history" => Uncertainty::ThinHistory,
        "overdue" => Uncertainty::Overdue,
        "too_wide" => Uncertainty::TooWide,
        _ => return None,
    })
}

fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

fn text(object: &JsValue, name: &str) -> Option<String> {
    field(object, name)?.as_string()
}

/// Reads a `shared::ProductAvailability` in its JSON form; `None` for anything
/// that is not one, so that a bad answer shows nothing rather than nonsense.
fn decode_product(body: &JsValue) -> Option<Availability> {
    let availability = field(body, "availability")?;
    match text(&availability, "status")?.as_str() {
        "in_stock" => Some(Availability::InStock),
        "unavailable" => Some(Availability::Unavailable),
        "backorder" => Some(Availability::Backorder {
            window: field(&availability, "window").and_then(|window| {
                let earliest = text(&window, "earliest")?.parse().ok()?;
                let latest = text(&window, "latest")?.parse().ok()?;
                ShipWindow::new(earliest, latest).ok()
            }),
            reason: text(&availability, "reason"),
            confidence: field(&availability, "confidence")
                .and_then(|value| value.as_f64())
                .and_then(|percent| Confidence::try_from(percent as u8).ok()),
            uncertain: text(&availability, "uncertain").and_then(|code| uncertainty(&code)),
        }),
        _ => None,
    }
}
