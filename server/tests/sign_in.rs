//! The sign-in limit on both databases: counted per email and per client address, answered
//! with 429 and when to try again, forgotten once the window has passed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::Method;
use chrono::{Duration, Utc};
use serde_json::json;
use server::db::attempts::Attempt;
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

async fn sign_in_is_limited_per_email_and_per_address(backend: Backend) {
    let server = Harness::on(backend, &["--login-attempts-per-minute", "3"]).await;
    server.person("Ana", "Team").await;
    for _ in 0..3 {
        let wrong = sign_in(&server, "10.0.0.1:1000", "ana@example.com", "guess").await;
        assert_eq!(wrong.status, 400, "{}", wrong.text());
    }
    // The right password does not get through either now, from anywhere, for a while.
    let refused = sign_in(&server, "10.0.0.2:1000", "ANA@example.com ", PASSWORD).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    let retry_after: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // The address that guessed is limited for other emails too; others are not.
    let same_address = sign_in(&server, "10.0.0.1:2000", "someone@example.com", "x").await;
    assert_eq!(same_address.status, 429);
    let elsewhere = sign_in(&server, "10.0.0.3:1000", "someone@example.com", "x").await;
    assert_eq!(elsewhere.status, 400);

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

on_every_database!(sign_in_is_limited_per_email_and_per_address);
