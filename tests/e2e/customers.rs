//! The customer's side of an order and what must hold under load and
//! restarts: one choice wins among many at once, links cannot be forged,
//! a GET changes nothing, concurrent writes are all kept, actions reach the
//! merchant's endpoint signed and retried, and a restart loses nothing.

use e2e::admin::{AdminApi, choices_url};
use e2e::endpoint::Endpoint;
use e2e::payloads;
use e2e::store::Store;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use shared::estimate::Delivery;

use crate::{World, eventually, get_json};

const SHOP: &str = "customer-shop";
const TENT: &str = "TENT-2P";
const LAMP: &str = "LAMP-01";

/// A shop whose order `id` waits for the tent and has a delay offer open.
async fn slipped_order(admin: &AdminApi, store: &Store, id: &str) -> String {
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    admin
        .put_product_json(LAMP, &json!({"status": "in_stock"}))
        .await;
    let placed = payloads::standard(
        "order.placed",
        json!({"id": id, "currency": "EUR", "total": "234.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"},
                         {"sku": LAMP, "quantity": 2, "unit_price": "12.50"}],
               "customer": {"id": format!("c-{id}"), "email": "dee@example.com"}}),
    );
    let response = store.standard(&format!("msg_{id}"), &placed).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder",
                    "window": {"earliest": "2030-03-01", "latest": "2030-03-20"},
                    "delay": {"reason": "The ship was held at port.",
                              "fix": "We booked the first truck out."}}),
        )
        .await;
    assert_eq!(answer["orders_notified"], 1, "{answer}");
    let link = admin.customer_link(id).await;
    eventually("the delay offer", || async {
        let (_, view) = get_json(&link).await;
        (!view["offer"].is_null()).then_some(())
    })
    .await;
    link
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_choices_record_exactly_one() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let link = slipped_order(&admin, &store, "C-50").await;
    let (_, before) = get_json(&link).await;
    let options = [
        "keep_waiting",
        "ship_available_now",
        "store_credit",
        "cancel",
    ];
    let http = e2e::http();
    let url = choices_url(&link);
    let answers = futures_join_all((0..50).map(|index| {
        let (http, url) = (http.clone(), url.clone());
        let option = options[index % options.len()];
        async move {
            let response = http
                .post(&url)
                .json(&json!({"offer": 1, "choice": {"option": option}}))
                .send()
                .await
                .expect("answers");
            let status = response.status();
            let body: Value = response.json().await.expect("JSON");
            (option, status, body)
        }
    }))
    .await;
    let (_, after) = get_json(&link).await;
    let recorded = after["chosen"]["option"]
        .as_str()
        .expect("a choice is recorded")
        .to_owned();
    assert_eq!(
        after["seq"].as_u64(),
        before["seq"].as_u64().map(|seq| seq + 1),
        "exactly one choice changed the order"
    );
    for (option, status, body) in &answers {
        if *option == recorded {
            assert_eq!(*status, StatusCode::OK, "the same choice again: {body}");
            assert_eq!(body["chosen"]["option"], recorded.as_str());
        } else {
            assert_eq!(*status, StatusCode::CONFLICT, "{option}: {body}");
            assert_eq!(body["error"]["code"], "already_chosen");
            assert_eq!(body["error"]["chosen"]["option"], recorded.as_str());
        }
    }
    // One confirmation (or cancellation) email, not one per request.
    let confirmation = eventually("the confirmation email", || async {
        let outbox = admin.get("/outbox").await;
        let kinds: Vec<String> = outbox["emails"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .filter(|kind| kind == "choice_confirmed" || kind == "cancelled")
            .collect();
        (!kinds.is_empty()).then_some(kinds)
    })
    .await;
    // No pause to see whether a second one comes: every email is keyed
    // `{shop}/{order}/{seq}/{index}` by the event that made it, and the view
    // (published before any answer came back) shows that exactly one
    // choice was taken. So every email of this order must name a `seq` the
    // view accounts for, and the confirmation the choice's own.
    assert_eq!(confirmation.len(), 1, "{confirmation:?}");
    let outbox = admin.get("/outbox").await;
    let seq_of = |email: &Value| -> u64 {
        let key = email["key"].as_str().unwrap_or_default();
        key.split('/')
            .nth(2)
            .and_then(|seq| seq.parse().ok())
            .unwrap_or(u64::MAX)
    };
    let latest = after["seq"].as_u64().expect("a seq");
    let mut confirmations = 0;
    for email in outbox["emails"].as_array().expect("a list") {
        if email["order"] != "C-50" {
            continue;
        }
        assert!(
            seq_of(email) <= latest,
            "an email of no event the view shows: {email}"
        );
        if email["kind"] == "choice_confirmed" || email["kind"] == "cancelled" {
            assert_eq!(
                seq_of(email),
                latest,
                "the confirmation is the choice's: {email}"
            );
            confirmations += 1;
        }
    }
    assert_eq!(confirmations, 1);
}

