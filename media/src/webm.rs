//! WebM with an Opus track, as browsers' MediaRecorder writes it: read it, remux its audio into
//! Ogg Opus, and make video WebM seekable.
//!
//! MediaRecorder output has no duration and no cues, and its Segment and Clusters have unknown
//! sizes: browsers cannot seek in it. [`WebmScan`] walks the file once and keeps only where
//! things are (blocks, clusters), never the media itself, so memory stays flat.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::ebml::{self, element_len, read_id, read_size};
use crate::error::{MediaError, Result};
use crate::opus_header::OpusHead;
use crate::webm_remux::OggRemux;

mod cut;
mod walk;

const EBML_HEADER: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const MUXING_APP: u32 = 0x4D80;
const WRITING_APP: u32 = 0x5741;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const CLUSTER: u32 = 0x1F43_B675;
const TIMESTAMP: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const REFERENCE_BLOCK: u32 = 0xFB;
const CUES: u32 = 0x1C53_BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;

/// Elements that end an unknown-sized Cluster when they appear.
const TOP_LEVEL: [u32; 8] = [
    CLUSTER,
    CUES,
    INFO,
    TRACKS,
    0x114D_9B74,
    0x1254_C367,
    0x1043_A770,
    0x1941_A469,
];
/// libopus's lookahead at 48 kHz (2.5 ms + 4 ms), what a missing pre-skip really is.
const LIBOPUS_LOOKAHEAD: u16 = 312;
/// Header elements are read whole; anything this large is not a real one.
const MAX_HEADER_ELEMENT: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTrack {
    pub number: u64,
    pub channels: u8,
    pub sample_rate: u32,
    pub head: OpusHead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoTrack {
    pub number: u64,
    /// "vp8", "vp9", "av1", "h264"…
    pub codec: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// One block as parsed: whose it is, when it plays, where its payload is. Transient: the scan
/// keeps only what it needs of each (see [`WebmScan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    track: u64,
    time: i64,
    keyframe: bool,
    offset: u64,
    len: u32,
}

/// Where an audio block's payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioBlock {
    pub offset: u64,
    pub len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClusterSpan {
    timestamp: u64,
    /// Where the Cluster element (its ID) starts in the input.
    header_start: u64,
    /// Byte range of the cluster's children in the input.
    start: u64,
    end: u64,
    /// When its first cue-worthy block plays (a video keyframe; any audio block without video).
    cue_time: Option<u64>,
    /// All its declared bytes are there (always, for a Cluster of unknown size).
    complete: bool,
    /// It declared its size (browsers' live recordings do not).
    sized: bool,
}

/// Takes each audio packet as [`WebmScan::scan_with_audio`] reads it: the track, the writing
/// app (from Info, if it came first), the packet.
pub type AudioHandler<'a> = dyn FnMut(&AudioTrack, Option<&str>, &[u8]) -> Result<()> + 'a;

/// At most this many audio blocks (over 11 hours of 20 ms packets) and clusters: what the scan
/// keeps per block and per cluster is small, but a hostile file of tiny elements must not make
/// it large.
const MAX_AUDIO_BLOCKS: usize = 2_000_000;
const MAX_CLUSTERS: usize = 1_000_000;

/// Where everything is in a WebM file. Memory: 16 bytes per audio block and 48 per cluster;
/// nothing per video frame.
#[derive(Debug, Clone)]
pub struct WebmScan {
    /// Nanoseconds per timestamp unit (Info/TimestampScale).
    pub timestamp_scale: u64,
    pub audio: AudioTrack,
    pub video: Option<VideoTrack>,
    /// The audio track's blocks, in file order.
    pub audio_blocks: Vec<AudioBlock>,
    /// Start times of the last two video frames (timestamp units), for the clip's end.
    last_video_times: [Option<i64>; 2],
    header: (u64, u64),
    tracks: (u64, u64),
    clusters: Vec<ClusterSpan>,
    writing_app: Option<String>,
}

fn eof_is_truncation(err: io::Error) -> MediaError {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        MediaError::Truncated
    } else if err.kind() == io::ErrorKind::InvalidData {
        MediaError::Webm(err.to_string())
    } else {
        MediaError::Io(err)
    }
}

/// Children of an in-memory master element: (id, payload).
fn children(mut data: &[u8]) -> Result<Vec<(u32, &[u8])>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let mut cursor = data;
        let (id, _) = read_id(&mut cursor)?.ok_or(MediaError::Truncated)?;
        let (size, _) = read_size(&mut cursor).map_err(eof_is_truncation)?;
        let size = size.ok_or_else(|| MediaError::Webm("unknown size inside a header element".into()))? as usize;
        if size > cursor.len() {
            return Err(MediaError::Webm("an element overruns its parent".into()));
        }
        out.push((id, &cursor[..size]));
        data = &cursor[size..];
    }
    Ok(out)
}

