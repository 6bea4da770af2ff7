//! Checks an upload session's body while it is still arriving, so that finishing a take only
//! has its tail left to check: the link is final moments after the recorder (or the browser)
//! stops, however long the take.
//!
//! Each session being analysed has one blocking thread running exactly the one-shot upload's
//! analysis over a reader that follows the session's file: it reads what is durably on disk
//! and waits for more until the final length is known. Ogg Opus (the recorder) goes through
//! [`crate::analysis::analyze_ogg_stream`]; WebM (browsers) through
//! [`crate::analysis::webm::analyze_webm_audio`], which remuxes and decodes its audio in the
//! same pass (on a second thread), leaving a video take only its new head to write at the end.
//! Nothing here is authoritative on its own: whatever cannot be analysed live (too many
//! sessions at once, a server restart mid-take that the catch-up has not finished, an error)
//! falls back to analysing the whole file at the end, as before.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::analysis::webm::{WebmAudio, analyze_webm_audio, finish_webm};
use crate::analysis::{Analysis, AnalyzeError, MediaFacts, Stored, analyze_ogg_stream};
use crate::hashing::HashingReader;
use media::container::{Container, SNIFF_LEN};

/// At most this many sessions are analysed live at once (each holds a blocking thread).
const MAX_LIVE: usize = 32;
/// A session that sends nothing for this long loses its thread; it catches up if it returns.
const IDLE_LIMIT: Duration = Duration::from_secs(120);

/// The analysis of a whole session body, done as it arrived, and the body's size and sha256.
#[derive(Debug)]
pub struct LiveResult {
    pub analysis: Analysis,
    pub size: u64,
    pub sha256: String,
}

/// The sessions being analysed, by session id, and how many threads are following one.
#[derive(Debug, Clone)]
pub struct LiveAnalyses {
    sessions: Arc<Mutex<HashMap<String, Live>>>,
    following: Arc<AtomicUsize>,
    /// Where files made from a body (a WebM's audio remuxed to Ogg) are written.
    scratch_dir: Arc<Path>,
}

#[derive(Debug)]
struct Live {
    progress: Arc<Progress>,
    result: oneshot::Receiver<Result<LiveResult, AnalyzeError>>,
}

/// What the follower may read: the durable length, the final length once known.
#[derive(Debug, Default)]
struct Progress {
    state: Mutex<ProgressState>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy)]
struct ProgressState {
    durable: u64,
    final_len: Option<u64>,
    cancelled: bool,
    /// The follower stopped waiting: nothing came for [`IDLE_LIMIT`].
    idle: bool,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut ProgressState)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

