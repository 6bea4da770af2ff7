//! What an uploaded body is, told by parsing it (never by trusting Content-Type): container,
//! codecs, duration, channels, recorded-at, plus the waveform peaks and silent ranges the
//! player draws. CPU-bound: runs on a blocking thread.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use media::{DecodeOptions, MediaError, OggOpusReader, PcmDecoder, Waveform, WaveformBuilder};

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// Not a format we take at all (415).
    #[error("{0}")]
    Unsupported(String),
    /// The right kind of file, but broken (400).
    #[error("{0}")]
    Malformed(String),
    #[error("cannot read the staged upload: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything ingest stores about a clip's media.
#[derive(Debug, Clone)]
pub struct MediaFacts {
    pub container: &'static str,
    pub extension: &'static str,
    pub content_type: &'static str,
    pub audio_codec: &'static str,
    pub video_codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub channels: u8,
    pub sample_rate: u32,
    pub duration_ms: u64,
    pub title: Option<String>,
    pub recorded_at: Option<DateTime<FixedOffset>>,
    pub waveform: Waveform,
}

pub fn analyze(path: &Path) -> Result<MediaFacts, AnalyzeError> {
    let mut magic = [0u8; 12];
    let mut file = File::open(path)?;
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = &magic[..got];
    if head.is_empty() {
        Err(AnalyzeError::Malformed("the body is empty".into()))
    } else if head.starts_with(b"OggS") {
        analyze_ogg(path)
    } else if head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        Err(AnalyzeError::Unsupported(
            "WebM uploads are not accepted yet; send Ogg Opus".into(),
        ))
    } else {
        Err(AnalyzeError::Unsupported(format!(
            "the body is neither Ogg Opus nor WebM ({})",
            media::ogg_opus_reader::sniff(head)
        )))
    }
}

fn analyze_ogg(path: &Path) -> Result<MediaFacts, AnalyzeError> {
    let reader = OggOpusReader::new(BufReader::new(File::open(path)?)).map_err(media_error)?;
    let options = DecodeOptions {
        sample_rate: media::OPUS_RATE,
        mono: true,
    };
    let mut decoder = PcmDecoder::new(reader, options).map_err(media_error)?;
    let mut waveform = WaveformBuilder::new(media::OPUS_RATE);
    while let Some(chunk) = decoder.next_chunk().map_err(media_error)? {
        waveform.push(chunk);
    }
    let facts = decoder.facts();
    if facts.duration_samples == 0 {
        return Err(AnalyzeError::Malformed(
            "the Ogg Opus stream holds no audio".into(),
        ));
    }
    Ok(MediaFacts {
        container: "ogg",
        extension: "opus",
        content_type: "audio/ogg; codecs=opus",
        audio_codec: "opus",
        video_codec: None,
        width: None,
        height: None,
        channels: facts.head.channels,
        sample_rate: facts.head.input_sample_rate,
        duration_ms: facts.duration_samples * 1000 / u64::from(media::OPUS_RATE),
        title: facts
            .tags
            .get("TITLE")
            .map(str::to_owned)
            .filter(|t| !t.trim().is_empty()),
        recorded_at: facts
            .tags
            .get("DATE")
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok()),
        waveform: waveform.finish(),
    })
}

fn media_error(err: MediaError) -> AnalyzeError {
    match err {
        MediaError::NotOpus(why) => {
            AnalyzeError::Unsupported(format!("unsupported Ogg stream: {why}"))
        }
        MediaError::Io(io) => AnalyzeError::Io(io),
        other => AnalyzeError::Malformed(format!("malformed Ogg Opus: {other}")),
    }
}
