//! Every message between the worker's parts, and the only code that names an
//! internal path.
//!
//! - `order.rs`: what the order's object takes (`Command`, `News`) and
//!   answers (`Answer`, with what the shop must index), its routes and its
//!   typed stub, [`OrderStub`].
//! - `shop.rs`: the shop object's internal calls (create, index, claim and
//!   report an email, claim an action and record its result), their
//!   messages, and [`ShopStub`].
//! - `queue.rs`: the jobs on the two queues and the code that sends them.
//!
//! **The rule that keeps internal routes unreachable from outside.** The
//! worker's entry point (`lib.rs`) forwards a request to a shop's object only
//! when its path is `/v1/shops/{shop}` or below, and forwards nothing at all
//! to an order's object. Every internal route of the shop's object is under
//! `/internal/`, and an order's object answers only its own [`OrderRoute`]s;
//! no forwarded path can be either. Internal routes therefore need no key:
//! whoever reaches them is the worker itself. `tests/e2e/api.rs`
//! (`internal_routes_are_not_reachable_from_outside`) keeps this true.

pub mod order;
pub mod queue;
pub mod shop;

pub use order::{
    Answer, Command, News, OrderFacts, OrderIndex, OrderRoute, OrderStub, Outcome, SupportView,
};
pub use queue::{ActionJob, EmailJob, FanOutJob, Job};
pub use shop::{ShopCall, ShopStub};

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Method, Request, RequestInit, Stub};

use crate::error::EdgeError;

/// The origin of every internal request; Durable Objects ignore it.
const INTERNAL_ORIGIN: &str = "https://internal";

/// Posts `body` as JSON to an object's internal `path` and reads its answer
/// as `R`; any other answer is an internal failure, with its text.
async fn post<T: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    path: &str,
    body: &T,
) -> Result<R, EdgeError> {
    post_or(stub, path, body, |_, _| None).await
}

/// Posts a batch of items and reads one answer per item, in order: an
/// answer of another length is an internal failure.
async fn post_batch<T: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    path: &str,
    items: &[T],
) -> Result<Vec<R>, EdgeError> {
    let answers: Vec<R> = post(stub, path, &items).await?;
    if answers.len() != items.len() {
        return Err(EdgeError::Internal(format!(
            "{path}: {} sent, {} answered",
            items.len(),
            answers.len()
        )));
    }
    Ok(answers)
}

/// Like [`post`], and an answer that is not a success becomes the error
/// `refused` makes of its status and text, if any.
async fn post_or<T: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    path: &str,
    body: &T,
    refused: impl Fn(u16, &str) -> Option<EdgeError>,
) -> Result<R, EdgeError> {
    let text = serde_json::to_string(body)
        .map_err(|err| EdgeError::Internal(format!("serialising a call to {path}: {err}")))?;
    let (status, text) = exchange(stub, path, text).await?;
    if !(200..300).contains(&status) {
        return Err(refused(status, &text)
            .unwrap_or_else(|| EdgeError::Internal(format!("{path} answered {status}: {text}"))));
    }
    serde_json::from_str(&text)
        .map_err(|err| EdgeError::Internal(format!("{path} answered unreadable JSON: {err}")))
}

/// The request and its answer's status and text: not generic, so that the
/// worker holds this once rather than once per message type.
async fn exchange(stub: &Stub, path: &str, body: String) -> Result<(u16, String), EdgeError> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    let status = response.status_code();
    Ok((status, response.text().await?))
}

/// A GET to an object's internal `path` carrying `headers` (a WebSocket
/// upgrade), answered as it is.
async fn pass_on(
    stub: &Stub,
    path: &str,
    headers: &Headers,
) -> Result<worker::Response, EdgeError> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers.clone());
    let request = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}
