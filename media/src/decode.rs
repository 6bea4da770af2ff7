//! Ogg Opus → PCM, streamed chunk by chunk, with pre-skip and end trimming applied.

use std::io::Read;

use opus::{Channels, Decoder};

use crate::OPUS_RATE;
use crate::error::{MediaError, Result};
use crate::ogg_opus_reader::{OggOpusReader, StreamFacts};
use crate::pcm::downmix_into;
use crate::resample::StreamResampler;

/// The longest Opus packet decodes to 120 ms.
const MAX_PACKET_SAMPLES: usize = 5760;

/// What PCM to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Output rate; 48 kHz is Opus's own and needs no resampling (16 kHz suits speech models).
    pub sample_rate: u32,
    /// Downmix to one channel; otherwise keep the stream's channels.
    pub mono: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            sample_rate: OPUS_RATE,
            mono: false,
        }
    }
}

/// Decodes an Ogg Opus stream into interleaved `f32` PCM, one packet's worth at a time.
pub struct PcmDecoder<R: Read> {
    reader: OggOpusReader<R>,
    decoder: Decoder,
    stream_channels: usize,
    out_channels: usize,
    resampler: StreamResampler,
    /// Position in the decoded stream (48 kHz samples, pre-skip included).
    position: u64,
    pre_skip: u64,
    last_granule: Option<u64>,
    packets: u64,
    decoded: Vec<f32>,
    kept: Vec<f32>,
    out: Vec<f32>,
    done: bool,
}

impl<R: Read> std::fmt::Debug for PcmDecoder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmDecoder")
            .field("reader", &self.reader)
            .field("position", &self.position)
            .finish()
    }
}

impl<R: Read> PcmDecoder<R> {
    pub fn new(reader: OggOpusReader<R>, options: DecodeOptions) -> Result<Self> {
        let stream_channels = usize::from(reader.head().channels);
        let channels = match stream_channels {
            1 => Channels::Mono,
            2 => Channels::Stereo,
            n => return Err(MediaError::Unsupported(format!("{n}-channel Opus"))),
        };
        let out_channels = if options.mono { 1 } else { stream_channels };
        Ok(Self {
            decoder: Decoder::new(OPUS_RATE, channels)?,
            stream_channels,
            out_channels,
            resampler: StreamResampler::new(OPUS_RATE, options.sample_rate, out_channels)?,
            position: 0,
            pre_skip: u64::from(reader.head().pre_skip),
            reader,
            last_granule: None,
            packets: 0,
            decoded: vec![0.0; MAX_PACKET_SAMPLES * stream_channels],
            kept: Vec::new(),
            out: Vec::new(),
            done: false,
        })
    }

    pub fn channels(&self) -> usize {
        self.out_channels
    }

    pub fn reader(&self) -> &OggOpusReader<R> {
        &self.reader
    }

    /// The next chunk of interleaved PCM (possibly empty), or `None` when the stream is over.
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        if self.done {
            return Ok(None);
        }
        self.out.clear();
        match self.reader.next_packet()? {
            Some(packet) => {
                self.packets += 1;
                if packet.page_granule.is_some() {
                    self.last_granule = packet.page_granule;
                }
                let frames = self.decoder.decode_float(&packet.data, &mut self.decoded, false)?;
                let start = self.position;
                let end = start + frames as u64;
                self.position = end;
                // Keep [pre_skip, eos granule) of the decoded timeline: the first pre_skip samples
                // are encoder warm-up, and the EOS page's granule trims the padded final frame.
                let keep_to = if packet.end_of_stream {
                    packet.page_granule.map_or(end, |g| g.clamp(start, end))
                } else {
                    end
                };
                let keep_from = self.pre_skip.clamp(start, keep_to);
                let (a, b) = ((keep_from - start) as usize, (keep_to - start) as usize);
                let slice = &self.decoded[a * self.stream_channels..b * self.stream_channels];
                self.kept.clear();
                if self.out_channels == self.stream_channels {
                    self.kept.extend_from_slice(slice);
                } else {
                    downmix_into(slice, self.stream_channels, &mut self.kept);
                }
                self.resampler.push(&self.kept, &mut self.out)?;
            }
            None => {
                self.resampler.finish(&mut self.out)?;
                self.done = true;
            }
        }
        Ok(Some(&self.out))
    }

    /// The stream's facts, as [`OggOpusReader::scan`] gives them, once decoding has reached the end.
    pub fn facts(&self) -> StreamFacts {
        let pre_skip = u64::from(self.reader.head().pre_skip);
        StreamFacts {
            head: self.reader.head().clone(),
            tags: self.reader.tags().clone(),
            // What decoded, whatever the granules claim.
            duration_samples: self
                .last_granule
                .map_or(0, |g| g.saturating_sub(pre_skip))
                .min(self.position.saturating_sub(pre_skip)),
            audio_packets: self.packets,
            truncated: self.reader.truncated(),
        }
    }

    /// Decodes everything that is left into one buffer. For clips of known, modest size (tests,
    /// speech recognition windows); stream with [`Self::next_chunk`] otherwise.
    pub fn decode_to_end(mut self) -> Result<Vec<f32>> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk()? {
            all.extend_from_slice(chunk);
        }
        Ok(all)
    }
}
