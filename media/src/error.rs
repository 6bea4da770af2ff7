use std::io;

/// Everything that can go wrong reading, writing or transcoding audio.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The bytes are not an Ogg stream at all, or its paging is broken.
    #[error("not a valid Ogg stream: {0}")]
    Ogg(String),
    /// An Ogg stream that carries something other than (single-stream) Opus.
    #[error("not an Ogg Opus stream: {0}")]
    NotOpus(String),
    /// Opus, but its OpusHead or OpusTags header is malformed.
    #[error("malformed Opus header: {0}")]
    BadHeader(String),
    /// WebM (EBML) whose structure is broken or unsupported.
    #[error("not a valid WebM file: {0}")]
    Webm(String),
    /// The stream ended before its headers were complete.
    #[error("the stream ends before its headers are complete")]
    Truncated,
    #[error("opus codec error: {0}")]
    Codec(#[from] opus::Error),
    #[error("resampler error: {0}")]
    Resample(String),
    /// The caller asked for something the format cannot express.
    #[error("unsupported input: {0}")]
    Unsupported(String),
}

impl From<ogg::OggReadError> for MediaError {
    fn from(err: ogg::OggReadError) -> Self {
        match err {
            ogg::OggReadError::ReadError(io) => MediaError::Io(io),
            other => MediaError::Ogg(other.to_string()),
        }
    }
}

pub type Result<T, E = MediaError> = std::result::Result<T, E>;
