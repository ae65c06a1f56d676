//! The edge's API as the console calls it: same origin, with the session
//! cookie the browser holds (HttpOnly: this code never sees it), and the key
//! only once, to sign in.

use gloo_net::http::{Request, RequestBuilder};
use serde_json::Value;

/// Why a call failed: the edge's own error code and words, or the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Failure {
    fn network(err: impl std::fmt::Display) -> Failure {
        Failure {
            status: 0,
            code: "network".into(),
            message: err.to_string(),
        }
    }
}

/// `/v1/shops/{shop}{rest}`, the shop's part of the API.
pub fn shop_url(shop: &str, rest: &str) -> String {
    format!("/v1/shops/{}{rest}", encode(shop))
}

/// A value for a URL's query or path.
pub fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

async fn answer(request: RequestBuilder, body: Option<&Value>) -> Result<Value, Failure> {
    let sent = match body {
        Some(body) => request.json(body).map_err(Failure::network)?.send().await,
        None => request.send().await,
    };
    let response = sent.map_err(Failure::network)?;
    let status = response.status();
    let text = response.text().await.map_err(Failure::network)?;
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if response.ok() {
        return Ok(json);
    }
    Err(Failure {
        status,
        code: json["error"]["code"].as_str().unwrap_or("http").to_owned(),
        message: json["error"]["message"]
            .as_str()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned),
    })
}

pub async fn get(url: &str) -> Result<Value, Failure> {
    answer(Request::get(url), None).await
}

pub async fn post(url: &str, body: &Value) -> Result<Value, Failure> {
    answer(Request::post(url), Some(body)).await
}

pub async fn delete(url: &str) -> Result<Value, Failure> {
    answer(Request::delete(url), None).await
}

/// Exchanges a key for a session cookie; who is signed in.
pub async fn sign_in(shop: &str, key: &str) -> Result<Value, Failure> {
    let request = Request::post(&shop_url(shop, "/sessions"))
        .header("Authorization", &format!("Bearer {}", key.trim()));
    answer(request, None).await
}
