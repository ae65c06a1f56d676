//! The restock fan-out benchmark: places N backorder orders for one SKU
//! (real order objects, through the shop's import, as their webhooks would
//! place them), restocks the SKU once, and measures how long until every
//! order has taken the news (its index says `processing`) and its
//! "restocked" email is claimed. Prints the time, the rate, the calls the
//! shop's object took per order (its own request counts), and what workerd
//! used (CPU time, peak memory).
//!
//! `cargo run --release -p e2e --bin bench_fanout -- [N]` (default 10000),
//! after `scripts/build`. Everything runs locally in workerd; loopback only.
//! Its state lives under `$TMPDIR`: on a disk, workerd waits on SQLite's
//! syncs; `TMPDIR=/dev/shm` measures without them.

#![allow(clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::{Value, json};

const SHOP: &str = "bench-shop";
const SKU: &str = "TENT-2P";
/// How often the shop's summary is read while waiting: each read is a
/// request to the shop's object, the narrow part, and is counted in its
/// figures (and taken out of the fan-out's).
const POLL: Duration = Duration::from_millis(500);
/// Orders placed at once: their three queue messages each stay well under
/// the local queue broker's 10,000.
const WAVE: usize = 2_000;
/// Reads that keep failing this long mean the worker is gone.
const GIVE_UP: Duration = Duration::from_secs(300);