impl LiveAnalyses {
    /// Files made from bodies go in `scratch_dir` (on the storage's file system, so that they
    /// can be moved into place).
    pub fn new(scratch_dir: PathBuf) -> Self {
        Self {
            sessions: Arc::default(),
            following: Arc::default(),
            scratch_dir: scratch_dir.into(),
        }
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Live>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session's file at `path` now holds `durable` bytes for sure (and `final_len` in all,
    /// once known). Starts following it if nobody is yet; its first bytes tell which analysis.
    pub fn advance(&self, id: &str, path: PathBuf, durable: u64, final_len: Option<u64>) {
        let mut sessions = self.sessions();
        // A follower that went idle gave up its thread: start over, catching up from the file.
        // (One that failed on the data stays failed: the end checks the whole body instead.)
        if sessions.get(id).is_some_and(|live| live.progress.lock().idle) {
            sessions.remove(id);
        }
        if let Some(live) = sessions.get(id) {
            live.progress.update(|p| {
                p.durable = durable;
                p.final_len = final_len;
            });
            return;
        }
        if self.following.load(Ordering::Acquire) >= MAX_LIVE {
            return;
        }
        let progress = Arc::new(Progress::default());
        progress.update(|p| {
            p.durable = durable;
            p.final_len = final_len;
        });
        let (done, result) = oneshot::channel();
        let follower = Follower {
            file: None,
            path,
            at: 0,
            progress: Arc::clone(&progress),
        };
        let watched = Arc::clone(&progress);
        let following = Arc::clone(&self.following);
        let scratch_dir = Arc::clone(&self.scratch_dir);
        following.fetch_add(1, Ordering::AcqRel);
        tokio::task::spawn_blocking(move || {
            let outcome = analyze_following(follower, &scratch_dir);
            following.fetch_sub(1, Ordering::AcqRel);
            if let Err(AnalyzeError::Io(err)) = &outcome
                && err.kind() == io::ErrorKind::TimedOut
            {
                watched.update(|p| p.idle = true);
            }
            let _ = done.send(outcome);
        });
        sessions.insert(id.to_owned(), Live { progress, result });
    }

    /// The analysis of the whole body, once its final length has been given to [`Self::advance`];
    /// `None` when the session was not (or not successfully) analysed live.
    pub async fn finish(&self, id: &str) -> Option<LiveResult> {
        let live = self.sessions().remove(id)?;
        match live.result.await {
            Ok(Ok(result)) => Some(result),
            Ok(Err(err)) => {
                tracing::debug!(session = %id, "live analysis gave no verdict ({err}); checking the whole body");
                None
            }
            Err(_) => None,
        }
    }

    /// Stops following every session (the server is shutting down).
    pub fn forget_all(&self) {
        for (_, live) in self.sessions().drain() {
            live.progress.update(|p| p.cancelled = true);
        }
    }

    /// Stops following a session (terminated or abandoned).
    pub fn forget(&self, id: &str) {
        if let Some(live) = self.sessions().remove(id) {
            live.progress.update(|p| p.cancelled = true);
        }
    }
}

/// Runs the one-shot analysis over the followed file, hashing every byte of it.
fn analyze_following(mut follower: Follower, scratch_dir: &Path) -> Result<LiveResult, AnalyzeError> {
    let mut magic = [0u8; SNIFF_LEN];
    follower.read_exact(&mut magic)?;
    follower.rewind()?;
    let path = follower.path.clone();
    let mut hashed = HashingReader::new(follower);
    let read = match Container::sniff(&magic) {
        Some(Container::Ogg) => BodyRead::Ogg(analyze_ogg_stream(&mut hashed)?),
        Some(Container::WebM) => BodyRead::Webm(Box::new(analyze_webm_audio(&mut hashed, scratch_dir)?)),
        None => return Err(AnalyzeError::Unsupported("neither Ogg nor WebM".into())),
    };
    // Whatever follows the end of the stream is part of the body too; and once it is read, the
    // whole body is there, which a video take's new head needs.
    io::copy(&mut hashed, &mut io::sink())?;
    let analysis = match read {
        BodyRead::Ogg(facts) => Analysis {
            facts,
            stored: Stored::Upload,
        },
        BodyRead::Webm(audio) => finish_webm(&path, *audio)?,
    };
    let digest = hashed.finish();
    Ok(LiveResult {
        analysis,
        size: digest.size,
        sha256: digest.sha256,
    })
}

/// What one pass over a body found, before the rest of it has been hashed.
enum BodyRead {
    Ogg(MediaFacts),
    Webm(Box<WebmAudio>),
}

/// Reads a file that is still growing: up to what is durable, waiting for more, and ends only
/// at the final length.
struct Follower {
    file: Option<File>,
    path: PathBuf,
    at: u64,
    progress: Arc<Progress>,
}

impl Read for Follower {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = {
            let mut state = self.progress.lock();
            loop {
                if state.cancelled {
                    return Err(io::Error::other("the session went away"));
                }
                if state.durable > self.at {
                    break state.durable - self.at;
                }
                if state.final_len.is_some_and(|len| self.at >= len) {
                    return Ok(0);
                }
                let (next, waited) = self
                    .progress
                    .changed
                    .wait_timeout(state, IDLE_LIMIT)
                    .unwrap_or_else(PoisonError::into_inner);
                state = next;
                if waited.timed_out() && state.durable <= self.at && state.final_len.is_none() {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "the session went idle"));
                }
            }
        };
        let file = match &mut self.file {
            Some(file) => file,
            none => none.insert(File::open(&self.path)?),
        };
        let want = buf.len().min(usize::try_from(available).unwrap_or(usize::MAX));
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl Seek for Follower {
    /// Moves where the next read starts; reading there waits until the bytes are durable.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::Current(by) => self.at.checked_add_signed(by),
            SeekFrom::End(_) => None,
        };
        self.at =
            at.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no such position in a growing file"))?;
        Ok(self.at)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::analysis::analyze;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    /// Sends `body` into a session file a kilobyte at a time, as PATCHes would, and returns
    /// what the live analysis made of it.
    async fn arrive_in_pieces(body: &[u8], dir: &Path) -> (PathBuf, Option<LiveResult>) {
        let live = LiveAnalyses::new(dir.to_owned());
        let path = dir.join("session.body");
        let mut file = File::create(&path).unwrap();
        for (i, piece) in body.chunks(1000).enumerate() {
            file.write_all(piece).unwrap();
            let durable = (i * 1000 + piece.len()) as u64;
            let done = durable == body.len() as u64;
            live.advance("s", path.clone(), durable, done.then_some(durable));
            tokio::task::yield_now().await;
        }
        (path.clone(), live.finish("s").await)
    }

    /// The fixture `name` checked as it arrives in pieces, and the same file checked whole
    /// (in `dir`, which holds the files they made).
    async fn live_and_whole(name: &str, dir: &Path) -> (Vec<u8>, LiveResult, Analysis) {
        let body = fixture(name);
        let (path, live) = arrive_in_pieces(&body, dir).await;
        let whole = analyze(&path).unwrap();
        (body, live.expect("analysed live"), whole)
    }

    #[tokio::test]
    async fn audio_webm_is_remuxed_and_decoded_as_it_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let (body, live, whole) = live_and_whole("chromium-audio.webm", dir.path()).await;
        assert_eq!(live.size, body.len() as u64);
        assert_eq!(live.sha256, hex::encode(Sha256::digest(&body)));
        assert_eq!(live.analysis.facts.duration_ms, whole.facts.duration_ms);
        assert_eq!(live.analysis.facts.container, Container::Ogg);
        assert_eq!(live.analysis.facts.waveform, whole.facts.waveform);
        let (Stored::File(ogg), Stored::File(whole_ogg)) = (&live.analysis.stored, &whole.stored) else {
            panic!("audio WebM is stored as an Ogg remux");
        };
        // The same packets on the same pages: only the stream's random serial differs.
        assert_eq!(ogg.size, whole_ogg.size);
        assert_eq!(ogg.size, std::fs::metadata(ogg.file.path()).unwrap().len());
        let stored = std::fs::read(ogg.file.path()).unwrap();
        assert_eq!(ogg.sha256, hex::encode(Sha256::digest(&stored)));
        assert!(stored.starts_with(b"OggS"));
    }

    #[tokio::test]
    async fn video_webm_comes_out_exactly_as_the_whole_file_check_makes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (body, live, whole) = live_and_whole("chromium-video.webm", dir.path()).await;
        assert_eq!(live.analysis.facts.duration_ms, whole.facts.duration_ms);
        assert_eq!(live.analysis.facts.video_codec, whole.facts.video_codec);
        assert_eq!(live.analysis.facts.waveform, whole.facts.waveform);
        let (
            Stored::HeadAndTail { head, tail },
            Stored::HeadAndTail {
                head: whole_head,
                tail: whole_tail,
            },
        ) = (&live.analysis.stored, &whole.stored)
        else {
            panic!("video WebM is stored as a new head before its clusters");
        };
        assert_eq!((head, tail), (whole_head, whole_tail));
        // Head and tail are exactly the file a whole rewrite makes.
        let composed = [head.as_slice(), &body[tail.0 as usize..tail.1 as usize]].concat();
        let scan = media::WebmScan::scan(std::io::Cursor::new(&body)).unwrap();
        let mut rewritten = Vec::new();
        scan.write_seekable(
            std::io::Cursor::new(&body),
            &mut rewritten,
            live.analysis.facts.duration_ms * 1_000_000,
        )
        .unwrap();
        assert_eq!(composed.len(), rewritten.len());
        assert_eq!(composed[head.len()..], rewritten[head.len()..]);
    }

    #[tokio::test]
    async fn a_broken_webm_gives_no_verdict_so_the_end_checks_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = fixture("chromium-audio.webm");
        let middle = body.len() / 2;
        body[middle..middle + 200].fill(0xff);
        let (_, live) = arrive_in_pieces(&body, dir.path()).await;
        assert!(live.is_none());
    }
}
