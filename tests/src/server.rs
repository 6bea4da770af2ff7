//! The real `server` binary, started on a free port with its own data directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use crate::tools::workspace_bin;

#[derive(Debug)]
pub struct ServerProc {
    child: Child,
    pub url: String,
    data: tempfile::TempDir,
}

/// Which storage the server under test uses.
#[derive(Debug, Clone, Copy)]
pub enum Backend<'a> {
    Local,
    S3(&'a S3Server),
}

impl ServerProc {
    pub fn start(backend: Backend<'_>, extra: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(workspace_bin("server"));
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data.path())
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("OFFBEAT_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            // Keep the AWS credential chain hermetic: only what the test sets.
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", data.path().join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", data.path().join("no-aws-credentials"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Backend::S3(s3) = backend {
            cmd.args([
                "--storage",
                "s3",
                "--s3-path-style",
                "--s3-bucket",
                BUCKET,
                "--s3-endpoint",
            ])
            .arg(s3.endpoint());
        }
        let mut child = cmd.spawn().expect("start server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server did not report its address within 30 s"));
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Self { child, url, data }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Files under the staging directory: must be empty between uploads.
    pub fn staged_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.data.path().join("staging"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still alive (it must never crash on bad input).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
