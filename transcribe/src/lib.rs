//! Speech to text with segment and word timestamps, for Offbeat's clips.
//!
//! - [`audio`]: a clip (Ogg Opus, or WebM with an Opus track) → 16 kHz mono PCM, streamed in
//!   windows, with our own `media` crate (no ffmpeg).
//! - [`whisper`]: whisper.cpp through `whisper-rs`, one loaded model shared by every job.
//! - [`words`]: whisper's tokens grouped into words.
//! - [`captions`]: WebVTT, SubRip and plain text renderings of a transcript.
//!
//! Everything here is synchronous and CPU-bound: async callers use blocking threads.

pub mod align;
pub mod audio;
pub mod captions;
mod error;
mod model_file;
mod transcript;
pub mod whisper;
pub mod words;

pub use error::TranscribeError;
pub use transcript::{Segment, Transcript, Word};
pub use whisper::{Timings, Transcriber, TranscriberOptions, WordTiming};

/// Whisper's input rate.
pub const WHISPER_RATE: u32 = 16_000;
