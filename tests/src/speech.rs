//! Speech recognition and summary helpers: where the models are, waiting for a transcript, word
//! error rate.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::http::get;
use crate::server::ServerProc;

/// The whisper model the tests use: `$OFFBEAT_TEST_WHISPER_MODEL`, or
/// `../shared/models/ggml-tiny.en.bin` beside the workspace. Missing is a loud failure.
pub fn whisper_model() -> PathBuf {
    let path = std::env::var_os("OFFBEAT_TEST_WHISPER_MODEL").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/ggml-tiny.en.bin"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the speech model is missing: looked for {} (set OFFBEAT_TEST_WHISPER_MODEL to a ggml whisper model)",
        path.display()
    );
    path
}

/// The instruction model the tests summarise with: `$OFFBEAT_TEST_SUMMARY_MODEL`, or
/// `../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf` beside the workspace.
pub fn summary_model() -> PathBuf {
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

/// The server arguments that enable summaries with the test model, on one thread at the usual
/// priority (tests run side by side on few cores: at the lowest, a summary would wait for all
/// of them).
pub fn summarize_args() -> Vec<String> {
    vec![
        "--summary-model".into(),
        summary_model().display().to_string(),
        "--summary-threads".into(),
        "1".into(),
        "--summary-priority".into(),
        "normal".into(),
    ]
}

/// The server arguments that enable transcripts with the test model. One thread each: tests
/// run side by side on few cores, and whisper's threads spin while they wait for each other.
pub fn transcribe_args() -> Vec<String> {
    vec![
        "--whisper-model".into(),
        whisper_model().display().to_string(),
        "--transcribe-threads".into(),
        "1".into(),
    ]
}

/// A server on the local backend that transcribes with the test model.
pub fn transcribing_server() -> ServerProc {
    let args = transcribe_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProc::start(crate::server::Backend::Local, &args)
}

/// Polls the clip's transcript until it is no longer pending or running.
pub fn wait_for_transcript(server: &ServerProc, id: &str, timeout: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let reply = get(&server.api(&format!("/api/v1/clips/{id}/transcript")));
        assert_eq!(
            reply.status,
            200,
            "transcript of {id}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let body = reply.json();
        match body["status"].as_str() {
            Some("pending" | "running") if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => return body,
        }
    }
}

/// Lower-case words with punctuation removed ("Friday." → "friday").
pub fn normalized_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate of `heard` against `said`: word-level edit distance over the words said.
pub fn word_error_rate(said: &str, heard: &str) -> f64 {
    let (said, heard) = (normalized_words(said), normalized_words(heard));
    let mut row: Vec<usize> = (0..=heard.len()).collect();
    for (i, s) in said.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in heard.iter().enumerate() {
            let substitution = diagonal + usize::from(s != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[heard.len()] as f64 / said.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_error_rate_counts_edits() {
        assert_eq!(
            word_error_rate("Please review the budget.", "please review the budget"),
            0.0
        );
        assert_eq!(word_error_rate("a b c d", "a x c d"), 0.25);
        assert_eq!(word_error_rate("a b c d", "a c d"), 0.25);
        assert_eq!(word_error_rate("a b", "a b c d"), 1.0);
    }
}
