//! The edge worker, running for real in workerd through `wrangler dev`, with
//! its KV persisted to a folder of its own.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::ProcessGroup;
use crate::{free_port, repo_root};

/// How a started worker reports what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerLog {
    /// Into a file, printed only if the worker fails to start or the test
    /// that started it fails (its last lines).
    Quiet,
    /// Onto this process's terminal (the demo).
    Terminal,
}

/// A running edge worker. Dropping it stops workerd.
#[derive(Debug)]
pub struct EdgeWorker {
    base_url: String,
    operator_token: String,
    log_path: PathBuf,
    process: ProcessGroup,
}

/// What workerd says when another process holds its port.
const PORT_TAKEN: &str = "Address already in use";

/// What wrangler says when it reloads the worker (a watched file changed).
const RELOADING: &str = "Reloading local server";

/// Fails with a clear word when the build that the worker serves is missing.
fn require_build(root: &Path) {
    for built in [
        "edge/build/index_bg.wasm",
        "target/site/widget/backorder.js",
    ] {
        assert!(
            root.join(built).exists(),
            "{built} is missing: run scripts/build (scripts/test does) before these tests"
        );
    }
}

/// Writes into `folder` a copy of the edge's `wrangler.toml` with each
/// `(from, to)` text replaced (each must be found), its paths made
/// absolute: a worker configured otherwise for one test (a queue that gives
/// up sooner, say). Returns the copy's path.
pub fn config_variant(folder: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let root = repo_root();
    let original = std::fs::read_to_string(root.join("edge/wrangler.toml"))
        .expect("edge/wrangler.toml is readable");
    let edge = root.join("edge");
    let mut text = original
        .replace(
            "main = \"build/worker/shim.mjs\"",
            &format!(
                "main = \"{}\"",
                edge.join("build/worker/shim.mjs").display()
            ),
        )
        .replace(
            "directory = \"../target/site\"",
            &format!("directory = \"{}\"", root.join("target/site").display()),
        );
    for (from, to) in replacements {
        assert!(text.contains(from), "wrangler.toml has no {from:?}");
        text = text.replace(from, to);
    }
    let path = folder.join("wrangler.toml");
    std::fs::write(&path, text).expect("the folder is writable");
    path
}

impl EdgeWorker {
    /// Starts the worker on 127.0.0.1:`port` with its state in `state_dir`,
    /// and waits until it answers.
    pub async fn start(
        port: u16,
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
    ) -> EdgeWorker {
        EdgeWorker::start_with(port, state_dir, operator_token, log, &[]).await
    }

    /// As `start`, with more `--var NAME:value`s (mail provider URLs …).
    pub async fn start_with(
        port: u16,
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
        vars: &[(String, String)],
    ) -> EdgeWorker {
        let config = repo_root().join("edge/wrangler.toml");
        EdgeWorker::start_config(&config, port, state_dir, operator_token, log, vars).await
    }

    /// Starts the worker on a free port, and on another one if something
    /// took that port between choosing it and binding it (tests start many
    /// workers at once). Returns the worker and its port.
    pub async fn start_on_free_port(
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
    ) -> (EdgeWorker, u16) {
        EdgeWorker::start_on_free_port_with(state_dir, operator_token, log, &[]).await
    }

    /// As `start_on_free_port`, with more `--var NAME:value`s.
    pub async fn start_on_free_port_with(
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
        vars: &[(String, String)],
    ) -> (EdgeWorker, u16) {
        let config = repo_root().join("edge/wrangler.toml");
        EdgeWorker::start_config_on_free_port(&config, state_dir, operator_token, log, vars).await
    }

    /// As `start_with`, for the worker a wrangler `config` file describes.
    pub async fn start_config(
        config: &Path,
        port: u16,
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
        vars: &[(String, String)],
    ) -> EdgeWorker {
        match EdgeWorker::try_start(config, port, state_dir, operator_token, log, vars).await {
            Ok(worker) => worker,
            Err(why) => panic!("{why}"),
        }
    }

