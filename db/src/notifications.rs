//! What notifications need besides the job queue: the events written with messages and replies
//! (an outbox the workers turn into mail and webhook jobs), each member's choice, the server's
//! signing keys, and a member's notifications as they are listed.

use crate::Timestamp;
use crate::domain::{EmailChoice, JobState, NotificationEvent};
use crate::queue::{Job, Work};

/// A notification to a member: a mail job, as their list shows it.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Also the mail's `Message-ID`: a retry is recognisably the same mail.
    pub id: String,
    pub recipient_id: String,
    pub event: NotificationEvent,
    /// The message, or the root of the thread the reply is in.
    pub clip_id: String,
    /// The reply (`""` for a new message).
    pub reply_id: String,
    pub actor_id: String,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    pub state: JobState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

impl Notification {
    /// The notification a job is, if it is a mail.
    pub fn of(job: Job) -> Option<Self> {
        let Work::Mail(notice) = job.work else {
            return None;
        };
        Some(Self {
            id: job.id,
            recipient_id: notice.to,
            event: notice.event,
            clip_id: notice.clip_id,
            reply_id: notice.reply_id,
            actor_id: notice.actor_id,
            created_at: job.created_at,
            due_at: job.run_after,
            state: job.state,
            attempts: job.attempts,
            last_error: job.last_error,
            sent_at: job.finished_at,
        })
    }
}

/// Something that happened, written with it, waiting to become notifications.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NotificationEvent,
    pub clip_id: String,
    pub reply_id: String,
    /// `""` for a guest.
    pub actor_id: String,
    pub created_at: Timestamp,
    /// What else it is about: a check-in round (`""` for none).
    pub subject: String,
}

/// The events outbox, each member's choice, and the server's keys.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// The oldest events not yet turned into notifications.
    async fn events(&self, limit: i64) -> crate::Result<Vec<EventRow>>;

    /// An event's notifications are queued: it goes.
    async fn event_done(&self, id: i64) -> crate::Result<()>;

    /// A recipient's notifications, newest first.
    async fn of_recipient(&self, recipient_id: &str) -> crate::Result<Vec<Notification>>;

    async fn set_email_choice(&self, user_id: &str, choice: EmailChoice) -> crate::Result<()>;

    /// The key named `name` the server signs with, made from `fresh` the first time.
    async fn server_key(&self, name: &str, fresh: &str) -> crate::Result<String>;
}
