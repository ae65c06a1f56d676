//! The edge worker: one route table, and the event entry point that maps every
//! outcome, success or error, to an HTTP response with the right CORS headers.

mod auth;
mod bindings;
mod clock;
mod error;
mod routes;
mod storage;

use worker::{Context, Env, Method, Request, Response, event};

use crate::error::EdgeError;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    match route(req, &env).await {
        Ok(response) => Ok(response),
        Err(err) => err.into_response(),
    }
}

/// The route table: every path the worker answers, and nothing else.
async fn route(req: Request, env: &Env) -> Result<Response, EdgeError> {
    let url = req.url().map_err(|_| EdgeError::NotFound)?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    match (req.method(), segments.as_slice()) {
        (Method::Get, ["v1", "shops", shop, "products", sku]) => {
            routes::products::get(env, shop, sku).await
        }
        (Method::Options, ["v1", "shops", _, "products", _]) => routes::cors::preflight(),
        (Method::Put, ["v1", "shops", shop, "products", sku]) => {
            routes::products::put(req, env, shop, sku).await
        }
        (Method::Post, ["v1", "shops", shop, "deliveries"]) => {
            routes::deliveries::post(req, env, shop).await
        }
        (Method::Get, ["health"]) => routes::health(),
        (_, ["v1", "shops", _, "products", _] | ["v1", "shops", _, "deliveries"]) => {
            Err(EdgeError::MethodNotAllowed)
        }
        _ => Err(EdgeError::NotFound),
    }
}
