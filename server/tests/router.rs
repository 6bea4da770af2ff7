//! The server's rules checked against the real router in process (see `support`): each test
//! here failed before the defect it names was fixed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Backend, Harness, PASSWORD, Person};

fn listeners(thread: &Value) -> Vec<String> {
    thread["root"]["seen_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["display_name"].as_str().unwrap().to_owned())
        .collect()
}

async fn login_cookie(server: &Harness, peer: &str, headers: &[(&str, &str)]) -> String {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let answer = server
        .call_from(
            peer.parse().unwrap(),
            Method::POST,
            "/api/v1/auth/login",
            None,
            &all,
            Body::from(json!({ "email": "ana@example.com", "password": PASSWORD }).to_string()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.headers["set-cookie"].to_str().unwrap().to_owned()
}

/// A browser drops a `Secure` cookie set over plain HTTP (except on localhost), so signing in
/// at http://192.168.1.5:8080 silently failed. Secure only when the browser uses HTTPS.
#[tokio::test]
async fn the_session_cookie_is_secure_only_over_https() {
    let plain = Harness::start(&["--trusted-proxies", "10.0.0.2"]).await;
    plain.person("Ana", "Team").await;
    let cookie = login_cookie(&plain, "192.168.1.9:5000", &[]).await;
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // Anyone may send X-Forwarded-Proto; only the trusted proxy is believed.
    let spoofed = login_cookie(&plain, "192.168.1.9:5000", &[("x-forwarded-proto", "https")]).await;
    assert!(!spoofed.contains("Secure"), "{spoofed}");
    let proxied = login_cookie(&plain, "10.0.0.2:5000", &[("x-forwarded-proto", "https")]).await;
    assert!(proxied.contains("; Secure;"), "{proxied}");
    // The sign-in form too.
    let form = plain
        .call_from(
            "192.168.1.9:5000".parse().unwrap(),
            Method::POST,
            "/login",
            None,
            &[("content-type", "application/x-www-form-urlencoded")],
            Body::from(format!(
                "email=ana%40example.com&password={}",
                PASSWORD.replace(' ', "+")
            )),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    assert!(!form.headers["set-cookie"].to_str().unwrap().contains("Secure"));

    let https = Harness::start(&["--public-url", "https://offbeat.example"]).await;
    https.person("Ana", "Team").await;
    let cookie = login_cookie(&https, "192.168.1.9:5000", &[]).await;
    assert!(cookie.contains("; Secure;"), "{cookie}");
}

/// Receipts counted page loads (the browser's preload fetches byte 0) and authors heard
/// themselves. A receipt is a play the player reports; authors are never their own listeners.
async fn hearing_is_playing_and_never_ones_own(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let id = server.upload_id(&olive, "Launch").await;
    let thread_url = format!("/api/v1/threads/{id}");

    // Manu's browser preloads the media from the start: not hearing.
    let media = server.get(&format!("/api/v1/clips/{id}/media"), &manu).await;
    assert_eq!(media.status, StatusCode::OK);
    assert!(
        media.body.starts_with(b"OggS"),
        "the stored clip (remuxed to Ogg) came back"
    );
    assert!(listeners(&server.get(&thread_url, &olive).await.json()).is_empty());

    // Olive plays her own message: still nobody.
    let own = server
        .post_json(&format!("/api/v1/clips/{id}/seen"), Some(&olive), json!({}))
        .await;
    assert_eq!(own.status, StatusCode::NO_CONTENT);
    assert!(listeners(&server.get(&thread_url, &olive).await.json()).is_empty());

    // Manu presses play: heard by Manu, once however often.
    for _ in 0..2 {
        let seen = server
            .post_json(&format!("/api/v1/clips/{id}/seen"), Some(&manu), json!({}))
            .await;
        assert_eq!(seen.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(listeners(&server.get(&thread_url, &olive).await.json()), ["Manu"]);

    // Her own text reply is not something Olive "read" either.
    let reply = server
        .post_json(
            &format!("{thread_url}/replies"),
            Some(&olive),
            json!({ "text": "Any thoughts?" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let thread = server.get(&thread_url, &olive).await.json();
    assert!(thread["root"]["replies"][0]["seen_by"].as_array().unwrap().is_empty());
    let thread = server.get(&thread_url, &manu).await.json();
    assert_eq!(thread["root"]["replies"][0]["seen_by"][0]["display_name"], "Manu");
}

/// Two copies of one reply sent at once both passed the "already in a thread" check and the
/// loser hit the unique key: a 500. Both races now end as a resend does, in 409.
async fn twin_replies_sent_at_once_get_201_and_409(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let root = server.upload(&olive, "Question").await;
    let root_id = root["id"].as_str().unwrap();
    for _ in 0..6 {
        let answer = server.upload(&manu, "Answer").await;
        let body = json!({ "clip_id": answer["id"] });
        let url = format!("/api/v1/threads/{root_id}/replies");
        let (a, b) = tokio::join!(
            server.post_json(&url, Some(&manu), body.clone()),
            server.post_json(&url, Some(&manu), body.clone()),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    }
    let thread = server.get(&format!("/api/v1/threads/{root_id}"), &olive).await.json();
    assert_eq!(thread["reply_count"], 6);
}

/// A database failure while answering about a thread read as "no such clip" (and the page
/// quietly left the thread out). Now it is a 500 with the JSON error shape.
async fn a_broken_database_is_an_error_not_a_404(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let root = server.upload(&olive, "Question").await;
    let root_id = root["id"].as_str().unwrap();
    let answer = server.upload(&manu, "Answer").await;
    let answer_id = answer["id"].as_str().unwrap();
    // The reply clip's row becomes unreadable (a value no version of Offbeat writes).
    server.set_clip_status(answer_id, "garbled").await;
    let reply_url = format!("/api/v1/threads/{root_id}/replies");
    let reply_body = json!({ "clip_id": answer_id });
    let reply = server.post_json(&reply_url, Some(&manu), reply_body.clone()).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "internal");
    // Once it is in the thread, reading the thread fails as loudly.
    server.set_clip_status(answer_id, "ready").await;
    let posted = server.post_json(&reply_url, Some(&manu), reply_body).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text());
    server.set_clip_status(answer_id, "garbled").await;
    let thread = server.get(&format!("/api/v1/threads/{root_id}"), &olive).await;
    assert_eq!(thread.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", thread.text());
    let page_url = root["page_url"].as_str().unwrap();
    let path = &page_url[page_url.find("/c/").unwrap()..];
    let page = server.get(path, &olive).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", page.text());
}

/// Every 404 said "no such clip", whatever was missing.
async fn a_404_names_what_is_missing(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ana = server.person("Ana", "Team").await;
    let unknown = "0123456789abcdef0123456789abcdef";
    for (uri, method, expected) in [
        (format!("/api/v1/clips/{unknown}"), Method::GET, "no such clip"),
        (
            format!("/api/v1/uploads/{unknown}"),
            Method::GET,
            "no such upload session",
        ),
        (format!("/api/v1/tokens/{unknown}"), Method::DELETE, "no such API token"),
    ] {
        let answer = server.call(method, &uri, Some(&ana), Body::empty()).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.json()["error"]["message"], expected, "{uri}");
        assert_eq!(answer.json()["error"]["code"], "not_found", "{uri}");
    }
    let clip = server.upload(&ana, "Posterless").await;
    let poster = server
        .get(&format!("/api/v1/clips/{}/poster", clip["id"].as_str().unwrap()), &ana)
        .await;
    assert_eq!(poster.status, StatusCode::NOT_FOUND);
    assert_eq!(poster.json()["error"]["message"], "this clip has no poster");
}

/// Someone of another workspace learns nothing from a thread's URL: the same 404, byte for
/// byte, as for an id never used.
async fn people_of_other_workspaces_get_the_same_404_as_nothing(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ana = server.person("Ana", "Team").await;
    let eve: Person = server.person("Eve", "Elsewhere").await;
    let clip = server.upload(&ana, "Private").await;
    let id = clip["id"].as_str().unwrap();
    let theirs = server.get(&format!("/api/v1/threads/{id}"), &eve).await;
    let none = server
        .get("/api/v1/threads/0123456789abcdef0123456789abcdef", &eve)
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, none.body);
}

on_every_database!(
    twin_replies_sent_at_once_get_201_and_409,
    hearing_is_playing_and_never_ones_own,
    a_broken_database_is_an_error_not_a_404,
    a_404_names_what_is_missing,
    people_of_other_workspaces_get_the_same_404_as_nothing,
);
