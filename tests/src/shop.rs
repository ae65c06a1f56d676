//! The merchant's shop: a static product page on its own origin that embeds
//! the widget with one script tag, as a store theme would.

use std::sync::Arc;
use std::thread::JoinHandle;

use shared::estimate::{Delivery, SupplyFacts};
use shared::lifecycle::Locale;
use shared::text::MerchantText;
use shared::{Date, ProductSetting, ShipWindow};

use crate::repo_root;

/// The demo shop's id, as named in the widget's script URL.
pub const SHOP: &str = "demo-shop";

/// The products on the demo page, and the state each is seeded with.
pub const IN_STOCK_SKU: &str = "LANTERN-01";
pub const BACKORDER_SKU: &str = "TENT-2P";
pub const UNAVAILABLE_SKU: &str = "KAYAK-LTD";

/// Why the tent is on backorder, in the merchant's words, in English and
/// (below) in Italian and Arabic.
pub const BACKORDER_REASON: &str = "A new batch is on its way from our supplier.";
pub const BACKORDER_REASON_IT: &str = "Un nuovo lotto sta arrivando dal nostro fornitore.";
pub const BACKORDER_REASON_AR: &str = "دفعة جديدة في الطريق من مورّدنا.";

/// The tent's reason, written in each language the widget speaks.
pub fn backorder_reason() -> MerchantText {
    MerchantText::ByLanguage(vec![
        (Locale::En, BACKORDER_REASON.to_owned()),
        (Locale::It, BACKORDER_REASON_IT.to_owned()),
        (Locale::Ar, BACKORDER_REASON_AR.to_owned()),
    ])
}

/// The tent's supplier and how it ships, in the demo's supplier history.
pub const SUPPLIER: &str = "Ridge Outdoor Co";
pub const MODE: &str = "Ocean";

/// The demo kayak's maker: it delivered weekly, then nothing for months.
pub const QUIET_SUPPLIER: &str = "Fjord Paddle Works";
pub const QUIET_MODE: &str = "Truck";

/// The demo shop's catalogue, with the tent shipping between `earliest` and
/// `latest` as the merchant states.
pub fn demo_catalogue(earliest: Date, latest: Date) -> Vec<(&'static str, ProductSetting)> {
    let window = ShipWindow::new(earliest, latest).expect("the demo window is ordered");
    catalogue(ProductSetting::Backorder {
        window: Some(window),
        supply: None,
        reason: Some(backorder_reason()),
        confidence: None,
    })
}

/// The demo shop's catalogue, with the tent's window estimated from the
/// supplier's promised arrival and the shop's delivery history.
pub fn estimated_catalogue(promised_arrival: Date) -> Vec<(&'static str, ProductSetting)> {
    catalogue(estimated(
        SUPPLIER,
        MODE,
        promised_arrival,
        2,
        Some(backorder_reason()),
    ))
}

/// A backorder whose window is estimated from the supplier's promise.
fn estimated(
    supplier: &str,
    mode: &str,
    promised_arrival: Date,
    handling_business_days: u8,
    reason: Option<MerchantText>,
) -> ProductSetting {
    ProductSetting::Backorder {
        window: None,
        supply: Some(SupplyFacts {
            supplier: supplier.to_owned(),
            mode: mode.to_owned(),
            promised_arrival: Some(promised_arrival),
            handling_business_days,
        }),
        reason,
        confidence: None,
    }
}

fn catalogue(tent: ProductSetting) -> Vec<(&'static str, ProductSetting)> {
    vec![
        (IN_STOCK_SKU, ProductSetting::InStock {}),
        (BACKORDER_SKU, tent),
        (UNAVAILABLE_SKU, ProductSetting::Unavailable {}),
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

/// Thirty weekly deliveries of the kayak's maker, 0 to 3 days late, the last
/// of them seven months before `today`: history enough once, quiet since.
pub fn quiet_supplier_history(today: Date) -> Vec<Delivery> {
    (0..30)
        .map(|week: i64| {
            let received = today.add_days(-210 - 7 * week).expect("in range");
            Delivery {
                supplier: QUIET_SUPPLIER.to_owned(),
                mode: QUIET_MODE.to_owned(),
                promised: received.add_days(-(week % 4)).expect("in range"),
                received,
            }
        })
        .collect()
}

/// The kayak on backorder from its quiet maker, promised for `promised`.
pub fn kayak_from_quiet_supplier(promised: Date) -> ProductSetting {
    estimated(QUIET_SUPPLIER, QUIET_MODE, promised, 1, None)
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
        let order_template = std::fs::read_to_string(repo_root().join("tests/shop/order.html"))
            .expect("tests/shop/order.html is readable")
            .replace("{{EDGE}}", edge_url)
            .replace("{{SHOP}}", SHOP);
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .unwrap_or_else(|err| panic!("the shop cannot listen on 127.0.0.1:{port}: {err}"));
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let url = request.url();
                let html = if url == "/" {
                    Some(page.clone())
                } else if let Some(query) = url.strip_prefix("/?") {
                    Some(in_language(&page, query))
                } else if url == "/no-widget" {
                    Some(without_widget.clone())
                } else if let Some(rest) = url.strip_prefix("/orders/") {
                    order_page(&order_template, rest)
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

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The language tag `?lang=` names, if it is one (letters and dashes).
fn lang_tag(query: &str) -> Option<String> {
    query_param(query, "lang").filter(|lang| {
        (2..=5).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    })
}

/// Right to left for Arabic.
fn dir_of(lang: &str) -> &'static str {
    if lang.starts_with("ar") { "rtl" } else { "ltr" }
}

/// The shop page in the language `?lang=` names.
fn in_language(page: &str, query: &str) -> String {
    match lang_tag(query) {
        Some(lang) => page.replacen(
            "<html lang=\"en-GB\">",
            &format!("<html lang=\"{lang}\" dir=\"{}\">", dir_of(&lang)),
            1,
        ),
        None => page.to_owned(),
    }
}

/// The store's order page for `/orders/{order}?t=TOKEN&lang=LANG`: the theme
/// puts the token on the widget's div (`data-token`); without `t` the page's
/// own URL must carry it (`?backorder_token=`), as a link from an email would.
fn order_page(template: &str, rest: &str) -> Option<String> {
    let (order, query) = rest.split_once('?').unwrap_or((rest, ""));
    let order: String = order
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    // en-GB unless the test names another language tag.
    let lang = lang_tag(query).unwrap_or_else(|| "en-GB".to_owned());
    let lang = lang.as_str();
    let (heading, merchant) = match lang {
        "it" => ("Il tuo ordine", "Grazie per il tuo ordine."),
        "ar" => ("طلبك", "شكرًا على طلبك."),
        _ => ("Your order", "Thank you for your order."),
    };
    let token = query_param(query, "t")
        .map(|token| {
            let token: String = token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!(" data-token=\"{token}\"")
        })
        .unwrap_or_default();
    Some(
        template
            .replace("{{LANG}}", lang)
            .replace("{{DIR}}", dir_of(lang))
            .replace("{{HEADING}}", heading)
            .replace("{{MERCHANT}}", merchant)
            .replace("{{ORDER}}", &order)
            .replace("{{TOKEN_ATTRIBUTE}}", &token),
    )
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
