//! Cross-origin rules. The widget runs on the merchant's pages, another origin,
//! and only reads public availability, so reads are open to any origin; no
//! credentials are ever allowed, and writes are not meant for browsers at all.

use worker::Response;

use crate::error::EdgeError;

pub fn allow_any_origin(mut response: Response) -> worker::Result<Response> {
    response
        .headers_mut()
        .set("Access-Control-Allow-Origin", "*")?;
    Ok(response)
}

/// The answer to a browser's preflight for a product: reads only.
pub fn preflight() -> Result<Response, EdgeError> {
    let mut response = allow_any_origin(Response::empty()?.with_status(204))?;
    let headers = response.headers_mut();
    headers.set("Access-Control-Allow-Methods", "GET, OPTIONS")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response)
}
