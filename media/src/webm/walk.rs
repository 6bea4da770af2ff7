//! The single forward pass over a WebM file that a [`WebmScan`] is made from: the EBML header,
//! then the Segment's top-level elements — Info, Tracks, and each Cluster's blocks — keeping
//! where things are, never the media.

use std::io::{BufReader, Read, Seek};

use super::{
    AudioBlock, AudioHandler, AudioTrack, BLOCK, BLOCK_GROUP, CLUSTER, ClusterSpan, DOC_TYPE, EBML_HEADER, Extent,
    Frame, INFO, MAX_AUDIO_BLOCKS, MAX_CLUSTERS, MAX_HEADER_ELEMENT, REFERENCE_BLOCK, SEGMENT, SIMPLE_BLOCK, TIMESTAMP,
    TIMESTAMP_SCALE, TOP_LEVEL, TRACKS, VideoTrack, WRITING_APP, WebmScan, block, children, eof_is_truncation,
    parse_tracks,
};
use crate::ebml::{self, read_id, read_size};
use crate::error::{MediaError, Result};

/// An element header: its id and its size (`None`: unknown, running to its parent's end).
type Header = (u32, Option<u64>);

impl WebmScan {
    pub(super) fn walk<R: Read + Seek>(
        input: R,
        extent: Extent,
        on_audio: Option<&mut AudioHandler<'_>>,
    ) -> Result<Self> {
        let mut w = Walker {
            // Small: a video frame (tens of kilobytes) is skipped by seeking past it, so the
            // pass reads block headers and audio, not the whole file.
            r: BufReader::with_capacity(8 * 1024, input),
            pos: 0,
            len: match extent {
                Extent::Whole(len) => len,
                Extent::Growing => u64::MAX,
            },
        };
        let header = ebml_header(&mut w)?;
        let (id, segment_size) = w.header()?.ok_or(MediaError::Truncated)?;
        if id != SEGMENT {
            return Err(MediaError::Webm("no Segment after the EBML header".into()));
        }
        let segment_end = segment_size.map(|s| w.pos + s);
        let mut found = Found::new(on_audio);
        // A header already read (where a Cluster of unknown size ended), and where it started.
        let mut pending: Option<(Header, u64)> = None;
        while segment_end.is_none_or(|end| w.pos < end) {
            let (element_start, next) = match pending.take() {
                Some((header, at)) => (at, Some(header)),
                None => {
                    let at = w.pos;
                    match w.header() {
                        Ok(header) => (at, header),
                        // A recording cut off mid-element still holds everything before it.
                        Err(MediaError::Truncated) if !found.audio_blocks.is_empty() => (at, None),
                        Err(e) => return Err(e),
                    }
                }
            };
            let Some((id, size)) = next else { break };
            match id {
                INFO => found.info(&w.payload(known(size, "Info")?)?)?,
                TRACKS => {
                    let payload = w.payload(known(size, "Tracks")?)?;
                    found.tracks_range = Some((element_start, w.pos));
                    (found.audio, found.video) = parse_tracks(&payload)?;
                }
                CLUSTER => pending = found.cluster(&mut w, element_start, size)?,
                _ => {
                    w.skip(size.ok_or_else(|| MediaError::Webm(format!("top-level element {id:#x} of unknown size")))?)?
                }
            }
        }
        found.finish(header)
    }
}

impl WebmScan {
    /// Whether the WebM that `input` begins with has a video track, read from its head alone
    /// (everything before the first Cluster): `None` while the head is not all there yet, or
    /// when the head ends without Tracks.
    pub fn has_video<R: Read + Seek>(input: R) -> Result<Option<bool>> {
        let mut w = Walker {
            r: BufReader::with_capacity(16 * 1024, input),
            pos: 0,
            len: u64::MAX,
        };
        let peeked = (|| {
            ebml_header(&mut w)?;
            let (id, _) = w.header()?.ok_or(MediaError::Truncated)?;
            if id != SEGMENT {
                return Err(MediaError::Webm("no Segment after the EBML header".into()));
            }
            while let Some((id, size)) = w.header()? {
                match id {
                    TRACKS => return Ok(Some(parse_tracks(&w.payload(known(size, "Tracks")?)?)?.1.is_some())),
                    CLUSTER => return Ok(None),
                    _ => w.skip(known(size, "a top-level element")?)?,
                }
            }
            Ok(None)
        })();
        match peeked {
            Err(MediaError::Truncated) => Ok(None),
            other => other,
        }
    }
}

/// Checks the EBML header names a WebM (or Matroska) document; returns its byte range.
fn ebml_header<R: Read + Seek>(w: &mut Walker<R>) -> Result<(u64, u64)> {
    let (id, size) = w.header()?.ok_or(MediaError::Truncated)?;
    if id != EBML_HEADER {
        return Err(MediaError::Webm("the file does not start with an EBML header".into()));
    }
    let payload = w.payload(known(size, "EBML header")?)?;
    let doc_type = children(&payload)?
        .into_iter()
        .find(|(id, _)| *id == DOC_TYPE)
        .map(|(_, v)| String::from_utf8_lossy(v).trim_end_matches('\0').to_owned())
        .unwrap_or_default();
    if doc_type != "webm" && doc_type != "matroska" {
        return Err(MediaError::Webm(format!("EBML document type {doc_type:?} is not WebM")));
    }
    Ok((0, w.pos))
}

