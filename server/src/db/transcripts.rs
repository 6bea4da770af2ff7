//! Transcript jobs (a durable queue), transcripts with their segments and words, and the
//! search index rows they feed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row, SqlitePool};
use transcribe::{Segment, Transcript, Word};

use crate::db::{IN_ID_LIST, id_list};
use crate::domain::{JobState, Scope, parse_timestamp, timestamp};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub clip_id: String,
    /// Including this one.
    pub attempts: i64,
}

/// A job as the API reports it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A stored transcript's own row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TranscriptRow {
    pub language: String,
    pub model: String,
    pub vtt_key: String,
    pub created_at: String,
}

/// Jobs left 'running' by a process that died: this process is the database's only user
/// (SQLite), so they are nobody's now and go back in line.
pub async fn requeue_interrupted(pool: &SqlitePool) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE transcript_jobs SET state = 'pending', updated_at = ? WHERE state = 'running'")
            .bind(timestamp(Utc::now()))
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Claims the job that has been due longest, atomically: one UPDATE flips exactly one
/// pending row to running, so two workers can never take the same job.
pub async fn claim(pool: &SqlitePool) -> sqlx::Result<Option<Job>> {
    let now = timestamp(Utc::now());
    let row = sqlx::query(
        "UPDATE transcript_jobs SET state = 'running', attempts = attempts + 1, updated_at = ?1 \
         WHERE state = 'pending' AND clip_id = (SELECT clip_id FROM transcript_jobs \
             WHERE state = 'pending' AND run_after <= ?1 ORDER BY run_after, clip_id LIMIT 1) \
         RETURNING clip_id, attempts",
    )
    .bind(&now)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Job {
        clip_id: row.get("clip_id"),
        attempts: row.get("attempts"),
    }))
}

/// When the next pending job falls due (it may already have).
pub async fn next_due(pool: &SqlitePool) -> sqlx::Result<Option<DateTime<Utc>>> {
    let next: Option<String> = sqlx::query_scalar("SELECT MIN(run_after) FROM transcript_jobs WHERE state = 'pending'")
        .fetch_one(pool)
        .await?;
    Ok(next.as_deref().and_then(parse_timestamp))
}

/// A failed attempt: back in line after `retry_at`, or failed for good.
pub async fn fail(pool: &SqlitePool, clip_id: &str, error: &str, retry_at: Option<DateTime<Utc>>) -> sqlx::Result<()> {
    let now = timestamp(Utc::now());
    let (state, run_after) = match retry_at {
        Some(at) => (JobState::Pending, timestamp(at)),
        None => (JobState::Failed, now.clone()),
    };
    sqlx::query(
        "UPDATE transcript_jobs SET state = ?, run_after = ?, last_error = ?, updated_at = ? \
         WHERE clip_id = ? AND state = 'running'",
    )
    .bind(state.as_str())
    .bind(run_after)
    .bind(error)
    .bind(now)
    .bind(clip_id)
    .execute(pool)
    .await?;
    Ok(())
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
}

