//! The few tus 1.0 calls the recorder makes against the server's `/api/v1/uploads`: create a
//! session (length known, or deferred while recording), ask where it is, append.

use std::time::Duration;

use crate::credentials;
use crate::error::RecorderError;

/// A session just created: where to send, and the clip's link (live from the start).
#[derive(Debug, Clone)]
pub struct Created {
    pub url: String,
    pub page_url: Option<String>,
}

/// Where a session is: bytes the server holds durably, and the clip once the upload is done.
#[derive(Debug, Clone)]
pub struct Position {
    pub offset: u64,
    pub clip_id: Option<String>,
}

/// What a new session is for.
#[derive(Debug, Clone, Default)]
pub struct NewUpload<'a> {
    pub title: Option<&'a str>,
    /// Anyone with the link may watch.
    pub public: bool,
    /// The final length, or `None` while the take is still being recorded.
    pub length: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct TusClient {
    agent: ureq::Agent,
    server: String,
    auth: String,
}

impl TusClient {
    pub fn new(server: &str, read_timeout: Duration) -> Result<Self, RecorderError> {
        let server = credentials::normalise(server);
        let token =
            credentials::token_for(&server).ok_or_else(|| RecorderError::NotSignedIn { server: server.clone() })?;
        Ok(Self {
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout_read(read_timeout)
                .build(),
            auth: format!("Bearer {token}"),
            server,
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    pub fn auth(&self) -> &str {
        &self.auth
    }

    pub fn create(&self, new: &NewUpload<'_>) -> Result<Created, RecorderError> {
        use base64::Engine;
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let mut metadata = vec![format!(
            "visibility {}",
            b64(if new.public { "link" } else { "workspace" })
        )];
        if let Some(title) = new.title {
            metadata.push(format!("title {}", b64(title)));
        }
        let mut request = self
            .agent
            .post(&format!("{}/api/v1/uploads", self.server))
            .set("Authorization", &self.auth)
            .set("Tus-Resumable", "1.0.0")
            .set("Upload-Metadata", &metadata.join(","));
        request = match new.length {
            Some(length) => request.set("Upload-Length", &length.to_string()),
            None => request.set("Upload-Defer-Length", "1"),
        };
        let created = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => return Err(server_error(status, r)),
            Err(ureq::Error::Transport(t)) => return Err(self.unreachable(&t)),
        };
        let url = created
            .header("location")
            .map(str::to_owned)
            .ok_or_else(|| self.unreachable(&"the server gave no upload location"))?;
        Ok(Created {
            url,
            page_url: created.header("offbeat-page-url").map(str::to_owned),
        })
    }

    /// Where the session is; `Ok(None)` if the server does not know it (finished long ago and
    /// cleaned up, or abandoned).
    pub fn position(&self, url: &str) -> Result<Option<Position>, RecorderError> {
        let request = self
            .agent
            .head(url)
            .set("Authorization", &self.auth)
            .set("Tus-Resumable", "1.0.0");
        match request.call() {
            Ok(r) => Ok(Some(position(&r, 0))),
            Err(ureq::Error::Status(404, _)) => Ok(None),
            Err(ureq::Error::Status(status, r)) => Err(server_error(status, r)),
            Err(ureq::Error::Transport(t)) => Err(self.unreachable(&t)),
        }
    }

    /// Appends `bytes` at `offset`, telling the final length when known (which finishes the
    /// upload once it is all there). `Ok(None)` when the server is elsewhere (409): ask again.
    pub fn append(
        &self,
        url: &str,
        offset: u64,
        bytes: &[u8],
        length: Option<u64>,
    ) -> Result<Option<Position>, RecorderError> {
        let mut request = self
            .agent
            .request("PATCH", url)
            .set("Authorization", &self.auth)
            .set("Tus-Resumable", "1.0.0")
            .set("Upload-Offset", &offset.to_string())
            .set("Content-Type", "application/offset+octet-stream");
        if let Some(length) = length {
            request = request.set("Upload-Length", &length.to_string());
        }
        match request.send_bytes(bytes) {
            Ok(r) => Ok(Some(position(&r, offset + bytes.len() as u64))),
            Err(ureq::Error::Status(409, _)) => Ok(None),
            Err(ureq::Error::Status(status, r)) => Err(server_error(status, r)),
            Err(ureq::Error::Transport(t)) => Err(self.unreachable(&t)),
        }
    }

    pub fn unreachable(&self, reason: &dyn std::fmt::Display) -> RecorderError {
        RecorderError::Unreachable {
            server: self.server.clone(),
            reason: reason.to_string(),
        }
    }
}

fn position(response: &ureq::Response, fallback: u64) -> Position {
    Position {
        offset: response
            .header("upload-offset")
            .and_then(|v| v.parse().ok())
            .unwrap_or(fallback),
        clip_id: response.header("offbeat-clip-id").map(str::to_owned),
    }
}

pub fn server_error(status: u16, response: ureq::Response) -> RecorderError {
    RecorderError::Server {
        status,
        message: crate::upload::error_message(response, status),
    }
}
