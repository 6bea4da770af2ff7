use std::path::PathBuf;

/// Why a recorder operation failed. Every message is one line a user can act on; variants with a
/// `source` leave it out of their own text, so printing the chain (`{:#}`) says it once.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error("no input device found: connect a microphone, or pick one from `recorder devices`")]
    NoInputDevice,
    #[error(
        "no usable input device: the default one cannot be opened; connect a microphone or start the sound server (PulseAudio/PipeWire), then see `recorder devices`"
    )]
    NoUsableDevice,
    #[error("no input device matches {0:?}; `recorder devices` lists them")]
    UnknownDevice(String),
    #[error("the input device {0:?} is busy: another program is using it")]
    DeviceBusy(String),
    #[error("the input device {device:?} cannot be opened: {reason}")]
    DeviceUnavailable { device: String, reason: String },
    #[error("the audio system is not available: {0}")]
    HostUnavailable(String),
    #[error("permission denied opening the input device {0:?}")]
    PermissionDenied(String),
    #[error("the input device {device:?} uses {format}, which is not supported")]
    UnsupportedFormat { device: String, format: String },
    #[error("cannot write {path}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{path} already exists (pass --force to overwrite it)")]
    OutputExists { path: PathBuf },
    #[error("cannot read {path}")]
    Input { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a WAV file ({reason})")]
    NotWav { path: PathBuf, reason: String },
    #[error("{path} is truncated: its audio data ends before its header says")]
    TruncatedWav { path: PathBuf },
    #[error("the server refused the upload ({status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
    #[error("no transcript: it is {status}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    TranscriptUnavailable { status: String, reason: Option<String> },
    #[error("not signed in to {server}: run `recorder login --server {server}`")]
    NotSignedIn { server: String },
    #[error("credentials: {0}")]
    Credentials(String),
    #[error("the browser sign-in did not finish: {0}")]
    BrowserSignIn(String),
    #[error("cannot reach the server at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("{path}")]
    Media { path: PathBuf, source: media::MediaError },
}

impl RecorderError {
    /// What a refused or failed request to `server` means to the person running the recorder.
    pub fn of_request(server: &str, err: ureq::Error) -> Self {
        match err {
            ureq::Error::Status(status, response) => Self::Server {
                status,
                message: crate::upload::error_message(response, status),
            },
            ureq::Error::Transport(t) => Self::Unreachable {
                server: server.to_owned(),
                reason: t.to_string(),
            },
        }
    }
}
