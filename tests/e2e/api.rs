//! The edge's HTTP API, called the way a merchant's back office and the
//! widget call it. Bad input gets a clear 4xx JSON error and changes nothing.

use e2e::admin::AdminApi;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::World;

const SHOP: &str = "api-shop";

/// What a request is expected to get back.
struct Expect {
    status: StatusCode,
    code: &'static str,
    /// A piece of the message that tells the client what to fix.
    message_has: &'static str,
}

/// Sends a request and checks its status and JSON error body.
#[track_caller]
fn check<'a>(
    http: &'a Client,
    request: reqwest::RequestBuilder,
    expect: Expect,
) -> impl std::future::Future<Output = ()> + 'a {
    let caller = std::panic::Location::caller();
    let _ = http;
    async move {
        let response = request.send().await.expect("the edge answers");
        let status = response.status();
        let cors = response
            .headers()
            .get("access-control-allow-origin")
            .cloned();
        let text = response.text().await.expect("a body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{caller}: errors are JSON ({err}): {status} {text:?}"));
        assert_eq!(status, expect.status, "{caller}: {body}");
        assert_eq!(body["error"]["code"], expect.code, "{caller}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(expect.message_has),
            "{caller}: {message:?} lacks {:?}",
            expect.message_has
        );
        assert_eq!(
            cors.as_ref().map(|v| v.as_bytes()),
            Some(&b"*"[..]),
            "{caller}: CORS on errors"
        );
    }
}

const BACKORDER: &str =
    r#"{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"}}"#;