/// `futures::future::join_all` without the dependency: spawn and await.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await.expect("the task ran"));
    }
    results
}

/// A link as a store theme computes it (README): Liquid's `hmac_sha256`
/// and PHP's `hash_hmac('sha256', …)` give this hex.
fn theme_token(secret: &str, shop: &str, order: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{shop}.{order}.{expires}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{expires}.{hex}")
}

#[tokio::test(flavor = "multi_thread")]
async fn links_open_one_order_until_they_expire_and_a_get_changes_nothing() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let link = slipped_order(&admin, &store, "L-1").await;
    let base = admin.url("/orders");
    let now = e2e::now_unix();

    // What a theme computes opens the order.
    let theme = theme_token(admin.link_secret(), SHOP, "L-1", now + 3600);
    let (status, first) = get_json(&format!("{base}/L-1?t={theme}")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, second) = get_json(&link).await;
    assert_eq!(first, second, "two reads, one state: a GET changes nothing");

    let other_shop = AdminApi::create_shop(&world.worker, "another-shop").await;
    let forged = [
        format!("{base}/L-1"),
        format!("{base}/L-1?t="),
        format!(
            "{base}/L-1?t={}",
            theme_token(admin.link_secret(), SHOP, "L-1", now - 1)
        ),
        format!(
            "{base}/L-1?t={}",
            theme_token("guessed", SHOP, "L-1", now + 3600)
        ),
        format!(
            "{base}/L-1?t={}",
            theme_token(other_shop.link_secret(), SHOP, "L-1", now + 3600)
        ),
        format!("{base}/L-2?t={theme}"),
        format!("{}/L-1?t={theme}", other_shop.url("/orders")),
        // The expiry moved a day later, the signature kept.
        format!(
            "{base}/L-1?t={}",
            theme.replacen(&(now + 3600).to_string(), &(now + 90_000).to_string(), 1)
        ),
    ];
    for url in &forged {
        let (status, body) = get_json(url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{url}: {body}");
        assert_eq!(body["error"]["code"], "invalid_link");
        let response = e2e::http()
            .post(choices_url(url))
            .json(&json!({"offer": 1, "choice": {"option": "cancel"}}))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{url}");
    }
    let (_, after) = get_json(&link).await;
    assert_eq!(after, first, "refused links changed nothing");

    // Bad choices are clear 4xx answers that change nothing.
    let url = choices_url(&link);
    for (body, status, code) in [
        // Issue 17: an offer never made was answered 409 `offer_closed`;
        // each refusal now reaches the customer as its own code.
        (
            json!({"offer": 9, "choice": {"option": "cancel"}}),
            404,
            "unknown_offer",
        ),
        (
            json!({"offer": 1, "choice": {"option": "switch_item", "sku": "SHELTER"}}),
            400,
            "not_offered",
        ),
        (
            json!({"offer": 1, "choice": {"option": "teleport"}}),
            400,
            "invalid_body",
        ),
        (json!({"offer": "one"}), 400, "invalid_body"),
    ] {
        let response = e2e::http()
            .post(&url)
            .json(&body)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), status, "{body}");
        let error: Value = response.json().await.expect("JSON");
        assert_eq!(error["error"]["code"], code, "{error}");
    }
    let (_, after) = get_json(&link).await;
    assert_eq!(after, first, "refused choices changed nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_delivery_batches_are_all_learnt() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let batches = 10;
    let per_batch: i64 = 40;
    let handles: Vec<_> = (0..batches)
        .map(|batch| {
            let admin = admin.clone();
            tokio::spawn(async move {
                let day = |n: i64| shared::Date::from_days_since_epoch(20_000 + n).expect("a date");
                let deliveries: Vec<Delivery> = (0..per_batch)
                    .map(|index| Delivery {
                        supplier: format!("Supplier {batch}"),
                        mode: "Ocean".into(),
                        promised: day(index),
                        received: day(index + 3),
                    })
                    .collect();
                admin.record_deliveries(SHOP, &deliveries).await
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("the batch was sent");
    }
    let history = admin.get("/deliveries").await;
    assert_eq!(
        history["deliveries_in_history"],
        json!(batches * per_batch),
        "every concurrent batch counts"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_reach_the_merchants_endpoint_signed_once_each_after_retries() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let endpoint = Endpoint::start(1);
    let secret = admin.set_endpoint(endpoint.url()).await;
    endpoint.trust(&secret);
    let summary = admin.get("").await;
    assert!(
        !summary.to_string().contains(&secret),
        "no read returns the signing secret"
    );
    let link = slipped_order(&admin, &store, "A-1").await;
    let response = e2e::http()
        .post(choices_url(&link))
        .json(&json!({"offer": 1, "choice": {"option": "store_credit"}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);

    let actions = eventually("every action done", || async {
        assert_eq!(
            endpoint.bad_signatures(),
            0,
            "a delivery failed verification"
        );
        let actions = admin.get("/actions").await;
        let list = actions["actions"].as_array().cloned().unwrap_or_default();
        (list.len() >= 4 && list.iter().all(|a| a["state"] == "done")).then_some(list)
    })
    .await;
    let kinds: Vec<&str> = actions
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "tag_order",
            "tag_customer",
            "cancel_lines",
            "issue_store_credit"
        ]
    );
    assert!(
        actions.iter().any(|a| a["attempts"] == 2),
        "the refused delivery was retried: {actions:?}"
    );
    let accepted = endpoint.accepted();
    let mut ids: Vec<&str> = accepted.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), accepted.len(), "each action once");
    assert_eq!(accepted.len(), 4);
    assert_eq!(endpoint.refused(), 1);
    assert_eq!(endpoint.bad_signatures(), 0);
    let credit = accepted
        .iter()
        .find(|r| r.body["type"] == "action.issue_store_credit")
        .expect("the store credit");
    assert_eq!(credit.body["data"]["order"], "A-1");
    assert_eq!(credit.body["data"]["action"]["value"]["minor"], 19_900);
    assert_eq!(credit.body["data"]["action"]["bonus"]["minor"], 1_990);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_loses_nothing() {
    let mut world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let link = slipped_order(&admin, &store, "R-1").await;
    // A stated window years over is not promised to a new order: the page
    // says "late, no new date", so the order is held to the 30 days of an
    // undated backorder (16 CFR 435.1(a)(1)) rather than cancelled at once.
    admin
        .put_product_json(
            "KETTLE",
            &json!({"status": "backorder", "window": {"earliest": "2020-01-01", "latest": "2020-01-02"}}),
        )
        .await;
    let placed = payloads::standard(
        "order.placed",
        json!({"id": "R-2", "currency": "EUR", "total": "40.00",
               "lines": [{"sku": "KETTLE", "quantity": 1, "unit_price": "40.00"}],
               "customer": {"id": "c-r2"}}),
    );
    assert_eq!(
        store.standard("msg_r2", &placed).await.status(),
        StatusCode::OK
    );
    let (_, before) = get_json(&link).await;

    world.restart().await;

    let (status, after) = get_json(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before, "the order's public status survived");
    let orders = admin.get("/orders").await;
    assert_eq!(orders["orders"].as_array().map(Vec::len), Some(2));
    let link_2 = admin.customer_link("R-2").await;
    let view = eventually("the undated order after the restart", || async {
        let (status, view) = get_json(&link_2).await;
        (status == StatusCode::OK).then_some(view)
    })
    .await;
    assert_eq!(view["stage"], "waiting", "{view}");
    let held_to = e2e::today().add_days(30).expect("a date").to_string();
    assert_eq!(view["window"]["latest"], held_to.as_str(), "{view}");
    // The open offer still takes a choice after the restart.
    let response = e2e::http()
        .post(choices_url(&link))
        .json(&json!({"offer": 1, "choice": {"option": "keep_waiting"}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let outbox = admin.get("/outbox").await;
    let kinds: Vec<&str> = outbox["emails"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["order"] == "R-1")
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    eventually("the confirmation after the restart", || async {
        let outbox = admin.get("/outbox").await;
        let confirmed = outbox["emails"]
            .as_array()
            .is_some_and(|list| list.iter().any(|e| e["kind"] == "choice_confirmed"));
        confirmed.then_some(())
    })
    .await;
    assert_eq!(kinds[..2], ["receipt", "delay_notice"]);
}
