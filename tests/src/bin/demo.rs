//! The demo: the edge worker in workerd with KV kept in `.demo/`, seeded with
//! a shop of three products, and the shop's product page using the widget.
//! Runs until Ctrl-C, SIGTERM or SIGHUP, then stops everything it started.

// The demo stops at the first thing that does not work, saying what it was.
#![allow(clippy::expect_used, clippy::panic)]

use e2e::admin::AdminApi;
use e2e::back_office::BackOffice;
use e2e::shop::{
    BACKORDER_SKU, SHOP, ShopServer, UNAVAILABLE_SKU, demo_history, estimated_catalogue,
    kayak_from_quiet_supplier, quiet_supplier_history,
};
use e2e::worker::{EdgeWorker, WorkerLog};

/// The shop page's demo token; the demo listens on 127.0.0.1 only.
const DEMO_OPERATOR_TOKEN: &str = "demo-operator-token";

/// A port from the environment, or the demo's usual one.
fn port(variable: &str, default: u16) -> u16 {
    match std::env::var(variable) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{variable}={text:?} is not a port")),
        Err(_) => default,
    }
}

/// What the demo runs; dropping it stops all of it.
struct Demo {
    worker: EdgeWorker,
    shop: ShopServer,
    back_office: BackOffice,
}

#[tokio::main]
async fn main() {
    // Ctrl-C, SIGTERM and SIGHUP stop the demo at any moment, also while it
    // is still starting: what was started by then is stopped as it is dropped.
    let (stop, mut stopped) = tokio::sync::mpsc::unbounded_channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .expect("a Ctrl-C handler can be set");
    let demo = tokio::select! {
        demo = start() => demo,
        _ = stopped.recv() => {
            println!("\nStopped while starting.");
            return;
        }
    };
    println!("  Press Ctrl-C to stop.");
    let _ = stopped.recv().await;
    println!("\nStopping the demo…");
    let Demo {
        worker,
        shop,
        back_office,
    } = demo;
    drop(back_office);
    drop(shop);
    drop(worker);
}

async fn start() -> Demo {
    let edge_port = port("DEMO_EDGE_PORT", 8787);
    let shop_port = port("DEMO_SHOP_PORT", 8080);
    let back_office_port = port("DEMO_BACK_OFFICE_PORT", 8081);
    for (variable, port) in [
        ("DEMO_EDGE_PORT", edge_port),
        ("DEMO_SHOP_PORT", shop_port),
        ("DEMO_BACK_OFFICE_PORT", back_office_port),
    ] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            eprintln!("Port {port} is in use: set {variable} to a free port and try again.");
            std::process::exit(1);
        }
    }
    // DEMO_STATE_DIR keeps the state elsewhere (the tests use a fresh one).
    let state = std::env::var_os("DEMO_STATE_DIR")
        .map_or_else(|| e2e::repo_root().join(".demo"), std::path::PathBuf::from);
    std::fs::create_dir_all(&state).expect("the demo state folder can be made");
    let worker =
        EdgeWorker::start(edge_port, &state, DEMO_OPERATOR_TOKEN, WorkerLog::Terminal).await;

    let admin = AdminApi::open_or_create(&worker, SHOP, &state.join("shop-keys.json")).await;
    // Emails stay in the edge's log (the back office shows each one as its
    // customer reads it) rather than going to a real provider.
    let (status, answer) = admin
        .put(
            "/mail",
            &serde_json::json!({"provider": "outbox", "from_email": "orders@trailhead.example",
                                "from_name": "Trailhead Outfitters"}),
        )
        .await;
    assert!(status.is_success(), "mail settings: {answer}");
    // The shop sells from London: deadlines in its emails are London time.
    let mut policy = admin.get("/policy").await;
    policy["time_zone"] = serde_json::json!("Europe/London");
    let (status, answer) = admin.put("/policy", &policy).await;
    assert!(status.is_success(), "policy: {answer}");
    // The tent's window is estimated from the supplier's record: its
    // promised arrival three weeks ahead, and thirty past deliveries.
    // The demo keeps its KV in .demo/ between runs: the history is seeded on
    // the first run only, so that it is not learnt twice.
    let today = e2e::today();
    let seeded = e2e::http()
        .get(admin.product_url(SHOP, BACKORDER_SKU))
        .send()
        .await
        .is_ok_and(|response| response.status().is_success());
    if !seeded {
        admin.record_deliveries(SHOP, &demo_history(today)).await;
    }
    // A demo state from before the kayak was on backorder lacks its maker's
    // record: it is learnt once, when the kayak first becomes one.
    let kayak_on_backorder = match e2e::http()
        .get(admin.product_url(SHOP, UNAVAILABLE_SKU))
        .send()
        .await
    {
        Ok(response) => response
            .json::<serde_json::Value>()
            .await
            .is_ok_and(|body| body["availability"]["status"] == "backorder"),
        Err(_) => false,
    };
    if !kayak_on_backorder {
        admin
            .record_deliveries(SHOP, &quiet_supplier_history(today))
            .await;
    }
    let promised = today.add_days(21).expect("a date ahead");
    for (sku, setting) in estimated_catalogue(promised) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    // The kayak's maker has sent nothing for seven months: its window is
    // wider than the tent's, and says why.
    admin
        .set_product(SHOP, UNAVAILABLE_SKU, &kayak_from_quiet_supplier(promised))
        .await;
    let shop = ShopServer::serve(shop_port, worker.base_url());
    let sell_out = estimated_catalogue(promised)
        .into_iter()
        .find(|(sku, _)| *sku == BACKORDER_SKU)
        .map(|(_, setting)| serde_json::to_value(setting).expect("serialises"))
        .expect("the tent is in the catalogue");
    let back_office =
        BackOffice::serve(back_office_port, admin.clone(), shop.url(), sell_out).await;

    println!();
    println!("  Demo shop page:  {}", shop.url());
    println!(
        "  Back office:     {} (orders, signed webhooks, outbox)",
        back_office.url()
    );
    println!(
        "  Console:         {}/console/?shop={SHOP}#signin={} (signs the owner in)",
        worker.base_url(),
        admin.api_key()
    );
    println!("  Edge worker:     {}", worker.base_url());
    println!(
        "  Try the API:     curl {}",
        admin.product_url(SHOP, "TENT-2P")
    );
    println!("  Operator token:  {DEMO_OPERATOR_TOKEN} (POST {{edge}}/v1/shops creates a shop)");
    println!(
        "  Shop API key:    {} (for PUT {{edge}}/v1/shops/{SHOP}/products/{{sku}})",
        admin.api_key()
    );
    println!();
    Demo {
        worker,
        shop,
        back_office,
    }
}
