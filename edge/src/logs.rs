//! The worker's operations log: one JSON line per request, webhook, queue
//! job and alarm, with the shop, the order, what came of it and how long it
//! took, for Workers Logs and `wrangler tail` to filter on. Never a contact
//! detail or a secret: callers give ids, kinds, codes and counts only, and a
//! path goes in without its query (a customer's link carries its token
//! there).

use serde::Serialize;

/// When something began, to log how long it took.
#[derive(Clone, Copy, Debug)]
pub struct Started(f64);

pub fn start() -> Started {
    Started(js_sys::Date::now())
}

/// One line of the log.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    /// `request`, `webhook`, `job` or `alarm`.
    pub kind: &'static str,
    /// The request's method and path, the webhook's source and topic, the
    /// job's kind, the alarm's object.
    pub what: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<&'a str>,
    /// The status code, or a word: `done`, `retry`, `failed`, a count.
    pub outcome: &'a str,
    pub ms: u64,
}

impl Line<'_> {
    /// Writes the line, timed from `started`.
    pub fn write(mut self, started: Started) {
        let took = js_sys::Date::now() - started.0;
        self.ms = if took.is_finite() && took > 0.0 {
            took as u64
        } else {
            0
        };
        match serde_json::to_string(&self) {
            Ok(text) => worker::console_log!("{text}"),
            Err(err) => worker::console_error!("an unwritable log line: {err}"),
        }
    }
}

/// A request's path as logged: without its query, and the shop it names.
pub fn path_and_shop(url_path: &str) -> (String, Option<String>) {
    let path = url_path.split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.trim_start_matches('/').split('/');
    let shop = match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some("shops"), Some(shop)) if !shop.is_empty() => Some(shop.to_owned()),
        _ => None,
    };
    (path.to_owned(), shop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_logged_without_its_query_and_names_its_shop() {
        let (path, shop) = path_and_shop("/v1/shops/trailhead/orders/1001?t=secret-token");
        assert_eq!(path, "/v1/shops/trailhead/orders/1001");
        assert_eq!(shop.as_deref(), Some("trailhead"));
        assert_eq!(path_and_shop("/health"), ("/health".to_owned(), None));
        assert_eq!(path_and_shop("/v1/shops").1, None);
    }
}
