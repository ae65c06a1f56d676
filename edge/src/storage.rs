//! Everything the worker keeps in KV, and the one place that names its keys.
//! Keys are versioned (`v1/`) so that a new layout can live beside the old.

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::estimate::DeliveryHistory;
use shared::lifecycle::OrderView;
use shared::{OrderId, ShopId, Sku, StoredProduct};
use worker::Env;

use crate::error::EdgeError;
use crate::front::ShopFront;
use crate::{bindings, clock};

fn product_key(shop: &ShopId, sku: &Sku) -> String {
    format!("v1/shop/{shop}/product/{sku}")
}

fn front_key(shop: &ShopId) -> String {
    format!("v1/shop/{shop}/front")
}

fn history_key(shop: &ShopId) -> String {
    format!("v1/shop/{shop}/history")
}

async fn read<T: DeserializeOwned>(env: &Env, key: &str) -> Result<Option<T>, EdgeError> {
    let text = env.kv(bindings::KV)?.get(key).text().await?;
    parse(key, text.as_deref())
}

async fn write<T: Serialize>(env: &Env, key: &str, value: &T) -> Result<(), EdgeError> {
    let text = serde_json::to_string(value)
        .map_err(|err| EdgeError::Internal(format!("serialising {key}: {err}")))?;
    env.kv(bindings::KV)?.put(key, text)?.execute().await?;
    Ok(())
}

/// A product as KV has it. Copies read in the last `PRODUCT_CACHE_MS`
/// (5 s in `wrangler.toml`, within the 15 s the answer already lets any
/// cache keep it; 0 turns this off) are served from this isolate's memory:
/// the widget's hottest read then costs no KV read at all.
pub async fn product(
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<Option<StoredProduct>, EdgeError> {
    cached_read(env, product_key(shop, sku)).await
}

/// The shop's public copy (language, banner), cached like a product.
pub async fn shop_front(env: &Env, shop: &ShopId) -> Result<Option<ShopFront>, EdgeError> {
    cached_read(env, front_key(shop)).await
}

pub async fn put_shop_front(env: &Env, shop: &ShopId, front: &ShopFront) -> Result<(), EdgeError> {
    write(env, &front_key(shop), front).await
}

async fn cached_read<T: DeserializeOwned>(env: &Env, key: String) -> Result<Option<T>, EdgeError> {
    let now = clock::now_millis();
    let lifetime = isolate_cache::lifetime_ms(env);
    if let Some(text) = isolate_cache::get(&key, now) {
        return parse(&key, text.as_deref());
    }
    let text = env.kv(bindings::KV)?.get(&key).text().await?;
    if lifetime > 0 {
        isolate_cache::put(key.clone(), text.clone(), now + lifetime);
    }
    parse(&key, text.as_deref())
}

fn parse<T: DeserializeOwned>(key: &str, text: Option<&str>) -> Result<Option<T>, EdgeError> {
    let Some(text) = text else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|err| EdgeError::Internal(format!("stored {key} is unreadable: {err}")))
}

/// Recently read product records, per isolate (a worker's instance serves
/// many requests, one at a time per event loop turn).
mod isolate_cache {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use worker::Env;

    /// Past this many records the cache starts afresh: bounded memory.
    const MAX_ENTRIES: usize = 2048;

    thread_local! {
        static ENTRIES: RefCell<HashMap<String, (Option<String>, i64)>> =
            RefCell::new(HashMap::new());
        static LIFETIME_MS: Cell<Option<i64>> = const { Cell::new(None) };
    }

    /// How long a record may be served from memory; read once per isolate.
    pub fn lifetime_ms(env: &Env) -> i64 {
        LIFETIME_MS.with(|cell| {
            if let Some(lifetime) = cell.get() {
                return lifetime;
            }
            let lifetime = env
                .var("PRODUCT_CACHE_MS")
                .ok()
                .and_then(|value| value.to_string().parse().ok())
                .unwrap_or(0);
            cell.set(Some(lifetime));
            lifetime
        })
    }

    /// The record's text (`None`: no such record) if read before `expires`.
    pub fn get(key: &str, now: i64) -> Option<Option<String>> {
        ENTRIES.with(|entries| {
            let entries = entries.borrow();
            let (text, expires) = entries.get(key)?;
            (now < *expires).then(|| text.clone())
        })
    }

    pub fn put(key: String, text: Option<String>, expires: i64) {
        ENTRIES.with(|entries| {
            let mut entries = entries.borrow_mut();
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (text, expires));
        });
    }
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
