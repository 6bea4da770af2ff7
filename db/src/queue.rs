//! The one durable job queue: every kind of background work — transcripts, summaries,
//! notification mail, webhook deliveries, check-in steps — is a row here, enqueued in the transaction that makes it necessary,
//! claimed by one worker at a time under a lease it renews while it works, retried with backoff,
//! and ended with the reason kept. A worker whose process dies stops renewing; once its lease
//! runs out, any worker of any process takes the job over. Adding a kind of work is a variant of
//! [`Work`] and a handler in the server's workers, not a new table, claim or wake-up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::Timestamp;
use crate::domain::{JobKind, JobState, NotificationEvent};

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Transcribe a clip.
    Transcript { clip_id: String },
    /// Mail a member about an event.
    Mail(Notice),
    /// Tell a webhook about an event.
    Webhook(Notice),
    /// A step of a check-in's round.
    Checkin { round_id: String, step: CheckinStep },
    /// Summarise a clip's transcript.
    Summary { clip_id: String },
    /// Make a clip's head and body one object (see `clips::MediaLayout`).
    Compose { clip_id: String },
}

/// What a check-in's job does in its round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckinStep {
    /// Ask this member: their time came.
    Ask { user_id: String },
    /// Remind this member, who has not answered: their due time nears.
    Remind { user_id: String },
    /// Close the round: its last due time passed.
    Close,
}

impl CheckinStep {
    /// As the `event` column keeps it.
    fn name(&self) -> &'static str {
        match self {
            Self::Ask { .. } => "ask",
            Self::Remind { .. } => "remind",
            Self::Close => "close",
        }
    }
}

impl Work {
    pub fn kind(&self) -> JobKind {
        match self {
            Self::Transcript { .. } => JobKind::Transcript,
            Self::Mail(_) => JobKind::Mail,
            Self::Webhook(_) => JobKind::Webhook,
            Self::Checkin { .. } => JobKind::Checkin,
            Self::Summary { .. } => JobKind::Summary,
            Self::Compose { .. } => JobKind::Compose,
        }
    }

    /// The clip it works on, or the message it tells of (`""` for none).
    pub fn clip_id(&self) -> &str {
        match self {
            Self::Transcript { clip_id } | Self::Summary { clip_id } | Self::Compose { clip_id } => clip_id,
            Self::Mail(n) | Self::Webhook(n) => &n.clip_id,
            Self::Checkin { .. } => "",
        }
    }

    /// What a job is written as.
    pub(crate) fn columns(&self) -> Columns<'_> {
        match self {
            Self::Transcript { clip_id } => Columns {
                kind: JobKind::Transcript,
                clip_id,
                ..Columns::default()
            },
            Self::Summary { clip_id } | Self::Compose { clip_id } => Columns {
                kind: self.kind(),
                clip_id,
                ..Columns::default()
            },
            Self::Mail(n) | Self::Webhook(n) => Columns {
                kind: self.kind(),
                target: &n.to,
                event: n.event.as_str(),
                clip_id: &n.clip_id,
                reply_id: &n.reply_id,
                actor_id: &n.actor_id,
                subject: &n.subject,
            },
            Self::Checkin { round_id, step } => Columns {
                kind: JobKind::Checkin,
                target: match step {
                    CheckinStep::Ask { user_id } | CheckinStep::Remind { user_id } => user_id,
                    CheckinStep::Close => "",
                },
                event: step.name(),
                subject: round_id,
                ..Columns::default()
            },
        }
    }
}

/// The columns a job is written as (`""` where one does not apply).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns<'a> {
    pub kind: JobKind,
    pub target: &'a str,
    pub event: &'a str,
    pub clip_id: &'a str,
    pub reply_id: &'a str,
    pub actor_id: &'a str,
    pub subject: &'a str,
}

impl Default for Columns<'_> {
    fn default() -> Self {
        Self {
            kind: JobKind::Transcript,
            target: "",
            event: "",
            clip_id: "",
            reply_id: "",
            actor_id: "",
            subject: "",
        }
    }
}

