use std::path::PathBuf;

/// Why a transcription could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("no speech model at {}: {reason}", path.display())]
    Model { path: PathBuf, reason: String },
    #[error("the clip's audio cannot be decoded: {0}")]
    Media(#[from] media::MediaError),
    #[error("the clip is neither Ogg nor WebM")]
    NotAClip,
    #[error("cannot read the clip: {0}")]
    Io(#[from] std::io::Error),
    #[error("speech recognition failed: {0}")]
    Whisper(#[from] whisper_rs::WhisperError),
    #[error("language {0:?} is not one whisper knows")]
    UnknownLanguage(String),
}
