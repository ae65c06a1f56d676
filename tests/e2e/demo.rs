//! The demo stops everything it started on SIGTERM and SIGHUP as on Ctrl-C
//! (what `timeout`, service managers and containers send), also when the
//! signal comes while it is still starting.

use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The processes whose command line names `marker` (wrangler names its
/// `--persist-to` folder).
fn processes_naming(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(marker) {
            found.push(line);
        }
    }
    found
}

async fn stop_and_check(signal: Signal, wait_until_ready: bool) {
    let state = tempfile::tempdir().expect("a temporary state folder");
    let ports = [e2e::free_port(), e2e::free_port(), e2e::free_port()];
    // What the demo says goes to a file, shown if it never gets ready.
    let log_path = state.path().join("demo.log");
    let log = std::fs::File::create(&log_path).expect("the state folder is writable");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("DEMO_STATE_DIR", state.path())
        .env("DEMO_EDGE_PORT", ports[0].to_string())
        .env("DEMO_SHOP_PORT", ports[1].to_string())
        .env("DEMO_BACK_OFFICE_PORT", ports[2].to_string())
        .stdout(log.try_clone().expect("a second handle"))
        .stderr(log)
        .spawn()
        .expect("the demo starts");
    let marker = state.path().to_string_lossy().into_owned();
    if wait_until_ready {
        let back_office = format!("http://127.0.0.1:{}/", ports[2]);
        // Starting workerd and seeding the shop takes seconds alone and far
        // longer beside the other tests on two cores: as long as a worker
        // may take to start (`EdgeWorker`), and no longer once it has died.
        let said = || std::fs::read_to_string(&log_path).unwrap_or_default();
        let running = std::sync::Mutex::new(demo);
        let exited = std::sync::Mutex::new(None);
        crate::eventually_explained("the demo's back office", 90, || async {
            let status = running
                .lock()
                .expect("not poisoned")
                .try_wait()
                .ok()
                .flatten();
            if let Some(status) = status {
                *exited.lock().expect("not poisoned") = Some(status);
                return Ok(());
            }
            e2e::http()
                .get(&back_office)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
                .ok_or_else(|| format!("no back office yet; the demo said:\n{}", said()))
        })
        .await;
        if let Some(status) = *exited.lock().expect("not poisoned") {
            panic!(
                "the demo stopped by itself ({status}); it said:\n{}",
                said()
            );
        }
        demo = running.into_inner().expect("not poisoned");
    } else {
        // Wrangler is up and workerd is starting: the middle of start-up.
        crate::eventually("wrangler started by the demo", || async {
            (!processes_naming(&marker).is_empty()).then_some(())
        })
        .await;
    }
    let pid = Pid::from_raw(i32::try_from(demo.id()).expect("a pid"));
    kill(pid, signal).expect("the signal is sent");
    let deadline = Instant::now() + Duration::from_secs(30);
    while demo.try_wait().expect("waits").is_none() {
        assert!(
            Instant::now() < deadline,
            "the demo did not stop on {signal}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        processes_naming(&marker),
        Vec::<String>::new(),
        "left behind after {signal}"
    );
    for port in ports {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} still taken after {signal}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_leaves_nothing_behind_on_sigterm_or_sighup() {
    stop_and_check(Signal::SIGTERM, true).await;
    stop_and_check(Signal::SIGHUP, true).await;
    stop_and_check(Signal::SIGTERM, false).await;
}