/// Stores a transcript and marks its job done, in one transaction. Whatever an earlier run of
/// the same job left is replaced, so a job that runs twice (a crash after whisper finished)
/// still leaves exactly one transcript. Fails (foreign key) if the clip is gone.
pub async fn finish(pool: &SqlitePool, done: &Finished<'_>) -> sqlx::Result<()> {
    let now = timestamp(Utc::now());
    let mut tx = pool.begin().await?;
    for table in ["transcript_words", "transcript_segments"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE clip_id = ?"))
            .bind(done.clip_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM search_index WHERE clip_id = ? AND start_ms IS NOT NULL")
        .bind(done.clip_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO transcripts (clip_id, language, model, vtt_key, created_at, decode_ms, inference_ms) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (clip_id) DO UPDATE SET language = excluded.language, \
         model = excluded.model, vtt_key = excluded.vtt_key, created_at = excluded.created_at, \
         decode_ms = excluded.decode_ms, inference_ms = excluded.inference_ms",
    )
    .bind(done.clip_id)
    .bind(&done.transcript.language)
    .bind(done.model)
    .bind(done.vtt_key)
    .bind(&now)
    .bind(done.decode_ms)
    .bind(done.inference_ms)
    .execute(&mut *tx)
    .await?;
    for (position, segment) in done.transcript.segments.iter().enumerate() {
        let position = position as i64;
        sqlx::query(
            "INSERT INTO transcript_segments (clip_id, position, start_ms, end_ms, text) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(done.clip_id)
        .bind(position)
        .bind(ms(segment.start_ms))
        .bind(ms(segment.end_ms))
        .bind(&segment.text)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO search_index (clip_id, start_ms, body) VALUES (?, ?, ?)")
            .bind(done.clip_id)
            .bind(ms(segment.start_ms))
            .bind(&segment.text)
            .execute(&mut *tx)
            .await?;
        for (word_position, word) in segment.words.iter().enumerate() {
            sqlx::query(
                "INSERT INTO transcript_words (clip_id, segment, position, start_ms, end_ms, text, probability) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(done.clip_id)
            .bind(position)
            .bind(word_position as i64)
            .bind(ms(word.start_ms))
            .bind(ms(word.end_ms))
            .bind(&word.text)
            .bind(f64::from(word.probability))
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query("UPDATE transcript_jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE clip_id = ?")
        .bind(&now)
        .bind(done.clip_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub async fn job(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<Option<JobRow>> {
    sqlx::query_as("SELECT state, attempts, last_error FROM transcript_jobs WHERE clip_id = ?")
        .bind(clip_id)
        .fetch_optional(pool)
        .await
}

/// The jobs of these clips, by clip id, in one query.
pub async fn jobs(pool: &SqlitePool, clip_ids: &[&str]) -> sqlx::Result<HashMap<String, JobRow>> {
    let rows = sqlx::query(&format!(
        "SELECT clip_id, state, attempts, last_error FROM transcript_jobs WHERE clip_id {IN_ID_LIST}"
    ))
    .bind(id_list(clip_ids)?)
    .fetch_all(pool)
    .await?;
    let mut jobs = HashMap::new();
    for row in rows {
        jobs.insert(row.try_get("clip_id")?, JobRow::from_row(&row)?);
    }
    Ok(jobs)
}

pub async fn transcript_row(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<Option<TranscriptRow>> {
    sqlx::query_as("SELECT language, model, vtt_key, created_at FROM transcripts WHERE clip_id = ?")
        .bind(clip_id)
        .fetch_optional(pool)
        .await
}

/// The stored transcript with its segments and words, in order.
pub async fn load(pool: &SqlitePool, clip_id: &str, language: String) -> sqlx::Result<Transcript> {
    let mut segments: Vec<Segment> =
        sqlx::query("SELECT start_ms, end_ms, text FROM transcript_segments WHERE clip_id = ? ORDER BY position")
            .bind(clip_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| Segment {
                start_ms: u64::try_from(row.get::<i64, _>("start_ms")).unwrap_or(0),
                end_ms: u64::try_from(row.get::<i64, _>("end_ms")).unwrap_or(0),
                text: row.get("text"),
                words: Vec::new(),
            })
            .collect();
    let words = sqlx::query(
        "SELECT segment, start_ms, end_ms, text, probability FROM transcript_words WHERE clip_id = ? \
         ORDER BY segment, position",
    )
    .bind(clip_id)
    .fetch_all(pool)
    .await?;
    for row in words {
        let Some(segment) = usize::try_from(row.get::<i64, _>("segment"))
            .ok()
            .and_then(|i| segments.get_mut(i))
        else {
            continue;
        };
        segment.words.push(Word {
            start_ms: u64::try_from(row.get::<i64, _>("start_ms")).unwrap_or(0),
            end_ms: u64::try_from(row.get::<i64, _>("end_ms")).unwrap_or(0),
            text: row.get("text"),
            probability: row.get::<f64, _>("probability") as f32,
        });
    }
    Ok(Transcript { language, segments })
}

/// One search hit: a title (`start_ms` None) or a transcript segment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    pub clip_id: String,
    pub start_ms: Option<i64>,
    /// The matching text, with the matched terms between U+E000 and U+E001.
    pub snippet: String,
}

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Best matches first (bm25), among one workspace's clips (and, for admins, the ownerless
/// ones). `fts_query` must come from [`crate::search::fts_query`].
pub async fn search(pool: &SqlitePool, fts_query: &str, scope: Scope<'_>, limit: i64) -> sqlx::Result<Vec<SearchHit>> {
    sqlx::query_as(
        "SELECT search_index.clip_id, search_index.start_ms, \
             snippet(search_index, 2, char(57344), char(57345), '…', 16) AS snippet \
         FROM search_index JOIN clips ON clips.id = search_index.clip_id \
         WHERE search_index MATCH ? AND (clips.workspace_id = ? OR (? AND clips.workspace_id IS NULL)) \
         ORDER BY bm25(search_index), search_index.start_ms LIMIT ?",
    )
    .bind(fts_query)
    .bind(scope.workspace_id)
    .bind(scope.with_ownerless)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The start of a clip's transcript, for previews: its first segments, up to about `chars`.
pub async fn opening(pool: &SqlitePool, clip_id: &str, chars: usize) -> sqlx::Result<Option<String>> {
    let texts: Vec<String> =
        sqlx::query_scalar("SELECT text FROM transcript_segments WHERE clip_id = ? ORDER BY position LIMIT 8")
            .bind(clip_id)
            .fetch_all(pool)
            .await?;
    if texts.is_empty() {
        return Ok(None);
    }
    Ok(Some(shorten(texts.join(" "), chars)))
}

/// The openings of these clips' transcripts (see [`opening`]), by clip id, in one query.
pub async fn openings(pool: &SqlitePool, clip_ids: &[&str], chars: usize) -> sqlx::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT clip_id, text FROM transcript_segments WHERE position < 8 AND clip_id {IN_ID_LIST} \
         ORDER BY clip_id, position"
    ))
    .bind(id_list(clip_ids)?)
    .fetch_all(pool)
    .await?;
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    for (clip_id, text) in rows {
        texts.entry(clip_id).or_default().push(text);
    }
    Ok(texts
        .into_iter()
        .map(|(clip_id, texts)| (clip_id, shorten(texts.join(" "), chars)))
        .collect())
}

/// `text`, cut to about `chars` characters with an ellipsis.
fn shorten(text: String, chars: usize) -> String {
    if text.chars().count() > chars {
        text.chars().take(chars).collect::<String>().trim_end().to_owned() + "…"
    } else {
        text
    }
}

/// Removes everything transcription made for a clip (for a tombstone).
pub async fn forget(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    for table in [
        "transcript_words",
        "transcript_segments",
        "transcripts",
        "transcript_jobs",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE clip_id = ?"))
            .bind(clip_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM search_index WHERE clip_id = ?")
        .bind(clip_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
