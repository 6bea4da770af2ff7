//! Transcripts end to end: real speech (espeak-ng, through the recorder and through Chromium's
//! MediaRecorder), the real server binary with the real whisper model, the HTTP API.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use offbeat_tests::audio::read_wav_mono;
use offbeat_tests::http::{get, request, urlencode};
use offbeat_tests::process::Watched;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::s3::S3Server;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::speech::{
    normalized_words, transcribe_args, transcribing_server, wait_for_transcript, word_error_rate,
};
use offbeat_tests::tools::{recorder, run_ok, speech};
use offbeat_tests::wait::{ogg_seconds, wait_until};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(180);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

pub(crate) fn encode(wav: &Path) -> PathBuf {
    let out = wav.with_extension("opus");
    run_ok(recorder().arg("encode").arg(wav).arg(&out));
    out
}

fn all_words(transcript: &Value) -> Vec<Value> {
    transcript["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap().clone())
        .collect()
}

fn ms(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a time: {v}"))
}

/// Segments and words are in order, each starts before it ends, and all lie inside the clip.
fn assert_well_ordered(transcript: &Value, duration_ms: u64) {
    let segments = transcript["segments"].as_array().unwrap();
    assert!(!segments.is_empty(), "no segments: {transcript}");
    let mut last_segment_end = 0;
    let mut last_word_end = 0;
    for segment in segments {
        let (start, end) = (ms(&segment["start_ms"]), ms(&segment["end_ms"]));
        assert!(
            start >= last_segment_end && start <= end && end <= duration_ms,
            "segment {segment}"
        );
        last_segment_end = end;
        for word in segment["words"].as_array().unwrap() {
            let (w_start, w_end) = (ms(&word["start_ms"]), ms(&word["end_ms"]));
            assert!(
                w_start >= last_word_end && w_start <= w_end,
                "word {word} after {last_word_end}"
            );
            assert!(
                w_start >= start && w_end <= end,
                "word {word} outside its segment {start}..{end}"
            );
            let p = word["probability"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p), "probability {p}");
            last_word_end = w_end;
        }
    }
}

/// Where the sound in a WAV first rises above -40 dB of its peak, in ms.
fn first_sound_ms(wav: &Path) -> u64 {
    let (rate, pcm) = read_wav_mono(wav);
    let peak = pcm.iter().fold(0f32, |m, s| m.max(s.abs()));
    let first = pcm.iter().position(|s| s.abs() > peak * 0.01).unwrap();
    first as u64 * 1000 / u64::from(rate)
}

fn wav_ms(wav: &Path) -> u64 {
    let (rate, pcm) = read_wav_mono(wav);
    pcm.len() as u64 * 1000 / u64::from(rate)
}

