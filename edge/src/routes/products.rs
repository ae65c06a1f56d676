//! Product availability as the widget reads it: straight from KV, public.
//! Writes go through the shop's Durable Object, which keeps this copy.

use shared::{ProductAvailability, ProductSetting, ShopId, Sku};
use worker::{Env, Response};

use crate::error::EdgeError;
use crate::{clock, storage};

/// Shoppers may see a status this many seconds old; it spares KV reads on
/// busy pages while keeping news fresh.
const AVAILABILITY_MAX_AGE_SECS: u32 = 15;

pub fn parse_shop(shop: &str) -> Result<ShopId, EdgeError> {
    ShopId::parse(shop).map_err(|err| EdgeError::InvalidInput {
        field: "shop",
        reason: err.to_string(),
    })
}

fn parse_sku(sku: &str) -> Result<Sku, EdgeError> {
    Sku::parse(sku).map_err(|err| EdgeError::InvalidInput {
        field: "sku",
        reason: err.to_string(),
    })
}

pub async fn get(env: &Env, shop: &str, sku: &str) -> Result<Response, EdgeError> {
    let (shop, sku) = (parse_shop(shop)?, parse_sku(sku)?);
    let Some(stored) = storage::product(env, &shop, &sku).await? else {
        return Err(EdgeError::UnknownProduct {
            sku: sku.to_string(),
        });
    };
    let history = match &stored.setting {
        ProductSetting::Backorder {
            supply: Some(_), ..
        } => storage::history(env, &shop).await?,
        _ => Default::default(),
    };
    let availability = stored.setting.resolve(&history, &[], clock::today());
    let product = ProductAvailability { sku, availability };
    let mut response = Response::from_json(&product)?;
    response.headers_mut().set(
        "Cache-Control",
        &format!("public, max-age={AVAILABILITY_MAX_AGE_SECS}"),
    )?;
    Ok(response)
}
