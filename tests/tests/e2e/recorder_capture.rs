//! `recorder record` through the real audio stack: cpal → ALSA's pulse plugin → a PulseAudio
//! daemon whose virtual microphone is fed with espeak-ng speech.

// A failed expectation is a failed test: panicking is the point.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use offbeat_tests::audio::{best_alignment, decode_opus_mono, opus_facts, read_wav_mono};
use offbeat_tests::process::Watched;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::tools::{recorder, require, speech, stderr_lines};

const STARTED: &str = "Recording from";
const SENTENCE: &str = "please review the quarterly budget before friday";

fn start_recording(mic: &VirtualMic, out: &Path, extra: &[&str]) -> (Watched, Instant) {
    let mut cmd = recorder();
    cmd.envs(mic.env()).arg("record").arg("-o").arg(out).args(extra);
    let mut proc = Watched::spawn(&mut cmd);
    let started = proc.wait_for_line(STARTED, Duration::from_secs(15));
    (proc, started)
}

/// opusinfo must accept the file with no warning and no error.
fn assert_opusinfo_clean(path: &Path) {
    require(&["opusinfo"]);
    let out = Command::new("opusinfo").arg(path).output().expect("run opusinfo");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "opusinfo rejected {}:\n{text}", path.display());
    assert!(
        !text.contains("WARNING") && !text.contains("ERROR"),
        "opusinfo complained about {}:\n{text}",
        path.display()
    );
}

#[test]
fn recording_matches_what_the_microphone_heard() {
    let dir = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start();
    let speech = speech(dir.path(), "speech", SENTENCE);
    let out = dir.path().join("take.opus");
    let raw = dir.path().join("take.wav");
    let (proc, started) = start_recording(&mic, &out, &["--wav", raw.to_str().unwrap(), "--title", "budget"]);

    std::thread::sleep(Duration::from_millis(300));
    mic.play(&speech);
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    proc.signal("INT");
    let (status, stderr) = proc.finish(Duration::from_secs(10));
    assert!(status.success(), "recorder failed: {stderr:#?}");

    // Duration: the file holds what the wall clock says was recorded.
    let wall = stopped.duration_since(started).as_secs_f64();
    let facts = opus_facts(&out);
    let recorded = facts.duration_secs();
    println!("wall clock {wall:.3} s, recorded {recorded:.3} s");
    assert!(
        (recorded - wall).abs() <= 0.050,
        "recorded {recorded:.3} s over {wall:.3} s of wall time"
    );
    assert!(!facts.truncated);
    assert_eq!(facts.tags.get("TITLE"), Some("budget"));
    let date = facts.tags.get("DATE").expect("DATE tag");
    assert!(chrono_like_rfc3339_with_offset(date), "DATE tag {date:?}");
    assert_opusinfo_clean(&out);

    // Content: the speech is in there, undistorted.
    let (_, source) = read_wav_mono(&speech);
    let decoded = decode_opus_mono(&out, 48_000);
    let (lag, corr) = best_alignment(&source, &decoded);
    let gain =
        rms(&decoded[lag.max(0) as usize..][..source.len().min(decoded.len() - lag.max(0) as usize)]) / rms(&source);
    println!(
        "cross-correlation {corr:.3} at {:.3} s, gain {gain:.2}",
        lag as f64 / 48_000.0
    );
    assert!(corr >= 0.9, "cross-correlation {corr:.3}");
    assert!(
        (0.25..1.5).contains(&(lag as f64 / 48_000.0)),
        "speech found at {lag} samples"
    );

    // The raw WAV copy covers the same span, in the device's own format.
    let reader = hound::WavReader::open(&raw).unwrap();
    let spec = reader.spec();
    let raw_secs = f64::from(reader.duration()) / f64::from(spec.sample_rate);
    assert!(
        (raw_secs - recorded).abs() < 0.001,
        "WAV {raw_secs:.4} s vs Opus {recorded:.4} s"
    );
}

