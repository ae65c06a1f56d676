//! The live-update benchmark: how long after a store's webhook an open order
//! page shows the change, without a reload. One order on the demo shop, its
//! page open in headless Chromium; ROUNDS times, a signed Standard Webhook
//! moves the tent's window (later, then back earlier), and the page's own
//! clock notes when its shadow root changed (a MutationObserver), against
//! the moment before the webhook was sent. Then the same with WebSockets
//! unavailable to the page (it polls every 10 s), for POLL_ROUNDS rounds.
//!
//! `scripts/bench-live [ROUNDS] [POLL_ROUNDS]` (default 30 and 4), after
//! `scripts/build`. Everything runs locally; loopback only.

#![allow(clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::shop::ShopServer;
use e2e::store::Store;
use e2e::worker::{EdgeWorker, WorkerLog};
use e2e::{cdp, payloads};
use fantoccini::Client;
use serde_json::{Value, json};

const SHOP: &str = "demo-shop";
const TENT: &str = "TENT-2P";

/// Starts noting, in the page's clock (ms since the epoch), every change to
/// the order's shadow root; the host's root is the widget's.
const OBSERVE: &str = "
    window.changes = [];
    const root = document.querySelector('[data-backorder-order]').shadowRoot;
    new MutationObserver(() => window.changes.push(Date.now()))
        .observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    return true;";

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

async fn shown(client: &Client) -> bool {
    client
        .execute(
            "const h = document.querySelector('[data-backorder-order]');\
             return !!(h && h.shadowRoot && h.shadowRoot.querySelector('.steps'));",
            vec![],
        )
        .await
        .expect("runs")
        == Value::Bool(true)
}

/// Sends the window change and waits for the page to change; the delay in
/// ms from before the send to the page's first change after it.
async fn one_round(client: &Client, store: &Store, round: usize, timeout: Duration) -> f64 {
    client
        .execute("window.changes = []; return true;", vec![])
        .await
        .expect("runs");
    let latest = if round.is_multiple_of(2) {
        "2030-03-20"
    } else {
        "2030-02-14"
    };
    let news = payloads::standard(
        "window.changed",
        json!({"sku": TENT, "window": {"earliest": "2030-02-01", "latest": latest},
               "reason": "The supplier moved the ship date.", "fix": "We will write as it moves."}),
    );
    let sent = now_ms();
    let response = store
        .standard(&format!("msg_live_{round}_{sent}"), &news)
        .await;
    assert!(response.status().is_success(), "the webhook was refused");
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let first = client
            .execute(
                "return window.changes.length ? window.changes[0] : null;",
                vec![],
            )
            .await
            .expect("runs");
        if let Some(at) = first.as_f64() {
            return at - sent;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "round {round}: the page never changed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn phase(client: &Client, store: &Store, rounds: usize, timeout: Duration, name: &str) {
    client.execute(OBSERVE, vec![]).await.expect("observes");
    let mut delays = Vec::new();
    for round in 0..rounds {
        let delay = one_round(client, store, round, timeout).await;
        delays.push(delay);
        // Let the page settle (the pop-up's drawing) before the next round.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut sorted = delays.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{name}: {rounds} updates, webhook sent → order page changed: median {:.0} ms, p95 {:.0} ms, max {:.0} ms (min {:.0})",
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.95),
        sorted.last().copied().unwrap_or(f64::NAN),
        sorted.first().copied().unwrap_or(f64::NAN),
    );
}

/// A fresh browser with the order page open and drawn; without WebSockets
/// unless `sockets`.
async fn open(url: &str, sockets: bool) -> Browser {
    let browser = Browser::start().await;
    if !sockets {
        cdp::without_websockets(&browser.client).await;
    }
    browser.client.goto(url).await.expect("the page opens");
    while !shown(&browser.client).await {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args
        .next()
        .map_or(30, |n| n.parse().expect("ROUNDS is a number"));
    let poll_rounds: usize = args
        .next()
        .map_or(4, |n| n.parse().expect("POLL_ROUNDS is a number"));
    let state = tempfile::tempdir().expect("a temporary folder");
    let (worker, _) =
        EdgeWorker::start_on_free_port_with(state.path(), "bench", WorkerLog::Quiet, &[]).await;
    let admin = AdminApi::create_shop(&worker, SHOP).await;
    let store = Store::connect(&admin).await;
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    let order = payloads::standard(
        "order.placed",
        json!({"id": "LIVE-1", "currency": "EUR", "total": "189.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "189.00"}],
               "customer": {"id": "c-live", "email": "live@example.com"}}),
    );
    assert!(
        store
            .standard("msg_live_place", &order)
            .await
            .status()
            .is_success()
    );
    let token = admin.customer_token("LIVE-1").await;
    let shop = ShopServer::serve(e2e::free_port(), worker.base_url());
    let url = format!("{}orders/LIVE-1?t={token}", shop.url());

    println!("live updates: one order page open in headless Chromium, local workerd");
    let browser = open(&url, true).await;
    phase(
        &browser.client,
        &store,
        rounds,
        Duration::from_secs(10),
        "WebSocket",
    )
    .await;
    browser.close().await;
    if poll_rounds > 0 {
        let browser = open(&url, false).await;
        let name = "polling (no WebSocket)";
        phase(
            &browser.client,
            &store,
            poll_rounds,
            Duration::from_secs(30),
            name,
        )
        .await;
        browser.close().await;
    }
    drop((shop, worker));
}
