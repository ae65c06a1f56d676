//! Cross-origin rules. The widget runs on the merchant's pages, another
//! origin: it reads public availability and a customer's order (with the
//! link's token) and posts the customer's choice. No credentials (cookies)
//! are ever allowed, so `*` opens nothing a page could abuse.

use worker::{Headers, Response};

use crate::error::EdgeError;

/// Adds `Access-Control-Allow-Origin: *`: in place when the worker made the
/// answer (one call, on the product read's hot path); a Durable Object's
/// answer has immutable headers, so for those they are copied into a fresh
/// set.
pub fn allow_any_origin(mut response: Response) -> worker::Result<Response> {
    if response
        .headers_mut()
        .set("Access-Control-Allow-Origin", "*")
        .is_ok()
    {
        return Ok(response);
    }
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set("Access-Control-Allow-Origin", "*")?;
    Ok(response.with_headers(headers))
}

/// The answer to a browser's preflight.
pub fn preflight() -> Result<Response, EdgeError> {
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", "Content-Type")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response)
}
