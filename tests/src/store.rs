//! The store's side: webhooks signed exactly as Shopify, WooCommerce and a
//! Standard Webhooks sender sign them, over the raw bytes sent. Standard
//! Webhooks are signed with the `standardwebhooks` crate, not our code.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::{Client, Response};
use sha2::Sha256;

use crate::admin::AdminApi;

/// The secrets a test store signs with (the edge is told them).
pub const SHOPIFY_SECRET: &str = "shpss_test_app_secret";
pub const WOO_SECRET: &str = "woo secret &amp; more";
pub const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn base64_hmac(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `X-Shopify-Hmac-Sha256` for `body`, as Shopify computes it.
pub fn shopify_signature(body: &str) -> String {
    base64_hmac(SHOPIFY_SECRET.as_bytes(), body.as_bytes())
}

/// A store that sends webhooks to one shop on the edge.
#[derive(Debug, Clone)]
pub struct Store {
    base: String,
    http: Client,
}

impl Store {
    /// Registers the three sources' secrets with the shop, as a merchant
    /// does once, and returns a store that signs with them.
    pub async fn connect(admin: &AdminApi) -> Store {
        admin.set_webhook_secret("shopify", SHOPIFY_SECRET).await;
        admin.set_webhook_secret("woocommerce", WOO_SECRET).await;
        admin.set_webhook_secret("standard", STANDARD_SECRET).await;
        Store {
            base: admin.url("/webhooks"),
            http: crate::http(),
        }
    }

    pub fn url(&self, source: &str) -> String {
        format!("{}/{source}", self.base)
    }

    pub async fn shopify(&self, topic: &str, body: &str) -> Response {
        self.shopify_signed(topic, body, &shopify_signature(body))
            .await
    }

    pub async fn shopify_signed(&self, topic: &str, body: &str, signature: &str) -> Response {
        self.http
            .post(self.url("shopify"))
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Shop-Domain", "test.myshopify.com")
            .header("X-Shopify-Webhook-Id", uuid_like())
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the edge answers")
    }

    /// A delivery with the header names of Shopify's newer event
    /// deliveries: lower case, without `X-`.
    pub async fn shopify_event(&self, topic: &str, body: &str) -> Response {
        self.http
            .post(self.url("shopify"))
            .header("shopify-topic", topic)
            .header("shopify-hmac-sha256", shopify_signature(body))
            .header("shopify-shop-domain", "test.myshopify.com")
            .header("shopify-event-id", uuid_like())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the edge answers")
    }

    /// WooCommerce keys its HMAC with the secret's entities decoded
    /// (`wp_specialchars_decode`), and sends PHP's escaped JSON.
    pub async fn woocommerce(&self, topic: &str, body: &str) -> Response {
        let key = WOO_SECRET.replace("&amp;", "&");
        let signature = base64_hmac(key.as_bytes(), body.as_bytes());
        self.http
            .post(self.url("woocommerce"))
            .header("X-WC-Webhook-Topic", topic)
            .header("X-WC-Webhook-Signature", signature)
            .header("X-WC-Webhook-Source", "https://shop.example/")
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the edge answers")
    }

    /// The unsigned form post WooCommerce sends when a webhook is created.
    pub async fn woocommerce_ping(&self) -> Response {
        self.http
            .post(self.url("woocommerce"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("webhook_id=17")
            .send()
            .await
            .expect("the edge answers")
    }

    /// A Standard Webhooks delivery with id `id`, signed now.
    pub async fn standard(&self, id: &str, body: &str) -> Response {
        self.standard_at(id, crate::now_unix(), body).await
    }

    pub async fn standard_at(&self, id: &str, timestamp: i64, body: &str) -> Response {
        let signer = standardwebhooks::Webhook::new(STANDARD_SECRET).expect("the secret is valid");
        let signature = signer
            .sign(id, timestamp, body.as_bytes())
            .expect("signing works");
        self.http
            .post(self.url("standard"))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the edge answers")
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:032x}")
}
