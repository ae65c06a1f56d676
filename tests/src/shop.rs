//! The merchant's shop: a static product page on its own origin that embeds
//! the widget with one script tag, as a store theme would.

use std::sync::Arc;
use std::thread::JoinHandle;

use shared::{Availability, Date, ShipWindow};

use crate::repo_root;

/// The demo shop's id, as named in the widget's script URL.
pub const SHOP: &str = "demo-shop";

/// The products on the demo page, and the state each is seeded with.
pub const IN_STOCK_SKU: &str = "LANTERN-01";
pub const BACKORDER_SKU: &str = "TENT-2P";
pub const UNAVAILABLE_SKU: &str = "KAYAK-LTD";

/// Why the tent is on backorder, in the merchant's words.
pub const BACKORDER_REASON: &str = "A new batch is on its way from our supplier.";

/// The demo shop's catalogue, with the tent shipping between `earliest` and
/// `latest`.
pub fn demo_catalogue(earliest: Date, latest: Date) -> Vec<(&'static str, Availability)> {
    let window = ShipWindow::new(earliest, latest).expect("the demo window is ordered");
    vec![
        (IN_STOCK_SKU, Availability::InStock),
        (
            BACKORDER_SKU,
            Availability::Backorder {
                window,
                reason: Some(BACKORDER_REASON.to_owned()),
            },
        ),
        (UNAVAILABLE_SKU, Availability::Unavailable),
    ]
}

/// The shop page, served over HTTP until dropped.
pub struct ShopServer {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl ShopServer {
    /// Serves `tests/shop/index.html` on 127.0.0.1:`port`, with its script
    /// tag pointing at the edge at `edge_url`.
    pub fn serve(port: u16, edge_url: &str) -> ShopServer {
        let template = std::fs::read_to_string(repo_root().join("tests/shop/index.html"))
            .expect("tests/shop/index.html is readable");
        let page = template
            .replace("{{EDGE}}", edge_url)
            .replace("{{SHOP}}", SHOP);
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .unwrap_or_else(|err| panic!("the shop cannot listen on 127.0.0.1:{port}: {err}"));
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let response = if request.url() == "/" || request.url().starts_with("/?") {
                    let header =
                        tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
                            .expect("a valid header");
                    tiny_http::Response::from_string(page.clone()).with_header(header)
                } else {
                    tiny_http::Response::from_string("not found").with_status_code(404)
                };
                let _ = request.respond(response);
            }
        });
        ShopServer {
            url: format!("http://127.0.0.1:{port}/"),
            server,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Debug for ShopServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for ShopServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
