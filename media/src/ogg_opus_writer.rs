//! Writes an Opus stream into Ogg pages (RFC 7845 §3–4).

use std::io::{self, Write};

use ogg::{PacketWriteEndInfo, PacketWriter};

use crate::opus_header::{OpusHead, OpusTags};

/// Ogg paging for one Opus stream.
///
/// Every page is flushed to the underlying writer as soon as it is complete, and a page is
/// completed at least every `page_samples` of audio, so a process killed mid-recording leaves a
/// file that ends on a whole page and plays up to that point.
pub struct OggOpusWriter<W: Write> {
    pages: PacketWriter<'static, W>,
    serial: u32,
    /// Granule position (48 kHz samples, pre-skip included) after the last packet written.
    granule: u64,
    page_start_granule: u64,
    page_samples: u64,
    finished: bool,
}

impl<W: Write> std::fmt::Debug for OggOpusWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggOpusWriter")
            .field("serial", &self.serial)
            .field("granule", &self.granule)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the two header pages (each header packet alone on its page, as RFC 7845 §3
    /// requires) and flushes them.
    pub fn new(inner: W, head: &OpusHead, tags: &OpusTags, page_samples: u64) -> io::Result<Self> {
        let mut writer = Self {
            pages: PacketWriter::new(inner),
            serial: random_serial(),
            granule: 0,
            page_start_granule: 0,
            page_samples: page_samples.max(1),
            finished: false,
        };
        let serial = writer.serial;
        writer
            .pages
            .write_packet(head.to_bytes(), serial, PacketWriteEndInfo::EndPage, 0)?;
        writer
            .pages
            .write_packet(tags.to_bytes(), serial, PacketWriteEndInfo::EndPage, 0)?;
        writer.pages.inner_mut().flush()?;
        Ok(writer)
    }

    /// Appends an audio packet that decodes to `samples` samples at 48 kHz.
    pub fn write_packet(&mut self, packet: &[u8], samples: u64) -> io::Result<()> {
        self.granule += samples;
        let end = if self.granule - self.page_start_granule >= self.page_samples {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        self.write(packet, end)
    }

    /// Appends the last packet and ends the stream. `end_granule` is the granule position of the
    /// last sample worth playing (pre-skip included): less than the packet's full length when the
    /// final frame was padded, which is how Ogg Opus trims the end (RFC 7845 §4.4).
    pub fn write_final_packet(&mut self, packet: &[u8], end_granule: u64) -> io::Result<()> {
        self.granule = end_granule.max(self.page_start_granule);
        self.finished = true;
        self.write(packet, PacketWriteEndInfo::EndStream)
    }

    /// Whether the stream has been ended with [`Self::write_final_packet`].
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn into_inner(self) -> W {
        self.pages.into_inner()
    }

    fn write(&mut self, packet: &[u8], end: PacketWriteEndInfo) -> io::Result<()> {
        let ends_page = end != PacketWriteEndInfo::NormalPacket;
        self.pages
            .write_packet(packet.to_vec(), self.serial, end, self.granule)?;
        if ends_page {
            self.page_start_granule = self.granule;
            self.pages.inner_mut().flush()?;
        }
        Ok(())
    }
}

/// A stream serial number: it only has to differ between streams that get multiplexed or
/// chained, so the std hasher's per-process random keys are plenty.
fn random_serial() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one(nanos) as u32
}