    /// As `start_on_free_port_with`, for the worker a wrangler `config` file
    /// describes (the benchmark's JavaScript peer, say).
    pub async fn start_config_on_free_port(
        config: &Path,
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
        vars: &[(String, String)],
    ) -> (EdgeWorker, u16) {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match EdgeWorker::try_start(config, port, state_dir, operator_token, log, vars).await {
                Ok(worker) => return (worker, port),
                Err(why) if why.contains(PORT_TAKEN) => last = why,
                Err(why) => panic!("{why}"),
            }
        }
        panic!("five ports were taken in a row:\n{last}");
    }

    async fn try_start(
        config: &Path,
        port: u16,
        state_dir: &Path,
        operator_token: &str,
        log: WorkerLog,
        vars: &[(String, String)],
    ) -> Result<EdgeWorker, String> {
        let root = repo_root();
        require_build(&root);
        let log_path = state_dir.join("wrangler.log");
        let mut command = Command::new(root.join("node_modules/.bin/wrangler"));
        let folder = config.parent().unwrap_or(&root);
        command
            .current_dir(folder)
            .arg("dev")
            .arg("--config")
            .arg(config)
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(state_dir)
            .args(["--var", &format!("OPERATOR_TOKEN:{operator_token}")])
            // Links in emails lead back to this very worker.
            .args(["--var", &format!("PUBLIC_URL:http://127.0.0.1:{port}")])
            .arg("--show-interactive-dev-session=false")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .stdin(Stdio::null());
        // Each read sees the last write unless a test asks for the cache.
        if !vars.iter().any(|(name, _)| name == "PRODUCT_CACHE_MS") {
            command.args(["--var", "PRODUCT_CACHE_MS:0"]);
        }
        for (name, value) in vars {
            command.args(["--var", &format!("{name}:{value}")]);
        }
        if log == WorkerLog::Quiet {
            let file = File::create(&log_path).expect("the state folder is writable");
            let copy = file.try_clone().expect("a log file handle can be cloned");
            command.stdout(file).stderr(copy);
        }
        let process = ProcessGroup::spawn("wrangler dev", command);
        let mut worker = EdgeWorker {
            base_url: format!("http://127.0.0.1:{port}"),
            operator_token: operator_token.to_owned(),
            log_path,
            process,
        };
        worker.wait_until_ready().await?;
        Ok(worker)
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let health = format!("{}/health", self.base_url);
        let client = crate::http();
        while Instant::now() < deadline {
            if self.process.has_exited() {
                break;
            }
            let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            if log.contains(PORT_TAKEN) {
                break;
            }
            let answer = client
                .get(&health)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            // Often enough for the cold-start benchmark to time the first
            // answer to a few tens of milliseconds.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        self.process.stop();
        Err(format!(
            "{} did not become ready at {}:\n{log}",
            self.process.name(),
            self.base_url
        ))
    }

    /// Kills workerd at once, as a crash would: work in flight (queue
    /// messages being delivered or waiting) is lost; its state stays on disk.
    pub fn crash(&mut self) {
        self.process.kill();
    }

    /// Stops workerd now, as a shutdown would; its state stays on disk.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// The worker's origin, e.g. `http://127.0.0.1:43121`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn operator_token(&self) -> &str {
        &self.operator_token
    }

    /// What the worker has said so far (empty for a `WorkerLog::Terminal`
    /// worker).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Whether `wrangler dev` reloaded the worker since it started: a
    /// request in flight then gets wrangler's own 503 ("Your worker
    /// restarted mid-request"), which no code of ours wrote.
    pub fn reloaded(&self) -> bool {
        self.log().contains(RELOADING)
    }

    /// What the worker's workerd processes have used so far: CPU time
    /// (user and system) and the peak resident memory of the largest, read
    /// from `/proc` (Linux only; zeros elsewhere).
    pub fn workerd_usage(&self) -> WorkerdUsage {
        let group = self.process.id().to_string();
        let mut usage = WorkerdUsage::default();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return usage;
        };
        for entry in entries.flatten() {
            let folder = entry.path();
            let Ok(stat) = std::fs::read_to_string(folder.join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid pgrp …`: the name may hold spaces, so
            // the fields are counted from its closing parenthesis.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if !head.ends_with("(workerd") || fields.get(2) != Some(&group.as_str()) {
                continue;
            }
            let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok());
            // utime and stime are fields 14 and 15 of stat (11 and 12 here).
            let cpu = ticks(11).unwrap_or(0) + ticks(12).unwrap_or(0);
            usage.cpu_seconds += cpu as f64 / CLOCK_TICKS_PER_SECOND;
            let status = std::fs::read_to_string(folder.join("status")).unwrap_or_default();
            let peak_kb = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| {
                    value
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .unwrap_or(0);
            usage.peak_rss_mb = usage.peak_rss_mb.max(peak_kb as f64 / 1024.0);
        }
        usage
    }
}

/// The clock ticks `/proc` counts CPU time in (`getconf CLK_TCK`; 100 on
/// every Linux this runs on).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// What workerd used, from [`EdgeWorker::workerd_usage`].
#[derive(Clone, Copy, Debug, Default)]
pub struct WorkerdUsage {
    pub cpu_seconds: f64,
    pub peak_rss_mb: f64,
}

/// How many of the worker's last log lines a failing test prints.
const LOG_TAIL_LINES: usize = 60;

impl Drop for EdgeWorker {
    /// A failing test shows what the worker said last (a panic, a restart),
    /// which is otherwise lost with its temporary folder.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        eprintln!(
            "--- the last {} lines of {} at {} ---\n{}",
            tail.len(),
            self.process.name(),
            self.base_url,
            tail.join("\n")
        );
    }
}
