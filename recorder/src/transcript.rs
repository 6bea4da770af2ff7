//! `recorder transcript ID`: print a clip's transcript, waiting (with a spinner) while the
//! server is still making it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

use crate::error::RecorderError;

/// How often to ask again while the transcript is pending.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Deserialize)]
pub struct TranscriptView {
    pub status: String,
    pub reason: Option<String>,
    #[serde(default)]
    pub segments: Vec<SegmentView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SegmentView {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per segment with its start time.
    Text,
    /// Plain text without times.
    Txt,
    /// WebVTT captions.
    Vtt,
    /// SubRip captions.
    Srt,
    /// The server's JSON, with word timestamps.
    Json,
}

/// Waits until the transcript is ready (or can never be), then returns it in `format`.
pub fn fetch(server: &str, id: &str, format: Format, timeout: Option<Duration>) -> Result<String, RecorderError> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(60))
        .build();
    let url = format!("{server}/api/v1/clips/{id}/transcript");
    let spinner = if std::io::stderr().is_terminal() {
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    } else {
        ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let view: TranscriptView = loop {
        let view: TranscriptView = get(&agent, &url, server)?
            .into_json()
            .map_err(|e| unexpected(server, &e))?;
        match view.status.as_str() {
            "ready" => break view,
            "pending" | "running" => {
                spinner.set_message(format!("transcript {}…", view.status));
                if timeout.is_some_and(|t| started.elapsed() >= t) {
                    spinner.finish_and_clear();
                    return Err(RecorderError::TranscriptUnavailable {
                        status: format!("still {} after {:?}", view.status, started.elapsed()),
                        reason: None,
                    });
                }
                std::thread::sleep(POLL);
            }
            _ => {
                spinner.finish_and_clear();
                return Err(RecorderError::TranscriptUnavailable {
                    status: view.status,
                    reason: view.reason,
                });
            }
        }
    };
    spinner.finish_and_clear();
    Ok(match format {
        Format::Text => view
            .segments
            .iter()
            .map(|s| format!("[{} → {}] {}\n", clock(s.start_ms), clock(s.end_ms), s.text))
            .collect(),
        Format::Json => get(&agent, &url, server)?
            .into_string()
            .map_err(|e| unexpected(server, &e))?,
        Format::Txt | Format::Vtt | Format::Srt => {
            let extension = format!("{format:?}").to_lowercase();
            get(&agent, &format!("{url}.{extension}"), server)?
                .into_string()
                .map_err(|e| unexpected(server, &e))?
        }
    })
}

fn get(agent: &ureq::Agent, url: &str, server: &str) -> Result<ureq::Response, RecorderError> {
    let mut request = agent.get(url);
    if let Some(token) = crate::credentials::token_for(server) {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    match request.call() {
        Ok(response) => Ok(response),
        Err(ureq::Error::Status(401, _)) => Err(RecorderError::NotSignedIn {
            server: server.to_owned(),
        }),
        Err(err) => Err(RecorderError::of_request(server, err)),
    }
}

fn unexpected(server: &str, err: &dyn std::fmt::Display) -> RecorderError {
    RecorderError::Unreachable {
        server: server.to_owned(),
        reason: format!("unexpected answer: {err}"),
    }
}

/// `M:SS.s`, or `H:MM:SS.s` from an hour on.
fn clock(ms: u64) -> String {
    let (h, m, s, tenths) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms / 100 % 10);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{tenths}")
    } else {
        format!("{m}:{s:02}.{tenths}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_naturally() {
        assert_eq!(clock(6_060), "0:06.0");
        assert_eq!(clock(3_723_400), "1:02:03.4");
    }
}
