//! The paint benchmark: the demo shop page with its three products, loaded in
//! headless Chromium RUNS times, each with a fresh profile (no cache). Prints
//! each run's time from the widget script's request to every notice painted
//! (the loader's `backorder:painted` mark, set after the first paint that
//! shows them) and the median; then Lighthouse's (mobile) performance score,
//! LCP, CLS and TBT for the page with and without the widget, the median of
//! LIGHTHOUSE_RUNS runs each, alternating.
//!
//! `scripts/bench-paint [RUNS] [LIGHTHOUSE_RUNS]` (default 9 and 3), after
//! `scripts/build`. Everything runs locally; loopback only.

#![allow(clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::shop::{self, SHOP, ShopServer};
use e2e::worker::{EdgeWorker, WorkerLog};
use serde_json::Value;

/// Milliseconds from the script's request to all notices painted.
const MEASURE: &str = "
    const painted = performance.getEntriesByName('backorder:painted')[0];
    const script = performance.getEntriesByType('resource')
        .find(entry => entry.name.includes('/widget/backorder.js'));
    const notices = Array.from(document.querySelectorAll('[data-backorder-product]'))
        .filter(host => host.shadowRoot && host.shadowRoot.querySelector('[data-state]')).length;
    if (!painted || !script) return null;
    const steps = performance.getEntriesByType('resource').map(entry =>
        `${entry.name.split('/').pop().slice(0, 24)} ${(entry.startTime - script.startTime).toFixed(0)}..${(entry.responseEnd - script.startTime).toFixed(0)}`);
    steps.push(`painted ${(painted.startTime - script.startTime).toFixed(0)}`);
    return [painted.startTime - script.startTime, notices, steps.join(', ')];";

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

async fn one_paint(url: &str) -> f64 {
    let browser = Browser::start().await;
    // A fresh profile has an empty cache; let the browser finish starting
    // (profile files, its own processes) before the page is timed, as a
    // shopper's browser has long before they open a shop.
    browser
        .client
        .goto("about:blank")
        .await
        .expect("a blank page");
    tokio::time::sleep(Duration::from_secs(1)).await;
    browser.client.goto(url).await.expect("the page opens");
    let deadline = Instant::now() + Duration::from_secs(15);
    let figure = loop {
        let value = browser
            .client
            .execute(MEASURE, vec![])
            .await
            .expect("the page runs scripts");
        if let Some([elapsed, notices, steps]) = value.as_array().map(Vec::as_slice) {
            if std::env::var_os("BENCH_PAINT_STEPS").is_some() {
                eprintln!("  {}", steps.as_str().unwrap_or_default());
            }
            assert_eq!(notices.as_u64(), Some(3), "every product has its notice");
            break elapsed.as_f64().expect("a number");
        }
        assert!(Instant::now() < deadline, "the notices were never painted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.close().await;
    figure
}

/// What Lighthouse measured in one run.
#[derive(Clone, Copy, Debug)]
struct Audit {
    score: f64,
    lcp_ms: f64,
    cls: f64,
    tbt_ms: f64,
}

fn lighthouse(url: &str) -> Audit {
    let root = e2e::repo_root();
    let profile = tempfile::tempdir().expect("a temporary profile folder");
    let chromium = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let output = Command::new(root.join("node_modules/.bin/lighthouse"))
        .arg(url)
        .args([
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--only-categories=performance",
        ])
        .arg(format!(
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic \
             --no-first-run --disable-background-networking --disable-component-update \
             --disable-sync --user-data-dir={}",
            profile.path().display()
        ))
        .env("CHROME_PATH", chromium)
        .output()
        .expect("lighthouse runs (scripts/setup installs it from npm)");
    assert!(
        output.status.success(),
        "lighthouse failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let audit = |name: &str| {
        report["audits"][name]["numericValue"]
            .as_f64()
            .unwrap_or_else(|| panic!("no {name} in the report"))
    };
    Audit {
        score: report["categories"]["performance"]["score"]
            .as_f64()
            .expect("a performance score")
            * 100.0,
        lcp_ms: audit("largest-contentful-paint"),
        cls: audit("cumulative-layout-shift"),
        tbt_ms: audit("total-blocking-time"),
    }
}

fn summary(name: &str, audits: &[Audit]) -> Audit {
    let pick = |field: fn(&Audit) -> f64| median(audits.iter().map(field).collect());
    let audit = Audit {
        score: pick(|a| a.score),
        lcp_ms: pick(|a| a.lcp_ms),
        cls: pick(|a| a.cls),
        tbt_ms: pick(|a| a.tbt_ms),
    };
    println!(
        "{name:<16} {:>6.0} {:>9.0} {:>7.3} {:>7.0}",
        audit.score, audit.lcp_ms, audit.cls, audit.tbt_ms
    );
    audit
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map_or(9, |n| n.parse().expect("RUNS is a number"));
    let lighthouse_runs: usize = args
        .next()
        .map_or(3, |n| n.parse().expect("LIGHTHOUSE_RUNS is a number"));
    let state = tempfile::tempdir().expect("a temporary folder");
    // As deployed: product records kept in the isolate's memory for 5 s.
    let (worker, _) = EdgeWorker::start_on_free_port_with(
        state.path(),
        "bench",
        WorkerLog::Quiet,
        &[("PRODUCT_CACHE_MS".to_owned(), "5000".to_owned())],
    )
    .await;
    let admin = AdminApi::create_shop(&worker, SHOP).await;
    let today = e2e::today();
    for (sku, setting) in shop::demo_catalogue(
        today.add_days(40).expect("in range"),
        today.add_days(54).expect("in range"),
    ) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let page = ShopServer::serve(e2e::free_port(), worker.base_url());
    let with_widget = page.url().to_owned();
    let without_widget = format!("{with_widget}no-widget");

    println!("paint: the demo page (3 products), fresh Chromium profile each run, local");
    let mut times = Vec::new();
    for run in 1..=runs {
        let elapsed = one_paint(&with_widget).await;
        println!("run {run}: {elapsed:.1} ms from the script's request to all 3 notices painted");
        times.push(elapsed);
    }
    println!(
        "median of {runs}: {:.1} ms (min {:.1}, max {:.1})",
        median(times.clone()),
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max)
    );

    println!("lighthouse 12 (mobile, simulated throttling), median of {lighthouse_runs} runs each");
    println!(
        "{:<16} {:>6} {:>9} {:>7} {:>7}",
        "page", "score", "LCP ms", "CLS", "TBT ms"
    );
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for run in 0..lighthouse_runs {
        // Alternating which goes first, so that neither always runs warm.
        if run % 2 == 0 {
            with.push(lighthouse(&with_widget));
            without.push(lighthouse(&without_widget));
        } else {
            without.push(lighthouse(&without_widget));
            with.push(lighthouse(&with_widget));
        }
    }
    let bare = summary("without widget", &without);
    let widget = summary("with widget", &with);
    println!(
        "with the widget: score {} the page without it ({:.0} vs {:.0}), CLS {:.3} ({})",
        if widget.score >= bare.score {
            "not below"
        } else {
            "BELOW"
        },
        widget.score,
        bare.score,
        widget.cls,
        if widget.cls <= 0.01 {
            "within 0.01"
        } else {
            "OVER 0.01"
        }
    );
    drop((page, worker));
}
