//! The cold-start benchmark: how long a fresh `wrangler dev` takes to give
//! its first answer (`GET /health`) with the edge, and with the plain
//! JavaScript worker of `tests/bench/js-peer` (same compatibility date, KV
//! and assets), started in turn RUNS times each (default 5) on fresh state.
//! Both include wrangler's and workerd's own start, the same for both; the
//! difference is what the edge's bundle (its JS glue and the wasm module,
//! compiled and instantiated) costs to load. Prints each one's median and
//! the difference.
//!
//! `cargo run --release -p e2e --bin bench_start -- [RUNS]`, after
//! `scripts/build`; `scripts/bench-start` runs it with wrangler's startup
//! profile.

#![allow(clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use e2e::repo_root;
use e2e::worker::{EdgeWorker, WorkerLog};

async fn first_answer(config: &std::path::Path) -> Duration {
    let state = tempfile::tempdir().expect("a temporary folder");
    let started = Instant::now();
    let (mut worker, _) =
        EdgeWorker::start_config_on_free_port(config, state.path(), "bench", WorkerLog::Quiet, &[])
            .await;
    let took = started.elapsed();
    worker.stop();
    took
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(5, |n| n.parse().expect("RUNS is a number"));
    let root = repo_root();
    let edge = root.join("edge/wrangler.toml");
    let peer = root.join("tests/bench/js-peer/wrangler.toml");
    let (mut edge_times, mut peer_times) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // In turn, so that a slow moment of the machine falls on both.
        let (first, second) = if run % 2 == 0 {
            (&edge, &peer)
        } else {
            (&peer, &edge)
        };
        let a = first_answer(first).await;
        let b = first_answer(second).await;
        let (e, p) = if run % 2 == 0 { (a, b) } else { (b, a) };
        edge_times.push(e);
        peer_times.push(p);
    }
    let (edge, peer) = (median(edge_times), median(peer_times));
    println!("time to the first answer of a fresh wrangler dev, median of {runs} (20 ms polls):");
    println!(
        "  edge (Rust, wasm)       {:>7.0} ms",
        edge.as_secs_f64() * 1000.0
    );
    println!(
        "  plain JavaScript peer   {:>7.0} ms",
        peer.as_secs_f64() * 1000.0
    );
    println!(
        "  the edge's bundle costs {:>7.0} ms more",
        (edge.as_secs_f64() - peer.as_secs_f64()) * 1000.0
    );
}
