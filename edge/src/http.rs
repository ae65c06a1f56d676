//! Small HTTP helpers shared by the routes and the Durable Objects: the path
//! and query without the `url` crate (it costs 75 KB of wasm), and JSON
//! bodies. Calls between the worker's parts are in `calls/`.

use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use worker::{Method, Request, RequestInit, Response};

use crate::error::EdgeError;

/// The path's segments, percent-escapes left as they are (ids never need
/// them; a segment holding one fails id validation, as it should).
pub fn segments(req: &Request) -> Vec<String> {
    req.path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first value of a query parameter, percent-decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The largest body any route takes but one (a store's order webhook);
/// the shop's Durable Object applies each route's own, smaller limit.
pub const MAX_FORWARDED_BYTES: usize = 512 * 1024;
/// The one larger: a store's orders export. This holds about 40,000
/// Shopify orders of one line; a larger history comes in several files
/// (importing is idempotent).
pub const MAX_EXPORT_BYTES: usize = 24 * 1024 * 1024;

/// The same request with its body read into memory, to forward to a
/// Durable Object: an object that answers without reading a streamed body
/// (a 401, say) would otherwise leave the stream dangling, which workerd
/// treats as an uncaught error.
pub async fn buffered(mut req: Request, max: usize) -> Result<Request, EdgeError> {
    let method = req.method();
    let body = if matches!(method, Method::Get | Method::Head | Method::Options) {
        None
    } else {
        Some(body_bytes(&mut req, max).await?)
    };
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(req.headers().clone());
    if let Some(body) = body {
        init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    }
    Ok(Request::new_with_init(&req.inner().url(), &init)?)
}

/// The same request as a GET (for a HEAD): same URL and headers, no body.
pub fn as_get(req: &Request) -> worker::Result<Request> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get)
        .with_headers(req.headers().clone());
    Request::new_with_init(&req.inner().url(), &init)
}

/// Reads a body of at most `max` bytes.
pub async fn body_bytes(req: &mut Request, max: usize) -> Result<Vec<u8>, EdgeError> {
    let body = req.bytes().await?;
    if body.len() > max {
        return Err(EdgeError::BodyTooLarge { max });
    }
    Ok(body)
}

/// Reads a JSON body of at most `max` bytes into `T`, or says what is wrong.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request, max: usize) -> Result<T, EdgeError> {
    let body = body_bytes(req, max).await?;
    from_json_text(&body)
}

/// Reads JSON bytes into `T`. All JSON the worker reads goes through
/// `serde_json::from_str` (here, after a UTF-8 check): each type's reader
/// is then compiled once, not once per kind of input.
/// A name given twice in one object is refused, rather than the last one
/// silently winning.
///
/// A whole number written with a fraction (`3.0`) is a number like `3`, as
/// JSON Schema's `integer` says: it is read as one.
pub fn from_json_text<T: DeserializeOwned>(body: &[u8]) -> Result<T, EdgeError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| EdgeError::InvalidBody("the body is not UTF-8 text".into()))?;
    let invalid = |err: serde_json::Error| EdgeError::InvalidBody(err.to_string());
    serde_json::from_str::<UniqueNames>(text).map_err(invalid)?;
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(err) if err.to_string().contains("floating point") => {
            let mut value: serde_json::Value = serde_json::from_str(text).map_err(invalid)?;
            if whole_numbers(&mut value) {
                serde_json::from_str(&value.to_string()).map_err(invalid)
            } else {
                Err(invalid(err))
            }
        }
        Err(err) => Err(invalid(err)),
    }
}

/// Writes each whole number given with a fraction (`3.0`, within 2^53) as
/// an integer; whether any was.
fn whole_numbers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => match number.as_f64() {
            #[allow(clippy::cast_possible_truncation)]
            Some(float) if float.fract() == 0.0 && float.abs() <= EXACT => {
                *value = Value::from(float as i64);
                true
            }
            _ => false,
        },
        // Every number is rewritten: no short cut past the first.
        Value::Array(items) => {
            let mut any = false;
            for item in items {
                any |= whole_numbers(item);
            }
            any
        }
        Value::Object(fields) => {
            let mut any = false;
            for field in fields.values_mut() {
                any |= whole_numbers(field);
            }
            any
        }
        _ => false,
    }
}

/// Any JSON value whose objects each name a field at most once.
struct UniqueNames;

impl<'de> Deserialize<'de> for UniqueNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueNamesVisitor)
    }
}

struct UniqueNamesVisitor;

impl<'de> Visitor<'de> for UniqueNamesVisitor {
    type Value = UniqueNames;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }
    fn visit_unit<E>(self) -> Result<UniqueNames, E> {
        Ok(UniqueNames)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueNames, A::Error> {
        while seq.next_element::<UniqueNames>()?.is_some() {}
        Ok(UniqueNames)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueNames, A::Error> {
        let mut names = std::collections::BTreeSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if names.contains(&name) {
                return Err(serde::de::Error::custom(format!(
                    "the field `{name}` is given twice"
                )));
            }
            names.insert(name);
            map.next_value::<UniqueNames>()?;
        }
        Ok(UniqueNames)
    }
}

pub fn json<T: Serialize>(value: &T, status: u16) -> Result<Response, EdgeError> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// A 200 answer of CSV text.
pub fn csv(text: String) -> Result<Response, EdgeError> {
    let mut response = Response::ok(text)?;
    response
        .headers_mut()
        .set("Content-Type", "text/csv; charset=utf-8")?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn read(text: &str) -> Result<Value, String> {
        from_json_text::<Value>(text.as_bytes()).map_err(|err| err.to_string())
    }

    /// JSON Schema's `integer` includes `3.0`; a fraction is still refused.
    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        #[derive(Debug, serde::Deserialize, PartialEq)]
        struct Counts {
            offer: u32,
            days: Vec<u16>,
        }
        let read = |text: &str| from_json_text::<Counts>(text.as_bytes()).ok();
        assert_eq!(
            read(r#"{"offer": 3.0, "days": [1, 2.0]}"#),
            Some(Counts {
                offer: 3,
                days: vec![1, 2]
            })
        );
        assert_eq!(read(r#"{"offer": 3.5, "days": []}"#), None);
        assert_eq!(read(r#"{"offer": -1.0, "days": []}"#), None);
        assert_eq!(read(r#"{"offer": 1e300, "days": []}"#), None);
    }

    #[test]
    fn a_field_named_twice_is_refused_at_any_depth_and_under_any_spelling() {
        let twice = read(r#"{"status":"backorder","status":"in_stock"}"#);
        assert!(twice.is_err_and(|err| err.contains("`status` is given twice")));
        assert!(read(r#"{"a":[{"b":1,"b":2}]}"#).is_err());
        assert!(read(r#"{"status":1,"st\u0061tus":2}"#).is_err());
        let apart = read(r#"{"a":{"b":1},"c":{"b":2},"d":[{"b":1},{"b":2}]}"#);
        assert_eq!(apart.ok().map(|v| v["c"]["b"].clone()), Some(2.into()));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        let err = from_json_text::<Value>(b"{\"a\":\"\xff\"}").map_err(|err| err.to_string());
        assert!(err.is_err_and(|err| err.contains("UTF-8")));
    }
}