/// How much of a WebM there is to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// It may still be arriving: an element cut off at the end is an error (more may come).
    Growing,
    /// All of it, this many bytes: an element cut off at the end (a take whose bytes stopped
    /// arriving) ends the file before it.
    Whole(u64),
}

impl WebmScan {
    /// Walks the file. Fails with [`MediaError::NotOpus`] when there is no Opus audio track.
    pub fn scan<R: Read + Seek>(input: R) -> Result<Self> {
        Self::walk(input, Extent::Growing, None)
    }

    /// Walks the file as [`Self::scan`] does, handing each audio packet to `on_audio` as it is
    /// read (with the track and the writing app): a caller can remux and decode the audio in
    /// the same single pass over the input, even while the input is still arriving. The input
    /// is only ever read forwards.
    pub fn scan_with_audio<R: Read + Seek>(input: R, extent: Extent, on_audio: &mut AudioHandler<'_>) -> Result<Self> {
        Self::walk(input, extent, Some(on_audio))
    }

    /// How much of a WebM of `len` bytes is whole: all of it, or up to the block cut off at
    /// its end (a take whose bytes stopped arriving). Fails as [`Self::scan`] does when nothing
    /// playable comes before the cut.
    pub fn playable_len<R: Read + Seek>(input: R, len: u64) -> Result<u64> {
        let scan = Self::walk(input, Extent::Whole(len), None)?;
        Ok(match scan.clusters.last() {
            Some(last) if !last.complete => last.end,
            _ => len,
        })
    }

    /// When the last video frame ends, in nanoseconds, if there is video.
    pub fn video_end_ns(&self) -> Option<u64> {
        let [before, last] = self.last_video_times;
        let last = last?;
        // The last frame shows for about as long as the one before it.
        let step = before.map_or(0, |b| last - b);
        Some(((last + step).max(0) as u64) * self.timestamp_scale)
    }

    /// Copies the audio track into an Ogg Opus stream (no re-encoding). Returns the writer and
    /// the playable length in 48 kHz samples.
    pub fn remux_audio<R: Read + Seek, W: Write>(&self, mut input: R, out: W) -> Result<(W, u64)> {
        let mut remux = OggRemux::new(out, &self.audio, self.writing_app.as_deref())?;
        let mut buf = Vec::new();
        for frame in &self.audio_blocks {
            buf.resize(frame.len as usize, 0);
            input.seek(SeekFrom::Start(frame.offset))?;
            input.read_exact(&mut buf).map_err(eof_is_truncation)?;
            remux.push(&buf)?;
        }
        remux.finish()
    }

    /// The input's clusters as one unchanged run of bytes, when they are: contiguous, nothing
    /// between them, every cluster of known size complete. Browser recordings are. Then a
    /// seekable file is a new head ([`Self::seekable_head`]) followed by exactly these bytes.
    pub fn verbatim_clusters(&self) -> Option<(u64, u64)> {
        let (first, last) = (self.clusters.first()?, self.clusters.last()?);
        let contiguous = self.clusters.windows(2).all(|w| w[1].header_start == w[0].end);
        (contiguous && self.clusters.iter().all(|c| c.complete)).then_some((first.header_start, last.end))
    }

    /// The head of the seekable file whose clusters are the input's bytes `verbatim_clusters()`
    /// unchanged: EBML header, a Segment of known size, Info with the Duration, Tracks, and Cues
    /// pointing into those bytes. `None` when the clusters cannot stay as they are.
    pub fn seekable_head<R: Read + Seek>(&self, input: &mut R, duration_ns: u64) -> Result<Option<Vec<u8>>> {
        let Some((from, to)) = self.verbatim_clusters() else {
            return Ok(None);
        };
        let mut head = Vec::new();
        self.write_head(input, &mut head, duration_ns, to - from, |cluster| {
            cluster.header_start - from
        })?;
        Ok(Some(head))
    }

