//! Orders from the stores' signed webhooks to the customer's public status,
//! the outbox of emails and the merchant's action list, in workerd. Each
//! store's payloads are shaped like the fixtures; duplicates, reordering,
//! bad signatures, replays and stale timestamps are covered.

use e2e::admin::AdminApi;
use e2e::payloads;
use e2e::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{World, eventually, get_json};

const SHOP: &str = "order-shop";
const TENT: &str = "TENT-2P";
const LAMP: &str = "LAMP-01";
/// An id above 2^53: JSON parsers that go through doubles would change it.
const BIG_ORDER: u64 = 820_982_911_946_154_508;

const TENT_WINDOW: &str =
    r#"{"status":"backorder","window":{"earliest":"2030-02-01","latest":"2030-02-14"}}"#;

async fn open_shop(world: &World) -> (AdminApi, Store) {
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let tent: Value = serde_json::from_str(TENT_WINDOW).expect("valid");
    admin.put_product_json(TENT, &tent).await;
    admin
        .put_product_json(LAMP, &json!({"status": "in_stock"}))
        .await;
    (admin, store)
}

/// Waits until the log holds exactly `expected` for `order`. An email is
/// in the log from the moment its order queues it, in the same step in
/// which the shop learns the command's outcome (a webhook's answer, a
/// fan-out batch's): once the log matches after the step that caused the
/// last one, no other email is on its way.
async fn wait_for_emails(admin: &AdminApi, order: &str, expected: &[&str]) {
    let expected: Vec<String> = expected.iter().map(|k| (*k).to_owned()).collect();
    eventually(&format!("emails {expected:?} for {order}"), || async {
        let got = admin.email_kinds(order).await;
        (got == expected).then_some(())
    })
    .await;
}

async fn stage(link: &str) -> String {
    let (status, view) = get_json(link).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["stage"].as_str().unwrap_or_default().to_owned()
}