#[test]
fn speech_recorded_through_the_recorder_comes_back_as_its_words() {
    const SAID: &str = "Good morning everyone. Please review the quarterly budget before Friday, \
                        and reply in the thread with your questions.";
    let dir = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start();
    let speech = speech(dir.path(), "speech", SAID);
    let take = dir.path().join("take.opus");
    let mut cmd = recorder();
    cmd.envs(mic.env()).arg("record").arg("-o").arg(&take);
    let mut proc = Watched::spawn(&mut cmd);
    proc.wait_for_line("Recording from", Duration::from_secs(15));
    // Played once the take is being written, and stopped once all of it is in the take.
    let before = wait_until("audio in the take", Duration::from_secs(10), || {
        Some(ogg_seconds(&take)).filter(|&s| s > 0.0)
    });
    mic.play(&speech);
    let (rate, samples) = read_wav_mono(&speech);
    let spoken = samples.len() as f64 / f64::from(rate);
    wait_until("the whole speech in the take", Duration::from_secs(20), || {
        Some(ogg_seconds(&take)).filter(|&s| s >= before + spoken + 0.3)
    });
    proc.signal("INT");
    let (status, stderr) = proc.finish(Duration::from_secs(10));
    assert!(status.success(), "recorder failed: {stderr:#?}");

    let server = transcribing_server();
    let out = run_ok(
        server
            .recorder()
            .arg("upload")
            .arg(&take)
            .args(["--server", &server.url]),
    );
    let link = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let clip = server.clip_of_page(&link);
    let status = clip["transcript"]["status"].as_str().unwrap();
    assert!(["pending", "running"].contains(&status), "{clip}");
    let id = clip["id"].as_str().unwrap();

    let transcript = wait_for_transcript(&server, id, WAIT);
    assert_eq!(transcript["status"], "ready", "{transcript}");
    assert_eq!(transcript["language"], "en");
    let heard = transcript["text"].as_str().unwrap();
    let wer = word_error_rate(SAID, heard);
    println!("said:  {SAID}\nheard: {heard}\nword error rate: {wer:.3}");
    assert!(wer <= 0.25, "word error rate {wer:.3}: heard {heard:?}");
    assert_well_ordered(&transcript, ms(&clip["duration_ms"]));
    assert_eq!(server.clip_of_page(&link)["transcript"]["status"], "ready");

    // The recorder prints it too (from the page link), as one line per segment, and as captions.
    let printed = run_ok(server.recorder().arg("transcript").arg(&link));
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert!(printed.starts_with("[0:0"), "{printed}");
    assert!(
        printed.lines().all(|l| l.starts_with('[') && l.contains(" → ")),
        "{printed}"
    );
    assert_eq!(
        normalized_words(
            &printed
                .lines()
                .map(|l| l.split_once("] ").unwrap().1)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        normalized_words(heard)
    );
    let srt = run_ok(
        server
            .recorder()
            .args(["transcript", id, "--format", "srt", "--server", &server.url]),
    );
    assert!(String::from_utf8(srt.stdout).unwrap().starts_with("1\n00:00:0"));
}

/// A clip of two sentences with a known 2.5 s silence between them, and where the first word
/// after it ("Thursday") starts, in ms.
fn speech_around_a_known_silence(dir: &Path) -> (PathBuf, u64) {
    let first = speech(
        dir,
        "first",
        "Good morning everyone. The budget review moved to Friday afternoon.",
    );
    let second = speech(dir, "second", "Thursday works for me.");
    const SILENCE_MS: u64 = 2_500;
    let padded = dir.join("padded.wav");
    let seconds = format!("{}", SILENCE_MS as f64 / 1000.0);
    run_ok(
        Command::new("sox")
            .arg(&first)
            .arg(&padded)
            .args(["pad", "0", &seconds]),
    );
    let wav = dir.join("clip.wav");
    run_ok(Command::new("sox").arg(&padded).arg(&second).arg(&wav));
    let put_at = wav_ms(&first) + SILENCE_MS + first_sound_ms(&second);
    (wav, put_at)
}

/// Transcribes the clip at `wav` and checks that "Thursday" starts within 300 ms of `put_at`
/// and every word is in order inside the clip; returns the clip's id and its transcript.
fn transcribe_and_find_thursday(server: &ServerProc, wav: &Path, put_at: u64) -> (String, Value) {
    let clip = server.upload_file(&encode(wav));
    let id = clip["id"].as_str().unwrap().to_owned();
    let transcript = wait_for_transcript(server, &id, WAIT);
    assert_eq!(transcript["status"], "ready", "{transcript}");
    assert_well_ordered(&transcript, ms(&clip["duration_ms"]));
    let words = all_words(&transcript);
    let thursday = words
        .iter()
        .find(|w| normalized_words(w["text"].as_str().unwrap()) == ["thursday"])
        .unwrap_or_else(|| panic!("no \"Thursday\" in {transcript}"));
    let start = ms(&thursday["start_ms"]);
    println!("\"Thursday\" put at {put_at} ms, transcript says {start} ms");
    assert!(
        start.abs_diff(put_at) <= 300,
        "\"Thursday\" at {start} ms, put at {put_at} ms"
    );
    (id, transcript)
}

#[test]
fn a_word_after_a_known_silence_starts_where_it_was_put_and_search_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, put_at) = speech_around_a_known_silence(dir.path());
    let server = transcribing_server();
    let (id, _) = transcribe_and_find_thursday(&server, &wav, put_at);

    // Search: the spoken word, a prefix, a phrase; each hit names the moment to jump to.
    let search = |q: &str| {
        let reply = get(&format!("{}?q={}", server.api("/api/v1/search"), urlencode(q)));
        assert_eq!(reply.status, 200, "{q:?}: {}", String::from_utf8_lossy(&reply.body));
        reply.json()["results"].as_array().unwrap().clone()
    };
    for q in ["Thursday", "thurs*", "\"works for me\""] {
        let results = search(q);
        assert_eq!(results.len(), 1, "{q:?}: {results:?}");
        let hit = &results[0];
        assert_eq!(hit["clip"]["id"], id.as_str());
        assert_eq!(hit["matched"], "transcript");
        assert!(
            ms(&hit["start_ms"]).abs_diff(put_at) <= 300,
            "{q:?} jumps to {}",
            hit["start_ms"]
        );
        assert!(hit["snippet_html"].as_str().unwrap().contains("<mark>"), "{hit}");
    }
    assert_eq!(search("budget")[0]["start_ms"].as_u64().map(|s| s < 1000), Some(true));
    // Hostile or odd queries: results or an empty list, never an error.
    for q in [
        "\"unbalanced",
        "NEAR",
        "NEAR(a b)",
        "*",
        "budget OR",
        "AND",
        "a AND NOT b",
        "'; DROP TABLE clips; --",
        "body:budget",
        "^budget",
        "(budget",
        "budget\"*",
        "-budget",
        "café crème",
        "日本語",
        "😀",
        "\"\"",
        "   ",
    ] {
        search(q);
    }
    assert!(search("zebra").is_empty());

    // Captions: three formats with their content types; the WebVTT is also stored beside the clip.
    let base = server.api(&format!("/api/v1/clips/{id}/transcript"));
    let vtt = get(&format!("{base}.vtt"));
    assert_eq!(vtt.header("content-type"), Some("text/vtt; charset=utf-8"));
    let vtt_text = String::from_utf8(vtt.body.clone()).unwrap();
    assert!(vtt_text.starts_with("WEBVTT\n\n1\n00:00:00."), "{vtt_text}");
    let stored = server.data_dir().join(format!("clips-store/clips/{id}.vtt"));
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), vtt_text);
    let srt = get(&format!("{base}.srt"));
    assert_eq!(srt.header("content-type"), Some("application/x-subrip; charset=utf-8"));
    assert!(String::from_utf8(srt.body).unwrap().contains(" --> "));
    let txt = get(&format!("{base}.txt"));
    assert_eq!(txt.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(String::from_utf8(txt.body).unwrap().contains("Thursday"));

    // Deleting the clip takes its captions and search entries with it.
    assert_eq!(
        request("DELETE", &server.api(&format!("/api/v1/clips/{id}")), &[], None).status,
        204
    );
    assert!(!stored.exists());
    assert!(search("Thursday").is_empty());
}

