//! Summaries and their search rows: the SQL both engines run.

use super::queue::enqueue_in;
use super::{Backend, Engine, begin_write, dialect};
use crate::Timestamp;
use crate::domain::{JobKind, SummarySource, SummaryState};
use crate::queue::{NewJob, Work};
use crate::summaries::{Content, Generated, Stored, StoredSummary, SummaryStore};

const COLUMNS: &str = "clip_id, state, source, summary, chapters, action_items, model, error, updated_at";

#[derive(Debug, sqlx::FromRow)]
struct SummaryRow {
    clip_id: String,
    #[sqlx(try_from = "String")]
    state: SummaryState,
    #[sqlx(try_from = "String")]
    source: SummarySource,
    summary: String,
    chapters: String,
    action_items: String,
    model: String,
    error: Option<String>,
    updated_at: Timestamp,
}

impl TryFrom<SummaryRow> for StoredSummary {
    type Error = crate::Error;

    fn try_from(row: SummaryRow) -> crate::Result<Self> {
        let bad = |what: &str| crate::Error::other(format!("summary of {}: unreadable {what}", row.clip_id));
        Ok(Self {
            content: Content {
                summary: row.summary.clone(),
                chapters: serde_json::from_str(&row.chapters).map_err(|_| bad("chapters"))?,
                action_items: serde_json::from_str(&row.action_items).map_err(|_| bad("action items"))?,
            },
            clip_id: row.clip_id,
            state: row.state,
            source: row.source,
            model: row.model,
            error: row.error,
            updated_at: row.updated_at,
        })
    }
}

