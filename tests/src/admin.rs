//! The operator and the merchant's back office, calling the edge's API as
//! they would: the operator creates a shop, the merchant uses its key.

use serde_json::{Value, json};
use shared::ProductSetting;
use shared::estimate::Delivery;

use crate::worker::EdgeWorker;

/// Where a customer's choice goes, given their order link.
pub fn choices_url(link: &str) -> String {
    match link.split_once('?') {
        Some((path, query)) => format!("{path}/choices?{query}"),
        None => format!("{link}/choices"),
    }
}

/// A shop's back office, holding the API key the edge gave it.
#[derive(Debug, Clone)]
pub struct AdminApi {
    base_url: String,
    shop: String,
    key: String,
    link_secret: String,
    http: reqwest::Client,
}

impl AdminApi {
    /// Creates `shop` with the operator token and keeps its key.
    pub async fn create_shop(worker: &EdgeWorker, shop: &str) -> AdminApi {
        let http = crate::http();
        let response = http
            .post(format!("{}/v1/shops", worker.base_url()))
            .bearer_auth(worker.operator_token())
            .json(&json!({ "shop": shop }))
            .send()
            .await
            .expect("the edge answers");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, 201, "creating {shop}: {body}");
        AdminApi {
            base_url: worker.base_url().to_owned(),
            shop: shop.to_owned(),
            key: body["api_key"].as_str().expect("a key").to_owned(),
            link_secret: body["link_secret"].as_str().expect("a secret").to_owned(),
            http,
        }
    }

    /// The demo's shop: created on the first run, its key kept in `saved`
    /// (the demo's own state folder) for the runs after.
    pub async fn open_or_create(
        worker: &EdgeWorker,
        shop: &str,
        saved: &std::path::Path,
    ) -> AdminApi {
        if let Ok(text) = std::fs::read_to_string(saved)
            && let Ok(keys) = serde_json::from_str::<Value>(&text)
            && let (Some(key), Some(secret)) =
                (keys["api_key"].as_str(), keys["link_secret"].as_str())
        {
            return AdminApi {
                base_url: worker.base_url().to_owned(),
                shop: shop.to_owned(),
                key: key.to_owned(),
                link_secret: secret.to_owned(),
                http: crate::http(),
            };
        }
        let admin = AdminApi::create_shop(worker, shop).await;
        let keys = json!({ "api_key": admin.key, "link_secret": admin.link_secret });
        std::fs::write(saved, keys.to_string()).expect("the demo state folder is writable");
        admin
    }

    /// Holds `key` from now on: the shop's key after a rotation.
    pub fn use_key(&mut self, key: &str) {
        key.clone_into(&mut self.key);
    }

    pub fn api_key(&self) -> &str {
        &self.key
    }

    pub fn link_secret(&self) -> &str {
        &self.link_secret
    }

    pub fn shop(&self) -> &str {
        &self.shop
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, rest: &str) -> String {
        format!("{}/v1/shops/{}{rest}", self.base_url, self.shop)
    }

    pub fn product_url(&self, shop: &str, sku: &str) -> String {
        format!("{}/v1/shops/{shop}/products/{sku}", self.base_url)
    }

    pub fn deliveries_url(&self, shop: &str) -> String {
        format!("{}/v1/shops/{shop}/deliveries", self.base_url)
    }

    /// Sets one product and fails the caller if the edge does not accept it.
    pub async fn set_product(&self, shop: &str, sku: &str, setting: &ProductSetting) -> Value {
        let request = self.http.put(self.product_url(shop, sku)).json(setting);
        self.send(request, &format!("setting {shop}/{sku}")).await
    }

    /// Sets a product with any JSON body (e.g. with a `delay`).
    pub async fn put_product_json(&self, sku: &str, body: &Value) -> Value {
        let request = self.http.put(self.product_url(&self.shop, sku)).json(body);
        self.send(request, &format!("setting {sku}")).await
    }

    /// Records supplier deliveries in the shop's history; returns the answer.
    pub async fn record_deliveries(&self, shop: &str, deliveries: &[Delivery]) -> Value {
        let body = json!({ "deliveries": deliveries });
        let request = self.http.post(self.deliveries_url(shop)).json(&body);
        self.send(request, &format!("recording deliveries for {shop}"))
            .await
    }

    pub async fn set_webhook_secret(&self, source: &str, secret: &str) {
        let request = self
            .http
            .put(self.url(&format!("/webhook-secrets/{source}")))
            .json(&json!({ "secret": secret }));
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("the edge answers");
        assert_eq!(response.status(), 204, "setting the {source} secret");
    }

    pub async fn set_policy(&self, policy: &Value) -> Value {
        let request = self.http.put(self.url("/policy")).json(policy);
        self.send(request, "setting the policy").await
    }

    /// Points outbound webhooks at `url`; returns the signing secret.
    /// Sends this shop's email through `provider` (a local mail server's
    /// `api_key`), from the tests' sender; answers the settings as read back.
    pub async fn set_mail_provider(&self, provider: &str, api_key: &str) -> Value {
        let request = self.http.put(self.url("/mail")).json(&json!({
            "provider": provider, "api_key": api_key,
            "from_email": "orders@tents.example", "from_name": "Tent & Co"
        }));
        self.send(request, "setting the mail provider").await
    }

    pub async fn set_endpoint(&self, url: &str) -> String {
        let request = self
            .http
            .put(self.url("/endpoint"))
            .json(&json!({ "url": url }));
        let answer = self.send(request, "setting the endpoint").await;
        answer["signing_secret"]
            .as_str()
            .expect("a signing secret")
            .to_owned()
    }

    pub async fn get(&self, rest: &str) -> Value {
        let request = self.http.get(self.url(rest));
        self.send(request, &format!("reading {rest}")).await
    }

    /// PUTs `body` as JSON under the shop and reads the status and JSON
    /// answer, whatever the status (for tests of refusals).
    pub async fn put(&self, rest: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        self.send_json(reqwest::Method::PUT, rest, body).await
    }

    /// As `put`, with POST.
    pub async fn post(&self, rest: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        self.send_json(reqwest::Method::POST, rest, body).await
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        rest: &str,
        body: &Value,
    ) -> (reqwest::StatusCode, Value) {
        let response = self
            .http
            .request(method, self.url(rest))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("the edge answers");
        let status = response.status();
        (status, response.json().await.unwrap_or_default())
    }

    /// POSTs `body` as JSON under the shop; a request that got no answer
    /// (refused, timed out) is an `Err`, for callers that send it again.
    pub async fn try_post(
        &self,
        rest: &str,
        body: &Value,
    ) -> Result<(reqwest::StatusCode, Value), String> {
        let response = self
            .http
            .post(self.url(rest))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .map_err(|err| format!("POST {rest}: {err}"))?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or_default()))
    }

    /// The kinds of `order`'s emails in the shop's log, in its order.
    pub async fn email_kinds(&self, order: &str) -> Vec<String> {
        self.get(&format!("/emails?order={order}")).await["emails"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|email| email["kind"].as_str().map(str::to_owned))
            .collect()
    }

    /// The customer's link for `order`, made by the edge.
    pub async fn customer_link(&self, order: &str) -> String {
        let answer = self.new_link(order).await;
        format!(
            "{}{}",
            self.base_url,
            answer["path"].as_str().expect("a path")
        )
    }

    /// The customer's token for `order` alone, as a theme puts it on the
    /// order page's element.
    pub async fn customer_token(&self, order: &str) -> String {
        let answer = self.new_link(order).await;
        answer["token"].as_str().expect("a token").to_owned()
    }

    async fn new_link(&self, order: &str) -> Value {
        let request = self
            .http
            .post(self.url("/links"))
            .json(&json!({ "order": order }));
        self.send(request, "making a customer link").await
    }

    /// As `get`, but a slow or failed answer is an `Err` saying so rather
    /// than a panic: for probes that wait out a recovery.
    pub async fn try_get(&self, rest: &str) -> Result<Value, String> {
        let response = self
            .http
            .get(self.url(rest))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|err| format!("GET {rest}: {err}"))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("GET {rest}: {status}: {body}"));
        }
        serde_json::from_str(&body).map_err(|err| format!("GET {rest}: {err}"))
    }

    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Value {
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("the edge answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{what} failed with {status}: {body}");
        serde_json::from_str(&body).expect("the edge answers JSON")
    }
}
