//! Sign-in attempts are limited so that passwords cannot be guessed at network speed, without
//! letting a guesser lock the owner out. Each client address has a budget of attempts per
//! window (then 429 until the window has passed). An account is never walled off: after a few
//! failed attempts in the window, every attempt on it waits first — longer with each failure, up
//! to a few seconds — which slows guessing from many addresses to a crawl while the owner, with
//! the right password, still gets in. Counted in the database (keys hashed), so the limits hold
//! however many server processes share it.

use std::time::Duration;

use chrono::Utc;

use db::Db;
use db::attempts::Attempt;

/// The longest an attempt on an account waits.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// The first wait, doubled with each further failure.
const FIRST_DELAY: Duration = Duration::from_millis(250);

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

    fn since(&self) -> chrono::DateTime<Utc> {
        Utc::now() - chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::minutes(1))
    }

    /// Counts an attempt from `address`; `Ok(Err(wait))` once the address has used its budget.
    pub async fn admit(&self, db: &Db, address: &str) -> db::Result<Result<(), Duration>> {
        let key = key_hash("ip", address);
        let since = self.since();
        Ok(match db.attempts().attempt(&[&key], self.per_window, since).await? {
            Attempt::Allowed => Ok(()),
            Attempt::Refused { oldest } => {
                let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::minutes(1));
                Err((oldest + window - Utc::now()).to_std().unwrap_or(Duration::ZERO))
            }
        })
    }

    /// How long an attempt on `account` waits before its password is checked.
    pub async fn delay(&self, db: &Db, account: &str) -> db::Result<Duration> {
        let failures = db.attempts().count(&key_hash("account", account), self.since()).await?;
        Ok(delay_after(failures, self.per_window / 2))
    }

    /// Counts a failed attempt on `account`.
    pub async fn failed(&self, db: &Db, account: &str) -> db::Result<()> {
        db.attempts()
            .attempt(&[&key_hash("account", account)], i64::MAX, self.since())
            .await
            .map(|_| ())
    }
}

fn key_hash(kind: &str, key: &str) -> String {
    crate::hashing::sha256_hex(format!("{kind}:{key}").as_bytes())
}

/// No wait for the first `free` failures, then 250 ms doubling with each, at most 4 s.
fn delay_after(failures: i64, free: i64) -> Duration {
    let over = failures - free.max(1);
    if over <= 0 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(over - 1).unwrap_or(u32::MAX).min(8);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_longer_with_each_failure_up_to_a_limit() {
        assert_eq!(delay_after(0, 5), Duration::ZERO);
        assert_eq!(delay_after(5, 5), Duration::ZERO);
        assert_eq!(delay_after(6, 5), Duration::from_millis(250));
        assert_eq!(delay_after(7, 5), Duration::from_millis(500));
        assert_eq!(delay_after(9, 5), Duration::from_secs(2));
        assert_eq!(delay_after(10, 5), MAX_DELAY);
        assert_eq!(delay_after(10_000, 5), MAX_DELAY);
        assert_eq!(
            delay_after(2, 0),
            Duration::from_millis(250),
            "at least one failure is free"
        );
    }
}