#[async_trait::async_trait]
impl SummaryStore for Backend {
    async fn get(&self, clip_id: &str) -> crate::Result<Option<StoredSummary>> {
        let row: Option<SummaryRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM summaries WHERE clip_id = $1"))
            .bind(clip_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(StoredSummary::try_from).transpose()
    }

    async fn get_many(&self, clip_ids: &[&str]) -> crate::Result<Vec<StoredSummary>> {
        if clip_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM summaries WHERE clip_id {}",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(clip_ids)?)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(StoredSummary::try_from).collect()
    }

    async fn request(&self, clip_id: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        request_in(&mut tx, clip_id, true).await?;
        Ok(tx.commit().await?)
    }

    async fn finish(&self, done: &Generated<'_>) -> crate::Result<Stored> {
        let mut tx = begin_write(&self.pool).await?;
        let now = Timestamp::now();
        let source: Option<String> = sqlx::query_scalar("SELECT source FROM summaries WHERE clip_id = $1")
            .bind(done.clip_id)
            .fetch_optional(&mut *tx)
            .await?;
        let stored = match source.as_deref() {
            None => Stored::ClipGone,
            Some(source) if source == SummarySource::Edited.as_str() => Stored::KeptTheOwners,
            Some(_) => {
                sqlx::query(
                    "UPDATE summaries SET state = 'ready', summary = $2, chapters = $3, action_items = $4, model = $5, \
                     error = NULL, updated_at = $6 WHERE clip_id = $1",
                )
                .bind(done.clip_id)
                .bind(&done.content.summary)
                .bind(json(&done.content.chapters)?)
                .bind(json(&done.content.action_items)?)
                .bind(done.model)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                index(&mut tx, done.clip_id, Some(done.content)).await?;
                if let Some((from, to)) = done.retitle {
                    sqlx::query("UPDATE clips SET title = $3 WHERE id = $1 AND title = $2")
                        .bind(done.clip_id)
                        .bind(from)
                        .bind(to)
                        .execute(&mut *tx)
                        .await?;
                }
                Stored::Stored
            }
        };
        end_job(&mut tx, done.clip_id, now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn fail(&self, clip_id: &str, error: &str) -> crate::Result<()> {
        sqlx::query(
            "UPDATE summaries SET state = 'failed', error = $2, updated_at = $3 WHERE clip_id = $1 AND source = 'generated'",
        )
        .bind(clip_id)
        .bind(error)
        .bind(Timestamp::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn write(&self, clip_id: &str, content: Option<&Content>) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        let now = Timestamp::now();
        let empty = Content::default();
        let (state, written) = match content {
            Some(content) => (SummaryState::Ready, content),
            None => (SummaryState::Off, &empty),
        };
        sqlx::query(
            "INSERT INTO summaries (clip_id, state, source, summary, chapters, action_items, updated_at) \
             VALUES ($1, $2, 'edited', $3, $4, $5, $6) ON CONFLICT (clip_id) DO UPDATE SET state = excluded.state, \
             source = 'edited', summary = excluded.summary, chapters = excluded.chapters, \
             action_items = excluded.action_items, error = NULL, updated_at = excluded.updated_at",
        )
        .bind(clip_id)
        .bind(state.as_str())
        .bind(&written.summary)
        .bind(json(&written.chapters)?)
        .bind(json(&written.action_items)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        index(&mut tx, clip_id, content).await?;
        sqlx::query(
            "UPDATE jobs SET state = 'dropped', last_error = 'its owner wrote the summary', lease_owner = NULL, \
             lease_expires_at = NULL, finished_at = $2, updated_at = $2 \
             WHERE kind = 'summary' AND clip_id = $1 AND state IN ('pending', 'running')",
        )
        .bind(clip_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(tx.commit().await?)
    }
}

/// Marks the clip's summary pending and queues its job, in `tx`: a new job, or the clip's old
/// one made pending again (the queue keeps one job per clip and kind). With `over_owners`, an
/// owner's summary is replaced too; without, it stays as they wrote it.
pub(super) async fn request_in(
    tx: &mut sqlx::Transaction<'_, Engine>,
    clip_id: &str,
    over_owners: bool,
) -> sqlx::Result<()> {
    let now = Timestamp::now();
    let wanted = sqlx::query(
        "INSERT INTO summaries (clip_id, state, source, updated_at) VALUES ($1, 'pending', 'generated', $2) \
         ON CONFLICT (clip_id) DO UPDATE SET state = 'pending', source = 'generated', error = NULL, \
         updated_at = excluded.updated_at WHERE summaries.source = 'generated' OR $3",
    )
    .bind(clip_id)
    .bind(now)
    .bind(over_owners)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    if !wanted {
        return Ok(());
    }
    let requeued = sqlx::query(
        "UPDATE jobs SET state = 'pending', attempts = 0, run_after = $2, lease_owner = NULL, lease_expires_at = NULL, \
         last_error = NULL, finished_at = NULL, updated_at = $2 WHERE kind = 'summary' AND clip_id = $1",
    )
    .bind(clip_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if requeued == 0 {
        let job = NewJob {
            id: crate::ids::new_id().map_err(|e| sqlx::Error::Protocol(format!("no randomness: {e}")))?,
            work: Work::Summary {
                clip_id: clip_id.to_owned(),
            },
            run_after: now.instant(),
        };
        enqueue_in(tx, &[job]).await?;
    } else if let Some(announce) = dialect::ANNOUNCE_JOB {
        sqlx::query(announce)
            .bind(JobKind::Summary.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Replaces the clip's summary rows in the search index: the summary, and each chapter at its
/// start.
async fn index(tx: &mut sqlx::Transaction<'_, Engine>, clip_id: &str, content: Option<&Content>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM summary_search WHERE clip_id = $1")
        .bind(clip_id)
        .execute(&mut **tx)
        .await?;
    let Some(content) = content else { return Ok(()) };
    let rows = std::iter::once((None, content.summary.as_str()))
        .chain(content.chapters.iter().map(|c| (Some(c.start_ms), c.title.as_str())))
        .filter(|(_, body)| !body.trim().is_empty());
    for (start_ms, body) in rows {
        sqlx::query("INSERT INTO summary_search (clip_id, start_ms, body) VALUES ($1, $2, $3)")
            .bind(clip_id)
            .bind(start_ms)
            .bind(body)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn end_job(tx: &mut sqlx::Transaction<'_, Engine>, clip_id: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'done', last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, \
         finished_at = $1, updated_at = $1 WHERE kind = 'summary' AND clip_id = $2 AND state IN ('pending', 'running')",
    )
    .bind(now)
    .bind(clip_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> sqlx::Result<String> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

impl Backend {
    /// Removes a clip's summary with its job and search rows (for a tombstone).
    pub(super) async fn forget_summary(tx: &mut sqlx::Transaction<'_, Engine>, clip_id: &str) -> sqlx::Result<()> {
        for sql in [
            "DELETE FROM summary_search WHERE clip_id = $1",
            "DELETE FROM summaries WHERE clip_id = $1",
            "DELETE FROM jobs WHERE kind = 'summary' AND clip_id = $1",
        ] {
            sqlx::query(sql).bind(clip_id).execute(&mut **tx).await?;
        }
        Ok(())
    }
}
