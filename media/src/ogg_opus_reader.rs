//! Reads an Ogg Opus stream: validates the headers and yields the audio packets.
//!
//! Only `Read` is required, so a stream can be checked while it arrives over the network.

use std::io::{self, Read};

use ogg::reading::{BasePacketReader, PageParser};

use crate::error::{MediaError, Result};
use crate::opus_header::{OpusHead, OpusTags};

/// RFC 7845 §5.2 caps comment headers only by memory; we cap every packet (tags included)
/// so a hostile stream cannot make us buffer without bound.
const MAX_PACKET_BYTES: usize = 4 << 20;

/// An audio packet and where it sits in the stream.
#[derive(Debug)]
pub struct AudioPacket {
    pub data: Vec<u8>,
    /// The page's granule position, when this packet is the last one completed on its page.
    pub page_granule: Option<u64>,
    /// This packet ends the logical stream (its page carries the EOS flag).
    pub end_of_stream: bool,
}

/// What a full scan of a stream tells about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFacts {
    pub head: OpusHead,
    pub tags: OpusTags,
    /// Playable length at 48 kHz: last granule position minus pre-skip.
    pub duration_samples: u64,
    pub audio_packets: u64,
    /// The stream stopped mid-page or without an end-of-stream page (e.g. a killed recorder).
    pub truncated: bool,
}

impl StreamFacts {
    pub fn duration_secs(&self) -> f64 {
        self.duration_samples as f64 / f64::from(crate::OPUS_RATE)
    }
}

pub struct OggOpusReader<R: Read> {
    src: R,
    packets: BasePacketReader,
    serial: Option<u32>,
    head: OpusHead,
    tags: OpusTags,
    /// Bytes of page bodies pushed since the last packet came out: bounds packets that span pages.
    pending_bytes: usize,
    offset: u64,
    truncated: bool,
    saw_end: bool,
    /// The last granule position a page gave.
    last_granule: Option<u64>,
    /// Samples (48 kHz) in the audio packets read so far, pre-skip included.
    samples: u64,
}