fn known(size: Option<u64>, what: &str) -> Result<u64> {
    size.ok_or_else(|| MediaError::Webm(format!("{what} of unknown size")))
}

/// What the walk has found so far.
struct Found<'h, 'a> {
    on_audio: Option<&'h mut AudioHandler<'a>>,
    scale: u64,
    writing_app: Option<String>,
    tracks_range: Option<(u64, u64)>,
    audio: Option<AudioTrack>,
    video: Option<VideoTrack>,
    audio_blocks: Vec<AudioBlock>,
    last_video_times: [Option<i64>; 2],
    clusters: Vec<ClusterSpan>,
}

impl<'h, 'a> Found<'h, 'a> {
    fn new(on_audio: Option<&'h mut AudioHandler<'a>>) -> Self {
        Self {
            on_audio,
            scale: 1_000_000,
            writing_app: None,
            tracks_range: None,
            audio: None,
            video: None,
            audio_blocks: Vec::new(),
            last_video_times: [None, None],
            clusters: Vec::new(),
        }
    }

    fn info(&mut self, payload: &[u8]) -> Result<()> {
        for (id, value) in children(payload)? {
            match id {
                TIMESTAMP_SCALE => self.scale = ebml::uint(value).max(1),
                WRITING_APP => self.writing_app = Some(String::from_utf8_lossy(value).into_owned()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads one Cluster's children: to its end, or (unknown size) to the next top-level
    /// element, whose header it returns with where it starts.
    fn cluster<R: Read + Seek>(
        &mut self,
        w: &mut Walker<R>,
        header_start: u64,
        size: Option<u64>,
    ) -> Result<Option<(Header, u64)>> {
        let start = w.pos;
        let declared_end = size.map(|s| start + s);
        let mut cluster = ClusterSpan {
            timestamp: 0,
            header_start,
            start,
            end: start,
            cue_time: None,
            complete: false,
            sized: size.is_some(),
        };
        let mut next_element = None;
        let mut cut_at = None;
        while declared_end.is_none_or(|end| w.pos < end) {
            let child_start = w.pos;
            let (id, child_size) = match w.header() {
                Ok(Some(header)) => header,
                Ok(None) | Err(MediaError::Truncated) => break,
                Err(e) => return Err(e),
            };
            if declared_end.is_none() && TOP_LEVEL.contains(&id) {
                // That header starts the next element: this cluster ended before it.
                next_element = Some(((id, child_size), child_start));
                break;
            }
            let child_size = known(child_size, "an element inside a Cluster")?;
            if w.pos.saturating_add(child_size) > w.len {
                // Cut off inside this element: the cluster, and the file, end before it — if
                // any audio came before (else there is nothing to keep).
                if self.audio_blocks.is_empty() {
                    return Err(MediaError::Truncated);
                }
                cut_at = Some(child_start);
                w.r.seek(std::io::SeekFrom::End(0))?;
                w.pos = w.len;
                break;
            }
            match id {
                TIMESTAMP => cluster.timestamp = ebml::uint(&w.payload(child_size)?),
                SIMPLE_BLOCK => self.simple_block(w, child_size, &mut cluster)?,
                BLOCK_GROUP => self.block_group(w, child_size, &mut cluster)?,
                _ => w.skip(child_size)?,
            }
        }
        cluster.end = match (&next_element, cut_at) {
            (Some((_, at)), _) => *at,
            (None, Some(at)) => at,
            (None, None) => w.pos.min(declared_end.unwrap_or(u64::MAX)),
        };
        cluster.complete = cut_at.is_none() && declared_end.is_none_or(|end| cluster.end >= end);
        if self.clusters.len() >= MAX_CLUSTERS {
            return Err(MediaError::Webm(format!("more than {MAX_CLUSTERS} clusters")));
        }
        self.clusters.push(cluster);
        Ok(next_element)
    }

    /// A SimpleBlock: only its head is read, unless it is audio someone wants.
    fn simple_block<R: Read + Seek>(&mut self, w: &mut Walker<R>, size: u64, cluster: &mut ClusterSpan) -> Result<()> {
        let payload_at = w.pos;
        let head = w.payload(size.min(16))?;
        let frame = block(&head, payload_at, size, cluster.timestamp, None)?;
        let rest = size - head.len() as u64;
        match (&mut self.on_audio, &self.audio, frame) {
            (Some(handler), Some(track), Some(frame)) if frame.track == track.number => {
                let mut packet = head[(frame.offset - payload_at) as usize..].to_vec();
                packet.extend_from_slice(&w.payload(rest)?);
                handler(track, self.writing_app.as_deref(), &packet)?;
            }
            _ => w.skip(rest)?,
        }
        match frame {
            Some(frame) => self.keep(frame, cluster),
            None => Ok(()),
        }
    }

    /// A BlockGroup: its Block, keyframe unless a ReferenceBlock says otherwise.
    fn block_group<R: Read + Seek>(&mut self, w: &mut Walker<R>, size: u64, cluster: &mut ClusterSpan) -> Result<()> {
        let group_at = w.pos;
        let group = w.payload(size)?;
        let mut inner_at = group_at;
        let mut found = None;
        let mut referenced = false;
        let mut cursor = &group[..];
        while !cursor.is_empty() {
            let before = cursor.len();
            let (id, _) = read_id(&mut cursor)?.ok_or(MediaError::Truncated)?;
            let (size, _) = read_size(&mut cursor).map_err(eof_is_truncation)?;
            let size = known(size, "an element in a BlockGroup")?;
            inner_at += (before - cursor.len()) as u64;
            let len = usize::try_from(size).unwrap_or(usize::MAX).min(cursor.len());
            if id == BLOCK {
                found = Some((inner_at, size, cursor[..len.min(16)].to_vec()));
            } else if id == REFERENCE_BLOCK {
                referenced = true;
            }
            cursor = &cursor[len..];
            inner_at += len as u64;
        }
        let Some((at, len, head)) = found else {
            return Ok(());
        };
        let Some(frame) = block(&head, at, len, cluster.timestamp, Some(!referenced))? else {
            return Ok(());
        };
        if let (Some(handler), Some(track)) = (&mut self.on_audio, &self.audio)
            && frame.track == track.number
        {
            let from = (frame.offset - group_at) as usize;
            let packet = group
                .get(from..from + frame.len as usize)
                .ok_or_else(|| MediaError::Webm("a Block overruns its BlockGroup".into()))?;
            handler(track, self.writing_app.as_deref(), packet)?;
        }
        self.keep(frame, cluster)
    }

    /// Keeps what the scan needs of a block: an audio block's place, a video frame's time, and
    /// the cluster's first cue-worthy moment (a video keyframe; any audio block without video).
    fn keep(&mut self, frame: Frame, cluster: &mut ClusterSpan) -> Result<()> {
        let is_audio = self.audio.as_ref().is_some_and(|a| a.number == frame.track);
        let is_video = self.video.as_ref().is_some_and(|v| v.number == frame.track);
        if is_audio {
            if self.audio_blocks.len() >= MAX_AUDIO_BLOCKS {
                return Err(MediaError::Webm(format!("more than {MAX_AUDIO_BLOCKS} audio blocks")));
            }
            self.audio_blocks.push(AudioBlock {
                offset: frame.offset,
                len: frame.len,
            });
        }
        if is_video {
            self.last_video_times = [self.last_video_times[1], Some(frame.time)];
        }
        let cue_worthy = if self.video.is_some() {
            is_video && frame.keyframe
        } else {
            is_audio
        };
        if cue_worthy && cluster.cue_time.is_none() {
            cluster.cue_time = Some(frame.time.max(0) as u64);
        }
        Ok(())
    }

    fn finish(self, header: (u64, u64)) -> Result<WebmScan> {
        let audio = self
            .audio
            .ok_or_else(|| MediaError::NotOpus("the WebM file has no Opus audio track".into()))?;
        let tracks = self
            .tracks_range
            .ok_or_else(|| MediaError::Webm("no Tracks element".into()))?;
        if self.audio_blocks.is_empty() {
            return Err(MediaError::Webm("the WebM file holds no audio".into()));
        }
        Ok(WebmScan {
            timestamp_scale: self.scale,
            audio,
            video: self.video,
            audio_blocks: self.audio_blocks,
            last_video_times: self.last_video_times,
            header,
            tracks,
            clusters: self.clusters,
            writing_app: self.writing_app,
        })
    }
}

/// Reads elements front to back, counting where it is.
struct Walker<R> {
    r: R,
    pos: u64,
    /// Where the input ends (`u64::MAX`: not known).
    len: u64,
}

impl<R: Read + Seek> Walker<R> {
    fn header(&mut self) -> Result<Option<Header>> {
        let Some((id, id_len)) = read_id(&mut self.r).map_err(eof_is_truncation)? else {
            return Ok(None);
        };
        let (size, size_len) = read_size(&mut self.r).map_err(eof_is_truncation)?;
        self.pos += (id_len + size_len) as u64;
        Ok(Some((id, size)))
    }

    fn payload(&mut self, size: u64) -> Result<Vec<u8>> {
        if size > MAX_HEADER_ELEMENT {
            return Err(MediaError::Webm(format!(
                "an element of {size} bytes where a small one belongs"
            )));
        }
        let mut buf = vec![0; size as usize];
        self.r.read_exact(&mut buf).map_err(eof_is_truncation)?;
        self.pos += size;
        Ok(buf)
    }

    fn skip(&mut self, size: u64) -> Result<()> {
        let to = i64::try_from(size).map_err(|_| MediaError::Webm("absurd element size".into()))?;
        self.r.seek_relative(to)?;
        self.pos += size;
        Ok(())
    }
}
