//! Who may write: the merchant's back office, holding the admin bearer token.

use subtle::ConstantTimeEq;
use worker::{Env, Request};

use crate::bindings;
use crate::error::EdgeError;

/// Succeeds only when the request carries `Authorization: Bearer <token>` with
/// the worker's admin token. A worker without a configured token refuses all.
pub fn require_admin(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = env
        .secret(bindings::ADMIN_TOKEN)
        .map(|secret| secret.to_string())
        .map_err(|_| EdgeError::Unauthorized)?;
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let presented = header.strip_prefix("Bearer ").unwrap_or_default();
    let matches: bool = presented.as_bytes().ct_eq(expected.as_bytes()).into();
    if expected.is_empty() || !matches {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}
