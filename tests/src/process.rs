//! Child processes that are stopped, with all their own children, on drop.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// A running child process, alone in its own process group so that stopping
/// it also stops what it started (wrangler starts workerd, chromedriver starts
/// Chromium).
#[derive(Debug)]
pub struct ProcessGroup {
    name: String,
    child: Child,
    stopped: bool,
}

/// The groups running now. The benchmarks build with `panic = "abort"`, so
/// a panic there runs no `Drop`: a panic hook stops these groups instead.
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Where a panic aborts (the release profile: the benchmarks), before it
/// does, every group still running is killed. Where it unwinds (the tests,
/// many to a process), each group's `Drop` stops it, and a failing test
/// leaves the others' alone.
fn stop_all_on_panic() {
    if !cfg!(panic = "abort") {
        return;
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            if let Ok(live) = LIVE.try_lock() {
                for pid in live.iter() {
                    let _ = killpg(Pid::from_raw(*pid), Signal::SIGKILL);
                }
            }
        }));
    });
}

impl ProcessGroup {
    pub fn spawn(name: &str, mut command: Command) -> ProcessGroup {
        stop_all_on_panic();
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {name} ({command:?}): {err}"));
        if let (Ok(pid), Ok(mut live)) = (i32::try_from(child.id()), LIVE.lock()) {
            live.push(pid);
        }
        ProcessGroup {
            name: name.to_owned(),
            child,
            stopped: false,
        }
    }

    /// Whether the process has ended already (it crashed or could not start).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's id: its leader's pid (every process it starts joins it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.stop();
        if let (Ok(pid), Ok(mut live)) = (i32::try_from(self.child.id()), LIVE.lock()) {
            live.retain(|live| *live != pid);
        }
    }
}

impl ProcessGroup {
    /// Stops the process and everything it started: SIGTERM, then SIGKILL
    /// after five seconds. Stopping twice does nothing the second time.
    /// Kills the whole group at once, as a power cut would: nothing it
    /// was doing is finished.
    pub fn kill(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.wait();
    }

    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return;
        };
        let group = Pid::from_raw(pid);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.has_exited() {
                // The leader is gone; make sure nothing it started lingers.
                let _ = killpg(group, Signal::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
