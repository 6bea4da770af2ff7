//! Browsers' WebM: no duration, no cues. Audio-only WebM becomes Ogg Opus (a remux, no
//! re-encoding: every player seeks Ogg by granule position); video WebM is rewritten with its
//! Duration and Cues. Facts and waveform come from the audio either way.
//!
//! The audio is handled in the one pass that scans the input: each packet goes into the Ogg
//! remux as it is read, and a second thread decodes that remux for the waveform as it is
//! written. So the same code checks a file at once or a session's body while it arrives.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

use media::{Extent, OggRemux, WebmScan};

use crate::hashing::{Digest, HashingWriter};
use media::container::Container;

use super::{
    Analysis, AnalyzeError, MediaFacts, Replacement, Stored, analyze_ogg_stream, webm_error, write_seekable_beside,
};

/// What one pass over a WebM body gives: where everything is, its audio as an Ogg Opus file,
/// and that audio's facts and waveform.
#[derive(Debug)]
pub struct WebmAudio {
    scan: WebmScan,
    ogg: Replacement,
    facts: MediaFacts,
    /// Playable audio, in 48 kHz samples.
    samples: u64,
}

/// Reads a WebM body once, front to back (never seeking backwards), remuxing and decoding its
/// audio as it goes; the remux is written into `dir`. A block cut off at its end is an error:
/// more may come (a take that stopped arriving is cut to its last whole block first, see
/// [`media::WebmScan::playable_len`]).
pub fn analyze_webm_audio(input: impl Read + Seek, dir: &Path) -> Result<WebmAudio, AnalyzeError> {
    let ogg = tempfile::Builder::new()
        .prefix("remux-")
        .suffix(".opus")
        .tempfile_in(dir)?;
    let (from_remux, to_decoder) = io::pipe()?;
    let file = HashingWriter::new(BufWriter::new(ogg.reopen()?));
    let (scanned, decoded) = std::thread::scope(|threads| {
        let decoder = threads.spawn(move || analyze_ogg_stream(from_remux));
        let mut out = Some(Tee { file, pipe: to_decoder });
        let mut remux: Option<OggRemux<Tee>> = None;
        let scanned = WebmScan::scan_with_audio(input, Extent::Growing, &mut |track, writing_app, packet| {
            let remux = match (&mut remux, out.take()) {
                (Some(remux), _) => remux,
                (none, Some(out)) => none.insert(OggRemux::new(out, track, writing_app)?),
                (None, None) => return Err(media::MediaError::Webm("the remux went away".into())),
            };
            remux.push(packet)
        })
        .map_err(webm_error)
        .and_then(|scan| {
            let remux = remux
                .take()
                .ok_or_else(|| AnalyzeError::Malformed("the WebM file holds no audio".into()))?;
            let (tee, samples) = remux.finish().map_err(webm_error)?;
            // Closing the pipe is how the decoder learns the stream is over.
            let Tee { file, pipe } = tee;
            drop(pipe);
            let (writer, Digest { size, sha256 }) = file.finish();
            writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok((scan, size, sha256, samples))
        });
        // Whatever happened, the decoder must see the end of its input before it is waited on.
        drop(remux);
        drop(out);
        let decoded = decoder
            .join()
            .unwrap_or_else(|_| Err(AnalyzeError::Malformed("decoding the WebM audio failed".into())));
        (scanned, decoded)
    });
    let ((scan, size, sha256, samples), facts) = match (scanned, decoded) {
        (Ok(scanned), Ok(facts)) => (scanned, facts),
        // The decoder gave up first and closed the pipe: its reason is the real one.
        (Err(AnalyzeError::Io(e)), Err(why)) if e.kind() == io::ErrorKind::BrokenPipe => return Err(why),
        (Err(e), _) | (Ok(_), Err(e)) => return Err(e),
    };
    Ok(WebmAudio {
        scan,
        ogg: Replacement {
            file: ogg,
            size,
            sha256,
        },
        facts,
        samples,
    })
}

/// What is stored for a WebM body whose audio has been through [`analyze_webm_audio`]: the
/// Ogg remux when there is no video; else the body made seekable: a new head before its
/// clusters unchanged, or (when they cannot stay as they are) a rewritten file.
pub fn finish_webm(path: &Path, audio: WebmAudio) -> Result<Analysis, AnalyzeError> {
    let WebmAudio {
        scan,
        ogg,
        mut facts,
        samples,
    } = audio;
    facts.title = None;
    facts.recorded_at = None;
    let Some(video) = scan.video.clone() else {
        return Ok(Analysis {
            facts,
            stored: Stored::File(ogg),
        });
    };
    drop(ogg);
    let audio_ns = samples * 1_000_000_000 / u64::from(media::OPUS_RATE);
    let duration_ns = scan.video_end_ns().unwrap_or(0).max(audio_ns);
    let head = scan
        .seekable_head(&mut File::open(path)?, duration_ns)
        .map_err(webm_error)?
        .zip(scan.verbatim_clusters());
    let stored = match head {
        Some((head, tail)) => Stored::HeadAndTail { head, tail },
        None => Stored::File(write_seekable_beside(path, |out| {
            scan.write_seekable(File::open(path)?, out, duration_ns)
                .map_err(webm_error)
        })?),
    };
    facts.container = Container::WebM;
    facts.duration_ms = duration_ns / 1_000_000;
    facts.video_codec = Some(video.codec);
    facts.width = video.width;
    facts.height = video.height;
    Ok(Analysis { facts, stored })
}

/// The remux written to its file and, as it is written, to the decoder.
struct Tee {
    file: HashingWriter<BufWriter<std::fs::File>>,
    pipe: io::PipeWriter,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_all(buf)?;
        self.pipe.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.pipe.flush()
    }
}