/// The shop's summary. Under the fan-out a read can wait on the shop's
/// object past the client's minute: it is asked again, up to a limit.
async fn summary(admin: &AdminApi, slowest: &mut Duration) -> Value {
    let first_failure = Instant::now();
    loop {
        let asked = Instant::now();
        let answer = admin.try_get("").await;
        *slowest = (*slowest).max(asked.elapsed());
        match answer {
            Ok(summary) => return summary,
            Err(err) if first_failure.elapsed() < GIVE_UP => {
                eprintln!(
                    "  a summary read failed after {:.1} s: {err}",
                    asked.elapsed().as_secs_f64()
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => panic!("the shop's summary could not be read for 5 minutes: {err}"),
        }
    }
}

fn number(summary: &Value, group: &str, name: &str) -> usize {
    summary[group][name].as_u64().map_or(0, |n| n as usize)
}

/// The requests the shop's object has taken this month, by kind.
fn requests(summary: &Value) -> Vec<(String, u64)> {
    summary["requests_this_month"]
        .as_object()
        .map(|kinds| {
            kinds
                .iter()
                .map(|(kind, n)| (kind.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

fn count_of(requests: &[(String, u64)], kind: &str) -> u64 {
    requests
        .iter()
        .find(|(name, _)| name == kind)
        .map_or(0, |(_, n)| *n)
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .map_or(10_000, |n| n.parse().expect("N is a number of orders"));
    let state = tempfile::tempdir().expect("a temporary folder");
    let log = if std::env::var_os("BENCH_LOG").is_some() {
        WorkerLog::Terminal
    } else {
        WorkerLog::Quiet
    };
    let (worker, _) = EdgeWorker::start_on_free_port(state.path(), "bench", log).await;
    let admin = AdminApi::create_shop(&worker, SHOP).await;
    admin
        .put_product_json(
            SKU,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    let mut slowest = Duration::ZERO;

    eprintln!("placing {orders} orders through the shop's import, {WAVE} at a time…");
    let placing = Instant::now();
    // In waves whose emails and actions are through before the next: the
    // local queue broker holds at most 10,000 messages waiting (miniflare's
    // limit on a worker's timers), and a placement queues three.
    for start in (0..orders).step_by(WAVE) {
        let end = orders.min(start + WAVE);
        e2e::bench::import_order_range(&admin, start..end, SKU).await;
        loop {
            let summary = summary(&admin, &mut slowest).await;
            let placed = number(&summary, "orders_by_stage", "waiting");
            let owed = number(&summary, "emails_by_state", "queued")
                + number(&summary, "emails_by_state", "sending");
            if placed == end && owed == 0 {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
    }
    let placed = placing.elapsed();
    eprintln!(
        "placed {orders} in {:.1} s ({:.0} orders/s)",
        placed.as_secs_f64(),
        orders as f64 / placed.as_secs_f64()
    );
    // Let the placements' emails and actions drain before measuring.
    let before = loop {
        let summary = summary(&admin, &mut slowest).await;
        let receipts = number(&summary, "emails_by_kind", "receipt");
        let sent = number(&summary, "emails_by_state", "sent");
        let actions = number(&summary, "actions_by_state", "pending");
        if receipts >= orders && sent >= orders && actions >= 2 * orders {
            break summary;
        }
        tokio::time::sleep(POLL).await;
    };
    let requests_before = requests(&before);
    let used_before = worker.workerd_usage();
    eprintln!("their emails sent and actions listed; restocking…");

    let restock = Instant::now();
    let answer: Value = admin
        .put_product_json(SKU, &json!({"status": "in_stock"}))
        .await;
    let accepted = restock.elapsed();
    assert_eq!(answer["orders_notified"], json!(orders), "{answer}");
    let mut last_report = Instant::now();
    let mut all_processing = None;
    let mut reads = 0;
    let after = loop {
        let summary = summary(&admin, &mut slowest).await;
        reads += 1;
        let waiting = number(&summary, "orders_by_stage", "waiting");
        if waiting == 0 && all_processing.is_none() {
            all_processing = Some(restock.elapsed());
        }
        // Claimed: tried at least once (sending, or past it).
        let restocked = number(&summary, "emails_by_kind", "restocked");
        let unclaimed = number(&summary, "emails_by_state", "queued");
        if all_processing.is_some() && restocked >= orders && unclaimed == 0 {
            break summary;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  {waiting} orders waiting, {restocked} restocked emails logged, {unclaimed} unclaimed after {:.0} s",
                restock.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(POLL).await;
    };
    let all_claimed = restock.elapsed();
    let all_processing = all_processing.unwrap_or(all_claimed);
    let used = worker.workerd_usage();
    let processing = number(&after, "orders_by_stage", "processing");
    let emails = number(&after, "emails_by_kind", "restocked");
    let requests_after = requests(&after);

    println!("restock fan-out to {orders} waiting orders (local workerd, 2 cores):");
    println!(
        "  restock request answered        {:>8.0} ms",
        accepted.as_secs_f64() * 1000.0
    );
    println!(
        "  every order processing           {:>8.1} s  ({:.0} orders/s)",
        all_processing.as_secs_f64(),
        orders as f64 / all_processing.as_secs_f64()
    );
    println!(
        "  every restocked email claimed    {:>8.1} s  ({:.0} orders/s)",
        all_claimed.as_secs_f64(),
        orders as f64 / all_claimed.as_secs_f64()
    );
    println!(
        "  orders processing: {processing}, restocked emails: {emails} (none skipped, none twice)"
    );
    assert_eq!(processing, orders, "every order took the restock");
    assert_eq!(emails, orders, "one restocked email each");
    println!("  calls to the shop's object during the fan-out (its own counts), per order:");
    let mut total = 0;
    for (kind, n) in &requests_after {
        let mut during = n - count_of(&requests_before, kind);
        if kind == "api" {
            // The restock itself, and this benchmark's reads of the summary.
            during = during.saturating_sub(1 + reads);
        }
        if during > 0 {
            println!(
                "    {kind:<18} {during:>8}  {:.4}",
                during as f64 / orders as f64
            );
            total += during;
        }
    }
    println!(
        "    {:<18} {total:>8}  {:.4}",
        "all",
        total as f64 / orders as f64
    );
    assert!(
        total > 0,
        "the shop's object counted no call: {requests_after:?}"
    );
    println!(
        "  workerd CPU during the fan-out   {:>8.1} s  ({:.2} ms per order)",
        used.cpu_seconds - used_before.cpu_seconds,
        (used.cpu_seconds - used_before.cpu_seconds) * 1000.0 / orders as f64
    );
    println!(
        "  workerd peak memory              {:>8.0} MB",
        used.peak_rss_mb
    );
    println!(
        "  slowest read of the shop's summary {:>6.1} s",
        slowest.as_secs_f64()
    );
    let stored =
        e2e::bytes_under(state.path()) - e2e::bytes_under(&state.path().join("wrangler.log"));
    println!(
        "  state on disk (objects, KV, queues) {:>6.1} MB  ({:.1} KB per order)",
        stored as f64 / 1e6,
        stored as f64 / 1e3 / orders as f64
    );
}
