//! Sign-in attempts are limited per email and per client address, so passwords cannot be
//! guessed at network speed. In memory: one process serves one database (SQLite).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct LoginLimiter {
    per_window: usize,
    window: Duration,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(per_window: usize, window: Duration) -> Self {
        Self {
            per_window: per_window.max(1),
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt under every key; `Err(wait)` if any key is over its limit.
    pub fn attempt(&self, keys: &[&str]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if attempts.len() > 100_000 {
            // Bounded memory under a flood of distinct keys: forget the idle ones.
            attempts.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < self.window));
        }
        let mut wait = Duration::ZERO;
        for key in keys {
            let times = attempts.entry((*key).to_owned()).or_default();
            while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                times.pop_front();
            }
            if times.len() >= self.per_window {
                let oldest = times.front().copied().unwrap_or(now);
                wait = wait.max(self.window.saturating_sub(now.duration_since(oldest)));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for key in keys {
            attempts.entry((*key).to_owned()).or_default().push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_key_and_frees_up() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(200));
        assert!(limiter.attempt(&["a@x", "1.2.3.4"]).is_ok());
        assert!(limiter.attempt(&["a@x", "1.2.3.4"]).is_ok());
        assert!(
            limiter.attempt(&["a@x", "5.6.7.8"]).is_err(),
            "same email, other address"
        );
        assert!(limiter.attempt(&["b@x", "9.9.9.9"]).is_ok());
        std::thread::sleep(Duration::from_millis(220));
        assert!(limiter.attempt(&["a@x", "1.2.3.4"]).is_ok());
    }
}
