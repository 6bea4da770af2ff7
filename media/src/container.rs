//! The two containers a clip is stored in, told by their first bytes (never by a client's
//! Content-Type), with the file extension and content type each is stored under.

/// How an Ogg body begins (a page's capture pattern).
const OGG_MAGIC: [u8; 4] = *b"OggS";
/// How a WebM body begins (an EBML header's ID).
const WEBM_MAGIC: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];

/// Bytes [`Container::sniff`] needs.
pub const SNIFF_LEN: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// Ogg Opus: every voice clip (the recorder's, and browser takes remuxed from WebM).
    Ogg,
    /// WebM with Opus audio and VP8, VP9 or AV1 video.
    WebM,
}

impl Container {
    /// The container `head` (a body's first [`SNIFF_LEN`] bytes or more) begins, if either.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        match head.get(..SNIFF_LEN)? {
            magic if magic == OGG_MAGIC => Some(Self::Ogg),
            magic if magic == WEBM_MAGIC => Some(Self::WebM),
            _ => None,
        }
    }

    /// As the database and the API name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ogg => "ogg",
            Self::WebM => "webm",
        }
    }

    /// The stored object's file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ogg => "opus",
            Self::WebM => "webm",
        }
    }

    /// The content type of a clip in this container whose video (if any) is `video_codec`:
    /// what the object is stored and served as.
    pub fn content_type(self, video_codec: Option<&str>) -> &'static str {
        match (self, video_codec) {
            (Self::Ogg, _) => "audio/ogg; codecs=opus",
            (Self::WebM, Some("vp9")) => "video/webm; codecs=\"vp9, opus\"",
            (Self::WebM, Some("av1")) => "video/webm; codecs=\"av01, opus\"",
            (Self::WebM, Some("vp8")) => "video/webm; codecs=\"vp8, opus\"",
            // Not known yet (the object is still arriving) or audio only.
            (Self::WebM, _) => "video/webm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_both_and_nothing_else() {
        assert_eq!(Container::sniff(b"OggS\0\x02"), Some(Container::Ogg));
        assert_eq!(Container::sniff(&[0x1a, 0x45, 0xdf, 0xa3, 0x9f]), Some(Container::WebM));
        for other in [&b"RIFF"[..], b"Ogg", b"", b"ID3\x04"] {
            assert_eq!(Container::sniff(other), None, "{other:?}");
        }
    }
}
