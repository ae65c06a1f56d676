//! Keys, hashes and signatures: random secrets from the runtime's CSPRNG,
//! SHA-256 for stored key hashes, and HMAC-SHA256 for the three webhook
//! schemes (verified over the raw bytes) and for capability links.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wasm_bindgen::JsCast;

type HmacSha256 = Hmac<Sha256>;

/// How far a Standard Webhooks timestamp may be from our clock, either way.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

/// `n` random bytes from `crypto.getRandomValues`.
pub fn random_bytes(n: u32) -> Result<Vec<u8>, String> {
    let bytes = js_sys::Uint8Array::new_with_length(n);
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .map_err(|_| "no crypto object in this runtime".to_owned())?;
    let get_random = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .map_err(|_| "no crypto.getRandomValues".to_owned())?;
    let get_random: js_sys::Function = get_random
        .dyn_into()
        .map_err(|_| "crypto.getRandomValues is not a function".to_owned())?;
    get_random
        .call1(&crypto, &bytes)
        .map_err(|_| "crypto.getRandomValues failed".to_owned())?;
    Ok(bytes.to_vec())
}

/// `n` random bytes, hex-encoded.
pub fn random_hex(n: u32) -> Result<String, String> {
    random_bytes(n).map(hex::encode)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether two texts are equal, in time that does not depend on where they
/// first differ.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Checks `expected` (the raw MAC bytes a sender claims) in constant time.
fn verify_mac(key: &[u8], message: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(expected).is_ok()
}

/// Shopify and WooCommerce: the header is base64(HMAC-SHA256(secret, body)),
/// keyed with the secret's text as it is.
pub fn verify_base64_body_hmac(secret: &str, body: &[u8], header: &str) -> bool {
    match STANDARD.decode(header.trim()) {
        Ok(claimed) => verify_mac(secret.as_bytes(), body, &claimed),
        Err(_) => false,
    }
}

/// The key bytes of a `whsec_…` secret: base64 after the prefix, padded or not.
pub fn standard_webhooks_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let trimmed = encoded.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .ok()
        .filter(|key| !key.is_empty())
}

/// Whether `secret` is one as Standard Webhooks issues it: `whsec_` and
/// canonical base64 of a key. A merchant sets only these; the verifier
/// above also reads older forms.
pub fn is_issued_standard_secret(secret: &str) -> bool {
    secret.strip_prefix("whsec_").is_some_and(|encoded| {
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .is_ok_and(|key| !key.is_empty())
    })
}

/// Why a Standard Webhooks delivery was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum StandardRefusal {
    BadTimestamp,
    Stale,
    NoValidSignature,
}

/// Verifies a Standard Webhooks delivery: `{id}.{timestamp}.{body}` signed
/// with HMAC-SHA256; the header may list several space-separated
/// signatures, of which one `v1,` must match.
pub fn verify_standard_webhook(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), StandardRefusal> {
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| StandardRefusal::BadTimestamp)?;
    if (now_secs - sent).abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(StandardRefusal::Stale);
    }
    let key = standard_webhooks_key(secret).ok_or(StandardRefusal::NoValidSignature)?;
    let mut signed = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.trim().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    let valid = signatures.split(' ').any(|entry| {
        entry
            .strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|claimed| verify_mac(&key, &signed, &claimed))
    });
    if valid {
        Ok(())
    } else {
        Err(StandardRefusal::NoValidSignature)
    }
}

/// Signs an outbound Standard Webhooks delivery; the header value.
pub fn sign_standard_webhook(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, &signed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of ../shared/fixtures/standard-webhooks/test-vectors.compiled.json.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn standard_webhooks_canonical_vectors() {
        let key = standard_webhooks_key(SECRET).expect("valid secret");
        assert_eq!(sign_standard_webhook(&key, ID, TS, BODY), SIGNATURE);
        let ts = TS.to_string();
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, SIGNATURE, BODY, TS),
            Ok(())
        );
        let rust_key =
            standard_webhooks_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("valid");
        assert_eq!(
            sign_standard_webhook(
                &rust_key,
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn standard_webhooks_refuse_decoys_tampering_and_stale_timestamps() {
        let ts = TS.to_string();
        let wrong = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, wrong, BODY, TS),
            Err(StandardRefusal::NoValidSignature)
        );
        let decoys = format!(
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE}"
        );
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, &decoys, BODY, TS),
            Ok(())
        );
        let v2_only = SIGNATURE.replace("v1,", "v2,");
        assert!(verify_standard_webhook(SECRET, ID, &ts, &v2_only, BODY, TS).is_err());
        assert!(
            verify_standard_webhook(SECRET, ID, &ts, SIGNATURE, br#"{"test": 2432232315}"#, TS)
                .is_err()
        );
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, SIGNATURE, BODY, TS + 301),
            Err(StandardRefusal::Stale)
        );
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, SIGNATURE, BODY, TS - 301),
            Err(StandardRefusal::Stale)
        );
        assert_eq!(
            verify_standard_webhook(SECRET, ID, &ts, SIGNATURE, BODY, TS + 300),
            Ok(())
        );
        assert_eq!(
            verify_standard_webhook(SECRET, ID, "soon", SIGNATURE, BODY, TS),
            Err(StandardRefusal::BadTimestamp)
        );
    }

    #[test]
    fn shopify_and_woocommerce_vectors() {
        assert!(verify_base64_body_hmac(
            "test_secret_key",
            br#"{"foo": "bar"}"#,
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        ));
        assert!(!verify_base64_body_hmac(
            "test_secret_key",
            br#"{"foo": "baz"}"#,
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        ));
        assert!(!verify_base64_body_hmac(
            "test_secret_key",
            br#"{"foo": "bar"}"#,
            "not base64!"
        ));
        assert!(verify_base64_body_hmac(
            "",
            b"secret",
            "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="
        ));
    }
}
