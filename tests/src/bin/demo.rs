//! The demo: the edge worker in workerd with KV kept in `.demo/`, seeded with
//! a shop of three products, and the shop's product page using the widget.
//! Runs until Ctrl-C, then stops everything it started.

// The demo stops at the first thing that does not work, saying what it was.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use e2e::admin::AdminApi;
use e2e::shop::{SHOP, ShopServer, demo_catalogue};
use e2e::worker::{EdgeWorker, WorkerLog};
use shared::Date;

/// The shop page's demo token; the demo listens on 127.0.0.1 only.
const DEMO_ADMIN_TOKEN: &str = "demo-admin-token";

/// Today in UTC. The demo is the one place outside the edge that reads a
/// clock, to seed a ship window that lies ahead of whoever runs it.
fn today() -> Date {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or_default();
    Date::from_days_since_epoch(days).expect("the clock is within the years 1 to 9999")
}

/// A port from the environment, or the demo's usual one.
fn port(variable: &str, default: u16) -> u16 {
    match std::env::var(variable) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{variable}={text:?} is not a port")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() {
    let edge_port = port("DEMO_EDGE_PORT", 8787);
    let shop_port = port("DEMO_SHOP_PORT", 8080);
    for (variable, port) in [("DEMO_EDGE_PORT", edge_port), ("DEMO_SHOP_PORT", shop_port)] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            eprintln!("Port {port} is in use: set {variable} to a free port and try again.");
            std::process::exit(1);
        }
    }
    let state = e2e::repo_root().join(".demo");
    std::fs::create_dir_all(&state).expect("the demo state folder can be made");
    let worker = EdgeWorker::start(edge_port, &state, DEMO_ADMIN_TOKEN, WorkerLog::Terminal).await;

    let admin = AdminApi::new(&worker);
    let earliest = today().add_days(20).expect("a date ahead");
    let latest = today().add_days(34).expect("a date ahead");
    for (sku, availability) in demo_catalogue(earliest, latest) {
        admin.set_availability(SHOP, sku, &availability).await;
    }
    let shop = ShopServer::serve(shop_port, worker.base_url());

    println!();
    println!("  Demo shop page:  {}", shop.url());
    println!("  Edge worker:     {}", worker.base_url());
    println!(
        "  Try the API:     curl {}",
        admin.product_url(SHOP, "TENT-2P")
    );
    println!(
        "  Admin token:     {DEMO_ADMIN_TOKEN} (for PUT {{edge}}/v1/shops/{SHOP}/products/{{sku}})"
    );
    println!();
    println!("  Press Ctrl-C to stop.");

    let (stop, stopped) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .expect("a Ctrl-C handler can be set");
    let _ = stopped.recv();
    println!("\nStopping the demo…");
    drop(shop);
    drop(worker);
}
