//! Interleaved PCM at any rate and channel count → mono Ogg Opus, as a stream.

use std::io::Write;

use opus::{Application, Bitrate, Channels, Encoder};

use crate::error::{MediaError, Result};
use crate::ogg_opus_writer::OggOpusWriter;
use crate::opus_header::{OpusHead, OpusTags};
use crate::pcm::downmix_into;
use crate::resample::StreamResampler;
use crate::{FRAME_SAMPLES, OPUS_RATE};

/// Largest Opus packet libopus produces for one frame (RFC 6716 §3.4).
const MAX_PACKET: usize = 1275;

/// How the Opus encoder is tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderSettings {
    /// Target bitrate in bits per second (VBR).
    pub bitrate: u32,
    /// libopus complexity, 0–10.
    pub complexity: u8,
    /// A page is completed at least this often, so a killed process loses at most this much.
    pub page_millis: u32,
}

impl Default for EncoderSettings {
    /// 24 kbit/s VBR at full complexity: transparent for speech at a third of MP3's size.
    fn default() -> Self {
        Self {
            bitrate: 24_000,
            complexity: 10,
            page_millis: 1000,
        }
    }
}

/// The shape of the PCM handed to [`OggOpusEncoder::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputFormat {
    pub sample_rate: u32,
    pub channels: u16,
}

/// What an encode produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeSummary {
    /// Input frames consumed, at the input rate.
    pub input_frames: u64,
    /// Playable samples at 48 kHz written to the stream (after pre-skip and end trimming).
    pub duration_samples: u64,
    pub packets: u64,
}

/// Streams PCM into an Ogg Opus file: downmix to mono, resample to 48 kHz, encode 20 ms VOIP
/// frames, page them. The stream is ended (and the encoder flushed so the last words survive)
/// by [`Self::finish`], or on drop if the caller never got that far.
pub struct OggOpusEncoder<W: Write> {
    input: InputFormat,
    encoder: Encoder,
    writer: Option<OggOpusWriter<W>>,
    resampler: StreamResampler,
    pre_skip: u64,
    mono: Vec<f32>,
    resampled: Vec<f32>,
    /// 48 kHz mono samples not yet making up a whole frame.
    frame: Vec<f32>,
    packet: [u8; MAX_PACKET],
    input_frames: u64,
    encoded_samples: u64,
    packets: u64,
}

impl<W: Write> std::fmt::Debug for OggOpusEncoder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggOpusEncoder")
            .field("input", &self.input)
            .field("pre_skip", &self.pre_skip)
            .field("input_frames", &self.input_frames)
            .finish()
    }
}

impl<W: Write> OggOpusEncoder<W> {
    /// Starts a stream on `out`, writing its headers at once. `tags` should carry at least the
    /// vendor string; the encoder adds an `ENCODER` comment naming libopus.
    pub fn new(out: W, input: InputFormat, settings: EncoderSettings, tags: OpusTags) -> Result<Self> {
        if input.channels == 0 || input.sample_rate == 0 {
            return Err(MediaError::Unsupported(format!(
                "{} channels at {} Hz",
                input.channels, input.sample_rate
            )));
        }
        let mut encoder = Encoder::new(OPUS_RATE, Channels::Mono, Application::Voip)?;
        encoder.set_bitrate(Bitrate::Bits(i32::try_from(settings.bitrate).unwrap_or(i32::MAX)))?;
        encoder.set_vbr(true)?;
        encoder.set_complexity(i32::from(settings.complexity.min(10)))?;
        // The lookahead (at 48 kHz, since the encoder runs at 48 kHz) is what the decoder must
        // discard: RFC 7845 §4.2 pre-skip.
        let pre_skip = u16::try_from(encoder.get_lookahead()?)
            .map_err(|_| MediaError::Unsupported("encoder lookahead out of range".into()))?;
        let head = OpusHead::mono(pre_skip, input.sample_rate);
        let tags = tags.with("ENCODER", crate::libopus_version());
        let page_samples = u64::from(settings.page_millis) * u64::from(OPUS_RATE) / 1000;
        let writer = OggOpusWriter::new(out, &head, &tags, page_samples)?;
        Ok(Self {
            input,
            encoder,
            writer: Some(writer),
            resampler: StreamResampler::new(input.sample_rate, OPUS_RATE, 1)?,
            pre_skip: u64::from(pre_skip),
            mono: Vec::new(),
            resampled: Vec::new(),
            frame: Vec::with_capacity(FRAME_SAMPLES),
            packet: [0; MAX_PACKET],
            input_frames: 0,
            encoded_samples: 0,
            packets: 0,
        })
    }

