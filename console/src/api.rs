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
    /// The request's field the edge refused, for a form to show beside it.
    pub field: Option<String>,
    /// The template and its line, for a refused template.
    pub template: Option<String>,
    pub line: Option<u64>,
}

impl Failure {
    /// A failure the console itself names (no answer from the edge, or an
    /// answer it reads as one), for `field` when one is at fault.
    pub fn here(code: &str, message: String, field: Option<&str>) -> Failure {
        Failure {
            status: 0,
            code: code.to_owned(),
            message,
            field: field.map(str::to_owned),
            template: None,
            line: None,
        }
    }

    fn network(err: impl std::fmt::Display) -> Failure {
        Failure::here("network", err.to_string(), None)
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

/// What a request carries.
enum Body<'a> {
    None,
    Json(&'a Value),
    Text(&'a str, &'a str),
}

async fn answer_text(request: RequestBuilder, body: Body<'_>) -> Result<String, Failure> {
    let sent = match body {
        Body::Json(body) => request.json(body).map_err(Failure::network)?.send().await,
        Body::Text(kind, text) => {
            request
                .header("Content-Type", kind)
                .body(text.to_owned())
                .map_err(Failure::network)?
                .send()
                .await
        }
        Body::None => request.send().await,
    };
    let response = sent.map_err(Failure::network)?;
    let status = response.status();
    let text = response.text().await.map_err(Failure::network)?;
    if response.ok() {
        return Ok(text);
    }
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let error = &json["error"];
    Err(Failure {
        field: error["field"].as_str().map(str::to_owned),
        template: error["template"].as_str().map(str::to_owned),
        line: error["line"].as_u64(),
        status,
        code: error["code"].as_str().unwrap_or("http").to_owned(),
        message: error["message"]
            .as_str()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned),
    })
}

async fn answer(request: RequestBuilder, body: Body<'_>) -> Result<Value, Failure> {
    let text = answer_text(request, body).await?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn get(url: &str) -> Result<Value, Failure> {
    answer(Request::get(url), Body::None).await
}

/// A page of text (the FAQ's HTML or Markdown).
pub async fn get_text(url: &str) -> Result<String, Failure> {
    answer_text(Request::get(url), Body::None).await
}

pub async fn post(url: &str, body: &Value) -> Result<Value, Failure> {
    answer(Request::post(url), Body::Json(body)).await
}

/// A POST without a body.
pub async fn post_empty(url: &str) -> Result<Value, Failure> {
    answer(Request::post(url), Body::None).await
}

/// A file as it is, of type `kind` (a CSV of deliveries).
pub async fn post_file(url: &str, kind: &str, text: &str) -> Result<Value, Failure> {
    answer(Request::post(url), Body::Text(kind, text)).await
}

pub async fn put(url: &str, body: &Value) -> Result<Value, Failure> {
    answer(Request::put(url), Body::Json(body)).await
}

pub async fn delete(url: &str) -> Result<Value, Failure> {
    answer(Request::delete(url), Body::None).await
}

/// Exchanges a key for a session cookie; who is signed in.
pub async fn sign_in(shop: &str, key: &str) -> Result<Value, Failure> {
    let request = Request::post(&shop_url(shop, "/sessions"))
        .header("Authorization", &format!("Bearer {}", key.trim()));
    answer(request, Body::None).await
}
