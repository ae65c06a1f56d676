//! Supplier delivery records from the merchant: the history that honest ship
//! windows are estimated from.

use serde::{Deserialize, Serialize};
use shared::estimate::Delivery;
use worker::{Env, Request, Response};

use crate::error::EdgeError;
use crate::routes::{self, products::parse_shop};
use crate::{auth, storage};

/// At most this many records a request; send more in several.
const MAX_RECORDS: usize = 1000;
const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    deliveries: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Recorded {
    recorded: usize,
    deliveries_in_history: u64,
}

/// Validates every record before learning any, so that a bad record leaves
/// the history exactly as it was.
pub async fn post(mut req: Request, env: &Env, shop: &str) -> Result<Response, EdgeError> {
    auth::require_admin(&req, env)?;
    let shop = parse_shop(shop)?;
    let batch: Batch = routes::json_body(&mut req, MAX_BODY_BYTES).await?;
    if batch.deliveries.is_empty() || batch.deliveries.len() > MAX_RECORDS {
        return Err(EdgeError::InvalidInput {
            field: "deliveries",
            reason: format!("send 1 to {MAX_RECORDS} records"),
        });
    }
    let mut deliveries = Vec::with_capacity(batch.deliveries.len());
    for (index, value) in batch.deliveries.into_iter().enumerate() {
        let delivery: Delivery = serde_json::from_value(value)
            .map_err(|err| EdgeError::InvalidBody(format!("deliveries[{index}]: {err}")))?;
        delivery
            .validate()
            .map_err(|reason| EdgeError::InvalidBody(format!("deliveries[{index}]: {reason}")))?;
        deliveries.push(delivery);
    }
    // Learnt in the order they arrived, as the calibration expects.
    deliveries.sort_by_key(|delivery| delivery.received);
    // A read-modify-write of one KV value: two batches for one shop at the
    // same moment could lose one. A Durable Object per shop will serialise
    // them; until then, the back office sends batches one after another.
    let mut history = storage::history(env, &shop).await?;
    for delivery in &deliveries {
        history.record(delivery);
    }
    storage::put_history(env, &shop, &history).await?;
    Ok(Response::from_json(&Recorded {
        recorded: deliveries.len(),
        deliveries_in_history: history.deliveries(),
    })?)
}
