//! Recording a take: to a file with Ctrl-C or Enter to stop, or into the outbox while it is
//! sent to the server.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use media::EncoderSettings;
use recorder::outbox::TakeMeta;
use recorder::record::{RecordOptions, StopReason};

pub fn settings(bitrate: u32) -> EncoderSettings {
    EncoderSettings {
        bitrate,
        ..EncoderSettings::default()
    }
}

/// Where a take goes and what it becomes there.
pub fn take_meta(
    server: &str,
    title: Option<String>,
    public: bool,
    reply_to: Option<String>,
    at_ms: Option<i64>,
) -> TakeMeta {
    TakeMeta {
        server: server.to_owned(),
        title,
        reply_to,
        at_ms,
        answer_round: None,
        upload_url: None,
        public,
    }
}

/// How `share` and `reply` record: the default device, 24 kbit/s.
pub fn take_options(max_duration: Option<Duration>, title: Option<String>) -> RecordOptions {
    RecordOptions {
        output: PathBuf::new(),
        device: None,
        settings: settings(24_000),
        max_duration,
        wav: None,
        title,
        force: false,
        interactive: recorder::record::stderr_is_terminal(),
        settled: None,
    }
}

/// Records until Ctrl-C, SIGTERM, Enter (on a terminal), the maximum duration or a device
/// failure, and says what was saved.
pub fn record(options: &RecordOptions) -> Result<()> {
    record_opened(options, None)
}

/// [`record`], from `capture` when the microphone is open already.
fn record_opened(options: &RecordOptions, capture: Option<recorder::capture::Capture>) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl-C quits at once; the file is still valid up to its last page.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("cannot install signal handlers")?;
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("cannot install signal handlers")?;
    }
    if std::io::stdin().is_terminal() && options.interactive {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let outcome = match capture {
        Some(capture) => recorder::record::record_from(capture, options, &stop)?,
        None => recorder::record::record(options, &stop)?,
    };
    let kbps = if outcome.seconds > 0.0 {
        outcome.bytes as f64 * 8.0 / outcome.seconds / 1000.0
    } else {
        0.0
    };
    if outcome.dropped_samples > 0 {
        let ms = outcome.dropped_samples as f64
            / f64::from(outcome.format.channels.max(1))
            / f64::from(outcome.format.sample_rate)
            * 1000.0;
        eprintln!(
            "warning: {:.0} ms of audio were dropped because the recorder could not keep up",
            ms
        );
    }
    // A take recorded into the outbox goes from there once sent: its path is not worth naming.
    let place = match options.settled {
        Some(_) => "Recorded".to_owned(),
        None => format!("Saved {}", options.output.display()),
    };
    eprintln!(
        "{place}: {:.2} s, {:.1} kB ({kbps:.1} kbit/s)",
        outcome.seconds,
        outcome.bytes as f64 / 1000.0
    );
    match outcome.stopped {
        StopReason::Requested | StopReason::MaxDuration => Ok(()),
        StopReason::DeviceFailed(failure) => bail!(
            "recording stopped after {:.1} s: {failure}; what was recorded is saved in {}",
            outcome.seconds,
            options.output.display()
        ),
    }
}

/// Whether the link is shown as soon as the server gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// Shown (and copied) before a word is said: the take is a message to share.
    Link,
    /// Not shown: the take is a reply, posted when it is finished.
    Quietly,
}

/// Records a take into the outbox while sending it to the server (see `recorder::live_send`),
/// then finishes the upload: stopping only sends the tail. `options.output`, when set, gets a
/// copy of the take. Returns the clip.
pub fn record_live(meta: TakeMeta, options: RecordOptions, announce: Announce) -> Result<serde_json::Value> {
    // The microphone first: without one there is no take, and no link saying "recording…".
    let capture = recorder::capture::Capture::start(options.device.as_deref())?;
    let take = recorder::outbox::new_take(&meta)?;
    let settled = Arc::new(AtomicU64::new(0));
    let live = recorder::live_send::LiveSend::start(&take, meta, Arc::clone(&settled), Duration::from_secs(2))?;
    if announce == Announce::Link
        && let Some(link) = live.page_url()
    {
        let copied = recorder::threads::copy_to_clipboard(&link);
        eprintln!(
            "Link: {link}{} — it says \"recording…\" until you stop.",
            if copied { " (copied)" } else { "" }
        );
    }
    let keep_at = options.output.clone();
    let options = RecordOptions {
        output: take.clone(),
        settled: Some(settled),
        force: false,
        ..options
    };
    let recorded = record_opened(&options, Some(capture));
    let meta = live.stop();
    recorded?;
    if !keep_at.as_os_str().is_empty() {
        keep_copy(&take, &keep_at)?;
    }
    send_or_keep(&take, meta)
}

/// The take at `keep_at` too (a hard link where it can be).
fn keep_copy(take: &Path, keep_at: &Path) -> Result<()> {
    if keep_at.exists() {
        std::fs::remove_file(keep_at).with_context(|| format!("cannot replace {}", keep_at.display()))?;
    }
    std::fs::hard_link(take, keep_at)
        .or_else(|_| std::fs::copy(take, keep_at).map(|_| ()))
        .with_context(|| format!("cannot write {}", keep_at.display()))
}

/// Sends a take from the outbox; if it cannot, says where it waits.
fn send_or_keep(take: &Path, meta: TakeMeta) -> Result<serde_json::Value> {
    recorder::outbox::send(take, meta, 5).map_err(|err| {
        eprintln!(
            "The take is safe in {}; `recorder outbox` will send it.",
            take.display()
        );
        err.into()
    })
}
