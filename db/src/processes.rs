//! The server processes sharing a database: where each is reached, and whether it is alive
//! (it renews that by heartbeat; a process that died stops).

use chrono::{DateTime, Utc};

#[async_trait::async_trait]
pub trait ProcessRegistry: Send + Sync {
    /// This process is alive until `until`, reached at `url`.
    async fn heartbeat(&self, id: &str, url: &str, until: DateTime<Utc>) -> crate::Result<()>;

    /// This process is stopping: the others may take over what it held at once.
    async fn leave(&self, id: &str) -> crate::Result<()>;

    /// Where to reach process `id`, if it is alive at `now`.
    async fn alive_url(&self, id: &str, now: DateTime<Utc>) -> crate::Result<Option<String>>;
}
