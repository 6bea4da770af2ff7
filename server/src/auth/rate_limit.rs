//! Sign-in attempts are limited so that passwords cannot be guessed at network speed, without
//! letting a guesser lock the owner out. Each client address has a budget of attempts per
//! window (then 429 until the window has passed). An account is never walled off: after a few
//! failed attempts in the window, every attempt on it waits first — longer with each failure, up
//! to a few seconds — which slows guessing from many addresses to a crawl while the owner, with
//! the right password, still gets in. Counted in the database (keys hashed), so the limits hold
//! however many server processes share it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;

use db::Db;
use db::attempts::Attempt;

/// The longest an attempt on an account waits.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// The first wait, doubled with each further failure.
const FIRST_DELAY: Duration = Duration::from_millis(250);

/// The longest an attempt waits for its account's turn.
const TURN_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct LoginLimiter {
    per_window: i64,
    window: Duration,
    /// Attempts on one account take turns (in this process), so its waits add up: guessing one
    /// account with many requests at once is no faster than one after another.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// An account's turn: the next attempt on it waits until this is dropped.
pub type AccountTurn = tokio::sync::OwnedMutexGuard<()>;

/// What a client address is counted as: an IPv4 address (IPv4-mapped IPv6 too), or an IPv6
/// address's /64 — one host's share of addresses, which a client can hop within at will.
pub fn client_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl LoginLimiter {
    pub fn new(per_window: usize, window: Duration) -> Self {
        Self {
            per_window: i64::try_from(per_window.max(1)).unwrap_or(i64::MAX),
            window,
            turns: Mutex::default(),
        }
    }

    /// Waits for `account`'s turn (see `turns`); `None` when it does not come in time.
    pub async fn turn(&self, account: &str) -> Option<AccountTurn> {
        let lock = {
            let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
            // Accounts nobody is attempting now are forgotten.
            turns.retain(|_, lock| Arc::strong_count(lock) > 1);
            turns.entry(key_hash("account", account)).or_default().clone()
        };
        tokio::time::timeout(TURN_WAIT, lock.lock_owned()).await.ok()
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
    fn ipv6_clients_are_counted_by_their_64() {
        let key = |text: &str| client_key(text.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[tokio::test]
    async fn attempts_on_one_account_take_turns() {
        let limiter = LoginLimiter::new(10, Duration::from_secs(60));
        let first = limiter.turn("ana@example.com").await.unwrap();
        let other = limiter.turn("ben@example.com").await;
        assert!(other.is_some(), "another account does not wait");
        let waiting = tokio::time::timeout(Duration::from_millis(100), limiter.turn("ana@example.com")).await;
        assert!(waiting.is_err(), "the same account waits its turn");
        drop(first);
        assert!(limiter.turn("ana@example.com").await.is_some());
    }

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
