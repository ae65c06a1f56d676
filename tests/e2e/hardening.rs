//! What a merchant's security reviewer tried from outside (issue 18), each
//! point as the reviewer saw it: ids that are steps in a path, Shopify's
//! newer header names, lenient input, invisible characters in merchant
//! texts, and templates that would never finish.

use e2e::admin::AdminApi;
use e2e::payloads;
use e2e::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{World, get_json};

const SHOP: &str = "reviewed-shop";

/// The reviewed shop, its store connected, its tent on backorder.
async fn tent_shop(world: &World) -> (AdminApi, Store) {
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    admin
        .put_product_json(
            "TENT-2P",
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    (admin, store)
}

/// A 400 whose message names `needle` (the field, or the rule broken).
#[track_caller]
fn assert_refused(status: StatusCode, body: &Value, needle: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(needle)),
        "expected a message naming {needle:?}: {body}"
    );
}

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `.` and `..` are steps in a URL's path: a shop by that name was created
/// (with keys) and then unreachable. Now it is refused, with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn shop_ids_of_dots_alone_are_refused() {
    let world = World::start().await;
    let http = e2e::http();
    for shop in [".", "..", "..."] {
        let (status, body) = error_of(
            http.post(format!("{}/v1/shops", world.worker.base_url()))
                .bearer_auth(world.worker.operator_token())
                .json(&json!({ "shop": shop }))
                .send()
                .await
                .expect("the edge answers"),
        )
        .await;
        assert_refused(status, &body, "dots");
        assert!(body.get("api_key").is_none(), "no key for {shop}");
    }
}

