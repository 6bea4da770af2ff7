//! Summaries from real speech: a two-and-a-half-minute, three-topic message spoken by espeak-ng,
//! transcribed by whisper and summarised by the real test model. On PostgreSQL the process
//! summarising it is killed midway and another finishes the job once the lease runs out; on
//! SQLite the summary comes from llama.cpp's own server through the OpenAI-compatible path
//! (`--summary-url`), serving the same model file. Both check structure and grounding — a
//! summary shorter than the transcript in its words, chapters in order on segment starts inside
//! the clip — not eloquence: the model has 135M parameters.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use offbeat_tests::http::get;
use offbeat_tests::llama_server::LlamaServer;
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::speech::{summarize_args, summary_model, transcribe_args, wait_for_transcript};
use offbeat_tests::tools::{require, run_ok};
use offbeat_tests::wait::wait_until;
use serde_json::Value;

use crate::transcripts::encode;

const SCRIPT: &str = include_str!("../../../summarize/tests/three_topics.txt");

/// The script read slowly (130 words a minute), a paragraph at a time: about 2.5 minutes.
pub(crate) fn three_topics(dir: &Path) -> PathBuf {
    require(&["espeak-ng", "sox"]);
    let mut parts = Vec::new();
    for (i, paragraph) in SCRIPT.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let part = dir.join(format!("part-{i}.wav"));
        run_ok(
            Command::new("espeak-ng")
                .args(["-v", "en-us", "-s", "130", "-w"])
                .arg(&part)
                .arg(paragraph),
        );
        parts.push(part);
    }
    let wav = dir.join("three-topics.wav");
    run_ok(
        Command::new("sox")
            .args(&parts)
            .args(["-r", "48000", "-c", "1", "-b", "16"])
            .arg(&wav),
    );
    encode(&wav)
}

fn summary_of(server: &ServerProc, id: &str) -> Value {
    get(&server.api(&format!("/api/v1/clips/{id}/summary"))).json()
}

fn wait_for_summary(server: &ServerProc, id: &str, timeout: Duration) -> Value {
    let started = Instant::now();
    loop {
        let summary = summary_of(server, id);
        if summary["state"] == "ready" {
            return summary;
        }
        assert!(
            summary["state"] == "pending" && started.elapsed() < timeout,
            "{summary}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What every summary of this message must be, whoever wrote it: a summary shorter than the
/// transcript in its words, and the structure below.
fn assert_grounded(summary: &Value, transcript: &Value, clip: &Value) {
    let text: String = transcript["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let said = summary["summary"].as_str().unwrap();
    assert!(!said.is_empty() && said.len() < text.len() / 2, "{summary}");
    assert!(
        summarize::words::borne_out(said, &text) >= 0.5,
        "in the message's words: {said}\n\n{text}"
    );
    assert_structured(summary, transcript, clip);
}

/// Generated, ready, with chapters in order on segment starts inside the clip, each titled.
fn assert_structured(summary: &Value, transcript: &Value, clip: &Value) {
    let segments = transcript["segments"].as_array().unwrap();
    assert_eq!(summary["source"], "generated");
    assert_eq!(summary["state"], "ready");
    let segment_starts: Vec<u64> = segments.iter().map(|s| s["start_ms"].as_u64().unwrap()).collect();
    let duration = clip["duration_ms"].as_u64().unwrap();
    assert!(duration >= 120_000, "a message of two minutes or more: {clip}");
    let chapters: Vec<u64> = summary["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["start_ms"].as_u64().unwrap())
        .collect();
    assert!(chapters.len() >= 2, "{summary}");
    assert!(
        chapters.windows(2).all(|w| w[0] < w[1]) && chapters.iter().all(|s| *s < duration),
        "in order, inside the clip: {chapters:?}"
    );
    assert!(
        chapters.iter().all(|s| segment_starts.contains(s)),
        "each on a segment's start: {chapters:?} {segment_starts:?}"
    );
    assert!(
        summary["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["title"].as_str().unwrap().is_empty()),
        "{summary}"
    );
}

#[test]
fn a_summary_whose_process_died_is_finished_by_another_once_its_lease_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let speech = three_topics(dir.path());
    let postgres = PgCluster::start();
    let url = postgres.url();
    let mut flags: Vec<String> = transcribe_args();
    flags.extend(summarize_args());
    flags.extend(["--database-url", &url, "--job-lease-secs", "3"].map(String::from));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut first = ServerProc::start(Backend::Local, &flags);
    let clip = first.upload_file(&speech);
    let id = clip["id"].as_str().unwrap().to_owned();
    let transcript = wait_for_transcript(&first, &id, Duration::from_secs(240));
    assert_eq!(transcript["status"], "ready", "{transcript}");

    let job = format!("SELECT state || ' ' || attempts FROM jobs WHERE kind = 'summary' AND clip_id = '{id}'");
    wait_until("the first process summarising", Duration::from_secs(60), || {
        (postgres.psql(&job) == "running 1").then_some(())
    });
    first.kill();
    // Nobody renews the lease now: once it runs out, another process takes the job over.
    let second = first.another();
    let summary = wait_for_summary(&second, &id, Duration::from_secs(300));
    let clip = get(&second.api(&format!("/api/v1/clips/{id}"))).json();
    assert_grounded(&summary, &transcript, &clip);
    assert_eq!(postgres.psql(&job), "done 2", "one interrupted turn, one complete");
    assert_eq!(
        postgres.psql(&format!("SELECT count(*) FROM summaries WHERE clip_id = '{id}'")),
        "1"
    );
}

#[test]
fn a_summary_by_an_openai_compatible_server_the_team_runs() {
    let dir = tempfile::tempdir().unwrap();
    let speech = three_topics(dir.path());
    let llama = LlamaServer::start(&summary_model());
    let mut flags: Vec<String> = transcribe_args();
    flags.extend([
        "--summary-url".into(),
        llama.api_base(),
        "--summary-model-name".into(),
        "smollm2-135m".into(),
    ]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &flags);
    let clip = server.upload_file(&speech);
    let id = clip["id"].as_str().unwrap().to_owned();
    let transcript = wait_for_transcript(&server, &id, Duration::from_secs(240));
    assert_eq!(transcript["status"], "ready", "{transcript}");
    let summary = wait_for_summary(&server, &id, Duration::from_secs(300));
    let clip = get(&server.api(&format!("/api/v1/clips/{id}"))).json();
    assert_eq!(summary["model"], "smollm2-135m", "named as the team's server names it");
    // Whisper's transcript of the same speech varies a little from run to run, and on some of
    // them the 135M model's summary through llama.cpp is not borne out by it, twice: then the
    // chapters and tasks stand alone (what the product does), and the answers that were used
    // must still show the endpoint's hand — a chapter named by it, not by its opening words.
    if summary["summary"] == "" {
        assert_structured(&summary, &transcript, &clip);
        let texts: Vec<(u64, String)> = transcript["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["start_ms"].as_u64().unwrap(),
                    s["text"].as_str().unwrap().trim().to_owned(),
                )
            })
            .collect();
        let named_by_the_model = summary["chapters"].as_array().unwrap().iter().any(|chapter| {
            let start = chapter["start_ms"].as_u64().unwrap();
            let following: Vec<&str> = texts
                .iter()
                .filter(|(at, _)| *at >= start)
                .map(|(_, t)| t.as_str())
                .collect();
            !following.join(" ").starts_with(chapter["title"].as_str().unwrap())
        });
        assert!(named_by_the_model, "{summary}");
    } else {
        assert_grounded(&summary, &transcript, &clip);
    }
}
