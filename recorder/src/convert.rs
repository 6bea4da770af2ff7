//! `recorder encode` (WAV → Ogg Opus) and `recorder decode` (Ogg Opus → WAV).
//!
//! Both stream: memory stays flat whatever the file's length. Output goes to a temporary file
//! beside the target and is renamed into place only when complete, so a failure leaves no
//! half-written file.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use media::{DecodeOptions, EncodeSummary, EncoderSettings, InputFormat, OggOpusEncoder, OggOpusReader, PcmDecoder};

use crate::error::RecorderError;
use crate::record::hound_io;
use crate::tags;

/// Frames read from the WAV per encoder call.
const BLOCK_FRAMES: usize = 4096;

/// What `decode` found in the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeReport {
    pub seconds: f64,
    /// The stream had no end-of-stream page: an interrupted recording, decoded up to its last page.
    pub truncated: bool,
}

pub fn encode_wav(
    input: &Path,
    output: &Path,
    settings: EncoderSettings,
    title: Option<&str>,
    force: bool,
) -> Result<EncodeSummary, RecorderError> {
    // Opening is ours (so I/O errors say "cannot read"); after that every error is the content's.
    let file = File::open(input).map_err(|source| RecorderError::Input {
        path: input.to_owned(),
        source,
    })?;
    let reader = hound::WavReader::new(BufReader::new(file)).map_err(|e| wav_content_error(input, e))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(RecorderError::NotWav {
            path: input.to_owned(),
            reason: "its header declares no channels or a zero sample rate".into(),
        });
    }
    let recorded_at = std::fs::metadata(input)
        .and_then(|m| m.modified())
        .map_or_else(|_| chrono::Local::now(), chrono::DateTime::from);
    let title = title
        .map(str::to_owned)
        .or_else(|| input.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let staged = Staged::new(output, force)?;
    let format = InputFormat {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    };
    let writer = BufWriter::new(staged.file()?);
    let mut encoder = OggOpusEncoder::new(writer, format, settings, tags::with_date(title.as_deref(), recorded_at))
        .map_err(|source| RecorderError::Media {
            path: output.to_owned(),
            source,
        })?;
    let block = BLOCK_FRAMES * usize::from(spec.channels);
    let mut pcm = Vec::with_capacity(block);
    let mut push = |pcm: &mut Vec<f32>| {
        encoder.push(pcm).map_err(|source| RecorderError::Media {
            path: output.to_owned(),
            source,
        })?;
        pcm.clear();
        Ok::<_, RecorderError>(())
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for sample in reader.into_samples::<f32>() {
                pcm.push(sample.map_err(|e| wav_read_error(input, e))?);
                if pcm.len() == block {
                    push(&mut pcm)?;
                }
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            for sample in reader.into_samples::<i32>() {
                pcm.push(sample.map_err(|e| wav_read_error(input, e))? as f32 * scale);
                if pcm.len() == block {
                    push(&mut pcm)?;
                }
            }
        }
    }
    push(&mut pcm)?;
    let (writer, summary) = encoder.finish().map_err(|source| RecorderError::Media {
        path: output.to_owned(),
        source,
    })?;
    writer.into_inner().map_err(|e| staged.io_error(e.into_error()))?;
    staged.commit()?;
    Ok(summary)
}

