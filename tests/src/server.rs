//! The real `server` binary, started on a free port with its own data directory.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crate::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use crate::tools::workspace_bin;

#[derive(Debug)]
pub struct ServerProc {
    child: Child,
    pub url: String,
    data: tempfile::TempDir,
    args: Vec<OsString>,
    /// The flags after `--listen` and `--data-dir`: what processes of one deployment share.
    settings: Vec<OsString>,
    /// The user every test server starts with; requests to it carry this user's token by
    /// default (see [`crate::http::request`]).
    pub user: TestUser,
    /// What it prints on standard output after its address, line by line.
    output: mpsc::Receiver<String>,
    /// What it logged (standard error), line by line; passed on to the test's own output too.
    log: Arc<Mutex<Vec<String>>>,
}

/// A signed-in account on a test server.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// Every test account's password.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// Which storage the server under test uses.
#[derive(Debug, Clone, Copy)]
pub enum Backend<'a> {
    Local,
    S3(&'a S3Server),
    SeaweedFs(&'a crate::seaweedfs::SeaweedFs),
}

impl ServerProc {
    /// A server with its test user (see [`ServerProc::user`]).
    pub fn start(backend: Backend<'_>, extra: &[&str]) -> Self {
        let mut server = Self::launch(backend, extra);
        server.user = server.add_user("owner@example.com", "Olive Owner", "Europe/Berlin", "Default");
        crate::http::register_token(&server.url, &server.user.token);
        server
    }

    /// A server with no user of its own (on a shared database, the first process adds them).
    pub fn launch(backend: Backend<'_>, extra: &[&str]) -> Self {
        let mut settings: Vec<OsString> = extra.iter().map(OsString::from).collect();
        let endpoint = match backend {
            Backend::Local => None,
            Backend::S3(s3) => Some(s3.endpoint()),
            Backend::SeaweedFs(weed) => Some(weed.endpoint()),
        };
        if let Some(endpoint) = endpoint {
            for arg in [
                "--storage",
                "s3",
                "--s3-path-style",
                "--s3-bucket",
                BUCKET,
                "--s3-endpoint",
            ] {
                settings.push(arg.into());
            }
            settings.push(endpoint.into());
        }
        Self::launch_with(
            settings,
            TestUser {
                id: String::new(),
                email: String::new(),
                token: String::new(),
            },
        )
    }

    /// Another process of the same deployment (same database, storage and flags), with its own
    /// port and data directory; the test user's token works on it too.
    pub fn another(&self) -> Self {
        let server = Self::launch_with(self.settings.clone(), self.user.clone());
        crate::http::register_token(&server.url, &server.user.token);
        server
    }

    /// A server on the data directory `data` (one filled by `server restore`, say), with
    /// `user` as its test user.
    pub fn start_on(data: tempfile::TempDir, extra: &[&str], user: TestUser) -> Self {
        let settings: Vec<OsString> = extra.iter().map(OsString::from).collect();
        let server = Self::launch_in(data, settings, user);
        crate::http::register_token(&server.url, &server.user.token);
        server
    }

    fn launch_with(settings: Vec<OsString>, user: TestUser) -> Self {
        Self::launch_in(tempfile::tempdir().expect("temp dir"), settings, user)
    }

    fn launch_in(data: tempfile::TempDir, settings: Vec<OsString>, user: TestUser) -> Self {
        let mut args: Vec<OsString> = vec!["--listen".into(), "127.0.0.1:0".into(), "--data-dir".into()];
        args.push(data.path().into());
        args.extend(settings.iter().cloned());
        let (child, url, output, log) = spawn(&args, data.path());
        Self {
            child,
            url,
            data,
            args,
            settings,
            user,
            output,
            log,
        }
    }

    /// The recorder, signed in to this server as its test user.
    pub fn recorder(&self) -> Command {
        let mut cmd = crate::tools::recorder();
        cmd.env("OFFBEAT_TOKEN", &self.user.token);
        cmd
    }

    /// `recorder share --title TITLE` for this server, recording from `mic` into the outbox at
    /// `outbox`; `extra` arguments follow.
    pub fn share_command(&self, mic: &crate::pulse::VirtualMic, outbox: &Path, title: &str, extra: &[&str]) -> Command {
        let mut share = self.recorder();
        share
            .envs(mic.env())
            .env("OFFBEAT_OUTBOX_DIR", outbox)
            .args(["share", "--server", &self.url, "--title", title])
            .args(extra);
        share
    }

    /// Adds an account with `server user add` (as an administrator would) and signs it in
    /// for an API token.
    pub fn add_user(&self, email: &str, name: &str, time_zone: &str, workspace: &str) -> TestUser {
        self.add_account(email, name, time_zone, workspace, &[])
    }

    /// An admin of `workspace`, signed in with an API token.
    pub fn add_admin(&self, email: &str, name: &str, time_zone: &str, workspace: &str) -> TestUser {
        self.add_account(email, name, time_zone, workspace, &["--admin"])
    }

    fn add_account(&self, email: &str, name: &str, time_zone: &str, workspace: &str, extra: &[&str]) -> TestUser {
        let id = self.make_account(email, name, time_zone, workspace, extra);
        let body = serde_json::json!({ "email": email, "password": TEST_PASSWORD, "kind": "api", "label": "tests" });
        let reply = crate::http::request(
            "POST",
            &self.api("/api/v1/auth/login"),
            &[("Authorization", ""), ("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(reply.status, 201, "login: {}", String::from_utf8_lossy(&reply.body));
        TestUser {
            id,
            email: email.to_owned(),
            token: reply.json()["token"].as_str().expect("token").to_owned(),
        }
    }

    /// An account made with `server user add` (`extra`: `--admin`), password [`TEST_PASSWORD`],
    /// not signed in; its id.
    pub fn make_account(&self, email: &str, name: &str, time_zone: &str, workspace: &str, extra: &[&str]) -> String {
        // The same database as the server: its data directory, or its --database-url.
        let database_url = self
            .settings
            .iter()
            .position(|a| a == "--database-url")
            .and_then(|i| self.settings.get(i + 1));
        let mut add = Command::new(workspace_bin("server"))
            .arg("--data-dir")
            .arg(self.data.path())
            .args(
                database_url
                    .map(|url| ["--database-url".into(), url.clone()])
                    .into_iter()
                    .flatten(),
            )
            .args([
                "user",
                "add",
                "--email",
                email,
                "--name",
                name,
                "--time-zone",
                time_zone,
            ])
            .args(["--workspace", workspace])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run server user add");
        use std::io::Write;
        writeln!(add.stdin.take().expect("stdin"), "{TEST_PASSWORD}").expect("password");
        let out = add.wait_with_output().expect("server user add");
        assert!(
            out.status.success(),
            "user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Kills the process without warning (SIGKILL) and starts it again on the same data.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, url, output, log) = spawn(&self.args, self.data.path());
        self.child = child;
        self.url = url;
        self.output = output;
        self.log = log;
        crate::http::register_token(&self.url, &self.user.token);
    }

    /// Kills the process without warning (SIGKILL), leaving its data; see [`Self::restart`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs the `server` binary on this server's data directory with `args` (a subcommand);
    /// its output, failing if it fails.
    pub fn admin(&self, args: &[&std::ffi::OsStr]) -> String {
        let out = Command::new(workspace_bin("server"))
            .arg("--data-dir")
            .arg(self.data.path())
            .args(args)
            .output()
            .expect("run server");
        assert!(
            out.status.success(),
            "server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts the server again on its data, at the same address (clients keep their URLs).
    pub fn restart(&mut self) {
        let address = self.url.trim_start_matches("http://").to_owned();
        let args: Vec<OsString> = self
            .args
            .iter()
            .map(|a| {
                if a == "127.0.0.1:0" {
                    OsString::from(&address)
                } else {
                    a.clone()
                }
            })
            .collect();
        let (child, url, output, log) = spawn(&args, self.data.path());
        assert_eq!(url, self.url, "restarted at another address");
        self.child = child;
        self.output = output;
        self.log = log;
    }

    /// The lines it logged so far that hold `needle`.
    pub fn logged(&self, needle: &str) -> Vec<String> {
        self.log
            .lock()
            .expect("log lock")
            .iter()
            .filter(|line| line.contains(needle))
            .cloned()
            .collect()
    }

    /// The next line of standard output that holds `needle` (failing after 30 s).
    pub fn printed_line(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.output.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("the server printed no line with {needle:?} within 30 s"),
            }
        }
    }

    /// The clip a page link (`…/c/<token>`, as the recorder prints it) leads to, as the API
    /// shows it to the test user.
    pub fn clip_of_page(&self, page_link: &str) -> serde_json::Value {
        let token = page_link
            .trim()
            .rsplit_once("/c/")
            .map(|(_, t)| t.split(['?', '#']).next().unwrap_or(t))
            .unwrap_or_else(|| panic!("not a page link: {page_link}"));
        let answer = crate::http::get(&self.api(&format!("/api/v1/shared/{token}")));
        assert_eq!(answer.status, 200, "{page_link}");
        answer.json()
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// POSTs a clip file and returns the created clip (failing unless the answer is 201).
    pub fn upload_file(&self, path: &Path) -> serde_json::Value {
        let body = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let reply = crate::http::request("POST", &self.api("/api/v1/clips"), &[], Some(&body));
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()
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

/// Starts the binary and waits for the line with its address; the lines after it follow.
fn spawn(args: &[OsString], data: &Path) -> (Child, String, mpsc::Receiver<String>, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(workspace_bin("server"))
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("OFFBEAT_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        // Keep the AWS credential chain hermetic: only what the test sets.
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .current_dir(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let log = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().expect("stderr");
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            kept.lock().expect("log lock").push(line);
        }
    });
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
    (child, url, rx, log)
}
