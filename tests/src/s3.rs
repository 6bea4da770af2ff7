//! A real S3-protocol server in the test process: `s3s-fs` (SigV4, ranges, multipart,
//! presigning) on 127.0.0.1, storing objects as plain files under a temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::sync::oneshot;

pub const ACCESS_KEY: &str = "offbeat-test-key";
pub const SECRET_KEY: &str = "offbeat-test-secret";
pub const BUCKET: &str = "clips";

/// An aws-sdk-s3 client for the S3 service at `endpoint`, with the test credentials.
pub fn client(endpoint: &str) -> aws_sdk_s3::Client {
    let creds = aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "offbeat-tests");
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(creds)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The ETag of `key` in [`BUCKET`] at `endpoint`, if the object is there.
pub fn etag(endpoint: &str, key: &str) -> Option<String> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let head = runtime.block_on(client(endpoint).head_object().bucket(BUCKET).key(key).send());
    head.ok().map(|h| h.e_tag().unwrap_or_default().to_owned())
}

#[derive(Debug)]
pub struct S3Server {
    root: tempfile::TempDir,
    addr: SocketAddr,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl S3Server {
    /// Starts on a free port with one empty bucket, [`BUCKET`].
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let mut server = Self {
            root,
            addr: "127.0.0.1:0".parse().expect("addr"),
            running: None,
        };
        server.run();
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An aws-sdk-s3 client for this server, with the test credentials.
    pub fn client(&self) -> aws_sdk_s3::Client {
        client(&self.endpoint())
    }

    /// s3s-fs's own directory (the bucket, and its bookkeeping beside it).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Where s3s-fs keeps an object: lets a test see what is really stored.
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }

    /// Every object in the bucket (relative keys), ignoring s3s-fs's own bookkeeping.
    pub fn objects(&self) -> Vec<String> {
        let mut keys = Vec::new();
        collect_files(&self.root.path().join(BUCKET), Path::new(""), &mut keys);
        keys.sort();
        keys
    }

    /// s3s-fs's files of multipart uploads not yet completed or aborted (parts and upload
    /// records): empty once every upload has finished one way or the other.
    pub fn pending_multipart_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".upload"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Stops serving: the port refuses connections until [`Self::restart`].
    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }

    /// Serves again on the same address and files.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    fn run(&mut self) {
        let fs = s3s_fs::FileSystem::new(self.root.path()).expect("s3s-fs");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let std_listener = std::net::TcpListener::bind(self.addr).expect("bind S3 port");
        std_listener.set_nonblocking(true).expect("nonblocking");
        self.addr = std_listener.local_addr().expect("addr");
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                let http = ConnBuilder::new(TokioExecutor::new());
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((socket, _)) = accepted else { continue };
                            let conn = http.serve_connection(TokioIo::new(socket), service.clone()).into_owned();
                            tokio::spawn(async move { let _ = conn.await; });
                        }
                        _ = &mut stop_rx => break,
                    }
                }
            });
            // Dropping the runtime cancels every open connection: the server is really gone.
            runtime.shutdown_background();
        });
        self.running = Some((stop_tx, thread));
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn collect_files(dir: &Path, prefix: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let rel = prefix.join(&name);
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, &rel, out);
        } else if !name.to_string_lossy().starts_with('.') {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}
