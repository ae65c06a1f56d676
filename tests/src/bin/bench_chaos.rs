//! The chaos benchmark (issue 18): for each mail provider, N waiting orders
//! in a shop of its own; then a restock of every shop while the provider
//! faults 30 % of requests (5xx, 429, late answers, dropped connections),
//! and the worker killed at once in the middle of it and started again on
//! the same state. Prints, per provider, the orders left waiting, the
//! emails lost and sent twice, the actions lost, and the time to drain.
//!
//! `cargo run --release -p e2e --bin bench_chaos -- [N]` (default 1000),
//! after `scripts/build`. Everything runs locally in workerd; loopback only.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::mail_server::{FaultMix, MailServer};
use e2e::store::Store;
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::{Value, json};

const SKU: &str = "TENT-2P";
const PROVIDERS: [&str; 3] = ["resend", "postmark", "sendgrid"];
/// Each placed backorder order owes its back office two tags (order and
/// customer), and its customer a receipt and, once restocked, a
/// "restocked" email.
const ACTIONS_PER_ORDER: u64 = 2;
const EMAILS_PER_ORDER: u64 = 2;
/// How long the drain may take before the benchmark reports what is left.
const DRAIN_LIMIT: Duration = Duration::from_secs(1200);

fn number(summary: &Value, group: &str, name: &str) -> u64 {
    summary[group][name].as_u64().unwrap_or(0)
}

/// What one shop has left to do, from its summary.
struct Left {
    waiting: u64,
    emails_sent: u64,
    emails_settled_badly: u64,
    actions: u64,
}

/// The worker's log to the terminal with `BENCH_LOG=1` (to see what a
/// recovery did), else kept quiet.
fn log_mode() -> WorkerLog {
    if std::env::var_os("BENCH_LOG").is_some() {
        WorkerLog::Terminal
    } else {
        WorkerLog::Quiet
    }
}

/// How long one read of a shop's summary may keep failing (the shop's
/// object busy with the recovery) before the benchmark gives up.
const SLOW_READS: Duration = Duration::from_secs(300);

