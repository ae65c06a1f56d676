//! The merchant's back office: authenticated writes to the edge.

use shared::Availability;

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

    /// Sets one product's availability and fails the caller if the edge
    /// does not accept it.
    pub async fn set_availability(&self, shop: &str, sku: &str, availability: &Availability) {
        let response = self
            .http
            .put(self.product_url(shop, sku))
            .bearer_auth(&self.token)
            .json(availability)
            .send()
            .await
            .expect("the edge answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "setting {shop}/{sku} failed with {status}: {body}"
        );
    }
}
