//! The harness shared by the end-to-end tests and the demo: it starts the real
//! worker in workerd (through wrangler), serves a merchant's shop page from
//! another origin, and drives Debian's Chromium. Everything it starts listens
//! on 127.0.0.1 only and is stopped when its handle is dropped.

// A harness fails loudly: a test that cannot start its world must stop there.
#![allow(clippy::expect_used, clippy::panic)]

pub mod admin;
pub mod back_office;
pub mod bench;
pub mod browser;
pub mod cdp;
pub mod endpoint;
pub mod mail_server;
pub mod payloads;
pub mod process;
pub mod sample_history;
pub mod shop;
pub mod store;
pub mod worker;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::Date;

/// The HTTP client every test, benchmark and the demo call with: a request
/// the edge (or any server of ours) never answers fails the caller after a
/// minute, naming what it waited for, instead of hanging the whole run.
/// Build clients only through this (clippy refuses `Client::new`).
pub fn http() -> reqwest::Client {
    #[allow(clippy::disallowed_methods)]
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client with a TLS backend")
}

/// Now, in Unix seconds, by this machine's clock, as the edge sees it.
pub fn now_unix() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(seconds).expect("the clock is before the year 292 billion")
}

/// Today in UTC, by this machine's clock, as the edge sees it.
pub fn today() -> Date {
    Date::from_days_since_epoch(now_unix().div_euclid(86_400))
        .expect("the clock is within the years 1 to 9999")
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The bytes of the files under `path` (or of `path`, a file): the state
/// a benchmark's worker left.
pub fn bytes_under(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| bytes_under(&entry.path()))
        .sum()
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the loopback interface has a free port")
}
