//! Summaries in process, on both databases, with the real test model
//! (`../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf`, or `$OFFBEAT_TEST_SUMMARY_MODEL`):
//! after a two-and-a-half-minute, three-topic message's transcript the model writes a summary
//! shorter than it in its words, chapters on segment starts, action items and the untitled
//! message's title; search finds summaries and chapters; the owner's own summary stays theirs
//! when the clip is transcribed again; clearing it and asking for it again. A 135M model says
//! little worth reading: this checks structure and grounding, not eloquence.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, StatusCode};
use db::domain::JobKind;
use db::transcripts::{Finish, Finished};
use media::{EncoderSettings, InputFormat, OggOpusEncoder, OpusTags};
use serde_json::{Value, json};
use support::{Backend, Harness, Person};
use transcribe::{Segment, Transcript};

const SCRIPT: &str = include_str!("../../summarize/tests/three_topics.txt");
const LINE_MS: u64 = 6_500;

fn model() -> String {
    let path = std::env::var_os("OFFBEAT_TEST_SUMMARY_MODEL").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the summary model is missing: looked for {} (set OFFBEAT_TEST_SUMMARY_MODEL)",
        path.display()
    );
    path.display().to_string()
}

/// The script as whisper would give it: a sentence a segment, 6.5 s each.
fn transcript() -> Transcript {
    let segments = SCRIPT
        .replace('\n', " ")
        .split_inclusive(['.', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, text)| Segment {
            start_ms: i as u64 * LINE_MS,
            end_ms: (i as u64 + 1) * LINE_MS,
            text: text.to_owned(),
            words: Vec::new(),
        })
        .collect();
    Transcript {
        language: "en".into(),
        segments,
    }
}

/// `seconds` of near silence as Ogg Opus: a clip as long as the transcript says.
fn quiet_clip(seconds: usize) -> Vec<u8> {
    let input = InputFormat {
        sample_rate: 48_000,
        channels: 1,
    };
    let mut enc = OggOpusEncoder::new(Vec::new(), input, EncoderSettings::default(), OpusTags::new("t")).unwrap();
    let hum: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.01).sin() * 0.01).collect();
    for _ in 0..seconds {
        enc.push(&hum).unwrap();
    }
    enc.finish().unwrap().0
}

/// Stores the transcript as the transcripts lane does, with its summary queued.
async fn transcribed(server: &Harness, clip_id: &str) {
    let transcript = transcript();
    let done = Finished {
        clip_id,
        transcript: &transcript,
        model: "test",
        vtt_key: "clips/none.vtt",
        decode_ms: 1,
        inference_ms: 2,
        title_if_untitled: &server::workers::title_from(&transcript),
        summarize: true,
    };
    assert_eq!(
        server.state.db.transcripts().finish(&done).await.unwrap(),
        Finish::Stored
    );
    server.state.wakes.job(JobKind::Summary).notify_one();
}

async fn summary_of(server: &Harness, who: &Person, id: &str) -> Value {
    let answer = server.get(&format!("/api/v1/clips/{id}/summary"), who).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()
}

