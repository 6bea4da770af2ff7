//! Clip rows: the SQL both backends run.

use super::{Backend, begin_write, dialect};
use crate::Timestamp;

/// The columns every listing needs (everything but the peaks).
const SUMMARY: &str = "id, title, author, created_at, recorded_at, recorded_utc_offset, status, container, content_type, \
    audio_codec, video_codec, has_video, width, height, channels, sample_rate, duration_ms, byte_size, sha256, \
    storage_key, head_key, tail_start, tail_end, trim_zero_ms, trim_from_ms, trim_end_ms, peaks_per_second, substr(peaks, 1, 0) AS peaks, silences, owner_id, workspace_id, visibility, share_token, \
    share_expires_at, guests_may_reply, outsiders_see, poster_key";

use crate::clips::{
    BeingStored, ClipRow, ClipStore, Composing, Cursor, CutMedia, Listed, MediaLayout, OriginalMedia, Scope,
};
use crate::queue::{NewJob, Work};

#[async_trait::async_trait]
impl ClipStore for Backend {
    async fn insert(&self, clip: &ClipRow, composing: Composing) -> crate::Result<()> {
        let (head_key, tail_start, tail_end) = clip.layout.columns();
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
                        "INSERT INTO clips (id, title, author, created_at, recorded_at, recorded_utc_offset, status, container, content_type, \
                         audio_codec, video_codec, has_video, width, height, channels, sample_rate, duration_ms, byte_size, sha256, \
                         storage_key, peaks_per_second, peaks, silences, owner_id, workspace_id, visibility, share_token, \
                         share_expires_at, guests_may_reply, head_key, tail_start, tail_end, outsiders_see) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)",
                    )
                    .bind(&clip.id)
                    .bind(&clip.title)
                    .bind(&clip.author)
                    .bind(clip.created_at)
                    .bind(clip.recorded_at)
                    .bind(clip.recorded_utc_offset)
                    .bind(clip.status.as_str())
                    .bind(&clip.media.container)
                    .bind(&clip.media.content_type)
                    .bind(&clip.media.audio_codec)
                    .bind(&clip.media.video_codec)
                    .bind(clip.media.has_video)
                    .bind(clip.media.width)
                    .bind(clip.media.height)
                    .bind(clip.media.channels)
                    .bind(clip.media.sample_rate)
                    .bind(clip.duration_ms)
                    .bind(clip.media.byte_size)
                    .bind(&clip.media.sha256)
                    .bind(&clip.storage_key)
                    .bind(clip.peaks_per_second)
                    .bind(&clip.peaks)
                    .bind(&clip.silences)
                    .bind(&clip.owner_id)
                    .bind(&clip.workspace_id)
                    .bind(clip.visibility.as_str())
                    .bind(&clip.share_token)
                    .bind(clip.share_expires_at)
                    .bind(clip.guests_may_reply)
                    .bind(head_key)
                    .bind(tail_start)
                    .bind(tail_end)
                    .bind(clip.outsiders_see.as_str())
                    .execute(&mut *tx)
                    .await?;
        let job = |work: Work| -> crate::Result<NewJob> {
            Ok(NewJob {
                id: crate::ids::new_id().map_err(|e| sqlx::Error::Protocol(format!("no randomness: {e}")))?,
                work,
                run_after: clip.created_at.instant(),
            })
        };
        let mut jobs = vec![job(Work::Transcript {
            clip_id: clip.id.clone(),
        })?];
        if composing == Composing::InBackground && matches!(clip.layout, MediaLayout::HeadBeforeTail { .. }) {
            jobs.push(job(Work::Compose {
                clip_id: clip.id.clone(),
            })?);
        }
        super::queue::enqueue_in(&mut tx, &jobs).await?;
        if let Some(owner) = &clip.owner_id {
            sqlx::query(
                "INSERT INTO events (kind, clip_id, actor_id, created_at) VALUES ('message.created', $1, $2, $3)",
            )
            .bind(&clip.id)
            .bind(owner)
            .bind(clip.created_at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM objects_being_stored WHERE clip_id = $1")
            .bind(&clip.id)
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }

    async fn composed(&self, id: &str, was_key: &str, was_head: &str, key: &str, holder: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let switched = sqlx::query(
            "UPDATE clips SET storage_key = $2, head_key = NULL, tail_start = NULL, tail_end = NULL \
             WHERE id = $1 AND storage_key = $3 AND head_key = $4 AND status = 'ready'",
        )
        .bind(id)
        .bind(key)
        .bind(was_key)
        .bind(was_head)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !switched {
            return Ok(false);
        }
        note_being_stored(&mut tx, id, &[was_key, was_head], holder).await?;
        forget_being_stored(&mut tx, id, key).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn get(&self, id: &str) -> crate::Result<Option<ClipRow>> {
        Ok(sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn get_many(&self, ids: &[&str]) -> crate::Result<Vec<ClipRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE id {}", dialect::IN_ID_LIST))
                .bind(dialect::id_list(ids)?)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn get_with_peaks(&self, id: &str) -> crate::Result<Option<ClipRow>> {
        Ok(sqlx::query_as("SELECT * FROM clips WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn list(
        &self,
        scope: Scope<'_>,
        listed: Listed,
        limit: i64,
        after: Option<&Cursor>,
        author: Option<&str>,
    ) -> crate::Result<Vec<ClipRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUMMARY} FROM clips WHERE (workspace_id = $1 OR ($2 AND workspace_id IS NULL)) \
                         AND ($3 IS NULL OR (created_at, id) < ($3, $4)) AND ($5 IS NULL OR owner_id = $5) \
                         AND ($7 OR NOT EXISTS (SELECT 1 FROM replies WHERE replies.clip_id = clips.id)) \
                         ORDER BY created_at DESC, id DESC LIMIT $6"
        ))
        .bind(scope.workspace_id)
        .bind(scope.with_ownerless)
        .bind(after.map(|c| c.created_at))
        .bind(after.map(|c| c.id.as_str()))
        .bind(author)
        .bind(limit)
        .bind(listed == Listed::Clips)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn by_share_token(&self, token: &str) -> crate::Result<Option<ClipRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE share_token = $1"))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn update_sharing(&self, clip: &ClipRow) -> crate::Result<()> {
        sqlx::query(
            "UPDATE clips SET visibility = $1, share_token = $2, share_expires_at = $3, guests_may_reply = $4, \
                         outsiders_see = $6 WHERE id = $5",
        )
        .bind(clip.visibility.as_str())
        .bind(&clip.share_token)
        .bind(clip.share_expires_at)
        .bind(clip.guests_may_reply)
        .bind(&clip.id)
        .bind(clip.outsiders_see.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_poster(&self, id: &str, key: &str) -> crate::Result<()> {
        sqlx::query("UPDATE clips SET poster_key = $1 WHERE id = $2")
            .bind(key)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn rename(&self, id: &str, title: &str) -> crate::Result<()> {
        sqlx::query("UPDATE clips SET title = $1 WHERE id = $2")
            .bind(title)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn trim(&self, id: &str, cut: &CutMedia) -> crate::Result<Option<Vec<String>>> {
        let mut tx = begin_write(&self.pool).await?;
        let current: Option<(String, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT storage_key, head_key, trim_zero_ms FROM clips WHERE id = $1 AND status = 'ready'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((current_key, current_head, trimmed)) = current else {
            return Ok(None);
        };
        let kept: Option<String> = sqlx::query_scalar("SELECT clip_id FROM clip_originals WHERE clip_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        // The first cut keeps the original aside; a later one replaces the earlier cut, whose
        // objects no row names then (when the original was already let go, that cut was the
        // clip's only media, and is what this cut was made from).
        let unnamed = match (kept, trimmed) {
            (Some(_), _) => vec![current_key],
            (None, Some(_)) => std::iter::once(current_key).chain(current_head).collect(),
            (None, None) => {
                sqlx::query(
                    "INSERT INTO clip_originals (clip_id, storage_key, head_key, tail_start, tail_end, byte_size, sha256, \
                     duration_ms, peaks, silences) \
                     SELECT id, storage_key, head_key, tail_start, tail_end, byte_size, sha256, duration_ms, peaks, silences \
                     FROM clips WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                Vec::new()
            }
        };
        let (zero, from, end) = crate::clips::Trim::Cut(cut.span).columns();
        sqlx::query(
            "UPDATE clips SET storage_key = $2, head_key = NULL, tail_start = NULL, tail_end = NULL, byte_size = $3, \
             sha256 = $4, duration_ms = $5, peaks = $6, silences = $7, trim_zero_ms = $8, trim_from_ms = $9, \
             trim_end_ms = $10 WHERE id = $1",
        )
        .bind(id)
        .bind(&cut.storage_key)
        .bind(cut.byte_size)
        .bind(&cut.sha256)
        .bind(cut.duration_ms)
        .bind(&cut.peaks)
        .bind(&cut.silences)
        .bind(zero)
        .bind(from)
        .bind(end)
        .execute(&mut *tx)
        .await?;
        forget_being_stored(&mut tx, id, &cut.storage_key).await?;
        tx.commit().await?;
        Ok(Some(unnamed))
    }

    async fn original(&self, id: &str) -> crate::Result<Option<OriginalMedia>> {
        Ok(sqlx::query_as(
            "SELECT storage_key, head_key, tail_start, tail_end, byte_size, sha256, duration_ms, peaks, silences \
             FROM clip_originals WHERE clip_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn untrim(&self, id: &str) -> crate::Result<Option<Vec<String>>> {
        let mut tx = begin_write(&self.pool).await?;
        let original: Option<OriginalMedia> = sqlx::query_as(
            "SELECT storage_key, head_key, tail_start, tail_end, byte_size, sha256, duration_ms, peaks, silences \
             FROM clip_originals WHERE clip_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(original) = original else {
            return Ok(None);
        };
        let cut_key: String = sqlx::query_scalar("SELECT storage_key FROM clips WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let (head_key, tail_start, tail_end) = original.layout.columns();
        sqlx::query(
            "UPDATE clips SET storage_key = $2, head_key = $3, tail_start = $4, tail_end = $5, byte_size = $6, \
             sha256 = $7, duration_ms = $8, peaks = $9, silences = $10, trim_zero_ms = NULL, trim_from_ms = NULL, \
             trim_end_ms = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(&original.storage_key)
        .bind(head_key)
        .bind(tail_start)
        .bind(tail_end)
        .bind(original.byte_size)
        .bind(&original.sha256)
        .bind(original.duration_ms)
        .bind(&original.peaks)
        .bind(&original.silences)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM clip_originals WHERE clip_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(vec![cut_key]))
    }

    async fn keep_trim(&self, id: &str) -> crate::Result<Option<Vec<String>>> {
        let mut tx = begin_write(&self.pool).await?;
        let original: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT storage_key, head_key FROM clip_originals WHERE clip_id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((key, head)) = original else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM clip_originals WHERE clip_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(std::iter::once(key).chain(head).collect()))
    }

    async fn names_object(&self, key: &str) -> crate::Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT CAST(1 AS BIGINT) FROM clips WHERE storage_key = $1 OR head_key = $1 OR poster_key = $1 \
             UNION SELECT CAST(1 AS BIGINT) FROM clip_originals WHERE storage_key = $1 OR head_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    async fn tombstone(&self, id: &str) -> crate::Result<()> {
        sqlx::query("UPDATE clips SET status = 'deleted', title = '', peaks = $2, silences = '[]', share_token = NULL, poster_key = NULL, head_key = NULL, tail_start = NULL, tail_end = NULL, trim_zero_ms = NULL, trim_from_ms = NULL, trim_end_ms = NULL WHERE id = $1")
                        .bind(id)
                        .bind(Vec::<u8>::new())
                        .execute(&self.pool)
                        .await?;
        sqlx::query("DELETE FROM clip_originals WHERE clip_id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn object_keys(&self) -> crate::Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT storage_key FROM clips WHERE status = 'ready' \
                         UNION SELECT head_key FROM clips WHERE status = 'ready' AND head_key IS NOT NULL \
                         UNION SELECT poster_key FROM clips WHERE status = 'ready' AND poster_key IS NOT NULL \
                         UNION SELECT vtt_key FROM transcripts \
                         UNION SELECT storage_key FROM clip_originals \
                         UNION SELECT head_key FROM clip_originals WHERE head_key IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn workspace_usage(&self, workspace_id: &str) -> crate::Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT \
                           (SELECT CAST(COALESCE(SUM(byte_size), 0) AS BIGINT) FROM clips \
                            WHERE workspace_id = $1 AND status = 'ready'), \
                           (SELECT CAST(COALESCE(SUM(s.\"offset\"), 0) AS BIGINT) FROM upload_sessions AS s \
                            JOIN users ON users.id = s.owner_id WHERE users.workspace_id = $1 AND s.clip_id IS NULL)",
        )
        .bind(workspace_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn storing(&self, clip_id: &str, keys: &[&str], holder: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        note_being_stored(&mut tx, clip_id, keys, holder).await?;
        Ok(tx.commit().await?)
    }

    async fn being_stored(&self) -> crate::Result<Vec<BeingStored>> {
        Ok(
            sqlx::query_as("SELECT clip_id, key, holder, created_at FROM objects_being_stored ORDER BY created_at")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn not_storing(&self, clip_id: &str, key: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM objects_being_stored WHERE clip_id = $1 AND key = $2")
            .bind(clip_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        // The upload session it came from goes with it: its reference would be set
        // to NULL, and a finished session with no clip reads as one still open
        // (taking PATCHes, its link saying "recording…").
        sqlx::query("DELETE FROM upload_sessions WHERE clip_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Its work goes too (what tells of it finds the message gone by itself).
        sqlx::query("DELETE FROM jobs WHERE kind = 'transcript' AND clip_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM clips WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }
}

/// Notes `keys` as objects `holder` is storing for clip `clip_id` (or leaving for the janitor):
/// until a row names them, the janitor removes them once `holder` is gone or an hour has passed.
async fn note_being_stored(
    tx: &mut sqlx::Transaction<'static, super::Engine>,
    clip_id: &str,
    keys: &[&str],
    holder: &str,
) -> sqlx::Result<()> {
    let now = Timestamp::now();
    for key in keys {
        sqlx::query(
            "INSERT INTO objects_being_stored (clip_id, key, holder, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(clip_id)
        .bind(key)
        .bind(holder)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Forgets that `key` was being stored for clip `clip_id`: a row names it now.
async fn forget_being_stored(
    tx: &mut sqlx::Transaction<'static, super::Engine>,
    clip_id: &str,
    key: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM objects_being_stored WHERE clip_id = $1 AND key = $2")
        .bind(clip_id)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
