//! Check-ins, their rounds and the people asked: the SQL both engines run.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::queue::enqueue_in;
use super::{Backend, Engine, begin_write, dialect};
use crate::Timestamp;
use crate::checkins::{Answered, AskAt, Asked, Checkin, CheckinStore, Closing, Members, Round, parse_day};
use crate::domain::{AskState, CheckinState, NotificationEvent, ReplyBody, RoundState};
use crate::queue::NewJob;
use crate::threads::Reply;

/// A check-in's row.
#[derive(Debug, sqlx::FromRow)]
struct CheckinRow {
    id: String,
    workspace_id: String,
    title: String,
    questions: String,
    everyone: bool,
    days: String,
    ask_at: String,
    answer_within_minutes: i64,
    time_zone: String,
    #[sqlx(try_from = "String")]
    state: CheckinState,
    created_by: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl CheckinRow {
    fn checkin(self, named: Vec<String>) -> crate::Result<Checkin> {
        let bad = |what: &str| crate::Error::other(format!("check-in {}: unreadable {what}", self.id));
        Ok(Checkin {
            questions: serde_json::from_str(&self.questions).map_err(|_| bad("questions"))?,
            members: if self.everyone {
                Members::Everyone
            } else {
                Members::Named(named)
            },
            days: self
                .days
                .split_whitespace()
                .map(|d| parse_day(d).ok_or_else(|| bad("days")))
                .collect::<crate::Result<_>>()?,
            ask_at: AskAt::parse(&self.ask_at).ok_or_else(|| bad("ask_at"))?,
            answer_within: Duration::minutes(self.answer_within_minutes),
            time_zone: self.time_zone.parse().map_err(|_| bad("time_zone"))?,
            id: self.id,
            workspace_id: self.workspace_id,
            title: self.title,
            state: self.state,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A round's row.
#[derive(Debug, sqlx::FromRow)]
struct RoundRow {
    id: String,
    checkin_id: String,
    day: String,
    #[sqlx(try_from = "String")]
    state: RoundState,
    opens_at: Timestamp,
    closes_at: Timestamp,
    closed_at: Option<Timestamp>,
}

impl TryFrom<RoundRow> for Round {
    type Error = crate::Error;
    fn try_from(row: RoundRow) -> crate::Result<Self> {
        Ok(Self {
            day: NaiveDate::parse_from_str(&row.day, "%Y-%m-%d")
                .map_err(|_| crate::Error::other(format!("round {}: unreadable day", row.id)))?,
            id: row.id,
            checkin_id: row.checkin_id,
            state: row.state,
            opens_at: row.opens_at,
            closes_at: row.closes_at,
            closed_at: row.closed_at,
        })
    }
}

/// A person's row in a round.
#[derive(Debug, sqlx::FromRow)]
struct AskedRow {
    round_id: String,
    user_id: String,
    #[sqlx(try_from = "String")]
    state: AskState,
    ask_at: Timestamp,
    asked_at: Option<Timestamp>,
    due_at: Timestamp,
    reminded_at: Option<Timestamp>,
    answer_id: Option<String>,
    answered_at: Option<Timestamp>,
}

impl From<AskedRow> for Asked {
    fn from(row: AskedRow) -> Self {
        Self {
            round_id: row.round_id,
            user_id: row.user_id,
            state: row.state,
            ask_at: row.ask_at,
            asked_at: row.asked_at,
            due_at: row.due_at,
            reminded_at: row.reminded_at,
            answer_id: row.answer_id,
            answered_at: row.answered_at,
        }
    }
}

const CHECKIN_COLUMNS: &str = "id, workspace_id, title, questions, everyone, days, ask_at, answer_within_minutes, \
    time_zone, state, created_by, created_at, updated_at";
const PERSON_COLUMNS: &str = "round_id, user_id, state, ask_at, asked_at, due_at, reminded_at, answer_id, answered_at";

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The rows with their named members read in one more query.
async fn checkins(pool: &sqlx::Pool<Engine>, rows: Vec<CheckinRow>) -> crate::Result<Vec<Checkin>> {
    let named: Vec<&str> = rows.iter().filter(|r| !r.everyone).map(|r| r.id.as_str()).collect();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    if !named.is_empty() {
        let pairs: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT checkin_id, user_id FROM checkin_members WHERE checkin_id {} ORDER BY user_id",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(&named)?)
        .fetch_all(pool)
        .await?;
        for (checkin, user) in pairs {
            members.entry(checkin).or_default().push(user);
        }
    }
    rows.into_iter()
        .map(|row| {
            let named = members.remove(&row.id).unwrap_or_default();
            row.checkin(named)
        })
        .collect()
}

/// Writes a check-in's named members (none when it asks everyone) in `tx`.
async fn write_members(tx: &mut sqlx::Transaction<'_, Engine>, checkin: &Checkin) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM checkin_members WHERE checkin_id = $1")
        .bind(&checkin.id)
        .execute(&mut **tx)
        .await?;
    if let Members::Named(ids) = &checkin.members {
        for id in ids {
            sqlx::query("INSERT INTO checkin_members (checkin_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&checkin.id)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Writes people into a round in `tx`; those already in it are kept.
async fn write_people(tx: &mut sqlx::Transaction<'_, Engine>, people: &[Asked]) -> sqlx::Result<()> {
    for person in people {
        sqlx::query(
            "INSERT INTO checkin_people (round_id, user_id, state, ask_at, due_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&person.round_id)
        .bind(&person.user_id)
        .bind(person.state.as_str())
        .bind(person.ask_at)
        .bind(person.due_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl CheckinStore for Backend {
    async fn insert(&self, checkin: &Checkin) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(&format!(
            "INSERT INTO checkins ({CHECKIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(&checkin.id)
        .bind(&checkin.workspace_id)
        .bind(&checkin.title)
        .bind(questions_json(checkin)?)
        .bind(checkin.members == Members::Everyone)
        .bind(checkin.days_text())
        .bind(checkin.ask_at.to_string())
        .bind(checkin.answer_within.num_minutes())
        .bind(checkin.time_zone.name())
        .bind(checkin.state.as_str())
        .bind(&checkin.created_by)
        .bind(checkin.created_at)
        .bind(checkin.updated_at)
        .execute(&mut *tx)
        .await?;
        write_members(&mut tx, checkin).await?;
        Ok(tx.commit().await?)
    }

    async fn update(&self, checkin: &Checkin) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let changed = sqlx::query(
            "UPDATE checkins SET title = $1, questions = $2, everyone = $3, days = $4, ask_at = $5, \
             answer_within_minutes = $6, state = $7, updated_at = $8, time_zone = $10 WHERE id = $9",
        )
        .bind(&checkin.title)
        .bind(questions_json(checkin)?)
        .bind(checkin.members == Members::Everyone)
        .bind(checkin.days_text())
        .bind(checkin.ask_at.to_string())
        .bind(checkin.answer_within.num_minutes())
        .bind(checkin.state.as_str())
        .bind(checkin.updated_at)
        .bind(&checkin.id)
        .bind(checkin.time_zone.name())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        write_members(&mut tx, checkin).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete(&self, workspace_id: &str, id: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        // Its rounds' replies go with them (by their foreign key); the jobs of its rounds, here.
        sqlx::query(
            "DELETE FROM jobs WHERE kind = 'checkin' AND subject IN \
             (SELECT r.id FROM checkin_rounds AS r JOIN checkins AS c ON c.id = r.checkin_id \
              WHERE c.id = $1 AND c.workspace_id = $2)",
        )
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query("DELETE FROM checkins WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }

    async fn get(&self, id: &str) -> crate::Result<Option<Checkin>> {
        let row: Option<CheckinRow> = sqlx::query_as(&format!("SELECT {CHECKIN_COLUMNS} FROM checkins WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(checkins(&self.pool, row.into_iter().collect()).await?.pop())
    }

    async fn of_workspace(&self, workspace_id: &str) -> crate::Result<Vec<Checkin>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE workspace_id = $1 ORDER BY created_at, id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.pool)
        .await?;
        checkins(&self.pool, rows).await
    }

    async fn active(&self) -> crate::Result<Vec<Checkin>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE state = 'active' ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        checkins(&self.pool, rows).await
    }

    async fn open_round(&self, round: &Round, people: &[Asked], jobs: &[NewJob]) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let opened = sqlx::query(
            "INSERT INTO checkin_rounds (id, checkin_id, day, state, opens_at, closes_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (checkin_id, day) DO NOTHING",
        )
        .bind(&round.id)
        .bind(&round.checkin_id)
        .bind(day_text(round.day))
        .bind(round.state.as_str())
        .bind(round.opens_at)
        .bind(round.closes_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if opened == 0 {
            return Ok(false);
        }
        write_people(&mut tx, people).await?;
        enqueue_in(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_people(&self, round_id: &str, people: &[Asked], jobs: &[NewJob]) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        // The last due time moves with a newcomer's.
        for person in people {
            sqlx::query("UPDATE checkin_rounds SET closes_at = $1 WHERE id = $2 AND state = 'open' AND closes_at < $1")
                .bind(person.due_at)
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
        }
        write_people(&mut tx, people).await?;
        enqueue_in(&mut tx, jobs).await?;
        Ok(tx.commit().await?)
    }

    async fn round(&self, id: &str) -> crate::Result<Option<Round>> {
        let row: Option<RoundRow> = sqlx::query_as("SELECT * FROM checkin_rounds WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Round::try_from).transpose()
    }

    async fn rounds(&self, checkin_id: &str, limit: i64, before: Option<NaiveDate>) -> crate::Result<Vec<Round>> {
        let rows: Vec<RoundRow> = sqlx::query_as(
            "SELECT * FROM checkin_rounds WHERE checkin_id = $1 AND ($2 IS NULL OR day < $2) \
             ORDER BY day DESC LIMIT $3",
        )
        .bind(checkin_id)
        .bind(before.map(day_text))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Round::try_from).collect()
    }

    async fn round_on(&self, checkin_id: &str, day: NaiveDate) -> crate::Result<Option<Round>> {
        let row: Option<RoundRow> = sqlx::query_as("SELECT * FROM checkin_rounds WHERE checkin_id = $1 AND day = $2")
            .bind(checkin_id)
            .bind(day_text(day))
            .fetch_optional(&self.pool)
            .await?;
        row.map(Round::try_from).transpose()
    }

    async fn open_rounds(&self, workspace_id: &str) -> crate::Result<Vec<Round>> {
        let rows: Vec<RoundRow> = sqlx::query_as(
            "SELECT r.* FROM checkin_rounds AS r JOIN checkins AS c ON c.id = r.checkin_id \
             WHERE c.workspace_id = $1 AND r.state = 'open' ORDER BY r.closes_at, r.id",
        )
        .bind(workspace_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Round::try_from).collect()
    }

    async fn people(&self, round_ids: &[&str]) -> crate::Result<Vec<Asked>> {
        if round_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AskedRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM checkin_people WHERE round_id {} ORDER BY ask_at, user_id",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(round_ids)?)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Asked::from).collect())
    }

    async fn ask(&self, round_id: &str, user_id: &str, due_at: DateTime<Utc>) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let asked = sqlx::query(
            "UPDATE checkin_people SET asked_at = $1, due_at = $2 \
             WHERE round_id = $3 AND user_id = $4 AND state = 'waiting' AND asked_at IS NULL \
             AND EXISTS (SELECT 1 FROM checkin_rounds WHERE id = $3 AND state = 'open')",
        )
        .bind(Timestamp::now())
        .bind(Timestamp::from(due_at))
        .bind(round_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if asked == 0 {
            return Ok(false);
        }
        event(&mut tx, NotificationEvent::CheckinAsked, round_id, "", user_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn mark_away(&self, round_id: &str, user_id: &str) -> crate::Result<()> {
        sqlx::query(
            "UPDATE checkin_people SET state = 'away' WHERE round_id = $1 AND user_id = $2 AND state = 'waiting'",
        )
        .bind(round_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remind(&self, round_id: &str, user_id: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let reminded = sqlx::query(
            "UPDATE checkin_people SET reminded_at = $1 \
             WHERE round_id = $2 AND user_id = $3 AND state = 'waiting' AND asked_at IS NOT NULL \
             AND reminded_at IS NULL \
             AND EXISTS (SELECT 1 FROM checkin_rounds WHERE id = $2 AND state = 'open')",
        )
        .bind(Timestamp::now())
        .bind(round_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reminded == 0 {
            return Ok(false);
        }
        event(&mut tx, NotificationEvent::CheckinReminded, round_id, "", user_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn answer(&self, round_id: &str, user_id: &str, answer: &Reply) -> crate::Result<Answered> {
        let mut tx = begin_write(&self.pool).await?;
        let person: Option<AskedRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM checkin_people WHERE round_id = $1 AND user_id = $2 \
             AND state IN ('waiting', 'answered') \
             AND EXISTS (SELECT 1 FROM checkin_rounds WHERE id = $1 AND state = 'open')"
        ))
        .bind(round_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(person) = person else {
            return Ok(Answered::Closed);
        };
        let (clip_id, body) = match &answer.body {
            ReplyBody::Clip(id) => (Some(id.as_str()), None),
            ReplyBody::Text(text) => (None, Some(text.as_str())),
            ReplyBody::Deleted => (None, None),
        };
        let now = Timestamp::now();
        if let Some(earlier) = &person.answer_id {
            // An answer changed keeps its place (and its replies): its body is swapped.
            let changed = sqlx::query("UPDATE replies SET clip_id = $1, body = $2 WHERE id = $3")
                .bind(clip_id)
                .bind(body)
                .bind(earlier)
                .execute(&mut *tx)
                .await;
            match changed {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Ok(Answered::ClipTaken),
                Err(err) => return Err(err.into()),
            }
            tx.commit().await?;
            return Ok(Answered::Edited);
        }
        let inserted = sqlx::query(
            "INSERT INTO replies (id, round_id, clip_id, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&answer.id)
        .bind(round_id)
        .bind(clip_id)
        .bind(body)
        .bind(user_id)
        .bind(answer.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Ok(Answered::ClipTaken),
            Err(err) => return Err(err.into()),
        }
        sqlx::query(
            "UPDATE checkin_people SET state = 'answered', answer_id = $1, answered_at = $2 \
             WHERE round_id = $3 AND user_id = $4",
        )
        .bind(&answer.id)
        .bind(now)
        .bind(round_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        event(
            &mut tx,
            NotificationEvent::CheckinAnswered,
            round_id,
            &answer.id,
            user_id,
        )
        .await?;
        tx.commit().await?;
        Ok(Answered::New)
    }

    async fn close(&self, round_id: &str) -> crate::Result<Closing> {
        let mut tx = begin_write(&self.pool).await?;
        let now = Timestamp::now();
        let closed =
            sqlx::query("UPDATE checkin_rounds SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'open'")
                .bind(now)
                .bind(round_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if closed == 0 {
            return Ok(Closing::AlreadyClosed);
        }
        sqlx::query("UPDATE checkin_people SET state = 'missed' WHERE round_id = $1 AND state = 'waiting'")
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        event(&mut tx, NotificationEvent::CheckinCompleted, round_id, "", "").await?;
        tx.commit().await?;
        Ok(Closing::Closed)
    }

    async fn due_for(&self, user_id: &str) -> crate::Result<Vec<(Checkin, Round, Asked)>> {
        let people: Vec<AskedRow> = sqlx::query_as(&format!(
            "SELECT {} FROM checkin_people AS p JOIN checkin_rounds AS r ON r.id = p.round_id \
             WHERE p.user_id = $1 AND p.state = 'waiting' AND p.asked_at IS NOT NULL AND r.state = 'open' \
             ORDER BY p.due_at",
            PERSON_COLUMNS
                .split(", ")
                .map(|c| format!("p.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::new();
        for person in people {
            let Some(round) = self.round(&person.round_id).await? else {
                continue;
            };
            let Some(checkin) = self.get(&round.checkin_id).await? else {
                continue;
            };
            due.push((checkin, round, Asked::from(person)));
        }
        Ok(due)
    }

    async fn set_away(&self, user_id: &str, until: Option<NaiveDate>) -> crate::Result<()> {
        sqlx::query("UPDATE users SET away_until = $1 WHERE id = $2")
            .bind(until.map(day_text))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Writes what happened in a round (`kind`, by or to `actor_id`, about `reply_id`) into the
/// events outbox, in `tx`: the events worker tells whom it concerns.
async fn event(
    tx: &mut sqlx::Transaction<'_, Engine>,
    kind: NotificationEvent,
    round_id: &str,
    reply_id: &str,
    actor_id: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO events (kind, clip_id, reply_id, actor_id, created_at, subject) VALUES ($1, '', $2, $3, $4, $5)",
    )
    .bind(kind.as_str())
    .bind(reply_id)
    .bind(actor_id)
    .bind(Timestamp::now())
    .bind(round_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn questions_json(checkin: &Checkin) -> crate::Result<String> {
    serde_json::to_string(&checkin.questions).map_err(crate::Error::other)
}
