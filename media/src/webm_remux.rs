//! A WebM file's Opus track copied into Ogg Opus packet by packet, as the packets are read: no
//! re-encoding, and nothing held but the one packet that might be the last.

use std::io::Write;

use crate::OPUS_RATE;
use crate::error::{MediaError, Result};
use crate::ogg_opus_writer::OggOpusWriter;
use crate::opus_header::OpusTags;
use crate::webm::AudioTrack;

/// Writes the Ogg Opus stream for one WebM audio track.
pub struct OggRemux<W: Write> {
    writer: OggOpusWriter<W>,
    /// The packet read last: written only once the next one shows it was not the last (the
    /// last one ends the stream, RFC 7845 §4.4).
    held: Vec<u8>,
    held_samples: u64,
    holding: bool,
    /// Samples in every packet pushed so far, pre-skip included.
    granule: u64,
    pre_skip: u64,
}

impl<W: Write> std::fmt::Debug for OggRemux<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggRemux").field("granule", &self.granule).finish()
    }
}

impl<W: Write> OggRemux<W> {
    /// Starts the stream: the track's OpusHead, and tags naming where it came from.
    pub fn new(out: W, track: &AudioTrack, writing_app: Option<&str>) -> Result<Self> {
        let tags = OpusTags::new(format!(
            "Offbeat remux of WebM{}",
            writing_app.map(|a| format!(" from {a}")).unwrap_or_default()
        ));
        Ok(Self {
            writer: OggOpusWriter::new(out, &track.head, &tags, u64::from(OPUS_RATE))?,
            held: Vec::new(),
            held_samples: 0,
            holding: false,
            granule: 0,
            pre_skip: u64::from(track.head.pre_skip),
        })
    }

    /// Appends the next audio packet.
    pub fn push(&mut self, packet: &[u8]) -> Result<()> {
        let samples = crate::packet_samples(packet)?;
        if self.holding {
            self.writer.write_packet(&self.held, self.held_samples)?;
        }
        self.held.clear();
        self.held.extend_from_slice(packet);
        self.held_samples = samples;
        self.holding = true;
        self.granule += samples;
        Ok(())
    }

    /// Ends the stream with the packet held back. Returns the writer and the playable length
    /// in 48 kHz samples (pre-skip removed); fails when no packet was pushed at all.
    pub fn finish(mut self) -> Result<(W, u64)> {
        if !self.holding {
            return Err(MediaError::Webm("the WebM file holds no audio".into()));
        }
        self.writer.write_final_packet(&self.held, self.granule)?;
        Ok((self.writer.into_inner(), self.granule.saturating_sub(self.pre_skip)))
    }
}
