//! Checks an upload session's Ogg Opus body while it is still arriving, so that finishing a
//! take only has its tail left to check: the link is final moments after the recorder stops,
//! however long the take.
//!
//! Each session being analysed has one blocking thread running exactly the one-shot upload's
//! analysis ([`crate::analyze::analyze_ogg_stream`]) over a reader that follows the session's
//! file: it reads what is durably on disk and waits for more until the final length is known.
//! Nothing here is authoritative on its own: whatever cannot be analysed live (not Ogg, too
//! many sessions at once, a server restart mid-take that the catch-up has not finished, an
//! error) falls back to analysing the whole file at the end, as before.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::analyze::{AnalyzeError, MediaFacts, analyze_ogg_stream};

/// At most this many sessions are analysed live at once (each holds a blocking thread).
const MAX_LIVE: usize = 32;
/// A session that sends nothing for this long loses its thread; it catches up if it returns.
const IDLE_LIMIT: Duration = Duration::from_secs(120);

/// The analysis of a whole session body, done as it arrived.
#[derive(Debug)]
pub struct LiveResult {
    pub facts: MediaFacts,
    pub size: u64,
    pub sha256: String,
}

/// The sessions being analysed, by session id, and how many threads are following one.
#[derive(Debug, Clone, Default)]
pub struct LiveAnalyses {
    sessions: Arc<Mutex<HashMap<String, Live>>>,
    following: Arc<AtomicUsize>,
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
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Live>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session's file at `path` now holds `durable` bytes for sure (and `final_len` in all,
    /// once known). Starts following it if nobody is yet; the analysis itself tells Ogg from
    /// anything else (a WebM body fails at its first bytes, and is checked whole at the end).
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
        following.fetch_add(1, Ordering::AcqRel);
        tokio::task::spawn_blocking(move || {
            let outcome = analyze_following(follower);
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
fn analyze_following(follower: Follower) -> Result<LiveResult, AnalyzeError> {
    let mut hashed = HashingReader {
        inner: follower,
        hasher: Sha256::new(),
        size: 0,
    };
    let facts = analyze_ogg_stream(&mut hashed)?;
    // Whatever follows the end of the stream is part of the body too.
    io::copy(&mut hashed, &mut io::sink())?;
    Ok(LiveResult {
        facts,
        size: hashed.size,
        sha256: hex::encode(hashed.hasher.finalize()),
    })
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

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}