    /// Writes the same WebM with a known Duration and Cues (ahead of the clusters, so a player
    /// finds them without seeking to the end): browsers can show its length and seek it. The
    /// clusters are copied unchanged when they can be, else each is rewritten with its size.
    pub fn write_seekable<R: Read + Seek, W: Write>(&self, mut input: R, out: &mut W, duration_ns: u64) -> Result<()> {
        if let Some(head) = self.seekable_head(&mut input, duration_ns)? {
            out.write_all(&head)?;
            let tail = self.verbatim_clusters().ok_or(MediaError::Truncated)?;
            copy_range(&mut input, out, tail)?;
            out.flush()?;
            return Ok(());
        }
        // Rewritten clusters: each with its size, one after another.
        let mut offsets = Vec::with_capacity(self.clusters.len());
        let mut at = 0;
        for cluster in &self.clusters {
            offsets.push(at);
            at += element_len(CLUSTER, cluster.end - cluster.start);
        }
        let first = self.clusters.first().map_or(0, |c| c.header_start);
        let offset_of = |cluster: &ClusterSpan| {
            let i = self.clusters.partition_point(|c| c.header_start < cluster.header_start);
            offsets.get(i).copied().unwrap_or(cluster.header_start - first)
        };
        self.write_head(&mut input, out, duration_ns, at, offset_of)?;
        for cluster in &self.clusters {
            ebml::write_id(out, CLUSTER)?;
            ebml::write_size(out, cluster.end - cluster.start)?;
            copy_range(&mut input, out, (cluster.start, cluster.end))?;
        }
        out.flush()?;
        Ok(())
    }

    /// Everything before the clusters: the EBML header, a Segment header sized for
    /// `clusters_len` bytes of clusters after the head, Info with the Duration, Tracks, Cues.
    /// `offset_of` says where a cluster starts within those clusters' bytes.
    fn write_head<R: Read + Seek, W: Write>(
        &self,
        input: &mut R,
        out: &mut W,
        duration_ns: u64,
        clusters_len: u64,
        offset_of: impl Fn(&ClusterSpan) -> u64,
    ) -> Result<()> {
        // Cue points: each cluster's first video keyframe (or, for audio, each cluster).
        let mut cue_points: Vec<(u64, u64)> = self
            .clusters
            .iter()
            .filter_map(|c| c.cue_time.map(|t| (t, offset_of(c))))
            .collect();
        if cue_points.is_empty()
            && let Some(first) = self.clusters.first()
        {
            cue_points.push((first.timestamp, offset_of(first)));
        }
        // Clusters of unknown size may not sit in a Segment of known size (players warn), so
        // the Segment keeps the unknown size the recording had; Duration and Cues are what
        // make it seekable.
        let segment_size = if self.verbatim_clusters().is_some() && self.clusters.iter().any(|c| !c.sized) {
            None
        } else {
            Some(clusters_len)
        };
        self.write_head_with(input, out, duration_ns, segment_size, &cue_points)
    }

    /// The head itself: `clusters_len` is the bytes of clusters that follow (`None`: a Segment
    /// of unknown size), `cue_points` each cue's time and its cluster's offset in those bytes.
    fn write_head_with<R: Read + Seek, W: Write>(
        &self,
        input: &mut R,
        out: &mut W,
        duration_ns: u64,
        clusters_len: Option<u64>,
        cue_points: &[(u64, u64)],
    ) -> Result<()> {
        // Info: the scale, the duration, who muxed it.
        let mut info = Vec::new();
        ebml::write_uint(&mut info, TIMESTAMP_SCALE, self.timestamp_scale)?;
        ebml::write_float(&mut info, DURATION, duration_ns as f64 / self.timestamp_scale as f64)?;
        ebml::write_string(&mut info, MUXING_APP, "Offbeat")?;
        ebml::write_string(&mut info, WRITING_APP, self.writing_app.as_deref().unwrap_or("Offbeat"))?;
        let info_len = element_len(INFO, info.len() as u64);
        let tracks_len = self.tracks.1 - self.tracks.0;

        let cue_track = self.video.as_ref().map_or(self.audio.number, |v| v.number);
        let cue_track_positions_len = element_len(CUE_TRACK, 8) + element_len(CUE_CLUSTER_POSITION, 8);
        let cue_point_len = element_len(CUE_TIME, 8) + element_len(CUE_TRACK_POSITIONS, cue_track_positions_len);
        let cues_payload = cue_points.len() as u64 * element_len(CUE_POINT, cue_point_len);
        let cues_len = element_len(CUES, cues_payload);
        // Cluster positions are relative to the start of the Segment's payload.
        let head_payload = info_len + tracks_len + cues_len;

        copy_range(input, out, self.header)?;
        ebml::write_id(out, SEGMENT)?;
        match clusters_len {
            None => ebml::write_unknown_size(out)?,
            Some(len) => ebml::write_size(out, head_payload + len)?,
        }
        ebml::write_id(out, INFO)?;
        ebml::write_size(out, info.len() as u64)?;
        out.write_all(&info)?;
        copy_range(input, out, self.tracks)?;
        ebml::write_id(out, CUES)?;
        ebml::write_size(out, cues_payload)?;
        for (time, offset) in cue_points {
            ebml::write_id(out, CUE_POINT)?;
            ebml::write_size(out, cue_point_len)?;
            ebml::write_uint(out, CUE_TIME, *time)?;
            ebml::write_id(out, CUE_TRACK_POSITIONS)?;
            ebml::write_size(out, cue_track_positions_len)?;
            ebml::write_uint(out, CUE_TRACK, cue_track)?;
            ebml::write_uint(out, CUE_CLUSTER_POSITION, head_payload + offset)?;
        }
        Ok(())
    }
}

