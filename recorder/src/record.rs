//! `recorder record`: microphone → Ogg Opus file, with a live meter on a terminal.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use media::{EncoderSettings, InputFormat, LiveOggFile, OggOpusEncoder};

use crate::capture::{Capture, CaptureFailure, CaptureFormat};
use crate::error::RecorderError;
use crate::meter::LevelMeter;
use crate::tags;

/// How often the loop drains the ring buffer.
const POLL: Duration = Duration::from_millis(10);
/// How often the terminal status line is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
/// After a stop request, how long to wait for audio still in the device's buffers.
const TAIL_WAIT: Duration = Duration::from_millis(500);
/// Silence this long triggers the "is the microphone muted?" warning.
const SILENCE_WARNING: Duration = Duration::from_secs(4);
/// Live recordings complete an Ogg page this often, bounding what a crash can cost (the
/// RFC 7845 ceiling is one second; half of that costs ~0.2 kbit/s of page headers).
pub const LIVE_PAGE_MILLIS: u32 = 500;
/// No samples at all for this long means the device is gone, even if nothing said so (a sound
/// server that died can leave the stream hanging without an error).
const STALL_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub output: PathBuf,
    pub device: Option<String>,
    pub settings: EncoderSettings,
    pub max_duration: Option<Duration>,
    /// Also keep the raw capture, in the device's own rate and channels, as a float WAV.
    pub wav: Option<PathBuf>,
    pub title: Option<String>,
    pub force: bool,
    /// Show the live meter (stderr is a terminal).
    pub interactive: bool,
    /// Kept at how many leading bytes of the output are final, for sending it while it grows.
    pub settled: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// Why recording stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    Requested,
    MaxDuration,
    DeviceFailed(CaptureFailure),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordOutcome {
    pub seconds: f64,
    pub bytes: u64,
    pub dropped_samples: u64,
    pub format: CaptureFormat,
    pub stopped: StopReason,
}

/// Records until `stop` is set, the maximum duration is reached, or the device fails. The file
/// is always finished (encoder flushed, stream ended) before returning, whichever way it ends.
pub fn record(options: &RecordOptions, stop: &Arc<AtomicBool>) -> Result<RecordOutcome, RecorderError> {
    // The file first: a path that cannot be written is said before any device is touched.
    let output = open_output(&options.output, options.force)?;
    let capture = match Capture::start(options.device.as_deref()) {
        Ok(capture) => capture,
        Err(err) => {
            // Leave nothing behind for a recording that never started.
            let _ = std::fs::remove_file(&options.output);
            return Err(err);
        }
    };
    record_into(output, capture, options, stop)
}

/// [`record`] from a capture already open: a take whose link goes out as it starts opens the
/// microphone first, so no link ever points at a recording that could not begin.
pub fn record_from(
    capture: Capture,
    options: &RecordOptions,
    stop: &Arc<AtomicBool>,
) -> Result<RecordOutcome, RecorderError> {
    let output = open_output(&options.output, options.force)?;
    record_into(output, capture, options, stop)
}

fn record_into(
    output: File,
    capture: Capture,
    options: &RecordOptions,
    stop: &Arc<AtomicBool>,
) -> Result<RecordOutcome, RecorderError> {
    let format = capture.format().clone();
    let input = InputFormat {
        sample_rate: format.sample_rate,
        channels: format.channels,
    };
    let out_err = |source| RecorderError::Output {
        path: options.output.clone(),
        source,
    };
    let encoder = OggOpusEncoder::new(
        LiveOggFile::with_settled(output, options.settled.clone().unwrap_or_default()),
        input,
        EncoderSettings {
            page_millis: LIVE_PAGE_MILLIS,
            ..options.settings
        },
        tags::for_recording(options.title.as_deref()),
    )
    .map_err(|e| media_err(&options.output, e))?;
    let wav = match &options.wav {
        Some(path) => Some(open_wav(path, &format, options.force)?),
        None => None,
    };
    let mut session = Session {
        encoder,
        wav,
        meter: LevelMeter::new(format.sample_rate, SILENCE_WARNING),
        channels: usize::from(format.channels),
        captured_frames: 0,
        mono: Vec::new(),
        dropped: 0,
        options,
    };

    let hint = if options.interactive {
        "press Enter or Ctrl-C to stop"
    } else {
        "send SIGINT or SIGTERM to stop"
    };
    eprintln!(
        "Recording from {:?} ({} Hz, {} ch, {}) to {} — {hint}",
        format.device,
        format.sample_rate,
        format.channels,
        format.sample_format,
        options.output.display()
    );
    let stopped = session.run(capture, stop, &format)?;
    let dropped_samples = session.dropped;
    let seconds = session.captured_frames as f64 / f64::from(format.sample_rate);
    session.finish()?;
    let bytes = std::fs::metadata(&options.output).map_err(out_err)?.len();
    Ok(RecordOutcome {
        seconds,
        bytes,
        dropped_samples,
        format,
        stopped,
    })
}

struct Session<'a> {
    encoder: OggOpusEncoder<LiveOggFile>,
    wav: Option<hound::WavWriter<BufWriter<File>>>,
    meter: LevelMeter,
    channels: usize,
    captured_frames: u64,
    mono: Vec<f32>,
    dropped: u64,
    options: &'a RecordOptions,
}

