//! Child processes that are stopped, with all their own children, on drop.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
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

impl ProcessGroup {
    pub fn spawn(name: &str, mut command: Command) -> ProcessGroup {
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {name} ({command:?}): {err}"));
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
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.stop();
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