fn copy_range<R: Read + Seek, W: Write>(input: &mut R, out: &mut W, (start, end): (u64, u64)) -> Result<()> {
    input.seek(SeekFrom::Start(start))?;
    let copied = io::copy(&mut input.by_ref().take(end - start), out)?;
    if copied != end - start {
        return Err(MediaError::Truncated);
    }
    Ok(())
}

/// Parses a (Simple)Block header: track, relative timestamp, flags. `keyframe` overrides the
/// SimpleBlock flag for a Block inside a BlockGroup.
fn block(head: &[u8], at: u64, len: u64, cluster_time: u64, keyframe: Option<bool>) -> Result<Option<Frame>> {
    let mut cursor = head;
    let (track, track_len) =
        read_size(&mut cursor).map_err(|_| MediaError::Webm("a block too short for its header".into()))?;
    let Some(track) = track else { return Ok(None) };
    if cursor.len() < 3 {
        return Err(MediaError::Webm("a block too short for its header".into()));
    }
    let relative = i16::from_be_bytes([cursor[0], cursor[1]]);
    let flags = cursor[2];
    if flags & 0x06 != 0 {
        return Err(MediaError::Webm("laced blocks are not supported".into()));
    }
    let header_len = track_len as u64 + 3;
    if len < header_len {
        return Err(MediaError::Webm("a block too short for its header".into()));
    }
    Ok(Some(Frame {
        track,
        time: cluster_time as i64 + i64::from(relative),
        keyframe: keyframe.unwrap_or(flags & 0x80 != 0),
        offset: at + header_len,
        len: u32::try_from(len - header_len).map_err(|_| MediaError::Webm("a block larger than 4 GiB".into()))?,
    }))
}

fn parse_tracks(payload: &[u8]) -> Result<(Option<AudioTrack>, Option<VideoTrack>)> {
    let mut audio = None;
    let mut video = None;
    for (id, entry) in children(payload)? {
        if id != TRACK_ENTRY {
            continue;
        }
        let mut number = 0;
        let mut kind = 0;
        let mut codec = String::new();
        let mut private = None;
        let mut channels = 1u8;
        let mut rate = 48_000u32;
        let (mut width, mut height) = (None, None);
        for (cid, value) in children(entry)? {
            match cid {
                TRACK_NUMBER => number = ebml::uint(value),
                TRACK_TYPE => kind = ebml::uint(value),
                CODEC_ID => codec = String::from_utf8_lossy(value).trim_end_matches('\0').to_owned(),
                CODEC_PRIVATE => private = Some(value.to_vec()),
                AUDIO => {
                    for (aid, v) in children(value)? {
                        match aid {
                            CHANNELS => channels = u8::try_from(ebml::uint(v)).unwrap_or(0),
                            SAMPLING_FREQUENCY => rate = ebml::float(v).map_or(rate, |f| f as u32),
                            _ => {}
                        }
                    }
                }
                VIDEO => {
                    for (vid, v) in children(value)? {
                        match vid {
                            PIXEL_WIDTH => width = u32::try_from(ebml::uint(v)).ok(),
                            PIXEL_HEIGHT => height = u32::try_from(ebml::uint(v)).ok(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        match (kind, codec.as_str()) {
            (2, "A_OPUS") if audio.is_none() => {
                let mut head = match private {
                    Some(p) => OpusHead::parse(&p)?,
                    None => OpusHead {
                        channels,
                        ..OpusHead::mono(0, rate)
                    },
                };
                // Chrome's MediaRecorder declares a pre-skip of 0 (and no CodecDelay), but libopus
                // always delays its output by its lookahead, 312 samples at 48 kHz in every
                // application but restricted low-delay. Restore it so the first samples played
                // are real audio and strict readers (opusinfo) accept the stream.
                if head.pre_skip == 0 {
                    head.pre_skip = LIBOPUS_LOOKAHEAD;
                }
                audio = Some(AudioTrack {
                    number,
                    channels: head.channels,
                    sample_rate: rate,
                    head,
                });
            }
            (1, codec) if video.is_none() => {
                let codec = codec
                    .trim_start_matches("V_")
                    .trim_start_matches("MPEG4/ISO/")
                    .to_ascii_lowercase();
                let codec = if codec == "avc" { "h264".to_owned() } else { codec };
                video = Some(VideoTrack {
                    number,
                    codec,
                    width,
                    height,
                });
            }
            _ => {}
        }
    }
    Ok((audio, video))
}
