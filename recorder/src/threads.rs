//! `recorder reply`, `thread`, `inbox` and the link `share` prints: the thread API from the
//! command line.

use std::time::Duration;

use serde_json::Value;

use crate::credentials;
use crate::error::RecorderError;

/// A signed-in client for one server.
#[derive(Debug)]
pub struct Api {
    server: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(server: &str) -> Self {
        let server = credentials::normalise(server);
        Self {
            token: credentials::token_for(&server),
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build(),
            server,
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, RecorderError> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.server)
        };
        let mut request = self.agent.request(method, &url);
        if let Some(token) = &self.token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        match result {
            Ok(response) if response.status() == 204 => Ok(Value::Null),
            Ok(response) => response.into_json().map_err(|e| RecorderError::Unreachable {
                server: self.server.clone(),
                reason: format!("unexpected answer: {e}"),
            }),
            Err(ureq::Error::Status(401, _)) => Err(RecorderError::NotSignedIn {
                server: self.server.clone(),
            }),
            Err(err) => Err(RecorderError::of_request(&self.server, err)),
        }
    }

    pub fn get(&self, path: &str) -> Result<Value, RecorderError> {
        self.call("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value, RecorderError> {
        self.call("POST", path, Some(body))
    }

    pub fn call_patch(&self, path: &str, body: &Value) -> Result<Value, RecorderError> {
        self.call("PATCH", path, Some(body))
    }

    /// The clip id behind what the user gave: an id, a clip, thread or share URL.
    pub fn clip_id(&self, link_or_id: &str) -> Result<String, RecorderError> {
        let shared = link_or_id
            .split_once("/api/v1/shared/")
            .or_else(|| link_or_id.split_once("/c/"));
        if let Some((_, token)) = shared {
            let token = token.split(['/', '?', '#']).next().unwrap_or(token);
            let clip = self.get(&format!("/api/v1/shared/{token}"))?;
            return Ok(clip["id"].as_str().unwrap_or_default().to_owned());
        }
        // `/m/{id}`: the team's page of a message that has no link.
        for marker in ["/api/v1/clips/", "/api/v1/threads/", "/m/"] {
            if let Some((_, rest)) = link_or_id.split_once(marker) {
                return Ok(rest.split(['/', '?', '#']).next().unwrap_or(rest).to_owned());
            }
        }
        Ok(link_or_id.trim().to_owned())
    }
}

/// The server part of a link, if the user gave a link rather than an id.
pub fn server_of(link_or_id: &str) -> Option<String> {
    link_or_id
        .split_once("/api/v1/")
        .or_else(|| link_or_id.split_once("/c/"))
        .or_else(|| link_or_id.split_once("/m/"))
        .map(|(server, _)| server.to_owned())
}

/// "1:23", "1:02:03", "83", "83.5" → milliseconds.
pub fn parse_moment(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a moment (like 1:23 or 83)");
    let mut total = 0f64;
    for part in text.trim().split(':') {
        let value: f64 = part.parse().map_err(|_| bad())?;
        if !(0.0..1e7).contains(&value) {
            return Err(bad());
        }
        total = total * 60.0 + value;
    }
    Ok((total * 1000.0).round() as i64)
}

/// The thread as an indented tree, transcripts included.
pub fn render_thread(thread: &Value) -> String {
    let mut out = String::new();
    render_node(&thread["root"], 0, &mut out);
    out
}

fn render_node(node: &Value, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    let author = node["author"]["display_name"].as_str().unwrap_or("someone");
    let zone = node["author"]["time_zone"].as_str().unwrap_or("");
    let when = node["created_at_local"].as_str().unwrap_or_default().replace('T', " ");
    let mut line = format!(
        "{indent}{author} · {when}{}",
        if zone.is_empty() {
            String::new()
        } else {
            format!(" ({zone})")
        }
    );
    if let Some(anchor) = node["anchor"].as_str() {
        line.push_str(&format!(" · at {anchor}"));
    }
    match node["kind"].as_str() {
        Some("clip") => {
            let secs = node["duration_ms"].as_i64().unwrap_or(0) / 1000;
            let title = node["clip"]["title"].as_str().unwrap_or_default();
            line.push_str(&format!(
                " · {} {}:{:02} “{title}”",
                media_kind(node),
                secs / 60,
                secs % 60
            ));
        }
        Some("deleted") => line.push_str(" · (deleted)"),
        _ => {}
    }
    let heard: Vec<&str> = node["seen_by"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["display_name"].as_str()).collect())
        .unwrap_or_default();
    if !heard.is_empty() {
        line.push_str(&format!(" · seen by {}", heard.join(", ")));
    }
    out.push_str(&line);
    out.push('\n');
    let body = match node["kind"].as_str() {
        Some("text") => node["text"].as_str().map(str::to_owned),
        Some("clip") => Some(match node["transcript_snippet"].as_str() {
            Some(snippet) => snippet.to_owned(),
            None => format!(
                "(transcript {})",
                node["clip"]["transcript"]["status"].as_str().unwrap_or("pending")
            ),
        }),
        _ => None,
    };
    if let Some(body) = body {
        out.push_str(&format!("{indent}  {body}\n"));
    }
    for child in node["replies"].as_array().into_iter().flatten() {
        render_node(child, depth + 1, out);
    }
}

fn media_kind(node: &Value) -> &'static str {
    if node["clip"]["media"]["has_video"].as_bool() == Some(true) {
        "video"
    } else {
        "voice"
    }
}

/// The inbox as lines: unheard count, title, author, thread link.
pub fn render_inbox(inbox: &Value) -> String {
    let threads = inbox["threads"].as_array().cloned().unwrap_or_default();
    if threads.is_empty() {
        return "Nothing new.\n".to_owned();
    }
    threads
        .iter()
        .map(|t| {
            format!(
                "{:>3} new · “{}” · {} · {}\n",
                t["unheard"].as_i64().unwrap_or(0),
                t["root"]["title"].as_str().unwrap_or_default(),
                t["root"]["author"].as_str().unwrap_or("someone"),
                t["thread_url"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Puts `text` on the clipboard if there is one (wl-copy, xclip or xsel under a display);
/// whether it did.
pub fn copy_to_clipboard(text: &str) -> bool {
    use std::io::Write;
    let candidates: &[(&str, &[&str], &str)] = &[
        ("wl-copy", &[], "WAYLAND_DISPLAY"),
        ("xclip", &["-selection", "clipboard"], "DISPLAY"),
        ("xsel", &["--clipboard", "--input"], "DISPLAY"),
    ];
    for (program, args, display) in candidates {
        if std::env::var_os(display).is_none() {
            continue;
        }
        let Ok(mut child) = std::process::Command::new(program)
            .args(*args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        else {
            continue;
        };
        let written = child
            .stdin
            .take()
            .is_some_and(|mut stdin| stdin.write_all(text.as_bytes()).is_ok());
        if written && child.wait().is_ok_and(|s| s.success()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_like_people_say_them() {
        assert_eq!(parse_moment("1:23"), Ok(83_000));
        assert_eq!(parse_moment("83.5"), Ok(83_500));
        assert_eq!(parse_moment("1:02:03"), Ok(3_723_000));
        assert!(parse_moment("soon").is_err());
        assert!(parse_moment("-3").is_err());
    }

    #[test]
    fn links_name_their_server() {
        assert_eq!(server_of("http://h:1/api/v1/shared/abc").as_deref(), Some("http://h:1"));
        assert_eq!(
            server_of("https://o.example/c/abc").as_deref(),
            Some("https://o.example")
        );
        assert_eq!(server_of("abc"), None);
    }
}
