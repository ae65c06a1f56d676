//! End-to-end tests: the worker runs in workerd, the widget in Chromium, and
//! nothing of ours is mocked. One binary, one module per area.

// Tests fail by panicking, with a message that says what went wrong.
#![allow(clippy::expect_used, clippy::panic)]

mod accessibility;
mod analytics;
mod api;
mod console;
mod console_pages;
mod customers;
mod demo;
mod deploy;
mod desk;
mod hardening;
mod mail;
mod notify;
mod openapi;
mod order_page;
mod orders;
mod page;
mod recovery;
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
    vars: Vec<(String, String)>,
    /// A wrangler config of its own (`e2e::worker::config_variant`), kept
    /// for restarts; the edge's own when `None`.
    config: Option<std::path::PathBuf>,
}

impl World {
    pub async fn start() -> World {
        World::start_with(Vec::new()).await
    }

    /// A world whose mail providers all live at `mail` (a local server), and
    /// which gives a provider `timeout_ms` to answer.
    pub async fn start_with_mail(mail: &e2e::mail_server::MailServer, timeout_ms: u32) -> World {
        let mut vars = Vec::new();
        for name in ["RESEND_API_URL", "POSTMARK_API_URL", "SENDGRID_API_URL"] {
            vars.push((name.to_owned(), mail.base_url.clone()));
        }
        vars.push(("MAIL_TIMEOUT_MS".to_owned(), timeout_ms.to_string()));
        World::start_with(vars).await
    }

    pub async fn start_with(vars: Vec<(String, String)>) -> World {
        World::start_configured(None, vars).await
    }

    /// A world whose worker `config` describes, with `vars`.
    pub async fn start_configured(
        config: Option<std::path::PathBuf>,
        vars: Vec<(String, String)>,
    ) -> World {
        let state = tempfile::tempdir().expect("a temporary state folder");
        let token = format!("test-token-{}", std::process::id());
        let edge_config = e2e::repo_root().join("edge/wrangler.toml");
        let (worker, port) = EdgeWorker::start_config_on_free_port(
            config.as_deref().unwrap_or(&edge_config),
            state.path(),
            &token,
            WorkerLog::Quiet,
            &vars,
        )
        .await;
        World {
            worker,
            port,
            token,
            state,
            vars,
            config,
        }
    }

    /// Stops the worker and starts it again on the same port and state.
    pub async fn restart(&mut self) {
        self.worker.stop();
        self.start_again().await;
    }

    /// Kills the worker at once and starts it again on the same state.
    pub async fn crash_and_restart(&mut self) {
        self.worker.crash();
        self.start_again().await;
    }

    async fn start_again(&mut self) {
        let edge_config = e2e::repo_root().join("edge/wrangler.toml");
        self.worker = EdgeWorker::start_config(
            self.config.as_deref().unwrap_or(&edge_config),
            self.port,
            self.state.path(),
            &self.token,
            WorkerLog::Quiet,
            &self.vars,
        )
        .await;
    }
}

/// Polls `probe` until it gives a value: queues, alarms and KV answer a
/// moment after the request that set them off. Fails after 30 seconds.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// As `eventually`, for work that takes longer (a crash's recovery under
/// faults): polls for up to `seconds`, and on timeout says what the probe
/// saw last (`Err` carries that account).
pub async fn eventually_explained<T, F, Fut>(what: &str, seconds: u64, probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {seconds} s waiting for {what}; last seen: {seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// GETs `url` and reads its status and JSON body (null when not JSON).
pub async fn get_json(url: &str) -> (reqwest::StatusCode, serde_json::Value) {
    let response = e2e::http().get(url).send().await.expect("the edge answers");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}
