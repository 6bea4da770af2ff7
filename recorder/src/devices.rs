//! `recorder devices`: what can be recorded from.

use std::io::Write;

use cpal::traits::{DeviceTrait, HostTrait};

use crate::error::RecorderError;

/// Writes one line per input device: a `*` marks the default, then name, id and default format.
/// Devices that cannot be opened for input (ALSA lists every plugin) are left out unless `all`.
pub fn list_devices(out: &mut impl Write, all: bool) -> Result<(), RecorderError> {
    let _alsa_diagnostics = crate::capture::quiet_alsa();
    // ALSA's JACK plugin has libjack print to stderr when no JACK server runs ("Cannot connect
    // to server socket…"): noise, not news, while the devices are asked.
    let _jack = QuietStderr::new();
    let host = cpal::default_host();
    let default_id = host.default_input_device().and_then(|d| d.id().ok());
    let devices = host
        .input_devices()
        .map_err(|e| RecorderError::HostUnavailable(e.to_string()))?;
    let mut any = false;
    for device in devices {
        any = true;
        let id = device.id().ok();
        let mark = if id.is_some() && id == default_id { "*" } else { " " };
        let id = id.map_or_else(|| "?".into(), |id| id.to_string());
        let config = match device.default_input_config() {
            Ok(c) => format!("{} Hz, {} ch, {}", c.sample_rate(), c.channels(), c.sample_format()),
            Err(_) if !all => continue,
            Err(e) => format!("unavailable: {e}"),
        };
        let _ = writeln!(out, "{mark} {device}  [{id}]  {config}");
    }
    if !any {
        return Err(RecorderError::NoInputDevice);
    }
    let _ = writeln!(out, "(* = default; pass a name or id to `recorder record --device`)");
    Ok(())
}

/// Standard error pointed at /dev/null until dropped (then restored): for C libraries that
/// print where they should not. Best effort: if it cannot, nothing changes.
struct QuietStderr {
    saved: Option<std::os::fd::OwnedFd>,
}

impl QuietStderr {
    fn new() -> Self {
        let saved = rustix::io::dup(std::io::stderr()).ok();
        let silenced = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .ok()
            .and_then(|null| rustix::stdio::dup2_stderr(&null).ok());
        Self {
            saved: saved.filter(|_| silenced.is_some()),
        }
    }
}

impl Drop for QuietStderr {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = rustix::stdio::dup2_stderr(saved);
        }
    }
}
