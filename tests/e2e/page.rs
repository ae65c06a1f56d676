//! A page object for the demo shop page: what a shopper sees of each product.

use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::Value;

/// What one product's availability line shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Shown {
    /// The widget's state: loading, in_stock, backorder, unavailable, error.
    pub state: String,
    /// The widget's own notice text, if it shows one.
    pub notice: Option<String>,
    /// The merchant's own text, if it still shows through.
    pub merchant: Option<String>,
}

/// Reads a host's shadow root: the widget's state and notice, and whether the
/// merchant's content is still slotted in.
const READ_PRODUCT: &str = r#"
const host = document.querySelector(`[data-backorder-product="${arguments[0]}"]`);
const root = host && host.shadowRoot;
const box = root && root.querySelector(".notice");
if (!box) { return null; }
const notice = root.querySelector("[part=notice]");
// innerText, not textContent: what is rendered, with block breaks as spaces.
const slotted = root.querySelector("slot") ? host.textContent.trim() : null;
return { state: box.dataset.state, notice: notice ? notice.innerText : null, merchant: slotted };
"#;

/// Text as a reader takes it in: ICU's thin and narrow spaces, line breaks
/// and runs of spaces all read as one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct ShopPage<'a> {
    client: &'a Client,
}

impl<'a> ShopPage<'a> {
    pub async fn open(client: &'a Client, url: &str) -> ShopPage<'a> {
        client.goto(url).await.expect("the shop page loads");
        ShopPage { client }
    }

    /// The product's line once the widget has settled (no longer loading).
    pub async fn settled(&self, sku: &str) -> Shown {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self
                .client
                .execute(READ_PRODUCT, vec![Value::from(sku)])
                .await
                .expect("the page runs scripts");
            if let Ok(mut shown) = serde_json::from_value::<Shown>(value)
                && shown.state != "loading"
            {
                shown.notice = shown.notice.map(|text| words(&text));
                return shown;
            }
            assert!(
                Instant::now() < deadline,
                "the widget never settled for {sku}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The merchant's reason on a product's line, and the language it is
    /// marked with (`None` when it is not marked).
    pub async fn reason(&self, sku: &str) -> Option<(String, Option<String>)> {
        let script = "const host = document.querySelector(`[data-backorder-product=\"${arguments[0]}\"]`);\
            const reason = host && host.shadowRoot && host.shadowRoot.querySelector('.reason');\
            return reason ? [reason.textContent, reason.getAttribute('lang')] : null;";
        let value = self
            .client
            .execute(script, vec![Value::from(sku)])
            .await
            .expect("the page runs scripts");
        serde_json::from_value(value).expect("a reason and its language, or null")
    }

    /// Whether any host on the page got a widget at all.
    pub async fn widget_mounted_anywhere(&self) -> bool {
        let script = "return Array.from(document.querySelectorAll('[data-backorder-product]')).some(h => h.shadowRoot);";
        self.client
            .execute(script, vec![])
            .await
            .expect("the page runs scripts")
            == Value::Bool(true)
    }

    /// Every resource the page fetched, as the browser timed it: its URL,
    /// when it started and when its last byte came, in ms since navigation.
    pub async fn fetched(&self) -> Vec<(String, f64, f64)> {
        let script = "return performance.getEntriesByType('resource')\
            .map(e => [e.name, e.startTime, e.responseEnd]);";
        let value = self.client.execute(script, vec![]).await.expect("runs");
        let entries: Vec<(String, f64, f64)> =
            serde_json::from_value(value).expect("resource timing entries");
        entries
    }

    /// The merchant's own light-DOM text of a product's line.
    pub async fn merchant_text(&self, sku: &str) -> String {
        let script = "return document.querySelector(`[data-backorder-product=\"${arguments[0]}\"]`).textContent.trim();";
        let value = self
            .client
            .execute(script, vec![Value::from(sku)])
            .await
            .expect("runs");
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Clicks "Add to cart" for a product and returns the cart count after.
    pub async fn add_to_cart(&self, sku: &str) -> String {
        let script = "document.querySelector(`.add-to-cart[data-sku=\"${arguments[0]}\"]`).click(); return document.getElementById('cart-count').textContent;";
        let value = self
            .client
            .execute(script, vec![Value::from(sku)])
            .await
            .expect("runs");
        value.as_str().unwrap_or_default().to_owned()
    }
}