impl Session<'_> {
    fn run(
        &mut self,
        mut capture: Capture,
        stop: &AtomicBool,
        format: &CaptureFormat,
    ) -> Result<StopReason, RecorderError> {
        let rate = f64::from(format.sample_rate);
        let max_frames = self
            .options
            .max_duration
            .map(|d| (d.as_secs_f64() * rate).round() as u64);
        let started = Instant::now();
        let mut last_redraw = Instant::now();
        let mut last_wav_flush = Instant::now();
        let mut last_data = Instant::now();
        let mut block = Vec::with_capacity(format.sample_rate as usize * self.channels);
        let reason = loop {
            std::thread::sleep(POLL);
            block.clear();
            if capture.read_into(&mut block) > 0 {
                last_data = Instant::now();
            }
            if let Some(max) = max_frames {
                let room = max.saturating_sub(self.captured_frames) as usize * self.channels;
                block.truncate(room);
            }
            self.consume(&block)?;
            if let Some(failure) = capture.failure() {
                break StopReason::DeviceFailed(failure);
            }
            if last_data.elapsed() >= STALL_LIMIT {
                let why = format!("no audio arrived for {} s", STALL_LIMIT.as_secs());
                break StopReason::DeviceFailed(CaptureFailure::DeviceLost(why));
            }
            if max_frames.is_some_and(|max| self.captured_frames >= max) {
                break StopReason::MaxDuration;
            }
            if stop.load(Ordering::Relaxed) {
                break StopReason::Requested;
            }
            if last_wav_flush.elapsed() >= Duration::from_secs(1) {
                last_wav_flush = Instant::now();
                // hound rewrites the header on flush, so a killed recorder leaves a valid WAV.
                if let Some(wav) = self.wav.as_mut() {
                    wav.flush().map_err(|e| wav_err(self.options, e))?;
                }
            }
            if self.options.interactive && last_redraw.elapsed() >= REDRAW {
                last_redraw = Instant::now();
                self.draw_status(capture.dropped_samples());
            }
        };
        if reason == StopReason::Requested {
            // Words spoken just before the stop are still in the device's buffers: wait until the
            // captured audio covers the time recorded, so the tail is kept.
            let wanted = (started.elapsed().as_secs_f64() * rate) as u64;
            let deadline = Instant::now() + TAIL_WAIT;
            while self.captured_frames < wanted && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
                block.clear();
                capture.read_into(&mut block);
                self.consume(&block)?;
            }
        }
        self.dropped = capture.dropped_samples();
        drop(capture);
        if self.options.interactive {
            eprint!("\r\x1b[2K");
        }
        Ok(reason)
    }

    fn consume(&mut self, block: &[f32]) -> Result<(), RecorderError> {
        if block.is_empty() {
            return Ok(());
        }
        self.captured_frames += (block.len() / self.channels) as u64;
        self.encoder
            .push(block)
            .map_err(|e| media_err(&self.options.output, e))?;
        if let Some(wav) = self.wav.as_mut() {
            for &sample in block {
                wav.write_sample(sample).map_err(|e| wav_err(self.options, e))?;
            }
        }
        self.mono.clear();
        media::pcm::downmix_into(block, self.channels, &mut self.mono);
        if self.meter.update(&self.mono).silence_warning {
            let secs = SILENCE_WARNING.as_secs();
            if self.options.interactive {
                eprint!("\r\x1b[2K");
            }
            eprintln!("warning: no sound from the microphone for {secs} s — is it muted or unplugged?");
        }
        Ok(())
    }

    fn draw_status(&self, dropped: u64) {
        let secs = self.encoder.input_secs();
        // Below -60 dBFS the bar is empty and the number means nothing: show the floor.
        let db = self.meter.held_dbfs();
        let db = if db >= -60.0 {
            format!("{db:>4.0} dB")
        } else {
            "<-60 dB".into()
        };
        let drops = if dropped > 0 {
            format!("  ({dropped} samples dropped)")
        } else {
            String::new()
        };
        eprint!(
            "\r\x1b[2K\x1b[31m●\x1b[0m REC {:02}:{:04.1}  {} {db}{drops}",
            (secs / 60.0) as u64,
            secs % 60.0,
            self.meter.bar(24),
        );
        let _ = std::io::stderr().flush();
    }

    fn finish(self) -> Result<(), RecorderError> {
        let path = &self.options.output;
        let (writer, _) = self.encoder.finish().map_err(|e| media_err(path, e))?;
        let file = writer.into_file().map_err(|source| RecorderError::Output {
            path: path.clone(),
            source,
        })?;
        file.sync_all().map_err(|source| RecorderError::Output {
            path: path.clone(),
            source,
        })?;
        if let Some(wav) = self.wav {
            wav.finalize().map_err(|e| wav_err(self.options, e))?;
        }
        Ok(())
    }
}

fn open_output(path: &Path, force: bool) -> Result<File, RecorderError> {
    let mut open = OpenOptions::new();
    open.write(true);
    if force {
        open.create(true).truncate(true);
    } else {
        open.create_new(true);
    }
    open.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            RecorderError::OutputExists { path: path.to_owned() }
        } else {
            RecorderError::Output {
                path: path.to_owned(),
                source,
            }
        }
    })
}

fn open_wav(
    path: &Path,
    format: &CaptureFormat,
    force: bool,
) -> Result<hound::WavWriter<BufWriter<File>>, RecorderError> {
    let file = open_output(path, force)?;
    let spec = hound::WavSpec {
        channels: format.channels,
        sample_rate: format.sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    hound::WavWriter::new(BufWriter::new(file), spec).map_err(|e| RecorderError::Output {
        path: path.to_owned(),
        source: hound_io(e),
    })
}

fn wav_err(options: &RecordOptions, err: hound::Error) -> RecorderError {
    RecorderError::Output {
        path: options.wav.clone().unwrap_or_default(),
        source: hound_io(err),
    }
}

pub(crate) fn hound_io(err: hound::Error) -> std::io::Error {
    match err {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    }
}

fn media_err(path: &Path, source: media::MediaError) -> RecorderError {
    RecorderError::Media {
        path: path.to_owned(),
        source,
    }
}

/// Whether to draw the live meter: only when a person is watching.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
