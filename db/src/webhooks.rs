//! A workspace's webhooks. Their deliveries are jobs of the one queue (`JobKind::Webhook`, the
//! webhook as their target).

use crate::Timestamp;
use crate::domain::{NotificationEvent, UnknownValue, WebhookFormat};

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
    pub created_at: Timestamp,
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
    async fn add(&self, webhook: &WebhookRow, limit: i64) -> crate::Result<Added>;

    /// A workspace's webhooks, oldest first.
    async fn of_workspace(&self, workspace_id: &str) -> crate::Result<Vec<WebhookRow>>;

    async fn get(&self, id: &str) -> crate::Result<Option<WebhookRow>>;

    /// Removes a workspace's webhook and its deliveries (queued or made); whether there was one.
    async fn remove(&self, workspace_id: &str, id: &str) -> crate::Result<bool>;
}
