//! `recorder upload`: a file → the server's upload API, streamed with a progress bar.

use std::fs::File;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

use crate::error::RecorderError;

/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_FROM: u64 = 1 << 20;

/// What the server says about the stored clip.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadedClip {
    pub id: String,
    pub url: String,
    /// The page people open (absent from servers older than pages).
    #[serde(default)]
    pub page_url: Option<String>,
    pub title: String,
    pub duration_ms: u64,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    message: String,
}

pub fn upload(
    path: &Path,
    server: &str,
    title: Option<&str>,
    author: Option<&str>,
) -> Result<UploadedClip, RecorderError> {
    // A WAV is encoded first (the server takes Ogg Opus and WebM).
    let encoded = encoded_if_wav(path)?;
    let path = encoded.as_ref().map_or(path, |file| file.path());
    let file = File::open(path).map_err(|source| RecorderError::Input {
        path: path.to_owned(),
        source,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = if size >= PROGRESS_FROM && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let url = format!("{}/api/v1/clips", server.trim_end_matches('/'));
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(600))
        .build();
    let mut request = agent
        .post(&url)
        .set("Content-Type", "application/octet-stream")
        .set("Content-Length", &size.to_string());
    if let Some(token) = crate::credentials::token_for(server) {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    if let Some(title) = title {
        request = request.query("title", title);
    }
    if let Some(author) = author {
        request = request.query("author", author);
    }
    let result = request.send(progress.wrap_read(file));
    progress.finish_and_clear();
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(401, _)) => {
            return Err(RecorderError::NotSignedIn {
                server: crate::credentials::normalise(server),
            });
        }
        Err(ureq::Error::Status(status, response)) => {
            return Err(RecorderError::Rejected {
                status,
                message: error_message(response, status),
            });
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(RecorderError::Unreachable {
                server: server.to_owned(),
                reason: t.to_string(),
            });
        }
    };
    response.into_json().map_err(|e| RecorderError::Unreachable {
        server: server.to_owned(),
        reason: format!("unexpected answer: {e}"),
    })
}

/// The message of the server's JSON error body, or the bare status.
pub(crate) fn error_message(response: ureq::Response, status: u16) -> String {
    response
        .into_json::<ErrorBody>()
        .map_or_else(|_| format!("HTTP {status}"), |b| b.error.message)
}

/// `path` encoded to Ogg Opus in a temporary file, if it is a WAV (`RIFF…WAVE`).
fn encoded_if_wav(path: &Path) -> Result<Option<tempfile::NamedTempFile>, RecorderError> {
    use std::io::Read;
    let mut magic = [0u8; 12];
    let read = File::open(path)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|source| RecorderError::Input {
            path: path.to_owned(),
            source,
        })?;
    if read < 12 || &magic[..4] != b"RIFF" || &magic[8..12] != b"WAVE" {
        return Ok(None);
    }
    let encoded = tempfile::Builder::new()
        .prefix("offbeat-")
        .suffix(".opus")
        .tempfile()
        .map_err(|source| RecorderError::Input {
            path: std::env::temp_dir(),
            source,
        })?;
    let title = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    crate::convert::encode_wav(
        path,
        encoded.path(),
        media::EncoderSettings::default(),
        title.as_deref(),
        true,
    )?;
    Ok(Some(encoded))
}
