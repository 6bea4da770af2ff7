//! What an uploaded body is, told by parsing it (never by trusting Content-Type): container,
//! codecs, duration, channels, recorded-at, plus the waveform peaks and silent ranges the
//! player draws. CPU-bound: runs on a blocking thread.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use media::{DecodeOptions, MediaError, OggOpusReader, PcmDecoder, Waveform, WaveformBuilder};

use crate::hashing::{Digest, HashingWriter};
use media::container::{Container, SNIFF_LEN};

pub mod live;
pub mod webm;

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
    pub container: Container,
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

/// What to store: the facts, and what the stored object is made of.
#[derive(Debug)]
pub struct Analysis {
    pub facts: MediaFacts,
    pub stored: Stored,
}

/// The stored object, in terms of the upload.
#[derive(Debug)]
pub enum Stored {
    /// The upload itself.
    Upload,
    /// A file made from the upload (audio-only WebM remuxed to Ogg; WebM rewritten).
    File(Replacement),
    /// `head`, then the upload's bytes `tail.0..tail.1` unchanged: a video WebM made seekable
    /// with its clusters as they are. Never written out as a file: stored as the upload and a
    /// head in front of it, or sent that way by a streaming S3 upload.
    /// Its size and sha256 are worked out while it is stored
    /// ([`crate::hashing::hash_head_and_tail`]).
    HeadAndTail { head: Vec<u8>, tail: (u64, u64) },
}

/// A new WebM file beside the upload at `upload`, made by `write`: synced, with its size and
/// sha256 counted as it was written.
pub(crate) fn write_seekable_beside(
    upload: &Path,
    write: impl FnOnce(&mut HashingWriter<BufWriter<File>>) -> Result<(), AnalyzeError>,
) -> Result<Replacement, AnalyzeError> {
    let dir = upload.parent().unwrap_or(Path::new("."));
    let file = tempfile::Builder::new()
        .prefix("seekable-")
        .suffix(".webm")
        .tempfile_in(dir)?;
    let mut out = HashingWriter::new(BufWriter::new(file.reopen()?));
    write(&mut out)?;
    let (writer, Digest { size, sha256 }) = out.finish();
    writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(Replacement { file, size, sha256 })
}

/// A file made from the upload (e.g. WebM remuxed to be seekable), with its size and sha256.
#[derive(Debug)]
pub struct Replacement {
    pub file: tempfile::NamedTempFile,
    pub size: u64,
    pub sha256: String,
}

/// Parses and checks the upload at `path`. A video WebM that can keep its clusters unchanged
/// comes back as [`Stored::HeadAndTail`].
pub fn analyze(path: &Path) -> Result<Analysis, AnalyzeError> {
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
    match Container::sniff(head) {
        _ if head.is_empty() => Err(AnalyzeError::Malformed("the body is empty".into())),
        Some(Container::Ogg) => Ok(Analysis {
            facts: analyze_ogg(path)?,
            stored: Stored::Upload,
        }),
        Some(Container::WebM) => analyze_webm(path),
        None => Err(AnalyzeError::Unsupported(format!(
            "the body is neither Ogg Opus nor WebM ({})",
            media::ogg_opus_reader::sniff(head)
        ))),
    }
}

/// The container of the body at `path` if it will be stored as it arrives — Ogg Opus, or WebM
/// with video (audio-only WebM becomes Ogg) — as its first bytes tell. `None` also while they
/// cannot tell yet.
pub fn stored_as_uploaded(path: &Path) -> Option<Container> {
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; SNIFF_LEN];
    file.read_exact(&mut magic).ok()?;
    match Container::sniff(&magic)? {
        Container::Ogg => Some(Container::Ogg),
        Container::WebM => {
            std::io::Seek::rewind(&mut file).ok()?;
            (media::WebmScan::has_video(file).ok()??).then_some(Container::WebM)
        }
    }
}

fn analyze_ogg(path: &Path) -> Result<MediaFacts, AnalyzeError> {
    analyze_ogg_stream(File::open(path)?)
}

/// The facts and waveform of an Ogg Opus stream, read once from start to end (a file, or one
/// still arriving: see [`crate::live_analysis`]).
pub fn analyze_ogg_stream(input: impl Read) -> Result<MediaFacts, AnalyzeError> {
    let reader = OggOpusReader::new(BufReader::new(input)).map_err(media_error)?;
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
        return Err(AnalyzeError::Malformed("the Ogg Opus stream holds no audio".into()));
    }
    Ok(MediaFacts {
        container: Container::Ogg,
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

/// Checks a whole WebM file at once: see [`webm`].
fn analyze_webm(path: &Path) -> Result<Analysis, AnalyzeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let audio = webm::analyze_webm_audio(File::open(path)?, dir)?;
    webm::finish_webm(path, audio)
}

fn webm_error(err: MediaError) -> AnalyzeError {
    match err {
        MediaError::NotOpus(why) => AnalyzeError::Unsupported(why),
        MediaError::Io(io) => AnalyzeError::Io(io),
        MediaError::Truncated => AnalyzeError::Malformed("the WebM file is truncated".into()),
        other => AnalyzeError::Malformed(format!("malformed WebM: {other}")),
    }
}

fn media_error(err: MediaError) -> AnalyzeError {
    match err {
        MediaError::NotOpus(why) => AnalyzeError::Unsupported(format!("unsupported Ogg stream: {why}")),
        MediaError::Io(io) => AnalyzeError::Io(io),
        other => AnalyzeError::Malformed(format!("malformed Ogg Opus: {other}")),
    }
}
