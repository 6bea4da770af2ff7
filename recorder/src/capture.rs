//! Microphone capture with cpal.
//!
//! The cpal stream lives on its own thread (streams are not `Send` on every platform). Its data
//! callback only converts samples to `f32` into a lock-free ring buffer and counts what did not
//! fit; it never locks, allocates or does I/O. Everything else happens on the reader's side.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{ErrorKind, FromSample, SampleFormat, SizedSample, StreamConfig};

use crate::error::RecorderError;

/// Seconds of audio the ring buffer holds: the reader can stall this long (a slow disk) with
/// nothing lost.
const RING_SECONDS: usize = 10;
/// How long to wait for the audio stack to release the device when stopping. A stream whose
/// sound server died can deadlock inside libpulse; we must not hang with it.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// What the device delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFormat {
    pub device: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub sample_format: SampleFormat,
}

/// Why a running capture ended on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureFailure {
    /// The device went away: unplugged, its sound server stopped, or its stream broke for good.
    /// (Which of those a backend reports depends on timing — a dying PulseAudio shows up as
    /// "not available" or as an I/O error from ALSA's poll — so they are one case here.)
    DeviceLost(String),
}

impl std::fmt::Display for CaptureFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaptureFailure::DeviceLost(why) => write!(f, "the input device went away ({why})"),
        }
    }
}

/// A running capture. Dropping it stops the stream.
#[derive(Debug)]
pub struct Capture {
    format: CaptureFormat,
    samples: rtrb::Consumer<f32>,
    dropped: Arc<AtomicU64>,
    failures: mpsc::Receiver<CaptureFailure>,
    stop: Option<mpsc::Sender<()>>,
    released: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Opens the named device (or the default one) in its native format and starts capturing.
    pub fn start(device: Option<&str>) -> Result<Self, RecorderError> {
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (fail_tx, fail_rx) = mpsc::channel();
        let (released_tx, released_rx) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let dropped_in_callback = Arc::clone(&dropped);
        let wanted = device.map(str::to_owned);
        let thread = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                let _alsa_diagnostics = quiet_alsa();
                let started = open_stream(wanted.as_deref(), dropped_in_callback, fail_tx);
                let stream = match started {
                    Ok((stream, format, consumer)) => {
                        let _ = ready_tx.send(Ok((format, consumer)));
                        stream
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                // Park until told to stop (or the owner is gone), then drop the stream here.
                let _ = stop_rx.recv();
                drop(stream);
                let _ = released_tx.send(());
            })
            .map_err(|e| RecorderError::HostUnavailable(format!("cannot start the capture thread: {e}")))?;
        let (format, samples) = ready_rx
            .recv()
            .map_err(|_| RecorderError::HostUnavailable("the capture thread stopped unexpectedly".into()))??;
        Ok(Self {
            format,
            samples,
            dropped,
            failures: fail_rx,
            stop: Some(stop_tx),
            released: released_rx,
            thread: Some(thread),
        })
    }

    pub fn format(&self) -> &CaptureFormat {
        &self.format
    }

    /// Appends every sample captured so far (interleaved, whole frames) to `out`.
    pub fn read_into(&mut self, out: &mut Vec<f32>) -> usize {
        let available = self.samples.slots();
        let Ok(chunk) = self.samples.read_chunk(available) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        chunk.commit_all();
        available
    }

    /// Samples the callback could not hand off because the ring was full.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// A failure the stream reported since the last call, if any.
    pub fn failure(&self) -> Option<CaptureFailure> {
        self.failures.try_recv().ok()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.take();
        match self.released.recv_timeout(RELEASE_WAIT) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
            }
            // Leave the stuck thread behind (dropping the handle detaches it); the process
            // exit reclaims it. The recording itself is already safe on disk.
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!("the audio system did not release the input device");
            }
        }
    }
}

type Opened = (cpal::Stream, CaptureFormat, rtrb::Consumer<f32>);

