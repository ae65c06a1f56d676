//! The support desk's benchmark: a shop with N backorder orders (placed
//! through its import, as real order objects), then what the console asks
//! the edge, each timed on loopback (best and median of several): the first
//! page of the order list, a stage filter, "needs a decision", a page deep
//! in the list (through its cursor), a search by a customer's email, one
//! order as support sees it, and the lookup a help desk calls. Then the
//! console in headless Chromium: the time from navigation to the first page
//! of orders in the DOM, signing in with one click and with a session
//! already open.
//!
//! `cargo run --release -p e2e --bin bench_desk -- [N]` (default 20,000;
//! 100,000 took 28 minutes to place on 2 cores), after `scripts/build`.

#![allow(clippy::expect_used, clippy::panic)]

use std::time::Instant;

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::{Value, json};

const SHOP: &str = "desk-bench";
const SKU: &str = "TENT-2P";
const READS: usize = 7;
/// The orders placed between two restarts of the local worker.
const ORDERS_PER_RUN: usize = 3_000;

/// Asks `rest` READS times; prints the best and the median and returns the
/// last answer.
async fn timed(admin: &AdminApi, label: &str, rest: &str) -> Value {
    let mut times = Vec::with_capacity(READS);
    let mut last = Value::Null;
    for _ in 0..READS {
        let asked = Instant::now();
        last = admin.get(rest).await;
        times.push(asked.elapsed());
    }
    times.sort();
    println!(
        "  {label:<38} {:>7.1} ms best, {:.1} ms median of {READS}",
        times[0].as_secs_f64() * 1e3,
        times[READS / 2].as_secs_f64() * 1e3
    );
    last
}

/// Milliseconds from the console's navigation to its first row of orders.
async fn first_rows(browser: &Browser, url: &str) -> f64 {
    let client = &browser.client;
    client.goto(url).await.expect("the console loads");
    let at = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const shown = () => document.querySelector('table.orders tr[data-order]');\
             if (shown()) { done(performance.now()); return; }\
             new MutationObserver((_, o) => { if (shown()) { o.disconnect();\
               requestAnimationFrame(() => done(performance.now())); } })\
               .observe(document.body, { childList: true, subtree: true });",
            vec![],
        )
        .await
        .expect("the list shows");
    at.as_f64().expect("a time")
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .map_or(20_000, |n| n.parse().expect("N is a number of orders"));
    let state = tempfile::tempdir().expect("a temporary folder");
    let (mut worker, port) =
        EdgeWorker::start_on_free_port(state.path(), "bench", WorkerLog::Quiet).await;
    let admin = AdminApi::create_shop(&worker, SHOP).await;
    let earliest = e2e::today().add_days(20).expect("a date");
    let latest = e2e::today().add_days(34).expect("a date");
    admin
        .put_product_json(
            SKU,
            &json!({"status": "backorder",
                    "window": {"earliest": earliest.to_string(), "latest": latest.to_string()}}),
        )
        .await;
    // Locally, workerd keeps every order's object open (up to four files each) until
    // it stops, and this machine allows 20,000 open files: the orders go in
    // by chunks, with the worker restarted on the same state between them
    // (in production idle objects are evicted). The restarts are not timed.
    let mut placed = std::time::Duration::ZERO;
    let mut start = 0;
    while start < orders {
        let end = orders.min(start + ORDERS_PER_RUN);
        if start > 0 {
            worker.stop();
            worker = EdgeWorker::start(port, state.path(), "bench", WorkerLog::Quiet).await;
        }
        let started = Instant::now();
        e2e::bench::import_order_range(&admin, start..end, SKU).await;
        placed += started.elapsed();
        start = end;
    }
    println!("support desk with {orders} backorder orders in one shop:");
    println!(
        "  placing them (import)                  {:>7.1} s  ({:.0} orders/s)",
        placed.as_secs_f64(),
        orders as f64 / placed.as_secs_f64()
    );

    let first = timed(&admin, "GET …/orders (first 50)", "/orders?limit=50").await;
    assert_eq!(
        first["total"].as_u64(),
        Some(orders as u64),
        "every order listed: {}",
        first["total"]
    );
    timed(
        &admin,
        "GET …/orders?stage=waiting",
        "/orders?limit=50&stage=waiting",
    )
    .await;
    timed(
        &admin,
        "GET …/orders?needs_decision=true",
        "/orders?limit=50&needs_decision=true",
    )
    .await;
    // Ten pages in, through the cursors the console follows.
    let mut after = first["next"].as_str().map(str::to_owned);
    for _ in 0..9 {
        let cursor = after.expect("a next page");
        let page = admin.get(&format!("/orders?limit=50&after={cursor}")).await;
        after = page["next"].as_str().map(str::to_owned);
    }
    let cursor = after.expect("an eleventh page");
    timed(
        &admin,
        "GET …/orders (page 11, by cursor)",
        &format!("/orders?limit=50&after={cursor}"),
    )
    .await;
    let wanted = orders / 2;
    let found = timed(
        &admin,
        "GET …/orders?q=<email>",
        &format!("/orders?q=c{wanted}@example.com"),
    )
    .await;
    assert_eq!(
        found["orders"][0]["order"],
        format!("B-{wanted}"),
        "{found}"
    );
    timed(
        &admin,
        "GET …/orders/{id}/support",
        &format!("/orders/B-{wanted}/support"),
    )
    .await;
    let lookup = timed(
        &admin,
        "GET …/support/lookup?email=",
        &format!("/support/lookup?email=c{wanted}@example.com"),
    )
    .await;
    assert!(
        lookup["orders"].as_array().is_some_and(|o| o.len() == 1),
        "{lookup}"
    );

    // The console: a fresh browser signs in with one click, then reloads
    // with its session; each from a fresh navigation.
    let browser = Browser::start().await;
    let console = format!("{}/console/?shop={SHOP}&lang=en", worker.base_url());
    let signing_in = first_rows(&browser, &format!("{console}#signin={}", admin.api_key())).await;
    let mut with_session = Vec::new();
    for _ in 0..3 {
        with_session.push(first_rows(&browser, &format!("{console}#/orders")).await);
    }
    with_session.sort_by(f64::total_cmp);
    println!(
        "  console: navigation to first orders    {signing_in:>7.0} ms signing in (a cold cache)"
    );
    println!(
        "  console: the same with a session       {:>7.0} ms best, {:.0} ms median of 3",
        with_session[0], with_session[1]
    );
    browser.close().await;
    drop(worker);
}
