//! The operator's token: whoever runs the edge creates shops with it, and it
//! opens nothing else. Each shop's own API key is checked by the shop's
//! Durable Object (`shop.rs`).

use worker::{Env, Request};

use crate::bindings;
use crate::crypto;
use crate::error::EdgeError;

/// Succeeds only when the request carries `Authorization: Bearer <token>`
/// with the operator token. A worker without a configured token refuses all.
pub fn require_operator(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = env
        .secret(bindings::OPERATOR_TOKEN)
        .map(|secret| secret.to_string())
        .map_err(|_| EdgeError::Unauthorized)?;
    let presented = bearer(req);
    if expected.is_empty() || !crypto::same(&presented, &expected) {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}

/// The token of an `Authorization: Bearer <token>` header, or "" without
/// one. The scheme's name is case-insensitive (RFC 9110, 11.1).
pub fn bearer(req: &Request) -> String {
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    match header.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim().to_owned(),
        _ => String::new(),
    }
}
