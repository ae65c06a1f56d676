//! The analytics benchmark: a shop with N orders from N/10 customers over
//! two years (15 % tagged as backorders), brought in through the store's
//! own export (`POST …/order-history`, a Shopify orders CSV), then the
//! figures asked for the whole period. Prints the import's time, the
//! analytics request's time (round trip on loopback, the best and the
//! median of several), the CSV form's, and the state the facts take.
//!
//! `cargo run --release -p e2e --bin bench_analytics -- [N]` (default
//! 100,000), after `scripts/build`. Target: under 200 ms at 100,000 orders.

#![allow(clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::worker::{EdgeWorker, WorkerLog};

const SHOP: &str = "analytics-bench";
const READS: usize = 7;
/// Orders per uploaded file: each file stays well under the upload limit.
const PER_FILE: usize = 50_000;

/// A Shopify export of orders `from..to`: one line each, the columns the
/// import reads and a few it skips, as the store writes them.
fn export(from: usize, to: usize, customers: usize) -> String {
    let mut csv = String::from(
        "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem sku,Refunded Amount,Id,Tags\n",
    );
    for n in from..to {
        // A fixed pseudo-random walk: the same shop on every run.
        let mix = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
        let customer = mix as usize % customers;
        let day = n * 730 / to.max(1);
        let date = shared::Date::from_ymd(2025, 1, 1)
            .expect("a date")
            .add_days(day as i64)
            .expect("a date");
        let total = 1_000 + mix % 20_000;
        let tags = if mix % 100 < 15 { "backorder" } else { "" };
        writeln!(
            csv,
            "#{n},c{customer}@example.com,paid,EUR,{}.{:02},{date} 10:00:00 +0100,1,SKU-{},,{},{tags}",
            total / 100,
            total % 100,
            mix % 500,
            9_000_000 + n,
        )
        .ok();
    }
    csv
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("N is a number of orders"));
    let customers = (orders / 10).max(1);
    let state = tempfile::tempdir().expect("a temporary folder");
    let (worker, _) = EdgeWorker::start_on_free_port(state.path(), "bench", WorkerLog::Quiet).await;
    let admin = AdminApi::create_shop(&worker, SHOP).await;
    let http = e2e::http();

    let started = Instant::now();
    let mut kept = 0;
    for from in (0..orders).step_by(PER_FILE) {
        let body = export(from, (from + PER_FILE).min(orders), customers);
        let response = http
            .post(admin.url("/order-history?format=shopify"))
            .bearer_auth(admin.api_key())
            .header("Content-Type", "text/csv")
            .body(body)
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .expect("the import answers");
        let status = response.status();
        let answer: serde_json::Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "import: {status} {answer}");
        kept += answer["orders"].as_u64().unwrap_or(0);
    }
    let import = started.elapsed();
    assert_eq!(kept, orders as u64, "every order kept");
    println!("analytics on {orders} orders of {customers} customers (two years, Shopify export):");
    println!(
        "  import                           {:>8.1} s  ({:.0} orders/s)",
        import.as_secs_f64(),
        orders as f64 / import.as_secs_f64()
    );

    let period = "/analytics?from=2025-01-01&to=2027-01-01";
    let mut times = Vec::new();
    for _ in 0..READS {
        let asked = Instant::now();
        let figures = admin.get(period).await;
        times.push(asked.elapsed());
        assert_eq!(
            figures["orders"]["all"].as_u64(),
            Some(orders as u64),
            "every order counted: {figures}"
        );
        assert!(
            figures["customers"]["backorder"]["customers"]
                .as_u64()
                .unwrap_or(0)
                > 0,
            "backorder customers: {figures}"
        );
    }
    times.sort();
    println!(
        "  GET …/analytics (JSON)           {:>8.1} ms best, {:.1} ms median of {READS}",
        times[0].as_secs_f64() * 1e3,
        times[READS / 2].as_secs_f64() * 1e3
    );
    let asked = Instant::now();
    let csv = http
        .get(admin.url(&format!("{period}&format=csv")))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("CSV")
        .text()
        .await
        .expect("text");
    println!(
        "  GET …/analytics (CSV)            {:>8.1} ms, {} rows",
        asked.elapsed().as_secs_f64() * 1e3,
        csv.lines().count() - 1
    );
    let stored =
        e2e::bytes_under(state.path()) - e2e::bytes_under(&state.path().join("wrangler.log"));
    println!(
        "  state on disk                    {:>8.1} MB  ({:.0} bytes per order)",
        stored as f64 / 1e6,
        stored as f64 / orders as f64
    );
    drop(worker);
}