    /// Seconds of input consumed so far.
    pub fn input_secs(&self) -> f64 {
        self.input_frames as f64 / f64::from(self.input.sample_rate)
    }

    /// Feeds interleaved samples in the input format; a trailing partial frame is kept for later.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        let channels = usize::from(self.input.channels);
        let whole = interleaved.len() - interleaved.len() % channels;
        self.input_frames += (whole / channels) as u64;
        self.mono.clear();
        downmix_into(&interleaved[..whole], channels, &mut self.mono);
        self.resampled.clear();
        self.resampler.push(&self.mono, &mut self.resampled)?;
        self.encode_resampled()
    }

    /// Ends the stream: flushes the resampler, pads the encoder past its lookahead so the last
    /// real sample is encoded, trims the padding through the final granule position, and returns
    /// the underlying writer.
    pub fn finish(mut self) -> Result<(W, EncodeSummary)> {
        self.end_stream()?;
        let summary = self.summary();
        let writer = self
            .writer
            .take()
            .ok_or_else(|| MediaError::Unsupported("stream already ended".into()))?;
        Ok((writer.into_inner(), summary))
    }

    fn summary(&self) -> EncodeSummary {
        EncodeSummary {
            input_frames: self.input_frames,
            duration_samples: self.resampler_frames_out(),
            packets: self.packets,
        }
    }

    fn resampler_frames_out(&self) -> u64 {
        crate::resample::output_len(self.input_frames, self.input.sample_rate, OPUS_RATE)
    }

    fn end_stream(&mut self) -> Result<()> {
        if self.writer.as_ref().is_none_or(|w| w.is_finished()) {
            return Ok(());
        }
        self.resampled.clear();
        self.resampler.finish(&mut self.resampled)?;
        self.encode_resampled()?;
        let end_granule = self.resampler_frames_out() + self.pre_skip;
        loop {
            self.frame.resize(FRAME_SAMPLES, 0.0);
            let len = self.encoder.encode_float(&self.frame, &mut self.packet)?;
            self.frame.clear();
            self.encoded_samples += FRAME_SAMPLES as u64;
            self.packets += 1;
            let writer = self
                .writer
                .as_mut()
                .ok_or_else(|| MediaError::Unsupported("stream already ended".into()))?;
            if self.encoded_samples >= end_granule {
                writer.write_final_packet(&self.packet[..len], end_granule)?;
                return Ok(());
            }
            writer.write_packet(&self.packet[..len], FRAME_SAMPLES as u64)?;
        }
    }

    fn encode_resampled(&mut self) -> Result<()> {
        let mut rest = &self.resampled[..];
        while !rest.is_empty() {
            let take = (FRAME_SAMPLES - self.frame.len()).min(rest.len());
            self.frame.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.frame.len() == FRAME_SAMPLES {
                let len = self.encoder.encode_float(&self.frame, &mut self.packet)?;
                self.frame.clear();
                self.encoded_samples += FRAME_SAMPLES as u64;
                self.packets += 1;
                if let Some(writer) = self.writer.as_mut() {
                    writer.write_packet(&self.packet[..len], FRAME_SAMPLES as u64)?;
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Drop for OggOpusEncoder<W> {
    /// An encoder dropped without `finish` (an early return, a panic unwinding) still ends its
    /// stream, so the file is complete and plays to the last sample pushed.
    fn drop(&mut self) {
        let _ = self.end_stream();
    }
}