async fn wait_for_stage(link: &str, expected: &str) -> Value {
    eventually(&format!("stage {expected}"), || async {
        let (status, view) = get_json(link).await;
        (status == StatusCode::OK && view["stage"] == expected).then_some(view)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shopify_order_lives_from_checkout_to_delivery() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let order = BIG_ORDER.to_string();
    let body = payloads::shopify_order(
        BIG_ORDER,
        &[
            (Some(TENT), 1, "199.00"),
            (Some(LAMP), 2, "12.50"),
            (None, 1, "5.00"),
        ],
        "ann@example.com",
    );
    assert!(
        body.contains("820982911946154508"),
        "the id goes out exactly"
    );

    // The same delivery twice, as Shopify retries: one order, one receipt,
    // in the log as soon as the store's webhook is answered.
    for _ in 0..2 {
        let response = store.shopify("orders/create", &body).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(admin.email_kinds(&order).await, ["receipt"]);
    }
    let link = admin.customer_link(&order).await;
    let view = wait_for_stage(&link, "waiting").await;
    assert_eq!(view["order"], order.as_str());
    assert_eq!(view["window"]["latest"], "2030-02-14");
    assert_eq!(view["lines"][0]["state"], "waiting");
    assert_eq!(view["lines"][1]["state"], "ready");
    assert_eq!(
        view["lines"].as_array().map(Vec::len),
        Some(2),
        "no SKU, not tracked"
    );
    // Shopify's line names are kept for the page and the emails.
    assert_eq!(
        view["names"],
        json!([[TENT, "Ridge Two-Person Tent"], [LAMP, "Camp Lamp"]])
    );
    let serialized = view.to_string();
    assert!(
        !serialized.contains("ann@example.com"),
        "no PII in the public view"
    );
    wait_for_emails(&admin, &order, &["receipt"]).await;

    // Stock arrives: products/update maps the inventory item, then a level.
    let product = payloads::shopify_product(TENT, 4_404, 0);
    assert_eq!(
        store.shopify("products/update", &product).await.status(),
        200
    );
    let level = payloads::shopify_inventory_level(4_404, 12);
    assert_eq!(
        store
            .shopify("inventory_levels/update", &level)
            .await
            .status(),
        200
    );
    wait_for_stage(&link, "processing").await;
    let (_, product) = get_json(&admin.product_url(SHOP, TENT)).await;
    assert_eq!(product["availability"]["status"], "in_stock");

    // Shipped, then delivered: each step's email, nothing twice; packing,
    // which the shipment implied, is on the timeline but not in the inbox.
    let shipped = payloads::shopify_fulfillment(BIG_ORDER, None);
    for _ in 0..2 {
        assert_eq!(
            store
                .shopify("fulfillments/create", &shipped)
                .await
                .status(),
            200
        );
    }
    wait_for_stage(&link, "shipped").await;
    let delivered = payloads::shopify_fulfillment(BIG_ORDER, Some("delivered"));
    assert_eq!(
        store
            .shopify("fulfillments/update", &delivered)
            .await
            .status(),
        200
    );
    let view = wait_for_stage(&link, "delivered").await;
    let timeline: Vec<&str> = view["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|entry| entry["what"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        timeline,
        ["placed", "restocked", "processed", "shipped", "delivered"]
    );
    assert_eq!(view["timeline"][3]["carrier"], "UPS");
    wait_for_emails(&admin, &order, &["receipt", "restocked", "shipped"]).await;

    // The shop's index and its CSV for support.
    let orders = admin.get("/orders?stage=delivered&tag=backorder").await;
    assert_eq!(orders["orders"][0]["order"], order.as_str());
    let csv = e2e::http()
        .get(admin.url("/orders?format=csv"))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(csv.starts_with("order,stage,customer"), "{csv}");
    assert!(csv.contains(&format!("{order},delivered,")), "{csv}");
    // Tags for the back office, waiting for it to read them (no endpoint).
    let actions = admin.get("/actions?state=pending").await;
    let kinds: Vec<&str> = actions["actions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|action| action["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["tag_order", "tag_customer"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_webhooks_are_refused_and_change_nothing() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let body = payloads::shopify_order(77, &[(Some(TENT), 1, "199.00")], "bo@example.com");
    let refused = [
        store.shopify_signed("orders/create", &body, "").await,
        store
            .shopify_signed(
                "orders/create",
                &body,
                "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
            )
            .await,
        // Signed, then altered on the way: the price.
        store
            .shopify_signed(
                "orders/create",
                &body.replace("199.00", "1.00"),
                &e2e::store::shopify_signature(&body),
            )
            .await,
    ];
    for response in refused {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let error: Value = response.json().await.expect("JSON");
        assert_eq!(error["error"]["code"], "bad_signature");
    }
    // Standard Webhooks: stale, from the future, replayed with another body.
    let placed = payloads::standard(
        "order.placed",
        json!({"id": "S-1", "currency": "EUR", "total": "209.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"}],
               "customer": {"id": "c-9", "email": "cy@example.com", "locale": "it"}}),
    );
    // Ten minutes either side: twice the five-minute tolerance, so a slow
    // machine's seconds between here and the worker cannot bring it inside.
    // The exact boundary is the crypto module's unit test.
    let now = e2e::now_unix();
    for timestamp in [now - 600, now + 600] {
        let response = store.standard_at("msg_stale", timestamp, &placed).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = e2e::http()
        .post(store.url("standard"))
        .header("webhook-id", "msg_1")
        .header("webhook-timestamp", now.to_string())
        .body(placed.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "no signature");
    let orders = admin.get("/orders").await;
    assert_eq!(orders["orders"], json!([]), "nothing was stored");
    assert_eq!(admin.get("/outbox").await["emails"], json!([]));

    // A WooCommerce ping has no signature and must get exactly 200.
    let ping = store.woocommerce_ping().await;
    assert_eq!(ping.status(), StatusCode::OK);
    assert_eq!(admin.get("/orders").await["orders"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_webhooks_cover_the_lifecycle_in_any_order() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let placed = |id: &str| {
        payloads::standard(
            "order.placed",
            json!({"id": id, "currency": "EUR", "total": "234.00",
                   "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"},
                             {"sku": LAMP, "quantity": 2, "unit_price": "12.50"}],
                   "customer": {"id": "c-1", "email": "cy@example.com", "locale": "it"}}),
        )
    };
    // The shipment of S-2 arrives before its order: kept, then applied.
    let shipped = payloads::standard(
        "order.shipped",
        json!({"order": "S-2", "carrier": "DHL", "tracking": "JD0123"}),
    );
    assert_eq!(store.standard("msg_ship_2", &shipped).await.status(), 200);
    assert_eq!(
        store.standard("msg_place_1", &placed("S-1")).await.status(),
        200
    );
    assert_eq!(
        store.standard("msg_place_2", &placed("S-2")).await.status(),
        200
    );
    let link_2 = admin.customer_link("S-2").await;
    wait_for_stage(&link_2, "shipped").await;

    // Supplier news that stores cannot send: a later window, explained.
    let news = payloads::standard(
        "window.changed",
        json!({"sku": TENT, "window": {"earliest": "2030-03-01", "latest": "2030-03-20"},
               "reason": "The ship was held at port.", "fix": "We booked the first truck out."}),
    );
    assert_eq!(store.standard("msg_news", &news).await.status(), 200);
    // The same message id again (a retry) is applied once.
    assert_eq!(store.standard("msg_news", &news).await.status(), 200);
    let link_1 = admin.customer_link("S-1").await;
    let view = eventually("the delay offer", || async {
        let (_, view) = get_json(&link_1).await;
        (!view["offer"].is_null()).then_some(view)
    })
    .await;
    assert_eq!(view["window"]["latest"], "2030-03-20");
    let options: Vec<&str> = view["offer"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|option| option["option"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        options,
        [
            "keep_waiting",
            "ship_available_now",
            "store_credit",
            "cancel"
        ]
    );
    wait_for_emails(&admin, "S-1", &["receipt", "delay_notice"]).await;
    let (_, product) = get_json(&admin.product_url(SHOP, TENT)).await;
    assert_eq!(product["availability"]["window"]["latest"], "2030-03-20");

    for (id, event, data) in [
        ("msg_stock", "stock.arrived", json!({"sku": TENT})),
        ("msg_processed", "order.processed", json!({"order": "S-1"})),
        (
            "msg_shipped",
            "order.shipped",
            json!({"order": "S-1", "carrier": "DHL", "tracking": "JD1"}),
        ),
        ("msg_delivered", "order.delivered", json!({"order": "S-1"})),
        ("msg_unknown", "refund.created", json!({"order": "S-1"})),
    ] {
        let response = store.standard(id, &payloads::standard(event, data)).await;
        assert_eq!(response.status(), StatusCode::OK, "{event}");
        if event == "stock.arrived" {
            wait_for_stage(&link_1, "processing").await;
        }
    }
    assert_eq!(stage(&link_1).await, "delivered");
    wait_for_emails(
        &admin,
        "S-1",
        &[
            "receipt",
            "delay_notice",
            "restocked",
            "processed",
            "shipped",
        ],
    )
    .await;

    // The store cancels an order: closed, no email from us.
    let tent: Value = serde_json::from_str(TENT_WINDOW).expect("valid");
    admin.put_product_json(TENT, &tent).await;
    assert_eq!(
        store.standard("msg_place_3", &placed("S-3")).await.status(),
        200
    );
    let cancel = payloads::standard("order.cancelled", json!({"order": "S-3"}));
    assert_eq!(store.standard("msg_cancel_3", &cancel).await.status(), 200);
    let link_3 = admin.customer_link("S-3").await;
    wait_for_stage(&link_3, "cancelled").await;
    wait_for_emails(&admin, "S-3", &["receipt"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn woocommerce_orders_in_php_json_restock_and_complete() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let created = payloads::woocommerce_order(727, "processing", TENT, "zoe@example.com");
    assert!(
        created.contains("\\/") && created.contains("\\u00eb"),
        "PHP escapes"
    );
    assert_eq!(
        store.woocommerce("order.created", &created).await.status(),
        200
    );
    // order.updated with the same content right after: nothing twice.
    assert_eq!(
        store.woocommerce("order.updated", &created).await.status(),
        200
    );
    let link = admin.customer_link("727").await;
    wait_for_stage(&link, "waiting").await;

    // The tent's window comes from supply facts; when it arrives, the
    // delivery (promised against today) is learnt by itself.
    let promised = e2e::today().add_days(20).expect("a date");
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "supply": {"supplier": "Ridge", "mode": "Ocean",
                    "promised_arrival": promised.to_string(), "handling_business_days": 2}}),
        )
        .await;
    assert_eq!(admin.get("/deliveries").await["deliveries_in_history"], 0);
    let restocked = payloads::woocommerce_product(TENT, "instock");
    assert_eq!(
        store
            .woocommerce("product.updated", &restocked)
            .await
            .status(),
        200
    );
    wait_for_stage(&link, "processing").await;
    assert_eq!(admin.get("/deliveries").await["deliveries_in_history"], 1);

    let completed = payloads::woocommerce_order(727, "completed", TENT, "zoe@example.com");
    assert_eq!(
        store
            .woocommerce("order.updated", &completed)
            .await
            .status(),
        200
    );
    wait_for_stage(&link, "shipped").await;
    wait_for_emails(&admin, "727", &["receipt", "restocked", "shipped"]).await;
    let outbox = admin.get("/outbox").await;
    assert_eq!(outbox["emails"][0]["to"], "zoe@example.com");
}

#[tokio::test(flavor = "multi_thread")]
async fn undated_backorders_are_tracked_and_losing_a_date_is_a_delay() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let placed = |id: &str| {
        payloads::standard(
            "order.placed",
            json!({"id": id, "currency": "EUR", "total": "199.00",
                   "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"}],
                   "customer": {"id": format!("c-{id}")}}),
        )
    };
    assert_eq!(store.standard("msg_u1", &placed("U-1")).await.status(), 200);
    let link = admin.customer_link("U-1").await;
    wait_for_stage(&link, "waiting").await;

    // The supplier can no longer give a date: the product says so, and the
    // waiting order hears it as a delay, which must be explained.
    let undated = json!({"status": "backorder", "supply": {"supplier": "Ridge", "mode": "Ocean",
                         "promised_arrival": null, "handling_business_days": 2}});
    let response = e2e::http()
        .put(admin.product_url(SHOP, TENT))
        .bearer_auth(admin.api_key())
        .json(&undated)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.expect("JSON");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("delay.reason")),
        "{error}"
    );
    let mut explained = undated.clone();
    explained["delay"] = json!({"reason": "The factory stopped the line.",
                                "fix": "We are looking for a second maker."});
    let answer = admin.put_product_json(TENT, &explained).await;
    assert_eq!(answer["orders_notified"], 1, "{answer}");
    let view = eventually("the delay without a date", || async {
        let (_, view) = get_json(&link).await;
        (!view["offer"].is_null()).then_some(view)
    })
    .await;
    assert_eq!(view["window"], Value::Null, "no date is said as no date");
    assert_eq!(view["timeline"][1]["what"], "delayed");
    assert_eq!(
        view["timeline"][1]["reason"],
        "The factory stopped the line."
    );

    // A new order for the undated item is tracked, held to the 30 days the
    // US mail-order rule allows when no time was stated.
    assert_eq!(store.standard("msg_u2", &placed("U-2")).await.status(), 200);
    let link_2 = admin.customer_link("U-2").await;
    let view = wait_for_stage(&link_2, "waiting").await;
    let latest = e2e::today().add_days(30).expect("a date").to_string();
    assert_eq!(view["window"]["latest"], latest.as_str(), "{view}");
}

