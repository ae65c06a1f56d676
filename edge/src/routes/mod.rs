//! One module per family of routes.

pub mod cors;
pub mod deliveries;
pub mod products;

use worker::Response;

use crate::error::EdgeError;

/// A cheap liveness check for the test harness and the demo script.
pub fn health() -> Result<Response, EdgeError> {
    Ok(Response::from_json(&serde_json::json!({ "ok": true }))?)
}
