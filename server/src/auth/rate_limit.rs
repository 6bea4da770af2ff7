//! Sign-in attempts are limited per email and per client address, so passwords cannot be
//! guessed at network speed. Counted in the database, so the limit holds however many server
//! processes share it.

use std::time::Duration;

use chrono::Utc;

use crate::db::Db;
use crate::db::attempts::Attempt;

#[derive(Debug)]
pub struct LoginLimiter {
    per_window: i64,
    window: Duration,
}

impl LoginLimiter {
    pub fn new(per_window: usize, window: Duration) -> Self {
        Self {
            per_window: i64::try_from(per_window.max(1)).unwrap_or(i64::MAX),
            window,
        }
    }

    /// Records an attempt under every key; `Ok(Err(wait))` if any key is over its limit.
    pub async fn attempt(&self, db: &Db, keys: &[&str]) -> sqlx::Result<Result<(), Duration>> {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::minutes(1));
        let hashes: Vec<String> = keys
            .iter()
            .map(|key| crate::hashing::sha256_hex(key.as_bytes()))
            .collect();
        let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let now = Utc::now();
        Ok(
            match db.attempts().attempt(&hashes, self.per_window, now - window).await? {
                Attempt::Allowed => Ok(()),
                Attempt::Refused { oldest } => Err((oldest + window - now).to_std().unwrap_or(Duration::ZERO)),
            },
        )
    }
}
