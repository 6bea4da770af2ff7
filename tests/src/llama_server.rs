//! llama.cpp's own server (`llama-server`) on loopback, serving a GGUF model through its
//! OpenAI-compatible API: the "endpoint the team already runs" that `--summary-url` talks to.
//! Built from the llama.cpp vendored in PyPI's `llama-cpp-python` source package and cached in
//! `target/llama-server/` by `scripts/install-deps test`; stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::seaweedfs::free_port;
use crate::wait::wait_until;

#[derive(Debug)]
pub struct LlamaServer {
    child: Child,
    port: u16,
}

impl LlamaServer {
    /// Serves `model` on one thread with a 4,096-token context, once its health check says so.
    pub fn start(model: &Path) -> Self {
        Self::start_with_threads(model, 1)
    }

    /// Serves `model` on `threads` threads.
    pub fn start_with_threads(model: &Path, threads: usize) -> Self {
        let port = free_port();
        let child = Command::new(binary())
            .arg("-m")
            .arg(model)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-t", &threads.to_string(), "-c", "4096", "-np", "1", "--metrics"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start llama-server");
        let server = Self { child, port };
        let health = format!("http://127.0.0.1:{port}/health");
        wait_until("llama-server loading its model", Duration::from_secs(60), || {
            ureq::get(&health).call().ok().map(|_| ())
        });
        server
    }

    /// The server's peak resident memory so far, MiB.
    pub fn peak_mib(&self) -> f64 {
        crate::usage::peak_kib(self.child.id()) as f64 / 1024.0
    }

    /// What the server has done so far, from its Prometheus counters.
    pub fn work(&self) -> LlamaWork {
        let text = ureq::get(&format!("http://127.0.0.1:{}/metrics", self.port))
            .call()
            .ok()
            .and_then(|r| r.into_string().ok())
            .unwrap_or_default();
        let counter = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        LlamaWork {
            prompt_tokens: counter("llamacpp:prompt_tokens_total"),
            prompt_secs: counter("llamacpp:prompt_seconds_total"),
            answer_tokens: counter("llamacpp:tokens_predicted_total"),
            answer_secs: counter("llamacpp:tokens_predicted_seconds_total"),
        }
    }

    /// The OpenAI-compatible API's base, as `--summary-url` takes it.
    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }
}

/// Tokens read and written by the server and the time each took (its own counters).
#[derive(Debug, Clone, Copy, Default)]
pub struct LlamaWork {
    pub prompt_tokens: f64,
    pub prompt_secs: f64,
    pub answer_tokens: f64,
    pub answer_secs: f64,
}

impl LlamaWork {
    /// What was done between `earlier` and this.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            prompt_tokens: self.prompt_tokens - earlier.prompt_tokens,
            prompt_secs: self.prompt_secs - earlier.prompt_secs,
            answer_tokens: self.answer_tokens - earlier.answer_tokens,
            answer_secs: self.answer_secs - earlier.answer_secs,
        }
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$OFFBEAT_TEST_LLAMA_SERVER`, or the one `scripts/install-deps test` built.
fn binary() -> PathBuf {
    let path = std::env::var_os("OFFBEAT_TEST_LLAMA_SERVER").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/llama-server/llama-server"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "llama-server is missing: looked for {} (scripts/install-deps test builds it, or set \
         OFFBEAT_TEST_LLAMA_SERVER)",
        path.display()
    );
    path
}
