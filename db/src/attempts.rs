//! How often something was tried lately, across every process sharing the database: what the
//! sign-in limit counts. Keys are kept only as hashes (no email or address in the table).

use chrono::{DateTime, Utc};

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Allowed,
    /// Over the limit; nothing was recorded. The oldest attempt still counted was then.
    Refused {
        oldest: DateTime<Utc>,
    },
}

#[async_trait::async_trait]
pub trait AttemptLog: Send + Sync {
    /// Records an attempt now under every key (hashed), unless one of them already has
    /// `limit` attempts since `since`. Attempts older than `since` are forgotten.
    async fn attempt(&self, key_hashes: &[&str], limit: i64, since: DateTime<Utc>) -> crate::Result<Attempt>;

    /// How many attempts were recorded under the key since `since`.
    async fn count(&self, key_hash: &str, since: DateTime<Utc>) -> crate::Result<i64>;
}
