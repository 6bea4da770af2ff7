//! Search on both databases, through the router in process: titles and transcript segments,
//! best hit per clip with its moment, phrases and prefixes, matches marked in the snippet,
//! hostile syntax as plain text, and never another workspace's clips.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use db::transcripts::{Finish, Finished};
use serde_json::Value;
use support::{Backend, Harness, Person};
use transcribe::{Segment, Transcript};

/// Stores a transcript for `clip_id` as the transcription worker does.
async fn transcribed(server: &Harness, clip_id: &str, lines: &[(u64, &str)]) {
    let transcript = Transcript {
        language: "en".into(),
        segments: lines
            .iter()
            .map(|&(start_ms, text)| Segment {
                start_ms,
                end_ms: start_ms + 2_000,
                text: text.into(),
                words: Vec::new(),
            })
            .collect(),
    };
    let finished = Finished {
        clip_id,
        transcript: &transcript,
        model: "test",
        vtt_key: "clips/none.vtt",
        decode_ms: 0,
        inference_ms: 0,
        title_if_untitled: "",
        summarize: false,
    };
    assert_eq!(
        server.state.db.transcripts().finish(&finished).await.unwrap(),
        Finish::Stored
    );
}

async fn search(server: &Harness, who: &Person, query: &str) -> Vec<Value> {
    let uri = format!(
        "/api/v1/search?q={}",
        percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC)
    );
    let answer = server.get(&uri, who).await;
    assert_eq!(answer.status, 200, "{query:?}: {}", answer.text());
    answer.json()["results"].as_array().unwrap().clone()
}

fn titles(results: &[Value]) -> Vec<&str> {
    results.iter().map(|r| r["clip"]["title"].as_str().unwrap()).collect()
}

async fn search_finds_what_was_said_and_only_there(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let otto = server.person("Otto", "Elsewhere").await;
    let standup = server.upload_id(&olive, "Monday standup").await;
    transcribed(
        &server,
        &standup,
        &[
            (0, "Good morning everyone."),
            (4_000, "The hiring plan is ready for review."),
            (8_000, "Please send the quarterly budget before Thursday."),
        ],
    )
    .await;
    let planning = server.upload_id(&olive, "Budget planning").await;
    transcribed(&server, &planning, &[(0, "We plan the hiring later this year.")]).await;
    let theirs = server.upload_id(&otto, "Their budget").await;
    transcribed(&server, &theirs, &[(0, "The quarterly budget is due Thursday.")]).await;

    // A word: both of the team's clips, one result each, with where it was said.
    let budget = search(&server, &olive, "budget").await;
    let mut found = titles(&budget);
    found.sort_unstable();
    assert_eq!(found, ["Budget planning", "Monday standup"], "{budget:#?}");
    let said = budget.iter().find(|r| r["clip"]["title"] == "Monday standup").unwrap();
    assert_eq!(said["matched"], "transcript");
    assert_eq!(said["start_ms"], 8_000);
    assert!(
        said["snippet_html"].as_str().unwrap().contains("<mark>budget</mark>"),
        "{said}"
    );
    let titled = budget.iter().find(|r| r["clip"]["title"] == "Budget planning").unwrap();
    assert_eq!(titled["matched"], "title");

    // A phrase is its words in a row; a prefix matches the start of a word; all terms must match.
    assert_eq!(
        titles(&search(&server, &olive, "\"hiring plan\"").await),
        ["Monday standup"]
    );
    assert_eq!(titles(&search(&server, &olive, "thurs*").await), ["Monday standup"]);
    assert_eq!(
        titles(&search(&server, &olive, "hiring later").await),
        ["Budget planning"]
    );
    assert!(search(&server, &olive, "hiring banana").await.is_empty());

    // Another workspace's clips are never found; its own people find them.
    assert!(search(&server, &olive, "due").await.is_empty());
    assert_eq!(titles(&search(&server, &otto, "due").await), ["Their budget"]);

    // Whatever syntax an engine has is plain text here: no error, ever.
    for hostile in [
        "a NEAR b",
        "budget\" OR 1=1; --",
        "title:x ^y (z)",
        "budget & !plan | hiring <-> review",
        "'budget':* & plan:B",
        "\\\\ ' \" *",
        "日本語 café",
        "NOT",
    ] {
        search(&server, &olive, hostile).await;
    }
}

async fn text_replies_are_found_like_transcripts(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let otto = server.person("Otto", "Elsewhere").await;
    let clip = server.upload_id(&olive, "Offsite").await;
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&manu),
            serde_json::json!({ "text": "The venue is booked for Thursday" }),
        )
        .await;
    assert_eq!(replied.status, 201);
    let reply_id = replied.json()["reply_id"].as_str().unwrap().to_owned();

    let found = search(&server, &olive, "venue").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["clip"]["id"], clip.as_str());
    assert_eq!(found[0]["matched"], "reply");
    assert_eq!(found[0]["reply_id"], reply_id.as_str());
    assert!(
        found[0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>venue</mark>"),
        "{found:?}"
    );
    assert!(
        search(&server, &otto, "venue").await.is_empty(),
        "another workspace finds nothing"
    );

    // Renaming the message leaves the reply findable (and the title too).
    let renamed = server
        .call(
            axum::http::Method::PATCH,
            &format!("/api/v1/clips/{clip}"),
            Some(&olive),
            axum::body::Body::from(serde_json::json!({ "title": "Team offsite" }).to_string()),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(search(&server, &olive, "venue").await.len(), 1);
    assert_eq!(search(&server, &olive, "offsite").await[0]["matched"], "title");

    // Deleted by its author: gone from search.
    let deleted = server
        .call(
            axum::http::Method::DELETE,
            &format!("/api/v1/replies/{reply_id}"),
            Some(&manu),
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(search(&server, &olive, "venue").await.is_empty());
}

on_every_database!(
    search_finds_what_was_said_and_only_there,
    text_replies_are_found_like_transcripts
);
