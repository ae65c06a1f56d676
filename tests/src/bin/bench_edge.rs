//! The edge read benchmark: the widget's product reads on the edge against a
//! plain JavaScript worker doing the same KV reads (`tests/bench/js-peer`),
//! both in workerd through `wrangler dev` with the same configuration
//! (compatibility date, KV binding, `[assets]`), and the edge once more
//! without its isolate cache. Each is loaded in turn, A B C C B A, by wrk on
//! loopback, for a product with a stated window, one
//! estimated from the shop's history, and the demo page's batch read of
//! three SKUs. Prints throughput, p50 and p99 of each and the edge's ratios,
//! then where the same-config peer stands against one without `[assets]`.
//!
//! `scripts/bench-edge [SECONDS]` (default 5 s a run), after `scripts/build`.

#![allow(clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use e2e::admin::AdminApi;
use e2e::shop::{self, BACKORDER_SKU, IN_STOCK_SKU, UNAVAILABLE_SKU};
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::Value;
use shared::estimate::{DeliveryHistory, SupplyFacts};
use shared::{ProductSetting, Sku, StoredProduct};

const SHOP: &str = "bench-shop";
/// A product whose window is estimated from the shop's history.
const ESTIMATED_SKU: &str = "TENT-EST";
/// Connections wrk keeps open; one thread (the machine has two cores, and
/// workerd needs one).
const CONNECTIONS: &str = "16";

/// What one wrk run measured.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// wrk prints latencies as `812.00us`, `1.23ms` or `1.05s`.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

fn parse_wrk(output: &str) -> Run {
    let mut run = Run::default();
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => run.requests_per_sec = rate.parse().unwrap_or(0.0),
            ["50%", latency] => run.p50_ms = millis(latency).unwrap_or(f64::NAN),
            ["99%", latency] => run.p99_ms = millis(latency).unwrap_or(f64::NAN),
            ["Non-2xx", ..] | ["Socket", "errors:", ..] => {
                panic!("wrk saw failures, so the figures would lie:\n{output}")
            }
            _ => {}
        }
    }
    assert!(
        run.requests_per_sec > 0.0,
        "wrk measured nothing:\n{output}"
    );
    run
}