/// Shopify's newer event deliveries name their headers in lower case and
/// without `X-`; they were refused as unsigned.
#[tokio::test(flavor = "multi_thread")]
async fn shopify_deliveries_with_the_newer_header_names_are_taken() {
    let world = World::start().await;
    let (admin, store) = tent_shop(&world).await;
    let body = payloads::shopify_order(4_001, &[(Some("TENT-2P"), 1, "199.00")], "kim@example.com");
    let response = store.shopify_event("orders/create", &body).await;
    let (status, answer) = error_of(response).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let orders = admin.get("/orders").await;
    assert_eq!(orders["orders"][0]["order"], "4001", "{orders}");

    // Still checked: the same names with a wrong signature are refused.
    let forged = e2e::http()
        .post(store.url("shopify"))
        .header("shopify-topic", "orders/create")
        .header("shopify-hmac-sha256", "AAAA")
        .body(body)
        .send()
        .await
        .expect("the edge answers");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn lenient_input_is_refused_and_what_the_standards_allow_is_taken() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    admin
        .put_product_json("LAMP", &json!({"status": "in_stock"}))
        .await;

    // A field given twice: refused, not "the last one wins".
    let (status, body) = error_of(
        http.put(admin.url("/products/LAMP"))
            .bearer_auth(admin.api_key())
            .header("content-type", "application/json")
            .body(r#"{"status":"backorder","status":"in_stock"}"#)
            .send()
            .await
            .expect("the edge answers"),
    )
    .await;
    assert_refused(status, &body, "`status` is given twice");
    let (_, product) = get_json(&admin.product_url(SHOP, "LAMP")).await;
    assert_eq!(product["availability"]["status"], "in_stock", "unchanged");

    // The scheme of `Authorization` is case-insensitive.
    let lower = http
        .get(admin.url("/orders"))
        .header("authorization", format!("bearer {}", admin.api_key()))
        .send()
        .await
        .expect("the edge answers");
    assert_eq!(lower.status(), StatusCode::OK);

    // HEAD answers as GET does, without a body, on a customer's page too.
    let link = {
        let store = Store::connect(&admin).await;
        admin
            .put_product_json(
                "TENT-2P",
                &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
            )
            .await;
        let body =
            payloads::shopify_order(4_002, &[(Some("TENT-2P"), 1, "199.00")], "lu@example.com");
        assert_eq!(store.shopify("orders/create", &body).await.status(), 200);
        admin.customer_link("4002").await
    };
    for url in [link.clone(), admin.product_url(SHOP, "LAMP")] {
        let head = http.head(&url).send().await.expect("the edge answers");
        assert_eq!(head.status(), StatusCode::OK, "{url}");
        assert!(head.bytes().await.expect("a body").is_empty());
    }

    // WooCommerce's ping to a shop that does not exist is not answered 200
    // (its admin then shows the mistake).
    let ping = |shop: &str| {
        http.post(format!(
            "{}/v1/shops/{shop}/webhooks/woocommerce",
            world.worker.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=12")
        .send()
    };
    let known = ping(SHOP).await.expect("the edge answers");
    assert_eq!(known.status(), StatusCode::OK);
    let unknown = ping("no-such-shop").await.expect("the edge answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// One rule for every text a merchant writes for shoppers: no bidi
/// controls (U+200E, U+200F, U+202E …), line separators or zero-width
/// characters.
#[tokio::test(flavor = "multi_thread")]
async fn merchant_texts_hold_no_invisible_characters() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let hidden = [
        "\u{202E}", "\u{200E}", "\u{200F}", "\u{2028}", "\u{200D}", "\u{200B}",
    ];
    for ch in hidden {
        let name = format!("Tent{ch}Co");
        let (status, body) = admin
            .put(
                "/mail",
                &json!({"provider": "outbox", "from_email": "orders@tents.example", "from_name": name}),
            )
            .await;
        assert_refused(status, &body, "from_name");

        let (status, body) = admin
            .put(
                "/products/SPOOF",
                &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"},
                        "reason": format!("Held{ch}at port")}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "reason {ch:?}: {body}");

        let (status, body) = admin
            .put(
                "/banner",
                &json!({"messages": {"en": format!("Late{ch}orders")}, "ends_on": "2030-01-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "banner {ch:?}: {body}");
    }
    let mail = admin.get("/mail").await;
    assert_eq!(mail["provider"], "outbox", "nothing was stored: {mail}");
    let (status, _) = get_json(&admin.product_url(SHOP, "SPOOF")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");
    // Words in any script still pass.
    let (status, body) = admin
        .put(
            "/mail",
            &json!({"provider": "outbox", "from_email": "orders@tents.example", "from_name": "خيام وشركاه"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A template is bounded in the work it may make the worker do: two nested
/// loops of 100,000 kept the worker from answering anyone for minutes.
#[tokio::test(flavor = "multi_thread")]
async fn a_template_that_would_never_finish_is_refused_and_ours_stay_well_within_budget() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let endless = "{% block subject %}x{% endblock %}{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}";
    let long = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}";
    let debug = "{{ debug() }}";
    for (name, source) in [
        ("processed.txt", endless),
        ("processed.html", long),
        ("processed.html", debug),
    ] {
        let (status, body) = admin
            .put(
                &format!("/templates/en/{name}"),
                &json!({ "source": source }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{source}: {body}");
        let view = admin.get(&format!("/templates/en/{name}")).await;
        assert_eq!(view["overridden"], false, "nothing stored: {view}");
    }
    let (_, body) = admin
        .put("/templates/en/processed.txt", &json!({ "source": endless }))
        .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("more work than")),
        "{body}"
    );
    // The worker answers everyone else meanwhile and after.
    let health = http
        .get(format!("{}/health", world.worker.base_url()))
        .send()
        .await
        .expect("the edge answers");
    assert_eq!(health.status(), StatusCode::OK);

    // Every email we ship, in every language, uses at most a tenth of it.
    for kind in [
        "receipt",
        "restocked",
        "processed",
        "shipped",
        "follow_up",
        "win_back",
        "nurture",
        "delay_notice",
        "choice_confirmed",
        "cancelled",
    ] {
        for locale in ["en", "it", "ar"] {
            let preview = admin
                .get(&format!("/emails/preview?kind={kind}&locale={locale}"))
                .await;
            let used = preview["fuel"]["used"].as_u64().expect("fuel used");
            let budget = preview["fuel"]["budget"].as_u64().expect("a budget");
            assert!(
                used > 0 && used * 10 <= budget,
                "{kind}/{locale}: {used} of {budget}"
            );
        }
    }
}

/// Actions carry refunds and the customer's order: they go over https
/// (plain http only to this machine, for development).
#[tokio::test(flavor = "multi_thread")]
async fn an_action_endpoint_must_be_https() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let (status, body) = admin
        .put(
            "/endpoint",
            &json!({"url": "http://backoffice.example/hook"}),
        )
        .await;
    assert_refused(status, &body, "https");
    let (status, body) = admin
        .put(
            "/endpoint",
            &json!({"url": "https://backoffice.example/hook"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["signing_secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
}

/// A product with supply facts and a history of one delivery was served as
/// a one-day window marked `thin_history`: the words said uncertain, the
/// range claimed precision. Now a thin history's window spans two weeks at
/// least.
#[tokio::test(flavor = "multi_thread")]
async fn a_thin_history_never_claims_a_one_day_window() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let promised = e2e::today().add_days(30).expect("a date");
    admin
        .put_product_json(
            "TENT-2P",
            &json!({"status": "backorder", "supply": {"supplier": "Ridge", "mode": "Ocean",
                    "promised_arrival": promised.to_string(), "handling_business_days": 2}}),
        )
        .await;
    let (_, product) = get_json(&admin.product_url(SHOP, "TENT-2P")).await;
    let availability = &product["availability"];
    assert_eq!(availability["uncertain"], "thin_history", "{product}");
    let (earliest, latest) = (
        availability["window"]["earliest"]
            .as_str()
            .and_then(|d| d.parse::<shared::Date>().ok())
            .expect("an earliest day"),
        availability["window"]["latest"]
            .as_str()
            .and_then(|d| d.parse::<shared::Date>().ok())
            .expect("a latest day"),
    );
    assert!(earliest.days_until(latest) >= 14, "{availability}");
}

/// Rotating the link secret broke every link already emailed. Now the old
/// one's links keep opening for a grace period the answer states (30 days
/// unless said), and a rotation with no grace ends them at once.
#[tokio::test(flavor = "multi_thread")]
async fn links_signed_before_a_rotation_open_for_the_grace_the_merchant_sees() {
    let world = World::start().await;
    let (admin, store) = tent_shop(&world).await;
    let body = payloads::shopify_order(4_003, &[(Some("TENT-2P"), 1, "199.00")], "mo@example.com");
    assert_eq!(store.shopify("orders/create", &body).await.status(), 200);
    let before = admin.customer_link("4003").await;
    let rotate = |grace: Option<u8>| {
        let request = e2e::http()
            .post(admin.url("/link-secret"))
            .bearer_auth(admin.api_key());
        let request = match grace {
            Some(days) => request.json(&json!({ "grace_days": days })),
            None => request,
        };
        async move {
            let response = request.send().await.expect("the edge answers");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("JSON")
        }
    };
    let rotated = rotate(None).await;
    let until = rotated["previous_valid_until"]
        .as_i64()
        .expect("until when");
    let thirty_days = e2e::now_unix() + 30 * 86_400;
    assert!((until - thirty_days).abs() < 120, "{rotated}");
    let (status, view) = get_json(&before).await;
    assert_eq!(status, StatusCode::OK, "still opens in the grace: {view}");

    // A link made now (with the new secret), then a rotation with no grace:
    // neither the first link nor this one opens any more.
    let between = admin.customer_link("4003").await;
    let ended = rotate(Some(0)).await;
    assert!(ended["previous_valid_until"].as_i64() <= Some(e2e::now_unix() + 1));
    for link in [&before, &between] {
        let (status, _) = get_json(link).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{link}");
    }
    let (status, body) = error_of(
        e2e::http()
            .post(admin.url("/link-secret"))
            .bearer_auth(admin.api_key())
            .json(&json!({ "grace_days": 91 }))
            .send()
            .await
            .expect("the edge answers"),
    )
    .await;
    assert_refused(status, &body, "grace_days");
}
