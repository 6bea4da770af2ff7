//! Notifications: each one a row, delivered by the job workers under a lease, retried with
//! backoff, given up with the reason kept.

use chrono::{DateTime, Utc};

use crate::db::queue::Queued;
use crate::domain::{DeliveryState, EmailChoice, NotificationEvent};

/// A notification as the database keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// Also the mail's `Message-ID`: a retry is recognisably the same mail.
    pub id: String,
    pub recipient_id: String,
    #[sqlx(try_from = "String")]
    pub event: NotificationEvent,
    /// The message, or the root of the thread the reply is in.
    pub clip_id: String,
    /// The reply (`""` for a new message).
    pub reply_id: String,
    pub actor_id: String,
    pub created_at: String,
    pub due_at: String,
    #[sqlx(try_from = "String")]
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
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
    pub created_at: String,
}

/// The notifications queue, and each member's choice.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// Queues them (`target`: the recipient); one already queued for the same recipient, event
    /// and message is kept.
    async fn enqueue(&self, notifications: &[Queued<'_>]) -> sqlx::Result<()>;

    /// Leases up to `limit` pending notifications due by `now` (none another live holder has)
    /// to `holder` until `lease_until`.
    async fn claim(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<NotificationRow>>;

    /// Leases every pending notification of `recipient_id` due by `now` that no other live
    /// holder has (those `holder` has already included): a digest's contents.
    async fn claim_recipient(
        &self,
        holder: &str,
        recipient_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> sqlx::Result<Vec<NotificationRow>>;

    /// Sent: done.
    async fn sent(&self, id: &str, holder: &str) -> sqlx::Result<()>;

    /// Not now: pending again, due at `due_at`; a failed attempt (`error`) is counted.
    async fn later(&self, id: &str, holder: &str, due_at: DateTime<Utc>, error: Option<&str>) -> sqlx::Result<()>;

    /// Finished without sending: dropped (no longer worth it) or failed (given up), and why.
    async fn finish(&self, id: &str, holder: &str, state: DeliveryState, reason: &str) -> sqlx::Result<()>;

    /// The oldest events not yet turned into notifications.
    async fn events(&self, limit: i64) -> sqlx::Result<Vec<EventRow>>;

    /// An event's notifications are queued: it goes.
    async fn event_done(&self, id: i64) -> sqlx::Result<()>;

    /// A recipient's notifications, newest first.
    async fn of_recipient(&self, recipient_id: &str) -> sqlx::Result<Vec<NotificationRow>>;

    async fn set_email_choice(&self, user_id: &str, choice: EmailChoice) -> sqlx::Result<()>;

    /// The key named `name` the server signs with, made from `fresh` the first time.
    async fn server_key(&self, name: &str, fresh: &str) -> sqlx::Result<String>;
}
