//! The inbox on both databases: a thread marked done leaves it until something newer arrives,
//! and "unheard" brings a thread back with all of its messages waiting.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Backend, Harness, Person};

async fn inbox(server: &Harness, who: &Person) -> Vec<Value> {
    server.get("/api/v1/inbox", who).await.json()["threads"]
        .as_array()
        .unwrap()
        .clone()
}

async fn done_threads_leave_the_inbox_until_something_new_arrives(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let otto = server.person("Otto", "Elsewhere").await;
    let clip = server.upload_id(&olive, "Plan").await;
    assert_eq!(inbox(&server, &manu).await.len(), 1);

    let done = server
        .call(
            Method::PUT,
            &format!("/api/v1/threads/{clip}/done"),
            Some(&manu),
            Body::empty(),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text());
    assert!(inbox(&server, &manu).await.is_empty(), "done: out of the inbox");
    assert_eq!(
        inbox(&server, &olive).await.len(),
        0,
        "Olive's own message was never in hers"
    );

    // Something new in the thread brings it back.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&olive),
            json!({ "text": "one more thing" }),
        )
        .await;
    assert_eq!(replied.status, StatusCode::CREATED);
    let back = inbox(&server, &manu).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["unheard"], 2);
    assert_eq!(
        back[0]["unheard_from"],
        json!(["Olive"]),
        "who wrote what waits, once each"
    );
    let cookie = server.session("manu@example.com").await;
    let dashboard = server.page(&cookie, "/").await;
    assert!(dashboard.contains("2 new from Olive"), "the card says who");

    // Heard and read, then unheard again: everything waits once more.
    server
        .call(
            Method::POST,
            &format!("/api/v1/clips/{clip}/seen"),
            Some(&manu),
            Body::empty(),
        )
        .await;
    server.get(&format!("/api/v1/threads/{clip}"), &manu).await;
    assert!(inbox(&server, &manu).await.is_empty(), "heard and read");
    let unheard = server
        .call(
            Method::POST,
            &format!("/api/v1/threads/{clip}/unheard"),
            Some(&manu),
            Body::empty(),
        )
        .await;
    assert_eq!(unheard.status, StatusCode::NO_CONTENT);
    let again = inbox(&server, &manu).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["unheard"], 2);

    // Not someone else's thread to mark.
    let foreign = server
        .call(
            Method::PUT,
            &format!("/api/v1/threads/{clip}/done"),
            Some(&otto),
            Body::empty(),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

on_every_database!(done_threads_leave_the_inbox_until_something_new_arrives);