#[test]
fn with_fast_word_timing_words_still_land_on_the_sound() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, put_at) = speech_around_a_known_silence(dir.path());
    let mut args = transcribe_args();
    args.extend(["--word-timing".to_owned(), "fast".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &args);
    let (_, transcript) = transcribe_and_find_thursday(&server, &wav, put_at);
    let words = all_words(&transcript);
    let budget = words
        .iter()
        .find(|w| normalized_words(w["text"].as_str().unwrap()) == ["budget"])
        .unwrap_or_else(|| panic!("no \"budget\" in {transcript}"));
    assert!(ms(&budget["start_ms"]) < 2_000, "{budget}");
}

#[test]
fn webm_recorded_by_chromium_transcribes_too() {
    const SAID: &str = "please review the quarterly budget before friday";
    let server = transcribing_server();
    for name in ["chromium-audio.webm", "chromium-video.webm"] {
        let clip = server.upload_file(&fixture(name));
        let transcript = wait_for_transcript(&server, clip["id"].as_str().unwrap(), WAIT);
        assert_eq!(transcript["status"], "ready", "{name}: {transcript}");
        let heard = transcript["text"].as_str().unwrap();
        let wer = word_error_rate(SAID, heard);
        println!("{name}: heard {heard:?}, word error rate {wer:.3}");
        assert!(wer <= 0.3, "{name}: heard {heard:?}");
        assert_well_ordered(&transcript, ms(&clip["duration_ms"]));
    }
}

/// `secs` of speech as a WAV (a paragraph repeated): long enough that whisper is busy a while.
pub(crate) fn speech_of(dir: &Path, secs: u64) -> PathBuf {
    let paragraph = speech(
        dir,
        "paragraph",
        "Here is the update on the hiring plan. We interviewed six people this week, and two of them \
         will join us next month. The design review is on Monday afternoon, so please send your notes \
         before then.",
    );
    let out = dir.join(format!("speech-{secs}s.wav"));
    let repeats = secs * 1000 / wav_ms(&paragraph) + 1;
    let mut sox = Command::new("sox");
    for _ in 0..repeats {
        sox.arg(&paragraph);
    }
    run_ok(sox.arg(&out).args(["trim", "0", &secs.to_string()]));
    out
}