/// An event to tell someone (a member by mail, a webhook by HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The member told, or the webhook called.
    pub to: String,
    pub event: NotificationEvent,
    /// The message, or the root of the thread the reply is in.
    pub clip_id: String,
    /// The reply (`""` for a new message).
    pub reply_id: String,
    /// Who did it (`""` for a guest).
    pub actor_id: String,
    /// What else it is about: a check-in round (`""` for none).
    pub subject: String,
}

/// A job as the queue holds it.
#[derive(Debug, Clone)]
pub struct Job {
    /// What its retries are recognised by (a mail's Message-ID, a delivery's `webhook-id`).
    pub id: String,
    pub work: Work,
    pub state: JobState,
    /// Turns taken, this one included while it runs (a crash mid-turn counts).
    pub attempts: i64,
    /// Not claimed before this; for a pending job, when it is next tried.
    pub run_after: Timestamp,
    /// Why the last turn failed, or why the job was dropped or given up.
    pub last_error: Option<String>,
    /// A webhook endpoint's last HTTP status.
    pub last_status: Option<i64>,
    pub last_attempt_at: Option<Timestamp>,
    /// When it was done.
    pub finished_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Job {
    /// What it tells, if it is a mail or a webhook delivery.
    pub fn notice(&self) -> Option<&Notice> {
        match &self.work {
            Work::Mail(notice) | Work::Webhook(notice) => Some(notice),
            Work::Transcript { .. } | Work::Checkin { .. } | Work::Summary { .. } | Work::Compose { .. } => None,
        }
    }
}

/// A job to queue. One already queued for the same work is kept instead.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub work: Work,
    pub run_after: DateTime<Utc>,
}

/// Who holds a job, and until when (renewed while the holder works).
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// A worker of one process: `<process id>/<lane>`.
    pub holder: &'a str,
    pub until: DateTime<Utc>,
}