#[test]
fn kill_9_leaves_a_playable_file() {
    const SECONDS: u64 = 3;
    let dir = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start();
    let out = dir.path().join("killed.opus");
    let (mut proc, _) = start_recording(&mic, &out, &[]);
    std::thread::sleep(Duration::from_secs(SECONDS));
    proc.child.kill().unwrap(); // SIGKILL: no chance to clean up
    let (status, _) = proc.finish(Duration::from_secs(5));
    assert!(!status.success());

    assert_opusinfo_clean(&out);
    let decoded = decode_opus_mono(&out, 48_000);
    let secs = decoded.len() as f64 / 48_000.0;
    println!("killed after {SECONDS} s; file decodes to {secs:.3} s");
    assert!(secs >= (SECONDS - 1) as f64, "only {secs:.3} s survived");
    // ffmpeg, a second independent decoder, reads it without error too.
    require(&["ffmpeg"]);
    let ff = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&out)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        ff.status.success() && ff.stderr.is_empty(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&ff.stderr)
    );
}

#[test]
fn max_duration_stops_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start();
    let out = dir.path().join("short.opus");
    let (proc, _) = start_recording(&mic, &out, &["--max-duration", "1500ms"]);
    let (status, stderr) = proc.finish(Duration::from_secs(10));
    assert!(status.success(), "{stderr:#?}");
    assert_eq!(opus_facts(&out).duration_samples, 72_000);
}

#[test]
fn unplugged_microphone_keeps_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut mic = VirtualMic::start();
    let out = dir.path().join("unplugged.opus");
    let (proc, _) = start_recording(&mic, &out, &[]);
    std::thread::sleep(Duration::from_secs(2));
    mic.pull_the_plug();
    let (status, stderr) = proc.finish(Duration::from_secs(20));
    assert!(!status.success(), "losing the device must be reported as a failure");
    let errors: Vec<_> = stderr.iter().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr:#?}");
    assert!(
        errors[0].contains("input device went away") && errors[0].contains("saved"),
        "{}",
        errors[0]
    );
    assert_opusinfo_clean(&out);
    let secs = opus_facts(&out).duration_secs();
    assert!(secs >= 1.5, "kept only {secs:.2} s");
}

#[test]
fn no_sound_server_is_a_one_line_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-runtime");
    std::fs::create_dir(&nowhere).unwrap();
    let out = dir.path().join("never.opus");
    let result = recorder()
        .env("XDG_RUNTIME_DIR", &nowhere)
        .env("HOME", dir.path())
        .env("PULSE_SERVER", format!("unix:{}/none", nowhere.display()))
        .arg("record")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let lines = stderr_lines(&result);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].starts_with("error: no usable input device"), "{}", lines[0]);
    assert!(!out.exists(), "a recording that never started must leave no file");
}

#[test]
fn unknown_device_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start();
    let result = recorder()
        .envs(mic.env())
        .args(["record", "--device", "no such mic", "-o"])
        .arg(dir.path().join("x.opus"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    let lines = stderr_lines(&result);
    assert_eq!(
        lines,
        ["error: no input device matches \"no such mic\"; `recorder devices` lists them"]
    );
}

#[test]
fn devices_lists_the_virtual_microphone_as_default() {
    let mic = VirtualMic::start();
    let result = recorder().envs(mic.env()).arg("devices").output().unwrap();
    assert!(result.status.success());
    let text = String::from_utf8_lossy(&result.stdout);
    let default = text
        .lines()
        .find(|l| l.starts_with('*'))
        .unwrap_or_else(|| panic!("no default in:\n{text}"));
    assert!(default.contains("Hz") && default.contains("ch"), "{default}");
    let noise = String::from_utf8_lossy(&result.stderr);
    assert!(
        !noise.to_lowercase().contains("jack") && !noise.contains("Cannot connect"),
        "JACK's noise on stderr:\n{noise}"
    );
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// `2026-11-25T09:30:00+01:00`: a timestamp with an explicit UTC offset.
fn chrono_like_rfc3339_with_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 25 && b[10] == b'T' && (b[19] == b'+' || b[19] == b'-') && b[22] == b':'
}
