//! Transcripts: the SQL both backends run. Storing one also fills the search index.

use super::{Backend, begin_write, dialect};
use crate::Timestamp;

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `text`, cut to about `chars` characters with an ellipsis.
fn shorten(text: String, chars: usize) -> String {
    if text.chars().count() > chars {
        text.chars().take(chars).collect::<String>().trim_end().to_owned() + "…"
    } else {
        text
    }
}

use crate::transcripts::{Finish, Finished, TranscriptRow, TranscriptStore};
use sqlx::Row;
use std::collections::HashMap;
use transcribe::{Segment, Transcript, Word};

#[async_trait::async_trait]
impl TranscriptStore for Backend {
    async fn finish(&self, done: &Finished<'_>) -> crate::Result<Finish> {
        match self.store(done).await {
            Ok(()) => Ok(Finish::Stored),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(Finish::ClipGone),
            Err(err) => Err(err.into()),
        }
    }

    async fn transcript_row(&self, clip_id: &str) -> crate::Result<Option<TranscriptRow>> {
        Ok(
            sqlx::query_as("SELECT language, model, vtt_key, created_at FROM transcripts WHERE clip_id = $1")
                .bind(clip_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn load(&self, clip_id: &str, language: String) -> crate::Result<Transcript> {
        let mut segments: Vec<Segment> =
            sqlx::query("SELECT start_ms, end_ms, text FROM transcript_segments WHERE clip_id = $1 ORDER BY position")
                .bind(clip_id)
                .fetch_all(&self.pool)
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
            "SELECT segment, start_ms, end_ms, text, probability FROM transcript_words WHERE clip_id = $1 \
                         ORDER BY segment, position",
        )
        .bind(clip_id)
        .fetch_all(&self.pool)
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

    async fn opening(&self, clip_id: &str, chars: usize) -> crate::Result<Option<String>> {
        let texts: Vec<String> =
            sqlx::query_scalar("SELECT text FROM transcript_segments WHERE clip_id = $1 ORDER BY position LIMIT 8")
                .bind(clip_id)
                .fetch_all(&self.pool)
                .await?;
        if texts.is_empty() {
            return Ok(None);
        }
        Ok(Some(shorten(texts.join(" "), chars)))
    }

    async fn openings(&self, clip_ids: &[&str], chars: usize) -> crate::Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT clip_id, text FROM transcript_segments WHERE position < 8 AND clip_id {} \
                         ORDER BY clip_id, position",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(clip_ids)?)
        .fetch_all(&self.pool)
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

    async fn forget(&self, clip_id: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        for table in ["transcript_words", "transcript_segments", "transcripts"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE clip_id = $1"))
                .bind(clip_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM jobs WHERE kind = 'transcript' AND clip_id = $1")
            .bind(clip_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM search_index WHERE clip_id = $1")
            .bind(clip_id)
            .execute(&mut *tx)
            .await?;
        Backend::forget_summary(&mut tx, clip_id).await?;
        Ok(tx.commit().await?)
    }
}

impl Backend {
    /// Replaces whatever an earlier run left, in one transaction.
    async fn store(&self, done: &Finished<'_>) -> sqlx::Result<()> {
        let now = Timestamp::now();
        let mut tx = begin_write(&self.pool).await?;
        for table in ["transcript_words", "transcript_segments"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE clip_id = $1"))
                .bind(done.clip_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM search_index WHERE clip_id = $1 AND start_ms IS NOT NULL")
            .bind(done.clip_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
                        "INSERT INTO transcripts (clip_id, language, model, vtt_key, created_at, decode_ms, inference_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (clip_id) DO UPDATE SET language = excluded.language, \
                         model = excluded.model, vtt_key = excluded.vtt_key, created_at = excluded.created_at, \
                         decode_ms = excluded.decode_ms, inference_ms = excluded.inference_ms",
                    )
                    .bind(done.clip_id)
                    .bind(&done.transcript.language)
                    .bind(done.model)
                    .bind(done.vtt_key)
                    .bind(now)
                    .bind(done.decode_ms)
                    .bind(done.inference_ms)
                    .execute(&mut *tx)
                    .await?;
        for (position, segment) in done.transcript.segments.iter().enumerate() {
            let position = position as i64;
            sqlx::query(
                            "INSERT INTO transcript_segments (clip_id, position, start_ms, end_ms, text) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(done.clip_id)
                        .bind(position)
                        .bind(ms(segment.start_ms))
                        .bind(ms(segment.end_ms))
                        .bind(&segment.text)
                        .execute(&mut *tx)
                        .await?;
            sqlx::query("INSERT INTO search_index (clip_id, start_ms, body) VALUES ($1, $2, $3)")
                .bind(done.clip_id)
                .bind(ms(segment.start_ms))
                .bind(&segment.text)
                .execute(&mut *tx)
                .await?;
            for (word_position, word) in segment.words.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO transcript_words (clip_id, segment, position, start_ms, end_ms, text, probability) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        if !done.title_if_untitled.is_empty() {
            sqlx::query("UPDATE clips SET title = $1 WHERE id = $2 AND title = ''")
                .bind(done.title_if_untitled)
                .bind(done.clip_id)
                .execute(&mut *tx)
                .await?;
        }
        if done.summarize {
            super::summaries::request_in(&mut tx, done.clip_id, false).await?;
        }
        sqlx::query(
            "UPDATE jobs SET state = 'done', last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, \
                         finished_at = $1, updated_at = $1 WHERE kind = 'transcript' AND clip_id = $2",
        )
        .bind(now)
        .bind(done.clip_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
