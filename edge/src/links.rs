//! Capability links for customers: whoever holds a link may see one order's
//! public status and answer its offer, until the link expires. A token is
//! `{expiry}.{hex HMAC-SHA256(link secret, "{shop}.{order}.{expiry}")}`, so
//! that a store theme can compute it with Liquid's `hmac_sha256` filter or
//! PHP's `hash_hmac` (README shows both).

use crate::crypto;

/// Why a token was refused. The client only ever learns "forbidden".
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    Malformed,
    Expired,
    BadSignature,
}

pub fn sign(secret: &str, shop: &str, order: &str, expires_unix: i64) -> String {
    let message = format!("{shop}.{order}.{expires_unix}");
    let mac = crypto::hmac_sha256(secret.as_bytes(), message.as_bytes());
    format!("{expires_unix}.{}", hex::encode(mac))
}

pub fn verify(
    secret: &str,
    shop: &str,
    order: &str,
    token: &str,
    now_unix: i64,
) -> Result<(), LinkRefusal> {
    let (expiry, _) = token.split_once('.').ok_or(LinkRefusal::Malformed)?;
    let expires: i64 = expiry.parse().map_err(|_| LinkRefusal::Malformed)?;
    let expected = sign(secret, shop, order, expires);
    if !crypto::same(&expected, &token.to_ascii_lowercase()) {
        return Err(LinkRefusal::BadSignature);
    }
    if now_unix >= expires {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

/// The merchant's own order page under `template` (the policy's
/// `order_page_url`): `{order}`, `{token}` and `{lang}` filled in,
/// percent-encoded.
pub fn order_page_url(template: &str, order: &str, token: &str, lang: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    template
        .replace("{order}", &encode(order))
        .replace("{token}", &encode(token))
        .replace("{lang}", &encode(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn a_link_opens_its_own_order_until_it_expires() {
        let token = sign(SECRET, "shop-a", "1001", 2_000);
        assert_eq!(verify(SECRET, "shop-a", "1001", &token, 1_999), Ok(()));
        assert_eq!(
            verify(SECRET, "shop-a", "1001", &token, 2_000),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(
            verify(SECRET, "shop-a", "1002", &token, 1_000),
            Err(LinkRefusal::BadSignature)
        );
        assert_eq!(
            verify(SECRET, "shop-b", "1001", &token, 1_000),
            Err(LinkRefusal::BadSignature)
        );
        assert_eq!(
            verify("another secret", "shop-a", "1001", &token, 1_000),
            Err(LinkRefusal::BadSignature)
        );
        // Moving the expiry forward breaks the signature.
        let (_, mac) = token.split_once('.').expect("has a dot");
        let extended = format!("9999999999.{mac}");
        assert_eq!(
            verify(SECRET, "shop-a", "1001", &extended, 1_000),
            Err(LinkRefusal::BadSignature)
        );
        assert_eq!(
            verify(SECRET, "shop-a", "1001", "garbage", 1_000),
            Err(LinkRefusal::Malformed)
        );
    }

    #[test]
    fn matches_what_php_hash_hmac_computes() {
        // printf '%s' 'shop-a.1001.2000' | openssl dgst -sha256 -hmac \
        //   0f1e2d3c4b5a69788796a5b4c3d2e1f0, the same as PHP's
        // hash_hmac('sha256', 'shop-a.1001.2000', $secret) and Liquid's
        // hmac_sha256 filter.
        let token = sign(SECRET, "shop-a", "1001", 2_000);
        assert_eq!(token, format!("2000.{}", EXPECTED_HEX));
    }

    const EXPECTED_HEX: &str = "651fa79d23173144c7c381fb114d876b4bf4e2a59f3a2cef605f07ff8a82c4c4";
}
