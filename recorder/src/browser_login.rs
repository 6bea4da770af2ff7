//! `recorder login` through the browser, the way `gh auth login` does it: the recorder listens
//! on a free port of this machine's loopback, opens the server's approval page, and waits for
//! the browser to come back with a one-time code, which it trades — with a PKCE verifier only
//! it knows — for an API token. Works whatever way the person signs in to the server
//! (password or the team's identity provider).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::Digest;

use crate::error::RecorderError;

/// How long the person has to sign in and approve.
const APPROVAL_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the browser has to send its request once connected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the recorder opens the approval page itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// `$BROWSER`, else the desktop's opener (`xdg-open`, `open`).
    Open,
    /// Only print the address (a browser on this machine must still open it).
    PrintOnly,
}

/// The code the browser brought back.
#[derive(Debug)]
pub struct Approved {
    pub code: String,
    pub verifier: String,
}

fn random_url_safe(bytes: usize) -> Result<String, RecorderError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| RecorderError::BrowserSignIn(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// Sends the person to `server`'s approval page and waits for their answer.
pub fn approve_in_browser(server: &str, label: &str, browser: Browser) -> Result<Approved, RecorderError> {
    let failed = |what: &str, e: std::io::Error| RecorderError::BrowserSignIn(format!("{what}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| failed("cannot listen on the loopback", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| failed("the loopback port", e))?
        .port();
    let verifier = random_url_safe(32)?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let state = random_url_safe(16)?;
    let mut url = url::Url::parse(&format!("{server}/auth/recorder"))
        .map_err(|e| RecorderError::BrowserSignIn(format!("{server} is not a URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("port", &port.to_string())
        .append_pair("state", &state)
        .append_pair("challenge", &challenge)
        .append_pair("label", label);
    let opened = browser == Browser::Open && open(url.as_str());
    if opened {
        eprintln!("Opened {url} in your browser: sign in there and allow the recorder.");
    } else {
        eprintln!("Open this address in a browser on this machine, sign in and allow the recorder:\n{url}");
    }
    let query = wait_for_callback(&listener)?;
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    if pairs.get("state") != Some(&state) {
        return Err(RecorderError::BrowserSignIn(
            "the answer was not for this sign-in (its state differs)".into(),
        ));
    }
    if let Some(error) = pairs.get("error") {
        return Err(RecorderError::BrowserSignIn(match error.as_str() {
            "access_denied" => "you denied it in the browser".into(),
            other => other.to_owned(),
        }));
    }
    let code = pairs
        .get("code")
        .cloned()
        .ok_or_else(|| RecorderError::BrowserSignIn("the browser brought back no code".into()))?;
    Ok(Approved { code, verifier })
}

/// Opens `url` in the person's browser; whether one could be started.
fn open(url: &str) -> bool {
    let mut command = match std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()) {
        Some(browser) => std::process::Command::new(browser),
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None => std::process::Command::new("xdg-open"),
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// The query of the first `GET /callback` the loopback receives (other requests — a favicon —
/// are answered 404 and waited past).
fn wait_for_callback(listener: &TcpListener) -> Result<String, RecorderError> {
    let failed = |e: std::io::Error| RecorderError::BrowserSignIn(format!("the loopback: {e}"));
    listener.set_nonblocking(true).map_err(failed)?;
    let deadline = Instant::now() + APPROVAL_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(query) = answer(stream) {
                    return Ok(query);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(RecorderError::BrowserSignIn(format!(
                        "nobody approved it within {} minutes",
                        APPROVAL_TIMEOUT.as_secs() / 60
                    )));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(failed(e)),
        }
    }
}

/// Reads one request's head; answers it; the query if it was the callback. A browser's request
/// is one line that matters, so a few lines of HTTP suffice here.
fn answer(mut stream: TcpStream) -> Option<String> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.lines().next()?.strip_prefix("GET ")?.split(' ').next()?.to_owned();
    let query = target.strip_prefix("/callback?").map(str::to_owned);
    let (status, body) = match &query {
        Some(_) => (
            "200 OK",
            "<!doctype html><meta charset=utf-8><title>Offbeat recorder</title><p>Done: go back to the terminal. You can close this tab.",
        ),
        None => ("404 Not Found", "not here"),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    query
}
