//! Audio code shared by the recorder and the server.
//!
//! Everything here is synchronous and CPU-bound: callers on an async runtime run it on
//! blocking threads. The pieces are deliberately separate and joined by plain data:
//!
//! - [`opus_header`]: the two RFC 7845 header packets (OpusHead, OpusTags).
//! - [`ogg_opus_writer`] / [`ogg_opus_reader`]: Ogg paging of an Opus stream.
//! - [`resample`]: streaming band-limited resampling with an exact output length.
//! - [`encode`]: interleaved PCM at any rate and channel count → mono Ogg Opus.
//! - [`container`]: the two containers a clip is stored in, told by their first bytes.
//! - [`decode`]: Ogg Opus → PCM at 48 kHz or any requested rate.
//! - [`live_file`]: a file that is a complete Ogg stream after every page, for live recording.
//! - [`webm`] / [`webm_remux`]: browsers' WebM read in one pass; its Opus track into Ogg.

pub mod container;
pub mod cut;
pub mod decode;
pub mod ebml;
pub mod encode;
mod error;
pub mod live_file;
pub mod ogg_opus_reader;
pub mod ogg_opus_writer;
pub mod opus_header;
pub mod pcm;
pub mod resample;
pub mod waveform;
pub mod webm;
pub mod webm_remux;

pub use decode::{DecodeOptions, PcmDecoder};
pub use encode::{EncodeSummary, EncoderSettings, InputFormat, OggOpusEncoder};
pub use error::MediaError;
pub use live_file::LiveOggFile;
pub use ogg_opus_reader::{OggOpusReader, StreamFacts};
pub use ogg_opus_writer::OggOpusWriter;
pub use opus_header::{OpusHead, OpusTags};
pub use waveform::{Waveform, WaveformBuilder};
pub use webm::{Extent, WebmScan};
pub use webm_remux::OggRemux;

/// Opus always runs its granule clock at 48 kHz (RFC 7845 §4).
pub const OPUS_RATE: u32 = 48_000;

/// Samples per channel in one 20 ms Opus frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;

/// Samples (at 48 kHz, per channel) an Opus packet decodes to, read from its table of contents.
pub(crate) fn packet_samples(packet: &[u8]) -> Result<u64, MediaError> {
    Ok(opus::packet::get_nb_samples(packet, OPUS_RATE)? as u64)
}

/// The version of the libopus linked into this binary, e.g. "libopus 1.6.1".
pub fn libopus_version() -> &'static str {
    opus::version()
}
