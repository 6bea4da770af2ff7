//! The sign-in limit on both databases: a client address has a budget (then 429 and when to try
//! again, forgotten once the window has passed); an account guessed at from many addresses is
//! slowed, never walled off — its owner, with the right password, gets in.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::Method;
use chrono::{Duration, Utc};
use db::attempts::Attempt;
use serde_json::json;
use support::{Answer, Backend, Harness, PASSWORD};

async fn sign_in(server: &Harness, peer: &str, email: &str, password: &str) -> Answer {
    let body = json!({ "email": email, "password": password, "kind": "api" }).to_string();
    let headers = [("content-type", "application/json")];
    server
        .call_from(
            peer.parse().unwrap(),
            Method::POST,
            "/api/v1/auth/login",
            None,
            &headers,
            Body::from(body),
        )
        .await
}

async fn guessing_is_limited_per_address_and_never_locks_the_owner_out(backend: Backend) {
    let server = Harness::on(backend, &["--login-attempts-per-minute", "4"]).await;
    server.person("Ana", "Team").await;
    for _ in 0..4 {
        let wrong = sign_in(&server, "10.0.0.1:1000", "ana@example.com", "guess").await;
        assert_eq!(wrong.status, 400, "{}", wrong.text());
    }
    // The address that guessed has used its budget, for every email.
    let refused = sign_in(&server, "10.0.0.1:1000", "ana@example.com", PASSWORD).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    let retry_after: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let same_address = sign_in(&server, "10.0.0.1:2000", "someone@example.com", "x").await;
    assert_eq!(same_address.status, 429);

    // More guesses at Ana, in case and whitespace variants, each from another address: none is
    // refused, but each waits longer than the last.
    for (n, variant) in ["ANA@example.com", " Ana@Example.com "].iter().enumerate() {
        let wrong = sign_in(&server, &format!("10.0.1.{n}:1000"), variant, "guess").await;
        assert_eq!(wrong.status, 400, "{variant}: {}", wrong.text());
    }
    // Ana, from her own address, with the right password: slowed (six failures, two of them
    // free: 250 ms doubled three times), not locked out.
    let started = std::time::Instant::now();
    let owner = sign_in(&server, "10.0.0.2:1000", "ana@example.com", PASSWORD).await;
    assert_eq!(owner.status, 201, "{}", owner.text());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1500),
        "an account guessed at answers slowly ({:?})",
        started.elapsed()
    );
    // Another account, from another address, is not slowed by Ana's.
    let someone = sign_in(&server, "10.0.0.3:1000", "someone@example.com", "x").await;
    assert_eq!(someone.status, 400);

    // Attempts older than the window no longer count.
    let attempts = server.state.db.attempts();
    assert_eq!(attempts.attempt(&["k"], 1, Utc::now()).await.unwrap(), Attempt::Allowed);
    assert!(matches!(
        attempts
            .attempt(&["k"], 1, Utc::now() - Duration::minutes(1))
            .await
            .unwrap(),
        Attempt::Refused { .. }
    ));
    let later = Utc::now() + Duration::seconds(1);
    assert_eq!(attempts.attempt(&["k"], 1, later).await.unwrap(), Attempt::Allowed);
}

on_every_database!(guessing_is_limited_per_address_and_never_locks_the_owner_out);
