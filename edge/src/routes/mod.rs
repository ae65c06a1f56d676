//! One module per family of routes.

pub mod cors;
pub mod deliveries;
pub mod products;

use serde::de::DeserializeOwned;
use worker::{Request, Response};

use crate::error::EdgeError;

/// Reads a JSON body of at most `max` bytes into `T`, or says what is wrong.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request, max: usize) -> Result<T, EdgeError> {
    let body = req.bytes().await?;
    if body.len() > max {
        return Err(EdgeError::BodyTooLarge { max });
    }
    serde_json::from_slice(&body).map_err(|err| EdgeError::InvalidBody(err.to_string()))
}

/// A cheap liveness check for the test harness and the demo script.
pub fn health() -> Result<Response, EdgeError> {
    Ok(Response::from_json(&serde_json::json!({ "ok": true }))?)
}
