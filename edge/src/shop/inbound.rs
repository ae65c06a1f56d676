//! The stores' webhooks: each signature checked over the raw bytes, then
//! each payload read into news and acted on.

use serde_json::json;
use shared::lifecycle::Event;
use shared::{ProductSetting, ShopId, Sku};
use worker::{Request, Response};

use super::products::DelayText;
use super::sql::{Row, text_value};
use super::{MAX_WEBHOOK_BYTES, ShopRecords, invalid, parse_sku};
use crate::calls::News;
use crate::error::EdgeError;
use crate::webhooks::{self, Inbound, Source};
use crate::{clock, crypto, http, logs};

impl ShopRecords {
    pub(super) async fn webhook(
        &self,
        mut req: Request,
        source: Source,
    ) -> Result<Response, EdgeError> {
        let started = logs::start();
        let body = http::body_bytes(&mut req, MAX_WEBHOOK_BYTES).await?;
        let header = |name: &str| req.headers().get(name).ok().flatten();
        // WooCommerce pings a new webhook with an unsigned form post, and
        // shows an error unless it gets exactly 200. It changes nothing; a
        // shop that does not exist says so, and the admin shows the error.
        if source == Source::WooCommerce
            && header("X-WC-Webhook-Signature").is_none()
            && body.starts_with(b"webhook_id=")
        {
            if self.setting("shop")?.is_none() {
                return Err(EdgeError::NotFound);
            }
            return http::json(&json!({ "ok": true, "ping": true }), 200);
        }
        let secret = self
            .setting(&format!("secret:{}", source.as_str()))?
            .ok_or(EdgeError::BadSignature("no secret is set for this source"))?;
        let (topic, key) = verify(source, &secret, &header, &body)?;
        // Retries carry the original payload: the body names the delivery.
        let key = key
            .unwrap_or_else(|| format!("{}:{}", source.as_str(), &crypto::sha256_hex(&body)[..32]));
        let payload: serde_json::Value = http::from_json_text(&body).map_err(|err| match err {
            EdgeError::InvalidBody(reason) => EdgeError::InvalidBody(format!("not JSON: {reason}")),
            other => other,
        })?;
        let news = webhooks::read(source, &topic, &payload)
            .map_err(|unreadable| EdgeError::InvalidBody(unreadable.0))?;
        let shop = self.shop_id()?;
        let mut results = Vec::new();
        for item in news {
            results.push(self.take(&shop, item, &key).await?);
        }
        // The results are the edge's own words ("placed", "known order"),
        // never the payload's.
        // A Standard Webhook names its topic in its body, the stores in a
        // header.
        let topic = match payload["type"].as_str() {
            Some(kind) if topic.is_empty() => kind,
            _ => topic.as_str(),
        };
        let topic: String = topic.chars().take(64).collect();
        logs::Line {
            kind: "webhook",
            what: &format!("{} {topic}", source.as_str()),
            shop: Some(shop.as_str()),
            order: None,
            outcome: &results.join("; "),
            ms: 0,
        }
        .write(started);
        http::json(&json!({ "received": results }), 200)
    }

    /// Acts on one piece of news; returns a word for the store's log.
    async fn take(&self, shop: &ShopId, news: Inbound, key: &str) -> Result<String, EdgeError> {
        let event = |event| News::Event { event };
        match news {
            Inbound::Order(draft) => self.place(shop, draft, key).await,
            Inbound::Cancelled { order } => {
                let news = event(Event::CancelledByStore);
                self.order_news(shop, &order, news, key).await
            }
            Inbound::Processed { order } => {
                let news = event(Event::Processed);
                self.order_news(shop, &order, news, key).await
            }
            Inbound::Shipped {
                order,
                carrier,
                tracking,
            } => {
                let news = News::Ship { carrier, tracking };
                self.order_news(shop, &order, news, key).await
            }
            Inbound::Delivered { order } => self.order_news(shop, &order, News::Deliver, key).await,
            Inbound::Restocked { sku } => match Sku::parse(&sku) {
                Ok(sku) => self.restock_from_store(shop, &sku, clock::today()).await,
                Err(_) => Ok("ignored: not a SKU we track".into()),
            },
            Inbound::WindowChanged {
                sku,
                window,
                reason,
                fix,
            } => {
                let text = DelayText { reason, fix };
                self.window_news(shop, &sku, window, text).await
            }
            Inbound::InventoryItem { item, sku } => {
                self.run(
                    "INSERT INTO inventory_items (item, sku) VALUES (?, ?)
                         ON CONFLICT(item) DO UPDATE SET sku = excluded.sku",
                    vec![text_value(item), text_value(sku)],
                )?;
                Ok("inventory item mapped".into())
            }
            Inbound::InventoryLevel { item, available } => {
                self.inventory_level(shop, item, available).await
            }
            Inbound::StockLevel {
                sku,
                on_hand,
                in_transit,
            } => match Sku::parse(&sku) {
                Ok(sku) => {
                    self.keep_stock(&sku, on_hand, in_transit)?;
                    Ok("stock level kept".into())
                }
                Err(_) => Ok("ignored: not a SKU we track".into()),
            },
            Inbound::Ignored { topic } => Ok(format!("ignored: {topic}")),
        }
    }

