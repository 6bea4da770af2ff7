//! A running `recorder record`, watched through its stderr.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process whose stderr lines arrive, timestamped, on a channel.
#[derive(Debug)]
pub struct Watched {
    pub child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    seen: Vec<String>,
}

impl Watched {
    pub fn spawn(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line starting with `prefix`; returns when it was read.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) => {
                    let hit = line.starts_with(prefix);
                    self.seen.push(line);
                    if hit {
                        return at;
                    }
                }
                Err(_) => panic!(
                    "no line starting with {prefix:?} within {timeout:?}; stderr so far: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for the recorder's early "Link: <url> …" line; the link.
    pub fn announced_link(&mut self, timeout: Duration) -> String {
        self.wait_for_line("Link: ", timeout);
        let line = self.seen.last().expect("the line just read");
        line["Link: ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Every stderr line read so far (the one `wait_for_line` found is the last).
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Sends a signal by name (INT, TERM, KILL) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for exit (bounded) and returns the status and every stderr line.
    pub fn finish(mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for child") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the process did not exit within {timeout:?}; stderr: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF; collect whatever it still holds.
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status, self.seen)
    }
}
