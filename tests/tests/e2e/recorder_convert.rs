//! `recorder encode` / `recorder decode` against the reference tools: opusinfo, ffprobe, ffmpeg.

// A failed expectation is a failed test: panicking is the point.

use std::path::{Path, PathBuf};
use std::process::Command;

use offbeat_tests::audio::{best_alignment, opus_facts, read_wav_mono};
use offbeat_tests::tools::{recorder, require, run_ok, speech_wav, stderr_lines};

const SENTENCE: &str = "the launch moves to thursday because the venue changed";

/// One source WAV per (rate, channels, encoding), all from the same espeak-ng sentence.
fn source(dir: &Path, rate: u32, channels: u16, float: bool) -> PathBuf {
    let encoding: &[&str] = if float {
        &["-e", "floating-point", "-b", "32"]
    } else {
        &["-e", "signed-integer", "-b", "16"]
    };
    let name = format!("src-{rate}-{channels}-{}", if float { "f32" } else { "s16" });
    speech_wav(dir, &name, SENTENCE, rate, channels, encoding)
}

fn frames_of(wav: &Path) -> (u32, u64) {
    let reader = hound::WavReader::open(wav).unwrap();
    (reader.spec().sample_rate, u64::from(reader.duration()))
}

/// Every check for one input format: exact duration by our reader, by `recorder decode`, by
/// ffprobe and by ffmpeg's decoder; opusinfo clean; the audio itself intact.
fn round_trip(rate: u32) {
    require(&["opusinfo", "ffprobe", "ffmpeg"]);
    let dir = tempfile::tempdir().unwrap();
    for channels in [1u16, 2] {
        for float in [false, true] {
            let wav = source(dir.path(), rate, channels, float);
            let case = format!("{}", wav.file_name().unwrap().to_string_lossy());
            let (_, frames) = frames_of(&wav);
            let expected = (frames * 48_000 + u64::from(rate) / 2) / u64::from(rate);
            let opus = wav.with_extension("opus");
            run_ok(recorder().arg("encode").arg(&wav).arg(&opus));

            let facts = opus_facts(&opus);
            assert_eq!(facts.duration_samples, expected, "{case}: our reader");
            assert_eq!(facts.head.input_sample_rate, rate, "{case}: OpusHead input rate");
            assert_eq!(facts.head.channels, 1, "{case}: speech is encoded mono");
            assert!(facts.head.pre_skip > 0, "{case}: pre-skip is the encoder's lookahead");

            let info = run_ok(Command::new("opusinfo").arg(&opus));
            let text = String::from_utf8_lossy(&info.stdout);
            assert!(
                !text.contains("WARNING") && !text.contains("ERROR"),
                "{case}: opusinfo:\n{text}"
            );

            // ffprobe reports the raw last granule position (pre-skip included), as it does for
            // opusenc's files; minus pre-skip it must match exactly.
            let probe = run_ok(
                Command::new("ffprobe")
                    .args([
                        "-v",
                        "error",
                        "-select_streams",
                        "a:0",
                        "-show_entries",
                        "stream=duration_ts",
                        "-of",
                        "default=nw=1:nk=1",
                    ])
                    .arg(&opus),
            );
            let granule: u64 = String::from_utf8_lossy(&probe.stdout)
                .trim()
                .parse()
                .expect("ffprobe duration_ts");
            assert_eq!(granule - u64::from(facts.head.pre_skip), expected, "{case}: ffprobe");

            // ffmpeg's own Opus decoder applies pre-skip and end trimming: same sample count.
            let pcm = run_ok(
                Command::new("ffmpeg")
                    .args(["-v", "error", "-i"])
                    .arg(&opus)
                    .args(["-f", "s16le", "-ac", "1", "-ar", "48000", "-"]),
            );
            assert_eq!(pcm.stdout.len() as u64 / 2, expected, "{case}: ffmpeg decode");

            // `recorder decode` back to the source rate gives the source's frame count exactly
            // (to rounding) and the same sound.
            let back = dir.path().join(format!("{case}.back.wav"));
            run_ok(
                recorder()
                    .arg("decode")
                    .arg(&opus)
                    .arg(&back)
                    .args(["--rate", &rate.to_string()]),
            );
            let (back_rate, back_frames) = frames_of(&back);
            assert_eq!(back_rate, rate);
            assert!(
                back_frames.abs_diff(frames) <= 1,
                "{case}: {back_frames} frames back, {frames} in"
            );
            let (_, original) = read_wav_mono(&wav);
            let (_, decoded) = read_wav_mono(&back);
            let (lag, corr) = best_alignment(&original, &decoded);
            println!("{case}: correlation {corr:.3} at lag {lag}");
            assert!(lag.abs() <= 8, "{case}: output shifted by {lag} samples");
            assert!(corr >= 0.85, "{case}: correlation {corr:.3}");
        }
    }
}

