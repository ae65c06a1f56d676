//! "Does selling on backorder pay?" read back through the API after real
//! orders: some on backorder, some not, a cancellation after a 40-day
//! delay, a customer who keeps waiting.

use e2e::admin::{AdminApi, choices_url};
use e2e::back_office::BackOffice;
use e2e::payloads;
use e2e::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{SHOWN, no_violations, wait_js};
use crate::{World, eventually, get_json};

const SHOP: &str = "analytics-shop";
const TENT: &str = "TENT-2P";
const LAMP: &str = "LAMP-01";

async fn place(store: &Store, id: &str, email: &str, sku: &str, price: &str) {
    let placed = payloads::standard(
        "order.placed",
        json!({"id": id, "currency": "EUR", "total": price,
               "lines": [{"sku": sku, "quantity": 1, "unit_price": price}],
               "customer": {"id": format!("c-{email}"), "email": email}}),
    );
    let response = store.standard(&format!("msg_{id}"), &placed).await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn choose(link: &str, option: &str) {
    let response = e2e::http()
        .post(choices_url(link))
        .json(&json!({"offer": 1, "choice": {"option": option}}))
        .send()
        .await
        .expect("the choice is answered");
    assert_eq!(response.status(), StatusCode::OK, "{option}");
}

fn band<'a>(figures: &'a Value, list: &str, key: &str, name: &str) -> &'a Value {
    figures["backorders"][list]
        .as_array()
        .and_then(|items| items.iter().find(|item| item[key] == name))
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn analytics_compare_backorder_customers_and_count_a_cancellation_after_a_40_day_delay() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    admin
        .put_product_json(LAMP, &json!({"status": "in_stock"}))
        .await;
    // Two backorder customers; one in-stock customer who comes back.
    place(&store, "A-1", "ann@example.com", TENT, "199.00").await;
    place(&store, "A-2", "Bo@Example.com", LAMP, "25.00").await;
    place(&store, "A-3", "bo@example.com", LAMP, "25.00").await;
    place(&store, "A-4", "cy@example.com", TENT, "199.00").await;
    // The same webhook again counts once.
    place(&store, "A-3", "bo@example.com", LAMP, "25.00").await;

    // The tent slips 40 days: Ann cancels, Cy keeps waiting.
    let answer = admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder",
                    "window": {"earliest": "2030-03-10", "latest": "2030-03-26"},
                    "delay": {"reason": "The ship was held at port.",
                              "fix": "We booked the first truck out."}}),
        )
        .await;
    assert_eq!(answer["orders_notified"], 2, "{answer}");
    let ann = admin.customer_link("A-1").await;
    let cy = admin.customer_link("A-4").await;
    for link in [&ann, &cy] {
        eventually("the delay offer", || async {
            let (_, view) = get_json(link).await;
            (!view["offer"].is_null()).then_some(())
        })
        .await;
    }
    choose(&ann, "cancel").await;
    choose(&cy, "keep_waiting").await;

    let figures = eventually("the cancellation in the figures", || async {
        let figures = admin.get("/analytics").await;
        (band(&figures, "cancelled_by_lateness", "days_late", "31–60")["cancelled"]["of"] == 1)
            .then_some(figures)
    })
    .await;
    assert_eq!(figures["currency"], "EUR");
    assert_eq!(figures["orders"]["all"], 4, "{figures}");
    assert_eq!(figures["orders"]["with_backorder"], 2);
    let customers = &figures["customers"];
    assert_eq!(customers["backorder"]["customers"], 2);
    assert_eq!(customers["others"]["customers"], 1, "Bo is one customer");
    assert_eq!(customers["others"]["orders_per_customer"]["mean"], 2.0);
    assert_eq!(customers["backorder"]["orders_per_customer"]["mean"], 1.0);
    assert_eq!(
        customers["backorder"]["revenue_per_customer_minor"]["mean"],
        19_900.0
    );
    let backorders = &figures["backorders"];
    assert_eq!(backorders["orders"], 2);
    let late = &band(&figures, "cancelled_by_lateness", "days_late", "31–60")["cancelled"];
    assert_eq!(late["share"], 1.0, "{figures}");
    assert!(
        late["low"].as_f64().unwrap_or(1.0) < 1.0,
        "an interval: {late}"
    );
    assert_eq!(
        band(&figures, "cancelled_by_slips", "slips", "1")["cancelled"]["of"],
        1
    );
    let month = &backorders["choices"][0];
    assert_eq!(
        (month["cancel"].clone(), month["keep_waiting"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(backorders["revenue_returned_minor"], 19_900);
    assert_eq!(backorders["revenue_kept_minor"], 19_900);
    assert_eq!(backorders["waiting_now"]["orders"], 1);
    assert_eq!(
        backorders["demand_waiting"],
        json!([{"sku": TENT, "orders": 1, "units": 1, "value_minor": 19_900}])
    );

    // The same figures as CSV, one row each.
    let csv = e2e::http()
        .get(admin.url("/analytics?format=csv"))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("CSV");
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("text");
    assert!(csv.starts_with("figure,value,low,high,of\n"), "{csv}");
    assert!(
        csv.lines()
            .any(|line| line.starts_with("backorders.cancelled_by_lateness[31–60].cancelled,1.0,")),
        "{csv}"
    );
    assert!(csv.contains("\norders.all,4,,,\n"), "{csv}");

    // Bad input is named and changes nothing; the figures are the owner's.
    for (query, field) in [
        ("from=2030-13-01", "from"),
        ("from=2030-02-01&to=2030-01-01", "from"),
        ("from=2020-01-01&to=2031-01-01", "to"),
        ("format=xml", "format"),
        ("currency=euros", "currency"),
        ("since=2030-01-01", "query"),
    ] {
        let response = e2e::http()
            .get(admin.url(&format!("/analytics?{query}")))
            .bearer_auth(admin.api_key())
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "invalid_input", "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(&format!("{field}:")), "{query}: {body}");
    }
    let anonymous = e2e::http()
        .get(admin.url("/analytics"))
        .send()
        .await
        .expect("answers");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = admin.post("/analytics", &json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // Cy's tent arrives and ships: on time against the first promise, for
    // the tent and for its supplier.
    let (status, _) = admin
        .put(
            &format!("/products/{TENT}/supply"),
            &json!({"supplier": "Ridge"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    admin
        .put_product_json(TENT, &json!({"status": "in_stock"}))
        .await;
    let shipped = payloads::standard(
        "order.shipped",
        json!({"order": "A-4", "carrier": "DHL", "tracking": "JD1"}),
    );
    assert_eq!(store.standard("msg_ship_4", &shipped).await.status(), 200);
    let figures = eventually("the shipment in the figures", || async {
        let figures = admin.get("/analytics").await;
        (figures["backorders"]["promise_accuracy"]["shipped"] == 1).then_some(figures)
    })
    .await;
    let backorders = &figures["backorders"];
    assert_eq!(
        backorders["promise_accuracy"]["on_time"]["share"], 1.0,
        "{figures}"
    );
    assert_eq!(backorders["promise_accuracy_by_sku"][0]["sku"], TENT);
    let ridge = &backorders["promise_accuracy_by_supplier"][0];
    assert_eq!(ridge["supplier"], "Ridge", "{figures}");
    assert_eq!(ridge["accuracy"]["shipped"], 1);
    assert_eq!(backorders["demand_waiting"], json!([]));
    assert_eq!(backorders["waiting_now"]["orders"], 0);
    assert_eq!(backorders["waited"]["orders"], 2, "Ann's and Cy's");

    // A period before any order: nothing counted.
    let empty = admin.get("/analytics?from=2020-01-01&to=2020-02-01").await;
    assert_eq!(empty["orders"]["all"], 0, "{empty}");
    assert_eq!(empty["backorders"]["orders"], 0, "{empty}");

    // The console's overview says the same, in English and Arabic.
    let browser = e2e::browser::Browser::start().await;
    let client = &browser.client;
    client
        .goto(&format!(
            "{}/console/?shop={SHOP}&lang=en#signin={}",
            world.worker.base_url(),
            admin.api_key()
        ))
        .await
        .expect("loads");
    wait_js(client, "the order list", SHOWN).await;
    client
        .execute("location.hash = '#/overview';", vec![])
        .await
        .expect("runs");
    let shown = wait_js(
        client,
        "the overview's figures",
        "const s = document.querySelector('dd.shipped');\
         const rows = document.querySelectorAll('table.cohorts tbody tr');\
         const choices = Array.from(document.querySelectorAll('table.choices tbody tr'), r => r.innerText);\
         return s && rows.length && [s.innerText, rows[0].cells[1].innerText, rows[0].cells[2].innerText, \
           document.querySelector('.waiting-now').innerText, choices];",
    )
    .await;
    let customers = &figures["customers"];
    assert_eq!(shown[0], "1", "{shown}");
    assert_eq!(
        shown[1],
        customers["backorder"]["customers"].to_string(),
        "{shown}"
    );
    assert_eq!(
        shown[2],
        customers["others"]["customers"].to_string(),
        "{shown}"
    );
    assert_eq!(shown[3], "0", "{shown}");
    let kept: u64 = backorders["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|month| month["keep_waiting"].as_u64().unwrap_or(0))
        .sum();
    assert!(kept >= 1, "{figures}");
    let kept_row = shown[4]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find_map(|row| row.as_str().filter(|r| r.starts_with("Kept waiting")))
        })
        .expect("a row for those who kept waiting")
        .to_owned();
    assert!(kept_row.ends_with(&kept.to_string()), "{kept_row}");
    no_violations(client, "the overview (en)").await;
    client
        .execute(
            "const s = document.querySelector('.lang select'); s.value = 'ar';\
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("runs");
    wait_js(
        client,
        "the overview in Arabic",
        "return document.documentElement.dir === 'rtl' && document.querySelector('dd.shipped');",
    )
    .await;
    no_violations(client, "the overview (ar)").await;
    browser.close().await;
}

/// A Shopify orders export as the store writes it: the order's columns on
/// its first line, one more line per extra item.
const SHOPIFY_EXPORT: &str = "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Taxes,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Cancelled at,Refunded Amount,Id,Tags
#1001,ann@example.com,paid,2026-05-01 10:00:00 +0200,fulfilled,EUR,100.90,0.00,8.33,100.90,2026-05-01 09:59:00 +0200,1,Tent,62.95,TENT-2P,,,5551,backorder
#1001,,,,,,,,,,,1,Lamp,37.95,LAMP-01,,,5551,
#1002,ann@example.com,paid,2026-06-01 10:00:00 +0200,fulfilled,EUR,50.00,0.00,0.00,50.00,2026-06-01 09:00:00 +0200,1,Lamp,50.00,LAMP-01,,,5552,
#1003,bo@example.com,partially_refunded,2026-05-02 10:00:00 +0200,fulfilled,EUR,50.00,0.00,0.00,50.00,2026-05-02 09:00:00 +0200,1,Lamp,50.00,LAMP-01,,20.00,5553,
#1004,cy@example.com,voided,,,EUR,9.00,0.00,0.00,9.00,2026-05-03 09:00:00 +0200,1,Mug,9.00,MUG,2026-05-03 10:00:00 +0200,,5554,
";

async fn upload(admin: &AdminApi, query: &str, body: &str) -> (StatusCode, Value) {
    let response = e2e::http()
        .post(admin.url(&format!("/order-history?{query}")))
        .bearer_auth(admin.api_key())
        .header("Content-Type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .expect("answers");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stores_order_export_gives_the_figures_a_past_once_and_a_bad_file_gives_nothing() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, "history-shop").await;
    // Long enough after Ann's first order for its 90 days to be judged.
    let period = "/analytics?from=2026-04-01&to=2026-09-01";

    // A bad line is named; nothing of the file is kept.
    let bad = SHOPIFY_EXPORT.replace("2026-06-01 09:00:00 +0200", "June first");
    let (status, body) = upload(&admin, "format=shopify", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("line 4: Created at: not a date"), "{body}");
    assert_eq!(admin.get(period).await["orders"]["all"], 0);
    let (status, body) = upload(&admin, "format=magento", SHOPIFY_EXPORT).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = upload(&admin, "format=woocommerce", SHOPIFY_EXPORT).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a WooCommerce orders export"),
        "{body}"
    );

    // Imported twice: the same three sales (the voided one is none).
    for _ in 0..2 {
        let (status, body) = upload(&admin, "format=shopify", SHOPIFY_EXPORT).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"orders": 3, "with_backorder": 1, "not_sales": 1})
        );
    }
    let figures = admin.get(period).await;
    assert_eq!(figures["orders"]["all"], 3, "{figures}");
    assert_eq!(figures["orders"]["with_backorder"], 1);
    let customers = &figures["customers"];
    // Ann's first order was on backorder and she came back in 31 days;
    // Bo kept 30.00 of 50.00.
    assert_eq!(customers["backorder"]["customers"], 1, "{figures}");
    assert_eq!(customers["backorder"]["orders_per_customer"]["mean"], 2.0);
    assert_eq!(customers["backorder"]["back_within_90_days"]["share"], 1.0);
    assert_eq!(
        customers["backorder"]["revenue_per_customer_minor"]["mean"],
        15_090.0
    );
    assert_eq!(
        customers["others"]["revenue_per_customer_minor"]["mean"],
        3_000.0
    );
}

fn product<'a>(flags: &'a Value, sku: &str) -> &'a Value {
    flags["products"]
        .as_array()
        .and_then(|products| products.iter().find(|p| p["sku"] == sku))
        .unwrap_or(&Value::Null)
}

/// A product selling fast with a week of stock and an eight-week lead
/// time is flagged with its reasons; one with years of stock is not; a
/// supplier whose last deliveries came late is flagged slipping.
#[tokio::test(flavor = "multi_thread")]
async fn flags_name_the_product_about_to_run_out_and_the_supplier_that_slips() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, "flags-shop").await;
    let store = Store::connect(&admin).await;
    for sku in [TENT, LAMP] {
        admin
            .put_product_json(sku, &json!({"status": "in_stock"}))
            .await;
    }
    let (status, supply) = admin
        .put(
            &format!("/products/{TENT}/supply"),
            &json!({"supplier": "Ridge", "lead_time_days": 56}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{supply}");
    assert_eq!(supply, json!({"supplier": "Ridge", "lead_time_days": 56}));
    for (body, field) in [
        (json!({"supplier": "", "lead_time_days": 56}), "supplier"),
        (
            json!({"supplier": "Ridge", "lead_time_days": 0}),
            "lead_time_days",
        ),
    ] {
        let (status, answer) = admin.put(&format!("/products/{TENT}/supply"), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(&format!("{field}:")), "{answer}");
    }
    let (status, _) = admin
        .put(
            &format!("/products/{TENT}/supply"),
            &json!({"supplier": "Ridge", "color": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Ridge was on time, then its last four deliveries came late.
    let today = e2e::today();
    let day = |offset: i64| today.add_days(offset).expect("a date").to_string();
    let mut deliveries = Vec::new();
    for i in 0..6 {
        deliveries.push(json!({"supplier": "Ridge", "mode": "Ocean",
            "promised": day(-200 + i * 10), "received": day(-200 + i * 10)}));
    }
    for i in 0..4 {
        deliveries.push(json!({"supplier": "Ridge", "mode": "Ocean",
            "promised": day(-60 + i * 10), "received": day(-50 + i * 10)}));
    }
    let (status, answer) = admin
        .post("/deliveries", &json!({"deliveries": deliveries}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // The stores say what is on hand: the tent through a Standard
    // webhook, the lamp through WooCommerce, which manages its stock.
    let level = payloads::standard("stock.level", json!({"sku": TENT, "on_hand": 3}));
    assert_eq!(store.standard("msg_level", &level).await.status(), 200);
    let lamp = payloads::woocommerce_stocked_product(LAMP, 400);
    assert_eq!(
        store.woocommerce("product.updated", &lamp).await.status(),
        200
    );
    let bad = payloads::standard("stock.level", json!({"sku": TENT, "on_hand": "three"}));
    assert_eq!(
        store.standard("msg_bad_level", &bad).await.status(),
        StatusCode::BAD_REQUEST
    );

    // Eight customers bought two tents each this month; one bought a lamp.
    for n in 0..8 {
        let placed = payloads::standard(
            "order.placed",
            json!({"id": format!("F-{n}"), "currency": "EUR", "total": "398.00",
                   "lines": [{"sku": TENT, "quantity": 2, "unit_price": "199.00"}],
                   "customer": {"id": format!("c-{n}"), "email": format!("f{n}@example.com")}}),
        );
        assert_eq!(
            store.standard(&format!("msg_f{n}"), &placed).await.status(),
            200
        );
    }
    place(&store, "F-LAMP", "lamp@example.com", LAMP, "25.00").await;
    // A webhook delivered again sells nothing more.
    place(&store, "F-LAMP", "lamp@example.com", LAMP, "25.00").await;

    let flags = admin.get("/flags").await;
    let tent = product(&flags, TENT);
    assert_eq!(tent["flagged"], true, "{flags}");
    assert!(tent["probability"].as_f64().unwrap_or(0.0) >= 0.5, "{tent}");
    assert_eq!(tent["supplier"], "Ridge");
    assert_eq!(tent["signals"]["sold_1_month"], 16.0, "{tent}");
    assert_eq!(tent["signals"]["on_hand"], 3.0);
    assert_eq!(tent["signals"]["lead_time_weeks"], 8.0);
    // Half of Ridge's deliveries of the last 182 days were on time (four
    // of the six early ones fall inside), six of ten over the year.
    assert_eq!(tent["signals"]["supplier_on_time_6_months"], 0.5, "{tent}");
    assert_eq!(tent["signals"]["supplier_on_time_12_months"], 0.6, "{tent}");
    let first_reason = tent["reasons"][0]["signal"].as_str().unwrap_or_default();
    assert!(
        first_reason.contains("cover") || first_reason.contains("short"),
        "low cover leads the reasons: {tent}"
    );
    let lamp = product(&flags, LAMP);
    assert_eq!(lamp["flagged"], false, "{flags}");
    assert_eq!(
        lamp["signals"]["on_hand"], 400.0,
        "WooCommerce's stock: {lamp}"
    );
    assert_eq!(lamp["signals"]["sold_1_month"], 1.0, "sold once: {lamp}");
    assert_eq!(flags["products"][0]["sku"], TENT, "most likely first");
    assert_eq!(flags["model"]["trees"], 200);
    assert!(flags["model"]["held_out_roc_auc"].as_f64().unwrap_or(0.0) >= 0.94);

    let suppliers = admin.get("/suppliers").await;
    let ridge = &suppliers["suppliers"][0];
    assert_eq!(ridge["supplier"], "Ridge", "{suppliers}");
    assert_eq!(ridge["deliveries"], 10);
    assert_eq!(ridge["on_time"], 6);
    assert!(
        ridge["on_time_lower_95"].as_f64().unwrap_or(1.0) < 0.6,
        "{ridge}"
    );
    assert_eq!(ridge["slipping"]["late_of_last_ten"], 4, "{ridge}");
    assert_eq!(ridge["slipping"]["since"], day(-30).as_str(), "{ridge}");
    // All of Ridge's deliveries came by sea: one mode, the same record.
    assert_eq!(ridge["modes"][0]["mode"], "ocean", "{ridge}");
    assert_eq!(ridge["modes"][0]["deliveries"], 10);
    assert_eq!(ridge["modes"][0]["slipping"], ridge["slipping"]);

    // On backorder now: no longer a prediction.
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    let flags = admin.get("/flags").await;
    assert_eq!(product(&flags, TENT), &Value::Null, "{flags}");
    assert_eq!(flags["already_on_backorder"], json!([TENT]));
}

/// What the demo shows a newcomer: a year handed over by the store, then
/// the insights page, with a product about to run out and a slipping
/// supplier.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_back_office_shows_what_a_year_of_the_store_says() {
    const INSIGHTS_SHOP: &str = "insights-shop";
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, INSIGHTS_SHOP).await;
    admin
        .record_deliveries(INSIGHTS_SHOP, &e2e::shop::demo_history(e2e::today()))
        .await;
    let back_office = BackOffice::serve(
        e2e::free_port(),
        admin.clone(),
        "http://127.0.0.1:9/",
        json!({"status": "in_stock"}),
    )
    .await;
    let page = |method: reqwest::Method, path: &'static str| {
        let url = format!("{}{path}", back_office.url());
        async move {
            let response = e2e::http().request(method, url).send().await;
            response
                .expect("the back office answers")
                .text()
                .await
                .expect("text")
        }
    };
    let before = page(reqwest::Method::GET, "insights").await;
    assert!(!before.contains("LANTERN-01"), "{before}");
    let home = page(reqwest::Method::POST, "history").await;
    assert!(
        home.contains("handed over 900 past orders"),
        "the import's answer: {home}"
    );
    let page = page(reqwest::Method::GET, "insights").await;
    assert!(
        page.contains("<td>LANTERN-01</td>") && page.contains("likely to run out"),
        "{page}"
    );
    assert!(page.contains("<td>STOVE-01</td><td>0 %</td>"), "{page}");
    assert!(page.contains("<b>slipping</b> since"), "{page}");
    assert!(page.contains("backorder customers"), "{page}");
}
