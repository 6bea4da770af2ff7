//! Sends a take to the server while it is being recorded, so that the link exists from the
//! start and stopping only has the tail left to send.
//!
//! A thread opens a tus session with a deferred length as recording begins (its link is the
//! clip's link: the page says "recording…" until the clip is final), then appends whatever the
//! live file has settled (`media::LiveOggFile::settled`: bytes that will never be rewritten).
//! If the server or the network goes away, recording carries on regardless: the thread retries
//! with backoff and resumes from the server's offset. The outbox then finishes the upload
//! ([`crate::outbox::send`]), or sends the take later if the recorder dies.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::RecorderError;
use crate::outbox::{TakeMeta, save_meta};
use crate::tus::{NewUpload, TusClient};

/// How often settled bytes are looked for (pages complete every 500 ms).
const POLL: Duration = Duration::from_millis(250);
/// The most sent in one request.
const MAX_CHUNK: u64 = 256 << 10;
/// Waits between attempts while the server is unreachable: short, so a server back after a
/// restart gets the take again within seconds.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(4);

/// The sending thread and what it shares with the recording.
#[derive(Debug)]
pub struct LiveSend {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    meta: TakeMeta,
    page_url: Option<String>,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LiveSend {
    /// Starts sending `take` (its settled length kept in `settled` by the recording) and waits
    /// up to `wait` for the server to give the clip's link.
    pub fn start(take: &Path, meta: TakeMeta, settled: Arc<AtomicU64>, wait: Duration) -> Result<Self, RecorderError> {
        let tus = TusClient::new(&meta.server, Duration::from_secs(15))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                meta,
                page_url: None,
                stop: false,
            }),
            changed: Condvar::new(),
        });
        let sender = Sender {
            tus,
            take: take.to_owned(),
            settled,
            shared: Arc::clone(&shared),
            sent: 0,
            file: None,
        };
        let thread = std::thread::Builder::new()
            .name("live-send".into())
            .spawn(move || sender.run())
            .map_err(|e| RecorderError::Unreachable {
                server: String::new(),
                reason: format!("cannot start the sending thread: {e}"),
            })?;
        let live = Self {
            shared,
            thread: Some(thread),
        };
        {
            let state = live.shared.lock();
            let _ = live
                .shared
                .changed
                .wait_timeout_while(state, wait, |s| s.page_url.is_none() && !s.stop);
        }
        Ok(live)
    }

    /// The clip's link, once the server has given it.
    pub fn page_url(&self) -> Option<String> {
        self.shared.lock().page_url.clone()
    }

    /// Stops sending (after the request in flight) and returns the take's metadata, with the
    /// upload session the rest goes to.
    pub fn stop(mut self) -> TakeMeta {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.lock().meta.clone()
    }
}

struct Sender {
    tus: TusClient,
    take: PathBuf,
    settled: Arc<AtomicU64>,
    shared: Arc<Shared>,
    /// What the server holds.
    sent: u64,
    file: Option<File>,
}

impl Sender {
    fn run(mut self) {
        let mut retry = RETRY_FIRST;
        let mut pause = Duration::ZERO;
        let mut reported = false;
        loop {
            {
                let state = self.shared.lock();
                let (state, _) = self
                    .shared
                    .changed
                    .wait_timeout_while(state, pause.max(POLL), |s| !s.stop)
                    .unwrap_or_else(PoisonError::into_inner);
                if state.stop {
                    return;
                }
            }
            match self.step() {
                Ok(()) => {
                    if reported {
                        eprintln!("\nReconnected to {}; the take is being sent again.", self.tus.server());
                        reported = false;
                    }
                    retry = RETRY_FIRST;
                    pause = Duration::ZERO;
                }
                Err(RecorderError::Unreachable { reason, .. }) => {
                    if !reported {
                        eprintln!(
                            "\nCannot reach {} ({reason}); still recording — the take is kept and will be sent when it is back.",
                            self.tus.server()
                        );
                        reported = true;
                    }
                    pause = retry;
                    retry = (retry * 2).min(RETRY_MAX);
                }
                Err(err) => {
                    // Refused outright (signed out, over a limit…): recording goes on, the take
                    // stays in the outbox and the final send reports what is wrong.
                    tracing::warn!("stopped sending while recording: {err}");
                    return;
                }
            }
        }
    }

    /// One round: make sure there is a session, then send what has settled.
    fn step(&mut self) -> Result<(), RecorderError> {
        let url = self.session()?;
        let settled = self.settled.load(Ordering::Acquire);
        while self.sent < settled {
            let len = MAX_CHUNK.min(settled - self.sent);
            let mut chunk = vec![0u8; len as usize];
            let file = match &mut self.file {
                Some(file) => file,
                none => none.insert(File::open(&self.take).map_err(|e| self.tus.unreachable(&e))?),
            };
            file.read_exact_at(&mut chunk, self.sent)
                .map_err(|e| self.tus.unreachable(&e))?;
            match self.tus.append(&url, self.sent, &chunk, None) {
                Ok(Some(at)) => self.sent = at.offset,
                // The server is elsewhere (a request of ours it finished after we gave up on it).
                Ok(None) => self.resync(&url)?,
                Err(RecorderError::Server { status: 404, .. }) => {
                    // The session is gone: start another (and say its link).
                    self.shared.lock().meta.upload_url = None;
                    self.sent = 0;
                    return Ok(());
                }
                Err(err) => {
                    // After a failure the server may hold more or less than we thought.
                    let _ = self.resync(&url);
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    fn resync(&mut self, url: &str) -> Result<(), RecorderError> {
        if let Some(at) = self.tus.position(url)? {
            self.sent = at.offset;
        }
        Ok(())
    }

    /// The session's URL, creating the session (deferred length) if there is none yet.
    fn session(&mut self) -> Result<String, RecorderError> {
        let (existing, title, public) = {
            let state = self.shared.lock();
            (
                state.meta.upload_url.clone(),
                state.meta.title.clone(),
                state.meta.public,
            )
        };
        if let Some(url) = existing {
            return Ok(url);
        }
        let created = self.tus.create(&NewUpload {
            title: title.as_deref(),
            public,
            length: None,
        })?;
        let mut state = self.shared.lock();
        let had_link = state.page_url.is_some();
        state.meta.upload_url = Some(created.url.clone());
        state.page_url = created.page_url.clone();
        // Remembered beside the take: after a crash the outbox resumes this session, so the
        // link already given out stays the clip's.
        if let Err(err) = save_meta(&self.take, &state.meta) {
            tracing::warn!("cannot note the upload beside the take: {err}");
        }
        drop(state);
        self.shared.changed.notify_all();
        if had_link && let Some(link) = created.page_url {
            eprintln!("\nThe server lost the upload; the new link is {link}");
        }
        self.sent = 0;
        Ok(created.url)
    }
}
