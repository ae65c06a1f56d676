//! Chrome DevTools commands through chromedriver (`goog/cdp/execute`): the
//! tests use them to cut a page off from the edge, as a dropped network
//! would, without touching the page or the edge.

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

#[derive(Debug)]
struct Cdp {
    body: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Runs one DevTools command on the current page.
pub async fn run(client: &Client, command: &str, params: Value) {
    client
        .issue_cmd(Cdp {
            body: json!({ "cmd": command, "params": params }),
        })
        .await
        .unwrap_or_else(|err| panic!("DevTools {command}: {err}"));
}

/// Blocks requests whose URL matches any of `patterns` (`*` is a wildcard),
/// WebSocket handshakes included; an empty list lifts the block.
pub async fn block_urls(client: &Client, patterns: &[&str]) {
    run(client, "Network.enable", json!({})).await;
    run(
        client,
        "Network.setBlockedURLs",
        json!({ "urls": patterns }),
    )
    .await;
}

/// Makes the pages this tab loads from now on unable to open a WebSocket,
/// as behind a proxy that refuses them (`Network.setBlockedURLs` does not
/// stop WebSocket handshakes).
pub async fn without_websockets(client: &Client) {
    run(
        client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "window.WebSocket = function () { throw new Error('no WebSockets here'); };" }),
    )
    .await;
}

/// Turns the tab's HTTP cache off, so that a page read again asks the edge
/// rather than replaying an answer it may keep for 15 s.
pub async fn without_cache(client: &Client) {
    run(client, "Network.enable", json!({})).await;
    run(
        client,
        "Network.setCacheDisabled",
        json!({ "cacheDisabled": true }),
    )
    .await;
}
