//! WebM recorded by real Chromium (MediaRecorder; fixtures made by
//! scripts/record-webm-fixtures.mjs): facts right, stored so browsers can seek it.

// A failed expectation is a failed test: panicking is the point.

use std::path::{Path, PathBuf};
use std::process::Command;

use offbeat_tests::audio::{best_alignment, decode_opus_mono, read_wav_mono};
use offbeat_tests::http::{get, request};
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{ffmpeg_audio_samples, ffmpeg_decodes_cleanly, ffprobe_duration, require, run_ok};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Seconds of audio ffmpeg decodes from a file: an independent measure of its length.
fn ffmpeg_audio_secs(path: &Path) -> f64 {
    ffmpeg_audio_samples(path) as f64 / 48_000.0
}

#[test]
fn chromium_audio_webm_is_stored_as_seekable_ogg_opus() {
    let server = ServerProc::start(Backend::Local, &[]);
    let source = fixture("chromium-audio.webm");
    let clip = server.upload_file(&source);
    let media = &clip["media"];
    assert_eq!(media["container"], "ogg", "audio-only WebM is remuxed into Ogg Opus");
    assert_eq!(media["content_type"], "audio/ogg; codecs=opus");
    assert_eq!(media["has_video"], false);
    let duration = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    let reference = ffmpeg_audio_secs(&source);
    println!("duration {duration:.3} s; ffmpeg decodes {reference:.3} s from the original");
    assert!((duration - reference).abs() <= 0.020, "{duration} vs {reference}");

    let dir = tempfile::tempdir().unwrap();
    let stored = dir.path().join("stored.opus");
    std::fs::write(&stored, get(clip["media_url"].as_str().unwrap()).body).unwrap();
    require(&["opusinfo"]);
    let info = run_ok(Command::new("opusinfo").arg(&stored));
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(!text.contains("WARNING") && !text.contains("ERROR"), "{text}");

    // The remux is the same sound: it matches what the fake microphone played.
    let (_, speech) = read_wav_mono(&fixture("speech48k.wav"));
    let decoded = decode_opus_mono(&stored, 48_000);
    let (_, corr) = best_alignment(&speech, &decoded);
    println!("correlation with the source speech {corr:.3}");
    assert!(corr >= 0.9, "correlation {corr:.3}");
}

#[test]
fn chromium_video_webm_gets_duration_and_cues() {
    let server = ServerProc::start(Backend::Local, &[]);
    let source = fixture("chromium-video.webm");
    let clip = server.upload_file(&source);
    let media = &clip["media"];
    assert_eq!(media["container"], "webm");
    assert_eq!(media["has_video"], true);
    assert_eq!(media["video_codec"], "vp8");
    assert_eq!(media["audio_codec"], "opus");
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(media["content_type"], "video/webm; codecs=\"vp8, opus\"");
    let duration = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!((3.0..4.5).contains(&duration), "{duration}");

    // As uploaded, ffprobe cannot tell the length; as stored, it can, and it agrees.
    let probe = ffprobe_duration;
    assert_eq!(probe(&source), "N/A");
    let dir = tempfile::tempdir().unwrap();
    let stored = dir.path().join("stored.webm");
    let body = get(clip["media_url"].as_str().unwrap()).body;
    std::fs::write(&stored, &body).unwrap();
    let stored_secs: f64 = probe(&stored).parse().unwrap();
    assert!((stored_secs - duration).abs() < 0.01, "{stored_secs} vs {duration}");

    // Cues sit before the first cluster, where a browser finds them without reading to the end.
    let find = |needle: &[u8]| body.windows(needle.len()).position(|w| w == needle);
    let cues = find(&[0x1c, 0x53, 0xbb, 0x6b]).expect("a Cues element");
    let first_cluster = find(&[0x1f, 0x43, 0xb6, 0x75]).expect("a Cluster");
    assert!(cues < first_cluster);
    // ffmpeg decodes it whole without a complaint, and seeks into the middle.
    ffmpeg_decodes_cleanly(&stored, None);
    ffmpeg_decodes_cleanly(&stored, Some(duration / 2.0));
    // And the audio inside is the speech that was recorded.
    let audio_secs = ffmpeg_audio_secs(&stored);
    assert!((audio_secs - ffmpeg_audio_secs(&source)).abs() < 0.001);

    // Ranges work on it like on any clip.
    let part = request(
        "GET",
        clip["media_url"].as_str().unwrap(),
        &[("Range", "bytes=100-199")],
        None,
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, body[100..200]);
}
