//! The merchant's shop: a static product page on its own origin that embeds
//! the widget with one script tag, as a store theme would.

use std::sync::Arc;
use std::thread::JoinHandle;

use shared::estimate::{Delivery, SupplyFacts};
use shared::{Date, ProductSetting, ShipWindow};

use crate::repo_root;

/// The demo shop's id, as named in the widget's script URL.
pub const SHOP: &str = "demo-shop";

/// The products on the demo page, and the state each is seeded with.
pub const IN_STOCK_SKU: &str = "LANTERN-01";
pub const BACKORDER_SKU: &str = "TENT-2P";
pub const UNAVAILABLE_SKU: &str = "KAYAK-LTD";

/// Why the tent is on backorder, in the merchant's words.
pub const BACKORDER_REASON: &str = "A new batch is on its way from our supplier.";

/// The tent's supplier and how it ships, in the demo's supplier history.
pub const SUPPLIER: &str = "Ridge Outdoor Co";
pub const MODE: &str = "Ocean";

/// The demo shop's catalogue, with the tent shipping between `earliest` and
/// `latest` as the merchant states.
pub fn demo_catalogue(earliest: Date, latest: Date) -> Vec<(&'static str, ProductSetting)> {
    let window = ShipWindow::new(earliest, latest).expect("the demo window is ordered");
    catalogue(ProductSetting::Backorder {
        window: Some(window),
        supply: None,
        reason: Some(BACKORDER_REASON.to_owned()),
        confidence: None,
    })
}

/// The demo shop's catalogue, with the tent's window estimated from the
/// supplier's promised arrival and the shop's delivery history.
pub fn estimated_catalogue(promised_arrival: Date) -> Vec<(&'static str, ProductSetting)> {
    catalogue(ProductSetting::Backorder {
        window: None,
        supply: Some(SupplyFacts {
            supplier: SUPPLIER.to_owned(),
            mode: MODE.to_owned(),
            promised_arrival: Some(promised_arrival),
            handling_business_days: 2,
        }),
        reason: Some(BACKORDER_REASON.to_owned()),
        confidence: None,
    })
}

fn catalogue(tent: ProductSetting) -> Vec<(&'static str, ProductSetting)> {
    vec![
        (IN_STOCK_SKU, ProductSetting::InStock),
        (BACKORDER_SKU, tent),
        (UNAVAILABLE_SKU, ProductSetting::Unavailable),
    ]
}

/// Thirty past deliveries of the tent's supplier, received in the 60 days
/// before `today`: half 2 days late, half 6 days late, so that any honest
/// window reaches from 2 to 6 days after a promised date.
pub fn demo_history(today: Date) -> Vec<Delivery> {
    (0..30)
        .map(|index: i64| {
            let received = today.add_days(-60 + 2 * index).expect("in range");
            let slip = if index % 2 == 0 { 2 } else { 6 };
            Delivery {
                supplier: SUPPLIER.to_owned(),
                mode: MODE.to_owned(),
                promised: received.add_days(-slip).expect("in range"),
                received,
            }
        })
        .collect()
}

/// The shop page, served over HTTP until dropped.
pub struct ShopServer {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl ShopServer {
    /// Serves `tests/shop/index.html` on 127.0.0.1:`port`, with its script
    /// tag pointing at the edge at `edge_url`; `/no-widget` is the same page
    /// without that tag.
    pub fn serve(port: u16, edge_url: &str) -> ShopServer {
        let template = std::fs::read_to_string(repo_root().join("tests/shop/index.html"))
            .expect("tests/shop/index.html is readable");
        let page = template
            .replace("{{EDGE}}", edge_url)
            .replace("{{SHOP}}", SHOP);
        // The same page without the widget's script tag, to measure it against.
        let without_widget: String = page
            .lines()
            .filter(|line| !line.contains("/widget/backorder.js"))
            .collect::<Vec<_>>()
            .join("\n");
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .unwrap_or_else(|err| panic!("the shop cannot listen on 127.0.0.1:{port}: {err}"));
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let url = request.url();
                let html = if url == "/" || url.starts_with("/?") {
                    Some(page.clone())
                } else if url == "/no-widget" {
                    Some(without_widget.clone())
                } else {
                    None
                };
                let response = if let Some(html) = html {
                    let header =
                        tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
                            .expect("a valid header");
                    tiny_http::Response::from_string(html).with_header(header)
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