#[test]
fn round_trip_8k() {
    round_trip(8_000);
}

#[test]
fn round_trip_16k() {
    round_trip(16_000);
}

#[test]
fn round_trip_44k1() {
    round_trip(44_100);
}

#[test]
fn round_trip_48k() {
    round_trip(48_000);
}

/// A failing command: non-zero exit, exactly one line on stderr, naming the problem.
fn assert_fails_with(cmd: &mut Command, expected: &str) {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} should fail");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{cmd:?} printed {lines:#?}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(expected),
        "{cmd:?}: {:?} lacks {expected:?}",
        lines[0]
    );
}

#[test]
fn bad_inputs_fail_with_one_clear_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = source(d, 16_000, 1, false);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = d.join("truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let header_only = d.join("header-only.wav");
    std::fs::write(&header_only, &bytes[..30]).unwrap();
    let text = d.join("notes.wav");
    std::fs::write(&text, "meeting notes, not audio\n").unwrap();
    let empty = d.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let out = d.join("out.opus");

    assert_fails_with(
        recorder().arg("encode").arg(d.join("missing.wav")).arg(&out),
        "cannot read",
    );
    assert_fails_with(recorder().arg("encode").arg(&text).arg(&out), "is not a WAV file");
    assert_fails_with(recorder().arg("encode").arg(&empty).arg(&out), "is not a WAV file");
    assert_fails_with(
        recorder().arg("encode").arg(&header_only).arg(&out),
        "is not a WAV file",
    );
    assert_fails_with(recorder().arg("encode").arg(&truncated).arg(&out), "is truncated");
    assert_fails_with(
        recorder().arg("encode").arg(&good).arg(d.join("no/such/dir/out.opus")),
        "cannot write",
    );
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".opus") || n.to_string_lossy().starts_with(".offbeat-"))
        .collect();
    assert!(leftovers.is_empty(), "failed encodes left {leftovers:?}");

    // An existing output is not overwritten without --force.
    run_ok(recorder().arg("encode").arg(&good).arg(&out));
    let before = std::fs::read(&out).unwrap();
    assert_fails_with(recorder().arg("encode").arg(&good).arg(&out), "already exists");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    run_ok(recorder().arg("encode").arg(&good).arg(&out).arg("--force"));

    // decode: not Ogg, Ogg that is not Opus, a corrupted page.
    let wav_out = d.join("back.wav");
    assert_fails_with(recorder().arg("decode").arg(&good).arg(&wav_out), "looks like WAV");
    assert_fails_with(
        recorder().arg("decode").arg(&text).arg(&wav_out),
        "does not start with an Ogg page",
    );
    let mut corrupt = std::fs::read(&out).unwrap();
    let n = corrupt.len();
    corrupt[n - 10] ^= 0x55;
    let corrupt_path = d.join("corrupt.opus");
    std::fs::write(&corrupt_path, corrupt).unwrap();
    assert_fails_with(recorder().arg("decode").arg(&corrupt_path).arg(&wav_out), "checksum");
    let vorbis = offbeat_tests::tools::ffmpeg_ogg(d, "vorbis");
    assert_fails_with(
        recorder().arg("decode").arg(&vorbis).arg(&wav_out),
        "carries Vorbis, not Opus",
    );
    assert!(!wav_out.exists(), "failed decodes must not leave output");

    // record: output not writable.
    assert_fails_with(
        recorder().args(["record", "-o"]).arg(d.join("no/such/dir/take.opus")),
        "cannot write",
    );
}
