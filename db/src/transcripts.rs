//! Transcripts with their segments and words.

use crate::Timestamp;
use std::collections::HashMap;

use transcribe::Transcript;

/// A stored transcript's own row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TranscriptRow {
    pub language: String,
    pub model: String,
    pub vtt_key: String,
    pub created_at: Timestamp,
}

/// What a finished job stores.
#[derive(Debug)]
pub struct Finished<'a> {
    pub clip_id: &'a str,
    pub transcript: &'a Transcript,
    pub model: &'a str,
    pub vtt_key: &'a str,
    pub decode_ms: i64,
    pub inference_ms: i64,
    /// The title an untitled clip takes from its transcript (a titled one keeps its own).
    pub title_if_untitled: &'a str,
    /// Whether a summary follows: its job is queued with the transcript (a summary its owner
    /// wrote stays theirs).
    pub summarize: bool,
}

/// What became of a finished job's transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Stored,
    /// The clip was deleted while it was transcribed: nothing was stored.
    ClipGone,
}

/// Finished transcripts, whole or as openings for previews.
#[async_trait::async_trait]
pub trait TranscriptStore: Send + Sync {
    /// Stores a transcript and marks its job done, in one transaction. Whatever an earlier run of
    /// the same job left is replaced, so a job that runs twice (a crash after whisper finished)
    /// still leaves exactly one transcript.
    async fn finish(&self, done: &Finished<'_>) -> crate::Result<Finish>;

    async fn transcript_row(&self, clip_id: &str) -> crate::Result<Option<TranscriptRow>>;

    /// The stored transcript with its segments and words, in order.
    async fn load(&self, clip_id: &str, language: String) -> crate::Result<Transcript>;

    /// The start of a clip's transcript, for previews: its first segments, up to about `chars`.
    async fn opening(&self, clip_id: &str, chars: usize) -> crate::Result<Option<String>>;

    /// The openings of these clips' transcripts (see [`opening`]), by clip id, in one query.
    async fn openings(&self, clip_ids: &[&str], chars: usize) -> crate::Result<HashMap<String, String>>;

    /// Removes everything transcription made for a clip (for a tombstone).
    async fn forget(&self, clip_id: &str) -> crate::Result<()>;
}
