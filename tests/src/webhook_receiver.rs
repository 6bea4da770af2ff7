//! A webhook endpoint on loopback that keeps every delivery and checks each signature with the
//! Standard Webhooks reference library, as a team's own endpoint would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Delivery {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, once its signature checks out under `secret` (`whsec_…`).
    pub fn verified(&self, secret: &str) -> serde_json::Value {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        standardwebhooks::Webhook::new(secret)
            .expect("a whsec_ secret")
            .verify(&self.body, &headers)
            .unwrap_or_else(|e| panic!("signature of {:?}: {e}", self.headers));
        serde_json::from_slice(&self.body).expect("JSON")
    }
}

#[derive(Debug)]
pub struct WebhookReceiver {
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
}

impl WebhookReceiver {
    /// Listens until the test ends, answering 200 to everything.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let log = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let mut headers = Vec::new();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            headers.push((name.trim().to_owned(), value.trim().to_owned()));
                        }
                    }
                    let length = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    log.lock().expect("log").push(Delivery {
                        path,
                        headers,
                        body,
                        at: Instant::now(),
                    });
                    let _ = reader
                        .get_mut()
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                });
            }
        });
        Self { url, got }
    }

    /// Every delivery so far to `path` whose JSON `type` is `event`.
    pub fn of(&self, path: &str, event: &str) -> Vec<Delivery> {
        self.got
            .lock()
            .expect("log")
            .iter()
            .filter(|d| d.path == path)
            .filter(|d| serde_json::from_slice::<serde_json::Value>(&d.body).is_ok_and(|v| v["type"] == event))
            .cloned()
            .collect()
    }

    /// Waits (at most `limit`) for `count` deliveries of `event` to `path`.
    pub fn wait_for(&self, path: &str, event: &str, count: usize, limit: Duration) -> Vec<Delivery> {
        let start = Instant::now();
        loop {
            let got = self.of(path, event);
            if got.len() >= count {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "{event} at {path}: {} of {count} after {limit:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
