//! The real test model (`../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf`, or
//! `$OFFBEAT_TEST_SUMMARY_MODEL`) summarising a three-topic message. A 135M model says little
//! worth reading, so this checks structure and grounding, not eloquence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use summarize::local::{LocalModel, LocalOptions};
use summarize::words::borne_out;
use summarize::{Line, Message, Summarizer};

fn model_path() -> PathBuf {
    let path = std::env::var_os("OFFBEAT_TEST_SUMMARY_MODEL").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the summary model is missing: looked for {} (set OFFBEAT_TEST_SUMMARY_MODEL to a GGUF instruction model)",
        path.display()
    );
    path
}

/// The script, a sentence a line, 6.5 s a sentence: about two and a half minutes.
fn three_topics() -> Message {
    let script = include_str!("three_topics.txt").replace('\n', " ");
    let lines: Vec<Line> = script
        .split_inclusive(['.', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, text)| Line {
            start_ms: i as u64 * 6_500,
            end_ms: (i as u64 + 1) * 6_500,
            text: text.to_owned(),
        })
        .collect();
    let duration_ms = lines.last().map_or(0, |l| l.end_ms);
    Message {
        lines,
        duration_ms,
        author: "Olive".into(),
    }
}

#[test]
fn a_three_topic_message_gets_a_grounded_summary_chapters_and_tasks() {
    let model = LocalModel::load(&model_path(), LocalOptions::default()).unwrap();
    let summarizer = Summarizer::new(Box::new(model));
    let message = three_topics();
    let text = message.text();
    let summary = summarizer.summarize(&message).unwrap();
    println!("{summary:#?}");
    assert!(
        !summary.summary.is_empty() && summary.summary.len() < text.len() / 2,
        "{summary:?}"
    );
    assert!(
        borne_out(&summary.summary, &text) >= 0.5,
        "the summary uses the message's words"
    );
    let title = summary.title.as_deref().expect("a title");
    assert!(title.len() <= 60 && borne_out(title, &text) >= 0.5, "{title}");
    let starts: Vec<u64> = summary.chapters.iter().map(|c| c.start_ms).collect();
    assert!(starts.len() >= 2, "{starts:?}");
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "in order: {starts:?}");
    assert!(
        starts
            .iter()
            .all(|s| message.lines.iter().any(|l| l.start_ms == *s) && *s < message.duration_ms),
        "each chapter starts on a segment, inside the clip: {starts:?}"
    );
    let owners: Vec<Option<&str>> = summary.action_items.iter().map(|a| a.owner.as_deref()).collect();
    assert!(
        owners.contains(&Some("Manu")) && owners.contains(&Some("Sam")),
        "{:?}",
        summary.action_items
    );
}