    /// The supplier's news for a SKU: what its page shows and what a new
    /// order is promised move with it at once, stated or estimated alike,
    /// and every waiting order hears it.
    async fn window_news(
        &self,
        shop: &ShopId,
        sku: &str,
        window: Option<shared::ShipWindow>,
        text: DelayText,
    ) -> Result<String, EdgeError> {
        let sku = parse_sku(sku)?;
        text.check()?;
        if let Some(ProductSetting::Backorder {
            supply,
            reason,
            confidence,
            ..
        }) = self.product(&sku)?
        {
            // The news's window is shown from now on; supply facts stay to
            // be learnt from when the stock arrives, but a promise the
            // supplier took back is no promise to learn from.
            let supply = match window {
                Some(_) => supply,
                None => supply.map(|facts| shared::estimate::SupplyFacts {
                    promised_arrival: None,
                    ..facts
                }),
            };
            let setting = ProductSetting::Backorder {
                window,
                supply,
                reason,
                confidence,
            };
            self.save_product(shop, &sku, &setting, None).await?;
        }
        let notified = self.window_changed(shop, &sku, window, text).await?;
        Ok(format!("window changed: {notified} orders told"))
    }

    /// Shopify's inventory level for an item: stock arrived for a SKU we
    /// know when some is available.
    async fn inventory_level(
        &self,
        shop: &ShopId,
        item: String,
        available: Option<i64>,
    ) -> Result<String, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT sku AS value FROM inventory_items WHERE item = ?",
            vec![text_value(item)],
        )?;
        let sku = rows
            .into_iter()
            .next()
            .and_then(|row| Sku::parse(&row.value).ok());
        if let (Some(sku), Some(available)) = (&sku, available) {
            self.keep_stock(sku, available, None)?;
        }
        match (sku, available) {
            (Some(sku), Some(available)) if available > 0 => {
                self.restock_from_store(shop, &sku, clock::today()).await
            }
            _ => Ok("ignored: no stock arrived for a known SKU".into()),
        }
    }
}

/// Checks a delivery's signature as its source signs it; the topic it
/// names (Shopify, WooCommerce) and the delivery's own key (Standard
/// Webhooks' `webhook-id`), where there are.
fn verify(
    source: Source,
    secret: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<(String, Option<String>), EdgeError> {
    match source {
        Source::Shopify => {
            // Webhooks name their headers `X-Shopify-…`; Shopify's newer
            // event deliveries `shopify-…` (any case, as every header).
            let shopify = |name: &str| {
                header(&format!("X-Shopify-{name}")).or_else(|| header(&format!("shopify-{name}")))
            };
            let signature = shopify("Hmac-Sha256").ok_or(EdgeError::BadSignature(
                "X-Shopify-Hmac-Sha256 (or shopify-hmac-sha256) is missing",
            ))?;
            if !crypto::verify_base64_body_hmac(secret, body, &signature) {
                return Err(EdgeError::BadSignature(
                    "X-Shopify-Hmac-Sha256 does not match",
                ));
            }
            Ok((shopify("Topic").unwrap_or_default(), None))
        }
        Source::WooCommerce => {
            let signature = header("X-WC-Webhook-Signature")
                .ok_or(EdgeError::BadSignature("X-WC-Webhook-Signature is missing"))?;
            let key = wp_specialchars_decode(secret);
            if !crypto::verify_base64_body_hmac(&key, body, &signature) {
                return Err(EdgeError::BadSignature(
                    "X-WC-Webhook-Signature does not match",
                ));
            }
            Ok((header("X-WC-Webhook-Topic").unwrap_or_default(), None))
        }
        Source::Standard => verify_standard(secret, header, body),
    }
}

fn verify_standard(
    secret: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<(String, Option<String>), EdgeError> {
    let (Some(id), Some(timestamp), Some(signature)) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    ) else {
        return Err(EdgeError::BadSignature(
            "webhook-id, webhook-timestamp and webhook-signature are required",
        ));
    };
    crypto::verify_standard_webhook(
        secret,
        &id,
        &timestamp,
        &signature,
        body,
        clock::now().unix_seconds(),
    )
    .map_err(|refusal| match refusal {
        crypto::StandardRefusal::Stale => {
            EdgeError::BadSignature("webhook-timestamp is more than 5 minutes off")
        }
        crypto::StandardRefusal::BadTimestamp => {
            EdgeError::BadSignature("webhook-timestamp is not a number of seconds")
        }
        crypto::StandardRefusal::NoValidSignature => {
            EdgeError::BadSignature("no webhook-signature matches")
        }
    })?;
    Ok((String::new(), Some(format!("standard:{id}"))))
}

/// WooCommerce keys its HMAC with `wp_specialchars_decode($secret,
/// ENT_QUOTES)`: the secret as typed in its admin, with these entities
/// decoded.
fn wp_specialchars_decode(secret: &str) -> String {
    secret
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Webhook secrets as each source issues them.
pub(super) fn check_secret(source: Source, secret: &str) -> Result<(), EdgeError> {
    if secret.is_empty() || secret.len() > 512 {
        return Err(invalid("secret", "1 to 512 characters"));
    }
    if source == Source::Standard && !crypto::is_issued_standard_secret(secret) {
        return Err(invalid(
            "secret",
            "a Standard Webhooks secret: whsec_ and base64",
        ));
    }
    Ok(())
}