/// The supplier's news moves what the product page says and what a new
/// order is promised at once, for an estimated product as for a stated one;
/// news that the supplier can no longer give a date leaves no date shown.
#[tokio::test(flavor = "multi_thread")]
async fn supplier_news_moves_the_page_and_new_promises_estimated_or_stated() {
    const STOVE: &str = "STOVE-01";
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let promised = e2e::today().add_days(20).expect("a date");
    let estimated = json!({"status": "backorder", "reason": "Sold out at the maker.",
        "supply": {"supplier": "Ridge", "mode": "Ocean",
                   "promised_arrival": promised.to_string(), "handling_business_days": 2}});
    admin.put_product_json(TENT, &estimated).await;
    admin
        .put_product_json(
            STOVE,
            &json!({"status": "backorder",
                    "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    let placed = |id: &str, sku: &str| {
        payloads::standard(
            "order.placed",
            json!({"id": id, "currency": "EUR", "total": "199.00",
                   "lines": [{"sku": sku, "quantity": 1, "unit_price": "199.00"}],
                   "customer": {"id": format!("c-{id}")}}),
        )
    };
    let (_, product) = get_json(&admin.product_url(SHOP, TENT)).await;
    let estimate = product["availability"]["window"].clone();
    assert!(estimate.is_object(), "an estimate to begin with: {product}");
    assert_eq!(
        store.standard("m1", &placed("E-1", TENT)).await.status(),
        200
    );
    let early = admin.customer_link("E-1").await;
    let view = wait_for_stage(&early, "waiting").await;
    assert_eq!(view["window"], estimate);

    // The tent is late: its page, its waiting order and the next order
    // all say the supplier's new window.
    let later = json!({"earliest": "2031-01-29", "latest": "2031-02-13"});
    let news = payloads::standard(
        "window.changed",
        json!({"sku": TENT, "window": later,
               "reason": "The ship was held at port.", "fix": "We booked the first truck out."}),
    );
    assert_eq!(store.standard("m2", &news).await.status(), 200);
    let (_, product) = get_json(&admin.product_url(SHOP, TENT)).await;
    assert_eq!(product["availability"]["window"], later, "{product}");
    assert_eq!(product["availability"]["reason"], "Sold out at the maker.");
    let view = eventually("the delay reaches the waiting order", || async {
        let (_, view) = get_json(&early).await;
        (view["window"] == later).then_some(view)
    })
    .await;
    assert!(
        !view["offer"].is_null(),
        "a later window is a delay: {view}"
    );
    assert_eq!(
        store.standard("m3", &placed("E-2", TENT)).await.status(),
        200
    );
    let view = wait_for_stage(&admin.customer_link("E-2").await, "waiting").await;
    assert_eq!(view["window"], later, "a new order is promised the news");

    // The supplier takes its date back: no date anywhere, for both kinds.
    for (key, sku) in [("m4", TENT), ("m5", STOVE)] {
        let undated = payloads::standard(
            "window.changed",
            json!({"sku": sku, "window": null,
                   "reason": "The maker gave no new date.", "fix": "We call them each week."}),
        );
        assert_eq!(store.standard(key, &undated).await.status(), 200);
        let (_, product) = get_json(&admin.product_url(SHOP, sku)).await;
        assert_eq!(product["availability"]["status"], "backorder", "{product}");
        assert_eq!(product["availability"]["window"], Value::Null, "{product}");
    }
    assert_eq!(
        store.standard("m6", &placed("E-3", STOVE)).await.status(),
        200
    );
    let view = wait_for_stage(&admin.customer_link("E-3").await, "waiting").await;
    let latest = e2e::today().add_days(30).expect("a date").to_string();
    assert_eq!(
        view["window"]["latest"],
        latest.as_str(),
        "held to 30 days: {view}"
    );
}

/// A store's orders taken before it was connected come in through the
/// import: read whole first (a bad one is named and nothing is placed),
/// then placed as their webhooks would be, and placed once however often
/// they come.
#[tokio::test(flavor = "multi_thread")]
async fn imported_orders_are_placed_once_and_a_bad_one_places_none() {
    let world = World::start().await;
    let (admin, _) = open_shop(&world).await;
    let order = |id: &str, sku: &str| {
        json!({"id": id, "currency": "EUR", "total": "199.00",
               "lines": [{"sku": sku, "quantity": 1, "unit_price": "199.00"}],
               "customer": {"id": format!("c-{id}"), "email": format!("{id}@example.com")}})
    };
    let mut broken = order("I-3", TENT);
    broken["lines"][0]["quantity"] = json!(0);
    let (status, answer) = admin
        .post(
            "/orders",
            &json!({"orders": [order("I-1", TENT), order("I-2", TENT), broken]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("orders[2].lines[0].quantity"), "{answer}");
    let (status, answer) = admin.post("/orders", &json!({"orders": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let listed = admin.get("/orders").await;
    assert_eq!(listed["orders"], json!([]), "nothing placed: {listed}");

    let batch = json!({"orders": [order("I-1", TENT), order("I-2", TENT), order("I-3", LAMP)]});
    let (status, answer) = admin.post("/orders", &batch).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["received"].as_array().map(Vec::len),
        Some(3),
        "{answer}"
    );
    assert!(
        answer["received"][2]
            .as_str()
            .unwrap_or_default()
            .starts_with("not tracked"),
        "an order with nothing on backorder is not tracked: {answer}"
    );
    // Again: the same orders, placed once, one receipt each.
    let (status, again) = admin.post("/orders", &batch).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    for id in ["I-1", "I-2"] {
        wait_for_emails(&admin, id, &["receipt"]).await;
    }
    let listed = admin.get("/orders").await;
    let mut ids: Vec<&str> = listed["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|order| order["order"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["I-1", "I-2"], "{listed}");
}

/// Operators read the worker's log (Workers Logs, `wrangler tail`): one JSON
/// line per request, webhook, job and alarm, naming the shop and the order,
/// and never the customer's address, name or link token.
#[tokio::test(flavor = "multi_thread")]
async fn the_log_has_a_json_line_per_request_webhook_and_job_and_no_contact() {
    let world = World::start().await;
    let (admin, store) = open_shop(&world).await;
    let placed = payloads::standard(
        "order.placed",
        json!({"id": "L-1", "currency": "EUR", "total": "199.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"}],
               "customer": {"id": "c-L", "email": "lena.private@example.com",
                            "name": "Lena Privata", "locale": "it"}}),
    );
    assert_eq!(store.standard("msg_log_1", &placed).await.status(), 200);
    wait_for_emails(&admin, "L-1", &["receipt"]).await;
    let link = admin.customer_link("L-1").await;
    assert_eq!(get_json(&link).await.0, StatusCode::OK);
    let token = link
        .split_once("t=")
        .and_then(|(_, rest)| rest.split('&').next())
        .expect("the link carries its token")
        .to_owned();

    let lines = eventually("the lines of the receipt's job and of the read", || async {
        let lines: Vec<Value> = world
            .worker
            .log()
            .lines()
            .filter_map(|line| line.find("{\"kind\":").map(|at| &line[at..]))
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let job = lines.iter().any(|line| {
            line["kind"] == "job" && line["order"] == "L-1" && line["outcome"] == "done"
        });
        // Lines reach the log a little after the answers.
        let read = lines.iter().any(|line| {
            line["what"]
                .as_str()
                .is_some_and(|what| what.starts_with("GET /v1/shops/order-shop/orders/L-1"))
        });
        (job && read).then_some(lines)
    })
    .await;
    let has = |kind: &str, check: &dyn Fn(&Value) -> bool| {
        lines.iter().any(|line| line["kind"] == kind && check(line))
    };
    assert!(
        has("request", &|line| line["what"]
            == "POST /v1/shops/order-shop/webhooks/standard"
            && line["shop"] == SHOP
            && line["outcome"] == "200"),
        "{lines:#?}"
    );
    assert!(
        has("webhook", &|line| line["what"] == "standard order.placed"
            && line["outcome"]
                .as_str()
                .is_some_and(|o| o.contains("placed"))),
        "{lines:#?}"
    );
    assert!(
        has("request", &|line| line["what"].as_str().is_some_and(
            |what| what.starts_with("GET /v1/shops/order-shop/orders/L-1")
        )),
        "the customer's read is logged: {lines:#?}"
    );
    assert!(lines.iter().all(|line| line["ms"].is_u64()), "{lines:#?}");
    let log = world.worker.log();
    for secret in ["lena.private@example.com", "Lena Privata", token.as_str()] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
}
