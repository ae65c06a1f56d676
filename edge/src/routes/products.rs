//! Product availability as the widget reads it: straight from KV, public.
//! Writes go through the shop's Durable Object, which keeps this copy.

use shared::{ProductAvailability, ShopId, Sku, StoredProduct};
use worker::{Env, Response};

use crate::error::EdgeError;
use crate::{clock, http, storage};

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

/// The most SKUs one batch read takes: more than any product page shows.
pub const MAX_BATCH_SKUS: usize = 50;

fn cacheable(mut response: Response) -> Result<Response, EdgeError> {
    response.headers_mut().set(
        "Cache-Control",
        &format!("public, max-age={AVAILABILITY_MAX_AGE_SECS}"),
    )?;
    Ok(response)
}

pub async fn get(env: &Env, shop: &str, sku: &str) -> Result<Response, EdgeError> {
    let (shop, sku) = (parse_shop(shop)?, parse_sku(sku)?);
    let Some(stored) = storage::product(env, &shop, &sku).await? else {
        return Err(EdgeError::UnknownProduct {
            sku: sku.to_string(),
        });
    };
    let mut shown = as_shown_today(env, &shop, vec![stored]).await?;
    let Some(product) = shown.pop() else {
        return Err(EdgeError::Internal("a product went missing".to_owned()));
    };
    cacheable(Response::from_json(&product)?)
}

/// What products read as today: as their shop's object worked it out when
/// the setting, the history or the day last changed. Between the day's turn
/// and the object's alarm (or for a copy written before `shown` existed),
/// it is worked out here, as the alarm would, reading the history at most once.
async fn as_shown_today(
    env: &Env,
    shop: &ShopId,
    products: Vec<StoredProduct>,
) -> Result<Vec<ProductAvailability>, EdgeError> {
    let today = clock::today();
    let stale_estimate = |product: &StoredProduct| {
        product.shown_on(today).is_none() && product.setting.needs_history()
    };
    let history = if products.iter().any(stale_estimate) {
        storage::history(env, shop).await?
    } else {
        Default::default()
    };
    Ok(products
        .into_iter()
        .map(|product| ProductAvailability {
            availability: match product.shown_on(today) {
                Some(shown) => shown.clone(),
                None => product.setting.resolve(&history, &[], today),
            },
            sku: product.sku,
        })
        .collect())
}

/// Every product of a page in one request:
/// `GET /v1/shops/{shop}/products?skus=A,B,C` (1 to 50 SKUs). The KV reads
/// run at once. SKUs the shop does not know are listed, not an error.
pub async fn get_many(env: &Env, shop: &str, query: Option<String>) -> Result<Response, EdgeError> {
    let shop = parse_shop(shop)?;
    let listed = query.unwrap_or_default();
    let listed: Vec<&str> = listed.split(',').collect();
    if listed.len() > MAX_BATCH_SKUS {
        return Err(EdgeError::InvalidInput {
            field: "skus",
            reason: format!("1 to {MAX_BATCH_SKUS} SKUs, separated by commas"),
        });
    }
    let mut skus: Vec<Sku> = Vec::new();
    for text in listed {
        let sku = parse_sku(text)?;
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    if skus.is_empty() {
        return Err(EdgeError::InvalidInput {
            field: "skus",
            reason: format!("1 to {MAX_BATCH_SKUS} SKUs, separated by commas"),
        });
    }
    let reads = skus.iter().map(|sku| storage::product(env, &shop, sku));
    let (stored, front) = futures_util::future::join(
        futures_util::future::join_all(reads),
        storage::shop_front(env, &shop),
    )
    .await;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for (sku, read) in skus.into_iter().zip(stored) {
        match read? {
            Some(product) => found.push(product),
            None => unknown.push(sku),
        }
    }
    let products = as_shown_today(env, &shop, found).await?;
    let front = front?.map(|front| front.shown_on(clock::today()));
    cacheable(http::json(
        &serde_json::json!({ "products": products, "unknown": unknown, "shop": front }),
        200,
    )?)
}

/// What every page of the shop may show: its language and its banner
/// (`GET /v1/shops/{shop}/front`), public and cacheable.
pub async fn front(env: &Env, shop: &str) -> Result<Response, EdgeError> {
    let shop = parse_shop(shop)?;
    let front = storage::shop_front(env, &shop)
        .await?
        .unwrap_or_default()
        .shown_on(clock::today());
    cacheable(http::json(&front, 200)?)
}
