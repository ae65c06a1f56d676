//! The merchant's back office: authenticated writes to the edge.

use serde_json::Value;
use shared::ProductSetting;
use shared::estimate::Delivery;

use crate::worker::EdgeWorker;

/// Writes availability the way a merchant's back office does.
#[derive(Debug, Clone)]
pub struct AdminApi {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl AdminApi {
    pub fn new(worker: &EdgeWorker) -> AdminApi {
        AdminApi {
            base_url: worker.base_url().to_owned(),
            token: worker.admin_token().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub fn product_url(&self, shop: &str, sku: &str) -> String {
        format!("{}/v1/shops/{shop}/products/{sku}", self.base_url)
    }

    pub fn deliveries_url(&self, shop: &str) -> String {
        format!("{}/v1/shops/{shop}/deliveries", self.base_url)
    }

    /// Sets one product and fails the caller if the edge does not accept it.
    pub async fn set_product(&self, shop: &str, sku: &str, setting: &ProductSetting) {
        let request = self.http.put(self.product_url(shop, sku)).json(setting);
        self.send(request, &format!("setting {shop}/{sku}")).await;
    }

    /// Records supplier deliveries in the shop's history; returns the answer.
    pub async fn record_deliveries(&self, shop: &str, deliveries: &[Delivery]) -> Value {
        let body = serde_json::json!({ "deliveries": deliveries });
        let request = self.http.post(self.deliveries_url(shop)).json(&body);
        self.send(request, &format!("recording deliveries for {shop}"))
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Value {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the edge answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{what} failed with {status}: {body}");
        serde_json::from_str(&body).expect("the edge answers JSON")
    }
}