pub fn decode_to_wav(
    input: &Path,
    output: &Path,
    sample_rate: u32,
    float: bool,
    force: bool,
) -> Result<DecodeReport, RecorderError> {
    let media_err = |source| RecorderError::Media {
        path: input.to_owned(),
        source,
    };
    let file = File::open(input).map_err(|source| RecorderError::Input {
        path: input.to_owned(),
        source,
    })?;
    let reader = OggOpusReader::new(BufReader::new(file)).map_err(media_err)?;
    let options = DecodeOptions {
        sample_rate,
        mono: false,
    };
    let mut decoder = PcmDecoder::new(reader, options).map_err(media_err)?;
    let channels = decoder.channels();
    let staged = Staged::new(output, force)?;
    let spec = hound::WavSpec {
        channels: u16::try_from(channels).unwrap_or(2),
        sample_rate,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut wav =
        hound::WavWriter::new(BufWriter::new(staged.file()?), spec).map_err(|e| staged.io_error(hound_io(e)))?;
    let mut frames = 0u64;
    while let Some(chunk) = decoder.next_chunk().map_err(media_err)? {
        frames += (chunk.len() / channels) as u64;
        for &sample in chunk {
            let written = if float {
                wav.write_sample(sample)
            } else {
                wav.write_sample((sample.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            };
            written.map_err(|e| staged.io_error(hound_io(e)))?;
        }
    }
    let truncated = decoder.reader().truncated();
    wav.finalize().map_err(|e| staged.io_error(hound_io(e)))?;
    staged.commit()?;
    Ok(DecodeReport {
        seconds: frames as f64 / f64::from(sample_rate),
        truncated,
    })
}

/// A temporary file beside the destination, renamed over it on `commit` and removed otherwise.
struct Staged {
    target: PathBuf,
    temp: tempfile::NamedTempFile,
}

impl Staged {
    fn new(target: &Path, force: bool) -> Result<Self, RecorderError> {
        if !force && target.exists() {
            return Err(RecorderError::OutputExists {
                path: target.to_owned(),
            });
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // 0666 less the umask, like any file a program creates (tempfile's default is 0600).
        let temp = tempfile::Builder::new()
            .prefix(".offbeat-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|source| RecorderError::Output {
                path: target.to_owned(),
                source,
            })?;
        Ok(Self {
            target: target.to_owned(),
            temp,
        })
    }

    fn file(&self) -> Result<File, RecorderError> {
        self.temp.reopen().map_err(|e| self.io_error(e))
    }

    fn io_error(&self, source: std::io::Error) -> RecorderError {
        RecorderError::Output {
            path: self.target.clone(),
            source,
        }
    }

    /// Makes the data durable, then renames it into place. Writers must be flushed first.
    fn commit(self) -> Result<(), RecorderError> {
        // fsync through any descriptor of the file covers the data written through the others.
        self.temp.as_file().sync_all().map_err(|e| self.io_error(e))?;
        let target = self.target.clone();
        self.temp.persist(&target).map_err(|e| RecorderError::Output {
            path: target,
            source: e.error,
        })?;
        Ok(())
    }
}

/// What a hound error says about a file we could open: its content is not a usable WAV.
fn wav_content_error(path: &Path, err: hound::Error) -> RecorderError {
    match err {
        hound::Error::IoError(_) => RecorderError::NotWav {
            path: path.to_owned(),
            reason: "the file ends inside its header".into(),
        },
        hound::Error::FormatError(reason) => RecorderError::NotWav {
            path: path.to_owned(),
            reason: reason.to_string(),
        },
        hound::Error::Unsupported => RecorderError::NotWav {
            path: path.to_owned(),
            reason: "an unsupported WAV encoding (use PCM or 32-bit float)".into(),
        },
        other => RecorderError::NotWav {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

fn wav_read_error(path: &Path, err: hound::Error) -> RecorderError {
    match err {
        hound::Error::IoError(source) if is_short_read(&source) => {
            RecorderError::TruncatedWav { path: path.to_owned() }
        }
        hound::Error::IoError(source) => RecorderError::Input {
            path: path.to_owned(),
            source,
        },
        other => wav_content_error(path, other),
    }
}

/// hound reports running out of data as `ErrorKind::Other` "Failed to read enough bytes."
/// (hound 3.5 `read.rs`), not as `UnexpectedEof`; both mean the data ended early.
fn is_short_read(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::UnexpectedEof
        || (err.kind() == std::io::ErrorKind::Other && err.to_string().contains("read enough bytes"))
}
