//! The OpusHead and OpusTags packets of RFC 7845 §5.

use crate::error::{MediaError, Result};

const HEAD_MAGIC: &[u8; 8] = b"OpusHead";
const TAGS_MAGIC: &[u8; 8] = b"OpusTags";

/// The identification header (RFC 7845 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusHead {
    pub channels: u8,
    /// Samples at 48 kHz to drop from the start of the decoded output: the encoder's lookahead.
    pub pre_skip: u16,
    /// The sample rate of the original input; informational, playback is at 48 kHz.
    pub input_sample_rate: u32,
    /// Q7.8 dB gain to apply on output.
    pub output_gain: i16,
    /// 0: mono/stereo, one stream. 1: Vorbis channel order. 255: undefined order.
    pub mapping_family: u8,
}

impl OpusHead {
    pub fn mono(pre_skip: u16, input_sample_rate: u32) -> Self {
        Self {
            channels: 1,
            pre_skip,
            input_sample_rate,
            output_gain: 0,
            mapping_family: 0,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(19);
        out.extend_from_slice(HEAD_MAGIC);
        out.push(1); // version
        out.push(self.channels);
        out.extend_from_slice(&self.pre_skip.to_le_bytes());
        out.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        out.extend_from_slice(&self.output_gain.to_le_bytes());
        out.push(self.mapping_family);
        out
    }

    /// Parses and validates an OpusHead packet. Only single-stream layouts (mapping family 0,
    /// or family 1 with one stream) are accepted: that is what recorders and browsers produce.
    pub fn parse(packet: &[u8]) -> Result<Self> {
        let bad = |why: &str| MediaError::BadHeader(why.to_string());
        if packet.len() < 8 || &packet[..8] != HEAD_MAGIC {
            return Err(bad("the first packet is not an OpusHead"));
        }
        if packet.len() < 19 {
            return Err(bad("the OpusHead packet is too short"));
        }
        let version = packet[8];
        // RFC 7845 §5.1: the major version (high nibble) must be 0; minor versions are compatible.
        if version & 0xF0 != 0 {
            return Err(MediaError::NotOpus(format!("unsupported OpusHead version {version}")));
        }
        let channels = packet[9];
        if channels == 0 {
            return Err(bad("OpusHead declares zero channels"));
        }
        let head = Self {
            channels,
            pre_skip: u16::from_le_bytes([packet[10], packet[11]]),
            input_sample_rate: u32::from_le_bytes([packet[12], packet[13], packet[14], packet[15]]),
            output_gain: i16::from_le_bytes([packet[16], packet[17]]),
            mapping_family: packet[18],
        };
        match head.mapping_family {
            0 if channels <= 2 => {}
            0 => return Err(bad("mapping family 0 allows at most two channels")),
            1 | 255 => {
                // Family 1/255 carries a channel mapping table: stream count, coupled count, map.
                let table = packet.get(19..).unwrap_or_default();
                if table.len() < 2 + usize::from(channels) {
                    return Err(bad("the OpusHead channel mapping table is truncated"));
                }
                let (streams, coupled) = (table[0], table[1]);
                if streams != 1 || coupled > 1 || channels > 2 {
                    return Err(MediaError::NotOpus(
                        "multistream Opus (more than one stream) is not supported".into(),
                    ));
                }
            }
            other => {
                return Err(MediaError::NotOpus(format!("unknown channel mapping family {other}")));
            }
        }
        Ok(head)
    }
}

/// The comment header (RFC 7845 §5.2): a vendor string and `KEY=value` comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpusTags {
    pub vendor: String,
    pub comments: Vec<(String, String)>,
}

impl OpusTags {
    pub fn new(vendor: impl Into<String>) -> Self {
        Self {
            vendor: vendor.into(),
            comments: Vec::new(),
        }
    }

    /// Adds a comment. Keys are case-insensitive ASCII without '=' (Vorbis comment rules).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.comments.push((key.to_ascii_uppercase(), value.into()));
        self
    }

    /// The first value of a comment, looked up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.comments
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(TAGS_MAGIC);
        push_string(&mut out, &self.vendor);
        out.extend_from_slice(&len_u32(self.comments.len()).to_le_bytes());
        for (key, value) in &self.comments {
            push_string(&mut out, &format!("{key}={value}"));
        }
        out
    }

    pub fn parse(packet: &[u8]) -> Result<Self> {
        let bad = |why: &str| MediaError::BadHeader(format!("OpusTags: {why}"));
        if packet.len() < 8 || &packet[..8] != TAGS_MAGIC {
            return Err(bad("the second packet is not an OpusTags"));
        }
        let mut cursor = &packet[8..];
        let vendor = read_string(&mut cursor).ok_or_else(|| bad("vendor string overruns"))?;
        let count = read_u32(&mut cursor).ok_or_else(|| bad("comment count missing"))?;
        // Each comment needs at least its 4-byte length, which bounds an absurd count.
        if u64::from(count) * 4 > cursor.len() as u64 {
            return Err(bad("comment count exceeds the packet"));
        }
        let mut comments = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let entry = read_string(&mut cursor).ok_or_else(|| bad("comment overruns"))?;
            // A comment without '=' is invalid per Vorbis rules; skip it rather than fail.
            if let Some((key, value)) = entry.split_once('=') {
                comments.push((key.to_ascii_uppercase(), value.to_string()));
            }
        }
        Ok(Self { vendor, comments })
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn push_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&len_u32(s.len()).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn read_u32(cursor: &mut &[u8]) -> Option<u32> {
    let (bytes, rest) = cursor.split_first_chunk::<4>()?;
    *cursor = rest;
    Some(u32::from_le_bytes(*bytes))
}

fn read_string(cursor: &mut &[u8]) -> Option<String> {
    let len = read_u32(cursor)? as usize;
    if len > cursor.len() {
        return None;
    }
    let (bytes, rest) = cursor.split_at(len);
    *cursor = rest;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_round_trips() {
        let head = OpusHead::mono(312, 44_100);
        let bytes = head.to_bytes();
        assert_eq!(bytes.len(), 19);
        assert_eq!(OpusHead::parse(&bytes).unwrap(), head);
    }

    #[test]
    fn head_rejects_garbage() {
        assert!(OpusHead::parse(b"OpusHea").is_err());
        assert!(OpusHead::parse(b"OpusHead\x01\x01").is_err());
        let mut bytes = OpusHead::mono(312, 48_000).to_bytes();
        bytes[8] = 0x10; // major version 1
        assert!(OpusHead::parse(&bytes).is_err());
        let mut bytes = OpusHead::mono(312, 48_000).to_bytes();
        bytes[9] = 6; // 6 channels in family 0
        assert!(OpusHead::parse(&bytes).is_err());
    }

    #[test]
    fn tags_round_trip_and_lookup() {
        let tags = OpusTags::new("offbeat")
            .with("title", "Stand-up — Tuesday")
            .with("DATE", "2026-11-25T09:00:00+01:00");
        let parsed = OpusTags::parse(&tags.to_bytes()).unwrap();
        assert_eq!(parsed, tags);
        assert_eq!(parsed.get("Title"), Some("Stand-up — Tuesday"));
        assert_eq!(parsed.get("missing"), None);
    }

    #[test]
    fn tags_reject_absurd_counts() {
        let mut bytes = OpusTags::new("v").to_bytes();
        let n = bytes.len();
        bytes[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(OpusTags::parse(&bytes).is_err());
    }
}