async fn left(admin: &AdminApi) -> Left {
    let started = Instant::now();
    let summary = loop {
        match admin.try_get("").await {
            Ok(summary) => break summary,
            Err(why) if started.elapsed() < SLOW_READS => {
                eprintln!("{}: a slow read ({why}); reading again", admin.shop());
            }
            Err(why) => panic!("{}: no summary for {SLOW_READS:?}: {why}", admin.shop()),
        }
    };
    let actions = ["pending", "done", "failed"]
        .iter()
        .map(|state| number(&summary, "actions_by_state", state))
        .sum();
    Left {
        waiting: number(&summary, "orders_by_stage", "waiting"),
        emails_sent: number(&summary, "emails_by_state", "sent"),
        emails_settled_badly: ["failed", "dead", "skipped", "suppressed"]
            .iter()
            .map(|state| number(&summary, "emails_by_state", state))
            .sum(),
        actions,
    }
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .map_or(1000, |n| n.parse().expect("N is a number of orders"));
    let mail = MailServer::start(2500).await;
    let state = tempfile::tempdir().expect("a temporary folder");
    let mut vars = vec![
        // Longer than a message waits in this backlog (bench_mail: p90 of
        // 35-46 s between tries), so that the sweep queues again only what
        // the crash lost, as the 900 s of production do.
        ("SWEEP_AFTER_SECS".to_owned(), "60".to_owned()),
        ("MAIL_TIMEOUT_MS".to_owned(), "1500".to_owned()),
    ];
    for name in ["RESEND_API_URL", "POSTMARK_API_URL", "SENDGRID_API_URL"] {
        vars.push((name.to_owned(), mail.base_url.clone()));
    }
    let token = "bench-chaos";
    let (mut worker, port) =
        EdgeWorker::start_on_free_port_with(state.path(), token, log_mode(), &vars).await;

    let mut shops = Vec::new();
    for provider in PROVIDERS {
        let admin = AdminApi::create_shop(&worker, &format!("chaos-{provider}")).await;
        let store = Store::connect(&admin).await;
        admin.set_mail_provider(provider, &mail.api_key).await;
        admin
            .put_product_json(
                SKU,
                &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
            )
            .await;
        eprintln!("{provider}: placing {orders} orders…");
        e2e::bench::place_orders(&store, orders, SKU).await;
        shops.push((provider, admin, store));
    }

    mail.random_faults(FaultMix {
        rate: 0.3,
        seed: 1818,
    });
    let arrived = e2e::payloads::standard("stock.arrived", json!({ "sku": SKU }));
    for (provider, _, store) in &shops {
        let response = store.standard("msg_chaos_restock", &arrived).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        eprintln!("{provider}: restock answered {status} {text}");
    }
    // The crash: killed at once, work in flight lost, state kept.
    worker.crash();
    let crashed = Instant::now();
    let worker = EdgeWorker::start_with(port, state.path(), token, log_mode(), &vars).await;
    eprintln!(
        "worker killed and started again in {:.1} s",
        crashed.elapsed().as_secs_f64()
    );
    let mut waiting_after_crash = BTreeMap::new();
    for (provider, admin, _) in &shops {
        waiting_after_crash.insert(*provider, left(admin).await.waiting);
    }

    let expected_emails = orders as u64 * EMAILS_PER_ORDER;
    let expected_actions = orders as u64 * ACTIONS_PER_ORDER;
    let mut drained = BTreeMap::new();
    let mut last_report = Instant::now();
    while drained.len() < shops.len() && crashed.elapsed() < DRAIN_LIMIT {
        for (provider, admin, _) in &shops {
            if drained.contains_key(provider) {
                continue;
            }
            let now = left(admin).await;
            if now.waiting == 0
                && now.emails_sent + now.emails_settled_badly >= expected_emails
                && now.actions >= expected_actions
            {
                drained.insert(*provider, crashed.elapsed());
            }
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "  {:.0} s after the crash: {} of {} shops drained",
                crashed.elapsed().as_secs_f64(),
                drained.len(),
                shops.len()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Emails each customer got, by our key, per provider.
    let mut twice: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    for email in mail.delivered() {
        *by_key
            .entry((email.provider.name().to_owned(), email.key))
            .or_default() += 1;
    }
    for ((provider, _), count) in &by_key {
        if *count > 1 {
            let name = PROVIDERS
                .iter()
                .find(|known| *known == provider)
                .copied()
                .unwrap_or("?");
            *twice.entry(name).or_default() += count - 1;
        }
    }

    println!(
        "chaos: {orders} waiting orders per provider, a restock under 30 % mail faults, the worker killed in the middle (local workerd, 2 cores)"
    );
    println!(
        "  {:<9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "provider", "waiting", "left", "emails", "twice", "actions", "drained"
    );
    println!(
        "  {:<9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "", "at crash", "waiting", "lost", "", "lost", "in"
    );
    let mut failed = false;
    for (provider, admin, _) in &shops {
        let now = left(admin).await;
        let lost_emails = expected_emails.saturating_sub(now.emails_sent);
        let lost_actions = expected_actions.saturating_sub(now.actions);
        let twice = twice.get(provider).copied().unwrap_or(0);
        let drain = drained.get(provider).map_or("not yet".to_owned(), |d| {
            format!("{:.1} s", d.as_secs_f64())
        });
        println!(
            "  {:<9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
            provider,
            waiting_after_crash.get(provider).copied().unwrap_or(0),
            now.waiting,
            lost_emails,
            twice,
            lost_actions,
            drain
        );
        failed |= now.waiting > 0 || lost_emails > 0 || lost_actions > 0;
        // Resend is held to no email twice (its idempotency key). Postmark
        // and SendGrid have none: a late answer to an accepted email means
        // a second one, measured here (planned for Postmark: its outbound
        // message search before a retry).
        failed |= *provider == "resend" && twice > 0;
    }
    drop(worker);
    assert!(!failed, "something was lost or sent twice (see above)");
}