/// Loads `url` for `seconds` and reads wrk's figures.
fn load(url: &str, seconds: u64) -> Run {
    let output = Command::new("wrk")
        .args(["-t1", "-c", CONNECTIONS, "--latency", "--timeout", "5s"])
        .arg(format!("-d{seconds}s"))
        .arg(url)
        .output()
        .expect("wrk runs (scripts/setup installs Debian's wrk)");
    assert!(output.status.success(), "wrk failed: {output:?}");
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

fn mean(runs: &[Run]) -> Run {
    let count = runs.len() as f64;
    let sum = |pick: fn(&Run) -> f64| runs.iter().map(pick).sum::<f64>() / count;
    Run {
        requests_per_sec: sum(|run| run.requests_per_sec),
        p50_ms: sum(|run| run.p50_ms),
        p99_ms: sum(|run| run.p99_ms),
    }
}

/// A B … B A: each worker twice, in order and back, so that a machine
/// warming up or slowing down favours none. Each worker's figures are the
/// mean of its two runs.
fn rounds(urls: &[String], seconds: u64) -> Vec<Run> {
    // A short warm-up of each, not counted: the first requests compile.
    for url in urls {
        load(url, 1);
    }
    let mut first: Vec<Run> = urls.iter().map(|url| load(url, seconds)).collect();
    let mut second: Vec<Run> = urls.iter().rev().map(|url| load(url, seconds)).collect();
    second.reverse();
    first
        .drain(..)
        .zip(second)
        .map(|(one, two)| mean(&[one, two]))
        .collect()
}

fn print_row(name: &str, side: &str, run: Run) {
    println!(
        "{name:<22} {side:<26} {:>10.0} {:>9.2} {:>9.2}",
        run.requests_per_sec, run.p50_ms, run.p99_ms
    );
}

async fn get_json(url: &str) -> Value {
    let response = e2e::http()
        .get(url)
        .send()
        .await
        .expect("the worker answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("JSON")
}

/// Copies what the edge keeps in KV for each product into a peer, through
/// its seed route. The copies are made with the edge's own `shared` code,
/// from the same settings and history; the answers are compared after.
async fn seed(peer: &str, products: &[StoredProduct]) {
    let client = e2e::http();
    for product in products {
        let key = format!("v1/shop/{SHOP}/product/{}", product.sku);
        let response = client
            .put(format!("{peer}/seed/{key}"))
            .body(serde_json::to_string(product).expect("serialisable"))
            .send()
            .await
            .expect("the peer answers");
        assert!(response.status().is_success(), "seeding {key}");
    }
}

/// Gives a peer the shop's public side, as the edge serves it.
async fn seed_front(peer: &str, front: &serde_json::Value) {
    let key = format!("v1/shop/{SHOP}/front");
    let response = e2e::http()
        .put(format!("{peer}/seed/{key}"))
        .body(front.to_string())
        .send()
        .await
        .expect("the peer answers");
    assert!(response.status().is_success(), "seeding {key}");
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map_or(5, |n| n.parse().expect("SECONDS is a whole number"));
    let state = tempfile::tempdir().expect("a temporary folder");
    let folder = |name: &str| {
        let path = state.path().join(name);
        std::fs::create_dir_all(&path).expect("a state folder");
        path
    };
    let root = e2e::repo_root();
    eprintln!("starting the edge and two JavaScript peers in workerd…");
    // The edge as deployed (wrangler.toml's 5 s isolate cache of product
    // records), and without that cache, to show what it is worth.
    let cached = [("PRODUCT_CACHE_MS".to_owned(), "5000".to_owned())];
    let (edge, _) =
        EdgeWorker::start_on_free_port_with(&folder("edge"), "bench", WorkerLog::Quiet, &cached)
            .await;
    let (uncached, _) = EdgeWorker::start_on_free_port_with(
        &folder("uncached"),
        "bench",
        WorkerLog::Quiet,
        &[("PRODUCT_CACHE_MS".to_owned(), "0".to_owned())],
    )
    .await;
    let peer_from = |config: &str, name: &str| {
        let config = root.join("tests/bench/js-peer").join(config);
        let state = folder(name);
        async move {
            let (peer, _) = EdgeWorker::start_config_on_free_port(
                &config,
                &state,
                "bench",
                WorkerLog::Quiet,
                &[],
            )
            .await;
            peer
        }
    };
    let peer = peer_from("wrangler.toml", "peer").await;
    let bare = peer_from("wrangler.no-assets.toml", "bare").await;

    // The demo's catalogue with a stated window, plus an estimated tent.
    let today = e2e::today();
    let admins = [
        AdminApi::create_shop(&edge, SHOP).await,
        AdminApi::create_shop(&uncached, SHOP).await,
    ];
    let deliveries = shop::demo_history(today);
    for admin in &admins {
        admin.record_deliveries(SHOP, &deliveries).await;
    }
    let mut history = DeliveryHistory::default();
    for delivery in &deliveries {
        history.record(delivery);
    }
    let mut catalogue = shop::demo_catalogue(
        today.add_days(40).expect("in range"),
        today.add_days(54).expect("in range"),
    );
    catalogue.push((
        ESTIMATED_SKU,
        ProductSetting::Backorder {
            window: None,
            supply: Some(SupplyFacts {
                supplier: shop::SUPPLIER.to_owned(),
                mode: shop::MODE.to_owned(),
                promised_arrival: today.add_days(45),
                handling_business_days: 2,
            }),
            reason: None,
            confidence: None,
        },
    ));
    let mut stored = Vec::new();
    for (sku, setting) in catalogue {
        for admin in &admins {
            admin.set_product(SHOP, sku, &setting).await;
        }
        let sku = Sku::parse(sku).expect("a valid SKU");
        stored.push(StoredProduct::resolved(sku, setting, &history, today));
    }
    seed(peer.base_url(), &stored).await;
    seed(bare.base_url(), &stored).await;
    // The shop's public side (language, banner) rides along with a batch
    // read: the peers get the edge's own copy of it.
    let batch = format!("/v1/shops/{SHOP}/products?skus={IN_STOCK_SKU}");
    let front = get_json(&format!("{}{batch}", edge.base_url())).await["shop"].take();
    if !front.is_null() {
        seed_front(peer.base_url(), &front).await;
        seed_front(bare.base_url(), &front).await;
    }

    let path = |sku: &str| format!("/v1/shops/{SHOP}/products/{sku}");
    let scenarios = [
        ("stated window", path(BACKORDER_SKU)),
        ("estimated window", path(ESTIMATED_SKU)),
        (
            "batch of 3 (demo page)",
            format!(
                "/v1/shops/{SHOP}/products?skus={IN_STOCK_SKU},{BACKORDER_SKU},{UNAVAILABLE_SKU}"
            ),
        ),
    ];
    for (name, path) in &scenarios {
        let mine = get_json(&format!("{}{path}", edge.base_url())).await;
        for other in [&uncached, &peer, &bare] {
            let theirs = get_json(&format!("{}{path}", other.base_url())).await;
            assert_eq!(
                mine, theirs,
                "{name}: the peer must answer what the edge answers"
            );
        }
    }

    println!(
        "edge read benchmark: wrk, 1 thread, {CONNECTIONS} connections, {seconds} s a run, \
         A B C C B A (each figure the mean of two runs), loopback"
    );
    println!(
        "{:<22} {:<26} {:>10} {:>9} {:>9}",
        "read", "worker", "req/s", "p50 ms", "p99 ms"
    );
    let mut verdicts = Vec::new();
    for (name, path) in &scenarios {
        let urls: Vec<String> = [&edge, &peer, &uncached]
            .iter()
            .map(|worker| format!("{}{path}", worker.base_url()))
            .collect();
        let runs = rounds(&urls, seconds);
        let (edge_run, peer_run, uncached_run) = (runs[0], runs[1], runs[2]);
        print_row(name, "edge (Rust)", edge_run);
        print_row(name, "JS peer, same config", peer_run);
        print_row(name, "edge, no isolate cache", uncached_run);
        let ratio = |run: Run| {
            (
                run.requests_per_sec / peer_run.requests_per_sec,
                run.p50_ms / peer_run.p50_ms,
            )
        };
        let (throughput, p50) = ratio(edge_run);
        println!(
            "{name:<22} {:<26} {throughput:>9.2}x {p50:>8.2}x",
            "edge / JS peer"
        );
        let (bare_throughput, bare_p50) = ratio(uncached_run);
        println!(
            "{name:<22} {:<26} {bare_throughput:>9.2}x {bare_p50:>8.2}x",
            "no isolate cache / JS peer"
        );
        verdicts.push((name, throughput, p50));
    }
    let stated = format!("/v1/shops/{SHOP}/products/{BACKORDER_SKU}");
    let runs = rounds(
        &[
            format!("{}{stated}", peer.base_url()),
            format!("{}{stated}", bare.base_url()),
        ],
        seconds,
    );
    let (peer_run, bare_run) = (runs[0], runs[1]);
    print_row("stated window", "JS peer, same config", peer_run);
    print_row("stated window", "JS peer, no [assets]", bare_run);
    println!(
        "{:<22} {:<26} {:>9.2}x {:>8.2}x",
        "stated window",
        "same config / no [assets]",
        peer_run.requests_per_sec / bare_run.requests_per_sec,
        peer_run.p50_ms / bare_run.p50_ms
    );
    for (name, throughput, p50) in verdicts {
        let met = throughput >= 1.0 && p50 <= 1.0;
        println!(
            "{name}: throughput {throughput:.2}x, p50 {p50:.2}x: {}",
            if met {
                "at least as fast as the JS peer"
            } else {
                "SLOWER than the JS peer"
            }
        );
    }
    drop((edge, uncached, peer, bare));
    tokio::time::sleep(Duration::from_millis(100)).await;
}