#[tokio::test(flavor = "multi_thread")]
async fn reads_are_public_and_unknown_products_are_404() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let url = admin.product_url(SHOP, "TENT-2P");

    check(
        &http,
        http.get(&url),
        Expect {
            status: StatusCode::NOT_FOUND,
            code: "unknown_product",
            message_has: "TENT-2P",
        },
    )
    .await;

    let setting = serde_json::from_str(BACKORDER).expect("valid");
    admin.set_product(SHOP, "TENT-2P", &setting).await;
    let response = http.get(&url).send().await.expect("answers");
    assert_public_and_cacheable(&response);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"sku": "TENT-2P", "availability": {"status": "backorder",
            "window": {"earliest": "2027-03-12", "latest": "2027-03-26"}}})
    );

    // Another shop does not see this shop's products.
    check(
        &http,
        http.get(admin.product_url("other-shop", "TENT-2P")),
        Expect {
            status: StatusCode::NOT_FOUND,
            code: "unknown_product",
            message_has: "TENT-2P",
        },
    )
    .await;

    let preflight = http
        .request(Method::OPTIONS, &url)
        .send()
        .await
        .expect("answers");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET, POST, OPTIONS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_writes_are_rejected_and_change_nothing() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let url = admin.product_url(SHOP, "TENT-2P");
    let token = admin.api_key();
    let put = |body: &str| http.put(&url).bearer_auth(token).body(body.to_owned());

    // A known good state that every bad write below must leave as it is.
    let original = serde_json::from_str(BACKORDER).expect("valid");
    admin.set_product(SHOP, "TENT-2P", &original).await;
    let before: Value = http
        .get(&url)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");

    let unavailable = r#"{"status":"unavailable"}"#;
    let unauthorized = || Expect {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message_has: "bearer token",
    };
    check(&http, http.put(&url).body(unavailable), unauthorized()).await;
    check(
        &http,
        http.put(&url).bearer_auth("wrong").body(unavailable),
        unauthorized(),
    )
    .await;
    check(
        &http,
        http.put(&url)
            .bearer_auth(format!("{token}x"))
            .body(unavailable),
        unauthorized(),
    )
    .await;
    check(
        &http,
        http.put(&url)
            .header("Authorization", token.to_owned())
            .body(unavailable),
        unauthorized(),
    )
    .await;

    let invalid = |message_has| Expect {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_body",
        message_has,
    };
    check(&http, put("{not json"), invalid("key must be a string")).await;
    check(
        &http,
        put(r#"{"status":"sold_out"}"#),
        invalid("unknown variant `sold_out`"),
    )
    .await;
    check(
        &http,
        put(
            r#"{"status":"backorder","supply":{"supplier":"Ridge","mode":"Ocean","promised_arrival":null,"handling_business_days":31}}"#,
        ),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "supply.handling_business_days must be at most 30",
        },
    )
    .await;
    check(
        &http,
        put(r#"{"status":"backorder","window":{"earliest":"2027-03-26","latest":"2027-03-12"}}"#),
        invalid("latest (2027-03-12) is before earliest (2027-03-26)"),
    )
    .await;
    check(
        &http,
        put(r#"{"status":"backorder","window":{"earliest":"2027-02-30","latest":"2027-03-12"}}"#),
        invalid("2027-02-30"),
    )
    .await;
    let long_reason = format!(
        r#"{{"status":"backorder","window":{{"earliest":"2027-03-12","latest":"2027-03-26"}},"reason":"{}"}}"#,
        "x".repeat(281)
    );
    check(
        &http,
        put(&long_reason),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "at most 280 characters",
        },
    )
    .await;
    check(
        &http,
        put(&" ".repeat(17 * 1024)),
        Expect {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "body_too_large",
            message_has: "16384 bytes",
        },
    )
    .await;
    check(
        &http,
        http.put(admin.product_url(SHOP, "TENT%202P"))
            .bearer_auth(token)
            .body(unavailable),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "sku",
        },
    )
    .await;
    check(
        &http,
        http.delete(&url).bearer_auth(token),
        Expect {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message_has: "not allowed",
        },
    )
    .await;

    let after: Value = http
        .get(&url)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        after, before,
        "a rejected write changed the stored availability"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn widget_files_are_served_with_their_types_and_cache_rules() {
    let world = World::start().await;
    let http = e2e::http();
    let base = world.worker.base_url();

    let loader = http
        .get(format!("{base}/widget/backorder.js"))
        .send()
        .await
        .expect("answers");
    assert_eq!(loader.status(), StatusCode::OK);
    let content_type = loader.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("text/javascript"),
        "{content_type}"
    );
    assert_eq!(loader.headers()["cache-control"], "public, max-age=300");
    let script = loader.text().await.expect("text");

    // The loader names the product module's glue and wasm (and the order
    // page's script) by their content hash, cached for a year.
    let named: Vec<&str> = script
        .split(['"', '\''])
        .filter(|part| part.starts_with("backorder-"))
        .collect();
    let glue_name = named
        .iter()
        .find(|name| name.starts_with("backorder-shelf-") && name.ends_with(".js"))
        .unwrap_or_else(|| panic!("the loader names the product glue: {named:?}"));
    for name in named.iter().filter(|name| name.ends_with(".js")) {
        let module = http
            .get(format!("{base}/widget/{name}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(module.status(), StatusCode::OK, "{name}");
        let content_type = module.headers()["content-type"].to_str().expect("ascii");
        assert!(
            content_type.starts_with("text/javascript"),
            "{name}: {content_type}"
        );
        assert_eq!(
            module.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{name}"
        );
        assert_eq!(
            module.headers()["access-control-allow-origin"],
            "*",
            "{name}"
        );
    }
    let glue = http
        .get(format!("{base}/widget/{glue_name}"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(
        glue.contains("instantiateStreaming"),
        "the product glue: {glue_name}"
    );
    let wasm_name = named
        .iter()
        .find(|name| name.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("the loader names the product wasm: {named:?}"));
    let wasm = http
        .get(format!("{base}/widget/{wasm_name}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(
        wasm.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.headers()["access-control-allow-origin"], "*");
    let bytes = wasm.bytes().await.expect("body");
    assert_eq!(&bytes[..4], b"\0asm", "a WebAssembly module");

    check(
        &http,
        http.get(format!("{base}/no/such/path")),
        Expect {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message_has: "no such resource",
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_records_are_validated_whole_before_any_is_learnt() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let url = admin.deliveries_url(SHOP);
    let token = admin.api_key();
    let good =
        r#"{"supplier":"Acme","mode":"Ocean","promised":"2026-10-01","received":"2026-10-04"}"#;
    let post = |body: String| http.post(&url).bearer_auth(token).body(body);

    let answer = admin
        .record_deliveries(SHOP, &[serde_json::from_str(good).expect("valid")])
        .await;
    assert_eq!(answer, json!({"recorded": 1, "deliveries_in_history": 1}));

    check(
        &http,
        http.post(&url)
            .body(format!(r#"{{"deliveries":[{good}]}}"#)),
        Expect {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message_has: "bearer token",
        },
    )
    .await;
    let bad_date =
        r#"{"supplier":"Acme","mode":"Ocean","promised":"2026-02-30","received":"2026-10-04"}"#;
    check(
        &http,
        post(format!(r#"{{"deliveries":[{good},{bad_date}]}}"#)),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_body",
            message_has: "deliveries[1]: invalid date \"2026-02-30\"",
        },
    )
    .await;
    let no_supplier =
        r#"{"supplier":" ","mode":"Ocean","promised":"2026-10-01","received":"2026-10-04"}"#;
    check(
        &http,
        post(format!(r#"{{"deliveries":[{good},{good},{no_supplier}]}}"#)),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_body",
            message_has: "deliveries[2]: supplier must be 1 to 100 characters",
        },
    )
    .await;
    check(
        &http,
        post(r#"{"deliveries":[]}"#.to_owned()),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "send 1 to 1000 records",
        },
    )
    .await;

    // None of the rejected batches' good records was learnt.
    let answer = admin
        .record_deliveries(SHOP, &[serde_json::from_str(good).expect("valid")])
        .await;
    assert_eq!(answer, json!({"recorded": 1, "deliveries_in_history": 2}));
}

#[tokio::test(flavor = "multi_thread")]
async fn each_shop_key_opens_only_its_own_shop_and_rotates() {
    let world = World::start().await;
    let mine = AdminApi::create_shop(&world.worker, "shop-a").await;
    let theirs = AdminApi::create_shop(&world.worker, "shop-b").await;
    let http = e2e::http();

    // The operator creates shops and can do nothing else; a shop exists once.
    let operator = world.worker.operator_token();
    let again = http
        .post(format!("{}/v1/shops", mine.base_url()))
        .bearer_auth(operator)
        .json(&json!({"shop": "shop-a"}));
    check(
        &http,
        again,
        Expect {
            status: StatusCode::CONFLICT,
            code: "shop_exists",
            message_has: "shop-a",
        },
    )
    .await;
    let unauthorized = || Expect {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message_has: "bearer token",
    };
    check(
        &http,
        http.get(mine.url("/orders")).bearer_auth(operator),
        unauthorized(),
    )
    .await;
    // Another shop's key opens nothing here.
    for path in ["", "/orders", "/outbox", "/actions", "/policy"] {
        check(
            &http,
            http.get(mine.url(path)).bearer_auth(theirs.api_key()),
            unauthorized(),
        )
        .await;
    }
    check(
        &http,
        http.put(mine.url("/products/TENT-2P"))
            .bearer_auth(theirs.api_key())
            .body(r#"{"status":"unavailable"}"#),
        unauthorized(),
    )
    .await;

    // No read returns a secret.
    mine.set_webhook_secret("shopify", "shpss_very_secret")
        .await;
    let summary = mine.get("").await.to_string();
    assert!(!summary.contains("shpss_very_secret"), "{summary}");
    assert!(!summary.contains(mine.api_key()), "{summary}");
    assert!(!summary.contains(mine.link_secret()), "{summary}");

    // Rotation: the new key works at once, the old one never again.
    let rotated: Value = http
        .post(mine.url("/api-key"))
        .bearer_auth(mine.api_key())
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let new_key = rotated["api_key"].as_str().expect("a new key");
    assert_ne!(new_key, mine.api_key());
    check(
        &http,
        http.get(mine.url("")).bearer_auth(mine.api_key()),
        unauthorized(),
    )
    .await;
    let status = http
        .get(mine.url(""))
        .bearer_auth(new_key)
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_is_validated_and_errors_name_the_field() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let put = |body: &str| {
        http.put(admin.url("/policy"))
            .bearer_auth(admin.api_key())
            .body(body.to_owned())
    };
    check(
        &http,
        put(r#"{"nurture_every_days": 3}"#),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "nurture_every_days",
        },
    )
    .await;
    check(
        &http,
        put(r#"{"nurture_every_dayz": 12}"#),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_body",
            message_has: "unknown field",
        },
    )
    .await;
    // An alternative's name is shown to customers: no direction overrides.
    check(
        &http,
        put(
            r#"{"alternatives": [{"for_sku": "TENT-2P", "sku": "TENT-3P", "name": "\u202eevil"}]}"#,
        ),
        Expect {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message_has: "alternatives.name",
        },
    )
    .await;
    // The merchant's order page: HTTPS, with the order and its token.
    for bad in [
        r#"{"order_page_url": "http://shop.example/orders/{order}?t={token}"}"#,
        r#"{"order_page_url": "https://shop.example/orders/{order}"}"#,
        r#"{"order_page_url": "https://shop.example/o/{order}?t={token}\" onload=\"x"}"#,
    ] {
        check(
            &http,
            put(bad),
            Expect {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_input",
                message_has: "order_page_url",
            },
        )
        .await;
    }
    let before = admin.get("/policy").await;
    assert_eq!(before["alternatives"], json!([]));
    assert!(before.get("order_page_url").is_none(), "{before}");
    assert_eq!(
        before["nurture_every_days"], 12,
        "unchanged by the bad writes"
    );
    let set = admin
        .set_policy(&json!({"nurture_every_days": 14, "locale": "it", "country": "IT"}))
        .await;
    assert_eq!(set["nurture_every_days"], 14);
    assert_eq!(admin.get("/policy").await["locale"], "it");
}

/// On 23 November 2026 a product page said "ships January 1 – 10, 2026":
/// a stated window that has passed now reads as late with no new date, one
/// that has begun starts today, and a reason that would turn the page's
/// words around (U+202E) is refused.
#[tokio::test(flavor = "multi_thread")]
async fn stated_windows_never_show_past_days_and_bidi_overrides_are_refused() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let today = e2e::today();
    let day = |offset: i64| today.add_days(offset).expect("a date").to_string();
    let read = |sku: &str| {
        let url = admin.product_url(SHOP, sku);
        async move { crate::get_json(&url).await.1["availability"].clone() }
    };

    admin
        .put_product_json(
            "PASSED",
            &json!({"status": "backorder", "window": {"earliest": day(-30), "latest": day(-20)}}),
        )
        .await;
    let passed = read("PASSED").await;
    assert_eq!(passed["status"], "backorder", "{passed}");
    assert!(passed["window"].is_null(), "no past days: {passed}");
    assert_eq!(passed["uncertain"], "overdue", "{passed}");

    admin
        .put_product_json(
            "BEGUN",
            &json!({"status": "backorder", "window": {"earliest": day(-3), "latest": day(5)}}),
        )
        .await;
    let begun = read("BEGUN").await;
    assert_eq!(begun["window"]["earliest"], day(0), "starts today: {begun}");
    assert_eq!(begun["window"]["latest"], day(5));

    let (status, body) = admin
        .put(
            "/products/SPOOF",
            &json!({"status": "backorder", "window": {"earliest": day(10), "latest": day(20)},
                    "reason": "Held at port \u{202E}tnemyap"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("bidi")),
        "{body}"
    );
    let (status, _) = crate::get_json(&admin.product_url(SHOP, "SPOOF")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");
}

/// A 200 any page may read (CORS `*`) and keep for a few seconds.
fn assert_public_and_cacheable(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let cache = response.headers()["cache-control"].to_str().expect("ascii");
    assert!(cache.contains("max-age="), "{cache}");
}

/// A page's products in one request: each as its own read gives it, unknown
/// SKUs listed, and a clear 400 for none or more than 50.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_reads_all_its_products_at_once() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let setting = serde_json::from_str(BACKORDER).expect("valid");
    admin.set_product(SHOP, "TENT-2P", &setting).await;
    admin
        .put_product_json("LAMP-01", &json!({"status": "in_stock"}))
        .await;
    let base = admin.base_url().to_owned();
    let many = |skus: &str| format!("{base}/v1/shops/{SHOP}/products?skus={skus}");

    let response = e2e::http()
        .get(many("TENT-2P,LAMP-01,NOPE,TENT-2P"))
        .send()
        .await
        .expect("answers");
    assert_public_and_cacheable(&response);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["unknown"], json!(["NOPE"]));
    let products = body["products"].as_array().expect("a list");
    assert_eq!(products.len(), 2, "each SKU once: {body}");
    for product in products {
        let sku = product["sku"].as_str().expect("a SKU");
        let (_, single) = crate::get_json(&admin.product_url(SHOP, sku)).await;
        assert_eq!(product, &single, "the same as its own read");
    }

    let fifty_one: Vec<String> = (0..51).map(|n| format!("SKU-{n}")).collect();
    for bad in ["", ",,", "bad%20sku", &fifty_one.join(",")] {
        let (status, body) = crate::get_json(&many(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{body}");
    }
}

/// An estimated window is worked out when the history changes, not on each
/// read, and reads see the new history at once: before any delivery the tent
/// is flagged as thin history; after the supplier's record it is not, and
/// the single and the batch read agree.
#[tokio::test(flavor = "multi_thread")]
async fn an_estimate_follows_the_history_as_soon_as_deliveries_are_recorded() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let promised = e2e::today().add_days(60).expect("in range");
    let (sku, setting) = e2e::shop::estimated_catalogue(promised)
        .into_iter()
        .find(|(sku, _)| *sku == e2e::shop::BACKORDER_SKU)
        .expect("the tent");
    admin.set_product(SHOP, sku, &setting).await;
    let single = admin.product_url(SHOP, sku);
    let batch = format!("{}/v1/shops/{SHOP}/products?skus={sku}", admin.base_url());

    let (_, before) = crate::get_json(&single).await;
    assert_eq!(
        before["availability"]["uncertain"], "thin_history",
        "{before}"
    );

    admin
        .record_deliveries(SHOP, &e2e::shop::demo_history(e2e::today()))
        .await;
    let (_, after) = crate::get_json(&single).await;
    let availability = &after["availability"];
    assert_eq!(availability["uncertain"], Value::Null, "{after}");
    assert_eq!(availability["confidence"], 80, "{after}");
    // Arrives 2 to 6 days late, ships 2 business days after.
    let earliest: shared::Date = availability["window"]["earliest"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("a window");
    // The earliest day is a late arrival (the interval's low end may sit a
    // day below the fastest slip seen) plus the 2 working days of handling:
    // in days, that depends on the weekday, so it is counted in both.
    let ships = |late: i64| {
        promised
            .add_days(late)
            .and_then(|arrived| arrived.add_working_days(2))
            .expect("in range")
    };
    assert!(
        ships(1) <= earliest && earliest <= ships(2),
        "the window starts {} days after a promise on weekday {}: {after}",
        promised.days_until(earliest),
        promised.weekday()
    );
    let (_, listed) = crate::get_json(&batch).await;
    assert_eq!(listed["products"][0], after, "the batch read agrees");
}

/// A supplier that had history enough but has not delivered for months is
/// said to have gone quiet, and its window is wider than the same record
/// would give fresh; a new delivery makes it trusted again.
#[tokio::test(flavor = "multi_thread")]
async fn a_supplier_gone_quiet_reads_as_stale_with_a_wider_window() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let today = e2e::today();
    let (sku, setting) = e2e::shop::estimated_catalogue(today.add_days(30).expect("in range"))
        .into_iter()
        .find(|(sku, _)| *sku == e2e::shop::BACKORDER_SKU)
        .expect("the tent");
    admin.set_product(SHOP, sku, &setting).await;
    let single = admin.product_url(SHOP, sku);
    let width = |body: &Value| {
        let day = |end: &str| {
            body["availability"]["window"][end]
                .as_str()
                .and_then(|text| text.parse::<shared::Date>().ok())
                .unwrap_or_else(|| panic!("a window: {body}"))
        };
        day("earliest").days_until(day("latest"))
    };

    // The same thirty deliveries, the last of them seven months ago.
    let months_ago = today.add_days(-210).expect("in range");
    admin
        .record_deliveries(SHOP, &e2e::shop::demo_history(months_ago))
        .await;
    let (_, quiet) = crate::get_json(&single).await;
    assert_eq!(
        quiet["availability"]["uncertain"], "stale_history",
        "{quiet}"
    );

    admin
        .record_deliveries(SHOP, &e2e::shop::demo_history(today))
        .await;
    let (_, fresh) = crate::get_json(&single).await;
    assert_eq!(fresh["availability"]["uncertain"], Value::Null, "{fresh}");
    assert!(
        width(&quiet) > width(&fresh),
        "stale {quiet} against fresh {fresh}"
    );
}

/// As deployed, a product record read from KV is served from the worker's
/// memory for `PRODUCT_CACHE_MS` (here 1.5 s): a change shows once that has
/// passed, for the single and the batch read alike, and never later.
#[tokio::test(flavor = "multi_thread")]
async fn a_product_read_is_kept_in_memory_only_for_its_cache_lifetime() {
    let world = World::start_with(vec![("PRODUCT_CACHE_MS".into(), "1500".into())]).await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    admin
        .put_product_json("LAMP-01", &json!({"status": "in_stock"}))
        .await;
    let single = admin.product_url(SHOP, "LAMP-01");
    let batch = format!("{}/v1/shops/{SHOP}/products?skus=LAMP-01", admin.base_url());
    let status = |body: &Value| body["availability"]["status"].clone();
    assert_eq!(status(&crate::get_json(&single).await.1), "in_stock");
    assert_eq!(
        status(&crate::get_json(&batch).await.1["products"][0]),
        "in_stock"
    );

    let changed = std::time::Instant::now();
    admin
        .put_product_json("LAMP-01", &json!({"status": "unavailable"}))
        .await;
    let (_, cached) = crate::get_json(&single).await;
    if changed.elapsed() < std::time::Duration::from_millis(1200) {
        assert_eq!(status(&cached), "in_stock", "served from memory: {cached}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(status(&crate::get_json(&single).await.1), "unavailable");
    assert_eq!(
        status(&crate::get_json(&batch).await.1["products"][0]),
        "unavailable"
    );
}

/// The worker's own calls between its parts (`edge/src/calls/`) need no key
/// because nothing from outside reaches them: only `/v1/shops/{shop}/…`
/// goes to a shop's object, nothing to an order's. Tried here from outside,
/// at the root and under a shop, with and without the shop's key.
#[tokio::test(flavor = "multi_thread")]
async fn internal_routes_are_not_reachable_from_outside() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let base = admin.base_url().to_owned();
    let create = json!({"shop": "sneaky", "api_key_hash": "00", "link_secret": "00"});
    let internal = [
        "/internal/create",
        "/internal/index",
        "/internal/emails/claim",
        "/internal/emails/report",
        "/internal/actions/claim",
        "/internal/actions/result",
        "/internal/dead-letters",
        "/internal/apply",
        "/internal/live",
    ];
    for path in internal {
        check(
            &http,
            http.post(format!("{base}{path}")).json(&create),
            Expect {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message_has: "",
            },
        )
        .await;
        let under_shop = format!("{base}/v1/shops/{SHOP}{path}");
        check(
            &http,
            http.post(&under_shop).json(&create),
            Expect {
                status: StatusCode::UNAUTHORIZED,
                code: "unauthorized",
                message_has: "",
            },
        )
        .await;
        check(
            &http,
            http.post(&under_shop)
                .bearer_auth(admin.api_key())
                .json(&create),
            Expect {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message_has: "",
            },
        )
        .await;
    }
    // Nothing was created: the operator can still create "sneaky", and its
    // key is the one the operator was given.
    let sneaky = AdminApi::create_shop(&world.worker, "sneaky").await;
    let summary = sneaky.get("").await;
    assert_eq!(summary["shop"], "sneaky", "{summary}");
}