#[test]
fn failed_transcriptions_retry_with_backoff_and_fail_for_good_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let busy = encode(&speech_of(dir.path(), 20));
    let short = encode(&speech(dir.path(), "short", "Thursday works for me."));
    let mut s3 = S3Server::start();
    let mut args = transcribe_args();
    args.extend(["--transcribe-max-attempts", "3", "--transcribe-retry-base-secs", "1"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::S3(&s3), &args);
    // One worker: 20 s of speech keeps it busy while the short clip waits in line; then
    // storage goes away, so fetching the short clip fails.
    server.upload_file(&busy);
    let clip = server.upload_file(&short);
    let id = clip["id"].as_str().unwrap();
    s3.stop();
    let url = server.api(&format!("/api/v1/clips/{id}/transcript"));
    let started = std::time::Instant::now();
    let mut first_failure = None;
    let second_failure = loop {
        let t = get(&url).json();
        if t["status"] == "pending" && t["reason"].as_str().is_some_and(|r| r.contains("storage")) {
            match (t["attempts"].as_i64(), first_failure) {
                (Some(1), None) => first_failure = Some(std::time::Instant::now()),
                (Some(2), Some(first)) => break std::time::Instant::now().duration_since(first),
                _ => {}
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no retry seen: {t}");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The first retry waited the base delay (1 s), not less.
    assert!(
        second_failure >= Duration::from_millis(900),
        "retried after {second_failure:?}"
    );
    // Storage is back before the third and last attempt (2 s later): it succeeds.
    s3.restart();
    let transcript = wait_for_transcript(&server, id, WAIT);
    assert_eq!(transcript["status"], "ready", "{transcript}");
    assert_eq!(transcript["attempts"], 3);

    // With one attempt allowed, a failure is final, with its reason.
    let mut once = transcribe_args();
    once.extend(["--transcribe-max-attempts", "1"].map(String::from));
    let once: Vec<&str> = once.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::S3(&s3), &once);
    server.upload_file(&busy);
    let clip = server.upload_file(&short);
    s3.stop();
    let transcript = wait_for_transcript(&server, clip["id"].as_str().unwrap(), WAIT);
    assert_eq!(transcript["status"], "failed", "{transcript}");
    assert_eq!(transcript["attempts"], 1);
    assert!(
        transcript["reason"].as_str().unwrap().contains("storage"),
        "{transcript}"
    );
    s3.restart();
}

#[test]
fn a_server_killed_mid_transcription_finishes_the_job_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let minute = speech_of(dir.path(), 60);
    let mut server = transcribing_server();
    let clip = server.upload_file(&encode(&minute));
    let id = clip["id"].as_str().unwrap().to_owned();
    let transcript_url = server.api(&format!("/api/v1/clips/{id}/transcript"));
    let started = std::time::Instant::now();
    while get(&transcript_url).json()["status"] != "running" {
        assert!(started.elapsed() < Duration::from_secs(30), "the job never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill_and_restart();

    let transcript = wait_for_transcript(&server, &id, WAIT);
    assert_eq!(transcript["status"], "ready", "{transcript}");
    assert_eq!(
        transcript["attempts"], 2,
        "one interrupted run, one complete: {transcript}"
    );
    assert_well_ordered(&transcript, ms(&clip["duration_ms"]));
    let heard = transcript["text"].as_str().unwrap();
    assert!(normalized_words(heard).contains(&"hiring".to_owned()), "{heard}");
    // Done means done: no worker takes it again. A job still in line would be claimed before
    // (or with) a newer clip's, so once the newer one is transcribed, it would show.
    let newer = server.upload_file(&encode(&speech_of(dir.path(), 3)));
    wait_for_transcript(&server, newer["id"].as_str().unwrap(), WAIT);
    let again = get(&server.api(&format!("/api/v1/clips/{id}/transcript"))).json();
    assert_eq!(again["attempts"], 2);
    assert_eq!(again["created_at"], transcript["created_at"]);
    assert_eq!(again["segments"], transcript["segments"]);
}

#[test]
fn without_a_model_clips_are_taken_and_transcripts_say_disabled_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_model = dir.path().join("model.bin");
    std::fs::write(&not_a_model, vec![7u8; 4096]).unwrap();
    let wav = speech(dir.path(), "hello", "hello there");
    let clip_file = encode(&wav);
    for (args, why) in [
        (vec![], "--whisper-model"),
        (
            vec!["--whisper-model", not_a_model.to_str().unwrap()],
            "not a ggml whisper model",
        ),
    ] {
        let server = ServerProc::start(Backend::Local, &args);
        let clip = server.upload_file(&clip_file);
        assert_eq!(clip["transcript"]["status"], "disabled", "{clip}");
        assert!(clip["transcript"]["reason"].as_str().unwrap().contains(why), "{clip}");
        let id = clip["id"].as_str().unwrap();
        let vtt = get(&server.api(&format!("/api/v1/clips/{id}/transcript.vtt")));
        assert_eq!(vtt.status, 409);
        assert!(vtt.error_message().contains("disabled"), "{}", vtt.error_message());
        let out = server
            .recorder()
            .args(["transcript", id, "--server", &server.url])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("disabled"));
    }
}
