//! The edge worker: the event entry points and the one route table. Routes
//! the worker answers itself are in `routes/`; everything a shop owns goes
//! to the shop's Durable Object (`shop.rs`), which authenticates it; each
//! order lives in its own Durable Object (`order.rs`); slow work runs from
//! the queue (`jobs.rs`). CORS is added here, once, to every answer.

mod auth;
mod bindings;
mod clock;
mod crypto;
mod error;
mod http;
mod jobs;
mod links;
mod mail;
mod order;
mod routes;
mod shop;
mod storage;
mod webhooks;

use worker::{Context, Env, MessageBatch, Method, Request, Response, event};

use crate::error::EdgeError;
use crate::routes::cors;

pub use crate::order::OrderShell;
pub use crate::shop::ShopRecords;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let response = match route(req, &env).await {
        Ok(response) => response,
        Err(err) => err.into_response()?,
    };
    // A WebSocket's handshake answer is passed on as it is: the browser
    // does not apply CORS to it, and its socket must not be lost.
    if response.status_code() == 101 {
        return Ok(response);
    }
    cors::allow_any_origin(response)
}

#[event(queue)]
async fn queue(batch: MessageBatch<jobs::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    jobs::consume(batch, env).await;
    Ok(())
}

/// The route table: every path the worker answers, and nothing else.
async fn route(req: Request, env: &Env) -> Result<Response, EdgeError> {
    let segments = http::segments(&req);
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (req.method(), parts.as_slice()) {
        (Method::Get, ["health"]) => routes::health(),
        (Method::Post, ["v1", "shops"]) => routes::shops::create(req, env).await,
        (Method::Options, ["v1", "shops", _, ..]) => cors::preflight(),
        (Method::Get, ["v1", "shops", shop, "products", sku]) => {
            routes::products::get(env, shop, sku).await
        }
        (Method::Get, ["v1", "shops", shop, "front"]) => routes::products::front(env, shop).await,
        (Method::Get, ["v1", "shops", shop, "products"]) => {
            routes::products::get_many(env, shop, http::query_param(&req, "skus")).await
        }
        // The shop's Durable Object answers the rest of a shop's API, and
        // says 404 or 405 for what it does not know.
        (_, ["v1", "shops", shop, _, ..]) | (_, ["v1", "shops", shop]) => {
            let shop = routes::products::parse_shop(shop)?;
            let stub = jobs::shop_stub(env, &shop)?;
            let forwarded = http::buffered(req).await?;
            Ok(stub.fetch_with_request(forwarded).await?)
        }
        _ => Err(EdgeError::NotFound),
    }
}