impl<R: Read> std::fmt::Debug for OggOpusReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggOpusReader")
            .field("serial", &self.serial)
            .field("head", &self.head)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<R: Read> OggOpusReader<R> {
    /// Reads and validates the OpusHead and OpusTags packets.
    pub fn new(src: R) -> Result<Self> {
        let mut reader = Self {
            src,
            packets: BasePacketReader::new(),
            serial: None,
            head: OpusHead::mono(0, 0),
            tags: OpusTags::default(),
            pending_bytes: 0,
            offset: 0,
            truncated: false,
            saw_end: false,
            last_granule: None,
            samples: 0,
        };
        let first = reader.next_raw_packet()?.ok_or(MediaError::Truncated)?;
        if !first.first_in_stream() {
            return Err(MediaError::Ogg(
                "the first page is not a beginning-of-stream page".into(),
            ));
        }
        if !first.data.starts_with(b"OpusHead") {
            return Err(MediaError::NotOpus(format!(
                "the Ogg stream carries {}, not Opus",
                codec_name(&first.data)
            )));
        }
        reader.head = OpusHead::parse(&first.data)?;
        if !first.last_in_page() {
            return Err(MediaError::BadHeader("OpusHead must be alone on its page".into()));
        }
        let second = reader.next_raw_packet()?.ok_or(MediaError::Truncated)?;
        reader.tags = OpusTags::parse(&second.data)?;
        if reader.truncated {
            return Err(MediaError::Truncated);
        }
        Ok(reader)
    }

    pub fn head(&self) -> &OpusHead {
        &self.head
    }

    pub fn tags(&self) -> &OpusTags {
        &self.tags
    }

    /// True once the stream ended mid-page or without an end-of-stream flag.
    pub fn truncated(&self) -> bool {
        self.truncated || !self.saw_end
    }

    /// The next audio packet, or `None` at the end of the stream. A stream cut off mid-page
    /// ends cleanly at the last whole page (see [`Self::truncated`]).
    pub fn next_packet(&mut self) -> Result<Option<AudioPacket>> {
        let Some(packet) = self.next_raw_packet()? else {
            return Ok(None);
        };
        let page_granule = packet.last_in_page().then(|| packet.absgp_page());
        if let Some(granule) = page_granule {
            // A forged granule (negative, or going back) would make the length anything at
            // all: 2^62 samples is six billion minutes.
            if i64::try_from(granule).is_err() {
                return Err(MediaError::Ogg(format!(
                    "a negative granule position ({})",
                    granule as i64
                )));
            }
            if self.last_granule.is_some_and(|last| granule < last) {
                return Err(MediaError::Ogg("granule positions go backwards".into()));
            }
            self.last_granule = Some(granule);
        }
        // What the packets hold, whatever the granules claim (an unparsable TOC counts as one
        // 20 ms frame; the decoder refuses it later).
        self.samples += crate::packet_samples(&packet.data).unwrap_or(960);
        Ok(Some(AudioPacket {
            page_granule,
            end_of_stream: packet.last_in_stream(),
            data: packet.data,
        }))
    }

    /// The stream's playable length so far, in 48 kHz samples: its last granule position less
    /// the pre-skip, and never more than its packets hold.
    pub fn duration_samples(&self) -> u64 {
        let pre_skip = u64::from(self.head.pre_skip);
        self.last_granule
            .map_or(0, |g| g.saturating_sub(pre_skip))
            .min(self.samples.saturating_sub(pre_skip))
    }

    /// Reads every remaining packet and returns the stream's facts, including its exact duration.
    pub fn scan(mut self) -> Result<StreamFacts> {
        let mut audio_packets = 0;
        while self.next_packet()?.is_some() {
            audio_packets += 1;
        }
        Ok(StreamFacts {
            duration_samples: self.duration_samples(),
            audio_packets,
            truncated: self.truncated(),
            head: self.head,
            tags: self.tags,
        })
    }

    fn next_raw_packet(&mut self) -> Result<Option<ogg::Packet>> {
        loop {
            if let Some(packet) = self.packets.read_packet() {
                self.pending_bytes = 0;
                let serial = *self.serial.get_or_insert(packet.stream_serial());
                if packet.stream_serial() != serial {
                    return Err(MediaError::Ogg(
                        "more than one logical stream (multiplexed or chained Ogg) is not supported".into(),
                    ));
                }
                if packet.last_in_stream() {
                    self.saw_end = true;
                }
                return Ok(Some(packet));
            }
            if self.saw_end {
                // The stream is over; another after it (a chained Ogg file) would be stored
                // and played, but not measured or transcribed: refused.
                return match self.read_page()? {
                    None => Ok(None),
                    Some(_) => Err(MediaError::Ogg(
                        "another stream follows the first (a chained Ogg file): send one stream".into(),
                    )),
                };
            }
            let Some(page) = self.read_page()? else {
                return Ok(None);
            };
            self.packets.push_page(page)?;
        }
    }

    /// Reads one page. `None` at a clean end of input, or at a page cut off part-way (which
    /// marks the stream as truncated).
    fn read_page(&mut self) -> Result<Option<ogg::reading::OggPage>> {
        let page_at = self.offset;
        let mut header = [0u8; 27];
        let fill = self.read_exact_or_eof(&mut header)?;
        let got = (self.offset - page_at) as usize;
        // Whatever was read must at least begin like a page, however short the input.
        let looks_like_page = header[..got.min(4)] == b"OggS"[..got.min(4)];
        match fill {
            Fill::Empty => return Ok(None),
            Fill::Partial if looks_like_page => return Ok(self.cut_off()),
            _ => {}
        }
        if !looks_like_page {
            return Err(if page_at == 0 {
                MediaError::Ogg(format!("the data does not start with an Ogg page ({})", sniff(&header)))
            } else {
                MediaError::Ogg(format!("expected an Ogg page at byte {page_at}"))
            });
        }
        let (mut parser, segment_count) = PageParser::new(header)?;
        let mut segments = vec![0u8; segment_count];
        if !matches!(self.read_exact_or_eof(&mut segments)?, Fill::Full) && segment_count > 0 {
            return Ok(self.cut_off());
        }
        let body_len = parser.parse_segments(segments);
        self.pending_bytes += body_len;
        if self.pending_bytes > MAX_PACKET_BYTES {
            return Err(MediaError::Ogg(format!(
                "a packet larger than {} MiB (near byte {page_at})",
                MAX_PACKET_BYTES >> 20
            )));
        }
        let mut body = vec![0u8; body_len];
        if !matches!(self.read_exact_or_eof(&mut body)?, Fill::Full) && body_len > 0 {
            return Ok(self.cut_off());
        }
        parser.parse_packet_data(body).map(Some).map_err(|err| match err {
            ogg::OggReadError::HashMismatch(..) => {
                MediaError::Ogg(format!("the page at byte {page_at} is corrupt (checksum mismatch)"))
            }
            other => other.into(),
        })
    }

    fn cut_off(&mut self) -> Option<ogg::reading::OggPage> {
        self.truncated = true;
        None
    }

    fn read_exact_or_eof(&mut self, buf: &mut [u8]) -> Result<Fill> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.src.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
            }
        }
        self.offset += filled as u64;
        Ok(match filled {
            0 if !buf.is_empty() => Fill::Empty,
            n if n == buf.len() => Fill::Full,
            _ => Fill::Partial,
        })
    }
}

enum Fill {
    Empty,
    Partial,
    Full,
}

/// Names the codec of a first Ogg packet, for a helpful error.
fn codec_name(packet: &[u8]) -> &'static str {
    const KNOWN: [(&[u8], &str); 6] = [
        (b"\x01vorbis", "Vorbis"),
        (b"\x7fFLAC", "FLAC"),
        (b"Speex   ", "Speex"),
        (b"\x80theora", "Theora"),
        (b"OVP80", "VP8"),
        (b"fishead\0", "a Skeleton index"),
    ];
    KNOWN
        .iter()
        .find(|(magic, _)| packet.starts_with(magic))
        .map_or("an unknown codec", |(_, name)| name)
}

/// Names common non-Ogg formats from their first bytes, for a helpful error.
/// (`header` may be shorter than a page header.)
pub fn sniff(header: &[u8]) -> &'static str {
    const KNOWN: [(&[u8], &str); 6] = [
        (b"RIFF", "it looks like WAV"),
        (b"\x1a\x45\xdf\xa3", "it looks like WebM/Matroska"),
        (b"ID3", "it looks like MP3"),
        (b"fLaC", "it looks like FLAC"),
        (b"\xff\xfb", "it looks like MP3"),
        (b"<", "it looks like text or HTML"),
    ];
    if header.get(4..8) == Some(b"ftyp".as_slice()) {
        return "it looks like MP4";
    }
    KNOWN
        .iter()
        .find(|(magic, _)| header.starts_with(magic))
        .map_or("unrecognised bytes", |(_, name)| name)
}