fn open_stream(
    wanted: Option<&str>,
    dropped: Arc<AtomicU64>,
    failures: mpsc::Sender<CaptureFailure>,
) -> Result<Opened, RecorderError> {
    let host = cpal::default_host();
    let device = find_device(&host, wanted)?;
    let name = device.to_string();
    let is_default = wanted.is_none();
    let open_error = |e: cpal::Error| open_error(&name, is_default, &e);
    let supported = device.default_input_config().map_err(open_error)?;
    let mut config: StreamConfig = supported.config();
    // Ask for ~20 ms periods where the device allows it: the default can be a second or more
    // (ALSA's pulse plugin), which makes the meter lag and delays the tail at stop.
    if let cpal::SupportedBufferSize::Range { min, max } = *supported.buffer_size() {
        config.buffer_size = cpal::BufferSize::Fixed((config.sample_rate / 50).clamp(min, max));
    }
    let format = CaptureFormat {
        device: name.clone(),
        sample_rate: config.sample_rate,
        channels: config.channels,
        sample_format: supported.sample_format(),
    };
    let capacity = config.sample_rate as usize * usize::from(config.channels) * RING_SECONDS;
    let (producer, consumer) = rtrb::RingBuffer::new(capacity);
    let channels = usize::from(config.channels);
    let on_error = move |err: cpal::Error| {
        let failure = match err.kind() {
            // Glitches and reroutes are survivable: keep recording.
            ErrorKind::Xrun | ErrorKind::DeviceChanged | ErrorKind::RealtimeDenied => {
                tracing::warn!("input stream: {err}");
                return;
            }
            // Anything else ends a running capture: the input is gone.
            _ => CaptureFailure::DeviceLost(err.to_string()),
        };
        let _ = failures.send(failure);
    };
    macro_rules! build {
        ($t:ty) => {
            build_stream::<$t>(&device, &config, producer, channels, dropped, on_error)
        };
    }
    let stream = match format.sample_format {
        SampleFormat::I8 => build!(i8),
        SampleFormat::I16 => build!(i16),
        SampleFormat::I24 => build!(cpal::I24),
        SampleFormat::I32 => build!(i32),
        SampleFormat::I64 => build!(i64),
        SampleFormat::U8 => build!(u8),
        SampleFormat::U16 => build!(u16),
        SampleFormat::U24 => build!(cpal::U24),
        SampleFormat::U32 => build!(u32),
        SampleFormat::U64 => build!(u64),
        SampleFormat::F32 => build!(f32),
        SampleFormat::F64 => build!(f64),
        other => {
            return Err(RecorderError::UnsupportedFormat {
                device: name,
                format: other.to_string(),
            });
        }
    }
    .map_err(open_error)?;
    stream.play().map_err(open_error)?;
    Ok((stream, format, consumer))
}

fn build_stream<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut ring: rtrb::Producer<f32>,
    channels: usize,
    dropped: Arc<AtomicU64>,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let on_data = move |data: &[T], _: &cpal::InputCallbackInfo| {
        // Whole frames only, so channels stay aligned even when the ring is full.
        let fits = ring.slots().min(data.len());
        let fits = fits - fits % channels;
        if let Ok(chunk) = ring.write_chunk_uninit(fits) {
            chunk.fill_from_iter(data[..fits].iter().map(|s| s.to_sample::<f32>()));
        }
        let lost = data.len() - fits;
        if lost > 0 {
            dropped.fetch_add(lost as u64, Ordering::Relaxed);
        }
    };
    device.build_input_stream::<T, _, _>(*config, on_data, on_error, Some(Duration::from_secs(5)))
}

/// Finds a device by id or by (case-insensitive) name, or the default input device.
fn find_device(host: &cpal::Host, wanted: Option<&str>) -> Result<cpal::Device, RecorderError> {
    let Some(wanted) = wanted else {
        return host.default_input_device().ok_or(RecorderError::NoInputDevice);
    };
    let devices = host
        .input_devices()
        .map_err(|e| RecorderError::HostUnavailable(e.to_string()))?
        .collect::<Vec<_>>();
    let by_id = devices.iter().find(|d| d.id().is_ok_and(|id| id.to_string() == wanted));
    let by_name = || devices.iter().find(|d| d.to_string().eq_ignore_ascii_case(wanted));
    by_id
        .or_else(by_name)
        .cloned()
        .ok_or_else(|| RecorderError::UnknownDevice(wanted.to_owned()))
}

fn open_error(device: &str, is_default: bool, err: &cpal::Error) -> RecorderError {
    let device = device.to_owned();
    match err.kind() {
        // The system default failing to open means there is nothing to record from at all.
        ErrorKind::DeviceNotAvailable | ErrorKind::HostUnavailable if is_default => {
            tracing::debug!("default input device: {err}");
            RecorderError::NoUsableDevice
        }
        ErrorKind::DeviceBusy => RecorderError::DeviceBusy(device),
        ErrorKind::PermissionDenied => RecorderError::PermissionDenied(device),
        ErrorKind::HostUnavailable => RecorderError::HostUnavailable(err.to_string()),
        _ => RecorderError::DeviceUnavailable {
            device,
            reason: err.to_string(),
        },
    }
}

/// libasound prints its diagnostics straight to stderr. While this guard lives, they go into a
/// buffer for the current thread instead, and reach the log (`RUST_LOG=debug`) when it drops:
/// our own errors already say what went wrong, in one line.
#[derive(Debug)]
pub(crate) struct AlsaDiagnostics {
    #[cfg(target_os = "linux")]
    buffer: Option<std::rc::Rc<std::cell::RefCell<alsa::Output>>>,
}

pub(crate) fn quiet_alsa() -> AlsaDiagnostics {
    AlsaDiagnostics {
        #[cfg(target_os = "linux")]
        buffer: alsa::Output::local_error_handler().ok(),
    }
}

impl Drop for AlsaDiagnostics {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(buffer) = &self.buffer {
            let text = buffer.borrow().to_string();
            if !text.trim().is_empty() {
                tracing::debug!("alsa: {}", text.trim());
            }
        }
    }
}
