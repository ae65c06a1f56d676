//! The widget on a merchant's product page, in headless Chromium.

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::shop::{
    BACKORDER_REASON, BACKORDER_SKU, IN_STOCK_SKU, MODE, SHOP, SUPPLIER, ShopServer,
    UNAVAILABLE_SKU, demo_catalogue, demo_history, estimated_catalogue,
};
use shared::estimate::SupplyFacts;
use shared::{Date, ProductSetting};

use crate::World;
use crate::page::{ShopPage, Shown};

fn date(text: &str) -> Date {
    text.parse().expect("a valid test date")
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_wording_replaces_sold_out_and_in_stock_is_left_alone() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    for (sku, setting) in demo_catalogue(date("2027-03-12"), date("2027-03-26")) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
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

    let lantern = page.settled(IN_STOCK_SKU).await;
    assert_eq!(
        lantern,
        Shown {
            state: "in_stock".into(),
            notice: None,
            merchant: Some("In stock".into())
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

#[tokio::test(flavor = "multi_thread")]
async fn a_window_across_months_names_both_months() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    for (sku, setting) in demo_catalogue(date("2027-03-28"), date("2027-04-09")) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
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
    // Promised for Monday 3 June 2030; the supplier's record says 2 to 6 days
    // late, so it arrives 5–9 June, and ships 2 business days later.
    for (sku, setting) in estimated_catalogue(date("2030-06-03")) {
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
    assert_eq!(
        tent.notice.as_deref(),
        Some(format!("Backorder — order now, ships 7 – 11 June 2030 {BACKORDER_REASON}").as_str())
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
