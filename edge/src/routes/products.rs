//! Product availability: the widget reads it, the merchant's back office
//! writes it.

use shared::{Availability, ProductAvailability, ShopId, Sku};
use worker::{Env, Request, Response};

use crate::auth;
use crate::bindings;
use crate::error::EdgeError;
use crate::routes::cors;

/// The largest body a write may carry; an availability is a few hundred bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Shoppers may see a status this many seconds old; it spares KV reads on
/// busy pages while keeping news fresh.
const AVAILABILITY_MAX_AGE_SECS: u32 = 15;

fn parse_ids(shop: &str, sku: &str) -> Result<(ShopId, Sku), EdgeError> {
    let shop = ShopId::parse(shop).map_err(|err| EdgeError::InvalidInput {
        field: "shop",
        reason: err.to_string(),
    })?;
    let sku = Sku::parse(sku).map_err(|err| EdgeError::InvalidInput {
        field: "sku",
        reason: err.to_string(),
    })?;
    Ok((shop, sku))
}

/// The KV key of one product; versioned so that a new layout can live beside it.
fn product_key(shop: &ShopId, sku: &Sku) -> String {
    format!("v1/shop/{shop}/product/{sku}")
}

pub async fn get(env: &Env, shop: &str, sku: &str) -> Result<Response, EdgeError> {
    let (shop, sku) = parse_ids(shop, sku)?;
    let stored = env
        .kv(bindings::KV)?
        .get(&product_key(&shop, &sku))
        .text()
        .await?;
    let Some(stored) = stored else {
        return Err(EdgeError::UnknownProduct {
            sku: sku.to_string(),
        });
    };
    let product: ProductAvailability = serde_json::from_str(&stored)
        .map_err(|err| EdgeError::Internal(format!("stored product {sku} is unreadable: {err}")))?;
    let mut response = Response::from_json(&product)?;
    response.headers_mut().set(
        "Cache-Control",
        &format!("public, max-age={AVAILABILITY_MAX_AGE_SECS}"),
    )?;
    Ok(cors::allow_any_origin(response)?)
}

pub async fn put(
    mut req: Request,
    env: &Env,
    shop: &str,
    sku: &str,
) -> Result<Response, EdgeError> {
    auth::require_admin(&req, env)?;
    let (shop, sku) = parse_ids(shop, sku)?;
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(EdgeError::BodyTooLarge {
            max: MAX_BODY_BYTES,
        });
    }
    let availability: Availability =
        serde_json::from_slice(&body).map_err(|err| EdgeError::InvalidBody(err.to_string()))?;
    availability
        .validate()
        .map_err(|reason| EdgeError::InvalidInput {
            field: "availability",
            reason,
        })?;
    let product = ProductAvailability { sku, availability };
    let stored = serde_json::to_string(&product)
        .map_err(|err| EdgeError::Internal(format!("serialising a product: {err}")))?;
    env.kv(bindings::KV)?
        .put(&product_key(&shop, &product.sku), stored)?
        .execute()
        .await?;
    Ok(Response::from_json(&product)?)
}
