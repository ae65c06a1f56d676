//! The edge worker: the event entry points and the route table for what
//! comes from outside. Routes the worker answers itself are in `routes/`;
//! everything a shop owns goes to the shop's Durable Object (`shop/`), which
//! authenticates it and routes it on; each order lives in its own Durable
//! Object (`order/`); slow work runs from the queues (`jobs.rs`). Every
//! message between these parts is in `calls/`. CORS is added here, once, to
//! every answer.

mod auth;
mod bindings;
mod calls;
mod clock;
mod crypto;
mod error;
mod front;
mod http;
mod jobs;
mod links;
mod logs;
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
    // HEAD is answered as GET is; the runtime sends no body for it.
    let started = logs::start();
    let req = if req.method() == Method::Head {
        http::as_get(&req)?
    } else {
        req
    };
    let (path, shop) = logs::path_and_shop(&req.path());
    let what = format!("{} {path}", req.method());
    let response = match route(req, &env).await {
        Ok(response) => response,
        Err(err) => err.into_response()?,
    };
    logs::Line {
        kind: "request",
        what: &what,
        shop: shop.as_deref(),
        order: None,
        outcome: &response.status_code().to_string(),
        ms: 0,
    }
    .write(started);
    // A WebSocket's handshake answer is passed on as it is: the browser
    // does not apply CORS to it, and its socket must not be lost.
    if response.status_code() == 101 {
        return Ok(response);
    }
    cors::allow_any_origin(response)
}

#[event(queue)]
async fn queue(batch: MessageBatch<calls::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    if batch.queue() == bindings::DEAD_LETTER_QUEUE {
        jobs::keep_dead_letters(batch, env).await;
    } else {
        jobs::consume(batch, env).await;
    }
    Ok(())
}

/// The route table: every path the worker answers, and nothing else. Only
/// `/v1/shops/{shop}` and the paths below it reach a shop's object, and
/// nothing from outside reaches an order's object: the internal routes of
/// both (`calls/`) stay the worker's own.
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
            let max = match parts.as_slice() {
                [.., "order-history" | "deliveries"] => http::MAX_EXPORT_BYTES,
                _ => http::MAX_FORWARDED_BYTES,
            };
            let forwarded = http::buffered(req, max).await?;
            calls::ShopStub::get(env, &shop)?.forward(forwarded).await
        }
        _ => Err(EdgeError::NotFound),
    }
}