/// How a turn ended.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// Done for good.
    Done,
    /// Failed this time: pending again, tried at `at`.
    Retry { at: DateTime<Utc>, error: &'a str },
    /// Not yet (waiting for something else): pending again at `at`.
    Postpone { at: DateTime<Utc> },
    /// No longer worth doing, and why.
    Dropped(&'a str),
    /// Given up after its last attempt, and why.
    Failed(&'a str),
}

/// What a turn tried, when it reached out to something.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attempt {
    /// The endpoint's HTTP status, if it answered.
    pub status: Option<u16>,
}

/// The jobs of a kind waiting to run.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    pub pending: i64,
    /// When the longest-waiting of them fell due.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// The queue.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Queues them (one already queued for the same work is kept), and tells every process.
    async fn enqueue(&self, jobs: &[NewJob]) -> crate::Result<()>;

    /// At start-up: jobs left running by a process that is surely gone go back in line. On
    /// SQLite that is every running job (this process is the database's only user); on a
    /// shared database, those whose lease has run out.
    async fn requeue_interrupted(&self) -> crate::Result<u64>;

    /// Claims up to `limit` jobs of `kind`, those due longest first — pending ones, or running
    /// ones whose lease ran out (their worker died) — under `lease`, atomically: two workers
    /// never hold one job.
    async fn claim(&self, kind: JobKind, lease: Lease<'_>, limit: i64) -> crate::Result<Vec<Job>>;

    /// Claims every due job of `kind` for `to` that no other live holder has (those the
    /// holder already has included), oldest first: what one mail of a digest tells.
    async fn claim_for(&self, kind: JobKind, to: &str, lease: Lease<'_>) -> crate::Result<Vec<Job>>;

    /// Extends the lease of a job its holder is still working on; `false` if the job is no
    /// longer theirs (taken over after their lease ran out, or gone).
    async fn renew(&self, id: &str, lease: Lease<'_>) -> crate::Result<bool>;

    /// Ends `holder`'s turn on a job. `tried` is what the turn reached out to; without it
    /// the turn is no attempt and is not counted (a job postponed or dropped before it tried
    /// anything). A holder that lost the job changes nothing.
    async fn end(&self, id: &str, holder: &str, ending: Ending<'_>, tried: Option<Attempt>) -> crate::Result<()>;

    /// When the next job of `kind` falls due or the next lease runs out (either may have
    /// already).
    async fn next_due(&self, kind: JobKind) -> crate::Result<Option<DateTime<Utc>>>;

    /// The depth and age of `kind`'s queue (due jobs only: a retry not yet due is not waiting).
    async fn backlog(&self, kind: JobKind) -> crate::Result<Backlog>;

    /// The jobs of `kind` about these clips, by clip id, in one query.
    async fn of_clips(&self, kind: JobKind, clip_ids: &[&str]) -> crate::Result<HashMap<String, Job>>;

    /// Moves a job still waiting to run at `run_after`; `false` if it is no longer waiting.
    async fn retime(&self, id: &str, run_after: DateTime<Utc>) -> crate::Result<bool>;

    /// The newest `per_target` jobs of `kind` for each of `to`, newest first.
    async fn addressed_to(&self, kind: JobKind, to: &[&str], per_target: i64) -> crate::Result<Vec<Job>>;
}

/// Tells idle workers of this process that a job of a kind was queued, by whichever process
/// (`None`: perhaps of any kind — look at them all).
pub type Wake = std::sync::Arc<dyn Fn(Option<JobKind>) + Send + Sync>;

/// How an engine tells every process that a job was queued.
pub trait JobSignals: Send + Sync {
    /// Calls `wake` whenever any process queues a job, for as long as the process runs (no-op
    /// where this process is the only one: it wakes its own workers).
    fn watch(&self, wake: Wake);
}

/// A job's row, as both engines read it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JobColumns {
    pub(crate) id: String,
    #[sqlx(try_from = "String")]
    pub(crate) kind: JobKind,
    pub(crate) target: String,
    pub(crate) event: String,
    pub(crate) clip_id: String,
    pub(crate) reply_id: String,
    pub(crate) actor_id: String,
    pub(crate) subject: String,
    #[sqlx(try_from = "String")]
    pub(crate) state: JobState,
    pub(crate) attempts: i64,
    pub(crate) run_after: Timestamp,
    pub(crate) last_error: Option<String>,
    pub(crate) last_status: Option<i64>,
    pub(crate) last_attempt_at: Option<Timestamp>,
    pub(crate) finished_at: Option<Timestamp>,
    pub(crate) created_at: Timestamp,
}

impl JobColumns {
    /// The columns [`JobColumns`] reads.
    pub(crate) const LIST: &'static str = "id, kind, target, event, clip_id, reply_id, actor_id, subject, state, attempts, \
        run_after, last_error, last_status, last_attempt_at, finished_at, created_at";
}

impl TryFrom<JobColumns> for Job {
    type Error = crate::Error;

    fn try_from(row: JobColumns) -> crate::Result<Self> {
        let notice = |row: &JobColumns| -> crate::Result<Notice> {
            Ok(Notice {
                to: row.target.clone(),
                event: row.event.parse().map_err(crate::Error::other)?,
                clip_id: row.clip_id.clone(),
                reply_id: row.reply_id.clone(),
                actor_id: row.actor_id.clone(),
                subject: row.subject.clone(),
            })
        };
        let work = match row.kind {
            JobKind::Transcript => Work::Transcript {
                clip_id: row.clip_id.clone(),
            },
            JobKind::Summary => Work::Summary {
                clip_id: row.clip_id.clone(),
            },
            JobKind::Compose => Work::Compose {
                clip_id: row.clip_id.clone(),
            },
            JobKind::Mail => Work::Mail(notice(&row)?),
            JobKind::Webhook => Work::Webhook(notice(&row)?),
            JobKind::Checkin => Work::Checkin {
                round_id: row.subject.clone(),
                step: match row.event.as_str() {
                    "ask" => CheckinStep::Ask {
                        user_id: row.target.clone(),
                    },
                    "remind" => CheckinStep::Remind {
                        user_id: row.target.clone(),
                    },
                    "close" => CheckinStep::Close,
                    other => return Err(crate::Error::other(format!("{other:?} is no check-in step"))),
                },
            },
        };
        Ok(Self {
            id: row.id,
            work,
            state: row.state,
            attempts: row.attempts,
            run_after: row.run_after,
            last_error: row.last_error,
            last_status: row.last_status,
            last_attempt_at: row.last_attempt_at,
            finished_at: row.finished_at,
            created_at: row.created_at,
        })
    }
}
