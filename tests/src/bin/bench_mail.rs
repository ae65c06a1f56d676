//! The mail benchmark: N emails through the running worker to the local mail
//! server, which injects faults into 30 % of requests (a 5xx, a 429 with
//! `Retry-After`, an answer after the worker gave up on an email it had
//! accepted, a dropped connection). For each provider it prints how many
//! emails arrived, how many were lost (must be 0), how many arrived twice
//! (must be 0 with Resend and Postmark, which is asked before a second send;
//! counted for SendGrid, which cannot be asked), the time to drain, and how
//! long an email waited between one try and the next (the wait asked of the
//! queue is 2, 4, 8 … s up to a minute; a backlog adds its own).
//!
//! `cargo run --release -p e2e --bin bench_mail -- [EMAILS] [resend|postmark|sendgrid …]`
//! (default 10000, all three), after `scripts/build`. The emails are the
//! receipts and restock news of EMAILS/2 orders placed through signed
//! webhooks. Loopback only.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::mail_server::{FaultMix, MailServer};
use e2e::store::Store;
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::json;

const SKU: &str = "TENT-2P";
/// The worker gives a provider this long; a late answer comes after it.
const TIMEOUT_MS: u32 = 1000;
const LATE_MS: u64 = 1500;
const FAULT_RATE: f64 = 0.30;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let emails: usize = args
        .next()
        .map_or(10_000, |n| n.parse().expect("EMAILS is a number"));
    let mut providers: Vec<String> = args.collect();
    if providers.is_empty() {
        providers = vec!["resend".into(), "postmark".into(), "sendgrid".into()];
    }
    let mut lines = Vec::new();
    for provider in &providers {
        lines.push(run(provider, emails / 2).await);
    }
    println!();
    println!(
        "{:<9} {:>8} {:>9} {:>5} {:>10} {:>9} {:>8} {:>8} {:>9} {:>6} {:>17}",
        "provider",
        "emails",
        "delivered",
        "lost",
        "duplicates",
        "requests",
        "searches",
        "faults",
        "drain s",
        "dead",
        "retry gap p50/p90"
    );
    for line in lines {
        println!("{line}");
    }
}

async fn run(provider: &str, orders: usize) -> String {
    let mail = MailServer::start(LATE_MS).await;
    mail.random_faults(FaultMix {
        rate: FAULT_RATE,
        seed: 8,
    });
    let state = tempfile::tempdir().expect("a temporary folder");
    let mut vars = Vec::new();
    for name in ["RESEND_API_URL", "POSTMARK_API_URL", "SENDGRID_API_URL"] {
        vars.push((name.to_owned(), mail.base_url.clone()));
    }
    vars.push(("MAIL_TIMEOUT_MS".to_owned(), TIMEOUT_MS.to_string()));
    let (worker, _) =
        EdgeWorker::start_on_free_port_with(state.path(), "bench", WorkerLog::Quiet, &vars).await;
    let admin = AdminApi::create_shop(&worker, "mail-bench").await;
    let store = Store::connect(&admin).await;
    let configured = e2e::http()
        .put(admin.url("/mail"))
        .bearer_auth(admin.api_key())
        .json(&json!({"provider": provider, "api_key": mail.api_key,
                      "from_email": "orders@bench.example", "from_name": "Bench"}))
        .send()
        .await
        .expect("mail settings");
    assert!(
        configured.status().is_success(),
        "{}",
        configured.text().await.unwrap_or_default()
    );
    admin
        .put_product_json(
            SKU,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;

    eprintln!("{provider}: placing {orders} orders (a receipt each), then a restock (news each)…");
    let started = Instant::now();
    e2e::bench::place_orders(&store, orders, SKU).await;
    loop {
        let summary = admin.get("").await;
        if summary["orders_by_stage"]["waiting"].as_u64() == Some(orders as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = admin
        .put_product_json(SKU, &json!({"status": "in_stock"}))
        .await;
    assert_eq!(answer["orders_notified"], json!(orders), "{answer}");
    eprintln!(
        "{provider}: placed and restocked in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let expected = orders * 2;
    let mut last_report = Instant::now();
    let (states, drained) = loop {
        let summary = admin.get("").await;
        let states: HashMap<String, u64> =
            serde_json::from_value(summary["emails_by_state"].clone()).unwrap_or_default();
        let settled: u64 = ["sent", "failed", "dead"]
            .iter()
            .map(|state| states.get(*state).copied().unwrap_or(0))
            .sum();
        if settled as usize >= expected {
            break (states, started.elapsed());
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "{provider}: {states:?} after {:.0} s",
                started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // Late answers still in flight land within LATE_MS.
    tokio::time::sleep(Duration::from_millis(LATE_MS + 500)).await;
    let delivered = mail.delivered();
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for email in &delivered {
        *per_key.entry(email.key.clone()).or_default() += 1;
    }
    let unique = per_key.len();
    let duplicates = delivered.len() - unique;
    let lost = expected.saturating_sub(unique);
    let violations = mail.violations();
    assert!(violations.is_empty(), "{violations:?}");
    drop(worker);
    let mut gaps: Vec<f64> = mail
        .retry_gaps()
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let at = |share: f64| {
        gaps.get(((gaps.len() as f64 * share) as usize).min(gaps.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    format!(
        "{:<9} {:>8} {:>9} {:>5} {:>10} {:>9} {:>8} {:>8} {:>9.1} {:>6} {:>8.1}/{:<8.1}",
        provider,
        expected,
        unique,
        lost,
        duplicates,
        mail.requests(),
        mail.searches(),
        mail.faults_injected(),
        drained.as_secs_f64(),
        states.get("dead").copied().unwrap_or(0),
        at(0.5),
        at(0.9)
    )
}
