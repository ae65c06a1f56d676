//! End-to-end tests: the worker runs in workerd, the widget in Chromium, and
//! nothing of ours is mocked. One binary, one module per area.

// Tests fail by panicking, with a message that says what went wrong.
#![allow(clippy::expect_used, clippy::panic)]

mod api;
mod customers;
mod openapi;
mod orders;
mod page;
mod widget;

use e2e::worker::{EdgeWorker, WorkerLog};
use tempfile::TempDir;

/// A worker with its own fresh state; both go away when dropped.
#[derive(Debug)]
pub struct World {
    pub worker: EdgeWorker,
    port: u16,
    token: String,
    state: TempDir,
}

impl World {
    pub async fn start() -> World {
        let state = tempfile::tempdir().expect("a temporary state folder");
        let token = format!("test-token-{}", std::process::id());
        let (worker, port) =
            EdgeWorker::start_on_free_port(state.path(), &token, WorkerLog::Quiet).await;
        World {
            worker,
            port,
            token,
            state,
        }
    }

    /// Stops the worker and starts it again on the same port and state.
    pub async fn restart(&mut self) {
        self.worker.stop();
        self.worker =
            EdgeWorker::start(self.port, self.state.path(), &self.token, WorkerLog::Quiet).await;
    }
}
