//! Quotas on both databases, each with a clear answer: open upload sessions per member (429),
//! bytes staged per member and stored per workspace (507, keeping what fit), JSON bodies
//! bounded before they are buffered (413) — never a 500.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;
use support::{Answer, Backend, CLIP, Harness, Person};

async fn open(server: &Harness, who: &Person, headers: &[(&str, &str)]) -> Answer {
    server
        .tus(Method::POST, "/api/v1/uploads", who, headers, Vec::new())
        .await
}

fn path_of(created: &Answer) -> String {
    let location = created.headers["location"].to_str().unwrap();
    format!("/api/{}", location.split_once("/api/").unwrap().1)
}

fn error_code(answer: &Answer) -> String {
    answer.json()["error"]["code"].as_str().unwrap_or_default().to_owned()
}

async fn open_sessions_are_limited_per_member(backend: Backend) {
    let server = Harness::on(backend, &["--max-open-uploads-per-user", "2"]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let first = open(&server, &olive, &[("upload-defer-length", "1")]).await;
    assert_eq!(first.status, 201);
    assert_eq!(open(&server, &olive, &[("upload-defer-length", "1")]).await.status, 201);
    let third = open(&server, &olive, &[("upload-defer-length", "1")]).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS, "{}", third.text());
    assert_eq!(error_code(&third), "too_many_open");
    assert!(third.text().contains("unfinished uploads"), "{}", third.text());
    // Someone else is not held up; and once one is removed, there is room again.
    assert_eq!(open(&server, &manu, &[("upload-defer-length", "1")]).await.status, 201);
    let removed = server
        .tus(Method::DELETE, &path_of(&first), &olive, &[], Vec::new())
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(open(&server, &olive, &[("upload-defer-length", "1")]).await.status, 201);
}

async fn staged_bytes_are_limited_per_member_keeping_what_fits(backend: Backend) {
    let server = Harness::on(backend, &["--max-staged-bytes-per-user", "5000"]).await;
    let (olive, _) = server.olive_and_manu().await;
    let declared = open(&server, &olive, &[("upload-length", "6000")]).await;
    assert_eq!(declared.status, StatusCode::INSUFFICIENT_STORAGE, "{}", declared.text());
    assert_eq!(error_code(&declared), "insufficient_storage");

    let created = open(&server, &olive, &[("upload-defer-length", "1")]).await;
    let path = path_of(&created);
    let headers = [
        ("content-type", "application/offset+octet-stream"),
        ("upload-offset", "0"),
    ];
    let over = server
        .tus(Method::PATCH, &path, &olive, &headers, CLIP[..6000].to_vec())
        .await;
    assert_eq!(over.status, StatusCode::INSUFFICIENT_STORAGE, "{}", over.text());
    let head = server.tus(Method::HEAD, &path, &olive, &[], Vec::new()).await;
    let kept: usize = head.headers["upload-offset"].to_str().unwrap().parse().unwrap();
    assert!(kept <= 5000, "kept {kept}");
    // A second session has no room left beyond what the first holds.
    let other = path_of(&open(&server, &olive, &[("upload-defer-length", "1")]).await);
    let more = server
        .tus(Method::PATCH, &other, &olive, &headers, CLIP[..5001 - kept].to_vec())
        .await;
    assert_eq!(more.status, StatusCode::INSUFFICIENT_STORAGE, "{}", more.text());
}

async fn a_workspace_stores_no_more_than_its_quota(backend: Backend) {
    let quota = (CLIP.len() * 3 / 2).to_string();
    let server = Harness::on(backend, &["--workspace-storage-bytes", &quota]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let otto = server.person("Otto", "Elsewhere").await;
    server.upload(&olive, "first").await;
    let second = server
        .call(
            Method::POST,
            "/api/v1/clips?title=second",
            Some(&manu),
            Body::from(CLIP),
        )
        .await;
    assert_eq!(second.status, StatusCode::INSUFFICIENT_STORAGE, "{}", second.text());
    assert!(
        second.text().contains("workspace's storage is full"),
        "{}",
        second.text()
    );
    let session = open(&server, &manu, &[("upload-length", &CLIP.len().to_string())]).await;
    assert_eq!(session.status, StatusCode::INSUFFICIENT_STORAGE, "{}", session.text());
    // Another workspace has its own quota.
    server.upload(&otto, "elsewhere").await;
}

async fn json_bodies_are_bounded_before_they_are_buffered(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let clip = server.upload_id(&olive, "Plan").await;
    let huge = json!({ "text": "a".repeat(2 * 1024 * 1024) }).to_string();
    let answer = server
        .call(
            Method::POST,
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&olive),
            Body::from(huge),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &answer.text()[..200.min(answer.text().len())]
    );
    assert_eq!(error_code(&answer), "too_large");
}

on_every_database!(
    open_sessions_are_limited_per_member,
    staged_bytes_are_limited_per_member_keeping_what_fits,
    a_workspace_stores_no_more_than_its_quota,
    json_bodies_are_bounded_before_they_are_buffered,
);
