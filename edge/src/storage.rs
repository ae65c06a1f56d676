//! Everything the worker keeps in KV, and the one place that names its keys.
//! Keys are versioned (`v1/`) so that a new layout can live beside the old.

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::estimate::DeliveryHistory;
use shared::lifecycle::OrderView;
use shared::{OrderId, ShopId, Sku, StoredProduct};
use worker::Env;

use crate::bindings;
use crate::error::EdgeError;

fn product_key(shop: &ShopId, sku: &Sku) -> String {
    format!("v1/shop/{shop}/product/{sku}")
}

fn history_key(shop: &ShopId) -> String {
    format!("v1/shop/{shop}/history")
}

async fn read<T: DeserializeOwned>(env: &Env, key: &str) -> Result<Option<T>, EdgeError> {
    let Some(text) = env.kv(bindings::KV)?.get(key).text().await? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| EdgeError::Internal(format!("stored {key} is unreadable: {err}")))
}

async fn write<T: Serialize>(env: &Env, key: &str, value: &T) -> Result<(), EdgeError> {
    let text = serde_json::to_string(value)
        .map_err(|err| EdgeError::Internal(format!("serialising {key}: {err}")))?;
    env.kv(bindings::KV)?.put(key, text)?.execute().await?;
    Ok(())
}

pub async fn product(
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<Option<StoredProduct>, EdgeError> {
    read(env, &product_key(shop, sku)).await
}

pub async fn put_product(
    env: &Env,
    shop: &ShopId,
    product: &StoredProduct,
) -> Result<(), EdgeError> {
    write(env, &product_key(shop, &product.sku), product).await
}

/// The shop's supplier history; empty before its first delivery record.
pub async fn history(env: &Env, shop: &ShopId) -> Result<DeliveryHistory, EdgeError> {
    Ok(read(env, &history_key(shop)).await?.unwrap_or_default())
}

pub async fn put_history(
    env: &Env,
    shop: &ShopId,
    history: &DeliveryHistory,
) -> Result<(), EdgeError> {
    write(env, &history_key(shop), history).await
}

fn order_key(shop: &ShopId, order: &OrderId) -> String {
    format!("v1/shop/{shop}/order/{order}")
}

/// The public view of an order, as its Durable Object last published it.
/// KV is eventually consistent: a reader may see the previous view for a
/// while (up to a minute in production), never a torn one.
pub async fn order_view(
    env: &Env,
    shop: &ShopId,
    order: &OrderId,
) -> Result<Option<OrderView>, EdgeError> {
    read(env, &order_key(shop, order)).await
}

pub async fn put_order_view(env: &Env, shop: &ShopId, view: &OrderView) -> Result<(), EdgeError> {
    write(env, &order_key(shop, &view.order), view).await
}
