//! A plain HTTP client for tests: every status is a normal reply, redirects are not followed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error.message` of an error reply.
    pub fn error_message(&self) -> String {
        self.json()["error"]["message"].as_str().unwrap_or_default().to_owned()
    }
}

/// Bearer tokens of the servers a test started, by base URL: requests to a server carry its
/// signed-in test user's token unless they say otherwise.
static TOKENS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Requests to URLs under `base` will carry `token` by default.
pub fn register_token(base: &str, token: &str) {
    let mut tokens = TOKENS.lock().unwrap();
    tokens.retain(|(b, _)| b != base);
    tokens.push((base.to_owned(), token.to_owned()));
}

/// Sends a request. Unless `headers` names `Authorization` itself, the default token of the
/// server it goes to is added; an `Authorization` of `""` means "anonymous" (nothing is sent).
/// Other headers with empty values are not sent either.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    try_request(method, url, headers, body).unwrap_or_else(|e| panic!("{e}"))
}

/// [`request`], with a failure to talk to the server (refused, reset, broken pipe) returned
/// instead of failing the test: for clients that, like real ones, ask again.
pub fn try_request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<Reply, String> {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(120))
        .build();
    let mut req = agent.request(method, url);
    let explicit_auth = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if !explicit_auth
        && let Some((_, token)) = TOKENS
            .lock()
            .unwrap()
            .iter()
            .find(|(base, _)| url.starts_with(base.as_str()))
    {
        req = req.set("Authorization", &format!("Bearer {token}"));
    }
    for (k, v) in headers {
        if !v.is_empty() {
            req = req.set(k, v);
        }
    }
    let result = match body {
        Some(bytes) => req.send_bytes(bytes),
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|name| response.header(&name).map(|v| (name.clone(), v.to_owned())))
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(1 << 30)
        .read_to_end(&mut body)
        .expect("read body");
    Ok(Reply { status, headers, body })
}

/// The `Authorization` header line of the server at `base_url`'s test user, for raw requests.
fn auth_line(base_url: &str) -> String {
    TOKENS
        .lock()
        .unwrap()
        .iter()
        .find(|(base, _)| base_url.starts_with(base.as_str()))
        .map(|(_, token)| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default()
}

pub fn get(url: &str) -> Reply {
    request("GET", url, &[], None)
}

/// Starts an upload that declares `declared` bytes, sends `sent`, then drops the connection,
/// like a client whose network went away. Returns once the socket is closed.
pub fn cut_off_upload(base_url: &str, path: &str, declared: usize, sent: &[u8]) {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{}Content-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n",
        auth_line(base_url)
    );
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(sent).expect("send part of the body");
    stream.flush().expect("flush");
    stream.shutdown(std::net::Shutdown::Both).expect("shutdown");
}

/// Sends a whole POST over a raw socket and returns the status code, even when the server
/// answers early and closes while the body is still going out (as it should for a body over
/// the size limit) — a case where ordinary clients report only the broken pipe.
pub fn post_status_despite_early_close(base_url: &str, path: &str, body: &[u8]) -> u16 {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
        auth_line(base_url),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (query values).
pub fn urlencode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}

/// A tus `PATCH` of `bytes` at `offset` (and the final length, when given); a failure to get
/// through (the server may refuse and close before the body is all sent) is returned.
pub fn try_tus_patch(url: &str, offset: u64, bytes: &[u8], length: Option<usize>) -> Result<Reply, String> {
    let offset = offset.to_string();
    let length = length.map(|l| l.to_string());
    let mut headers = vec![
        ("Tus-Resumable", "1.0.0"),
        ("Upload-Offset", offset.as_str()),
        ("Content-Type", "application/offset+octet-stream"),
    ];
    if let Some(length) = &length {
        headers.push(("Upload-Length", length));
    }
    try_request("PATCH", url, &headers, Some(bytes))
}

/// [`try_tus_patch`], failing the test if the request does not get through.
pub fn tus_patch(url: &str, offset: u64, bytes: &[u8], length: Option<usize>) -> Reply {
    try_tus_patch(url, offset, bytes, length).unwrap_or_else(|e| panic!("{e}"))
}
