//! Finding and running the project's binaries and the reference tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a binary built from this workspace, in the same profile directory as the running
/// executable (tests run from `target/<profile>/deps`, benchmarks from `target/<profile>`).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let mut dir = exe.parent().expect("an executable lives in a directory");
    if dir.ends_with("deps") {
        dir = dir.parent().expect("target/<profile>");
    }
    let bin = dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: build the workspace binaries first (`cargo build --workspace --bins`; scripts/test does it)",
        bin.display()
    );
    bin
}

/// The recorder binary, hermetic: no token from the environment, no saved credentials of the
/// user running the tests.
pub fn recorder() -> Command {
    let mut cmd = Command::new(workspace_bin("recorder"));
    cmd.env_remove("OFFBEAT_TOKEN").env(
        "OFFBEAT_CONFIG_DIR",
        std::env::temp_dir().join("offbeat-tests-no-credentials"),
    );
    cmd
}

/// Fails the test unless every named tool is on PATH.
pub fn require(tools: &[&str]) {
    for tool in tools {
        let found = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()));
        assert!(found, "`{tool}` is not installed: run scripts/install-deps");
    }
}

/// Runs a command, failing the test with its stderr if it does not succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Speaks `text` with espeak-ng's default en-us voice, converted by sox to `rate` Hz with
/// `channels` channels and the given sox encoding arguments (e.g. `["-b", "16"]`).
pub fn speech_wav(dir: &Path, name: &str, text: &str, rate: u32, channels: u16, encoding: &[&str]) -> PathBuf {
    require(&["espeak-ng", "sox"]);
    let raw = dir.join(format!("{name}.espeak.wav"));
    run_ok(
        Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&raw)
            .arg(text),
    );
    let out = dir.join(format!("{name}.wav"));
    run_ok(
        Command::new("sox")
            .arg(&raw)
            .args(["-r", &rate.to_string(), "-c", &channels.to_string()])
            .args(encoding)
            .arg(&out),
    );
    out
}

/// Speech as a microphone gives it: 48 kHz, mono, 16-bit.
pub fn speech(dir: &Path, name: &str, text: &str) -> PathBuf {
    speech_wav(dir, name, text, 48_000, 1, &["-b", "16"])
}

/// The stderr of a failed command, minus blank lines.
pub fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A short Ogg file of another codec (e.g. "vorbis", "flac"), made by ffmpeg: what an upload
/// or a decode must refuse as "not Opus".
pub fn ffmpeg_ogg(dir: &Path, codec: &str) -> PathBuf {
    let out = dir.join(format!("{codec}.ogg"));
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=d=0.3",
            "-ac",
            "2",
            "-c:a",
            codec,
            "-strict",
            "-2",
            "-f",
            "ogg",
        ],
        &out,
    );
    out
}

/// Runs `ffmpeg -v error -y ARGS OUT`, failing the test if it fails.
pub fn ffmpeg(args: &[&str], out: &Path) {
    require(&["ffmpeg"]);
    run_ok(Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).arg(out));
}

/// ffprobe's `format=duration` of a file as it prints it ("N/A" when it cannot tell).
pub fn ffprobe_duration(path: &Path) -> String {
    require(&["ffprobe"]);
    let out = run_ok(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "default=nw=1:nk=1",
            ])
            .arg(path),
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// How many 48 kHz mono samples of sound ffmpeg decodes from a file: what a player plays, an
/// independent measure of its length.
pub fn ffmpeg_audio_samples(path: &Path) -> usize {
    require(&["ffmpeg"]);
    let pcm = run_ok(
        Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(["-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "48000", "-"]),
    );
    pcm.stdout.len() / 2
}

/// ffmpeg decodes the whole file (`seek_secs`: from there, one video frame) without a word on
/// stderr.
pub fn ffmpeg_decodes_cleanly(path: &Path, seek_secs: Option<f64>) {
    require(&["ffmpeg"]);
    let mut command = Command::new("ffmpeg");
    command.args(["-v", "error"]);
    if let Some(at) = seek_secs {
        command.args(["-ss", &format!("{at:.2}")]);
    }
    command.arg("-i").arg(path);
    if seek_secs.is_some() {
        command.args(["-frames:v", "1"]);
    }
    let out = run_ok(command.args(["-f", "null", "-"]));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A WebM as browsers record it (VP8 + Opus, clusters of unknown size, no Duration, no Cues):
/// `secs` of `video` (an ffmpeg lavfi source) at `bitrate`, with a tone.
pub fn live_webm(out: &Path, video: &str, secs: u32, bitrate: &str) {
    let secs = secs.to_string();
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            video,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=48000",
            "-t",
            &secs,
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            bitrate,
            "-minrate",
            bitrate,
            "-maxrate",
            bitrate,
            "-bufsize",
            "2M",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-live",
            "1",
            "-f",
            "webm",
        ],
        out,
    );
}

/// The take the recorder keeps in `outbox` (recording, or waiting to be sent), if there is one.
pub fn outbox_take(outbox: &Path) -> Option<PathBuf> {
    std::fs::read_dir(outbox)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "opus"))
}
