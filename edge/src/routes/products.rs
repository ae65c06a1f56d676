//! Product availability: the widget reads it, the merchant's back office
//! writes it.

use shared::{ProductAvailability, ProductSetting, ShopId, Sku, StoredProduct};
use worker::{Env, Request, Response};

use crate::error::EdgeError;
use crate::routes::{self, cors};
use crate::{auth, clock, storage};

/// The largest body a write may carry; a setting is a few hundred bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Shoppers may see a status this many seconds old; it spares KV reads on
/// busy pages while keeping news fresh.
const AVAILABILITY_MAX_AGE_SECS: u32 = 15;

pub fn parse_shop(shop: &str) -> Result<ShopId, EdgeError> {
    ShopId::parse(shop).map_err(|err| EdgeError::InvalidInput {
        field: "shop",
        reason: err.to_string(),
    })
}

fn parse_ids(shop: &str, sku: &str) -> Result<(ShopId, Sku), EdgeError> {
    let sku = Sku::parse(sku).map_err(|err| EdgeError::InvalidInput {
        field: "sku",
        reason: err.to_string(),
    })?;
    Ok((parse_shop(shop)?, sku))
}

pub async fn get(env: &Env, shop: &str, sku: &str) -> Result<Response, EdgeError> {
    let (shop, sku) = parse_ids(shop, sku)?;
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
    let setting: ProductSetting = routes::json_body(&mut req, MAX_BODY_BYTES).await?;
    setting
        .validate()
        .map_err(|reason| EdgeError::InvalidInput {
            field: "availability",
            reason,
        })?;
    let stored = StoredProduct { sku, setting };
    storage::put_product(env, &shop, &stored).await?;
    Ok(Response::from_json(&stored)?)
}
