//! Creating a shop: the operator's one power. The answer carries the shop's
//! API key and customer-link secret, shown this once; the shop keeps only
//! the key's hash.

use serde::Deserialize;
use shared::ShopId;
use worker::{Env, Request, Response};

use crate::calls::ShopStub;
use crate::calls::shop::CreateShop;
use crate::error::EdgeError;
use crate::shop::new_api_key;
use crate::{auth, crypto, http};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewShop {
    shop: ShopId,
}

pub async fn create(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    auth::require_operator(&req, env)?;
    let body: NewShop = http::json_body(&mut req, 4096).await?;
    let api_key = new_api_key()?;
    let link_secret = crypto::random_hex(32)?;
    ShopStub::get(env, &body.shop)?
        .create(&CreateShop {
            shop: body.shop.clone(),
            api_key_hash: crypto::sha256_hex(api_key.as_bytes()),
            link_secret: link_secret.clone(),
        })
        .await?;
    http::json(
        &serde_json::json!({
            "shop": body.shop,
            "api_key": api_key,
            "link_secret": link_secret,
        }),
        201,
    )
}