async fn until_ready(server: &Harness, who: &Person, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let summary = summary_of(server, who, id).await;
        if summary["state"] == "ready" {
            return summary;
        }
        assert!(
            summary["state"] == "pending" && started.elapsed() < Duration::from_secs(240),
            "{summary}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn send(server: &Harness, method: Method, uri: &str, who: &Person, body: Option<Value>) -> (StatusCode, Value) {
    let payload = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let answer = server.call(method, uri, Some(who), payload).await;
    let json = if answer.text().is_empty() {
        Value::Null
    } else {
        answer.json()
    };
    (answer.status, json)
}

async fn search(server: &Harness, who: &Person, query: &str) -> Value {
    server.get(&format!("/api/v1/search?q={query}"), who).await.json()
}

on_every_database!(
    a_message_is_summarised_after_its_transcript_and_its_owner_has_the_last_word,
    without_a_model_summaries_are_off_and_say_why,
);

async fn a_message_is_summarised_after_its_transcript_and_its_owner_has_the_last_word(backend: Backend) {
    let model = model();
    let server = Harness::on(backend, &["--summary-model", &model, "--summary-priority", "normal"]).await;
    server::workers::start(&server.state).await.unwrap();
    let (olive, manu) = server.olive_and_manu().await;
    let answer = server
        .call(Method::POST, "/api/v1/clips", Some(&olive), Body::from(quiet_clip(150)))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        summary_of(&server, &olive, &id).await["state"],
        "off",
        "nothing before the transcript"
    );
    transcribed(&server, &id).await;
    let first_words = server.get(&format!("/api/v1/clips/{id}"), &olive).await.json()["title"].clone();
    assert_eq!(first_words, "Good morning team, three things today. First, the…");
    assert_eq!(summary_of(&server, &manu, &id).await["state"], "pending");

    // The model's summary: shorter than the transcript, in its words, with chapters and tasks.
    let summary = until_ready(&server, &manu, &id).await;
    let text = transcript()
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let said = summary["summary"].as_str().unwrap();
    assert!(!said.is_empty() && said.len() < text.len() / 2, "{summary}");
    assert!(
        summarize::words::borne_out(said, &text) >= 0.5,
        "in the message's words: {said}"
    );
    assert_eq!(summary["source"], "generated");
    assert_eq!(summary["model"], "Smollm2 135M 8k Lc100K Mix1 Ep2");
    assert_eq!(
        summary["can_edit"], false,
        "a member reads it; only its owner changes it"
    );
    let starts: Vec<u64> = summary["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["start_ms"].as_u64().unwrap())
        .collect();
    assert!(starts.len() >= 2, "{summary}");
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]) && starts.iter().all(|s| s % LINE_MS == 0 && *s < 150_000),
        "{starts:?}"
    );
    let owners: Vec<&str> = summary["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["owner"].as_str())
        .collect();
    assert!(owners.contains(&"Manu") && owners.contains(&"Sam"), "{summary}");
    // The untitled message is titled by the model now, not by its first words.
    let title = server.get(&format!("/api/v1/clips/{id}"), &olive).await.json()["title"].clone();
    assert!(title != first_words && !title.as_str().unwrap().is_empty(), "{title}");

    // A member may not change it; its owner writes their own, with a chapter of their own.
    let uri = format!("/api/v1/clips/{id}/summary");
    let (status, _) = send(
        &server,
        Method::PATCH,
        &uri,
        &manu,
        Some(json!({ "summary": "Mine now." })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = send(
        &server,
        Method::PATCH,
        &uri,
        &olive,
        Some(json!({ "chapters": [{ "start_ms": 999_000, "title": "Past the end" }] })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, edited) = send(
        &server,
        Method::PATCH,
        &uri,
        &olive,
        Some(json!({
            "summary": "Migration done, designers interviewing, Zanzibar-free offsite in Lisbon.",
            "chapters": [{ "start_ms": 0, "title": "Migration" }, { "start_ms": 58_500, "title": "Quokka hiring" }],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["source"], "edited");
    assert_eq!(
        edited["action_items"], summary["action_items"],
        "what was not given stays"
    );
    let found = search(&server, &manu, "zanzibar").await;
    assert_eq!(found["results"][0]["matched"], "summary", "{found}");
    let found = search(&server, &manu, "quokka").await;
    assert_eq!(found["results"][0]["matched"], "chapter", "{found}");
    assert_eq!(
        found["results"][0]["start_ms"], 58_500,
        "the hit opens the chapter's moment"
    );

    // Transcribed again: the owner's summary stays theirs.
    transcribed(&server, &id).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let kept = summary_of(&server, &olive, &id).await;
    assert_eq!(
        (kept["state"].clone(), kept["source"].clone()),
        (json!("ready"), json!("edited"))
    );
    assert_eq!(kept["summary"], edited["summary"]);

    // Cleared: nothing shows, and search no longer finds it.
    let (status, _) = send(&server, Method::DELETE, &uri, &olive, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cleared = summary_of(&server, &manu, &id).await;
    assert_eq!(
        (cleared["state"].clone(), cleared["summary"].clone()),
        (json!("off"), json!(""))
    );
    assert_eq!(cleared["reason"], "cleared by its owner");
    assert!(
        search(&server, &manu, "zanzibar").await["results"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Asked for again: the model's, once more.
    let (status, again) = send(&server, Method::POST, &format!("{uri}/regenerate"), &olive, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["state"], "pending");
    let regenerated = until_ready(&server, &olive, &id).await;
    assert_eq!(regenerated["source"], "generated");
    assert_eq!(
        regenerated["summary"], summary["summary"],
        "the same transcript, the same summary"
    );
}

async fn without_a_model_summaries_are_off_and_say_why(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let id = server.upload_id(&olive, "Hello").await;
    let summary = summary_of(&server, &olive, &id).await;
    assert_eq!(summary["state"], "off");
    assert!(
        summary["reason"].as_str().unwrap().contains("--summary-model"),
        "{summary}"
    );
    let (status, refused) = send(
        &server,
        Method::POST,
        &format!("/api/v1/clips/{id}/summary/regenerate"),
        &olive,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
}
