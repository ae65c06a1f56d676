//! The widget on a merchant's product page, in headless Chromium.

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::shop::{
    BACKORDER_REASON, BACKORDER_REASON_AR, BACKORDER_REASON_IT, BACKORDER_SKU, IN_STOCK_SKU, MODE,
    SHOP, SUPPLIER, ShopServer, UNAVAILABLE_SKU, demo_catalogue, demo_history, estimated_catalogue,
};
use shared::estimate::SupplyFacts;
use shared::{Date, ProductSetting};

use crate::World;
use crate::page::{ShopPage, Shown};

fn date(text: &str) -> Date {
    text.parse().expect("a valid test date")
}

/// A worker with the demo catalogue (the tent shipping `earliest` to
/// `latest`), its admin, the shop's page and a browser: the world must
/// outlive the page.
async fn demo_shop(earliest: Date, latest: Date) -> (World, AdminApi, ShopServer, Browser) {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    for (sku, setting) in demo_catalogue(earliest, latest) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    (world, admin, shop, browser)
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_wording_replaces_sold_out_and_in_stock_is_said() {
    let (_world, _admin, shop, browser) = demo_shop(date("2027-03-12"), date("2027-03-26")).await;
    let page = ShopPage::open(&browser.client, shop.url()).await;

    // The page is en-GB, so Intl writes the window the British way.
    let tent = page.settled(BACKORDER_SKU).await;
    assert_eq!(tent.state, "backorder");
    assert_eq!(
        tent.notice.as_deref(),
        Some(
            format!("Backorder — order now, ships 12 – 26 March 2027 {BACKORDER_REASON}").as_str()
        )
    );
    assert_eq!(tent.merchant, None, "\"Sold out\" must no longer show");

    // In stock, said in the widget's words: what the edge knows wins over
    // whatever the theme drew.
    let lantern = page.settled(IN_STOCK_SKU).await;
    assert_eq!(
        lantern,
        Shown {
            state: "in_stock".into(),
            notice: Some("In stock".into()),
            merchant: None
        }
    );

    let kayak = page.settled(UNAVAILABLE_SKU).await;
    assert_eq!(kayak.state, "unavailable");
    assert_eq!(
        kayak.notice.as_deref(),
        Some("Unavailable — this item cannot be ordered right now")
    );

    // One read for the page's three products, started while the wasm was
    // still downloading.
    let fetched = page.fetched().await;
    let reads: Vec<_> = fetched
        .iter()
        .filter(|(url, ..)| url.contains("/products"))
        .collect();
    assert_eq!(reads.len(), 1, "{fetched:?}");
    assert!(reads[0].0.ends_with(&format!(
        "/products?skus={IN_STOCK_SKU},{BACKORDER_SKU},{UNAVAILABLE_SKU}"
    )));
    let wasm = fetched
        .iter()
        .find(|(url, ..)| url.ends_with(".wasm"))
        .expect("the widget's wasm");
    assert!(
        reads[0].1 < wasm.2,
        "the read waited for the wasm: {fetched:?}"
    );

    // The theme's own script still works beside the widget.
    assert_eq!(page.add_to_cart(BACKORDER_SKU).await, "1");
    browser.close().await;
}

/// The merchant wrote the tent's reason in English, Italian and Arabic:
/// each page shows its reader's, marked with its language, and a page in a
/// language the merchant did not write shows the shop's.
#[tokio::test(flavor = "multi_thread")]
async fn the_merchants_reason_is_read_in_the_pages_language() {
    let (_world, _admin, shop, browser) = demo_shop(date("2027-03-12"), date("2027-03-26")).await;
    for (lang, reason, marked) in [
        ("it-IT", BACKORDER_REASON_IT, "it"),
        ("ar", BACKORDER_REASON_AR, "ar"),
        ("en-GB", BACKORDER_REASON, "en"),
        // German is written by nobody: the shop's language (English).
        ("de-DE", BACKORDER_REASON, "en"),
    ] {
        let page = ShopPage::open(&browser.client, &format!("{}?lang={lang}", shop.url())).await;
        assert_eq!(page.settled(BACKORDER_SKU).await.state, "backorder");
        assert_eq!(
            page.reason(BACKORDER_SKU).await,
            Some((reason.to_owned(), Some(marked.to_owned()))),
            "on a page in {lang}"
        );
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_across_months_names_both_months() {
    let (_world, _admin, shop, browser) = demo_shop(date("2027-03-28"), date("2027-04-09")).await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    let tent = page.settled(BACKORDER_SKU).await;
    let notice = tent.notice.expect("a backorder notice");
    assert!(notice.contains("28 March – 9 April 2027"), "{notice}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_products_keep_the_merchants_own_wording() {
    // Nothing is seeded: the edge lists every SKU as unknown.
    let world = World::start().await;
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    for (sku, merchant) in [
        (IN_STOCK_SKU, "In stock"),
        (BACKORDER_SKU, "Sold out"),
        (UNAVAILABLE_SKU, "Sold out"),
    ] {
        let shown = page.settled(sku).await;
        assert_eq!(
            shown,
            Shown {
                state: "unknown".into(),
                notice: None,
                merchant: Some(merchant.into())
            }
        );
    }
    assert_eq!(page.add_to_cart(IN_STOCK_SKU).await, "1");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_edge_leaves_the_page_as_the_merchant_made_it() {
    // The script tag points at a port where nothing listens.
    let dead_edge = format!("http://127.0.0.1:{}", e2e::free_port());
    let shop = ShopServer::serve(e2e::free_port(), &dead_edge);
    let browser = Browser::start().await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    assert!(!page.widget_mounted_anywhere().await);
    assert_eq!(page.merchant_text(BACKORDER_SKU).await, "Sold out");
    assert_eq!(page.add_to_cart(IN_STOCK_SKU).await, "1");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_estimated_window_from_the_shops_history_reaches_the_page() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    admin
        .record_deliveries(SHOP, &demo_history(e2e::today()))
        .await;
    // Promised for a Monday two to three weeks ahead (a promise years ahead
    // would rightly get a wide window: the supplier has time to change).
    // The supplier's record says 2 to 6 days late, so it arrives Wednesday
    // to Sunday, and ships 2 business days later: Friday to Tuesday.
    let soon = e2e::today().add_days(14).expect("in range");
    let promised = soon
        .add_days(i64::from((7 - soon.weekday()) % 7))
        .expect("in range");
    let (friday, tuesday) = (
        promised.add_days(4).expect("in range"),
        promised.add_days(8).expect("in range"),
    );
    for (sku, setting) in estimated_catalogue(promised) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    // The kayak's supplier has given no date at all.
    let no_date = ProductSetting::Backorder {
        window: None,
        supply: Some(SupplyFacts {
            supplier: SUPPLIER.into(),
            mode: MODE.into(),
            promised_arrival: None,
            handling_business_days: 2,
        }),
        reason: None,
        confidence: None,
    };
    admin.set_product(SHOP, UNAVAILABLE_SKU, &no_date).await;

    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    let tent = page.settled(BACKORDER_SKU).await;
    // Spelt as the page's language spells a range of days, by the browser.
    let range = browser
        .client
        .execute(
            "return new Intl.DateTimeFormat(document.documentElement.lang, \
             { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) \
             .formatRange(new Date(arguments[0]), new Date(arguments[1]));",
            vec![friday.to_string().into(), tuesday.to_string().into()],
        )
        .await
        .expect("the page runs scripts");
    let range = range
        .as_str()
        .expect("a text")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        tent.notice.as_deref(),
        Some(format!("Backorder — order now, ships {range} {BACKORDER_REASON}").as_str())
    );
    let kayak = page.settled(UNAVAILABLE_SKU).await;
    assert_eq!(kayak.state, "backorder");
    assert_eq!(
        kayak.notice.as_deref(),
        Some(
            "Backorder — order now, ships as soon as it arrives \
             We can't give a ship date yet: the supplier has not given a date."
        )
    );
    browser.close().await;
}

/// A supplier that has not delivered for months gets a window that says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_supplier_gone_quiet_is_named_as_the_reason_on_the_page() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let today = e2e::today();
    admin
        .record_deliveries(SHOP, &demo_history(today.add_days(-210).expect("in range")))
        .await;
    for (sku, setting) in estimated_catalogue(today.add_days(30).expect("in range")) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    let tent = page.settled(BACKORDER_SKU).await;
    assert_eq!(tent.state, "backorder");
    let notice = tent.notice.unwrap_or_default();
    assert!(
        notice.starts_with("Backorder — order now, ships ")
            && notice.ends_with(&format!(
                "This is an estimate: the supplier has not delivered to us for months. \
                 {BACKORDER_REASON}"
            )),
        "{notice}"
    );
    browser.close().await;
}

/// The banner and the product news pop-up, as the page shows them.
const READ_EXTRAS: &str = r#"
const text = (selector) => {
  for (const element of document.body.children) {
    const found = element.shadowRoot && !element.hidden && element.shadowRoot.querySelector(selector);
    if (found) return found.innerText.replace(/\s+/g, " ").trim();
  }
  return null;
};
const region = (() => {
  for (const element of document.body.children) {
    const found = element.shadowRoot && element.shadowRoot.querySelector(".banner");
    if (found) return [found.getAttribute("role"), found.getAttribute("aria-label"), found.lang];
  }
  return null;
})();
return { banner: text(".banner p"), news: text(".popup"), region };
"#;

/// Whether the loader has marked the notices painted (it decides on news
/// before that), and whether a pop-up still waits for its words.
const NEWS_STATE: &str = r#"
const painted = performance.getEntriesByName("backorder:painted").length > 0;
let filling = false;
for (const element of document.body.children) {
  const label = element.shadowRoot && element.shadowRoot.querySelector(".popup strong");
  if (label && !label.textContent) filling = true;
}
return { painted, filling };
"#;

async fn extras(client: &fantoccini::Client) -> serde_json::Value {
    client.execute(READ_EXTRAS, vec![]).await.expect("runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shops_banner_shows_until_dismissed_and_bad_banners_change_nothing() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    for (sku, setting) in demo_catalogue(date("2027-03-12"), date("2027-03-26")) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let ends_on = e2e::today().add_days(3).expect("a date").to_string();
    let banner = serde_json::json!({
        "messages": {"en": "Many of our tents are on backorder: thank you for your patience.",
                     "it": "Molte tende sono su ordinazione: grazie per la pazienza."},
        "ends_on": ends_on,
    });
    let (status, body) = admin.put("/banner", &banner).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    // Refused: a past end, a language we do not write, hidden controls.
    for bad in [
        serde_json::json!({"messages": {"en": "Late"}, "ends_on": "2020-01-01"}),
        serde_json::json!({"messages": {"fr": "En retard"}, "ends_on": ends_on}),
        serde_json::json!({"messages": {"en": "a\u{202e}b"}, "ends_on": ends_on}),
        serde_json::json!({"messages": {}, "ends_on": ends_on}),
    ] {
        let (status, body) = admin.put("/banner", &bad).await;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input");
    }
    // The public copy, cacheable, still the good banner.
    let response = e2e::http()
        .get(format!("{}/v1/shops/{SHOP}/front", world.worker.base_url()))
        .send()
        .await
        .expect("answers");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .expect("text")
            .starts_with("public")
    );
    let front: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(front["banner"]["messages"], banner["messages"]);
    assert_eq!(front["locale"], "en");

    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let page = ShopPage::open(&browser.client, shop.url()).await;
    page.settled(BACKORDER_SKU).await;
    let shown = crate::eventually("the banner", || async {
        let shown = extras(&browser.client).await;
        shown["banner"].is_string().then_some(shown)
    })
    .await;
    assert_eq!(
        shown["banner"],
        "Many of our tents are on backorder: thank you for your patience."
    );
    assert_eq!(
        shown["region"],
        serde_json::json!(["region", "A note from the shop", "en"])
    );
    // Issue 19 #13: it lies over the page rather than pushing it down: the
    // page's heading is where it is with the banner and without it.
    let heading_top = "return document.querySelector('h1').getBoundingClientRect().top;";
    let with_banner = browser
        .client
        .execute(heading_top, vec![])
        .await
        .expect("runs");
    // Dismissed, it stays away on the next page.
    browser
        .client
        .execute(
            "for (const e of document.body.children) { const b = e.shadowRoot && e.shadowRoot.querySelector('.banner .dismiss'); if (b) b.click(); }",
            vec![],
        )
        .await
        .expect("clicks");
    assert!(extras(&browser.client).await["banner"].is_null());
    let without_banner = browser
        .client
        .execute(heading_top, vec![])
        .await
        .expect("runs");
    assert_eq!(with_banner, without_banner, "the banner moved the page");
    let page = ShopPage::open(&browser.client, shop.url()).await;
    page.settled(BACKORDER_SKU).await;
    assert!(extras(&browser.client).await["banner"].is_null());

    // Turned off, it is gone for everyone.
    let response = e2e::http()
        .delete(admin.url("/banner"))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), reqwest::StatusCode::NO_CONTENT);
    let (_, front) = crate::get_json(&format!(
        "{}/v1/shops/{SHOP}/front",
        world.worker.base_url()
    ))
    .await;
    assert!(front["banner"].is_null(), "{front}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn product_news_pops_up_once_per_change() {
    let (_world, admin, shop, browser) = demo_shop(date("2027-03-12"), date("2027-03-26")).await;
    let client = &browser.client;
    // Each visit must see the edge's answer of the moment, not one the
    // browser may keep for 15 s.
    e2e::cdp::without_cache(client).await;
    let visit = || async {
        let page = ShopPage::open(client, shop.url()).await;
        page.settled(BACKORDER_SKU).await;
        // The loader decides on news before it marks the notices painted,
        // and fills a pop-up's words a moment after placing it: wait for
        // both signals rather than for a while.
        crate::eventually("the page has decided on its news", || async {
            let state = client.execute(NEWS_STATE, vec![]).await.expect("runs");
            (state["painted"] == true && state["filling"] == false).then_some(())
        })
        .await;
        extras(client).await["news"].as_str().map(str::to_owned)
    };
    assert_eq!(visit().await, None, "the first visit only remembers");
    assert_eq!(visit().await, None, "nothing changed");

    // A new range for the tent.
    admin
        .put_product_json(
            BACKORDER_SKU,
            &serde_json::json!({"status": "backorder", "window": {"earliest": "2027-04-02", "latest": "2027-04-16"}}),
        )
        .await;
    let news = visit().await.expect("the news pop-up");
    assert!(
        news.contains("now ships 2 – 16 April 2027") || news.contains("now ships 2–16 April 2027"),
        "{news}"
    );
    // On a page of three products, the news names which one (from its
    // card's heading), isolated so that it keeps its own direction.
    assert!(
        news.contains("News about \u{2068}Ridge Two-Person Tent\u{2069}:"),
        "{news}"
    );
    assert_eq!(visit().await, None, "once per change");

    // Back in stock.
    admin
        .put_product_json(BACKORDER_SKU, &serde_json::json!({"status": "in_stock"}))
        .await;
    let news = visit().await.expect("the news pop-up");
    assert!(
        news.contains("Ridge Two-Person Tent\u{2069} is back in stock"),
        "{news}"
    );
    // The card says so too, over the theme's stale "Sold out".
    let tent = ShopPage::open(client, shop.url())
        .await
        .settled(BACKORDER_SKU)
        .await;
    assert_eq!(tent.notice.as_deref(), Some("In stock"), "{tent:?}");
    assert_eq!(tent.merchant, None, "{tent:?}");
    assert_eq!(visit().await, None, "once per change");
    browser.close().await;
}
