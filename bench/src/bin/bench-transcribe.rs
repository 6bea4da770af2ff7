//! Benchmark: transcription of 60 s and 10 min of speech.
//!
//! `bench-transcribe MODEL CLIP...` (each CLIP an Ogg Opus file of speech). For each clip:
//!
//! - the whole pipeline in process (decode Opus, resample to 16 kHz, whisper), as the server's
//!   workers run it: wall time, real-time factor, and the share of time spent outside
//!   inference (median of the runs);
//! - the real server (release build, local storage, this model): the time from the upload's
//!   201 to the transcript being ready, beside the upload itself.
//!
//! `scripts/bench transcribe` makes the clips and runs this.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use offbeat_tests::http::{get, request};
use offbeat_tests::server::{Backend, ServerProc};
use transcribe::{Transcriber, TranscriberOptions, WordTiming};

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (model, clips) = args.split_first().expect("usage: bench-transcribe MODEL CLIP...");
    // The server runs in its own directory.
    let model = &std::fs::canonicalize(model).expect("the model file");
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let load_started = Instant::now();
    let options = |word_timing| TranscriberOptions {
        language: None,
        threads,
        word_timing,
    };
    let transcriber = Transcriber::load(model, options(WordTiming::Aligned)).expect("load the model");
    let fast = Transcriber::load(model, options(WordTiming::Fast)).expect("load the model");
    println!(
        "transcribe: model {} loaded in {:.2} s, {threads} threads, greedy decoding",
        transcriber.model_name(),
        load_started.elapsed().as_secs_f64()
    );
    println!("  whisper.cpp: {}", whisper_rs::print_system_info().trim());
    let server_args = ["--whisper-model".to_owned(), model.display().to_string()];
    let server_args: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &server_args);

    for clip in clips {
        let runs = if std::fs::metadata(clip).unwrap().len() > 1 << 20 {
            1
        } else {
            3
        };
        let mut measured = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let (transcript, timings) = transcriber.transcribe_file(clip).expect("transcribe");
            let wall = started.elapsed();
            measured.push((wall, timings, transcript.segments.len()));
        }
        measured.sort_by_key(|m| m.0);
        let (wall, timings, segments) = measured[measured.len() / 2];
        let audio = timings.audio.as_secs_f64();
        let outside = wall.saturating_sub(timings.inference).as_secs_f64() / wall.as_secs_f64();
        println!(
            "  {} ({audio:.0} s of speech, {segments} segments; median of {runs}):",
            clip.file_name().unwrap().to_string_lossy()
        );
        println!(
            "    pipeline {:.2} s = decode+resample {:.3} s + inference {:.2} s + other {:.3} s",
            wall.as_secs_f64(),
            timings.decode.as_secs_f64(),
            timings.inference.as_secs_f64(),
            wall.saturating_sub(timings.decode + timings.inference).as_secs_f64()
        );
        println!(
            "    real-time factor {:.3} ({:.0}x faster than real time)",
            wall.as_secs_f64() / audio,
            audio / wall.as_secs_f64()
        );
        println!(
            "    share outside inference {:.1}%  [target <= 10%: {}]",
            outside * 100.0,
            if outside <= 0.10 { "met" } else { "MISSED" }
        );

        if audio <= 120.0 {
            let mut fast_inference: Vec<Duration> = (0..runs)
                .map(|_| fast.transcribe_file(clip).expect("transcribe").1.inference)
                .collect();
            fast_inference.sort();
            let fast_inference = fast_inference[fast_inference.len() / 2];
            println!(
                "    with --word-timing fast (whisper's token times, flash attention): inference {:.2} s",
                fast_inference.as_secs_f64()
            );
            compare_with_whisper_cpp(clip, &[("ours", timings.inference), ("ours fast", fast_inference)]);
        }

        let body = std::fs::read(clip).unwrap();
        let posted = Instant::now();
        let reply = request("POST", &server.api("/api/v1/clips"), &[], Some(&body));
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let stored = posted.elapsed();
        let id = reply.json()["id"].as_str().unwrap().to_owned();
        let url = server.api(&format!("/api/v1/clips/{id}/transcript"));
        loop {
            let status = get(&url).json()["status"].as_str().unwrap().to_owned();
            match status.as_str() {
                "ready" => break,
                "pending" | "running" => std::thread::sleep(Duration::from_millis(20)),
                other => panic!("transcript {other}"),
            }
        }
        let ready = posted.elapsed();
        println!(
            "    server: upload {:.3} s, then transcript ready {:.2} s later ({:.2} s from the start of the upload)",
            stored.as_secs_f64(),
            (ready - stored).as_secs_f64(),
            ready.as_secs_f64()
        );
    }
}

/// whisper.cpp on its own, as its maintainers build it (PyPI's pywhispercpp, run by
/// `bench/whisper_reference.py` from the virtualenv `scripts/install-deps` makes), on exactly the
/// PCM our pipeline feeds whisper for `clip`, with the same model and threads: its inference
/// time beside each of ours (as shipped, and with fast word timing), and their ratios.
fn compare_with_whisper_cpp(clip: &Path, ours: &[(&str, Duration)]) {
    let Some(python) = std::env::var_os("OFFBEAT_WHISPER_REFERENCE_PYTHON") else {
        println!("    whisper.cpp itself: not measured (OFFBEAT_WHISPER_REFERENCE_PYTHON unset)");
        return;
    };
    let model = std::env::args_os().nth(1).map(PathBuf::from).unwrap();
    let mut audio = transcribe::audio::SpeechAudio::open(clip).expect("decode the clip");
    let mut pcm = Vec::new();
    while let Some(window) = audio.next_window(usize::MAX / 2, 0).expect("decode") {
        pcm.extend_from_slice(&window.pcm);
    }
    let raw = tempfile::NamedTempFile::new().unwrap();
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(raw.path(), bytes).unwrap();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("whisper_reference.py");
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(&model)
        .arg(raw.path())
        .arg(threads.to_string())
        .arg(if offbeat_tests::bench_smoke() { "1" } else { "3" })
        .output()
        .expect("run the whisper.cpp reference");
    assert!(
        output.status.success(),
        "the whisper.cpp reference failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&output.stdout).expect("its JSON line");
    let theirs = reply["inference_s"].as_f64().unwrap();
    println!(
        "    whisper.cpp itself ({}; same PCM, model and {threads} threads, its default parameters): inference {theirs:.2} s",
        reply["build"].as_str().unwrap_or("?"),
    );
    for (label, inference) in ours {
        let ratio = inference.as_secs_f64() / theirs;
        println!(
            "      {label}: {:.2} s, ratio {ratio:.2}  [target <= 1.10: {}]",
            inference.as_secs_f64(),
            if ratio <= 1.10 { "met" } else { "MISSED" }
        );
    }
}
