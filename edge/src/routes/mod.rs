//! One module per family of routes the worker answers itself; everything a
//! shop owns goes on to the shop's Durable Object (`shop.rs`).

pub mod cors;
pub mod products;
pub mod shops;

use worker::Response;

use crate::error::EdgeError;

/// A cheap liveness check for the test harness and the demo script.
pub fn health() -> Result<Response, EdgeError> {
    Ok(Response::from_json(&serde_json::json!({ "ok": true }))?)
}
