//! End-to-end tests: the worker runs in workerd, the widget in Chromium, and
//! nothing of ours is mocked. One binary, one module per area.

// Tests fail by panicking, with a message that says what went wrong.
#![allow(clippy::expect_used, clippy::panic)]

mod api;
mod orders;
mod page;
mod widget;

use e2e::worker::{EdgeWorker, WorkerLog};
use tempfile::TempDir;

/// A worker with its own fresh KV state; both go away when dropped.
#[derive(Debug)]
pub struct World {
    pub worker: EdgeWorker,
    _state: TempDir,
}

impl World {
    pub async fn start() -> World {
        let state = tempfile::tempdir().expect("a temporary state folder");
        let token = format!("test-token-{}", std::process::id());
        let worker =
            EdgeWorker::start(e2e::free_port(), state.path(), &token, WorkerLog::Quiet).await;
        World {
            worker,
            _state: state,
        }
    }
}
