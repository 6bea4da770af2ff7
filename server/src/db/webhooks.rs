//! Webhooks and their deliveries: each delivery a row, sent by the job workers under a lease,
//! retried with backoff, given up with the reason kept.

use chrono::{DateTime, Utc};

use crate::db::queue::Queued;
use crate::domain::{DeliveryState, NotificationEvent, UnknownValue, WebhookFormat};

/// A workspace's webhook.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub workspace_id: String,
    pub url: String,
    #[sqlx(try_from = "String")]
    pub events: Events,
    #[sqlx(try_from = "String")]
    pub format: WebhookFormat,
    pub created_by: String,
    pub created_at: String,
}

/// The events a webhook is sent, stored as their names separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events(pub Vec<NotificationEvent>);

impl TryFrom<String> for Events {
    type Error = UnknownValue;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl Events {
    pub fn stored(&self) -> String {
        self.0.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// A delivery as the database keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Also its `webhook-id`: a retry is recognisably the same delivery.
    pub id: String,
    pub webhook_id: String,
    #[sqlx(try_from = "String")]
    pub event: NotificationEvent,
    pub clip_id: String,
    pub reply_id: String,
    pub actor_id: String,
    pub created_at: String,
    pub due_at: String,
    #[sqlx(try_from = "String")]
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
    pub sent_at: Option<String>,
}

/// What one attempt came to.
#[derive(Debug)]
pub struct Attempt<'a> {
    /// The endpoint's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<&'a str>,
}

/// What became of a webhook being added.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Done,
    /// The workspace has as many as it may.
    TooMany,
}

#[async_trait::async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds `webhook` unless its workspace has `limit` already.
    async fn add(&self, webhook: &WebhookRow, limit: i64) -> sqlx::Result<Added>;

    /// A workspace's webhooks, oldest first.
    async fn of_workspace(&self, workspace_id: &str) -> sqlx::Result<Vec<WebhookRow>>;

    async fn get(&self, id: &str) -> sqlx::Result<Option<WebhookRow>>;

    /// Removes a workspace's webhook and its deliveries; whether there was one.
    async fn remove(&self, workspace_id: &str, id: &str) -> sqlx::Result<bool>;

    /// Queues them (`target`: the webhook); one already queued for the same webhook, event and
    /// message is kept.
    async fn enqueue(&self, deliveries: &[Queued<'_>]) -> sqlx::Result<()>;

    /// Leases up to `limit` pending deliveries due by `now` (none another live holder has) to
    /// `holder` until `lease_until`.
    async fn claim(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<DeliveryRow>>;

    /// Delivered: done.
    async fn sent(&self, id: &str, holder: &str, attempt: Attempt<'_>) -> sqlx::Result<()>;

    /// Not now: pending again, due at `due_at`; an attempt made is counted.
    async fn later(
        &self,
        id: &str,
        holder: &str,
        due_at: DateTime<Utc>,
        attempt: Option<Attempt<'_>>,
    ) -> sqlx::Result<()>;

    /// Finished without delivering: dropped (no longer worth it) or failed (given up), and why.
    async fn finish(
        &self,
        id: &str,
        holder: &str,
        state: DeliveryState,
        reason: &str,
        attempt: Option<Attempt<'_>>,
    ) -> sqlx::Result<()>;

    /// The newest `per_webhook` deliveries of each of `webhook_ids`, newest first.
    async fn recent(&self, webhook_ids: &[&str], per_webhook: i64) -> sqlx::Result<Vec<DeliveryRow>>;
}
